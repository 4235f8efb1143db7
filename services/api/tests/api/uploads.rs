//! Image uploads over HTTP against real PostgreSQL, Redis, RabbitMQ and local storage: upload
//! URLs, the signed local PUT, posts that refer to uploads (pending until processed), the
//! outcome of processing, the relay of the outbox and the sweep of orphans. The worker's side
//! (resizing) is tested end to end in services/inference/tests/media.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use moji_api::uploads::processed::{record, ProcessedOutcome};
use serde_json::{json, Value};

/// A real PNG of `w`x`h`.
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 77]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn ticket<A: TestApp>(app: &A, who: &Someone, content_type: &str, bytes: usize) -> Value {
    let r = send(
        app,
        bearer(
            post_json(
                "/api/v1/uploads",
                json!({"content_type": content_type, "bytes": bytes}),
            ),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

fn put_to(url: &str, content_type: &str, body: Vec<u8>) -> TestRequest {
    TestRequest::put()
        .uri(&local_path(url))
        .insert_header(("content-type", content_type))
        .set_payload(body)
}

/// Uploads `bytes` and returns the key.
async fn upload<A: TestApp>(app: &A, who: &Someone, bytes: Vec<u8>) -> String {
    let t = ticket(app, who, "image/png", bytes.len()).await;
    let r = send(
        app,
        put_to(t["upload_url"].as_str().unwrap(), "image/png", bytes),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    t["key"].as_str().unwrap().to_owned()
}

async fn post_with<A: TestApp>(app: &A, who: &Someone, images: Value) -> Reply {
    send(
        app,
        bearer(
            post_json(
                "/api/v1/posts",
                json!({"title": "사진 있는 글", "text": "귤 사진", "images": images}),
            ),
            &who.token,
        ),
    )
    .await
}

#[actix_web::test]
async fn upload_url_shape_and_refusals() {
    let t = spawn_with(|s| s.media.max_unattached_uploads = 3).await;
    let alice = someone(&t.app, "alice").await;
    let body = ticket(&t.app, &alice, "image/jpeg", 1000).await;
    let key = body["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("uploads/{}/", alice.id)), "{key}");
    assert!(key.ends_with(".jpg"), "{key}");
    assert_eq!(body["method"], "PUT");
    assert_eq!(body["headers"], json!({"Content-Type": "image/jpeg"}));
    assert_eq!(body["bytes"], 1000);
    let url = body["upload_url"].as_str().unwrap();
    assert!(url.contains(&format!("/api/v1/files/{key}?")), "{url}");
    assert!(
        url.contains("ct=image%2Fjpeg") && url.contains("len=1000"),
        "{url}"
    );
    let expires: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(body["expires_at"].clone()).unwrap();
    let left = expires - chrono::Utc::now();
    assert!(left <= chrono::Duration::minutes(15) && left > chrono::Duration::minutes(5));

    let ask =
        |body: Value, token: Option<&str>| maybe_bearer(post_json("/api/v1/uploads", body), token);
    let r = send(
        &t.app,
        ask(json!({"content_type": "image/png", "bytes": 10}), None),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");
    let r = send(
        &t.app,
        ask(
            json!({"content_type": "image/gif", "bytes": 10}),
            Some(&alice.token),
        ),
    )
    .await;
    assert_problem(&r, 415, "unsupported_media_type");
    let r = send(
        &t.app,
        ask(
            json!({"content_type": "image/png", "bytes": 0}),
            Some(&alice.token),
        ),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "bytes");
    let r = send(
        &t.app,
        ask(
            json!({"content_type": "image/png", "bytes": 10 * 1024 * 1024 + 1}),
            Some(&alice.token),
        ),
    )
    .await;
    assert_problem(&r, 413, "image_too_large");
    let r = send(
        &t.app,
        ask(json!({"content_type": "image/png"}), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = send(
        &t.app,
        ask(
            json!({"content_type": "image/png", "bytes": 5, "name": "x"}),
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(r.status, 422, "unknown fields are refused: {}", r.text);
    // Three unused uploads are the (test) limit.
    ticket(&t.app, &alice, "image/webp", 10).await;
    ticket(&t.app, &alice, "image/png", 10).await;
    let r = send(
        &t.app,
        ask(
            json!({"content_type": "image/png", "bytes": 10}),
            Some(&alice.token),
        ),
    )
    .await;
    assert_problem(&r, 429, "rate_limited");
}

#[actix_web::test]
async fn the_local_upload_route_takes_exactly_what_was_signed() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let image = png(40, 30);
    let tk = ticket(&t.app, &alice, "image/png", image.len()).await;
    let url = tk["upload_url"].as_str().unwrap();
    let key = tk["key"].as_str().unwrap();

    let r = send(&t.app, put_to(url, "image/jpeg", image.clone())).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, put_to(url, "image/png", image[..10].to_vec())).await;
    assert_problem(&r, 400, "bad_request");
    let mut longer = image.clone();
    longer.push(0);
    let r = send(&t.app, put_to(url, "image/png", longer)).await;
    assert_problem(&r, 413, "image_too_large");
    let forged = url.replace("len=", "len=9");
    let r = send(&t.app, put_to(&forged, "image/png", image.clone())).await;
    assert_problem(&r, 403, "forbidden");
    assert!(
        t.state.storage.get(key).await.is_err(),
        "nothing stored yet"
    );

    let r = send(&t.app, put_to(url, "image/png", image.clone())).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(&t.state.storage.get(key).await.unwrap()[..], &image[..]);
    // A retried upload may replace it while nothing uses it...
    let r = send(&t.app, put_to(url, "image/png", image.clone())).await;
    assert_eq!(r.status, 204, "{}", r.text);
    // ...but not once a post refers to it.
    let r = post_with(&t.app, &alice, json!([key])).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = send(&t.app, put_to(url, "image/png", image)).await;
    assert_problem(&r, 409, "conflict");
}

#[actix_web::test]
async fn a_post_with_images_is_pending_until_processed_then_published() {
    let t = spawn_with(|s| s.amqp.prefix = format!("t{}.", uuid::Uuid::new_v4().simple())).await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    // Sign-ups announced the two profiles; send those first.
    assert_eq!(moji_api::events::relay::pass(&t.state).await.unwrap(), 2);
    let first = upload(&t.app, &alice, png(64, 48)).await;
    let second = upload(&t.app, &alice, png(48, 64)).await;
    let r = post_with(&t.app, &alice, json!([first, second])).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "pending");
    let images = r.body["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["status"], "processing");
    assert!(images[0]["url"].is_null());
    let post_id = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/posts/{post_id}");

    // Only the author sees a pending post; it is in no list yet, except "my posts".
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_problem(&r, 404, "not_found");
    let r = send(&t.app, get_as(&path, Some(&alice.token))).await;
    assert_eq!(r.body["status"], "pending", "{}", r.text);
    let r = send(&t.app, get_as("/api/v1/posts/latest", None)).await;
    assert!(r.body["items"].as_array().unwrap().is_empty(), "{}", r.text);
    let r = send(&t.app, get_as("/api/v1/users/me/posts", Some(&alice.token))).await;
    assert_eq!(r.body["items"][0]["status"], "pending", "{}", r.text);

    // The outbox relay sends one media.process per image to the worker's queue.
    let sent = moji_api::events::relay::pass(&t.state).await.unwrap();
    assert_eq!(sent, 2);
    let queue = t.state.broker.topology().media_queue();
    let mut media_ids = Vec::new();
    for _ in 0..2 {
        let m = t
            .state
            .broker
            .get(&queue)
            .await
            .unwrap()
            .expect("media.process queued");
        assert_eq!(m.message_type.as_deref(), Some("media.process.v1"));
        let v: Value = serde_json::from_slice(&m.body).unwrap();
        assert!(v["payload"]["display_key"]
            .as_str()
            .unwrap()
            .ends_with(".display.jpg"));
        media_ids.push(
            v["payload"]["media_id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap(),
        );
    }
    assert_eq!(
        moji_api::events::relay::pass(&t.state).await.unwrap(),
        0,
        "sent once"
    );

    // The worker's outcomes (here recorded directly; the worker is tested in inference).
    for (i, id) in media_ids.iter().enumerate() {
        let (display, thumb) = {
            let row = t
                .state
                .db
                .run({
                    let id = *id;
                    move |c| moji_db::media::by_id(c, id)
                })
                .await
                .unwrap();
            moji_api::uploads::service::derived_keys(&row)
        };
        t.state
            .storage
            .put(&display, png(64, 48).into(), "image/jpeg")
            .await
            .unwrap();
        t.state
            .storage
            .put(&thumb, png(32, 24).into(), "image/jpeg")
            .await
            .unwrap();
        let settled = record(
            &t.state,
            *id,
            ProcessedOutcome::Ready {
                width: 64,
                height: 48,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            settled.len(),
            i,
            "published only when the last image is ready"
        );
        // A repeated outcome changes nothing.
        let again = record(
            &t.state,
            *id,
            ProcessedOutcome::Ready {
                width: 64,
                height: 48,
            },
        )
        .await
        .unwrap();
        assert!(again.is_empty());
    }
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "published");
    let image = &r.body["images"][0];
    assert_eq!(
        (image["status"].as_str(), image["width"].as_i64()),
        (Some("ready"), Some(64))
    );
    let got = send(
        &t.app,
        get(&local_path(image["thumbnail_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!(got.status, 200);
    let r = send(&t.app, get_as("/api/v1/posts/latest", None)).await;
    assert_eq!(r.body["items"][0]["id"], post_id.as_str());
    assert_eq!(r.body["items"][0]["images"].as_array().unwrap().len(), 2);

    // Publishing queued content.created for the recommendation service.
    assert_eq!(moji_api::events::relay::pass(&t.state).await.unwrap(), 1);
    t.state.broker.delete_topology().await.unwrap();
}

#[actix_web::test]
async fn a_failed_image_fails_its_post_with_a_reason() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let key = upload(&t.app, &alice, png(20, 20)).await;
    let r = post_with(&t.app, &alice, json!([key])).await;
    let id: uuid::Uuid = r.body["images"][0]["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/api/v1/posts/{}", r.body["id"].as_str().unwrap());
    let settled = record(
        &t.state,
        id,
        ProcessedOutcome::Failed("the image cannot be read".into()),
    )
    .await
    .unwrap();
    assert_eq!(settled[0].status, "failed");
    let r = send(&t.app, get_as(&path, Some(&alice.token))).await;
    assert_eq!(r.body["status"], "failed");
    let failure = r.body["failure"].as_str().unwrap();
    assert!(
        failure.contains("image 1") && failure.contains("cannot be read"),
        "{failure}"
    );
    assert_eq!(r.body["images"][0]["status"], "failed");
}

#[actix_web::test]
async fn posts_refuse_uploads_that_are_not_theirs_missing_or_not_images() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let bobs = upload(&t.app, &bob, png(10, 10)).await;
    let never_put = ticket(&t.app, &alice, "image/png", 100).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    // Declared as PNG, 14 bytes of text: the upload check refuses it.
    let text = b"not an image!!".to_vec();
    let tk = ticket(&t.app, &alice, "image/png", text.len()).await;
    let r = send(
        &t.app,
        put_to(tk["upload_url"].as_str().unwrap(), "image/png", text),
    )
    .await;
    assert_eq!(r.status, 204);
    let not_image = tk["key"].as_str().unwrap().to_owned();
    let good = upload(&t.app, &alice, png(10, 10)).await;

    for (images, field, needle) in [
        (json!([bobs]), "images[0]", "not your upload"),
        (json!(["uploads/nope/x.png"]), "images[0]", "no such upload"),
        (
            json!([good, never_put]),
            "images[1]",
            "nothing was uploaded",
        ),
        (json!([not_image]), "images[0]", "not a JPEG, PNG or WebP"),
        (json!([good, good]), "images[1]", "twice"),
    ] {
        let r = post_with(&t.app, &alice, images.clone()).await;
        assert_field_problem(&r, 422, "validation_failed", field);
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{images}: {}",
            r.text
        );
    }
    let eleven: Vec<String> = (0..11).map(|i| format!("uploads/x/{i}.png")).collect();
    let r = post_with(&t.app, &alice, json!(eleven)).await;
    assert_field_problem(&r, 422, "validation_failed", "images");
    // Used once, an upload cannot be used again.
    assert_eq!(post_with(&t.app, &alice, json!([good])).await.status, 201);
    let r = post_with(&t.app, &alice, json!([good])).await;
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{}",
        r.text
    );
}

#[actix_web::test]
async fn the_sweep_deletes_orphans_and_released_images_and_fails_stuck_ones() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let fresh = upload(&t.app, &alice, png(10, 10)).await;
    let old = upload(&t.app, &alice, png(10, 10)).await;
    let stuck = upload(&t.app, &alice, png(10, 10)).await;
    let deleted_post_image = upload(&t.app, &alice, png(10, 10)).await;
    let r = post_with(&t.app, &alice, json!([stuck])).await;
    let stuck_post = r.body["id"].as_str().unwrap().to_owned();
    let r = post_with(&t.app, &alice, json!([deleted_post_image])).await;
    let gone_post = r.body["id"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/posts/{gone_post}")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    // Age the old upload and the stuck image past their limits.
    let (old_key, stuck_key) = (old.clone(), stuck.clone());
    t.state
        .db
        .run(move |c| {
            use diesel::prelude::*;
            diesel::sql_query(
                "UPDATE media SET created_at = now() - interval '2 days' WHERE source_key = $1",
            )
            .bind::<diesel::sql_types::Text, _>(&old_key)
            .execute(c)?;
            diesel::sql_query(
                "UPDATE media SET attached_at = now() - interval '2 hours' WHERE source_key = $1",
            )
            .bind::<diesel::sql_types::Text, _>(&stuck_key)
            .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let swept = moji_api::uploads::sweep::sweep_once(&t.state)
        .await
        .unwrap();
    assert_eq!((swept.timed_out, swept.deleted), (1, 2), "{swept:?}");
    assert!(
        t.state.storage.get(&old).await.is_err(),
        "orphan's file deleted"
    );
    assert!(
        t.state.storage.get(&deleted_post_image).await.is_err(),
        "released image deleted"
    );
    assert!(
        t.state.storage.get(&fresh).await.is_ok(),
        "a fresh upload stays"
    );
    assert!(
        t.state.storage.get(&stuck).await.is_ok(),
        "an attached image stays"
    );
    let r = send(
        &t.app,
        get_as(&format!("/api/v1/posts/{stuck_post}"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.body["status"], "failed");
    assert!(
        r.body["failure"]
            .as_str()
            .unwrap()
            .contains("did not finish"),
        "{}",
        r.text
    );
    // A second sweep finds nothing more.
    let swept = moji_api::uploads::sweep::sweep_once(&t.state)
        .await
        .unwrap();
    assert_eq!((swept.timed_out, swept.deleted), (0, 0));
}
