//! Pages for a contract's parts: extension options, KPIs and their measurements, review
//! meetings (with the supplier rating given after one), actions and continuous-improvement
//! items, and risks.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::form::{self, FormData, Options, options, people_options};
use super::{Done, contract_page, html, own, status_for, title_for, today, visible};
use crate::contracts::insight::{self, RatingError, RatingInput};
use crate::contracts::store::{
    self, ActionInput, Contract, ContractError, Kpi, KpiInput, Measurement, MeasurementInput,
    Review, ReviewInput, RiskInput,
};
use crate::contracts::{
    ActionKind, ActionStatus, Aspect, Direction, Frequency, KpiStatus, Rag, RiskStatus, Score,
    parse_number,
};
use crate::pipeline::store as procurements;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/contracts/{id}/extensions/new",
            get(extension_form).post(add_extension),
        )
        .route("/contracts/{id}/extensions/{eid}", post(decide_extension))
        .route("/contracts/{id}/kpis/new", get(kpi_new_form).post(add_kpi))
        .route("/contracts/{id}/kpis/{kid}", get(kpi_page))
        .route(
            "/contracts/{id}/kpis/{kid}/edit",
            get(kpi_edit_form).post(edit_kpi),
        )
        .route(
            "/contracts/{id}/kpis/{kid}/measurements",
            post(add_measurement),
        )
        .route(
            "/contracts/{id}/kpis/{kid}/measurements/{mid}/delete",
            post(delete_measurement),
        )
        .route(
            "/contracts/{id}/reviews/new",
            get(review_form).post(add_review),
        )
        .route("/contracts/{id}/reviews/{rid}", get(review_page))
        .route("/contracts/{id}/reviews/{rid}/rating", post(rate))
        .route(
            "/contracts/{id}/actions/new",
            get(action_form).post(add_action),
        )
        .route("/contracts/{id}/actions/{aid}", post(action_status))
        .route("/contracts/{id}/risks/new", get(risk_form).post(add_risk))
        .route("/contracts/{id}/risks/{rid}", post(update_risk))
}

fn contract_layout(auth: &Auth, title: String, c: &Contract) -> Layout {
    Layout::new(auth, title)
        .nav("contracts")
        .crumb("Home", "/")
        .crumb("Contracts", "/contracts")
        .crumb(c.title.clone(), c.url())
}

/// A small form page about one contract: the heading, the form's fields, and where it posts.
#[derive(Template)]
#[template(path = "contracts/templates/part_form.html")]
struct PartForm {
    layout: Layout,
    c: Contract,
    heading: String,
    action: String,
    /// Which form: "extension", "kpi", "review", "action", "improvement", "risk".
    form: &'static str,
    v: FormData,
    errors: Errors,
    people: Options,
    directions: Options,
    frequencies: Options,
    rags: Options,
}

#[allow(clippy::too_many_arguments)]
async fn part_form(
    state: &AppState,
    auth: &Auth,
    c: Contract,
    form: &'static str,
    heading: &str,
    action: String,
    v: FormData,
    errors: Errors,
) -> Result<Response, PageError> {
    let people = procurements::people(&state.db, c.org_id).await?;
    html(
        status_for(&errors),
        PartForm {
            layout: contract_layout(auth, title_for(heading, &errors), &c),
            c,
            heading: heading.into(),
            action,
            form,
            v,
            errors,
            people: people_options(&people),
            directions: options(Direction::ALL, Direction::as_str, Direction::label),
            frequencies: options(Frequency::ALL, Frequency::as_str, Frequency::label),
            rags: Rag::ALL
                .iter()
                .map(|r| {
                    (
                        r.as_str().to_owned(),
                        format!("{}: {}", r.label(), r.hint()),
                    )
                })
                .collect(),
        },
    )
}

// ---- Extension options ----

async fn extension_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/extensions/new");
    let (_, c) = own(&state, &auth, &here, id).await?;
    part_form(
        &state,
        &auth,
        c,
        "extension",
        "Add an extension option",
        here,
        FormData::default(),
        Errors::default(),
    )
    .await
}

