//! Moji settings. Defaults live in code, an optional TOML file (path in `MOJI_CONFIG`) may
//! override them, and `MOJI_<SECTION>__<KEY>` environment variables override both. The plain
//! `DATABASE_URL`, `REDIS_URL` and `AMQP_URL` are accepted too. Secrets come only from the
//! environment: a file that sets one is refused.

mod calendar;
mod courses;
mod datasets;
mod mail;
mod moderation;
mod oidc;

use std::path::PathBuf;

pub use calendar::ProductCalendar;
pub use courses::CourseSettings;
pub use datasets::{DatasetSettings, PaymentSettings};
pub use mail::MailSettings;
pub use moderation::ModerationSettings;
pub use oidc::OidcSettings;

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer could not be parsed or a value has the wrong type.
    #[error("configuration could not be read: {0}")]
    Load(#[from] Box<figment::Error>),
    /// A value is out of range or a required value is missing.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Which deployment this is; production is strict about secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine: missing secrets are generated with a warning.
    Development,
    /// Automated tests.
    Test,
    /// A real deployment: every secret must be set.
    Production,
}

/// All settings of all services; each service reads the sections it needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Deployment kind (`MOJI_ENV`).
    pub env: Environment,
    /// Listening addresses and HTTP limits.
    pub http: HttpSettings,
    /// PostgreSQL.
    pub database: DatabaseSettings,
    /// Redis.
    pub redis: RedisSettings,
    /// RabbitMQ.
    pub amqp: AmqpSettings,
    /// Object storage.
    pub storage: StorageSettings,
    /// JWT signing.
    pub jwt: JwtSettings,
    /// Password hashing and login throttling.
    pub auth: AuthSettings,
    /// Logs.
    pub telemetry: TelemetrySettings,
    /// Photo uploads and the face pipeline.
    pub faces: FaceSettings,
    /// The product day.
    pub product: ProductSettings,
    /// Image uploads of posts, products and avatars (presigned PUT, then processing).
    pub media: MediaSettings,
    /// Full-text search.
    pub search: SearchSettings,
    /// Real-time chat (the chat service).
    pub chat: ChatSettings,
    /// Search, similar items and "for you" (the recommendation service).
    pub recommend: RecommendSettings,
    /// Date courses: quota and the text writer.
    pub courses: CourseSettings,
    /// The dataset maker: daily image quota, workers, download links.
    pub datasets: DatasetSettings,
    /// The dataset market's payment provider.
    pub payments: PaymentSettings,
    /// Reports, the automatic hide and suspensions.
    pub moderation: ModerationSettings,
    /// Outgoing mail: password resets and e-mail verification.
    pub mail: MailSettings,
    /// Sign-in with an OpenID Connect provider.
    pub oidc: OidcSettings,
}

/// The recommendation service: model, index, ranking and view recording (docs/recommend.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecommendSettings {
    /// Folder of the sentence model (all-MiniLM-L6-v2, from `scripts/models.sh`).
    pub model_dir: PathBuf,
    /// Embedding batches that may run at once (each on a blocking thread).
    pub embed_threads: usize,
    /// Embedding requests that may wait for a thread before callers are told to retry (503).
    pub embed_queue: usize,
    /// Index backend: `hnsw` (in-process, the default), `exact` (brute force, small corpora) or
    /// `milvus` (a Milvus server shared by every replica, for corpora no replica can hold).
    pub index_backend: String,
    /// Milvus proxy URL (REST v1), for `index_backend = "milvus"`.
    pub milvus_url: String,
    /// Milvus collection of the items.
    pub milvus_collection: String,
    /// HNSW graph degree.
    pub hnsw_connectivity: usize,
    /// HNSW candidate list while adding.
    pub hnsw_expansion_add: usize,
    /// HNSW candidate list while searching (96 reaches recall@10 0.97 on the 1M bench).
    pub hnsw_expansion_search: usize,
    /// HNSW vector storage: `f16` (half the memory, the same recall on the bench) or `f32`.
    pub hnsw_quantization: String,
    /// Search ranking: `hybrid` (reciprocal rank fusion), `semantic` or `fulltext`.
    pub search_method: String,
    /// The k of reciprocal rank fusion, `1 / (k + rank)`.
    pub rrf_k: u32,
    /// A view this long or longer counts fully as interest; shorter ones proportionally.
    pub long_dwell_ms: u64,
    /// Views longer than this are cut to it (a tab left open says nothing more).
    pub max_dwell_ms: u64,
    /// Views waiting to be written; more are dropped and counted.
    pub views_queue: usize,
    /// Views written per statement.
    pub views_batch: usize,
    /// Longest a view waits before its batch is written, in milliseconds.
    pub views_flush_ms: u64,
    /// Interest halves every this many days.
    pub recency_half_life_days: f64,
    /// How often the index is checked against PostgreSQL (missed events are applied), in seconds.
    pub reconcile_secs: u64,
}

