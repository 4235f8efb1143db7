//! `/posts/{id}/comments`, `/posts/{id}/likes`, `/comments/{id}[/replies|/like|/likes]`,
//! `/users/me/comments` and `/users/me/liked-posts` handlers.

use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_db::comments::Target;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    dto::{
        CommentLikeState, CommentView, CreateCommentRequest, Liker, MyComment, UpdateCommentRequest,
    },
    service,
};
use crate::{
    error::ApiResult,
    http::{optional_user, FeedOf, PageOf, PageQuery},
    state::AppState,
};

/// Comment on a post, or (with `parent_id`) reply to one of its top-level comments.
#[utoipa::path(
    post, path = "/api/v1/posts/{id}/comments", tag = "comments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body = CreateCommentRequest,
    responses(
        (status = 201, description = "Written; `Location` names it", body = CommentView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, body = Problem),
        (status = 404, description = "No such post, or it is not published and not yours", body = Problem),
        (status = 422, description = "Bad `text`, or a `parent_id` that does not exist, is a reply, or is on another post", body = Problem),
    )
)]
#[post("/posts/{id}/comments")]
pub async fn create_comment(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<CreateCommentRequest>,
) -> ApiResult<HttpResponse> {
    let comment = service::create(&state, &who, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/comments/{}", comment.id)))
        .json(comment))
}

/// A post's top-level comments, oldest first, each with its `reply_count`. Pages by `cursor`.
#[utoipa::path(
    get, path = "/api/v1/posts/{id}/comments", tag = "comments",
    params(("id" = Uuid, Path, description = "Post id"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = FeedOf<CommentView>),
        (status = 400, description = "Malformed id, bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such post", body = Problem),
    )
)]
#[get("/posts/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    let target = Target::Post(id.into_inner());
    Ok(HttpResponse::Ok().json(service::thread(&state, viewer, target, paging).await?))
}

/// Who liked a post, newest like first; `total` is its like count.
#[utoipa::path(
    get, path = "/api/v1/posts/{id}/likes", tag = "comments",
    params(("id" = Uuid, Path, description = "Post id"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = PageOf<Liker>),
        (status = 400, description = "Malformed id, bad `page`, `size` or `cursor`", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such post", body = Problem),
    )
)]
#[get("/posts/{id}/likes")]
pub async fn post_likers(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    likers(&state, &req, Target::Post(id.into_inner()), &query).await
}

/// One comment or reply.
#[utoipa::path(
    get, path = "/api/v1/comments/{id}", tag = "comments",
    params(("id" = Uuid, Path, description = "Comment id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = CommentView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/comments/{id}")]
pub async fn get_comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    Ok(HttpResponse::Ok().json(service::get(&state, viewer, id.into_inner()).await?))
}

/// A comment's replies, oldest first (a reply has none). Pages by `cursor`.
#[utoipa::path(
    get, path = "/api/v1/comments/{id}/replies", tag = "comments",
    params(("id" = Uuid, Path, description = "Comment id"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = FeedOf<CommentView>),
        (status = 400, description = "Malformed id, bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such comment", body = Problem),
    )
)]
#[get("/comments/{id}/replies")]
pub async fn list_replies(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    let target = Target::Comment(id.into_inner());
    Ok(HttpResponse::Ok().json(service::thread(&state, viewer, target, paging).await?))
}

/// Edit your comment's text.
#[utoipa::path(
    patch, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Comment id")),
    request_body = UpdateCommentRequest,
    responses(
        (status = 200, body = CommentView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours", body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "Bad `text`", body = Problem),
    )
)]
#[patch("/comments/{id}")]
pub async fn update_comment(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdateCommentRequest>,
) -> ApiResult<HttpResponse> {
    let comment = service::update(&state, &who, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(comment))
}

/// Delete a comment: its author, the author of the post it is on (sellers keep their own
/// listing's thread clean), or an admin. A top-level comment's replies go with it.
#[utoipa::path(
    delete, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Comment id")),
    responses(
        (status = 204, description = "Deleted, with its replies"),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Neither your comment, nor on your post, and you are not an admin", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/comments/{id}")]
pub async fn delete_comment(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Like a comment (idempotent).
#[utoipa::path(
    put, path = "/api/v1/comments/{id}/like", tag = "comments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Comment id")),
    responses(
        (status = 200, body = CommentLikeState),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, body = Problem),
        (status = 404, body = Problem),
    )
)]
#[put("/comments/{id}/like")]
pub async fn like_comment(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::set_like(&state, &who, id.into_inner(), true).await?))
}

/// Take a like of a comment back (idempotent).
#[utoipa::path(
    delete, path = "/api/v1/comments/{id}/like", tag = "comments", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Comment id")),
    responses(
        (status = 200, body = CommentLikeState),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/comments/{id}/like")]
pub async fn unlike_comment(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::set_like(&state, &who, id.into_inner(), false).await?))
}

/// Who liked a comment, newest like first; `total` is its like count.
#[utoipa::path(
    get, path = "/api/v1/comments/{id}/likes", tag = "comments",
    params(("id" = Uuid, Path, description = "Comment id"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = PageOf<Liker>),
        (status = 400, description = "Malformed id, bad `page`, `size` or `cursor`", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such comment", body = Problem),
    )
)]
#[get("/comments/{id}/likes")]
pub async fn comment_likers(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    likers(&state, &req, Target::Comment(id.into_inner()), &query).await
}

async fn likers(
    state: &AppState,
    req: &HttpRequest,
    target: Target,
    query: &PageQuery,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let viewer = optional_user(state, req).await?.map(|w| w.user_id);
    Ok(HttpResponse::Ok().json(service::likers(state, viewer, target, paging).await?))
}

/// My comments and replies, newest first, each with its post's id and title; `total` counts
/// them all.
#[utoipa::path(
    get, path = "/api/v1/users/me/comments", tag = "comments", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = PageOf<MyComment>),
        (status = 400, description = "Bad `page`, `size` or `cursor`", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/comments")]
pub async fn my_comments(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    Ok(HttpResponse::Ok().json(service::mine(&state, &who, paging).await?))
}

/// The posts I liked, newest like first. Pages by `cursor`.
#[utoipa::path(
    get, path = "/api/v1/users/me/liked-posts", tag = "comments", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = FeedOf<crate::posts::dto::PostView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/liked-posts")]
pub async fn liked_posts(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    Ok(HttpResponse::Ok().json(service::liked_posts(&state, &who, paging).await?))
}
