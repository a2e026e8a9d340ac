//! One notification service for every capability: messages go into an outbox table in the same
//! transaction as the change that caused them, and are delivered by SMTP when it is configured
//! (otherwise they wait in the outbox, where platform admins can read them). Each person
//! chooses immediate mail, one daily digest, or none; essential mail (verifying an address,
//! security) ignores that choice.

pub mod smtp;
pub mod web;

use std::str::FromStr;

use serde::Serialize;

use crate::args;
use crate::db::{Backend, Db, DbResult, Tx, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Immediate,
    Daily,
    Off,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Immediate, Mode::Daily, Mode::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Immediate => "immediate",
            Mode::Daily => "daily",
            Mode::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Immediate => "Email me as things happen",
            Mode::Daily => "One email a day with everything (a digest)",
            Mode::Off => "No emails (except about my account's security)",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown notification mode {0:?}")]
pub struct BadMode(String);

impl FromStr for Mode {
    type Err = BadMode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| BadMode(s.into()))
    }
}
crate::text_column!(Mode);

/// Who a message is for: a user (whose preference applies) or a bare address (someone who has
/// no account yet, such as a supplier verifying their email).
#[derive(Debug, Clone)]
pub enum Recipient {
    User(i64),
    Address(String),
}

#[derive(Debug, Clone)]
pub struct Message {
    pub to: Recipient,
    /// A short machine name for the kind of message ("pitch_status", "saved_search"…).
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
    /// Sent whatever the recipient's preference: account verification and security.
    pub essential: bool,
}

#[derive(sqlx::FromRow)]
struct Target {
    email: String,
    mode: Mode,
}

/// Queues a message in the caller's transaction: if the change is rolled back, so is the mail.
pub async fn queue(tx: &mut Tx, m: &Message) -> DbResult<()> {
    let (user_id, email, mode) = match &m.to {
        Recipient::User(id) => {
            let Some(t) = tx
                .fetch_optional::<Target>(
                    "SELECT u.email, COALESCE(p.mode, 'immediate') AS mode FROM users u
                     LEFT JOIN notification_preferences p ON p.user_id = u.id
                     WHERE u.id = $1 AND u.active",
                    args![*id],
                )
                .await?
            else {
                return Ok(());
            };
            (Some(*id), t.email, t.mode)
        }
        Recipient::Address(a) => (None, a.clone(), Mode::Immediate),
    };
    let status = match (m.essential, mode) {
        (true, _) | (false, Mode::Immediate) => "pending",
        (false, Mode::Daily) => "digest",
        (false, Mode::Off) => "suppressed",
    };
    let t = now();
    tx.execute(
        "INSERT INTO notifications (user_id, to_email, kind, subject, body, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        args![user_id, &email, m.kind, &m.subject, &m.body, status, t],
    )
    .await?;
    Ok(())
}

/// Queues messages outside any other change.
pub async fn queue_all(db: &Db, messages: &[Message]) -> DbResult<()> {
    let mut tx = db.begin().await?;
    for m in messages {
        queue(&mut tx, m).await?;
    }
    tx.commit().await
}

pub async fn mode(db: &Db, user_id: i64) -> DbResult<Mode> {
    Ok(db
        .scalar::<Mode>(
            "SELECT mode FROM notification_preferences WHERE user_id = $1",
            args![user_id],
        )
        .await?
        .unwrap_or(Mode::Immediate))
}

