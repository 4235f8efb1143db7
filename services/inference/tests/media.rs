//! End to end, the way a phone posts a photo: ask for an upload URL, PUT the bytes to it (the
//! api's signed route on local storage, or the S3-compatible server), write a post that refers
//! to the key, and watch the post go from `pending` to `published` once the inference worker
//! has resized the photo — upright (EXIF orientation applied), EXIF gone, 1080 px and 320 px.
//! Real PostgreSQL, Redis, RabbitMQ and storage; api and worker run in this process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{io::Cursor, path::PathBuf, time::Duration};

use actix_web::test;
use moji_api::AppState;
use moji_config::{Settings, StorageBackend};
use moji_testkit::{
    http::{bearer, get, local_path, post_json, send, someone, TestApp},
    TestEnv,
};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// A 2400x1200 JPEG (left half red, right half blue) whose EXIF says "rotate 90° clockwise"
/// (orientation 6): upright it is 1200x2400 with red on top.
fn rotated_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(2400, 1200, |x, _| {
        if x < 1200 {
            image::Rgb([220, 20, 20])
        } else {
            image::Rgb([20, 20, 220])
        }
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let jpeg = out.into_inner();
    // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112) = 6.
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend_from_slice(&tiff);
    let len = u16::try_from(app1.len() + 2).unwrap().to_be_bytes();
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&[0xFF, 0xE1, len[0], len[1]]);
    with_exif.extend_from_slice(&app1);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

fn settings(env: &TestEnv) -> Settings {
    let mut s = env.settings.clone();
    let models = std::env::var_os("MOJI_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/models"));
    s.faces.models_dir = models;
    if let Some(dir) = std::env::var_os("MOJI_CASCADES_DIR") {
        s.faces.cascades_dir = dir.into();
    }
    s.faces.workers = 1;
    s
}

/// A fresh bucket on the S3 test server (scripts/s3-server.sh).
async fn use_s3(s: &mut Settings) {
    let endpoint = std::env::var("MOJI_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:9000".into());
    let bucket = format!("moji-media-{}", uuid::Uuid::new_v4().simple());
    let resp = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("S3 test server at {endpoint}: {e} (scripts/s3-server.sh)"));
    assert!(resp.status().is_success(), "bucket: {}", resp.status());
    s.storage.backend = StorageBackend::S3;
    s.storage.bucket = bucket;
    s.storage.endpoint = endpoint;
    s.storage.access_key_id = "test".into();
    s.storage.secret_access_key = "test".into();
    s.storage.allow_http = true;
}

/// GETs a file link: through the app for local links, over HTTP for S3 ones.
async fn fetch<A: TestApp>(app: &A, url: &str, s3: bool) -> Vec<u8> {
    if s3 {
        let resp = reqwest::get(url).await.unwrap();
        assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
        resp.bytes().await.unwrap().to_vec()
    } else {
        let resp = test::call_service(app, get(&local_path(url)).to_request()).await;
        assert_eq!(resp.status(), 200, "GET {url}");
        test::read_body(resp).await.to_vec()
    }
}

async fn post_a_photo(s3: bool) {
    let env = TestEnv::new();
    let mut s = settings(&env);
    if s3 {
        use_s3(&mut s).await;
    }
    let state = AppState::connect(s.clone()).await.expect("api connects");
    let stop = CancellationToken::new();
    let api_tasks = moji_api::spawn_consumers(&state, stop.clone());
    let app = test::init_service(moji_api::app(state.clone())).await;
    let worker = moji_inference::connect(s).await.expect("worker connects");
    let worker_task = moji_inference::spawn_media_consumer(&worker, stop.clone());

    let alice = someone(&app, "alice").await;
    let photo = rotated_jpeg();
    let r = send(
        &app,
        bearer(
            post_json(
                "/api/v1/uploads",
                json!({"content_type": "image/jpeg", "bytes": photo.len()}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (url, key) = (
        r.body["upload_url"].as_str().unwrap().to_owned(),
        r.body["key"].as_str().unwrap().to_owned(),
    );
    if s3 {
        let resp = reqwest::Client::new()
            .put(&url)
            .header("Content-Type", "image/jpeg")
            .body(photo.clone())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "PUT: {}", resp.status());
    } else {
        let put = test::TestRequest::put()
            .uri(&local_path(&url))
            .insert_header(("content-type", "image/jpeg"))
            .set_payload(photo.clone());
        assert_eq!(send(&app, put).await.status, 204);
    }

    let r = send(
        &app,
        bearer(
            post_json(
                "/api/v1/posts",
                json!({"title": "한라산 사진", "text": "눈 온 날", "images": [key], "tags": ["제주"]}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    let path = format!("/api/v1/posts/{}", r.body["id"].as_str().unwrap());

    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let post: Value = loop {
        let r = send(
            &app,
            bearer(test::TestRequest::get().uri(&path), &alice.token),
        )
        .await;
        if r.body["status"] != "pending" {
            break r.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still pending: {}",
            r.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(post["status"], "published", "{post}");
    let image = &post["images"][0];
    assert_eq!(image["status"], "ready");
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(540), Some(1080))
    );

    let display = fetch(&app, image["url"].as_str().unwrap(), s3).await;
    let thumb = fetch(&app, image["thumbnail_url"].as_str().unwrap(), s3).await;
    assert!(display.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    assert!(
        !display.windows(6).any(|w| w == b"Exif\x00\x00"),
        "EXIF is stripped"
    );
    let shown = image::load_from_memory(&display).unwrap().to_rgb8();
    assert_eq!(shown.dimensions(), (540, 1080));
    let (top, bottom) = (shown.get_pixel(270, 200).0, shown.get_pixel(270, 880).0);
    assert!(
        top[0] > 150 && top[2] < 100,
        "upright: red on top, got {top:?}"
    );
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "blue below, got {bottom:?}"
    );
    let small = image::load_from_memory(&thumb).unwrap();
    assert_eq!((small.width(), small.height()), (160, 320));

    // Published means visible to everyone, in the latest posts.
    let r = send(&app, get("/api/v1/posts/latest")).await;
    assert_eq!(
        r.body["items"][0]["images"][0]["status"], "ready",
        "{}",
        r.text
    );

    stop.cancel();
    for t in api_tasks {
        let _ = t.await;
    }
    let _ = worker_task.await;
    state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn a_photo_post_is_published_with_resized_images_on_local_storage() {
    post_a_photo(false).await;
}

#[actix_web::test]
async fn a_photo_post_is_published_with_resized_images_on_s3() {
    post_a_photo(true).await;
}
