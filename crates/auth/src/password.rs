//! bcrypt hashing, always on tokio's blocking pool: one hash at cost 12 takes ~250 ms of CPU,
//! which would stall every other request on an executor thread.

use std::sync::OnceLock;

use crate::AuthError;

/// Hashes `password` with bcrypt at `cost` off the async executor.
pub async fn hash_password(password: String, cost: u32) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .map_err(|e| AuthError::Hash(e.to_string()))?
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Checks `password` against a bcrypt `hash` off the async executor.
pub async fn verify_password(password: String, hash: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
        .await
        .map_err(|e| AuthError::Hash(e.to_string()))?
        .map_err(|e| AuthError::Hash(e.to_string()))
}

static DUMMY_HASHES: OnceLock<std::sync::Mutex<Vec<(u32, String)>>> = OnceLock::new();

/// Verifies against `hash`, or against a dummy hash of the same cost when the account does not
/// exist, so that "unknown user" and "wrong password" take the same time.
pub async fn verify_password_or_dummy(
    password: String,
    hash: Option<String>,
    cost: u32,
) -> Result<bool, AuthError> {
    match hash {
        Some(h) => verify_password(password, h).await,
        None => {
            let dummy = dummy_hash(cost).await?;
            verify_password(password, dummy).await?;
            Ok(false)
        }
    }
}

async fn dummy_hash(cost: u32) -> Result<String, AuthError> {
    let cache = DUMMY_HASHES.get_or_init(Default::default);
    if let Some(found) = cache
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|(c2, _)| *c2 == cost).map(|(_, h)| h.clone()))
    {
        return Ok(found);
    }
    let hash = hash_password("moji-dummy-password".to_owned(), cost).await?;
    if let Ok(mut c) = cache.lock() {
        c.push((cost, hash.clone()));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash_password("correct horse battery".into(), 4)
            .await
            .unwrap();
        assert!(h.starts_with("$2"));
        assert!(verify_password("correct horse battery".into(), h.clone())
            .await
            .unwrap());
        assert!(!verify_password("wrong".into(), h).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(
            !verify_password_or_dummy("moji-dummy-password".into(), None, 4)
                .await
                .unwrap()
        );
    }
}
