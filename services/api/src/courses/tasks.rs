//! A course request as a task: validate it, take a unit of the day's quota with the task row,
//! queue `course.suggest`, report its state (the live Redis record over the row), cancel it.

use std::{convert::Infallible, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use moji_auth::AuthUser;
use moji_common::{
    course::{CourseRequest, CourseSuggestV1},
    new_id, TaskKind, TaskStatus,
};
use moji_db::{
    courses::{self, CourseTask, NewCourseTask, Submitted},
    outbox::Exchange,
    DbError,
};
use moji_redis::{NewTask, TaskEvent, TaskRecord};
use moji_telemetry::FieldError;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::quota::QuotaView;
use crate::{
    error::{validated, ApiError, ApiResult},
    events,
    faces::tasks::{TaskErrorView, TaskLinks},
    http::{cancel::open_live, sse::task_stream},
    state::AppState,
};

/// A course task as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseTaskView {
    /// Task id (also the saved course's id once it succeeds).
    pub id: Uuid,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    pub status: TaskStatus,
    /// 0–100.
    pub progress: u8,
    /// Current step while running (`places`, `writing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// What was asked for.
    pub request: Value,
    /// The course (`CourseDocument`) once succeeded.
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
        self_: format!("/api/v1/date-courses/tasks/{id}"),
        events: format!("/api/v1/date-courses/tasks/{id}/events"),
    }
}

fn view_from_row(row: &CourseTask) -> CourseTaskView {
    CourseTaskView {
        id: row.id,
        status: row.status,
        progress: if row.status == TaskStatus::Succeeded {
            100
        } else {
            0
        },
        step: None,
        request: row.request.clone(),
        result: None,
        error: row.error_code.as_ref().map(|code| TaskErrorView {
            code: code.clone(),
            detail: row.error_detail.clone().unwrap_or_default(),
        }),
        created_at: row.created_at,
        updated_at: row.updated_at,
        links: links(row.id),
    }
}

