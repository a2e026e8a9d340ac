//! Pages of a joint procurement: making one from a procurement, and the shared workspace —
//! partners, the collaboration agreement, the timeline planned from every partner's governance
//! profile (with cancelled meetings and slips recorded and what moved explained), the joint
//! specification and evaluation criteria with sign-offs, decisions, tasks, messages and each
//! partner's private notes.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};

use super::examples;
use super::planner::{self, Moved, Partner, Plan, PlanInput};
use super::procurement::{
    self as joint, ChangeRow, DocVersion, Entry, JointProcurement, NewChange, PartnerRow, SignOff,
};
use super::web::{ApprovalRow, approval_rows};
use crate::accounts::{OrgKind, User, store as accounts};
use crate::guide::fill::parse_date_parts;
use crate::money::Pence;
use crate::pipeline::store as procurements;
use crate::web::auth::Auth;
use crate::web::filters::long_date;
use crate::web::form::{CsrfForm, Errors, Fields};
use crate::web::layout::Layout;
use crate::web::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/procurements/{id}/joint", get(new_form).post(create))
        .route("/joint/procurements", get(list))
        .route("/joint/procurements/{id}", get(workspace))
        .route("/joint/procurements/{id}/changes", post(add_change))
        .route(
            "/joint/procurements/{id}/changes/{change}/undo",
            post(undo_change),
        )
        .route(
            "/joint/procurements/{id}/documents/{kind}",
            post(new_version),
        )
        .route("/joint/procurements/{id}/signoffs/{doc}", post(sign))
        .route("/joint/procurements/{id}/entries", post(add_entry))
        .route(
            "/joint/procurements/{id}/entries/{entry}/done",
            post(task_done),
        )
        .route("/joint/procurements/{id}/plan.ics", get(plan_ics))
        .route("/joint/procurements/{id}/plan.csv", get(plan_csv))
}

fn html(status: StatusCode, t: impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

fn require_borough<'a>(auth: &'a Auth, here: &str) -> Result<&'a User, PageError> {
    let user = auth.require_user(here)?;
    if matches!(user.org_kind, OrgKind::Borough | OrgKind::Convenor) {
        Ok(user)
    } else {
        Err(PageError::Forbidden(
            "Joint procurements are run by London authorities.",
        ))
    }
}

/// How many partner rows the form offers; more can be added by running it again is not
/// supported, so the form offers enough for London's largest joint procurements so far.
const PARTNER_ROWS: usize = 6;

// ---- Making a joint procurement ----

#[derive(Template)]
#[template(path = "joint/templates/joint_new.html")]
struct NewPage {
    layout: Layout,
    p: procurements::Procurement,
    boroughs: Vec<(i64, String)>,
    rows: Vec<(usize, String, String)>,
    lead_share: String,
    start: [String; 3],
    must: [String; 3],
    errors: Errors,
}

async fn own_procurement(
    state: &AppState,
    auth: &Auth,
    user: &User,
    id: i64,
) -> Result<procurements::Procurement, PageError> {
    if let Some(p) = procurements::get_own(&state.db, user, id).await? {
        return Ok(p);
    }
    match procurements::get(&state.db, &auth.viewer(), id).await? {
        Some(_) => Err(PageError::Forbidden(
            "Only the organisation that runs a procurement can make it joint.",
        )),
        None => Err(PageError::NotFound),
    }
}

async fn boroughs(state: &AppState, except: i64) -> Result<Vec<(i64, String)>, PageError> {
    Ok(accounts::organisations(&state.db, Some(OrgKind::Borough))
        .await?
        .into_iter()
        .filter(|o| o.id != except)
        .map(|o| (o.id, o.short_name))
        .collect())
}

