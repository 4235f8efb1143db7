//! `GET /api/v1/chat/ws`: one WebSocket per signed-in person, for all their rooms.
//!
//! Each socket is one task that reads client frames, writes the events the hub queues for it
//! and pings the peer. It remembers the last seq it wrote per room, so it never writes a seq
//! twice or out of order, and reads any gap from PostgreSQL before writing past it.

use std::{
    collections::HashMap,
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use actix_http::ws::{self, CloseCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_common::ErrorCode;
use serde::Deserialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{
    error::{ChatError, ChatResult},
    frames,
    hub::{CloseReason, Closer, Membership, RoomEvent, SocketHandle},
    metrics, ChatState,
};

/// The subprotocol the server selects; clients offer it with `bearer.<token>`.
pub const SUBPROTOCOL: &str = "moji.v1";
/// Prefix of the subprotocol that carries the access token.
const TOKEN_PROTOCOL_PREFIX: &str = "bearer.";
/// Rows per read when replaying after `resume` or filling a gap.
const REPLAY_BATCH: i64 = 500;
/// `typing` frames of one socket in one room are passed on at most this often.
const TYPING_INTERVAL: Duration = Duration::from_secs(2);
/// Longest wait for a close frame to get through to a peer that does not read.
const CLOSE_WAIT: Duration = Duration::from_secs(30);
/// Most queued events written with one flush.
const BATCH_EVENTS: usize = 64;
/// Bytes fed before a batch is flushed early.
const BATCH_BYTES: usize = 32 * 1024;
/// Longest wait for the peer's answer to our close frame.
const CLOSE_ANSWER_WAIT: Duration = Duration::from_secs(2);

mod frames_in;
pub mod upgrade;
mod wire;

/// `?access_token=` (browsers cannot set headers on a WebSocket).
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub access_token: Option<String>,
}

/// `GET /api/v1/chat/ws` without an upgrade (upgrades never reach the app: see [`upgrade`]):
/// 401 without a valid token, else 400.
#[get("/api/v1/chat/ws")]
pub async fn connect(req: HttpRequest, state: web::Data<ChatState>) -> ChatResult<HttpResponse> {
    upgrade::authenticate(&state, req.headers(), req.query_string()).await?;
    let why = ws::handshake(req.head())
        .err()
        .map_or_else(|| "not a WebSocket upgrade".to_owned(), |e| e.to_string());
    Err(ChatError::BadRequest(why))
}

/// Why the socket's loop ended.
enum End {
    /// The peer closed or vanished: nothing more to write.
    Gone,
    /// Close with this code and reason.
    Close(CloseCode, &'static str),
}

struct Socket {
    /// Shared, not cloned: an idle socket should cost as little as possible.
    state: Arc<ChatState>,
    id: u64,
    who: AuthUser,
    username: String,
    wire: wire::Wire,
    closer: Arc<Closer>,
    /// The last seq written per room the socket follows.
    written: HashMap<Uuid, i64>,
    typing_sent: HashMap<Uuid, Instant>,
    /// Writing a batch: frames are fed and flushed together at its end.
    batching: bool,
}

impl Socket {
    fn new(
        state: Arc<ChatState>,
        who: AuthUser,
        username: String,
        wire: wire::Wire,
        rooms: Vec<(Uuid, i64)>,
    ) -> Self {
        let id = state.next_socket.fetch_add(1, Ordering::Relaxed);
        Self {
            state,
            id,
            who,
            username,
            wire,
            closer: Arc::default(),
            written: rooms.into_iter().collect(),
            typing_sent: HashMap::new(),
            batching: false,
        }
    }

    async fn run(mut self) {
        let settings = self.state.settings.chat.clone();
        let (queue, mut events) = mpsc::channel::<Arc<RoomEvent>>(settings.outbound_queue);
        self.state.hub.register(
            SocketHandle {
                id: self.id,
                user_id: self.who.user_id,
                token_id: self.who.token_id,
                session_id: self.who.session_id,
                queue,
                closer: self.closer.clone(),
            },
            self.written
                .iter()
                .map(|(room, seq)| (*room, *seq))
                .collect(),
        );
        metrics::SOCKETS.inc();
        // Events stored between the first read of the rooms and the registration were not
        // routed here: read the positions again, now that everything newer will be.
        let mut end = self.settle().await.err();
        let ready = frames::ready(&self.username, &self.written);
        if end.is_none() {
            end = self.write(ready, "ready").await.err();
        }
        let mut heartbeat = tokio::time::interval(Duration::from_secs(settings.heartbeat_secs));
        heartbeat.tick().await;
        let idle = Duration::from_secs(settings.idle_timeout_secs);
        let mut heard = Instant::now();
        let shutdown = self.state.shutdown.clone();
        let closer = self.closer.clone();
        // Live events wait for the client's first frame (normally `resume`) or a short while:
        // a reconnecting client's replay must come before anything newer, or it would see
        // seqs out of order.
        let hold = tokio::time::sleep(Duration::from_millis(settings.resume_wait_ms));
        tokio::pin!(hold);
        let mut holding = true;
        while end.is_none() {
            let step = tokio::select! {
                biased;
                reason = closer.closed() => Err(close_for(reason)),
                () = shutdown.cancelled() => Err(End::Close(CloseCode::Restart, "server restarting")),
                () = &mut hold, if holding => {
                    holding = false;
                    Ok(())
                }
                event = events.recv(), if !holding => match event {
                    // Boxed: the replay inside is large and rarely runs; an idle socket's
                    // task should not carry its space.
                    Some(event) => Box::pin(self.write_events(event, &mut events)).await,
                    None => Err(End::Gone),
                },
                message = self.wire.next() => {
                    heard = Instant::now();
                    holding = false;
                    Box::pin(self.on_message(message)).await
                }
                _ = heartbeat.tick() => {
                    if heard.elapsed() > idle {
                        Err(End::Close(CloseCode::Away, "no answer to pings"))
                    } else {
                        self.wire.send(ws::Message::Ping(bytes::Bytes::new())).await.map_err(|_| End::Gone)
                    }
                }
            };
            if let Err(e) = step {
                end = Some(e);
            }
        }
        self.state.hub.unregister(self.id);
        metrics::SOCKETS.dec();
        if let Some(End::Close(code, description)) = end {
            let reason = ws::CloseReason {
                code,
                description: Some(description.to_owned()),
            };
            // A peer that stopped reading may never take the close frame: bounded wait. Then
            // a short one for its answer, so the connection ends with the close handshake.
            let wire = &mut self.wire;
            let closing = async move {
                if wire.send(ws::Message::Close(Some(reason))).await.is_ok() {
                    let _ =
                        tokio::time::timeout(CLOSE_ANSWER_WAIT, wire.drain_until_closed()).await;
                }
            };
            let _ = tokio::time::timeout(CLOSE_WAIT, closing).await;
        }
    }

    /// Re-reads the person's rooms after registration: rooms joined meanwhile are followed
    /// too, and every position moves to the latest stored seq (the start of live delivery).
    async fn settle(&mut self) -> Result<(), End> {
        let user = self.who.user_id;
        let rooms = self
            .state
            .db
            .run(move |c| moji_db::chat::rooms_of(c, user))
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "reading rooms after registration failed");
                End::Close(CloseCode::Error, "try again")
            })?;
        let joined: Vec<(Uuid, i64)> = rooms
            .iter()
            .filter(|(room, _)| !self.written.contains_key(room))
            .copied()
            .collect();
        if !joined.is_empty() {
            self.state.hub.follow(self.id, joined);
        }
        self.written = rooms.into_iter().collect();
        Ok(())
    }

    /// Writes one frame, giving up when the socket is asked to close meanwhile (a peer that
    /// does not read would otherwise hold this task forever).
    async fn write(&mut self, text: String, kind: &'static str) -> Result<(), End> {
        let message = ws::Message::Text(text.into());
        if self.batching && self.wire.pending() < BATCH_BYTES {
            self.wire.feed(message).map_err(|_| End::Gone)?;
            metrics::frame("out", kind);
            return Ok(());
        }
        let closer = self.closer.clone();
        let shutdown = self.state.shutdown.clone();
        tokio::select! {
            biased;
            reason = closer.closed() => Err(close_for(reason)),
            () = shutdown.cancelled() => Err(End::Close(CloseCode::Restart, "server restarting")),
            written = self.wire.send(message) => {
                metrics::frame("out", kind);
                written.map_err(|_| End::Gone)
            }
        }
    }

    /// Writes what was fed, giving up when the socket is asked to close meanwhile.
    async fn flush(&mut self) -> Result<(), End> {
        let closer = self.closer.clone();
        let shutdown = self.state.shutdown.clone();
        tokio::select! {
            biased;
            reason = closer.closed() => Err(close_for(reason)),
            () = shutdown.cancelled() => Err(End::Close(CloseCode::Restart, "server restarting")),
            written = self.wire.flush() => written.map_err(|_| End::Gone),
        }
    }

    /// Writes `first` and up to [`BATCH_EVENTS`] already queued after it with one flush: under
    /// load a socket makes one write per batch instead of one per frame.
    async fn write_events(
        &mut self,
        first: Arc<RoomEvent>,
        events: &mut mpsc::Receiver<Arc<RoomEvent>>,
    ) -> Result<(), End> {
        self.batching = true;
        let mut written = self.write_event(&first).await;
        let mut taken = 1;
        while written.is_ok() && taken < BATCH_EVENTS {
            let Ok(next) = events.try_recv() else { break };
            written = self.write_event(&next).await;
            taken += 1;
        }
        self.batching = false;
        written?;
        self.flush().await
    }

    /// Writes a room event in order: skips what was written, fills a gap from PostgreSQL.
    async fn write_event(&mut self, event: &RoomEvent) -> Result<(), End> {
        let room = event.room_id;
        let Some(seq) = event.seq else {
            if self.written.contains_key(&room) {
                return self.write(event.text.clone(), event.kind).await;
            }
            return Ok(());
        };
        let last = *self.written.entry(room).or_insert(seq - 1);
        if seq <= last {
            return Ok(());
        }
        if seq > last + 1 {
            metrics::GAP_FILLS.inc();
            self.replay(room, last, Some(seq - 1)).await?;
        }
        if self.written.get(&room).is_some_and(|w| *w >= seq) {
            return Ok(());
        }
        self.write(event.text.clone(), event.kind).await?;
        observe_fanout(event.stored_at);
        self.written.insert(room, seq);
        if event.membership == Some(Membership::Left(self.who.user_id)) {
            self.written.remove(&room);
        }
        Ok(())
    }

    /// Writes the room's stored events after `after` (up to `until`), reading PostgreSQL in
    /// batches.
    async fn replay(&mut self, room: Uuid, after: i64, until: Option<i64>) -> Result<(), End> {
        let mut position = after;
        loop {
            let from = position;
            let batch = self
                .state
                .db
                .run(move |c| moji_db::chat::events_after(c, room, from, REPLAY_BATCH))
                .await;
            let batch = match batch {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(%room, error = %e, "reading room history failed");
                    let frame = frames::error(
                        ErrorCode::ServiceUnavailable,
                        "history is unavailable; resume again shortly",
                        Some(&room.to_string()),
                    );
                    return self.write(frame, "error").await;
                }
            };
            let full = batch.len() as i64 == REPLAY_BATCH;
            for stored in batch {
                if until.is_some_and(|u| stored.seq > u) {
                    return Ok(());
                }
                let event = RoomEvent::stored(&stored);
                self.write(event.text, event.kind).await?;
                position = stored.seq;
                self.written.insert(room, position);
                if event.membership == Some(Membership::Left(self.who.user_id)) {
                    self.written.remove(&room);
                    return Ok(());
                }
            }
            if !full {
                return Ok(());
            }
        }
    }
}

fn close_for(reason: CloseReason) -> End {
    match reason {
        CloseReason::Slow => End::Close(CloseCode::Again, "too slow: reconnect and resume"),
        CloseReason::Revoked => End::Close(CloseCode::Policy, "revoked"),
        CloseReason::Restart => End::Close(CloseCode::Restart, "server restarting"),
    }
}

fn observe_fanout(stored_at: chrono::DateTime<chrono::Utc>) {
    let elapsed = chrono::Utc::now() - stored_at;
    if let Ok(elapsed) = elapsed.to_std() {
        metrics::FANOUT.observe(elapsed.as_secs_f64());
    }
}
