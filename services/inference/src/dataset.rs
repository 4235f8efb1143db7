//! `dataset.generate`: one uploaded image becomes a set of images like it (docs/datasets.md).
//! The set is made on a blocking thread and streamed as a zip to storage in parts while it is
//! made, so memory stays at a few megabytes whatever the set's size; progress goes to Redis
//! every 5 % and a cancel is seen at the next 5 %. Only once the zip and the preview are
//! stored is the end announced and the message acknowledged. A redelivered message makes the
//! set again under the same keys (the same seed gives the same bytes); a cancelled or failed
//! generation stores nothing.

use std::{
    io::Write,
    ops::ControlFlow,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use image::RgbImage;
use moji_augment::Pipeline;
use moji_common::{
    dataset::{preview_key, zip_key, DatasetGenerateV1, DatasetMethod, DatasetResult},
    ErrorCode, TaskKind, TaskStatus,
};
use moji_dataset::{DatasetError, Maker, Written};
use moji_gan::{GanError, Progress as GanProgress, TrainConfig, Trained};
use moji_mq::{Incoming, Outcome};
use moji_redis::{StateError, TaskChange};
use serde_json::{json, Map};
use tokio::sync::{mpsc, watch};

use crate::{
    metrics,
    task_end::TaskEnd,
    worker::{TaskRef, Worker},
};

/// The metric label of this work.
pub const KIND: &str = "dataset";
/// Bytes of zip handed from the generating thread to the upload at once.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks waiting for the upload before the generating thread waits.
const CHUNKS_QUEUED: usize = 8;
/// Progress is reported in steps of this many percent.
const PROGRESS_STEP: u8 = 5;

/// The zip as the generating thread writes it: chunks sent to the async upload.
struct ChunkSender {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

impl ChunkSender {
    fn send_buffer(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "upload stopped"))
    }
}

impl Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send_buffer()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send_buffer()
    }
}

/// The percentage reached after `done` of `quantity` images, in [`PROGRESS_STEP`]s below 100
/// (100 is the final state's), when the images are the part of the work from `from` %.
fn progress_of(done: u32, quantity: u32, from: u8) -> u8 {
    let span = u64::from(100 - from);
    let percent = u64::from(from) + u64::from(done) * span / u64::from(quantity.max(1));
    let stepped = percent / u64::from(PROGRESS_STEP) * u64::from(PROGRESS_STEP);
    u8::try_from(stepped.min(95)).unwrap_or(95)
}

/// The share of a GAN set's progress that is training (the rest is sampling).
const GAN_TRAINING_SHARE: u8 = 60;

/// Why making a set stopped.
#[derive(Debug, thiserror::Error)]
enum MakeError {
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error(transparent)]
    Gan(#[from] GanError),
}

/// The GAN method as a [`Maker`]: samples of a trained pyramid, each with its SSIM to the
/// input; the set's mean SSIM and pairwise diversity (over its first images) at the end.
struct GanMaker {
    trained: Trained,
    config: TrainConfig,
    reference: RgbImage,
    seed: u64,
    ssim_total: f64,
    made: u32,
    kept: Vec<RgbImage>,
}

/// Images the diversity is measured over (pairs grow with the square).
const DIVERSITY_SAMPLE: usize = 32;

impl Maker for GanMaker {
    fn method(&self) -> &'static str {
        "gan"
    }

    fn size(&self) -> u32 {
        u32::try_from(self.trained.side()).unwrap_or(0)
    }

    fn settings(&self) -> serde_json::Value {
        json!({"training": self.config, "scales": self.trained.report, "seconds": self.trained.seconds})
    }

    fn make(
        &mut self,
        index: u64,
    ) -> Result<(RgbImage, Map<String, serde_json::Value>), DatasetError> {
        let sample = self
            .trained
            .sample(self.seed, index)
            .map_err(|e| DatasetError::InvalidInput(e.to_string()))?;
        let ssim = moji_gan::ssim(&sample.image, &self.reference);
        self.ssim_total += ssim;
        self.made += 1;
        if self.kept.len() < DIVERSITY_SAMPLE {
            self.kept.push(sample.image.clone());
        }
        let mut made = Map::new();
        made.insert("noise_seed".into(), json!(sample.noise_seed));
        made.insert("ssim".into(), json!(ssim));
        Ok((sample.image, made))
    }

    fn summary(&mut self) -> Map<String, serde_json::Value> {
        let mut summary = Map::new();
        summary.insert(
            "mean_ssim".into(),
            json!(self.ssim_total / f64::from(self.made.max(1))),
        );
        summary.insert("diversity".into(), json!(moji_gan::diversity(&self.kept)));
        summary
    }
}

