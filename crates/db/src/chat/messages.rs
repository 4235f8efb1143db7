//! A room's events: sending (once per `client_msg_id`), history and read positions.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid},
    PgConnection,
};
use uuid::Uuid;

use super::{append, EventKind, EventRow, NewEvent, StoredEvent, EVENT_COLUMNS};
use crate::DbError;

/// The message `sender` already stored under `client_msg_id`, if any.
pub fn by_client_id(
    conn: &mut PgConnection,
    sender: Uuid,
    client_msg_id: &str,
) -> Result<Option<StoredEvent>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM chat_messages m LEFT JOIN users u ON u.id = m.sender_id \
         WHERE m.sender_id = $1 AND m.client_msg_id = $2"
    );
    let row: Option<EventRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(sender)
        .bind::<Text, _>(client_msg_id)
        .get_result(conn)
        .optional()?;
    Ok(row.map(Into::into))
}

/// What became of a message a member sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Sent {
    /// Stored now with the next seq.
    Stored(StoredEvent),
    /// The sender stored a message with this `client_msg_id` before: that one.
    Duplicate(StoredEvent),
    /// The room does not exist, is closed, or the sender is not a member.
    NotMember,
}

/// Stores a text message from `sender` in `room` (a member), once per `client_msg_id`. The
/// sender's read position moves to the new message.
pub fn send(
    conn: &mut PgConnection,
    room: Uuid,
    sender: Uuid,
    client_msg_id: &str,
    text: &str,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Sent, DbError> {
    if let Some(earlier) = by_client_id(conn, sender, client_msg_id)? {
        return Ok(Sent::Duplicate(earlier));
    }
    let stored = conn.transaction::<_, DbError, _>(|c| {
        let member = diesel::sql_query(
            "SELECT 1 AS one FROM chat_members WHERE room_id = $1 AND user_id = $2",
        )
        .bind::<SqlUuid, _>(room)
        .bind::<SqlUuid, _>(sender)
        .execute(c)?;
        if member == 0 {
            return Ok(None);
        }
        let new = NewEvent {
            room,
            kind: EventKind::Text,
            user: sender,
            text,
            client_msg_id: Some(client_msg_id),
            id,
            at,
        };
        let Some(event) = append(c, new)? else {
            return Ok(None);
        };
        diesel::sql_query(
            "UPDATE chat_members SET last_read_seq = $3 WHERE room_id = $1 AND user_id = $2",
        )
        .bind::<SqlUuid, _>(room)
        .bind::<SqlUuid, _>(sender)
        .bind::<BigInt, _>(event.seq)
        .execute(c)?;
        Ok(Some(event))
    });
    match stored {
        Ok(Some(event)) => Ok(Sent::Stored(event)),
        Ok(None) => Ok(Sent::NotMember),
        // The same client_msg_id committed concurrently (another socket of the sender): the
        // transaction rolled back, seq included, so the room stays gap-free.
        Err(DbError::UniqueViolation(_)) => by_client_id(conn, sender, client_msg_id)?
            .map(Sent::Duplicate)
            .ok_or(DbError::NotFound),
        Err(e) => Err(e),
    }
}

/// Events of `room` after `after_seq`, oldest first, at most `limit`.
pub fn events_after(
    conn: &mut PgConnection,
    room: Uuid,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM chat_messages m LEFT JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
    );
    let rows: Vec<EventRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(room)
        .bind::<BigInt, _>(after_seq)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Events of `room` before `before_seq` (or the newest), newest first, at most `limit`.
pub fn events_before(
    conn: &mut PgConnection,
    room: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredEvent>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM chat_messages m LEFT JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = $1 AND ($2::bigint IS NULL OR m.seq < $2) ORDER BY m.seq DESC LIMIT $3"
    );
    let rows: Vec<EventRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(room)
        .bind::<Nullable<BigInt>, _>(before_seq)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Moves `user`'s read position in `room` forward to `seq` (never back, never past the
/// room's latest). `None` when they are not a member; otherwise the position now.
pub fn mark_read(
    conn: &mut PgConnection,
    room: Uuid,
    user: Uuid,
    seq: i64,
) -> Result<Option<i64>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        last_read_seq: i64,
    }
    let row: Option<Row> = diesel::sql_query(
        "UPDATE chat_members m SET last_read_seq = GREATEST(m.last_read_seq, LEAST($3, r.last_seq)) \
         FROM chat_rooms r WHERE r.id = m.room_id AND m.room_id = $1 AND m.user_id = $2 \
         RETURNING m.last_read_seq",
    )
    .bind::<SqlUuid, _>(room)
    .bind::<SqlUuid, _>(user)
    .bind::<BigInt, _>(seq)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| r.last_read_seq))
}
