//! What a socket does with each client frame: `send`, `read`, `typing`, `resume`, `ping`,
//! and frames that are not frames of the protocol.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use actix_http::ws::{self, CloseCode};
use moji_common::ErrorCode;
use moji_db::chat::Sent;
use uuid::Uuid;

use super::{
    wire::{Incoming, WireError},
    End, Socket, TYPING_INTERVAL,
};
use crate::{error::ChatError, fanout, frames, metrics};

impl Socket {
    pub(super) async fn on_message(
        &mut self,
        message: Option<Result<Incoming, WireError>>,
    ) -> Result<(), End> {
        match message {
            None => Err(End::Gone),
            Some(Ok(Incoming::Text(text))) => self.on_frame(&text).await,
            Some(Ok(Incoming::Binary)) => {
                let frame = frames::error(ErrorCode::BadFrame, "frames are JSON text", None);
                self.write(frame, "error").await
            }
            Some(Ok(Incoming::Ping(bytes))) => self
                .wire
                .send(ws::Message::Pong(bytes))
                .await
                .map_err(|_| End::Gone),
            Some(Ok(Incoming::Pong)) => Ok(()),
            Some(Ok(Incoming::Close(reason))) => {
                // Answer the close handshake; the peer is leaving either way.
                let answer = self.wire.send(ws::Message::Close(reason));
                let _ = tokio::time::timeout(super::CLOSE_ANSWER_WAIT, answer).await;
                Err(End::Gone)
            }
            Some(Err(WireError::Overflow)) => Err(End::Close(CloseCode::Size, "frame too large")),
            Some(Err(WireError::Protocol(e))) => {
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

    /// `Some(seconds to wait)` when the person is over the send limit: a sliding window, so
    /// no span of `send_window_secs` holds more than `send_limit` stored messages (a fixed
    /// window let a burst across its boundary through whole: the browser e2e's 21 messages
    /// were all accepted whenever they straddled a multiple of 10 s).
    async fn rate_limited(&self) -> Result<Option<u64>, ChatError> {
        let cfg = &self.state.settings.chat;
        let bucket = format!("chat-send:{}", self.who.user_id);
        let window = Duration::from_secs(cfg.send_window_secs);
        let taken = self
            .state
            .redis
            .take(&bucket, window, cfg.send_limit)
            .await?;
        Ok((!taken.allowed).then(|| taken.retry_in.as_secs_f64().ceil().max(1.0) as u64))
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
