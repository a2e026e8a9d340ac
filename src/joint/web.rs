//! Pages: governance profiles (read by London authorities, edited by the borough's own
//! organisation admins) and the timeline planner demo.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::Deserialize;

use super::calendar;
use super::examples;
use super::governance::{
    ApprovalBody, Blackout, BodyKind, DayCount, GateKind, GateRule, MeetingRule, Period, parse_date,
};
use super::planner::{self, CancelledMeeting, Changes, Moved, Outcome, Partner, Plan, PlanInput};
use super::store::{self, BodyDraft, ProfileMeta, StoreError, StoredProfile};
use crate::accounts::{OrgKind, User};
use crate::visibility::Visibility;
use crate::web::auth::Auth;
use crate::web::filters::long_date;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/joint", get(index))
        .route(
            "/joint/governance/{slug}",
            get(profile_page).post(profile_settings),
        )
        .route(
            "/joint/governance/{slug}/bodies/new",
            get(body_new).post(body_create),
        )
        .route(
            "/joint/governance/{slug}/bodies/{id}",
            get(body_edit).post(body_update),
        )
        .route(
            "/joint/governance/{slug}/bodies/{id}/delete",
            post(body_delete),
        )
        .route(
            "/joint/governance/{slug}/gates/new",
            get(gate_new).post(gate_create),
        )
        .route(
            "/joint/governance/{slug}/gates/{id}",
            get(gate_edit).post(gate_update),
        )
        .route(
            "/joint/governance/{slug}/gates/{id}/delete",
            post(gate_delete),
        )
        .route(
            "/joint/governance/{slug}/blackouts/new",
            get(blackout_new).post(blackout_create),
        )
        .route(
            "/joint/governance/{slug}/blackouts/{id}",
            get(blackout_edit).post(blackout_update),
        )
        .route(
            "/joint/governance/{slug}/blackouts/{id}/delete",
            post(blackout_delete),
        )
        .route("/joint/planner", get(planner_page))
        .route("/joint/planner/plan.ics", get(planner_ics))
        .route("/joint/planner/plan.csv", get(planner_csv))
}

fn render(t: impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

fn render_invalid(t: impl Template) -> Result<Response, PageError> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(t.render()?)).into_response())
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn notice(done: &str) -> Option<String> {
    Some(
        match done {
            "created" => "Governance profile started",
            "settings" => "Profile settings saved",
            "body" => "Approving body saved",
            "body-deleted" => "Approving body deleted",
            "gate" => "Gate saved",
            "gate-deleted" => "Gate deleted",
            "blackout" => "Blackout saved",
            "blackout-deleted" => "Blackout deleted",
            _ => return None,
        }
        .to_owned(),
    )
}

// ---- Who may do what ----

/// The profile, if the viewer may see it; otherwise "not found" (never "forbidden", which
/// would confirm that a private profile exists).
async fn visible(state: &AppState, auth: &Auth, slug: &str) -> Result<StoredProfile, PageError> {
    store::get(&state.db, &auth.viewer(), slug)
        .await?
        .ok_or(PageError::NotFound)
}

/// The signed-in organisation admin of the profile's own organisation.
fn require_admin_of<'a>(auth: &'a Auth, here: &str, org_id: i64) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if user.org_id != org_id {
        return Err(PageError::Forbidden(
            "Only the borough’s own organisation admins can change its governance profile. Other boroughs can read it.",
        ));
    }
    if !user.role.is_org_admin() {
        return Err(PageError::Forbidden(
            "Only organisation admins can change your borough’s governance profile.",
        ));
    }
    Ok(user)
}

fn can_edit(auth: &Auth, org_id: i64) -> bool {
    auth.user
        .as_ref()
        .is_some_and(|u| u.org_id == org_id && u.role.is_org_admin())
}

/// A profile the signed-in admin may change.
async fn editable(
    state: &AppState,
    auth: &Auth,
    slug: &str,
    here: &str,
) -> Result<(StoredProfile, User), PageError> {
    auth.require_user(here)?;
    let p = visible(state, auth, slug).await?;
    let user = require_admin_of(auth, here, p.meta.org_id)?.clone();
    Ok((p, user))
}

fn profile_url(slug: &str) -> String {
    format!("/joint/governance/{slug}")
}

async fn audit(state: &AppState, user: &User, auth: &Auth, action: &str, detail: String) {
    if let Err(e) =
        crate::accounts::store::audit(&state.db, Some(user), action, &detail, Some(&auth.ip)).await
    {
        tracing::warn!(error = %e, "could not write the audit log");
    }
}

// ---- Index ----

#[derive(Template)]
#[template(path = "joint/templates/index.html")]
struct IndexPage {
    layout: Layout,
    profiles: Vec<ProfileMeta>,
    own: Option<OwnProfile>,
    example_label: &'static str,
}

struct OwnProfile {
    slug: String,
    name: String,
    exists: bool,
    can_create: bool,
}

async fn index(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    let profiles = store::list(&state.db, &auth.viewer()).await?;
    let own = match &auth.user {
        Some(u) if u.org_kind == OrgKind::Borough => {
            let org = crate::accounts::store::organisation(&state.db, u.org_id).await?;
            org.map(|o| OwnProfile {
                exists: profiles.iter().any(|p| p.org_id == o.id),
                can_create: u.role.is_org_admin(),
                slug: o.slug,
                name: o.short_name,
            })
        }
        _ => None,
    };
    render(IndexPage {
        layout: Layout::new(&auth, "Joint procurement")
            .nav("joint")
            .crumb("Home", "/"),
        profiles,
        own,
        example_label: examples::EXAMPLE_LABEL,
    })
}

// ---- A profile ----

