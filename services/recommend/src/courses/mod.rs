//! The date-course worker (docs/date-courses.md): consumes `course.suggest`, plans 3–5 real
//! places from the catalogue in PostgreSQL (filters, the mood's meaning, travel time), has a
//! language model write the text, and announces the course for the api to save.

pub mod book;
pub mod compose;
pub mod worker;

use std::{sync::Arc, time::Duration};

use moji_common::course::CourseSuggestV1;
use moji_llm::{WriterConfig, Writers};
use tokio_util::sync::CancellationToken;

use crate::state::RecState;

/// The writer configuration of `courses.*`.
pub fn writer_config(settings: &moji_config::CourseSettings) -> anyhow::Result<WriterConfig> {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Ok(WriterConfig {
        mode: settings
            .writer
            .parse()
            .map_err(|e| anyhow::anyhow!("courses.writer: {e}"))?,
        model_path: settings.model_path.clone(),
        openai_base_url: some(&settings.openai_base_url),
        openai_model: some(&settings.openai_model),
        openai_api_key: some(&settings.openai_api_key),
        timeout: Duration::from_secs(settings.writer_timeout_secs),
        max_tokens: settings.max_tokens,
    })
}

/// Loads the writer (the local model takes a moment, off the executor).
pub async fn writers(settings: &moji_config::CourseSettings) -> anyhow::Result<Arc<Writers>> {
    let config = writer_config(settings)?;
    let writers = tokio::task::spawn_blocking(move || Writers::from_config(&config)).await??;
    tracing::info!(writer = ?writers, "course writer ready");
    Ok(Arc::new(writers))
}

/// Runs the consumer of `recommend.course` until `shutdown` is cancelled.
pub fn spawn(
    state: &RecState,
    writers: Arc<Writers>,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let worker = worker::CourseWorker::new(state.clone(), writers);
    let queue = state.broker.topology().course_queue();
    let prefetch = u16::try_from(state.settings.courses.workers).unwrap_or(1);
    let broker = state.broker.clone();
    tokio::spawn(async move {
        // The replica's broker declares only exchanges; this is the one work queue it reads.
        if let Err(e) = broker.declare_work_queue(&queue).await {
            tracing::error!(error = %e, %queue, "declaring the course queue failed");
        }
        let run = moji_mq::consume::<CourseSuggestV1, _, _>(
            &broker,
            &queue,
            "recommend.course",
            prefetch,
            move |msg| {
                let worker = worker.clone();
                async move { worker.handle(msg).await }
            },
            shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, "course consumer stopped");
        }
    })
}
