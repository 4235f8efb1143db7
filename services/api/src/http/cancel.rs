//! The steps every task cancel shares (faces, date courses): the live Redis record first, then
//! the row, with one meaning of "already finished".

use moji_common::{ErrorCode, TaskStatus};
use moji_redis::{StateError, TaskChange};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// 409: the task already reached `status`.
fn already(status: TaskStatus) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::Conflict,
        detail: format!("the task is already {status}"),
    }
}

/// Moves the live record to `cancelled` (workers see it); fine when Redis lost it, 409 when
/// it is final.
pub async fn cancel_live(state: &AppState, id: Uuid) -> ApiResult<()> {
    match state
        .redis
        .transition(id, TaskStatus::Cancelled, TaskChange::default())
        .await
    {
        Ok(_) | Err(StateError::TaskNotFound(_)) => Ok(()),
        Err(StateError::IllegalTransition { from, .. }) => Err(already(from)),
        Err(e) => Err(e.into()),
    }
}

/// When the row was already final: only a cancel that raced ours counts as success.
pub fn raced_cancel(status: TaskStatus) -> ApiResult<()> {
    if status == TaskStatus::Cancelled {
        Ok(())
    } else {
        Err(already(status))
    }
}
