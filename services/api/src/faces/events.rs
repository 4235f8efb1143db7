//! Server-Sent Events of a task: its current state, then every change until the final one.

use std::{convert::Infallible, time::Duration};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use moji_auth::AuthUser;
use moji_redis::TaskEvent;
use serde_json::Value;
use uuid::Uuid;

use super::tasks::{decorate, owned_row, view, TaskErrorView, TaskView};
use crate::{error::ApiResult, state::AppState};

/// How often an idle event stream sends a comment so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Longest an event stream stays open.
const STREAM_LIMIT: Duration = Duration::from_secs(15 * 60);

fn sse_frame(seq: u64, view: &Value) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: task\ndata: {view}\n\n"))
}

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
    let mut changes = Box::pin(state.redis.subscribe_task_events(id).await?);
    let current = view(&state, &row).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        let mut seq = 0u64;
        let first = serde_json::to_value(&current).unwrap_or(Value::Null);
        if tx.send(sse_frame(seq, &first)).await.is_err() || current.status.is_final() {
            return;
        }
        let deadline = tokio::time::Instant::now() + STREAM_LIMIT;
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                ev = changes.next() => {
                    let Some(ev) = ev else { break };
                    // Events older than the snapshot were already covered by it.
                    if ev.at < current.updated_at && !ev.status.is_final() {
                        continue;
                    }
                    seq += 1;
                    let view = event_view(&state, &current, &ev).await;
                    if tx.send(sse_frame(seq, &view)).await.is_err() || ev.status.is_final() {
                        break;
                    }
                }
                _ = heartbeat.tick() => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        break;
                    }
                }
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
    });
    Ok(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok(b), rx))
    }))
}