struct BodyView {
    body: ApprovalBody,
    rules: Vec<String>,
    extra: Vec<String>,
    cancelled: Vec<String>,
    next: Vec<(String, String)>,
    used_by: Vec<String>,
}

struct GateView {
    rule: GateRule,
    body_name: String,
}

#[derive(Template)]
#[template(path = "joint/templates/profile.html")]
struct ProfilePage {
    layout: Layout,
    meta: ProfileMeta,
    bodies: Vec<BodyView>,
    gates: Vec<GateView>,
    blackouts: Vec<Blackout>,
    bank_holidays: Vec<(String, &'static str)>,
    can_edit: bool,
    visibilities: [Visibility; 3],
    example_label: &'static str,
    errors: Errors,
    notes: String,
}

fn profile_view(
    auth: &Auth,
    p: StoredProfile,
    done: &str,
    errors: Errors,
    notes: Option<String>,
) -> ProfilePage {
    let today = today();
    let profile = &p.profile;
    let bodies = profile
        .bodies
        .iter()
        .map(|b| BodyView {
            rules: b.calendar.rules.iter().map(ToString::to_string).collect(),
            extra: b.calendar.extra.iter().map(|d| long_date(*d)).collect(),
            cancelled: b.calendar.cancelled.iter().map(|d| long_date(*d)).collect(),
            next: profile
                .next_meetings(b, today, 4)
                .into_iter()
                .map(|m| {
                    (
                        long_date(m),
                        long_date(calendar::sub_working_days(m, b.paper_deadline_days)),
                    )
                })
                .collect(),
            used_by: profile
                .gates
                .iter()
                .filter(|g| g.body_id == b.id)
                .map(|g| format!("{} ({})", g.gate.label(), g.value_band()))
                .collect(),
            body: b.clone(),
        })
        .collect();
    let gates = profile
        .gates
        .iter()
        .map(|g| GateView {
            body_name: profile
                .body(g.body_id)
                .map(|b| b.name.clone())
                .unwrap_or_default(),
            rule: g.clone(),
        })
        .collect();
    let bank_holidays = (today.year()..=today.year() + 1)
        .flat_map(calendar::bank_holidays)
        .filter(|h| h.date >= today)
        .take(8)
        .map(|h| (long_date(h.date), h.name))
        .collect();
    let name = p.meta.org_name.clone();
    ProfilePage {
        layout: Layout::new(
            auth,
            if errors.is_empty() {
                format!("{name}: governance profile")
            } else {
                format!("Error: {name}: governance profile")
            },
        )
        .nav("joint")
        .crumb("Home", "/")
        .crumb("Joint procurement", "/joint")
        .notice(notice(done)),
        can_edit: can_edit(auth, p.meta.org_id),
        notes: notes.unwrap_or_else(|| p.meta.notes.clone()),
        bodies,
        gates,
        blackouts: profile.blackouts.clone(),
        bank_holidays,
        meta: p.meta,
        visibilities: Visibility::ALL,
        example_label: examples::EXAMPLE_LABEL,
        errors,
    }
}

#[derive(Template)]
#[template(path = "joint/templates/start_profile.html")]
struct StartProfilePage {
    layout: Layout,
    slug: String,
    org_name: String,
}

async fn profile_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    if let Some(p) = store::get(&state.db, &auth.viewer(), &slug).await? {
        return render(profile_view(&auth, p, &q.done, Errors::default(), None));
    }
    // No profile yet: the borough's own admin may start one; anyone else sees "not found".
    let org = crate::accounts::store::find_organisation(&state.db, &slug).await?;
    match (org, &auth.user) {
        (Some(o), Some(u))
            if o.slug == slug
                && o.kind == OrgKind::Borough
                && can_edit(&auth, o.id)
                && u.org_id == o.id =>
        {
            render(StartProfilePage {
                layout: Layout::new(&auth, format!("{}: governance profile", o.short_name))
                    .nav("joint")
                    .crumb("Home", "/")
                    .crumb("Joint procurement", "/joint"),
                slug: o.slug,
                org_name: o.short_name,
            })
        }
        _ => Err(PageError::NotFound),
    }
}

/// Starts the profile, or saves its settings (who can see it, the note at its head).
async fn profile_settings(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = profile_url(&slug);
    auth.require_user(&here)?;
    if fields.get("action") == "create" {
        let org = crate::accounts::store::find_organisation(&state.db, &slug)
            .await?
            .filter(|o| o.slug == slug && o.kind == OrgKind::Borough)
            .ok_or(PageError::NotFound)?;
        let user = require_admin_of(&auth, &here, org.id)?.clone();
        store::create(&state.db, org.id, Some(user.id), Visibility::London).await?;
        audit(
            &state,
            &user,
            &auth,
            "governance.create",
            format!("{} profile started", org.short_name),
        )
        .await;
        return Ok(Redirect::to(&format!("{here}?done=created")).into_response());
    }
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    let mut errors = Errors::default();
    let visibility: Option<Visibility> = fields.get("visibility").parse().ok();
    if visibility.is_none() {
        errors.add("visibility-private", "Choose who can see the profile");
    }
    let notes = fields.get("notes");
    if notes.chars().count() > 2000 {
        errors.add("notes", "The note must be 2,000 characters or fewer");
    }
    let (Some(visibility), true) = (visibility, errors.is_empty()) else {
        let notes = notes.to_owned();
        return render_invalid(profile_view(&auth, p, "", errors, Some(notes)));
    };
    let is_example = fields.get("is_example") == "yes";
    store::update_settings(
        &state.db,
        p.meta.org_id,
        user.id,
        visibility,
        notes,
        is_example,
    )
    .await?;
    audit(
        &state,
        &user,
        &auth,
        "governance.settings",
        format!("visibility {visibility}"),
    )
    .await;
    Ok(Redirect::to(&format!("{here}?done=settings")).into_response())
}

