//! SQL for organisations, users, invitations, API tokens and the audit log.

use serde::Serialize;

use super::session::{random_token, token_hash};
use super::{Email, OrgKind, Organisation, Role, User};
use crate::args;
use crate::db::{Db, DbError, DbResult, now};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("An account with that email address already exists")]
    EmailTaken,
    #[error("A {role} cannot belong to a {kind}", role = .0.label(), kind = .1.label())]
    RoleDoesNotFit(Role, OrgKind),
    #[error("No such organisation: {0}")]
    UnknownOrganisation(String),
    #[error("No such user: {0}")]
    UnknownUser(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub const USER_SELECT: &str = "SELECT u.id, u.org_id, u.email, u.name, u.role, u.active,
        o.name AS org_name, o.kind AS org_kind, u.last_sign_in_at
    FROM users u JOIN organisations o ON o.id = u.org_id";

const ORG_COLUMNS: &str = "id, kind, name, short_name, slug, gss_code, company_number";

pub struct NewOrganisation<'a> {
    pub kind: OrgKind,
    pub name: &'a str,
    pub short_name: &'a str,
    pub slug: &'a str,
    pub gss_code: Option<&'a str>,
    pub company_number: Option<&'a str>,
}

/// Inserts an organisation, or returns the existing one with the same slug: seeding is
/// idempotent, so `demo` and `migrate` can run on every start.
pub async fn ensure_organisation(db: &Db, org: &NewOrganisation<'_>) -> DbResult<Organisation> {
    db.execute(
        "INSERT INTO organisations (kind, name, short_name, slug, gss_code, company_number, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (slug) DO NOTHING",
        args![
            org.kind,
            org.name,
            org.short_name,
            org.slug,
            org.gss_code,
            org.company_number,
            now()
        ],
    )
    .await?;
    db.fetch_one(
        format!("SELECT {ORG_COLUMNS} FROM organisations WHERE slug = $1"),
        args![org.slug],
    )
    .await
}

pub async fn organisation(db: &Db, id: i64) -> DbResult<Option<Organisation>> {
    db.fetch_optional(
        format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1"),
        args![id],
    )
    .await
}

/// Finds an organisation by slug, GSS code or exact name (case-insensitive): what a person
/// types on the command line.
pub async fn find_organisation(db: &Db, key: &str) -> DbResult<Option<Organisation>> {
    db.fetch_optional(
        format!(
            "SELECT {ORG_COLUMNS} FROM organisations
             WHERE slug = $1 OR gss_code = upper($1) OR lower(name) = lower($1) OR lower(short_name) = lower($1)
             ORDER BY id LIMIT 1"
        ),
        args![key.trim()],
    )
    .await
}

pub async fn organisations(db: &Db, kind: Option<OrgKind>) -> DbResult<Vec<Organisation>> {
    db.fetch_all(
        format!(
            "SELECT {ORG_COLUMNS} FROM organisations WHERE ($1 IS NULL OR kind = $1) ORDER BY short_name"
        ),
        args![kind.map(OrgKind::as_str)],
    )
    .await
}

pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a Email,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
}

pub async fn insert_user(db: &Db, u: &NewUser<'_>) -> Result<i64, AccountError> {
    let org = organisation(db, u.org_id)
        .await?
        .ok_or_else(|| AccountError::UnknownOrganisation(u.org_id.to_string()))?;
    if !u.role.fits(org.kind) {
        return Err(AccountError::RoleDoesNotFit(u.role, org.kind));
    }
    let id = db
        .scalar::<i64>(
            "INSERT INTO users (org_id, email, name, role, password_hash, active, created_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
            args![u.org_id, u.email, u.name, u.role, u.password_hash, now()],
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                AccountError::EmailTaken
            } else {
                AccountError::Db(e)
            }
        })?;
    Ok(id.unwrap_or_default())
}

pub async fn user(db: &Db, id: i64) -> DbResult<Option<User>> {
    db.fetch_optional(format!("{USER_SELECT} WHERE u.id = $1"), args![id])
        .await
}

pub async fn user_by_email(db: &Db, email: &str) -> DbResult<Option<User>> {
    db.fetch_optional(
        format!("{USER_SELECT} WHERE u.email = $1"),
        args![email.trim().to_lowercase()],
    )
    .await
}

pub async fn password_hash(db: &Db, user_id: i64) -> DbResult<Option<String>> {
    Ok(db
        .scalar::<Option<String>>(
            "SELECT password_hash FROM users WHERE id = $1",
            args![user_id],
        )
        .await?
        .flatten())
}

pub async fn users(db: &Db, org_id: Option<i64>) -> DbResult<Vec<User>> {
    db.fetch_all(
        format!("{USER_SELECT} WHERE ($1 IS NULL OR u.org_id = $1) ORDER BY o.short_name, u.name"),
        args![org_id],
    )
    .await
}

pub async fn set_password(db: &Db, user_id: i64, hash: &str) -> DbResult<()> {
    db.execute(
        "UPDATE users SET password_hash = $1 WHERE id = $2",
        args![hash, user_id],
    )
    .await?;
    Ok(())
}

