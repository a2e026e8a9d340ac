//! Market engagement pages: the list, creating and editing an event, its page (with every
//! form for the running boroughs and for suppliers), and its preliminary market engagement
//! notice data.

use askama::Template;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, NaiveTime};

use super::{html, require_london, require_supplier, status_for, title_for};
use crate::accounts::{OrgKind, User, store as accounts};
use crate::engagement::events::{
    self as store, Answer, AskError, Clarification, Engagement, EngagementError, EngagementInput,
    Partner, Question, RegisterError, Registration,
};
use crate::engagement::notice::{self, PreliminaryMarketEngagementNotice};
use crate::engagement::{Category, EngagementKind, EngagementStatus, EventFormat, check_text};
use crate::guide::fill::parse_date_parts;
use crate::pipeline::store::Procurement;
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

fn pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

// ---- The list ----

#[derive(Template)]
#[template(path = "engagement/templates/engagements.html")]
struct ListPage {
    layout: Layout,
    events: Vec<Engagement>,
    can_run: bool,
}

pub async fn list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    html(
        StatusCode::OK,
        ListPage {
            layout: Layout::new(&auth, "Market engagement")
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market", "/market"),
            events: store::list(&state.db, &auth.viewer()).await?,
            can_run: auth.viewer().is_london_member(),
        },
    )
}

// ---- Creating and editing ----

#[derive(Debug, Clone, Default)]
pub struct EventValues {
    pub title: String,
    pub description: String,
    pub kind: String,
    pub format: String,
    pub location: String,
    pub joining_details: String,
    pub event: [String; 3],
    pub start: String,
    pub end: String,
    pub closes: [String; 3],
    pub capacity: String,
    pub procurement: String,
    pub category: String,
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

impl EventValues {
    fn from_fields(f: &Fields) -> EventValues {
        let parts = |n: &str| {
            [
                f.get(&format!("{n}-day")).to_owned(),
                f.get(&format!("{n}-month")).to_owned(),
                f.get(&format!("{n}-year")).to_owned(),
            ]
        };
        EventValues {
            title: f.get("title").into(),
            description: f.get("description").into(),
            kind: f.get("kind").into(),
            format: f.get("format").into(),
            location: f.get("location").into(),
            joining_details: f.get("joining_details").into(),
            event: parts("event"),
            start: f.get("start").into(),
            end: f.get("end").into(),
            closes: parts("closes"),
            capacity: f.get("capacity").into(),
            procurement: f.get("procurement").into(),
            category: f.get("category").into(),
        }
    }

    fn from_engagement(e: &Engagement) -> EventValues {
        EventValues {
            title: e.title.clone(),
            description: e.description.clone(),
            kind: e.kind.as_str().into(),
            format: e.format.as_str().into(),
            location: e.location.clone(),
            joining_details: e.joining_details.clone(),
            event: date_parts(e.event_date),
            start: e.event_start.clone().unwrap_or_default(),
            end: e.event_end.clone().unwrap_or_default(),
            closes: date_parts(Some(e.closes_on)),
            capacity: e.capacity.map(|c| c.to_string()).unwrap_or_default(),
            procurement: e.procurement_id.map(|p| p.to_string()).unwrap_or_default(),
            category: e.category.clone(),
        }
    }
}

fn time(value: &str, field: &str, label: &str, e: &mut Errors) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    match NaiveTime::parse_from_str(value, "%H:%M") {
        Ok(t) => Some(t.format("%H:%M").to_string()),
        Err(_) => {
            e.add(
                field,
                format!("{label} must be a time on the 24-hour clock, like 09:30 or 14:00"),
            );
            None
        }
    }
}

