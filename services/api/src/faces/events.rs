//! Server-Sent Events of a task: its current state, then every change until the final one.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::Stream;
use moji_auth::AuthUser;
use moji_redis::TaskEvent;
use serde_json::Value;
use uuid::Uuid;

use super::tasks::{decorate, owned_row, view, TaskErrorView, TaskView};
use crate::{error::ApiResult, http::sse::task_stream, state::AppState};

async fn event_view(state: &AppState, base: &TaskView, ev: &TaskEvent) -> Value {
    let mut view = base.clone();
    view.status = ev.status;
    view.progress = ev.progress;
    view.step = ev.step.clone();
    view.updated_at = ev.at;
    if let Some(result) = ev.result.clone() {
        view.result = Some(decorate(state, result.clone()).await.unwrap_or(result));
    }
    if let Some(e) = &ev.error {
        view.error = Some(TaskErrorView {
            code: e.code.as_str().to_owned(),
            detail: e.detail.clone(),
        });
    }
    serde_json::to_value(&view).unwrap_or(Value::Null)
}

/// A Server-Sent Events stream of every status/progress change, starting with the current
/// state and closing after the final one (immediately, when the task already finished).
pub async fn events(
    state: AppState,
    who: &AuthUser,
    id: Uuid,
) -> ApiResult<impl Stream<Item = Result<Bytes, Infallible>> + 'static> {
    let row = owned_row(&state, who, id).await?;
    // Subscribe before reading the live state (in `view`), so no change falls between the two.
    let changes = state.redis.subscribe_task_events(id).await?;
    let current = view(&state, &row).await?;
    let first = serde_json::to_value(&current).unwrap_or(Value::Null);
    let (is_final, since) = (current.status.is_final(), current.updated_at);
    Ok(task_stream(first, is_final, since, changes, move |ev| {
        let (state, current) = (state.clone(), current.clone());
        async move { event_view(&state, &current, &ev).await }
    }))
}