/// Real-time chat: socket limits, send rate and fan-out timing (docs/chat.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatSettings {
    /// Frames queued for one socket before it counts as a slow consumer and is closed (1013).
    pub outbound_queue: usize,
    /// Largest frame a client may send, in bytes (larger closes the socket with 1009).
    pub max_frame_bytes: usize,
    /// `send` frames one person may make per window.
    pub send_limit: u32,
    /// Length of the send window, in seconds.
    pub send_window_secs: u64,
    /// Seconds between server pings.
    pub heartbeat_secs: u64,
    /// Seconds of silence after which a peer is dropped.
    pub idle_timeout_secs: u64,
    /// How often live sockets' sessions are checked against the revocation list, in seconds.
    pub revocation_check_secs: u64,
    /// How long a new socket holds live events for the client's first frame (normally
    /// `resume`), in milliseconds: a reconnecting client gets its replay before anything newer.
    pub resume_wait_ms: u64,
    /// Most members one room may have.
    pub max_members: u32,
    /// How long an out-of-order fan-out message waits for the missing ones before they are
    /// read from PostgreSQL, in milliseconds.
    pub gap_wait_ms: u64,
}

/// Full-text search.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchSettings {
    /// How long the matches of a query (ids in rank order) are reused, in seconds; 0 turns
    /// the cache off. New content shows up in search at most this late; deleted or hidden
    /// content never shows (rows are loaded fresh).
    pub cache_ttl_secs: u64,
}

/// Image uploads of posts, products and avatars.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaSettings {
    /// Largest image a person may upload, in bytes (`POST /uploads` refuses larger ones).
    pub max_upload_bytes: usize,
    /// Largest image in pixels, read from the header before decoding.
    pub max_upload_pixels: u64,
    /// Lifetime of an upload URL, in seconds (at most 900, and at most
    /// `storage.presign_ttl_secs`).
    pub upload_url_ttl_secs: u64,
    /// Uploads nothing refers to are deleted this long after they were issued, in seconds.
    pub orphan_after_secs: u64,
    /// Images still processing after this many seconds are failed (their post with them).
    pub processing_timeout_secs: u64,
    /// How often one api replica sweeps orphans and stuck processing, in seconds.
    pub sweep_interval_secs: u64,
    /// Most uploads one person may hold that nothing refers to yet (429 beyond).
    pub max_unattached_uploads: u32,
}

/// The product day: fortunes, streaks, daily statistics, ranking windows and daily quotas
/// turn over at midnight in this time zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductSettings {
    /// IANA time zone name (`MOJI_PRODUCT__TIME_ZONE`, default `Asia/Seoul`).
    pub time_zone: String,
}

