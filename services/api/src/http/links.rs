//! Links to stored files. With S3 they are presigned S3 URLs; with the local backend they point
//! at the api's own `/api/v1/files/{key}` route, signed with HMAC and expiring the same way.
//!
//! A link is reused for up to [`REUSE_FOR`] once made: a gallery page carries 40 of them, and
//! signing each anew cost more api CPU than the rest of the page (`perf` under
//! `scripts/bench/gallery.sh`). Reuse also gives the same image the same URL for a minute,
//! so browsers cache it. Every link handed out still has at least `LINK_TTL - REUSE_FOR` to
//! live.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{error::ApiResult, state::AppState};

/// Lifetime of image links handed to clients.
pub const LINK_TTL: Duration = Duration::from_secs(600);
/// How long a signed link is handed out again before a fresh one is signed.
pub const REUSE_FOR: Duration = Duration::from_secs(60);
/// Most links remembered at once; past this the memory is cleared and refilled.
const MAX_LINKS: usize = 50_000;

/// Recently signed links by object key; all of them are dropped every [`REUSE_FOR`].
#[derive(Debug)]
pub struct LinkCache {
    links: Mutex<Generation>,
}

#[derive(Debug)]
struct Generation {
    started: Instant,
    by_key: HashMap<String, String>,
}

impl Default for LinkCache {
    fn default() -> Self {
        Self {
            links: Mutex::new(Generation {
                started: Instant::now(),
                by_key: HashMap::new(),
            }),
        }
    }
}

impl LinkCache {
    fn get(&self, key: &str) -> Option<String> {
        let mut generation = self.links.lock().ok()?;
        if generation.started.elapsed() >= REUSE_FOR {
            generation.started = Instant::now();
            generation.by_key.clear();
            return None;
        }
        generation.by_key.get(key).cloned()
    }

    fn put(&self, key: &str, link: &str) {
        if let Ok(mut generation) = self.links.lock() {
            if generation.by_key.len() >= MAX_LINKS {
                generation.by_key.clear();
            }
            generation.by_key.insert(key.to_owned(), link.to_owned());
        }
    }
}

/// A short-lived GET link to a stored object (valid for at least `LINK_TTL - REUSE_FOR`).
pub async fn download_url(state: &AppState, key: &str) -> ApiResult<String> {
    if let Some(link) = state.links.get(key) {
        return Ok(link);
    }
    let ttl = LINK_TTL.min(state.storage.max_presign_ttl());
    let link = state.storage.presign_get(key, ttl).await?.to_string();
    state.links.put(key, &link);
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_reused_within_a_generation_only() {
        let cache = LinkCache::default();
        assert_eq!(cache.get("a"), None);
        cache.put("a", "https://x/a?sig=1");
        assert_eq!(cache.get("a").as_deref(), Some("https://x/a?sig=1"));
        cache.links.lock().unwrap().started = Instant::now() - REUSE_FOR;
        assert_eq!(cache.get("a"), None, "an old generation is dropped");
        assert!(LINK_TTL > REUSE_FOR * 5, "links outlive their reuse by far");
    }
}
