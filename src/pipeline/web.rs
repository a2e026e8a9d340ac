//! Pages: a borough's procurements, one procurement (stage, checklist, notices, who else is
//! buying, collaboration), the opportunities board with its feeds, the London pipeline, and
//! collaboration threads.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;

use super::board::{self, BoardQuery, Opportunity, SavedSearch};
use super::collaboration::{self, Collaboration, CollaborationError, Message, TOPICS};
use super::matching::{self, Candidate};
use super::store::{
    self, Activity, ChecklistItem, Notice, NoticeInput, NoticeKind, Person, Procurement,
    ProcurementInput,
};
use super::{ItemStatus, Procedure, Stage, Status, VALUE_BANDS};
use crate::accounts::{OrgKind, User, store as accounts};
use crate::args;
use crate::cpv::CpvCode;
use crate::db::now;
use crate::guide::fill::parse_date_parts;
use crate::money::Pence;
use crate::visibility::Visibility;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/procurements", get(list))
        .route("/procurements/new", get(new_form).post(create))
        .route("/procurements/{id}", get(show))
        .route("/procurements/{id}/edit", get(edit_form).post(edit))
        .route("/procurements/{id}/stage", post(change_stage))
        .route("/procurements/{id}/checklist/{item}", post(update_item))
        .route("/procurements/{id}/notices", post(add_notice))
        .route("/procurements/{id}/cancel", post(cancel))
        .route("/procurements/{id}/collaborate", post(collaborate))
        .route("/opportunities", get(opportunities))
        .route("/opportunities.atom", get(opportunities_atom))
        .route("/opportunities.csv", get(opportunities_csv))
        .route("/opportunities.json", get(opportunities_json))
        .route("/saved-searches", get(saved_list).post(save_search))
        .route("/saved-searches/{id}/delete", post(delete_search))
        .route("/pipeline", get(pipeline))
        .route("/collaborations", get(collaborations))
        .route("/collaborations/{id}", get(thread))
        .route("/collaborations/{id}/messages", post(post_message))
        .route("/collaborations/{id}/answer", post(answer))
}

fn html(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

/// People who work on procurements: officers of London authorities and the convenor.
fn require_buyer<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if matches!(user.org_kind, OrgKind::Borough | OrgKind::Convenor) {
        Ok(user)
    } else {
        Err(PageError::Forbidden(
            "Procurements are run by London authorities. Suppliers can follow them on the opportunities board.",
        ))
    }
}

// ---- Parsing the procurement form ----

/// What the officer typed, kept to show the form back.
#[derive(Debug, Clone, Default)]
pub struct FormValues {
    pub title: String,
    pub need: String,
    pub cpv: String,
    pub value: String,
    pub incumbent: String,
    pub incumbent_end: [String; 3],
    pub owner: String,
    pub team: String,
    pub procedure: String,
    pub tender: [String; 3],
    pub start: [String; 3],
    pub months: String,
    pub sme: bool,
    pub visibility: String,
}

fn date_parts(d: Option<NaiveDate>) -> [String; 3] {
    match d {
        Some(d) => [
            d.format("%-d").to_string(),
            d.format("%-m").to_string(),
            d.format("%Y").to_string(),
        ],
        None => Default::default(),
    }
}

impl FormValues {
    fn from_fields(f: &Fields) -> FormValues {
        let parts = |n: &str| {
            [
                f.get(&format!("{n}-day")).to_owned(),
                f.get(&format!("{n}-month")).to_owned(),
                f.get(&format!("{n}-year")).to_owned(),
            ]
        };
        FormValues {
            title: f.get("title").into(),
            need: f.get("need").into(),
            cpv: f.get("cpv").into(),
            value: f.get("value").into(),
            incumbent: f.get("incumbent").into(),
            incumbent_end: parts("incumbent_end"),
            owner: f.get("owner").into(),
            team: f.get("team").into(),
            procedure: f.get("procedure").into(),
            tender: parts("tender"),
            start: parts("start"),
            months: f.get("months").into(),
            sme: !f.get("sme").is_empty(),
            visibility: f.get("visibility").into(),
        }
    }

