//! Comments of the market SNS (issue 12, third part): comments on posts and replies to them
//! (one level deep), edited by their author and deleted by their author, the post's author or
//! an admin; their likes; who liked a post or a comment; my comments and the posts I liked.
//! Counts are kept with the rows (see migration 000011, which also writes down the lock order).

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;

/// Registers `/users/me/comments`, `/users/me/liked-posts`, `/posts/{id}/comments`,
/// `/posts/{id}/likes` and `/comments/{id}[/replies|/like|/likes]`. Composed after the posts
/// module, so `/posts/latest/{username}` keeps the names `comments` and `likes`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(my_comments)
        .service(liked_posts)
        .service(create_comment)
        .service(list_comments)
        .service(post_likers)
        .service(get_comment)
        .service(update_comment)
        .service(delete_comment)
        .service(list_replies)
        .service(like_comment)
        .service(unlike_comment)
        .service(comment_likers);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::create_comment, handlers::list_comments, handlers::post_likers,
        handlers::get_comment, handlers::update_comment, handlers::delete_comment,
        handlers::list_replies, handlers::like_comment, handlers::unlike_comment,
        handlers::comment_likers, handlers::my_comments, handlers::liked_posts,
    ),
    // The pages are named in the paths as `FeedOf<CommentView>`, `PageOf<Liker>` and
    // `PageOf<MyComment>` (each its own schema); a type alias would share `FeedOf`/`PageOf`
    // with the other modules' pages.
    components(schemas(
        dto::CreateCommentRequest, dto::UpdateCommentRequest, dto::CommentView, dto::MyComment,
        dto::CommentLikeState, dto::Liker,
    )),
    tags((name = "comments", description = "Comments and replies, their likes, who liked what"))
)]
pub struct Doc;