async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let user = require_borough(&auth, &format!("/procurements/{id}/joint"))?.clone();
    let p = own_procurement(&state, &auth, &user, id).await?;
    if let Some(j) = joint::for_procurement(&state.db, &auth.viewer(), id).await? {
        return Ok(Redirect::to(&format!("/joint/procurements/{}", j.id)).into_response());
    }
    // Boroughs already collaborating on it come pre-filled.
    let threads =
        crate::pipeline::collaboration::for_procurement(&state.db, &auth.viewer(), id).await?;
    let mut rows: Vec<(usize, String, String)> = threads
        .iter()
        .filter(|t| t.status == "active" || t.status == "interested" || t.status == "invited")
        .map(|t| t.partner_org_id.to_string())
        .take(PARTNER_ROWS)
        .enumerate()
        .map(|(i, org)| (i + 1, org, String::new()))
        .collect();
    while rows.len() < PARTNER_ROWS {
        rows.push((rows.len() + 1, String::new(), String::new()));
    }
    let start = Utc::now().date_naive();
    html(
        StatusCode::OK,
        NewPage {
            layout: Layout::new(&auth, "Make it a joint procurement")
                .nav("joint")
                .crumb("Home", "/")
                .crumb(&p.title, p.url()),
            boroughs: boroughs(&state, user.org_id).await?,
            lead_share: p.value().map(|v| v.display()).unwrap_or_default(),
            start: [
                start.format("%-d").to_string(),
                start.format("%-m").to_string(),
                start.format("%Y").to_string(),
            ],
            must: Default::default(),
            rows,
            errors: Errors::default(),
            p,
        },
    )
}

fn date_from(
    f: &Fields,
    name: &str,
    label: &str,
    required: bool,
    e: &mut Errors,
) -> Option<NaiveDate> {
    let parts = ["day", "month", "year"].map(|p| f.get(&format!("{name}-{p}")).to_owned());
    if parts.iter().all(|p| p.is_empty()) {
        if required {
            e.add(
                format!("{name}-day"),
                format!("Enter {}", label.to_lowercase()),
            );
        }
        return None;
    }
    parse_date_parts(label, &parts[0], &parts[1], &parts[2])
        .map_err(|m| e.add(format!("{name}-day"), m))
        .ok()
}

async fn create(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let user = require_borough(&auth, &format!("/procurements/{id}/joint"))?.clone();
    let p = own_procurement(&state, &auth, &user, id).await?;
    let all = boroughs(&state, user.org_id).await?;
    let mut e = Errors::default();
    let lead_share = match Pence::parse_pounds(f.get("lead_share")) {
        Ok(v) => v.0,
        Err(_) => {
            e.add(
                "lead_share",
                "Enter your borough's share of the contract value in pounds, like £1,500,000",
            );
            0
        }
    };
    let mut partners: Vec<(i64, i64)> = Vec::new();
    let mut rows = Vec::new();
    for i in 1..=PARTNER_ROWS {
        let org = f.get(&format!("partner-{i}"));
        let share = f.get(&format!("share-{i}"));
        rows.push((i, org.to_owned(), share.to_owned()));
        if org.is_empty() && share.is_empty() {
            continue;
        }
        let Some(org_id) = org
            .parse::<i64>()
            .ok()
            .filter(|o| all.iter().any(|(id, _)| id == o))
        else {
            e.add(
                format!("partner-{i}"),
                format!("Choose the borough for partner {i}"),
            );
            continue;
        };
        if partners.iter().any(|(o, _)| *o == org_id) {
            e.add(
                format!("partner-{i}"),
                format!("Partner {i} is listed twice"),
            );
            continue;
        }
        match Pence::parse_pounds(share) {
            Ok(v) => partners.push((org_id, v.0)),
            Err(_) => e.add(
                format!("share-{i}"),
                format!("Enter partner {i}'s share in pounds, like £1,200,000"),
            ),
        }
    }
    let any_partner_row = rows
        .iter()
        .any(|(_, org, share)| !org.is_empty() || !share.is_empty());
    if !any_partner_row {
        e.add("partner-1", "Add at least one partner borough");
    }
    let start = date_from(&f, "start", "The date planning starts", true, &mut e);
    let must = date_from(
        &f,
        "must",
        "The date the contract must start by",
        false,
        &mut e,
    );
    if let (Some(s), Some(m)) = (start, must)
        && m <= s
    {
        e.add(
            "must-day",
            "The date the contract must start by must be after planning starts",
        );
    }
    let (Some(start), true) = (start, e.is_empty()) else {
        let parts =
            |n: &str| ["day", "month", "year"].map(|p| f.get(&format!("{n}-{p}")).to_owned());
        return html(
            StatusCode::UNPROCESSABLE_ENTITY,
            NewPage {
                layout: Layout::new(&auth, "Error: make it a joint procurement")
                    .nav("joint")
                    .crumb("Home", "/")
                    .crumb(&p.title, p.url()),
                boroughs: all,
                rows,
                lead_share: f.get("lead_share").to_owned(),
                start: parts("start"),
                must: parts("must"),
                errors: e,
                p,
            },
        );
    };
    match joint::create(&state.db, &user, &p, lead_share, &partners, start, must).await {
        Ok(jid) | Err(joint::JointError::AlreadyJoint(jid)) => {
            Ok(Redirect::to(&format!("/joint/procurements/{jid}")).into_response())
        }
        Err(joint::JointError::Db(err)) => Err(err.into()),
        Err(err) => Err(PageError::BadRequest(err.to_string())),
    }
}

