//! Joint procurements: a procurement turned into one that several boroughs run together, led
//! by the borough that owns it. Partners, their shares, the plan's changes, the versioned
//! joint specification and evaluation criteria with sign-offs, the decision log, tasks,
//! messages and each partner's private notes. Everything is visible to the partners only
//! (`Viewer::membership_scope`); notes to their own organisation only.

use chrono::NaiveDate;
use serde::Serialize;

use super::planner::{CancelledMeeting, Changes};
use crate::accounts::User;
use crate::args;
use crate::db::{Db, DbResult, now};
use crate::notify::{self, Message, Recipient};
use crate::pipeline::store::Procurement;
use crate::visibility::Viewer;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct JointProcurement {
    pub id: i64,
    pub procurement_id: i64,
    pub title: String,
    pub lead_org_id: i64,
    pub lead_name: String,
    pub plan_start: NaiveDate,
    pub must_start_by: Option<NaiveDate>,
    pub created_at: i64,
}

const SELECT: &str =
    "SELECT j.id, j.procurement_id, p.title, j.lead_org_id, o.short_name AS lead_name,
        j.plan_start, j.must_start_by, j.created_at
    FROM joint_procurements j
    JOIN procurements p ON p.id = j.procurement_id
    JOIN organisations o ON o.id = j.lead_org_id";

fn scope(viewer: &Viewer, first: usize) -> crate::visibility::Scope {
    viewer.membership_scope("joint_partners", "joint_id", "j.id", first)
}