async fn add_extension(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/extensions/new");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::from_fields(&fields);
    let mut e = Errors::default();
    let months = match v.get("months").parse::<i64>() {
        Ok(m) if (1..=120).contains(&m) => Some(m),
        _ => {
            e.add(
                "months",
                "Enter the length of the extension as a whole number of months from 1 to 120",
            );
            None
        }
    };
    let decide_by = form::date(&v, "decide_by", "The date to decide by", true, &mut e);
    if let Some(d) = decide_by
        && d > c.end_date
    {
        e.add(
            "decide_by-day",
            format!(
                "The date to decide by must be on or before the contract's end date, {}",
                crate::web::filters::long_date(c.end_date)
            ),
        );
    }
    match (months, decide_by, e.is_empty()) {
        (Some(m), Some(d), true) => {
            store::add_extension(&state.db, &user, &c, m, d).await?;
            Ok(Redirect::to(&format!("/contracts/{id}?done=extension#extensions")).into_response())
        }
        _ => {
            part_form(
                &state,
                &auth,
                c,
                "extension",
                "Add an extension option",
                here,
                v,
                e,
            )
            .await
        }
    }
}

async fn decide_extension(
    State(state): State<AppState>,
    Path((id, eid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, c) = own(&state, &auth, &format!("/contracts/{id}"), id).await?;
    let ext = store::extensions(&state.db, c.id)
        .await?
        .into_iter()
        .find(|e| e.id == eid)
        .ok_or(PageError::NotFound)?;
    let used = match fields.get("decision") {
        "use" => true,
        "decline" => false,
        _ => {
            let mut e = Errors::default();
            e.add(
                format!("extension-{eid}"),
                "Choose whether to use the extension or not",
            );
            return contract_page(&state, &auth, id, None, e).await;
        }
    };
    store::decide_extension(&state.db, &user, &c, &ext, used).await?;
    Ok(Redirect::to(&format!("/contracts/{id}?done=decided#extensions")).into_response())
}

// ---- KPIs ----

fn kpi_values(k: &Kpi) -> FormData {
    FormData::default()
        .with("name", &k.name)
        .with("definition", &k.definition)
        .with("unit", &k.unit)
        .with("target", crate::contracts::number_text(k.target))
        .with("direction", k.direction.as_str())
        .with(
            "approaching",
            k.approaching_threshold
                .map(crate::contracts::number_text)
                .unwrap_or_default(),
        )
        .with("frequency", k.frequency.as_str())
}

fn parse_kpi(v: &FormData) -> Result<KpiInput, Errors> {
    let mut e = Errors::default();
    let name = form::text(v, "name", "The KPI's name", 200, true, &mut e);
    let definition = form::text(v, "definition", "How it is measured", 5_000, true, &mut e);
    let unit = form::text(v, "unit", "The unit", 30, true, &mut e);
    let target = match v.get("target") {
        "" => {
            e.add("target", "Enter the target, as a number");
            None
        }
        s => parse_number(s)
            .map_err(|err| {
                e.add(
                    "target",
                    format!("The target {}", lower_first(&err.to_string())),
                )
            })
            .ok(),
    };
    let direction = form::choice::<Direction>(
        v,
        "direction",
        "Choose whether higher or lower is better",
        &mut e,
    );
    let approaching = match v.get("approaching") {
        "" => None,
        s => parse_number(s)
            .map_err(|err| {
                e.add(
                    "approaching",
                    format!(
                        "The “approaching target” level {}",
                        lower_first(&err.to_string())
                    ),
                )
            })
            .ok(),
    };
    if let (Some(t), Some(d), Some(a)) = (target, direction, approaching) {
        let worse = match d {
            Direction::Higher => a < t,
            Direction::Lower => a > t,
        };
        if !worse {
            e.add(
                "approaching",
                match d {
                    Direction::Higher => "The “approaching target” level must be below the target, because higher is better",
                    Direction::Lower => "The “approaching target” level must be above the target, because lower is better",
                },
            );
        }
    }
    let frequency =
        form::choice::<Frequency>(v, "frequency", "Choose how often it is measured", &mut e);
    match (target, direction, frequency, e.is_empty()) {
        (Some(target), Some(direction), Some(frequency), true) => Ok(KpiInput {
            name,
            definition,
            unit,
            target,
            direction,
            approaching_threshold: approaching,
            frequency,
        }),
        _ => Err(e),
    }
}

fn lower_first(s: &str) -> String {
    // "\"x\" is not a number…" reads better after a subject as "is not a number…".
    match s.split_once(" is ") {
        Some((_, rest)) => format!("is {rest}"),
        None => s.to_owned(),
    }
}

async fn kpi_new_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/kpis/new");
    let (_, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::default().with("frequency", Frequency::Monthly.as_str());
    part_form(
        &state,
        &auth,
        c,
        "kpi",
        "Add a KPI",
        here,
        v,
        Errors::default(),
    )
    .await
}

async fn add_kpi(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/kpis/new");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::from_fields(&fields);
    match parse_kpi(&v) {
        Ok(k) => {
            let kid = store::add_kpi(&state.db, &user, &c, &k).await?;
            Ok(Redirect::to(&format!("/contracts/{id}/kpis/{kid}?done=kpi")).into_response())
        }
        Err(e) => part_form(&state, &auth, c, "kpi", "Add a KPI", here, v, e).await,
    }
}

async fn own_kpi(
    state: &AppState,
    auth: &Auth,
    here: &str,
    id: i64,
    kid: i64,
) -> Result<(crate::accounts::User, Contract, Kpi), PageError> {
    let (user, c) = own(state, auth, here, id).await?;
    let k = store::kpi(&state.db, c.id, kid)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok((user, c, k))
}

async fn kpi_edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, kid)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/kpis/{kid}/edit");
    let (_, c, k) = own_kpi(&state, &auth, &here, id, kid).await?;
    part_form(
        &state,
        &auth,
        c,
        "kpi",
        "Edit the KPI",
        here,
        kpi_values(&k),
        Errors::default(),
    )
    .await
}

