//! Market engagement events: a borough, alone or with partner boroughs, runs an RFI
//! questionnaire, a supplier day or demonstrations for a procurement or a category. Opening it
//! tells matching suppliers; suppliers register (within capacity), answer the questionnaire and
//! ask questions; answers to questions go to every participant without naming the asker; the
//! boroughs record outcomes and publish a summary, which the procurement keeps.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Category, EngagementKind, EngagementStatus, EventFormat};
use crate::accounts::User;
use crate::args;
use crate::db::{Arg, Db, DbError, DbResult, Tx, now};
use crate::notify::{self, Message, Recipient};
use crate::visibility::Viewer;

pub const MAX_QUESTIONS: i64 = 30;
pub const MAX_ANSWER: usize = 5_000;
pub const MAX_CLARIFICATION: usize = 2_000;
/// Questions one supplier may ask about one event: enough to clarify, not to flood.
pub const MAX_CLARIFICATIONS_PER_SUPPLIER: i64 = 10;

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Engagement {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_gss_code: Option<String>,
    pub created_by: i64,
    pub procurement_id: Option<i64>,
    pub category: String,
    pub title: String,
    pub description: String,
    pub kind: EngagementKind,
    pub format: EventFormat,
    pub location: String,
    /// Given to participants only (empty for anyone else).
    pub joining_details: String,
    pub event_date: Option<NaiveDate>,
    pub event_start: Option<String>,
    pub event_end: Option<String>,
    pub closes_on: NaiveDate,
    pub capacity: Option<i64>,
    pub registered_count: i64,
    pub status: EngagementStatus,
    /// The running boroughs' own record (empty for anyone else).
    pub outcome: String,
    pub summary: String,
    pub opened_at: Option<i64>,
    pub summary_published_at: Option<i64>,
    pub updated_at: i64,
    /// The viewer's organisation runs it (lead or partner).
    pub viewer_runs: bool,
    /// The viewer's organisation is registered for it.
    pub viewer_registered: bool,
}

impl Engagement {
    pub fn url(&self) -> String {
        format!("/engagements/{}", self.id)
    }

    pub fn category(&self) -> Option<Category> {
        Category::parse(&self.category).ok()
    }

    pub fn category_text(&self) -> String {
        self.category()
            .map(|c| c.to_string())
            .unwrap_or_else(|| self.category.clone())
    }

    /// Registration, answers and questions close at the end of `closes_on` (UTC).
    pub fn is_closed(&self) -> bool {
        chrono::Utc::now().date_naive() > self.closes_on
    }

    pub fn accepts_suppliers(&self) -> bool {
        self.status == EngagementStatus::Open && !self.is_closed()
    }

    pub fn is_full(&self) -> bool {
        self.capacity.is_some_and(|c| self.registered_count >= c)
    }

    pub fn places_left(&self) -> Option<i64> {
        self.capacity.map(|c| (c - self.registered_count).max(0))
    }

    pub fn is_participant(&self) -> bool {
        self.viewer_runs || self.viewer_registered
    }

    pub fn when_text(&self) -> String {
        match self.event_date {
            None => "No event: responses in writing".into(),
            Some(d) => {
                let mut s = crate::web::filters::long_date(d);
                match (&self.event_start, &self.event_end) {
                    (Some(a), Some(b)) => s.push_str(&format!(", {a} to {b}")),
                    (Some(a), None) => s.push_str(&format!(", from {a}")),
                    _ => {}
                }
                s
            }
        }
    }

    pub fn closes_text(&self) -> String {
        crate::web::filters::long_date(self.closes_on)
    }

    pub fn capacity_text(&self) -> String {
        match self.capacity {
            None => format!("No limit ({} registered)", self.registered_count),
            Some(c) => format!(
                "{c} suppliers ({} registered, {} left)",
                self.registered_count,
                (c - self.registered_count).max(0)
            ),
        }
    }
}

