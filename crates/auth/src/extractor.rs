//! The `AuthUser` extractor: a handler that takes one is reachable only with a valid,
//! unrevoked access token.

use std::{future::Future, pin::Pin};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use moji_redis::RedisState;
use uuid::Uuid;

use crate::{AuthError, Claims, JwtKeys, Role, TokenType};

/// What every service needs to authenticate requests; put it in app data as `Data<Authenticator>`.
#[derive(Clone)]
pub struct Authenticator {
    /// Token keys and lifetimes.
    pub keys: JwtKeys,
    /// Where revoked token and session ids live.
    pub state: RedisState,
}

impl Authenticator {
    /// Verifies an access token and checks that neither it nor its session was revoked.
    pub async fn authenticate(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = self.keys.verify(token, TokenType::Access)?;
        let jti = claims.jti.to_string();
        let sid = revoked_session_key(claims.sid);
        if self
            .state
            .any_revoked(&[jti.as_str(), sid.as_str()])
            .await?
        {
            return Err(AuthError::Revoked);
        }
        Ok(claims)
    }
}

/// Revocation-list key for a whole session family (all its access tokens).
pub fn revoked_session_key(sid: Uuid) -> String {
    format!("sid:{sid}")
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// User id (`sub`).
    pub user_id: Uuid,
    /// Role at token mint time.
    pub role: Role,
    /// Session family (`sid`).
    pub session_id: Uuid,
    /// This access token's id (`jti`).
    pub token_id: Uuid,
    /// This access token's expiry.
    pub expires_at: DateTime<Utc>,
}

impl AuthUser {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// `Ok` when the caller owns `owner_id` or is an admin; `Forbidden` otherwise.
    pub fn require_owner_or_admin(&self, owner_id: Uuid) -> Result<(), AuthError> {
        if self.user_id == owner_id || self.is_admin() {
            Ok(())
        } else {
            Err(AuthError::Forbidden)
        }
    }
}

impl From<Claims> for AuthUser {
    fn from(c: Claims) -> Self {
        Self {
            user_id: c.sub,
            role: c.role,
            session_id: c.sid,
            token_id: c.jti,
            expires_at: DateTime::from_timestamp(c.exp, 0).unwrap_or_else(Utc::now),
        }
    }
}

/// Extracts the token from an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    bearer_token_in(req.headers())
}

/// The token of an `Authorization: Bearer …` header in `headers` (chat's upgrade hook has the
/// headers of a request that is not an actix-web `HttpRequest`).
pub fn bearer_token_in(headers: &header::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

impl FromRequest for AuthUser {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = req.app_data::<web::Data<Authenticator>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let auth = auth.ok_or(AuthError::NotConfigured)?;
            let token = token.ok_or(AuthError::MissingToken)?;
            Ok(auth.authenticate(&token).await?.into())
        })
    }
}
