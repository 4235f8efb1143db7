//! moji-chat: real-time 1:N rooms over one WebSocket per person (docs/chat.md). [`serve`]
//! runs a replica; [`app`] builds its actix app; [`start`] runs one on a listener (tests run
//! several replicas in one process).

pub mod error;
pub mod fanout;
pub mod frames;
pub mod hub;
pub mod metrics;
pub mod openapi;
pub mod revocation;
pub mod rooms;
pub mod socket;
pub mod state;

use actix_http::HttpService;
use actix_service::map_config;
use actix_web::{
    body::MessageBody,
    dev::{fn_factory, fn_service, AppConfig, ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{from_fn, ErrorHandlers},
    web, App, HttpResponse,
};
use moji_telemetry::{problem, Readiness};

pub use state::ChatState;

/// The readiness checks of chat: database, redis and amqp.
fn readiness(state: &ChatState) -> Readiness {
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

/// Builds the chat application around `state`.
pub fn app(
    state: ChatState,
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
        .service(socket::connect)
        .configure(rooms::routes)
        .route("/api/v1/chat/openapi.json", web::get().to(openapi_json))
        .default_service(web::to(problem::route_not_found))
}

/// The HTTP server of a replica: the app for every request, except that a WebSocket upgrade
/// goes to [`socket::upgrade`], which takes the connection out of the HTTP dispatcher (and its
/// 16 KiB of buffers) for good.
fn http_server(
    state: ChatState,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let shared = std::sync::Arc::new(state.clone());
    Ok(actix_web::dev::Server::build()
        .backlog(4096)
        .max_concurrent_connections(200_000)
        .disable_signals()
        .shutdown_timeout(5)
        .listen("moji-chat", listener, move || {
            let shared = shared.clone();
            let upgrade = fn_factory(move || {
                let shared = shared.clone();
                async move {
                    Ok::<_, ()>(fn_service(move |(req, framed)| {
                        socket::upgrade::upgrade(shared.clone(), req, framed)
                    }))
                }
            });
            HttpService::build()
                .upgrade(upgrade)
                .finish(map_config(app(state.clone()), |_| AppConfig::default()))
                .tcp()
        })?
        .run())
}

/// A running replica: its server, its background tasks and how to stop them.
pub struct Running {
    /// Stops the server (sockets close with 1012 first) when cancelled.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// The server's handle.
    pub server: actix_web::dev::ServerHandle,
    /// Resolves when the server and background tasks stopped.
    pub done: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

/// Starts a replica on `listener` with `state`'s dependencies.
pub fn start(state: ChatState, listener: std::net::TcpListener) -> anyhow::Result<Running> {
    metrics::describe();
    let addr = listener.local_addr()?;
    let shutdown = state.shutdown.clone();
    let tasks = vec![
        fanout::spawn_follower(&state, shutdown.clone()),
        revocation::spawn(&state, shutdown.clone()),
    ];
    let server_state = state.clone();
    let (broker, own_queue) = (
        state.broker.clone(),
        state.broker.topology().chat_replica_queue(&state.replica),
    );
    let server = http_server(server_state, listener)?;
    let handle = server.handle();
    let stopper = handle.clone();
    let stop_on = shutdown.clone();
    tokio::spawn(async move {
        stop_on.cancelled().await;
        // Give sockets a moment to send their 1012 close frames before connections drop.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        stopper.stop(true).await;
    });
    let done = tokio::spawn(async move {
        let served = server.await;
        shutdown.cancel();
        futures_util::future::join_all(tasks).await;
        // A clean stop removes this replica's fan-out queue at once (a crash leaves it to the
        // broker's one-minute expiry).
        if let Err(e) = broker.delete_queues(&[own_queue]).await {
            tracing::debug!(error = %e, "deleting the fan-out queue");
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
    moji_telemetry::set_service_name("chat");
    let addr = (settings.http.host.clone(), settings.http.chat_port);
    let listener = std::net::TcpListener::bind(addr.clone())?;
    let state = ChatState::connect(settings).await?;
    let running = start(state, listener)?;
    tracing::info!(host = %addr.0, port = addr.1, replica = %running.addr, "chat listening");
    let shutdown = running.shutdown.clone();
    tokio::spawn(async move {
        moji_telemetry::stop_requested().await;
        tracing::info!("stopping: closing sockets with 1012");
        shutdown.cancel();
    });
    running.done.await?
}
