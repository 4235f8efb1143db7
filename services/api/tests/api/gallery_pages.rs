//! Gallery pages at any depth (issue 18): cursors that follow on from pages, totals that
//! stay exact as emojis are published, unpublished and deleted, and publishing through PATCH.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::Utc;
use serde_json::json;

/// Saves a fresh result of `who` as an emoji and returns its id.
async fn saved<A: TestApp>(t: &TestApi<A>, who: &Someone, visibility: &str) -> String {
    let task = emoji_result(&t.state, who.id, "classic", &[("happy", 0.9)], Utc::now()).await;
    save_emoji(&t.app, who, task, visibility).await
}

/// Every id of a list walked by cursor, `size` at a time, checking `total` on each page.
async fn walk<A: TestApp>(
    t: &TestApi<A>,
    path: &str,
    token: Option<&str>,
    size: u32,
) -> (Vec<String>, i64) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}size={size}");
    let mut ids = Vec::new();
    let mut total = None;
    loop {
        let r = send(&t.app, get_as(&url, token)).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        let this_total = r.body["total"].as_i64().unwrap();
        assert_eq!(*total.get_or_insert(this_total), this_total, "total moved");
        let key = if path.contains("/results") {
            "task_id"
        } else {
            "id"
        };
        ids.extend(item_strings(&r.body, key));
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("{path}{sep}size={size}&cursor={c}"),
            None => break,
        }
    }
    (ids, total.unwrap_or(0))
}

#[actix_web::test]
async fn cursors_walk_every_list_once_and_totals_follow_publishing() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let mut mine = Vec::new();
    for _ in 0..7 {
        mine.push(saved(&t, &alice, "public").await);
    }
    for id in mine.iter().take(4) {
        like(&t.app, &bob, id).await;
    }
    // Two go private after bob liked one of them.
    for i in [2, 5] {
        let r = send(
            &t.app,
            bearer(
                patch_json(
                    &format!("/api/v1/emojis/{}", mine[i]),
                    json!({"visibility": "private"}),
                ),
                &alice.token,
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let newest_first: Vec<String> = mine.iter().rev().cloned().collect();
    let public: Vec<String> = newest_first
        .iter()
        .filter(|id| {
            let i = mine.iter().position(|m| m == *id).unwrap();
            i % 3 != 2
        })
        .cloned()
        .collect();

    let (walked, total) = walk(&t, "/api/v1/emojis", Some(&bob.token), 2).await;
    assert_eq!((walked.clone(), total), (public.clone(), 5));
    let (walked, total) = walk(&t, "/api/v1/users/alice/emojis", None, 3).await;
    assert_eq!((walked, total), (public.clone(), 5));
    let (walked, total) = walk(
        &t,
        "/api/v1/users/me/emojis?case=made",
        Some(&alice.token),
        3,
    )
    .await;
    assert_eq!((walked, total), (newest_first.clone(), 7));
    let (walked, total) = walk(
        &t,
        "/api/v1/users/me/emojis?case=liked",
        Some(&bob.token),
        1,
    )
    .await;
    assert_eq!(total, 3, "bob liked 4, one of them is private");
    assert_eq!(walked.len(), 3);
    let (walked, total) = walk(&t, "/api/v1/users/me/results", Some(&alice.token), 4).await;
    let distinct: std::collections::HashSet<_> = walked.iter().collect();
    assert_eq!((walked.len(), distinct.len(), total), (7, 7, 7));
    let (_, total) = walk(&t, "/api/v1/emojis?sort=popular", None, 2).await;
    assert_eq!(total, 5);

    // Unpublish one, publish another: every total moves at once.
    let r = send(
        &t.app,
        bearer(
            patch_json(
                &format!("/api/v1/emojis/{}", mine[0]),
                json!({"visibility": "private"}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["visibility"], "private");
    let r = send(
        &t.app,
        bearer(
            patch_json(
                &format!("/api/v1/emojis/{}", mine[2]),
                json!({"visibility": "public", "caption": "  now public  "}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["caption"], "now public");
    let (walked, total) = walk(&t, "/api/v1/emojis", None, 10).await;
    assert_eq!(total, 5);
    assert!(!walked.contains(&mine[0]) && walked.contains(&mine[2]));
    let (_, total) = walk(
        &t,
        "/api/v1/users/me/emojis?case=liked",
        Some(&bob.token),
        10,
    )
    .await;
    assert_eq!(total, 3, "mine[0] left bob's likes, mine[2] came in");

    // Deleting takes it out of every total too.
    let r = send(
        &t.app,
        delete_as(&format!("/api/v1/emojis/{}", mine[1]), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let (_, total) = walk(&t, "/api/v1/emojis", None, 10).await;
    assert_eq!(total, 4);
    let (_, total) = walk(&t, "/api/v1/users/me/emojis", Some(&alice.token), 10).await;
    assert_eq!(total, 6);
}

#[actix_web::test]
async fn changing_an_emoji_is_for_its_owner_and_validated() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let id = saved(&t, &alice, "public").await;
    let path = format!("/api/v1/emojis/{id}");
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"visibility": "private"})),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, patch_json(&path, json!({"visibility": "private"}))).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send(&t.app, bearer(patch_json(&path, json!({})), &alice.token)).await;
    assert_field_problem(&r, 422, "validation_failed", "caption");
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"caption": "x".repeat(201)})),
            &alice.token,
        ),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "caption");
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"visibility": "secret"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = send(
        &t.app,
        bearer(patch_json(&path, json!({"colour": "red"})), &alice.token),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let missing = format!("/api/v1/emojis/{}", uuid::Uuid::now_v7());
    let r = send(
        &t.app,
        bearer(patch_json(&missing, json!({"caption": "hi"})), &alice.token),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    // Private now: bob may no longer see it.
    let r = send(
        &t.app,
        bearer(
            patch_json(&path, json!({"visibility": "private"})),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_problem(&r, 403, "forbidden");
}

#[actix_web::test]
async fn pages_refuse_what_they_cannot_serve_cheaply() {
    let t = spawn().await;
    let r = send(&t.app, get("/api/v1/emojis?page=51&size=20")).await;
    assert_eq!(r.status, 200, "1,000 deep is still a page: {}", r.text);
    assert_eq!(r.body["next_cursor"], serde_json::Value::Null);
    for bad in [
        "page=52&size=20",
        "page=12&size=100",
        "page=1&cursor=abc",
        "cursor=abc",
        "cursor=",
        "size=0",
    ] {
        let r = send(&t.app, get(&format!("/api/v1/emojis?{bad}"))).await;
        assert_problem(&r, 400, "bad_request");
        assert!(
            !r.body["detail"].as_str().unwrap_or_default().is_empty(),
            "{bad}: {}",
            r.text
        );
    }
}
