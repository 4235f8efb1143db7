//! Request and response bodies of the rooms API.

use chrono::{DateTime, Utc};
use moji_db::chat::{EventKind, MemberView, RoomView, StoredEvent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `POST /rooms`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// 1–100 characters.
    pub name: String,
    /// 1–100 usernames of the other members (the caller joins as owner).
    pub members: Vec<String>,
}

/// `POST /rooms/{id}/members`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// 1–100 usernames; people already in the room are skipped.
    pub usernames: Vec<String>,
}

/// A stored event of a room: a text message, or a member joining or leaving.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    /// The room.
    pub room_id: Uuid,
    /// Position in the room: gap-free, increasing from 1.
    pub seq: i64,
    /// The event's id.
    pub id: Uuid,
    /// `text`, `joined` or `left`.
    pub kind: &'static str,
    /// The sender (text) or member (joined/left); null once their account is deleted.
    pub sender: Option<String>,
    /// The text (empty for joined/left).
    pub text: String,
    /// When it was stored.
    pub sent_at: DateTime<Utc>,
    /// The sender's id for the message (text only).
    pub client_msg_id: Option<String>,
}

impl From<StoredEvent> for Message {
    fn from(e: StoredEvent) -> Self {
        Self {
            room_id: e.room_id,
            seq: e.seq,
            id: e.id,
            kind: match e.kind {
                EventKind::Text => "text",
                EventKind::Joined => "joined",
                EventKind::Left => "left",
            },
            sender: e.username,
            text: e.text,
            sent_at: e.sent_at,
            client_msg_id: e.client_msg_id,
        }
    }
}

/// A room as one of its members sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Room {
    /// The room.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The owner's username.
    pub owner: Option<String>,
    /// Members now.
    pub member_count: i32,
    /// The latest seq.
    pub last_seq: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The latest message or membership change.
    pub last_activity_at: DateTime<Utc>,
    /// Read up to here.
    pub last_read_seq: i64,
    /// Others' messages after `last_read_seq`, at most 100 (show "99+").
    pub unread: i64,
    /// The latest text message.
    pub last_message: Option<Message>,
}

impl From<RoomView> for Room {
    fn from(r: RoomView) -> Self {
        Self {
            id: r.id,
            name: r.name,
            owner: r.owner,
            member_count: r.member_count,
            last_seq: r.last_seq,
            created_at: r.created_at,
            last_activity_at: r.last_activity_at,
            last_read_seq: r.last_read_seq,
            unread: r.unread,
            last_message: r.last_message.map(Into::into),
        }
    }
}

/// A member of a room.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// `owner` or `member`.
    pub role: &'static str,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// Read up to here.
    pub last_read_seq: i64,
}

impl From<MemberView> for Member {
    fn from(m: MemberView) -> Self {
        Self {
            username: m.username,
            display_name: m.display_name,
            role: if m.is_owner { "owner" } else { "member" },
            joined_at: m.joined_at,
            last_read_seq: m.last_read_seq,
        }
    }
}

/// A page of rooms.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomPage {
    /// Rooms, most recent activity first.
    pub items: Vec<Room>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A page of history.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    /// Newest first with `cursor`, oldest first with `after`.
    pub items: Vec<Message>,
    /// Pass as `cursor` (or, with `after`, as `after`) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Members of a room.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    /// Longest-standing first.
    pub items: Vec<Member>,
}

/// `?cursor=&size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RoomsQuery {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub size: Option<i64>,
}

/// `?cursor=&after=&size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// From `next_cursor` of the previous page (newest first).
    pub cursor: Option<String>,
    /// Instead of `cursor`: events after this seq, oldest first (catching up).
    pub after: Option<i64>,
    /// 1–100, default 50.
    pub size: Option<i64>,
}
