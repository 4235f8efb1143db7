//! `/users/{username}/follow`, `/users/{username}/followers|following` and
//! `/users/me/followers/{username}` handlers.

use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_db::follows::Side;
use moji_telemetry::Problem;

use super::{dto::FollowState, service};
use crate::{
    error::ApiResult,
    http::{optional_user, PageQuery},
    state::AppState,
};

/// Follow someone (idempotent). You cannot follow yourself.
#[utoipa::path(
    put, path = "/api/v1/users/{username}/follow", tag = "follows", security(("bearer" = [])),
    params(("username" = String, Path, description = "Whom to follow")),
    responses(
        (status = 200, body = FollowState),
        (status = 401, body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "Yourself (field `username`)", body = Problem),
    )
)]
#[put("/users/{username}/follow")]
pub async fn follow(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let now = service::set_follow(&state, &who, &username, true).await?;
    Ok(HttpResponse::Ok().json(now))
}

/// Stop following someone (idempotent).
#[utoipa::path(
    delete, path = "/api/v1/users/{username}/follow", tag = "follows", security(("bearer" = [])),
    params(("username" = String, Path, description = "Whom to stop following")),
    responses(
        (status = 200, body = FollowState),
        (status = 401, body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "Yourself (field `username`)", body = Problem),
    )
)]
#[delete("/users/{username}/follow")]
pub async fn unfollow(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let now = service::set_follow(&state, &who, &username, false).await?;
    Ok(HttpResponse::Ok().json(now))
}

/// Remove someone from your followers (idempotent).
#[utoipa::path(
    delete, path = "/api/v1/users/me/followers/{username}", tag = "follows",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "The follower to remove")),
    responses(
        (status = 204, description = "They no longer follow you"),
        (status = 401, body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[delete("/users/me/followers/{username}")]
pub async fn remove_follower(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
) -> ApiResult<HttpResponse> {
    service::remove_follower(&state, &who, &username).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Someone's followers, newest first; with a bearer token, `followed_by_me` says whom the
/// caller follows.
#[utoipa::path(
    get, path = "/api/v1/users/{username}/followers", tag = "follows",
    params(("username" = String, Path, description = "Handle"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::PageOf<crate::follows::dto::Person>),
        (status = 400, description = "Bad `page`, `size` or `cursor`", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/users/{username}/followers")]
pub async fn followers(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    list(&state, &req, &username, Side::Followers, &query).await
}

/// Whom someone follows, newest first.
#[utoipa::path(
    get, path = "/api/v1/users/{username}/following", tag = "follows",
    params(("username" = String, Path, description = "Handle"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::PageOf<crate::follows::dto::Person>),
        (status = 400, description = "Bad `page`, `size` or `cursor`", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/users/{username}/following")]
pub async fn following(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    list(&state, &req, &username, Side::Following, &query).await
}

async fn list(
    state: &AppState,
    req: &HttpRequest,
    username: &str,
    side: Side,
    query: &PageQuery,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let viewer = optional_user(state, req).await?.map(|w| w.user_id);
    let page = service::people(state, viewer, username, side, paging).await?;
    Ok(HttpResponse::Ok().json(page))
}
