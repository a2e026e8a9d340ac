//! Uploading a CSV file into the estate.

use super::*;

// ---- Import ----

#[derive(Template)]
#[template(path = "estate/templates/import.html")]
struct ImportPage {
    layout: Layout,
    errors: Errors,
    report: Option<ImportReport>,
    imports: Vec<store::ImportRecord>,
    org_name: String,
    visibilities: [Visibility; 3],
    visibility: Visibility,
    limit: String,
}

async fn show_import(
    state: &AppState,
    auth: &Auth,
    user: &User,
    errors: Errors,
    report: Option<ImportReport>,
    visibility: Visibility,
    status: StatusCode,
) -> Result<Response, PageError> {
    let failed = !errors.is_empty() || report.as_ref().is_some_and(|r| !r.errors.is_empty());
    let title = if failed {
        "Error: Import your estate"
    } else {
        "Import your estate"
    };
    html(
        status,
        ImportPage {
            layout: layout(auth, title).crumb("Technology estate", "/estate"),
            errors,
            report,
            imports: store::imports(&state.db, user.org_id).await?,
            org_name: user.org_name.clone(),
            visibilities: Visibility::ALL,
            visibility,
            limit: human_bytes(UPLOAD_LIMIT),
        },
    )
}

pub(super) async fn import_form(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    let user = require_editor(&auth, "/estate/import")?;
    show_import(
        &state,
        &auth,
        user,
        Errors::default(),
        None,
        Visibility::London,
        StatusCode::OK,
    )
    .await
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: Option<String>,
    file_name: String,
    bytes: Vec<u8>,
    too_large: bool,
    visibility: String,
    dry_run: bool,
}

/// Reads the multipart form. The file is kept only up to the limit; past it the rest of the
/// request is read and dropped (up to the hard limit) so that the browser receives the
/// "too large" page instead of a reset connection.
async fn read_upload(mut multipart: Multipart) -> Result<Upload, PageError> {
    let mut up = Upload::default();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge {
                limit_bytes: UPLOAD_LIMIT,
            }
        } else {
            PageError::BadRequest("The upload could not be read. Try again.".into())
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or("") {
            "csrf_token" => up.csrf = Some(field.text().await.map_err(unreadable)?),
            "visibility" => up.visibility = field.text().await.map_err(unreadable)?,
            "dry_run" => up.dry_run = !field.text().await.map_err(unreadable)?.is_empty(),
            "file" => {
                up.file_name = field
                    .file_name()
                    .map(|n| {
                        // Browsers on Windows may send a full path.
                        n.rsplit(['/', '\\'])
                            .next()
                            .unwrap_or(n)
                            .chars()
                            .take(200)
                            .collect()
                    })
                    .unwrap_or_default();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if up.too_large || up.bytes.len() + chunk.len() > UPLOAD_LIMIT {
                        up.too_large = true;
                        up.bytes.clear();
                        continue;
                    }
                    up.bytes.extend_from_slice(&chunk);
                }
            }
            _ => {
                // Unknown fields are read and ignored.
                while field.chunk().await.map_err(unreadable)?.is_some() {}
            }
        }
    }
    Ok(up)
}

pub(super) async fn import_upload(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let upload = read_upload(multipart).await;
    // The token is checked before anything else is looked at.
    let token = upload.as_ref().ok().and_then(|u| u.csrf.as_deref());
    auth.check_csrf(token).or_else(|e| match &upload {
        Err(PageError::TooLarge { .. }) => Ok(()),
        _ => Err(e),
    })?;
    let user = require_editor(&auth, "/estate/import")?;
    let visibility = upload
        .as_ref()
        .ok()
        .and_then(|u| u.visibility.parse::<Visibility>().ok())
        .unwrap_or(Visibility::London);
    let upload = match upload {
        Ok(u) if !u.too_large => u,
        Ok(_) | Err(PageError::TooLarge { .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "file",
                format!(
                    "The file is larger than {}. Split it into smaller files, or remove columns you do not need. Nothing was saved.",
                    human_bytes(UPLOAD_LIMIT)
                ),
            );
            return show_import(
                &state,
                &auth,
                user,
                errors,
                None,
                visibility,
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    if upload.bytes.is_empty() && upload.file_name.is_empty() {
        let mut errors = Errors::default();
        errors.add("file", "Select a CSV file to import");
        return show_import(
            &state,
            &auth,
            user,
            errors,
            None,
            visibility,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let org = accounts::organisation(&state.db, user.org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let report = import::import(
        &state.db,
        &org,
        &upload.bytes,
        &ImportOptions {
            file_name: if upload.file_name.is_empty() {
                "upload.csv".into()
            } else {
                upload.file_name.clone()
            },
            dry_run: upload.dry_run,
            default_visibility: visibility,
            user_id: Some(user.id),
        },
    )
    .await
    .map_err(|e| match e {
        import::ImportError::Db(e) => PageError::from(e),
        other => PageError::BadRequest(other.to_string()),
    })?;
    let status = if report.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    if report.imported {
        accounts::audit(
            &state.db,
            Some(user),
            "estate_import",
            &report.summary(),
            Some(&auth.ip),
        )
        .await?;
    }
    let mut errors = Errors::default();
    if !report.errors.is_empty() {
        errors.add("file", report.summary());
    }
    show_import(
        &state,
        &auth,
        user,
        errors,
        Some(report),
        visibility,
        status,
    )
    .await
}

pub(super) async fn template_csv() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"procurekit-estate-layout.csv\"",
            ),
        ],
        TEMPLATE_CSV,
    )
        .into_response()
}