/// The columns of an event as `viewer` may read them: outcomes for the running boroughs only,
/// joining details for participants only, decided by the rules in `visibility`.
fn select(viewer: &Viewer, first: usize) -> (String, Vec<Arg>) {
    let runs = viewer.engagement_runner_scope("e", first);
    let mut a = runs.args;
    let part = viewer.engagement_participant_scope("e", first + a.len());
    a.extend(part.args);
    let reg = match viewer.org_id() {
        Some(org) => {
            a.push(Arg::from(org));
            format!(
                "EXISTS (SELECT 1 FROM engagement_registrations er WHERE er.engagement_id = e.id AND er.supplier_org_id = ${})",
                first + a.len() - 1
            )
        }
        None => "1 = 0".into(),
    };
    (
        format!(
            "SELECT e.id, e.org_id, o.short_name AS org_name, o.gss_code AS org_gss_code, e.created_by,
                e.procurement_id, e.category, e.title, e.description, e.kind, e.format, e.location,
                CASE WHEN {part} THEN e.joining_details ELSE '' END AS joining_details,
                e.event_date, e.event_start, e.event_end, e.closes_on, e.capacity, e.registered_count,
                e.status, CASE WHEN {runs} THEN e.outcome ELSE '' END AS outcome, e.summary,
                e.opened_at, e.summary_published_at, e.updated_at,
                (CASE WHEN {runs} THEN 1 ELSE 0 END) = 1 AS viewer_runs,
                (CASE WHEN {reg} THEN 1 ELSE 0 END) = 1 AS viewer_registered
             FROM engagements e JOIN organisations o ON o.id = e.org_id",
            part = part.sql,
            runs = runs.sql,
        ),
        a,
    )
}

pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Engagement>> {
    let (sql, mut a) = select(viewer, 1);
    let scope = viewer.engagement_scope("e", a.len() + 1);
    a.extend(scope.args);
    a.push(Arg::from(id));
    db.fetch_optional(
        format!("{sql} WHERE {} AND e.id = ${}", scope.sql, a.len()),
        a,
    )
    .await
}

/// Events the viewer may see: open and past ones, and drafts of its own organisation.
pub async fn list(db: &Db, viewer: &Viewer) -> DbResult<Vec<Engagement>> {
    let (sql, mut a) = select(viewer, 1);
    let scope = viewer.engagement_scope("e", a.len() + 1);
    a.extend(scope.args);
    db.fetch_all(
        format!(
            "{sql} WHERE {} AND e.status <> 'cancelled'
             ORDER BY CASE e.status WHEN 'draft' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, e.closes_on DESC, e.id DESC
             LIMIT 500",
            scope.sql
        ),
        a,
    )
    .await
}

/// The events attached to a procurement, as the viewer may see them (for its page).
pub async fn for_procurement(
    db: &Db,
    viewer: &Viewer,
    procurement_id: i64,
) -> DbResult<Vec<Engagement>> {
    let (sql, mut a) = select(viewer, 1);
    let scope = viewer.engagement_scope("e", a.len() + 1);
    a.extend(scope.args);
    a.push(Arg::from(procurement_id));
    db.fetch_all(
        format!(
            "{sql} WHERE {} AND e.procurement_id = ${} ORDER BY e.id",
            scope.sql,
            a.len()
        ),
        a,
    )
    .await
}

/// Events a borough runs (lead or partner) that a pitch may be referred to.
pub async fn run_by(db: &Db, viewer: &Viewer) -> DbResult<Vec<Engagement>> {
    let (sql, mut a) = select(viewer, 1);
    let runs = viewer.engagement_runner_scope("e", a.len() + 1);
    a.extend(runs.args);
    db.fetch_all(
        format!(
            "{sql} WHERE {} AND e.status IN ('draft', 'open') ORDER BY e.id DESC",
            runs.sql
        ),
        a,
    )
    .await
}

