//! Recording what the inference worker reports for datasets: a success makes the set ready,
//! a failure gives its images back; each once. A set cancelled meanwhile keeps nothing.

use moji_common::{
    dataset::DatasetResult,
    messages::{TaskFailedV1, TaskSucceededV1},
};
use moji_db::datasets::{self, Files, Recorded};
use moji_mq::Outcome;

use crate::state::AppState;

/// Makes a set ready once; removes its files when it was cancelled in the meantime.
pub async fn on_succeeded(state: &AppState, p: TaskSucceededV1) -> Outcome {
    let made: DatasetResult = match serde_json::from_value(p.result.clone()) {
        Ok(made) => made,
        Err(why) => {
            tracing::error!(dataset_id = %p.task_id, %why, "undecodable dataset result; dead-lettering");
            return Outcome::DeadLetter;
        }
    };
    let files = Files {
        zip_key: made.zip_key.clone(),
        zip_bytes: i64::try_from(made.zip_bytes).unwrap_or(i64::MAX),
        preview_key: made.preview_key.clone(),
        result: p.result,
    };
    let id = p.task_id;
    match state
        .db
        .run(move |c| datasets::succeed(c, id, &files))
        .await
    {
        Ok(Recorded::Ready | Recorded::AlreadyReady) => {
            tracing::info!(dataset_id = %id, images = made.images, "dataset ready");
            Outcome::Ack
        }
        Ok(Recorded::Ended(status)) => {
            tracing::info!(dataset_id = %id, %status, "a dataset made after it ended; removing its files");
            for key in [made.zip_key, made.preview_key] {
                if let Err(e) = state.storage.delete(&key).await {
                    tracing::warn!(%key, error = %e, "could not remove a file; will retry");
                    return Outcome::Retry;
                }
            }
            Outcome::Ack
        }
        Err(moji_db::DbError::NotFound) => {
            // Deleted by its owner while it was made.
            for key in [made.zip_key, made.preview_key] {
                let _ = state.storage.delete(&key).await;
            }
            Outcome::Ack
        }
        Err(e) => {
            tracing::warn!(dataset_id = %id, error = %e, "recording the dataset failed; will retry");
            Outcome::Retry
        }
    }
}

/// Records a failed set once, giving its images back.
pub async fn on_failed(state: &AppState, p: TaskFailedV1) -> Outcome {
    let (id, code, detail) = (p.task_id, p.code.as_str().to_owned(), p.detail);
    match state
        .db
        .run(move |c| datasets::fail(c, id, &code, &detail))
        .await
    {
        Ok(_) => Outcome::Ack,
        Err(e) => {
            tracing::warn!(dataset_id = %id, error = %e, "recording the failure failed; will retry");
            Outcome::Retry
        }
    }
}
