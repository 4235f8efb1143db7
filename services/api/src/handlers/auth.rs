//! `/auth` handlers.

use actix_web::{post, web, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;

use crate::{
    accounts,
    dto::{LoginRequest, RefreshRequest, TokenResponse, VerifyRequest, VerifyResponse},
    error::ApiResult,
    state::AppState,
};

/// Log in with username or e-mail.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_credentials` (same for unknown users)", body = Problem),
        (status = 429, description = "`too_many_attempts`; see `Retry-After`", body = Problem),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(accounts::login(&state, body.into_inner()).await?))
}

/// Trade a refresh token for a new pair; the old refresh token dies.
#[utoipa::path(
    post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_token`, `token_expired`, or `refresh_token_reused` (the whole session is then revoked)", body = Problem),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(accounts::refresh(&state, &body.refresh_token).await?))
}

/// End this session: the access token and its refresh tokens stop working at once.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Logged out"), (status = 401, body = Problem))
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    accounts::logout(&state, &who).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Check an access token.
#[utoipa::path(
    post, path = "/api/v1/auth/verify", tag = "auth", request_body = VerifyRequest,
    responses((status = 200, body = VerifyResponse), (status = 401, body = Problem))
)]
#[post("/auth/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    body: web::Json<VerifyRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(accounts::verify(&state, &body.token).await?))
}
