//! Rooms and their members: views, create, invite, leave.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
    PgConnection,
};
use uuid::Uuid;

use super::{append, EventKind, EventRow, NewEvent, StoredEvent, EVENT_COLUMNS};
use crate::DbError;

/// A room as one of its members sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomView {
    /// The room.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// The owner's username: the owner, or the longest-standing member once the owner's
    /// account is gone.
    pub owner: Option<String>,
    /// Members now.
    pub member_count: i32,
    /// The latest seq.
    pub last_seq: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// The latest stored event's time.
    pub last_activity_at: DateTime<Utc>,
    /// The viewer's read position.
    pub last_read_seq: i64,
    /// Text messages of others after the viewer's read position (at most [`UNREAD_CAP`]).
    pub unread: i64,
    /// The latest text message.
    pub last_message: Option<StoredEvent>,
}

/// Unread counts stop at this many (clients show "99+").
pub const UNREAD_CAP: i64 = 100;

#[derive(QueryableByName)]
struct RoomRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    owner: Option<String>,
    #[diesel(sql_type = Integer)]
    member_count: i32,
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    last_activity_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    last_read_seq: i64,
    #[diesel(sql_type = BigInt)]
    unread: i64,
}

/// Room columns as seen by member `$1`, for rows `r` joined with that member's `mem` row.
const ROOM_VIEW: &str = "SELECT r.id, r.name, \
       COALESCE(o.username, (SELECT u2.username FROM chat_members m2 JOIN users u2 ON u2.id = m2.user_id \
                             WHERE m2.room_id = r.id ORDER BY m2.joined_at, m2.user_id LIMIT 1)) AS owner, \
       r.member_count, r.last_seq, r.created_at, r.last_activity_at, mem.last_read_seq, \
       (SELECT count(*) FROM (SELECT 1 FROM chat_messages x WHERE x.room_id = r.id AND x.kind = 'text' \
            AND x.seq > mem.last_read_seq AND x.sender_id IS DISTINCT FROM $1 LIMIT 100) capped) AS unread \
     FROM chat_members mem JOIN chat_rooms r ON r.id = mem.room_id \
     LEFT JOIN users o ON o.id = r.owner_id";

fn latest_text(conn: &mut PgConnection, room: Uuid) -> Result<Option<StoredEvent>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM chat_messages m LEFT JOIN users u ON u.id = m.sender_id \
         WHERE m.room_id = $1 AND m.kind = 'text' ORDER BY m.seq DESC LIMIT 1"
    );
    let row: Option<EventRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(room)
        .get_result(conn)
        .optional()?;
    Ok(row.map(Into::into))
}

fn with_last_message(conn: &mut PgConnection, row: RoomRow) -> Result<RoomView, DbError> {
    let last_message = latest_text(conn, row.id)?;
    Ok(RoomView {
        id: row.id,
        name: row.name,
        owner: row.owner,
        member_count: row.member_count,
        last_seq: row.last_seq,
        created_at: row.created_at,
        last_activity_at: row.last_activity_at,
        last_read_seq: row.last_read_seq,
        unread: row.unread,
        last_message,
    })
}

/// The room as `user` sees it, or `None` when they are not a member.
pub fn room_view(
    conn: &mut PgConnection,
    room: Uuid,
    user: Uuid,
) -> Result<Option<RoomView>, DbError> {
    let sql = format!("{ROOM_VIEW} WHERE mem.user_id = $1 AND r.id = $2 AND r.closed_at IS NULL");
    let row: Option<RoomRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(user)
        .bind::<SqlUuid, _>(room)
        .get_result(conn)
        .optional()?;
    row.map(|r| with_last_message(conn, r)).transpose()
}

