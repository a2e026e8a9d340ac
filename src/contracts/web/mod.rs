//! Pages: the contract manager's dashboard, contracts shared by other boroughs, a contract
//! (new, edit, the contract page), its parts (`parts`), documents (`files`), Procurement Act
//! performance assessments (`performance`) and supplier insight (`insight`).

mod files;
pub mod form;
mod insight;
mod parts;
mod performance;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

use self::form::{FormData, Options, options, people_options};
use super::attention::{self, Overview};
use super::store::{self, Contract, ContractError, ContractInput};
use super::{ActionKind, ContractSource, KpiDuty};
use crate::accounts::{OrgKind, User};
use crate::money::Pence;
use crate::pipeline::store::{self as procurements, NoticeKind};
use crate::suppliers::CompanyNumber;
use crate::visibility::Visibility;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(dashboard))
        .route("/contracts/shared", get(shared))
        .route("/contracts/new", get(new_form).post(create))
        .route("/contracts/{id}", get(show))
        .route("/contracts/{id}/edit", get(edit_form).post(edit))
        .merge(parts::routes())
        .merge(files::routes())
        .merge(performance::routes())
        .merge(insight::routes())
}

pub(super) fn html(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

pub(super) fn status_for(errors: &Errors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

pub(super) fn title_for(heading: &str, errors: &Errors) -> String {
    if errors.is_empty() {
        heading.to_owned()
    } else {
        format!("Error: {heading}")
    }
}

pub(super) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// People who manage contracts: officers of London authorities and the convenor.
pub(super) fn require_member<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if matches!(user.org_kind, OrgKind::Borough | OrgKind::Convenor) {
        Ok(user)
    } else {
        Err(PageError::Forbidden(
            "Contracts are managed by London authorities. Suppliers can see what London authorities say about them under Contracts.",
        ))
    }
}

/// A contract the viewer may see, or 404.
pub(super) async fn visible(state: &AppState, auth: &Auth, id: i64) -> Result<Contract, PageError> {
    store::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)
}

/// A contract the user's organisation owns, for changes: 404 when the user cannot see it,
/// 403 when they can (shared with London) but it is another organisation's.
pub(super) async fn own(
    state: &AppState,
    auth: &Auth,
    here: &str,
    id: i64,
) -> Result<(User, Contract), PageError> {
    let user = require_member(auth, here)?.clone();
    let c = visible(state, auth, id).await?;
    if !auth.viewer().can_edit(c.org_id) {
        return Err(PageError::Forbidden(
            "Only the organisation that manages a contract can change it.",
        ));
    }
    Ok((user, c))
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    pub done: String,
}

// ---- The dashboard ----

#[derive(Deserialize, Default)]
struct DashboardQuery {
    within: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts/templates/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    org_name: String,
    overview: Overview,
    within: String,
    within_error: String,
    shared_count: usize,
}

async fn dashboard(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/contracts")?.clone();
    if user.org_kind == OrgKind::Supplier {
        return Ok(Redirect::to("/contracts/insight").into_response());
    }
    let user = require_member(&auth, "/contracts")?.clone();
    let (window, within_error) = match attention::parse_window(q.within.as_deref()) {
        Ok(w) => (w, String::new()),
        Err(e) => (attention::DEFAULT_WINDOW_DAYS, e),
    };
    let overview = attention::overview(&state.db, user.org_id, today(), window).await?;
    let shared_count = store::list_shared(&state.db, &auth.viewer()).await?.len();
    let status = if within_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if within_error.is_empty() {
        "Contracts"
    } else {
        "Error: Contracts"
    };
    html(
        status,
        DashboardPage {
            layout: Layout::new(&auth, title)
                .nav("contracts")
                .crumb("Home", "/"),
            org_name: user.org_name.clone(),
            overview,
            within: q.within.unwrap_or_else(|| window.to_string()),
            within_error,
            shared_count,
        },
    )
}

// ---- Contracts other boroughs share ----

#[derive(Template)]
#[template(path = "contracts/templates/shared.html")]
struct SharedPage {
    layout: Layout,
    contracts: Vec<Contract>,
}

