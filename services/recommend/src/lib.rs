//! moji-recommend: semantic + Korean full-text search, similar items, "for you" and dwell
//! time (docs/recommend.md), and the date-course worker (docs/date-courses.md). [`serve`] runs a replica; [`app`] builds its actix app; [`start`]
//! runs one on a listener (tests run several replicas in one process).

pub mod cards;
pub mod courses;
pub mod error;
pub mod foryou;
pub mod http;
pub mod indexer;
pub mod metrics;
pub mod openapi;
pub mod search;
pub mod similar;
pub mod state;
pub mod views;

use actix_web::{
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, ErrorHandlers},
    web, App, HttpResponse, HttpServer,
};
use moji_telemetry::{problem, Readiness};

pub use state::RecState;

/// The readiness checks: database, redis and amqp.
fn readiness(state: &RecState) -> Readiness {
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

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(openapi::document())
}

/// Builds the application around `state`.
pub fn app(
    state: RecState,
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
    let readiness = readiness(&state);
    App::new()
        .app_data(web::Data::new(state.auth.clone()))
        .app_data(web::Data::new(readiness))
        .app_data(web::Data::new(state))
        .app_data(problem::json_config(json_limit))
        .app_data(problem::query_config())
        .app_data(problem::path_config())
        .wrap(ErrorHandlers::new().default_handler(problem::fill_empty_error))
        .wrap(from_fn(moji_telemetry::http_metrics))
        .wrap(from_fn(moji_telemetry::request_id))
        .configure(moji_telemetry::health_routes)
        .service(search::search_route)
        .service(similar::similar_posts)
        .service(similar::similar_products)
        .service(foryou::posts_for_you)
        .service(foryou::products_for_you)
        .service(foryou::popular_route)
        .service(views::record)
        .route(
            "/api/v1/recommend/openapi.json",
            web::get().to(openapi_json),
        )
        .default_service(web::to(problem::route_not_found))
}

/// A running replica.
pub struct Running {
    /// Stops the replica when cancelled.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The server's handle.
    pub server: actix_web::dev::ServerHandle,
    /// Resolves when the server and background tasks stopped.
    pub done: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

/// Builds the index from PostgreSQL, reconciles it with what is visible, then serves on
/// `listener` and follows content events.
pub async fn start(state: RecState, listener: std::net::TcpListener) -> anyhow::Result<Running> {
    metrics::describe();
    let addr = listener.local_addr()?;
    let shutdown = state.shutdown.clone();
    indexer::build(&state).await?;
    let writers = courses::writers(&state.settings.courses).await?;
    let mut tasks = indexer::spawn(&state, shutdown.clone());
    tasks.push(courses::spawn(&state, writers, shutdown.clone()));
    tasks.push(views::spawn_writer(&state, shutdown.clone()));
    // The first reconcile runs in the background: the index built from PostgreSQL already
    // answers, and a model change may mean re-embedding everything.
    {
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = indexer::reconcile(&state).await {
                tracing::warn!(error = %e, "first reconcile failed; the periodic one will retry");
            }
        }));
    }
    let server_state = state.clone();
    let (broker, own_queue) = (
        state.broker.clone(),
        state
            .broker
            .topology()
            .recommend_replica_queue(&state.replica),
    );
    let server = HttpServer::new(move || app(server_state.clone()))
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
    let handle = server.handle();
    let stopper = handle.clone();
    let stop_on = shutdown.clone();
    tokio::spawn(async move {
        stop_on.cancelled().await;
        stopper.stop(true).await;
    });
    let done = tokio::spawn(async move {
        let served = server.await;
        shutdown.cancel();
        futures_util::future::join_all(tasks).await;
        if let Err(e) = broker.delete_queues(&[own_queue]).await {
            tracing::debug!(error = %e, "deleting the event queue");
        }
        served.map_err(Into::into)
    });
    Ok(Running {
        shutdown: state.shutdown,
        server: handle,
        done,
        addr,
    })
}

/// Connects to every dependency and serves until SIGINT/SIGTERM.
pub async fn serve(settings: moji_config::Settings) -> anyhow::Result<()> {
    moji_telemetry::set_service_name("recommend");
    let addr = (settings.http.host.clone(), settings.http.recommend_port);
    let listener = std::net::TcpListener::bind(addr.clone())?;
    let state = RecState::connect(settings).await?;
    let running = start(state, listener).await?;
    tracing::info!(host = %addr.0, port = addr.1, replica = %running.addr, "recommend listening");
    let shutdown = running.shutdown.clone();
    tokio::spawn(async move {
        moji_telemetry::stop_requested().await;
        tracing::info!("stopping");
        shutdown.cancel();
    });
    running.done.await?
}
