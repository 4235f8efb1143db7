//! HTTP helpers for driving an actix service in-process (`actix_web::test::init_service`):
//! request building, bearer tokens, JSON and multipart bodies, a [`Reply`] reduced to what
//! tests look at, the one problem shape (RFC 9457) every Moji service answers errors with, and
//! accounts made through the public API (`/api/v1/users`, `/api/v1/auth/login`).
//!
//! Nothing here knows a service's state or crate: a service's tests build their app and pass
//! it in, so any service (api, chat, recommend, …) can use these.

use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::header::HeaderMap,
    test, Error,
};
use serde_json::{json, Value};

pub use actix_web::test::TestRequest;

/// An in-process app as `actix_web::test::init_service` returns it; any such service is one.
pub trait TestApp:
    Service<actix_http::Request, Response = ServiceResponse<<Self as TestApp>::Body>, Error = Error>
{
    /// The response body type.
    type Body: MessageBody;
}

impl<S, B> TestApp for S
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Body = B;
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Parsed JSON body (Null when empty or not JSON).
    pub body: Value,
    /// Content type.
    pub content_type: String,
    /// Retry-After header, if any.
    pub retry_after: Option<String>,
    /// Raw body text.
    pub text: String,
    /// Every response header.
    pub headers: HeaderMap,
}

impl Reply {
    /// The problem `code`, if the body is a problem.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// `errors[0].field` of a problem ("" when there is none).
    pub fn field(&self) -> &str {
        self.body["errors"][0]["field"].as_str().unwrap_or("")
    }

    /// Every `errors[].field` of a problem, sorted.
    pub fn fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        fields.sort();
        fields
    }

    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request to an in-process app and collects the reply (the body is read to the end).
pub async fn send<A: TestApp>(app: &A, req: TestRequest) -> Reply {
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after");
    let bytes = test::read_body(resp).await;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        body,
        content_type,
        retry_after,
        text,
        headers,
    }
}

/// Adds a bearer token.
pub fn bearer(req: TestRequest, token: &str) -> TestRequest {
    req.insert_header(("authorization", format!("Bearer {token}")))
}

/// Adds a bearer token when there is one.
pub fn maybe_bearer(req: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => bearer(req, t),
        None => req,
    }
}

/// GET `path`.
pub fn get(path: &str) -> TestRequest {
    TestRequest::get().uri(path)
}

/// GET with an optional bearer token.
pub fn get_as(path: &str, token: Option<&str>) -> TestRequest {
    maybe_bearer(get(path), token)
}

/// DELETE with an optional bearer token.
pub fn delete_as(path: &str, token: Option<&str>) -> TestRequest {
    maybe_bearer(TestRequest::delete().uri(path), token)
}

/// POST a JSON body.
pub fn post_json(path: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(path).set_json(body)
}

/// PUT a JSON body.
pub fn put_json(path: &str, body: Value) -> TestRequest {
    TestRequest::put().uri(path).set_json(body)
}

/// PATCH a JSON body.
pub fn patch_json(path: &str, body: Value) -> TestRequest {
    TestRequest::patch().uri(path).set_json(body)
}

/// A multipart/form-data body under construction: text fields and files, in order.
#[derive(Debug, Clone, Default)]
pub struct Multipart {
    body: Vec<u8>,
}

impl Multipart {
    const BOUNDARY: &'static str = "mojitestboundary7MA4YWxkTrZu0gW";

    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n",
                Self::BOUNDARY
            )
            .as_bytes(),
        );
        self
    }

    /// Adds a file field.
    pub fn file(mut self, name: &str, filename: &str, content_type: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n",
                Self::BOUNDARY
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// The content type (with the boundary) and the finished body.
    pub fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", Self::BOUNDARY).as_bytes());
        (
            format!("multipart/form-data; boundary={}", Self::BOUNDARY),
            self.body,
        )
    }

    /// Puts the finished form on `req` as its body.
    pub fn attach(self, req: TestRequest) -> TestRequest {
        let (content_type, body) = self.finish();
        req.insert_header(("content-type", content_type))
            .set_payload(body)
    }
}

/// POST a multipart form.
pub fn post_multipart(path: &str, form: Multipart) -> TestRequest {
    form.attach(TestRequest::post().uri(path))
}

