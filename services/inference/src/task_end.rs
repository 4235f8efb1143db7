//! How a face task ends: one type for the pipeline, the worker's steps and the settling of
//! the message.

use moji_common::ErrorCode;
use moji_redis::StateError;
use moji_storage::StorageError;

use crate::pool::PoolError;

/// How a task ends in the worker. Steps return it as their error (`Result<T, TaskEnd>`) to end
/// the task early, so there it is never `Succeeded`.
///
/// Not to be confused with [`moji_mq::Outcome`], how the message is settled: see
/// [`TaskEnd::settle`].
#[derive(Debug)]
pub enum TaskEnd {
    /// Finished with this result document.
    Succeeded(serde_json::Value),
    /// Finished with a permanent error: the task fails with this code and detail.
    Failed(ErrorCode, String),
    /// The owner cancelled it: nothing more is done or announced.
    Cancelled,
    /// Infrastructure trouble (Redis, storage, the broker, the vision pool): the message is
    /// requeued and the task tried again later. The text is for the log.
    Retry(String),
}

impl TaskEnd {
    /// The outcome label of the `moji_tasks_total` metric (one of [`crate::metrics::OUTCOMES`]).
    pub fn label(&self) -> &'static str {
        match self {
            TaskEnd::Succeeded(_) => "succeeded",
            TaskEnd::Failed(..) => "failed",
            TaskEnd::Cancelled => "cancelled",
            TaskEnd::Retry(_) => "retry",
        }
    }

    /// How to settle the message: every end but `Retry` is final, so it is acknowledged.
    pub fn settle(&self) -> moji_mq::Outcome {
        match self {
            TaskEnd::Retry(_) => moji_mq::Outcome::Retry,
            _ => moji_mq::Outcome::Ack,
        }
    }
}

impl From<StateError> for TaskEnd {
    fn from(e: StateError) -> Self {
        TaskEnd::Retry(format!("redis: {e}"))
    }
}

impl From<StorageError> for TaskEnd {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(key) => TaskEnd::Failed(
                ErrorCode::InvalidImage,
                format!("the uploaded photo {key} is gone"),
            ),
            other => TaskEnd::Retry(format!("storage: {other}")),
        }
    }
}

impl From<PoolError> for TaskEnd {
    fn from(e: PoolError) -> Self {
        TaskEnd::Retry(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_metric_outcomes_and_only_retry_requeues() {
        let ends = [
            TaskEnd::Succeeded(serde_json::Value::Null),
            TaskEnd::Failed(ErrorCode::Internal, String::new()),
            TaskEnd::Cancelled,
            TaskEnd::Retry(String::new()),
        ];
        let labels: Vec<&str> = ends.iter().map(TaskEnd::label).collect();
        assert_eq!(labels, crate::metrics::OUTCOMES);
        for end in &ends {
            let requeued = matches!(end.settle(), moji_mq::Outcome::Retry);
            assert_eq!(requeued, matches!(end, TaskEnd::Retry(_)), "{end:?}");
        }
    }

    #[test]
    fn a_missing_upload_fails_and_other_storage_trouble_retries() {
        assert!(matches!(
            TaskEnd::from(StorageError::NotFound("uploads/x".into())),
            TaskEnd::Failed(ErrorCode::InvalidImage, _)
        ));
        assert!(matches!(
            TaskEnd::from(PoolError::Stopped),
            TaskEnd::Retry(_)
        ));
    }
}