fn parse_event(
    v: &EventValues,
    own: &[Procurement],
    creating: bool,
) -> Result<EngagementInput, Errors> {
    let mut e = Errors::default();
    if let Err(m) = check_text(&v.title, "Title", true, 200) {
        e.add("title", m);
    }
    if let Err(m) = check_text(&v.description, "What you want to learn", true, 5_000) {
        e.add("description", m);
    }
    let kind = v.kind.parse::<EngagementKind>().ok();
    if kind.is_none() {
        e.add("kind", "Choose the kind of engagement");
    }
    let format = v.format.parse::<EventFormat>().ok();
    if format.is_none() {
        e.add("format", "Choose online, in person or both");
    }
    let event_date = if v.event.iter().all(String::is_empty) {
        if matches!(
            kind,
            Some(EngagementKind::SupplierDay | EngagementKind::Demo)
        ) {
            e.add("event-day", "Enter the date of the event");
        }
        None
    } else {
        parse_date_parts(
            "The date of the event",
            &v.event[0],
            &v.event[1],
            &v.event[2],
        )
        .map_err(|m| e.add("event-day", m))
        .ok()
    };
    let start = time(&v.start, "start", "Start time", &mut e);
    let end = time(&v.end, "end", "End time", &mut e);
    if let (Some(a), Some(b)) = (&start, &end)
        && b <= a
    {
        e.add("end", "End time must be after the start time");
    }
    if event_date.is_some()
        && matches!(format, Some(EventFormat::InPerson | EventFormat::Hybrid))
        && v.location.trim().is_empty()
    {
        e.add("location", "Enter where the event is held");
    }
    if let Err(m) = check_text(&v.location, "Location", false, 500) {
        e.add("location", m);
    }
    if let Err(m) = check_text(&v.joining_details, "Joining details", false, 1_000) {
        e.add("joining_details", m);
    }
    let closes_on = parse_date_parts(
        "The date registration and responses close",
        &v.closes[0],
        &v.closes[1],
        &v.closes[2],
    )
    .map_err(|m| e.add("closes-day", m))
    .ok();
    if creating
        && let Some(c) = closes_on
        && c < chrono::Utc::now().date_naive()
    {
        e.add("closes-day", "The closing date must be today or later");
    }
    if let (Some(c), Some(d)) = (closes_on, event_date)
        && c > d
    {
        e.add(
            "closes-day",
            "Registration must close on or before the day of the event",
        );
    }
    let capacity = match v.capacity.as_str() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(n) if (1..=10_000).contains(&n) => Some(n),
            _ => {
                e.add(
                    "capacity",
                    "Capacity must be a whole number of suppliers from 1 to 10,000, or empty for no limit",
                );
                None
            }
        },
    };
    let procurement = match v.procurement.as_str() {
        "" => None,
        p => match p
            .parse::<i64>()
            .ok()
            .and_then(|id| own.iter().find(|x| x.id == id))
        {
            Some(x) => Some(x),
            None => {
                e.add(
                    "procurement",
                    "Choose one of your organisation's procurements",
                );
                None
            }
        },
    };
    // For a procurement, the category is its CPV code's; otherwise the officer chooses one.
    let category = match procurement.and_then(Procurement::cpv) {
        Some(cpv) => Some(Category::of(&cpv)),
        None if v.category.is_empty() => {
            if v.procurement.is_empty() {
                e.add(
                    "category",
                    "Enter the category suppliers should hear about it in, or choose a procurement",
                );
            }
            None
        }
        None => match Category::parse(&v.category) {
            Ok(c) => Some(c),
            Err(err) => {
                e.add("category", err.to_string());
                None
            }
        },
    };
    match (kind, format, closes_on, category, e.is_empty()) {
        (Some(kind), Some(format), Some(closes_on), Some(category), true) => Ok(EngagementInput {
            title: v.title.clone(),
            description: v.description.clone(),
            kind,
            format,
            location: v.location.clone(),
            joining_details: v.joining_details.clone(),
            event_date,
            event_start: start,
            event_end: end,
            closes_on,
            capacity,
            procurement_id: procurement.map(|p| p.id),
            category,
        }),
        _ => Err(e),
    }
}

