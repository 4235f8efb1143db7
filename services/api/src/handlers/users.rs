//! `/users` handlers.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;

use crate::{
    accounts,
    dto::{
        AvailabilityQuery, AvailabilityResponse, ChangePasswordRequest, MeResponse, PublicProfile,
        SignUpRequest, TokenResponse, UpdateMeRequest,
    },
    error::ApiResult,
    state::AppState,
};

/// Sign up.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "users", request_body = SignUpRequest,
    responses(
        (status = 201, description = "Account created and logged in", body = TokenResponse),
        (status = 409, description = "`username_taken` or `email_taken`", body = Problem),
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

/// Check whether a username and/or e-mail are free.
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
    let q = query.into_inner();
    Ok(HttpResponse::Ok().json(accounts::availability(&state, q.username, q.email).await?))
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
        (status = 409, description = "`email_taken`", body = Problem),
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
    responses((status = 200, body = PublicProfile), (status = 404, body = Problem))
)]
#[get("/users/{username}")]
pub async fn profile(
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let user = accounts::profile(&state, username.into_inner()).await?;
    Ok(HttpResponse::Ok().json(PublicProfile::from(user)))
}