// ---- The workspace ----

/// A joint procurement's plan, from the partners' profiles the viewer can see, with and
/// without the recorded changes.
pub struct JointPlan {
    pub partners: Vec<Partner>,
    pub missing: Vec<String>,
    pub baseline: Plan,
    pub plan: Plan,
    pub moved: Vec<Moved>,
}

pub async fn build_plan(
    state: &AppState,
    auth: &Auth,
    j: &JointProcurement,
    partners: &[PartnerRow],
    changes: &[ChangeRow],
) -> Result<JointPlan, PageError> {
    let mut in_plan = Vec::new();
    let mut missing = Vec::new();
    for p in partners {
        match super::store::get(&state.db, &auth.viewer(), &p.slug).await? {
            Some(profile) => in_plan.push(Partner {
                value_pence: p.share_pence,
                profile: profile.profile,
            }),
            None => missing.push(p.name.clone()),
        }
    }
    let mut milestones = examples::joint_milestones();
    if let Some(last) = milestones.last_mut() {
        last.deadline = j.must_start_by;
    }
    let input = PlanInput {
        start: j.plan_start,
        milestones,
        partners: in_plan.clone(),
        changes: Default::default(),
    };
    let baseline = planner::plan(&input).map_err(|e| PageError::Internal(e.to_string()))?;
    let recorded = joint::as_changes(changes);
    let changed = PlanInput {
        changes: recorded.clone(),
        ..input
    };
    let plan = planner::plan(&changed).map_err(|e| PageError::BadRequest(e.to_string()))?;
    let moved = planner::compare(&baseline, &plan, &recorded);
    Ok(JointPlan {
        partners: in_plan,
        missing,
        baseline,
        plan,
        moved,
    })
}

pub struct DocSection {
    pub kind: &'static str,
    pub title: &'static str,
    /// Newest first.
    pub versions: Vec<DocVersion>,
}

impl DocSection {
    /// The latest text, to start the next version from.
    pub fn current_body(&self) -> String {
        self.versions
            .first()
            .map(|v| v.body.clone())
            .unwrap_or_default()
    }
}

pub struct ChangeLine {
    pub id: i64,
    pub text: String,
}

#[derive(Template)]
#[template(path = "joint/templates/workspace.html")]
struct WorkspacePage {
    layout: Layout,
    j: JointProcurement,
    partners: Vec<PartnerRow>,
    total: String,
    agreement_link: String,
    jp: JointPlan,
    svg: String,
    rows: Vec<ApprovalRow>,
    change_lines: Vec<ChangeLine>,
    critical_names: Vec<String>,
    docs: Vec<DocSection>,
    signoffs: Vec<SignOff>,
    entries: Vec<Entry>,
    own_org_id: i64,
    /// The lead's procurement checklist (the same stages as a single procurement), read-only
    /// here: the lead's officers keep it on the procurement's page.
    stage: crate::pipeline::Stage,
    checklist: Vec<crate::pipeline::store::ChecklistItem>,
    /// After award each partner manages its own contract.
    awarded: bool,
    my_contract: Option<i64>,
    errors: Errors,
    form: Fields,
}

impl WorkspacePage {
    fn stage_items(&self) -> Vec<&crate::pipeline::store::ChecklistItem> {
        self.checklist
            .iter()
            .filter(|i| i.stage == self.stage)
            .collect()
    }

    fn finished(&self) -> usize {
        self.checklist
            .iter()
            .filter(|i| i.status.is_finished())
            .count()
    }

    fn day(&self, d: &Option<NaiveDate>) -> String {
        d.map(long_date)
            .unwrap_or_else(|| "cannot be scheduled".into())
    }

    fn end_day(&self) -> String {
        self.day(&self.jp.plan.end())
    }

    fn signed_by(&self, doc_id: &i64) -> Vec<&SignOff> {
        self.signoffs
            .iter()
            .filter(|s| s.document_id == *doc_id)
            .collect()
    }

