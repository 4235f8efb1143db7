//! Persisting what the recommendation worker reports for course tasks: a success saves the
//! course, a failure gives the quota unit back; each once (redeliveries change nothing).

use moji_common::{
    course::CourseDocument,
    messages::{TaskFailedV1, TaskSucceededV1},
};
use moji_mq::Outcome;

use crate::state::AppState;

/// Saves the course of a succeeded task once.
pub async fn on_succeeded(state: &AppState, p: TaskSucceededV1) -> Outcome {
    let doc: CourseDocument = match serde_json::from_value(p.result.clone()) {
        Ok(doc) => doc,
        Err(why) => {
            tracing::error!(task_id = %p.task_id, %why, "undecodable course; dead-lettering");
            return Outcome::DeadLetter;
        }
    };
    let (id, result) = (p.task_id, p.result);
    let (title, provider) = (doc.title, doc.provider);
    match state
        .db
        .run(move |c| moji_db::courses::succeed(c, id, &title, &provider, &result))
        .await
    {
        Ok(stored) => {
            tracing::info!(task_id = %id, stored, "course saved");
            Outcome::Ack
        }
        Err(e) => {
            tracing::warn!(task_id = %id, error = %e, "saving the course failed; will retry");
            Outcome::Retry
        }
    }
}

/// Records a failed course task once, giving its unit back.
pub async fn on_failed(state: &AppState, p: TaskFailedV1) -> Outcome {
    let (id, code, detail) = (p.task_id, p.code.as_str().to_owned(), p.detail);
    match state
        .db
        .run(move |c| moji_db::courses::fail(c, id, &code, &detail))
        .await
    {
        Ok(_) => Outcome::Ack,
        Err(e) => {
            tracing::warn!(task_id = %id, error = %e, "recording the failure failed; will retry");
            Outcome::Retry
        }
    }
}
