//! The governance profiles and the demo plan as JSON.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::governance::{BodyKind, DayCount, GateKind};
use super::store;
use crate::visibility::Visibility;
use crate::web::api::ApiCaller;
use crate::web::{ApiError, AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/joint/governance", get(list))
        .route("/api/v1/joint/governance/{slug}", get(detail))
        .route("/api/v1/joint/planner", get(planner))
}

#[derive(Serialize, ToSchema)]
pub struct ProfileSummary {
    /// The organisation's slug, like `camden`.
    pub organisation: String,
    pub name: String,
    pub visibility: Visibility,
    /// True for an example profile, not the borough's real constitution.
    pub is_example: bool,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct BodyJson {
    pub id: i64,
    pub name: String,
    pub kind: BodyKind,
    /// Recurring rules in their canonical text, like "second Tuesday monthly".
    pub meeting_rules: Vec<String>,
    pub extra_dates: Vec<NaiveDate>,
    pub cancelled_dates: Vec<NaiveDate>,
    /// Working days before the meeting by which papers must be in.
    pub paper_deadline_working_days: u32,
    pub call_in_days: u32,
    pub call_in_counted_in: DayCount,
    /// The next usable meetings (scheduled, not cancelled, not a bank holiday, outside
    /// blackouts), from today.
    pub next_meetings: Vec<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct GateJson {
    pub gate: GateKind,
    pub body_id: i64,
    /// Applies from this value (pence, inclusive)…
    pub min_pence: i64,
    /// …up to this value (pence, exclusive); null for no limit.
    pub max_pence: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct BlackoutJson {
    pub label: String,
    pub start: NaiveDate,
    /// Inclusive.
    pub end: NaiveDate,
    /// Repeats on the same dates every year.
    pub yearly: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileJson {
    #[serde(flatten)]
    pub summary: ProfileSummary,
    pub notes: String,
    pub bodies: Vec<BodyJson>,
    pub gates: Vec<GateJson>,
    pub blackouts: Vec<BlackoutJson>,
}

fn summary(m: &store::ProfileMeta) -> ProfileSummary {
    ProfileSummary {
        organisation: m.org_slug.clone(),
        name: m.org_name.clone(),
        visibility: m.visibility,
        is_example: m.is_example,
        url: format!("/joint/governance/{}", m.org_slug),
    }
}

/// Governance profiles the caller may see.
#[utoipa::path(get, path = "/api/v1/joint/governance", tag = "joint", security((), ("token" = [])),
    responses((status = 200, body = Vec<ProfileSummary>)))]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<ProfileSummary>>, ApiError> {
    let rows = store::list(&state.db, &caller.viewer()).await?;
    Ok(Json(rows.iter().map(summary).collect()))
}

/// One borough's governance profile: gates, approving bodies and their calendars, blackouts.
#[utoipa::path(get, path = "/api/v1/joint/governance/{slug}", tag = "joint", security((), ("token" = [])),
    params(("slug" = String, Path, description = "The organisation's slug, like camden")),
    responses((status = 200, body = ProfileJson), (status = 404, body = crate::web::error::Problem)))]
pub async fn detail(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(slug): Path<String>,
) -> Result<Json<ProfileJson>, ApiError> {
    let p = store::get(&state.db, &caller.viewer(), &slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    let today = chrono::Utc::now().date_naive();
    let profile = &p.profile;
    Ok(Json(ProfileJson {
        summary: summary(&p.meta),
        notes: p.meta.notes.clone(),
        bodies: profile
            .bodies
            .iter()
            .map(|b| BodyJson {
                id: b.id,
                name: b.name.clone(),
                kind: b.kind,
                meeting_rules: b.calendar.rules.iter().map(ToString::to_string).collect(),
                extra_dates: b.calendar.extra.iter().copied().collect(),
                cancelled_dates: b.calendar.cancelled.iter().copied().collect(),
                paper_deadline_working_days: b.paper_deadline_days,
                call_in_days: b.call_in.days,
                call_in_counted_in: b.call_in.count,
                next_meetings: profile.next_meetings(b, today, 6),
            })
            .collect(),
        gates: profile
            .gates
            .iter()
            .map(|g| GateJson {
                gate: g.gate,
                body_id: g.body_id,
                min_pence: g.min_pence,
                max_pence: g.max_pence,
            })
            .collect(),
        blackouts: profile
            .blackouts
            .iter()
            .map(|b| BlackoutJson {
                label: b.label.clone(),
                start: b.start,
                end: b.end,
                yearly: b.yearly,
            })
            .collect(),
    }))
}

/// The demo joint procurement planned with the profiles the caller can see. Takes the same
/// query as the planner page: `start=2027-01-04`, repeated `cancel=camden:BODY_ID:2027-02-10`
/// and `slip=award:2027-06-01`. Returns the plan (every milestone's date, each partner's
/// approvals with meeting, paper deadline, call-in and slack, the critical path, problems)
/// and what moved compared with the plan without changes.
#[utoipa::path(get, path = "/api/v1/joint/planner", tag = "joint", security(("token" = [])),
    responses((status = 200, description = "The plan and what moved", body = Object),
        (status = 401, body = crate::web::error::Problem)))]
pub async fn planner(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require_user()?;
    let q = super::web::PlannerQuery::parse(raw.as_deref());
    if let Some(e) = q.errors.iter().next() {
        return Err(ApiError::BadRequest(e.message.clone()));
    }
    let demo = super::web::demo_plan(&state, &caller.viewer(), &q)
        .await
        .map_err(|e| match e {
            PageError::BadRequest(m) => ApiError::BadRequest(m),
            other => ApiError::Internal(other.to_string()),
        })?;
    Ok(Json(serde_json::json!({
        "start": demo.start,
        "partners": demo.partners.iter().map(|p| serde_json::json!({"organisation": p.slug(), "name": p.name(), "value_pence": p.value_pence, "is_example": p.profile.is_example})).collect::<Vec<_>>(),
        "plan": demo.plan,
        "moved": demo.moved,
    })))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, detail, planner),
    components(schemas(ProfileSummary, ProfileJson, BodyJson, GateJson, BlackoutJson)),
    tags((name = "joint", description = "Governance profiles and the joint procurement timeline planner"))
)]
pub struct JointApi;