#[derive(Template)]
#[template(path = "engagement/templates/engagement_form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    heading: String,
    v: EventValues,
    errors: Errors,
    procurements: Vec<Procurement>,
    kinds: &'static [EngagementKind],
    formats: &'static [EventFormat],
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    user: &User,
    action: String,
    heading: &str,
    v: EventValues,
    errors: Errors,
) -> Result<Response, PageError> {
    html(
        status_for(&errors),
        FormPage {
            layout: Layout::new(auth, title_for(&errors, heading))
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market engagement", "/engagements"),
            action,
            heading: heading.into(),
            v,
            errors,
            procurements: crate::pipeline::store::list_for_org(&state.db, user.org_id).await?,
            kinds: EngagementKind::ALL,
            formats: EventFormat::ALL,
        },
    )
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let user = require_london(&auth, "/engagements/new")?.clone();
    let q = pairs(&raw);
    let mut v = EventValues {
        kind: EngagementKind::Rfi.as_str().into(),
        format: EventFormat::Online.as_str().into(),
        ..EventValues::default()
    };
    if let Some((_, p)) = q.iter().find(|(k, _)| k == "procurement")
        && let Ok(id) = p.parse::<i64>()
        && let Some(p) = crate::pipeline::store::get_own(&state.db, &user, id).await?
    {
        v.procurement = p.id.to_string();
        v.title = format!("Market engagement: {}", p.title);
    }
    form_page(
        &state,
        &auth,
        &user,
        "/engagements/new".into(),
        "Run a market engagement",
        v,
        Errors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_london(&auth, "/engagements/new")?.clone();
    let v = EventValues::from_fields(&fields);
    let own = crate::pipeline::store::list_for_org(&state.db, user.org_id).await?;
    match parse_event(&v, &own, true) {
        Ok(input) => {
            let id = store::create(&state.db, &user, &input).await?;
            Ok(Redirect::to(&format!("/engagements/{id}?done=created")).into_response())
        }
        Err(errors) => {
            form_page(
                &state,
                &auth,
                &user,
                "/engagements/new".into(),
                "Run a market engagement",
                v,
                errors,
            )
            .await
        }
    }
}

/// The event if the viewer's organisation runs it; 404 when the viewer cannot see it, 403
/// when it can (a published event run by others).
async fn run_or_404(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(User, Engagement), PageError> {
    let user = require_london(auth, &format!("/engagements/{id}"))?.clone();
    let e = store::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !e.viewer_runs {
        return Err(PageError::Forbidden(
            "Only the boroughs running a market engagement can change it.",
        ));
    }
    Ok((user, e))
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (user, e) = run_or_404(&state, &auth, id).await?;
    form_page(
        &state,
        &auth,
        &user,
        format!("/engagements/{id}/edit"),
        "Edit market engagement",
        EventValues::from_engagement(&e),
        Errors::default(),
    )
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, e) = run_or_404(&state, &auth, id).await?;
    let v = EventValues::from_fields(&fields);
    // A partner may edit, but only the lead's procurements can be attached.
    let lead = accounts::organisation(&state.db, e.org_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let own = crate::pipeline::store::list_for_org(&state.db, lead.id).await?;
    let result = parse_event(&v, &own, false);
    let mut errors = match result {
        Ok(input) => match store::update(&state.db, &e, &input).await {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/engagements/{id}?done=saved")).into_response());
            }
            Err(EngagementError::Db(err)) => return Err(err.into()),
            Err(err) => {
                let mut e = Errors::default();
                e.add("capacity", err.to_string());
                e
            }
        },
        Err(errors) => errors,
    };
    if errors.is_empty() {
        errors.add("title", "The engagement could not be saved");
    }
    form_page(
        &state,
        &auth,
        &user,
        format!("/engagements/{id}/edit"),
        "Edit market engagement",
        v,
        errors,
    )
    .await
}

// ---- One event ----

/// What was typed into the event page's forms, kept when one comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    pub question: String,
    pub question_hint: String,
    pub ask: String,
    pub answers: Vec<(i64, String)>,
    pub outcome: Option<String>,
    pub summary: Option<String>,
    pub clarification: Option<(i64, String, String)>,
    pub attendees: String,
}

#[derive(Template)]
#[template(path = "engagement/templates/engagement.html")]
struct EventPage {
    layout: Layout,
    e: Engagement,
    procurement: Option<Procurement>,
    partners: Vec<Partner>,
    questions: Vec<Question>,
    registration: Option<Registration>,
    registrations: Vec<Registration>,
    answers: Vec<Answer>,
    clarifications: Vec<Clarification>,
    boroughs: Vec<(i64, String)>,
    is_supplier: bool,
    signed_in: bool,
    k: Kept,
    errors: Errors,
}