async fn edit_kpi(
    State(state): State<AppState>,
    Path((id, kid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/kpis/{kid}/edit");
    let (user, c, k) = own_kpi(&state, &auth, &here, id, kid).await?;
    let v = FormData::from_fields(&fields);
    match parse_kpi(&v) {
        Ok(input) => {
            store::update_kpi(&state.db, &user, &c, &k, &input).await?;
            Ok(Redirect::to(&format!("/contracts/{id}/kpis/{kid}?done=kpi")).into_response())
        }
        Err(e) => part_form(&state, &auth, c, "kpi", "Edit the KPI", here, v, e).await,
    }
}

#[derive(Template)]
#[template(path = "contracts/templates/kpi.html")]
struct KpiPage {
    layout: Layout,
    c: Contract,
    k: Kpi,
    measurements: Vec<Measurement>,
    can_edit: bool,
    v: FormData,
    errors: Errors,
}

impl KpiPage {
    fn value_hint(&self) -> String {
        format!("A number, in {}", self.k.unit)
    }

    fn status_of(&self, m: &Measurement) -> KpiStatus {
        KpiStatus::of(
            Some(m.value),
            self.k.target,
            self.k.direction,
            self.k.approaching_threshold,
        )
    }
}

async fn kpi_page_with(
    state: &AppState,
    auth: &Auth,
    id: i64,
    kid: i64,
    notice: Option<String>,
    v: FormData,
    errors: Errors,
) -> Result<Response, PageError> {
    let c = visible(state, auth, id).await?;
    let k = store::kpi(&state.db, c.id, kid)
        .await?
        .ok_or(PageError::NotFound)?;
    let can_edit = auth.viewer().can_edit(c.org_id);
    html(
        status_for(&errors),
        KpiPage {
            layout: contract_layout(auth, title_for(&k.name, &errors), &c).notice(notice),
            measurements: store::measurements(&state.db, k.id).await?,
            can_edit,
            v,
            errors,
            c,
            k,
        },
    )
}

async fn kpi_page(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, kid)): Path<(i64, i64)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "kpi" => Some("KPI saved".to_owned()),
        "measurement" => Some("Measurement recorded".to_owned()),
        "deleted" => Some("Measurement deleted".to_owned()),
        _ => None,
    };
    kpi_page_with(
        &state,
        &auth,
        id,
        kid,
        notice,
        FormData::default(),
        Errors::default(),
    )
    .await
}

