//! `media.processed` from the inference worker: records the image's outcome and settles its
//! post or product (published, with `content.created` queued in the same transaction, or
//! failed).

use moji_common::messages::{MediaOutcome, MediaProcessedV1};
use moji_db::{
    media::{self, Processed, Settled},
    DbError,
};
use moji_mq::{Incoming, Outcome};
use uuid::Uuid;

use super::service::derived_keys;
use crate::{events::content, state::AppState};

/// An outcome in the api's terms.
#[derive(Debug, Clone)]
pub enum ProcessedOutcome {
    /// Stored, with the display size.
    Ready {
        /// Width.
        width: i32,
        /// Height.
        height: i32,
    },
    /// Cannot be shown, with the reason.
    Failed(String),
}

/// Records an outcome and announces the posts it published; returns those settled.
pub async fn record(
    state: &AppState,
    media_id: Uuid,
    outcome: ProcessedOutcome,
) -> Result<Vec<Settled>, DbError> {
    let settled = state
        .db
        .run(move |c| {
            let processed = match outcome {
                ProcessedOutcome::Ready { width, height } => {
                    let (display_key, thumbnail_key) = derived_keys(&media::by_id(c, media_id)?);
                    Processed::Ready {
                        display_key,
                        thumbnail_key,
                        size: (width, height),
                    }
                }
                ProcessedOutcome::Failed(why) => Processed::Failed(why),
            };
            media::record(c, media_id, &processed, content::published)
        })
        .await?;
    if !settled.is_empty() {
        state.outbox.poke();
    }
    Ok(settled)
}

/// Handles one `media.processed` delivery.
pub async fn on_processed(state: &AppState, msg: Incoming<MediaProcessedV1>) -> Outcome {
    let p = msg.envelope.payload;
    let outcome = match p.outcome {
        MediaOutcome::Ready { width, height } => ProcessedOutcome::Ready {
            width: i32::try_from(width).unwrap_or(i32::MAX),
            height: i32::try_from(height).unwrap_or(i32::MAX),
        },
        MediaOutcome::Failed { detail, .. } => ProcessedOutcome::Failed(detail),
    };
    match record(state, p.media_id, outcome).await {
        Ok(settled) => {
            for s in settled {
                tracing::info!(owner = ?s.owner, status = %s.status, "settled by its images");
            }
            Outcome::Ack
        }
        // The upload (and its post) were deleted meanwhile: nothing to record.
        Err(DbError::NotFound) => Outcome::Ack,
        Err(e) => {
            tracing::warn!(media_id = %p.media_id, error = %e, "media outcome not recorded; will retry");
            Outcome::Retry
        }
    }
}
