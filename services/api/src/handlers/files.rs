//! `GET /files/{key}`: serves local-backend objects behind signed, expiring links.

use actix_web::{get, http::header, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{error::ApiResult, files::content_type_for, state::AppState};

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
        .map_err(|_| crate::error::ApiError::BadRequest("bad method".into()))?;
    if method != http::Method::GET {
        return Err(crate::error::ApiError::Forbidden(
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
