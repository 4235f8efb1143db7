//! Image uploads the way mobile apps make them: `POST /uploads` hands out a presigned PUT URL
//! bound to a content type and size; the client PUTs the bytes straight to storage (S3, or
//! the api's signed `/files/{key}` route on the local backend); a post, product or avatar then
//! refers to the upload's key, which the api checks and sends to the inference worker to be
//! resized. Uploads nothing refers to are swept after a day.

pub mod attach;
pub mod dto;
pub mod handlers;
pub mod processed;
pub mod service;
pub mod sweep;

use actix_web::web;

/// Registers `/uploads` (the local upload target lives in [`crate::files`]).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::create_upload);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(handlers::create_upload),
    components(schemas(dto::CreateUploadRequest, dto::UploadTicket, dto::ImageView)),
    tags((name = "uploads", description = "Presigned image uploads for posts, products and avatars"))
)]
pub struct Doc;
