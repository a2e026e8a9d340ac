//! The contracts JSON API under `/api/v1/contracts`: an organisation's contracts and what needs
//! attention, one contract with its parts, KPI measurements (readable, and writable with an
//! API token so a performance system can send them), contract performance notices, and
//! supplier insight.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::act::{self, Assessment, Duties, PerformanceNotice};
use super::attention::{self, Attention, ContractSummary};
use super::insight::{self, Insight};
use super::store::{
    self, Action, Contract, ContractError, Extension, Kpi, Measurement, MeasurementInput, Review,
    Risk,
};
use super::{ActionKind, parse_number};
use crate::accounts::{OrgKind, User};
use crate::web::api::ApiCaller;
use crate::web::{ApiError, AppState};

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn require_member(caller: &ApiCaller) -> Result<&User, ApiError> {
    let user = caller.require_user()?;
    if matches!(user.org_kind, OrgKind::Borough | OrgKind::Convenor) {
        Ok(user)
    } else {
        Err(ApiError::Forbidden(
            "contracts are managed by London authorities; suppliers can read their ratings at /api/v1/contracts/suppliers/{id}/ratings",
        ))
    }
}

async fn visible(state: &AppState, caller: &ApiCaller, id: i64) -> Result<Contract, ApiError> {
    store::get(&state.db, &caller.viewer(), id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The caller's organisation's contracts, each with its Procurement Act position.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", security(("token" = [])),
    responses((status = 200, body = Vec<ContractSummary>), (status = 401, body = crate::web::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<ContractSummary>>, ApiError> {
    let user = require_member(&caller)?;
    let o = attention::overview(
        &state.db,
        user.org_id,
        today(),
        attention::DEFAULT_WINDOW_DAYS,
    )
    .await?;
    Ok(Json(o.contracts))
}

#[derive(Deserialize)]
pub struct WithinQuery {
    within: Option<String>,
}

/// What needs attention across the caller's organisation's contracts: KPIs missing target,
/// overdue actions and improvements, dates within `within` days (90 by default), Procurement
/// Act gaps and open red risks.
#[utoipa::path(get, path = "/api/v1/contracts/attention", tag = "contracts", security(("token" = [])),
    params(("within" = Option<i64>, Query, description = "Days ahead to look for dates, 1 to 730 (default 90)")),
    responses((status = 200, body = Attention), (status = 400, body = crate::web::error::Problem)))]
pub async fn attention_now(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<WithinQuery>,
) -> Result<Json<Attention>, ApiError> {
    let user = require_member(&caller)?;
    let window = attention::parse_window(q.within.as_deref()).map_err(ApiError::BadRequest)?;
    let o = attention::overview(&state.db, user.org_id, today(), window).await?;
    Ok(Json(o.attention))
}

#[derive(Serialize, ToSchema)]
pub struct ContractDetail {
    #[serde(flatten)]
    pub contract: Contract,
    pub duties: Duties,
    pub extensions: Vec<Extension>,
    pub kpis: Vec<KpiWithStatus>,
    pub reviews: Vec<Review>,
    pub actions: Vec<Action>,
    pub improvements: Vec<Action>,
    pub risks: Vec<Risk>,
}

#[derive(Serialize, ToSchema)]
pub struct KpiWithStatus {
    #[serde(flatten)]
    pub kpi: Kpi,
    pub status: super::KpiStatus,
}

/// One contract with its parts, if the caller may see it (its organisation, or any London
/// authority when it is shared with London).
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", security(("token" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = ContractDetail), (status = 404, body = crate::web::error::Problem)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<ContractDetail>, ApiError> {
    let c = visible(&state, &caller, id).await?;
    let kpis = store::kpis(&state.db, c.id).await?;
    let duties = act::duties_for(&state.db, &c, kpis.len(), today()).await?;
    Ok(Json(ContractDetail {
        duties,
        extensions: store::extensions(&state.db, c.id).await?,
        kpis: kpis
            .into_iter()
            .map(|k| KpiWithStatus {
                status: k.status(),
                kpi: k,
            })
            .collect(),
        reviews: store::reviews(&state.db, c.id).await?,
        actions: store::actions(&state.db, c.id, ActionKind::Action).await?,
        improvements: store::actions(&state.db, c.id, ActionKind::Improvement).await?,
        risks: store::risks(&state.db, c.id).await?,
        contract: c,
    }))
}

/// A KPI's measurements, newest first.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/kpis/{kpi}/measurements", tag = "contracts", security(("token" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("kpi" = i64, Path, description = "KPI id")),
    responses((status = 200, body = Vec<Measurement>), (status = 404, body = crate::web::error::Problem)))]
