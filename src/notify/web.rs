//! The outbox for platform admins, and each person's notification settings.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::{Mode, Outgoing};
use crate::accounts::Role;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/outbox", get(outbox))
        .route("/admin/outbox/{id}/retry", post(retry))
        .route("/account/notifications", get(settings).post(save_settings))
}

#[derive(Template)]
#[template(path = "notify/templates/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<Outgoing>,
    smtp: bool,
}

async fn outbox(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    auth.require_role(
        "/admin/outbox",
        &[Role::PlatformAdmin],
        "Only platform admins can read the outbox.",
    )?;
    let page = OutboxPage {
        layout: Layout::new(&auth, "Outbox")
            .crumb("Home", "/")
            .crumb("Platform admin", "/admin"),
        messages: super::outbox(&state.db, 500).await?,
        smtp: state.config.smtp.is_some(),
    };
    Ok(Html(page.render()?).into_response())
}

async fn retry(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    auth.require_role(
        "/admin/outbox",
        &[Role::PlatformAdmin],
        "Only platform admins can resend mail.",
    )?;
    if !super::retry(&state.db, id).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/admin/outbox").into_response())
}

#[derive(Template)]
#[template(path = "notify/templates/settings.html")]
struct SettingsPage {
    layout: Layout,
    mode: Mode,
    modes: [Mode; 3],
}

async fn settings(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = auth.require_user("/account/notifications")?;
    let mode = super::mode(&state.db, user.id).await?;
    let page = SettingsPage {
        layout: Layout::new(&auth, "Email notifications")
            .crumb("Home", "/")
            .crumb("Your account", "/account"),
        mode,
        modes: Mode::ALL,
    };
    Ok(Html(page.render()?).into_response())
}

async fn save_settings(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/account/notifications")?.clone();
    let Ok(mode) = fields.get("mode").parse::<Mode>() else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            PageError::BadRequest("Choose how you want to be emailed.".into()),
        )
            .into_response());
    };
    super::set_mode(&state.db, user.id, mode).await?;
    Ok(Redirect::to("/account?done=notifications").into_response())
}
