//! The pitch inbox: a supplier submits a structured pitch once; it reaches every borough that
//! asked for pitches in an overlapping category; each borough triages it on its own (status,
//! assignee, private notes, a reason the supplier sees), against its own target response time.

use std::collections::BTreeSet;

use serde::Serialize;

use super::similarity::{self, NEAR_DUPLICATE};
use super::{Category, PricingModel, TriageStatus};
use crate::accounts::User;
use crate::args;
use crate::db::{Arg, Db, DbError, DbResult, Tx, now};
use crate::notify::{self, Message, Recipient};
use crate::visibility::Viewer;

/// A borough that has not chosen answers within four weeks.
pub const DEFAULT_TARGET_DAYS: i64 = 20;
pub const DAY: i64 = 24 * 60 * 60;
/// Per supplier organisation: a few pitches a day, a handful a month. A pitch goes to many
/// boroughs at once, so more than this is a mailing list, not a pitch.
pub const MAX_PER_DAY: i64 = 3;
pub const MAX_PER_30_DAYS: i64 = 10;
pub const MAX_CATEGORIES: usize = 5;
pub const MAX_NOTE: usize = 5_000;
pub const MAX_REASON: usize = 2_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Settings {
    pub target_days: i64,
    pub share_by_default: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            target_days: DEFAULT_TARGET_DAYS,
            share_by_default: false,
        }
    }
}

pub async fn settings(db: &Db, org_id: i64) -> DbResult<Settings> {
    Ok(db
        .fetch_optional::<Settings>(
            "SELECT target_days, share_by_default FROM pitch_settings WHERE org_id = $1",
            args![org_id],
        )
        .await?
        .unwrap_or_default())
}

pub async fn interests(db: &Db, org_id: i64) -> DbResult<Vec<Category>> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            "SELECT category FROM pitch_interests WHERE org_id = $1 ORDER BY category",
            args![org_id],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c,)| Category::parse(&c).ok())
        .collect())
}

/// Saves a borough's inbox settings (its organisation admins' choice).
pub async fn save_settings(
    db: &Db,
    org_id: i64,
    s: &Settings,
    interests: &[Category],
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        "INSERT INTO pitch_settings (org_id, target_days, share_by_default, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id) DO UPDATE SET target_days = excluded.target_days,
            share_by_default = excluded.share_by_default, updated_at = excluded.updated_at",
        args![org_id, s.target_days, s.share_by_default, now()],
    )
    .await?;
    tx.execute(
        "DELETE FROM pitch_interests WHERE org_id = $1",
        args![org_id],
    )
    .await?;
    for c in interests {
        tx.execute(
            "INSERT INTO pitch_interests (org_id, category) VALUES ($1, $2)",
            args![org_id, c],
        )
        .await?;
    }
    tx.commit().await
}

/// How many boroughs want pitches in each category, for suppliers choosing theirs.
pub async fn demand(db: &Db) -> DbResult<Vec<(Category, i64)>> {
    let rows: Vec<(String, i64)> = db
        .fetch_all(
            "SELECT pi.category, COUNT(*) FROM pitch_interests pi JOIN organisations o ON o.id = pi.org_id
             WHERE o.kind = 'borough' GROUP BY pi.category ORDER BY COUNT(*) DESC, pi.category",
            vec![],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, n)| Category::parse(&c).ok().map(|c| (c, n)))
        .collect())
}

