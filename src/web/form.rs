//! Submitted forms, checked for their CSRF token before a handler sees them.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::auth::Auth;
use super::{AppState, PageError};

/// The fields of a urlencoded form, in order, repeated names kept (checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The trimmed value of a field; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// A form whose `csrf_token` matched the session's (or the signed-out visitor's cookie).
/// A forged or stale form never reaches the handler: it gets the "could not be sent" page.
pub struct CsrfForm<T>(pub T, pub Auth);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let auth = <Auth as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, state,
        )
        .await?;
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                PageError::TooLarge {
                    limit_bytes: super::DEFAULT_BODY_LIMIT,
                }
            } else {
                PageError::BadRequest("The form could not be read.".into())
            }
        })?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| PageError::BadRequest("The form could not be read.".into()))?;
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.as_str());
        auth.check_csrf(token)?;
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| PageError::BadRequest(format!("The form could not be read: {e}")))?;
        Ok(CsrfForm(value, auth))
    }
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(Fields)
    }
}

/// A message against one field, shown in the error summary and beside the field.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The errors of one submitted form, in the order of the fields on the page.
#[derive(Debug, Clone, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// The message for a field, or "" when it has none (templates test `is_empty`).
    pub fn get(&self, field: &str) -> &str {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
            .unwrap_or("")
    }
}
