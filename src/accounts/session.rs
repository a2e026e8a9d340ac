//! Server-side sessions and the random tokens behind cookies, invitations and API tokens.

use sha2::{Digest, Sha256};

use crate::accounts::User;
use crate::args;
use crate::db::{Db, DbResult, now};

/// A signed-in session lasts a working day, then people sign in again.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;
/// …and ends sooner if left idle, so a shared office computer is not left signed in.
pub const IDLE_SECONDS: i64 = 2 * 60 * 60;

/// 32 random bytes from the operating system's generator, as 64 hex characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Tokens are stored only as their SHA-256: the database never holds a usable credential.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they first differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

pub async fn create(db: &Db, user_id: i64) -> DbResult<NewSession> {
    let token = random_token();
    let csrf = random_token();
    let t = now();
    db.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $4)",
        args![token_hash(&token), user_id, &csrf, t, t + SESSION_SECONDS],
    )
    .await?;
    Ok(NewSession { token, csrf })
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    last_seen_at: i64,
    #[sqlx(flatten)]
    user: User,
}

/// The user behind a session cookie, with the session's CSRF token; `None` when the session
/// is unknown, expired, idle too long, or its user deactivated.
pub async fn lookup(db: &Db, token: &str) -> DbResult<Option<(User, String)>> {
    let hash = token_hash(token);
    let t = now();
    let Some(row) = db
        .fetch_optional::<SessionRow>(
            "SELECT s.csrf_token, s.last_seen_at, u.id, u.org_id, u.email, u.name, u.role,
                    u.active, o.name AS org_name, o.kind AS org_kind, u.last_sign_in_at
             FROM sessions s
             JOIN users u ON u.id = s.user_id
             JOIN organisations o ON o.id = u.org_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.active",
            args![&hash, t, t - IDLE_SECONDS],
        )
        .await?
    else {
        return Ok(None);
    };
    // Touch at most once a minute: a page view should not always be a write.
    if t - row.last_seen_at > 60 {
        db.execute(
            "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2",
            args![t, &hash],
        )
        .await?;
    }
    Ok(Some((row.user, row.csrf_token)))
}

pub async fn destroy(db: &Db, token: &str) -> DbResult<()> {
    db.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        args![token_hash(token)],
    )
    .await?;
    Ok(())
}

/// Ends every session of a user (after a password change, or when an admin deactivates them),
/// except optionally the one in use.
pub async fn destroy_all_for_user(db: &Db, user_id: i64, keep: Option<&str>) -> DbResult<()> {
    let keep = keep.map(token_hash).unwrap_or_default();
    db.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
        args![user_id, keep],
    )
    .await?;
    Ok(())
}

pub async fn purge_expired(db: &Db) -> DbResult<u64> {
    let t = now();
    db.execute(
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        args![t, t - IDLE_SECONDS],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_token());
        assert_eq!(token_hash("abc").len(), 64);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
