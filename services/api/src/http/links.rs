//! Links to stored files. With S3 they are presigned S3 URLs; with the local backend they point
//! at the api's own `/api/v1/files/{key}` route, signed with HMAC and expiring the same way.

use std::time::Duration;

use crate::{error::ApiResult, state::AppState};

/// Lifetime of image links handed to clients.
pub const LINK_TTL: Duration = Duration::from_secs(600);

/// A short-lived GET link to a stored object.
pub async fn download_url(state: &AppState, key: &str) -> ApiResult<String> {
    let ttl = LINK_TTL.min(state.storage.max_presign_ttl());
    Ok(state.storage.presign_get(key, ttl).await?.to_string())
}
