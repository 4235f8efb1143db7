//! End to end through real RabbitMQ, Redis, PostgreSQL and the real models: the api and the
//! inference worker run in this process, each test with its own database, key prefix and
//! queue names. Needs `scripts/models.sh` (models and test photos under .cache/models).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::{io::Cursor, time::Duration};

use actix_web::test;
use common::{models_dir, test_settings, CrashingWorker, RunningWorker};
use moji_api::AppState;
use moji_common::TaskStatus;
use moji_testkit::{
    http::{send, Multipart, Reply, TestApp},
    TestEnv,
};
use serde_json::Value;

fn astronaut_png() -> Vec<u8> {
    std::fs::read(models_dir().join("images/astronaut.png"))
        .expect("astronaut.png (scripts/models.sh)")
}

/// A 640x480 gradient: a valid photo with no face in it.
fn gradient_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG claiming 30000x30000 pixels (900 MP): IHDR, a tiny IDAT (an empty zlib stream),
/// IEND — a few dozen bytes that would decode into 2.7 GB.
fn huge_png_header() -> Vec<u8> {
    let mut png = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let mut idat = b"IDAT".to_vec();
    idat.extend_from_slice(&[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png.extend_from_slice(&8u32.to_be_bytes());
    png.extend_from_slice(&idat);
    png.extend_from_slice(&crc32(&idat).to_be_bytes());
    png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    png
}

fn truncated_jpeg() -> Vec<u8> {
    let img = image::load_from_memory(&astronaut_png()).unwrap().to_rgb8();
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let full = out.into_inner();
    full[..full.len() / 2].to_vec()
}

/// Waits until a worker has claimed task `id` and reported its first step.
async fn wait_running(state: &moji_api::AppState, id: uuid::Uuid) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rec = state.redis.get_task(id).await.unwrap().unwrap();
        if rec.status == TaskStatus::Running && rec.progress >= 10 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no worker started task {id}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sign_up<A: TestApp>(app: &A, name: &str) -> String {
    moji_testkit::http::someone(app, name).await.token
}

fn upload_req(
    token: &str,
    fields: &[(&str, &str)],
    image: Option<(&str, &[u8])>,
) -> test::TestRequest {
    let mut form = Multipart::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    if let Some((mime, bytes)) = image {
        form = form.file("image", "photo", mime, bytes);
    }
    moji_testkit::http::bearer(
        moji_testkit::http::post_multipart("/api/v1/faces/tasks", form),
        token,
    )
}

/// One refused upload: what it is, its form fields, its file (mime, bytes), and the expected
/// status and problem code.
struct Case<'a>(
    &'a str,
    &'a [(&'a str, &'a str)],
    Option<(&'a str, &'a [u8])>,
    u16,
    &'a str,
);

/// Uploads the astronaut photo as a task of `kind`.
async fn upload_astronaut<A: TestApp>(app: &A, token: &str, kind: &str) -> Reply {
    send(
        app,
        upload_req(
            token,
            &[("kind", kind)],
            Some(("image/png", &astronaut_png())),
        ),
    )
    .await
}

async fn wait_final<A: TestApp>(app: &A, token: &str, id: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = send(
            app,
            test::TestRequest::get()
                .uri(&format!("/api/v1/faces/tasks/{id}"))
                .insert_header(("authorization", format!("Bearer {token}"))),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let status = r.body["status"].as_str().unwrap_or_default().to_owned();
        if ["succeeded", "failed", "cancelled"].contains(&status.as_str()) {
            return r.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "task {id} stuck: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts that the task has exactly one persisted result row (no duplicate outcome landed).
async fn assert_one_result_row(state: &AppState, id: uuid::Uuid) {
    let rows = state
        .db
        .run(move |c| moji_db::face_tasks::result_rows(c, id))
        .await
        .unwrap();
    assert_eq!(rows, 1, "exactly one persisted result");
}

/// Waits until `queue` holds `n` messages (the outbox relay publishes after commit).
async fn wait_queue_len(state: &AppState, queue: &str, n: u32) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let len = state.broker.queue_len(queue).await.unwrap();
        if len >= n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{queue} holds {len} messages, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the durable row of the task is final (the api consumed the outcome).
async fn wait_persisted(state: &AppState, id: uuid::Uuid) -> moji_db::models::FaceTask {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let row = state
            .db
            .run(move |c| moji_db::face_tasks::by_id(c, id))
            .await
            .unwrap();
        if row.status.is_final() {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "task {id} never persisted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn astronaut_becomes_a_happy_emoji_and_is_persisted_once() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let token = sign_up(&app, "astro").await;

    let r = send(
        &app,
        upload_req(
            &token,
            &[("kind", "emoji"), ("template", "cat")],
            Some(("image/png", &astronaut_png())),
        ),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["status"], "queued");
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body["links"]["events"],
        format!("/api/v1/faces/tasks/{id}/events")
    );

    let done = wait_final(&app, &token, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let faces = done["result"]["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1, "{done}");
    assert_eq!(faces[0]["expression"], "happy");
    assert!(faces[0]["confidence"].as_f64().unwrap() >= 0.9, "{done}");
    assert!(faces[0]["scores"]["happy"].as_f64().unwrap() >= 0.9);
    assert_eq!(done["result"]["template"], "cat");

    // The result image exists and is served through its signed link.
    let key = done["result"]["image_key"].as_str().unwrap();
    let png = state.storage.get(key).await.unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let thumb = state
        .storage
        .get(done["result"]["thumbnail_key"].as_str().unwrap())
        .await
        .unwrap();
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!(t.width().max(t.height()), 256);
    let url = done["result"]["image_url"].as_str().unwrap();
    let path = url
        .split_once("/api/v1/files/")
        .map(|(_, p)| format!("/api/v1/files/{p}"))
        .unwrap();
    let r = send(&app, test::TestRequest::get().uri(&path)).await;
    assert_eq!(r.status, 200);

    let uuid: uuid::Uuid = id.parse().unwrap();
    let row = wait_persisted(&state, uuid).await;
    assert_eq!(row.status, TaskStatus::Succeeded);
    let rows = state
        .db
        .run(move |c| moji_db::face_tasks::result_rows(c, uuid))
        .await
        .unwrap();
    assert_eq!(rows, 1, "exactly one persisted face result");
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn zodiac_task_names_an_animal_with_reasons_and_fortune() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let token = sign_up(&app, "zodi").await;
    let r = upload_astronaut(&app, &token, "zodiac").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let done = wait_final(&app, &token, r.body["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let result = &done["result"];
    let animal = result["animal"].as_str().unwrap();
    assert!(result["scores"][animal].as_f64().unwrap() > 0.0);
    assert_eq!(result["scores"].as_object().unwrap().len(), 12);
    assert!(!result["reasons"].as_array().unwrap().is_empty());
    assert!(!result["fortune"]["ko"].as_str().unwrap().is_empty());
    assert!(!result["fortune"]["en"].as_str().unwrap().is_empty());
    assert!(
        !result["lucky_item"]["ko"].as_str().unwrap().is_empty(),
        "{result}"
    );
    // Same photo, same user, same day: the same verdict and fortune.
    let again = upload_astronaut(&app, &token, "zodiac").await;
    let done2 = wait_final(&app, &token, again.body["id"].as_str().unwrap()).await;
    assert_eq!(done2["result"]["animal"], result["animal"]);
    assert_eq!(done2["result"]["fortune"], result["fortune"]);
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn photo_without_a_face_fails_with_no_face_detected() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    // No progress write during the job: the failing step is still pending when it ends.
    settings.faces.progress_gap_ms = 60_000;
    let (app, state, _stop) = api!(settings);
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let token = sign_up(&app, "noface").await;
    let r = send(
        &app,
        upload_req(
            &token,
            &[("kind", "emoji")],
            Some(("image/png", &gradient_png())),
        ),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let done = wait_final(&app, &token, &id).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "no_face_detected");
    // The failure follows the step it happened in, although that step's progress write was
    // still waiting for the throttle.
    let record = state
        .redis
        .get_task(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.step.as_deref(), Some("detect"), "{record:?}");
    let row = wait_persisted(&state, id.parse().unwrap()).await;
    assert_eq!(row.error_code.as_deref(), Some("no_face_detected"));
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn hostile_uploads_are_refused_before_anything_is_queued() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let token = sign_up(&app, "hostile").await;
    let photo = astronaut_png();
    let big = vec![0xFFu8; settings.faces.max_image_bytes + 1];
    let (truncated, huge) = (truncated_jpeg(), huge_png_header());
    let cases: [Case; 8] = [
        Case(
            "truncated JPEG",
            &[("kind", "emoji")],
            Some(("image/jpeg", &truncated)),
            422,
            "invalid_image",
        ),
        Case(
            "30000x30000 PNG header",
            &[("kind", "emoji")],
            Some(("image/png", &huge)),
            413,
            "image_too_large",
        ),
        Case(
            "not an image",
            &[("kind", "emoji")],
            Some(("text/plain", b"hello, not an image")),
            415,
            "unsupported_media_type",
        ),
        Case(
            "over the byte limit",
            &[("kind", "emoji")],
            Some(("image/jpeg", &big)),
            413,
            "image_too_large",
        ),
        Case(
            "unknown kind",
            &[("kind", "portrait")],
            Some(("image/png", &photo)),
            422,
            "validation_failed",
        ),
        Case(
            "unknown template",
            &[("kind", "emoji"), ("template", "dragon")],
            Some(("image/png", &photo)),
            422,
            "validation_failed",
        ),
        Case(
            "no image",
            &[("kind", "emoji")],
            None,
            422,
            "validation_failed",
        ),
        Case(
            "zodiac with a template",
            &[("kind", "zodiac"), ("template", "cat")],
            Some(("image/png", &photo)),
            422,
            "validation_failed",
        ),
    ];
    for Case(what, fields, image, status, code) in cases {
        let r = send(&app, upload_req(&token, fields, image)).await;
        assert_eq!(r.status, status, "{what}: {}", r.text);
        assert_eq!(r.body["code"], code, "{what}");
    }
    let r = send(
        &app,
        upload_req(
            "not-a-token",
            &[("kind", "emoji")],
            Some(("image/png", &photo)),
        ),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);

    // Nothing reached the queue or storage.
    let queue = state.broker.topology().face_queue();
    assert_eq!(state.broker.queue_len(&queue).await.unwrap(), 0);
    assert!(state.storage.list("uploads").await.unwrap().is_empty());
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn events_stream_reports_queued_running_succeeded_in_order() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    settings.faces.step_delay_ms = 50;
    let (app, state, _stop) = api!(settings);
    let token = sign_up(&app, "streamer").await;
    let r = upload_astronaut(&app, &token, "emoji").await;
    let id = r.body["id"].as_str().unwrap().to_owned();

    // Subscribe while the task is still queued (no worker yet), then start the worker.
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!(
                "/api/v1/faces/tasks/{id}/events?access_token={token}"
            ))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let body = tokio::time::timeout(Duration::from_secs(60), test::read_body(resp))
        .await
        .expect("stream closes after the final event");
    let text = String::from_utf8(body.to_vec()).unwrap();
    let events: Vec<Value> = text
        .split("\n\n")
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let statuses: Vec<&str> = events
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.first(), Some(&"queued"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"succeeded"), "{statuses:?}");
    assert!(statuses.contains(&"running"), "{statuses:?}");
    let first_running = statuses.iter().position(|s| *s == "running").unwrap();
    assert!(
        statuses[first_running..statuses.len() - 1]
            .iter()
            .all(|s| *s == "running"),
        "{statuses:?}"
    );
    let progress: Vec<u64> = events
        .iter()
        .map(|e| e["progress"].as_u64().unwrap())
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {progress:?}"
    );
    let steps: Vec<&str> = events.iter().filter_map(|e| e["step"].as_str()).collect();
    for step in ["decode", "detect", "classify", "composite"] {
        assert!(steps.contains(&step), "step {step} reported: {steps:?}");
    }
    assert!(events.last().unwrap()["result"]["image_url"].is_string());

    // Subscribing after completion yields the final state at once, then closes.
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/api/v1/faces/tasks/{id}/events"))
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request(),
    )
    .await;
    let late = String::from_utf8(test::read_body(resp).await.to_vec()).unwrap();
    assert_eq!(late.matches("event: task").count(), 1, "{late}");
    assert!(late.contains("\"status\":\"succeeded\""));
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn cancel_idempotency_and_ownership() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let alice = sign_up(&app, "alice_c").await;
    let bob = sign_up(&app, "bob_c").await;
    let photo = astronaut_png();

    // Same key + same user = same task; another user with that key gets their own.
    let keyed = |tok: &str| {
        upload_req(tok, &[("kind", "emoji")], Some(("image/png", &photo)))
            .insert_header(("idempotency-key", "upload-42"))
    };
    let first = send(&app, keyed(&alice)).await;
    let second = send(&app, keyed(&alice)).await;
    assert_eq!(first.status, 202);
    assert_eq!(second.status, 202);
    assert_eq!(first.body["id"], second.body["id"]);
    let bobs = send(&app, keyed(&bob)).await;
    assert_ne!(bobs.body["id"], first.body["id"]);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let queue = state.broker.topology().face_queue();
    // The outbox relay publishes after commit: wait for both, then make sure no third comes.
    wait_queue_len(&state, &queue, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        state.broker.queue_len(&queue).await.unwrap(),
        2,
        "one message per task"
    );

    // Others see 403; unknown ids 404.
    let as_user = |tok: &str, req: test::TestRequest| {
        req.insert_header(("authorization", format!("Bearer {tok}")))
    };
    let r = send(
        &app,
        as_user(
            &bob,
            test::TestRequest::get().uri(&format!("/api/v1/faces/tasks/{id}")),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = send(
        &app,
        as_user(
            &bob,
            test::TestRequest::delete().uri(&format!("/api/v1/faces/tasks/{id}")),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = send(
        &app,
        as_user(
            &alice,
            test::TestRequest::get().uri(&format!("/api/v1/faces/tasks/{}", uuid::Uuid::now_v7())),
        ),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);

    // Cancel while queued; a second cancel conflicts.
    let r = send(
        &app,
        as_user(
            &alice,
            test::TestRequest::delete().uri(&format!("/api/v1/faces/tasks/{id}")),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    let r = send(
        &app,
        as_user(
            &alice,
            test::TestRequest::delete().uri(&format!("/api/v1/faces/tasks/{id}")),
        ),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // The worker skips the cancelled task and still does Bob's.
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let bob_done = wait_final(&app, &bob, bobs.body["id"].as_str().unwrap()).await;
    assert_eq!(bob_done["status"], "succeeded");
    let done = wait_final(&app, &alice, &id).await;
    assert_eq!(done["status"], "cancelled");
    assert!(done.get("result").is_none() || done["result"].is_null());
    // Cancelling a finished task conflicts too.
    let r = send(
        &app,
        as_user(
            &bob,
            test::TestRequest::delete().uri(&format!(
                "/api/v1/faces/tasks/{}",
                bobs.body["id"].as_str().unwrap()
            )),
        ),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text);
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn cancelling_a_running_task_stops_it_between_steps() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    // Slow steps so the cancel lands while the vision thread is mid-pipeline.
    settings.faces.step_delay_ms = 300;
    let (app, state, _stop) = api!(settings);
    let token = sign_up(&app, "canceller").await;
    let r = upload_astronaut(&app, &token, "emoji").await;
    let id: uuid::Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    wait_running(&state, id).await;
    let r = send(
        &app,
        test::TestRequest::delete()
            .uri(&format!("/api/v1/faces/tasks/{id}"))
            .insert_header(("authorization", format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");

    // The remaining steps (≥ 3 × 300 ms) are skipped: the message is settled, nothing stored.
    let queue = state.broker.topology().face_queue();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while moji_inference::metrics::IN_FLIGHT.get() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the cancelled task kept running"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state.broker.queue_len(&queue).await.unwrap(), 0);
    let rec = state.redis.get_task(id).await.unwrap().unwrap();
    assert_eq!(rec.status, TaskStatus::Cancelled);
    assert!(
        rec.progress < 85,
        "stopped before encoding: {}",
        rec.progress
    );
    let results = state.storage.list(&format!("results/{id}")).await.unwrap();
    assert!(results.is_empty(), "nothing stored: {results:?}");
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

/// Issue 19's reproduction: Redis stalls writes (`CLIENT PAUSE 4000 WRITE`, on a Redis of
/// this test's own) while a photo is uploaded with an Idempotency-Key. The upload used to answer
/// 503 after 2 s and leave a row that was never queued, and the retry with the same key got 202
/// for that dead task. Now the row and its message commit together: the upload is accepted, its
/// retry is the same task, and a worker runs it to the end, once.
#[actix_web::test]
async fn an_upload_while_redis_stalls_writes_is_queued_once_and_runs() {
    let redis = moji_testkit::PrivateRedis::start();
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    settings.redis.url = redis.url();
    let (app, state, _stop) = api!(settings);
    let token = sign_up(&app, "stalled").await;
    let photo = astronaut_png();
    let keyed = || {
        upload_req(&token, &[("kind", "emoji")], Some(("image/png", &photo)))
            .insert_header(("idempotency-key", "during-a-pause"))
    };

    let pause = Duration::from_secs(4);
    let paused_at = std::time::Instant::now();
    redis.pause_writes(pause);
    let first = send(&app, keyed()).await;
    assert_eq!(first.status, 202, "{}", first.text);
    assert_eq!(first.body["status"], "queued", "{}", first.text);
    let id: uuid::Uuid = first.body["id"].as_str().unwrap().parse().unwrap();
    let queue = state.broker.topology().face_queue();
    wait_queue_len(&state, &queue, 1).await;

    // After the pause the client retries, as it would after a timeout: the same task.
    tokio::time::sleep(pause.saturating_sub(paused_at.elapsed()) + Duration::from_millis(200))
        .await;
    let again = send(&app, keyed()).await;
    assert_eq!(again.status, 202, "{}", again.text);
    assert_eq!(again.body["id"], first.body["id"]);

    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let done = wait_final(&app, &token, &id.to_string()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let row = wait_persisted(&state, id).await;
    assert_eq!(row.status, TaskStatus::Succeeded);
    assert_one_result_row(&state, id).await;
    assert_eq!(state.broker.queue_len(&queue).await.unwrap(), 0);
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

/// Storage that keeps failing (here `results` is a file, so no result can be written under it):
/// the worker retries with a growing wait, and on the last delivery the broker allows it fails
/// the task and says so, instead of letting the message go to the dead-letter queue unseen and
/// the task stay `queued` forever (what the fault campaign's read-only storage found).
#[actix_web::test]
async fn a_task_that_keeps_failing_transiently_fails_on_its_last_delivery() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    settings.amqp.delivery_limit = 2;
    let (app, state, _stop) = api!(settings);
    let token = sign_up(&app, "unlucky").await;
    std::fs::write(
        settings.storage.local_root.join("results"),
        b"not a directory",
    )
    .unwrap();
    let r = upload_astronaut(&app, &token, "emoji").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id: uuid::Uuid = r.body["id"].as_str().unwrap().parse().unwrap();

    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let done = wait_final(&app, &token, &id.to_string()).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["code"], "service_unavailable", "{done}");
    let row = wait_persisted(&state, id).await;
    assert_eq!(row.status, TaskStatus::Failed);
    let queue = state.broker.topology().face_queue();
    assert_eq!(state.broker.queue_len(&queue).await.unwrap(), 0);
    let dead = moji_mq::Topology::dead_queue(&queue);
    assert_eq!(
        state.broker.queue_len(&dead).await.unwrap(),
        0,
        "nothing dead-lettered"
    );
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn worker_killed_mid_task_loses_nothing_and_persists_once() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    // Slow steps so the kill lands while the task is running.
    settings.faces.step_delay_ms = 400;
    let (app, state, _stop) = api!(settings);
    let token = sign_up(&app, "crashy").await;
    let r = upload_astronaut(&app, &token, "emoji").await;
    let id: uuid::Uuid = r.body["id"].as_str().unwrap().parse().unwrap();

    // Worker A runs on its own runtime; dropping that runtime is a crash: no ack, no goodbye.
    let worker_a = CrashingWorker::start(settings.clone(), moji_inference::spawn_consumer);
    wait_running(&state, id).await;
    worker_a.crash();
    let mid = state.redis.get_task(id).await.unwrap().unwrap();
    assert_eq!(mid.status, TaskStatus::Running, "killed mid-task");

    // Worker B picks up the redelivered message and finishes the task.
    let mut b_settings = settings.clone();
    b_settings.faces.step_delay_ms = 0;
    let worker_b = RunningWorker::start(b_settings, moji_inference::spawn_consumer).await;
    let done = wait_final(&app, &token, &id.to_string()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let row = wait_persisted(&state, id).await;
    assert_eq!(row.status, TaskStatus::Succeeded);
    // Give any duplicate outcome time to arrive, then check it changed nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_one_result_row(&state, id).await;
    let results = state.storage.list(&format!("results/{id}")).await.unwrap();
    assert_eq!(results.len(), 2, "one image and one thumbnail: {results:?}");
    worker_b.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn poison_message_is_dead_lettered_and_the_worker_keeps_going() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let worker = RunningWorker::start(settings.clone(), moji_inference::spawn_consumer).await;
    let topology = state.broker.topology().clone();
    state
        .broker
        .publish_raw(
            &topology.tasks_exchange(),
            "face.analyze",
            b"{not json",
            "face.analyze.v1",
        )
        .await
        .unwrap();
    let dead = moji_mq::Topology::dead_queue(&topology.face_queue());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while state.broker.queue_len(&dead).await.unwrap() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "poison message never dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let token = sign_up(&app, "after_poison").await;
    let r = upload_astronaut(&app, &token, "emoji").await;
    let done = wait_final(&app, &token, r.body["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded");
    let poisoned = state.broker.get(&dead).await.unwrap().unwrap();
    assert_eq!(&poisoned.body[..], b"{not json");
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}
