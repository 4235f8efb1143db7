//! One task, start to finish: claim it in Redis, run the pipeline step by step (reporting
//! progress and honouring cancellation between steps), store the result, publish
//! `task.succeeded` / `task.failed`, and only then acknowledge the message.
//!
//! Redelivery is expected (a crashed worker, a lost connection), so every step is idempotent:
//! results go to fixed keys, a task already final in Redis is only re-announced, and the api
//! persists each task once.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use chrono::Utc;
use moji_catalog::{zodiac, Expression, FaceBox};
use moji_common::{
    messages::{FaceAnalyzeV1, TaskFailedV1, TaskSucceededV1},
    results::{EmojiFace, EmojiResult, Localized, ResultBox, ZodiacReason, ZodiacResult},
    Envelope, ErrorCode, MessageType, TaskKind, TaskStatus,
};
use moji_config::Settings;
use moji_media::Limits;
use moji_mq::{Broker, Incoming, Outcome};
use moji_redis::{NewTask, RedisState, StateError, TaskChange, TaskError};
use moji_storage::{Storage, StorageError};
use uuid::Uuid;

use crate::{
    metrics,
    pipeline::{self, ReadFace},
    pool::VisionPool,
};

/// Storage keys of an emoji task's result: fixed, so a redelivered task overwrites its own
/// files instead of adding more.
fn result_keys(id: Uuid) -> (String, String) {
    (
        format!("results/{id}/emoji.png"),
        format!("results/{id}/thumbnail.jpg"),
    )
}

/// Everything a worker needs; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    /// Settings.
    pub settings: Arc<Settings>,
    /// Task state and progress.
    pub redis: RedisState,
    /// Uploads and results.
    pub storage: Storage,
    /// Publishes outcomes.
    pub broker: Broker,
    /// Vision threads.
    pub pool: VisionPool,
}

/// How a task ended inside the worker.
enum Ending {
    /// Finished with a result.
    Succeeded(serde_json::Value),
    /// Finished with a permanent error.
    Failed(ErrorCode, String),
    /// The owner cancelled it.
    Cancelled,
}

/// Why a step could not finish; transient errors are retried via redelivery.
enum StepError {
    /// Permanent: the task fails with this code.
    Fail(ErrorCode, String),
    /// The owner cancelled the task.
    Cancelled,
    /// Infrastructure trouble: nack and try again later.
    Transient(String),
}

impl From<StateError> for StepError {
    fn from(e: StateError) -> Self {
        StepError::Transient(format!("redis: {e}"))
    }
}

impl From<StorageError> for StepError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(key) => StepError::Fail(
                ErrorCode::InvalidImage,
                format!("the uploaded photo {key} is gone"),
            ),
            other => StepError::Transient(format!("storage: {other}")),
        }
    }
}

impl From<crate::pool::PoolError> for StepError {
    fn from(e: crate::pool::PoolError) -> Self {
        StepError::Transient(e.to_string())
    }
}

fn kind_label(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Emoji => "emoji",
        TaskKind::Zodiac => "zodiac",
    }
}

fn result_box(b: FaceBox) -> ResultBox {
    ResultBox {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
    }
}

fn scores_map(scores: &[f32; 7]) -> BTreeMap<String, f32> {
    Expression::ALL
        .iter()
        .map(|e| (e.as_str().to_owned(), scores[e.index()]))
        .collect()
}

impl Worker {
    /// Handles one `face.analyze` delivery and says how to settle it.
    pub async fn handle(&self, msg: Incoming<FaceAnalyzeV1>) -> Outcome {
        let task = msg.envelope.payload;
        let kind = kind_label(task.kind);
        metrics::IN_FLIGHT.inc();
        let started = Instant::now();
        let outcome = self.process(&task).await;
        metrics::IN_FLIGHT.dec();
        let (settle, label) = match outcome {
            Ok(Ending::Succeeded(_)) => (Outcome::Ack, "succeeded"),
            Ok(Ending::Failed(..)) => (Outcome::Ack, "failed"),
            Ok(Ending::Cancelled) => (Outcome::Ack, "cancelled"),
            Err(why) => {
                tracing::warn!(task_id = %task.task_id, %why, delivery = msg.delivery_count, "task will be retried");
                (Outcome::Retry, "retry")
            }
        };
        metrics::TASKS.with_label_values(&[kind, label]).inc();
        if label != "retry" {
            metrics::TASK_SECONDS
                .with_label_values(&[kind])
                .observe(started.elapsed().as_secs_f64());
        }
        settle
    }

