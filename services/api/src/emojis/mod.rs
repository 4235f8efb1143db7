//! The emoji gallery: save a result privately or publicly, browse, like, delete; my emojis
//! (made, used, liked) and someone's public ones.

pub mod dto;
pub mod handlers;
pub mod mine;
pub mod service;

use actix_web::web;

/// Registers `/emojis`, `/users/me/emojis` and `/users/{username}/emojis` (`me` first).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(create_emoji)
        .service(list_emojis)
        .service(get_emoji)
        .service(update_emoji)
        .service(delete_emoji)
        .service(like_emoji)
        .service(unlike_emoji)
        .service(my_emojis)
        .service(user_emojis);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::create_emoji, handlers::list_emojis, handlers::get_emoji, handlers::update_emoji,
        handlers::delete_emoji,
        handlers::like_emoji, handlers::unlike_emoji, handlers::my_emojis, handlers::user_emojis,
    ),
    components(schemas(
        dto::CreateEmojiRequest, dto::UpdateEmojiRequest, dto::Owner, dto::EmojiView, dto::UsedEmoji,
        dto::MyEmojis, dto::LikeState,
    )),
    tags((name = "gallery", description = "Saved and shared emojis, likes, emoji rankings"))
)]
pub struct Doc;