// ---- Approving bodies ----

#[derive(Template)]
#[template(path = "joint/templates/body_form.html")]
struct BodyFormPage {
    layout: Layout,
    slug: String,
    org_name: String,
    action: String,
    is_new: bool,
    errors: Errors,
    f: Fields,
    kinds: [BodyKind; 6],
}

impl BodyFormPage {
    fn value<'a>(&'a self, name: &str) -> &'a str {
        self.f.get(name)
    }
}

fn body_fields(b: &ApprovalBody) -> Fields {
    let lines = |dates: &std::collections::BTreeSet<NaiveDate>| {
        dates
            .iter()
            .map(|d| long_date(*d))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Fields(vec![
        ("name".into(), b.name.clone()),
        ("kind".into(), b.kind.as_str().into()),
        (
            "rules".into(),
            b.calendar
                .rules
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("extra".into(), lines(&b.calendar.extra)),
        ("cancelled".into(), lines(&b.calendar.cancelled)),
        (
            "paper_deadline_days".into(),
            b.paper_deadline_days.to_string(),
        ),
        ("call_in_days".into(), b.call_in.days.to_string()),
        ("call_in_count".into(), b.call_in.count.as_str().into()),
    ])
}

fn body_form(
    auth: &Auth,
    p: &StoredProfile,
    id: Option<i64>,
    f: Fields,
    errors: Errors,
) -> BodyFormPage {
    let slug = p.meta.org_slug.clone();
    let title = if id.is_some() {
        "Change an approving body"
    } else {
        "Add an approving body"
    };
    BodyFormPage {
        layout: Layout::new(
            auth,
            if errors.is_empty() {
                title.to_owned()
            } else {
                format!("Error: {title}")
            },
        )
        .nav("joint")
        .crumb("Joint procurement", "/joint")
        .crumb(
            format!("{} governance profile", p.meta.org_name),
            profile_url(&slug),
        ),
        action: match id {
            Some(id) => format!("{}/bodies/{id}", profile_url(&slug)),
            None => format!("{}/bodies/new", profile_url(&slug)),
        },
        is_new: id.is_none(),
        org_name: p.meta.org_name.clone(),
        slug,
        errors,
        f,
        kinds: BodyKind::ALL,
    }
}

fn small_number(s: &str, max: u32) -> Option<u32> {
    s.trim().parse::<u32>().ok().filter(|n| *n <= max)
}

/// A list of dates, one per line; meeting dates must be working days.
fn date_lines(
    text: &str,
    field: &str,
    meetings: bool,
    errors: &mut Errors,
) -> std::collections::BTreeSet<NaiveDate> {
    let mut out = std::collections::BTreeSet::new();
    for (n, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        match parse_date(line) {
            Ok(d) if meetings && calendar::is_weekend(d) => {
                errors.add(
                    field,
                    format!(
                        "Line {}: {} is a {}: meetings are on working days",
                        n + 1,
                        long_date(d),
                        super::governance::weekday_name(d.weekday())
                    ),
                );
                return out;
            }
            Ok(d) if meetings && calendar::is_bank_holiday(d) => {
                let name = calendar::bank_holiday(d)
                    .map(|h| h.name)
                    .unwrap_or("a bank holiday");
                errors.add(
                    field,
                    format!(
                        "Line {}: {} is a bank holiday ({name})",
                        n + 1,
                        long_date(d)
                    ),
                );
                return out;
            }
            Ok(d) => {
                out.insert(d);
            }
            Err(e) => {
                errors.add(field, format!("Line {}: {e}", n + 1));
                return out;
            }
        }
    }
    out
}

fn validate_body(f: &Fields) -> Result<BodyDraft, Errors> {
    let mut errors = Errors::default();
    let name = f.get("name");
    if name.is_empty() {
        errors.add(
            "name",
            "Enter the body’s name, like “Cabinet” or “Procurement Board”",
        );
    } else if name.chars().count() > 120 {
        errors.add("name", "The name must be 120 characters or fewer");
    }
    let kind: Option<BodyKind> = f.get("kind").parse().ok();
    if kind.is_none() {
        errors.add("kind", "Choose what kind of body this is");
    }
    let mut rules = Vec::new();
    for (n, line) in f
        .get("rules")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        match MeetingRule::parse(line) {
            Ok(r) => rules.push(r),
            Err(e) => {
                errors.add("rules", format!("Line {}: {e}", n + 1));
                break;
            }
        }
    }
    let extra = date_lines(f.get("extra"), "extra", true, &mut errors);
    let cancelled = date_lines(f.get("cancelled"), "cancelled", false, &mut errors);
    if rules.is_empty()
        && extra.is_empty()
        && errors.get("rules").is_empty()
        && errors.get("extra").is_empty()
    {
        errors.add("rules", "Enter at least one meeting rule, or list the meeting dates under “Extra meeting dates”");
    }
    let paper = small_number(f.get("paper_deadline_days"), 60);
    if paper.is_none() {
        errors.add(
            "paper_deadline_days",
            "Enter the paper deadline as a whole number of working days from 0 to 60",
        );
    }
    let call_in_days = if f.get("call_in_days").is_empty() {
        Some(0)
    } else {
        small_number(f.get("call_in_days"), 60)
    };
    if call_in_days.is_none() {
        errors.add(
            "call_in_days",
            "Enter the call-in period as a whole number of days from 0 to 60 (0 if there is none)",
        );
    }
    let count: Option<DayCount> = f.get("call_in_count").parse().ok();
    if count.is_none() && call_in_days.is_some_and(|d| d > 0) {
        errors.add(
            "call_in_count-working",
            "Say whether call-in is counted in working days or calendar days",
        );
    }
    match (kind, paper, call_in_days, errors.is_empty()) {
        (Some(kind), Some(paper), Some(call_in_days), true) => Ok(BodyDraft {
            name: name.to_owned(),
            kind,
            rules,
            extra,
            cancelled,
            paper_deadline_days: paper,
            call_in: Period {
                days: call_in_days,
                count: count.unwrap_or(DayCount::Working),
            },
        }),
        _ => Err(errors),
    }
}

async fn body_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let here = format!("{}/bodies/new", profile_url(&slug));
    let (p, _) = editable(&state, &auth, &slug, &here).await?;
    let f = Fields(vec![
        ("paper_deadline_days".into(), "5".into()),
        ("call_in_days".into(), "5".into()),
        ("call_in_count".into(), "working".into()),
    ]);
    render(body_form(&auth, &p, None, f, Errors::default()))
}

