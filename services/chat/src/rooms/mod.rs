//! Rooms over REST: create, list, members, invite, leave, history.

pub mod dto;
pub mod handlers;
pub mod service;

use utoipa::OpenApi;

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create,
        handlers::mine,
        handlers::one,
        handlers::members,
        handlers::invite,
        handlers::leave,
        handlers::history
    ),
    components(schemas(
        dto::CreateRoom,
        dto::Invite,
        dto::Room,
        dto::RoomPage,
        dto::Member,
        dto::MemberList,
        dto::Message,
        dto::MessagePage
    ))
)]
pub struct Doc;

/// Registers the routes.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(handlers::create)
        .service(handlers::mine)
        .service(handlers::one)
        .service(handlers::members)
        .service(handlers::invite)
        .service(handlers::leave)
        .service(handlers::history);
}
