//! The single error shape of every Moji HTTP response: RFC 9457 problem details with a stable
//! `code` and the request id. Also the actix extractor-error handlers and the 404/405
//! fallbacks that turn actix's own errors into this shape.

use actix_web::{
    body::{BoxBody, EitherBody},
    dev::ServiceResponse,
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::{header, StatusCode},
    middleware::ErrorHandlerResponse,
    web, HttpRequest, HttpResponse,
};
use moji_common::ErrorCode;
use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Field name as sent by the client.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details, as sent with `application/problem+json`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI naming the problem type (`about:blank` or a docs anchor of the code).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the status.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Human-readable explanation for this occurrence.
    pub detail: String,
    /// Stable snake_case error code.
    #[schema(value_type = String, example = "validation_failed")]
    pub code: ErrorCode,
    /// Invalid fields (validation errors only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Id of the request, also in the `x-request-id` header and the logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// When the condition ends (RFC 3339), e.g. a suspension's last moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// Builds a problem response with no field errors.
pub fn problem(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> HttpResponse {
    problem_with_fields(status, code, detail, Vec::new())
}

/// Builds a problem response listing invalid fields.
pub fn problem_with_fields(
    status: StatusCode,
    code: ErrorCode,
    detail: impl Into<String>,
    errors: Vec<FieldError>,
) -> HttpResponse {
    respond(body(status, code, detail.into(), errors))
}

/// Builds a problem response for a condition that ends at `until` (RFC 3339), if it ends.
pub fn problem_until(
    status: StatusCode,
    code: ErrorCode,
    detail: impl Into<String>,
    until: Option<String>,
) -> HttpResponse {
    let mut problem = body(status, code, detail.into(), Vec::new());
    problem.until = until;
    respond(problem)
}

fn body(status: StatusCode, code: ErrorCode, detail: String, errors: Vec<FieldError>) -> Problem {
    Problem {
        problem_type: format!("https://moji.dev/problems/{}", code.as_str()),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        code,
        errors,
        request_id: crate::current_request_id(),
        until: None,
    }
}

fn respond(body: Problem) -> HttpResponse {
    let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let json = serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"));
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .body(json)
}

fn json_error(err: JsonPayloadError) -> HttpResponse {
    match &err {
        JsonPayloadError::OverflowKnownLength { length, limit } => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("body of {length} bytes exceeds the limit of {limit} bytes"),
        ),
        JsonPayloadError::Overflow { limit } => problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("body exceeds the limit of {limit} bytes"),
        ),
        JsonPayloadError::ContentType => problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "expected Content-Type: application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            format!("request body does not match the expected shape: {e}"),
        ),
        other => problem(
            StatusCode::BAD_REQUEST,
            ErrorCode::MalformedJson,
            format!("request body is not valid JSON: {other}"),
        ),
    }
}

/// JSON extractor settings: body limit and problem-shaped errors.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            let resp = json_error(err);
            actix_web::error::InternalError::from_response("json", resp).into()
        })
}

/// Query-string extractor settings with problem-shaped errors.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        let resp = problem(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("invalid query string: {err}"),
        );
        actix_web::error::InternalError::from_response("query", resp).into()
    })
}

/// Path extractor settings with problem-shaped errors.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        let resp = problem(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("invalid path parameter: {err}"),
        );
        actix_web::error::InternalError::from_response("path", resp).into()
    })
}

/// Fallback service: 405 when the path names a resource but not with this method, 404 when
/// no route matches at all. (Resources inherit the app's default service, so both land here.)
pub async fn route_not_found(req: HttpRequest) -> HttpResponse {
    if let Some(pattern) = req.match_pattern() {
        return problem(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            format!("{} is not allowed on {pattern}", req.method()),
        );
    }
    problem(
        StatusCode::NOT_FOUND,
        ErrorCode::RouteNotFound,
        format!("no route for {} {}", req.method(), req.path()),
    )
}

/// `ErrorHandlers` hook: replaces actix's own non-JSON error responses (empty 405s, plain-text
/// errors) with a problem body, so clients see one error shape everywhere. JSON bodies (our
/// problems, `/readyz` reports) pass through untouched.
pub fn fill_empty_error<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/problem+json") || v.starts_with("application/json")
        });
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            format!(
                "{} is not allowed on {}",
                res.request().method(),
                res.request().path()
            ),
        ),
        StatusCode::NOT_FOUND => (ErrorCode::RouteNotFound, "not found".to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::PayloadTooLarge,
            "request body too large".to_owned(),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorCode::UnsupportedMediaType,
            "unsupported content type".to_owned(),
        ),
        s if s.is_server_error() => (ErrorCode::Internal, "internal error".to_owned()),
        _ => (ErrorCode::BadRequest, "bad request".to_owned()),
    };
    let (req, _old) = res.into_parts();
    let new: HttpResponse<BoxBody> = problem(status, code, detail);
    let res: ServiceResponse<EitherBody<B>> = ServiceResponse::new(req, new).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}
