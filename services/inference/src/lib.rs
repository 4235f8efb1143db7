//! moji-inference: the AI worker. It consumes `face.analyze` from the `inference.face` quorum
//! queue (and `media.process` and `dataset.generate` from theirs), runs the vision pipeline on a fixed pool of threads, writes results to object
//! storage, keeps the task's state and progress in Redis, and publishes the outcome.
//! Its HTTP port serves only `/healthz`, `/readyz` and `/metrics`.

pub mod dataset;
pub mod media;
pub mod metrics;
pub mod pipeline;
pub mod pool;
mod progress;
mod results;
pub mod step;
pub mod task_end;
pub mod worker;

use actix_web::{web, App, HttpServer};
use moji_config::Settings;
use moji_mq::{Broker, Topology};
use moji_redis::RedisState;
use moji_storage::Storage;
use moji_telemetry::Readiness;
use tokio_util::sync::CancellationToken;

pub use pool::VisionPool;
pub use worker::Worker;

/// Connects to Redis, storage and RabbitMQ and loads the models on every vision thread.
pub async fn connect(settings: Settings) -> anyhow::Result<Worker> {
    metrics::init();
    let threads = match settings.faces.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let (models_dir, cascades_dir) = (
        settings.faces.models_dir.clone(),
        settings.faces.cascades_dir.clone(),
    );
    let detection = settings.faces.detection.clone();
    let pool = tokio::task::spawn_blocking(move || {
        VisionPool::start(threads, models_dir, cascades_dir, &detection)
    })
    .await?
    .map_err(|e| anyhow::anyhow!("{e} (run scripts/models.sh to fetch and convert the models)"))?;
    let redis = RedisState::connect(&settings.redis.url, &settings.redis.key_prefix).await?;
    let storage = Storage::from_settings(&settings.storage)?;
    let broker = Broker::connect(
        &settings.amqp.url,
        "moji-inference",
        Topology::new(&settings.amqp.prefix),
        settings.amqp.delivery_limit,
    )
    .await?;
    tracing::info!(threads, detection = %settings.faces.detection, "vision pool ready");
    Worker::new(settings, redis, storage, broker, pool)
}

/// Consumes `media.process` until `shutdown` is cancelled; in-flight images finish first.
pub fn spawn_media_consumer(
    worker: &Worker,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let worker = worker.clone();
    tokio::spawn(async move {
        let queue = worker.broker.topology().media_queue();
        let prefetch = worker.settings.effective_prefetch();
        let handler_worker = worker.clone();
        let run = moji_mq::consume::<moji_common::messages::MediaProcessV1, _, _>(
            &worker.broker,
            &queue,
            "inference.media",
            prefetch,
            move |msg| {
                let w = handler_worker.clone();
                async move { w.handle_media(msg).await }
            },
            shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, "media consumer stopped");
        }
    })
}

/// Consumes `dataset.generate` until `shutdown` is cancelled; sets being made finish first
/// (a long one may be cut by the orchestrator's grace period: its message is then redelivered).
pub fn spawn_dataset_consumer(
    worker: &Worker,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let worker = worker.clone();
    tokio::spawn(async move {
        let queue = worker.broker.topology().dataset_queue();
        let prefetch = u16::try_from(worker.settings.datasets.workers).unwrap_or(u16::MAX);
        let handler_worker = worker.clone();
        let run = moji_mq::consume::<moji_common::dataset::DatasetGenerateV1, _, _>(
            &worker.broker,
            &queue,
            "inference.dataset",
            prefetch,
            move |msg| {
                let w = handler_worker.clone();
                async move { w.handle_dataset(msg).await }
            },
            shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, "dataset consumer stopped");
        }
    })
}

/// Consumes `face.analyze` until `shutdown` is cancelled; in-flight tasks finish first.
pub fn spawn_consumer(worker: &Worker, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let worker = worker.clone();
    tokio::spawn(async move {
        let queue = worker.broker.topology().face_queue();
        let prefetch = worker.settings.effective_prefetch();
        let handler_worker = worker.clone();
        let run = moji_mq::consume::<moji_common::messages::FaceAnalyzeV1, _, _>(
            &worker.broker,
            &queue,
            "inference.face",
            prefetch,
            move |msg| {
                let w = handler_worker.clone();
                async move { w.handle(msg).await }
            },
            shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, "face consumer stopped");
        }
    })
}

fn readiness(worker: &Worker) -> Readiness {
    let (redis, broker) = (worker.redis.clone(), worker.broker.clone());
    Readiness::default()
        .check("redis", move || {
            let redis = redis.clone();
            async move { redis.ping().await.map_err(|e| e.to_string()) }
        })
        .check("amqp", move || {
            let broker = broker.clone();
            async move { broker.check().await.map_err(|e| e.to_string()) }
        })
}

/// Runs the worker and its health/metrics port until SIGINT/SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    moji_telemetry::set_service_name("inference");
    let addr = (settings.http.host.clone(), settings.http.inference_port);
    let worker = connect(settings).await?;
    let shutdown = CancellationToken::new();
    let consumer = spawn_consumer(&worker, shutdown.clone());
    let media_consumer = spawn_media_consumer(&worker, shutdown.clone());
    let dataset_consumer = spawn_dataset_consumer(&worker, shutdown.clone());
    let readiness = readiness(&worker);
    tracing::info!(host = %addr.0, port = addr.1, "inference worker running; metrics at /metrics");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(readiness.clone()))
            .wrap(actix_web::middleware::from_fn(moji_telemetry::http_metrics))
            .configure(moji_telemetry::health_routes)
    })
    .workers(1)
    .bind(addr)?
    .run()
    .await?;
    shutdown.cancel();
    consumer.await?;
    media_consumer.await?;
    dataset_consumer.await?;
    Ok(())
}