async fn body_edit(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let here = format!("{}/bodies/{id}", profile_url(&slug));
    let (p, _) = editable(&state, &auth, &slug, &here).await?;
    let b = p.profile.body(id).ok_or(PageError::NotFound)?.clone();
    render(body_form(
        &auth,
        &p,
        Some(id),
        body_fields(&b),
        Errors::default(),
    ))
}

async fn save_body(
    state: AppState,
    slug: String,
    id: Option<i64>,
    fields: Fields,
    auth: Auth,
) -> Result<Response, PageError> {
    let here = match id {
        Some(id) => format!("{}/bodies/{id}", profile_url(&slug)),
        None => format!("{}/bodies/new", profile_url(&slug)),
    };
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    if let Some(id) = id {
        p.profile.body(id).ok_or(PageError::NotFound)?;
    }
    let draft = match validate_body(&fields) {
        Ok(d) => d,
        Err(errors) => return render_invalid(body_form(&auth, &p, id, fields, errors)),
    };
    match store::save_body(&state.db, p.meta.org_id, user.id, id, &draft).await {
        Ok(Some(_)) => {}
        Ok(None) => return Err(PageError::NotFound),
        Err(StoreError::DuplicateBodyName) => {
            let mut errors = Errors::default();
            errors.add(
                "name",
                "The profile already has a body with this name: give it a different name",
            );
            return render_invalid(body_form(&auth, &p, id, fields, errors));
        }
        Err(StoreError::BodyInUse(m)) => return Err(PageError::BadRequest(m)),
        Err(StoreError::Db(e)) => return Err(e.into()),
    }
    audit(
        &state,
        &user,
        &auth,
        "governance.body",
        format!("{} saved", draft.name),
    )
    .await;
    Ok(Redirect::to(&format!("{}?done=body", profile_url(&slug))).into_response())
}

async fn body_create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    save_body(state, slug, None, fields, auth).await
}

async fn body_update(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    save_body(state, slug, Some(id), fields, auth).await
}

async fn body_delete(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = profile_url(&slug);
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    match store::delete_body(&state.db, &p.profile, p.meta.org_id, user.id, id).await {
        Ok(true) => {}
        Ok(false) => return Err(PageError::NotFound),
        Err(StoreError::BodyInUse(m)) => return Err(PageError::BadRequest(m)),
        Err(StoreError::DuplicateBodyName) => return Err(PageError::NotFound),
        Err(StoreError::Db(e)) => return Err(e.into()),
    }
    audit(
        &state,
        &user,
        &auth,
        "governance.body.delete",
        format!("body {id} deleted"),
    )
    .await;
    Ok(Redirect::to(&format!("{here}?done=body-deleted")).into_response())
}

// ---- Gates ----

#[derive(Template)]
#[template(path = "joint/templates/gate_form.html")]
struct GateFormPage {
    layout: Layout,
    slug: String,
    org_name: String,
    action: String,
    is_new: bool,
    errors: Errors,
    f: Fields,
    gates: [GateKind; 5],
    bodies: Vec<(String, String)>,
}

impl GateFormPage {
    fn value<'a>(&'a self, name: &str) -> &'a str {
        self.f.get(name)
    }
}

fn gate_form(
    auth: &Auth,
    p: &StoredProfile,
    id: Option<i64>,
    f: Fields,
    errors: Errors,
) -> GateFormPage {
    let slug = p.meta.org_slug.clone();
    let title = if id.is_some() {
        "Change a gate"
    } else {
        "Add a gate"
    };
    GateFormPage {
        layout: Layout::new(
            auth,
            if errors.is_empty() {
                title.to_owned()
            } else {
                format!("Error: {title}")
            },
        )
        .nav("joint")
        .crumb("Joint procurement", "/joint")
        .crumb(
            format!("{} governance profile", p.meta.org_name),
            profile_url(&slug),
        ),
        action: match id {
            Some(id) => format!("{}/gates/{id}", profile_url(&slug)),
            None => format!("{}/gates/new", profile_url(&slug)),
        },
        is_new: id.is_none(),
        org_name: p.meta.org_name.clone(),
        slug,
        errors,
        f,
        gates: GateKind::ALL,
        bodies: p
            .profile
            .bodies
            .iter()
            .map(|b| (b.id.to_string(), b.name.clone()))
            .collect(),
    }
}

fn money_text(pence: i64) -> String {
    crate::web::filters::pounds(pence / 100)
}