/// Photo uploads and the face pipeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaceSettings {
    /// Largest accepted photo in bytes (413 `image_too_large` above).
    pub max_image_bytes: usize,
    /// Largest accepted photo in pixels, read from the header before decoding.
    pub max_image_pixels: u64,
    /// Lifetime of task records in Redis, in seconds.
    pub task_ttl_secs: u64,
    /// Directory of the converted models (inference).
    pub models_dir: PathBuf,
    /// Directory of OpenCV's Haar cascades (inference).
    pub cascades_dir: PathBuf,
    /// Vision worker threads in the inference service; 0 means one per core.
    pub workers: usize,
    /// Face detection mode: `adaptive` (default: a fast pass, then the thorough one when it
    /// finds nothing or only faces under 15 % of the long side — same recall as `thorough` on
    /// the test composites, ~22 ms for a selfie-like 1 MP photo), `thorough` (always the
    /// recall-first pass: every face of 32 px or more, ~0.3 s of one core per 1 MP photo) or
    /// `fast` (faces of ~128 px or more at 1 MP only).
    pub detection: String,
    /// Artificial pause after each pipeline step, in milliseconds: lets fault-injection tests
    /// and demos catch a task mid-flight. Always 0 in production.
    pub step_delay_ms: u64,
    /// Shortest time between two progress writes of one task, in milliseconds: each write is
    /// a Redis script, a pub/sub message and an SSE frame, and steps shorter than this are
    /// invisible to a person anyway.
    pub progress_gap_ms: u64,
}

/// Ports and limits of the HTTP servers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpSettings {
    /// Interface to bind.
    pub host: String,
    /// Public origin clients use (the edge), for absolute links.
    pub public_url: String,
    /// nginx edge port (used by scripts and the edge config).
    pub edge_port: u16,
    /// Main REST API port.
    pub api_port: u16,
    /// Chat WebSocket service port.
    pub chat_port: u16,
    /// Recommendation service port.
    pub recommend_port: u16,
    /// Inference worker's metrics/health port.
    pub inference_port: u16,
    /// Largest accepted JSON body in bytes.
    pub json_limit_bytes: usize,
    /// Origins allowed by CORS, e.g. `https://app.example.com` (empty: same origin only).
    /// From the environment as `MOJI_HTTP__CORS_ORIGINS='["https://a.example","https://b.example"]'`.
    pub cors_origins: Vec<String>,
}

/// PostgreSQL connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabaseSettings {
    /// `postgres://` URL (also `DATABASE_URL`).
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Seconds to wait for a pooled connection.
    pub pool_timeout_secs: u64,
}

/// Redis connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedisSettings {
    /// `redis://` URL (also `REDIS_URL`).
    pub url: String,
    /// Prefix of every key, so deployments and tests can share one server.
    pub key_prefix: String,
}

/// RabbitMQ connection and topology naming.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AmqpSettings {
    /// `amqp://` URL (also `AMQP_URL`).
    pub url: String,
    /// Prefix of every exchange and queue name (empty in production; random in tests).
    pub prefix: String,
    /// Unacknowledged deliveries per consumer; 0 means 2 x CPU cores.
    pub prefetch: u16,
    /// Deliveries of one message before it is dead-lettered.
    pub delivery_limit: u32,
}

/// Which object store backs `moji-storage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// Files under `local_root`.
    Local,
    /// An S3-compatible service.
    S3,
}

/// Object storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StorageSettings {
    /// `local` (default) or `s3`.
    pub backend: StorageBackend,
    /// Directory of the local backend.
    pub local_root: PathBuf,
    /// S3 bucket.
    pub bucket: String,
    /// S3 endpoint for S3-compatible servers; empty for AWS.
    pub endpoint: String,
    /// S3 region.
    pub region: String,
    /// S3 access key id (environment only).
    pub access_key_id: String,
    /// S3 secret key (environment only).
    pub secret_access_key: String,
    /// Allow plain-HTTP endpoints (local S3-compatible servers).
    pub allow_http: bool,
    /// Key that signs local-backend URLs (environment only; generated in development).
    pub signing_secret: String,
    /// Base URL that signed local URLs start with.
    pub public_base_url: String,
    /// Lifetime of presigned URLs in seconds (at most 900).
    pub presign_ttl_secs: u64,
}

/// JWT signing and lifetimes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JwtSettings {
    /// HS256 key (`MOJI_JWT__SECRET`, environment only).
    pub secret: String,
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access-token lifetime in seconds.
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: u64,
}