#[derive(Debug, thiserror::Error)]
pub enum JointError {
    #[error("Add at least one partner borough besides your own")]
    NoPartners,
    #[error("This procurement is already a joint procurement")]
    AlreadyJoint(i64),
    #[error("Only the organisation that runs the procurement can make it a joint procurement")]
    NotOwner,
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Makes a procurement joint: the owner leads with its share; each partner joins with its own.
pub async fn create(
    db: &Db,
    user: &User,
    p: &Procurement,
    lead_share: i64,
    partners: &[(i64, i64)],
    plan_start: NaiveDate,
    must_start_by: Option<NaiveDate>,
) -> Result<i64, JointError> {
    if p.org_id != user.org_id {
        return Err(JointError::NotOwner);
    }
    if partners.iter().all(|(org, _)| *org == user.org_id) {
        return Err(JointError::NoPartners);
    }
    if let Some(id) = db
        .scalar::<i64>(
            "SELECT id FROM joint_procurements WHERE procurement_id = $1",
            args![p.id],
        )
        .await?
    {
        return Err(JointError::AlreadyJoint(id));
    }
    let mut tx = db.begin().await?;
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO joint_procurements (procurement_id, lead_org_id, plan_start, must_start_by, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            args![p.id, user.org_id, plan_start, must_start_by, user.id, t],
        )
        .await?
        .unwrap_or_default();
    tx.execute(
        "INSERT INTO joint_partners (joint_id, org_id, share_pence, joined_at) VALUES ($1, $2, $3, $4)",
        args![id, user.org_id, lead_share, t],
    )
    .await?;
    for (org, share) in partners.iter().filter(|(org, _)| *org != user.org_id) {
        tx.execute(
            "INSERT INTO joint_partners (joint_id, org_id, share_pence, joined_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (joint_id, org_id) DO NOTHING",
            args![id, *org, *share, t],
        )
        .await?;
        // Tell the partner's admins and commercial leads.
        let people: Vec<(i64,)> = tx
            .fetch_all(
                "SELECT id FROM users WHERE org_id = $1 AND active AND role IN ('org_admin', 'commercial_lead')",
                args![*org],
            )
            .await?;
        for (uid,) in people {
            notify::queue(
                &mut tx,
                &Message {
                    to: Recipient::User(uid),
                    kind: "joint_partner",
                    subject: format!("{} added you to a joint procurement: {}", user.org_name, p.title),
                    body: format!(
                        "{} is leading a joint procurement, “{}”, and has added your organisation as a partner.\n\nOpen the shared workspace: /joint/procurements/{id}\n",
                        user.org_name, p.title
                    ),
                    essential: false,
                },
            )
            .await?;
        }
    }
    crate::pipeline::store::log(
        &mut tx,
        p.id,
        user,
        "joint",
        &format!(
            "Made a joint procurement with {} partner(s)",
            partners.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<JointProcurement>> {
    let s = scope(viewer, 2);
    let mut a = args![id];
    a.extend(s.args);
    db.fetch_optional(format!("{SELECT} WHERE j.id = $1 AND {}", s.sql), a)
        .await
}

pub async fn list(db: &Db, viewer: &Viewer) -> DbResult<Vec<JointProcurement>> {
    let s = scope(viewer, 1);
    db.fetch_all(
        format!("{SELECT} WHERE {} ORDER BY j.id DESC", s.sql),
        s.args,
    )
    .await
}

/// The joint procurement made from a procurement, if the viewer is one of its partners.
pub async fn for_procurement(
    db: &Db,
    viewer: &Viewer,
    procurement_id: i64,
) -> DbResult<Option<JointProcurement>> {
    let s = scope(viewer, 2);
    let mut a = args![procurement_id];
    a.extend(s.args);
    db.fetch_optional(
        format!("{SELECT} WHERE j.procurement_id = $1 AND {}", s.sql),
        a,
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PartnerRow {
    pub org_id: i64,
    pub slug: String,
    pub name: String,
    pub gss_code: Option<String>,
    pub share_pence: i64,
}

impl PartnerRow {
    pub fn share(&self) -> String {
        crate::money::Pence(self.share_pence).display()
    }
}

pub async fn partners(db: &Db, joint_id: i64) -> DbResult<Vec<PartnerRow>> {
    db.fetch_all(
        "SELECT o.id AS org_id, o.slug, o.short_name AS name, o.gss_code, jp.share_pence
         FROM joint_partners jp JOIN organisations o ON o.id = jp.org_id
         WHERE jp.joint_id = $1 ORDER BY jp.joined_at, o.short_name",
        args![joint_id],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ChangeRow {
    pub id: i64,
    pub kind: String,
    pub partner_slug: String,
    pub body_id: i64,
    pub milestone: String,
    pub on_date: NaiveDate,
    pub reason: String,
    pub org_name: String,
    pub created_at: i64,
}

pub async fn changes(db: &Db, joint_id: i64) -> DbResult<Vec<ChangeRow>> {
    db.fetch_all(
        "SELECT c.id, c.kind, c.partner_slug, c.body_id, c.milestone, c.on_date, c.reason, o.short_name AS org_name, c.created_at
         FROM joint_plan_changes c JOIN organisations o ON o.id = c.org_id
         WHERE c.joint_id = $1 ORDER BY c.id",
        args![joint_id],
    )
    .await
}

/// The planner's view of the recorded changes.
pub fn as_changes(rows: &[ChangeRow]) -> Changes {
    let mut c = Changes::default();
    for r in rows {
        match r.kind.as_str() {
            "cancel" => {
                c.cancelled.insert(CancelledMeeting {
                    partner: r.partner_slug.clone(),
                    body_id: r.body_id,
                    date: r.on_date,
                });
            }
            _ => {
                // Two slips of one milestone: the later date holds.
                let d = c.slips.entry(r.milestone.clone()).or_insert(r.on_date);
                if r.on_date > *d {
                    *d = r.on_date;
                }
            }
        }
    }
    c
}

pub enum NewChange<'a> {
    Cancel {
        partner_slug: &'a str,
        body_id: i64,
        date: NaiveDate,
    },
    Slip {
        milestone: &'a str,
        not_before: NaiveDate,
    },
}

pub async fn add_change(
    db: &Db,
    user: &User,
    joint_id: i64,
    change: NewChange<'_>,
    reason: &str,
) -> DbResult<()> {
    let (kind, partner, body, milestone, date) = match change {
        NewChange::Cancel {
            partner_slug,
            body_id,
            date,
        } => ("cancel", partner_slug, body_id, "", date),
        NewChange::Slip {
            milestone,
            not_before,
        } => ("slip", "", 0, milestone, not_before),
    };
    db.execute(
        "INSERT INTO joint_plan_changes (joint_id, kind, partner_slug, body_id, milestone, on_date, reason, org_id, user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![joint_id, kind, partner, body, milestone, date, reason, user.org_id, user.id, now()],
    )
    .await?;
    Ok(())
}

pub async fn remove_change(db: &Db, joint_id: i64, change_id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "DELETE FROM joint_plan_changes WHERE id = $1 AND joint_id = $2",
            args![change_id, joint_id],
        )
        .await?
        > 0)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct DocVersion {
    pub id: i64,
    pub kind: String,
    pub version: i64,
    pub body: String,
    pub change_note: String,
    pub org_name: String,
    pub user_name: String,
    pub created_at: i64,
}

impl DocVersion {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }

    pub fn html(&self) -> String {
        crate::guide::markdown::to_html(&self.body)
    }
}

pub async fn versions(db: &Db, joint_id: i64, kind: &str) -> DbResult<Vec<DocVersion>> {
    db.fetch_all(
        "SELECT d.id, d.kind, d.version, d.body, d.change_note, o.short_name AS org_name, u.name AS user_name, d.created_at
         FROM joint_documents d JOIN organisations o ON o.id = d.org_id JOIN users u ON u.id = d.user_id
         WHERE d.joint_id = $1 AND d.kind = $2 ORDER BY d.version DESC",
        args![joint_id, kind],
    )
    .await
}

/// Saves a new version. Sign-offs belong to the version signed: a new version needs new ones.
pub async fn add_version(
    db: &Db,
    user: &User,
    joint_id: i64,
    kind: &str,
    body: &str,
    note: &str,
) -> DbResult<i64> {
    let mut tx = db.begin().await?;
    let next = tx
        .scalar::<Option<i64>>(
            "SELECT MAX(version) FROM joint_documents WHERE joint_id = $1 AND kind = $2",
            args![joint_id, kind],
        )
        .await?
        .flatten()
        .unwrap_or(0)
        + 1;
    tx.execute(
        "INSERT INTO joint_documents (joint_id, kind, version, body, change_note, org_id, user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![joint_id, kind, next, body, note, user.org_id, user.id, now()],
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SignOff {
    pub document_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub user_name: String,
    pub signed_at: i64,
}

pub async fn signoffs(db: &Db, joint_id: i64) -> DbResult<Vec<SignOff>> {
    db.fetch_all(
        "SELECT s.document_id, s.org_id, o.short_name AS org_name, u.name AS user_name, s.signed_at
         FROM joint_signoffs s JOIN joint_documents d ON d.id = s.document_id
         JOIN organisations o ON o.id = s.org_id JOIN users u ON u.id = s.user_id
         WHERE d.joint_id = $1 ORDER BY s.signed_at",
        args![joint_id],
    )
    .await
}

/// Signs off the given version for the user's organisation, if it is the latest of its kind.
pub async fn sign_off(db: &Db, user: &User, joint_id: i64, document_id: i64) -> DbResult<bool> {
    let latest = db
        .scalar::<i64>(
            "SELECT d.id FROM joint_documents d WHERE d.joint_id = $1 AND d.id = $2
               AND d.version = (SELECT MAX(x.version) FROM joint_documents x WHERE x.joint_id = d.joint_id AND x.kind = d.kind)",
            args![joint_id, document_id],
        )
        .await?;
    if latest.is_none() {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO joint_signoffs (document_id, org_id, user_id, signed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (document_id, org_id) DO NOTHING",
        args![document_id, user.org_id, user.id, now()],
    )
    .await?;
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Entry {
    pub id: i64,
    pub kind: String,
    pub body: String,
    pub owner_org_id: Option<i64>,
    pub owner_name: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub done: bool,
    pub org_id: i64,
    pub org_name: String,
    pub user_name: String,
    pub created_at: i64,
}

impl Entry {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }

    pub fn due(&self) -> String {
        self.due_date
            .map(crate::web::filters::long_date)
            .unwrap_or_default()
    }
}

/// The workspace's entries the viewer may read: every shared entry, and its own
/// organisation's private notes — never another partner's.
pub async fn entries(db: &Db, viewer: &Viewer, joint_id: i64) -> DbResult<Vec<Entry>> {
    db.fetch_all(
        "SELECT e.id, e.kind, e.body, e.owner_org_id, oo.short_name AS owner_name, e.due_date, e.done,
                e.org_id, o.short_name AS org_name, u.name AS user_name, e.created_at
         FROM joint_entries e
         JOIN organisations o ON o.id = e.org_id
         JOIN users u ON u.id = e.user_id
         LEFT JOIN organisations oo ON oo.id = e.owner_org_id
         WHERE e.joint_id = $1 AND (e.kind <> 'note' OR e.org_id = $2)
         ORDER BY e.id",
        args![joint_id, viewer.org_id().unwrap_or(-1)],
    )
    .await
}

pub async fn add_entry(
    db: &Db,
    user: &User,
    joint_id: i64,
    kind: &str,
    body: &str,
    owner_org_id: Option<i64>,
    due: Option<NaiveDate>,
) -> DbResult<()> {
    db.execute(
        "INSERT INTO joint_entries (joint_id, kind, body, owner_org_id, due_date, done, org_id, user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7, $8)",
        args![joint_id, kind, body, owner_org_id, due, user.org_id, user.id, now()],
    )
    .await?;
    Ok(())
}

pub async fn mark_task_done(db: &Db, joint_id: i64, entry_id: i64, done: bool) -> DbResult<bool> {
    Ok(db
        .execute(
            "UPDATE joint_entries SET done = $1 WHERE id = $2 AND joint_id = $3 AND kind = 'task'",
            args![done, entry_id, joint_id],
        )
        .await?
        > 0)
}