fn validate_gate(p: &StoredProfile, id: i64, f: &Fields) -> Result<GateRule, Errors> {
    let mut errors = Errors::default();
    let gate: Option<GateKind> = f.get("gate").parse().ok();
    if gate.is_none() {
        errors.add("gate", "Choose the gate");
    }
    let body_id = f
        .get("body_id")
        .parse::<i64>()
        .ok()
        .filter(|id| p.profile.body(*id).is_some());
    if body_id.is_none() {
        errors.add(
            "body_id",
            if p.profile.bodies.is_empty() {
                "Add the body that approves this gate first"
            } else {
                "Choose the body that approves it"
            },
        );
    }
    let min = if f.get("min_value").is_empty() {
        Some(0)
    } else {
        crate::guide::fill::parse_money(f.get("min_value"))
    };
    if min.is_none() {
        errors.add("min_value", "Enter the lowest value as an amount in pounds, like £500,000, or leave it empty for £0");
    }
    let max = if f.get("max_value").is_empty() {
        Some(None)
    } else {
        crate::guide::fill::parse_money(f.get("max_value")).map(Some)
    };
    match (min, max) {
        (_, None) => errors.add("max_value", "Enter the upper limit as an amount in pounds, like £5,000,000, or leave it empty for no limit"),
        (Some(min), Some(Some(max))) if max <= min => errors.add(
            "max_value",
            format!("The upper limit must be more than the lowest value ({})", money_text(min)),
        ),
        _ => {}
    }
    let (Some(gate), Some(body_id), Some(min), Some(max), true) =
        (gate, body_id, min, max, errors.is_empty())
    else {
        return Err(errors);
    };
    let rule = GateRule {
        id,
        gate,
        body_id,
        min_pence: min,
        max_pence: max,
    };
    if let Some(other) = p
        .profile
        .gates
        .iter()
        .find(|g| g.id != id && g.overlaps(&rule))
    {
        let body = p
            .profile
            .body(other.body_id)
            .map(|b| b.name.as_str())
            .unwrap_or("another body");
        errors.add(
            "min_value",
            format!(
                "These values overlap the {} rule for {} ({}): each value needs exactly one approving body. Change the values, or change that rule.",
                gate.lower(),
                other.value_band(),
                body
            ),
        );
        return Err(errors);
    }
    Ok(rule)
}

async fn gate_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let here = format!("{}/gates/new", profile_url(&slug));
    let (p, _) = editable(&state, &auth, &slug, &here).await?;
    render(gate_form(
        &auth,
        &p,
        None,
        Fields::default(),
        Errors::default(),
    ))
}

async fn gate_edit(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let here = format!("{}/gates/{id}", profile_url(&slug));
    let (p, _) = editable(&state, &auth, &slug, &here).await?;
    let g = p
        .profile
        .gates
        .iter()
        .find(|g| g.id == id)
        .ok_or(PageError::NotFound)?;
    let f = Fields(vec![
        ("gate".into(), g.gate.as_str().into()),
        ("body_id".into(), g.body_id.to_string()),
        ("min_value".into(), money_text(g.min_pence)),
        (
            "max_value".into(),
            g.max_pence.map(money_text).unwrap_or_default(),
        ),
    ]);
    render(gate_form(&auth, &p, Some(id), f, Errors::default()))
}

async fn save_gate(
    state: AppState,
    slug: String,
    id: Option<i64>,
    fields: Fields,
    auth: Auth,
) -> Result<Response, PageError> {
    let here = format!(
        "{}/gates/{}",
        profile_url(&slug),
        id.map(|i| i.to_string()).unwrap_or("new".into())
    );
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    if let Some(id) = id
        && !p.profile.gates.iter().any(|g| g.id == id)
    {
        return Err(PageError::NotFound);
    }
    let rule = match validate_gate(&p, id.unwrap_or(0), &fields) {
        Ok(r) => r,
        Err(errors) => return render_invalid(gate_form(&auth, &p, id, fields, errors)),
    };
    store::save_gate(&state.db, p.meta.org_id, user.id, &rule)
        .await?
        .ok_or(PageError::NotFound)?;
    audit(
        &state,
        &user,
        &auth,
        "governance.gate",
        format!("{} {}", rule.gate.label(), rule.value_band()),
    )
    .await;
    Ok(Redirect::to(&format!("{}?done=gate", profile_url(&slug))).into_response())
}

async fn gate_create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    save_gate(state, slug, None, fields, auth).await
}

async fn gate_update(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    save_gate(state, slug, Some(id), fields, auth).await
}

async fn gate_delete(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = profile_url(&slug);
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    if !store::delete_gate(&state.db, p.meta.org_id, user.id, id).await? {
        return Err(PageError::NotFound);
    }
    audit(
        &state,
        &user,
        &auth,
        "governance.gate.delete",
        format!("gate {id} deleted"),
    )
    .await;
    Ok(Redirect::to(&format!("{here}?done=gate-deleted")).into_response())
}

// ---- Blackouts ----

#[derive(Template)]
#[template(path = "joint/templates/blackout_form.html")]
struct BlackoutFormPage {
    layout: Layout,
    slug: String,
    org_name: String,
    action: String,
    is_new: bool,
    errors: Errors,
    f: Fields,
}

impl BlackoutFormPage {
    fn value<'a>(&'a self, name: &str) -> &'a str {
        self.f.get(name)
    }
}

fn blackout_form(
    auth: &Auth,
    p: &StoredProfile,
    id: Option<i64>,
    f: Fields,
    errors: Errors,
) -> BlackoutFormPage {
    let slug = p.meta.org_slug.clone();
    let title = if id.is_some() {
        "Change a blackout"
    } else {
        "Add a blackout"
    };
    BlackoutFormPage {
        layout: Layout::new(
            auth,
            if errors.is_empty() {
                title.to_owned()
            } else {
                format!("Error: {title}")
            },
        )
        .nav("joint")
        .crumb("Joint procurement", "/joint")
        .crumb(
            format!("{} governance profile", p.meta.org_name),
            profile_url(&slug),
        ),
        action: match id {
            Some(id) => format!("{}/blackouts/{id}", profile_url(&slug)),
            None => format!("{}/blackouts/new", profile_url(&slug)),
        },
        is_new: id.is_none(),
        org_name: p.meta.org_name.clone(),
        slug,
        errors,
        f,
    }
}