async fn shared(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    require_member(&auth, "/contracts/shared")?;
    html(
        StatusCode::OK,
        SharedPage {
            layout: Layout::new(&auth, "Contracts shared by London authorities")
                .nav("contracts")
                .crumb("Home", "/")
                .crumb("Contracts", "/contracts"),
            contracts: store::list_shared(&state.db, &auth.viewer()).await?,
        },
    )
}

// ---- New and edit ----

#[derive(Template)]
#[template(path = "contracts/templates/contract_form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    v: FormData,
    errors: Errors,
    people: Options,
    duties: Options,
    visibilities: Options,
    procurement: Option<(i64, String)>,
}

fn duty_options() -> Options {
    options(KpiDuty::ALL, KpiDuty::as_str, KpiDuty::label)
}

fn visibility_options() -> Options {
    [Visibility::Private, Visibility::London]
        .iter()
        .map(|v| {
            let label = match v {
                Visibility::London => {
                    "London authorities and the convenor (they see its KPIs, reviews, risks and documents, and cannot change anything)"
                }
                _ => v.label(),
            };
            (v.as_str().to_owned(), label.to_owned())
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    auth: &Auth,
    user: &User,
    heading: &str,
    action: String,
    v: FormData,
    errors: Errors,
    procurement: Option<(i64, String)>,
) -> Result<Response, PageError> {
    let people = procurements::people(&state.db, user.org_id).await?;
    html(
        status_for(&errors),
        FormPage {
            layout: Layout::new(auth, title_for(heading, &errors))
                .nav("contracts")
                .crumb("Home", "/")
                .crumb("Contracts", "/contracts"),
            heading: heading.into(),
            action,
            v,
            errors,
            people: people_options(&people),
            duties: duty_options(),
            visibilities: visibility_options(),
            procurement,
        },
    )
}

fn values_of(c: &Contract) -> FormData {
    FormData::default()
        .with("title", &c.title)
        .with("reference", &c.reference)
        .with("description", &c.description)
        .with("supplier", &c.supplier_name)
        .with(
            "company_number",
            c.supplier_company_number.clone().unwrap_or_default(),
        )
        .with("value", c.value().map(Pence::display).unwrap_or_default())
        .with_date("start", c.start_date)
        .with_date("end", c.end_date.into())
        .with_date("notice", c.notice_date)
        .with(
            "owner",
            c.owner_user_id.map(|i| i.to_string()).unwrap_or_default(),
        )
        .with("kpi_duty", c.kpi_duty.as_str())
        .with("visibility", c.visibility.as_str())
}

fn parse_contract(
    v: &FormData,
    people: &[crate::pipeline::store::Person],
) -> Result<ContractInput, Errors> {
    let mut e = Errors::default();
    let title = form::text(v, "title", "A title", 200, true, &mut e);
    let reference = form::text(v, "reference", "The reference", 100, false, &mut e);
    let description = form::text(v, "description", "The description", 10_000, false, &mut e);
    let supplier_name = form::text(v, "supplier", "The supplier's name", 200, true, &mut e);
    let supplier_company_number = match v.get("company_number") {
        "" => None,
        s => CompanyNumber::parse(s)
            .map_err(|err| e.add("company_number", err.to_string()))
            .ok(),
    };
    let value = match v.get("value") {
        "" => {
            e.add(
                "value",
                "Enter the contract's whole-life value, including VAT (your best estimate if it is not fixed)",
            );
            None
        }
        s => Pence::parse_pounds(s)
            .map_err(|_| {
                e.add(
                    "value",
                    "The value must be an amount in pounds, like £1,250,000",
                )
            })
            .ok(),
    };
    let start_date = form::date(v, "start", "The start date", true, &mut e);
    let end_date = form::date(v, "end", "The end date", true, &mut e);
    let notice_date = form::date(v, "notice", "The last date to give notice", false, &mut e);
    if let (Some(s), Some(end)) = (start_date, end_date)
        && end <= s
    {
        e.add("end-day", "The end date must be after the start date");
    }
    if let (Some(n), Some(end)) = (notice_date, end_date)
        && n > end
    {
        e.add(
            "notice-day",
            "The last date to give notice must be on or before the end date",
        );
    }
    let owner_user_id = form::person(v, "owner", people, &mut e);
    let kpi_duty = form::choice::<KpiDuty>(
        v,
        "kpi_duty",
        "Choose whether the Procurement Act 2023 duties on KPIs apply",
        &mut e,
    );
    let visibility = match v.get("visibility") {
        "private" => Some(Visibility::Private),
        "london" => Some(Visibility::London),
        "public" => {
            e.add(
                "visibility",
                "Contracts can be shared with London authorities, not published: choose who can see it",
            );
            None
        }
        _ => {
            e.add("visibility", "Choose who can see this contract");
            None
        }
    };
    match (value, end_date, kpi_duty, visibility, e.is_empty()) {
        (Some(value), Some(end_date), Some(kpi_duty), Some(visibility), true) => {
            Ok(ContractInput {
                title,
                reference,
                description,
                supplier_name,
                supplier_company_number,
                value: Some(value),
                start_date,
                end_date,
                notice_date,
                owner_user_id,
                kpi_duty,
                visibility,
            })
        }
        _ => Err(e),
    }
}

#[derive(Deserialize, Default)]
struct NewQuery {
    procurement: Option<i64>,
    joint: Option<i64>,
    estate: Option<i64>,
}

/// A row of the organisation's own estate register. Another borough's row, even one the
/// viewer may read, is not found: only a borough can make its own systems its contracts.
async fn own_estate_row(
    state: &AppState,
    auth: &Auth,
    user: &User,
    estate_id: i64,
) -> Result<crate::estate::store::EstateSystem, PageError> {
    crate::estate::store::get(&state.db, &auth.viewer(), estate_id)
        .await?
        .filter(|s| s.org_id == user.org_id)
        .ok_or(PageError::NotFound)
}

/// A contract from a row of the organisation's own estate register (its contracts register):
/// supplier, reference and dates as recorded there, and the value as the annual value over
/// the contract's length when both are known.
async fn from_estate(
    state: &AppState,
    auth: &Auth,
    user: &User,
    estate_id: i64,
) -> Result<FormData, PageError> {
    let s = own_estate_row(state, auth, user, estate_id).await?;
    let value = match (s.annual_value_pence, s.contract_start, s.contract_end) {
        (Some(annual), Some(start), Some(end)) if end > start => {
            // Whole months, counting the end date in: 1 April 2024 to 31 March 2027 is three
            // annual values, not 1,094 days' worth.
            use chrono::Datelike;
            let after = end.succ_opt().unwrap_or(end);
            let mut months = i64::from(after.year() - start.year()) * 12 + i64::from(after.month())
                - i64::from(start.month());
            if after.day() < start.day() {
                months -= 1;
            }
            Some(annual * months.max(1) / 12)
        }
        (Some(annual), _, _) => Some(annual),
        _ => None,
    };
    let mut description = format!("From the estate register: {}", s.system_name);
    if let Some(m) = s.manufacturer.as_deref().filter(|m| !m.is_empty()) {
        description.push_str(&format!(" ({m})"));
    }
    if let Some(annual) = s.annual_value_pence {
        description.push_str(&format!(", annual value {}", Pence(annual).display()));
    }
    description.push('.');
    Ok(FormData::default()
        .with("title", format!("{} ({})", s.system_name, s.service_area))
        .with("description", description)
        .with("supplier", s.supplier_display())
        .with(
            "company_number",
            s.company_number.clone().unwrap_or_default(),
        )
        .with(
            "reference",
            s.contract_reference.clone().unwrap_or_default(),
        )
        .with(
            "value",
            value.map(|v| Pence(v).display()).unwrap_or_default(),
        )
        .with_date("start", s.contract_start)
        .with_date("end", s.contract_end)
        .with("owner", user.id.to_string())
        .with("kpi_duty", KpiDuty::Applies.as_str())
        .with("visibility", Visibility::Private.as_str())
        .with("estate_id", s.id.to_string()))
}

/// A partner's own contract from a joint procurement: prefilled from the lead's award or
/// contract details notice, with the partner's share as its value. Membership of the joint
/// procurement is what lets a partner read those notices.
async fn from_joint(
    state: &AppState,
    auth: &Auth,
    user: &User,
    joint_id: i64,
) -> Result<(FormData, (i64, String)), PageError> {
    let j = crate::joint::procurement::get(&state.db, &auth.viewer(), joint_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let share = crate::joint::procurement::partners(&state.db, j.id)
        .await?
        .into_iter()
        .find(|p| p.org_id == user.org_id)
        .map(|p| p.share_pence);
    let notices = procurements::notices(&state.db, j.procurement_id).await?;
    let notice = notices
        .iter()
        .rev()
        .find(|n| n.kind == NoticeKind::Contract)
        .or_else(|| notices.iter().rev().find(|n| n.kind == NoticeKind::Award));
    let company_number = match notice.and_then(|n| n.supplier_id) {
        Some(sid) => crate::suppliers::store::get(&state.db, sid)
            .await?
            .and_then(|s| s.company_number),
        None => None,
    };
    let v = FormData::default()
        .with("title", format!("{} ({})", j.title, user.org_name))
        .with(
            "supplier",
            notice
                .and_then(|n| n.supplier_name.clone())
                .unwrap_or_default(),
        )
        .with("company_number", company_number.unwrap_or_default())
        .with(
            "value",
            share.map(|v| Pence(v).display()).unwrap_or_default(),
        )
        .with_date("start", notice.and_then(|n| n.contract_start))
        .with_date("end", notice.and_then(|n| n.contract_end))
        .with("owner", user.id.to_string())
        .with("kpi_duty", KpiDuty::Applies.as_str())
        .with("visibility", Visibility::Private.as_str())
        .with("joint_id", j.id.to_string());
    Ok((v, (j.procurement_id, j.title)))
}

/// The procurement a contract is made from, and the form prefilled from its latest contract
/// details notice (or, failing that, its award notice and its own plans).
async fn from_procurement(
    state: &AppState,
    user: &User,
    procurement_id: i64,
) -> Result<(FormData, (i64, String)), PageError> {
    let p = procurements::get_own(&state.db, user, procurement_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let notices = procurements::notices(&state.db, p.id).await?;
    let notice = notices
        .iter()
        .rev()
        .find(|n| n.kind == NoticeKind::Contract)
        .or_else(|| notices.iter().rev().find(|n| n.kind == NoticeKind::Award));
    let company_number = match notice.and_then(|n| n.supplier_id) {
        Some(sid) => crate::suppliers::store::get(&state.db, sid)
            .await?
            .and_then(|s| s.company_number),
        None => None,
    };
    let v = FormData::default()
        .with("title", &p.title)
        .with("description", &p.need)
        .with(
            "supplier",
            notice
                .and_then(|n| n.supplier_name.clone())
                .unwrap_or_default(),
        )
        .with("company_number", company_number.unwrap_or_default())
        .with(
            "value",
            notice
                .and_then(|n| n.value_pence)
                .or(p.estimated_value_pence)
                .map(|v| Pence(v).display())
                .unwrap_or_default(),
        )
        .with_date(
            "start",
            notice
                .and_then(|n| n.contract_start)
                .or(p.expected_start_date),
        )
        .with_date(
            "end",
            notice
                .and_then(|n| n.contract_end)
                .or_else(|| p.expected_end_date()),
        )
        .with(
            "owner",
            p.owner_user_id.map(|i| i.to_string()).unwrap_or_default(),
        )
        .with("kpi_duty", KpiDuty::Applies.as_str())
        .with("visibility", Visibility::Private.as_str())
        .with("procurement_id", p.id.to_string());
    Ok((v, (p.id, p.title)))
}

async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let user = require_member(&auth, "/contracts/new")?.clone();
    // A source makes at most one contract: asking again opens the one already made.
    let db = &state.db;
    let existing = match (q.estate, q.joint, q.procurement) {
        (Some(id), _, _) => store::for_estate(db, user.org_id, id).await?,
        (None, Some(id), _) => store::for_joint(db, user.org_id, id).await?,
        (None, None, Some(id)) => store::for_procurement(db, user.org_id, id).await?,
        (None, None, None) => None,
    };
    if let Some(existing) = existing {
        return Ok(Redirect::to(&format!("/contracts/{existing}?done=exists")).into_response());
    }
    let (v, procurement) = match (q.estate, q.joint, q.procurement) {
        (Some(id), _, _) => (from_estate(&state, &auth, &user, id).await?, None),
        (None, Some(id), _) => {
            let (v, p) = from_joint(&state, &auth, &user, id).await?;
            (v, Some(p))
        }
        (None, None, Some(id)) => {
            let (v, p) = from_procurement(&state, &user, id).await?;
            (v, Some(p))
        }
        (None, None, None) => (
            FormData::default()
                .with("owner", user.id.to_string())
                .with("kpi_duty", KpiDuty::Applies.as_str())
                .with("visibility", Visibility::Private.as_str()),
            None,
        ),
    };
    form_page(
        &state,
        &auth,
        &user,
        "New contract",
        "/contracts/new".into(),
        v,
        Errors::default(),
        procurement,
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_member(&auth, "/contracts/new")?.clone();
    let v = FormData::from_fields(&fields);
    let people = procurements::people(&state.db, user.org_id).await?;
    let (source, procurement) = match (v.get("procurement_id"), v.get("joint_id")) {
        ("", "") if !v.get("estate_id").is_empty() => {
            let eid: i64 = v
                .get("estate_id")
                .parse()
                .map_err(|_| PageError::NotFound)?;
            own_estate_row(&state, &auth, &user, eid).await?;
            (ContractSource::EstateRecord(eid), None)
        }
        ("", "") => (ContractSource::Manual, None),
        ("", jid) => {
            let jid: i64 = jid.parse().map_err(|_| PageError::NotFound)?;
            let j = crate::joint::procurement::get(&state.db, &auth.viewer(), jid)
                .await?
                .ok_or(PageError::NotFound)?;
            (
                ContractSource::JointPartner {
                    joint_id: j.id,
                    org_id: user.org_id,
                },
                Some((j.procurement_id, j.title)),
            )
        }
        (s, _) => {
            let pid: i64 = s.parse().map_err(|_| PageError::NotFound)?;
            let p = procurements::get_own(&state.db, &user, pid)
                .await?
                .ok_or(PageError::NotFound)?;
            (ContractSource::Procurement(pid), Some((p.id, p.title)))
        }
    };
    let input = match parse_contract(&v, &people) {
        Ok(input) => input,
        Err(errors) => {
            return form_page(
                &state,
                &auth,
                &user,
                "New contract",
                "/contracts/new".into(),
                v,
                errors,
                procurement,
            )
            .await;
        }
    };
    match store::create_from(&state.db, source, user.org_id, Some(user.id), &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/contracts/{id}?done=created")).into_response()),
        Err(ContractError::AlreadyExists(id)) => {
            Ok(Redirect::to(&format!("/contracts/{id}?done=exists")).into_response())
        }
        Err(ContractError::SourceNotYours) => Err(PageError::NotFound),
        Err(ContractError::Db(e)) => Err(e.into()),
        Err(other) => {
            let mut errors = Errors::default();
            errors.add("supplier", other.to_string());
            form_page(
                &state,
                &auth,
                &user,
                "New contract",
                "/contracts/new".into(),
                v,
                errors,
                procurement,
            )
            .await
        }
    }
}

async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/edit");
    let (user, c) = own(&state, &auth, &here, id).await?;
    form_page(
        &state,
        &auth,
        &user,
        "Edit contract",
        here,
        values_of(&c),
        Errors::default(),
        None,
    )
    .await
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = format!("/contracts/{id}/edit");
    let (user, c) = own(&state, &auth, &here, id).await?;
    let v = FormData::from_fields(&fields);
    let people = procurements::people(&state.db, user.org_id).await?;
    let result = match parse_contract(&v, &people) {
        Ok(input) => store::update(&state.db, &user, &c, &input).await,
        Err(errors) => {
            return form_page(&state, &auth, &user, "Edit contract", here, v, errors, None).await;
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/contracts/{id}?done=saved")).into_response()),
        Err(ContractError::Db(e)) => Err(e.into()),
        Err(other) => {
            let mut errors = Errors::default();
            errors.add("supplier", other.to_string());
            form_page(&state, &auth, &user, "Edit contract", here, v, errors, None).await
        }
    }
}

// ---- The contract page ----

#[derive(Template)]
#[template(path = "contracts/templates/contract.html")]
pub(super) struct ContractPage {
    layout: Layout,
    c: Contract,
    can_edit: bool,
    today: NaiveDate,
    duties: super::act::Duties,
    extensions: Vec<store::Extension>,
    kpis: Vec<store::Kpi>,
    reviews: Vec<store::Review>,
    actions: Vec<store::Action>,
    improvements: Vec<store::Action>,
    risks: Vec<store::Risk>,
    documents: Vec<super::documents::Document>,
    activity: Vec<store::Activity>,
    errors: Errors,
    action_statuses: Options,
    rags: Options,
    risk_statuses: Options,
}

/// The actions table and the continuous-improvement plan share one layout.
pub(super) struct WorkSection<'a> {
    improvement: bool,
    heading: &'static str,
    anchor: &'static str,
    items: &'a [store::Action],
}

impl ContractPage {
    fn days_to(&self, d: &NaiveDate) -> i64 {
        (*d - self.today).num_days()
    }

    fn work_sections(&self) -> [WorkSection<'_>; 2] {
        [
            WorkSection {
                improvement: false,
                heading: "Actions",
                anchor: "actions",
                items: &self.actions,
            },
            WorkSection {
                improvement: true,
                heading: "Continuous-improvement plan",
                anchor: "improvements",
                items: &self.improvements,
            },
        ]
    }

    /// The error of an inline form on one row, like `status-12`.
    fn error_for(&self, prefix: &str, id: &i64) -> &str {
        self.errors.get(&format!("{prefix}-{id}"))
    }
}

/// The contract page, with a success message or the errors of an inline form.
pub(super) async fn contract_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<String>,
    errors: Errors,
) -> Result<Response, PageError> {
    let c = visible(state, auth, id).await?;
    let can_edit = auth.viewer().can_edit(c.org_id);
    let today = today();
    let kpis = store::kpis(&state.db, c.id).await?;
    let duties = super::act::duties_for(&state.db, &c, kpis.len(), today).await?;
    let activity = if can_edit {
        store::activity(&state.db, c.id).await?
    } else {
        Vec::new()
    };
    html(
        status_for(&errors),
        ContractPage {
            layout: Layout::new(auth, title_for(&c.title, &errors))
                .nav("contracts")
                .crumb("Home", "/")
                .crumb(
                    "Contracts",
                    if can_edit {
                        "/contracts"
                    } else {
                        "/contracts/shared"
                    },
                )
                .notice(notice),
            can_edit,
            today,
            duties,
            extensions: store::extensions(&state.db, c.id).await?,
            kpis,
            reviews: store::reviews(&state.db, c.id).await?,
            actions: store::actions(&state.db, c.id, ActionKind::Action).await?,
            improvements: store::actions(&state.db, c.id, ActionKind::Improvement).await?,
            risks: store::risks(&state.db, c.id).await?,
            documents: super::documents::list(&state.db, c.id).await?,
            activity,
            errors,
            action_statuses: options(
                super::ActionStatus::ALL,
                super::ActionStatus::as_str,
                super::ActionStatus::label,
            ),
            rags: options(super::Rag::ALL, super::Rag::as_str, super::Rag::label),
            risk_statuses: options(
                super::RiskStatus::ALL,
                super::RiskStatus::as_str,
                super::RiskStatus::label,
            ),
            c,
        },
    )
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "created" => Some("Contract created. Add its KPIs, extension options and risks next."),
        "exists" => Some("This contract was already created from that procurement"),
        "saved" => Some("Changes saved"),
        "extension" => Some("Extension option saved"),
        "decided" => Some("Decision on the extension recorded"),
        "kpi" => Some("KPI saved"),
        "review" => Some("Review meeting recorded"),
        "action" => Some("Action saved"),
        "improvement" => Some("Improvement added to the plan"),
        "status" => Some("Status updated"),
        "risk" => Some("Risk saved"),
        "document" => Some("Document added"),
        "removed" => Some("Document removed"),
        _ => None,
    };
    contract_page(
        &state,
        &auth,
        id,
        notice.map(str::to_owned),
        Errors::default(),
    )
    .await
}
