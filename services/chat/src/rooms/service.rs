//! What the rooms API does: validation, membership checks, the database and fan-out.

use std::collections::HashMap;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_db::chat::{self, Access, Invited, Left, StoredEvent};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{CreateRoom, Member, MemberList, Message, MessagePage, Room, RoomPage};
use crate::{
    error::{validated, ChatError, ChatResult},
    fanout, ChatState,
};

/// Most usernames in one create or invite.
const MAX_NAMES: usize = 100;
/// Members listed at most (rooms may hold more; the list is for people, not exports).
const MEMBER_LIST_LIMIT: i64 = 1000;

fn page_size(size: Option<i64>, default: i64) -> ChatResult<i64> {
    match size {
        None => Ok(default),
        Some(s) if (1..=100).contains(&s) => Ok(s),
        Some(_) => Err(ChatError::Validation(vec![FieldError::new(
            "size",
            "must be 1 to 100",
        )])),
    }
}

/// Checks `usernames` (1..=100, known accounts) and returns `username → id`, field errors
/// named `field[i]`.
async fn resolve(
    state: &ChatState,
    field: &str,
    usernames: &[String],
) -> ChatResult<Vec<(String, Uuid)>> {
    if usernames.is_empty() || usernames.len() > MAX_NAMES {
        return Err(ChatError::Validation(vec![FieldError::new(
            field,
            format!("give 1 to {MAX_NAMES} usernames"),
        )]));
    }
    let wanted: Vec<String> = usernames.iter().map(|u| u.trim().to_lowercase()).collect();
    let lookup = wanted.clone();
    let found: HashMap<String, Uuid> = state
        .db
        .run(move |c| chat::user_ids(c, &lookup))
        .await?
        .into_iter()
        .collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, name) in wanted.iter().enumerate() {
        match found.get(name) {
            Some(id) if !out.iter().any(|(_, known)| known == id) => out.push((name.clone(), *id)),
            Some(_) => {}
            None => errors.push(FieldError::new(format!("{field}[{i}]"), "no such user")),
        }
    }
    validated(errors)?;
    Ok(out)
}

/// Fills in usernames the database did not join (events written in this request).
fn named(mut events: Vec<StoredEvent>, names: &HashMap<Uuid, String>) -> Vec<StoredEvent> {
    for e in &mut events {
        if e.username.is_none() {
            e.username = e.user_id.and_then(|id| names.get(&id).cloned());
        }
    }
    events
}

async fn username_of(state: &ChatState, id: Uuid) -> ChatResult<String> {
    Ok(state
        .db
        .run(move |c| moji_db::users::by_id(c, id))
        .await
        .map_err(|e| match e {
            moji_db::DbError::NotFound => ChatError::Auth(moji_auth::AuthError::Revoked),
            other => other.into(),
        })?
        .username)
}

/// 404 for no such room, 403 for someone else's.
async fn require_member(state: &ChatState, who: &AuthUser, room: Uuid) -> ChatResult<()> {
    let user = who.user_id;
    match state.db.run(move |c| chat::access(c, room, user)).await? {
        Access::Member => Ok(()),
        Access::NotMember => Err(ChatError::Forbidden("only members may do this")),
        Access::NoRoom => Err(ChatError::NotFound("room")),
    }
}

async fn view(state: &ChatState, who: &AuthUser, room: Uuid) -> ChatResult<Room> {
    let user = who.user_id;
    state
        .db
        .run(move |c| chat::room_view(c, room, user))
        .await?
        .map(Into::into)
        .ok_or(ChatError::NotFound("room"))
}