async fn add_measurement(
    State(state): State<AppState>,
    Path((id, kid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/kpis/{kid}");
    let (user, c, k) = own_kpi(&state, &auth, &here, id, kid).await?;
    let v = FormData::from_fields(&fields);
    let mut e = Errors::default();
    let period_end = form::date(&v, "period_end", "The end of the period", true, &mut e);
    if let Some(p) = period_end
        && p > today()
    {
        e.add(
            "period_end-day",
            "The period must have ended: record a measurement once its period is over",
        );
    }
    let value = match v.get("value") {
        "" => {
            e.add("value", "Enter the measurement, as a number");
            None
        }
        s => parse_number(s)
            .map_err(|err| {
                e.add(
                    "value",
                    format!("The measurement {}", lower_first(&err.to_string())),
                )
            })
            .ok(),
    };
    let note = form::text(&v, "note", "The note", 2_000, false, &mut e);
    let (Some(period_end), Some(value), true) = (period_end, value, e.is_empty()) else {
        return kpi_page_with(&state, &auth, id, kid, None, v, e).await;
    };
    match store::add_measurement(
        &state.db,
        &user,
        &c,
        &k,
        &MeasurementInput {
            period_end,
            value,
            note,
        },
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/contracts/{id}/kpis/{kid}?done=measurement")).into_response(),
        ),
        Err(ContractError::DuplicatePeriod) => {
            e.add(
                "period_end-day",
                format!(
                    "There is already a measurement for the period ending {}: delete it first to correct it",
                    crate::web::filters::long_date(period_end)
                ),
            );
            kpi_page_with(&state, &auth, id, kid, None, v, e).await
        }
        Err(ContractError::Db(err)) => Err(err.into()),
        Err(other) => Err(PageError::BadRequest(other.to_string())),
    }
}

async fn delete_measurement(
    State(state): State<AppState>,
    Path((id, kid, mid)): Path<(i64, i64, i64)>,
    CsrfForm(_fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/kpis/{kid}");
    let (user, c, k) = own_kpi(&state, &auth, &here, id, kid).await?;
    if !store::delete_measurement(&state.db, &user, &c, &k, mid).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/contracts/{id}/kpis/{kid}?done=deleted")).into_response())
}

// ---- Review meetings and ratings ----

async fn review_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/reviews/new");
    let (_, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::default().with_date("held_on", Some(today()));
    part_form(
        &state,
        &auth,
        c,
        "review",
        "Record a review meeting",
        here,
        v,
        Errors::default(),
    )
    .await
}

async fn add_review(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/reviews/new");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::from_fields(&fields);
    let mut e = Errors::default();
    let held_on = form::date(&v, "held_on", "The date of the meeting", true, &mut e);
    if let Some(d) = held_on
        && d > today()
    {
        e.add(
            "held_on-day",
            "The meeting must have happened: record it on or after the day it is held",
        );
    }
    let attendees = form::text(&v, "attendees", "Who attended", 2_000, false, &mut e);
    let minutes = form::text(&v, "minutes", "The minutes", 50_000, true, &mut e);
    let (Some(held_on), true) = (held_on, e.is_empty()) else {
        return part_form(
            &state,
            &auth,
            c,
            "review",
            "Record a review meeting",
            here,
            v,
            e,
        )
        .await;
    };
    let rid = store::add_review(
        &state.db,
        &user,
        &c,
        &ReviewInput {
            held_on,
            attendees,
            minutes,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/contracts/{id}/reviews/{rid}?done=review")).into_response())
}

#[derive(Template)]
#[template(path = "contracts/templates/review.html")]
struct ReviewPage {
    layout: Layout,
    c: Contract,
    r: Review,
    actions: Vec<store::Action>,
    can_edit: bool,
    aspects: [Aspect; 5],
    v: FormData,
    errors: Errors,
}

async fn review_page_with(
    state: &AppState,
    auth: &Auth,
    id: i64,
    rid: i64,
    notice: Option<String>,
    v: FormData,
    errors: Errors,
) -> Result<Response, PageError> {
    let c = visible(state, auth, id).await?;
    let r = store::review(&state.db, c.id, rid)
        .await?
        .ok_or(PageError::NotFound)?;
    let can_edit = auth.viewer().can_edit(c.org_id);
    let title = format!(
        "Review meeting, {}",
        crate::web::filters::long_date(r.held_on)
    );
    html(
        status_for(&errors),
        ReviewPage {
            layout: contract_layout(auth, title_for(&title, &errors), &c).notice(notice),
            actions: store::actions_of_review(&state.db, c.id, r.id).await?,
            can_edit,
            aspects: Aspect::ALL,
            v,
            errors,
            c,
            r,
        },
    )
}

async fn review_page(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, rid)): Path<(i64, i64)>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "review" => Some(
            "Review meeting recorded. Add the actions agreed, then rate the supplier for London."
                .to_owned(),
        ),
        "action" => Some("Action added".to_owned()),
        "rated" => Some("Thank you: your rating is shared with London authorities".to_owned()),
        _ => None,
    };
    review_page_with(
        &state,
        &auth,
        id,
        rid,
        notice,
        FormData::default(),
        Errors::default(),
    )
    .await
}

async fn rate(
    State(state): State<AppState>,
    Path((id, rid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/reviews/{rid}");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let r = store::review(&state.db, c.id, rid)
        .await?
        .ok_or(PageError::NotFound)?;
    let v = FormData::from_fields(&fields);
    let mut e = Errors::default();
    let mut input = RatingInput::default();
    for (i, a) in Aspect::ALL.iter().enumerate() {
        match v.get(a.key()) {
            "" => e.add(
                a.key(),
                format!(
                    "Choose a score for {}, or “Could not judge”",
                    a.label().to_lowercase()
                ),
            ),
            "none" => {}
            s => match Score::parse(s) {
                Some(score) => input.scores[i] = Some(score),
                None => e.add(
                    a.key(),
                    format!(
                        "Choose a score from 1 to 5 for {}",
                        a.label().to_lowercase()
                    ),
                ),
            },
        }
    }
    if e.is_empty() && input.scores.iter().all(Option::is_none) {
        e.add(
            Aspect::ALL[0].key(),
            "Score at least one aspect: a rating with no scores tells other boroughs nothing",
        );
    }
    input.note = form::text(&v, "note", "The note", 2_000, false, &mut e);
    if !e.is_empty() {
        return review_page_with(&state, &auth, id, rid, None, v, e).await;
    }
    match insight::rate(&state.db, user.id, &c, &r, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("{here}?done=rated")).into_response()),
        Err(RatingError::AlreadyRated) => {
            e.add(
                Aspect::ALL[0].key(),
                "The supplier has already been rated after this review meeting",
            );
            review_page_with(&state, &auth, id, rid, None, v, e).await
        }
        Err(RatingError::Db(err)) => Err(err.into()),
    }
}

// ---- Actions and improvements ----

#[derive(Deserialize, Default)]
struct ActionQuery {
    kind: Option<String>,
    review: Option<i64>,
}

fn action_heading(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Action => "Add an action",
        ActionKind::Improvement => "Add an improvement to the plan",
    }
}