/// `user`'s rooms, most recent activity first, after the `(last_activity_at, id)` key.
pub fn my_rooms(
    conn: &mut PgConnection,
    user: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<RoomView>, DbError> {
    let (at, id) = after.unzip();
    let sql = format!(
        "{ROOM_VIEW} WHERE mem.user_id = $1 AND r.closed_at IS NULL \
           AND ($2::timestamptz IS NULL OR (r.last_activity_at, r.id) < ($2, $3)) \
         ORDER BY r.last_activity_at DESC, r.id DESC LIMIT $4"
    );
    let rows: Vec<RoomRow> = diesel::sql_query(sql)
        .bind::<SqlUuid, _>(user)
        .bind::<Nullable<Timestamptz>, _>(at)
        .bind::<Nullable<SqlUuid>, _>(id)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
    rows.into_iter()
        .map(|r| with_last_message(conn, r))
        .collect()
}

/// The rooms `user` is in, with each room's latest seq (a socket's starting point).
pub fn rooms_of(conn: &mut PgConnection, user: Uuid) -> Result<Vec<(Uuid, i64)>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = BigInt)]
        last_seq: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT r.id, r.last_seq FROM chat_members m JOIN chat_rooms r ON r.id = m.room_id \
         WHERE m.user_id = $1 AND r.closed_at IS NULL",
    )
    .bind::<SqlUuid, _>(user)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.last_seq)).collect())
}

/// The latest seq of each of `rooms` that is open.
pub fn latest_seqs(conn: &mut PgConnection, rooms: &[Uuid]) -> Result<Vec<(Uuid, i64)>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = BigInt)]
        last_seq: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, last_seq FROM chat_rooms WHERE id = ANY($1) AND closed_at IS NULL",
    )
    .bind::<Array<SqlUuid>, _>(rooms)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.last_seq)).collect())
}

/// A member of a room.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct MemberView {
    /// The member.
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    /// Username.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// Whether they own the room.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub is_owner: bool,
    /// When they joined.
    #[diesel(sql_type = Timestamptz)]
    pub joined_at: DateTime<Utc>,
    /// Their read position.
    #[diesel(sql_type = BigInt)]
    pub last_read_seq: i64,
}

/// The members of `room`, longest-standing first (at most `limit`).
pub fn members(
    conn: &mut PgConnection,
    room: Uuid,
    limit: i64,
) -> Result<Vec<MemberView>, DbError> {
    // The owner is the owner column, or the longest-standing member once that account is gone.
    Ok(diesel::sql_query(
        "SELECT m.user_id, u.username, u.display_name, \
                (m.user_id = COALESCE(r.owner_id, first_value(m.user_id) OVER w)) AS is_owner, \
                m.joined_at, m.last_read_seq \
         FROM chat_members m JOIN users u ON u.id = m.user_id JOIN chat_rooms r ON r.id = m.room_id \
         WHERE m.room_id = $1 \
         WINDOW w AS (ORDER BY m.joined_at, m.user_id) \
         ORDER BY m.joined_at, m.user_id LIMIT $2",
    )
    .bind::<SqlUuid, _>(room)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Creates a room owned by `owner` with `members` (the owner included once): one `joined`
/// event per member, in order, all in one transaction.
pub fn create_room(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    owner: Uuid,
    members: &[Uuid],
    at: DateTime<Utc>,
) -> Result<Vec<StoredEvent>, DbError> {
    conn.transaction(|c| {
        diesel::sql_query(
            "INSERT INTO chat_rooms (id, name, owner_id, created_at, last_activity_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(name)
        .bind::<SqlUuid, _>(owner)
        .bind::<Timestamptz, _>(at)
        .execute(c)?;
        let mut everyone = vec![owner];
        everyone.extend(members.iter().copied().filter(|m| *m != owner));
        everyone.dedup();
        join_all(c, id, &everyone, at)
    })
}

/// Adds `users` who are not members yet, with a `joined` event each.
fn join_all(
    conn: &mut PgConnection,
    room: Uuid,
    users: &[Uuid],
    at: DateTime<Utc>,
) -> Result<Vec<StoredEvent>, DbError> {
    let mut events = Vec::with_capacity(users.len());
    for user in users {
        let added = diesel::sql_query(
            "INSERT INTO chat_members (room_id, user_id, joined_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(room)
        .bind::<SqlUuid, _>(*user)
        .bind::<Timestamptz, _>(at)
        .execute(conn)?;
        if added == 0 {
            continue;
        }
        match append(
            conn,
            NewEvent::membership(room, EventKind::Joined, *user, at),
        )? {
            Some(event) => events.push(event),
            None => return Err(DbError::NotFound),
        }
    }
    Ok(events)
}

/// What an invitation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Invited {
    /// These joined (people already in the room are skipped).
    Joined(Vec<StoredEvent>),
    /// The inviter is not a member of an open room of that id.
    NotMember,
    /// The room would pass `max_members`.
    Full,
}

/// `inviter` (a member) adds `users` to `room`, up to `max_members` in all.
pub fn invite(
    conn: &mut PgConnection,
    room: Uuid,
    inviter: Uuid,
    users: &[Uuid],
    max_members: i32,
    at: DateTime<Utc>,
) -> Result<Invited, DbError> {
    conn.transaction(|c| {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Integer)]
            member_count: i32,
        }
        // FOR UPDATE: concurrent invitations count one after the other.
        let room_row: Option<Row> = diesel::sql_query(
            "SELECT r.member_count FROM chat_rooms r JOIN chat_members m ON m.room_id = r.id \
             WHERE r.id = $1 AND m.user_id = $2 AND r.closed_at IS NULL FOR UPDATE OF r",
        )
        .bind::<SqlUuid, _>(room)
        .bind::<SqlUuid, _>(inviter)
        .get_result(c)
        .optional()?;
        let Some(Row { member_count }) = room_row else {
            return Ok(Invited::NotMember);
        };
        let already: i64 = {
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = BigInt)]
                n: i64,
            }
            diesel::sql_query(
                "SELECT count(*) AS n FROM chat_members WHERE room_id = $1 AND user_id = ANY($2)",
            )
            .bind::<SqlUuid, _>(room)
            .bind::<Array<SqlUuid>, _>(users)
            .get_result::<Count>(c)?
            .n
        };
        let new = i64::try_from(users.len()).unwrap_or(i64::MAX) - already;
        if i64::from(member_count) + new > i64::from(max_members) {
            return Ok(Invited::Full);
        }
        Ok(Invited::Joined(join_all(c, room, users, at)?))
    })
}

