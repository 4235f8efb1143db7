//! `/faces/tasks` handlers: upload, poll, Server-Sent Events, cancel.

use actix_multipart::Multipart;
use actix_web::{delete, get, http::header, post, web, HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use moji_auth::{bearer_token, AuthUser, Authenticator};
use moji_telemetry::Problem;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    faces::{self, TaskView, Upload},
    state::AppState,
};

/// Most form fields an upload may carry.
const MAX_FIELDS: usize = 8;
/// Longest accepted text field.
const MAX_TEXT_FIELD: usize = 256;

/// Reads one multipart field up to `limit` bytes; `None` when it is longer.
async fn read_field(field: &mut actix_multipart::Field, limit: usize) -> ApiResult<Option<Bytes>> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = field.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("broken multipart body: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf.freeze()))
}

/// Parses the upload form: `image` (file), `kind`, `template`. Stops reading as soon as the
/// image exceeds the byte limit, so an oversized upload is never buffered whole.
async fn parse_upload(state: &AppState, mut form: Multipart) -> ApiResult<Upload> {
    let limits = faces::limits(state);
    let (mut image, mut kind, mut template) = (None, None, None);
    let mut fields = 0;
    while let Some(field) = form.next().await {
        let mut field =
            field.map_err(|e| ApiError::BadRequest(format!("broken multipart body: {e}")))?;
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(ApiError::BadRequest(format!(
                "at most {MAX_FIELDS} form fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "image" => {
                let bytes = read_field(&mut field, limits.max_bytes)
                    .await?
                    .ok_or_else(|| {
                        ApiError::ImageTooLarge(format!(
                            "the photo exceeds the limit of {} bytes",
                            limits.max_bytes
                        ))
                    })?;
                image = Some(bytes);
            }
            "kind" | "template" => {
                let bytes = read_field(&mut field, MAX_TEXT_FIELD)
                    .await?
                    .ok_or_else(|| ApiError::BadRequest(format!("field {name} is too long")))?;
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| ApiError::BadRequest(format!("field {name} is not UTF-8")))?;
                if name == "kind" {
                    kind = Some(text)
                } else {
                    template = Some(text)
                }
            }
            // Unknown fields are drained (bounded) and ignored, like unknown JSON keys would be.
            _ => {
                read_field(&mut field, MAX_TEXT_FIELD).await?;
            }
        }
    }
    let (kind, template) = faces::check_fields(kind.as_deref(), template.as_deref())?;
    let image = image.ok_or_else(|| {
        ApiError::Validation(vec![moji_telemetry::FieldError::new(
            "image",
            "required: a JPEG, PNG or WebP photo",
        )])
    })?;
    let format = faces::check_image(&image, &limits)?;
    Ok(Upload {
        kind,
        template,
        image,
        format,
    })
}

/// The multipart upload form (documentation only).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The photo: JPEG, PNG or WebP, at most 15 MB and 40 megapixels.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
    /// `emoji` or `zodiac`.
    kind: String,
    /// Emoji template id (emoji tasks; default `classic`).
    template: Option<String>,
}

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
    let key = req
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| ApiError::BadRequest("Idempotency-Key must be ASCII".into()))?;
    let upload = parse_upload(&state, form).await?;
    let (view, _created) = faces::submit(&state, &who, upload, key).await?;
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
    Ok(HttpResponse::Ok().json(faces::get(&state, &who, *id).await?))
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
    Ok(HttpResponse::Ok().json(faces::cancel(&state, &who, *id).await?))
}

/// Token for clients that cannot set headers (browsers' `EventSource`).
#[derive(Debug, Deserialize, IntoParams)]
pub struct StreamAuth {
    /// An access token, when no `Authorization` header is sent.
    pub access_token: Option<String>,
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
    auth: web::Data<Authenticator>,
    req: HttpRequest,
    query: web::Query<StreamAuth>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&req)
        .or_else(|| query.into_inner().access_token)
        .ok_or(moji_auth::AuthError::MissingToken)?;
    let who: AuthUser = auth.authenticate(&token).await?.into();
    let stream = faces::events(state.get_ref().clone(), &who, *id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Tells nginx not to buffer this response.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}
