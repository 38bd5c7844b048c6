//! Password hashing with argon2id, always on the blocking pool: one hash takes tens
//! of milliseconds of CPU, which must never stall the async threads serving requests.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::{Error, Result};

/// Hashes a password with argon2id and a fresh salt, on the calling thread: for
/// set-up code and tests, not for request handlers (use [`hash`]).
pub fn hash_blocking(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("argon2 with default parameters cannot fail on a generated salt")
}

/// Hashes a password on the blocking pool.
pub async fn hash(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| Error::Task(e.to_string()))
}

/// Checks a password against a stored hash on the blocking pool. Without a stored hash
/// (an unknown login name) it checks against a dummy hash, so the answer takes the same
/// time and does not reveal which names exist.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let hash = stored.as_deref().unwrap_or(DUMMY_HASH);
        let ok = PasswordHash::new(hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && stored.is_some()
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))
}

/// A valid argon2id hash of a random password, checked against when the login name does
/// not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpg";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let h = hash("correct horse".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse".into(), Some(h.clone()))
                .await
                .expect("v")
        );
        assert!(!verify("wrong".into(), Some(h)).await.expect("v"));
        assert!(!verify("anything".into(), None).await.expect("v"));
        assert!(
            !verify("x".into(), Some("not a hash".into()))
                .await
                .expect("v")
        );
    }
}
