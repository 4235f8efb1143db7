//! The api's one error type and its single mapping to problem+json responses.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use moji_common::ErrorCode;
use moji_telemetry::{problem::problem_with_fields, FieldError};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Invalid fields (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Malformed request that is not about one field (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Wrong login or password (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// A rotated-out refresh token came back; its family is now revoked (401).
    #[error("refresh token reused")]
    RefreshTokenReused,
    /// Authentication failure from moji-auth (401/403/503).
    #[error(transparent)]
    Auth(#[from] moji_auth::AuthError),
    /// A wrong current password on a sensitive change (403).
    #[error("current password is wrong")]
    WrongPassword,
    /// Authenticated but not allowed (403), e.g. someone else's private resource.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A signed request (a payment callback) whose signature does not match (401).
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The uploaded photo exceeds a byte or pixel limit (413).
    #[error("image too large: {0}")]
    ImageTooLarge(String),
    /// The upload is not an image type we accept (415).
    #[error("unsupported media: {0}")]
    UnsupportedMedia(String),
    /// The upload claims to be an image but is damaged (422).
    #[error("invalid image: {0}")]
    InvalidImage(String),
    /// No such resource (404).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Unique conflict (409).
    #[error("{detail}")]
    Conflict {
        /// Stable code, e.g. `username_taken`.
        code: ErrorCode,
        /// Human text.
        detail: String,
    },
    /// Throttled (429) with the seconds until the window resets.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// Over a limit of requests or held resources (429), with the seconds to wait if known.
    #[error("rate limited: {detail}")]
    RateLimited {
        /// Human text.
        detail: String,
        /// Seconds until retrying can succeed, when known.
        retry_after_secs: Option<u64>,
    },
    /// A daily quota is used up (429 `quota_exceeded`), renewing in `reset_secs`.
    #[error("quota of {limit} a day used up")]
    QuotaExceeded {
        /// Units per day.
        limit: u32,
        /// Seconds until the next product day.
        reset_secs: u64,
    },
    /// A dependency is down (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A sign-in with the OpenID provider failed (401; 404 when not configured; 503 when the
    /// provider is unreachable).
    #[error(transparent)]
    Oidc(#[from] crate::oidc::service::OidcError),
    /// Anything else (500); the cause is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// 409 `conflict`: the request does not fit the resource's current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            code: ErrorCode::Conflict,
            detail: detail.into(),
        }
    }
}

impl From<moji_db::DbError> for ApiError {
    fn from(e: moji_db::DbError) -> Self {
        match e {
            moji_db::DbError::NotFound => ApiError::NotFound("resource"),
            moji_db::DbError::Pool(e) => ApiError::Unavailable(format!("database: {e}")),
            moji_db::DbError::Conflict(detail) => ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail,
            },
            moji_db::DbError::BadCursor => ApiError::BadRequest(
                "`cursor` belongs to another sort order; start again without it".into(),
            ),
            // Every text field is checked for control characters; this catches a field that
            // is not, rather than answering 500.
            moji_db::DbError::InvalidText(_) => {
                ApiError::Validation(vec![FieldError::new("body", moji_db::NUL_IN_TEXT)])
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<moji_redis::StateError> for ApiError {
    fn from(e: moji_redis::StateError) -> Self {
        ApiError::Unavailable(format!("redis: {e}"))
    }
}

impl From<moji_mq::MqError> for ApiError {
    fn from(e: moji_mq::MqError) -> Self {
        ApiError::Unavailable(format!("amqp: {e}"))
    }
}

impl From<moji_storage::StorageError> for ApiError {
    fn from(e: moji_storage::StorageError) -> Self {
        use moji_storage::StorageError as S;
        match e {
            S::NotFound(_) => ApiError::NotFound("file"),
            S::InvalidKey(k) => ApiError::BadRequest(format!("invalid file key: {k}")),
            S::BadSignature | S::Expired => {
                ApiError::Forbidden("the link is invalid or has expired".into())
            }
            other => ApiError::Unavailable(format!("storage: {other}")),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::InvalidCredentials | Self::RefreshTokenReused | Self::BadSignature(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Auth(e) => e.status_code(),
            Self::WrongPassword | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::ImageTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::InvalidImage(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. }
            | Self::RateLimited { .. }
            | Self::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Oidc(e) => match e {
                crate::oidc::service::OidcError::Disabled => StatusCode::NOT_FOUND,
                crate::oidc::service::OidcError::Provider(_) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            },
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (code, detail, fields) = match self {
            Self::Validation(fields) => (
                ErrorCode::ValidationFailed,
                "some fields are invalid; see `errors`".to_owned(),
                fields.clone(),
            ),
            Self::BadRequest(d) => (ErrorCode::BadRequest, d.clone(), vec![]),
            Self::InvalidCredentials => (
                ErrorCode::InvalidCredentials,
                "login or password is wrong".to_owned(),
                vec![],
            ),
            Self::RefreshTokenReused => (
                ErrorCode::RefreshTokenReused,
                "this refresh token was already used; the session has been signed out everywhere"
                    .to_owned(),
                vec![],
            ),
            Self::Auth(e) => return e.error_response(),
            Self::WrongPassword => (
                ErrorCode::InvalidCredentials,
                "the current password is wrong".to_owned(),
                vec![],
            ),
            Self::Forbidden(d) => (ErrorCode::Forbidden, d.clone(), vec![]),
            Self::BadSignature(d) => (ErrorCode::Unauthorized, d.clone(), vec![]),
            Self::ImageTooLarge(d) => (ErrorCode::ImageTooLarge, d.clone(), vec![]),
            Self::UnsupportedMedia(d) => (ErrorCode::UnsupportedMediaType, d.clone(), vec![]),
            Self::InvalidImage(d) => (ErrorCode::InvalidImage, d.clone(), vec![]),
            Self::NotFound(what) => (ErrorCode::NotFound, format!("{what} not found"), vec![]),
            Self::Conflict { code, detail } => (*code, detail.clone(), vec![]),
            Self::TooManyAttempts { retry_after_secs } => {
                let mut resp = moji_telemetry::problem(
                    status,
                    ErrorCode::TooManyAttempts,
                    format!("too many failed attempts; try again in {retry_after_secs} s"),
                );
                if let Ok(v) = retry_after_secs.to_string().parse() {
                    resp.headers_mut()
                        .insert(actix_web::http::header::RETRY_AFTER, v);
                }
                return resp;
            }
            Self::RateLimited {
                detail,
                retry_after_secs,
            } => {
                let mut resp =
                    moji_telemetry::problem(status, ErrorCode::RateLimited, detail.clone());
                if let Some(v) = retry_after_secs.and_then(|s| s.to_string().parse().ok()) {
                    resp.headers_mut()
                        .insert(actix_web::http::header::RETRY_AFTER, v);
                }
                return resp;
            }
            Self::QuotaExceeded { limit, reset_secs } => {
                let mut resp = moji_telemetry::problem(
                    status,
                    ErrorCode::QuotaExceeded,
                    format!("you have used all {limit} of today's requests; the quota renews in {reset_secs} s"),
                );
                let headers = resp.headers_mut();
                for (name, value) in [
                    ("retry-after", reset_secs.to_string()),
                    ("ratelimit-limit", limit.to_string()),
                    ("ratelimit-remaining", "0".to_owned()),
                    ("ratelimit-reset", reset_secs.to_string()),
                ] {
                    if let Ok(value) = value.parse() {
                        headers.insert(
                            actix_web::http::header::HeaderName::from_static(name),
                            value,
                        );
                    }
                }
                return resp;
            }
            Self::Unavailable(cause) => {
                tracing::error!(%cause, "dependency unavailable");
                (
                    ErrorCode::ServiceUnavailable,
                    "a backing service is unavailable; try again shortly".to_owned(),
                    vec![],
                )
            }
            Self::Oidc(e) => {
                tracing::warn!(error = %e, "sign-in with the provider failed");
                let code = match e {
                    crate::oidc::service::OidcError::Disabled => ErrorCode::NotFound,
                    crate::oidc::service::OidcError::Provider(_) => ErrorCode::ServiceUnavailable,
                    _ => ErrorCode::Unauthorized,
                };
                (code, e.to_string(), vec![])
            }
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (ErrorCode::Internal, "internal error".to_owned(), vec![])
            }
        };
        problem_with_fields(status, code, detail, fields)
    }
}

/// Result alias for handlers and domain functions.
pub type ApiResult<T> = Result<T, ApiError>;

/// `Ok` when no field errors were collected, else a 422 listing them all.
pub fn validated(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Maps a database "not found" to a 404 naming `what`; other errors as usual.
pub fn not_found(what: &'static str) -> impl Fn(moji_db::DbError) -> ApiError {
    move |e| match e {
        moji_db::DbError::NotFound => ApiError::NotFound(what),
        other => other.into(),
    }
}
