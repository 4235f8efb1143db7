//! Follows over HTTP against real PostgreSQL, Redis and RabbitMQ: follow, unfollow, remove a
//! follower, the lists with cursors, profile counts, and every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;

fn put_as(path: &str, token: &str) -> TestRequest {
    bearer(TestRequest::put().uri(path), token)
}

#[actix_web::test]
async fn follow_unfollow_and_counts() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;

    let r = send(&t.app, put_as("/api/v1/users/Alice/follow", &bob.token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["username"], "alice");
    assert_eq!(
        (
            r.body["followed_by_me"].as_bool(),
            r.body["followers"].as_i64()
        ),
        (Some(true), Some(1))
    );
    let again = send(&t.app, put_as("/api/v1/users/alice/follow", &bob.token)).await;
    assert_eq!(again.body["followers"], 1, "idempotent: {}", again.text);
    send(&t.app, put_as("/api/v1/users/alice/follow", &carol.token)).await;
    send(&t.app, put_as("/api/v1/users/bob/follow", &alice.token)).await;

    let r = send(&t.app, get_as("/api/v1/users/alice", Some(&bob.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["followers"].as_i64(), r.body["following"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(r.body["followed_by_me"], true);
    let r = send(&t.app, get("/api/v1/users/alice")).await;
    assert_eq!(r.body["followed_by_me"], false, "anonymous");
    assert!(r.body.get("email").is_none());

    let r = send(
        &t.app,
        delete_as("/api/v1/users/alice/follow", Some(&bob.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["followed_by_me"].as_bool(),
            r.body["followers"].as_i64()
        ),
        (Some(false), Some(1))
    );
    let r = send(
        &t.app,
        delete_as("/api/v1/users/alice/follow", Some(&bob.token)),
    )
    .await;
    assert_eq!(r.body["followers"], 1, "idempotent: {}", r.text);

    // Alice removes carol from her followers.
    let r = send(
        &t.app,
        delete_as("/api/v1/users/me/followers/carol", Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send(&t.app, get("/api/v1/users/alice")).await;
    assert_eq!(r.body["followers"], 0);
}

#[actix_web::test]
async fn refusals() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let r = send(&t.app, put_as("/api/v1/users/alice/follow", &alice.token)).await;
    assert_field_problem(&r, 422, "validation_failed", "username");
    let r = send(
        &t.app,
        put_as("/api/v1/users/nobody_here/follow", &alice.token),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    let r = send(&t.app, TestRequest::put().uri("/api/v1/users/alice/follow")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send(
        &t.app,
        delete_as("/api/v1/users/me/followers/nobody_here", Some(&alice.token)),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    let r = send(&t.app, delete_as("/api/v1/users/me/followers/alice", None)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send(&t.app, get("/api/v1/users/nobody_here/followers")).await;
    assert_problem(&r, 404, "not_found");
    let r = send(&t.app, get("/api/v1/users/alice/followers?cursor=nope")).await;
    assert_problem(&r, 400, "bad_request");
    let r = send(&t.app, get("/api/v1/users/alice/following?size=101")).await;
    assert_problem(&r, 400, "bad_request");
}

#[actix_web::test]
async fn lists_walk_by_cursor_and_know_whom_i_follow() {
    let t = spawn().await;
    let star = someone(&t.app, "star").await;
    let mut fans = Vec::new();
    for n in 0..5 {
        let fan = someone(&t.app, &format!("fan{n}")).await;
        send(&t.app, put_as("/api/v1/users/star/follow", &fan.token)).await;
        fans.push(fan);
    }
    send(&t.app, put_as("/api/v1/users/fan1/follow", &star.token)).await;

    let mut url = "/api/v1/users/star/followers?size=2".to_owned();
    let mut names = Vec::new();
    let mut mine = Vec::new();
    loop {
        let r = send(&t.app, get_as(&url, Some(&star.token))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["total"], 5);
        names.extend(item_strings(&r.body, "username"));
        mine.extend(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["followed_by_me"] == true),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/users/star/followers?size=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["fan4", "fan3", "fan2", "fan1", "fan0"],
        "newest follow first"
    );
    assert_eq!(mine, [false, false, false, true, false]);
    let r = send(&t.app, get("/api/v1/users/fan0/following")).await;
    assert_eq!(item_strings(&r.body, "username"), ["star"]);
    assert_eq!(r.body["total"], 1);
}
