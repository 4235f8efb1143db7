//! The api's own test set-up: an isolated environment (own database, Redis prefix, AMQP
//! names, storage dir) with the real app served in-process, and results seeded the way the
//! api persists them. The generic HTTP helpers (requests, [`Reply`], problems, accounts) come
//! from `moji_testkit::http` and are re-exported here.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use actix_web::test;
use chrono::{DateTime, NaiveDate, Utc};
use moji_api::AppState;
use moji_common::{AnimalId, Expression, TaskKind, TemplateId};
use moji_config::ProductCalendar;
pub use moji_testkit::http::*;
use moji_testkit::TestEnv;
use serde_json::json;

/// One isolated api under test.
pub struct TestApi<S> {
    /// The in-process service.
    pub app: S,
    /// Its state (database, redis, broker).
    pub state: AppState,
    /// Keeps the database and directories alive.
    pub env: TestEnv,
}

impl<S> TestApi<S> {
    /// The product calendar the api counts days in.
    pub fn calendar(&self) -> ProductCalendar {
        self.state.settings.calendar()
    }
}

/// Builds an isolated api; `tweak` may adjust settings first.
pub async fn spawn_with(tweak: impl FnOnce(&mut moji_config::Settings)) -> TestApi<impl TestApp> {
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
pub async fn spawn() -> TestApi<impl TestApp> {
    spawn_with(|_| {}).await
}

/// Makes `username` an admin (through the `create-admin` path) and logs it in.
pub async fn admin<A: TestApp>(app: &A, state: &AppState, username: &str) -> Someone {
    let password = "admin password 123";
    let user = moji_api::accounts::create_admin(
        state,
        username,
        Some(&format!("{username}@example.com")),
        Some(password.to_owned()),
    )
    .await
    .unwrap();
    let r = login(app, username, password).await;
    assert_eq!(r.status, 200, "admin login: {}", r.text);
    assert_eq!(r.body["user"]["role"], "admin");
    Someone {
        id: user.id,
        username: username.to_owned(),
        token: r.body["access_token"].as_str().unwrap().to_owned(),
    }
}

// --- Seeded face results with real images ----------------------------------------------------

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

fn kind_of(kind: &str) -> TaskKind {
    kind.parse().unwrap_or_else(|e| panic!("task kind: {e}"))
}

fn template_of(template: &str) -> TemplateId {
    template.parse().unwrap_or_else(|e| panic!("template: {e}"))
}

fn expression_of(expression: &str) -> Expression {
    expression
        .parse()
        .unwrap_or_else(|e| panic!("expression: {e}"))
}

fn animal_of(animal: &str) -> AnimalId {
    AnimalId::parse(animal).unwrap_or_else(|| panic!("no animal {animal:?}"))
}

/// An instant on product day `day`: now for today, local noon otherwise.
pub fn on_day(calendar: &ProductCalendar, day: NaiveDate) -> DateTime<Utc> {
    if day == calendar.today() {
        Utc::now()
    } else {
        calendar.start_of(day) + chrono::Duration::hours(12)
    }
}

/// Inserts a queued face task of `kind` (`emoji` or `zodiac`) for `user`.
pub async fn queued_task(state: &AppState, user: uuid::Uuid, kind: &str) -> uuid::Uuid {
    let id = moji_common::new_id();
    let kind = kind_of(kind);
    let new = moji_db::models::NewFaceTask {
        id,
        user_id: user,
        kind,
        template: (kind == TaskKind::Emoji).then_some(TemplateId::Classic),
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

/// Marks an open task failed, as the `task.failed` consumer does.
pub async fn fail_task(state: &AppState, id: uuid::Uuid) {
    let failed = state
        .db
        .run(move |c| moji_db::face_tasks::persist_failure(c, id, "no_face_detected", "no face"))
        .await
        .unwrap();
    assert!(failed);
}

/// Inserts an emoji task and persists its result with one face per `(expression, confidence)`,
/// as persisted at `at` (on the product day `at` falls on); stores real images under the
/// result's keys.
pub async fn emoji_result(
    state: &AppState,
    user: uuid::Uuid,
    template: &str,
    faces: &[(&str, f32)],
    at: DateTime<Utc>,
) -> uuid::Uuid {
    use moji_common::results::{EmojiFace, EmojiResult, ResultBox};
    let template = template_of(template);
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
        template,
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
                expression: expression_of(expression),
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
    let day = state.settings.calendar().day_of(at);
    let rows: Vec<moji_db::models::FaceResultRow> = result
        .faces
        .iter()
        .enumerate()
        .map(|(i, f)| moji_db::models::FaceResultRow {
            task_id: id,
            face_index: i as i32,
            user_id: user,
            kind: TaskKind::Emoji,
            template: Some(template),
            expression: f.expression,
            confidence: f.confidence,
            animal: None,
            created_at: at,
            day,
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

/// The fortune every seeded zodiac result carries.
pub fn seeded_fortune() -> serde_json::Value {
    json!({"ko": "좋은 하루", "en": "A good day"})
}

/// The lucky item every seeded zodiac result carries (unless seeded without one).
pub fn seeded_lucky_item() -> serde_json::Value {
    json!({"ko": "네잎클로버", "en": "A four-leaf clover"})
}

/// Inserts a zodiac task and persists its result (`animal`, face `expression`, with a lucky
/// item) at `at`.
pub async fn zodiac_result(
    state: &AppState,
    user: uuid::Uuid,
    animal: &str,
    expression: &str,
    at: DateTime<Utc>,
) -> uuid::Uuid {
    zodiac_result_with(state, user, animal, expression, at, true).await
}

/// Like [`zodiac_result`]; `lucky` false stores a result from before lucky items existed.
pub async fn zodiac_result_with(
    state: &AppState,
    user: uuid::Uuid,
    animal: &str,
    expression: &str,
    at: DateTime<Utc>,
    lucky: bool,
) -> uuid::Uuid {
    use moji_common::results::{Localized, ResultBox, ZodiacReason, ZodiacResult};
    let animal = animal_of(animal);
    let expression = expression_of(expression);
    let id = queued_task(state, user, "zodiac").await;
    let name = moji_catalog::animal(animal).name;
    let result = ZodiacResult {
        animal,
        animal_name: Localized {
            ko: name.ko.to_owned(),
            en: name.en.to_owned(),
        },
        scores: [
            (animal.as_str().to_owned(), 0.4_f32),
            ("rat".to_owned(), 0.1),
        ]
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
        lucky_item: lucky.then(|| Localized {
            ko: "네잎클로버".into(),
            en: "A four-leaf clover".into(),
        }),
        bbox: ResultBox {
            x: 10,
            y: 10,
            width: 64,
            height: 64,
        },
        expression,
        confidence: 0.8,
        image_key: format!("uploads/{user}/{id}.jpg"),
    };
    let rows = vec![moji_db::models::FaceResultRow {
        task_id: id,
        face_index: 0,
        user_id: user,
        kind: TaskKind::Zodiac,
        template: None,
        expression,
        confidence: 0.8,
        animal: Some(animal),
        created_at: at,
        day: state.settings.calendar().day_of(at),
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

/// Awards `user`'s challenges as persisting a result does; returns the new ones, sorted.
pub async fn award(state: &AppState, user: uuid::Uuid) -> Vec<String> {
    let mut ids = state
        .db
        .run(move |c| moji_db::challenges::award(c, user))
        .await
        .unwrap();
    ids.sort();
    ids
}

/// Saves task `task` of `who` as an emoji with `visibility`; returns the emoji id.
pub async fn save_emoji<A: TestApp>(
    app: &A,
    who: &Someone,
    task: uuid::Uuid,
    visibility: &str,
) -> String {
    let r = send(
        app,
        bearer(
            post_json(
                "/api/v1/emojis",
                json!({"task_id": task, "visibility": visibility}),
            ),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Likes emoji `id` as `who`.
pub async fn like<A: TestApp>(app: &A, who: &Someone, id: &str) {
    let r = send(
        app,
        bearer(
            TestRequest::put().uri(&format!("/api/v1/emojis/{id}/like")),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The `items[].<key>` strings of a page.
pub fn item_strings(body: &serde_json::Value, key: &str) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {body}"))
        .iter()
        .map(|i| i[key].as_str().unwrap_or_default().to_owned())
        .collect()
}
