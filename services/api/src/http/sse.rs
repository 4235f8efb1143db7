//! Server-Sent Events of a task: its current state, then every change until the final one.
//! Faces and date courses differ only in how they render a state, which they pass in.

use std::{convert::Infallible, future::Future, time::Duration};

use actix_web::{http::header, HttpRequest, HttpResponse};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use moji_auth::AuthUser;
use moji_redis::TaskEvent;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::{error::ApiResult, state::AppState};

/// Token for clients that cannot set headers (browsers' `EventSource`).
#[derive(Debug, Deserialize, IntoParams)]
pub struct StreamAuth {
    /// An access token, when no `Authorization` header is sent.
    pub access_token: Option<String>,
}

impl StreamAuth {
    /// The caller of an event stream: the bearer header, else `?access_token=`; 401 with neither.
    pub async fn user(self, state: &AppState, req: &HttpRequest) -> ApiResult<AuthUser> {
        let token = moji_auth::bearer_token(req)
            .or(self.access_token)
            .ok_or(moji_auth::AuthError::MissingToken)?;
        Ok(state.auth.authenticate(&token).await?.into())
    }
}

/// A `text/event-stream` response of `stream`, unbuffered by proxies.
pub fn response<S>(stream: S) -> HttpResponse
where
    S: Stream<Item = Result<Bytes, Infallible>> + 'static,
{
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Tells nginx not to buffer this response.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream)
}

/// How often an idle event stream sends a comment so proxies keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Longest an event stream stays open.
const STREAM_LIMIT: Duration = Duration::from_secs(15 * 60);

fn sse_frame(seq: u64, name: &str, view: &Value) -> Bytes {
    Bytes::from(format!("id: {seq}\nevent: {name}\ndata: {view}\n\n"))
}

/// The `event: task` frames: `first` (the state when the client subscribed, as of `since`),
/// then `render(event)` for every later change from `changes`, closing after a final one
/// (at once when `first_final`). `changes` must be subscribed before `first` was read, so no
/// change falls between them.
pub fn task_stream<C, R, F>(
    first: Value,
    first_final: bool,
    since: DateTime<Utc>,
    changes: C,
    render: R,
) -> impl Stream<Item = Result<Bytes, Infallible>> + 'static
where
    C: Stream<Item = TaskEvent> + Send + 'static,
    R: Fn(TaskEvent) -> F + Send + 'static,
    F: Future<Output = Value> + Send,
{
    named_stream(first, first_final, since, changes, render, |_| "task")
}

/// [`task_stream`] whose frames are named by `name(view)` instead of `task`.
pub fn named_stream<C, R, F>(
    first: Value,
    first_final: bool,
    since: DateTime<Utc>,
    changes: C,
    render: R,
    name: fn(&Value) -> &'static str,
) -> impl Stream<Item = Result<Bytes, Infallible>> + 'static
where
    C: Stream<Item = TaskEvent> + Send + 'static,
    R: Fn(TaskEvent) -> F + Send + 'static,
    F: Future<Output = Value> + Send,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        let mut changes = Box::pin(changes);
        let mut seq = 0u64;
        if tx.send(sse_frame(seq, name(&first), &first)).await.is_err() || first_final {
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
                    if ev.at < since && !ev.status.is_final() {
                        continue;
                    }
                    seq += 1;
                    let is_final = ev.status.is_final();
                    let view = render(ev).await;
                    if tx.send(sse_frame(seq, name(&view), &view)).await.is_err() || is_final {
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
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
}
