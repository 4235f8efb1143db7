//! Opaque page cursors: a list's sort key, written as text and base64url-encoded so clients
//! pass it back unchanged (`?cursor=`) and never build one.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use chrono::{DateTime, Utc};
use moji_db::keyset::Key;
use uuid::Uuid;

/// Longest cursor accepted, in bytes (the longest we make is about 90).
const MAX_CURSOR_LEN: usize = 200;

/// The cursor naming the position after `key`.
pub fn encode(key: &Key) -> String {
    let text = match key {
        Key::Time { at, id } => format!("t.{}.{}", at.timestamp_micros(), id.simple()),
        Key::Oldest { at, id } => format!("o.{}.{}", at.timestamp_micros(), id.simple()),
        Key::Popular { likes, at, id } => {
            format!("p.{likes}.{}.{}", at.timestamp_micros(), id.simple())
        }
        Key::Window { likes, id } => format!("w.{likes}.{}", id.simple()),
        Key::Price { price, id } => format!("k.{price}.{}", id.simple()),
    };
    URL_SAFE_NO_PAD.encode(text)
}

/// The key a cursor names; `None` if it is not one we made.
pub fn decode(cursor: &str) -> Option<Key> {
    if cursor.len() > MAX_CURSOR_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let parts: Vec<&str> = text.split('.').collect();
    let time = |s: &str| DateTime::<Utc>::from_timestamp_micros(s.parse().ok()?);
    let id = |s: &str| Uuid::try_parse(s).ok();
    let likes = |s: &str| s.parse::<i64>().ok().filter(|n| *n >= 0);
    match parts.as_slice() {
        ["t", at, uuid] => Some(Key::Time {
            at: time(at)?,
            id: id(uuid)?,
        }),
        ["o", at, uuid] => Some(Key::Oldest {
            at: time(at)?,
            id: id(uuid)?,
        }),
        ["p", n, at, uuid] => Some(Key::Popular {
            likes: likes(n)?,
            at: time(at)?,
            id: id(uuid)?,
        }),
        ["w", n, uuid] => Some(Key::Window {
            likes: likes(n)?,
            id: id(uuid)?,
        }),
        ["k", n, uuid] => Some(Key::Price {
            price: likes(n)?,
            id: id(uuid)?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let at = DateTime::<Utc>::from_timestamp_micros(1_764_806_400_123_456).unwrap();
        let id = Uuid::now_v7();
        for key in [
            Key::Time { at, id },
            Key::Oldest { at, id },
            Key::Popular { likes: 42, at, id },
            Key::Window { likes: 7, id },
            Key::Price { price: 15_000, id },
        ] {
            let cursor = encode(&key);
            assert!(cursor.len() < MAX_CURSOR_LEN);
            assert!(cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(decode(&cursor), Some(key));
        }
    }

    #[test]
    fn refuses_what_we_did_not_make() {
        for bad in [
            "",
            "not base64!",
            &URL_SAFE_NO_PAD.encode("t.1"),
            &URL_SAFE_NO_PAD.encode("t.x.00000000000000000000000000000000"),
            &URL_SAFE_NO_PAD.encode("w.-1.00000000000000000000000000000000"),
            &URL_SAFE_NO_PAD.encode("q.1.00000000000000000000000000000000"),
            &"A".repeat(500),
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
