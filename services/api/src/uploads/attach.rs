//! Checking the uploads a post (product, avatar) refers to, and the work that makes them
//! displayable.

use moji_auth::AuthUser;
use moji_common::messages::MediaProcessV1;
use moji_db::{
    media::{self, MediaRow},
    outbox::{Exchange, Message},
};
use moji_media::{Limits, MediaError};
use moji_telemetry::FieldError;

use super::service::derived_keys;
use crate::{
    error::{validated, ApiError, ApiResult},
    events::message,
    state::AppState,
};

/// Most images on a post or product.
pub const MAX_IMAGES: usize = 10;

/// Checks each key in `keys` (field `field[i]`): an upload of the caller's, not used by
/// anything yet, uploaded completely (stored size = declared size) and an image by the same
/// check as face photos (magic bytes, header dimensions, completeness). Returns the uploads
/// in the order given; every problem is a 422 field error.
pub async fn check(
    state: &AppState,
    who: &AuthUser,
    field: &str,
    keys: &[String],
) -> ApiResult<Vec<MediaRow>> {
    if keys.len() > MAX_IMAGES {
        return Err(ApiError::Validation(vec![FieldError::new(
            field,
            format!("at most {MAX_IMAGES} images"),
        )]));
    }
    let mut errors = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if keys[..i].contains(key) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "the same image twice",
            ));
        }
    }
    validated(errors)?;
    checked(state, who, keys, |i| format!("{field}[{i}]")).await
}

/// [`check`] of a field that holds one key (an avatar): errors name the field itself.
pub async fn check_one(
    state: &AppState,
    who: &AuthUser,
    field: &str,
    key: String,
) -> ApiResult<MediaRow> {
    checked(state, who, &[key], |_| field.to_owned())
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("a checked upload vanished".into()))
}

/// The checks of each upload in `keys`, whose problems go to the field `name(i)`.
async fn checked(
    state: &AppState,
    who: &AuthUser,
    keys: &[String],
    name: impl Fn(usize) -> String,
) -> ApiResult<Vec<MediaRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = keys.to_vec();
    let rows = state.db.run(move |c| media::by_keys(c, &wanted)).await?;
    let limits = Limits::new(
        state.settings.media.max_upload_bytes,
        state.settings.media.max_upload_pixels,
    );
    let mut found = Vec::with_capacity(keys.len());
    let mut errors = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let name = name(i);
        let Some(row) = rows.iter().find(|r| &r.source_key == key) else {
            errors.push(FieldError::new(
                name,
                "no such upload; ask POST /uploads for one",
            ));
            continue;
        };
        if row.owner_id != who.user_id {
            errors.push(FieldError::new(name, "not your upload"));
            continue;
        }
        if row.status != "issued" || row.attached_at.is_some() {
            errors.push(FieldError::new(name, "this upload is already used"));
            continue;
        }
        match check_object(state, row, limits).await {
            Ok(()) => found.push(row.clone()),
            Err(Problem::Field(why)) => errors.push(FieldError::new(name, why)),
            Err(Problem::Api(e)) => return Err(e),
        }
    }
    validated(errors)?;
    Ok(found)
}

enum Problem {
    Field(String),
    Api(ApiError),
}

impl From<ApiError> for Problem {
    fn from(e: ApiError) -> Self {
        Problem::Api(e)
    }
}

async fn check_object(state: &AppState, row: &MediaRow, limits: Limits) -> Result<(), Problem> {
    let bytes = match state.storage.get(&row.source_key).await {
        Ok(b) => b,
        Err(moji_storage::StorageError::NotFound(_)) => {
            return Err(Problem::Field(
                "nothing was uploaded to this key (PUT the file to its upload_url first)".into(),
            ))
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    if bytes.len() as i64 != row.bytes {
        return Err(Problem::Field(format!(
            "the upload has {} bytes, not the {} announced",
            bytes.len(),
            row.bytes
        )));
    }
    // Header parsing and the completeness scan are CPU work: off the async executor.
    let checked = tokio::task::spawn_blocking(move || moji_media::check_upload(&bytes, &limits))
        .await
        .map_err(|e| ApiError::Internal(format!("image check panicked: {e}")))?;
    checked.map(drop).map_err(|e| {
        Problem::Field(match e {
            MediaError::TooLarge { bytes, limit } => {
                format!("the image is {bytes} bytes; the limit is {limit}")
            }
            MediaError::TooManyPixels {
                width,
                height,
                limit,
            } => format!("the image is {width}x{height} pixels; the limit is {limit} pixels"),
            MediaError::UnsupportedFormat => "not a JPEG, PNG or WebP image".into(),
            MediaError::Corrupt(why) => format!("the image is damaged: {why}"),
            MediaError::Truncated(why) => {
                format!("the image is truncated (the upload may have been cut off): {why}")
            }
        })
    })
}

/// `media.process` for each upload, to be queued with the change that attaches them.
pub fn process_messages(rows: &[MediaRow]) -> Vec<Message> {
    rows.iter()
        .map(|row| {
            let (display_key, thumbnail_key) = derived_keys(row);
            message(
                Exchange::Tasks,
                row.id,
                MediaProcessV1 {
                    media_id: row.id,
                    user_id: row.owner_id,
                    source_key: row.source_key.clone(),
                    display_key,
                    thumbnail_key,
                },
            )
        })
        .collect()
}
