//! The caller of an endpoint that anyone may call.

use actix_web::{http::header, HttpRequest};
use moji_auth::AuthUser;

use crate::{error::ApiResult, state::AppState};

/// The caller when a bearer token is sent (a bad one is still a 401), `None` when anonymous.
pub async fn optional_user(state: &AppState, req: &HttpRequest) -> ApiResult<Option<AuthUser>> {
    if req.headers().get(header::AUTHORIZATION).is_none() {
        return Ok(None);
    }
    let token = moji_auth::bearer_token(req).ok_or(moji_auth::AuthError::MissingToken)?;
    Ok(Some(state.auth.authenticate(&token).await?.into()))
}
