//! The connection every command goes through: the shared [`ConnectionManager`], plus one retry
//! of a command that met a connection the server had dropped.
//!
//! The manager reconnects by itself after a dropped connection, but only once a command has
//! failed on it: after a `CLIENT KILL`, a Redis restart or an idle timeout, the first request
//! answered 503 (`broken pipe`). Retrying that command once on the new connection hides it. Only
//! drops are retried, never timeouts (a stalled Redis should fail fast, not twice as slowly).
//! A command whose connection died after Redis ran it but before the reply came back may run
//! twice; every command here is idempotent or a counter for which that errs by one.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};

/// A clone of the shared connection that retries a command once after a dropped connection.
#[derive(Clone)]
pub struct Connection {
    inner: ConnectionManager,
}

impl Connection {
    pub(crate) fn new(inner: ConnectionManager) -> Self {
        Self { inner }
    }
}

/// Whether `e` says the connection was gone (so the command can go again on a new one).
fn dropped(e: &RedisError) -> bool {
    e.is_connection_dropped() && !e.is_timeout()
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            match self.inner.req_packed_command(cmd).await {
                Err(e) if dropped(&e) => {
                    tracing::debug!(error = %e, "redis connection dropped; retrying once");
                    self.inner.req_packed_command(cmd).await
                }
                other => other,
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            match self
                .inner
                .req_packed_commands(pipeline, offset, count)
                .await
            {
                Err(e) if dropped(&e) => {
                    tracing::debug!(error = %e, "redis connection dropped; retrying once");
                    self.inner
                        .req_packed_commands(pipeline, offset, count)
                        .await
                }
                other => other,
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}
