//! The WebSocket handshake of `GET /api/v1/chat/ws`, served from actix-http's upgrade hook:
//! the HTTP dispatcher hands over the connection with the request, the 101 (or the error) is
//! written here, and the upgraded stream leaves the dispatcher and its buffers behind.

use std::sync::Arc;

use actix_codec::Framed;
use actix_http::{
    body::{self, BodySize},
    h1, ws, ConnectionType, Request, Response,
};
use actix_web::{
    http::{
        header::{HeaderMap, SEC_WEBSOCKET_PROTOCOL},
        StatusCode,
    },
    web, HttpResponse, ResponseError,
};
use futures_util::SinkExt;
use moji_auth::AuthUser;
use moji_common::ErrorCode;
use moji_telemetry::problem::problem;
use tokio::net::TcpStream;
use uuid::Uuid;

use super::{wire::Wire, Socket, TokenQuery, SUBPROTOCOL, TOKEN_PROTOCOL_PREFIX};
use crate::{
    error::{ChatError, ChatResult},
    ChatState,
};

/// The one path that upgrades.
pub const PATH: &str = "/api/v1/chat/ws";

/// A handshake that passed: the 101 to send and who the socket is for.
struct Accepted {
    response: Response<()>,
    who: AuthUser,
    username: String,
    rooms: Vec<(Uuid, i64)>,
}

/// Answers an upgrade request: a socket on [`PATH`], the JSON error of the HTTP API otherwise.
pub async fn upgrade(
    state: Arc<ChatState>,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_http::Error> {
    if req.path() != PATH {
        let detail = format!("no WebSocket at {}", req.path());
        reject(
            framed,
            problem(StatusCode::NOT_FOUND, ErrorCode::RouteNotFound, detail),
        )
        .await;
        return Ok(());
    }
    let accepted = match accept(&state, &req).await {
        Ok(accepted) => accepted,
        Err(e) => {
            reject(framed, e.error_response()).await;
            return Ok(());
        }
    };
    let sent = framed
        .send(h1::Message::Item((accepted.response, BodySize::None)))
        .await;
    if sent.is_err() {
        return Ok(());
    }
    let parts = framed.into_parts();
    let wire = Wire::new(
        parts.io,
        &parts.read_buf,
        state.settings.chat.max_frame_bytes,
    );
    let socket = Socket::new(state, accepted.who, accepted.username, wire, accepted.rooms);
    // The dispatcher (and with it the HTTP buffers) ends here; the socket lives on its own.
    actix_web::rt::spawn(socket.run());
    Ok(())
}

/// Checks the token and the handshake headers, and reads the person's rooms.
async fn accept(state: &ChatState, req: &Request) -> ChatResult<Accepted> {
    let (who, via_protocol) = authenticate(
        state,
        &req.head().headers,
        req.uri().query().unwrap_or_default(),
    )
    .await?;
    let user_id = who.user_id;
    let (username, rooms) = state
        .db
        .run(move |c| {
            let user = moji_db::users::by_id(c, user_id)?;
            Ok((user.username, moji_db::chat::rooms_of(c, user_id)?))
        })
        .await
        .map_err(|e| match e {
            // The account was deleted after the token was minted.
            moji_db::DbError::NotFound => ChatError::Auth(moji_auth::AuthError::Revoked),
            other => other.into(),
        })?;
    let mut builder =
        ws::handshake(req.head()).map_err(|e| ChatError::BadRequest(e.to_string()))?;
    if via_protocol {
        builder.insert_header((SEC_WEBSOCKET_PROTOCOL, SUBPROTOCOL));
    }
    let response = builder
        .message_body(())
        .map_err(|e| ChatError::Internal(e.to_string()))?;
    Ok(Accepted {
        response,
        who,
        username,
        rooms,
    })
}

/// The caller of a socket request, and whether the token came in the subprotocol (then the
/// server must select one).
pub async fn authenticate(
    state: &ChatState,
    headers: &HeaderMap,
    query: &str,
) -> ChatResult<(AuthUser, bool)> {
    let query = web::Query::<TokenQuery>::from_query(query)
        .map_err(|e| ChatError::BadRequest(e.to_string()))?;
    let (token, via_protocol) = token_of(headers, query.into_inner());
    let token = token.ok_or(moji_auth::AuthError::MissingToken)?;
    let who: AuthUser = state.auth.authenticate(&token).await?.into();
    Ok((who, via_protocol))
}

/// The token from the `bearer.<token>` subprotocol, else the query string or the bearer header;
/// and whether the subprotocol carried it.
fn token_of(headers: &HeaderMap, query: TokenQuery) -> (Option<String>, bool) {
    let offered = headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find_map(|p| p.strip_prefix(TOKEN_PROTOCOL_PREFIX))
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    match offered {
        Some(token) => (Some(token), true),
        None => (
            query
                .access_token
                .or_else(|| moji_auth::bearer_token_in(headers)),
            false,
        ),
    }
}

/// Writes `error` (the API's JSON error) and ends the connection.
async fn reject(mut framed: Framed<TcpStream, h1::Codec>, error: HttpResponse) {
    let response: Response<body::BoxBody> = error.into();
    let (mut head, body) = response.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    head.head_mut().set_connection_type(ConnectionType::Close);
    let size = BodySize::Sized(bytes.len() as u64);
    // One write for head and body (clients may read only what came with the head); the peer
    // may be gone already, and then there is nobody left to tell.
    if framed.feed(h1::Message::Item((head, size))).await.is_ok()
        && framed.feed(h1::Message::Chunk(Some(bytes))).await.is_ok()
    {
        let _ = framed.send(h1::Message::Chunk(None)).await;
    }
}
