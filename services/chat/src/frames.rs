//! The WebSocket protocol, version 1 (docs/chat.md): what clients send and what the server
//! writes. Every frame is one JSON text message with `"v": 1` and a `type`.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use moji_common::ErrorCode;
use moji_db::chat::{EventKind, StoredEvent};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// The protocol version this server speaks.
pub const VERSION: u32 = 1;

/// A frame from a client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Post a text message.
    Send {
        /// Protocol version.
        v: u32,
        /// The room.
        room_id: Uuid,
        /// The sender's id for this message; a repeat is acked with the original seq.
        client_msg_id: String,
        /// 1–4,000 characters.
        text: String,
    },
    /// Mark the room read up to `seq`.
    Read {
        /// Protocol version.
        v: u32,
        /// The room.
        room_id: Uuid,
        /// Read up to here.
        seq: i64,
    },
    /// The person is typing in the room.
    Typing {
        /// Protocol version.
        v: u32,
        /// The room.
        room_id: Uuid,
    },
    /// Replay everything after these seqs, then continue live.
    Resume {
        /// Protocol version.
        v: u32,
        /// `room_id → last seq seen`.
        rooms: HashMap<Uuid, i64>,
    },
    /// Keep-alive; answered with `pong`.
    Ping {
        /// Protocol version.
        v: u32,
    },
}

impl ClientFrame {
    /// The frame's version field.
    pub fn version(&self) -> u32 {
        match self {
            Self::Send { v, .. }
            | Self::Read { v, .. }
            | Self::Typing { v, .. }
            | Self::Resume { v, .. }
            | Self::Ping { v } => *v,
        }
    }

    /// The `type`, for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Send { .. } => "send",
            Self::Read { .. } => "read",
            Self::Typing { .. } => "typing",
            Self::Resume { .. } => "resume",
            Self::Ping { .. } => "ping",
        }
    }
}

/// Why a text frame is not a frame of this protocol, with what it referred to if readable.
#[derive(Debug, Clone, PartialEq)]
pub struct BadFrame {
    /// What is wrong.
    pub message: String,
    /// The `client_msg_id` or `type` of the frame, when it could be read.
    pub reference: Option<String>,
}

/// Reads one client frame.
pub fn parse(text: &str) -> Result<ClientFrame, BadFrame> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| BadFrame {
        message: format!("not JSON: {e}"),
        reference: None,
    })?;
    let reference = value
        .get("client_msg_id")
        .or_else(|| value.get("type"))
        .and_then(|r| r.as_str())
        .map(str::to_owned);
    let frame: ClientFrame = serde_json::from_value(value).map_err(|e| BadFrame {
        message: e.to_string(),
        reference: reference.clone(),
    })?;
    if frame.version() != VERSION {
        return Err(BadFrame {
            message: format!(
                "unsupported protocol version {}; this server speaks v1",
                frame.version()
            ),
            reference,
        });
    }
    Ok(frame)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The frame of a stored event: `message`, `member_joined` or `member_left`.
pub fn event(e: &StoredEvent) -> serde_json::Value {
    match e.kind {
        EventKind::Text => json!({
            "v": VERSION, "type": "message", "room_id": e.room_id, "seq": e.seq, "id": e.id,
            "sender": e.username, "text": e.text, "sent_at": time(e.sent_at),
            "client_msg_id": e.client_msg_id,
        }),
        EventKind::Joined | EventKind::Left => json!({
            "v": VERSION,
            "type": if e.kind == EventKind::Joined { "member_joined" } else { "member_left" },
            "room_id": e.room_id, "seq": e.seq, "id": e.id, "user": e.username,
            "sent_at": time(e.sent_at),
        }),
    }
}

/// `ack`: the message is stored under `seq`.
pub fn ack(e: &StoredEvent) -> String {
    json!({
        "v": VERSION, "type": "ack", "client_msg_id": e.client_msg_id, "room_id": e.room_id,
        "seq": e.seq, "id": e.id, "sent_at": time(e.sent_at),
    })
    .to_string()
}

/// `read`: `user` has read `room` up to `seq`.
pub fn read(room: Uuid, user: &str, seq: i64) -> serde_json::Value {
    json!({"v": VERSION, "type": "read", "room_id": room, "user": user, "seq": seq})
}

/// `typing`: `user` is typing in `room`.
pub fn typing(room: Uuid, user: &str) -> serde_json::Value {
    json!({"v": VERSION, "type": "typing", "room_id": room, "user": user})
}

/// `ready`: the first frame, with the caller's rooms and their latest seqs.
pub fn ready(user: &str, rooms: &HashMap<Uuid, i64>) -> String {
    json!({"v": VERSION, "type": "ready", "user": user, "rooms": rooms}).to_string()
}

/// `resumed`: the replay asked for is complete; these are the positions now.
pub fn resumed(rooms: &HashMap<Uuid, i64>) -> String {
    json!({"v": VERSION, "type": "resumed", "rooms": rooms}).to_string()
}

/// `error` with a stable code, a human message and what it answers.
pub fn error(code: ErrorCode, message: &str, reference: Option<&str>) -> String {
    let mut frame = json!({"v": VERSION, "type": "error", "code": code, "message": message});
    if let Some(r) = reference {
        frame["ref"] = json!(r);
    }
    frame.to_string()
}

/// `pong`.
pub fn pong() -> String {
    json!({"v": VERSION, "type": "pong"}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_client_frame() {
        let room = Uuid::nil();
        let send = parse(&format!(
            r#"{{"v":1,"type":"send","room_id":"{room}","client_msg_id":"c1","text":"안녕"}}"#
        ))
        .unwrap();
        assert_eq!(send.kind(), "send");
        assert!(matches!(
            parse(r#"{"v":1,"type":"ping"}"#),
            Ok(ClientFrame::Ping { v: 1 })
        ));
        let resume = parse(&format!(
            r#"{{"v":1,"type":"resume","rooms":{{"{room}":7}}}}"#
        ))
        .unwrap();
        match resume {
            ClientFrame::Resume { rooms, .. } => assert_eq!(rooms.get(&room), Some(&7)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_frames_say_why_and_what() {
        assert!(parse("not json")
            .unwrap_err()
            .message
            .starts_with("not JSON"));
        let unknown = parse(r#"{"v":1,"type":"dance"}"#).unwrap_err();
        assert_eq!(unknown.reference.as_deref(), Some("dance"));
        let missing = parse(r#"{"v":1,"type":"send","client_msg_id":"c9"}"#).unwrap_err();
        assert_eq!(missing.reference.as_deref(), Some("c9"));
        assert!(missing.message.contains("room_id"), "{}", missing.message);
        let v2 = parse(r#"{"v":2,"type":"ping"}"#).unwrap_err();
        assert!(v2.message.contains("version 2"));
        assert!(
            parse(r#"{"type":"ping"}"#).is_err(),
            "the version is required"
        );
        assert!(parse(r#"{"v":1,"type":"ping","extra":1}"#).is_err());
    }

    #[test]
    fn error_frames_carry_their_reference() {
        let e: serde_json::Value =
            serde_json::from_str(&error(ErrorCode::RateLimited, "slow down", Some("c1"))).unwrap();
        assert_eq!(e["code"], "rate_limited");
        assert_eq!(e["ref"], "c1");
        let e: serde_json::Value =
            serde_json::from_str(&error(ErrorCode::BadFrame, "x", None)).unwrap();
        assert!(e.get("ref").is_none());
    }
}
