//! Procurement Act 2023 performance assessments: where a contract stands with sections 52 and
//! 71, drafting an assessment (each KPI rated, with a suggestion from its measurements), the
//! contract performance notice it makes (page and JSON), and recording its publication.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Days, NaiveDate};

use super::form::{self, FormData, Options, options};
use super::{Done, html, own, status_for, title_for, today, visible};
use crate::contracts::PerformanceRating;
use crate::contracts::act::{self, Assessment, AssessmentInput, Duties, PerformanceNotice};
use crate::contracts::store::{self, Contract, Kpi};
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/contracts/{id}/performance",
            get(performance).post(create_assessment),
        )
        .route("/contracts/{id}/performance/{aid}", get(notice_page))
        .route(
            "/contracts/{id}/performance/{aid}/notice.json",
            get(notice_json),
        )
        .route("/contracts/{id}/performance/{aid}/publish", post(publish))
}

fn layout(auth: &Auth, title: String, c: &Contract) -> Layout {
    Layout::new(auth, title)
        .nav("contracts")
        .crumb("Home", "/")
        .crumb("Contracts", "/contracts")
        .crumb(c.title.clone(), c.url())
}

/// One KPI's line of the assessment form, with what its measurements suggest.
struct KpiLine {
    k: Kpi,
    latest_in_period: Option<f64>,
    suggested: Option<PerformanceRating>,
}

impl KpiLine {
    fn latest_text(&self) -> String {
        self.latest_in_period
            .map(|v| self.k.with_unit(v))
            .unwrap_or_else(|| "no measurement in the period".into())
    }
}

#[derive(Template)]
#[template(path = "contracts/templates/performance.html")]
struct PerformancePage {
    layout: Layout,
    c: Contract,
    duties: Duties,
    assessments: Vec<Assessment>,
    lines: Vec<KpiLine>,
    can_edit: bool,
    ratings: Options,
    v: FormData,
    errors: Errors,
    threshold: String,
}

impl PerformancePage {
    fn rating_field(&self, kpi_id: &i64) -> String {
        format!("rating-{kpi_id}")
    }

    fn comment_field(&self, kpi_id: &i64) -> String {
        format!("comment-{kpi_id}")
    }
}

/// The period a new assessment would cover: from the day after the last one (or the start of
/// the contract) to today.
fn default_period(
    c: &Contract,
    assessments: &[Assessment],
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let start = assessments
        .iter()
        .map(|a| a.period_end)
        .max()
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .or(c.start_date)
        .unwrap_or(today)
        .min(today);
    (start, today.min(c.end_date).max(start))
}

async fn performance_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<String>,
    v: Option<FormData>,
    errors: Errors,
) -> Result<Response, PageError> {
    let c = visible(state, auth, id).await?;
    let can_edit = auth.viewer().can_edit(c.org_id);
    let kpis = store::kpis(&state.db, c.id).await?;
    let today = today();
    let duties = act::duties_for(&state.db, &c, kpis.len(), today).await?;
    let assessments = act::assessments(&state.db, c.id).await?;
    let (start, end) = default_period(&c, &assessments, today);
    let mut lines = Vec::new();
    for k in kpis {
        let (latest_in_period, suggested) = act::suggestion(&state.db, &k, start, end).await?;
        lines.push(KpiLine {
            k,
            latest_in_period,
            suggested,
        });
    }
    let v = v.unwrap_or_else(|| {
        let mut v = FormData::default()
            .with_date("period_start", Some(start))
            .with_date("period_end", Some(end));
        for l in &lines {
            if let Some(s) = l.suggested {
                v.set(&format!("rating-{}", l.k.id), s.as_str());
            }
        }
        v
    });
    html(
        status_for(&errors),
        PerformancePage {
            layout: layout(
                auth,
                title_for("Performance and the Procurement Act", &errors),
                &c,
            )
            .notice(notice),
            can_edit,
            duties,
            assessments,
            lines,
            ratings: options(
                PerformanceRating::ALL,
                PerformanceRating::as_str,
                PerformanceRating::label,
            ),
            v,
            errors,
            threshold: act::KPI_VALUE_THRESHOLD.display(),
            c,
        },
    )
}

async fn performance(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "published" => Some("Publication recorded".to_owned()),
        _ => None,
    };
    performance_page(&state, &auth, id, notice, None, Errors::default()).await
}

