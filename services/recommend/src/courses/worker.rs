//! One `course.suggest` message: plan, write, record in Redis, announce. The message is
//! acknowledged only after the outcome is published (with confirms); a redelivered task that
//! already ended is announced again (the api saves each once); a cancelled one is dropped.

use std::{sync::Arc, time::Instant};

use moji_common::{
    course::CourseSuggestV1,
    messages::{TaskFailedV1, TaskSucceededV1},
    Envelope, ErrorCode, MessageType, TaskKind, TaskStatus,
};
use moji_llm::Writers;
use moji_mq::{Incoming, Outcome};
use moji_redis::{NewTask, StateError, TaskChange, TaskError};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::{book::PlaceBook, compose};
use crate::{metrics, state::RecState};

/// How a task ends here.
#[derive(Debug)]
enum End {
    Succeeded(Value),
    Failed(ErrorCode, String),
    Cancelled,
    /// Infrastructure trouble: requeue (the text is for the log).
    Retry(String),
}

impl From<StateError> for End {
    fn from(e: StateError) -> Self {
        End::Retry(format!("redis: {e}"))
    }
}

/// The worker of one replica; cheap to clone.
#[derive(Clone)]
pub struct CourseWorker {
    state: RecState,
    writers: Arc<Writers>,
    book: Arc<OnceCell<PlaceBook>>,
}

impl CourseWorker {
    /// A worker that loads the catalogue on its first task.
    pub fn new(state: RecState, writers: Arc<Writers>) -> Self {
        CourseWorker {
            state,
            writers,
            book: Arc::new(OnceCell::new()),
        }
    }

    /// Handles one message; the outcome says how to settle it.
    pub async fn handle(&self, msg: Incoming<CourseSuggestV1>) -> Outcome {
        let task = msg.envelope.payload;
        let started = Instant::now();
        let end = self.process(&task).await;
        let outcome = match &end {
            End::Succeeded(_) => "succeeded",
            End::Failed(..) => "failed",
            End::Cancelled => "cancelled",
            End::Retry(why) => {
                tracing::warn!(task_id = %task.task_id, %why, delivery = msg.delivery_count, "course task will be retried");
                return Outcome::Retry;
            }
        };
        metrics::COURSE_TASKS.with_label_values(&[outcome]).inc();
        metrics::COURSE_TASK_SECONDS.observe(started.elapsed().as_secs_f64());
        Outcome::Ack
    }

    async fn process(&self, task: &CourseSuggestV1) -> End {
        let id = task.task_id;
        let end = match self.state.redis.get_task(id).await {
            Err(e) => return e.into(),
            Ok(Some(rec)) if rec.status == TaskStatus::Cancelled => return End::Cancelled,
            // A redelivery after the end was recorded: announce it again.
            Ok(Some(rec)) if rec.status == TaskStatus::Succeeded => {
                End::Succeeded(rec.result.unwrap_or(Value::Null))
            }
            Ok(Some(rec)) if rec.status == TaskStatus::Failed => {
                let e = rec
                    .error
                    .map_or((ErrorCode::Internal, String::new()), |e| (e.code, e.detail));
                End::Failed(e.0, e.1)
            }
            Ok(found) => {
                if found.is_none() {
                    // Redis lost the record: the message is the source of truth.
                    let ttl =
                        std::time::Duration::from_secs(self.state.settings.courses.task_ttl_secs);
                    let new = NewTask {
                        id,
                        kind: TaskKind::Course,
                        user_id: task.user_id,
                    };
                    match self.state.redis.create_task(&new, ttl).await {
                        Ok(_) | Err(StateError::TaskExists(_)) => {}
                        Err(e) => return e.into(),
                    }
                }
                match self.run(task).await {
                    End::Retry(why) => return End::Retry(why),
                    End::Cancelled => return End::Cancelled,
                    end => match self.record(id, &end).await {
                        Ok(true) => end,
                        Ok(false) => return End::Cancelled,
                        Err(e) => return e,
                    },
                }
            }
        };
        match self.announce(task, &end).await {
            Ok(()) => end,
            Err(e) => e,
        }
    }

