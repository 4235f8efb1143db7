//! Post views, counted once per viewer per window and buffered: a first view adds one to a
//! pending count in Redis in the same round trip as the window check, and the api flushes
//! the pending counts into PostgreSQL in one statement every few seconds, so reading a post
//! does not write to the database. A crash between taking and writing the counts loses at
//! most one flush interval of views (they are a popularity signal, not money).

use std::{sync::LazyLock, time::Duration};

use redis::Script;
use uuid::Uuid;

use crate::{
    limits::{Window, WINDOW_GRACE_MS},
    RedisState, StateError,
};

/// `KEYS[1]` the viewer's window counter; `KEYS[2]` the pending-views hash.
/// `ARGV[1]` counter TTL in ms; `ARGV[2]` the post id.
/// Returns `{hits of this viewer in the window, pending views of the post}`.
static VIEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
return {n, tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')}
",
    )
});

/// `KEYS[1]` the pending-views hash: returns its field/value pairs and deletes it, atomically.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return all
",
    )
});

/// What counting a view found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewCount {
    /// Whether this was the viewer's first view in the window (it was counted).
    pub counted: bool,
    /// Views of the post waiting to be written to the database (this one included).
    pub pending: i64,
}

impl RedisState {
    fn pending_views_key(&self) -> String {
        self.key("post-views:pending")
    }

    /// Counts a view of `post` by `viewer` (an account id or an address) once per `window`.
    pub async fn count_view(
        &self,
        post: Uuid,
        viewer: &str,
        window: Duration,
    ) -> Result<ViewCount, StateError> {
        let w = Window::now(window)?;
        let mut conn = self.connection();
        let (hits, pending): (u64, i64) = VIEW
            .key(self.window_key(&format!("post-view:{post}:{viewer}"), w.index))
            .key(self.pending_views_key())
            .arg(w.resets_in_ms + WINDOW_GRACE_MS)
            .arg(post.to_string())
            .invoke_async(&mut conn)
            .await?;
        Ok(ViewCount {
            counted: hits == 1,
            pending,
        })
    }

    /// Takes every pending view count (post, views) for writing to the database.
    pub async fn take_pending_views(&self) -> Result<Vec<(Uuid, i64)>, StateError> {
        let mut conn = self.connection();
        let pairs: Vec<(String, i64)> = TAKE
            .key(self.pending_views_key())
            .invoke_async(&mut conn)
            .await?;
        Ok(pairs
            .into_iter()
            .filter_map(|(id, n)| Uuid::try_parse(&id).ok().map(|id| (id, n)))
            .collect())
    }

    /// Puts taken counts back (the database write failed), adding to any counted since.
    pub async fn return_pending_views(&self, views: &[(Uuid, i64)]) -> Result<(), StateError> {
        if views.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for (id, n) in views {
            pipe.cmd("HINCRBY")
                .arg(self.pending_views_key())
                .arg(id.to_string())
                .arg(*n)
                .ignore();
        }
        let mut conn = self.connection();
        let () = pipe.query_async(&mut conn).await?;
        Ok(())
    }
}
