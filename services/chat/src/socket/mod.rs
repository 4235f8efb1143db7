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

use actix_web::{
    get,
    http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL},
    web, HttpRequest, HttpResponse,
};
use actix_ws::{CloseCode, Session};
use futures_util::StreamExt;
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

mod frames_in;

/// `?access_token=` (browsers cannot set headers on a WebSocket).
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    access_token: Option<String>,
}

/// The token from the query string or the `bearer.<token>` subprotocol, and whether the
/// subprotocol was used (then the server must select one).
fn token_of(req: &HttpRequest, query: TokenQuery) -> (Option<String>, bool) {
    let offered = req
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| p.strip_prefix(TOKEN_PROTOCOL_PREFIX))
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    match offered {
        Some(token) => (Some(token), true),
        None => (
            query.access_token.or_else(|| moji_auth::bearer_token(req)),
            false,
        ),
    }
}

/// Opens the caller's socket.
#[get("/api/v1/chat/ws")]
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<ChatState>,
    query: web::Query<TokenQuery>,
) -> ChatResult<HttpResponse> {
    let (token, via_protocol) = token_of(&req, query.into_inner());
    let token = token.ok_or(moji_auth::AuthError::MissingToken)?;
    let who: AuthUser = state.auth.authenticate(&token).await?.into();
    let user_id = who.user_id;
    let (username, rooms) = state
        .db
        .run(move |c| {
            let user = moji_db::users::by_id(c, user_id)?;
            Ok((user.username, moji_db::chat::rooms_of(c, user_id)?))
        })
        .await
        .map_err(|e| match e {
            // The account was deleted after the token was minted.
            moji_db::DbError::NotFound => ChatError::Auth(moji_auth::AuthError::Revoked),
            other => other.into(),
        })?;
    let (mut response, session, stream) =
        actix_ws::handle(&req, body).map_err(|e| ChatError::BadRequest(e.to_string()))?;
    if via_protocol {
        response.headers_mut().insert(
            SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(SUBPROTOCOL),
        );
    }
    let max = state.settings.chat.max_frame_bytes;
    let stream = stream
        .max_frame_size(max)
        .aggregate_continuations()
        .max_continuation_size(max);
    let socket = Socket::new(state.into_inner(), who, username, session, rooms);
    actix_web::rt::spawn(socket.run(stream));
    Ok(response)
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
    session: Session,
    closer: Arc<Closer>,
    /// The last seq written per room the socket follows.
    written: HashMap<Uuid, i64>,
    typing_sent: HashMap<Uuid, Instant>,
}

impl Socket {
    fn new(
        state: Arc<ChatState>,
        who: AuthUser,
        username: String,
        session: Session,
        rooms: Vec<(Uuid, i64)>,
    ) -> Self {
        let id = state.next_socket.fetch_add(1, Ordering::Relaxed);
        Self {
            state,
            id,
            who,
            username,
            session,
            closer: Arc::default(),
            written: rooms.into_iter().collect(),
            typing_sent: HashMap::new(),
        }
    }

    async fn run(mut self, mut stream: actix_ws::AggregatedMessageStream) {
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
                    Some(event) => Box::pin(self.write_event(&event)).await,
                    None => Err(End::Gone),
                },
                message = stream.next() => {
                    heard = Instant::now();
                    holding = false;
                    Box::pin(self.on_message(message)).await
                }
                _ = heartbeat.tick() => {
                    if heard.elapsed() > idle {
                        Err(End::Close(CloseCode::Away, "no answer to pings"))
                    } else {
                        self.session.ping(b"").await.map_err(|_| End::Gone)
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
            let reason = actix_ws::CloseReason {
                code,
                description: Some(description.to_owned()),
            };
            // A peer that stopped reading may never take the close frame: bounded wait.
            let _ = tokio::time::timeout(CLOSE_WAIT, self.session.close(Some(reason))).await;
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
        let closer = self.closer.clone();
        let shutdown = self.state.shutdown.clone();
        tokio::select! {
            biased;
            reason = closer.closed() => Err(close_for(reason)),
            () = shutdown.cancelled() => Err(End::Close(CloseCode::Restart, "server restarting")),
            written = self.session.text(text) => {
                metrics::frame("out", kind);
                written.map_err(|_| End::Gone)
            }
        }
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
