//! Supplier insight pages: the suppliers London authorities have rated, a supplier's profile
//! (as London sees it, or as the supplier itself sees it), and a supplier's own start page.
//! What each viewer gets is decided by `contracts::insight`, not here.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::html;
use crate::accounts::OrgKind;
use crate::contracts::Aspect;
use crate::contracts::insight::{self, Insight, RatedSupplier, SupplierEntry};
use crate::contracts::store::{self, Contract};
use crate::web::auth::Auth;
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts/suppliers", get(suppliers))
        .route("/contracts/suppliers/{sid}", get(profile))
        .route("/contracts/insight", get(own_insight))
}

#[derive(Template)]
#[template(path = "contracts/templates/suppliers.html")]
struct SuppliersPage {
    layout: Layout,
    suppliers: Vec<RatedSupplier>,
}

async fn suppliers(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = auth.require_user("/contracts/suppliers")?;
    if user.org_kind == OrgKind::Supplier {
        return Ok(Redirect::to("/contracts/insight").into_response());
    }
    super::require_member(&auth, "/contracts/suppliers")?;
    html(
        StatusCode::OK,
        SuppliersPage {
            layout: Layout::new(&auth, "Supplier insight")
                .nav("contracts")
                .crumb("Home", "/")
                .crumb("Contracts", "/contracts"),
            suppliers: insight::rated_suppliers(&state.db, &auth.viewer()).await?,
        },
    )
}

#[derive(Template)]
#[template(path = "contracts/templates/insight.html")]
struct ProfilePage {
    layout: Layout,
    insight: Insight,
    aspects: [Aspect; 5],
    contracts: Vec<Contract>,
}

impl ProfilePage {
    fn supplier(&self) -> &SupplierEntry {
        match &self.insight {
            Insight::London { supplier, .. } | Insight::Supplier { supplier, .. } => supplier,
        }
    }
}

async fn profile(
    State(state): State<AppState>,
    auth: Auth,
    Path(sid): Path<i64>,
) -> Result<Response, PageError> {
    auth.require_user(&format!("/contracts/suppliers/{sid}"))?;
    let viewer = auth.viewer();
    let insight = insight::insight(&state.db, &viewer, sid)
        .await?
        .ok_or(PageError::NotFound)?;
    let (title, contracts, back) = match &insight {
        Insight::London { supplier, .. } => (
            format!("{}: supplier insight", supplier.name),
            store::list_for_supplier(&state.db, &viewer, sid).await?,
            ("Supplier insight", "/contracts/suppliers"),
        ),
        Insight::Supplier { .. } => (
            "What London authorities say about you".to_owned(),
            Vec::new(),
            ("Your ratings", "/contracts/insight"),
        ),
    };
    html(
        StatusCode::OK,
        ProfilePage {
            layout: Layout::new(&auth, title)
                .nav("contracts")
                .crumb("Home", "/")
                .crumb(back.0, back.1),
            insight,
            aspects: Aspect::ALL,
            contracts,
        },
    )
}

#[derive(Template)]
#[template(path = "contracts/templates/own_insight.html")]
struct OwnPage {
    layout: Layout,
    entries: Vec<SupplierEntry>,
}

async fn own_insight(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = auth.require_user("/contracts/insight")?;
    if user.org_kind != OrgKind::Supplier {
        return Ok(Redirect::to("/contracts/suppliers").into_response());
    }
    html(
        StatusCode::OK,
        OwnPage {
            layout: Layout::new(&auth, "What London authorities say about you")
                .nav("contracts")
                .crumb("Home", "/"),
            entries: insight::entries_of_supplier_org(&state.db, &auth.viewer()).await?,
        },
    )
}