    fn from_procurement(p: &Procurement) -> FormValues {
        FormValues {
            title: p.title.clone(),
            need: p.need.clone(),
            cpv: p.cpv_full(),
            value: p.value().map(|v| v.display()).unwrap_or_default(),
            incumbent: p.incumbent.clone(),
            incumbent_end: date_parts(p.incumbent_end_date),
            owner: p.owner_user_id.map(|i| i.to_string()).unwrap_or_default(),
            team: p.team.clone(),
            procedure: p.procedure_kind.as_str().into(),
            tender: date_parts(p.expected_tender_date),
            start: date_parts(p.expected_start_date),
            months: p.contract_months.map(|m| m.to_string()).unwrap_or_default(),
            sme: p.sme_suitable,
            visibility: p.visibility.as_str().into(),
        }
    }

    fn new_for(user: &User) -> FormValues {
        FormValues {
            owner: user.id.to_string(),
            procedure: Procedure::NotDecided.as_str().into(),
            visibility: Visibility::Private.as_str().into(),
            ..FormValues::default()
        }
    }
}

fn optional_date(
    label: &str,
    parts: &[String; 3],
    field: &str,
    errors: &mut Errors,
) -> Option<NaiveDate> {
    if parts.iter().all(|p| p.is_empty()) {
        return None;
    }
    match parse_date_parts(label, &parts[0], &parts[1], &parts[2]) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.add(format!("{field}-day"), e);
            None
        }
    }
}

fn parse_input(v: &FormValues, people: &[Person]) -> Result<ProcurementInput, Errors> {
    let mut e = Errors::default();
    if v.title.is_empty() {
        e.add("title", "Enter a title");
    } else if v.title.chars().count() > 200 {
        e.add("title", "Title must be 200 characters or fewer");
    }
    if v.need.is_empty() {
        e.add("need", "Describe the need");
    } else if v.need.chars().count() > 10_000 {
        e.add("need", "The need must be 10,000 characters or fewer");
    }
    let cpv = match CpvCode::parse(&v.cpv) {
        Ok(c) => Some(c),
        Err(err) => {
            e.add("cpv", err.to_string());
            None
        }
    };
    let value = if v.value.is_empty() {
        None
    } else {
        match Pence::parse_pounds(&v.value) {
            Ok(p) => Some(p),
            Err(_) => {
                e.add(
                    "value",
                    "Estimated value must be an amount in pounds, like £250,000",
                );
                None
            }
        }
    };
    let incumbent_end_date = optional_date(
        "Incumbent contract end date",
        &v.incumbent_end,
        "incumbent_end",
        &mut e,
    );
    let owner_user_id = if v.owner.is_empty() {
        None
    } else {
        match v
            .owner
            .parse::<i64>()
            .ok()
            .filter(|id| people.iter().any(|p| p.id == *id))
        {
            Some(id) => Some(id),
            None => {
                e.add("owner", "Choose an owner from your organisation");
                None
            }
        }
    };
    let procedure = v.procedure.parse::<Procedure>().unwrap_or_else(|_| {
        e.add("procedure", "Choose a procedure");
        Procedure::NotDecided
    });
    let expected_tender_date = optional_date("Expected tender date", &v.tender, "tender", &mut e);
    let expected_start_date =
        optional_date("Expected contract start date", &v.start, "start", &mut e);
    if let (Some(t), Some(s)) = (expected_tender_date, expected_start_date)
        && s < t
    {
        e.add(
            "start-day",
            "Expected contract start must be after the expected tender date",
        );
    }
    let contract_months = if v.months.is_empty() {
        None
    } else {
        match v.months.parse::<i64>() {
            Ok(m) if (1..=600).contains(&m) => Some(m),
            _ => {
                e.add(
                    "months",
                    "Contract length must be a whole number of months between 1 and 600",
                );
                None
            }
        }
    };
    let visibility = v.visibility.parse::<Visibility>().unwrap_or_else(|_| {
        e.add("visibility", "Choose who can see this procurement");
        Visibility::Private
    });
    match (cpv, e.is_empty()) {
        (Some(cpv), true) => Ok(ProcurementInput {
            title: v.title.clone(),
            need: v.need.clone(),
            cpv,
            value,
            incumbent: v.incumbent.chars().take(200).collect(),
            incumbent_end_date,
            owner_user_id,
            team: v.team.chars().take(200).collect(),
            procedure,
            expected_tender_date,
            expected_start_date,
            contract_months,
            sme_suitable: v.sme,
            visibility,
        }),
        _ => Err(e),
    }
}

