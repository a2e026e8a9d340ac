//! The web door: router, middleware, sign-in state, errors, layout and static assets. It knows
//! nothing about any one capability; each capability hands it a router.

pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod filters;
pub mod form;
pub mod health;
pub mod home;
pub mod layout;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::from_fn_with_state;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::db::Db;
use crate::guide::Content;

pub use error::{ApiError, PageError};

/// Everything a handler needs, cheap to clone into every request.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub content: Arc<Content>,
}

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids are random, short enough to read out over the phone to support.
#[derive(Clone, Default)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 8];
        rand::fill(&mut bytes);
        let id = crate::accounts::session::hex(&bytes);
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// Forms and JSON bodies are small; uploads set their own, larger limit on their routes.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .merge(home::routes())
        .merge(crate::accounts::web::routes())
        .merge(crate::notify::web::routes())
        .merge(api::routes());
    for cap in crate::capabilities::live() {
        app = app.merge((cap.routes)());
    }
    let app = app.layer(from_fn_with_state(state.clone(), auth::load_session));

    // A strict policy: every script and style is served by us, nothing inline, nothing
    // third-party. It is what lets officers trust pages that show other boroughs' data.
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
               font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; \
               base-uri 'self'; object-src 'none'";

    Router::new()
        .merge(app)
        .route("/static/{*path}", axum::routing::get(assets::serve))
        .route("/healthz", axum::routing::get(health::healthz))
        .route("/readyz", axum::routing::get(health::readyz))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(DEFAULT_BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), RandomRequestId))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let background = state
        .config
        .jobs_every
        .map(|every| crate::jobs::spawn(state.clone(), every));
    let result = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    if let Some(b) = background {
        b.abort();
    }
    result
}