fn validate_blackout(id: i64, f: &Fields) -> Result<Blackout, Errors> {
    let mut errors = Errors::default();
    let date = |prefix: &str, label: &str, errors: &mut Errors| {
        match crate::guide::fill::parse_date_parts(
            label,
            f.get(&format!("{prefix}-day")),
            f.get(&format!("{prefix}-month")),
            f.get(&format!("{prefix}-year")),
        ) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.add(prefix, e);
                None
            }
        }
    };
    if f.get("label").is_empty() {
        errors.add(
            "label",
            "Enter a name for the blackout, like “Pre-election period 2030” or “August recess”",
        );
    }
    let start = date("start", "The start date", &mut errors);
    let end = date("end", "The end date", &mut errors);
    let (Some(start), Some(end)) = (start, end) else {
        return Err(errors);
    };
    match Blackout::new(id, f.get("label"), start, end, f.get("yearly") == "yes") {
        Ok(b) if errors.is_empty() => Ok(b),
        Ok(_) => Err(errors),
        Err(e) => {
            let field = match e {
                super::governance::BlackoutError::NoLabel => "label",
                _ => "end",
            };
            if errors.get(field).is_empty() {
                errors.add(field, e.to_string());
            }
            Err(errors)
        }
    }
}

fn blackout_fields(b: &Blackout) -> Fields {
    let mut v = vec![("label".to_owned(), b.label.clone())];
    for (prefix, d) in [("start", b.start), ("end", b.end)] {
        v.push((format!("{prefix}-day"), d.day().to_string()));
        v.push((format!("{prefix}-month"), d.month().to_string()));
        v.push((format!("{prefix}-year"), d.year().to_string()));
    }
    if b.yearly {
        v.push(("yearly".into(), "yes".into()));
    }
    Fields(v)
}

async fn blackout_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let here = format!("{}/blackouts/new", profile_url(&slug));
    let (p, _) = editable(&state, &auth, &slug, &here).await?;
    render(blackout_form(
        &auth,
        &p,
        None,
        Fields::default(),
        Errors::default(),
    ))
}

async fn blackout_edit(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let here = format!("{}/blackouts/{id}", profile_url(&slug));
    let (p, _) = editable(&state, &auth, &slug, &here).await?;
    let b = p
        .profile
        .blackouts
        .iter()
        .find(|b| b.id == id)
        .ok_or(PageError::NotFound)?;
    let f = blackout_fields(b);
    render(blackout_form(&auth, &p, Some(id), f, Errors::default()))
}

async fn save_blackout(
    state: AppState,
    slug: String,
    id: Option<i64>,
    fields: Fields,
    auth: Auth,
) -> Result<Response, PageError> {
    let here = format!(
        "{}/blackouts/{}",
        profile_url(&slug),
        id.map(|i| i.to_string()).unwrap_or("new".into())
    );
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    if let Some(id) = id
        && !p.profile.blackouts.iter().any(|b| b.id == id)
    {
        return Err(PageError::NotFound);
    }
    let b = match validate_blackout(id.unwrap_or(0), &fields) {
        Ok(b) => b,
        Err(errors) => return render_invalid(blackout_form(&auth, &p, id, fields, errors)),
    };
    store::save_blackout(&state.db, p.meta.org_id, user.id, &b)
        .await?
        .ok_or(PageError::NotFound)?;
    audit(
        &state,
        &user,
        &auth,
        "governance.blackout",
        format!("{} {}", b.label, b.describe()),
    )
    .await;
    Ok(Redirect::to(&format!("{}?done=blackout", profile_url(&slug))).into_response())
}

async fn blackout_create(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    save_blackout(state, slug, None, fields, auth).await
}

