//! Bodies of the uploads endpoints, and how an attached image is shown.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// What the client is about to upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUploadRequest {
    /// `image/jpeg`, `image/png` or `image/webp`.
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    /// Exact size of the file in bytes (1 to `media.max_upload_bytes`, default 10 MiB).
    #[schema(example = 2_345_678)]
    pub bytes: u64,
}

/// Where and how to upload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadTicket {
    /// Upload id.
    pub id: Uuid,
    /// The object key to put in a post's `images` (or a product's, or `avatar`).
    pub key: String,
    /// `PUT` the file's bytes here before `expires_at`.
    pub upload_url: String,
    /// Always `PUT`.
    pub method: String,
    /// Headers the PUT must carry exactly (the content type is part of the signature; the
    /// size is too, as `Content-Length`, which HTTP clients set themselves).
    pub headers: BTreeMap<String, String>,
    /// When the URL stops working (at most 15 minutes).
    pub expires_at: DateTime<Utc>,
    /// The size the PUT must have.
    pub bytes: u64,
}

/// An image of a post or product.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImageView {
    /// Upload id.
    pub id: Uuid,
    /// `processing`, `ready` or `failed`.
    pub status: String,
    /// The display image (long side ≤ 1080 px), a link valid for minutes; when ready.
    pub url: Option<String>,
    /// The thumbnail (long side ≤ 320 px); when ready.
    pub thumbnail_url: Option<String>,
    /// Display width in pixels; when ready.
    pub width: Option<i32>,
    /// Display height in pixels; when ready.
    pub height: Option<i32>,
}