    /// Runs the task and announces its end; `Err` means "retry later".
    async fn process(&self, task: &FaceAnalyzeV1) -> Result<Ending, String> {
        let id = task.task_id;
        // A redelivered task may already be finished: announce it again (the api dedupes).
        match self.redis.get_task(id).await.map_err(|e| e.to_string())? {
            Some(rec) if rec.status == TaskStatus::Cancelled => return Ok(Ending::Cancelled),
            Some(rec) if rec.status == TaskStatus::Succeeded => {
                let result = rec.result.unwrap_or(serde_json::Value::Null);
                self.announce(task, &Ending::Succeeded(result.clone()))
                    .await?;
                return Ok(Ending::Succeeded(result));
            }
            Some(rec) if rec.status == TaskStatus::Failed => {
                let (code, detail) = rec
                    .error
                    .map_or((ErrorCode::Internal, String::new()), |e| (e.code, e.detail));
                let ending = Ending::Failed(code, detail);
                self.announce(task, &ending).await?;
                return Ok(ending);
            }
            Some(_) => {}
            None => {
                // Redis lost the record (restart, expiry): the message is the source of truth.
                let ttl = Duration::from_secs(self.settings.faces.task_ttl_secs);
                let new = NewTask {
                    id,
                    kind: task.kind,
                    user_id: task.user_id,
                };
                match self.redis.create_task(&new, ttl).await {
                    Ok(_) | Err(StateError::TaskExists(_)) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
        }

        let ending = match self.run_pipeline(task).await {
            Ok(result) => Ending::Succeeded(result),
            Err(StepError::Fail(code, detail)) => Ending::Failed(code, detail),
            Err(StepError::Cancelled) => return Ok(Ending::Cancelled),
            Err(StepError::Transient(why)) => return Err(why),
        };
        let (to, change) = match &ending {
            Ending::Succeeded(result) => (
                TaskStatus::Succeeded,
                TaskChange {
                    progress: Some(100),
                    result: Some(result.clone()),
                    ..Default::default()
                },
            ),
            Ending::Failed(code, detail) => (
                TaskStatus::Failed,
                TaskChange {
                    error: Some(TaskError {
                        code: *code,
                        detail: detail.clone(),
                    }),
                    ..Default::default()
                },
            ),
            Ending::Cancelled => return Ok(Ending::Cancelled),
        };
        match self.redis.transition(id, to, change).await {
            Ok(_) => {}
            // Cancelled while the last step ran: the owner's wish wins, nothing to announce,
            // and the result files it may have stored go (best effort; nothing links to them).
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => {
                if task.kind == TaskKind::Emoji {
                    self.remove_results(id).await;
                }
                return Ok(Ending::Cancelled);
            }
            // Already final from an earlier delivery: fall through and re-announce.
            Err(StateError::IllegalTransition { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
        self.announce(task, &ending).await?;
        Ok(ending)
    }

    /// Deletes an emoji task's result files; failures are only logged.
    async fn remove_results(&self, id: Uuid) {
        let (image_key, thumbnail_key) = result_keys(id);
        for key in [image_key, thumbnail_key] {
            if let Err(e) = self.storage.delete(&key).await {
                tracing::warn!(task_id = %id, %key, error = %e, "could not remove a cancelled task's result");
            }
        }
    }

    /// Publishes the ending (with publisher confirms) so the api persists it.
    async fn announce(&self, task: &FaceAnalyzeV1, ending: &Ending) -> Result<(), String> {
        let exchange = self.broker.topology().events_exchange();
        let published = match ending {
            Ending::Succeeded(result) => {
                let payload = TaskSucceededV1 {
                    task_id: task.task_id,
                    user_id: task.user_id,
                    kind: task.kind,
                    result: result.clone(),
                };
                let env = Envelope::new("inference", task.task_id, payload);
                self.broker
                    .publish(&exchange, TaskSucceededV1::TYPE, &env)
                    .await
            }
            Ending::Failed(code, detail) => {
                let payload = TaskFailedV1 {
                    task_id: task.task_id,
                    user_id: task.user_id,
                    kind: task.kind,
                    code: *code,
                    detail: detail.clone(),
                };
                let env = Envelope::new("inference", task.task_id, payload);
                self.broker
                    .publish(&exchange, TaskFailedV1::TYPE, &env)
                    .await
            }
            Ending::Cancelled => Ok(()),
        };
        published.map_err(|e| format!("publishing the outcome: {e}"))
    }

    /// Marks progress; a cancelled (or otherwise final) task stops the pipeline.
    async fn step(&self, id: Uuid, progress: u8, name: &str) -> Result<(), StepError> {
        match self.redis.set_progress(id, progress, name).await {
            Ok(_) => Ok(()),
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => Err(StepError::Cancelled),
            Err(StateError::IllegalTransition { from, .. }) if from.is_final() => {
                Err(StepError::Cancelled)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Marks progress unless the last write was under the progress gap ago: a short final
    /// step is not worth a write (the final state follows within milliseconds). A cancel it
    /// would have caught is caught by the final transition, which also removes stored files.
    async fn step_unless_recent(
        &self,
        id: Uuid,
        progress: u8,
        name: &str,
        last_write: &mut Instant,
    ) -> Result<(), StepError> {
        if last_write.elapsed() < self.progress_gap() {
            return Ok(());
        }
        self.step(id, progress, name).await?;
        *last_write = Instant::now();
        Ok(())
    }

    /// Shortest time between two progress writes of one task (`faces.progress_gap_ms`).
    fn progress_gap(&self) -> Duration {
        Duration::from_millis(self.settings.faces.progress_gap_ms)
    }

    async fn timed<T>(&self, step: &str, fut: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let out = fut.await;
        metrics::STEP_SECONDS
            .with_label_values(&[step])
            .observe(started.elapsed().as_secs_f64());
        out
    }

    /// The pipeline proper; returns the result document.
    async fn run_pipeline(&self, task: &FaceAnalyzeV1) -> Result<serde_json::Value, StepError> {
        let id = task.task_id;
        match self
            .redis
            .transition(
                id,
                TaskStatus::Running,
                TaskChange {
                    progress: Some(0),
                    step: Some("download".into()),
                    ..Default::default()
                },
            )
            .await
        {
            Ok(_) => {}
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => return Err(StepError::Cancelled),
            Err(e) => return Err(e.into()),
        }
        let mut last_write = Instant::now();

        let bytes: Bytes = self
            .timed("download", self.storage.get(&task.image_key))
            .await?;
        let job = pipeline::Job {
            bytes,
            limits: Limits {
                max_bytes: self.settings.faces.max_image_bytes,
                max_pixels: self.settings.faces.max_image_pixels,
            },
            kind: task.kind,
            template: task
                .template
                .clone()
                .unwrap_or_else(|| "classic".to_owned()),
        };
        let analysis = self.analyze(id, job, &mut last_write).await?;
        match (task.kind, analysis.rendered) {
            (TaskKind::Emoji, Some(rendered)) => {
                self.finish_emoji(task, &analysis.faces, rendered, &mut last_write)
                    .await
            }
            (TaskKind::Emoji, None) => Err(StepError::Fail(
                ErrorCode::Internal,
                "the emoji image was not rendered".into(),
            )),
            (TaskKind::Zodiac, _) => {
                self.finish_zodiac(task, &analysis.faces, &mut last_write)
                    .await
            }
        }
    }

    /// Runs the image work as one job on a vision thread while writing its step announcements
    /// to Redis in order; a cancelled task or a Redis failure stops the job before its next step.
    async fn analyze(
        &self,
        id: Uuid,
        job: pipeline::Job,
        last_write: &mut Instant,
    ) -> Result<pipeline::Analysis, StepError> {
        let (steps_tx, mut steps) = tokio::sync::mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let control = pipeline::Control {
            steps: steps_tx,
            stop: stop.clone(),
            step_delay: Duration::from_millis(self.settings.faces.step_delay_ms),
        };
        let work = self
            .pool
            .run(move |models| pipeline::run(models, job, &control));
        tokio::pin!(work);
        let mut aborted: Option<StepError> = None;
        // Progress writes are throttled: a step announced less than the progress gap after the
        // previous write waits, and is replaced if the next step starts meanwhile. Sub-10 ms
        // steps of a 1 MP selfie are invisible to a person anyway, and each write is a Redis
        // script, a pub/sub message and an SSE frame.
        let mut pending: Option<pipeline::StepStarted> = None;
        // `last_write` starts at the `running` write: a first step right after it waits.
        let gap = self.progress_gap();
        let outcome = loop {
            let due = tokio::time::Instant::from_std(*last_write + gap);
            tokio::select! {
                biased;
                Some(started) = steps.recv() => {
                    pending = Some(started);
                    if last_write.elapsed() < gap {
                        continue;
                    }
                }
                () = tokio::time::sleep_until(due), if pending.is_some() => {}
                outcome = &mut work => break outcome,
            }
            if let Some(started) = pending.take() {
                if aborted.is_none() {
                    if let Err(e) = self.step(id, started.progress, started.step).await {
                        stop.store(true, Ordering::Release);
                        aborted = Some(e);
                    }
                }
                *last_write = Instant::now();
            }
        };
        // A step still waiting for its turn when the job finished is written only if the job
        // failed, so the failure follows the step it happened in (the web client shows where
        // a task stopped). After a success, storing or the final state supersedes it.
        while let Ok(started) = steps.try_recv() {
            pending = Some(started);
        }
        let failed = matches!(outcome, Ok(Err(pipeline::Failure::Fail(..))));
        if let (true, Some(started), None) = (failed, pending, &aborted) {
            self.step(id, started.progress, started.step).await?;
            *last_write = Instant::now();
        }
        if let Some(e) = aborted {
            return Err(e);
        }
        match outcome? {
            Ok(analysis) => Ok(analysis),
            Err(pipeline::Failure::Fail(code, detail)) => Err(StepError::Fail(code, detail)),
            Err(pipeline::Failure::Stopped) => Err(StepError::Cancelled),
            Err(pipeline::Failure::Transient(why)) => Err(StepError::Transient(why)),
        }
    }

    async fn finish_emoji(
        &self,
        task: &FaceAnalyzeV1,
        faces: &[ReadFace],
        rendered: pipeline::Rendered,
        last_write: &mut Instant,
    ) -> Result<serde_json::Value, StepError> {
        let id = task.task_id;
        self.step_unless_recent(id, 95, "store", last_write).await?;
        let (image_key, thumbnail_key) = result_keys(id);
        self.timed("store", async {
            tokio::try_join!(
                self.storage
                    .put(&image_key, Bytes::from(rendered.png), "image/png"),
                self.storage.put(
                    &thumbnail_key,
                    Bytes::from(rendered.thumbnail),
                    "image/jpeg"
                ),
            )
        })
        .await?;

        let result = EmojiResult {
            template: rendered.template,
            faces: faces
                .iter()
                .map(|f| EmojiFace {
                    bbox: result_box(f.bbox),
                    expression: f.expression.as_str().to_owned(),
                    confidence: f.confidence,
                    scores: scores_map(&f.scores),
                })
                .collect(),
            image_key,
            thumbnail_key,
            width: rendered.width,
            height: rendered.height,
        };
        serde_json::to_value(&result)
            .map_err(|e| StepError::Fail(ErrorCode::Internal, e.to_string()))
    }

    async fn finish_zodiac(
        &self,
        task: &FaceAnalyzeV1,
        faces: &[ReadFace],
        last_write: &mut Instant,
    ) -> Result<serde_json::Value, StepError> {
        self.step_unless_recent(task.task_id, 80, "zodiac", last_write)
            .await?;
        // The look-alike reads one face: the largest, i.e. the person the photo is about.
        let face = faces
            .iter()
            .max_by_key(|f| u64::from(f.bbox.width) * u64::from(f.bbox.height))
            .ok_or_else(|| StepError::Fail(ErrorCode::NoFaceDetected, "no face".into()))?;
        let started = Instant::now();
        let features = face.features.ok_or_else(|| {
            StepError::Fail(
                ErrorCode::Internal,
                "face features were not measured".into(),
            )
        })?;
        let verdict = moji_catalog::classify(&features);
        let animal = zodiac::animal(verdict.animal);
        let fortune = zodiac::fortune(verdict.animal, task.user_id, Utc::now().date_naive());
        metrics::STEP_SECONDS
            .with_label_values(&["zodiac"])
            .observe(started.elapsed().as_secs_f64());
        let localized = |l: moji_catalog::text::Localized| Localized {
            ko: l.ko.to_owned(),
            en: l.en.to_owned(),
        };
        let result = ZodiacResult {
            animal: verdict.animal.as_str().to_owned(),
            animal_name: localized(animal.name),
            scores: verdict
                .scores
                .iter()
                .map(|(a, s)| (a.as_str().to_owned(), *s))
                .collect(),
            reasons: verdict
                .reasons
                .iter()
                .map(|r| ZodiacReason {
                    feature: r.feature.short_name().to_owned(),
                    text: Localized {
                        ko: r.text_ko.clone(),
                        en: r.text_en.clone(),
                    },
                })
                .collect(),
            fortune: localized(fortune.text),
            bbox: result_box(face.bbox),
            expression: face.expression.as_str().to_owned(),
            confidence: face.confidence,
            image_key: task.image_key.clone(),
        };
        serde_json::to_value(&result)
            .map_err(|e| StepError::Fail(ErrorCode::Internal, e.to_string()))
    }
}
