//! The periodic sweep, on every api replica (rows are claimed with SKIP LOCKED, so replicas
//! share the work): images stuck in processing past `media.processing_timeout_secs` fail
//! (and their posts with them), and uploads nothing refers to — never used for
//! `media.orphan_after_secs`, or released by a deleted post — are deleted with their files.

use std::time::Duration;

use chrono::Utc;
use moji_db::media;
use tokio_util::sync::CancellationToken;

use super::processed::{record, ProcessedOutcome};
use crate::{error::ApiError, state::AppState};

/// Uploads deleted per batch.
const BATCH: i64 = 200;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Images failed for taking too long.
    pub timed_out: usize,
    /// Uploads deleted.
    pub deleted: usize,
}

/// One sweep.
pub async fn sweep_once(state: &AppState) -> Result<Swept, ApiError> {
    let mut swept = Swept::default();
    let m = &state.settings.media;
    let stuck_cutoff = Utc::now() - chrono::Duration::seconds(m.processing_timeout_secs as i64);
    let stuck = state
        .db
        .run(move |c| media::stuck(c, stuck_cutoff, BATCH))
        .await?;
    for id in stuck {
        let why = format!(
            "processing did not finish within {} s",
            m.processing_timeout_secs
        );
        record(state, id, ProcessedOutcome::Failed(why)).await?;
        swept.timed_out += 1;
    }
    let orphan_cutoff = Utc::now() - chrono::Duration::seconds(m.orphan_after_secs as i64);
    loop {
        let gone = state
            .db
            .run(move |c| media::sweep(c, orphan_cutoff, BATCH))
            .await?;
        let n = gone.len();
        for row in gone {
            let (display, thumbnail) = super::service::derived_keys(&row);
            for key in [row.source_key, display, thumbnail] {
                // The row is gone; a file left behind is only storage, and logged.
                if let Err(e) = state.storage.delete(&key).await {
                    tracing::warn!(%key, error = %e, "could not delete a swept upload's file");
                }
            }
        }
        swept.deleted += n;
        if (n as i64) < BATCH {
            break;
        }
    }
    if swept != Swept::default() {
        tracing::info!(
            timed_out = swept.timed_out,
            deleted = swept.deleted,
            "uploads swept"
        );
    }
    Ok(swept)
}

/// Sweeps every `media.sweep_interval_secs` until `shutdown`.
pub fn spawn(state: &AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    let every = Duration::from_secs(state.settings.media.sweep_interval_secs);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
            if let Err(e) = sweep_once(&state).await {
                tracing::warn!(error = %e, "upload sweep failed");
            }
        }
    })
}
