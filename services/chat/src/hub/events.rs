//! What moves through the hub: room events, and the sockets they go to.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use moji_db::chat::StoredEvent;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::frames;

/// A change of membership carried by a stored event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// The member joined: their sockets start receiving the room (this event included).
    Joined(Uuid),
    /// The member left: their sockets stop receiving the room (after this event).
    Left(Uuid),
}

/// One event of a room, serialised once.
#[derive(Debug)]
pub struct RoomEvent {
    /// The room.
    pub room_id: Uuid,
    /// Its seq, for stored events.
    pub seq: Option<i64>,
    /// A membership change, for joined/left.
    pub membership: Option<Membership>,
    /// When it was stored (for the fan-out latency histogram).
    pub stored_at: DateTime<Utc>,
    /// The frame as written to sockets.
    pub text: String,
    /// The frame's type, for metrics.
    pub kind: &'static str,
}

impl RoomEvent {
    /// The event of a stored row.
    pub fn stored(e: &StoredEvent) -> Self {
        Self::stored_as(e, &frames::event(e))
    }

    /// The event of a stored row whose frame (`frames::event`) is built already.
    pub fn stored_as(e: &StoredEvent, frame: &serde_json::Value) -> Self {
        use moji_db::chat::EventKind;
        let membership = match (e.kind, e.user_id) {
            (EventKind::Joined, Some(u)) => Some(Membership::Joined(u)),
            (EventKind::Left, Some(u)) => Some(Membership::Left(u)),
            _ => None,
        };
        Self {
            room_id: e.room_id,
            seq: Some(e.seq),
            membership,
            stored_at: e.sent_at,
            text: frame.to_string(),
            kind: match e.kind {
                EventKind::Text => "message",
                EventKind::Joined => "member_joined",
                EventKind::Left => "member_left",
            },
        }
    }

    /// Whose membership this event changes, if it is a joined or left event.
    pub fn member(&self) -> Option<Uuid> {
        match self.membership {
            Some(Membership::Joined(user) | Membership::Left(user)) => Some(user),
            None => None,
        }
    }

    /// An ephemeral event (`read`, `typing`): no seq, not stored.
    pub fn ephemeral(room_id: Uuid, frame: &serde_json::Value) -> Self {
        Self {
            room_id,
            seq: None,
            membership: None,
            stored_at: Utc::now(),
            text: frame.to_string(),
            kind: frame_type(frame),
        }
    }
}

/// The `type` of a server frame as a static label (unknown types count as `other`).
pub fn frame_type(frame: &serde_json::Value) -> &'static str {
    match frame.get("type").and_then(|t| t.as_str()) {
        Some("message") => "message",
        Some("member_joined") => "member_joined",
        Some("member_left") => "member_left",
        Some("read") => "read",
        Some("typing") => "typing",
        _ => "other",
    }
}

/// Why the server closes a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// It did not drain its queue (1013, try again later).
    Slow,
    /// Its session was revoked or its account deleted (1008).
    Revoked,
    /// This replica is shutting down (1012, service restart).
    Restart,
}

/// How the hub (or anyone) asks a socket to close.
#[derive(Debug, Default)]
pub struct Closer {
    token: CancellationToken,
    reason: OnceLock<CloseReason>,
}

impl Closer {
    /// Asks the socket to close for `reason` (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    /// Resolves when a close was asked for.
    pub async fn closed(&self) -> CloseReason {
        self.token.cancelled().await;
        self.reason.get().copied().unwrap_or(CloseReason::Restart)
    }
}

/// What the hub knows of one local socket.
#[derive(Debug, Clone)]
pub struct SocketHandle {
    /// Unique within the replica.
    pub id: u64,
    /// The signed-in person.
    pub user_id: Uuid,
    /// Its access token id and session id, for revocation checks.
    pub token_id: Uuid,
    /// Its session family.
    pub session_id: Uuid,
    /// Its outbound queue.
    pub queue: mpsc::Sender<Arc<RoomEvent>>,
    /// Closes it.
    pub closer: Arc<Closer>,
}
