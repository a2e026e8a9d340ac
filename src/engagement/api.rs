//! The engagement capability's JSON API: market engagement events and their notice data, and
//! pitches as the caller may see them.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::events::{self, Engagement};
use super::notice::{self, PreliminaryMarketEngagementNotice};
use super::pitches::{self, InboxItem, Note, Pitch, Route, SupplierPitch};
use crate::accounts::OrgKind;
use crate::web::api::ApiCaller;
use crate::web::{ApiError, AppState};

/// Market engagement events the caller may see: open and past ones for anyone, drafts for the
/// boroughs running them.
#[utoipa::path(get, path = "/api/v1/engagements", tag = "engagement", security((), ("token" = [])),
    responses((status = 200, body = Vec<Engagement>)))]
pub async fn engagements(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<Engagement>>, ApiError> {
    Ok(Json(events::list(&state.db, &caller.viewer()).await?))
}

/// The data of the event's preliminary market engagement notice (UK2), under the Procurement
/// Act 2023 s17 and the Procurement Regulations 2024 reg 17.
#[utoipa::path(get, path = "/api/v1/engagements/{id}/notice", tag = "engagement", security((), ("token" = [])),
    params(("id" = i64, Path, description = "Engagement id")),
    responses((status = 200, body = PreliminaryMarketEngagementNotice), (status = 404, body = crate::web::error::Problem)))]
pub async fn engagement_notice(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<PreliminaryMarketEngagementNotice>, ApiError> {
    let viewer = caller.viewer();
    let e = events::get(&state.db, &viewer, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let procurement = match e.procurement_id {
        Some(p) => crate::pipeline::store::get(&state.db, &viewer, p).await?,
        None => None,
    };
    Ok(Json(notice::build(
        &e,
        procurement.as_ref(),
        &events::partners(&state.db, id).await?,
        &events::questions(&state.db, id).await?,
    )))
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum PitchList {
    /// A supplier's own pitches.
    Sent(Vec<SupplierPitch>),
    /// A borough's inbox.
    Inbox(Vec<InboxItem>),
}

/// The caller's pitches: a supplier's own, or a borough's inbox.
#[utoipa::path(get, path = "/api/v1/pitches", tag = "engagement", security(("token" = [])),
    responses((status = 200, body = PitchList), (status = 401, body = crate::web::error::Problem)))]
pub async fn pitch_list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<PitchList>, ApiError> {
    let user = caller.require_user()?;
    Ok(Json(if user.org_kind == OrgKind::Supplier {
        PitchList::Sent(pitches::for_supplier(&state.db, user.org_id).await?)
    } else {
        PitchList::Inbox(pitches::inbox(&state.db, user, &Default::default()).await?)
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PitchDetail {
    #[serde(flatten)]
    pub pitch: Pitch,
    pub categories: Vec<String>,
    pub problems: Vec<String>,
    /// Each borough's triage the caller may see (the supplier: all; a borough: its own and
    /// those shared with it).
    pub triage: Vec<Route>,
    /// The caller's own borough's internal notes (empty for anyone else).
    pub notes: Vec<Note>,
}

/// One pitch, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/pitches/{id}", tag = "engagement", security(("token" = [])),
    params(("id" = i64, Path, description = "Pitch id")),
    responses((status = 200, body = PitchDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn pitch(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<PitchDetail>, ApiError> {
    caller.require_user()?;
    let viewer = caller.viewer();
    let p = pitches::get(&state.db, &viewer, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(PitchDetail {
        categories: pitches::categories(&state.db, id)
            .await?
            .into_iter()
            .map(String::from)
            .collect(),
        problems: pitches::problems(&state.db, id).await?,
        triage: pitches::routes(&state.db, &viewer, id).await?,
        notes: pitches::notes(&state.db, &viewer, id).await?,
        pitch: p,
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(engagements, engagement_notice, pitch_list, pitch),
    tags((name = "engagement", description = "Market engagement and the pitch inbox"))
)]
pub struct EngagementApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/engagements", get(engagements))
        .route("/api/v1/engagements/{id}/notice", get(engagement_notice))
        .route("/api/v1/pitches", get(pitch_list))
        .route("/api/v1/pitches/{id}", get(pitch))
}