async fn create_assessment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/performance");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let kpis = store::kpis(&state.db, c.id).await?;
    let v = FormData::from_fields(&fields);
    let mut e = Errors::default();
    if kpis.is_empty() {
        e.add(
            "period_start-day",
            "Add the contract's KPIs before assessing performance against them",
        );
    }
    let start = form::date(&v, "period_start", "The start of the period", true, &mut e);
    let end = form::date(&v, "period_end", "The end of the period", true, &mut e);
    if let (Some(s), Some(en)) = (start, end) {
        if en < s {
            e.add(
                "period_end-day",
                "The end of the period must be on or after its start",
            );
        } else if en > today() {
            e.add(
                "period_end-day",
                "The period must have happened: it cannot end after today",
            );
        }
    }
    let mut ratings = Vec::new();
    for k in &kpis {
        let name = format!("rating-{}", k.id);
        match v.get(&name).parse::<PerformanceRating>() {
            Ok(r) => {
                let comment = form::text(
                    &v,
                    &format!("comment-{}", k.id),
                    &format!("The comment on “{}”", k.name),
                    2_000,
                    false,
                    &mut e,
                );
                ratings.push((k.id, r, comment));
            }
            Err(_) => e.add(name, format!("Choose a rating for “{}”", k.name)),
        }
    }
    let summary = form::text(&v, "summary", "The summary", 5_000, false, &mut e);
    let (Some(period_start), Some(period_end), true) = (start, end, e.is_empty()) else {
        return performance_page(&state, &auth, id, None, Some(v), e).await;
    };
    let aid = act::create_assessment(
        &state.db,
        &user,
        &c,
        &AssessmentInput {
            period_start,
            period_end,
            summary,
            ratings,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/contracts/{id}/performance/{aid}?done=drafted")).into_response())
}

async fn load_notice(
    state: &AppState,
    auth: &Auth,
    id: i64,
    aid: i64,
) -> Result<(Contract, Assessment, PerformanceNotice), PageError> {
    let c = visible(state, auth, id).await?;
    let a = act::assessments(&state.db, c.id)
        .await?
        .into_iter()
        .find(|a| a.id == aid)
        .ok_or(PageError::NotFound)?;
    let kpis = store::kpis(&state.db, c.id).await?;
    let n = act::notice(&state.db, &c, &a, &kpis).await?;
    Ok((c, a, n))
}

#[derive(Template)]
#[template(path = "contracts/templates/notice.html")]
struct NoticePage {
    layout: Layout,
    c: Contract,
    a: Assessment,
    n: PerformanceNotice,
    can_edit: bool,
    v: FormData,
    errors: Errors,
}

async fn notice_page_with(
    state: &AppState,
    auth: &Auth,
    id: i64,
    aid: i64,
    notice: Option<String>,
    v: FormData,
    errors: Errors,
) -> Result<Response, PageError> {
    let (c, a, n) = load_notice(state, auth, id, aid).await?;
    let can_edit = auth.viewer().can_edit(c.org_id);
    html(
        status_for(&errors),
        NoticePage {
            layout: layout(auth, title_for("Contract performance notice", &errors), &c)
                .crumb("Performance", format!("/contracts/{id}/performance"))
                .notice(notice),
            can_edit,
            v,
            errors,
            c,
            a,
            n,
        },
    )
}

async fn notice_page(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, aid)): Path<(i64, i64)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "drafted" => Some(
            "Assessment drafted. Publish it on Find a Tender, then record the publication here."
                .to_owned(),
        ),
        _ => None,
    };
    let v = FormData::default().with_date("published_on", Some(today()));
    notice_page_with(&state, &auth, id, aid, notice, v, Errors::default()).await
}

/// The contract performance notice's data as JSON, for whoever may see the contract.
async fn notice_json(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let (_, _, n) = load_notice(&state, &auth, id, aid).await?;
    Ok(Json(n).into_response())
}

async fn publish(
    State(state): State<AppState>,
    Path((id, aid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/performance/{aid}");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let a = act::assessments(&state.db, c.id)
        .await?
        .into_iter()
        .find(|a| a.id == aid)
        .ok_or(PageError::NotFound)?;
    let v = FormData::from_fields(&fields);
    let mut e = Errors::default();
    if a.is_published() {
        e.add(
            "published_on-day",
            "This assessment is already recorded as published",
        );
    }
    let published_on = form::date(
        &v,
        "published_on",
        "The date it was published",
        true,
        &mut e,
    );
    if let Some(p) = published_on {
        if p > today() {
            e.add(
                "published_on-day",
                "Record the publication once it has happened: the date cannot be in the future",
            );
        } else if p < a.period_end {
            e.add(
                "published_on-day",
                format!(
                    "The notice can only be published once the period it assesses has ended, on {}",
                    crate::web::filters::long_date(a.period_end)
                ),
            );
        }
    }
    let reference = form::text(
        &v,
        "reference",
        "The notice's reference",
        100,
        false,
        &mut e,
    );
    let (Some(published_on), true) = (published_on, e.is_empty()) else {
        return notice_page_with(&state, &auth, id, aid, None, v, e).await;
    };
    act::publish(&state.db, &user, &c, aid, published_on, &reference).await?;
    Ok(Redirect::to(&format!("/contracts/{id}/performance?done=published")).into_response())
}
