//! The engagement capability's pages: the market hub, supplier registration and profiles, the
//! supplier directory, the pitch inbox and market engagement events.

mod events;
mod pitches;
mod suppliers;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::Category;
use crate::accounts::{OrgKind, Role, User};
use crate::web::auth::Auth;
use crate::web::form::Errors;
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/market", get(market))
        .route(
            "/engagement",
            get(|| async { axum::response::Redirect::permanent("/market") }),
        )
        .route(
            "/suppliers/register",
            get(suppliers::register_form).post(suppliers::register),
        )
        .route(
            "/suppliers/verify/{token}",
            get(suppliers::verify_form).post(suppliers::verify),
        )
        .route("/suppliers", get(suppliers::directory))
        .route("/suppliers/{id}", get(suppliers::show))
        .route("/suppliers/{id}/verify", post(suppliers::mark_verified))
        .route(
            "/market/profile",
            get(suppliers::profile_form).post(suppliers::save_profile),
        )
        .route("/market/profile/products", post(suppliers::add_product))
        .route(
            "/market/profile/products/{id}/delete",
            post(suppliers::delete_product),
        )
        .route(
            "/market/profile/colleagues",
            post(suppliers::invite_colleague),
        )
        .route(
            "/market/profile/case-studies",
            post(suppliers::add_case_study),
        )
        .route(
            "/market/profile/case-studies/{id}/delete",
            post(suppliers::delete_case_study),
        )
        .route(
            "/market/settings",
            get(pitches::settings_form).post(pitches::save_settings),
        )
        .route("/pitches", get(pitches::list))
        .route("/pitches/new", get(pitches::new_form).post(pitches::submit))
        .route("/pitches/{id}", get(pitches::show))
        .route("/pitches/{id}/triage", post(pitches::triage))
        .route("/pitches/{id}/notes", post(pitches::add_note))
        .route("/pitches/{id}/withdraw", post(pitches::withdraw))
        .route("/engagements", get(events::list))
        .route(
            "/engagements/new",
            get(events::new_form).post(events::create),
        )
        .route("/engagements/{id}", get(events::show))
        .route(
            "/engagements/{id}/edit",
            get(events::edit_form).post(events::edit),
        )
        .route("/engagements/{id}/questions", post(events::add_question))
        .route(
            "/engagements/{id}/questions/{qid}/delete",
            post(events::delete_question),
        )
        .route("/engagements/{id}/partners", post(events::add_partner))
        .route("/engagements/{id}/open", post(events::open))
        .route("/engagements/{id}/cancel", post(events::cancel))
        .route("/engagements/{id}/register", post(events::register))
        .route("/engagements/{id}/unregister", post(events::unregister))
        .route("/engagements/{id}/answers", post(events::save_answers))
        .route("/engagements/{id}/ask", post(events::ask))
        .route(
            "/engagements/{id}/clarifications/{cid}",
            post(events::answer),
        )
        .route("/engagements/{id}/outcome", post(events::outcome))
        .route("/engagements/{id}/notice", get(events::notice))
        .route("/engagements/{id}/notice.json", get(events::notice_json))
}

pub(crate) fn html(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

pub(crate) fn status_for(errors: &Errors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The page title, with the "Error: " prefix GOV.UK uses when a form comes back with errors.
pub(crate) fn title_for(errors: &Errors, title: &str) -> String {
    if errors.is_empty() {
        title.to_owned()
    } else {
        format!("Error: {title}")
    }
}

/// Values ticked on a form, for checkboxes to show them again.
#[derive(Debug, Clone, Default)]
pub struct Chosen(pub Vec<String>);

impl Chosen {
    pub fn has(&self, v: &str) -> bool {
        self.0.iter().any(|c| c == v)
    }

    /// True when any of `c` is ticked: a group inside a collapsed division shows itself.
    pub fn has_any(&self, c: &[Category]) -> bool {
        c.iter().any(|c| self.has(c.as_str()))
    }

    pub fn from_categories(c: &[Category]) -> Chosen {
        Chosen(c.iter().map(|c| c.as_str().to_owned()).collect())
    }
}

/// People of a supplier organisation.
pub(crate) fn require_supplier<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if user.org_kind == OrgKind::Supplier {
        Ok(user)
    } else {
        Err(PageError::Forbidden(
            "This is for suppliers. London authorities see pitches in their inbox and suppliers in the directory.",
        ))
    }
}

/// Officers of London authorities and the convenor.
pub(crate) fn require_london<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if matches!(user.org_kind, OrgKind::Borough | OrgKind::Convenor) {
        Ok(user)
    } else {
        Err(PageError::Forbidden(
            "This is for London authorities and the convenor.",
        ))
    }
}

