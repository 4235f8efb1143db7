//! Shared state of one recommendation replica, built once at start-up.

use std::{sync::Arc, time::Duration};

use moji_ann::{ExactIndex, HnswIndex, IndexOptions, VectorIndex};
use moji_auth::{Authenticator, JwtKeys};
use moji_config::Settings;
use moji_db::Db;
use moji_embed::{EmbedPool, Embedder};
use moji_mq::Broker;
use moji_redis::RedisState;
use tokio_util::sync::CancellationToken;

use crate::{
    error::RecResult,
    indexer::{IndexSlot, Watermark},
    views::ViewRecorder,
};

/// The model name stored with every embedding: a different one re-embeds everything.
pub const MODEL: &str = "all-MiniLM-L6-v2";

/// Everything handlers and background tasks need.
#[derive(Clone)]
pub struct RecState {
    /// Effective settings.
    pub settings: Arc<Settings>,
    /// PostgreSQL.
    pub db: Db,
    /// Revoked tokens (for authentication).
    pub redis: RedisState,
    /// Content events.
    pub broker: Broker,
    /// Access-token verification.
    pub auth: Authenticator,
    /// Text → vector on a bounded blocking pool.
    pub embed: EmbedPool,
    /// The nearest-neighbour index of every visible item.
    pub index: IndexSlot,
    /// Where catching up with other replicas' writes starts.
    pub watermark: Watermark,
    /// Dwell-time views waiting to be written.
    pub views: ViewRecorder,
    /// This replica's name (its event queue is `recommend.<replica>`).
    pub replica: Arc<str>,
    /// Cancelled when the replica stops.
    pub shutdown: CancellationToken,
}

impl RecState {
    /// Connects to every dependency and loads the model; the index starts empty ([`crate::indexer`]
    /// fills it).
    pub async fn connect(settings: Settings) -> anyhow::Result<Self> {
        if settings.jwt.secret.is_empty() {
            anyhow::bail!("MOJI_JWT__SECRET must be set (the same key as the api's)");
        }
        let db = Db::connect(
            &settings.database.url,
            settings.database.pool_size,
            Duration::from_secs(settings.database.pool_timeout_secs),
        )?;
        let redis = RedisState::connect(&settings.redis.url, &settings.redis.key_prefix).await?;
        let broker = Broker::exchanges_only(&settings.amqp, "moji-recommend").await?;
        let model_dir = settings.recommend.model_dir.clone();
        let embedder = tokio::task::spawn_blocking(move || Embedder::load(&model_dir))
            .await?
            .map_err(|e| {
                anyhow::anyhow!(
                    "loading the sentence model from {}: {e} (run scripts/models.sh)",
                    settings.recommend.model_dir.display()
                )
            })?;
        Self::with(settings, db, redis, broker, Arc::new(embedder))
    }

    /// Builds the state from connected parts (tests share one loaded model between replicas).
    pub fn with(
        settings: Settings,
        db: Db,
        redis: RedisState,
        broker: Broker,
        embedder: Arc<Embedder>,
    ) -> anyhow::Result<Self> {
        let rec = &settings.recommend;
        let index = IndexSlot::new(new_index(&settings)?);
        let embed = EmbedPool::new(embedder, rec.embed_threads, rec.embed_queue);
        let auth = Authenticator {
            keys: JwtKeys::new(&settings.jwt, settings.jwt.secret.as_bytes()),
            state: redis.clone(),
        };
        let shutdown = CancellationToken::new();
        let views = ViewRecorder::new(rec.views_queue);
        Ok(Self {
            settings: Arc::new(settings),
            db,
            redis,
            broker,
            auth,
            embed,
            index,
            watermark: Watermark::default(),
            views,
            replica: Arc::from(replica_name().as_str()),
            shutdown,
        })
    }
}

impl RecState {
    /// Whether the index is one server every replica shares (then it is not rebuilt per replica).
    pub fn shared_index(&self) -> bool {
        self.settings.recommend.index_backend == "milvus"
    }

    /// An empty index of the configured backend (for a shared one: a connection to it).
    pub fn new_index(&self) -> RecResult<Arc<dyn VectorIndex>> {
        Ok(new_index(&self.settings)?)
    }
}

fn new_index(settings: &Settings) -> Result<Arc<dyn VectorIndex>, moji_ann::AnnError> {
    let rec = &settings.recommend;
    Ok(match rec.index_backend.as_str() {
        "exact" => Arc::new(ExactIndex::new(moji_embed::DIM)?),
        "milvus" => Arc::new(moji_ann_milvus::MilvusIndex::connect(
            moji_ann_milvus::MilvusOptions {
                url: rec.milvus_url.clone(),
                collection: rec.milvus_collection.clone(),
                dim: moji_embed::DIM,
            },
        )?),
        _ => Arc::new(HnswIndex::new(IndexOptions {
            connectivity: rec.hnsw_connectivity,
            expansion_add: rec.hnsw_expansion_add,
            expansion_search: rec.hnsw_expansion_search,
            quantization: if rec.hnsw_quantization == "f32" {
                moji_ann::Quantization::F32
            } else {
                moji_ann::Quantization::F16
            },
            ..IndexOptions::new(moji_embed::DIM)
        })?),
    })
}

/// `<host>-<random>`: unique per process, readable in RabbitMQ's queue list.
fn replica_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty() && h.len() <= 64)
        .unwrap_or_else(|| "recommend".to_owned());
    let suffix: u32 = rand::random();
    format!("{host}-{suffix:08x}")
}
