//! Errors at the web edge: a page a person can act on, or a JSON problem document for API
//! clients. Internal failures are logged with the request id and shown without their details.

use std::any::Any;

use askama::Template;
use axum::Json;
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("Page not found")]
    NotFound,
    /// Signed out on a page that needs a user: send them to sign in, then back here.
    #[error("Sign in to continue")]
    SignInRequired { next: String },
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("The form could not be checked")]
    Csrf,
    #[error("The file is too large")]
    TooLarge { limit_bytes: usize },
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for PageError {
    fn from(e: DbError) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

impl From<crate::accounts::store::AccountError> for PageError {
    fn from(e: crate::accounts::store::AccountError) -> Self {
        use crate::accounts::store::AccountError as A;
        match e {
            A::Db(e) => e.into(),
            other => PageError::BadRequest(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "web/templates/error.html")]
struct ErrorPage<'a> {
    layout: super::layout::Layout,
    heading: &'a str,
    paragraphs: Vec<String>,
}

impl PageError {
    fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            PageError::Forbidden(_) | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (heading, paragraphs): (&str, Vec<String>) = match &self {
            PageError::SignInRequired { next } => {
                let to = format!("/sign-in?next={}", crate::web::filters::urlencode(next));
                return Redirect::to(&to).into_response();
            }
            PageError::NotFound => (
                "Page not found",
                vec![
                    "If you typed the web address, check it is correct.".into(),
                    "If you followed a link to a record, it may have been removed, or it may belong to another organisation and not be shared with you.".into(),
                ],
            ),
            PageError::Forbidden(why) => (
                "You cannot do that",
                vec![(*why).into(), "If you think you should be able to, ask your organisation's admin.".into()],
            ),
            PageError::BadRequest(why) => ("There is a problem", vec![why.clone()]),
            PageError::Csrf => (
                "This form could not be sent",
                vec![
                    "The form had expired, or it was not sent from a procurekit page. Nothing was saved.".into(),
                    "Go back, reload the page and try again.".into(),
                ],
            ),
            PageError::TooLarge { limit_bytes } => (
                "The file is too large",
                vec![format!(
                    "The file must be smaller than {}. Nothing was saved.",
                    human_bytes(*limit_bytes)
                )],
            ),
            PageError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    "Sorry, there is a problem with the service",
                    vec![
                        "Nothing you sent has been half-saved. Try again later.".into(),
                        "If it keeps happening, tell your platform admin the time and the request id shown in your browser's developer tools (x-request-id).".into(),
                    ],
                )
            }
        };
        let page = ErrorPage {
            layout: super::layout::Layout::bare(heading),
            heading,
            paragraphs,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("<h1>{}</h1>", heading));
        (self.status(), Html(body)).into_response()
    }
}

pub fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{} MB", n / (1024 * 1024))
    } else {
        format!("{} KB", n / 1024)
    }
}

pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        ApiError::NotFound.into_response()
    } else {
        PageError::NotFound.into_response()
    }
}

pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("panic");
    PageError::Internal(format!("panic: {detail}")).into_response()
}

/// Errors for API clients, as RFC 9457 problem details.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("authentication required: send an API token as 'Authorization: Bearer pk_…'")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal error")]
    Internal(String),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A short, human-readable summary of the problem type.
    pub title: String,
    pub status: u16,
    /// What went wrong and what to do about it.
    pub detail: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal API error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let problem = Problem {
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: self.to_string(),
        };
        let mut resp = (status, Json(problem)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, ApiError::Unauthorized) {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}