// ---- My procurements, new, edit ----

#[derive(Template)]
#[template(path = "pipeline/templates/procurements.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Procurement>,
    org_name: String,
}

async fn list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = require_buyer(&auth, "/procurements")?;
    html(
        StatusCode::OK,
        ListPage {
            layout: Layout::new(&auth, "Your procurements")
                .nav("pipeline")
                .crumb("Home", "/"),
            items: store::list_for_org(&state.db, user.org_id).await?,
            org_name: user.org_name.clone(),
        },
    )
}

#[derive(Template)]
#[template(path = "pipeline/templates/procurement_form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    heading: String,
    v: FormValues,
    errors: Errors,
    people: Vec<Person>,
    procedures: [Procedure; 7],
    visibilities: [Visibility; 3],
}

async fn show_form(
    state: &AppState,
    auth: &Auth,
    user: &User,
    action: String,
    heading: &str,
    v: FormValues,
    errors: Errors,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if errors.is_empty() {
        heading.to_owned()
    } else {
        format!("Error: {heading}")
    };
    html(
        status,
        FormPage {
            layout: Layout::new(auth, title)
                .nav("pipeline")
                .crumb("Home", "/")
                .crumb("Your procurements", "/procurements"),
            action,
            heading: heading.into(),
            v,
            errors,
            people: store::people(&state.db, user.org_id).await?,
            procedures: Procedure::ALL,
            visibilities: Visibility::ALL,
        },
    )
}

async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = require_buyer(&auth, "/procurements/new")?.clone();
    show_form(
        &state,
        &auth,
        &user,
        "/procurements/new".into(),
        "New procurement",
        FormValues::new_for(&user),
        Errors::default(),
    )
    .await
}

async fn create(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, "/procurements/new")?.clone();
    let v = FormValues::from_fields(&fields);
    let people = store::people(&state.db, user.org_id).await?;
    match parse_input(&v, &people) {
        Ok(input) => {
            let id = store::create(&state.db, &state.content, &user, &input).await?;
            Ok(Redirect::to(&format!("/procurements/{id}?done=created")).into_response())
        }
        Err(errors) => {
            show_form(
                &state,
                &auth,
                &user,
                "/procurements/new".into(),
                "New procurement",
                v,
                errors,
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
    let user = require_buyer(&auth, &format!("/procurements/{id}/edit"))?.clone();
    let p = own_or_404(&state, &auth, &user, id).await?;
    show_form(
        &state,
        &auth,
        &user,
        format!("/procurements/{id}/edit"),
        "Edit procurement",
        FormValues::from_procurement(&p),
        Errors::default(),
    )
    .await
}

/// The procurement if the user's organisation owns it. Another organisation's record is 404
/// when the user cannot see it and 403 when they can (a published one), never changed.
async fn own_or_404(
    state: &AppState,
    auth: &Auth,
    user: &User,
    id: i64,
) -> Result<Procurement, PageError> {
    if let Some(p) = store::get_own(&state.db, user, id).await? {
        return Ok(p);
    }
    match store::get(&state.db, &auth.viewer(), id).await? {
        Some(_) => Err(PageError::Forbidden(
            "Only the organisation that runs a procurement can change it.",
        )),
        None => Err(PageError::NotFound),
    }
}

async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/procurements/{id}/edit"))?.clone();
    let p = own_or_404(&state, &auth, &user, id).await?;
    let v = FormValues::from_fields(&fields);
    let people = store::people(&state.db, user.org_id).await?;
    match parse_input(&v, &people) {
        Ok(input) => {
            store::update(&state.db, &user, &p, &input).await?;
            Ok(Redirect::to(&format!("/procurements/{id}?done=saved")).into_response())
        }
        Err(errors) => {
            show_form(
                &state,
                &auth,
                &user,
                format!("/procurements/{id}/edit"),
                "Edit procurement",
                v,
                errors,
            )
            .await
        }
    }
}

// ---- One procurement ----

#[derive(Template)]
#[template(path = "pipeline/templates/procurement.html")]
struct ShowPage {
    layout: Layout,
    p: Procurement,
    is_owner: bool,
    can_collaborate: bool,
    stages: [Stage; 5],
    stage_items: Vec<ChecklistItem>,
    next_item: Option<ChecklistItem>,
    done_in_stage: usize,
    people: Vec<Person>,
    item_statuses: [ItemStatus; 4],
    notices: Vec<Notice>,
    activity: Vec<Activity>,
    matches: Vec<Candidate>,
    threads: Vec<Collaboration>,
    own_org_id: i64,
    london: Vec<(i64, String)>,
    /// The joint procurement made from this one, when the viewer is a partner in it.
    joint_id: Option<i64>,
    errors: Errors,
}

impl ShowPage {
    fn stage_state(&self, s: &Stage) -> &'static str {
        if *s == self.p.stage {
            "current"
        } else if *s < self.p.stage {
            "done"
        } else {
            "later"
        }
    }

    fn has_thread_with(&self, org: &i64) -> bool {
        self.threads.iter().any(|t| t.partner_org_id == *org)
    }
}

