//! Persisting what the workers report (course tasks are handed to `courses::results`): each `task.succeeded` / `task.failed` is stored once
//! (duplicates are harmless), with the per-face rows and challenge awards of a success.

use chrono::Utc;
use moji_common::{
    messages::{TaskFailedV1, TaskSucceededV1},
    results::{EmojiResult, ZodiacResult},
    Expression, TaskKind,
};
use moji_config::ProductCalendar;
use moji_db::{face_tasks, models::FaceResultRow};
use moji_mq::{Incoming, Outcome};

use crate::state::AppState;

/// Persists a `task.succeeded` once (duplicates are harmless) and awards challenges.
pub async fn on_succeeded(state: &AppState, msg: Incoming<TaskSucceededV1>) -> Outcome {
    let p = msg.envelope.payload;
    match p.kind {
        TaskKind::Course => return crate::courses::results::on_succeeded(state, p).await,
        TaskKind::Dataset => return crate::datasets::results::on_succeeded(state, p).await,
        TaskKind::Emoji | TaskKind::Zodiac => {}
    }
    let rows = match face_rows(&p, state.calendar) {
        Ok(rows) => rows,
        Err(why) => {
            tracing::error!(task_id = %p.task_id, %why, "undecodable task result; dead-lettering");
            return Outcome::DeadLetter;
        }
    };
    let (id, user, result) = (p.task_id, p.user_id, p.result);
    let outcome = state
        .db
        .run(move |c| face_tasks::persist_success_and_award(c, id, user, &result, &rows))
        .await;
    match outcome {
        Ok(stored) => {
            tracing::info!(task_id = %id, stored, "task result persisted");
            Outcome::Ack
        }
        Err(e) => {
            tracing::warn!(task_id = %id, error = %e, "persisting result failed; will retry");
            Outcome::Retry
        }
    }
}

/// Persists a `task.failed` once.
pub async fn on_failed(state: &AppState, msg: Incoming<TaskFailedV1>) -> Outcome {
    let p = msg.envelope.payload;
    match p.kind {
        TaskKind::Course => return crate::courses::results::on_failed(state, p).await,
        TaskKind::Dataset => return crate::datasets::results::on_failed(state, p).await,
        TaskKind::Emoji | TaskKind::Zodiac => {}
    }
    let (id, code, detail) = (p.task_id, p.code.as_str().to_owned(), p.detail);
    match state
        .db
        .run(move |c| face_tasks::persist_failure(c, id, &code, &detail))
        .await
    {
        Ok(_) => Outcome::Ack,
        Err(e) => {
            tracing::warn!(task_id = %id, error = %e, "persisting failure failed; will retry");
            Outcome::Retry
        }
    }
}

/// The per-face rows of a result, for rankings and statistics.
fn face_rows(p: &TaskSucceededV1, calendar: ProductCalendar) -> Result<Vec<FaceResultRow>, String> {
    let now = Utc::now();
    let day = calendar.day_of(now);
    let base = |i: usize, expression: Expression, confidence: f32| FaceResultRow {
        task_id: p.task_id,
        face_index: i32::try_from(i).unwrap_or(i32::MAX),
        user_id: p.user_id,
        kind: p.kind,
        template: None,
        expression,
        confidence,
        animal: None,
        created_at: now,
        day,
    };
    match p.kind {
        TaskKind::Emoji => {
            let r: EmojiResult =
                serde_json::from_value(p.result.clone()).map_err(|e| e.to_string())?;
            Ok(r.faces
                .iter()
                .enumerate()
                .map(|(i, f)| FaceResultRow {
                    template: Some(r.template),
                    ..base(i, f.expression, f.confidence)
                })
                .collect())
        }
        TaskKind::Course | TaskKind::Dataset => {
            Err(format!("a {} task has no face result", p.kind))
        }
        TaskKind::Zodiac => {
            let r: ZodiacResult =
                serde_json::from_value(p.result.clone()).map_err(|e| e.to_string())?;
            Ok(vec![FaceResultRow {
                animal: Some(r.animal),
                ..base(0, r.expression, r.confidence)
            }])
        }
    }
}
