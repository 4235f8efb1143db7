//! Follows: follow and unfollow someone, remove a follower, and the followers and following
//! lists (cursor pages). Counts are kept with the rows (see migration 000007).

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;

/// Registers `/users/me/followers/{username}` and `/users/{username}/follow|followers|following`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(remove_follower)
        .service(follow)
        .service(unfollow)
        .service(followers)
        .service(following);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::follow, handlers::unfollow, handlers::remove_follower, handlers::followers,
        handlers::following,
    ),
    components(schemas(dto::FollowState, dto::Person)),
    tags((name = "follows", description = "Who follows whom"))
)]
pub struct Doc;