async fn action_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ActionQuery>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/actions/new");
    let (_, c) = own(&state, &auth, &here, id).await?;
    let kind = match q.kind.as_deref() {
        Some("improvement") => ActionKind::Improvement,
        _ => ActionKind::Action,
    };
    if let Some(rid) = q.review {
        store::review(&state.db, c.id, rid)
            .await?
            .ok_or(PageError::NotFound)?;
    }
    let v = FormData::default().with("kind", kind.as_str()).with(
        "review",
        q.review.map(|r| r.to_string()).unwrap_or_default(),
    );
    part_form(
        &state,
        &auth,
        c,
        kind.as_str(),
        action_heading(kind),
        here,
        v,
        Errors::default(),
    )
    .await
}

async fn add_action(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/actions/new");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::from_fields(&fields);
    let kind = match v.get("kind") {
        "improvement" => ActionKind::Improvement,
        _ => ActionKind::Action,
    };
    let review_id = match v.get("review") {
        "" => None,
        s => {
            let rid = s.parse::<i64>().map_err(|_| PageError::NotFound)?;
            store::review(&state.db, c.id, rid)
                .await?
                .ok_or(PageError::NotFound)?;
            Some(rid)
        }
    };
    let people = procurements::people(&state.db, c.org_id).await?;
    let mut e = Errors::default();
    let description = form::text(&v, "description", "What needs doing", 5_000, true, &mut e);
    let benefit = form::text(
        &v,
        "benefit",
        "The benefit expected",
        2_000,
        kind == ActionKind::Improvement,
        &mut e,
    );
    let owner = form::owner(&v, "owner", &people, &mut e);
    let due_on = form::date(&v, "due", "The due date", true, &mut e);
    let (Some(due_on), true) = (due_on, e.is_empty()) else {
        return part_form(
            &state,
            &auth,
            c,
            kind.as_str(),
            action_heading(kind),
            here,
            v,
            e,
        )
        .await;
    };
    store::add_action(
        &state.db,
        &user,
        &c,
        &ActionInput {
            kind,
            review_id,
            description,
            benefit,
            owner,
            due_on,
        },
    )
    .await?;
    let to = match (review_id, kind) {
        (Some(rid), _) => format!("/contracts/{id}/reviews/{rid}?done=action"),
        (None, ActionKind::Improvement) => format!("/contracts/{id}?done=improvement#improvements"),
        (None, ActionKind::Action) => format!("/contracts/{id}?done=action#actions"),
    };
    Ok(Redirect::to(&to).into_response())
}