/// What leaving did.
#[derive(Debug, Clone, PartialEq)]
pub enum Left {
    /// Left; the `left` event. `closed` when they were the last member.
    Left {
        /// The stored `left` event.
        event: StoredEvent,
        /// The room is closed now.
        closed: bool,
    },
    /// Not a member of an open room of that id.
    NotMember,
}

/// `user` leaves `room`. An owner hands ownership to the longest-standing remaining member;
/// the last member closes the room.
pub fn leave(
    conn: &mut PgConnection,
    room: Uuid,
    user: Uuid,
    at: DateTime<Utc>,
) -> Result<Left, DbError> {
    conn.transaction(|c| {
        let open = diesel::sql_query(
            "SELECT 1 AS one FROM chat_rooms WHERE id = $1 AND closed_at IS NULL FOR UPDATE",
        )
        .bind::<SqlUuid, _>(room)
        .execute(c)?;
        let removed = diesel::sql_query("DELETE FROM chat_members WHERE room_id = $1 AND user_id = $2")
            .bind::<SqlUuid, _>(room)
            .bind::<SqlUuid, _>(user)
            .execute(c)?;
        if open == 0 || removed == 0 {
            return Ok(Left::NotMember);
        }
        let Some(event) = append(c, NewEvent::membership(room, EventKind::Left, user, at))? else {
            return Ok(Left::NotMember);
        };
        // Close when empty; otherwise hand ownership on (which also repairs an owner lost
        // with a deleted account).
        let closed = diesel::sql_query(
            "UPDATE chat_rooms SET closed_at = $2, owner_id = NULL WHERE id = $1 AND member_count = 0",
        )
        .bind::<SqlUuid, _>(room)
        .bind::<Timestamptz, _>(at)
        .execute(c)?
            > 0;
        if !closed {
            diesel::sql_query(
                "UPDATE chat_rooms r SET owner_id = \
                   (SELECT m.user_id FROM chat_members m WHERE m.room_id = r.id \
                    ORDER BY m.joined_at, m.user_id LIMIT 1) \
                 WHERE r.id = $1 AND (r.owner_id IS NULL OR r.owner_id = $2)",
            )
            .bind::<SqlUuid, _>(room)
            .bind::<SqlUuid, _>(user)
            .execute(c)?;
        }
        Ok(Left::Left { event, closed })
    })
}