pub async fn set_mode(db: &Db, user_id: i64, mode: Mode) -> DbResult<()> {
    db.execute(
        "INSERT INTO notification_preferences (user_id, mode) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET mode = excluded.mode",
        args![user_id, mode.as_str()],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Outgoing {
    pub id: i64,
    pub to_email: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl Outgoing {
    pub fn when(&self) -> String {
        crate::web::filters::date_time(self.created_at)
    }
}

pub async fn outbox(db: &Db, limit: i64) -> DbResult<Vec<Outgoing>> {
    db.fetch_all(
        "SELECT id, to_email, kind, subject, body, status, attempts, last_error, created_at, sent_at
         FROM notifications ORDER BY id DESC LIMIT $1",
        args![limit],
    )
    .await
}

/// Waits between attempts: a minute, then 5, 30, 2 hours, then 12 hours; after
/// [`MAX_ATTEMPTS`] the message is marked failed and stays in the outbox for an admin.
pub fn backoff_seconds(attempts: i64) -> i64 {
    match attempts {
        0 | 1 => 60,
        2 => 5 * 60,
        3 => 30 * 60,
        4 => 2 * 60 * 60,
        _ => 12 * 60 * 60,
    }
}

pub const MAX_ATTEMPTS: i64 = 10;

/// How long an instance may hold a claimed message before another may take it over.
const CLAIM_SECONDS: i64 = 120;

/// Claims up to `limit` due messages for this instance. On PostgreSQL rows locked by another
/// instance's claim are skipped rather than waited for; SQLite has one writer at a time.
async fn claim(db: &Db, instance: &str, limit: i64) -> DbResult<Vec<Outgoing>> {
    let t = now();
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = db.begin().await?;
    tx.execute(
        format!(
            "UPDATE notifications SET claimed_by = $1, claimed_until = $2
             WHERE id IN (SELECT id FROM notifications
                          WHERE status = 'pending' AND next_attempt_at <= $3
                            AND (claimed_until IS NULL OR claimed_until < $3)
                          ORDER BY id LIMIT $4{lock})"
        ),
        args![instance, t + CLAIM_SECONDS, t, limit],
    )
    .await?;
    let claimed = tx
        .fetch_all(
            "SELECT id, to_email, kind, subject, body, status, attempts, last_error, created_at, sent_at
             FROM notifications WHERE claimed_by = $1 AND claimed_until = $2 AND status = 'pending' ORDER BY id",
            args![instance, t + CLAIM_SECONDS],
        )
        .await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Delivers what is due. Without SMTP configured, messages simply wait in the outbox.
pub async fn deliver_due(
    db: &Db,
    smtp: Option<&smtp::SmtpConfig>,
    instance: &str,
) -> DbResult<usize> {
    let Some(cfg) = smtp else {
        return Ok(0);
    };
    let mut sent = 0;
    for m in claim(db, instance, 50).await? {
        let message_id = format!("{}.{}@procurekit", m.id, m.created_at);
        match smtp::send(cfg, &m.to_email, &m.subject, &m.body, &message_id).await {
            Ok(()) => {
                db.execute(
                    "UPDATE notifications SET status = 'sent', sent_at = $1, attempts = attempts + 1,
                        claimed_by = NULL, claimed_until = NULL, last_error = NULL WHERE id = $2",
                    args![now(), m.id],
                )
                .await?;
                sent += 1;
            }
            Err(e) => {
                let attempts = m.attempts + 1;
                let status = if e.is_permanent() || attempts >= MAX_ATTEMPTS {
                    "failed"
                } else {
                    "pending"
                };
                tracing::warn!(id = m.id, attempts, error = %e, "notification not delivered");
                db.execute(
                    "UPDATE notifications SET status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
                        claimed_by = NULL, claimed_until = NULL WHERE id = $5",
                    args![status, attempts, now() + backoff_seconds(attempts), e.to_string(), m.id],
                )
                .await?;
            }
        }
    }
    Ok(sent)
}

/// Lets an admin send a failed message again.
pub async fn retry(db: &Db, id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "UPDATE notifications SET status = 'pending', next_attempt_at = $1, attempts = 0 WHERE id = $2 AND status = 'failed'",
            args![now(), id],
        )
        .await?
        > 0)
}

#[derive(sqlx::FromRow)]
struct DigestItem {
    id: i64,
    user_id: i64,
    subject: String,
    body: String,
}

/// Bundles each person's waiting digest messages into one email.
pub async fn build_digests(db: &Db) -> DbResult<usize> {
    let items: Vec<DigestItem> = db
        .fetch_all(
            "SELECT id, user_id, subject, body FROM notifications WHERE status = 'digest' AND user_id IS NOT NULL ORDER BY user_id, id",
            vec![],
        )
        .await?;
    let mut by_user: std::collections::BTreeMap<i64, Vec<DigestItem>> = Default::default();
    for i in items {
        by_user.entry(i.user_id).or_default().push(i);
    }
    let mut digests = 0;
    for (user_id, items) in by_user {
        let mut body = format!(
            "Here is what happened on procurekit in the last day ({} updates).\n\n",
            items.len()
        );
        for i in &items {
            body.push_str(&format!("— {}\n{}\n\n", i.subject, i.body.trim()));
        }
        body.push_str("You get this daily digest because of your notification settings. Change them on your account page.\n");
        let mut tx = db.begin().await?;
        let email = tx
            .scalar::<String>("SELECT email FROM users WHERE id = $1", args![user_id])
            .await?
            .unwrap_or_default();
        if !email.is_empty() {
            let t = now();
            tx.execute(
                "INSERT INTO notifications (user_id, to_email, kind, subject, body, status, attempts, next_attempt_at, created_at)
                 VALUES ($1, $2, 'digest', $3, $4, 'pending', 0, $5, $5)",
                args![user_id, &email, format!("Your procurekit digest: {} updates", items.len()), &body, t],
            )
            .await?;
        }
        for i in &items {
            tx.execute(
                "UPDATE notifications SET status = 'sent', sent_at = $1 WHERE id = $2",
                args![now(), i.id],
            )
            .await?;
        }
        tx.commit().await?;
        digests += 1;
    }
    Ok(digests)
}

/// Claims a periodic job for this instance if it is due; returns true when this instance
/// should run it now. A claim that outlives its holder expires.
pub async fn claim_job(db: &Db, name: &str, every_seconds: i64, instance: &str) -> DbResult<bool> {
    let t = now();
    db.execute(
        "INSERT INTO job_runs (name, last_run_at) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING",
        args![name],
    )
    .await?;
    let claimed = db
        .execute(
            "UPDATE job_runs SET claimed_by = $1, claimed_until = $2, last_run_at = $3
             WHERE name = $4 AND last_run_at <= $5 AND (claimed_until IS NULL OR claimed_until < $3)",
            args![instance, t + 600, t, name, t - every_seconds],
        )
        .await?;
    Ok(claimed == 1)
}

pub async fn release_job(db: &Db, name: &str) -> DbResult<()> {
    db.execute(
        "UPDATE job_runs SET claimed_by = NULL, claimed_until = NULL WHERE name = $1",
        args![name],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        let waits: Vec<i64> = (1..=7).map(backoff_seconds).collect();
        assert_eq!(waits, vec![60, 300, 1800, 7200, 43200, 43200, 43200]);
    }
}
