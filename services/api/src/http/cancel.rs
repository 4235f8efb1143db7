//! The steps every task shares (faces, date courses): making the live Redis record after
//! acceptance, and a cancel (the live record first, then the row, with one meaning of "already
//! finished").

use std::time::Duration;

use moji_common::{ErrorCode, TaskStatus};
use moji_redis::{NewTask, StateError, TaskChange};
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

/// Makes the live record of a task just accepted (row and message committed), so progress shows
/// at once. Best effort: the worker makes it if this fails (Redis down or paused), and until
/// then a read shows the row, so the client's 202 stands either way.
pub async fn open_live(state: &AppState, task: &NewTask, ttl: Duration) {
    match state.redis.create_task(task, ttl).await {
        // The worker got there first.
        Ok(_) | Err(StateError::TaskExists(_)) => {}
        Err(e) => tracing::warn!(
            task_id = %task.id,
            error = %e,
            "no live record for an accepted task yet; its worker will make one"
        ),
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