    fn not_signed(&self, doc_id: &i64) -> Vec<&str> {
        self.partners
            .iter()
            .filter(|p| {
                !self
                    .signoffs
                    .iter()
                    .any(|s| s.document_id == *doc_id && s.org_id == p.org_id)
            })
            .map(|p| p.name.as_str())
            .collect()
    }

    fn i_signed(&self, doc_id: &i64) -> bool {
        self.signoffs
            .iter()
            .any(|s| s.document_id == *doc_id && s.org_id == self.own_org_id)
    }

    fn of_kind(&self, kind: &str) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.kind == kind).collect()
    }

    fn value<'a>(&'a self, name: &str) -> &'a str {
        self.form.get(name)
    }
}

fn agreement_link(
    j: &JointProcurement,
    partners: &[PartnerRow],
    plan: &Plan,
    lead_gss: Option<&str>,
    total: i64,
) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(g) = lead_gss {
        pairs.push(("lead".into(), g.into()));
    }
    for p in partners {
        if let Some(g) = &p.gss_code {
            pairs.push(("partners".into(), g.clone()));
        }
    }
    pairs.push(("project".into(), j.title.clone()));
    pairs.push(("estimated_value".into(), Pence(total).display()));
    let milestones: Vec<String> = plan
        .milestones
        .iter()
        .map(|m| {
            format!(
                "{}: {}",
                m.name,
                m.date
                    .map(long_date)
                    .unwrap_or_else(|| "to be agreed".into())
            )
        })
        .collect();
    pairs.push(("milestones".into(), milestones.join("\n")));
    format!(
        "/templates/collaboration-agreement?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

async fn workspace_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    errors: Errors,
    form: Fields,
) -> Result<Response, PageError> {
    let user = require_borough(auth, &format!("/joint/procurements/{id}"))?.clone();
    let j = joint::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let partners = joint::partners(&state.db, j.id).await?;
    let change_rows = joint::changes(&state.db, j.id).await?;
    let jp = build_plan(state, auth, &j, &partners, &change_rows).await?;
    let names: Vec<(String, String)> = jp
        .partners
        .iter()
        .map(|p| (p.slug().to_owned(), p.name().to_owned()))
        .collect();
    let total: i64 = partners.iter().map(|p| p.share_pence).sum();
    let lead_gss = partners
        .iter()
        .find(|p| p.org_id == j.lead_org_id)
        .and_then(|p| p.gss_code.clone());
    let change_lines = change_rows
        .iter()
        .map(|c| {
            let text = if c.kind == "cancel" {
                let body = jp
                    .partners
                    .iter()
                    .find(|p| p.slug() == c.partner_slug)
                    .and_then(|p| {
                        p.profile
                            .body(c.body_id)
                            .map(|b| format!("{}’s {}", p.name(), b.name))
                    })
                    .unwrap_or_else(|| format!("{}’s meeting", c.partner_slug));
                format!(
                    "{body} on {} is cancelled ({}; recorded by {})",
                    long_date(c.on_date),
                    c.reason,
                    c.org_name
                )
            } else {
                let name = jp
                    .plan
                    .milestone(&c.milestone)
                    .map(|m| m.name.clone())
                    .unwrap_or_else(|| c.milestone.clone());
                format!(
                    "“{name}” cannot happen before {} ({}; recorded by {})",
                    long_date(c.on_date),
                    c.reason,
                    c.org_name
                )
            };
            ChangeLine { id: c.id, text }
        })
        .collect();
    let critical_names = jp
        .plan
        .critical_partners
        .iter()
        .filter_map(|s| {
            jp.partners
                .iter()
                .find(|p| p.slug() == s)
                .map(|p| p.name().to_owned())
        })
        .collect();
    let awarded = state
        .db
        .scalar::<String>(
            "SELECT status FROM procurements WHERE id = $1",
            crate::args![j.procurement_id],
        )
        .await?
        .is_some_and(|s| s == "awarded");
    let my_contract = crate::contracts::store::for_joint(&state.db, user.org_id, j.id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        WorkspacePage {
            stage: state
                .db
                .scalar::<crate::pipeline::Stage>(
                    "SELECT stage FROM procurements WHERE id = $1",
                    crate::args![j.procurement_id],
                )
                .await?
                .unwrap_or(crate::pipeline::Stage::Preparation),
            checklist: crate::pipeline::store::checklist(&state.db, j.procurement_id).await?,
            awarded,
            my_contract,
            layout: Layout::new(
                auth,
                if errors.is_empty() {
                    j.title.clone()
                } else {
                    format!("Error: {}", j.title)
                },
            )
            .nav("joint")
            .crumb("Home", "/")
            .crumb("Joint procurements", "/joint/procurements"),
            total: Pence(total).display(),
            agreement_link: agreement_link(&j, &partners, &jp.plan, lead_gss.as_deref(), total),
            svg: super::svg::timeline(&jp.plan, &names),
            rows: approval_rows(&jp.plan),
            change_lines,
            critical_names,
            docs: vec![
                DocSection {
                    kind: "specification",
                    title: "Joint specification",
                    versions: joint::versions(&state.db, j.id, "specification").await?,
                },
                DocSection {
                    kind: "evaluation",
                    title: "Evaluation criteria",
                    versions: joint::versions(&state.db, j.id, "evaluation").await?,
                },
            ],
            signoffs: joint::signoffs(&state.db, j.id).await?,
            entries: joint::entries(&state.db, &auth.viewer(), j.id).await?,
            own_org_id: user.org_id,
            partners,
            jp,
            j,
            errors,
            form,
        },
    )
}