/// Password hashing and login throttling.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthSettings {
    /// bcrypt cost factor (4..=31).
    pub bcrypt_cost: u32,
    /// Failed logins for one login name allowed per window.
    pub login_max_failures: u32,
    /// Length of the failed-login window in seconds.
    pub login_window_secs: u64,
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TelemetrySettings {
    /// `text` or `json` (`MOJI_LOG_FORMAT`).
    pub log_format: String,
    /// `tracing` filter directive (`RUST_LOG` wins when set).
    pub log_level: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            env: Environment::Development,
            http: HttpSettings {
                host: "127.0.0.1".into(),
                public_url: "http://127.0.0.1:8080".into(),
                edge_port: 8080,
                api_port: 8081,
                chat_port: 8082,
                recommend_port: 8083,
                inference_port: 8084,
                json_limit_bytes: 64 * 1024,
                cors_origins: Vec::new(),
            },
            database: DatabaseSettings {
                // Loopback: TLS would only cost CPU (about 0.3 ms per face task, measured in the bench).
                url: "postgres://moji:moji@127.0.0.1:5432/moji?sslmode=disable".into(),
                // About twice the database server's cores: with the api, PostgreSQL and the
                // load on one 2-core machine, 4 connections served the gallery ~10-30 % faster
                // than 10 and 32 (scripts/bench/gallery.sh; README "Gallery reads").
                pool_size: 4,
                pool_timeout_secs: 5,
            },
            redis: RedisSettings {
                url: "redis://127.0.0.1:6379".into(),
                key_prefix: "moji".into(),
            },
            amqp: AmqpSettings {
                url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
                prefix: String::new(),
                prefetch: 0,
                delivery_limit: 5,
            },
            storage: StorageSettings {
                backend: StorageBackend::Local,
                local_root: PathBuf::from(".cache/storage"),
                bucket: "moji".into(),
                endpoint: String::new(),
                region: "us-east-1".into(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
                allow_http: false,
                signing_secret: String::new(),
                public_base_url: "http://127.0.0.1:8080/api/v1/files".into(),
                presign_ttl_secs: 900,
            },
            jwt: JwtSettings {
                secret: String::new(),
                issuer: "moji".into(),
                audience: "moji".into(),
                access_ttl_secs: 15 * 60,
                refresh_ttl_secs: 14 * 24 * 3600,
            },
            auth: AuthSettings {
                bcrypt_cost: 12,
                login_max_failures: 10,
                login_window_secs: 15 * 60,
            },
            telemetry: TelemetrySettings {
                log_format: "text".into(),
                log_level: "info".into(),
            },
            faces: FaceSettings {
                max_image_bytes: 15 * 1024 * 1024,
                max_image_pixels: 40_000_000,
                task_ttl_secs: 24 * 3600,
                models_dir: PathBuf::from(".cache/models"),
                cascades_dir: PathBuf::from("/usr/share/opencv4/haarcascades"),
                workers: 0,
                detection: "adaptive".into(),
                step_delay_ms: 0,
                progress_gap_ms: 25,
            },
            product: ProductSettings {
                time_zone: "Asia/Seoul".into(),
            },
            search: SearchSettings { cache_ttl_secs: 30 },
            chat: ChatSettings {
                outbound_queue: 256,
                max_frame_bytes: 16 * 1024,
                send_limit: 20,
                send_window_secs: 10,
                heartbeat_secs: 20,
                idle_timeout_secs: 60,
                revocation_check_secs: 5,
                resume_wait_ms: 2000,
                max_members: 5000,
                gap_wait_ms: 100,
            },
            recommend: RecommendSettings {
                model_dir: PathBuf::from(".cache/models/all-minilm-l6-v2"),
                embed_threads: 2,
                embed_queue: 256,
                index_backend: "hnsw".into(),
                milvus_url: String::new(),
                milvus_collection: "moji_items".into(),
                hnsw_connectivity: 16,
                hnsw_expansion_add: 128,
                hnsw_expansion_search: 96,
                hnsw_quantization: "f16".into(),
                search_method: "hybrid".into(),
                rrf_k: 60,
                long_dwell_ms: 30_000,
                max_dwell_ms: 600_000,
                views_queue: 10_000,
                views_batch: 500,
                views_flush_ms: 1_000,
                recency_half_life_days: 14.0,
                reconcile_secs: 300,
            },
            courses: CourseSettings::default(),
            datasets: DatasetSettings::default(),
            payments: PaymentSettings::default(),
            moderation: ModerationSettings::default(),
            mail: MailSettings::default(),
            oidc: OidcSettings::default(),
            media: MediaSettings {
                max_upload_bytes: 10 * 1024 * 1024,
                max_upload_pixels: 40_000_000,
                upload_url_ttl_secs: 600,
                orphan_after_secs: 24 * 3600,
                processing_timeout_secs: 3600,
                sweep_interval_secs: 600,
                max_unattached_uploads: 100,
            },
        }
    }
}