/// Boroughs a pitch in these categories would reach today.
async fn boroughs_for(tx: &mut Tx, cats: &[Category]) -> DbResult<BTreeSet<i64>> {
    let mut out = BTreeSet::new();
    for c in cats {
        let rows: Vec<(i64,)> = tx
            .fetch_all(
                "SELECT DISTINCT pi.org_id FROM pitch_interests pi JOIN organisations o ON o.id = pi.org_id
                 WHERE o.kind = 'borough' AND (pi.category LIKE $1 || '%' OR $1 LIKE pi.category || '%')",
                args![c],
            )
            .await?;
        out.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(out)
}

/// A pitch as the supplier writes it, parsed and checked at the edge.
#[derive(Debug, Clone)]
pub struct PitchInput {
    pub title: String,
    pub problem: String,
    pub problems: Vec<String>,
    pub audience: String,
    pub product: String,
    pub evidence: String,
    pub pricing_model: PricingModel,
    pub pricing: String,
    pub data_api: String,
    pub accessibility: String,
    pub security: String,
    pub categories: Vec<Category>,
}

impl PitchInput {
    /// The substance compared for duplicates (see [`similarity`]).
    pub fn substance(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.title, self.problem, self.audience, self.product
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PitchError {
    #[error("You sent this pitch before (pitch {0}). Its status at each borough is on its page.")]
    Duplicate(i64),
    #[error("Your organisation has sent {sent} pitches {window}. You can send another {when}.")]
    RateLimited {
        sent: i64,
        window: &'static str,
        when: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

#[derive(Debug)]
pub struct Submitted {
    pub id: i64,
    pub boroughs: usize,
    pub similar_to: Option<(i64, u8)>,
}

#[derive(sqlx::FromRow)]
struct Earlier {
    id: i64,
    title: String,
    problem: String,
    audience: String,
    product: String,
    status: String,
}

/// When the next pitch is allowed, as words, given the instant the window frees up.
fn when_text(at: i64) -> String {
    crate::web::filters::date_time(at)
}

/// Checks the per-supplier rate limit: `Ok(())` or the reason it must wait.
pub async fn check_rate(db: &Db, supplier_org_id: i64) -> Result<(), PitchError> {
    let t = now();
    #[derive(sqlx::FromRow)]
    struct Window {
        n: i64,
        oldest: Option<i64>,
    }
    for (seconds, max, window) in [
        (DAY, MAX_PER_DAY, "in the last 24 hours"),
        (30 * DAY, MAX_PER_30_DAYS, "in the last 30 days"),
    ] {
        // The oldest of the newest `max` pitches in the window frees a place when it leaves it.
        let w: Window = db
            .fetch_one(
                "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM (SELECT created_at FROM pitches
                   WHERE supplier_org_id = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT $3) recent",
                args![supplier_org_id, t - seconds, max],
            )
            .await?;
        if w.n >= max {
            return Err(PitchError::RateLimited {
                sent: w.n,
                window,
                when: format!("after {}", when_text(w.oldest.unwrap_or(t) + seconds)),
            });
        }
    }
    Ok(())
}

/// Submits a pitch and routes it, in one transaction: stored, compared with the supplier's
/// earlier pitches, sent to every borough with an overlapping category (each with its own
/// triage record and due date), and those boroughs' triage leads told.
pub async fn submit(
    db: &Db,
    user: &User,
    p: &PitchInput,
    public_url: &str,
) -> Result<Submitted, PitchError> {
    check_rate(db, user.org_id).await?;
    let mut tx = db.begin().await?;
    let earlier: Vec<Earlier> = tx
        .fetch_all(
            "SELECT id, title, problem, audience, product, status FROM pitches
             WHERE supplier_org_id = $1 ORDER BY id DESC LIMIT 100",
            args![user.org_id],
        )
        .await?;
    let substance = p.substance();
    let mut best: Option<(i64, u8)> = None;
    for e in &earlier {
        let s = similarity::similarity(
            &substance,
            &format!("{}\n{}\n{}\n{}", e.title, e.problem, e.audience, e.product),
        );
        // The same pitch again while the first is still live is refused: it would reach the
        // same boroughs twice. A withdrawn pitch may be sent again.
        if s == 100 && e.status == "submitted" {
            return Err(PitchError::Duplicate(e.id));
        }
        if s >= NEAR_DUPLICATE && best.is_none_or(|(_, b)| s > b) {
            best = Some((e.id, s));
        }
    }
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO pitches (supplier_org_id, submitted_by, title, problem, audience, product, evidence,
                pricing_model, pricing, data_api, accessibility, security, status, similar_to, similarity,
                created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'submitted', $13, $14, $15, $15)
             RETURNING id",
            args![
                user.org_id,
                user.id,
                &p.title,
                &p.problem,
                &p.audience,
                &p.product,
                &p.evidence,
                p.pricing_model,
                &p.pricing,
                &p.data_api,
                &p.accessibility,
                &p.security,
                best.map(|(id, _)| id),
                best.map(|(_, s)| i64::from(s)),
                t
            ],
        )
        .await?
        .unwrap_or_default();
    for c in &p.categories {
        tx.execute(
            "INSERT INTO pitch_categories (pitch_id, category) VALUES ($1, $2)",
            args![id, c],
        )
        .await?;
    }
    for prob in &p.problems {
        tx.execute(
            "INSERT INTO pitch_problems (pitch_id, problem_id) VALUES ($1, $2)",
            args![id, prob],
        )
        .await?;
    }
    let boroughs = boroughs_for(&mut tx, &p.categories).await?;
    for org in &boroughs {
        let s = tx
            .fetch_optional::<Settings>(
                "SELECT target_days, share_by_default FROM pitch_settings WHERE org_id = $1",
                args![*org],
            )
            .await?
            .unwrap_or_default();
        let route_id = tx
            .scalar::<i64>(
                "INSERT INTO pitch_routes (pitch_id, org_id, status, shared_london, routed_at, due_at, updated_at)
                 VALUES ($1, $2, 'new', $3, $4, $5, $4) RETURNING id",
                args![id, *org, s.share_by_default, t, t + s.target_days * DAY],
            )
            .await?
            .unwrap_or_default();
        tx.execute(
            "INSERT INTO pitch_route_history (route_id, at, user_id, status, reason) VALUES ($1, $2, $3, 'new', '')",
            args![route_id, t, user.id],
        )
        .await?;
        let leads: Vec<(i64,)> = tx
            .fetch_all(
                "SELECT id FROM users WHERE org_id = $1 AND active AND role IN ('org_admin', 'commercial_lead') ORDER BY id",
                args![*org],
            )
            .await?;
        for (lead,) in leads {
            notify::queue(
                &mut tx,
                &Message {
                    to: Recipient::User(lead),
                    kind: "pitch_new",
                    subject: format!("New pitch from {}: {}", user.org_name, p.title),
                    body: format!(
                        "{} pitched “{}” in categories your organisation asked for.\n\nTriage it (assign it, review it, decide) within {} days:\n{}/pitches/{id}",
                        user.org_name,
                        p.title,
                        s.target_days,
                        public_url.trim_end_matches('/')
                    ),
                    essential: false,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(Submitted {
        id,
        boroughs: boroughs.len(),
        similar_to: best,
    })
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Pitch {
    pub id: i64,
    pub supplier_org_id: i64,
    pub supplier_name: String,
    pub supplier_verified: bool,
    pub title: String,
    pub problem: String,
    pub audience: String,
    pub product: String,
    pub evidence: String,
    pub pricing_model: PricingModel,
    pub pricing: String,
    pub data_api: String,
    pub accessibility: String,
    pub security: String,
    pub status: String,
    pub similar_to: Option<i64>,
    pub similarity: Option<i64>,
    pub created_at: i64,
}

impl Pitch {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }

    pub fn is_withdrawn(&self) -> bool {
        self.status == "withdrawn"
    }
}

const PITCH_SELECT: &str = "SELECT p.id, p.supplier_org_id, o.name AS supplier_name,
        (sp.verified_at IS NOT NULL) AS supplier_verified, p.title, p.problem, p.audience, p.product,
        p.evidence, p.pricing_model, p.pricing, p.data_api, p.accessibility, p.security, p.status,
        p.similar_to, p.similarity, p.created_at
    FROM pitches p JOIN organisations o ON o.id = p.supplier_org_id
    LEFT JOIN supplier_profiles sp ON sp.org_id = p.supplier_org_id";

/// A pitch, if the viewer may see it (its supplier, or a borough it was routed to).
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Pitch>> {
    let scope = viewer.pitch_scope("p", 2);
    let mut a = args![id];
    a.extend(scope.args);
    db.fetch_optional(
        format!("{PITCH_SELECT} WHERE p.id = $1 AND {}", scope.sql),
        a,
    )
    .await
}

pub async fn categories(db: &Db, pitch_id: i64) -> DbResult<Vec<Category>> {
    let rows: Vec<(String,)> = db
        .fetch_all(
            "SELECT category FROM pitch_categories WHERE pitch_id = $1 ORDER BY category",
            args![pitch_id],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c,)| Category::parse(&c).ok())
        .collect())
}

pub async fn problems(db: &Db, pitch_id: i64) -> DbResult<Vec<String>> {
    Ok(db
        .fetch_all::<(String,)>(
            "SELECT problem_id FROM pitch_problems WHERE pitch_id = $1 ORDER BY problem_id",
            args![pitch_id],
        )
        .await?
        .into_iter()
        .map(|(p,)| p)
        .collect())
}

/// One borough's triage of a pitch, as the viewer may see it: the assignee only for the
/// borough's own people (see [`Viewer::triage_notes_scope`]).
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Route {
    pub id: i64,
    pub pitch_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub status: TriageStatus,
    pub reason: String,
    pub assignee_user_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub referred_engagement_id: Option<i64>,
    pub referred_procurement_id: Option<i64>,
    pub shared_london: bool,
    pub routed_at: i64,
    pub due_at: i64,
    pub decided_at: Option<i64>,
    pub updated_at: i64,
}

impl Route {
    pub fn is_overdue(&self) -> bool {
        !self.status.is_decision() && self.due_at < now()
    }

    pub fn due_text(&self) -> String {
        crate::web::filters::date_time(self.due_at)
    }

    pub fn updated_text(&self) -> String {
        crate::web::filters::date_time(self.updated_at)
    }

    pub fn is_assigned_to(&self, user_id: &i64) -> bool {
        self.assignee_user_id == Some(*user_id)
    }
}

fn route_select(viewer: &Viewer, first: usize) -> (String, Vec<Arg>) {
    let own = viewer.triage_notes_scope("r", first);
    (
        format!(
            "SELECT r.id, r.pitch_id, r.org_id, o.short_name AS org_name, r.status, r.reason,
                CASE WHEN {own} THEN r.assignee_user_id END AS assignee_user_id,
                CASE WHEN {own} THEN u.name END AS assignee_name,
                r.referred_engagement_id, r.referred_procurement_id, r.shared_london, r.routed_at,
                r.due_at, r.decided_at, r.updated_at
             FROM pitch_routes r JOIN organisations o ON o.id = r.org_id
             LEFT JOIN users u ON u.id = r.assignee_user_id",
            own = own.sql
        ),
        own.args,
    )
}

/// The triage records of a pitch the viewer may see: the supplier sees every borough's status
/// and reason; a borough sees its own, and the others' that chose to share.
pub async fn routes(db: &Db, viewer: &Viewer, pitch_id: i64) -> DbResult<Vec<Route>> {
    let (select, mut a) = route_select(viewer, 1);
    let scope = viewer.triage_scope("r", a.len() + 1);
    a.extend(scope.args);
    a.push(Arg::from(pitch_id));
    db.fetch_all(
        format!(
            "{select} WHERE {} AND r.pitch_id = ${} ORDER BY o.short_name",
            scope.sql,
            a.len()
        ),
        a,
    )
    .await
}

/// The viewer's own organisation's triage record of a pitch, if the pitch reached it.
pub async fn own_route(db: &Db, viewer: &Viewer, pitch_id: i64) -> DbResult<Option<Route>> {
    let Some(org) = viewer.org_id() else {
        return Ok(None);
    };
    Ok(routes(db, viewer, pitch_id)
        .await?
        .into_iter()
        .find(|r| r.org_id == org))
}

/// "Three boroughs shortlisted this": the shared (and the viewer's own) decisions, counted.
pub fn shared_summary(routes: &[Route], own_org: i64) -> Vec<String> {
    let mut out = Vec::new();
    for status in TriageStatus::CHOICES {
        let n = routes
            .iter()
            .filter(|r| r.org_id != own_org && r.shared_london && r.status == status)
            .count();
        if n > 0 {
            let who = match n {
                1 => "One other borough".to_owned(),
                2 => "Two other boroughs".to_owned(),
                3 => "Three other boroughs".to_owned(),
                n => format!("{n} other boroughs"),
            };
            let what = match status {
                TriageStatus::UnderReview => "are reviewing this",
                TriageStatus::Shortlisted => "shortlisted this",
                TriageStatus::Declined => "declined this",
                TriageStatus::Referred => "referred this to a market engagement or procurement",
                TriageStatus::New => "have not looked at it yet",
            };
            let what = if n == 1 {
                what.replace("are reviewing", "is reviewing")
                    .replace("have not", "has not")
            } else {
                what.to_owned()
            };
            out.push(format!("{who} {what}"));
        }
    }
    out
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: i64,
    pub org_name: String,
    pub status: TriageStatus,
    pub reason: String,
    /// Who made the change: the borough's own people see it, nobody else.
    pub user_name: Option<String>,
    pub assignee_name: Option<String>,
}

impl HistoryEntry {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.at)
    }
}

/// The history of a pitch's triage the viewer may see: for the supplier every borough's
/// statuses and reasons; for a borough its own (with who did what) and the shared ones.
pub async fn history(db: &Db, viewer: &Viewer, pitch_id: i64) -> DbResult<Vec<HistoryEntry>> {
    let own = viewer.triage_notes_scope("r", 1);
    let mut a = own.args;
    let scope = viewer.triage_scope("r", a.len() + 1);
    a.extend(scope.args);
    a.push(Arg::from(pitch_id));
    db.fetch_all(
        format!(
            "SELECT h.at, o.short_name AS org_name, h.status, h.reason,
                CASE WHEN {own} THEN u.name END AS user_name,
                CASE WHEN {own} THEN au.name END AS assignee_name
             FROM pitch_route_history h
             JOIN pitch_routes r ON r.id = h.route_id
             JOIN organisations o ON o.id = r.org_id
             LEFT JOIN users u ON u.id = h.user_id
             LEFT JOIN users au ON au.id = h.assignee_user_id
             WHERE {} AND r.pitch_id = ${} ORDER BY h.at DESC, h.id DESC",
            scope.sql,
            a.len(),
            own = own.sql
        ),
        a,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub id: i64,
    pub user_name: String,
    pub body: String,
    pub created_at: i64,
}

impl Note {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }
}

/// A borough's notes on a pitch: only ever its own.
pub async fn notes(db: &Db, viewer: &Viewer, pitch_id: i64) -> DbResult<Vec<Note>> {
    let scope = viewer.triage_notes_scope("r", 1);
    let mut a = scope.args;
    a.push(Arg::from(pitch_id));
    db.fetch_all(
        format!(
            "SELECT n.id, u.name AS user_name, n.body, n.created_at
             FROM pitch_notes n JOIN pitch_routes r ON r.id = n.route_id JOIN users u ON u.id = n.user_id
             WHERE {} AND r.pitch_id = ${} ORDER BY n.id",
            scope.sql,
            a.len()
        ),
        a,
    )
    .await
}

pub async fn add_note(db: &Db, user: &User, route: &Route, body: &str) -> DbResult<()> {
    // The route is the viewer's own (the caller fetched it through the scope); the org check
    // is repeated in SQL so a mistake upstream cannot write into another borough's notes.
    db.execute(
        "INSERT INTO pitch_notes (route_id, user_id, body, created_at)
         SELECT id, $1, $2, $3 FROM pitch_routes WHERE id = $4 AND org_id = $5",
        args![user.id, body, now(), route.id, user.org_id],
    )
    .await?;
    Ok(())
}

/// A triage decision as an officer makes it, checked at the edge.
#[derive(Debug, Clone)]
pub struct TriageInput {
    pub status: TriageStatus,
    pub reason: String,
    pub assignee: Option<i64>,
    pub referred_engagement_id: Option<i64>,
    pub referred_procurement_id: Option<i64>,
    pub shared_london: bool,
}

/// Changes a borough's triage of a pitch: the status, the reason the supplier sees, who has
/// it, whether it is shared London-wide. History is kept; the supplier is told of decisions
/// and of a changed reason, the new assignee that it is theirs.
pub async fn triage(
    db: &Db,
    user: &User,
    pitch: &Pitch,
    route: &Route,
    t_in: &TriageInput,
    public_url: &str,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let t = now();
    let decided_at = if t_in.status.is_decision() {
        Some(route.decided_at.unwrap_or(t))
    } else {
        None
    };
    tx.execute(
        "UPDATE pitch_routes SET status = $1, reason = $2, assignee_user_id = $3, referred_engagement_id = $4,
            referred_procurement_id = $5, shared_london = $6, decided_at = $7, updated_at = $8
         WHERE id = $9 AND org_id = $10",
        args![
            t_in.status,
            &t_in.reason,
            t_in.assignee,
            t_in.referred_engagement_id,
            t_in.referred_procurement_id,
            t_in.shared_london,
            decided_at,
            t,
            route.id,
            user.org_id
        ],
    )
    .await?;
    let status_changed = t_in.status != route.status || t_in.reason != route.reason;
    let assignee_changed = t_in.assignee != route.assignee_user_id;
    if status_changed || assignee_changed {
        tx.execute(
            "INSERT INTO pitch_route_history (route_id, at, user_id, status, reason, assignee_user_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![route.id, t, user.id, t_in.status, &t_in.reason, t_in.assignee],
        )
        .await?;
    }
    let base = public_url.trim_end_matches('/');
    if status_changed && t_in.status != TriageStatus::New {
        let people = super::suppliers::people_of(&mut tx, pitch.supplier_org_id).await?;
        let reason = if t_in.reason.is_empty() {
            String::new()
        } else {
            format!("\n\nTheir reason:\n{}", t_in.reason)
        };
        for person in people {
            notify::queue(
                &mut tx,
                &Message {
                    to: Recipient::User(person),
                    kind: "pitch_status",
                    subject: format!(
                        "{}: {} — {}",
                        route.org_name,
                        t_in.status.label(),
                        pitch.title
                    ),
                    body: format!(
                        "{} updated your pitch “{}”: {}.{reason}\n\nSee its status at every borough:\n{base}/pitches/{}",
                        route.org_name,
                        pitch.title,
                        t_in.status.label().to_lowercase(),
                        pitch.id
                    ),
                    essential: false,
                },
            )
            .await?;
        }
    }
    if assignee_changed
        && let Some(a) = t_in.assignee
        && a != user.id
    {
        notify::queue(
            &mut tx,
            &Message {
                to: Recipient::User(a),
                kind: "pitch_assigned",
                subject: format!("Pitch assigned to you: {}", pitch.title),
                body: format!(
                    "{} assigned you the pitch “{}” from {}. Reply by {}.\n\n{base}/pitches/{}",
                    user.name,
                    pitch.title,
                    pitch.supplier_name,
                    route.due_text(),
                    pitch.id
                ),
                essential: false,
            },
        )
        .await?;
    }
    tx.commit().await
}

/// The supplier withdraws its pitch: boroughs see it withdrawn; the history stays.
pub async fn withdraw(db: &Db, user: &User, pitch_id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "UPDATE pitches SET status = 'withdrawn', updated_at = $1
             WHERE id = $2 AND supplier_org_id = $3 AND status = 'submitted'",
            args![now(), pitch_id, user.org_id],
        )
        .await?
        > 0)
}

/// A pitch as it sits in a supplier's list: how it stands across the boroughs.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct SupplierPitch {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub created_at: i64,
    pub boroughs: i64,
    pub decided: i64,
    pub shortlisted: i64,
}

