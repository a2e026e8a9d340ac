//! A contract's documents: upload a file (checked, stored in the database) or add a link;
//! download; remove.

use askama::Template;
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::form::FormData;
use super::{html, own, status_for, title_for, visible};
use crate::contracts::documents::{self, MAX_BYTES, UploadError};
use crate::contracts::store::Contract;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

/// How much of a request body is read. A file over [`MAX_BYTES`] is still read to the end (and
/// thrown away as it arrives, never held), so that the browser receives the form again with a
/// clear message rather than a connection closed mid-upload. Past this cap the request is cut
/// off, which only a determined client will see.
const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/contracts/{id}/documents/new",
            get(document_form)
                .post(upload)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/contracts/{id}/documents/{did}", get(download))
        .route("/contracts/{id}/documents/{did}/delete", post(remove))
}

#[derive(Template)]
#[template(path = "contracts/templates/document_form.html")]
struct DocumentForm {
    layout: Layout,
    c: Contract,
    v: FormData,
    errors: Errors,
    allowed: String,
}

fn document_form_page(
    auth: &Auth,
    c: Contract,
    v: FormData,
    errors: Errors,
) -> Result<Response, PageError> {
    let heading = "Add a document";
    html(
        status_for(&errors),
        DocumentForm {
            layout: Layout::new(auth, title_for(heading, &errors))
                .nav("contracts")
                .crumb("Home", "/")
                .crumb("Contracts", "/contracts")
                .crumb(c.title.clone(), c.url()),
            c,
            v,
            errors,
            allowed: documents::allowed_text(),
        },
    )
}

async fn document_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (_, c) = own(&state, &auth, &format!("/contracts/{id}/documents/new"), id).await?;
    document_form_page(
        &auth,
        c,
        FormData::default().with("kind", "file"),
        Errors::default(),
    )
}

/// What the upload form sent. A body over the limit stops the reading: `too_large` is set and
/// the file is dropped, but the fields read before it are kept.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    v: FormData,
    file_name: String,
    bytes: Vec<u8>,
    too_large: bool,
}

fn is_too_large(e: &MultipartError) -> bool {
    e.status() == StatusCode::PAYLOAD_TOO_LARGE
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, PageError> {
    let mut u = Upload::default();
    let unreadable =
        || PageError::BadRequest("The form could not be read. Nothing was saved.".into());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if is_too_large(&e) => {
                u.too_large = true;
                break;
            }
            Err(_) => return Err(unreadable()),
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            u.file_name = field.file_name().unwrap_or("").to_owned();
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if !u.too_large && u.bytes.len() + chunk.len() <= MAX_BYTES {
                            u.bytes.extend_from_slice(&chunk);
                        } else {
                            // Over the limit: keep reading to the end, keep nothing.
                            u.too_large = true;
                            u.bytes = Vec::new();
                        }
                    }
                    Ok(None) => break,
                    Err(e) if is_too_large(&e) => {
                        u.too_large = true;
                        u.bytes = Vec::new();
                        return Ok(u);
                    }
                    Err(_) => return Err(unreadable()),
                }
            }
        } else {
            let text = match field.text().await {
                Ok(t) => t,
                Err(e) if is_too_large(&e) => {
                    u.too_large = true;
                    break;
                }
                Err(_) => return Err(unreadable()),
            };
            if name == "csrf_token" {
                u.csrf = Some(text);
            } else if matches!(name.as_str(), "title" | "kind" | "url") {
                u.v.set(&name, text.chars().take(3000).collect::<String>());
            }
        }
    }
    Ok(u)
}

enum Stored {
    File(documents::CheckedFile),
    Link(String),
}

async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let (user, c) = own(&state, &auth, &format!("/contracts/{id}/documents/new"), id).await?;
    let multipart = multipart.map_err(|_| {
        PageError::BadRequest(
            "The document form must be sent as a file upload. Go back and try again.".into(),
        )
    })?;
    let u = read_upload(multipart).await?;
    // The token comes first in the form, so it is read even when the file is too large.
    auth.check_csrf(u.csrf.as_deref())?;
    let v = u.v;
    let mut e = Errors::default();
    let title = super::form::text(&v, "title", "A title", 200, true, &mut e);
    let stored = match v.get("kind") {
        "link" => match documents::check_link(v.get("url")) {
            Ok(url) => Some(Stored::Link(url)),
            Err(msg) => {
                e.add("url", msg);
                None
            }
        },
        "file" => {
            let checked = if u.too_large {
                Err(UploadError::TooLarge)
            } else {
                documents::check_upload(&u.file_name, &u.bytes)
            };
            match checked {
                Ok(f) => Some(Stored::File(f)),
                Err(err) => {
                    e.add("file", err.to_string());
                    None
                }
            }
        }
        _ => {
            e.add("kind", "Choose whether to upload a file or add a link");
            None
        }
    };
    let (Some(stored), true) = (stored, e.is_empty()) else {
        return document_form_page(&auth, c, v, e);
    };
    match stored {
        Stored::File(file) => {
            documents::add_file(&state.db, &user, &c, &title, &file, u.bytes).await?;
        }
        Stored::Link(url) => {
            documents::add_link(&state.db, &user, &c, &title, &url).await?;
        }
    }
    Ok(Redirect::to(&format!("/contracts/{id}?done=document#documents")).into_response())
}

async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, did)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let c = visible(&state, &auth, id).await?;
    let f = documents::content(&state.db, c.id, did)
        .await?
        .ok_or(PageError::NotFound)?;
    let name = documents::safe_file_name(&f.file_name);
    let ascii: String = name
        .chars()
        .map(|ch| if ch.is_ascii() { ch } else { '_' })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    crate::web::filters::urlencode(&name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        f.content,
    )
        .into_response())
}

async fn remove(
    State(state): State<AppState>,
    Path((id, did)): Path<(i64, i64)>,
    CsrfForm(_fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, c) = own(&state, &auth, &format!("/contracts/{id}"), id).await?;
    if !documents::delete(&state.db, &user, &c, did).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/contracts/{id}?done=removed#documents")).into_response())
}