/// Keys that may only come from the environment.
const SECRET_KEYS: [&str; 8] = [
    "payments.webhook_secret",
    "oidc.client_secret",
    "mail.smtp_password",
    "jwt.secret",
    "courses.openai_api_key",
    "storage.secret_access_key",
    "storage.access_key_id",
    "storage.signing_secret",
];

impl Settings {
    /// Loads defaults, then the file named by `MOJI_CONFIG` (if any), then the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os("MOJI_CONFIG").map(PathBuf::from);
        Self::from_figment(Self::figment(file.as_deref()), file.as_deref())
    }

    /// The layered provider, exposed so tests can add their own layer on top.
    pub fn figment(file: Option<&std::path::Path>) -> Figment {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            fig = fig.merge(Toml::file(path));
        }
        fig.merge(Env::prefixed("MOJI_").split("__").ignore(&["config"]))
            .merge(
                Env::raw()
                    .only(&["database_url"])
                    .map(|_| "database.url".into()),
            )
            .merge(Env::raw().only(&["redis_url"]).map(|_| "redis.url".into()))
            .merge(Env::raw().only(&["amqp_url"]).map(|_| "amqp.url".into()))
            // `MOJI_LOG_FORMAT` is the documented short form of `MOJI_TELEMETRY__LOG_FORMAT`.
            .merge(
                Env::raw()
                    .only(&["moji_log_format"])
                    .map(|_| "telemetry.log_format".into()),
            )
            // `MOJI_MODELS_DIR` / `MOJI_CASCADES_DIR`: the short forms scripts and images use.
            .merge(
                Env::raw()
                    .only(&["moji_models_dir"])
                    .map(|_| "faces.models_dir".into()),
            )
            .merge(
                Env::raw()
                    .only(&["moji_cascades_dir"])
                    .map(|_| "faces.cascades_dir".into()),
            )
    }

    /// Extracts and validates settings from a provider; `file` is checked for secrets.
    pub fn from_figment(fig: Figment, file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        if let Some(path) = file {
            let only_file = Figment::from(Toml::file(path));
            for key in SECRET_KEYS {
                if only_file.find_value(key).is_ok() {
                    return Err(ConfigError::Invalid(format!(
                        "{key} is a secret: set it in the environment, not in {}",
                        path.display()
                    )));
                }
            }
        }
        let settings: Settings = fig.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks ranges and production requirements.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        let chat = &self.chat;
        if chat.outbound_queue == 0
            || chat.send_limit == 0
            || chat.send_window_secs == 0
            || chat.heartbeat_secs == 0
            || chat.revocation_check_secs == 0
            || chat.max_members < 2
        {
            return bad(
                "chat.outbound_queue, send_limit, send_window_secs, heartbeat_secs and \
                 revocation_check_secs must be positive and chat.max_members at least 2"
                    .into(),
            );
        }
        if chat.idle_timeout_secs <= chat.heartbeat_secs
            || !(256..=1_048_576).contains(&chat.max_frame_bytes)
        {
            return bad(format!(
                "chat.idle_timeout_secs ({}) must exceed chat.heartbeat_secs ({}) and \
                 chat.max_frame_bytes ({}) lie in 256..=1048576",
                chat.idle_timeout_secs, chat.heartbeat_secs, chat.max_frame_bytes
            ));
        }
        let rec = &self.recommend;
        if rec.embed_threads == 0
            || rec.embed_queue == 0
            || rec.views_queue == 0
            || rec.views_batch == 0
            || rec.reconcile_secs == 0
            || rec.long_dwell_ms == 0
            || rec.max_dwell_ms < rec.long_dwell_ms
            || rec.hnsw_connectivity < 2
            || rec.hnsw_expansion_search == 0
            || rec.hnsw_expansion_add == 0
            || rec.recency_half_life_days <= 0.0
        {
            return bad(
                "recommend: embed_threads, embed_queue, views_queue, views_batch, reconcile_secs, \
                 long_dwell_ms, hnsw_expansion_* and recency_half_life_days must be positive, \
                 hnsw_connectivity at least 2 and max_dwell_ms at least long_dwell_ms"
                    .into(),
            );
        }
        if !matches!(rec.hnsw_quantization.as_str(), "f16" | "f32") {
            return bad(format!(
                "recommend.hnsw_quantization must be f16 or f32, got {:?}",
                rec.hnsw_quantization
            ));
        }
        if rec.index_backend == "milvus" && rec.milvus_url.is_empty() {
            return bad("recommend.index_backend = \"milvus\" needs recommend.milvus_url".into());
        }
        if !matches!(rec.index_backend.as_str(), "hnsw" | "exact" | "milvus")
            || !matches!(
                rec.search_method.as_str(),
                "hybrid" | "semantic" | "fulltext"
            )
        {
            return bad(format!(
                "recommend.index_backend must be hnsw, exact or milvus (got {:?}) and \
                 recommend.search_method hybrid, semantic or fulltext (got {:?})",
                rec.index_backend, rec.search_method
            ));
        }
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            return bad(format!(
                "auth.bcrypt_cost must be 4..=31, got {}",
                self.auth.bcrypt_cost
            ));
        }
        if self.storage.presign_ttl_secs == 0 || self.storage.presign_ttl_secs > 900 {
            return bad("storage.presign_ttl_secs must be 1..=900 (15 min)".into());
        }
        if self.jwt.access_ttl_secs == 0 || self.jwt.refresh_ttl_secs <= self.jwt.access_ttl_secs {
            return bad("jwt: need 0 < access_ttl_secs < refresh_ttl_secs".into());
        }
        if self.auth.login_max_failures == 0 || self.auth.login_window_secs == 0 {
            return bad("auth.login_max_failures and auth.login_window_secs must be > 0".into());
        }
        if !matches!(self.telemetry.log_format.as_str(), "text" | "json") {
            return bad(format!(
                "telemetry.log_format must be text or json, got {:?}",
                self.telemetry.log_format
            ));
        }
        if self.faces.max_image_bytes == 0 || self.faces.max_image_pixels == 0 {
            return bad("faces.max_image_bytes and faces.max_image_pixels must be > 0".into());
        }
        let m = &self.media;
        if m.max_upload_bytes == 0 || m.max_upload_pixels == 0 || m.max_unattached_uploads == 0 {
            return bad(
                "media.max_upload_bytes, max_upload_pixels and max_unattached_uploads must be > 0"
                    .into(),
            );
        }
        if m.upload_url_ttl_secs == 0 || m.upload_url_ttl_secs > self.storage.presign_ttl_secs {
            return bad("media.upload_url_ttl_secs must be 1..=storage.presign_ttl_secs".into());
        }
        if m.orphan_after_secs < 60 || m.processing_timeout_secs < 60 || m.sweep_interval_secs == 0
        {
            return bad("media: orphan_after_secs and processing_timeout_secs must be >= 60, sweep_interval_secs > 0".into());
        }
        if !matches!(
            self.faces.detection.as_str(),
            "thorough" | "fast" | "adaptive"
        ) {
            return bad(format!(
                "faces.detection must be thorough, fast or adaptive, got {:?}",
                self.faces.detection
            ));
        }
        if self.env == Environment::Production && self.faces.step_delay_ms > 0 {
            return bad("faces.step_delay_ms is a test knob and must be 0 in production".into());
        }
        if let Some(problem) = self.courses.problem() {
            return bad(problem);
        }
        if let Some(problem) = self.datasets.problem() {
            return bad(problem);
        }
        if let Some(problem) = self.oidc.problem() {
            return bad(problem);
        }
        if let Some(problem) = self.mail.problem() {
            return bad(problem);
        }
        if let Some(problem) = self.moderation.problem() {
            return bad(problem);
        }
        if let Some(problem) = self.payments.problem() {
            return bad(problem);
        }
        if let Err(e) = ProductCalendar::new(&self.product.time_zone) {
            return bad(format!("product.time_zone: {e}"));
        }
        if self.database.pool_size == 0 {
            return bad("database.pool_size must be > 0".into());
        }
        if self.env == Environment::Production {
            if self.jwt.secret.len() < 32 {
                return bad("MOJI_JWT__SECRET must be set (>= 32 bytes) in production".into());
            }
            if self.storage.backend == StorageBackend::Local
                && self.storage.signing_secret.len() < 32
            {
                return bad(
                    "MOJI_STORAGE__SIGNING_SECRET must be set (>= 32 bytes) in production".into(),
                );
            }
        }
        Ok(())
    }

    /// Effective AMQP prefetch: the configured value, or 2 x available cores when 0.
    pub fn effective_prefetch(&self) -> u16 {
        if self.amqp.prefetch > 0 {
            return self.amqp.prefetch;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        u16::try_from(cores * 2).unwrap_or(u16::MAX)
    }
}

