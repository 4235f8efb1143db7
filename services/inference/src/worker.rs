//! One task, start to finish: claim it in Redis, run the pipeline step by step (reporting
//! progress and honouring cancellation between steps), store the result, publish
//! `task.succeeded` / `task.failed`, and only then acknowledge the message.
//!
//! Redelivery is expected (a crashed worker, a lost connection), so every step is idempotent:
//! results go to fixed keys, a task already final in Redis is only re-announced, and the api
//! persists each task once.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use moji_catalog::DEFAULT_TEMPLATE;
use moji_common::{
    messages::{FaceAnalyzeV1, TaskFailedV1, TaskSucceededV1},
    Envelope, ErrorCode, MessageType, TaskKind, TaskStatus,
};
use moji_config::{ProductCalendar, Settings};
use moji_media::Limits;
use moji_mq::{Broker, Incoming, Outcome};
use moji_redis::{NewTask, RedisState, StateError, TaskChange, TaskError};
use moji_storage::Storage;
use uuid::Uuid;

use crate::{
    metrics,
    pipeline::{self, ReadFace},
    pool::VisionPool,
    results,
    step::{Step, DONE},
    task_end::TaskEnd,
};

/// Which task a delivery is about: what announcing its end needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskRef {
    /// Task id.
    pub(crate) id: Uuid,
    /// Its owner.
    pub(crate) user_id: Uuid,
    /// Its kind.
    pub(crate) kind: TaskKind,
}

impl From<&FaceAnalyzeV1> for TaskRef {
    fn from(task: &FaceAnalyzeV1) -> Self {
        Self {
            id: task.task_id,
            user_id: task.user_id,
            kind: task.kind,
        }
    }
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
    /// Upload limits (`faces.max_image_bytes`, `faces.max_image_pixels`).
    pub(crate) limits: Limits,
    /// The product day fortunes are drawn for (`product.time_zone`).
    calendar: ProductCalendar,
    /// Limits of post, product and avatar images (`media.max_upload_*`).
    pub(crate) media_limits: Limits,
}

impl Worker {
    /// A worker over connected services; reads its limits and calendar from `settings` once.
    pub fn new(
        settings: Settings,
        redis: RedisState,
        storage: Storage,
        broker: Broker,
        pool: VisionPool,
    ) -> anyhow::Result<Self> {
        let limits = Limits::new(
            settings.faces.max_image_bytes,
            settings.faces.max_image_pixels,
        );
        let calendar = ProductCalendar::new(&settings.product.time_zone)
            .map_err(|e| anyhow::anyhow!("product.time_zone: {e}"))?;
        let media_limits = Limits::new(
            settings.media.max_upload_bytes,
            settings.media.max_upload_pixels,
        );
        Ok(Self {
            media_limits,
            settings: Arc::new(settings),
            redis,
            storage,
            broker,
            pool,
            limits,
            calendar,
        })
    }

    /// Handles one `face.analyze` delivery and says how to settle it.
    pub async fn handle(&self, msg: Incoming<FaceAnalyzeV1>) -> Outcome {
        let task = msg.envelope.payload;
        let kind = task.kind.as_str();
        metrics::IN_FLIGHT.inc();
        let started = Instant::now();
        // Both sides are how the task ended; `Err` is an end reached early through `?`.
        let end = match self.process(&task).await {
            Ok(end) | Err(end) => end,
        };
        let end = match end {
            TaskEnd::Retry(why) => {
                self.after_transient_failure(TaskRef::from(&task), msg.delivery_count, why)
                    .await
            }
            other => other,
        };
        metrics::IN_FLIGHT.dec();
        if let TaskEnd::Retry(why) = &end {
            tracing::warn!(task_id = %task.task_id, %why, delivery = msg.delivery_count, "task will be retried");
        } else {
            metrics::TASK_SECONDS
                .with_label_values(&[kind])
                .observe(started.elapsed().as_secs_f64());
        }
        metrics::TASKS.with_label_values(&[kind, end.label()]).inc();
        end.settle()
    }

    /// Runs the task and announces its end.
    async fn process(&self, task: &FaceAnalyzeV1) -> Result<TaskEnd, TaskEnd> {
        let task_ref = TaskRef::from(task);
        let ttl = Duration::from_secs(self.settings.faces.task_ttl_secs);
        if let Some(end) = self.resume(task_ref, ttl).await? {
            return Ok(end);
        }
        let end = match self.run_pipeline(task).await {
            Ok(result) => TaskEnd::Succeeded(result),
            Err(end) => end,
        };
        let end = self.conclude(task_ref, end).await?;
        if matches!(end, TaskEnd::Cancelled) && task.kind == TaskKind::Emoji {
            self.remove_results(task.task_id).await;
        }
        Ok(end)
    }

