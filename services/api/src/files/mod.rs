//! `GET /files/{key}`: serves local-backend objects behind signed, expiring links (see
//! [`crate::http::links`] for how the links are made); `PUT /files/{key}`: receives uploads
//! through the URLs `POST /uploads` hands out on the local backend.

use actix_web::{get, http::header, put, web, HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

/// The signature part of a signed link.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SignedLink {
    /// Signed method (`GET`).
    pub method: String,
    /// Expiry, seconds since the epoch.
    pub expires: i64,
    /// HMAC signature.
    pub sig: String,
}

/// Download a file through a signed link (local storage backend).
#[utoipa::path(
    get, path = "/api/v1/files/{key}", tag = "files",
    params(("key" = String, Path, description = "Object key"), SignedLink),
    responses(
        (status = 200, description = "The file"),
        (status = 403, description = "Bad or expired signature", body = moji_telemetry::Problem),
        (status = 404, body = moji_telemetry::Problem),
    )
)]
#[get("/files/{key:.*}")]
pub async fn download(
    state: web::Data<AppState>,
    key: web::Path<String>,
    link: web::Query<SignedLink>,
) -> ApiResult<HttpResponse> {
    // object_store speaks `http` 1.x; actix still re-exports 0.2, hence the plain crate here.
    let method = http::Method::from_bytes(link.method.as_bytes())
        .map_err(|_| ApiError::BadRequest("bad method".into()))?;
    if method != http::Method::GET {
        return Err(ApiError::Forbidden(
            "this link is not for downloading".into(),
        ));
    }
    state
        .storage
        .verify_local_url(&method, &key, link.expires, &link.sig)?;
    let bytes = state.storage.get(&key).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type_for(&key)))
        // Links are unguessable and expire; browsers may keep the bytes that long.
        .insert_header((header::CACHE_CONTROL, "private, max-age=600"))
        .body(bytes))
}

/// The signature part of an upload URL.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SignedUpload {
    /// Signed method (`PUT`).
    pub method: String,
    /// Expiry, seconds since the epoch.
    pub expires: i64,
    /// The content type the upload must have.
    pub ct: String,
    /// The exact size in bytes.
    pub len: u64,
    /// HMAC signature.
    pub sig: String,
}

/// Upload a file through the URL `POST /uploads` returned (local storage backend). The
/// `Content-Type` and size must be the ones signed into the URL.
#[utoipa::path(
    put, path = "/api/v1/files/{key}", tag = "files",
    params(("key" = String, Path, description = "Object key"), SignedUpload),
    request_body(content = Vec<u8>, description = "The file", content_type = "application/octet-stream"),
    responses(
        (status = 204, description = "Stored"),
        (status = 400, description = "The body is not the signed size", body = moji_telemetry::Problem),
        (status = 403, description = "Bad or expired signature, or another content type", body = moji_telemetry::Problem),
        (status = 404, description = "No such upload", body = moji_telemetry::Problem),
        (status = 409, description = "The upload is already used by a post", body = moji_telemetry::Problem),
        (status = 413, description = "The body is larger than signed", body = moji_telemetry::Problem),
    )
)]
#[put("/files/{key:.*}")]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: web::Path<String>,
    signed: web::Query<SignedUpload>,
    mut body: web::Payload,
) -> ApiResult<HttpResponse> {
    if signed.method != "PUT" {
        return Err(ApiError::Forbidden("this link is not for uploading".into()));
    }
    let signature = crate::uploads::service::UploadSignature {
        expires: signed.expires,
        ct: signed.ct.clone(),
        len: signed.len,
        sig: signed.sig.clone(),
    };
    // A forged URL is refused before a byte of its body is read.
    crate::uploads::service::authorize(&state, &key, &signature)?;
    let limit = usize::try_from(signed.len)
        .unwrap_or(usize::MAX)
        .min(state.settings.media.max_upload_bytes);
    // Read at most the signed size (plus one byte to tell "too long"), never the whole stream.
    let mut bytes = web::BytesMut::with_capacity(limit.min(1 << 20));
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("upload broke off: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::ImageTooLarge(format!(
                "this URL takes exactly {} bytes",
                signed.len
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    crate::uploads::service::receive(&state, &key, &signature, content_type, bytes.freeze())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(download).service(upload);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(download, upload),
    tags((name = "files", description = "Signed, expiring links to stored images"))
)]
pub struct Doc;

/// Content type by file extension (the local backend keeps no metadata).
fn content_type_for(key: &str) -> &'static str {
    match key
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}
