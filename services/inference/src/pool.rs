//! A fixed pool of vision threads. OpenCV's networks and cascades are not thread-safe, so each
//! thread owns its own loaded models; CPU-heavy work never runs on the async executor, and the
//! pool size bounds how many images are processed at once.

use std::{
    path::PathBuf,
    sync::{mpsc, Arc, Mutex},
    thread,
};

use moji_vision::{DetectConfig, Models, VisionError};

type Job = Box<dyn FnOnce(&mut Models) + Send>;

/// Handle to the vision threads; cheap to clone.
#[derive(Clone)]
pub struct VisionPool {
    jobs: mpsc::SyncSender<Job>,
}

/// Why a pool job did not produce a value.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every vision thread is gone (they only exit when the pool is dropped).
    #[error("vision pool stopped")]
    Stopped,
}

impl VisionPool {
    /// Starts `size` threads and loads the models on each (configured for `detection`, see
    /// [`detection_mode`]); fails when a model cannot load.
    pub fn start(
        size: usize,
        models_dir: PathBuf,
        cascades_dir: PathBuf,
        detection: &str,
    ) -> Result<Self, VisionError> {
        let (primary, fallback) = detection_mode(detection)?;
        let size = size.max(1);
        // Bounded: a full queue applies back-pressure to the consumers instead of piling up.
        let (tx, rx) = mpsc::sync_channel::<Job>(size * 2);
        let rx = Arc::new(Mutex::new(rx));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), VisionError>>();
        for i in 0..size {
            let (rx, ready, m, c) = (
                rx.clone(),
                ready_tx.clone(),
                models_dir.clone(),
                cascades_dir.clone(),
            );
            let spawned = thread::Builder::new()
                .name(format!("vision-{i}"))
                .spawn(move || {
                    // One OpenCV thread per worker: parallelism comes from the pool itself.
                    let _ = moji_vision::set_opencv_threads(1);
                    let mut models = match Models::load(&m, &c) {
                        Ok(mut models) => {
                            models.set_detect_config(primary);
                            models.set_detect_fallback(fallback);
                            let _ = ready.send(Ok(()));
                            models
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut models),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                return Err(VisionError::Model(format!(
                    "cannot start vision thread: {e}"
                )));
            }
        }
        drop(ready_tx);
        for _ in 0..size {
            ready_rx
                .recv()
                .map_err(|_| VisionError::Model("vision thread died while loading".into()))??;
        }
        Ok(Self { jobs: tx })
    }

    /// Runs `f` on a vision thread and awaits its result without blocking the executor.
    pub async fn run<R, F>(&self, f: F) -> Result<R, PoolError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Models) -> R + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |models| {
            let _ = tx.send(f(models));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Disconnected(_)) => return Err(PoolError::Stopped),
            Err(mpsc::TrySendError::Full(job)) => {
                // `send` blocks while the queue is full: wait on the blocking pool.
                let jobs = self.jobs.clone();
                tokio::task::spawn_blocking(move || jobs.send(job))
                    .await
                    .map_err(|_| PoolError::Stopped)?
                    .map_err(|_| PoolError::Stopped)?;
            }
        }
        rx.await.map_err(|_| PoolError::Stopped)
    }
}

/// The detector settings for a `faces.detection` mode: (first pass, fallback pass).
pub fn detection_mode(mode: &str) -> Result<(DetectConfig, Option<DetectConfig>), VisionError> {
    match mode {
        "thorough" => Ok((DetectConfig::default(), None)),
        "fast" => Ok((DetectConfig::fast(), None)),
        "adaptive" => Ok((DetectConfig::fast(), Some(DetectConfig::default()))),
        other => Err(VisionError::Model(format!(
            "unknown detection mode {other:?}"
        ))),
    }
}