/// An event's details as an officer sets them, parsed and checked.
#[derive(Debug, Clone)]
pub struct EngagementInput {
    pub title: String,
    pub description: String,
    pub kind: EngagementKind,
    pub format: EventFormat,
    pub location: String,
    pub joining_details: String,
    pub event_date: Option<NaiveDate>,
    pub event_start: Option<String>,
    pub event_end: Option<String>,
    pub closes_on: NaiveDate,
    pub capacity: Option<i64>,
    pub procurement_id: Option<i64>,
    pub category: Category,
}

pub async fn create(db: &Db, user: &User, i: &EngagementInput) -> DbResult<i64> {
    let t = now();
    Ok(db
        .scalar::<i64>(
            "INSERT INTO engagements (org_id, created_by, procurement_id, category, title, description, kind, format,
                location, joining_details, event_date, event_start, event_end, closes_on, capacity, status,
                created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'draft', $16, $16)
             RETURNING id",
            args![
                user.org_id,
                user.id,
                i.procurement_id,
                &i.category,
                &i.title,
                &i.description,
                i.kind,
                i.format,
                &i.location,
                &i.joining_details,
                i.event_date,
                i.event_start.clone(),
                i.event_end.clone(),
                i.closes_on,
                i.capacity,
                t
            ],
        )
        .await?
        .unwrap_or_default())
}

