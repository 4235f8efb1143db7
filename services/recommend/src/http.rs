//! Request helpers shared by the handlers.

use actix_web::{http::header, HttpRequest};
use moji_auth::AuthUser;

use crate::{error::RecResult, RecState};

/// The caller when a bearer token is sent (401 if it is not valid), `None` without one.
pub async fn optional_user(state: &RecState, req: &HttpRequest) -> RecResult<Option<AuthUser>> {
    if req.headers().get(header::AUTHORIZATION).is_none() {
        return Ok(None);
    }
    let token = moji_auth::bearer_token(req).ok_or(moji_auth::AuthError::MissingToken)?;
    Ok(Some(state.auth.authenticate(&token).await?.into()))
}

/// A path id: 400 unless it is a UUID.
pub fn parse_id(raw: &str) -> RecResult<uuid::Uuid> {
    raw.parse()
        .map_err(|_| crate::error::RecError::BadRequest(format!("{raw:?} is not an id")))
}
