//! Shared application state, built once at start-up and cloned into each worker.

use std::{sync::Arc, time::Duration};

use moji_auth::{Authenticator, JwtKeys};
use moji_config::{Environment, ProductCalendar, Settings};
use moji_db::Db;
use moji_media::Limits;
use moji_mq::Broker;
use moji_redis::RedisState;
use moji_storage::Storage;

/// Everything handlers need.
#[derive(Clone)]
pub struct AppState {
    /// Effective settings.
    pub settings: Arc<Settings>,
    /// PostgreSQL.
    pub db: Db,
    /// Redis task state, throttling and revocation.
    pub redis: RedisState,
    /// RabbitMQ publisher.
    pub broker: Broker,
    /// Uploads and results.
    pub storage: Storage,
    /// Token verification (also in app data for the `AuthUser` extractor).
    pub auth: Authenticator,
    /// Upload limits (`faces.max_image_*`), the same the inference worker decodes with.
    pub upload_limits: Limits,
    /// The product day's time zone (`product.time_zone`).
    pub calendar: ProductCalendar,
    /// Signed file links made in the last minute, handed out again.
    pub links: Arc<crate::http::links::LinkCache>,
    /// Wakes the outbox relay after a commit that queued messages.
    pub outbox: Arc<crate::events::relay::Wake>,
    /// The dataset market's payment provider.
    pub payments: Arc<crate::market::provider::LocalProvider>,
    /// Outgoing mail and the sender's wake-up.
    pub mail: Arc<crate::mail::MailOutbox>,
    /// The OpenID provider's discovery document and keys, read on first use.
    pub oidc: Arc<crate::oidc::ProviderCache>,
}

impl AppState {
    /// Connects to every dependency.
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        let secret = jwt_secret(&settings)?;
        let db = Db::connect(
            &settings.database.url,
            settings.database.pool_size,
            Duration::from_secs(settings.database.pool_timeout_secs),
        )?;
        let redis = RedisState::connect(&settings.redis.url, &settings.redis.key_prefix).await?;
        let broker = Broker::from_settings(&settings.amqp, "moji-api").await?;
        let storage = Storage::from_settings(&settings.storage)?;
        let auth = Authenticator {
            keys: JwtKeys::new(&settings.jwt, secret.as_bytes()),
            state: redis.clone(),
        };
        let payments = Arc::new(crate::market::provider::LocalProvider::new(
            db.clone(),
            webhook_secret(&settings),
            callback_url(&settings),
        ));
        let mailer = moji_mail::Mailer::from_settings(&settings.mail)?;
        Ok(Self {
            payments,
            mail: crate::mail::MailOutbox::new(mailer),
            oidc: Arc::default(),
            upload_limits: Limits::new(
                settings.faces.max_image_bytes,
                settings.faces.max_image_pixels,
            ),
            calendar: settings.calendar(),
            links: Arc::default(),
            outbox: Arc::default(),
            settings: Arc::new(settings),
            db,
            redis,
            broker,
            storage,
            auth,
        })
    }
}

/// The payment callbacks' key: `MOJI_PAYMENTS__WEBHOOK_SECRET`, or a random one with a warning
/// (callbacks then only verify in this process: fine for one development api).
fn webhook_secret(settings: &Settings) -> Vec<u8> {
    if !settings.payments.webhook_secret.is_empty() {
        return settings.payments.webhook_secret.as_bytes().to_vec();
    }
    tracing::warn!("MOJI_PAYMENTS__WEBHOOK_SECRET is not set; payment callbacks are signed with a random per-process key");
    (0..32).map(|_| rand::random::<u8>()).collect()
}

/// Where the development provider calls back: `payments.callback_url`, or this api itself.
fn callback_url(settings: &Settings) -> String {
    if settings.payments.callback_url.is_empty() {
        format!(
            "http://127.0.0.1:{}/api/v1/payments/callback",
            settings.http.api_port
        )
    } else {
        settings.payments.callback_url.clone()
    }
}

/// The JWT key: from `MOJI_JWT__SECRET`, or (outside production) a random one with a warning.
fn jwt_secret(settings: &Settings) -> anyhow::Result<String> {
    if !settings.jwt.secret.is_empty() {
        return Ok(settings.jwt.secret.clone());
    }
    if settings.env == Environment::Production {
        anyhow::bail!("MOJI_JWT__SECRET must be set in production");
    }
    tracing::warn!(
        "MOJI_JWT__SECRET is not set: using a random key, so tokens die with this process \
         and other services cannot verify them"
    );
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