#[derive(Debug, thiserror::Error)]
pub enum EngagementError {
    #[error("The capacity cannot be lower than the {0} suppliers already registered.")]
    CapacityBelowRegistered(i64),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub async fn update(db: &Db, e: &Engagement, i: &EngagementInput) -> Result<(), EngagementError> {
    if let Some(c) = i.capacity
        && c < e.registered_count
    {
        return Err(EngagementError::CapacityBelowRegistered(e.registered_count));
    }
    // The capacity check is repeated in the statement: a registration arriving between the
    // read above and this write must not leave more suppliers registered than places.
    let changed = db.execute(
        "UPDATE engagements SET title = $1, description = $2, kind = $3, format = $4, location = $5,
            joining_details = $6, event_date = $7, event_start = $8, event_end = $9, closes_on = $10,
            capacity = $11, procurement_id = $12, category = $13, updated_at = $14
         WHERE id = $15 AND ($11 IS NULL OR registered_count <= $11)",
        args![
            &i.title,
            &i.description,
            i.kind,
            i.format,
            &i.location,
            &i.joining_details,
            i.event_date,
            i.event_start.clone(),
            i.event_end.clone(),
            i.closes_on,
            i.capacity,
            i.procurement_id,
            &i.category,
            now(),
            e.id
        ],
    )
    .await?;
    if changed == 0 {
        return Err(EngagementError::CapacityBelowRegistered(e.registered_count));
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Partner {
    pub org_id: i64,
    pub name: String,
    pub short_name: String,
    pub gss_code: Option<String>,
}

pub async fn partners(db: &Db, engagement_id: i64) -> DbResult<Vec<Partner>> {
    db.fetch_all(
        "SELECT o.id AS org_id, o.name, o.short_name, o.gss_code FROM engagement_partners p JOIN organisations o ON o.id = p.org_id
         WHERE p.engagement_id = $1 ORDER BY o.short_name",
        args![engagement_id],
    )
    .await
}

pub async fn add_partner(db: &Db, engagement_id: i64, org_id: i64) -> DbResult<()> {
    db.execute(
        "INSERT INTO engagement_partners (engagement_id, org_id) VALUES ($1, $2) ON CONFLICT (engagement_id, org_id) DO NOTHING",
        args![engagement_id, org_id],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Question {
    pub id: i64,
    pub position: i64,
    pub text: String,
    pub hint: String,
}

pub async fn questions(db: &Db, engagement_id: i64) -> DbResult<Vec<Question>> {
    db.fetch_all(
        "SELECT id, position, text, hint FROM engagement_questions WHERE engagement_id = $1 ORDER BY position, id",
        args![engagement_id],
    )
    .await
}

/// Adds a question to a draft's questionnaire; `false` when it already has [`MAX_QUESTIONS`].
pub async fn add_question(db: &Db, engagement_id: i64, text: &str, hint: &str) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let n = tx
        .scalar::<i64>(
            "SELECT COUNT(*) FROM engagement_questions WHERE engagement_id = $1",
            args![engagement_id],
        )
        .await?
        .unwrap_or(0);
    if n >= MAX_QUESTIONS {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO engagement_questions (engagement_id, position, text, hint) VALUES ($1, $2, $3, $4)",
        args![engagement_id, n + 1, text, hint],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn delete_question(db: &Db, engagement_id: i64, question_id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "DELETE FROM engagement_questions WHERE id = $1 AND engagement_id = $2",
            args![question_id, engagement_id],
        )
        .await?
        > 0)
}

/// Supplier organisations whose categories overlap the event's, with their active people.
async fn matching_supplier_people(tx: &mut Tx, category: &str) -> DbResult<Vec<i64>> {
    Ok(tx
        .fetch_all::<(i64,)>(
            "SELECT DISTINCT u.id FROM users u
             JOIN supplier_profiles sp ON sp.org_id = u.org_id AND sp.email_verified_at IS NOT NULL
             JOIN supplier_categories sc ON sc.org_id = u.org_id
             WHERE u.active AND (sc.category LIKE $1 || '%' OR $1 LIKE sc.category || '%')
             ORDER BY u.id",
            args![category],
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// Opens a draft to the market and tells the suppliers whose categories match. Returns how
/// many people were told.
pub async fn open(db: &Db, e: &Engagement, public_url: &str) -> DbResult<usize> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            "UPDATE engagements SET status = 'open', opened_at = $1, updated_at = $1 WHERE id = $2 AND status = 'draft'",
            args![now(), e.id],
        )
        .await?;
    if n == 0 {
        return Ok(0);
    }
    let people = matching_supplier_people(&mut tx, &e.category).await?;
    let base = public_url.trim_end_matches('/');
    for person in &people {
        notify::queue(
            &mut tx,
            &Message {
                to: Recipient::User(*person),
                kind: "engagement_open",
                subject: format!("Market engagement: {} ({})", e.title, e.org_name),
                body: format!(
                    "{} is running a market engagement in a category on your profile ({}): {}.\n\n{}\n\nWhen: {}\nRegister by {}: {base}/engagements/{}",
                    e.org_name,
                    e.category_text(),
                    e.kind.label().to_lowercase(),
                    e.title,
                    e.when_text(),
                    e.closes_text(),
                    e.id
                ),
                essential: false,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(people.len())
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RegisterError {
    #[error("This engagement is full: all {0} places have been taken.")]
    Full(i64),
    #[error("Registration for this engagement has closed.")]
    Closed,
    #[error("Your organisation is already registered.")]
    Already,
}

/// Registers a supplier organisation. The place is taken by the same UPDATE that checks the
/// capacity, so two suppliers registering for the last place at once cannot both get it.
pub async fn register(
    db: &Db,
    user: &User,
    e: &Engagement,
    attendees: i64,
) -> Result<Result<i64, RegisterError>, DbError> {
    if !e.accepts_suppliers() {
        return Ok(Err(RegisterError::Closed));
    }
    let mut tx = db.begin().await?;
    if tx
        .scalar::<i64>(
            "SELECT id FROM engagement_registrations WHERE engagement_id = $1 AND supplier_org_id = $2",
            args![e.id, user.org_id],
        )
        .await?
        .is_some()
    {
        return Ok(Err(RegisterError::Already));
    }
    let taken = tx
        .execute(
            "UPDATE engagements SET registered_count = registered_count + 1
             WHERE id = $1 AND status = 'open' AND (capacity IS NULL OR registered_count < capacity)",
            args![e.id],
        )
        .await?;
    if taken == 0 {
        return Ok(Err(RegisterError::Full(e.capacity.unwrap_or(0))));
    }
    let inserted = tx
        .scalar::<i64>(
            "INSERT INTO engagement_registrations (engagement_id, supplier_org_id, user_id, attendees, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![e.id, user.org_id, user.id, attendees, now()],
        )
        .await;
    let id = match inserted {
        Ok(id) => id.unwrap_or_default(),
        // Registered by a colleague a moment ago: dropping the transaction gives the place back.
        Err(err) if err.is_unique_violation() => return Ok(Err(RegisterError::Already)),
        Err(err) => return Err(err),
    };
    tx.commit().await?;
    Ok(Ok(id))
}

/// Gives the place back (before the event closes).
pub async fn unregister(db: &Db, user: &User, e: &Engagement) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            "DELETE FROM engagement_registrations WHERE engagement_id = $1 AND supplier_org_id = $2",
            args![e.id, user.org_id],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    tx.execute(
        "UPDATE engagements SET registered_count = registered_count - 1 WHERE id = $1 AND registered_count > 0",
        args![e.id],
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Registration {
    pub id: i64,
    pub supplier_org_id: i64,
    pub supplier_name: String,
    pub attendees: i64,
    pub created_at: i64,
    pub answered: i64,
}

impl Registration {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }
}

const REGISTRATION_SELECT: &str =
    "SELECT r.id, r.supplier_org_id, o.name AS supplier_name, r.attendees, r.created_at,
        (SELECT COUNT(*) FROM engagement_answers a WHERE a.registration_id = r.id) AS answered
    FROM engagement_registrations r JOIN organisations o ON o.id = r.supplier_org_id";

/// The viewer's own organisation's registration.
pub async fn own_registration(
    db: &Db,
    viewer: &Viewer,
    engagement_id: i64,
) -> DbResult<Option<Registration>> {
    let Some(org) = viewer.org_id() else {
        return Ok(None);
    };
    db.fetch_optional(
        format!("{REGISTRATION_SELECT} WHERE r.engagement_id = $1 AND r.supplier_org_id = $2"),
        args![engagement_id, org],
    )
    .await
}

/// Who registered: for the running boroughs only.
pub async fn registrations(db: &Db, e: &Engagement) -> DbResult<Vec<Registration>> {
    if !e.viewer_runs {
        return Ok(Vec::new());
    }
    db.fetch_all(
        format!("{REGISTRATION_SELECT} WHERE r.engagement_id = $1 ORDER BY r.id"),
        args![e.id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub registration_id: i64,
    pub supplier_name: String,
    pub question_id: i64,
    pub answer: String,
}

/// Answers: a supplier's own, or every supplier's for the running boroughs.
pub async fn answers(db: &Db, e: &Engagement, own: Option<&Registration>) -> DbResult<Vec<Answer>> {
    let sql = "SELECT a.registration_id, o.name AS supplier_name, a.question_id, a.answer
        FROM engagement_answers a JOIN engagement_registrations r ON r.id = a.registration_id
        JOIN organisations o ON o.id = r.supplier_org_id
        WHERE r.engagement_id = $1";
    match own {
        Some(reg) => {
            db.fetch_all(
                format!("{sql} AND r.id = $2 ORDER BY a.question_id"),
                args![e.id, reg.id],
            )
            .await
        }
        None if e.viewer_runs => {
            db.fetch_all(format!("{sql} ORDER BY o.name, a.question_id"), args![e.id])
                .await
        }
        None => Ok(Vec::new()),
    }
}

pub async fn save_answers(
    db: &Db,
    registration: &Registration,
    answers: &[(i64, String)],
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let t = now();
    for (qid, text) in answers {
        if text.trim().is_empty() {
            tx.execute(
                "DELETE FROM engagement_answers WHERE registration_id = $1 AND question_id = $2",
                args![registration.id, *qid],
            )
            .await?;
        } else {
            tx.execute(
                "INSERT INTO engagement_answers (registration_id, question_id, answer, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (registration_id, question_id) DO UPDATE SET answer = excluded.answer, updated_at = excluded.updated_at",
                args![registration.id, *qid, text, t],
            )
            .await?;
        }
    }
    tx.commit().await
}

/// A clarification question and its answer. `asked_by_supplier` is filled for the running
/// boroughs only; participants read the published wording with nobody's name.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Clarification {
    pub id: i64,
    pub question: String,
    pub answer: Option<String>,
    pub published_at: Option<i64>,
    pub asked_by_supplier: Option<String>,
    /// The viewer's organisation asked it (so it can see its question awaiting an answer).
    pub own: bool,
    pub created_at: i64,
}

impl Clarification {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.published_at.unwrap_or(self.created_at))
    }
}

/// Questions and answers as the viewer may read them:
/// - the running boroughs: every question, who asked it, as asked;
/// - a registered supplier: the published ones, in their published wording, with no name,
///   and its own questions still awaiting an answer;
/// - anyone else: nothing.
pub async fn clarifications(
    db: &Db,
    viewer: &Viewer,
    e: &Engagement,
) -> DbResult<Vec<Clarification>> {
    let org = viewer.org_id().unwrap_or(-1);
    if e.viewer_runs {
        return db
            .fetch_all(
                "SELECT c.id, c.question, c.answer, c.published_at, o.name AS asked_by_supplier,
                    (CASE WHEN c.supplier_org_id = $2 THEN 1 ELSE 0 END) = 1 AS own, c.created_at
                 FROM engagement_clarifications c JOIN organisations o ON o.id = c.supplier_org_id
                 WHERE c.engagement_id = $1 ORDER BY c.id",
                args![e.id, org],
            )
            .await;
    }
    if !e.viewer_registered {
        return Ok(Vec::new());
    }
    db.fetch_all(
        "SELECT c.id,
            CASE WHEN c.published_at IS NOT NULL THEN COALESCE(c.published_question, c.question) ELSE c.question END AS question,
            c.answer, c.published_at, CAST(NULL AS TEXT) AS asked_by_supplier,
            (CASE WHEN c.supplier_org_id = $2 THEN 1 ELSE 0 END) = 1 AS own, c.created_at
         FROM engagement_clarifications c
         WHERE c.engagement_id = $1 AND (c.published_at IS NOT NULL OR c.supplier_org_id = $2)
         ORDER BY COALESCE(c.published_at, c.created_at), c.id",
        args![e.id, org],
    )
    .await
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AskError {
    #[error("Register for this engagement to ask a question.")]
    NotRegistered,
    #[error("Questions for this engagement have closed.")]
    Closed,
    #[error("Your organisation has asked {0} questions about this engagement, the most it can.")]
    TooMany(i64),
}

pub async fn ask(
    db: &Db,
    user: &User,
    e: &Engagement,
    question: &str,
    public_url: &str,
) -> Result<Result<i64, AskError>, DbError> {
    if !e.viewer_registered {
        return Ok(Err(AskError::NotRegistered));
    }
    if !e.accepts_suppliers() {
        return Ok(Err(AskError::Closed));
    }
    let mut tx = db.begin().await?;
    let asked = tx
        .scalar::<i64>(
            "SELECT COUNT(*) FROM engagement_clarifications WHERE engagement_id = $1 AND supplier_org_id = $2",
            args![e.id, user.org_id],
        )
        .await?
        .unwrap_or(0);
    if asked >= MAX_CLARIFICATIONS_PER_SUPPLIER {
        return Ok(Err(AskError::TooMany(asked)));
    }
    let id = tx
        .scalar::<i64>(
            "INSERT INTO engagement_clarifications (engagement_id, supplier_org_id, asked_by, question, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![e.id, user.org_id, user.id, question, now()],
        )
        .await?
        .unwrap_or_default();
    notify::queue(
        &mut tx,
        &Message {
            to: Recipient::User(e.created_by),
            kind: "engagement_question",
            subject: format!("New question: {}", e.title),
            body: format!(
                "A supplier asked a question about “{}”. Answer it and it is published to every participant, without the supplier's name:\n\n{}/engagements/{}#questions",
                e.title,
                public_url.trim_end_matches('/'),
                e.id
            ),
            essential: false,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Every active person of every registered supplier, and of the running boroughs except `skip`.
async fn participants_people(tx: &mut Tx, e: &Engagement) -> DbResult<Vec<i64>> {
    Ok(tx
        .fetch_all::<(i64,)>(
            "SELECT DISTINCT u.id FROM users u JOIN engagement_registrations r ON r.supplier_org_id = u.org_id
             WHERE r.engagement_id = $1 AND u.active ORDER BY u.id",
            args![e.id],
        )
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// Answers a question and publishes it to every participant, in the wording given (which a
/// borough may edit so that nothing identifies the asker).
pub async fn answer(
    db: &Db,
    user: &User,
    e: &Engagement,
    clarification_id: i64,
    published_question: &str,
    answer: &str,
    public_url: &str,
) -> DbResult<bool> {
    let mut tx = db.begin().await?;
    let t = now();
    let n = tx
        .execute(
            "UPDATE engagement_clarifications SET published_question = $1, answer = $2, answered_by = $3,
                published_at = COALESCE(published_at, $4)
             WHERE id = $5 AND engagement_id = $6",
            args![published_question, answer, user.id, t, clarification_id, e.id],
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    for person in participants_people(&mut tx, e).await? {
        notify::queue(
            &mut tx,
            &Message {
                to: Recipient::User(person),
                kind: "engagement_answer",
                subject: format!("Question answered: {}", e.title),
                body: format!(
                    "A question about “{}” has been answered for every participant.\n\nQ: {published_question}\n\nA: {answer}\n\n{}/engagements/{}#questions",
                    e.title,
                    public_url.trim_end_matches('/'),
                    e.id
                ),
                essential: false,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Records the running boroughs' outcome and, when `publish`, publishes the summary (the event
/// is then completed, participants are told, and the procurement shows it).
pub async fn record_outcome(
    db: &Db,
    e: &Engagement,
    outcome: &str,
    summary: &str,
    publish: bool,
    public_url: &str,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let t = now();
    if publish {
        tx.execute(
            "UPDATE engagements SET outcome = $1, summary = $2, status = 'completed',
                summary_published_at = COALESCE(summary_published_at, $3), updated_at = $3 WHERE id = $4",
            args![outcome, summary, t, e.id],
        )
        .await?;
        for person in participants_people(&mut tx, e).await? {
            notify::queue(
                &mut tx,
                &Message {
                    to: Recipient::User(person),
                    kind: "engagement_summary",
                    subject: format!("Summary published: {}", e.title),
                    body: format!(
                        "{} published what it learnt from “{}”:\n\n{summary}\n\n{}/engagements/{}",
                        e.org_name,
                        e.title,
                        public_url.trim_end_matches('/'),
                        e.id
                    ),
                    essential: false,
                },
            )
            .await?;
        }
    } else {
        tx.execute(
            "UPDATE engagements SET outcome = $1, summary = $2, updated_at = $3 WHERE id = $4",
            args![outcome, summary, t, e.id],
        )
        .await?;
    }
    tx.commit().await
}

pub async fn cancel(db: &Db, e: &Engagement) -> DbResult<()> {
    db.execute(
        "UPDATE engagements SET status = 'cancelled', updated_at = $1 WHERE id = $2",
        args![now(), e.id],
    )
    .await?;
    Ok(())
}
