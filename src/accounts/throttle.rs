//! Slowing down and locking out password guessing. Attempts are counted in the database, so
//! every instance behind a load balancer enforces the same limits.

use crate::args;
use crate::db::{Db, DbResult, now};

/// Failures for one email within this window count towards a lockout.
pub const WINDOW_SECONDS: i64 = 15 * 60;
/// After this many failures for one email, sign-in for it is refused until the window passes.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// One address guessing at many accounts is refused after this many failures in the window.
pub const MAX_FAILURES_PER_IP: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow {
        /// Delay before answering, growing with recent failures (slow-down before lockout).
        delay_ms: u64,
    },
    Locked {
        retry_after_seconds: i64,
    },
}

/// The policy, as a pure function of recent failures: nothing, then a growing delay, then a
/// lockout until the oldest counted failure leaves the window.
pub fn verdict(
    email_failures: i64,
    ip_failures: i64,
    oldest_counted_failure: Option<i64>,
    now: i64,
) -> Verdict {
    if email_failures >= MAX_FAILURES_PER_EMAIL || ip_failures >= MAX_FAILURES_PER_IP {
        let since = oldest_counted_failure.unwrap_or(now);
        return Verdict::Locked {
            retry_after_seconds: (since + WINDOW_SECONDS - now).max(1),
        };
    }
    let delay_ms = match email_failures {
        0 | 1 => 0,
        n => (n as u64 - 1) * 500,
    };
    Verdict::Allow { delay_ms }
}

pub async fn check(db: &Db, email: &str, ip: &str) -> DbResult<Verdict> {
    let t = now();
    // Failures before the last successful sign-in for this email no longer count.
    let last_success = db
        .scalar::<Option<i64>>(
            "SELECT MAX(at) FROM sign_in_attempts WHERE email = $1 AND succeeded",
            args![email],
        )
        .await?
        .flatten();
    let since = (t - WINDOW_SECONDS).max(last_success.unwrap_or(0));
    let email_failures = db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE email = $1 AND at > $2 AND NOT succeeded",
            args![email, since],
        )
        .await?
        .unwrap_or(0);
    let ip_failures = db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM sign_in_attempts WHERE ip = $1 AND at > $2 AND NOT succeeded",
            args![ip, since],
        )
        .await?
        .unwrap_or(0);
    // The lockout lifts when the oldest failure that still counts leaves the window.
    let oldest = db
        .scalar::<Option<i64>>(
            "SELECT MIN(at) FROM (SELECT at FROM sign_in_attempts
               WHERE (email = $1 OR ip = $2) AND at > $3 AND NOT succeeded
               ORDER BY at DESC LIMIT $4) recent",
            args![email, ip, since, MAX_FAILURES_PER_EMAIL],
        )
        .await?
        .flatten();
    Ok(verdict(email_failures, ip_failures, oldest, t))
}

pub async fn record(db: &Db, email: &str, ip: &str, succeeded: bool) -> DbResult<()> {
    db.execute(
        "INSERT INTO sign_in_attempts (email, ip, at, succeeded) VALUES ($1, $2, $3, $4)",
        args![email, ip, now(), succeeded],
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slows_then_locks() {
        assert_eq!(verdict(0, 0, None, 1000), Verdict::Allow { delay_ms: 0 });
        assert_eq!(
            verdict(1, 1, Some(990), 1000),
            Verdict::Allow { delay_ms: 0 }
        );
        assert_eq!(
            verdict(3, 3, Some(990), 1000),
            Verdict::Allow { delay_ms: 1000 }
        );
        assert_eq!(
            verdict(5, 5, Some(900), 1000),
            Verdict::Locked {
                retry_after_seconds: 900 + WINDOW_SECONDS - 1000
            }
        );
        assert!(matches!(
            verdict(0, 30, Some(999), 1000),
            Verdict::Locked { .. }
        ));
    }
}