impl EventPage {
    /// The answer to show in the questionnaire box: as typed, or as saved.
    fn answer_for(&self, question_id: &i64) -> String {
        if let Some((_, a)) = self.k.answers.iter().find(|(q, _)| q == question_id) {
            return a.clone();
        }
        self.answers
            .iter()
            .find(|a| {
                a.question_id == *question_id
                    && Some(a.registration_id) == self.registration.as_ref().map(|r| r.id)
            })
            .map(|a| a.answer.clone())
            .unwrap_or_default()
    }

    /// Every supplier's answer to a question, for the running boroughs.
    fn answers_to(&self, question_id: &i64) -> Vec<&Answer> {
        self.answers
            .iter()
            .filter(|a| a.question_id == *question_id)
            .collect()
    }

    fn outcome_value(&self) -> String {
        self.k
            .outcome
            .clone()
            .unwrap_or_else(|| self.e.outcome.clone())
    }

    fn summary_value(&self) -> String {
        self.k
            .summary
            .clone()
            .unwrap_or_else(|| self.e.summary.clone())
    }

    fn clar_question(&self, c: &Clarification) -> String {
        match &self.k.clarification {
            Some((id, q, _)) if *id == c.id => q.clone(),
            _ => c.question.clone(),
        }
    }

    fn clar_answer(&self, c: &Clarification) -> String {
        match &self.k.clarification {
            Some((id, _, a)) if *id == c.id => a.clone(),
            _ => c.answer.clone().unwrap_or_default(),
        }
    }

    fn question_label(&self, q: &Question) -> String {
        format!("{}. {}", q.position, q.text)
    }

    fn field(&self, name: &str, id: &i64) -> String {
        format!("{name}-{id}")
    }

    /// The error message of a field named per question or per clarification.
    fn err(&self, name: &str, id: &i64) -> String {
        self.errors.get(&format!("{name}-{id}")).to_owned()
    }

    fn published(&self) -> Vec<&Clarification> {
        self.clarifications
            .iter()
            .filter(|c| c.published_at.is_some())
            .collect()
    }

    fn awaiting(&self) -> Vec<&Clarification> {
        self.clarifications
            .iter()
            .filter(|c| c.published_at.is_none())
            .collect()
    }
}