async fn show_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<String>,
    errors: Errors,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let p = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let is_owner = viewer.can_edit(p.org_id);
    let checklist = store::checklist(&state.db, p.id).await?;
    let stage_items: Vec<ChecklistItem> = checklist
        .iter()
        .filter(|i| i.stage == p.stage)
        .cloned()
        .collect();
    let next_item = stage_items
        .iter()
        .find(|i| !i.status.is_finished())
        .cloned();
    let done_in_stage = stage_items
        .iter()
        .filter(|i| i.status.is_finished())
        .count();
    let (people, matches, activity) = if is_owner {
        (
            store::people(&state.db, p.org_id).await?,
            matching::find(&state.db, &viewer, &p).await?,
            store::activity(&state.db, p.id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let threads = collaboration::for_procurement(&state.db, &viewer, p.id).await?;
    let london = if is_owner {
        accounts::organisations(&state.db, Some(OrgKind::Borough))
            .await?
            .into_iter()
            .filter(|o| o.id != p.org_id)
            .map(|o| (o.id, o.short_name))
            .collect()
    } else {
        Vec::new()
    };
    let can_collaborate = viewer.is_london_member() && !is_owner;
    let joint_id = crate::joint::procurement::for_procurement(&state.db, &viewer, p.id)
        .await?
        .map(|j| j.id);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        ShowPage {
            layout: Layout::new(auth, &p.title)
                .nav("pipeline")
                .crumb("Home", "/")
                .crumb(
                    if is_owner {
                        "Your procurements"
                    } else {
                        "Opportunities"
                    },
                    if is_owner {
                        "/procurements"
                    } else {
                        "/opportunities"
                    },
                )
                .notice(notice),
            is_owner,
            can_collaborate,
            stages: Stage::ALL,
            stage_items,
            next_item,
            done_in_stage,
            people,
            item_statuses: ItemStatus::ALL,
            notices: store::notices(&state.db, p.id).await?,
            activity,
            matches,
            threads,
            own_org_id: viewer.org_id().unwrap_or(-1),
            london,
            joint_id,
            errors,
            p,
        },
    )
}

#[derive(serde::Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Result<Response, PageError> {
    let notice = match q.done.as_str() {
        "created" => Some("Procurement created, with a checklist for every stage".to_owned()),
        "saved" => Some("Changes saved".to_owned()),
        "stage" => Some("Stage changed".to_owned()),
        "item" => Some("Checklist updated".to_owned()),
        "notice" => Some("Notice recorded".to_owned()),
        "cancelled" => Some("Procurement cancelled".to_owned()),
        _ => None,
    };
    show_page(&state, &auth, id, notice, Errors::default()).await
}

