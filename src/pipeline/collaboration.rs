//! Collaboration threads: a borough expresses interest in another's procurement, or the owner
//! invites another borough; both sides then share notes on price, specification, route to
//! market and supplier experience. A thread is visible to its two organisations only.

use serde::Serialize;

use super::store::Procurement;
use crate::accounts::User;
use crate::args;
use crate::db::{Db, DbResult, now};
use crate::visibility::Viewer;

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Collaboration {
    pub id: i64,
    pub procurement_id: i64,
    pub procurement_title: String,
    pub owner_org_id: i64,
    pub owner_name: String,
    pub partner_org_id: i64,
    pub partner_name: String,
    pub initiated_by_org_id: i64,
    pub status: String,
    pub updated_at: i64,
}

impl Collaboration {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "interested" => "Interest expressed",
            "invited" => "Invitation sent",
            "active" => "Collaborating",
            _ => "Declined",
        }
    }

    /// The organisation on the other side from `org_id`.
    pub fn other_side(&self, org_id: &i64) -> &str {
        if *org_id == self.owner_org_id {
            &self.partner_name
        } else {
            &self.owner_name
        }
    }

    /// True when `org_id` is the side that must answer (accept or decline).
    pub fn awaits(&self, org_id: &i64) -> bool {
        matches!(self.status.as_str(), "interested" | "invited")
            && *org_id != self.initiated_by_org_id
    }
}

const SELECT: &str = "SELECT c.id, c.procurement_id, p.title AS procurement_title, c.owner_org_id,
        ow.short_name AS owner_name, c.partner_org_id, pa.short_name AS partner_name,
        c.initiated_by_org_id, c.status, c.updated_at
    FROM collaborations c
    JOIN procurements p ON p.id = c.procurement_id
    JOIN organisations ow ON ow.id = c.owner_org_id
    JOIN organisations pa ON pa.id = c.partner_org_id";

#[derive(Debug, thiserror::Error)]
pub enum CollaborationError {
    #[error("You cannot collaborate with your own organisation on its own procurement.")]
    SameOrganisation,
    #[error("Only London authorities and the convenor can collaborate on procurements.")]
    NotALondonMember,
    #[error("Your organisation already has a thread on this procurement.")]
    AlreadyExists(i64),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Opens a thread: `partner_org_id` is the other borough (the viewer's own when expressing
/// interest in someone else's procurement).
pub async fn open(
    db: &Db,
    user: &User,
    p: &Procurement,
    partner_org_id: i64,
    first_message: &str,
) -> Result<i64, CollaborationError> {
    if !user.viewer().is_london_member() {
        return Err(CollaborationError::NotALondonMember);
    }
    if partner_org_id == p.org_id {
        return Err(CollaborationError::SameOrganisation);
    }
    if let Some(id) = db
        .scalar::<i64>(
            "SELECT id FROM collaborations WHERE procurement_id = $1 AND partner_org_id = $2",
            args![p.id, partner_org_id],
        )
        .await?
    {
        return Err(CollaborationError::AlreadyExists(id));
    }
    let status = if user.org_id == p.org_id {
        "invited"
    } else {
        "interested"
    };
    let mut tx = db.begin().await?;
    let t = now();
    let id = tx
        .scalar::<i64>(
            "INSERT INTO collaborations (procurement_id, owner_org_id, partner_org_id, initiated_by_org_id, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            args![p.id, p.org_id, partner_org_id, user.org_id, status, t],
        )
        .await?
        .unwrap_or_default();
    if !first_message.trim().is_empty() {
        tx.execute(
            "INSERT INTO collaboration_messages (collaboration_id, org_id, user_id, topic, body, created_at)
             VALUES ($1, $2, $3, 'general', $4, $5)",
            args![id, user.org_id, user.id, first_message.trim(), t],
        )
        .await?;
    }
    super::store::log(
        &mut tx,
        p.id,
        user,
        "collaboration",
        &format!(
            "{} {}",
            user.org_name,
            if status == "invited" {
                "invited another borough to collaborate"
            } else {
                "expressed interest in collaborating"
            }
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A thread, if the viewer's organisation is one of its two sides.
pub async fn get(db: &Db, viewer: &Viewer, id: i64) -> DbResult<Option<Collaboration>> {
    let scope = viewer.participant_scope(&["c.owner_org_id", "c.partner_org_id"], 2);
    let mut a = args![id];
    a.extend(scope.args);
    db.fetch_optional(format!("{SELECT} WHERE c.id = $1 AND {}", scope.sql), a)
        .await
}

pub async fn list_for_viewer(db: &Db, viewer: &Viewer) -> DbResult<Vec<Collaboration>> {
    let scope = viewer.participant_scope(&["c.owner_org_id", "c.partner_org_id"], 1);
    db.fetch_all(
        format!("{SELECT} WHERE {} ORDER BY c.updated_at DESC", scope.sql),
        scope.args,
    )
    .await
}

pub async fn for_procurement(
    db: &Db,
    viewer: &Viewer,
    procurement_id: i64,
) -> DbResult<Vec<Collaboration>> {
    let scope = viewer.participant_scope(&["c.owner_org_id", "c.partner_org_id"], 2);
    let mut a = args![procurement_id];
    a.extend(scope.args);
    db.fetch_all(
        format!(
            "{SELECT} WHERE c.procurement_id = $1 AND {} ORDER BY c.id",
            scope.sql
        ),
        a,
    )
    .await
}

/// The answering side accepts or declines.
pub async fn answer(db: &Db, user: &User, c: &Collaboration, accept: bool) -> DbResult<bool> {
    if !c.awaits(&user.org_id) {
        return Ok(false);
    }
    let status = if accept { "active" } else { "declined" };
    db.execute(
        "UPDATE collaborations SET status = $1, updated_at = $2 WHERE id = $3",
        args![status, now(), c.id],
    )
    .await?;
    Ok(true)
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub org_name: String,
    pub user_name: String,
    pub topic: String,
    pub body: String,
    pub created_at: i64,
}

impl Message {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }

    pub fn topic_label(&self) -> &'static str {
        topic_label(&self.topic)
    }
}

pub const TOPICS: &[(&str, &str)] = &[
    ("general", "General"),
    ("price", "Price and commercial model"),
    ("specification", "Specification and requirements"),
    ("route", "Route to market"),
    ("supplier", "Supplier experience"),
];

pub fn topic_label(t: &str) -> &'static str {
    TOPICS
        .iter()
        .find(|(k, _)| *k == t)
        .map(|(_, l)| *l)
        .unwrap_or("General")
}

pub async fn messages(db: &Db, c: &Collaboration) -> DbResult<Vec<Message>> {
    db.fetch_all(
        "SELECT o.short_name AS org_name, u.name AS user_name, m.topic, m.body, m.created_at
         FROM collaboration_messages m JOIN organisations o ON o.id = m.org_id JOIN users u ON u.id = m.user_id
         WHERE m.collaboration_id = $1 ORDER BY m.id",
        args![c.id],
    )
    .await
}

pub async fn post(
    db: &Db,
    user: &User,
    c: &Collaboration,
    topic: &str,
    body: &str,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let t = now();
    tx.execute(
        "INSERT INTO collaboration_messages (collaboration_id, org_id, user_id, topic, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![c.id, user.org_id, user.id, topic, body, t],
    )
    .await?;
    tx.execute(
        "UPDATE collaborations SET updated_at = $1 WHERE id = $2",
        args![t, c.id],
    )
    .await?;
    tx.commit().await
}
