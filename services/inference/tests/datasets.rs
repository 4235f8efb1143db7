//! The dataset maker end to end through real RabbitMQ, Redis, PostgreSQL and storage: the api
//! (with its outbox relay and result consumers) and the inference worker run in this process,
//! each test with its own database, key prefix, queue names and storage directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::{
    io::{Cursor, Read},
    time::Duration,
};

use actix_web::test;
use common::{test_settings, CrashingWorker, RunningWorker};
use moji_api::AppState;
use moji_testkit::{
    http::{
        assert_field_problem, assert_problem, bearer, get_as, patch_json, send, Multipart, TestApp,
    },
    TestEnv,
};
use serde_json::{json, Value};
use uuid::Uuid;

/// A 300x200 picture with structure (so crops and flips differ).
fn picture_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(300, 200, |x, y| {
        let ring = ((x as i32 - 150).pow(2) + (y as i32 - 100).pow(2)) / 400;
        image::Rgb([
            (x * 255 / 300) as u8,
            (ring * 40 % 256) as u8,
            (y * 255 / 200) as u8,
        ])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn token<A: TestApp>(app: &A, name: &str) -> String {
    moji_testkit::http::someone(app, name).await.token
}

fn request(token: &str, fields: &[(&str, &str)], image: Option<&[u8]>) -> test::TestRequest {
    let mut form = Multipart::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    if let Some(bytes) = image {
        form = form.file("image", "picture.png", "image/png", bytes);
    }
    bearer(
        moji_testkit::http::post_multipart("/api/v1/datasets", form),
        token,
    )
}

async fn ask<A: TestApp>(app: &A, token: &str, fields: &[(&str, &str)]) -> Value {
    let r = send(app, request(token, fields, Some(&picture_png()))).await;
    assert_eq!(r.status, 202, "{}", r.text);
    r.body
}

/// Polls the set until `done(view)`; panics after 90 s.
async fn wait_for<A: TestApp>(
    app: &A,
    token: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let r = send(app, get_as(&format!("/api/v1/datasets/{id}"), Some(token))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        if done(&r.body) {
            return r.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "set {id} stuck: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A query string with its non-ASCII bytes percent-encoded.
fn encoded(query: &str) -> String {
    query
        .bytes()
        .map(|b| {
            if b.is_ascii() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn is_final(v: &Value) -> bool {
    ["ready", "failed", "cancelled"].contains(&v["status"].as_str().unwrap_or_default())
}

/// Downloads a ready set's zip through its link.
async fn zip_of<A: TestApp>(app: &A, token: &str, id: &str) -> Vec<u8> {
    let r = send(
        app,
        get_as(&format!("/api/v1/datasets/{id}/download"), Some(token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let url = r.body["url"].as_str().unwrap();
    let resp = test::call_service(
        app,
        test::TestRequest::get()
            .uri(&moji_testkit::http::local_path(url))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    test::read_body(resp).await.to_vec()
}

#[actix_web::test]
async fn a_set_is_made_streamed_over_sse_found_and_downloaded_by_its_owner_only() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let owner = token(&app, "maker").await;
    let other = token(&app, "browser").await;
    let set = ask(
        &app,
        &owner,
        &[
            ("title", "고양이 무늬 연습"),
            ("description", "rings and gradients"),
            ("category", "art"),
            ("tags", "pattern, 무늬"),
            ("quantity", "40"),
            ("size", "64"),
            ("seed", "7"),
        ],
    )
    .await;
    let id = set["id"].as_str().unwrap().to_owned();
    assert_eq!(set["status"], "queued");
    assert_eq!(set["quantity"], 40);
    assert_eq!(set["seed"], 7);
    assert_eq!(set["tags"], json!(["pattern", "무늬"]));
    // Someone else cannot see a set being made, nor follow it.
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}"), Some(&other)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");

    // Subscribe while queued, then start the worker.
    let resp = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!(
                "/api/v1/datasets/{id}/events?access_token={owner}"
            ))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let worker =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    let body = tokio::time::timeout(Duration::from_secs(90), test::read_body(resp))
        .await
        .expect("the stream closes after the last event");
    let text = String::from_utf8(body.to_vec()).unwrap();
    let frames: Vec<(&str, Value)> = text
        .split("\n\n")
        .filter_map(|frame| {
            let name = frame.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name, serde_json::from_str(data).unwrap()))
        })
        .collect();
    let names: Vec<&str> = frames.iter().map(|(n, _)| *n).collect();
    assert_eq!(names.last(), Some(&"ready"), "{names:?}");
    assert!(
        names[..names.len() - 1].iter().all(|n| *n == "dataset"),
        "{names:?}"
    );
    let progress: Vec<u64> = frames
        .iter()
        .map(|(_, v)| v["progress"].as_u64().unwrap())
        .collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert!(
        progress.iter().all(|p| p % 5 == 0),
        "steps of 5 %: {progress:?}"
    );
    let ready = &frames.last().unwrap().1;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["progress"], 100);
    assert!(ready["preview_url"].is_string(), "{ready}");

    // The zip: 40 stored 64x64 PNGs, the manifest and the preview sheet.
    let bytes = zip_of(&app, &owner, &id).await;
    assert_eq!(ready["zip_bytes"].as_u64().unwrap(), bytes.len() as u64);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(zip.len(), 42);
    for i in 0..40 {
        let mut file = zip.by_name(&format!("images/{i:05}.png")).unwrap();
        assert_eq!(file.compression(), zip::CompressionMethod::Stored);
        let mut png = Vec::new();
        file.read_to_end(&mut png).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (64, 64));
    }
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["method"], "augment");
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["quantity"], 40);
    assert_eq!(manifest["images"].as_array().unwrap().len(), 40);
    assert_eq!(manifest["images"][3]["file"], "images/00003.png");
    assert!(manifest["images"][3]["transforms"].is_array());
    let mut preview = Vec::new();
    zip.by_name("preview.png")
        .unwrap()
        .read_to_end(&mut preview)
        .unwrap();
    let sheet = image::load_from_memory(&preview).unwrap();
    assert_eq!((sheet.width(), sheet.height()), (256, 256), "4×4 of 64 px");

    // Only the owner downloads; anyone finds and sees a ready set.
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}/download"), Some(&other)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&app, get_as(&format!("/api/v1/datasets/{id}"), None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["downloads"], 1);
    for query in [
        "q=무늬",
        "q=고양이",
        "category=art&tags=pattern",
        "size=64&min_quantity=40",
    ] {
        let r = send(
            &app,
            get_as(&format!("/api/v1/datasets?{}", encoded(query)), None),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let ids: Vec<&str> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id.as_str()], "{query}");
    }
    for query in [
        "q=dog",
        "category=food",
        "size=128",
        "min_quantity=41",
        "sort=price",
    ] {
        let r = send(&app, get_as(&format!("/api/v1/datasets?{query}"), None)).await;
        assert_eq!(r.body["items"], json!([]), "{query}: {}", r.text);
    }
    // Listed for sale, it sorts by price and filters by it.
    let r = send(
        &app,
        bearer(
            patch_json(
                &format!("/api/v1/datasets/{id}"),
                json!({"price_krw": 5000}),
            ),
            &owner,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &app,
        get_as("/api/v1/datasets?sort=price&max_price=5000", None),
    )
    .await;
    assert_eq!(r.body["items"][0]["price_krw"], 5000, "{}", r.text);
    let r = send(&app, get_as("/api/v1/datasets?max_price=4999", None)).await;
    assert_eq!(r.body["items"], json!([]));
    let r = send(
        &app,
        bearer(
            patch_json(&format!("/api/v1/datasets/{id}"), json!({"price_krw": 5})),
            &other,
        ),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&app, get_as("/api/v1/users/me/datasets", Some(&owner))).await;
    assert_eq!(r.body["items"][0]["id"], id.as_str());
    let r = send(&app, get_as("/api/v1/users/me/datasets", Some(&other))).await;
    assert_eq!(r.body["items"], json!([]));
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn the_same_seed_and_image_make_the_same_set() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let owner = token(&app, "repeater").await;
    let worker =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    let mut zips = Vec::new();
    for seed in ["11", "11", "12"] {
        let set = ask(
            &app,
            &owner,
            &[
                ("title", "again"),
                ("category", "other"),
                ("quantity", "24"),
                ("size", "128"),
                ("seed", seed),
            ],
        )
        .await;
        let id = set["id"].as_str().unwrap().to_owned();
        let done = wait_for(&app, &owner, &id, is_final).await;
        assert_eq!(done["status"], "ready", "{done}");
        zips.push(zip_of(&app, &owner, &id).await);
    }
    assert!(zips[0] == zips[1], "the same seed gives the same bytes");
    assert!(zips[0] != zips[2], "another seed another set");
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn bad_requests_the_quota_and_idempotency() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    settings.datasets.daily_images = 100;
    let (app, state, _stop) = api!(settings);
    let owner = token(&app, "careful").await;
    let png = picture_png();
    let fields = [("title", "t"), ("category", "other"), ("quantity", "60")];

    let r = send(
        &app,
        request(
            &owner,
            &[("category", "other"), ("quantity", "0")],
            Some(&png),
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let mut refused = r.fields();
    refused.sort();
    assert_eq!(refused, ["quantity", "title"]);
    let r = send(
        &app,
        request(
            &owner,
            &[
                ("title", "t"),
                ("category", "other"),
                ("quantity", "5"),
                ("method", "vae"),
            ],
            Some(&png),
        ),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "method");
    let r = send(&app, request(&owner, &fields, None)).await;
    assert_field_problem(&r, 422, "validation_failed", "image");
    let r = send(&app, request(&owner, &fields, Some(b"GIF89a not ours"))).await;
    assert_eq!(r.status, 415, "{}", r.text);
    let r = send(
        &app,
        moji_testkit::http::post_multipart("/api/v1/datasets", Multipart::new().text("title", "t")),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);

    // 60 of 100 images, then the same request again under its key: the same set, no images.
    let keyed = |req: test::TestRequest| req.insert_header(("idempotency-key", "set-1"));
    let first = send(&app, keyed(request(&owner, &fields, Some(&png)))).await;
    assert_eq!(first.status, 202, "{}", first.text);
    let again = send(&app, keyed(request(&owner, &fields, Some(&png)))).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["id"], first.body["id"]);
    let r = send(&app, get_as("/api/v1/datasets/quota", Some(&owner))).await;
    assert_eq!(r.body["remaining"], 40, "{}", r.text);
    // 60 more do not fit: 429, nothing taken.
    let r = send(&app, request(&owner, &fields, Some(&png))).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(r.retry_after.is_some());
    // Cancelling gives the 60 back, and a cancelled set cannot be cancelled into anything else.
    let id = first.body["id"].as_str().unwrap();
    let r = send(
        &app,
        bearer(
            moji_testkit::http::post_json(&format!("/api/v1/datasets/{id}/cancel"), json!({})),
            &owner,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    let r = send(&app, get_as("/api/v1/datasets/quota", Some(&owner))).await;
    assert_eq!(r.body["remaining"], 100, "{}", r.text);
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}/download"), Some(&owner)),
    )
    .await;
    assert_problem(&r, 409, "conflict");
    let r = send(
        &app,
        get_as(
            &format!("/api/v1/datasets/{}", Uuid::now_v7()),
            Some(&owner),
        ),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    let r = send(&app, get_as("/api/v1/datasets?size=100&sort=cheap", None)).await;
    assert_eq!(r.status, 422, "{}", r.text);

    // A worker later receives the cancelled set's message: it makes and stores nothing.
    let worker =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(state.storage.list("datasets").await.unwrap().is_empty());
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}

/// Waits until the set's live record says running at `percent` % or more.
async fn wait_running(state: &AppState, id: Uuid, percent: u8) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(rec) = state.redis.get_task(id).await.unwrap() {
            if rec.status == moji_common::TaskStatus::Running && rec.progress >= percent {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "set {id} never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_running_set_is_cancelled_and_keeps_nothing() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let owner = token(&app, "changed_mind").await;
    let worker =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    let set = ask(
        &app,
        &owner,
        &[
            ("title", "big"),
            ("category", "other"),
            ("quantity", "2000"),
            ("size", "256"),
        ],
    )
    .await;
    let id = set["id"].as_str().unwrap().to_owned();
    wait_running(&state, id.parse().unwrap(), 5).await;
    let r = send(
        &app,
        bearer(
            moji_testkit::http::post_json(&format!("/api/v1/datasets/{id}/cancel"), json!({})),
            &owner,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    // The worker stops at its next 5 % and removes what it wrote.
    worker.stop().await;
    assert!(
        state.storage.list("datasets").await.unwrap().is_empty(),
        "nothing kept"
    );
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}"), Some(&owner)),
    )
    .await;
    assert_eq!(r.body["status"], "cancelled");
    let r = send(&app, get_as("/api/v1/datasets/quota", Some(&owner))).await;
    assert_eq!(r.body["remaining"], r.body["limit"], "{}", r.text);
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn a_worker_killed_mid_set_loses_nothing_and_the_set_is_made_once() {
    let env = TestEnv::new();
    let settings = test_settings(&env);
    let (app, state, _stop) = api!(settings);
    let owner = token(&app, "unlucky").await;
    let set = ask(
        &app,
        &owner,
        &[
            ("title", "crash"),
            ("category", "other"),
            ("quantity", "600"),
            ("size", "128"),
            ("seed", "3"),
        ],
    )
    .await;
    let id = set["id"].as_str().unwrap().to_owned();

    // Worker A runs on its own runtime; dropping that runtime is a crash: no ack, no goodbye.
    let worker_a = CrashingWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer);
    wait_running(&state, id.parse().unwrap(), 10).await;
    worker_a.crash();

    let worker_b =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    let done = wait_for(&app, &owner, &id, is_final).await;
    assert_eq!(done["status"], "ready", "{done}");
    let bytes = zip_of(&app, &owner, &id).await;
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(zip.len(), 602, "every image, the manifest and the preview");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let objects = state.storage.list("datasets").await.unwrap();
    let keys: Vec<&str> = objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            format!("datasets/{id}-preview.png"),
            format!("datasets/{id}.zip")
        ],
        "one zip, one preview"
    );
    worker_b.stop().await;
    state.broker.delete_topology().await.unwrap();
}

/// Waits until the buyer's order leaves `pending`.
async fn wait_settled<A: TestApp>(app: &A, token: &str, order: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let r = send(app, get_as(&format!("/api/v1/orders/{order}"), Some(token))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        if r.body["status"] != "pending" {
            return r.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "order {order} never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_set_is_sold_only_for_its_price_and_granted_once() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    // The development provider calls back over real HTTP: serve this api on a real port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    settings.payments.callback_url = format!("http://127.0.0.1:{port}/api/v1/payments/callback");
    settings.payments.webhook_secret = "test-payment-callback-secret-0123456789".into();
    let (app, state, _stop) = api!(settings);
    let served = state.clone();
    let server = actix_web::HttpServer::new(move || moji_api::app(served.clone()))
        .listen(listener)
        .unwrap()
        .workers(1)
        .disable_signals()
        .run();
    let server_handle = server.handle();
    tokio::spawn(server);

    let owner = token(&app, "seller").await;
    let buyer = token(&app, "buyer").await;
    let stranger = token(&app, "stranger").await;
    let worker =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    let set = ask(
        &app,
        &owner,
        &[
            ("title", "for sale"),
            ("category", "food"),
            ("quantity", "8"),
        ],
    )
    .await;
    let id = set["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &id, is_final).await;
    let orders_path = format!("/api/v1/datasets/{id}/orders");
    let order_req = |token: &str| {
        bearer(
            moji_testkit::http::post_json(&orders_path, json!({})),
            token,
        )
    };
    // Not for sale yet.
    assert_problem(&send(&app, order_req(&buyer)).await, 409, "conflict");
    let r = send(
        &app,
        bearer(
            patch_json(
                &format!("/api/v1/datasets/{id}"),
                json!({"price_krw": 5000}),
            ),
            &owner,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_problem(&send(&app, order_req(&owner)).await, 409, "conflict");
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}/download"), Some(&buyer)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");

    // Paying less than the order's amount is refused after the server's check.
    let order = send(&app, order_req(&buyer)).await;
    assert_eq!(order.status, 201, "{}", order.text);
    assert_eq!(order.body["amount_krw"], 5000);
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let checkout = |token: &str, order: &str, amount: i64| {
        bearer(
            moji_testkit::http::post_json(
                "/api/v1/payments/local/checkout",
                json!({"order_id": order, "amount_krw": amount}),
            ),
            token,
        )
    };
    let r = send(&app, checkout(&stranger, &order_id, 5000)).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&app, checkout(&buyer, &order_id, 100)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let settled = wait_settled(&app, &buyer, &order_id).await;
    assert_eq!(settled["status"], "failed", "{settled}");
    assert!(settled["failure"]
        .as_str()
        .unwrap()
        .starts_with("amount_mismatch"));
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}/download"), Some(&buyer)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");

    // The right amount: granted, and the buyer downloads.
    let order = send(&app, order_req(&buyer)).await;
    let order_id = order.body["id"].as_str().unwrap().to_owned();
    let receipt = send(&app, checkout(&buyer, &order_id, 5000)).await;
    assert_eq!(receipt.status, 201, "{}", receipt.text);
    let paid = wait_settled(&app, &buyer, &order_id).await;
    assert_eq!(paid["status"], "paid", "{paid}");
    let zip = zip_of(&app, &buyer, &id).await;
    assert_eq!(zip::ZipArchive::new(Cursor::new(zip)).unwrap().len(), 10);
    let r = send(
        &app,
        get_as(&format!("/api/v1/datasets/{id}/download"), Some(&stranger)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    assert_problem(&send(&app, order_req(&buyer)).await, 409, "conflict");

    // The provider calls back again (twice): nothing changes. A forged callback is refused.
    let payment_id = receipt.body["payment_id"].as_str().unwrap();
    let body =
        serde_json::to_vec(&json!({"payment_id": payment_id, "order_id": order_id})).unwrap();
    let signature =
        moji_api::market::provider::sign(settings.payments.webhook_secret.as_bytes(), &body);
    for _ in 0..2 {
        let r = send(
            &app,
            test::TestRequest::post()
                .uri("/api/v1/payments/callback")
                .insert_header(("content-type", "application/json"))
                .insert_header(("x-moji-signature", signature.as_str()))
                .set_payload(body.clone()),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["status"], "paid");
        assert_eq!(r.body["paid_at"], paid["paid_at"], "paid once");
    }
    let forged = moji_api::market::provider::sign(b"not-the-secret", &body);
    let r = send(
        &app,
        test::TestRequest::post()
            .uri("/api/v1/payments/callback")
            .insert_header(("x-moji-signature", forged.as_str()))
            .set_payload(body.clone()),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");
    assert_eq!(paid["dataset_id"], id.as_str());
    worker.stop().await;
    server_handle.stop(true).await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn a_gan_trains_on_the_image_and_samples_new_images_with_their_measures() {
    let env = TestEnv::new();
    let mut settings = test_settings(&env);
    settings.datasets.gan_train_secs = 6.0;
    settings.datasets.gan_scales = 3;
    let (app, state, _stop) = api!(settings);
    let owner = token(&app, "gan_maker").await;
    let r = send(
        &app,
        request(
            &owner,
            &[
                ("title", "g"),
                ("category", "art"),
                ("quantity", "12"),
                ("method", "gan"),
                ("size", "128"),
            ],
            Some(&picture_png()),
        ),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "size");
    let set = ask(
        &app,
        &owner,
        &[
            ("title", "gan set"),
            ("category", "art"),
            ("quantity", "12"),
            ("method", "gan"),
            ("seed", "9"),
        ],
    )
    .await;
    let id = set["id"].as_str().unwrap().to_owned();
    assert_eq!(set["method"], "gan");
    let uuid: Uuid = id.parse().unwrap();
    let worker =
        RunningWorker::start(settings.clone(), moji_inference::spawn_dataset_consumer).await;
    // Training reports its own step before the images.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut steps = Vec::new();
    loop {
        if let Some(rec) = state.redis.get_task(uuid).await.unwrap() {
            if let Some(step) = rec.step.filter(|s| steps.last() != Some(s)) {
                steps.push(step);
            }
            if rec.status.is_final() {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "gan set never finished: {steps:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        steps.first().map(String::as_str),
        Some("training"),
        "{steps:?}"
    );
    let done = wait_for(&app, &owner, &id, is_final).await;
    assert_eq!(done["status"], "ready", "{done}");
    let mean_ssim = done["mean_ssim"].as_f64().unwrap();
    let diversity = done["diversity"].as_f64().unwrap();
    assert!(
        mean_ssim < 0.95,
        "samples are not copies of the input: {mean_ssim}"
    );
    assert!(
        diversity > 0.05,
        "samples differ from one another: {diversity}"
    );
    let bytes = zip_of(&app, &owner, &id).await;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(zip.len(), 14);
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["method"], "gan");
    assert_eq!(manifest["settings"]["scales"].as_array().unwrap().len(), 3);
    assert!(manifest["images"][0]["ssim"].is_f64());
    assert!(manifest["images"][0]["noise_seed"].is_u64());
    assert!((manifest["summary"]["diversity"].as_f64().unwrap() - diversity).abs() < 1e-9);
    let mut png = Vec::new();
    zip.by_name("images/00011.png")
        .unwrap()
        .read_to_end(&mut png)
        .unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (64, 64));
    worker.stop().await;
    state.broker.delete_topology().await.unwrap();
}