async fn action_status(
    State(state): State<AppState>,
    Path((id, aid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, c) = own(&state, &auth, &format!("/contracts/{id}"), id).await?;
    let a = store::action(&state.db, c.id, aid)
        .await?
        .ok_or(PageError::NotFound)?;
    let Ok(status) = fields.get("status").parse::<ActionStatus>() else {
        let mut e = Errors::default();
        e.add(format!("status-{aid}"), "Choose a status");
        return contract_page(&state, &auth, id, None, e).await;
    };
    store::set_action_status(&state.db, &user, &c, &a, status).await?;
    let anchor = match a.kind {
        ActionKind::Action => "actions",
        ActionKind::Improvement => "improvements",
    };
    Ok(Redirect::to(&format!("/contracts/{id}?done=status#{anchor}")).into_response())
}

// ---- Risks ----

async fn risk_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/risks/new");
    let (_, c) = own(&state, &auth, &here, id).await?;
    part_form(
        &state,
        &auth,
        c,
        "risk",
        "Add a risk",
        here,
        FormData::default(),
        Errors::default(),
    )
    .await
}

async fn add_risk(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/risks/new");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::from_fields(&fields);
    let people = procurements::people(&state.db, c.org_id).await?;
    let mut e = Errors::default();
    let description = form::text(&v, "description", "The risk", 5_000, true, &mut e);
    let rag = form::choice::<Rag>(&v, "rag", "Choose a rating: red, amber or green", &mut e);
    let mitigation = form::text(&v, "mitigation", "The mitigation", 5_000, false, &mut e);
    let owner_user_id = form::person(&v, "owner", &people, &mut e);
    let (Some(rag), true) = (rag, e.is_empty()) else {
        return part_form(&state, &auth, c, "risk", "Add a risk", here, v, e).await;
    };
    store::add_risk(
        &state.db,
        &user,
        &c,
        &RiskInput {
            description,
            rag,
            mitigation,
            owner_user_id,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/contracts/{id}?done=risk#risks")).into_response())
}

async fn update_risk(
    State(state): State<AppState>,
    Path((id, rid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, c) = own(&state, &auth, &format!("/contracts/{id}"), id).await?;
    let r = store::risk(&state.db, c.id, rid)
        .await?
        .ok_or(PageError::NotFound)?;
    let mut e = Errors::default();
    let rag = fields.get("rag").parse::<Rag>().ok();
    if rag.is_none() {
        e.add(format!("rag-{rid}"), "Choose a rating: red, amber or green");
    }
    let status = fields.get("status").parse::<RiskStatus>().ok();
    if status.is_none() {
        e.add(
            format!("risk-status-{rid}"),
            "Choose whether the risk is open or closed",
        );
    }
    let (Some(rag), Some(status)) = (rag, status) else {
        return contract_page(&state, &auth, id, None, e).await;
    };
    store::update_risk(&state.db, &user, &c, &r, rag, status).await?;
    Ok(Redirect::to(&format!("/contracts/{id}?done=risk#risks")).into_response())
}
