//! Posts over HTTP against real PostgreSQL, Redis and RabbitMQ: write, read with views, edit,
//! delete, like, the feed of followed people, latest, by author and by tag, with every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

async fn write<A: TestApp>(app: &A, who: &Someone, title: &str, tags: Value) -> String {
    let r = send(
        app,
        bearer(
            post_json(
                "/api/v1/posts",
                json!({"title": title, "text": "본문 text", "tags": tags}),
            ),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

fn titles(body: &Value) -> Vec<String> {
    item_strings(body, "title")
}

#[actix_web::test]
async fn write_read_edit_like_delete() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let id = write(
        &t.app,
        &alice,
        "귤 나눔",
        json!(["#Mandarin", "감귤", "mandarin"]),
    )
    .await;
    let path = format!("/api/v1/posts/{id}");

    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["author"]["username"], "alice");
    assert_eq!(r.body["tags"], json!(["mandarin", "감귤"]));
    assert_eq!(
        (r.body["status"].as_str(), r.body["view_count"].as_i64()),
        (Some("published"), Some(1))
    );
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_eq!(r.body["view_count"], 1, "one view per viewer per hour");
    let r = send(&t.app, get_as(&path, Some(&alice.token))).await;
    assert_eq!(r.body["view_count"], 2);

    let like = || bearer(TestRequest::put().uri(&format!("{path}/like")), &bob.token);
    let r = send(&t.app, like()).await;
    assert_eq!(
        (r.status, r.body["like_count"].as_i64()),
        (200, Some(1)),
        "{}",
        r.text
    );
    let r = send(&t.app, like()).await;
    assert_eq!(r.body["like_count"], 1, "idempotent");
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_eq!(r.body["liked_by_me"], true);
    let r = send(&t.app, delete_as(&format!("{path}/like"), Some(&bob.token))).await;
    assert_eq!(r.body["like_count"], 0);

    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"title": "귤 나눔 끝"})),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"title": "귤 나눔 끝", "tags": []})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["title"].as_str(), r.body["tags"].clone()),
        (Some("귤 나눔 끝"), json!([]))
    );
    let r = send(&t.app, bearer(patch_json(&path, json!({})), &alice.token)).await;
    assert_eq!(r.status, 422, "{}", r.text);

    let r = send(&t.app, delete_as(&path, Some(&bob.token))).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, delete_as(&path, Some(&alice.token))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send(&t.app, get(&path)).await;
    assert_problem(&r, 404, "not_found");
    let r = send(
        &t.app,
        bearer(TestRequest::put().uri(&format!("{path}/like")), &bob.token),
    )
    .await;
    assert_problem(&r, 404, "not_found");
}

#[actix_web::test]
async fn refusals() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let post = |body| bearer(post_json("/api/v1/posts", body), &alice.token);
    for (body, field) in [
        (json!({"title": " ", "text": ""}), "title"),
        (json!({"title": "x".repeat(101), "text": ""}), "title"),
        (json!({"title": "ok", "text": "x".repeat(2001)}), "text"),
        (
            json!({"title": "ok", "text": "", "tags": ["a b"]}),
            "tags[0]",
        ),
        (
            json!({"title": "ok", "text": "", "images": ["uploads/x.jpg"]}),
            "images[0]",
        ),
    ] {
        let r = send(&t.app, post(body)).await;
        assert_field_problem(&r, 422, "validation_failed", field);
    }
    let r = send(
        &t.app,
        post(json!({"title": "ok", "text": "", "colour": 1})),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = send(
        &t.app,
        post_json("/api/v1/posts", json!({"title": "ok", "text": ""})),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send(&t.app, get("/api/v1/posts/not-a-uuid")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = send(&t.app, get("/api/v1/feed")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send(&t.app, get("/api/v1/posts/latest?page=2")).await;
    assert_problem(&r, 400, "bad_request");
    let r = send(&t.app, get("/api/v1/posts/latest/nobody_here")).await;
    assert_problem(&r, 404, "not_found");
}

#[actix_web::test]
async fn feed_latest_author_and_tag_lists() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    for n in 0..3 {
        write(&t.app, &alice, &format!("a{n}"), json!(["제주"])).await;
    }
    write(&t.app, &carol, "c0", json!(["제주"])).await;
    write(&t.app, &bob, "b0", json!([])).await;

    let r = send(&t.app, get_as("/api/v1/feed", Some(&bob.token))).await;
    assert_eq!(
        titles(&r.body),
        ["b0"],
        "only my own before I follow anyone"
    );
    send(
        &t.app,
        bearer(
            TestRequest::put().uri("/api/v1/users/alice/follow"),
            &bob.token,
        ),
    )
    .await;
    let mut url = "/api/v1/feed?size=2".to_owned();
    let mut seen = Vec::new();
    loop {
        let r = send(&t.app, get_as(&url, Some(&bob.token))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(titles(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/feed?size=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["b0", "a2", "a1", "a0"],
        "mine and alice's, newest first, not carol's"
    );

    let r = send(&t.app, get("/api/v1/posts/latest?size=10")).await;
    assert_eq!(titles(&r.body), ["b0", "c0", "a2", "a1", "a0"]);
    let r = send(&t.app, get("/api/v1/posts/latest/alice?size=2")).await;
    assert_eq!(
        (titles(&r.body), r.body["total"].as_i64()),
        (vec!["a2".to_owned(), "a1".to_owned()], Some(3))
    );
    let r = send(&t.app, get("/api/v1/posts?tag=%EC%A0%9C%EC%A3%BC")).await;
    assert_eq!(titles(&r.body), ["c0", "a2", "a1", "a0"], "{}", r.text);
    let r = send(&t.app, get("/api/v1/posts?tag=nothing")).await;
    assert_eq!(titles(&r.body), Vec::<String>::new());
}

#[actix_web::test]
async fn views_are_buffered_in_redis_and_flushed_to_postgres() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let id = write(&t.app, &alice, "조회수", json!([])).await;
    let path = format!("/api/v1/posts/{id}");
    for who in [&alice, &bob, &bob] {
        send(&t.app, get_as(&path, Some(&who.token))).await;
    }
    let uuid: uuid::Uuid = id.parse().unwrap();
    let stored = |state: &moji_api::AppState| {
        let state = state.clone();
        async move {
            state
                .db
                .run(move |c| moji_db::posts::by_id(c, uuid, None))
                .await
                .unwrap()
                .view_count
        }
    };
    assert_eq!(stored(&t.state).await, 0, "not written per request");
    assert_eq!(
        moji_api::posts::service::flush_views(&t.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(stored(&t.state).await, 2, "two viewers, one view each");
    let r = send(&t.app, get_as(&path, None)).await;
    assert_eq!(r.body["view_count"], 3, "stored plus pending: {}", r.text);
    assert_eq!(
        moji_api::posts::service::flush_views(&t.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        moji_api::posts::service::flush_views(&t.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(stored(&t.state).await, 3);
}
