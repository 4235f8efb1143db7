//! Idempotency keys, fixed-window and sliding-window rate limits, and revoked token ids.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::scripts::{CLAIM, HIT, TAKE};
use crate::{ttl_millis, RedisState, StateError};

/// How long a window counter outlives its window (covers clock skew between replicas).
pub(crate) const WINDOW_GRACE_MS: u64 = 1_000;

/// The state of one fixed rate-limit window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Hits counted in the current window.
    pub count: u64,
    /// Time until the current window ends and the count starts again from zero.
    pub resets_in: Duration,
}

/// What a sliding-window limit said about one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    /// Whether the hit was within the limit (and counted).
    pub allowed: bool,
    /// Hits in the last window, this one included when allowed.
    pub count: u64,
    /// When refused: time until the oldest counted hit leaves the window.
    pub retry_in: Duration,
}

impl RedisState {
    /// Counts a hit of `bucket` if fewer than `limit` were counted in the last `window` (a
    /// sliding window: any span of `window` holds at most `limit` hits, unlike a fixed window,
    /// which lets a burst across its boundary through twice over). Refused hits are not
    /// counted.
    pub async fn take(
        &self,
        bucket: &str,
        window: Duration,
        limit: u32,
    ) -> Result<Taken, StateError> {
        let window_ms = ttl_millis(window)?;
        let now_ms = u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
        )
        .unwrap_or(u64::MAX);
        let member = format!("{now_ms}-{}", Uuid::now_v7().simple());
        let mut conn = self.connection();
        let reply: Vec<i64> = TAKE
            .key(self.key(&format!("sw:{bucket}")))
            .arg(now_ms)
            .arg(window_ms)
            .arg(limit)
            .arg(member)
            .invoke_async(&mut conn)
            .await?;
        let at = |i: usize| reply.get(i).copied().unwrap_or(0).max(0);
        Ok(Taken {
            allowed: at(0) == 1,
            count: u64::try_from(at(1)).unwrap_or(0),
            retry_in: Duration::from_millis(u64::try_from(at(2)).unwrap_or(0)),
        })
    }

    /// Full key of an idempotency claim: `{prefix}:idem:<user>:<key>`.
    pub fn idempotency_key(&self, user: Uuid, key: &str) -> String {
        self.key(&format!("idem:{user}:{key}"))
    }

    /// Claims `key` for `user` with `SET NX` and a TTL: `None` means this call claimed it and
    /// stored `value`; `Some(existing)` is the value stored by whoever claimed it first.
    pub async fn claim_idempotency_key(
        &self,
        user: Uuid,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StateError> {
        let ttl_ms = ttl_millis(ttl)?;
        let mut conn = self.connection();
        let existing: Option<String> = CLAIM
            .key(self.idempotency_key(user, key))
            .arg(value)
            .arg(ttl_ms)
            .invoke_async(&mut conn)
            .await?;
        Ok(existing)
    }

    /// Counts one hit in the current `window` of `bucket` (`INCR`, plus `PEXPIRE` on a new
    /// counter, atomically) and returns the count including this hit.
    pub async fn hit(&self, bucket: &str, window: Duration) -> Result<WindowCount, StateError> {
        let w = Window::now(window)?;
        let mut conn = self.connection();
        let count: u64 = HIT
            .key(self.window_key(bucket, w.index))
            .arg(w.resets_in_ms + WINDOW_GRACE_MS)
            .invoke_async(&mut conn)
            .await?;
        Ok(w.count(count))
    }

    /// The count of the current `window` of `bucket`, without counting a hit.
    pub async fn peek(&self, bucket: &str, window: Duration) -> Result<WindowCount, StateError> {
        let w = Window::now(window)?;
        let mut conn = self.connection();
        let count: Option<u64> = redis::cmd("GET")
            .arg(self.window_key(bucket, w.index))
            .query_async(&mut conn)
            .await?;
        Ok(w.count(count.unwrap_or(0)))
    }

    /// Forgets the hits of the current `window` of `bucket` (e.g. after a successful login).
    pub async fn reset(&self, bucket: &str, window: Duration) -> Result<(), StateError> {
        let w = Window::now(window)?;
        let mut conn = self.connection();
        let _: u64 = redis::cmd("DEL")
            .arg(self.window_key(bucket, w.index))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Marks a token id as revoked for `ttl` (give it the token's remaining lifetime).
    pub async fn revoke(&self, token_id: &str, ttl: Duration) -> Result<(), StateError> {
        self.revoke_with(token_id, "1", ttl).await
    }

    /// Marks an id as revoked for `ttl` with a `value` that [`Self::revocations`] reads back
    /// (a suspended account's end, say).
    pub async fn revoke_with(
        &self,
        token_id: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), StateError> {
        let ttl_ms = ttl_millis(ttl)?;
        let mut conn = self.connection();
        let _: String = redis::cmd("SET")
            .arg(self.revoked_key(token_id))
            .arg(value)
            .arg("PX")
            .arg(ttl_ms)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Lifts a revocation (an admin reinstating an account).
    pub async fn unrevoke(&self, token_id: &str) -> Result<(), StateError> {
        let mut conn = self.connection();
        let _: u64 = redis::cmd("DEL")
            .arg(self.revoked_key(token_id))
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The stored value of each of `token_ids` (`None`: not revoked), in one round trip.
    pub async fn revocations(&self, token_ids: &[&str]) -> Result<Vec<Option<String>>, StateError> {
        if token_ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = token_ids.iter().map(|id| self.revoked_key(id)).collect();
        let mut conn = self.connection();
        Ok(redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?)
    }

    /// Whether any of `token_ids` is revoked, in one round trip (`EXISTS k1 k2 ...`); false for none.
    pub async fn any_revoked(&self, token_ids: &[&str]) -> Result<bool, StateError> {
        if token_ids.is_empty() {
            return Ok(false);
        }
        let keys: Vec<String> = token_ids.iter().map(|id| self.revoked_key(id)).collect();
        let mut conn = self.connection();
        let n: u64 = redis::cmd("EXISTS")
            .arg(&keys)
            .query_async(&mut conn)
            .await?;
        Ok(n > 0)
    }

    /// For each group of token ids, whether any of them is revoked: one pipelined round trip
    /// for all groups (a chat replica checks every live socket's token and session at once).
    pub async fn revoked_groups<const N: usize>(
        &self,
        groups: &[[&str; N]],
    ) -> Result<Vec<bool>, StateError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for group in groups {
            let keys: Vec<String> = group.iter().map(|id| self.revoked_key(id)).collect();
            pipe.cmd("EXISTS").arg(keys);
        }
        let mut conn = self.connection();
        let counts: Vec<u64> = pipe.query_async(&mut conn).await?;
        Ok(counts.into_iter().map(|n| n > 0).collect())
    }

    /// Full key of a rate-limit window counter: `{prefix}:rl:<bucket>:<window index>`.
    pub(crate) fn window_key(&self, bucket: &str, index: u64) -> String {
        self.key(&format!("rl:{bucket}:{index}"))
    }

    /// Full key of a revoked token id: `{prefix}:revoked:<id>`.
    fn revoked_key(&self, token_id: &str) -> String {
        self.key(&format!("revoked:{token_id}"))
    }
}

/// Where "now" falls in a fixed window grid aligned to the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) index: u64,
    pub(crate) resets_in_ms: u64,
}

impl Window {
    /// The window of length `window` containing the current time.
    pub(crate) fn now(window: Duration) -> Result<Self, StateError> {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| StateError::InvalidArgument(format!("clock before 1970: {e}")))?
            .as_millis();
        let now_ms = u64::try_from(now_ms)
            .map_err(|_| StateError::InvalidArgument("clock beyond year 500 million".into()))?;
        Self::at(now_ms, ttl_millis(window)?)
    }

    /// The window of length `window_ms` (> 0) containing `now_ms`.
    fn at(now_ms: u64, window_ms: u64) -> Result<Self, StateError> {
        if window_ms == 0 {
            return Err(StateError::InvalidArgument(
                "a rate-limit window must be positive".into(),
            ));
        }
        Ok(Self {
            index: now_ms / window_ms,
            resets_in_ms: window_ms - now_ms % window_ms,
        })
    }

    fn count(self, count: u64) -> WindowCount {
        WindowCount {
            count,
            resets_in: Duration::from_millis(self.resets_in_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        assert_eq!(
            Window::at(0, 1000).unwrap(),
            Window {
                index: 0,
                resets_in_ms: 1000
            }
        );
        assert_eq!(
            Window::at(999, 1000).unwrap(),
            Window {
                index: 0,
                resets_in_ms: 1
            }
        );
        assert_eq!(
            Window::at(1000, 1000).unwrap(),
            Window {
                index: 1,
                resets_in_ms: 1000
            }
        );
        assert_eq!(
            Window::at(125_500, 60_000).unwrap(),
            Window {
                index: 2,
                resets_in_ms: 54_500
            }
        );
        assert!(Window::at(5, 0).is_err());
    }

    #[test]
    fn the_current_window_resets_within_its_length() {
        let w = Window::now(Duration::from_secs(60)).unwrap();
        assert!(w.resets_in_ms > 0 && w.resets_in_ms <= 60_000);
        let c = w.count(3);
        assert_eq!(c.count, 3);
        assert_eq!(c.resets_in, Duration::from_millis(w.resets_in_ms));
        assert!(matches!(
            Window::now(Duration::ZERO),
            Err(StateError::InvalidArgument(_))
        ));
    }
}
