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
) -> TestApi<
    impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = Error>,
> {
    let mut env = TestEnv::new();
    // These tests publish but never consume, so they share one declared topology instead of
    // each creating quorum queues of its own (declaring existing queues is cheap; creating
    // dozens at once is what slows a 2-core broker). Consuming tests keep private names.
    env.settings.amqp.prefix = "tshared-api.".into();
    tweak(&mut env.settings);
    let state = AppState::connect(env.settings.clone())
        .await
        .expect("connect dependencies");
    let app = test::init_service(moji_api::app(state.clone())).await;
    TestApi { app, state, env }
}

/// Builds an isolated api with test settings.
pub async fn spawn() -> TestApi<
    impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = Error>,
> {
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

// --- Gallery helpers: seeded face results with real images -----------------------------------

/// A 2×2 PNG (what a composed emoji image is).
pub const TINY_PNG_HEX: &str = "\
    89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001949444154780101\
    0e00f1ff00ffcc00ffcc0000ffcc00ffcc00363e072d52071e9b0000000049454e44ae426082";
/// A 2×2 JPEG (what a thumbnail is).
pub const TINY_JPEG_HEX: &str = "\
    ffd8ffe000104a46494600010200000100010000ffc00011080002000203011100021101031101ffdb004300\
    080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c\
    2837292c30313434341f27393d38323c2e333432ffdb0043010909090c0b0c180d0d1832211c213232323232\
    3232323232323232323232323232323232323232323232323232323232323232323232323232323232323232\
    32ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303\
    020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024\
    33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566\
    6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7\
    b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc400\
    1f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407\
    05040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a\
    162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869\
    6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9\
    bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100\
    02110311003f00f44afc70fa53ffd9";

/// Decodes one of the hex constants above.
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// A signed-up user: id and access token.
#[derive(Debug, Clone)]
pub struct Someone {
    /// Account id.
    pub id: uuid::Uuid,
    /// Access token.
    pub token: String,
}

/// Signs up `username` and returns its id and access token.
pub async fn someone<S, B>(app: &S, username: &str) -> Someone
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let body = sign_up(app, username).await;
    Someone {
        id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
        token: body["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Makes `username` an admin (through the `create-admin` path) and logs it in.
pub async fn admin<S, B>(app: &S, state: &AppState, username: &str) -> Someone
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let password = "admin password 123";
    let user = moji_api::accounts::create_admin(
        state,
        username,
        Some(&format!("{username}@example.com")),
        Some(password.to_owned()),
    )
    .await
    .unwrap();
    let r = send(
        app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": username, "password": password}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "admin login: {}", r.text);
    assert_eq!(r.body["user"]["role"], "admin");
    Someone {
        id: user.id,
        token: r.body["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Inserts a queued face task of `kind` for `user`.
pub async fn queued_task(state: &AppState, user: uuid::Uuid, kind: &str) -> uuid::Uuid {
    let id = moji_common::new_id();
    let new = moji_db::models::NewFaceTask {
        id,
        user_id: user,
        kind: kind.to_owned(),
        template: (kind == "emoji").then(|| "classic".to_owned()),
        image_key: format!("uploads/{user}/{id}.jpg"),
        idempotency_key: None,
    };
    state
        .db
        .run(move |c| moji_db::face_tasks::insert_or_existing(c, &new))
        .await
        .unwrap();
    id
}

/// Inserts an emoji task and persists its result with one face per `(expression, confidence)`,
/// as persisted at `at`; stores real images under the result's keys.
pub async fn emoji_result(
    state: &AppState,
    user: uuid::Uuid,
    template: &str,
    faces: &[(&str, f32)],
    at: chrono::DateTime<chrono::Utc>,
) -> uuid::Uuid {
    use moji_common::results::{EmojiFace, EmojiResult, ResultBox};
    let id = queued_task(state, user, "emoji").await;
    let image_key = format!("results/{id}/emoji.png");
    let thumbnail_key = format!("results/{id}/thumb.jpg");
    state
        .storage
        .put(&image_key, unhex(TINY_PNG_HEX).into(), "image/png")
        .await
        .unwrap();
    state
        .storage
        .put(&thumbnail_key, unhex(TINY_JPEG_HEX).into(), "image/jpeg")
        .await
        .unwrap();
    let result = EmojiResult {
        template: template.to_owned(),
        faces: faces
            .iter()
            .enumerate()
            .map(|(i, (expression, confidence))| EmojiFace {
                bbox: ResultBox {
                    x: 40 * i as u32,
                    y: 10,
                    width: 32,
                    height: 32,
                },
                expression: (*expression).to_owned(),
                confidence: *confidence,
                scores: [((*expression).to_owned(), *confidence)]
                    .into_iter()
                    .collect(),
            })
            .collect(),
        image_key,
        thumbnail_key,
        width: 640,
        height: 480,
    };
    let rows: Vec<moji_db::models::FaceResultRow> = result
        .faces
        .iter()
        .enumerate()
        .map(|(i, f)| moji_db::models::FaceResultRow {
            task_id: id,
            face_index: i as i32,
            user_id: user,
            kind: "emoji".into(),
            template: Some(template.to_owned()),
            expression: f.expression.clone(),
            confidence: f.confidence,
            animal: None,
            created_at: at,
        })
        .collect();
    let json = serde_json::to_value(&result).unwrap();
    let stored = state
        .db
        .run(move |c| moji_db::face_tasks::persist_success(c, id, &json, &rows))
        .await
        .unwrap();
    assert!(stored);
    id
}

/// Inserts a zodiac task and persists its result (`animal`, face `expression`) at `at`.
pub async fn zodiac_result(
    state: &AppState,
    user: uuid::Uuid,
    animal: &str,
    expression: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> uuid::Uuid {
    use moji_common::results::{Localized, ResultBox, ZodiacReason, ZodiacResult};
    let id = queued_task(state, user, "zodiac").await;
    let result = ZodiacResult {
        animal: animal.to_owned(),
        animal_name: Localized {
            ko: "동물".into(),
            en: animal.to_owned(),
        },
        scores: [(animal.to_owned(), 0.4_f32), ("rat".to_owned(), 0.1)]
            .into_iter()
            .collect(),
        reasons: vec![ZodiacReason {
            feature: "expression".into(),
            text: Localized {
                ko: "표정".into(),
                en: "expression".into(),
            },
        }],
        fortune: Localized {
            ko: "좋은 하루".into(),
            en: "A good day".into(),
        },
        bbox: ResultBox {
            x: 10,
            y: 10,
            width: 64,
            height: 64,
        },
        expression: expression.to_owned(),
        confidence: 0.8,
        image_key: format!("uploads/{user}/{id}.jpg"),
    };
    let rows = vec![moji_db::models::FaceResultRow {
        task_id: id,
        face_index: 0,
        user_id: user,
        kind: "zodiac".into(),
        template: None,
        expression: expression.to_owned(),
        confidence: 0.8,
        animal: Some(animal.to_owned()),
        created_at: at,
    }];
    let json = serde_json::to_value(&result).unwrap();
    let stored = state
        .db
        .run(move |c| moji_db::face_tasks::persist_success(c, id, &json, &rows))
        .await
        .unwrap();
    assert!(stored);
    id
}

/// GET with an optional bearer token.
pub fn get_as(path: &str, token: Option<&str>) -> test::TestRequest {
    let req = test::TestRequest::get().uri(path);
    match token {
        Some(t) => bearer(req, t),
        None => req,
    }
}

/// The path and query of an absolute signed link, to fetch it through the in-process app.
pub fn local_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/')
        .map_or("/".to_owned(), |i| rest[i..].to_owned())
}
