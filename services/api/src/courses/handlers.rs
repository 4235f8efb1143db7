//! `/date-courses` handlers: ask, quota, follow and cancel tasks, and the saved courses.

use actix_web::{delete, get, http::header, patch, post, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_common::course::CourseRequest;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    history::{self, CourseEdit, SavedCourse},
    quota::{self, QuotaView},
    tasks::{self, CourseTaskView},
};
use crate::{
    error::ApiResult,
    faces::upload::idempotency_key,
    http::{
        sse::{self, StreamAuth},
        FeedOf, PageQuery,
    },
    state::AppState,
};

/// Ask for a date course: 202 with the task; one unit of today's quota.
#[utoipa::path(
    post, path = "/api/v1/date-courses", tag = "date-courses", security(("bearer" = [])),
    request_body = CourseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Same key + same user = same task, no second unit")),
    responses(
        (status = 202, description = "Queued (or the existing task for this Idempotency-Key); RateLimit-* headers", body = CourseTaskView),
        (status = 401, body = Problem),
        (status = 422, description = "Unknown or invalid fields", body = Problem),
        (status = 429, description = "`quota_exceeded`, with Retry-After and RateLimit-* headers", body = Problem),
    )
)]
#[post("/date-courses")]
pub async fn submit(
    state: web::Data<AppState>,
    who: AuthUser,
    req: HttpRequest,
    body: web::Json<CourseRequest>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let (view, _created, left) = tasks::submit(&state, &who, body.into_inner(), key).await?;
    let mut resp = HttpResponse::Accepted();
    left.headers(&mut resp);
    Ok(resp
        .insert_header((header::LOCATION, view.links.self_.clone()))
        .json(view))
}

/// Today's quota: limit, remaining and when it renews.
#[utoipa::path(
    get, path = "/api/v1/date-courses/quota", tag = "date-courses", security(("bearer" = [])),
    responses((status = 200, description = "With RateLimit-* headers", body = QuotaView), (status = 401, body = Problem))
)]
#[get("/date-courses/quota")]
pub async fn get_quota(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    let today = quota::current(&state, who.user_id).await?;
    let mut resp = HttpResponse::Ok();
    today.headers(&mut resp);
    Ok(resp.json(today))
}

/// A course task's state and, once done, its course.
#[utoipa::path(
    get, path = "/api/v1/date-courses/tasks/{id}", tag = "date-courses", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CourseTaskView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[get("/date-courses/tasks/{id}")]
pub async fn get_task(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(tasks::get(&state, &who, *id).await?))
}

/// Cancel a queued or running course task; its unit is given back.
#[utoipa::path(
    delete, path = "/api/v1/date-courses/tasks/{id}", tag = "date-courses", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Cancelled", body = CourseTaskView),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Already finished", body = Problem),
    )
)]
#[delete("/date-courses/tasks/{id}")]
pub async fn cancel_task(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(tasks::cancel(&state, &who, *id).await?))
}

/// Server-Sent Events of a course task: `event: task` frames from the current state to the
/// final one.
#[utoipa::path(
    get, path = "/api/v1/date-courses/tasks/{id}/events", tag = "date-courses", security(("bearer" = [])),
    params(("id" = Uuid, Path), StreamAuth),
    responses(
        (status = 200, description = "text/event-stream of `task` events", content_type = "text/event-stream", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/date-courses/tasks/{id}/events")]
pub async fn task_events(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<StreamAuth>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = query.into_inner().user(&state, &req).await?;
    let stream = tasks::events(state.get_ref().clone(), &who, *id).await?;
    Ok(sse::response(stream))
}

/// My saved courses, newest first.
#[utoipa::path(
    get, path = "/api/v1/date-courses", tag = "date-courses", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = FeedOf<SavedCourse>), (status = 400, body = Problem), (status = 401, body = Problem))
)]
#[get("/date-courses")]
pub async fn list(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    Ok(HttpResponse::Ok().json(history::list(&state, &who, paging).await?))
}

/// One of my saved courses.
#[utoipa::path(
    get, path = "/api/v1/date-courses/{id}", tag = "date-courses", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SavedCourse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[get("/date-courses/{id}")]
pub async fn get_course(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history::get(&state, &who, *id).await?))
}

/// Rename or rate one of my saved courses.
#[utoipa::path(
    patch, path = "/api/v1/date-courses/{id}", tag = "date-courses", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CourseEdit,
    responses((status = 200, body = SavedCourse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem))
)]
#[patch("/date-courses/{id}")]
pub async fn edit_course(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<CourseEdit>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(history::edit(&state, &who, *id, body.into_inner()).await?))
}

/// Delete one of my saved courses.
#[utoipa::path(
    delete, path = "/api/v1/date-courses/{id}", tag = "date-courses", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[delete("/date-courses/{id}")]
pub async fn delete_course(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    history::delete(&state, &who, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
