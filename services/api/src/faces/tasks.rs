//! A face task as the api sees it: queue an upload, report its state (the live Redis record
//! over the durable row), cancel it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_common::{messages::FaceAnalyzeV1, new_id, TaskKind, TaskStatus, TemplateId};
use moji_db::{
    face_tasks,
    models::{FaceTask, NewFaceTask},
    outbox::Exchange,
    DbError,
};
use moji_redis::{NewTask, TaskRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::upload::Upload;
use crate::{
    error::{ApiError, ApiResult},
    events,
    http::{cancel::open_live, links},
    state::AppState,
};

/// Error of a task, as shown to clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskErrorView {
    /// Stable code, e.g. `no_face_detected`.
    pub code: String,
    /// Explanation.
    pub detail: String,
}

/// Links of a task.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskLinks {
    /// This task.
    #[serde(rename = "self")]
    pub self_: String,
    /// Its Server-Sent Events stream.
    pub events: String,
}

/// A task as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaskView {
    /// Task id.
    pub id: Uuid,
    /// `emoji` or `zodiac`.
    pub kind: TaskKind,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: TaskStatus,
    /// 0–100.
    pub progress: u8,
    /// Current pipeline step while running (`decode`, `detect`, `classify`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Emoji template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateId>,
    /// The result once succeeded, with signed `image_url` / `thumbnail_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error once failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskErrorView>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Where to poll and subscribe.
    pub links: TaskLinks,
}

fn links(id: Uuid) -> TaskLinks {
    TaskLinks {
        self_: format!("/api/v1/faces/tasks/{id}"),
        events: format!("/api/v1/faces/tasks/{id}/events"),
    }
}

/// Adds signed links to a stored result document.
pub(super) async fn decorate(state: &AppState, mut result: Value) -> ApiResult<Value> {
    for (key_field, url_field) in [
        ("image_key", "image_url"),
        ("thumbnail_key", "thumbnail_url"),
    ] {
        if let Some(key) = result
            .get(key_field)
            .and_then(Value::as_str)
            .map(str::to_owned)
        {
            let url = links::download_url(state, &key).await?;
            if let Some(obj) = result.as_object_mut() {
                obj.insert(url_field.into(), Value::String(url));
            }
        }
    }
    Ok(result)
}

fn view_from_row(row: &FaceTask) -> TaskView {
    TaskView {
        id: row.id,
        kind: row.kind,
        status: row.status,
        progress: if row.status == TaskStatus::Succeeded {
            100
        } else {
            0
        },
        step: None,
        template: row.template,
        result: row.result.clone(),
        error: row.error_code.as_ref().map(|code| TaskErrorView {
            code: code.clone(),
            detail: row.error_detail.clone().unwrap_or_default(),
        }),
        created_at: row.created_at,
        updated_at: row.updated_at,
        links: links(row.id),
    }
}

fn apply_record(view: &mut TaskView, rec: &TaskRecord) {
    view.status = rec.status;
    view.progress = rec.progress;
    view.step = rec.step.clone();
    view.updated_at = rec.updated_at;
    if rec.result.is_some() {
        view.result = rec.result.clone();
    }
    if let Some(e) = &rec.error {
        view.error = Some(TaskErrorView {
            code: e.code.as_str().to_owned(),
            detail: e.detail.clone(),
        });
    }
}

/// Loads a task the caller may see: 404 when missing, 403 when someone else's.
pub(super) async fn owned_row(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<FaceTask> {
    let row = state
        .db
        .run(move |c| face_tasks::by_id(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("task"),
            other => other.into(),
        })?;
    who.require_owner_or_admin(row.user_id)?;
    Ok(row)
}

/// Current state: the live Redis record when there is one, else the durable row.
pub async fn get(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<TaskView> {
    let row = owned_row(state, who, id).await?;
    view(state, &row).await
}

/// The client's view of an already loaded (and authorised) row, overlaid with the live Redis
/// record while the task is open, with signed links in the result.
pub(super) async fn view(state: &AppState, row: &FaceTask) -> ApiResult<TaskView> {
    let mut view = view_from_row(row);
    if let Some(rec) = state.redis.get_task(row.id).await? {
        // The row is authoritative once final (Redis may have expired or lost it).
        if !view.status.is_final() {
            apply_record(&mut view, &rec);
        }
    }
    if let Some(result) = view.result.take() {
        view.result = Some(decorate(state, result).await?);
    }
    Ok(view)
}

/// Stores the photo, records the task, and queues `face.analyze`. With an Idempotency-Key
/// the same user gets the same task back instead of a second one (`false` = existing).
pub async fn submit(
    state: &AppState,
    who: &AuthUser,
    upload: Upload,
    idempotency_key: Option<String>,
) -> ApiResult<(TaskView, bool)> {
    if let Some(key) = &idempotency_key {
        let (user, key) = (who.user_id, key.clone());
        let existing = state
            .db
            .run(move |c| face_tasks::by_idempotency_key(c, user, &key))
            .await?;
        if let Some(row) = existing {
            return Ok((get(state, who, row.id).await?, false));
        }
    }

    let id = new_id();
    let image_key = format!(
        "uploads/{}/{}.{}",
        who.user_id,
        id,
        upload.format.extension()
    );
    state
        .storage
        .put(&image_key, upload.image, upload.format.mime())
        .await?;
    let message = events::message(
        Exchange::Tasks,
        id,
        FaceAnalyzeV1 {
            task_id: id,
            user_id: who.user_id,
            kind: upload.kind,
            template: upload.template,
            image_key: image_key.clone(),
        },
    );
    let new = NewFaceTask {
        id,
        user_id: who.user_id,
        kind: upload.kind,
        template: upload.template,
        image_key: image_key.clone(),
        idempotency_key,
    };
    // The row and its message commit together: a task the client hears of is always queued,
    // even if Redis, the broker or this process fails right after.
    let submitted = state
        .db
        .run(move |c| face_tasks::submit(c, &new, &message))
        .await;
    let (row, created) = match submitted {
        Ok(done) => done,
        Err(e) => {
            remove_unused(state, &image_key).await;
            return Err(e.into());
        }
    };
    if !created {
        // Lost a race with the same key: keep the winner, drop our copy of the photo.
        remove_unused(state, &image_key).await;
        return Ok((get(state, who, row.id).await?, false));
    }
    state.outbox.poke();
    let ttl = Duration::from_secs(state.settings.faces.task_ttl_secs);
    let live = NewTask {
        id,
        kind: upload.kind,
        user_id: who.user_id,
    };
    open_live(state, &live, ttl).await;
    tracing::info!(task_id = %id, kind = %upload.kind, "face task queued");
    Ok((view_from_row(&row), true))
}

/// Removes a stored upload no row refers to (best effort: logged, not fatal).
async fn remove_unused(state: &AppState, key: &str) {
    if let Err(e) = state.storage.delete(key).await {
        tracing::warn!(key, error = %e, "could not remove an unused upload");
    }
}

/// Cancels a queued or running task; 409 when it already finished.
pub async fn cancel(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<TaskView> {
    owned_row(state, who, id).await?;
    crate::http::cancel::cancel_live(state, id).await?;
    match state.db.run(move |c| face_tasks::cancel(c, id)).await? {
        Some(cancelled) => view(state, &cancelled).await,
        None => {
            let current = owned_row(state, who, id).await?;
            crate::http::cancel::raced_cancel(current.status)?;
            view(state, &current).await
        }
    }
}