async fn change_stage(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/procurements/{id}"))?.clone();
    let p = own_or_404(&state, &auth, &user, id).await?;
    let to = match fields.get("direction") {
        "next" => p.stage.next(),
        "previous" => p.stage.previous(),
        _ => None,
    }
    .ok_or_else(|| PageError::BadRequest("There is no stage in that direction.".into()))?;
    store::set_stage(&state.db, &user, &p, to).await?;
    Ok(Redirect::to(&format!("/procurements/{id}?done=stage")).into_response())
}

async fn update_item(
    State(state): State<AppState>,
    Path((id, item_id)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/procurements/{id}"))?.clone();
    let p = own_or_404(&state, &auth, &user, id).await?;
    let items = store::checklist(&state.db, p.id).await?;
    let item = items
        .iter()
        .find(|i| i.id == item_id)
        .ok_or(PageError::NotFound)?;
    let mut errors = Errors::default();
    let status = fields
        .get("status")
        .parse::<ItemStatus>()
        .unwrap_or_else(|_| {
            errors.add(format!("status-{item_id}"), "Choose a status");
            item.status
        });
    let people = store::people(&state.db, p.org_id).await?;
    let assignee = match fields.get("assignee") {
        "" => None,
        a => match a
            .parse::<i64>()
            .ok()
            .filter(|id| people.iter().any(|p| p.id == *id))
        {
            Some(id) => Some(id),
            None => {
                errors.add(
                    format!("assignee-{item_id}"),
                    "Choose someone from your organisation",
                );
                None
            }
        },
    };
    let due = match fields.get("due") {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.add(format!("due-{item_id}"), "Due date must be a real date");
                None
            }
        },
    };
    if !errors.is_empty() {
        return show_page(&state, &auth, id, None, errors).await;
    }
    store::update_item(&state.db, &user, &p, item, status, assignee, due).await?;
    Ok(Redirect::to(&format!("/procurements/{id}?done=item#checklist")).into_response())
}

