//! The home page, which routes each kind of user to what they need, and the about page.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::auth::Auth;
use super::layout::Layout;
use super::{AppState, PageError};
use crate::guide::content::Section;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/about", get(about))
}

#[derive(Template)]
#[template(path = "web/templates/home.html")]
struct HomePage {
    layout: Layout,
    stages: Vec<(Section, usize)>,
    pages: usize,
    templates: usize,
    problems: usize,
}

async fn home(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let c = &state.content;
    let page = HomePage {
        layout: Layout::new(&auth, ""),
        stages: Section::ALL
            .into_iter()
            .filter(|s| s.is_stage())
            .map(|s| (s, c.pages_in(s).count()))
            .collect(),
        pages: c.pages.len(),
        templates: c.templates.len(),
        problems: c.problems.len(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "web/templates/about.html")]
struct AboutPage {
    layout: Layout,
    version: &'static str,
}

async fn about(auth: Auth) -> Result<Response, PageError> {
    let page = AboutPage {
        layout: Layout::new(&auth, "About procurekit").crumb("Home", "/"),
        version: env!("CARGO_PKG_VERSION"),
    };
    Ok(Html(page.render()?).into_response())
}