/// Parses the category picker's ticks and its "other codes" box into categories, or the
/// message for the field.
pub(crate) fn parse_categories(
    ticked: &[&str],
    other: &str,
    max: usize,
) -> Result<Vec<Category>, String> {
    let mut out: Vec<Category> = Vec::new();
    for t in ticked {
        match Category::parse(t) {
            Ok(c) if !out.contains(&c) => out.push(c),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    match Category::parse_list(other) {
        Ok(more) => {
            for c in more {
                if !out.contains(&c) {
                    out.push(c)
                }
            }
        }
        Err(bad) => {
            return Err(bad
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "));
        }
    }
    if out.len() > max {
        return Err(format!(
            "Choose at most {max} categories (you chose {}): pick the ones closest to what you do",
            out.len()
        ));
    }
    Ok(out)
}

/// The typed "other codes" for categories not offered as tick boxes.
pub(crate) fn other_categories_text(c: &[Category]) -> String {
    let offered: Vec<String> = Category::picker()
        .into_iter()
        .flat_map(|(d, g)| std::iter::once(d).chain(g))
        .map(|c| c.as_str().to_owned())
        .collect();
    c.iter()
        .filter(|c| !offered.iter().any(|o| o == c.as_str()))
        .map(|c| c.as_str().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "engagement/templates/market.html")]
struct MarketPage {
    layout: Layout,
    is_supplier: bool,
    is_borough: bool,
    is_convenor: bool,
    is_org_admin: bool,
    is_platform_admin: bool,
    open_events: Vec<super::events::Engagement>,
    my_pitches: Vec<super::pitches::SupplierPitch>,
    inbox_new: usize,
    inbox_overdue: usize,
    awaiting_verification: i64,
    interests: Vec<Category>,
}

async fn market(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let user = auth.user.clone();
    let open_events: Vec<_> = super::events::list(&state.db, &viewer)
        .await?
        .into_iter()
        .filter(|e| e.accepts_suppliers())
        .take(10)
        .collect();
    let mut page = MarketPage {
        layout: Layout::new(&auth, "Market")
            .nav("market")
            .crumb("Home", "/"),
        is_supplier: user
            .as_ref()
            .is_some_and(|u| u.org_kind == OrgKind::Supplier),
        is_borough: user
            .as_ref()
            .is_some_and(|u| u.org_kind == OrgKind::Borough),
        is_convenor: user
            .as_ref()
            .is_some_and(|u| u.org_kind == OrgKind::Convenor),
        is_org_admin: user.as_ref().is_some_and(|u| u.role == Role::OrgAdmin),
        is_platform_admin: user.as_ref().is_some_and(|u| u.role == Role::PlatformAdmin),
        open_events,
        my_pitches: Vec::new(),
        inbox_new: 0,
        inbox_overdue: 0,
        awaiting_verification: 0,
        interests: Vec::new(),
    };
    if let Some(u) = &user {
        match u.org_kind {
            OrgKind::Supplier => {
                page.my_pitches = super::pitches::for_supplier(&state.db, u.org_id).await?;
            }
            OrgKind::Borough | OrgKind::Convenor => {
                let inbox = super::pitches::inbox(&state.db, u, &Default::default()).await?;
                page.inbox_new = inbox
                    .iter()
                    .filter(|i| i.status == super::TriageStatus::New)
                    .count();
                page.inbox_overdue = inbox
                    .iter()
                    .filter(|i| i.is_overdue() && i.pitch_status == "submitted")
                    .count();
                page.interests = super::pitches::interests(&state.db, u.org_id).await?;
                if u.role == Role::PlatformAdmin {
                    let q = super::suppliers::DirectoryQuery {
                        verified: super::suppliers::VerifiedFilter::Awaiting,
                        page: 1,
                        ..Default::default()
                    };
                    page.awaiting_verification =
                        super::suppliers::directory(&state.db, &viewer, &q).await?.1;
                }
            }
            OrgKind::OtherPublicBody => {}
        }
    }
    html(StatusCode::OK, page)
}
