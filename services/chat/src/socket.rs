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
use actix_ws::{AggregatedMessage, CloseCode, ProtocolError, Session};
use futures_util::StreamExt;
use moji_auth::AuthUser;
use moji_common::ErrorCode;
use moji_db::chat::Sent;
use serde::Deserialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{
    error::{ChatError, ChatResult},
    fanout, frames,
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
    /// The initial room positions, until registration.
    initial: Vec<(Uuid, i64)>,
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
            written: rooms.iter().copied().collect(),
            initial: rooms,
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
            std::mem::take(&mut self.initial),
        );
        metrics::SOCKETS.inc();
        // Events stored between the first read of the rooms and the registration were not
        // routed here: read the positions again, now that everything newer will be.
        let mut end = self.settle().await.err();
        let ready = {
            let rooms: Vec<(Uuid, i64)> = self.written.iter().map(|(k, v)| (*k, *v)).collect();
            frames::ready(&self.username, &rooms)
        };
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

    async fn on_message(
        &mut self,
        message: Option<Result<AggregatedMessage, ProtocolError>>,
    ) -> Result<(), End> {
        match message {
            None => Err(End::Gone),
            Some(Ok(AggregatedMessage::Text(text))) => self.on_frame(&text).await,
            Some(Ok(AggregatedMessage::Binary(_))) => {
                let frame = frames::error(ErrorCode::BadFrame, "frames are JSON text", None);
                self.write(frame, "error").await
            }
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                self.session.pong(&bytes).await.map_err(|_| End::Gone)
            }
            Some(Ok(AggregatedMessage::Pong(_))) => Ok(()),
            Some(Ok(AggregatedMessage::Close(_))) => Err(End::Gone),
            Some(Err(ProtocolError::Overflow)) => {
                Err(End::Close(CloseCode::Size, "frame too large"))
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket protocol error");
                Err(End::Close(CloseCode::Protocol, "protocol error"))
            }
        }
    }

    async fn on_frame(&mut self, text: &str) -> Result<(), End> {
        let frame = match frames::parse(text) {
            Ok(frame) => frame,
            Err(bad) => {
                metrics::frame("in", "bad");
                let reply =
                    frames::error(ErrorCode::BadFrame, &bad.message, bad.reference.as_deref());
                return self.write(reply, "error").await;
            }
        };
        metrics::frame("in", frame.kind());
        match frame {
            frames::ClientFrame::Send {
                room_id,
                client_msg_id,
                text,
                ..
            } => self.on_send(room_id, client_msg_id, text).await,
            frames::ClientFrame::Read { room_id, seq, .. } => self.on_read(room_id, seq).await,
            frames::ClientFrame::Typing { room_id, .. } => self.on_typing(room_id).await,
            frames::ClientFrame::Resume { rooms, .. } => self.on_resume(rooms).await,
            frames::ClientFrame::Ping { .. } => self.write(frames::pong(), "pong").await,
        }
    }

    async fn on_send(
        &mut self,
        room: Uuid,
        client_msg_id: String,
        text: String,
    ) -> Result<(), End> {
        let reference = Some(client_msg_id.as_str());
        if let Some(problem) = check_send(&client_msg_id, &text) {
            metrics::MESSAGES.with_label_values(&["rejected"]).inc();
            let reply = frames::error(ErrorCode::ValidationFailed, &problem, reference);
            return self.write(reply, "error").await;
        }
        match self.rate_limited().await {
            Ok(None) => {}
            Ok(Some(wait)) => {
                metrics::MESSAGES.with_label_values(&["rejected"]).inc();
                let message = format!(
                    "at most {} messages per {} s; try again in {wait} s",
                    self.state.settings.chat.send_limit, self.state.settings.chat.send_window_secs
                );
                let reply = frames::error(ErrorCode::RateLimited, &message, reference);
                return self.write(reply, "error").await;
            }
            Err(e) => return self.write_error(&e, reference).await,
        }
        let sender = self.who.user_id;
        let id = moji_common::new_id();
        let now = chrono::Utc::now();
        let cid = client_msg_id.clone();
        let sent = self
            .state
            .db
            .run(move |c| moji_db::chat::send(c, room, sender, &cid, &text, id, now))
            .await;
        match sent {
            Ok(Sent::Stored(mut stored)) => {
                metrics::MESSAGES.with_label_values(&["stored"]).inc();
                stored.username = Some(self.username.clone());
                let ack = frames::ack(&stored);
                fanout::announce_stored(&self.state, std::slice::from_ref(&stored));
                self.write(ack, "ack").await
            }
            Ok(Sent::Duplicate(stored)) => {
                metrics::MESSAGES.with_label_values(&["duplicate"]).inc();
                self.write(frames::ack(&stored), "ack").await
            }
            Ok(Sent::NotMember) => {
                metrics::MESSAGES.with_label_values(&["rejected"]).inc();
                let reply = frames::error(
                    ErrorCode::Forbidden,
                    "you are not a member of this room",
                    reference,
                );
                self.write(reply, "error").await
            }
            Err(e) => self.write_error(&e.into(), reference).await,
        }
    }

    /// `Some(seconds to wait)` when the person is over the send limit.
    async fn rate_limited(&self) -> Result<Option<u64>, ChatError> {
        let cfg = &self.state.settings.chat;
        let bucket = format!("chat-send:{}", self.who.user_id);
        let window = Duration::from_secs(cfg.send_window_secs);
        let count = self.state.redis.hit(&bucket, window).await?;
        Ok((count.count > u64::from(cfg.send_limit)).then(|| count.resets_in.as_secs().max(1)))
    }

    async fn on_read(&mut self, room: Uuid, seq: i64) -> Result<(), End> {
        let user = self.who.user_id;
        let marked = self
            .state
            .db
            .run(move |c| moji_db::chat::mark_read(c, room, user, seq))
            .await;
        match marked {
            Ok(Some(position)) => {
                let frame = frames::read(room, &self.username, position);
                fanout::announce_ephemeral(&self.state, room, &frame);
                Ok(())
            }
            Ok(None) => {
                let reply = frames::error(
                    ErrorCode::Forbidden,
                    "you are not a member of this room",
                    Some("read"),
                );
                self.write(reply, "error").await
            }
            Err(e) => self.write_error(&e.into(), Some("read")).await,
        }
    }

    async fn on_typing(&mut self, room: Uuid) -> Result<(), End> {
        if !self.written.contains_key(&room) {
            let reply = frames::error(
                ErrorCode::Forbidden,
                "you are not a member of this room",
                Some("typing"),
            );
            return self.write(reply, "error").await;
        }
        let now = Instant::now();
        let recent = self
            .typing_sent
            .get(&room)
            .is_some_and(|at| now.duration_since(*at) < TYPING_INTERVAL);
        if !recent {
            self.typing_sent.insert(room, now);
            let frame = frames::typing(room, &self.username);
            fanout::announce_ephemeral(&self.state, room, &frame);
        }
        Ok(())
    }

    async fn on_resume(&mut self, rooms: HashMap<Uuid, i64>) -> Result<(), End> {
        metrics::RESUMES.inc();
        for (room, last_seq) in rooms {
            let Some(written) = self.written.get(&room).copied() else {
                let reply = frames::error(
                    ErrorCode::Forbidden,
                    "you are not a member of this room",
                    Some(&room.to_string()),
                );
                self.write(reply, "error").await?;
                continue;
            };
            // Never replay from a position this socket has not reached (a made-up seq).
            let from = last_seq.clamp(0, written);
            self.written.insert(room, from);
            self.replay(room, from, None).await?;
        }
        let positions = self.written.clone();
        self.write(frames::resumed(&positions), "resumed").await
    }

    async fn write_error(&mut self, e: &ChatError, reference: Option<&str>) -> Result<(), End> {
        let reply = frames::error(e.code(), &e.public_message(), reference);
        self.write(reply, "error").await
    }
}

/// Why a `send` is invalid, if it is.
fn check_send(client_msg_id: &str, text: &str) -> Option<String> {
    let id_len = client_msg_id.chars().count();
    if !(1..=64).contains(&id_len) {
        return Some("client_msg_id must be 1 to 64 characters".to_owned());
    }
    let text_len = text.chars().count();
    if text.trim().is_empty() || text_len > 4000 {
        return Some(format!(
            "text must be 1 to 4,000 characters and not only spaces (got {text_len})"
        ));
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_limits() {
        assert!(check_send("c1", "안녕").is_none());
        assert!(check_send("", "hi").is_some());
        assert!(check_send(&"x".repeat(65), "hi").is_some());
        assert!(check_send("c1", "   ").is_some());
        assert!(check_send("c1", &"가".repeat(4000)).is_none());
        assert!(check_send("c1", &"가".repeat(4001)).is_some());
    }
}