pub async fn set_role(db: &Db, user: &User, role: Role) -> Result<(), AccountError> {
    if !role.fits(user.org_kind) {
        return Err(AccountError::RoleDoesNotFit(role, user.org_kind));
    }
    db.execute(
        "UPDATE users SET role = $1 WHERE id = $2",
        args![role, user.id],
    )
    .await?;
    Ok(())
}

pub async fn record_sign_in(db: &Db, user_id: i64) -> DbResult<()> {
    db.execute(
        "UPDATE users SET last_sign_in_at = $1 WHERE id = $2",
        args![now(), user_id],
    )
    .await?;
    Ok(())
}

/// Appends to the audit log. `detail` is a sentence a platform admin can read.
pub async fn audit(
    db: &Db,
    actor: Option<&User>,
    action: &str,
    detail: &str,
    ip: Option<&str>,
) -> DbResult<()> {
    db.execute(
        "INSERT INTO audit_log (at, actor_user_id, org_id, action, detail, ip) VALUES ($1, $2, $3, $4, $5, $6)",
        args![
            now(),
            actor.map(|u| u.id),
            actor.map(|u| u.org_id),
            action,
            detail,
            ip
        ],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: Option<String>,
    pub org: Option<String>,
    pub action: String,
    pub detail: String,
    pub ip: Option<String>,
}

pub async fn audit_entries(db: &Db, limit: i64) -> DbResult<Vec<AuditEntry>> {
    db.fetch_all(
        "SELECT a.at, u.email AS actor, o.short_name AS org, a.action, a.detail, a.ip
         FROM audit_log a
         LEFT JOIN users u ON u.id = a.actor_user_id
         LEFT JOIN organisations o ON o.id = a.org_id
         ORDER BY a.id DESC LIMIT $1",
        args![limit],
    )
    .await
}

/// Invitations last a week; the link in them is the only way to set the first password.
pub const INVITATION_SECONDS: i64 = 7 * 24 * 60 * 60;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Records an invitation and returns the secret token for its link.
pub async fn create_invitation(
    db: &Db,
    inviter: &User,
    email: &Email,
    name: &str,
    role: Role,
) -> Result<String, AccountError> {
    if !role.fits(inviter.org_kind) {
        return Err(AccountError::RoleDoesNotFit(role, inviter.org_kind));
    }
    if user_by_email(db, email.as_str()).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let token = random_token();
    let t = now();
    db.execute(
        "INSERT INTO invitations (org_id, email, name, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            inviter.org_id,
            email,
            name,
            role,
            token_hash(&token),
            inviter.id,
            t,
            t + INVITATION_SECONDS
        ],
    )
    .await?;
    Ok(token)
}

pub async fn open_invitation(db: &Db, token: &str) -> DbResult<Option<Invitation>> {
    db.fetch_optional(
        "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.name, i.role
         FROM invitations i JOIN organisations o ON o.id = i.org_id
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2",
        args![token_hash(token), now()],
    )
    .await
}

/// Turns an invitation into an account, in one transaction: either the user exists and the
/// invitation is used, or neither.
pub async fn accept_invitation(
    db: &Db,
    invitation: &Invitation,
    password_hash: &str,
) -> Result<i64, AccountError> {
    let mut tx = db.begin().await?;
    let used = tx
        .execute(
            "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL",
            args![now(), invitation.id],
        )
        .await?;
    if used == 0 {
        return Err(AccountError::UnknownUser(invitation.email.clone()));
    }
    let id = tx
        .scalar::<i64>(
            "INSERT INTO users (org_id, email, name, role, password_hash, active, created_at)
             VALUES ($1, $2, $3, $4, $5, TRUE, $6) RETURNING id",
            args![
                invitation.org_id,
                &invitation.email,
                &invitation.name,
                invitation.role,
                password_hash,
                now()
            ],
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                AccountError::EmailTaken
            } else {
                AccountError::Db(e)
            }
        })?
        .unwrap_or_default();
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// API tokens carry a recognisable prefix so that one pasted into a chat or a repository is
/// easy to spot and revoke.
pub const API_TOKEN_PREFIX: &str = "pk_";

pub async fn create_api_token(db: &Db, user_id: i64, name: &str) -> DbResult<String> {
    let token = format!("{API_TOKEN_PREFIX}{}", random_token());
    db.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)",
        args![user_id, name, token_hash(&token), now()],
    )
    .await?;
    Ok(token)
}

pub async fn api_tokens(db: &Db, user_id: i64) -> DbResult<Vec<ApiToken>> {
    db.fetch_all(
        "SELECT id, name, created_at, last_used_at FROM api_tokens
         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id",
        args![user_id],
    )
    .await
}

pub async fn revoke_api_token(db: &Db, user_id: i64, token_id: i64) -> DbResult<bool> {
    Ok(db
        .execute(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            args![now(), token_id, user_id],
        )
        .await?
        > 0)
}

pub async fn user_for_api_token(db: &Db, token: &str) -> DbResult<Option<User>> {
    let hash = token_hash(token);
    let user = db
        .fetch_optional::<User>(
            format!(
                "{USER_SELECT} JOIN api_tokens t ON t.user_id = u.id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active"
            ),
            args![&hash],
        )
        .await?;
    if user.is_some() {
        db.execute(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2",
            args![now(), &hash],
        )
        .await?;
    }
    Ok(user)
}
