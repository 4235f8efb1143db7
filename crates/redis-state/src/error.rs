//! The crate's error type.

use moji_common::TaskStatus;
use uuid::Uuid;

/// Everything that can go wrong talking to the Redis state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Redis is unreachable or answered with an error.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The task state machine does not allow this move (nothing was changed or published).
    #[error("illegal task transition {from} -> {to}")]
    IllegalTransition {
        /// The status the task is in.
        from: TaskStatus,
        /// The status that was asked for.
        to: TaskStatus,
    },
    /// No task record with this id (never created, or expired).
    #[error("task {0} not found")]
    TaskNotFound(Uuid),
    /// A task record with this id already exists.
    #[error("task {0} already exists")]
    TaskExists(Uuid),
    /// Redis did not answer in time (a dead or half-open connection).
    #[error("redis did not answer: {0}")]
    Timeout(String),
    /// Something stored in Redis does not parse.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// The caller passed a value this crate refuses (zero TTL or window, progress over 100, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}