/// What the worker's settings say about training.
#[derive(Debug, Clone)]
struct GanLimits {
    seconds: f64,
    iterations: usize,
    scales: usize,
    threads: usize,
}

/// Makes the set on the calling (blocking) thread, writing the zip to `out`; stops when
/// `stop` is set. `percent` hears the progress.
fn make(
    out: ChunkSender,
    source: &RgbImage,
    job: &DatasetGenerateV1,
    gan: &GanLimits,
    percent: &watch::Sender<u8>,
    stop: &AtomicBool,
) -> Result<Written, MakeError> {
    let go_on = || {
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    match job.method {
        DatasetMethod::Augment => {
            let pipeline = Pipeline::standard(job.size);
            Ok(moji_dataset::write_augmented(
                out,
                source,
                &pipeline,
                job.seed,
                job.quantity,
                |n| {
                    metrics::DATASET_IMAGES.inc();
                    percent.send_replace(progress_of(n, job.quantity, 0));
                    go_on()
                },
            )?)
        }
        DatasetMethod::Gan => {
            if gan.threads > 0 {
                tch::set_num_threads(i32::try_from(gan.threads).unwrap_or(1));
            }
            let mut config = TrainConfig::new(job.size, gan.seconds, job.seed);
            config.iterations = gan.iterations;
            config.scales = gan.scales;
            let scales = u8::try_from(config.scales).unwrap_or(u8::MAX);
            let trained = moji_gan::train(source, &config, |p| {
                if let GanProgress::Trained { index, .. } = p {
                    let done = u8::try_from(index + 1).unwrap_or(u8::MAX);
                    let share =
                        u16::from(GAN_TRAINING_SHARE) * u16::from(done) / u16::from(scales.max(1));
                    let stepped = share / u16::from(PROGRESS_STEP) * u16::from(PROGRESS_STEP);
                    percent.send_replace(u8::try_from(stepped).unwrap_or(GAN_TRAINING_SHARE));
                }
                go_on()
            })?;
            let mut maker = GanMaker {
                trained,
                config,
                reference: moji_gan::reference(source, job.size),
                seed: job.seed,
                ssim_total: 0.0,
                made: 0,
                kept: Vec::new(),
            };
            Ok(moji_dataset::write_set(
                out,
                &mut maker,
                job.seed,
                job.quantity,
                |n| {
                    metrics::DATASET_IMAGES.inc();
                    percent.send_replace(progress_of(n, job.quantity, GAN_TRAINING_SHARE));
                    go_on()
                },
            )?)
        }
    }
}

impl From<&DatasetGenerateV1> for TaskRef {
    fn from(job: &DatasetGenerateV1) -> Self {
        Self {
            id: job.dataset_id,
            user_id: job.user_id,
            kind: TaskKind::Dataset,
        }
    }
}

/// The files a set is stored as: its zip and its preview.
fn set_files(job: &DatasetGenerateV1) -> [String; 2] {
    [zip_key(job.dataset_id), preview_key(job.dataset_id)]
}

impl Worker {
    /// Handles one `dataset.generate` delivery and says how to settle it.
    pub async fn handle_dataset(&self, msg: Incoming<DatasetGenerateV1>) -> Outcome {
        let job = msg.envelope.payload;
        metrics::IN_FLIGHT.inc();
        let started = Instant::now();
        let end = match self.process_dataset(&job).await {
            Ok(end) | Err(end) => end,
        };
        let end = match end {
            TaskEnd::Retry(why) => {
                let end = self
                    .after_transient_failure(TaskRef::from(&job), msg.delivery_count, why)
                    .await;
                if matches!(end, TaskEnd::Failed(..)) {
                    self.remove_files(job.dataset_id, &set_files(&job)).await;
                }
                end
            }
            other => other,
        };
        metrics::IN_FLIGHT.dec();
        if let TaskEnd::Retry(why) = &end {
            tracing::warn!(dataset_id = %job.dataset_id, %why, delivery = msg.delivery_count, "dataset will be made again");
        } else {
            metrics::TASK_SECONDS
                .with_label_values(&[KIND])
                .observe(started.elapsed().as_secs_f64());
        }
        metrics::TASKS.with_label_values(&[KIND, end.label()]).inc();
        end.settle()
    }

    async fn process_dataset(&self, job: &DatasetGenerateV1) -> Result<TaskEnd, TaskEnd> {
        let task = TaskRef::from(job);
        let ttl = Duration::from_secs(self.settings.datasets.task_ttl_secs);
        let files = set_files(job);
        if let Some(end) = self.resume(task, ttl).await? {
            if matches!(end, TaskEnd::Cancelled) {
                // An earlier delivery may have stored files before the cancel reached it.
                self.remove_files(job.dataset_id, &files).await;
            }
            return Ok(end);
        }
        let end = match self.generate(job).await {
            Ok(result) => TaskEnd::Succeeded(
                serde_json::to_value(&result)
                    .map_err(|e| TaskEnd::Retry(format!("result: {e}")))?,
            ),
            Err(end) => end,
        };
        // Cancelled here or while the last image was made (conclude says which): either way,
        // like a failure, nothing is kept.
        let end = self.conclude(task, end).await?;
        if matches!(end, TaskEnd::Failed(..) | TaskEnd::Cancelled) {
            self.remove_files(job.dataset_id, &files).await;
        }
        Ok(end)
    }

    /// Moves the task to running; `Cancelled` when its owner cancelled it first.
    async fn start(&self, id: uuid::Uuid, method: DatasetMethod) -> Result<(), TaskEnd> {
        let step = match method {
            DatasetMethod::Gan => "training",
            DatasetMethod::Augment => "images",
        };
        let running = TaskChange {
            progress: Some(0),
            step: Some(step.into()),
            ..Default::default()
        };
        match self
            .redis
            .transition(id, TaskStatus::Running, running)
            .await
        {
            Ok(_) => Ok(()),
            Err(StateError::IllegalTransition { from, .. }) if from.is_final() => {
                Err(TaskEnd::Cancelled)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Reads the source, makes the set into storage and stores the preview.
    async fn generate(&self, job: &DatasetGenerateV1) -> Result<DatasetResult, TaskEnd> {
        self.start(job.dataset_id, job.method).await?;
        let started = Instant::now();
        let bytes = self.storage.get(&job.source_key).await?;
        let limits = self.limits;
        let source = tokio::task::spawn_blocking(move || moji_media::decode(&bytes, &limits))
            .await
            .map_err(|e| TaskEnd::Retry(format!("decode thread: {e}")))?
            .map_err(|e| {
                TaskEnd::Failed(
                    ErrorCode::InvalidImage,
                    format!("the image cannot be read: {e}"),
                )
            })?;
        let key = zip_key(job.dataset_id);
        let mut upload = self.storage.writer(&key, "application/zip").await?;
        let (chunks_tx, mut chunks) = mpsc::channel::<Bytes>(CHUNKS_QUEUED);
        let (percent_tx, mut percent) = watch::channel(0u8);
        let gan = GanLimits {
            seconds: self.settings.datasets.gan_train_secs,
            iterations: self.settings.datasets.gan_iterations,
            scales: self.settings.datasets.gan_scales,
            threads: self.settings.datasets.gan_threads,
        };
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread_job = job.clone();
        let making = tokio::task::spawn_blocking(move || {
            let out = ChunkSender {
                tx: chunks_tx,
                buf: Vec::with_capacity(CHUNK_BYTES),
            };
            make(out, &source, &thread_job, &gan, &percent_tx, &thread_stop)
        });
        let streamed = self
            .stream_zip(job, &mut upload, &mut chunks, &mut percent, &stop)
            .await;
        // Whatever happened, the thread must end before the upload is finished or dropped.
        stop.store(streamed.is_err(), Ordering::Relaxed);
        drop(chunks);
        let made = making
            .await
            .map_err(|e| TaskEnd::Retry(format!("generating thread: {e}")));
        let written = match (streamed, made) {
            (Ok(()), Ok(Ok(written))) => written,
            (Err(end), _) | (Ok(()), Err(end)) => {
                let _ = upload.abort().await;
                return Err(end);
            }
            (Ok(()), Ok(Err(e))) => {
                let _ = upload.abort().await;
                return Err(match e {
                    MakeError::Dataset(DatasetError::Cancelled(_))
                    | MakeError::Gan(GanError::Stopped(_)) => TaskEnd::Cancelled,
                    MakeError::Dataset(DatasetError::InvalidInput(why))
                    | MakeError::Gan(GanError::InvalidInput(why)) => {
                        TaskEnd::Failed(ErrorCode::ValidationFailed, why)
                    }
                    other => TaskEnd::Retry(format!("making the set: {other}")),
                });
            }
        };
        let zip_bytes = upload.finish().await?;
        let preview = preview_key(job.dataset_id);
        self.storage
            .put(&preview, Bytes::from(written.preview_png), "image/png")
            .await?;
        let summary = &written.manifest.summary;
        Ok(DatasetResult {
            zip_key: key,
            zip_bytes,
            preview_key: preview,
            images: written.manifest.quantity,
            seconds: started.elapsed().as_secs_f64(),
            mean_ssim: summary.get("mean_ssim").and_then(serde_json::Value::as_f64),
            diversity: summary.get("diversity").and_then(serde_json::Value::as_f64),
        })
    }

    /// Uploads the chunks as they come and reports progress every [`PROGRESS_STEP`] percent
    /// until the generating thread closes its side; `Cancelled` when the owner cancelled.
    async fn stream_zip(
        &self,
        job: &DatasetGenerateV1,
        upload: &mut moji_storage::ObjectWriter,
        chunks: &mut mpsc::Receiver<Bytes>,
        percent: &mut watch::Receiver<u8>,
        stop: &AtomicBool,
    ) -> Result<(), TaskEnd> {
        let mut reported = 0u8;
        let mut progress_open = true;
        loop {
            tokio::select! {
                chunk = chunks.recv() => match chunk {
                    Some(chunk) => upload.write(&chunk).await?,
                    None => return Ok(()),
                },
                changed = percent.changed(), if progress_open => {
                    if changed.is_err() {
                        progress_open = false;
                        continue;
                    }
                    let now = *percent.borrow_and_update();
                    if now >= reported + PROGRESS_STEP {
                        reported = now;
                        let step = match job.method {
                            DatasetMethod::Gan if now < GAN_TRAINING_SHARE => "training",
                            _ => "images",
                        };
                        match self.redis.set_progress(job.dataset_id, now, step).await {
                            Ok(_) => {}
                            Err(StateError::IllegalTransition { from, .. }) if from.is_final() => {
                                stop.store(true, Ordering::Relaxed);
                                return Err(TaskEnd::Cancelled);
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_moves_in_five_percent_steps_below_the_end() {
        assert_eq!(progress_of(0, 200, 0), 0);
        assert_eq!(progress_of(9, 200, 0), 0);
        assert_eq!(progress_of(10, 200, 0), 5);
        assert_eq!(progress_of(199, 200, 0), 95);
        assert_eq!(progress_of(200, 200, 0), 95);
        assert_eq!(progress_of(1, 1, 0), 95);
        assert_eq!(progress_of(1, 3, 0), 30);
        assert_eq!(progress_of(0, 100, GAN_TRAINING_SHARE), 60);
        assert_eq!(progress_of(50, 100, GAN_TRAINING_SHARE), 80);
    }

    #[test]
    fn the_sender_hands_over_whole_chunks_and_the_rest_on_flush() {
        let (tx, mut rx) = mpsc::channel(16);
        let mut out = ChunkSender {
            tx,
            buf: Vec::new(),
        };
        out.write_all(&vec![7u8; CHUNK_BYTES + 10]).unwrap();
        out.write_all(b"tail").unwrap();
        out.flush().unwrap();
        let first = rx.try_recv().unwrap();
        assert_eq!(first.len(), CHUNK_BYTES + 10);
        assert_eq!(&rx.try_recv().unwrap()[..], b"tail");
        drop(rx);
        out.write_all(b"x").unwrap();
        assert!(out.flush().is_err(), "a stopped upload fails the writer");
    }
}
