//! `/emojis` and `/users/{..}/emojis` handlers.

use actix_web::{delete, get, http::header, patch, post, put, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    dto::{
        CreateEmojiRequest, EmojiView, GalleryQuery, LikeState, MyEmojis, MyEmojisQuery,
        UpdateEmojiRequest,
    },
    service as gallery,
};
use crate::{
    error::ApiResult,
    http::{optional_user, PageQuery},
    state::AppState,
};

/// Save a succeeded emoji task of yours as an emoji, privately or in the public gallery.
///
/// The emoji copies the result's template, images and the expression of its most confident
/// face. A task can be saved once.
#[utoipa::path(
    post, path = "/api/v1/emojis", tag = "gallery", security(("bearer" = [])),
    request_body = CreateEmojiRequest,
    responses(
        (status = 201, description = "Saved; `Location` names it", body = EmojiView),
        (status = 401, body = Problem),
        (status = 403, description = "Someone else's task", body = Problem),
        (status = 404, description = "No such task", body = Problem),
        (status = 409, description = "`conflict`: the task has not succeeded (queued, running, failed or cancelled), or it was already saved (the detail names the emoji)", body = Problem),
        (status = 422, description = "Bad caption or visibility, or a zodiac task", body = Problem),
    )
)]
#[post("/emojis")]
pub async fn create_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<CreateEmojiRequest>,
) -> ApiResult<HttpResponse> {
    let emoji = gallery::create_emoji(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/emojis/{}", emoji.id)))
        .json(emoji))
}

/// The public gallery, newest first or most liked first (all time, or likes received in the
/// last week or month of product days). With a bearer token, `liked_by_me` tells what the
/// caller likes.
#[utoipa::path(
    get, path = "/api/v1/emojis", tag = "gallery", params(GalleryQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::PageOf<crate::emojis::dto::EmojiView>),
        (status = 400, description = "Bad `page` or `size` (1..=100), a page deeper than 1,000 items, or a `cursor` not from this list", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 422, description = "Unknown `sort` or `period`, or `period` without `sort=popular`", body = Problem),
    )
)]
#[get("/emojis")]
pub async fn list_emojis(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<GalleryQuery>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    let page = gallery::gallery(&state, who.as_ref(), query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One emoji. Public emojis are open to anyone; private ones to their owner and admins.
#[utoipa::path(
    get, path = "/api/v1/emojis/{id}", tag = "gallery",
    params(("id" = Uuid, Path, description = "Emoji id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = EmojiView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 403, description = "Private and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/emojis/{id}")]
pub async fn get_emoji(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    let emoji = gallery::get_emoji(&state, who.as_ref(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(emoji))
}

/// Change an emoji's caption and/or visibility (its owner or an admin). Making it private
/// takes it out of the gallery, the rankings and other people's liked lists at once.
#[utoipa::path(
    patch, path = "/api/v1/emojis/{id}", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    request_body = UpdateEmojiRequest,
    responses(
        (status = 200, body = EmojiView),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours and not an admin", body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "Bad caption or visibility, or neither sent", body = Problem),
    )
)]
#[patch("/emojis/{id}")]
pub async fn update_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdateEmojiRequest>,
) -> ApiResult<HttpResponse> {
    let emoji = gallery::update_emoji(&state, &who, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(emoji))
}

/// Delete an emoji (its owner or an admin). The task and its images stay.
#[utoipa::path(
    delete, path = "/api/v1/emojis/{id}", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours and not an admin", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/emojis/{id}")]
pub async fn delete_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    gallery::delete_emoji(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Like an emoji (idempotent). Someone else's private emoji is 403, as for reading it.
#[utoipa::path(
    put, path = "/api/v1/emojis/{id}/like", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    responses(
        (status = 200, body = LikeState),
        (status = 401, body = Problem),
        (status = 403, description = "Private and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[put("/emojis/{id}/like")]
pub async fn like_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let like = gallery::set_like(&state, &who, id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(like))
}

/// Take a like back (idempotent).
#[utoipa::path(
    delete, path = "/api/v1/emojis/{id}/like", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    responses(
        (status = 200, body = LikeState),
        (status = 401, body = Problem),
        (status = 403, description = "Private and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/emojis/{id}/like")]
pub async fn unlike_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let like = gallery::set_like(&state, &who, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(like))
}

/// Your emojis: `case=made` (default) lists the emojis you saved, newest first;
/// `case=used` lists your succeeded emoji tasks, saved or not, newest first; `case=liked`
/// lists the emojis you liked (that you may still see), most recently liked first.
#[utoipa::path(
    get, path = "/api/v1/users/me/emojis", tag = "gallery", security(("bearer" = [])),
    params(MyEmojisQuery),
    responses(
        (status = 200, description = "A page of emojis for `made` and `liked`, of tasks for `used`", body = MyEmojis),
        (status = 400, description = "Bad `page`, `size` or `cursor`", body = Problem),
        (status = 422, description = "Unknown `case`", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/emojis")]
pub async fn my_emojis(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<MyEmojisQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::mine::my_emojis(&state, &who, query.into_inner()).await?))
}

/// Someone's public emojis, newest first.
#[utoipa::path(
    get, path = "/api/v1/users/{username}/emojis", tag = "gallery",
    params(("username" = String, Path, description = "Handle"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::PageOf<crate::emojis::dto::EmojiView>),
        (status = 400, description = "Bad `page`, `size` or `cursor`", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/users/{username}/emojis")]
pub async fn user_emojis(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    let paging = query.paging()?;
    let page = gallery::user_emojis(&state, who.as_ref(), username.into_inner(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}
