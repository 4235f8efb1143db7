//! The chat service's one error type and its single mapping to problem+json responses.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use moji_common::ErrorCode;
use moji_telemetry::{problem::problem_with_fields, FieldError};

/// Everything a chat handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// Invalid fields (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A malformed cursor or parameter that is not one field's value (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Authentication failure from moji-auth (401/403/503).
    #[error(transparent)]
    Auth(#[from] moji_auth::AuthError),
    /// Authenticated but not a member (403).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// No such room (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The room is full (409).
    #[error("{0}")]
    Conflict(String),
    /// A dependency is down (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else (500); the cause is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

/// Result alias for handlers and domain functions.
pub type ChatResult<T> = Result<T, ChatError>;

impl From<moji_db::DbError> for ChatError {
    fn from(e: moji_db::DbError) -> Self {
        match e {
            moji_db::DbError::NotFound => ChatError::NotFound("room"),
            moji_db::DbError::Pool(e) => ChatError::Unavailable(format!("database: {e}")),
            moji_db::DbError::InvalidText(_) => {
                ChatError::Validation(vec![FieldError::new("body", moji_db::NUL_IN_TEXT)])
            }
            other => ChatError::Internal(other.to_string()),
        }
    }
}

impl From<moji_redis::StateError> for ChatError {
    fn from(e: moji_redis::StateError) -> Self {
        ChatError::Unavailable(format!("redis: {e}"))
    }
}

impl ChatError {
    /// The stable code, also used in WebSocket `error` frames.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) => ErrorCode::ValidationFailed,
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Auth(_) => ErrorCode::Unauthorized,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What a client may be told: the causes of 500 and 503 stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            Self::Validation(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::Unavailable(cause) => {
                tracing::error!(%cause, "dependency unavailable");
                "a backing service is unavailable; try again shortly".to_owned()
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        }
    }
}

impl ResponseError for ChatError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Auth(e) => e.status_code(),
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Auth(e) = self {
            return e.error_response();
        }
        let fields = match self {
            Self::Validation(fields) => fields.clone(),
            _ => Vec::new(),
        };
        let detail = match self {
            Self::Validation(_) => "some fields are invalid; see `errors`".to_owned(),
            other => other.public_message(),
        };
        problem_with_fields(self.status_code(), self.code(), detail, fields)
    }
}

/// `Ok` when no field errors were collected, else a 422 listing them all.
pub fn validated(errors: Vec<FieldError>) -> ChatResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ChatError::Validation(errors))
    }
}