async fn add_notice(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/procurements/{id}"))?.clone();
    let p = own_or_404(&state, &auth, &user, id).await?;
    let mut e = Errors::default();
    let kind = NoticeKind::parse(fields.get("kind"));
    if kind.is_none() {
        e.add("kind", "Choose the kind of notice");
    }
    let date = |name: &str, label: &str, e: &mut Errors| -> Option<NaiveDate> {
        match fields.get(name) {
            "" => None,
            d => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| e.add(name, format!("{label} must be a real date")))
                .ok(),
        }
    };
    let published_on = date("published_on", "Publication date", &mut e);
    if published_on.is_none() && e.get("published_on").is_empty() {
        e.add("published_on", "Enter the publication date");
    }
    let tender_deadline = date("tender_deadline", "Tender deadline", &mut e);
    let contract_start = date("contract_start", "Contract start", &mut e);
    let contract_end = date("contract_end", "Contract end", &mut e);
    let supplier = fields.get("supplier");
    let value = match fields.get("value") {
        "" => None,
        v => Pence::parse_pounds(v)
            .map_err(|err| e.add("value", err.to_string()))
            .ok(),
    };
    let company_number = match fields.get("company_number") {
        "" => None,
        c => crate::suppliers::CompanyNumber::parse(c)
            .map_err(|err| e.add("company_number", err.to_string()))
            .ok(),
    };
    if matches!(kind, Some(NoticeKind::Award | NoticeKind::Contract)) && supplier.is_empty() {
        e.add("supplier", "Enter the supplier awarded the contract");
    }
    if let (Some(s), Some(end)) = (contract_start, contract_end)
        && end <= s
    {
        e.add("contract_end", "Contract end must be after its start");
    }
    let (Some(kind), Some(published_on), true) = (kind, published_on, e.is_empty()) else {
        return show_page(&state, &auth, id, None, e).await;
    };
    store::add_notice(
        &state.db,
        &user,
        &p,
        &NoticeInput {
            kind,
            published_on,
            tender_deadline,
            supplier_name: (!supplier.is_empty()).then(|| supplier.to_owned()),
            supplier_company_number: company_number,
            value,
            contract_start,
            contract_end,
            details: fields.get("details").chars().take(5000).collect(),
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/procurements/{id}?done=notice#notices")).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/procurements/{id}"))?.clone();
    let p = own_or_404(&state, &auth, &user, id).await?;
    let reason = fields.get("reason");
    if reason.is_empty() {
        let mut e = Errors::default();
        e.add("reason", "Say why the procurement is cancelled");
        return show_page(&state, &auth, id, None, e).await;
    }
    store::cancel(&state.db, &user, &p, reason).await?;
    Ok(Redirect::to(&format!("/procurements/{id}?done=cancelled")).into_response())
}

async fn collaborate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/procurements/{id}"))?.clone();
    let p = store::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    // The owner invites a partner; anyone else expresses their own organisation's interest.
    let partner = if user.org_id == p.org_id {
        let partner: i64 = fields
            .get("partner")
            .parse()
            .map_err(|_| PageError::BadRequest("Choose a borough to invite.".into()))?;
        match accounts::organisation(&state.db, partner).await? {
            Some(o) if matches!(o.kind, OrgKind::Borough | OrgKind::Convenor) => o.id,
            _ => {
                return Err(PageError::BadRequest(
                    "Choose a London authority to invite.".into(),
                ));
            }
        }
    } else {
        user.org_id
    };
    let message: String = fields.get("message").chars().take(5000).collect();
    match collaboration::open(&state.db, &user, &p, partner, &message).await {
        Ok(cid) => Ok(Redirect::to(&format!("/collaborations/{cid}")).into_response()),
        Err(CollaborationError::AlreadyExists(cid)) => {
            Ok(Redirect::to(&format!("/collaborations/{cid}")).into_response())
        }
        Err(CollaborationError::Db(e)) => Err(e.into()),
        Err(e) => Err(PageError::BadRequest(e.to_string())),
    }
}

// ---- The opportunities board and its feeds ----

fn pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "pipeline/templates/board.html")]
struct BoardPage {
    layout: Layout,
    q: BoardQuery,
    qs: String,
    items: Vec<Procurement>,
    total: i64,
    pages: i64,
    boroughs: Vec<(String, String)>,
    bands: &'static [(&'static str, &'static str, i64, i64)],
    stages: [Stage; 5],
    statuses: [Status; 4],
    signed_in: bool,
}

impl BoardPage {
    fn page_link(&self, page: i64) -> String {
        let sep = if self.qs.is_empty() { "" } else { "&" };
        format!("/opportunities?{}{sep}page={page}", self.qs)
    }
}

async fn opportunities(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = BoardQuery::parse(&pairs(&raw));
    let viewer = auth.viewer();
    let result = board::search(&state.db, &viewer, &q, None).await?;
    let pages = ((result.total + board::PAGE_SIZE - 1) / board::PAGE_SIZE).max(1);
    html(
        StatusCode::OK,
        BoardPage {
            layout: Layout::new(&auth, "Opportunities")
                .nav("opportunities")
                .crumb("Home", "/"),
            qs: q.to_query_string(),
            boroughs: board::boroughs_with_items(&state.db, &viewer).await?,
            items: result.items,
            total: result.total,
            pages,
            q,
            bands: VALUE_BANDS,
            stages: Stage::ALL,
            statuses: Status::ALL,
            signed_in: auth.user.is_some(),
        },
    )
}

/// Feeds carry at most this many items: a feed is for news, the CSV for everything.
const FEED_LIMIT: i64 = 200;
const DOWNLOAD_LIMIT: i64 = 10_000;

