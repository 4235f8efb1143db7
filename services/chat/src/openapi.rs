//! The chat service's OpenAPI 3.1 document (`proto/openapi/chat.json`, served at
//! `/api/v1/chat/openapi.json`). The WebSocket protocol is described in docs/chat.md.

use moji_telemetry::openapi::BearerAuth;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moji chat",
        description = "Rooms over REST. The live part is one WebSocket per person at \
            `GET /api/v1/chat/ws` (`?access_token=` or the subprotocols `moji.v1`, \
            `bearer.<token>`), speaking the JSON frames of docs/chat.md: `send`, `read`, \
            `typing`, `resume`, `ping` from clients; `ready`, `message`, `member_joined`, \
            `member_left`, `ack`, `read`, `typing`, `resumed`, `error`, `pong` from the server. \
            Errors are RFC 9457 problem details with a stable `code`.",
        version = "1.0.0"
    ),
    components(schemas(moji_telemetry::Problem, moji_telemetry::FieldError)),
    modifiers(&BearerAuth)
)]
struct ChatDoc;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ChatDoc::openapi();
    doc.merge(crate::rooms::Doc::openapi());
    moji_telemetry::openapi::document_error_statuses(&mut doc);
    doc
}
