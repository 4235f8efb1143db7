//! `/users` and `/auth` handlers: parse, call [`super::service`], map the result.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;

use super::{
    dto::{
        AvailabilityQuery, AvailabilityResponse, ChangePasswordRequest, LoginRequest, MeResponse,
        PublicProfile, RefreshRequest, SignUpRequest, TokenResponse, UpdateMeRequest,
        VerifyRequest, VerifyResponse,
    },
    service as accounts,
};
use crate::{error::ApiResult, http::optional_user, state::AppState};

/// Sign up.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users", request_body = SignUpRequest,
    responses(
        (status = 201, description = "Account created and logged in", body = TokenResponse),
        (status = 409, description = "`username_taken`, `email_taken` or `display_name_taken`", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "Invalid fields", body = Problem),
    )
)]
#[post("/users")]
pub async fn sign_up(
    state: web::Data<AppState>,
    body: web::Json<SignUpRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = accounts::sign_up(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tokens))
}

/// Check whether a username, e-mail and/or display name are free.
#[utoipa::path(
    get, path = "/api/v1/users/availability", tag = "users", params(AvailabilityQuery),
    responses(
        (status = 200, body = AvailabilityResponse),
        (status = 400, description = "Neither parameter given", body = Problem),
        (status = 422, description = "Malformed username or e-mail", body = Problem),
    )
)]
#[get("/users/availability")]
pub async fn availability(
    state: web::Data<AppState>,
    query: web::Query<AvailabilityQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(accounts::availability(&state, query.into_inner()).await?))
}

/// The caller's account.
#[utoipa::path(
    get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = Problem))
)]
#[get("/users/me")]
pub async fn get_me(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeResponse::from(accounts::me(&state, &who).await?)))
}

/// Change display name, bio or e-mail.
#[utoipa::path(
    patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, body = MeResponse),
        (status = 401, body = Problem),
        (status = 409, description = "`email_taken` or `display_name_taken`", body = Problem),
        (status = 422, body = Problem),
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<UpdateMeRequest>,
) -> ApiResult<HttpResponse> {
    let user = accounts::update_me(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(MeResponse::from(user)))
}

/// Delete the caller's account and sign out all its sessions.
#[utoipa::path(
    delete, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem))
)]
#[delete("/users/me")]
pub async fn delete_me(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    accounts::delete_me(&state, &who).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change the password; every other session of the account is signed out.
#[utoipa::path(
    post, path = "/api/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 401, body = Problem),
        (status = 403, description = "Current password wrong (`invalid_credentials`)", body = Problem),
        (status = 422, body = Problem),
    )
)]
#[post("/users/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    accounts::change_password(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Someone's public profile (no e-mail).
#[utoipa::path(
    get, path = "/api/v1/users/{username}", tag = "users",
    params(("username" = String, Path, description = "Handle")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = PublicProfile),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/users/{username}")]
pub async fn profile(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    let profile = accounts::public_profile(&state, viewer, username.into_inner()).await?;
    Ok(HttpResponse::Ok().json(profile))
}
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
