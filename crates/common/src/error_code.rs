//! Stable, machine-readable error codes shared by HTTP problem bodies, WebSocket error frames
//! and failed task records.

use serde::{Deserialize, Serialize};

/// A stable snake_case error code. Clients switch on this, never on the human `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or query failed validation; see `errors` for the fields.
    ValidationFailed,
    /// The body was not well-formed JSON or did not match the expected shape.
    MalformedJson,
    /// A query string or path parameter could not be parsed.
    BadRequest,
    /// The request's content type is not one this endpoint accepts.
    UnsupportedMediaType,
    /// The request body is larger than this endpoint allows.
    PayloadTooLarge,
    /// An uploaded image exceeds the byte or pixel limit.
    ImageTooLarge,
    /// No such route.
    RouteNotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The addressed resource does not exist.
    NotFound,
    /// No or unusable credentials were presented.
    Unauthorized,
    /// Login or password did not match.
    InvalidCredentials,
    /// The token is malformed, has a bad signature, or was revoked.
    InvalidToken,
    /// The token's lifetime is over.
    TokenExpired,
    /// The account is suspended (until the problem's `until`) or banned (no `until`).
    AccountSuspended,
    /// A refresh token that was already rotated out was presented again; its family is revoked.
    RefreshTokenReused,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The username is already in use.
    UsernameTaken,
    /// The e-mail address is already in use.
    EmailTaken,
    /// The display name is already in use (compared regardless of case).
    DisplayNameTaken,
    /// The request conflicts with the resource's current state.
    Conflict,
    /// Too many failed attempts; retry after the `Retry-After` delay.
    TooManyAttempts,
    /// Too many requests in the current window.
    RateLimited,
    /// A dependency (database, cache, broker) is unreachable.
    ServiceUnavailable,
    /// Something went wrong on our side; the cause is in the log under the request id.
    Internal,
    /// The uploaded file is not a decodable image.
    InvalidImage,
    /// No face was found in the photo.
    NoFaceDetected,
    /// The task was cancelled before it finished.
    Cancelled,
    /// A WebSocket frame that is not JSON or not a known frame of this protocol version.
    BadFrame,
    /// The daily quota is used up; it renews at the next product day (`Retry-After`).
    QuotaExceeded,
    /// No course fits the request (too few places open for those filters).
    NoCourseFound,
}

impl ErrorCode {
    /// The snake_case wire name, as serialised.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ValidationFailed => "validation_failed",
            MalformedJson => "malformed_json",
            BadRequest => "bad_request",
            UnsupportedMediaType => "unsupported_media_type",
            PayloadTooLarge => "payload_too_large",
            ImageTooLarge => "image_too_large",
            RouteNotFound => "route_not_found",
            MethodNotAllowed => "method_not_allowed",
            NotFound => "not_found",
            Unauthorized => "unauthorized",
            InvalidCredentials => "invalid_credentials",
            InvalidToken => "invalid_token",
            TokenExpired => "token_expired",
            AccountSuspended => "account_suspended",
            RefreshTokenReused => "refresh_token_reused",
            Forbidden => "forbidden",
            UsernameTaken => "username_taken",
            EmailTaken => "email_taken",
            DisplayNameTaken => "display_name_taken",
            Conflict => "conflict",
            TooManyAttempts => "too_many_attempts",
            RateLimited => "rate_limited",
            ServiceUnavailable => "service_unavailable",
            Internal => "internal",
            InvalidImage => "invalid_image",
            NoFaceDetected => "no_face_detected",
            Cancelled => "cancelled",
            BadFrame => "bad_frame",
            QuotaExceeded => "quota_exceeded",
            NoCourseFound => "no_course_found",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde_name() {
        for code in [
            ErrorCode::ValidationFailed,
            ErrorCode::DisplayNameTaken,
            ErrorCode::RefreshTokenReused,
            ErrorCode::AccountSuspended,
            ErrorCode::TooManyAttempts,
            ErrorCode::NoFaceDetected,
            ErrorCode::Internal,
            ErrorCode::BadFrame,
            ErrorCode::QuotaExceeded,
            ErrorCode::NoCourseFound,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
