//! Chat rooms, members and messages (the chat service's tables).
//!
//! Every stored event of a room (a text message, a member joining or leaving) takes the next
//! `seq` from `chat_rooms.last_seq` inside the transaction that inserts it. The room row is
//! locked until commit, so seqs are gap-free: if seq n is visible, every seq below n is too.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
    PgConnection,
};
use uuid::Uuid;

use crate::DbError;

mod messages;
mod rooms;

pub use messages::*;
pub use rooms::*;

/// What a stored event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A text message.
    Text,
    /// A member joined (created the room with others, or was invited).
    Joined,
    /// A member left.
    Left,
}

impl EventKind {
    /// The `kind` column's value.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Text => "text",
            EventKind::Joined => "joined",
            EventKind::Left => "left",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "joined" => EventKind::Joined,
            "left" => EventKind::Left,
            _ => EventKind::Text,
        }
    }
}

/// One stored event of a room, with the sender's (or member's) username.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// The room.
    pub room_id: Uuid,
    /// Position in the room, gap-free from 1.
    pub seq: i64,
    /// The event's id.
    pub id: Uuid,
    /// Text, joined or left.
    pub kind: EventKind,
    /// The sender (text) or the member (joined/left); `None` once the account is deleted.
    pub user_id: Option<Uuid>,
    /// Their username, `None` once the account is deleted.
    pub username: Option<String>,
    /// Message text; empty for joined/left.
    pub text: String,
    /// The sender's idempotency id (text only).
    pub client_msg_id: Option<String>,
    /// When it was stored.
    pub sent_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = SqlUuid)]
    room_id: Uuid,
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    sender_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    username: Option<String>,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Nullable<Text>)]
    client_msg_id: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    sent_at: DateTime<Utc>,
}

impl From<EventRow> for StoredEvent {
    fn from(r: EventRow) -> Self {
        Self {
            room_id: r.room_id,
            seq: r.seq,
            id: r.id,
            kind: EventKind::parse(&r.kind),
            user_id: r.sender_id,
            username: r.username,
            text: r.text,
            client_msg_id: r.client_msg_id,
            sent_at: r.sent_at,
        }
    }
}

const EVENT_COLUMNS: &str = "m.room_id, m.seq, m.id, m.kind, m.sender_id, u.username, m.text, \
     m.client_msg_id, m.sent_at";

/// Whether `room` exists (and is open), and whether `user` is in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No such open room.
    NoRoom,
    /// The room exists; the user is not a member.
    NotMember,
    /// The user is a member.
    Member,
}

/// Whether `user` may read `room`.
pub fn access(conn: &mut PgConnection, room: Uuid, user: Uuid) -> Result<Access, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Integer>)]
        member: Option<i32>,
    }
    let row: Option<Row> = diesel::sql_query(
        "SELECT (SELECT 1 FROM chat_members WHERE room_id = r.id AND user_id = $2) AS member \
         FROM chat_rooms r WHERE r.id = $1 AND r.closed_at IS NULL",
    )
    .bind::<SqlUuid, _>(room)
    .bind::<SqlUuid, _>(user)
    .get_result(conn)
    .optional()?;
    Ok(match row {
        None => Access::NoRoom,
        Some(Row { member: None }) => Access::NotMember,
        Some(_) => Access::Member,
    })
}

/// An event about to be stored.
pub(crate) struct NewEvent<'a> {
    room: Uuid,
    kind: EventKind,
    user: Uuid,
    text: &'a str,
    client_msg_id: Option<&'a str>,
    id: Uuid,
    at: DateTime<Utc>,
}

impl NewEvent<'_> {
    /// A `joined` or `left` event of `user`.
    pub(crate) fn membership(room: Uuid, kind: EventKind, user: Uuid, at: DateTime<Utc>) -> Self {
        NewEvent {
            room,
            kind,
            user,
            text: "",
            client_msg_id: None,
            id: moji_common::new_id(),
            at,
        }
    }
}

/// Appends one event to its room inside the caller's transaction: takes the next seq (locking
/// the room row until commit) and inserts the row. `None` if the room is closed or gone.
pub(crate) fn append(
    conn: &mut PgConnection,
    new: NewEvent<'_>,
) -> Result<Option<StoredEvent>, DbError> {
    let NewEvent {
        room,
        kind,
        user,
        text,
        client_msg_id,
        id,
        at,
    } = new;
    #[derive(QueryableByName)]
    struct Seq {
        #[diesel(sql_type = BigInt)]
        last_seq: i64,
    }
    let seq: Option<Seq> = diesel::sql_query(
        "UPDATE chat_rooms SET last_seq = last_seq + 1, last_activity_at = $2 \
         WHERE id = $1 AND closed_at IS NULL RETURNING last_seq",
    )
    .bind::<SqlUuid, _>(room)
    .bind::<Timestamptz, _>(at)
    .get_result(conn)
    .optional()?;
    let Some(Seq { last_seq: seq }) = seq else {
        return Ok(None);
    };
    diesel::sql_query(
        "INSERT INTO chat_messages (room_id, seq, id, kind, sender_id, text, client_msg_id, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind::<SqlUuid, _>(room)
    .bind::<BigInt, _>(seq)
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(kind.as_str())
    .bind::<SqlUuid, _>(user)
    .bind::<Text, _>(text)
    .bind::<Nullable<Text>, _>(client_msg_id)
    .bind::<Timestamptz, _>(at)
    .execute(conn)?;
    Ok(Some(StoredEvent {
        room_id: room,
        seq,
        id,
        kind,
        user_id: Some(user),
        username: None,
        text: text.to_owned(),
        client_msg_id: client_msg_id.map(str::to_owned),
        sent_at: at,
    }))
}

/// Ids of the accounts with these (lower-case) usernames, as `(username, id)`.
pub fn user_ids(
    conn: &mut PgConnection,
    usernames: &[String],
) -> Result<Vec<(String, Uuid)>, DbError> {
    use crate::schema::users;
    Ok(users::table
        .filter(users::username.eq_any(usernames))
        .select((users::username, users::id))
        .load(conn)?)
}
