//! moji-api: the main REST API. [`serve`] runs it; [`app`] builds the actix app (tests use it
//! in-process).

pub mod accounts;
pub mod catalogue;
pub mod challenges;
pub mod cli;
pub mod comments;
pub mod courses;
pub mod datasets;
pub mod emojis;
pub mod error;
pub mod events;
pub mod faces;
pub mod files;
pub mod follows;
pub mod http;
pub mod mail;
pub mod market;
pub mod moderation;
pub mod oidc;
pub mod openapi;
pub mod posts;
pub mod products;
pub mod rankings;
pub mod results;
pub mod routes;
pub mod search;
pub mod state;
pub mod statistics;
pub mod uploads;

use actix_web::{
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, ErrorHandlers},
    web, App, HttpServer,
};
use moji_telemetry::{problem, Readiness};
use utoipa_swagger_ui::SwaggerUi;

pub use state::AppState;

/// The readiness checks of the api: database, redis and amqp.
fn readiness(state: &AppState) -> Readiness {
    let (db, redis, broker) = (state.db.clone(), state.redis.clone(), state.broker.clone());
    Readiness::default()
        .check("database", move || {
            let db = db.clone();
            async move { db.ping().await.map_err(|e| e.to_string()) }
        })
        .check("redis", move || {
            let redis = redis.clone();
            async move { redis.ping().await.map_err(|e| e.to_string()) }
        })
        .check("amqp", move || {
            let broker = broker.clone();
            async move { broker.check().await.map_err(|e| e.to_string()) }
        })
}

/// CORS for front ends served from other origins (`MOJI_HTTP__CORS_ORIGINS`); with none
/// configured, browsers get no CORS headers and only same-origin pages (the edge) can call.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
            actix_web::http::header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            "x-request-id",
            "location",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Builds the api application around `state`.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json_limit = state.settings.http.json_limit_bytes;
    let cors = cors(&state.settings.http.cors_origins);
    let readiness = readiness(&state);
    let doc = openapi::document(&state.upload_limits);
    App::new()
        .app_data(web::Data::new(state.auth.clone()))
        .app_data(web::Data::new(readiness))
        .app_data(web::Data::new(state))
        .app_data(problem::json_config(json_limit))
        .app_data(problem::query_config())
        .app_data(problem::path_config())
        .wrap(ErrorHandlers::new().default_handler(problem::fill_empty_error))
        .wrap(cors)
        .wrap(from_fn(moji_telemetry::http_metrics))
        .wrap(from_fn(moji_telemetry::request_id))
        .configure(moji_telemetry::health_routes)
        .configure(routes::api_v1)
        .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", doc))
        .default_service(web::to(problem::route_not_found))
}

/// Runs one consumer of `queue` with `handler` until `shutdown` is cancelled.
fn spawn_consumer<M, F, Fut>(
    state: &AppState,
    queue: String,
    name: &'static str,
    shutdown: tokio_util::sync::CancellationToken,
    handler: F,
) -> tokio::task::JoinHandle<()>
where
    M: moji_common::MessageType,
    F: Fn(AppState, moji_mq::Incoming<M>) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = moji_mq::Outcome> + Send + 'static,
{
    let prefetch = state.settings.effective_prefetch();
    let st = state.clone();
    tokio::spawn(async move {
        let handler_state = st.clone();
        let run = moji_mq::consume::<M, _, _>(
            &st.broker,
            &queue,
            name,
            prefetch,
            move |msg| handler(handler_state.clone(), msg),
            shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, consumer = name, "consumer stopped");
        }
    })
}

/// Starts the consumers of `task.succeeded` and `task.failed`, which persist results, and of
/// `media.processed`, which settles posts; with them the outbox relay and the upload sweep.
/// They run until `shutdown` is cancelled.
pub fn spawn_consumers(
    state: &AppState,
    shutdown: tokio_util::sync::CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    use moji_common::messages::{MediaProcessedV1, TaskFailedV1, TaskSucceededV1};
    let topology = state.broker.topology().clone();
    vec![
        spawn_consumer::<TaskSucceededV1, _, _>(
            state,
            topology.api_succeeded_queue(),
            "api.task-succeeded",
            shutdown.clone(),
            |st, msg| async move { faces::on_succeeded(&st, msg).await },
        ),
        spawn_consumer::<TaskFailedV1, _, _>(
            state,
            topology.api_failed_queue(),
            "api.task-failed",
            shutdown.clone(),
            |st, msg| async move { faces::on_failed(&st, msg).await },
        ),
        spawn_consumer::<MediaProcessedV1, _, _>(
            state,
            topology.api_media_queue(),
            "api.media-processed",
            shutdown.clone(),
            |st, msg| async move { uploads::processed::on_processed(&st, msg).await },
        ),
        events::relay::spawn(state, shutdown.clone()),
        mail::spawn(state, shutdown.clone()),
        posts::service::spawn_view_flusher(state, shutdown.clone()),
        uploads::sweep::spawn(state, shutdown),
    ]
}

/// Connects to every dependency and serves until SIGINT/SIGTERM.
pub async fn serve(settings: moji_config::Settings) -> anyhow::Result<()> {
    moji_telemetry::set_service_name("api");
    let addr = (settings.http.host.clone(), settings.http.api_port);
    let state = AppState::connect(settings).await?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let consumers = spawn_consumers(&state, shutdown.clone());
    tracing::info!(host = %addr.0, port = addr.1, "api listening; Swagger UI at /docs/");
    HttpServer::new(move || app(state.clone()))
        .bind(addr)?
        .shutdown_timeout(10)
        .run()
        .await?;
    // Let in-flight result messages finish and be acknowledged before exiting.
    shutdown.cancel();
    futures_util::future::join_all(consumers).await;
    Ok(())
}
