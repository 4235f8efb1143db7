//! `/posts`, `/posts/latest`, `/posts/{id}` and `/feed` handlers.

use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_db::posts::Listing;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    dto::{CreatePostRequest, PostLikeState, PostView, PostsQuery, UpdatePostRequest},
    service,
};
use crate::{
    error::ApiResult,
    http::{optional_user, PageQuery, Paging},
    state::AppState,
};

/// Write a post (published at once; posts with images will wait for them).
#[utoipa::path(
    post, path = "/api/v1/posts", tag = "posts", security(("bearer" = [])),
    request_body = CreatePostRequest,
    responses(
        (status = 201, description = "Written; `Location` names it", body = PostView),
        (status = 401, body = Problem),
        (status = 422, description = "Bad title, text, tags, or images sent", body = Problem),
    )
)]
#[post("/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<CreatePostRequest>,
) -> ApiResult<HttpResponse> {
    let post = service::create(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/posts/{}", post.id)))
        .json(post))
}

/// Posts, newest first; with `tag`, only posts with that tag. Pages by `cursor`.
#[utoipa::path(
    get, path = "/api/v1/posts", tag = "posts", params(PostsQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::FeedOf<crate::posts::dto::PostView>),
        (status = 400, description = "Bad `size` or `cursor`", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
    )
)]
#[get("/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PostsQuery>,
) -> ApiResult<HttpResponse> {
    let paging = Paging::with_cursor(None, query.size, query.cursor.as_deref())?;
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    let listing = match query.tag.as_deref().map(str::trim) {
        Some(tag) if !tag.is_empty() => Listing::Tagged(tag.trim_start_matches('#').to_lowercase()),
        _ => Listing::Latest,
    };
    Ok(HttpResponse::Ok().json(service::feed(&state, viewer, listing, paging).await?))
}

/// Everyone's latest posts.
#[utoipa::path(
    get, path = "/api/v1/posts/latest", tag = "posts", params(PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::FeedOf<crate::posts::dto::PostView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
    )
)]
#[get("/posts/latest")]
pub async fn latest(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    Ok(HttpResponse::Ok().json(service::feed(&state, viewer, Listing::Latest, paging).await?))
}

/// Someone's latest posts; `total` is their post count.
#[utoipa::path(
    get, path = "/api/v1/posts/latest/{username}", tag = "posts",
    params(("username" = String, Path, description = "Handle"), PageQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = crate::http::PageOf<crate::posts::dto::PostView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/posts/latest/{username}")]
pub async fn latest_of(
    state: web::Data<AppState>,
    req: HttpRequest,
    username: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    let page = service::by_author(&state, viewer, username.into_inner(), paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// My posts, newest first, pending and failed ones included (with their status and reason).
#[utoipa::path(
    get, path = "/api/v1/users/me/posts", tag = "posts", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, body = crate::http::FeedOf<crate::posts::dto::PostView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/posts")]
pub async fn my_posts(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let listing = Listing::Mine(who.user_id);
    Ok(HttpResponse::Ok().json(service::feed(&state, Some(who.user_id), listing, paging).await?))
}

/// My feed: my posts and those of the people I follow, newest first.
#[utoipa::path(
    get, path = "/api/v1/feed", tag = "posts", security(("bearer" = [])), params(PageQuery),
    responses(
        (status = 200, body = crate::http::FeedOf<crate::posts::dto::PostView>),
        (status = 400, description = "Bad `size` or `cursor`, or a `page` past 1", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/feed")]
pub async fn feed(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    let listing = Listing::FeedOf(who.user_id);
    Ok(HttpResponse::Ok().json(service::feed(&state, Some(who.user_id), listing, paging).await?))
}

/// One post. Each viewer's visits count as one view an hour.
#[utoipa::path(
    get, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = Uuid, Path, description = "Post id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = PostView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/posts/{id}")]
pub async fn get_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    let key = match viewer {
        Some(v) => v.to_string(),
        None => format!(
            "addr:{}",
            req.connection_info()
                .realip_remote_addr()
                .unwrap_or("unknown")
        ),
    };
    Ok(HttpResponse::Ok().json(service::get(&state, viewer, key, id.into_inner()).await?))
}

/// Edit your post.
#[utoipa::path(
    patch, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    request_body = UpdatePostRequest,
    responses(
        (status = 200, body = PostView),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours", body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "Bad fields, or none sent", body = Problem),
    )
)]
#[patch("/posts/{id}")]
pub async fn update_post(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdatePostRequest>,
) -> ApiResult<HttpResponse> {
    let post = service::update(&state, &who, id.into_inner(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Delete a post: its author or an admin.
#[utoipa::path(
    delete, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours and not an admin", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/posts/{id}")]
pub async fn delete_post(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Like a post (idempotent).
#[utoipa::path(
    put, path = "/api/v1/posts/{id}/like", tag = "posts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, body = PostLikeState),
        (status = 401, body = Problem),
        (status = 404, body = Problem),
    )
)]
#[put("/posts/{id}/like")]
pub async fn like_post(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::set_like(&state, &who, id.into_inner(), true).await?))
}

/// Take a like back (idempotent).
#[utoipa::path(
    delete, path = "/api/v1/posts/{id}/like", tag = "posts", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Post id")),
    responses(
        (status = 200, body = PostLikeState),
        (status = 401, body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/posts/{id}/like")]
pub async fn unlike_post(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::set_like(&state, &who, id.into_inner(), false).await?))
}
