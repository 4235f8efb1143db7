//! Posts of the market SNS (issue 12): write, read (a view counts once per viewer per hour),
//! edit and delete by the author (admins may delete), like, and the lists: latest, by
//! author, by tag, and my feed. Images arrive with the upload pipeline (not yet).

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;

/// Registers `/posts`, `/posts/latest[/{username}]`, `/posts/{id}[/like]` and `/feed`
/// (literal paths before `/posts/{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(create_post)
        .service(list_posts)
        .service(latest)
        .service(latest_of)
        .service(feed)
        .service(my_posts)
        .service(get_post)
        .service(update_post)
        .service(delete_post)
        .service(like_post)
        .service(unlike_post);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::create_post, handlers::list_posts, handlers::latest, handlers::latest_of,
        handlers::feed, handlers::my_posts, handlers::get_post, handlers::update_post, handlers::delete_post,
        handlers::like_post, handlers::unlike_post,
    ),
    components(schemas(
        dto::CreatePostRequest, dto::UpdatePostRequest, dto::PostView, dto::PostLikeState, dto::Author,
    )),
    tags((name = "posts", description = "Posts, their likes, the feed"))
)]
pub struct Doc;
