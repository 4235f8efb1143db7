//! Thin handlers of the rooms API: extract, call the service, map the result.

use actix_web::{delete, get, post, web, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    dto::{CreateRoom, Invite, MemberList, MessagePage, MessagesQuery, Room, RoomPage, RoomsQuery},
    service,
};
use crate::{error::ChatResult, ChatState};

/// Create a room with others; the caller is its owner.
#[utoipa::path(
    post, path = "/api/v1/chat/rooms", tag = "chat", security(("bearer" = [])),
    request_body = CreateRoom,
    responses(
        (status = 201, body = Room),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, body = Problem),
        (status = 422, description = "Bad `name`, or unknown `members[i]`", body = Problem),
    )
)]
#[post("/api/v1/chat/rooms")]
pub async fn create(
    state: web::Data<ChatState>,
    who: AuthUser,
    body: web::Json<CreateRoom>,
) -> ChatResult<HttpResponse> {
    let room = service::create(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header(("location", format!("/api/v1/chat/rooms/{}", room.id)))
        .json(room))
}

/// My rooms, most recent activity first, with unread counts and the last message.
#[utoipa::path(
    get, path = "/api/v1/chat/rooms", tag = "chat", security(("bearer" = [])),
    params(RoomsQuery),
    responses(
        (status = 200, body = RoomPage),
        (status = 400, description = "Bad cursor", body = Problem),
        (status = 401, body = Problem),
        (status = 422, description = "Bad `size`", body = Problem),
    )
)]
#[get("/api/v1/chat/rooms")]
pub async fn mine(
    state: web::Data<ChatState>,
    who: AuthUser,
    query: web::Query<RoomsQuery>,
) -> ChatResult<HttpResponse> {
    let q = query.into_inner();
    Ok(HttpResponse::Ok().json(service::mine(&state, &who, q.cursor, q.size).await?))
}

/// One room (members only).
#[utoipa::path(
    get, path = "/api/v1/chat/rooms/{id}", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The room")),
    responses(
        (status = 200, body = Room),
        (status = 400, description = "Not a UUID", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not a member", body = Problem),
        (status = 404, description = "No such open room", body = Problem),
    )
)]
#[get("/api/v1/chat/rooms/{id}")]
pub async fn one(
    state: web::Data<ChatState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ChatResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::one(&state, &who, id.into_inner()).await?))
}

/// The members of a room (members only).
#[utoipa::path(
    get, path = "/api/v1/chat/rooms/{id}/members", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The room")),
    responses(
        (status = 200, body = MemberList),
        (status = 400, description = "Not a UUID", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not a member", body = Problem),
        (status = 404, description = "No such open room", body = Problem),
    )
)]
#[get("/api/v1/chat/rooms/{id}/members")]
pub async fn members(
    state: web::Data<ChatState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ChatResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::members(&state, &who, id.into_inner()).await?))
}

/// Invite people (any member may); returns those who joined.
#[utoipa::path(
    post, path = "/api/v1/chat/rooms/{id}/members", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The room")),
    request_body = Invite,
    responses(
        (status = 200, body = MemberList),
        (status = 400, description = "Not a UUID, or malformed JSON", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not a member", body = Problem),
        (status = 404, description = "No such open room", body = Problem),
        (status = 409, description = "The room would pass `chat.max_members`", body = Problem),
        (status = 422, description = "Unknown `usernames[i]`", body = Problem),
    )
)]
#[post("/api/v1/chat/rooms/{id}/members")]
pub async fn invite(
    state: web::Data<ChatState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<Invite>,
) -> ChatResult<HttpResponse> {
    let added = service::invite(&state, &who, id.into_inner(), &body.usernames).await?;
    Ok(HttpResponse::Ok().json(added))
}

/// Leave a room. An owner hands ownership on; the last member closes the room.
#[utoipa::path(
    delete, path = "/api/v1/chat/rooms/{id}/members/me", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The room")),
    responses(
        (status = 204, description = "Left"),
        (status = 400, description = "Not a UUID", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not a member", body = Problem),
        (status = 404, description = "No such open room", body = Problem),
    )
)]
#[delete("/api/v1/chat/rooms/{id}/members/me")]
pub async fn leave(
    state: web::Data<ChatState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ChatResult<HttpResponse> {
    service::leave(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// History: newest first (`cursor` for older pages), or oldest first after a seq (`after`).
#[utoipa::path(
    get, path = "/api/v1/chat/rooms/{id}/messages", tag = "chat", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The room"), MessagesQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 400, description = "Not a UUID, a bad cursor, or both `cursor` and `after`", body = Problem),
        (status = 401, body = Problem),
        (status = 403, description = "Not a member", body = Problem),
        (status = 404, description = "No such open room", body = Problem),
        (status = 422, description = "Bad `size` or `after`", body = Problem),
    )
)]
#[get("/api/v1/chat/rooms/{id}/messages")]
pub async fn history(
    state: web::Data<ChatState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    query: web::Query<MessagesQuery>,
) -> ChatResult<HttpResponse> {
    let q = query.into_inner();
    let page = service::history(&state, &who, id.into_inner(), q.cursor, q.after, q.size).await?;
    Ok(HttpResponse::Ok().json(page))
}
