//! Password hashing with Argon2id (the library's defaults: 19 MiB, 2 passes, OWASP's
//! recommendation). Hashing is CPU-bound, so it runs off the async executor.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The shortest password accepted. NCSC guidance favours length over composition rules.
pub const MIN_LENGTH: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BadPassword {
    #[error("Enter a password")]
    Empty,
    #[error("Password must be {MIN_LENGTH} characters or more")]
    TooShort,
    #[error("Password must be 256 characters or fewer")]
    TooLong,
}

/// Checks a new password against the rules people are told about on the form.
pub fn check_new(password: &str) -> Result<(), BadPassword> {
    let n = password.chars().count();
    if n == 0 {
        Err(BadPassword::Empty)
    } else if n < MIN_LENGTH {
        Err(BadPassword::TooShort)
    } else if n > 256 {
        Err(BadPassword::TooLong)
    } else {
        Ok(())
    }
}

pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .expect("password hashing task does not panic")
}

pub fn hash_blocking(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

/// Verifies a password against a stored PHC string. With no stored hash (unknown email, or an
/// invitation not yet accepted) it still does the work of one verification, so response time
/// does not reveal which emails have accounts.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let phc = stored.unwrap_or_else(|| DUMMY.with(|d| d.clone()));
        let ok = match PasswordHash::new(&phc) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        };
        ok && !phc.is_empty() && !DUMMY.with(|d| *d == phc)
    })
    .await
    .unwrap_or(false)
}

thread_local! {
    static DUMMY: String = hash_blocking("not a real password, only here for equal timing");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse battery".into()).await;
        let b = hash("correct horse battery".into()).await;
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(a.clone())).await);
        assert!(!verify("Correct horse battery".into(), Some(a)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("x".into(), Some("garbage".into())).await);
    }

    #[test]
    fn new_password_rules() {
        assert_eq!(check_new(""), Err(BadPassword::Empty));
        assert_eq!(check_new("short"), Err(BadPassword::TooShort));
        assert!(check_new("twelve chars").is_ok());
        assert_eq!(check_new(&"x".repeat(257)), Err(BadPassword::TooLong));
    }
}
