//! Comments over HTTP against real PostgreSQL, Redis and RabbitMQ: comment, reply, read,
//! edit, delete (author, post author, admin), like, who liked a post or a comment, my
//! comments and the posts I liked, with every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

async fn write_post<A: TestApp>(app: &A, who: &Someone, title: &str) -> String {
    let r = send(
        app,
        bearer(
            post_json("/api/v1/posts", json!({"title": title, "text": "본문"})),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn comment<A: TestApp>(app: &A, who: &Someone, post: &str, body: Value) -> Reply {
    send(
        app,
        bearer(
            post_json(&format!("/api/v1/posts/{post}/comments"), body),
            &who.token,
        ),
    )
    .await
}

async fn write<A: TestApp>(app: &A, who: &Someone, post: &str, text: &str) -> String {
    let r = comment(app, who, post, json!({"text": text})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn reply<A: TestApp>(app: &A, who: &Someone, post: &str, to: &str, text: &str) -> String {
    let r = comment(app, who, post, json!({"text": text, "parent_id": to})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

fn like(path: &str, who: &Someone) -> TestRequest {
    bearer(TestRequest::put().uri(&format!("{path}/like")), &who.token)
}

/// Every item of a list, following `next_cursor` from `first` (a path with `?size=`).
async fn walk<A: TestApp>(app: &A, first: &str, token: Option<&str>, key: &str) -> Vec<String> {
    let mut url = first.to_owned();
    let mut seen = Vec::new();
    loop {
        let r = send(app, get_as(&url, token)).await;
        assert_eq!(r.status, 200, "{url}: {}", r.text);
        seen.extend(item_strings(&r.body, key));
        match r.body["next_cursor"].as_str() {
            Some(c) => url = format!("{first}&cursor={c}"),
            None => break,
        }
    }
    seen
}

#[actix_web::test]
async fn comment_reply_edit_like_delete() {
    let t = spawn().await;
    let seller = someone(&t.app, "seller").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let post = write_post(&t.app, &seller, "귤 나눔").await;

    let r = comment(&t.app, &bob, &post, json!({"text": " 아직 있나요?\n"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let top = r.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/comments/{top}");
    assert_eq!(r.header("location"), Some(path.as_str()));
    assert_eq!(
        (
            r.body["text"].as_str(),
            r.body["parent_id"].clone(),
            r.body["post_id"].as_str(),
            r.body["author"]["username"].as_str(),
        ),
        (
            Some("아직 있나요?"),
            Value::Null,
            Some(post.as_str()),
            Some("bob")
        )
    );
    let answer = reply(&t.app, &seller, &post, &top, "네 있어요").await;
    let r = send(&t.app, get(&path)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["reply_count"].as_i64(),
            r.body["liked_by_me"].as_bool()
        ),
        (Some(1), Some(false))
    );
    let r = send(&t.app, get(&format!("/api/v1/comments/{answer}"))).await;
    assert_eq!(r.body["parent_id"].as_str(), Some(top.as_str()));
    let r = send(&t.app, get(&format!("/api/v1/posts/{post}"))).await;
    assert_eq!(r.body["comment_count"], 2, "replies count too");

    // Edit: the author only.
    let r = send(
        &t.app,
        bearer(patch_json(&path, json!({"text": "남았나요?"})), &bob.token),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["text"], "남았나요?");
    assert!(r.body["updated_at"].as_str() > r.body["created_at"].as_str());
    let r = send(
        &t.app,
        bearer(patch_json(&path, json!({"text": "x"})), &seller.token),
    )
    .await;
    assert_problem(&r, 403, "forbidden");

    // Likes, idempotent both ways.
    let r = send(&t.app, like(&path, &carol)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"like_count": 1, "liked_by_me": true}));
    let r = send(&t.app, like(&path, &carol)).await;
    assert_eq!(r.body["like_count"], 1);
    let r = send(&t.app, get_as(&path, Some(&carol.token))).await;
    assert_eq!(r.body["liked_by_me"], true);
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_eq!(r.body["liked_by_me"], false);
    let r = send(
        &t.app,
        delete_as(&format!("{path}/like"), Some(&carol.token)),
    )
    .await;
    assert_eq!(r.body, json!({"like_count": 0, "liked_by_me": false}));
    let r = send(
        &t.app,
        delete_as(&format!("{path}/like"), Some(&carol.token)),
    )
    .await;
    assert_eq!(r.body["like_count"], 0);

    // Delete: not a stranger; the comment's author; the post's author; an admin.
    let r = send(&t.app, delete_as(&path, Some(&carol.token))).await;
    assert_problem(&r, 403, "forbidden");
    let own = reply(&t.app, &carol, &post, &top, "저도요").await;
    let r = send(
        &t.app,
        delete_as(&format!("/api/v1/comments/{own}"), Some(&carol.token)),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send(&t.app, delete_as(&path, Some(&seller.token))).await;
    assert_eq!(
        r.status, 204,
        "the post's author cleans their thread: {}",
        r.text
    );
    for gone in [path.clone(), format!("/api/v1/comments/{answer}")] {
        let r = send(&t.app, get(&gone)).await;
        assert_problem(&r, 404, "not_found");
    }
    let r = send(&t.app, get(&format!("/api/v1/posts/{post}"))).await;
    assert_eq!(r.body["comment_count"], 0, "the replies went with it");
    let other = write(&t.app, &bob, &post, "다른 질문").await;
    let boss = admin(&t.app, &t.state, "boss").await;
    let r = send(
        &t.app,
        delete_as(&format!("/api/v1/comments/{other}"), Some(&boss.token)),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
}

#[actix_web::test]
async fn refusals() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let post = write_post(&t.app, &alice, "first").await;
    let other_post = write_post(&t.app, &alice, "second").await;
    let top = write(&t.app, &bob, &post, "hello").await;
    let answer = reply(&t.app, &alice, &post, &top, "hi").await;
    let nobody = uuid::Uuid::now_v7();

    // 422: text and parent.
    for (body, field) in [
        (json!({"text": "  "}), "text"),
        (json!({"text": "x".repeat(1001)}), "text"),
        (json!({"text": "bell\u{7}"}), "text"),
        (json!({"text": "re", "parent_id": answer}), "parent_id"),
        (json!({"text": "re", "parent_id": nobody}), "parent_id"),
    ] {
        let r = comment(&t.app, &bob, &post, body).await;
        assert_field_problem(&r, 422, "validation_failed", field);
    }
    let r = comment(
        &t.app,
        &bob,
        &other_post,
        json!({"text": "re", "parent_id": top}),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "parent_id");
    for body in [
        json!({"text": "ok", "colour": 1}),
        json!({"text": "ok", "parent_id": "not-a-uuid"}),
        json!({}),
    ] {
        let r = comment(&t.app, &bob, &post, body).await;
        assert_problem(&r, 422, "validation_failed");
    }
    let path = format!("/api/v1/comments/{top}");
    let r = send(
        &t.app,
        bearer(patch_json(&path, json!({"text": ""})), &bob.token),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "text");

    // 401: writing without a token, or with a bad one.
    let r = send(
        &t.app,
        post_json(
            &format!("/api/v1/posts/{post}/comments"),
            json!({"text": "x"}),
        ),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");
    for req in [
        patch_json(&path, json!({"text": "x"})),
        TestRequest::delete().uri(&path),
        TestRequest::put().uri(&format!("{path}/like")),
        TestRequest::delete().uri(&format!("{path}/like")),
        get("/api/v1/users/me/comments"),
        get("/api/v1/users/me/liked-posts"),
    ] {
        let r = send(&t.app, req).await;
        assert_problem(&r, 401, "unauthorized");
    }
    let r = send(
        &t.app,
        get_as(
            &format!("/api/v1/posts/{post}/comments"),
            Some("not-a-token"),
        ),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.text);

    // 404: unknown posts and comments.
    let r = comment(&t.app, &bob, &nobody.to_string(), json!({"text": "x"})).await;
    assert_problem(&r, 404, "not_found");
    let missing = format!("/api/v1/comments/{nobody}");
    for req in [
        get(&missing),
        get(&format!("{missing}/replies")),
        get(&format!("{missing}/likes")),
        get(&format!("/api/v1/posts/{nobody}/comments")),
        get(&format!("/api/v1/posts/{nobody}/likes")),
        bearer(patch_json(&missing, json!({"text": "x"})), &bob.token),
        bearer(TestRequest::delete().uri(&missing), &bob.token),
        bearer(
            TestRequest::put().uri(&format!("{missing}/like")),
            &bob.token,
        ),
    ] {
        let r = send(&t.app, req).await;
        assert_problem(&r, 404, "not_found");
    }

    // 400: malformed ids, sizes, cursors and pages.
    for url in [
        "/api/v1/comments/not-a-uuid".to_owned(),
        "/api/v1/comments/not-a-uuid/replies".to_owned(),
        "/api/v1/comments/not-a-uuid/likes".to_owned(),
        "/api/v1/posts/not-a-uuid/comments".to_owned(),
        "/api/v1/posts/not-a-uuid/likes".to_owned(),
        format!("/api/v1/posts/{post}/comments?size=101"),
        format!("/api/v1/posts/{post}/comments?size=0"),
        format!("/api/v1/posts/{post}/comments?cursor=nope"),
        format!("/api/v1/posts/{post}/comments?page=2"),
        format!("/api/v1/comments/{top}/replies?page=2"),
        format!("/api/v1/posts/{post}/likes?size=101"),
        format!("/api/v1/comments/{top}/likes?cursor=nope"),
    ] {
        let r = send(&t.app, get(&url)).await;
        assert_problem(&r, 400, "bad_request");
    }
    for url in [
        "/api/v1/users/me/comments?size=101",
        "/api/v1/users/me/liked-posts?page=2",
    ] {
        let r = send(&t.app, get_as(url, Some(&bob.token))).await;
        assert_problem(&r, 400, "bad_request");
    }
    let r = send(
        &t.app,
        bearer(
            TestRequest::put().uri("/api/v1/comments/not-a-uuid/like"),
            &bob.token,
        ),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // A cursor of a newest-first list does not page an oldest-first one.
    for n in 0..2 {
        let fan = someone(&t.app, &format!("fan{n}")).await;
        send(&t.app, like(&path, &fan)).await;
    }
    let r = send(&t.app, get(&format!("{path}/likes?size=1"))).await;
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        get(&format!("/api/v1/posts/{post}/comments?cursor={cursor}")),
    )
    .await;
    assert_problem(&r, 400, "bad_request");

    // 403: someone else's comment.
    let r = send(
        &t.app,
        bearer(
            patch_json(
                &format!("/api/v1/comments/{answer}"),
                json!({"text": "mine now"}),
            ),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&r, 403, "forbidden");

    // A post that is not published shows its thread to its author only.
    t.env.db.execute(&format!(
        "UPDATE posts SET status = 'pending' WHERE id = '{post}'"
    ));
    for req in [
        get(&format!("/api/v1/posts/{post}/comments")),
        get(&format!("/api/v1/posts/{post}/likes")),
        get_as(&path, Some(&bob.token)),
        get(&format!("{path}/replies")),
        bearer(TestRequest::put().uri(&format!("{path}/like")), &bob.token),
    ] {
        let r = send(&t.app, req).await;
        assert_problem(&r, 404, "not_found");
    }
    let r = comment(&t.app, &bob, &post, json!({"text": "hidden"})).await;
    assert_problem(&r, 404, "not_found");
    let r = send(
        &t.app,
        get_as(
            &format!("/api/v1/posts/{post}/comments"),
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(item_strings(&r.body, "id"), vec![top], "{}", r.text);
    let r = comment(&t.app, &alice, &post, json!({"text": "note"})).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // `/posts/latest/{username}` keeps the names this module's paths use.
    for name in ["comments", "likes"] {
        let r = send(&t.app, get(&format!("/api/v1/posts/latest/{name}"))).await;
        assert_problem(&r, 404, "not_found");
        assert!(r.text.contains("user"), "{}", r.text);
    }
}

#[actix_web::test]
async fn lists_page_by_cursor() {
    let t = spawn().await;
    let seller = someone(&t.app, "seller").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let post = write_post(&t.app, &seller, "market").await;
    let other = write_post(&t.app, &carol, "other").await;
    let mut tops = Vec::new();
    for n in 0..5 {
        let who = if n % 2 == 0 { &bob } else { &carol };
        tops.push(write(&t.app, who, &post, &format!("top{n}")).await);
    }
    let mut replies = Vec::new();
    for n in 0..3 {
        replies.push(reply(&t.app, &bob, &post, &tops[1], &format!("re{n}")).await);
    }
    write(&t.app, &bob, &other, "elsewhere").await;
    send(&t.app, like(&format!("/api/v1/comments/{}", tops[0]), &bob)).await;

    // The conversation, oldest first; replies under their comment.
    let url = format!("/api/v1/posts/{post}/comments?size=2");
    assert_eq!(walk(&t.app, &url, None, "id").await, tops);
    let r = send(&t.app, get_as(&url, Some(&bob.token))).await;
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(
        (
            items[0]["liked_by_me"].as_bool(),
            items[0]["like_count"].as_i64(),
            items[1]["reply_count"].as_i64(),
        ),
        (Some(true), Some(1), Some(3))
    );
    assert_eq!(r.body["size"], 2);
    assert!(r.body.get("total").is_none(), "a feed has no total");
    let url = format!("/api/v1/comments/{}/replies?size=2", tops[1]);
    assert_eq!(walk(&t.app, &url, None, "id").await, replies);
    let r = send(
        &t.app,
        get(&format!("/api/v1/comments/{}/replies", replies[0])),
    )
    .await;
    assert_eq!(item_strings(&r.body, "id"), Vec::<String>::new());

    // Who liked, newest like first, with the like count as total.
    for who in [&bob, &carol, &seller] {
        send(&t.app, like(&format!("/api/v1/posts/{post}"), who)).await;
        send(&t.app, like(&format!("/api/v1/comments/{}", tops[2]), who)).await;
    }
    for base in [
        format!("/api/v1/posts/{post}/likes"),
        format!("/api/v1/comments/{}/likes", tops[2]),
    ] {
        let r = send(&t.app, get(&format!("{base}?size=2"))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["total"], 3);
        let first = &r.body["items"][0];
        assert_eq!(
            (
                first["username"].as_str(),
                first["display_name"].is_string(),
                first["liked_at"].is_string()
            ),
            (Some("seller"), true, true)
        );
        let names = walk(&t.app, &format!("{base}?size=2"), None, "username").await;
        assert_eq!(names, ["seller", "carol", "bob"]);
        let r = send(&t.app, get(&format!("{base}?page=2&size=2"))).await;
        assert_eq!(item_strings(&r.body, "username"), ["bob"]);
    }

    // My comments, newest first, each with its post's id and title.
    let url = "/api/v1/users/me/comments?size=3";
    let r = send(&t.app, get_as(url, Some(&bob.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 7);
    let first = &r.body["items"][0];
    assert_eq!(
        (
            first["text"].as_str(),
            first["post_title"].as_str(),
            first["post_id"].as_str(),
            first["author"]["username"].as_str(),
        ),
        (
            Some("elsewhere"),
            Some("other"),
            Some(other.as_str()),
            Some("bob")
        )
    );
    let texts = walk(&t.app, url, Some(&bob.token), "text").await;
    assert_eq!(
        texts,
        ["elsewhere", "re2", "re1", "re0", "top4", "top2", "top0"]
    );
    let texts = walk(&t.app, url, Some(&carol.token), "text").await;
    assert_eq!(texts, ["top3", "top1"]);

    // The posts I liked, newest like first, as posts.
    send(&t.app, like(&format!("/api/v1/posts/{other}"), &bob)).await;
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/liked-posts?size=1", Some(&bob.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["items"][0]["title"].as_str(),
            r.body["items"][0]["liked_by_me"].as_bool(),
            r.body["items"][0]["comment_count"].as_i64(),
        ),
        (Some("other"), Some(true), Some(1))
    );
    assert!(r.body["items"][0]["images"].is_array(), "{}", r.text);
    let titles = walk(
        &t.app,
        "/api/v1/users/me/liked-posts?size=1",
        Some(&bob.token),
        "title",
    )
    .await;
    assert_eq!(titles, ["other", "market"]);
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/liked-posts", Some(&seller.token)),
    )
    .await;
    assert_eq!(r.body["items"][0]["comment_count"], 8, "{}", r.text);
}