async fn blackout_update(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(fields, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    save_blackout(state, slug, Some(id), fields, auth).await
}

async fn blackout_delete(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let here = profile_url(&slug);
    let (p, user) = editable(&state, &auth, &slug, &here).await?;
    if !store::delete_blackout(&state.db, p.meta.org_id, user.id, id).await? {
        return Err(PageError::NotFound);
    }
    audit(
        &state,
        &user,
        &auth,
        "governance.blackout.delete",
        format!("blackout {id} deleted"),
    )
    .await;
    Ok(Redirect::to(&format!("{here}?done=blackout-deleted")).into_response())
}

// ---- The planner demo ----

/// The demo plan's state, all in the address: the start date, cancelled meetings and slipped
/// milestones. Nothing is saved, so the page is a GET and can be bookmarked or shared.
#[derive(Debug, Clone, Default)]
pub struct PlannerQuery {
    pub start: Option<NaiveDate>,
    /// The contract must start by this date (the last milestone's deadline).
    pub must_start_by: Option<NaiveDate>,
    pub changes: Changes,
    pub errors: Errors,
    /// Typed values of the slip form, kept when it has an error.
    pub slip_form: Fields,
}

/// The Monday on or after `d`: plans start at the beginning of a working week.
fn next_monday(d: NaiveDate) -> NaiveDate {
    let mut d = d;
    while d.weekday() != Weekday::Mon {
        d += Duration::days(1);
    }
    d
}

impl PlannerQuery {
    pub fn parse(raw: Option<&str>) -> PlannerQuery {
        let pairs: Vec<(String, String)> = raw
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        let f = Fields(pairs);
        let mut q = PlannerQuery::default();
        if !f.get("start").is_empty() {
            match parse_date(f.get("start")) {
                Ok(d) => q.start = Some(d),
                Err(e) => q.errors.add("start", format!("The start date: {e}")),
            }
        }
        if !f.get("must_start_by").is_empty() {
            match parse_date(f.get("must_start_by")) {
                Ok(d) => q.must_start_by = Some(d),
                Err(e) => q.errors.add(
                    "must_start_by",
                    format!("The date the contract must start by: {e}"),
                ),
            }
        }
        for c in f.all("cancel") {
            let mut parts = c.splitn(3, ':');
            if let (Some(partner), Some(Ok(body_id)), Some(Ok(date))) = (
                parts.next(),
                parts.next().map(str::parse::<i64>),
                parts.next().map(parse_date),
            ) {
                q.changes.cancelled.insert(CancelledMeeting {
                    partner: partner.to_owned(),
                    body_id,
                    date,
                });
            }
        }
        for s in f.all("slip") {
            if let Some((key, date)) = s.split_once(':')
                && let Ok(date) = parse_date(date)
            {
                q.changes.slips.insert(key.to_owned(), date);
            }
        }
        // A new slip from the form: a milestone and a date in three fields.
        let key = f.get("slip_milestone");
        if !key.is_empty() {
            match crate::guide::fill::parse_date_parts(
                "The new date",
                f.get("slip-day"),
                f.get("slip-month"),
                f.get("slip-year"),
            ) {
                Ok(d) if examples::joint_milestones().iter().any(|m| m.key == key) => {
                    q.changes.slips.insert(key.to_owned(), d);
                }
                Ok(_) => q
                    .errors
                    .add("slip_milestone", "Choose a milestone of this plan"),
                Err(e) => {
                    q.errors.add("slip", e);
                    q.slip_form = Fields(
                        f.0.iter()
                            .filter(|(k, _)| k.starts_with("slip"))
                            .cloned()
                            .collect(),
                    );
                }
            }
        }
        q
    }

    /// The query string for these changes, optionally without one of them.
    pub fn to_query(
        &self,
        start: NaiveDate,
        without_cancel: Option<&CancelledMeeting>,
        without_slip: Option<&str>,
    ) -> String {
        let mut pairs = vec![("start".to_owned(), start.to_string())];
        if let Some(d) = self.must_start_by {
            pairs.push(("must_start_by".into(), d.to_string()));
        }
        for c in &self.changes.cancelled {
            if Some(c) != without_cancel {
                pairs.push((
                    "cancel".into(),
                    format!("{}:{}:{}", c.partner, c.body_id, c.date),
                ));
            }
        }
        for (k, d) in &self.changes.slips {
            if Some(k.as_str()) != without_slip {
                pairs.push(("slip".into(), format!("{k}:{d}")));
            }
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The demo plan: the example joint procurement, planned with the profiles the viewer can
/// see, before and after the changes in the address.
pub struct DemoPlan {
    pub start: NaiveDate,
    pub partners: Vec<Partner>,
    pub missing: Vec<String>,
    pub baseline: Plan,
    pub plan: Plan,
    pub moved: Vec<Moved>,
}

pub async fn demo_plan(
    state: &AppState,
    viewer: &crate::visibility::Viewer,
    q: &PlannerQuery,
) -> Result<DemoPlan, PageError> {
    let start = q.start.unwrap_or_else(|| next_monday(today()));
    let mut partners = Vec::new();
    let mut missing = Vec::new();
    for (slug, value) in examples::DEMO_PARTNERS {
        match store::get(&state.db, viewer, slug).await? {
            Some(p) => partners.push(Partner {
                value_pence: *value,
                profile: p.profile,
            }),
            None => missing.push((*slug).to_owned()),
        }
    }
    let mut milestones = examples::joint_milestones();
    if let Some(last) = milestones.last_mut() {
        last.deadline = q.must_start_by;
    }
    let input = PlanInput {
        start,
        milestones,
        partners: partners.clone(),
        changes: Changes::default(),
    };
    let baseline = planner::plan(&input).map_err(|e| PageError::BadRequest(e.to_string()))?;
    let changed = PlanInput {
        changes: q.changes.clone(),
        ..input
    };
    let plan = planner::plan(&changed).map_err(|e| PageError::BadRequest(e.to_string()))?;
    let moved = planner::compare(&baseline, &plan, &q.changes);
    Ok(DemoPlan {
        start,
        partners,
        missing,
        baseline,
        plan,
        moved,
    })
}

pub struct ApprovalRow {
    pub milestone: String,
    pub partner: String,
    pub gate: String,
    pub body: String,
    pub papers: String,
    pub meeting: String,
    pub acted: String,
    pub slack: String,
    pub sets_date: bool,
    pub note: String,
    /// The value of the "cancel this meeting" option.
    pub cancel_value: String,
}

pub struct ChangeView {
    pub text: String,
    pub undo: String,
}

#[derive(Template)]
#[template(path = "joint/templates/planner.html")]
struct PlannerPage {
    layout: Layout,
    demo: DemoPlan,
    svg: String,
    rows: Vec<ApprovalRow>,
    changes: Vec<ChangeView>,
    query: String,
    hidden: Vec<(String, String)>,
    start_text: String,
    must_start_by_text: String,
    has_deadline: bool,
    /// The same plan without cancellations and slips.
    reset_query: String,
    errors: Errors,
    slip_form: Fields,
    critical_names: Vec<String>,
    partner_lines: Vec<String>,
    example_label: &'static str,
}

impl PlannerPage {
    fn day(&self, d: &NaiveDate) -> String {
        long_date(*d)
    }

    fn value<'a>(&'a self, name: &str) -> &'a str {
        self.slip_form.get(name)
    }
}

pub(crate) fn approval_rows(plan: &Plan) -> Vec<ApprovalRow> {
    let mut rows = Vec::new();
    for m in &plan.milestones {
        for a in &m.approvals {
            let mut row = ApprovalRow {
                milestone: m.name.clone(),
                partner: a.partner_name.clone(),
                gate: a.gate.label().to_owned(),
                body: String::new(),
                papers: String::new(),
                meeting: String::new(),
                acted: String::new(),
                slack: String::new(),
                sets_date: false,
                note: String::new(),
                cancel_value: String::new(),
            };
            match &a.outcome {
                Outcome::Scheduled {
                    body_id,
                    body,
                    meeting,
                    paper_deadline,
                    acted_on_from,
                    slack_days,
                    binding,
                    skipped,
                    ..
                } => {
                    row.body = body.clone();
                    row.papers = long_date(*paper_deadline);
                    row.meeting = long_date(*meeting);
                    row.acted = long_date(*acted_on_from);
                    row.slack = match slack_days {
                        1 => "1 day".into(),
                        n => format!("{n} days"),
                    };
                    row.sets_date = *binding;
                    row.note = skipped
                        .iter()
                        .map(|s| format!("{} {}", long_date(s.date), s.reason))
                        .collect::<Vec<_>>()
                        .join("; ");
                    row.cancel_value = format!("{}:{}:{}", a.partner, body_id, meeting);
                }
                Outcome::NotRequired { reason } | Outcome::Impossible { reason } => {
                    row.note = reason.clone()
                }
            }
            rows.push(row);
        }
    }
    rows
}

async fn planner_page(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    auth.require_user("/joint/planner")?;
    let q = PlannerQuery::parse(raw.as_deref());
    let demo = demo_plan(&state, &auth.viewer(), &q).await?;
    let names: Vec<(String, String)> = demo
        .partners
        .iter()
        .map(|p| (p.slug().to_owned(), p.name().to_owned()))
        .collect();
    let svg = super::svg::timeline(&demo.plan, &names);
    let start = demo.start;
    let mut changes = Vec::new();
    for c in &q.changes.cancelled {
        let who = demo.partners.iter().find(|p| p.slug() == c.partner);
        let body = who
            .and_then(|p| p.profile.body(c.body_id))
            .map(|b| b.name.clone())
            .unwrap_or_else(|| "meeting".into());
        changes.push(ChangeView {
            text: format!(
                "{}’s {} on {} cancelled",
                who.map(|p| p.name()).unwrap_or(&c.partner),
                body,
                long_date(c.date)
            ),
            undo: format!("/joint/planner?{}", q.to_query(start, Some(c), None)),
        });
    }
    for (k, d) in &q.changes.slips {
        let name = demo
            .plan
            .milestone(k)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| k.clone());
        changes.push(ChangeView {
            text: format!("“{name}” slipped to not before {}", long_date(*d)),
            undo: format!("/joint/planner?{}", q.to_query(start, None, Some(k))),
        });
    }
    let query = q.to_query(start, None, None);
    let hidden: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
    let critical_names = demo
        .plan
        .critical_partners
        .iter()
        .filter_map(|s| {
            demo.partners
                .iter()
                .find(|p| p.slug() == s)
                .map(|p| p.name().to_owned())
        })
        .collect();
    let partner_lines = demo
        .partners
        .iter()
        .map(|p| {
            format!(
                "{} ({} share)",
                p.name(),
                crate::web::filters::pounds(p.value_pence / 100)
            )
        })
        .collect();
    let errors = q.errors.clone();
    let page = PlannerPage {
        layout: Layout::new(
            &auth,
            if errors.is_empty() {
                "Joint procurement timeline planner"
            } else {
                "Error: joint procurement timeline planner"
            },
        )
        .nav("joint")
        .crumb("Home", "/")
        .crumb("Joint procurement", "/joint"),
        rows: approval_rows(&demo.plan),
        svg,
        changes,
        query,
        hidden,
        start_text: long_date(start),
        must_start_by_text: q.must_start_by.map(long_date).unwrap_or_default(),
        has_deadline: demo.plan.milestones.iter().any(|m| m.latest.is_some()),
        reset_query: PlannerQuery {
            must_start_by: q.must_start_by,
            ..PlannerQuery::default()
        }
        .to_query(start, None, None),
        slip_form: q.slip_form.clone(),
        errors,
        critical_names,
        partner_lines,
        example_label: examples::EXAMPLE_LABEL,
        demo,
    };
    if page.errors.is_empty() {
        render(page)
    } else {
        render_invalid(page)
    }
}

fn attachment(body: String, content_type: &'static str, file: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn planner_ics(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    auth.require_user("/joint/planner")?;
    let q = PlannerQuery::parse(raw.as_deref());
    let demo = demo_plan(&state, &auth.viewer(), &q).await?;
    let ics = super::export::ics(
        &demo.plan,
        "Joint housing system procurement (example)",
        &format!("demo-{}", demo.start),
        Utc::now(),
    );
    Ok(attachment(
        ics,
        "text/calendar; charset=utf-8",
        "joint-procurement-plan.ics",
    ))
}

async fn planner_csv(
    State(state): State<AppState>,
    auth: Auth,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    auth.require_user("/joint/planner")?;
    let q = PlannerQuery::parse(raw.as_deref());
    let demo = demo_plan(&state, &auth.viewer(), &q).await?;
    Ok(attachment(
        super::export::csv(&demo.plan),
        "text/csv; charset=utf-8",
        "joint-procurement-plan.csv",
    ))
}
