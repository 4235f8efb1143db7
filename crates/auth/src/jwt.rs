//! JWT minting and verification: HS256 only (the algorithm is pinned, so `alg: none` or an
//! RSA/HMAC confusion cannot pass), with issuer, audience and expiry always checked.

use chrono::{DateTime, Utc};
use jsonwebtoken::{
    decode, encode, errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use moji_config::JwtSettings;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AuthError;

/// Account role carried in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Ordinary account.
    User,
    /// May moderate and delete others' content.
    Admin,
}

impl Role {
    /// The database/claim spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses the database spelling; anything unknown is an ordinary user.
    pub fn from_db(s: &str) -> Self {
        if s == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

/// Access tokens authorise requests; refresh tokens only buy new pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Short-lived bearer token.
    Access,
    /// Long-lived, single-use, rotated on every refresh.
    Refresh,
}

/// The claims of every Moji token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: Uuid,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issue time.
    pub iat: i64,
    /// Unique token id (revocation key).
    pub jti: Uuid,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Role at mint time.
    pub role: Role,
    /// Session family id: every token of one login shares it.
    pub sid: Uuid,
    /// Access or refresh.
    pub typ: TokenType,
}

/// A freshly minted token and its claims.
#[derive(Debug, Clone)]
pub struct MintedToken {
    /// The compact JWT.
    pub token: String,
    /// What it says.
    pub claims: Claims,
}

impl MintedToken {
    /// Expiry as a timestamp.
    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.claims.exp, 0).unwrap_or_else(Utc::now)
    }
}

/// Keys and policy for minting and verifying tokens.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    audience: String,
    /// Access-token lifetime in seconds.
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_secs: u64,
}

impl JwtKeys {
    /// Builds keys from settings; `secret` must already be resolved (non-empty).
    pub fn new(settings: &JwtSettings, secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            access_ttl_secs: settings.access_ttl_secs,
            refresh_ttl_secs: settings.refresh_ttl_secs,
        }
    }

    /// Mints a token of `typ` for a user in session `sid`.
    pub fn mint(
        &self,
        typ: TokenType,
        user_id: Uuid,
        role: Role,
        sid: Uuid,
        jti: Uuid,
    ) -> Result<MintedToken, AuthError> {
        let now = Utc::now().timestamp();
        let ttl = match typ {
            TokenType::Access => self.access_ttl_secs,
            TokenType::Refresh => self.refresh_ttl_secs,
        };
        let claims = Claims {
            sub: user_id,
            exp: now + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
            iat: now,
            jti,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            role,
            sid,
            typ,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Hash(format!("jwt encode: {e}")))?;
        Ok(MintedToken { token, claims })
    }

    /// Verifies signature, algorithm, issuer, audience, expiry and token type.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 0;
        let data =
            decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::InvalidToken,
            })?;
        if data.claims.typ != expected {
            return Err(AuthError::InvalidToken);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        let s = moji_config::Settings::default().jwt;
        JwtKeys::new(&s, b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn round_trip_and_type_is_checked() {
        let k = keys();
        let (u, sid) = (Uuid::now_v7(), Uuid::now_v7());
        let t = k
            .mint(TokenType::Access, u, Role::User, sid, Uuid::now_v7())
            .unwrap();
        let c = k.verify(&t.token, TokenType::Access).unwrap();
        assert_eq!(c.sub, u);
        assert_eq!(c.sid, sid);
        assert!(matches!(
            k.verify(&t.token, TokenType::Refresh),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn other_key_and_tampering_are_rejected() {
        let k = keys();
        let t = k
            .mint(
                TokenType::Access,
                Uuid::now_v7(),
                Role::Admin,
                Uuid::now_v7(),
                Uuid::now_v7(),
            )
            .unwrap();
        let other = JwtKeys::new(
            &moji_config::Settings::default().jwt,
            b"another-secret-another-secret-xx",
        );
        assert!(matches!(
            other.verify(&t.token, TokenType::Access),
            Err(AuthError::InvalidToken)
        ));
        let mut tampered = t.token.clone();
        tampered.push('x');
        assert!(k.verify(&tampered, TokenType::Access).is_err());
    }

    #[test]
    fn alg_none_is_rejected() {
        let k = keys();
        let t = k
            .mint(
                TokenType::Access,
                Uuid::now_v7(),
                Role::User,
                Uuid::now_v7(),
                Uuid::now_v7(),
            )
            .unwrap();
        let parts: Vec<&str> = t.token.split('.').collect();
        // {"alg":"none","typ":"JWT"}
        let none_token = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        assert!(k.verify(&none_token, TokenType::Access).is_err());
    }

    #[test]
    fn expired_is_reported_as_expired() {
        let mut s = moji_config::Settings::default().jwt;
        s.access_ttl_secs = 0;
        let k = JwtKeys::new(&s, b"0123456789abcdef0123456789abcdef");
        let t = k
            .mint(
                TokenType::Access,
                Uuid::now_v7(),
                Role::User,
                Uuid::now_v7(),
                Uuid::now_v7(),
            )
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert!(matches!(
            k.verify(&t.token, TokenType::Access),
            Err(AuthError::Expired)
        ));
    }
}