async fn event_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<String>,
    k: Kept,
    errors: Errors,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let e = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let procurement = match e.procurement_id {
        Some(p) => crate::pipeline::store::get(&state.db, &viewer, p).await?,
        None => None,
    };
    let registration = store::own_registration(&state.db, &viewer, id).await?;
    let answers = store::answers(&state.db, &e, registration.as_ref()).await?;
    let partners = store::partners(&state.db, id).await?;
    let boroughs = if e.viewer_runs {
        accounts::organisations(&state.db, Some(OrgKind::Borough))
            .await?
            .into_iter()
            .filter(|o| o.id != e.org_id && !partners.iter().any(|p| p.org_id == o.id))
            .map(|o| (o.id, o.short_name))
            .collect()
    } else {
        Vec::new()
    };
    html(
        status_for(&errors),
        EventPage {
            layout: Layout::new(auth, title_for(&errors, &e.title))
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market engagement", "/engagements")
                .notice(notice),
            questions: store::questions(&state.db, id).await?,
            registrations: store::registrations(&state.db, &e).await?,
            clarifications: store::clarifications(&state.db, &viewer, &e).await?,
            is_supplier: auth
                .user
                .as_ref()
                .is_some_and(|u| u.org_kind == OrgKind::Supplier),
            signed_in: auth.user.is_some(),
            procurement,
            partners,
            registration,
            answers,
            boroughs,
            k,
            errors,
            e,
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let q = pairs(&raw);
    let done = q
        .iter()
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let told = q
        .iter()
        .find(|(k, _)| k == "told")
        .map(|(_, v)| v.as_str())
        .unwrap_or("0");
    let notice = match done {
        "created" => Some("Draft saved. Add questions and partner boroughs, then open it to suppliers.".to_owned()),
        "saved" => Some("Changes saved".to_owned()),
        "question" => Some("Questionnaire updated".to_owned()),
        "partner" => Some("Partner borough added: they can now manage this engagement with you".to_owned()),
        "opened" => Some(format!("Open to suppliers. {told} people at suppliers in this category were told.")),
        "registered" => Some("Your organisation is registered".to_owned()),
        "unregistered" => Some("Your registration is cancelled and the place given back".to_owned()),
        "answers" => Some("Your answers are saved. You can change them until the engagement closes.".to_owned()),
        "asked" => Some("Question sent. When it is answered, the answer is published to every participant without your name.".to_owned()),
        "answered" => Some("Answer published to every participant".to_owned()),
        "outcome" => Some("Outcome saved".to_owned()),
        "published" => Some("Summary published. Participants were told, and the procurement shows it.".to_owned()),
        "cancelled" => Some("Engagement cancelled".to_owned()),
        _ => None,
    };
    event_page(
        &state,
        &auth,
        id,
        notice,
        Kept::default(),
        Errors::default(),
    )
    .await
}

pub async fn add_question(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, e) = run_or_404(&state, &auth, id).await?;
    let k = Kept {
        question: fields.get("question").into(),
        question_hint: fields.get("question_hint").into(),
        ..Kept::default()
    };
    let mut errors = Errors::default();
    if e.status != EngagementStatus::Draft {
        errors.add(
            "question",
            "The questionnaire cannot change once suppliers can answer it: every supplier must answer the same questions",
        );
    } else if let Err(m) = check_text(&k.question, "The question", true, 1_000) {
        errors.add("question", m);
    } else if let Err(m) = check_text(&k.question_hint, "The hint", false, 500) {
        errors.add("question_hint", m);
    }
    if errors.is_empty()
        && !store::add_question(&state.db, id, &k.question, &k.question_hint).await?
    {
        errors.add(
            "question",
            format!(
                "A questionnaire can have at most {} questions",
                store::MAX_QUESTIONS
            ),
        );
    }
    if !errors.is_empty() {
        return event_page(&state, &auth, id, None, k, errors).await;
    }
    Ok(Redirect::to(&format!("/engagements/{id}?done=question#questionnaire")).into_response())
}

pub async fn delete_question(
    State(state): State<AppState>,
    Path((id, qid)): Path<(i64, i64)>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, e) = run_or_404(&state, &auth, id).await?;
    if e.status != EngagementStatus::Draft {
        return Err(PageError::BadRequest(
            "The questionnaire cannot change once suppliers can answer it.".into(),
        ));
    }
    if !store::delete_question(&state.db, id, qid).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/engagements/{id}?done=question#questionnaire")).into_response())
}

pub async fn add_partner(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, e) = run_or_404(&state, &auth, id).await?;
    let partner = fields.get("partner").parse::<i64>().ok();
    let org = match partner {
        Some(p) => accounts::organisation(&state.db, p).await?,
        None => None,
    };
    let Some(org) = org.filter(|o| o.kind == OrgKind::Borough && o.id != e.org_id) else {
        let mut errors = Errors::default();
        errors.add(
            "partner",
            "Choose a London borough to run this engagement with",
        );
        return event_page(&state, &auth, id, None, Kept::default(), errors).await;
    };
    store::add_partner(&state.db, id, org.id).await?;
    accounts::audit(
        &state.db,
        Some(&user),
        "engagement_partner",
        &format!("Added {} as a partner in market engagement {id}", org.name),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to(&format!("/engagements/{id}?done=partner")).into_response())
}

pub async fn open(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, e) = run_or_404(&state, &auth, id).await?;
    if e.status != EngagementStatus::Draft {
        return Err(PageError::BadRequest(
            "This engagement is already open.".into(),
        ));
    }
    if e.is_closed() {
        let mut errors = Errors::default();
        errors.add(
            "open",
            "Its closing date has passed: change the closing date before opening it",
        );
        return event_page(&state, &auth, id, None, Kept::default(), errors).await;
    }
    if e.kind == EngagementKind::Rfi && store::questions(&state.db, id).await?.is_empty() {
        let mut errors = Errors::default();
        errors.add(
            "question",
            "Add at least one question before opening a request for information",
        );
        return event_page(&state, &auth, id, None, Kept::default(), errors).await;
    }
    let told = store::open(&state.db, &e, &state.config.public_url).await?;
    Ok(Redirect::to(&format!("/engagements/{id}?done=opened&told={told}")).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, e) = run_or_404(&state, &auth, id).await?;
    store::cancel(&state.db, &e).await?;
    Ok(Redirect::to(&format!("/engagements/{id}?done=cancelled")).into_response())
}