impl SupplierPitch {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }
}

pub async fn for_supplier(db: &Db, org_id: i64) -> DbResult<Vec<SupplierPitch>> {
    db.fetch_all(
        "SELECT p.id, p.title, p.status, p.created_at,
            (SELECT COUNT(*) FROM pitch_routes r WHERE r.pitch_id = p.id) AS boroughs,
            (SELECT COUNT(*) FROM pitch_routes r WHERE r.pitch_id = p.id AND r.decided_at IS NOT NULL) AS decided,
            (SELECT COUNT(*) FROM pitch_routes r WHERE r.pitch_id = p.id AND r.status = 'shortlisted') AS shortlisted
         FROM pitches p WHERE p.supplier_org_id = $1 ORDER BY p.id DESC",
        args![org_id],
    )
    .await
}

/// One line of a borough's inbox.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub pitch_id: i64,
    pub title: String,
    pub supplier_name: String,
    pub supplier_verified: bool,
    pub pitch_status: String,
    pub status: TriageStatus,
    pub assignee_name: Option<String>,
    pub routed_at: i64,
    pub due_at: i64,
    pub similarity: Option<i64>,
}

impl InboxItem {
    pub fn is_overdue(&self) -> bool {
        !self.status.is_decision() && self.due_at < now()
    }

