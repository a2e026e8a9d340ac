//! Pitches: a supplier's pitch form and list; a borough's inbox, triage and notes; the inbox
//! settings organisation admins choose.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    Chosen, html, other_categories_text, parse_categories, require_supplier, status_for, title_for,
};
use crate::accounts::{OrgKind, Role, User};
use crate::engagement::events::{self, Engagement};
use crate::engagement::pitches::{
    self as store, HistoryEntry, InboxFilter, InboxItem, Note, Pitch, PitchError, PitchInput,
    Route, Settings, SupplierPitch, TriageInput,
};
use crate::engagement::{Category, PricingModel, TriageStatus, check_text};
use crate::guide::content::Problem;
use crate::pipeline::store::{Person, Procurement};
use crate::web::auth::Auth;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

fn pairs(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

fn get<'a>(pairs: &'a [(String, String)], k: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

// ---- Inbox settings ----

#[derive(Template)]
#[template(path = "engagement/templates/settings.html")]
struct SettingsPage {
    layout: Layout,
    categories: Chosen,
    categories_other: String,
    target_days: String,
    share_by_default: bool,
    errors: Errors,
}

fn require_borough_admin(auth: &Auth) -> Result<&User, PageError> {
    let user = auth.require_role(
        "/market/settings",
        &[Role::OrgAdmin],
        "Only your organisation's admins can change which pitches reach it.",
    )?;
    if user.org_kind != OrgKind::Borough {
        return Err(PageError::Forbidden(
            "Pitches are routed to London boroughs; only a borough has inbox settings.",
        ));
    }
    Ok(user)
}

pub async fn settings_form(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, PageError> {
    let user = require_borough_admin(&auth)?;
    let s = store::settings(&state.db, user.org_id).await?;
    let cats = store::interests(&state.db, user.org_id).await?;
    html(
        StatusCode::OK,
        SettingsPage {
            layout: Layout::new(&auth, "Pitch inbox settings")
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market", "/market"),
            categories: Chosen::from_categories(&cats),
            categories_other: other_categories_text(&cats),
            target_days: s.target_days.to_string(),
            share_by_default: s.share_by_default,
            errors: Errors::default(),
        },
    )
}

pub async fn save_settings(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_borough_admin(&auth)?.clone();
    let ticked = fields.all("categories");
    let other = fields.get("categories_other");
    let days = fields.get("target_days");
    let share = !fields.get("share_by_default").is_empty();
    let mut e = Errors::default();
    let cats = parse_categories(&ticked, other, 40).unwrap_or_else(|m| {
        e.add("categories", m);
        Vec::new()
    });
    let target_days = match days.parse::<i64>() {
        Ok(d) if (1..=120).contains(&d) => d,
        _ => {
            e.add(
                "target_days",
                "Target response time must be a whole number of days from 1 to 120",
            );
            0
        }
    };
    if !e.is_empty() {
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            SettingsPage {
                layout: Layout::new(&auth, "Error: pitch inbox settings")
                    .nav("market")
                    .crumb("Home", "/")
                    .crumb("Market", "/market"),
                categories: Chosen(ticked.into_iter().map(str::to_owned).collect()),
                categories_other: other.to_owned(),
                target_days: days.to_owned(),
                share_by_default: share,
                errors: e,
            },
        );
    }
    store::save_settings(
        &state.db,
        user.org_id,
        &Settings {
            target_days,
            share_by_default: share,
        },
        &cats,
    )
    .await?;
    crate::accounts::store::audit(
        &state.db,
        Some(&user),
        "pitch_settings",
        &format!(
            "Set pitch categories to {} and target response time to {target_days} days",
            cats.iter()
                .map(Category::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(&auth.ip),
    )
    .await?;
    Ok(Redirect::to("/pitches?done=settings").into_response())
}

// ---- Lists: a supplier's pitches, a borough's inbox ----

#[derive(Template)]
#[template(path = "engagement/templates/my_pitches.html")]
struct MyPitchesPage {
    layout: Layout,
    pitches: Vec<SupplierPitch>,
}

#[derive(Template)]
#[template(path = "engagement/templates/inbox.html")]
struct InboxPage {
    layout: Layout,
    items: Vec<InboxItem>,
    filter: InboxFilter,
    statuses: &'static [TriageStatus],
    target_days: i64,
    has_interests: bool,
    is_org_admin: bool,
}

impl InboxPage {
    fn status_chosen(&self, s: &TriageStatus) -> bool {
        self.filter.status == Some(*s)
    }
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let user = auth.require_user("/pitches")?.clone();
    let q = pairs(&raw);
    if user.org_kind == OrgKind::Supplier {
        return html(
            StatusCode::OK,
            MyPitchesPage {
                layout: Layout::new(&auth, "Your pitches")
                    .nav("market")
                    .crumb("Home", "/")
                    .crumb("Market", "/market"),
                pitches: store::for_supplier(&state.db, user.org_id).await?,
            },
        );
    }
    super::require_london(&auth, "/pitches")?;
    let filter = InboxFilter {
        status: get(&q, "status").parse().ok(),
        mine: get(&q, "mine") == "1",
        overdue: get(&q, "overdue") == "1",
    };
    let notice = match get(&q, "done") {
        "settings" => {
            Some("Inbox settings saved. New pitches in your categories will reach you.".to_owned())
        }
        _ => None,
    };
    let title = if filter.overdue {
        "Pitches past your target response time"
    } else {
        "Pitch inbox"
    };
    html(
        StatusCode::OK,
        InboxPage {
            layout: Layout::new(&auth, title)
                .nav("market")
                .crumb("Home", "/")
                .crumb("Market", "/market")
                .notice(notice),
            items: store::inbox(&state.db, &user, &filter).await?,
            filter,
            statuses: TriageStatus::ALL,
            target_days: store::settings(&state.db, user.org_id).await?.target_days,
            has_interests: !store::interests(&state.db, user.org_id).await?.is_empty(),
            is_org_admin: user.role == Role::OrgAdmin,
        },
    )
}

// ---- The pitch form ----

#[derive(Debug, Clone, Default)]
pub struct PitchValues {
    pub title: String,
    pub problem: String,
    pub problems: Chosen,
    pub audience: String,
    pub product: String,
    pub evidence: String,
    pub pricing_model: String,
    pub pricing: String,
    pub data_api: String,
    pub accessibility: String,
    pub security: String,
    pub categories: Chosen,
    pub categories_other: String,
}

impl PitchValues {
    fn from_fields(f: &Fields) -> PitchValues {
        let all = |n: &str| Chosen(f.all(n).into_iter().map(str::to_owned).collect());
        PitchValues {
            title: f.get("title").into(),
            problem: f.get("problem").into(),
            problems: all("problems"),
            audience: f.get("audience").into(),
            product: f.get("product").into(),
            evidence: f.get("evidence").into(),
            pricing_model: f.get("pricing_model").into(),
            pricing: f.get("pricing").into(),
            data_api: f.get("data_api").into(),
            accessibility: f.get("accessibility").into(),
            security: f.get("security").into(),
            categories: all("categories"),
            categories_other: f.get("categories_other").into(),
        }
    }

    /// A new pitch starts from the supplier's profile categories.
    fn from_profile(cats: &[Category]) -> PitchValues {
        PitchValues {
            categories: Chosen::from_categories(cats),
            categories_other: other_categories_text(cats),
            ..PitchValues::default()
        }
    }
}

/// The limits, in characters, shown beside each field and enforced.
pub const LIMITS: &[(&str, &str, bool, usize)] = &[
    ("title", "Title", true, 150),
    ("problem", "The problem your idea addresses", true, 3_000),
    ("audience", "Who it is for", true, 1_500),
    ("product", "Your product or service", true, 3_000),
    ("evidence", "Evidence and references", true, 3_000),
    ("pricing", "Pricing details", false, 1_500),
    ("data_api", "Data access and APIs", true, 3_000),
    ("accessibility", "Accessibility", false, 2_000),
    ("security", "Security", false, 2_000),
];

fn parse_pitch(v: &PitchValues, problems: &[Problem]) -> Result<PitchInput, Errors> {
    let mut e = Errors::default();
    for (field, label, required, max) in LIMITS {
        let value = match *field {
            "title" => &v.title,
            "problem" => &v.problem,
            "audience" => &v.audience,
            "product" => &v.product,
            "evidence" => &v.evidence,
            "pricing" => &v.pricing,
            "data_api" => &v.data_api,
            "accessibility" => &v.accessibility,
            _ => &v.security,
        };
        if let Err(m) = check_text(value, label, *required, *max) {
            e.add(*field, m);
        }
    }
    let pricing_model = v.pricing_model.parse::<PricingModel>().ok();
    if pricing_model.is_none() {
        e.add("pricing_model", "Choose how you charge");
    } else if pricing_model == Some(PricingModel::Other) && v.pricing.trim().is_empty() {
        e.add("pricing", "Describe how you charge");
    }
    let mut chosen_problems = Vec::new();
    for p in &v.problems.0 {
        if problems.iter().any(|x| &x.id == p) {
            chosen_problems.push(p.clone());
        } else {
            e.add("problems", "Choose problem statements from the list");
        }
    }
    if chosen_problems.len() > 3 {
        e.add(
            "problems",
            "Choose at most 3 problem statements: the ones your idea answers best",
        );
    }
    let categories = match parse_categories(
        &v.categories
            .0
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &v.categories_other,
        store::MAX_CATEGORIES,
    ) {
        Ok(c) if c.is_empty() => {
            e.add(
                "categories",
                "Choose at least one category: boroughs receive pitches by category",
            );
            Vec::new()
        }
        Ok(c) => c,
        Err(m) => {
            e.add("categories", m);
            Vec::new()
        }
    };
    match (pricing_model, e.is_empty()) {
        (Some(pricing_model), true) => Ok(PitchInput {
            title: v.title.clone(),
            problem: v.problem.clone(),
            problems: chosen_problems,
            audience: v.audience.clone(),
            product: v.product.clone(),
            evidence: v.evidence.clone(),
            pricing_model,
            pricing: v.pricing.clone(),
            data_api: v.data_api.clone(),
            accessibility: v.accessibility.clone(),
            security: v.security.clone(),
            categories,
        }),
        _ => Err(e),
    }
}

#[derive(Template)]
#[template(path = "engagement/templates/pitch_form.html")]
struct PitchFormPage {
    layout: Layout,
    v: PitchValues,
    errors: Errors,
    problems: Vec<Problem>,
    pricing_models: &'static [PricingModel],
    demand: Vec<(Category, i64)>,
}

impl PitchFormPage {
    /// A field's hint, ending with its limit.
    fn hint(&self, field: &str) -> String {
        let base = match field {
            "title" => "A short name for your idea.",
            "problem" => "What goes wrong today, for whom, and what it costs.",
            "audience" => {
                "Which residents, staff or services, and which council teams would own it."
            }
            "product" => "What it is and how it works.",
            "evidence" => {
                "Results elsewhere, with numbers, and organisations that will vouch for you."
            }
            _ => "",
        };
        let max = LIMITS
            .iter()
            .find(|(f, ..)| *f == field)
            .map(|(.., m)| *m)
            .unwrap_or(0);
        format!(
            "{base} Up to {} characters.",
            crate::web::filters::pounds(max as i64).trim_start_matches('£')
        )
    }
}

async fn pitch_form(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    v: PitchValues,
    errors: Errors,
) -> Result<Response, PageError> {
    html(
        status,
        PitchFormPage {
            layout: Layout::new(auth, title_for(&errors, "Send a pitch"))
                .nav("market")
                .crumb("Home", "/")
                .crumb("Your pitches", "/pitches"),
            v,
            errors,
            problems: state.content.problems.clone(),
            pricing_models: PricingModel::ALL,
            demand: store::demand(&state.db).await?,
        },
    )
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/pitches/new")?;
    let cats = crate::engagement::suppliers::categories(&state.db, user.org_id).await?;
    pitch_form(
        &state,
        &auth,
        StatusCode::OK,
        PitchValues::from_profile(&cats),
        Errors::default(),
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, "/pitches/new")?.clone();
    let v = PitchValues::from_fields(&fields);
    let input = match parse_pitch(&v, &state.content.problems) {
        Ok(i) => i,
        Err(e) => {
            return pitch_form(&state, &auth, StatusCode::UNPROCESSABLE_ENTITY, v, e).await;
        }
    };
    match store::submit(&state.db, &user, &input, &state.config.public_url).await {
        Ok(s) => Ok(Redirect::to(&format!(
            "/pitches/{}?done=submitted&reached={}",
            s.id, s.boroughs
        ))
        .into_response()),
        Err(err @ PitchError::RateLimited { .. }) => {
            let mut e = Errors::default();
            e.add("title", err.to_string());
            pitch_form(&state, &auth, StatusCode::TOO_MANY_REQUESTS, v, e).await
        }
        Err(err @ PitchError::Duplicate(_)) => {
            let mut e = Errors::default();
            e.add("title", err.to_string());
            pitch_form(&state, &auth, StatusCode::UNPROCESSABLE_ENTITY, v, e).await
        }
        Err(PitchError::Db(err)) => Err(err.into()),
    }
}

// ---- One pitch ----

/// What an officer typed on the triage and note forms, kept when they come back with errors.
#[derive(Debug, Clone, Default)]
pub struct TriageValues {
    pub status: String,
    pub reason: String,
    pub assignee: String,
    pub referral: String,
    pub shared: bool,
    pub note: String,
}

#[derive(Template)]
#[template(path = "engagement/templates/pitch.html")]
struct PitchPage {
    layout: Layout,
    p: Pitch,
    categories: Vec<Category>,
    problems: Vec<Problem>,
    is_supplier: bool,
    routes: Vec<Route>,
    own: Option<Route>,
    history: Vec<HistoryEntry>,
    notes: Vec<Note>,
    shared: Vec<String>,
    people: Vec<Person>,
    engagements: Vec<Engagement>,
    procurements: Vec<Procurement>,
    similar_visible: bool,
    statuses: [TriageStatus; 4],
    t: TriageValues,
    errors: Errors,
}

impl PitchPage {
    fn referral_selected(&self, kind: &str, id: &i64) -> bool {
        self.t.referral == format!("{kind}:{id}")
    }

    fn is_own_route(&self, r: &Route) -> bool {
        self.own.as_ref().is_some_and(|o| o.id == r.id)
    }

    fn referral_label(&self, r: &Route) -> String {
        if let Some(id) = r.referred_engagement_id {
            return match self.engagements.iter().find(|e| e.id == id) {
                Some(e) => format!("market engagement “{}”", e.title),
                None => "a market engagement".into(),
            };
        }
        if let Some(id) = r.referred_procurement_id {
            return match self.procurements.iter().find(|p| p.id == id) {
                Some(p) => format!("procurement “{}”", p.title),
                None => "a procurement".into(),
            };
        }
        String::new()
    }

    fn referral_link(&self, r: &Route) -> String {
        match (r.referred_engagement_id, r.referred_procurement_id) {
            (Some(id), _) => format!("/engagements/{id}"),
            (_, Some(id)) => format!("/procurements/{id}"),
            _ => String::new(),
        }
    }
}

async fn pitch_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<String>,
    t: Option<TriageValues>,
    errors: Errors,
) -> Result<Response, PageError> {
    let user = auth.require_user(&format!("/pitches/{id}"))?.clone();
    let viewer = auth.viewer();
    let p = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let routes = store::routes(&state.db, &viewer, id).await?;
    let own = routes.iter().find(|r| r.org_id == user.org_id).cloned();
    let is_supplier = p.supplier_org_id == user.org_id;
    let (people, mut engagements, mut procurements) = if own.is_some() {
        (
            crate::pipeline::store::people(&state.db, user.org_id).await?,
            events::run_by(&state.db, &viewer).await?,
            crate::pipeline::store::list_for_org(&state.db, user.org_id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    // Referral targets the supplier may follow: only those the viewer can see are named.
    for r in &routes {
        if let Some(eid) = r.referred_engagement_id
            && !engagements.iter().any(|e| e.id == eid)
            && let Some(e) = events::get(&state.db, &viewer, eid).await?
        {
            engagements.push(e);
        }
        if let Some(pid) = r.referred_procurement_id
            && !procurements.iter().any(|x| x.id == pid)
            && let Some(x) = crate::pipeline::store::get(&state.db, &viewer, pid).await?
        {
            procurements.push(x);
        }
    }
    let similar_visible = match p.similar_to {
        Some(s) => store::get(&state.db, &viewer, s).await?.is_some(),
        None => false,
    };
    let t = t.unwrap_or_else(|| match &own {
        Some(r) => TriageValues {
            status: if r.status == TriageStatus::New {
                TriageStatus::UnderReview.as_str().into()
            } else {
                r.status.as_str().into()
            },
            reason: r.reason.clone(),
            assignee: r
                .assignee_user_id
                .map(|a| a.to_string())
                .unwrap_or_default(),
            referral: match (r.referred_engagement_id, r.referred_procurement_id) {
                (Some(e), _) => format!("engagement:{e}"),
                (_, Some(p)) => format!("procurement:{p}"),
                _ => String::new(),
            },
            shared: r.shared_london,
            note: String::new(),
        },
        None => TriageValues::default(),
    });
    let problem_ids = store::problems(&state.db, id).await?;
    html(
        status_for(&errors),
        PitchPage {
            layout: Layout::new(auth, title_for(&errors, &p.title))
                .nav("market")
                .crumb("Home", "/")
                .crumb(
                    if is_supplier {
                        "Your pitches"
                    } else {
                        "Pitch inbox"
                    },
                    "/pitches",
                )
                .notice(notice),
            categories: store::categories(&state.db, id).await?,
            problems: state
                .content
                .problems
                .iter()
                .filter(|x| problem_ids.contains(&x.id))
                .cloned()
                .collect(),
            history: store::history(&state.db, &viewer, id).await?,
            notes: store::notes(&state.db, &viewer, id).await?,
            shared: store::shared_summary(&routes, user.org_id),
            is_supplier,
            routes,
            own,
            people,
            engagements,
            procurements,
            similar_visible,
            statuses: TriageStatus::CHOICES,
            t,
            errors,
            p,
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
    let notice = match get(&q, "done") {
        "submitted" => Some(match get(&q, "reached").parse::<i64>().unwrap_or(0) {
            0 => "Your pitch is saved, but no borough has asked for pitches in its categories yet. It will not reach anyone until you send it in a category boroughs want (see the list on the pitch form).".to_owned(),
            1 => "Your pitch has reached 1 borough".to_owned(),
            n => format!("Your pitch has reached {n} boroughs"),
        }),
        "triage" => Some("Triage saved".to_owned()),
        "note" => Some("Note added. Only your organisation can read it.".to_owned()),
        "withdrawn" => Some("Pitch withdrawn".to_owned()),
        _ => None,
    };
    pitch_page(&state, &auth, id, notice, None, Errors::default()).await
}

/// The pitch and the viewer's own borough's triage of it; 404 when the pitch did not reach
/// the viewer's organisation (whether or not the pitch exists).
async fn own_route_or_404(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(User, Pitch, Route), PageError> {
    let user = auth.require_user(&format!("/pitches/{id}"))?.clone();
    let viewer = auth.viewer();
    let p = store::get(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let route = store::own_route(&state.db, &viewer, id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok((user, p, route))
}

pub async fn triage(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, p, route) = own_route_or_404(&state, &auth, id).await?;
    let v = TriageValues {
        status: fields.get("status").into(),
        reason: fields.get("reason").into(),
        assignee: fields.get("assignee").into(),
        referral: fields.get("referral").into(),
        shared: !fields.get("shared").is_empty(),
        note: String::new(),
    };
    let mut e = Errors::default();
    let status = v
        .status
        .parse::<TriageStatus>()
        .ok()
        .filter(|s| *s != TriageStatus::New);
    if status.is_none() {
        e.add(
            "status",
            "Choose where your organisation stands on this pitch",
        );
    }
    if let Err(m) = check_text(&v.reason, "The reason", false, store::MAX_REASON) {
        e.add("reason", m);
    } else if status.is_some_and(TriageStatus::is_decision) && v.reason.trim().is_empty() {
        e.add(
            "reason",
            "Give the supplier a reason: they see it, and a reason is what makes a decision useful to them",
        );
    }
    let people = crate::pipeline::store::people(&state.db, user.org_id).await?;
    let assignee = match v.assignee.as_str() {
        "" => None,
        a => match a
            .parse::<i64>()
            .ok()
            .filter(|id| people.iter().any(|p| p.id == *id))
        {
            Some(id) => Some(id),
            None => {
                e.add("assignee", "Choose someone from your organisation");
                None
            }
        },
    };
    let (mut ref_engagement, mut ref_procurement) = (None, None);
    if status == Some(TriageStatus::Referred) {
        let viewer = auth.viewer();
        match v.referral.split_once(':') {
            Some(("engagement", n)) => {
                let ok = match n.parse::<i64>() {
                    Ok(eid) => events::run_by(&state.db, &viewer)
                        .await?
                        .iter()
                        .any(|x| x.id == eid)
                        .then_some(eid),
                    Err(_) => None,
                };
                match ok {
                    Some(eid) => ref_engagement = Some(eid),
                    None => e.add(
                        "referral",
                        "Choose a market engagement your organisation runs",
                    ),
                }
            }
            Some(("procurement", n)) => {
                let ok = match n.parse::<i64>() {
                    Ok(pid) => crate::pipeline::store::get_own(&state.db, &user, pid)
                        .await?
                        .map(|x| x.id),
                    Err(_) => None,
                };
                match ok {
                    Some(pid) => ref_procurement = Some(pid),
                    None => e.add("referral", "Choose one of your organisation's procurements"),
                }
            }
            _ => e.add(
                "referral",
                "Choose the market engagement or procurement you refer the pitch to",
            ),
        }
    }
    let Some(status) = status.filter(|_| e.is_empty()) else {
        return pitch_page(&state, &auth, id, None, Some(v), e).await;
    };
    store::triage(
        &state.db,
        &user,
        &p,
        &route,
        &TriageInput {
            status,
            reason: v.reason.clone(),
            assignee,
            referred_engagement_id: ref_engagement,
            referred_procurement_id: ref_procurement,
            shared_london: v.shared,
        },
        &state.config.public_url,
    )
    .await?;
    Ok(Redirect::to(&format!("/pitches/{id}?done=triage")).into_response())
}

pub async fn add_note(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, _p, route) = own_route_or_404(&state, &auth, id).await?;
    let body = fields.get("note");
    if let Err(m) = check_text(body, "A note", true, store::MAX_NOTE) {
        let mut e = Errors::default();
        e.add("note", m);
        return pitch_page_with_note(&state, &auth, id, body.to_owned(), e).await;
    }
    store::add_note(&state.db, &user, &route, body).await?;
    Ok(Redirect::to(&format!("/pitches/{id}?done=note#notes")).into_response())
}

/// The pitch page after a failed note: the triage form shows what is saved, the note box what
/// was typed.
async fn pitch_page_with_note(
    state: &AppState,
    auth: &Auth,
    id: i64,
    note: String,
    errors: Errors,
) -> Result<Response, PageError> {
    let viewer = auth.viewer();
    let own = store::own_route(&state.db, &viewer, id).await?;
    let t = own.map(|r| TriageValues {
        status: r.status.as_str().into(),
        reason: r.reason.clone(),
        assignee: r
            .assignee_user_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        referral: match (r.referred_engagement_id, r.referred_procurement_id) {
            (Some(e), _) => format!("engagement:{e}"),
            (_, Some(p)) => format!("procurement:{p}"),
            _ => String::new(),
        },
        shared: r.shared_london,
        note,
    });
    pitch_page(state, auth, id, None, t, errors).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_supplier(&auth, &format!("/pitches/{id}"))?.clone();
    store::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    if !store::withdraw(&state.db, &user, id).await? {
        return Err(PageError::BadRequest(
            "This pitch has already been withdrawn.".into(),
        ));
    }
    Ok(Redirect::to(&format!("/pitches/{id}?done=withdrawn")).into_response())
}
