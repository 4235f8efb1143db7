//! The crate's error type, rendered as problem+json.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use moji_common::ErrorCode;

/// Why a request could not be authenticated or authorised.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing bearer token")]
    MissingToken,
    /// Bad signature, wrong audience/issuer/algorithm, wrong token type, or malformed.
    #[error("invalid token")]
    InvalidToken,
    /// The token's `exp` has passed.
    #[error("token expired")]
    Expired,
    /// The token or its session was revoked (logout, reuse, password change).
    #[error("token revoked")]
    Revoked,
    /// The account is suspended until `until`, or banned (`None`).
    #[error("account suspended")]
    Suspended {
        /// The suspension's end; `None` for a ban.
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Authenticated but lacking the role.
    #[error("forbidden")]
    Forbidden,
    /// bcrypt failed (should not happen with valid settings).
    #[error("password hashing: {0}")]
    Hash(String),
    /// The revocation list could not be read; fail closed.
    #[error("revocation list unavailable: {0}")]
    State(#[from] moji_redis::StateError),
    /// The app was wired without an [`crate::Authenticator`].
    #[error("authenticator missing from app data")]
    NotConfigured,
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MissingToken
            | Self::InvalidToken
            | Self::Expired
            | Self::Revoked
            | Self::Suspended { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::State(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Hash(_) | Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (code, detail) = match self {
            Self::MissingToken => (
                ErrorCode::Unauthorized,
                "send an access token as `Authorization: Bearer <token>`",
            ),
            Self::InvalidToken => (ErrorCode::InvalidToken, "the access token is not valid"),
            Self::Expired => (
                ErrorCode::TokenExpired,
                "the access token has expired; refresh it",
            ),
            Self::Revoked => (ErrorCode::InvalidToken, "the token has been revoked"),
            Self::Forbidden => (ErrorCode::Forbidden, "you may not do this"),
            Self::Suspended { until } => {
                let (detail, until) = match until {
                    Some(t) => (
                        format!("this account is suspended until {}", t.to_rfc3339()),
                        Some(t.to_rfc3339()),
                    ),
                    None => ("this account is banned".to_owned(), None),
                };
                return moji_telemetry::problem_until(
                    self.status_code(),
                    ErrorCode::AccountSuspended,
                    detail,
                    until,
                );
            }
            Self::State(e) => {
                tracing::error!(error = %e, "revocation check failed");
                (
                    ErrorCode::ServiceUnavailable,
                    "authentication is temporarily unavailable",
                )
            }
            Self::Hash(e) => {
                tracing::error!(error = %e, "password hashing failed");
                (ErrorCode::Internal, "internal error")
            }
            Self::NotConfigured => {
                tracing::error!("Authenticator missing from app data");
                (ErrorCode::Internal, "internal error")
            }
        };
        moji_telemetry::problem(self.status_code(), code, detail)
    }
}
