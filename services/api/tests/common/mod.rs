//! Shared set-up for the api's integration tests: an isolated environment (own database,
//! Redis prefix, AMQP names, storage dir) and the real app served in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    test, Error,
};
use moji_api::AppState;
use moji_testkit::TestEnv;
use serde_json::{json, Value};

/// One isolated api under test.
pub struct TestApi<S> {
    /// The in-process service.
    pub app: S,
    /// Its state (database, redis, broker).
    pub state: AppState,
    /// Keeps the database and directories alive.
    pub env: TestEnv,
}

/// Builds an isolated api; `tweak` may adjust settings first.
pub async fn spawn_with(
    tweak: impl FnOnce(&mut moji_config::Settings),
) -> TestApi<impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = Error>>
{
    let mut env = TestEnv::new();
    tweak(&mut env.settings);
    let state = AppState::connect(env.settings.clone()).await.expect("connect dependencies");
    let app = test::init_service(moji_api::app(state.clone())).await;
    TestApi { app, state, env }
}

/// Builds an isolated api with test settings.
pub async fn spawn() -> TestApi<impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = Error>>
{
    spawn_with(|_| {}).await
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
}

impl Reply {
    /// The problem `code`, if the body is a problem.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// Sends a request and collects the reply.
pub async fn send<S, B>(app: &S, req: test::TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let resp = test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let header = |name: &str| {
        resp.headers()
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
    }
}

/// POST JSON.
pub fn post_json(path: &str, body: Value) -> test::TestRequest {
    test::TestRequest::post().uri(path).set_json(body)
}

/// Adds a bearer token.
pub fn bearer(req: test::TestRequest, token: &str) -> test::TestRequest {
    req.insert_header(("authorization", format!("Bearer {token}")))
}

/// Signs up `username` with a standard password; returns the token response.
pub async fn sign_up<S, B>(app: &S, username: &str) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let r = send(
        app,
        post_json(
            "/api/v1/users",
            json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": "correct horse battery",
            }),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "sign-up failed: {}", r.text);
    r.body
}

/// Asserts the one problem shape.
pub fn assert_problem(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "unexpected status; body: {}", r.text);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "content type {:?} for {}",
        r.content_type,
        r.text
    );
    assert_eq!(r.code(), code, "body: {}", r.text);
    assert_eq!(r.body["status"], status);
    for key in ["type", "title", "detail", "request_id"] {
        assert!(r.body.get(key).is_some(), "problem lacks {key}: {}", r.text);
    }
}
