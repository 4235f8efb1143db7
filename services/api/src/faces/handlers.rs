//! `/faces/tasks` handlers: upload, poll, Server-Sent Events, cancel.

use actix_multipart::Multipart;
use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    events as task_events, tasks,
    tasks::TaskView,
    upload::{self, UploadForm},
};
use crate::{
    error::ApiResult,
    http::sse::{self, StreamAuth},
    state::AppState,
};

/// Upload a photo for analysis.
#[utoipa::path(
    post, path = "/api/v1/faces/tasks", tag = "faces", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Same key + same user = same task")),
    responses(
        (status = 202, description = "Queued (or the existing task for this Idempotency-Key)", body = TaskView),
        (status = 401, body = Problem),
        (status = 413, description = "`image_too_large` (bytes or pixels)", body = Problem),
        (status = 415, description = "`unsupported_media_type`: not JPEG/PNG/WebP", body = Problem),
        (status = 422, description = "Missing/invalid fields, or a damaged (`invalid_image`) photo", body = Problem),
    )
)]
#[post("/faces/tasks")]
pub async fn submit(
    state: web::Data<AppState>,
    who: AuthUser,
    req: HttpRequest,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    let key = upload::idempotency_key(&req)?;
    let upload = upload::parse(&state, form).await?;
    let (view, _created) = tasks::submit(&state, &who, upload, key).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, view.links.self_.clone()))
        .json(view))
}

/// A task's current state and, once done, its result.
#[utoipa::path(
    get, path = "/api/v1/faces/tasks/{id}", tag = "faces", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = TaskView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[get("/faces/tasks/{id}")]
pub async fn get_task(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(tasks::get(&state, &who, *id).await?))
}

/// Cancel a queued or running task.
#[utoipa::path(
    delete, path = "/api/v1/faces/tasks/{id}", tag = "faces", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Cancelled", body = TaskView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Already finished", body = Problem),
    )
)]
#[delete("/faces/tasks/{id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(tasks::cancel(&state, &who, *id).await?))
}

/// Server-Sent Events of every change: `event: task` frames carrying the task view, starting
/// with the current state and closing after the final one.
#[utoipa::path(
    get, path = "/api/v1/faces/tasks/{id}/events", tag = "faces", security(("bearer" = [])),
    params(("id" = Uuid, Path), StreamAuth),
    responses(
        (status = 200, description = "text/event-stream of `task` events", content_type = "text/event-stream", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/faces/tasks/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<StreamAuth>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = query.into_inner().user(&state, &req).await?;
    let stream = task_events::events(state.get_ref().clone(), &who, *id).await?;
    Ok(sse::response(stream))
}
