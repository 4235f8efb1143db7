//! Ephemeral shared state in Redis: task records and their event stream, idempotency keys,
//! fixed-window rate limits and revoked token ids.
//!
//! Redis may lose everything on restart; nothing durable lives only here (task results are
//! persisted in Postgres by the api when `task.succeeded` arrives).
//!
//! # Key layout
//!
//! Every key starts with the prefix given to [`RedisState::connect`] (`{prefix}:`), and every
//! key carries a TTL: nothing written by this crate is immortal.
//!
//! | key / channel                        | type    | content                                     | TTL                          |
//! |--------------------------------------|---------|---------------------------------------------|------------------------------|
//! | `{prefix}:task:<id>`                 | hash    | `status kind user_id progress step result error created_at updated_at` | given to [`RedisState::create_task`] (24 h in the api), kept by updates |
//! | `{prefix}:task:<id>:events` (channel)| pub/sub | one [`TaskEvent`] JSON per transition / progress update | (channels hold no data) |
//! | `{prefix}:idem:<user>:<key>`         | string  | the value stored by the first claimant      | given to [`RedisState::claim_idempotency_key`] |
//! | `{prefix}:rl:<bucket>:<window index>`| string  | hit counter of one fixed window             | rest of the window + 1 s     |
//! | `{prefix}:revoked:<token id>`        | string  | `1`                                         | given to [`RedisState::revoke`] (the token's remaining life) |
//!
//! Task hash fields: `status` and `kind` are snake_case wire names, `user_id` a hyphenated UUID,
//! `progress` a decimal `0..=100`, `step` free text (absent until set), `result` and `error` JSON
//! (absent until set; `error` is a [`TaskError`]), `created_at` / `updated_at` RFC 3339 UTC with
//! microseconds.
//!
//! Window index = `unix time in ms / window length in ms`, so windows are aligned to the epoch
//! and every replica computes the same key (from its own clock).
//!
//! State changes of a task go through one Lua script, which checks the state machine of
//! [`TaskStatus::can_transition_to`], applies the change, bumps `updated_at` and publishes the
//! event in the same atomic step: subscribers see events in the order the changes happened.

mod cache;
mod conn;
mod error;
mod hub;
mod limits;
mod scripts;
mod tasks;
mod tickets;
mod views;

use std::time::Duration;

pub use conn::Connection;
pub use error::StateError;
pub use limits::{Taken, WindowCount};
pub use moji_common::{ErrorCode, TaskKind, TaskStatus};
pub use tasks::{NewTask, TaskChange, TaskError, TaskEvent, TaskRecord};
pub use views::ViewCount;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Client;

/// How long one Redis command may take before it fails (the crate default, 500 ms, is tight on a
/// loaded host).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one connection attempt may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Handle on the Redis state; cheap to clone (all clones share one multiplexed connection).
#[derive(Clone)]
pub struct RedisState {
    conn: ConnectionManager,
    /// Shared pub/sub connection for task-event subscribers.
    events: hub::EventHub,
    prefix: String,
}

impl std::fmt::Debug for RedisState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisState")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisState {
    /// Opens a reconnecting connection to `url` (e.g. `redis://127.0.0.1:6379`); all keys get `key_prefix`.
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, StateError> {
        let client = Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECTION_TIMEOUT));
        let conn = client.get_connection_manager_with_config(config).await?;
        Ok(Self {
            conn,
            events: hub::EventHub::new(client),
            prefix: key_prefix.to_owned(),
        })
    }

    /// The key prefix this handle was opened with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Full key name for `suffix`: `"{prefix}:{suffix}"` (just `suffix` when the prefix is empty).
    pub fn key(&self, suffix: &str) -> String {
        prefixed(&self.prefix, suffix)
    }

    /// Round trip to Redis (`PING`), for readiness probes.
    pub async fn ping(&self) -> Result<(), StateError> {
        let mut conn = self.connection();
        let pong: String = redis::cmd("PING").query_async(&mut conn).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StateError::Corrupt(format!("PING answered {pong:?}")))
        }
    }

    /// Deletes every key under this prefix (`SCAN {prefix}:*` + `DEL`) and returns how many
    /// went; for tests and maintenance, never on a shared prefix in production.
    pub async fn purge(&self) -> Result<u64, StateError> {
        let mut conn = self.connection();
        let pattern = format!("{}*", glob_escape(&self.key("")));
        let mut cursor: u64 = 0;
        let mut deleted: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                let n: u64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// A clone of the shared connection (retrying a command once after a dropped connection),
    /// for callers that need a raw command.
    pub fn connection(&self) -> Connection {
        Connection::new(self.conn.clone())
    }
}

/// `"{prefix}:{suffix}"`, or `suffix` alone for an empty prefix.
fn prefixed(prefix: &str, suffix: &str) -> String {
    if prefix.is_empty() {
        suffix.to_owned()
    } else {
        format!("{prefix}:{suffix}")
    }
}

/// Escapes the glob metacharacters of a `SCAN MATCH` pattern so `s` matches literally.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A TTL in whole milliseconds, rounded up; zero is refused (it would delete the key at once).
fn ttl_millis(ttl: Duration) -> Result<u64, StateError> {
    let nanos = ttl.as_nanos();
    let ms = nanos.div_ceil(1_000_000);
    if ms == 0 {
        return Err(StateError::InvalidArgument("a TTL must be positive".into()));
    }
    // Redis refuses expiries beyond i64 milliseconds; nobody needs 292 million years.
    u64::try_from(ms)
        .ok()
        .filter(|&ms| ms <= i64::MAX as u64 / 2)
        .ok_or_else(|| StateError::InvalidArgument(format!("TTL {ttl:?} is too long")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_with_a_colon() {
        assert_eq!(prefixed("moji", "task:1"), "moji:task:1");
        assert_eq!(prefixed("", "task:1"), "task:1");
        assert_eq!(prefixed("a:b", ""), "a:b:");
    }

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(glob_escape("test-abc:"), "test-abc:");
        assert_eq!(glob_escape("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
    }

    #[test]
    fn ttl_is_rounded_up_to_milliseconds_and_must_be_positive() {
        assert_eq!(ttl_millis(Duration::from_secs(2)).unwrap(), 2000);
        assert_eq!(ttl_millis(Duration::from_micros(1)).unwrap(), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)).unwrap(), 2);
        assert!(matches!(
            ttl_millis(Duration::ZERO),
            Err(StateError::InvalidArgument(_))
        ));
        assert!(matches!(
            ttl_millis(Duration::MAX),
            Err(StateError::InvalidArgument(_))
        ));
    }
}