#[cfg(test)]
// figment's `Jail` closures must return its (large) error type; that is its API, not ours.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn env_overrides_file_and_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file("moji.toml", "[http]\napi_port = 9000\nedge_port = 9001\n")?;
            jail.set_env("MOJI_HTTP__API_PORT", "9100");
            jail.set_env("DATABASE_URL", "postgres://x@h/db");
            jail.set_env("MOJI_LOG_FORMAT", "json");
            let path = std::path::Path::new("moji.toml");
            let s = Settings::from_figment(Settings::figment(Some(path)), Some(path)).unwrap();
            assert_eq!(s.http.api_port, 9100, "env wins over file");
            assert_eq!(s.http.edge_port, 9001, "file wins over default");
            assert_eq!(s.http.chat_port, 8082, "default stays");
            assert_eq!(s.database.url, "postgres://x@h/db");
            assert_eq!(s.telemetry.log_format, "json");
            Ok(())
        });
    }

    #[test]
    fn secrets_in_file_are_refused() {
        Jail::expect_with(|jail| {
            jail.create_file("moji.toml", "[jwt]\nsecret = \"in-a-file\"\n")?;
            let path = std::path::Path::new("moji.toml");
            let err =
                Settings::from_figment(Settings::figment(Some(path)), Some(path)).unwrap_err();
            assert!(err.to_string().contains("jwt.secret"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn production_requires_a_jwt_secret() {
        Jail::expect_with(|jail| {
            jail.set_env("MOJI_ENV", "production");
            let err = Settings::from_figment(Settings::figment(None), None).unwrap_err();
            assert!(err.to_string().contains("MOJI_JWT__SECRET"), "{err}");
            jail.set_env("MOJI_JWT__SECRET", "x".repeat(40));
            jail.set_env("MOJI_STORAGE__SIGNING_SECRET", "y".repeat(40));
            Settings::from_figment(Settings::figment(None), None).unwrap();
            Ok(())
        });
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let mut s = Settings::default();
        s.storage.presign_ttl_secs = 3600;
        assert!(s.validate().is_err());
        let mut s = Settings::default();
        s.auth.bcrypt_cost = 2;
        assert!(s.validate().is_err());
        assert!(Settings::default().validate().is_ok());
    }
}
