//! One-time tickets: short-lived values under `{prefix}:ticket:<kind>:<id>` that can be taken
//! exactly once (`GETDEL`), such as the state of a sign-in with an OpenID provider.

use std::time::Duration;

use crate::{ttl_millis, RedisState, StateError};

impl RedisState {
    /// Stores `value` as ticket `kind`/`id` for `ttl` (a new ticket replaces an old one).
    pub async fn put_ticket(
        &self,
        kind: &str,
        id: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<(), StateError> {
        let mut conn = self.connection();
        let () = redis::cmd("SET")
            .arg(self.key(&format!("ticket:{kind}:{id}")))
            .arg(value)
            .arg("PX")
            .arg(ttl_millis(ttl)?)
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// Takes ticket `kind`/`id`: its value the first time, `None` after that or once expired.
    pub async fn take_ticket(&self, kind: &str, id: &str) -> Result<Option<String>, StateError> {
        let mut conn = self.connection();
        Ok(redis::cmd("GETDEL")
            .arg(self.key(&format!("ticket:{kind}:{id}")))
            .query_async(&mut conn)
            .await?)
    }
}