/// Creates a room with the caller as owner.
pub async fn create(state: &ChatState, who: &AuthUser, req: CreateRoom) -> ChatResult<Room> {
    let name = req.name.trim().to_owned();
    let mut errors = Vec::new();
    if !(1..=100).contains(&name.chars().count()) {
        errors.push(FieldError::new("name", "must be 1 to 100 characters"));
    }
    validated(errors)?;
    let members = resolve(state, "members", &req.members).await?;
    let others: Vec<Uuid> = members
        .iter()
        .map(|(_, id)| *id)
        .filter(|id| *id != who.user_id)
        .collect();
    if others.is_empty() {
        return Err(ChatError::Validation(vec![FieldError::new(
            "members",
            "name at least one person besides yourself",
        )]));
    }
    let mut names: HashMap<Uuid, String> = members.into_iter().map(|(n, id)| (id, n)).collect();
    names.insert(who.user_id, username_of(state, who.user_id).await?);
    let (id, owner, now) = (moji_common::new_id(), who.user_id, Utc::now());
    let events = state
        .db
        .run(move |c| chat::create_room(c, id, &name, owner, &others, now))
        .await?;
    fanout::announce_stored(state, &named(events, &names));
    view(state, who, id).await
}

/// The caller's rooms, most recent activity first.
pub async fn mine(
    state: &ChatState,
    who: &AuthUser,
    cursor: Option<String>,
    size: Option<i64>,
) -> ChatResult<RoomPage> {
    let size = page_size(size, 20)?;
    let after = cursor.as_deref().map(decode_room_cursor).transpose()?;
    let user = who.user_id;
    let mut rooms = state
        .db
        .run(move |c| chat::my_rooms(c, user, after, size + 1))
        .await?;
    let more = rooms.len() as i64 > size;
    rooms.truncate(usize::try_from(size).unwrap_or(0));
    let next_cursor = if more {
        rooms
            .last()
            .map(|r| encode_room_cursor(r.last_activity_at, r.id))
    } else {
        None
    };
    Ok(RoomPage {
        items: rooms.into_iter().map(Into::into).collect(),
        next_cursor,
    })
}

/// One room (members only).
pub async fn one(state: &ChatState, who: &AuthUser, room: Uuid) -> ChatResult<Room> {
    require_member(state, who, room).await?;
    view(state, who, room).await
}

/// The members of a room (members only).
pub async fn members(state: &ChatState, who: &AuthUser, room: Uuid) -> ChatResult<MemberList> {
    require_member(state, who, room).await?;
    let members = state
        .db
        .run(move |c| chat::members(c, room, MEMBER_LIST_LIMIT))
        .await?;
    Ok(MemberList {
        items: members.into_iter().map(Into::into).collect(),
    })
}

/// A member adds people; returns those who joined.
pub async fn invite(
    state: &ChatState,
    who: &AuthUser,
    room: Uuid,
    usernames: &[String],
) -> ChatResult<MemberList> {
    require_member(state, who, room).await?;
    let people = resolve(state, "usernames", usernames).await?;
    let names: HashMap<Uuid, String> = people.iter().map(|(n, id)| (*id, n.clone())).collect();
    let ids: Vec<Uuid> = people.iter().map(|(_, id)| *id).collect();
    let (inviter, now) = (who.user_id, Utc::now());
    let max = i32::try_from(state.settings.chat.max_members).unwrap_or(i32::MAX);
    let invited = state
        .db
        .run(move |c| chat::invite(c, room, inviter, &ids, max, now))
        .await?;
    let joined = match invited {
        Invited::Joined(events) => named(events, &names),
        Invited::NotMember => return Err(ChatError::Forbidden("only members may invite")),
        Invited::Full => {
            return Err(ChatError::Conflict(format!(
                "a room holds at most {} members",
                state.settings.chat.max_members
            )))
        }
    };
    fanout::announce_stored(state, &joined);
    let added: Vec<Uuid> = joined.iter().filter_map(|e| e.user_id).collect();
    let members = state
        .db
        .run(move |c| chat::members(c, room, MEMBER_LIST_LIMIT))
        .await?;
    Ok(MemberList {
        items: members
            .into_iter()
            .filter(|m| added.contains(&m.user_id))
            .map(Member::from)
            .collect(),
    })
}