/// Asserts the one problem shape: status, `application/problem+json`, the `code`, and the
/// members every problem has.
#[track_caller]
pub fn assert_problem(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "unexpected status; body: {}", r.text);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "content type {:?} for {}",
        r.content_type,
        r.text
    );
    assert_eq!(r.code(), code, "body: {}", r.text);
    assert_eq!(r.body["status"], status, "body: {}", r.text);
    for key in ["type", "title", "detail", "request_id"] {
        assert!(r.body.get(key).is_some(), "problem lacks {key}: {}", r.text);
    }
}

/// Asserts a problem whose `errors[0].field` is `field`.
#[track_caller]
pub fn assert_field_problem(r: &Reply, status: u16, code: &str, field: &str) {
    assert_problem(r, status, code);
    assert_eq!(r.field(), field, "errors[0].field; body: {}", r.text);
}

/// The path and query of an absolute link (e.g. a signed file URL), to fetch it through the
/// in-process app.
pub fn local_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/')
        .map_or("/".to_owned(), |i| rest[i..].to_owned())
}

// --- Accounts through the public API ---------------------------------------------------------

/// The password [`sign_up`] gives every account.
pub const PASSWORD: &str = "correct horse battery";

/// Signs up `username` (e-mail `<username>@example.com`, [`PASSWORD`]) through
/// `POST /api/v1/users`; panics unless it is a 201. Returns the token response.
pub async fn sign_up<A: TestApp>(app: &A, username: &str) -> Value {
    let r = send(
        app,
        post_json(
            "/api/v1/users",
            json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": PASSWORD,
            }),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "sign-up of {username} failed: {}", r.text);
    r.body
}

/// Logs in through `POST /api/v1/auth/login` and returns the reply as it is.
pub async fn login<A: TestApp>(app: &A, login: &str, password: &str) -> Reply {
    send(
        app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": login, "password": password}),
        ),
    )
    .await
}

/// A signed-up account: id, handle and access token.
#[derive(Debug, Clone)]
pub struct Someone {
    /// Account id.
    pub id: uuid::Uuid,
    /// Handle (lower case).
    pub username: String,
    /// Access token.
    pub token: String,
}

impl Someone {
    /// Reads an account from a token response (`{user, access_token, …}`).
    pub fn from_tokens(body: &Value) -> Self {
        let id = body["user"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no user id in {body}"));
        Self {
            id,
            username: body["user"]["username"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            token: body["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("no access token in {body}"))
                .to_owned(),
        }
    }
}

/// Signs up `username` (see [`sign_up`]) and returns its id and access token.
pub async fn someone<A: TestApp>(app: &A, username: &str) -> Someone {
    Someone::from_tokens(&sign_up(app, username).await)
}

#[cfg(test)]
mod tests {
    use super::{json, local_path, HeaderMap, Multipart, Reply};

    #[test]
    fn local_path_keeps_path_and_query() {
        assert_eq!(
            local_path("http://localhost:8080/api/v1/files/a.png?sig=x"),
            "/api/v1/files/a.png?sig=x"
        );
        assert_eq!(local_path("/already/local"), "/already/local");
        assert_eq!(local_path("https://host"), "/");
    }

    #[test]
    fn multipart_frames_fields_and_files() {
        let (ct, body) = Multipart::new()
            .text("kind", "emoji")
            .file("image", "photo", "image/png", b"PNG")
            .finish();
        assert_eq!(
            ct,
            format!("multipart/form-data; boundary={}", Multipart::BOUNDARY)
        );
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("name=\"kind\"\r\n\r\nemoji\r\n"), "{text}");
        assert!(
            text.contains("filename=\"photo\"\r\nContent-Type: image/png\r\n\r\nPNG\r\n"),
            "{text}"
        );
        assert!(text.ends_with(&format!("--{}--\r\n", Multipart::BOUNDARY)));
    }

    #[test]
    fn reply_reads_problem_fields() {
        let r = Reply {
            status: 422,
            body: json!({"code": "validation_failed", "errors": [{"field": "to"}, {"field": "from"}]}),
            content_type: "application/problem+json".into(),
            retry_after: None,
            text: String::new(),
            headers: HeaderMap::new(),
        };
        assert_eq!(r.code(), "validation_failed");
        assert_eq!(r.field(), "to");
        assert_eq!(r.fields(), ["from", "to"]);
    }
}