async fn opportunities_atom(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let mut q = BoardQuery::parse(&pairs(&raw));
    q.sort = board::Sort::Newest;
    let r = board::search(&state.db, &auth.viewer(), &q, Some(FEED_LIMIT)).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        board::atom(&r.items, &q, &state.config.public_url),
    )
        .into_response())
}

async fn opportunities_csv(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = BoardQuery::parse(&pairs(&raw));
    let r = board::search(&state.db, &auth.viewer(), &q, Some(DOWNLOAD_LIMIT)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"opportunities-{}.csv\"",
                    chrono::Utc::now().date_naive()
                ),
            ),
        ],
        board::csv(&r.items, &state.config.public_url),
    )
        .into_response())
}

async fn opportunities_json(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = BoardQuery::parse(&pairs(&raw));
    let r = board::search(&state.db, &auth.viewer(), &q, Some(DOWNLOAD_LIMIT)).await?;
    let items: Vec<Opportunity> = r
        .items
        .iter()
        .map(|p| Opportunity::from(p, &state.config.public_url))
        .collect();
    Ok(axum::Json(serde_json::json!({ "total": r.total, "opportunities": items })).into_response())
}

// ---- Saved searches ----

#[derive(Template)]
#[template(path = "pipeline/templates/saved_searches.html")]
struct SavedPage {
    layout: Layout,
    searches: Vec<SavedSearch>,
}

async fn saved_list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = auth.require_user("/saved-searches")?;
    html(
        StatusCode::OK,
        SavedPage {
            layout: Layout::new(&auth, "Saved searches")
                .nav("opportunities")
                .crumb("Home", "/")
                .crumb("Opportunities", "/opportunities"),
            searches: board::saved_searches(&state.db, user.id).await?,
        },
    )
}

async fn save_search(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/opportunities")?.clone();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(fields.get("query")).unwrap_or_default();
    let q = BoardQuery::parse(&pairs);
    let name = match fields.get("name") {
        "" => q.describe(),
        n => n.chars().take(100).collect(),
    };
    let alerts = match fields.get("alerts") {
        a @ ("off" | "daily" | "immediate") => a,
        _ => "daily",
    };
    let count = state
        .db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM saved_searches WHERE user_id = $1",
            args![user.id],
        )
        .await?
        .unwrap_or(0);
    if count >= 50 {
        return Err(PageError::BadRequest(
            "You have 50 saved searches. Delete one before saving another.".into(),
        ));
    }
    state
        .db
        .execute(
            "INSERT INTO saved_searches (user_id, name, query, alerts, last_alerted_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)",
            args![user.id, name, q.to_query_string(), alerts, now()],
        )
        .await?;
    Ok(Redirect::to("/saved-searches").into_response())
}

async fn delete_search(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = auth.require_user("/saved-searches")?.clone();
    let n = state
        .db
        .execute(
            "DELETE FROM saved_searches WHERE id = $1 AND user_id = $2",
            args![id, user.id],
        )
        .await?;
    if n == 0 {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to("/saved-searches").into_response())
}

// ---- The London pipeline ----

pub struct Cluster {
    pub label: String,
    pub items: Vec<Procurement>,
    pub boroughs: usize,
}

#[derive(Template)]
#[template(path = "pipeline/templates/pipeline.html")]
struct PipelinePage {
    layout: Layout,
    clusters: Vec<Cluster>,
    upcoming: Vec<Procurement>,
    is_member: bool,
}

