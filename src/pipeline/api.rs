//! The pipeline's JSON API.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::board::{self, BoardQuery, Opportunity};
use super::matching::{self, Candidate};
use super::store::{self, ChecklistItem, Notice, Procurement};
use crate::web::api::ApiCaller;
use crate::web::{ApiError, AppState};

#[derive(Serialize, ToSchema)]
pub struct OpportunityPage {
    pub total: i64,
    pub page: i64,
    pub opportunities: Vec<Opportunity>,
}

/// The opportunities board: published procurements the caller may see, with the board's
/// filters (q, borough, cpv, band, from, to, stage, status, sme, sort, page).
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "pipeline",
    params(
        ("q" = Option<String>, Query, description = "Keywords in title or need"),
        ("borough" = Option<String>, Query, description = "Authority slug, e.g. camden"),
        ("cpv" = Option<String>, Query, description = "CPV code or its leading digits, e.g. 72"),
        ("band" = Option<String>, Query, description = "under-30k, 30k-to-threshold, threshold-to-2m, over-2m"),
        ("from" = Option<String>, Query, description = "Expected tender date from, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Expected tender date to, YYYY-MM-DD"),
        ("sme" = Option<String>, Query, description = "1 for SME-suitable only"),
        ("page" = Option<i64>, Query, description = "Page, from 1")
    ),
    responses((status = 200, body = OpportunityPage)))]
pub async fn opportunities(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<OpportunityPage>, ApiError> {
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let q = BoardQuery::parse(&pairs);
    if !q.ignored.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "not understood: {}",
            q.ignored.join("; ")
        )));
    }
    let r = board::search(&state.db, &caller.viewer(), &q, None).await?;
    Ok(Json(OpportunityPage {
        total: r.total,
        page: q.page,
        opportunities: r
            .items
            .iter()
            .map(|p| Opportunity::from(p, &state.config.public_url))
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProcurementDetail {
    #[serde(flatten)]
    pub procurement: Procurement,
    pub notices: Vec<Notice>,
    /// The checklist, for the owning organisation only.
    pub checklist: Option<Vec<ChecklistItem>>,
}

/// One procurement, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/procurements/{id}", tag = "pipeline", security((), ("token" = [])),
    params(("id" = i64, Path, description = "Procurement id")),
    responses((status = 200, body = ProcurementDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn procurement(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<ProcurementDetail>, ApiError> {
    let viewer = caller.viewer();
    let p = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let checklist = if viewer.can_edit(p.org_id) {
        Some(store::checklist(&state.db, p.id).await?)
    } else {
        None
    };
    Ok(Json(ProcurementDetail {
        notices: store::notices(&state.db, p.id).await?,
        checklist,
        procurement: p,
    }))
}

/// The caller's organisation's procurements.
#[utoipa::path(get, path = "/api/v1/procurements", tag = "pipeline", security(("token" = [])),
    responses((status = 200, body = Vec<Procurement>), (status = 401, body = crate::web::error::Problem)))]
pub async fn procurements(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<Procurement>>, ApiError> {
    let user = caller.require_user()?;
    Ok(Json(store::list_for_org(&state.db, user.org_id).await?))
}

/// Who else is buying this: ranked collaboration opportunities with their reasons, for the
/// procurement's own organisation.
#[utoipa::path(get, path = "/api/v1/procurements/{id}/matches", tag = "pipeline", security(("token" = [])),
    params(("id" = i64, Path, description = "Procurement id")),
    responses((status = 200, body = Vec<Candidate>), (status = 404, body = crate::web::error::Problem)))]
pub async fn matches(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Candidate>>, ApiError> {
    let user = caller.require_user()?;
    let p = store::get_own(&state.db, user, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(matching::find(&state.db, &caller.viewer(), &p).await?))
}

#[derive(OpenApi)]
#[openapi(
    paths(opportunities, procurements, procurement, matches),
    tags((name = "pipeline", description = "Procurements, the London pipeline and the opportunities board"))
)]
pub struct PipelineApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/opportunities", get(opportunities))
        .route("/api/v1/procurements", get(procurements))
        .route("/api/v1/procurements/{id}", get(procurement))
        .route("/api/v1/procurements/{id}/matches", get(matches))
}