    pub fn due_text(&self) -> String {
        crate::web::filters::date_time(self.due_at)
    }

    pub fn received(&self) -> String {
        crate::web::filters::date_time(self.routed_at)
    }

    pub fn days_late(&self) -> i64 {
        ((now() - self.due_at) / DAY).max(0)
    }
}

#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub status: Option<TriageStatus>,
    pub mine: bool,
    pub overdue: bool,
}

/// The viewer's organisation's inbox: the pitches routed to it and its triage of each.
pub async fn inbox(db: &Db, user: &User, f: &InboxFilter) -> DbResult<Vec<InboxItem>> {
    let mut a: Vec<Arg> = args![user.org_id];
    let mut sql = "SELECT p.id AS pitch_id, p.title, o.name AS supplier_name,
            (sp.verified_at IS NOT NULL) AS supplier_verified, p.status AS pitch_status, r.status,
            u.name AS assignee_name, r.routed_at, r.due_at, p.similarity
         FROM pitch_routes r JOIN pitches p ON p.id = r.pitch_id
         JOIN organisations o ON o.id = p.supplier_org_id
         LEFT JOIN supplier_profiles sp ON sp.org_id = p.supplier_org_id
         LEFT JOIN users u ON u.id = r.assignee_user_id
         WHERE r.org_id = $1"
        .to_owned();
    if let Some(s) = f.status {
        let n = super::suppliers::bind(&mut a, s);
        sql.push_str(&format!(" AND r.status = {n}"));
    }
    if f.mine {
        let n = super::suppliers::bind(&mut a, user.id);
        sql.push_str(&format!(" AND r.assignee_user_id = {n}"));
    }
    if f.overdue {
        let n = super::suppliers::bind(&mut a, now());
        sql.push_str(&format!(
            " AND r.status IN ('new', 'under_review') AND r.due_at < {n} AND p.status = 'submitted'"
        ));
    }
    sql.push_str(" ORDER BY r.due_at, r.id LIMIT 500");
    db.fetch_all(sql, a).await
}