async fn workspace(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    workspace_page(&state, &auth, id, Errors::default(), Fields::default()).await
}

#[derive(Template)]
#[template(path = "joint/templates/joint_list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<JointProcurement>,
}

async fn list(State(state): State<AppState>, auth: Auth) -> Result<Response, PageError> {
    require_borough(&auth, "/joint/procurements")?;
    html(
        StatusCode::OK,
        ListPage {
            layout: Layout::new(&auth, "Joint procurements")
                .nav("joint")
                .crumb("Home", "/")
                .crumb("Joint procurement", "/joint"),
            items: joint::list(&state.db, &auth.viewer()).await?,
        },
    )
}

/// The joint procurement, if the user's organisation is a partner (404 otherwise).
async fn member(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(User, JointProcurement), PageError> {
    let user = require_borough(auth, &format!("/joint/procurements/{id}"))?.clone();
    let j = joint::get(&state.db, &auth.viewer(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok((user, j))
}

async fn add_change(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, j) = member(&state, &auth, id).await?;
    let mut e = Errors::default();
    let reason_field = if f.get("change") == "slip" {
        "slip_reason"
    } else {
        "reason"
    };
    let reason = f.get(reason_field);
    if reason.is_empty() {
        e.add(
            reason_field,
            "Say what happened, like ‘cabinet meeting moved for the by-election’",
        );
    }
    let change = match f.get("change") {
        "cancel" => {
            // The value is "partner:body:date" as offered by the approvals table.
            let parts: Vec<&str> = f.get("meeting").splitn(3, ':').collect();
            match (
                parts.first(),
                parts.get(1).and_then(|b| b.parse::<i64>().ok()),
                parts
                    .get(2)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            ) {
                (Some(partner), Some(body), Some(date)) if !partner.is_empty() => {
                    Some((partner.to_string(), body, date, String::new()))
                }
                _ => {
                    e.add("meeting", "Choose the meeting that was cancelled");
                    None
                }
            }
        }
        "slip" => {
            let milestone = f.get("milestone").to_owned();
            if !examples::joint_milestones()
                .iter()
                .any(|m| m.key == milestone)
            {
                e.add("milestone", "Choose the milestone that slipped");
            }
            date_from(&f, "slip", "The date it slipped to", true, &mut e)
                .map(|d| (String::new(), 0, d, milestone))
        }
        _ => {
            e.add("change", "Choose what changed");
            None
        }
    };
    let Some((partner, body, date, milestone)) = change.filter(|_| e.is_empty()) else {
        return workspace_page(&state, &auth, id, e, f).await;
    };
    let new = if milestone.is_empty() {
        NewChange::Cancel {
            partner_slug: &partner,
            body_id: body,
            date,
        }
    } else {
        NewChange::Slip {
            milestone: &milestone,
            not_before: date,
        }
    };
    joint::add_change(&state.db, &user, j.id, new, reason).await?;
    Ok(Redirect::to(&format!("/joint/procurements/{id}#what-moved")).into_response())
}

async fn undo_change(
    State(state): State<AppState>,
    Path((id, change)): Path<(i64, i64)>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, j) = member(&state, &auth, id).await?;
    if !joint::remove_change(&state.db, j.id, change).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/joint/procurements/{id}#what-moved")).into_response())
}

async fn new_version(
    State(state): State<AppState>,
    Path((id, kind)): Path<(i64, String)>,
    CsrfForm(f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, j) = member(&state, &auth, id).await?;
    if kind != "specification" && kind != "evaluation" {
        return Err(PageError::NotFound);
    }
    let body = f.get(&format!("{kind}_body"));
    let note = f.get(&format!("{kind}_note"));
    let mut e = Errors::default();
    if body.is_empty() {
        e.add(format!("{kind}_body"), "Enter the text of the new version");
    } else if body.chars().count() > 100_000 {
        e.add(
            format!("{kind}_body"),
            "The text must be 100,000 characters or fewer",
        );
    }
    if note.is_empty() {
        e.add(format!("{kind}_note"), "Say what changed in this version");
    }
    if !e.is_empty() {
        return workspace_page(&state, &auth, id, e, f).await;
    }
    joint::add_version(&state.db, &user, j.id, &kind, body, note).await?;
    Ok(Redirect::to(&format!("/joint/procurements/{id}#{kind}")).into_response())
}

async fn sign(
    State(state): State<AppState>,
    Path((id, doc)): Path<(i64, i64)>,
    CsrfForm(_f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, j) = member(&state, &auth, id).await?;
    if !joint::sign_off(&state.db, &user, j.id, doc).await? {
        return Err(PageError::BadRequest(
            "Only the latest version can be signed off. Reload the page to see it.".into(),
        ));
    }
    Ok(Redirect::to(&format!("/joint/procurements/{id}#documents")).into_response())
}

async fn add_entry(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (user, j) = member(&state, &auth, id).await?;
    let kind = f.get("kind");
    if !matches!(kind, "decision" | "task" | "message" | "note") {
        return Err(PageError::BadRequest("Choose what you are adding.".into()));
    }
    let field = format!("{kind}_body");
    let body = f.get(&field);
    let mut e = Errors::default();
    if body.is_empty() {
        e.add(field.clone(), "Enter some text");
    } else if body.chars().count() > 10_000 {
        e.add(field.clone(), "The text must be 10,000 characters or fewer");
    }
    let partners = joint::partners(&state.db, j.id).await?;
    let (owner, due) = if kind == "task" {
        let owner = match f.get("task_owner").parse::<i64>() {
            Ok(o) if partners.iter().any(|p| p.org_id == o) => Some(o),
            _ => {
                e.add("task_owner", "Choose which partner owns the task");
                None
            }
        };
        (
            owner,
            date_from(&f, "task_due", "The due date", false, &mut e),
        )
    } else {
        (None, None)
    };
    if !e.is_empty() {
        return workspace_page(&state, &auth, id, e, f).await;
    }
    joint::add_entry(&state.db, &user, j.id, kind, body, owner, due).await?;
    let anchor = match kind {
        "decision" => "decisions",
        "task" => "tasks",
        "note" => "notes",
        _ => "messages",
    };
    Ok(Redirect::to(&format!("/joint/procurements/{id}#{anchor}")).into_response())
}

async fn task_done(
    State(state): State<AppState>,
    Path((id, entry)): Path<(i64, i64)>,
    CsrfForm(f, auth): CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let (_user, j) = member(&state, &auth, id).await?;
    if !joint::mark_task_done(&state.db, j.id, entry, f.get("done") == "yes").await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/joint/procurements/{id}#tasks")).into_response())
}

fn attachment(body: String, content_type: &'static str, file: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn plan_ics(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (_user, j) = member(&state, &auth, id).await?;
    let partners = joint::partners(&state.db, j.id).await?;
    let changes = joint::changes(&state.db, j.id).await?;
    let jp = build_plan(&state, &auth, &j, &partners, &changes).await?;
    let ics = super::export::ics(&jp.plan, &j.title, &format!("joint-{}", j.id), Utc::now());
    Ok(attachment(
        ics,
        "text/calendar; charset=utf-8",
        &format!("joint-procurement-{}.ics", j.id),
    ))
}

async fn plan_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (_user, j) = member(&state, &auth, id).await?;
    let partners = joint::partners(&state.db, j.id).await?;
    let changes = joint::changes(&state.db, j.id).await?;
    let jp = build_plan(&state, &auth, &j, &partners, &changes).await?;
    Ok(attachment(
        super::export::csv(&jp.plan),
        "text/csv; charset=utf-8",
        &format!("joint-procurement-{}.csv", j.id),
    ))
}
