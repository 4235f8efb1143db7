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
use moji_dataset::{DatasetError, Written};
use moji_mq::{Incoming, Outcome};
use moji_redis::{StateError, TaskChange};
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
/// (100 is the final state's).
fn progress_of(done: u32, quantity: u32) -> u8 {
    let percent = u64::from(done) * 100 / u64::from(quantity.max(1));
    let stepped = percent / u64::from(PROGRESS_STEP) * u64::from(PROGRESS_STEP);
    u8::try_from(stepped.min(95)).unwrap_or(95)
}

/// Makes the set on the calling (blocking) thread, writing the zip to `out`; stops when
/// `stop` is set. `done` receives the images made so far.
fn make(
    out: ChunkSender,
    source: &RgbImage,
    job: &DatasetGenerateV1,
    done: &watch::Sender<u32>,
    stop: &AtomicBool,
) -> Result<Written, DatasetError> {
    let pipeline = match job.method {
        DatasetMethod::Augment => Pipeline::standard(job.size),
    };
    moji_dataset::write_augmented(out, source, &pipeline, job.seed, job.quantity, |n| {
        metrics::DATASET_IMAGES.inc();
        done.send_replace(n);
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
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
        let task = TaskRef {
            id: job.dataset_id,
            user_id: job.user_id,
            kind: TaskKind::Dataset,
        };
        let ttl = Duration::from_secs(self.settings.datasets.task_ttl_secs);
        let files = [zip_key(job.dataset_id), preview_key(job.dataset_id)];
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
        if matches!(end, TaskEnd::Failed(..) | TaskEnd::Cancelled) {
            self.remove_files(job.dataset_id, &files).await;
        }
        let end = self.conclude(task, end).await?;
        if matches!(end, TaskEnd::Cancelled) {
            self.remove_files(job.dataset_id, &files).await;
        }
        Ok(end)
    }

    /// Moves the task to running; `Cancelled` when its owner cancelled it first.
    async fn start(&self, id: uuid::Uuid) -> Result<(), TaskEnd> {
        let running = TaskChange {
            progress: Some(0),
            step: Some("images".into()),
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
        self.start(job.dataset_id).await?;
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
        let (done_tx, mut done) = watch::channel(0u32);
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread_job = job.clone();
        let making = tokio::task::spawn_blocking(move || {
            let out = ChunkSender {
                tx: chunks_tx,
                buf: Vec::with_capacity(CHUNK_BYTES),
            };
            make(out, &source, &thread_job, &done_tx, &thread_stop)
        });
        let streamed = self
            .stream_zip(job, &mut upload, &mut chunks, &mut done, &stop)
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
                    DatasetError::Cancelled(_) => TaskEnd::Cancelled,
                    DatasetError::InvalidInput(why) => {
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
        Ok(DatasetResult {
            zip_key: key,
            zip_bytes,
            preview_key: preview,
            images: written.manifest.quantity,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Uploads the chunks as they come and reports progress every [`PROGRESS_STEP`] percent
    /// until the generating thread closes its side; `Cancelled` when the owner cancelled.
    async fn stream_zip(
        &self,
        job: &DatasetGenerateV1,
        upload: &mut moji_storage::ObjectWriter,
        chunks: &mut mpsc::Receiver<Bytes>,
        done: &mut watch::Receiver<u32>,
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
                changed = done.changed(), if progress_open => {
                    if changed.is_err() {
                        progress_open = false;
                        continue;
                    }
                    let percent = progress_of(*done.borrow_and_update(), job.quantity);
                    if percent >= reported + PROGRESS_STEP {
                        reported = percent;
                        match self.redis.set_progress(job.dataset_id, percent, "images").await {
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
        assert_eq!(progress_of(0, 200), 0);
        assert_eq!(progress_of(9, 200), 0);
        assert_eq!(progress_of(10, 200), 5);
        assert_eq!(progress_of(199, 200), 95);
        assert_eq!(progress_of(200, 200), 95);
        assert_eq!(progress_of(1, 1), 95);
        assert_eq!(progress_of(1, 3), 30);
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