#[derive(sqlx::FromRow)]
struct OverdueRow {
    org_id: i64,
    pitch_id: i64,
    title: String,
    supplier_name: String,
    due_at: i64,
    assignee_user_id: Option<i64>,
}

/// The report of pitches past their borough's target response time: to each borough with
/// any, one message to its organisation admins, commercial leads and the assignees of the late
/// pitches. Run weekly by the background jobs.
pub async fn overdue_report(db: &Db, public_url: &str) -> DbResult<usize> {
    let rows: Vec<OverdueRow> = db
        .fetch_all(
            "SELECT r.org_id, p.id AS pitch_id, p.title, o.name AS supplier_name, r.due_at, r.assignee_user_id
             FROM pitch_routes r JOIN pitches p ON p.id = r.pitch_id
             JOIN organisations o ON o.id = p.supplier_org_id
             WHERE r.status IN ('new', 'under_review') AND r.due_at < $1 AND p.status = 'submitted'
             ORDER BY r.org_id, r.due_at",
            args![now()],
        )
        .await?;
    let mut by_org: std::collections::BTreeMap<i64, Vec<OverdueRow>> = Default::default();
    for r in rows {
        by_org.entry(r.org_id).or_default().push(r);
    }
    let base = public_url.trim_end_matches('/');
    let mut sent = 0;
    for (org, items) in by_org {
        let mut tx = db.begin().await?;
        let mut to: BTreeSet<i64> = tx
            .fetch_all::<(i64,)>(
                "SELECT id FROM users WHERE org_id = $1 AND active AND role IN ('org_admin', 'commercial_lead')",
                args![org],
            )
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        to.extend(items.iter().filter_map(|i| i.assignee_user_id));
        let mut body = format!(
            "{} pitch{} sent to your organisation {} past your target response time:\n\n",
            items.len(),
            if items.len() == 1 { "" } else { "es" },
            if items.len() == 1 { "is" } else { "are" }
        );
        for i in &items {
            body.push_str(&format!(
                "— {} ({}), due {}\n  {base}/pitches/{}\n",
                i.title,
                i.supplier_name,
                crate::web::filters::date_time(i.due_at),
                i.pitch_id
            ));
        }
        body.push_str(&format!(
            "\nThe full report: {base}/pitches?overdue=1\nSuppliers see each borough's status; a decision with a reason, even a no, is what they need."
        ));
        for user in to {
            notify::queue(
                &mut tx,
                &Message {
                    to: Recipient::User(user),
                    kind: "pitch_overdue_report",
                    subject: format!(
                        "{} pitch{} past your target response time",
                        items.len(),
                        if items.len() == 1 { "" } else { "es" }
                    ),
                    body: body.clone(),
                    essential: false,
                },
            )
            .await?;
        }
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(org: i64, status: TriageStatus, shared: bool) -> Route {
        Route {
            id: org,
            pitch_id: 1,
            org_id: org,
            org_name: format!("Borough {org}"),
            status,
            reason: String::new(),
            assignee_user_id: None,
            assignee_name: None,
            referred_engagement_id: None,
            referred_procurement_id: None,
            shared_london: shared,
            routed_at: 0,
            due_at: 0,
            decided_at: None,
            updated_at: 0,
        }
    }

    #[test]
    fn the_shared_view_counts_other_boroughs_that_chose_to_share() {
        let routes = [
            route(1, TriageStatus::Shortlisted, true),
            route(2, TriageStatus::Shortlisted, true),
            route(3, TriageStatus::Shortlisted, true),
            route(4, TriageStatus::Shortlisted, false),
            route(5, TriageStatus::Declined, true),
            route(9, TriageStatus::Shortlisted, true),
        ];
        assert_eq!(
            shared_summary(&routes, 9),
            vec![
                "Three other boroughs shortlisted this",
                "One other borough declined this"
            ]
        );
    }
}
