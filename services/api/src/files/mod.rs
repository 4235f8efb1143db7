//! `GET /files/{key}`: serves local-backend objects behind signed, expiring links (see
//! [`crate::http::links`] for how the links are made).

use actix_web::{get, http::header, web, HttpResponse};
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

/// Registers this module's routes under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(download);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(download),
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
