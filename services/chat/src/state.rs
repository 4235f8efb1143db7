//! Shared state of one chat replica, built once at start-up and cloned into each worker.

use std::{
    sync::{atomic::AtomicU64, Arc},
    time::Duration,
};

use moji_auth::{Authenticator, JwtKeys};
use moji_config::Settings;
use moji_db::Db;
use moji_mq::Broker;
use moji_redis::RedisState;
use tokio_util::sync::CancellationToken;

use crate::hub::Hub;

/// Everything handlers and sockets need.
#[derive(Clone)]
pub struct ChatState {
    /// Effective settings.
    pub settings: Arc<Settings>,
    /// PostgreSQL.
    pub db: Db,
    /// Revocations and the send rate limit.
    pub redis: RedisState,
    /// Fan-out between replicas.
    pub broker: Broker,
    /// Access-token verification.
    pub auth: Authenticator,
    /// Routes room events to this replica's sockets.
    pub hub: Hub,
    /// This replica's name in fan-out messages (it skips its own).
    pub replica: Arc<str>,
    /// Cancelled when the replica shuts down: sockets close with 1012.
    pub shutdown: CancellationToken,
    /// Socket ids.
    pub next_socket: Arc<AtomicU64>,
}

impl ChatState {
    /// Connects to every dependency and starts the hub.
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        if settings.jwt.secret.is_empty() {
            // Unlike the api, chat cannot make up a key: it must verify the api's tokens.
            anyhow::bail!("MOJI_JWT__SECRET must be set (the same key as the api's)");
        }
        let db = Db::connect(
            &settings.database.url,
            settings.database.pool_size,
            Duration::from_secs(settings.database.pool_timeout_secs),
        )?;
        let redis = RedisState::connect(&settings.redis.url, &settings.redis.key_prefix).await?;
        let broker = Broker::exchanges_only(&settings.amqp, "moji-chat").await?;
        let auth = Authenticator {
            keys: JwtKeys::new(&settings.jwt, settings.jwt.secret.as_bytes()),
            state: redis.clone(),
        };
        let shutdown = CancellationToken::new();
        let hub = Hub::start(
            db.clone(),
            Duration::from_millis(settings.chat.gap_wait_ms),
            shutdown.clone(),
        );
        let replica: Arc<str> = Arc::from(replica_name().as_str());
        Ok(Self {
            settings: Arc::new(settings),
            db,
            redis,
            broker,
            auth,
            hub,
            replica,
            shutdown,
            next_socket: Arc::default(),
        })
    }
}

/// `<host>-<random>`: unique per process, readable in RabbitMQ's queue list.
fn replica_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "chat".to_owned());
    let suffix: u32 = rand::random();
    format!("{host}-{suffix:08x}")
}
