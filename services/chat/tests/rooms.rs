//! The rooms API over HTTP against a real replica: create, list with unread counts, members,
//! invite, leave (ownership handed on, last member closes), history paging, and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{call, env, person, room, Client, Replica};
use reqwest::Method;
use serde_json::json;

#[actix_web::test]
async fn creating_a_room_checks_names_and_members() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let (alice, bob) = (person(&env, "alice"), person(&env, "bob"));
    let url = a.url("/api/v1/chat/rooms");
    let (status, body) = call(
        Method::POST,
        &url,
        &alice,
        Some(json!({"name": "x", "members": ["bob", "nobody"]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["errors"][0]["field"], "members[1]");
    let (status, _) = call(
        Method::POST,
        &url,
        &alice,
        Some(json!({"name": " ", "members": ["bob"]})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, body) = call(
        Method::POST,
        &url,
        &alice,
        Some(json!({"name": "me", "members": ["alice"]})),
    )
    .await;
    assert_eq!(status, 422, "a room needs someone else: {body}");
    let (status, body) = call(
        Method::POST,
        &url,
        &alice,
        Some(json!({"name": "x", "members": ["bob"], "extra": 1})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // A NUL, which PostgreSQL's `text` cannot hold, in a name or a member (found by fuzzing:
    // it answered 500).
    for bad in [
        json!({"name": "a\u{0}b", "members": ["bob"]}),
        json!({"name": "x", "members": ["bo\u{0}b"]}),
    ] {
        let (status, body) = call(Method::POST, &url, &alice, Some(bad)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["code"], "validation_failed");
    }
    let (status, body) = call(
        Method::POST,
        &url,
        &alice,
        Some(json!({"name": "  동네 친구  ", "members": ["BOB", "bob"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "동네 친구");
    assert_eq!(body["owner"], "alice");
    assert_eq!(body["member_count"], 2);
    assert_eq!(body["last_seq"], 2, "one joined event per member");
    let unauthenticated = reqwest::Client::new().get(&url).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let _ = bob;
    a.stop().await;
}

#[actix_web::test]
async fn rooms_are_for_members_only_and_list_unread_and_last_message() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let (alice, bob, eve) = (
        person(&env, "alice"),
        person(&env, "bob"),
        person(&env, "eve"),
    );
    let first = room(&a, &alice, "first", &[&bob]).await;
    let second = room(&a, &bob, "second", &[&alice]).await;
    let mut alice_ws = Client::connect(a.addr(), &alice).await;
    for i in 0..3 {
        alice_ws
            .say(first, &format!("a{i}"), &format!("hello {i}"))
            .await;
        alice_ws.until("ack").await;
    }
    // Bob's list: first (3 unread, newest activity) before second.
    let (status, page) = call(Method::GET, &a.url("/api/v1/chat/rooms"), &bob, None).await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], first.to_string());
    assert_eq!(items[0]["unread"], 3);
    assert_eq!(items[0]["last_message"]["text"], "hello 2");
    assert_eq!(items[1]["unread"], 0);
    // Alice's own messages are not unread for her.
    let (_, mine) = call(
        Method::GET,
        &a.url(&format!("/api/v1/chat/rooms/{first}")),
        &alice,
        None,
    )
    .await;
    assert_eq!(mine["unread"], 0);
    // Reading clears it.
    let mut bob_ws = Client::connect(a.addr(), &bob).await;
    bob_ws
        .send(json!({"v": 1, "type": "read", "room_id": first, "seq": 5}))
        .await;
    let read = alice_ws.until("read").await;
    assert_eq!(read["user"], "bob");
    assert_eq!(read["seq"], 5);
    let (_, one) = call(
        Method::GET,
        &a.url(&format!("/api/v1/chat/rooms/{first}")),
        &bob,
        None,
    )
    .await;
    assert_eq!(one["unread"], 0);
    assert_eq!(one["last_read_seq"], 5);
    // Paging: one per page.
    let (_, p1) = call(Method::GET, &a.url("/api/v1/chat/rooms?size=1"), &bob, None).await;
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = call(
        Method::GET,
        &a.url(&format!("/api/v1/chat/rooms?size=1&cursor={cursor}")),
        &bob,
        None,
    )
    .await;
    assert_eq!(p2["items"][0]["id"], second.to_string());
    assert!(p2["next_cursor"].is_null());
    let (status, _) = call(
        Method::GET,
        &a.url("/api/v1/chat/rooms?cursor=bogus"),
        &bob,
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(Method::GET, &a.url("/api/v1/chat/rooms?size=0"), &bob, None).await;
    assert_eq!(status, 422);

    // Eve: 403 on a room that exists, 404 on one that does not, 400 on a bad id.
    for path in ["", "/members", "/messages"] {
        let (status, body) = call(
            Method::GET,
            &a.url(&format!("/api/v1/chat/rooms/{first}{path}")),
            &eve,
            None,
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "forbidden");
    }
    let (status, _) = call(
        Method::GET,
        &a.url(&format!("/api/v1/chat/rooms/{}", uuid::Uuid::now_v7())),
        &eve,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        Method::GET,
        &a.url("/api/v1/chat/rooms/not-a-uuid"),
        &eve,
        None,
    )
    .await;
    assert_eq!(status, 400);
    a.stop().await;
}

#[actix_web::test]
async fn history_pages_back_with_a_cursor_and_forward_with_after() {
    let mut env = env();
    env.settings.chat.send_limit = 1000;
    let a = Replica::start(&env.settings).await;
    let (alice, bob) = (person(&env, "alice"), person(&env, "bob"));
    let id = room(&a, &alice, "history", &[&bob]).await;
    let mut ws = Client::connect(a.addr(), &alice).await;
    for i in 0..25 {
        ws.say(id, &format!("h{i}"), &format!("line {i}")).await;
        ws.until("ack").await;
    }
    let base = format!("/api/v1/chat/rooms/{id}/messages");
    let mut seqs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}?size=10&cursor={c}"),
            None => format!("{base}?size=10"),
        };
        let (status, page) = call(Method::GET, &a.url(&path), &bob, None).await;
        assert_eq!(status, 200, "{page}");
        seqs.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["seq"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seqs,
        (1..=27).rev().collect::<Vec<i64>>(),
        "newest first, every event once"
    );
    let (_, after) = call(
        Method::GET,
        &a.url(&format!("{base}?after=20&size=5")),
        &bob,
        None,
    )
    .await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(
        items
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![21, 22, 23, 24, 25]
    );
    assert_eq!(items[0]["kind"], "text");
    assert_eq!(items[0]["sender"], "alice");
    assert_eq!(after["next_cursor"], "25");
    let (status, _) = call(
        Method::GET,
        &a.url(&format!("{base}?after=1&cursor=x")),
        &bob,
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(Method::GET, &a.url(&format!("{base}?after=-1")), &bob, None).await;
    assert_eq!(status, 422);
    a.stop().await;
}

#[actix_web::test]
async fn invite_and_leave_hand_ownership_on_and_the_last_member_closes_the_room() {
    let mut env = env();
    env.settings.chat.max_members = 3;
    let a = Replica::start(&env.settings).await;
    let (alice, bob, carol, dave) = (
        person(&env, "alice"),
        person(&env, "bob"),
        person(&env, "carol"),
        person(&env, "dave"),
    );
    let id = room(&a, &alice, "circle", &[&bob]).await;
    let mut bob_ws = Client::connect(a.addr(), &bob).await;
    let members = a.url(&format!("/api/v1/chat/rooms/{id}/members"));
    let (status, added) = call(
        Method::POST,
        &members,
        &bob,
        Some(json!({"usernames": ["carol", "alice"]})),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    assert_eq!(
        added["items"].as_array().unwrap().len(),
        1,
        "alice was already in"
    );
    assert_eq!(added["items"][0]["username"], "carol");
    let joined = bob_ws.until("member_joined").await;
    assert_eq!(joined["user"], "carol");
    let (status, body) = call(
        Method::POST,
        &members,
        &bob,
        Some(json!({"usernames": ["dave"]})),
    )
    .await;
    assert_eq!(status, 409, "full: {body}");
    let (status, _) = call(
        Method::POST,
        &members,
        &dave,
        Some(json!({"usernames": ["dave"]})),
    )
    .await;
    assert_eq!(status, 403, "only members invite");
    let (status, body) = call(
        Method::POST,
        &members,
        &bob,
        Some(json!({"usernames": ["ghost"]})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "usernames[0]");

    // Carol is now live in the room: she gets messages without reconnecting.
    let mut carol_ws = Client::connect(a.addr(), &carol).await;
    let leave = a.url(&format!("/api/v1/chat/rooms/{id}/members/me"));
    let (status, _) = call(Method::DELETE, &leave, &alice, None).await;
    assert_eq!(status, 204);
    let left = carol_ws.until("member_left").await;
    assert_eq!(left["user"], "alice");
    let (_, list) = call(Method::GET, &members, &bob, None).await;
    let roles: Vec<(String, String)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["username"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            ("bob".into(), "owner".into()),
            ("carol".into(), "member".into())
        ]
    );
    let (status, _) = call(Method::DELETE, &leave, &alice, None).await;
    assert_eq!(status, 403, "not a member any more");
    call(Method::DELETE, &leave, &bob, None).await;
    call(Method::DELETE, &leave, &carol, None).await;
    let (status, _) = call(
        Method::GET,
        &a.url(&format!("/api/v1/chat/rooms/{id}")),
        &carol,
        None,
    )
    .await;
    assert_eq!(status, 404, "closed with its last member");
    let closed = env.db.execute(&format!(
        "SELECT 1 FROM chat_rooms WHERE id = '{id}' AND closed_at IS NOT NULL"
    ));
    assert_eq!(closed, 1);
    a.stop().await;
}
