//! The recommendation service's one error type and its single mapping to problem+json.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use moji_common::ErrorCode;
use moji_telemetry::{problem::problem_with_fields, FieldError};

/// Everything a recommendation handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RecError {
    /// Invalid fields (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A malformed parameter that is not one field's value (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Authentication failure from moji-auth (401/503).
    #[error(transparent)]
    Auth(#[from] moji_auth::AuthError),
    /// No such (visible) item (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Too much work queued: the embedding pool or the view queue is full (503, retry).
    #[error("busy: {0}")]
    Busy(&'static str),
    /// A dependency is down (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else (500); the cause is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

/// Result alias for handlers and domain functions.
pub type RecResult<T> = Result<T, RecError>;

impl From<moji_db::DbError> for RecError {
    fn from(e: moji_db::DbError) -> Self {
        match e {
            moji_db::DbError::NotFound => RecError::NotFound("item"),
            moji_db::DbError::Pool(e) => RecError::Unavailable(format!("database: {e}")),
            moji_db::DbError::InvalidText(_) => {
                RecError::Validation(vec![FieldError::new("body", moji_db::NUL_IN_TEXT)])
            }
            other => RecError::Internal(other.to_string()),
        }
    }
}

impl From<moji_embed::EmbedError> for RecError {
    fn from(e: moji_embed::EmbedError) -> Self {
        match e {
            moji_embed::EmbedError::Busy => RecError::Busy("the embedding queue is full"),
            other => RecError::Internal(format!("embedding: {other}")),
        }
    }
}

impl From<moji_ann::AnnError> for RecError {
    fn from(e: moji_ann::AnnError) -> Self {
        match e {
            // A remote index (Milvus) that is down is a dependency outage, not a bug.
            moji_ann::AnnError::Backend(_) => RecError::Unavailable(format!("index: {e}")),
            other => RecError::Internal(format!("index: {other}")),
        }
    }
}

impl RecError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) => ErrorCode::ValidationFailed,
            Self::BadRequest(_) => ErrorCode::BadRequest,
            Self::Auth(_) => ErrorCode::Unauthorized,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Busy(_) | Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
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

impl ResponseError for RecError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Auth(e) => e.status_code(),
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Busy(_) | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
        let mut response = problem_with_fields(self.status_code(), self.code(), detail, fields);
        if let Self::Busy(_) = self {
            response.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

/// `Ok` when no field errors were collected, else a 422 listing them all.
pub fn validated(errors: Vec<FieldError>) -> RecResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RecError::Validation(errors))
    }
}
