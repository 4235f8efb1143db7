//! What the recommendation service is told: every visible change of a post, product, public
//! emoji or profile is queued as `content.created|updated|deleted` in the transaction that
//! makes it, and nothing is said about content others cannot see (pending posts, private
//! emojis). Read from the outbox the relay publishes (the relay itself: tests/uploads.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use diesel::{prelude::*, sql_types::Text};
use serde_json::{json, Value};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    routing_key: String,
    #[diesel(sql_type = Text)]
    envelope: String,
}

/// `(routing key, kind, title)` of the content events queued since the last call.
async fn drain(state: &moji_api::AppState) -> Vec<(String, String, String)> {
    let rows: Vec<Row> = state
        .db
        .run(|c| {
            Ok(diesel::sql_query(
                "DELETE FROM outbox WHERE routing_key LIKE 'content.%' \
                 RETURNING routing_key, envelope::text AS envelope, id",
            )
            .load::<Row>(c)?)
        })
        .await
        .unwrap();
    let mut out: Vec<(i64, (String, String, String))> = rows
        .into_iter()
        .map(|r| {
            let v: Value = serde_json::from_str(&r.envelope).unwrap();
            let p = &v["payload"];
            let (kind, title) = match p.get("content") {
                Some(c) => (
                    c["kind"].as_str().unwrap().to_owned(),
                    c["title"].as_str().unwrap().to_owned(),
                ),
                None => (p["kind"].as_str().unwrap().to_owned(), String::new()),
            };
            let at = chrono::DateTime::parse_from_rfc3339(v["occurred_at"].as_str().unwrap())
                .unwrap()
                .timestamp_micros();
            (at, (r.routing_key, kind, title))
        })
        .collect();
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, e)| e).collect()
}

fn ev(key: &str, kind: &str, title: &str) -> (String, String, String) {
    (key.to_owned(), kind.to_owned(), title.to_owned())
}

#[actix_web::test]
async fn visible_changes_are_announced_and_invisible_ones_are_not() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    assert_eq!(
        drain(&t.state).await,
        [ev("content.created", "profile", "alice @alice")]
    );
    let r = send(
        &t.app,
        bearer(
            patch_json("/api/v1/users/me", json!({"display_name": "앨리스"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        drain(&t.state).await,
        [ev("content.updated", "profile", "앨리스 @alice")]
    );

    // Posts.
    let r = send(
        &t.app,
        bearer(
            post_json("/api/v1/posts", json!({"title": "귤", "text": ""})),
            &alice.token,
        ),
    )
    .await;
    let post = r.body["id"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        bearer(
            patch_json(&format!("/api/v1/posts/{post}"), json!({"title": "감귤"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/posts/{post}")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        drain(&t.state).await,
        [
            ev("content.created", "post", "귤"),
            ev("content.updated", "post", "감귤"),
            ev("content.deleted", "post", "")
        ]
    );

    // Products.
    let r = send(
        &t.app,
        bearer(
            post_json("/api/v1/products", json!({"name": "한라봉", "price": 1})),
            &alice.token,
        ),
    )
    .await;
    let product = r.body["id"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        bearer(
            patch_json(&format!("/api/v1/products/{product}"), json!({"price": 2})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/products/{product}")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        drain(&t.state).await,
        [
            ev("content.created", "product", "한라봉"),
            ev("content.updated", "product", "한라봉"),
            ev("content.deleted", "product", "")
        ]
    );

    // Emojis: only public ones, and going private is a deletion.
    let task = emoji_result(
        &t.state,
        alice.id,
        "classic",
        &[("happy", 0.9)],
        chrono::Utc::now(),
    )
    .await;
    let id = save_emoji(&t.app, &alice, task, "private").await;
    assert!(
        drain(&t.state).await.is_empty(),
        "a private emoji is nobody's business"
    );
    let path = format!("/api/v1/emojis/{id}");
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"visibility": "public"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"caption": "웃는 나"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"visibility": "private"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let events: Vec<(String, String)> = drain(&t.state)
        .await
        .into_iter()
        .map(|(k, kind, _)| (k, kind))
        .collect();
    assert_eq!(
        events,
        [
            ("content.created".to_owned(), "emoji".to_owned()),
            ("content.updated".to_owned(), "emoji".to_owned()),
            ("content.deleted".to_owned(), "emoji".to_owned()),
        ]
    );

    // The account goes: its profile goes.
    let r = send(
        &t.app,
        bearer(TestRequest::delete().uri("/api/v1/users/me"), &alice.token),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        drain(&t.state).await,
        [ev("content.deleted", "profile", "")]
    );
}