fn apply_record(view: &mut CourseTaskView, rec: &TaskRecord) {
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

/// Checks what serde cannot: the mood's length and content.
pub fn validate(request: &mut CourseRequest) -> ApiResult<()> {
    let mut errors = Vec::new();
    if let Some(mood) = request.mood.as_mut() {
        let trimmed = mood.trim();
        if trimmed.chars().count() > CourseRequest::MAX_MOOD_CHARS {
            errors.push(FieldError::new(
                "mood",
                format!("at most {} characters", CourseRequest::MAX_MOOD_CHARS),
            ));
        } else if trimmed.chars().any(char::is_control) {
            errors.push(FieldError::new("mood", "no control characters"));
        }
        *mood = trimmed.to_owned();
    }
    if request.mood.as_deref() == Some("") {
        request.mood = None;
    }
    validated(errors)
}

/// Loads a task the caller may see: 404 when missing, 403 when someone else's.
async fn owned_row(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<CourseTask> {
    let row = state
        .db
        .run(move |c| courses::task(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("task"),
            other => other.into(),
        })?;
    who.require_owner_or_admin(row.user_id)?;
    Ok(row)
}

/// The client's view of an authorised row: the live Redis record while the task is open, and
/// the saved course once it succeeded.
async fn view(state: &AppState, row: &CourseTask) -> ApiResult<CourseTaskView> {
    let mut view = view_from_row(row);
    if row.status == TaskStatus::Succeeded {
        let id = row.id;
        // The owner may have deleted the saved course since; the task still succeeded.
        if let Ok(course) = state.db.run(move |c| courses::course(c, id)).await {
            view.result = Some(course.document);
        }
    } else if let Some(rec) = state.redis.get_task(row.id).await? {
        if !view.status.is_final() {
            apply_record(&mut view, &rec);
        }
    }
    Ok(view)
}

/// A task's current state.
pub async fn get(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<CourseTaskView> {
    let row = owned_row(state, who, id).await?;
    view(state, &row).await
}

/// Records the task with a unit of today's quota and queues `course.suggest`; returns the
/// task, whether it is new, and the quota after it. 429 when today's units are used up.
pub async fn submit(
    state: &AppState,
    who: &AuthUser,
    mut request: CourseRequest,
    idempotency_key: Option<String>,
) -> ApiResult<(CourseTaskView, bool, QuotaView)> {
    validate(&mut request)?;
    request.language = Some(request.language());
    let id = new_id();
    let day = state.calendar.today();
    let new = NewCourseTask {
        id,
        user_id: who.user_id,
        request: serde_json::to_value(&request).map_err(|e| ApiError::Internal(e.to_string()))?,
        day,
        idempotency_key,
    };
    let limit = i32::try_from(state.settings.courses.daily_quota).unwrap_or(i32::MAX);
    let user = who.user_id;
    let message = events::message(
        Exchange::Tasks,
        id,
        CourseSuggestV1 {
            task_id: id,
            user_id: who.user_id,
            request,
        },
    );
    // The row, its unit of quota and its message commit together: an accepted request is
    // always queued, even if Redis, the broker or this process fails right after.
    let submitted = state
        .db
        .run(move |c| courses::submit(c, &new, limit, &message))
        .await?;
    let (row, used) = match submitted {
        Submitted::Created(row, used) => (row, used),
        Submitted::Existing(row) => {
            let quota = super::quota::current(state, user).await?;
            return Ok((view(state, &row).await?, false, quota));
        }
        Submitted::QuotaExceeded => {
            let quota = QuotaView::new(state, limit);
            return Err(ApiError::QuotaExceeded {
                limit: quota.limit,
                reset_secs: quota.reset_secs(),
            });
        }
    };
    state.outbox.poke();
    let ttl = Duration::from_secs(state.settings.courses.task_ttl_secs);
    let live = NewTask {
        id,
        kind: TaskKind::Course,
        user_id: who.user_id,
    };
    open_live(state, &live, ttl).await;
    tracing::info!(task_id = %id, "course task queued");
    Ok((view_from_row(&row), true, QuotaView::new(state, used)))
}

/// Cancels a queued or running task and gives its unit back; 409 when it already finished.
pub async fn cancel(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<CourseTaskView> {
    owned_row(state, who, id).await?;
    crate::http::cancel::cancel_live(state, id).await?;
    match state.db.run(move |c| courses::cancel(c, id)).await? {
        Some(cancelled) => view(state, &cancelled).await,
        None => {
            let current = owned_row(state, who, id).await?;
            crate::http::cancel::raced_cancel(current.status)?;
            view(state, &current).await
        }
    }
}

/// `event: task` frames of every change, from the current state to the final one.
pub async fn events(
    state: AppState,
    who: &AuthUser,
    id: Uuid,
) -> ApiResult<impl Stream<Item = Result<Bytes, Infallible>> + 'static> {
    let row = owned_row(&state, who, id).await?;
    let changes = state.redis.subscribe_task_events(id).await?;
    let current = view(&state, &row).await?;
    let first = serde_json::to_value(&current).unwrap_or(Value::Null);
    let (is_final, since) = (current.status.is_final(), current.updated_at);
    Ok(task_stream(
        first,
        is_final,
        since,
        changes,
        move |ev: TaskEvent| {
            let mut view = current.clone();
            view.status = ev.status;
            view.progress = ev.progress;
            view.step = ev.step;
            view.updated_at = ev.at;
            if ev.result.is_some() {
                view.result = ev.result;
            }
            if let Some(e) = ev.error {
                view.error = Some(TaskErrorView {
                    code: e.code.as_str().to_owned(),
                    detail: e.detail,
                });
            }
            std::future::ready(serde_json::to_value(&view).unwrap_or(Value::Null))
        },
    ))
}
