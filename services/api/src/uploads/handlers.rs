//! `POST /uploads`.

use actix_web::{post, web, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;

use super::{
    dto::{CreateUploadRequest, UploadTicket},
    service,
};
use crate::{error::ApiResult, state::AppState};

/// Ask for an upload URL: then `PUT` the image there with the returned headers, and refer to
/// `key` from a post (`images`), a product or your avatar within a day.
#[utoipa::path(
    post, path = "/api/v1/uploads", tag = "uploads", security(("bearer" = [])),
    request_body = CreateUploadRequest,
    responses(
        (status = 201, description = "Upload here", body = UploadTicket),
        (status = 401, body = Problem),
        (status = 413, description = "`bytes` is over the upload limit", body = Problem),
        (status = 415, description = "`content_type` is not JPEG, PNG or WebP", body = Problem),
        (status = 422, description = "`bytes` is 0, or bad JSON fields", body = Problem),
        (status = 429, description = "Too many uploads not used by anything yet", body = Problem),
    )
)]
#[post("/uploads")]
pub async fn create_upload(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<CreateUploadRequest>,
) -> ApiResult<HttpResponse> {
    let ticket: UploadTicket = service::issue(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(ticket))
}