async fn supplier_and_event(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(User, Engagement), PageError> {
    let user = require_supplier(auth, &format!("/engagements/{id}"))?.clone();
    let e = store::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok((user, e))
}

pub async fn register(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, e) = supplier_and_event(&state, &auth, id).await?;
    let typed = fields.get("attendees");
    let attendees = match typed {
        "" => Some(1),
        a => a.parse::<i64>().ok().filter(|n| (1..=20).contains(n)),
    };
    let mut errors = Errors::default();
    let Some(attendees) = attendees else {
        errors.add(
            "attendees",
            "Number of people attending must be a whole number from 1 to 20",
        );
        let k = Kept {
            attendees: typed.into(),
            ..Kept::default()
        };
        return event_page(&state, &auth, id, None, k, errors).await;
    };
    match store::register(&state.db, &user, &e, attendees).await? {
        Ok(_) => Ok(Redirect::to(&format!("/engagements/{id}?done=registered")).into_response()),
        Err(RegisterError::Already) => {
            Ok(Redirect::to(&format!("/engagements/{id}")).into_response())
        }
        Err(err) => {
            errors.add("attendees", err.to_string());
            let k = Kept {
                attendees: typed.into(),
                ..Kept::default()
            };
            let status = if matches!(err, RegisterError::Full(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let resp = event_page(&state, &auth, id, None, k, errors).await?;
            Ok((status, resp).into_response())
        }
    }
}

pub async fn unregister(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, e) = supplier_and_event(&state, &auth, id).await?;
    if !e.accepts_suppliers() {
        return Err(PageError::BadRequest(
            "This engagement has closed, so registrations can no longer change.".into(),
        ));
    }
    if !store::unregister(&state.db, &user, &e).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/engagements/{id}?done=unregistered")).into_response())
}

pub async fn save_answers(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, e) = supplier_and_event(&state, &auth, id).await?;
    let Some(reg) = store::own_registration(&state.db, &auth.viewer(), id).await? else {
        return Err(PageError::BadRequest(
            "Register for this engagement before answering its questionnaire.".into(),
        ));
    };
    let questions = store::questions(&state.db, id).await?;
    let mut errors = Errors::default();
    let mut answers = Vec::new();
    for q in &questions {
        let name = format!("answer-{}", q.id);
        let a = fields.get(&name).to_owned();
        if let Err(m) = check_text(
            &a,
            &format!("Your answer to question {}", q.position),
            false,
            store::MAX_ANSWER,
        ) {
            errors.add(name, m);
        }
        answers.push((q.id, a));
    }
    if !e.accepts_suppliers() {
        errors.add(
            "questionnaire",
            "This engagement has closed, so answers can no longer change",
        );
    }
    if !errors.is_empty() {
        let k = Kept {
            answers,
            ..Kept::default()
        };
        return event_page(&state, &auth, id, None, k, errors).await;
    }
    store::save_answers(&state.db, &reg, &answers).await?;
    Ok(Redirect::to(&format!("/engagements/{id}?done=answers#questionnaire")).into_response())
}

