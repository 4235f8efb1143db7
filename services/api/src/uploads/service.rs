//! The rules of uploads: what may be uploaded, the URL to upload it to, receiving it on the
//! local backend, and how an attached image is shown.

use std::{collections::BTreeMap, time::Duration};

use actix_web::web::Bytes;
use moji_auth::AuthUser;
use moji_common::new_id;
use moji_db::media::{self, IssueError, MediaRow, NewUpload, PostImage};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{CreateUploadRequest, ImageView, UploadTicket};
use crate::{
    error::{ApiError, ApiResult},
    http::links::download_url,
    state::AppState,
};

/// Content types an upload may declare, with the extension its key gets.
const TYPES: [(&str, &str); 3] = [
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

/// Key of the original: `uploads/<user>/<upload>.<ext>`.
pub fn source_key(user: Uuid, id: Uuid, ext: &str) -> String {
    format!("uploads/{user}/{id}.{ext}")
}

/// Keys of the processed images, beside the original (so deleting a person's prefix takes
/// them too): `(display, thumbnail)`.
pub fn derived_keys(row: &MediaRow) -> (String, String) {
    let base = format!("uploads/{}/{}", row.owner_id, row.id);
    (format!("{base}.display.jpg"), format!("{base}.thumb.jpg"))
}

/// Hands out an upload URL for one image.
pub async fn issue(
    state: &AppState,
    who: &AuthUser,
    req: CreateUploadRequest,
) -> ApiResult<UploadTicket> {
    let content_type = req.content_type.trim().to_ascii_lowercase();
    let Some((_, ext)) = TYPES.iter().find(|(t, _)| *t == content_type) else {
        return Err(ApiError::UnsupportedMedia(format!(
            "content_type {:?} is not image/jpeg, image/png or image/webp",
            req.content_type
        )));
    };
    let max = state.settings.media.max_upload_bytes as u64;
    if req.bytes == 0 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "bytes",
            "the file's size in bytes, at least 1",
        )]));
    }
    if req.bytes > max {
        return Err(ApiError::ImageTooLarge(format!(
            "the image is {} bytes; the limit is {max} bytes",
            req.bytes
        )));
    }
    let id = new_id();
    let new = NewUpload {
        id,
        owner_id: who.user_id,
        source_key: source_key(who.user_id, id, ext),
        content_type: content_type.clone(),
        bytes: i64::try_from(req.bytes).map_err(|_| ApiError::Internal("size".into()))?,
    };
    let cap = i64::from(state.settings.media.max_unattached_uploads);
    let row = state
        .db
        .run(move |c| match media::issue(c, &new, cap) {
            Ok(row) => Ok(Ok(row)),
            Err(IssueError::TooMany(n)) => Ok(Err(n)),
            Err(IssueError::Db(e)) => Err(e),
        })
        .await?
        .map_err(|held| ApiError::RateLimited {
            detail: format!(
                "you have {held} uploads that nothing uses yet; use them in a post or wait a \
                 day until they are removed"
            ),
            retry_after_secs: None,
        })?;
    let ttl = Duration::from_secs(state.settings.media.upload_url_ttl_secs);
    let signed = state
        .storage
        .presign_upload(&row.source_key, &content_type, req.bytes, ttl)
        .await?;
    tracing::info!(upload_id = %id, bytes = req.bytes, "upload URL issued");
    Ok(UploadTicket {
        id,
        key: row.source_key,
        upload_url: signed.url.to_string(),
        method: "PUT".into(),
        headers: signed.headers.into_iter().collect::<BTreeMap<_, _>>(),
        expires_at: signed.expires_at,
        bytes: req.bytes,
    })
}

/// The signature part of a local upload URL.
#[derive(Debug, serde::Deserialize)]
pub struct UploadSignature {
    /// Expiry, seconds since the epoch.
    pub expires: i64,
    /// Signed content type.
    pub ct: String,
    /// Signed size.
    pub len: u64,
    /// HMAC signature.
    pub sig: String,
}

/// Checks a local upload URL's signature (key, expiry, type and size): before a byte of the
/// body is read.
pub fn authorize(state: &AppState, key: &str, signature: &UploadSignature) -> ApiResult<()> {
    Ok(state.storage.verify_local_upload(
        key,
        signature.expires,
        &signature.ct,
        signature.len,
        &signature.sig,
    )?)
}

/// Stores the body of a local-backend upload whose URL [`authorize`] accepted, after checking
/// its content type and size against what was signed, and that the upload is still waiting
/// for its bytes.
pub async fn receive(
    state: &AppState,
    key: &str,
    signature: &UploadSignature,
    content_type: Option<&str>,
    body: Bytes,
) -> ApiResult<()> {
    let sent_type = content_type.unwrap_or_default().trim().to_ascii_lowercase();
    if sent_type != signature.ct {
        return Err(ApiError::Forbidden(format!(
            "this URL takes Content-Type {}, not {sent_type:?}",
            signature.ct
        )));
    }
    if body.len() as u64 != signature.len {
        return Err(ApiError::BadRequest(format!(
            "this URL takes exactly {} bytes; {} arrived",
            signature.len,
            body.len()
        )));
    }
    let owned_key = key.to_owned();
    let row = state
        .db
        .run(move |c| media::by_keys(c, &[owned_key]))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound("upload"))?;
    if row.status != "issued" {
        return Err(ApiError::Conflict {
            code: moji_common::ErrorCode::Conflict,
            detail: "this upload is already in use and cannot be replaced".into(),
        });
    }
    state.storage.put(key, body, &signature.ct).await?;
    Ok(())
}

/// Views of `rows` (posts or products), each made by `make` with its own images from
/// `images` (loaded for the whole page at once), in order.
pub async fn with_image_views<R, V>(
    state: &AppState,
    rows: Vec<R>,
    images: &[PostImage],
    id: impl Fn(&R) -> Uuid,
    make: impl Fn(R, Vec<ImageView>) -> V,
) -> ApiResult<Vec<V>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut shown = Vec::new();
        for image in images.iter().filter(|i| i.post_id == id(&row)) {
            shown.push(image_view(state, image).await?);
        }
        out.push(make(row, shown));
    }
    Ok(out)
}

/// How clients see an attached image: links when ready.
pub async fn image_view(state: &AppState, image: &PostImage) -> ApiResult<ImageView> {
    let link = |key: &Option<String>| {
        let key = key.clone();
        async move {
            match key {
                Some(k) => download_url(state, &k).await.map(Some),
                None => Ok(None),
            }
        }
    };
    let ready = image.status == "ready";
    Ok(ImageView {
        id: image.media_id,
        status: image.status.clone(),
        url: if ready {
            link(&image.display_key).await?
        } else {
            None
        },
        thumbnail_url: if ready {
            link(&image.thumbnail_key).await?
        } else {
            None
        },
        width: image.width.filter(|_| ready),
        height: image.height.filter(|_| ready),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sit_under_the_owner() {
        let (u, m) = (Uuid::nil(), Uuid::max());
        assert_eq!(source_key(u, m, "jpg"), format!("uploads/{u}/{m}.jpg"));
        moji_storage::validate_key(&source_key(u, m, "webp")).unwrap();
    }
}
