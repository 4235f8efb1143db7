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
    /// Verifies an access token and checks that neither it, its session nor its account was
    /// revoked (logout, reuse, suspension, ban): one Redis round trip.
    pub async fn authenticate(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = self.keys.verify(token, TokenType::Access)?;
        let jti = claims.jti.to_string();
        let sid = revoked_session_key(claims.sid);
        let account = revoked_account_key(claims.sub);
        let found = self
            .state
            .revocations(&[jti.as_str(), sid.as_str(), account.as_str()])
            .await?;
        if let Some(Some(until)) = found.get(2) {
            return Err(AuthError::Suspended {
                until: Suspension::parse(until).until,
            });
        }
        if found.iter().any(Option::is_some) {
            return Err(AuthError::Revoked);
        }
        Ok(claims)
    }

    /// Stops every token of `user_id` at once for as long as an access token lives (after
    /// that, refresh and login read the suspension from the database).
    pub async fn suspend_account(
        &self,
        user_id: Uuid,
        suspension: Suspension,
    ) -> Result<(), AuthError> {
        let mut ttl = std::time::Duration::from_secs(self.keys.access_ttl_secs + 60);
        if let Some(until) = suspension.until {
            let left = (until - Utc::now()).to_std().unwrap_or_default();
            ttl = ttl.min(left.max(std::time::Duration::from_millis(1)));
        }
        self.state
            .revoke_with(&revoked_account_key(user_id), &suspension.encode(), ttl)
            .await?;
        Ok(())
    }

    /// Lets `user_id`'s tokens work again (an admin reinstated the account).
    pub async fn reinstate_account(&self, user_id: Uuid) -> Result<(), AuthError> {
        self.state.unrevoke(&revoked_account_key(user_id)).await?;
        Ok(())
    }
}

/// Revocation-list key for a whole session family (all its access tokens).
pub fn revoked_session_key(sid: Uuid) -> String {
    format!("sid:{sid}")
}

/// Revocation-list key of a suspended or banned account (every one of its tokens).
pub fn revoked_account_key(user_id: Uuid) -> String {
    format!("user:{user_id}")
}

/// An account's suspension: until when, or for good (a ban).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspension {
    /// The suspension's end; `None` for a ban.
    pub until: Option<DateTime<Utc>>,
}

impl Suspension {
    /// The revocation-list value: the end in Unix seconds, or `ban`.
    fn encode(self) -> String {
        self.until
            .map_or_else(|| "ban".to_owned(), |t| t.timestamp().to_string())
    }

    /// Reads [`Self::encode`]'s value back; anything else counts as a ban (fail closed).
    fn parse(value: &str) -> Self {
        Self {
            until: value
                .parse::<i64>()
                .ok()
                .and_then(|secs| DateTime::from_timestamp(secs, 0)),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suspension_survives_the_revocation_list_and_garbage_means_a_ban() {
        let until = DateTime::from_timestamp(1_767_225_600, 0);
        for s in [Suspension { until }, Suspension { until: None }] {
            assert_eq!(Suspension::parse(&s.encode()), s);
        }
        assert_eq!(
            Suspension::parse("1"),
            Suspension {
                until: DateTime::from_timestamp(1, 0)
            }
        );
        assert_eq!(Suspension::parse("nonsense"), Suspension { until: None });
    }
}