    /// Moves the Redis record to the end; false when the owner cancelled meanwhile.
    async fn record(&self, id: uuid::Uuid, end: &End) -> Result<bool, End> {
        let (to, change) = match end {
            End::Succeeded(result) => (
                TaskStatus::Succeeded,
                TaskChange {
                    progress: Some(100),
                    result: Some(result.clone()),
                    ..Default::default()
                },
            ),
            End::Failed(code, detail) => (
                TaskStatus::Failed,
                TaskChange {
                    error: Some(TaskError {
                        code: *code,
                        detail: detail.clone(),
                    }),
                    ..Default::default()
                },
            ),
            End::Cancelled | End::Retry(_) => return Ok(true),
        };
        match self.state.redis.transition(id, to, change).await {
            Ok(_) => Ok(true),
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => Ok(false),
            // Already final from an earlier delivery: announce again.
            Err(StateError::IllegalTransition { .. }) => Ok(true),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks progress; `Err(Cancelled)` when the owner cancelled.
    async fn step(&self, id: uuid::Uuid, progress: u8, step: &str) -> Result<(), End> {
        let change = TaskChange {
            progress: Some(progress),
            step: Some(step.into()),
            ..Default::default()
        };
        match self
            .state
            .redis
            .transition(id, TaskStatus::Running, change)
            .await
        {
            Ok(_) => Ok(()),
            Err(StateError::IllegalTransition {
                from: TaskStatus::Cancelled,
                ..
            }) => Err(End::Cancelled),
            Err(e) => Err(e.into()),
        }
    }

    /// Plans and writes the course.
    async fn run(&self, task: &CourseSuggestV1) -> End {
        match self.plan_and_write(task).await {
            Ok(result) => End::Succeeded(result),
            Err(end) => end,
        }
    }

    async fn plan_and_write(&self, task: &CourseSuggestV1) -> Result<Value, End> {
        let id = task.task_id;
        let request = &task.request;
        self.step(id, 10, "places").await?;
        let book = self
            .book
            .get_or_try_init(|| PlaceBook::load(&self.state))
            .await
            .map_err(|e| End::Retry(format!("loading places: {e}")))?;
        let mood = match request.mood.as_deref().filter(|m| !m.trim().is_empty()) {
            Some(mood) => {
                let mut vectors = self
                    .state
                    .embed
                    .embed(vec![mood.to_owned()])
                    .await
                    .map_err(|e| End::Retry(format!("embedding the mood: {e}")))?;
                vectors.pop()
            }
            None => None,
        };
        let stops = moji_places::plan(request, &book.places, |p| {
            mood.as_deref().map_or(0.0, |m| book.relevance(p, m))
        })
        .map_err(|e| End::Failed(ErrorCode::NoCourseFound, e.to_string()))?;
        self.step(id, 40, "writing").await?;
        let brief = compose::brief(request, &stops);
        let writers = self.writers.clone();
        let started = Instant::now();
        let written = tokio::task::spawn_blocking(move || writers.write(&brief))
            .await
            .map_err(|e| End::Retry(format!("the writer stopped: {e}")))?;
        metrics::COURSE_WRITER_SECONDS
            .with_label_values(&[written.provider.as_str()])
            .observe(started.elapsed().as_secs_f64());
        if let Some(reason) = &written.fallback_reason {
            tracing::info!(task_id = %id, %reason, "the template wrote the course");
            metrics::COURSE_FALLBACKS
                .with_label_values(&[compose::fallback_label(reason)])
                .inc();
        }
        let doc = compose::document(request, &stops, &written);
        serde_json::to_value(&doc).map_err(|e| End::Failed(ErrorCode::Internal, e.to_string()))
    }

    /// Publishes the end (with confirms) for the api to save.
    async fn announce(&self, task: &CourseSuggestV1, end: &End) -> Result<(), End> {
        let exchange = self.state.broker.topology().events_exchange();
        let published = match end {
            End::Succeeded(result) => {
                let payload = TaskSucceededV1 {
                    task_id: task.task_id,
                    user_id: task.user_id,
                    kind: TaskKind::Course,
                    result: result.clone(),
                };
                let env = Envelope::new("recommend", task.task_id, payload);
                self.state
                    .broker
                    .publish(&exchange, TaskSucceededV1::TYPE, &env)
                    .await
            }
            End::Failed(code, detail) => {
                let payload = TaskFailedV1 {
                    task_id: task.task_id,
                    user_id: task.user_id,
                    kind: TaskKind::Course,
                    code: *code,
                    detail: detail.clone(),
                };
                let env = Envelope::new("recommend", task.task_id, payload);
                self.state
                    .broker
                    .publish(&exchange, TaskFailedV1::TYPE, &env)
                    .await
            }
            End::Cancelled | End::Retry(_) => Ok(()),
        };
        published.map_err(|e| End::Retry(format!("publishing the outcome: {e}")))
    }
}