pub async fn measurements(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, kid)): Path<(i64, i64)>,
) -> Result<Json<Vec<Measurement>>, ApiError> {
    let c = visible(&state, &caller, id).await?;
    let k = store::kpi(&state.db, c.id, kid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(store::measurements(&state.db, k.id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewMeasurement {
    /// The last day of the period measured, YYYY-MM-DD.
    pub period_end: String,
    /// The measurement, as a number (or text like "95.5%").
    pub value: serde_json::Value,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Records a measurement of a KPI (for a performance or BI system). Needs an API token of a
/// user of the organisation that manages the contract.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/kpis/{kpi}/measurements", tag = "contracts", security(("token" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("kpi" = i64, Path, description = "KPI id")),
    request_body = NewMeasurement,
    responses((status = 201, body = Created), (status = 400, body = crate::web::error::Problem),
        (status = 403, body = crate::web::error::Problem), (status = 404, body = crate::web::error::Problem)))]
pub async fn add_measurement(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: ApiCaller,
    Path((id, kid)): Path<(i64, i64)>,
    body: Result<Json<NewMeasurement>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    // Writes come from programs with a token, not from a browser session a page could ride.
    if !headers.contains_key(header::AUTHORIZATION) {
        return Err(ApiError::Unauthorized);
    }
    let user = require_member(&caller)?.clone();
    let c = visible(&state, &caller, id).await?;
    if !caller.viewer().can_edit(c.org_id) {
        return Err(ApiError::Forbidden(
            "only the organisation that manages a contract can record its measurements",
        ));
    }
    let k = store::kpi(&state.db, c.id, kid)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Json(m) = body.map_err(|e| {
        ApiError::BadRequest(format!("the body is not a measurement: {}", e.body_text()))
    })?;
    let period_end = NaiveDate::parse_from_str(m.period_end.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "period_end {:?} is not a date: write it as YYYY-MM-DD",
            m.period_end
        ))
    })?;
    if period_end > today() {
        return Err(ApiError::BadRequest(
            "period_end is in the future: record a measurement once its period is over".into(),
        ));
    }
    let value = match &m.value {
        serde_json::Value::Number(n) => n.as_f64().filter(|v| v.is_finite()),
        serde_json::Value::String(s) => parse_number(s).ok(),
        _ => None,
    }
    .ok_or_else(|| ApiError::BadRequest("value must be a number, like 95.5".into()))?;
    if m.note.chars().count() > 2000 {
        return Err(ApiError::BadRequest(
            "note must be 2,000 characters or fewer".into(),
        ));
    }
    match store::add_measurement(
        &state.db,
        &user,
        &c,
        &k,
        &MeasurementInput {
            period_end,
            value,
            note: m.note,
        },
    )
    .await
    {
        Ok(id) => Ok((StatusCode::CREATED, Json(Created { id }))),
        Err(ContractError::DuplicatePeriod) => Err(ApiError::BadRequest(format!(
            "there is already a measurement for the period ending {period_end}"
        ))),
        Err(ContractError::Db(e)) => Err(e.into()),
        Err(other) => Err(ApiError::BadRequest(other.to_string())),
    }
}

/// A contract's performance assessments (drafts and published), newest first.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/performance-notices", tag = "contracts", security(("token" = [])),
    params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = Vec<Assessment>), (status = 404, body = crate::web::error::Problem)))]
pub async fn assessments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Assessment>>, ApiError> {
    let c = visible(&state, &caller, id).await?;
    Ok(Json(act::assessments(&state.db, c.id).await?))
}

/// The data for a contract performance notice (Procurement Act 2023 s71; Procurement
/// Regulations 2024 reg. 39), with what must still be completed on Find a Tender.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/performance-notices/{assessment}", tag = "contracts", security(("token" = [])),
    params(("id" = i64, Path, description = "Contract id"), ("assessment" = i64, Path, description = "Assessment id")),
    responses((status = 200, body = PerformanceNotice), (status = 404, body = crate::web::error::Problem)))]
pub async fn notice(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Json<PerformanceNotice>, ApiError> {
    let c = visible(&state, &caller, id).await?;
    let a = act::assessments(&state.db, c.id)
        .await?
        .into_iter()
        .find(|a| a.id == aid)
        .ok_or(ApiError::NotFound)?;
    let kpis = store::kpis(&state.db, c.id).await?;
    Ok(Json(act::notice(&state.db, &c, &a, &kpis).await?))
}

/// A supplier's ratings by London authorities. London authorities and the convenor see every
/// rating with its borough; the supplier's own users see the aggregate and notes only, once at
/// least two boroughs have rated it; anyone else gets 404.
#[utoipa::path(get, path = "/api/v1/contracts/suppliers/{id}/ratings", tag = "contracts", security(("token" = [])),
    params(("id" = i64, Path, description = "Supplier register id")),
    responses((status = 200, body = Insight), (status = 404, body = crate::web::error::Problem)))]
pub async fn ratings(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(sid): Path<i64>,
) -> Result<Json<Insight>, ApiError> {
    caller.require_user()?;
    insight::insight(&state.db, &caller.viewer(), sid)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

#[derive(OpenApi)]
#[openapi(
    paths(list, attention_now, detail, measurements, add_measurement, assessments, notice, ratings),
    tags((name = "contracts", description = "Contract management, Procurement Act performance notices and supplier insight"))
)]
pub struct ContractsApi;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contracts", get(list))
        .route("/api/v1/contracts/attention", get(attention_now))
        .route("/api/v1/contracts/{id}", get(detail))
        .route(
            "/api/v1/contracts/{id}/kpis/{kpi}/measurements",
            get(measurements).post(add_measurement),
        )
        .route(
            "/api/v1/contracts/{id}/performance-notices",
            get(assessments),
        )
        .route(
            "/api/v1/contracts/{id}/performance-notices/{assessment}",
            get(notice),
        )
        .route("/api/v1/contracts/suppliers/{id}/ratings", get(ratings))
}