/// The caller leaves the room.
pub async fn leave(state: &ChatState, who: &AuthUser, room: Uuid) -> ChatResult<()> {
    require_member(state, who, room).await?;
    let (user, now) = (who.user_id, Utc::now());
    let left = state
        .db
        .run(move |c| chat::leave(c, room, user, now))
        .await?;
    match left {
        Left::Left { mut event, closed } => {
            event.username = Some(username_of(state, user).await?);
            if closed {
                tracing::info!(%room, "last member left; room closed");
            }
            fanout::announce_stored(state, std::slice::from_ref(&event));
            Ok(())
        }
        // Left concurrently from another tab.
        Left::NotMember => Err(ChatError::Forbidden("you are not a member of this room")),
    }
}

/// History: newest first before `cursor`, or oldest first after `after`.
pub async fn history(
    state: &ChatState,
    who: &AuthUser,
    room: Uuid,
    cursor: Option<String>,
    after: Option<i64>,
    size: Option<i64>,
) -> ChatResult<MessagePage> {
    let size = page_size(size, 50)?;
    if cursor.is_some() && after.is_some() {
        return Err(ChatError::BadRequest(
            "give `cursor` (older pages) or `after` (catching up), not both".into(),
        ));
    }
    if after.is_some_and(|a| a < 0) {
        return Err(ChatError::Validation(vec![FieldError::new(
            "after",
            "must be 0 or more",
        )]));
    }
    require_member(state, who, room).await?;
    if let Some(after) = after {
        let events = state
            .db
            .run(move |c| chat::events_after(c, room, after, size))
            .await?;
        let next_cursor = (events.len() as i64 == size)
            .then(|| events.last().map(|e| e.seq.to_string()))
            .flatten();
        return Ok(MessagePage {
            items: events.into_iter().map(Message::from).collect(),
            next_cursor,
        });
    }
    let before = cursor.as_deref().map(decode_seq_cursor).transpose()?;
    let mut events = state
        .db
        .run(move |c| chat::events_before(c, room, before, size + 1))
        .await?;
    let more = events.len() as i64 > size;
    events.truncate(usize::try_from(size).unwrap_or(0));
    let next_cursor = if more {
        events.last().map(|e| encode_seq_cursor(e.seq))
    } else {
        None
    };
    Ok(MessagePage {
        items: events.into_iter().map(Message::from).collect(),
        next_cursor,
    })
}

fn bad_cursor() -> ChatError {
    ChatError::BadRequest("`cursor` is not one this API issued; start again without it".into())
}

fn encode_room_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("r:{}:{id}", at.timestamp_micros()))
}

fn decode_room_cursor(cursor: &str) -> ChatResult<(DateTime<Utc>, Uuid)> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(raw).map_err(|_| bad_cursor())?;
    let mut parts = text.splitn(3, ':');
    let (Some("r"), Some(micros), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad_cursor());
    };
    let micros: i64 = micros.parse().map_err(|_| bad_cursor())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad_cursor)?;
    let id = Uuid::parse_str(id).map_err(|_| bad_cursor())?;
    Ok((at, id))
}

fn encode_seq_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("s:{seq}"))
}

fn decode_seq_cursor(cursor: &str) -> ChatResult<i64> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(raw).map_err(|_| bad_cursor())?;
    text.strip_prefix("s:")
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad_cursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let at = DateTime::from_timestamp_micros(1_733_306_400_123_456).unwrap();
        let id = Uuid::now_v7();
        assert_eq!(
            decode_room_cursor(&encode_room_cursor(at, id)).unwrap(),
            (at, id)
        );
        assert_eq!(decode_seq_cursor(&encode_seq_cursor(42)).unwrap(), 42);
        assert!(decode_seq_cursor(&encode_room_cursor(at, id)).is_err());
        assert!(decode_room_cursor("!!").is_err());
        assert!(decode_room_cursor(&encode_seq_cursor(3)).is_err());
    }
}