    /// After a transient failure (`why`) of delivery `delivery_count` (0 = the first): on the
    /// last delivery the broker allows (`amqp.delivery_limit`), the task fails and that is
    /// announced, so nobody waits forever for a task whose message went to the dead-letter
    /// queue unseen (the fault campaign found three such after 5 s of read-only storage);
    /// before that, it waits 0.5 s, 1 s, 2 s, 4 s, then 8 s at most before the message is
    /// requeued, so that a short outage is outlasted instead of used up in a second.
    pub(crate) async fn after_transient_failure(
        &self,
        task: TaskRef,
        delivery_count: u32,
        why: String,
    ) -> TaskEnd {
        let attempts = delivery_count.saturating_add(1);
        if attempts >= self.settings.amqp.delivery_limit {
            tracing::error!(task_id = %task.id, %why, attempts, "giving up on the task");
            let end = TaskEnd::Failed(
                ErrorCode::ServiceUnavailable,
                "the task could not be completed: a service it needs was unavailable; please try again"
                    .into(),
            );
            return match self.conclude(task, end).await {
                Ok(end) | Err(end) => end,
            };
        }
        tokio::time::sleep(retry_wait(delivery_count)).await;
        TaskEnd::Retry(why)
    }

    /// Takes up a delivered task: `Some(end)` when an earlier delivery already ended it (a
    /// success or failure is announced again: the api dedupes), `None` when it is to be run.
    /// A record Redis lost (restart, expiry) is made again: the message is the source of truth.
    pub(crate) async fn resume(
        &self,
        task: TaskRef,
        ttl: Duration,
    ) -> Result<Option<TaskEnd>, TaskEnd> {
        let end = match self.redis.get_task(task.id).await? {
            Some(rec) if rec.status == TaskStatus::Cancelled => {
                return Ok(Some(TaskEnd::Cancelled))
            }
            Some(rec) if rec.status == TaskStatus::Succeeded => {
                TaskEnd::Succeeded(rec.result.unwrap_or(serde_json::Value::Null))
            }
            Some(rec) if rec.status == TaskStatus::Failed => {
                let (code, detail) = rec
                    .error
                    .map_or((ErrorCode::Internal, String::new()), |e| (e.code, e.detail));
                TaskEnd::Failed(code, detail)
            }
            Some(_) => return Ok(None),
            None => {
                let new = NewTask {
                    id: task.id,
                    kind: task.kind,
                    user_id: task.user_id,
                };
                match self.redis.create_task(&new, ttl).await {
                    Ok(_) | Err(StateError::TaskExists(_)) => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
            }
        };
        self.announce(task, &end).await?;
        Ok(Some(end))
    }

    /// Records how a run ended in Redis and announces it. `Cancelled` when the owner cancelled
    /// while the last step ran: their wish wins, nothing is announced, and the caller removes
    /// whatever files the run stored (best effort; nothing links to them).
    pub(crate) async fn conclude(&self, task: TaskRef, end: TaskEnd) -> Result<TaskEnd, TaskEnd> {
        let (to, change) = match &end {
            TaskEnd::Succeeded(result) => (
                TaskStatus::Succeeded,
                TaskChange {
                    progress: Some(DONE),
                    result: Some(result.clone()),
                    ..Default::default()
                },
            ),
            TaskEnd::Failed(code, detail) => (
                TaskStatus::Failed,
                TaskChange {
                    error: Some(TaskError {
                        code: *code,
                        detail: detail.clone(),
                    }),
                    ..Default::default()
                },
            ),
            TaskEnd::Cancelled | TaskEnd::Retry(_) => return Ok(end),
        };
        match self.redis.transition(task.id, to, change).await {
            Ok(_) => {}
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => return Ok(TaskEnd::Cancelled),
            // Already final from an earlier delivery: fall through and re-announce.
            Err(StateError::IllegalTransition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.announce(task, &end).await?;
        Ok(end)
    }

    /// Deletes an emoji task's result files; failures are only logged.
    async fn remove_results(&self, id: Uuid) {
        let (image_key, thumbnail_key) = results::keys(id);
        self.remove_files(id, &[image_key, thumbnail_key]).await;
    }

    /// Deletes files a cancelled task stored; failures are only logged.
    pub(crate) async fn remove_files(&self, id: Uuid, keys: &[String]) {
        for key in keys {
            if let Err(e) = self.storage.delete(key).await {
                tracing::warn!(task_id = %id, %key, error = %e, "could not remove a cancelled task's file");
            }
        }
    }

    /// Publishes a final end (with publisher confirms) so the api persists it; `Cancelled`
    /// and `Retry` announce nothing.
    async fn announce(&self, task: TaskRef, end: &TaskEnd) -> Result<(), TaskEnd> {
        let exchange = self.broker.topology().events_exchange();
        let published = match end {
            TaskEnd::Succeeded(result) => {
                let payload = TaskSucceededV1 {
                    task_id: task.id,
                    user_id: task.user_id,
                    kind: task.kind,
                    result: result.clone(),
                };
                let env = Envelope::new("inference", task.id, payload);
                self.broker
                    .publish(&exchange, TaskSucceededV1::TYPE, &env)
                    .await
            }
            TaskEnd::Failed(code, detail) => {
                let payload = TaskFailedV1 {
                    task_id: task.id,
                    user_id: task.user_id,
                    kind: task.kind,
                    code: *code,
                    detail: detail.clone(),
                };
                let env = Envelope::new("inference", task.id, payload);
                self.broker
                    .publish(&exchange, TaskFailedV1::TYPE, &env)
                    .await
            }
            TaskEnd::Cancelled | TaskEnd::Retry(_) => Ok(()),
        };
        published.map_err(|e| TaskEnd::Retry(format!("publishing the outcome: {e}")))
    }

    async fn timed<T>(&self, step: Step, fut: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let out = fut.await;
        metrics::STEP_SECONDS
            .with_label_values(&[step.name()])
            .observe(started.elapsed().as_secs_f64());
        out
    }

    /// The pipeline proper; returns the result document.
    async fn run_pipeline(&self, task: &FaceAnalyzeV1) -> Result<serde_json::Value, TaskEnd> {
        let id = task.task_id;
        let running = TaskChange {
            progress: Some(Step::Download.progress()),
            step: Some(Step::Download.name().into()),
            ..Default::default()
        };
        match self
            .redis
            .transition(id, TaskStatus::Running, running)
            .await
        {
            Ok(_) => {}
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => return Err(TaskEnd::Cancelled),
            Err(e) => return Err(e.into()),
        }
        let mut last_write = Instant::now();

        let bytes: Bytes = self
            .timed(Step::Download, self.storage.get(&task.image_key))
            .await?;
        let job = pipeline::Job {
            bytes,
            limits: self.limits,
            kind: task.kind,
            template: task.template.unwrap_or(DEFAULT_TEMPLATE),
        };
        let analysis = self.analyze(id, job, &mut last_write).await?;
        match (task.kind, analysis.rendered) {
            (TaskKind::Emoji, Some(rendered)) => {
                self.finish_emoji(task, &analysis.faces, rendered, &mut last_write)
                    .await
            }
            (TaskKind::Emoji, None) => Err(TaskEnd::Failed(
                ErrorCode::Internal,
                "the emoji image was not rendered".into(),
            )),
            (TaskKind::Zodiac, _) => {
                self.finish_zodiac(task, &analysis.faces, &mut last_write)
                    .await
            }
            // The recommendation service plans courses; one here is a misrouted message.
            (TaskKind::Course | TaskKind::Dataset, _) => Err(TaskEnd::Failed(
                ErrorCode::Internal,
                format!("a {} task is not a face task", task.kind),
            )),
        }
    }

    async fn finish_emoji(
        &self,
        task: &FaceAnalyzeV1,
        faces: &[ReadFace],
        rendered: pipeline::Rendered,
        last_write: &mut Instant,
    ) -> Result<serde_json::Value, TaskEnd> {
        let id = task.task_id;
        self.step_unless_recent(id, Step::Store, last_write).await?;
        let (image_key, thumbnail_key) = results::keys(id);
        self.timed(Step::Store, async {
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
        let result = results::emoji(
            faces,
            rendered.template,
            (rendered.width, rendered.height),
            (image_key, thumbnail_key),
        );
        serde_json::to_value(&result).map_err(results::unserializable)
    }

    async fn finish_zodiac(
        &self,
        task: &FaceAnalyzeV1,
        faces: &[ReadFace],
        last_write: &mut Instant,
    ) -> Result<serde_json::Value, TaskEnd> {
        self.step_unless_recent(task.task_id, Step::Zodiac, last_write)
            .await?;
        let started = Instant::now();
        let result = results::zodiac(task, faces, self.calendar.today())?;
        metrics::STEP_SECONDS
            .with_label_values(&[Step::Zodiac.name()])
            .observe(started.elapsed().as_secs_f64());
        serde_json::to_value(&result).map_err(results::unserializable)
    }
}

/// How long to hold a message that failed for a transient reason before it is requeued:
/// 0.5 s doubling with each delivery, at most 8 s.
fn retry_wait(delivery_count: u32) -> Duration {
    Duration::from_millis(500u64 << delivery_count.min(4))
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_wait_longer_each_time_up_to_8_s() {
        let waits: Vec<u64> = (0..7)
            .map(|n| super::retry_wait(n).as_millis() as u64)
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    }
}