pub async fn ask(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, e) = supplier_and_event(&state, &auth, id).await?;
    let question = fields.get("ask");
    let k = Kept {
        ask: question.into(),
        ..Kept::default()
    };
    let mut errors = Errors::default();
    if let Err(m) = check_text(question, "Your question", true, store::MAX_CLARIFICATION) {
        errors.add("ask", m);
        return event_page(&state, &auth, id, None, k, errors).await;
    }
    match store::ask(&state.db, &user, &e, question, &state.config.public_url).await? {
        Ok(_) => {
            Ok(Redirect::to(&format!("/engagements/{id}?done=asked#questions")).into_response())
        }
        Err(err) => {
            errors.add("ask", err.to_string());
            let status = if matches!(err, AskError::TooMany(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let resp = event_page(&state, &auth, id, None, k, errors).await?;
            Ok((status, resp).into_response())
        }
    }
}

pub async fn answer(
    State(state): State<AppState>,
    Path((id, cid)): Path<(i64, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, e) = run_or_404(&state, &auth, id).await?;
    let q_name = format!("published_question-{cid}");
    let a_name = format!("answer_text-{cid}");
    let question = fields.get(&q_name).to_owned();
    let answer = fields.get(&a_name).to_owned();
    let mut errors = Errors::default();
    if let Err(m) = check_text(
        &question,
        "The question as published",
        true,
        store::MAX_CLARIFICATION,
    ) {
        errors.add(q_name, m);
    }
    if let Err(m) = check_text(&answer, "The answer", true, store::MAX_ANSWER) {
        errors.add(a_name, m);
    }
    if errors.is_empty()
        && !store::answer(
            &state.db,
            &user,
            &e,
            cid,
            &question,
            &answer,
            &state.config.public_url,
        )
        .await?
    {
        return Err(PageError::NotFound);
    }
    if !errors.is_empty() {
        let k = Kept {
            clarification: Some((cid, question, answer)),
            ..Kept::default()
        };
        return event_page(&state, &auth, id, None, k, errors).await;
    }
    Ok(Redirect::to(&format!("/engagements/{id}?done=answered#questions")).into_response())
}

pub async fn outcome(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, e) = run_or_404(&state, &auth, id).await?;
    let outcome = fields.get("outcome").to_owned();
    let summary = fields.get("summary").to_owned();
    let publish = fields.get("action") == "publish";
    let mut errors = Errors::default();
    if let Err(m) = check_text(&outcome, "What you learnt", false, 10_000) {
        errors.add("outcome", m);
    }
    if let Err(m) = check_text(&summary, "The published summary", publish, 5_000) {
        errors.add("summary", m);
    }
    if publish && e.status == EngagementStatus::Draft {
        errors.add(
            "summary",
            "Open the engagement to suppliers before publishing its summary",
        );
    }
    if !errors.is_empty() {
        let k = Kept {
            outcome: Some(outcome),
            summary: Some(summary),
            ..Kept::default()
        };
        return event_page(&state, &auth, id, None, k, errors).await;
    }
    store::record_outcome(
        &state.db,
        &e,
        &outcome,
        &summary,
        publish,
        &state.config.public_url,
    )
    .await?;
    let done = if publish { "published" } else { "outcome" };
    Ok(Redirect::to(&format!("/engagements/{id}?done={done}#outcome")).into_response())
}

// ---- The preliminary market engagement notice ----

async fn notice_data(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(Engagement, PreliminaryMarketEngagementNotice), PageError> {
    let viewer = auth.viewer();
    let e = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let procurement = match e.procurement_id {
        Some(p) => crate::pipeline::store::get(&state.db, &viewer, p).await?,
        None => None,
    };
    let n = notice::build(
        &e,
        procurement.as_ref(),
        &store::partners(&state.db, id).await?,
        &store::questions(&state.db, id).await?,
    );
    Ok((e, n))
}

#[derive(Template)]
#[template(path = "engagement/templates/notice.html")]
struct NoticePage {
    layout: Layout,
    e: Engagement,
    n: PreliminaryMarketEngagementNotice,
}

/// The notice's data, for anyone who may see the event: once published it is public
/// information, and a draft's is for its running boroughs preparing it.
pub async fn notice(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (e, n) = notice_data(&state, &auth, id).await?;
    html(
        StatusCode::OK,
        NoticePage {
            layout: Layout::new(
                &auth,
                format!("Preliminary market engagement notice: {}", e.title),
            )
            .nav("market")
            .crumb("Home", "/")
            .crumb("Market engagement", "/engagements")
            .crumb(e.title.clone(), e.url()),
            e,
            n,
        },
    )
}

pub async fn notice_json(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (_, n) = notice_data(&state, &auth, id).await?;
    Ok(Json(n).into_response())
}