/// Groups upcoming items of different boroughs that share a CPV group: candidates for joint
/// procurement. An item without an expected date still counts: it may be the one to ask.
fn clusters(items: &[Procurement]) -> Vec<Cluster> {
    let mut by_group: std::collections::BTreeMap<String, Vec<Procurement>> = Default::default();
    for p in items {
        if let Some(c) = p.cpv() {
            by_group
                .entry(c.group().to_owned())
                .or_default()
                .push(p.clone());
        }
    }
    let mut out: Vec<Cluster> = by_group
        .into_iter()
        .filter_map(|(group, items)| {
            let orgs: std::collections::BTreeSet<i64> = items.iter().map(|p| p.org_id).collect();
            (orgs.len() >= 2).then(|| {
                let label = CpvCode::parse(&format!("{group}00000"))
                    .map(|c| c.label().to_owned())
                    .unwrap_or_else(|_| format!("CPV group {group}"));
                Cluster {
                    label,
                    boroughs: orgs.len(),
                    items,
                }
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.boroughs
            .cmp(&a.boroughs)
            .then(b.items.len().cmp(&a.items.len()))
    });
    out
}

async fn pipeline(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let q = BoardQuery {
        status: Some(Status::Planned),
        page: 1,
        ..BoardQuery::default()
    };
    let r = board::search(&state.db, &viewer, &q, Some(1000)).await?;
    html(
        StatusCode::OK,
        PipelinePage {
            layout: Layout::new(&auth, "London pipeline")
                .nav("pipeline")
                .crumb("Home", "/"),
            clusters: clusters(&r.items),
            upcoming: r.items,
            is_member: viewer.is_london_member(),
        },
    )
}

// ---- Collaboration threads ----

#[derive(Template)]
#[template(path = "pipeline/templates/collaborations.html")]
struct ThreadsPage {
    layout: Layout,
    threads: Vec<Collaboration>,
    org_id: i64,
}

async fn collaborations(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = require_buyer(&auth, "/collaborations")?.clone();
    html(
        StatusCode::OK,
        ThreadsPage {
            layout: Layout::new(&auth, "Collaborations")
                .nav("pipeline")
                .crumb("Home", "/"),
            threads: collaboration::list_for_viewer(&state.db, &auth.viewer()).await?,
            org_id: user.org_id,
        },
    )
}

#[derive(Template)]
#[template(path = "pipeline/templates/thread.html")]
struct ThreadPage {
    layout: Layout,
    c: Collaboration,
    messages: Vec<Message>,
    topics: &'static [(&'static str, &'static str)],
    org_id: i64,
    errors: Errors,
    body: String,
}

async fn thread_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    errors: Errors,
    body: String,
) -> Result<Response, PageError> {
    let user = require_buyer(auth, &format!("/collaborations/{id}"))?.clone();
    let c = collaboration::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        ThreadPage {
            layout: Layout::new(auth, format!("Collaboration: {}", c.procurement_title))
                .nav("pipeline")
                .crumb("Home", "/")
                .crumb("Collaborations", "/collaborations"),
            messages: collaboration::messages(&state.db, &c).await?,
            c,
            topics: TOPICS,
            org_id: user.org_id,
            errors,
            body,
        },
    )
}

async fn thread(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    thread_page(&state, &auth, id, Errors::default(), String::new()).await
}

async fn post_message(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/collaborations/{id}"))?.clone();
    let c = collaboration::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let body = fields.get("body");
    let topic = fields.get("topic");
    let mut e = Errors::default();
    if body.is_empty() {
        e.add("body", "Enter a message");
    } else if body.chars().count() > 10_000 {
        e.add("body", "Message must be 10,000 characters or fewer");
    }
    if !TOPICS.iter().any(|(k, _)| *k == topic) {
        e.add("topic", "Choose what the message is about");
    }
    if c.status == "declined" {
        e.add(
            "body",
            "This collaboration was declined, so no more messages can be sent",
        );
    }
    if !e.is_empty() {
        return thread_page(&state, &auth, id, e, body.to_owned()).await;
    }
    collaboration::post(&state.db, &user, &c, topic, body).await?;
    Ok(Redirect::to(&format!("/collaborations/{id}#messages")).into_response())
}

async fn answer(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_buyer(&auth, &format!("/collaborations/{id}"))?.clone();
    let c = collaboration::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let accept = match fields.get("answer") {
        "accept" => true,
        "decline" => false,
        _ => return Err(PageError::BadRequest("Choose to accept or decline.".into())),
    };
    if !collaboration::answer(&state.db, &user, &c, accept).await? {
        return Err(PageError::Forbidden(
            "Only the borough that was asked can accept or decline.",
        ));
    }
    Ok(Redirect::to(&format!("/collaborations/{id}")).into_response())
}
