//! The JSON API under `/api/v1`, described by an OpenAPI 3 document. API clients authenticate
//! with a bearer token made on their account page; browsers may use their session.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::auth::Auth;
use super::{ApiError, AppState};
use crate::accounts::{OrgKind, Role, User, store};
use crate::visibility::Viewer;

/// The caller of an API route: a token's user, a browser session's user, or nobody.
pub struct ApiCaller {
    pub user: Option<User>,
}

impl ApiCaller {
    pub fn viewer(&self) -> Viewer {
        self.user
            .as_ref()
            .map(User::viewer)
            .unwrap_or_else(Viewer::anonymous)
    }

    pub fn require_user(&self) -> Result<&User, ApiError> {
        self.user.as_ref().ok_or(ApiError::Unauthorized)
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(ApiError::Unauthorized)?;
            // A token that was sent but is wrong is an error, not "signed out": the client
            // should learn its token is bad rather than silently see less.
            let user = store::user_for_api_token(&state.db, token)
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(ApiCaller { user: Some(user) });
        }
        let user = parts.extensions.get::<Auth>().and_then(|a| a.user.clone());
        Ok(ApiCaller { user })
    }
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation: String,
    pub organisation_kind: OrgKind,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("token" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::web::error::Problem)))]
pub async fn me(caller: ApiCaller) -> Result<Json<Me>, ApiError> {
    let u = caller.require_user()?;
    Ok(Json(Me {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        role: u.role,
        organisation: u.org_name.clone(),
        organisation_kind: u.org_kind,
    }))
}

struct TokenScheme;

impl Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from your account page in procurekit (pk_…).",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "procurekit API",
        description = "London's technology procurement toolkit. Public data is readable without a token; anything shared only with London authorities or private to an organisation needs a token of a user who may see it.",
        license(name = "MIT")
    ),
    paths(me),
    modifiers(&TokenScheme),
    tags((name = "accounts", description = "The caller's account"))
)]
pub struct ApiDoc;

/// The whole API's description: the shared routes here, merged with each live capability's.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for cap in crate::capabilities::live() {
        doc.merge((cap.openapi)());
    }
    doc
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
}
