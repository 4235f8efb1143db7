//! A small read-through cache of computed answers (e.g. the ids a search found), each under
//! `{prefix}:cache:<name>` with a TTL. Only derived data lives here: a miss recomputes it.

use std::time::Duration;

use crate::{ttl_millis, RedisState, StateError};

impl RedisState {
    /// The cached value of `name`, if any.
    pub async fn cached(&self, name: &str) -> Result<Option<String>, StateError> {
        let mut conn = self.connection();
        Ok(redis::cmd("GET")
            .arg(self.key(&format!("cache:{name}")))
            .query_async(&mut conn)
            .await?)
    }

    /// Caches `value` under `name` for `ttl`.
    pub async fn cache(&self, name: &str, value: &str, ttl: Duration) -> Result<(), StateError> {
        let mut conn = self.connection();
        let () = redis::cmd("SET")
            .arg(self.key(&format!("cache:{name}")))
            .arg(value)
            .arg("PX")
            .arg(ttl_millis(ttl)?)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }
}
