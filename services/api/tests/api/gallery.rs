//! The emoji gallery against real PostgreSQL, Redis and RabbitMQ: catalogue, saving results,
//! the public gallery with paging and sorting, likes, privacy, deletion and "my emojis".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn catalogue_lists_templates_animals_and_challenges() {
    let t = spawn().await;
    let r = send(&t.app, TestRequest::get().uri("/api/v1/emoji-templates")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), moji_catalog::templates().len());
    assert_eq!(items[0]["id"], "classic");
    assert_eq!(items[0]["name"]["en"], "Classic");
    assert!(!items[0]["description"]["ko"].as_str().unwrap().is_empty());
    assert_eq!(
        items[0]["preview"],
        json!(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"])
    );

    let r = send(&t.app, TestRequest::get().uri("/api/v1/zodiac/animals")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids = ids(&r.body);
    assert_eq!(
        ids,
        [
            "rat", "ox", "tiger", "rabbit", "dragon", "snake", "horse", "goat", "monkey",
            "rooster", "dog", "pig"
        ]
    );
    assert_eq!(r.body["items"][2]["name"]["ko"], "호랑이");
    assert_eq!(r.body["items"][2]["emoji"], "🐯");
    assert!(!r.body["items"][2]["traits"]["en"]
        .as_str()
        .unwrap()
        .is_empty());

    let r = send(&t.app, TestRequest::get().uri("/api/v1/challenges")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let goal = |id: &str| {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("no challenge {id}"))["goal"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(goal("meet_all_animals"), 12);
    assert_eq!(goal("all_expressions"), 7);
    assert_eq!(goal("streak_3_days"), 3);
    assert_eq!(goal("first_emoji"), 1);
    assert_eq!(goal("first_zodiac"), 1);
    assert!(r.body["items"][0]["title"]["ko"].is_string());
    assert!(r.body["items"][0]["description"]["en"].is_string());
}

#[actix_web::test]
async fn saving_a_result_checks_owner_kind_state_and_fields() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let now = Utc::now();
    let task = emoji_result(
        &t.state,
        alice.id,
        "cat",
        &[("happy", 0.6), ("sad", 0.9)],
        now,
    )
    .await;
    let save = |body: Value, token: &str| bearer(post_json("/api/v1/emojis", body), token);

    // 401 without a token.
    let r = send(
        &t.app,
        post_json(
            "/api/v1/emojis",
            json!({"task_id": task, "visibility": "public"}),
        ),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");
    // 403: someone else's task.
    let r = send(
        &t.app,
        save(json!({"task_id": task, "visibility": "public"}), &bob.token),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    // 404: no such task.
    let r = send(
        &t.app,
        save(
            json!({"task_id": uuid::Uuid::now_v7(), "visibility": "public"}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    // 422: a zodiac task, a bad visibility, a long caption, a missing field.
    let zodiac = zodiac_result(&t.state, alice.id, "tiger", "happy", now).await;
    let r = send(
        &t.app,
        save(
            json!({"task_id": zodiac, "visibility": "public"}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "task_id");
    let r = send(
        &t.app,
        save(
            json!({"task_id": task, "visibility": "friends"}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        save(
            json!({"task_id": task, "visibility": "public", "caption": "가".repeat(201)}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "caption");
    let r = send(&t.app, save(json!({"task_id": task}), &alice.token)).await;
    assert_problem(&r, 422, "validation_failed");
    // 409: not finished yet, or failed.
    let queued = queued_task(&t.state, alice.id, "emoji").await;
    let r = send(
        &t.app,
        save(
            json!({"task_id": queued, "visibility": "public"}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains("still queued"),
        "{}",
        r.text
    );
    let failed = queued_task(&t.state, alice.id, "emoji").await;
    t.state
        .db
        .run(move |c| {
            moji_db::face_tasks::persist_failure(c, failed, "no_face_detected", "no face")
        })
        .await
        .unwrap();
    let r = send(
        &t.app,
        save(
            json!({"task_id": failed, "visibility": "public"}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains("failed"),
        "{}",
        r.text
    );

    // 201: 200 characters of caption are fine; the most confident face decides the expression.
    let caption = format!("{}\n끝", "가".repeat(198));
    let resp = actix_web::test::call_service(
        &t.app,
        save(
            json!({"task_id": task, "visibility": "public", "caption": caption}),
            &alice.token,
        )
        .to_request(),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = actix_web::test::read_body_json(resp).await;
    let id = body["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/emojis/{id}"));
    assert_eq!(body["task_id"], task.to_string());
    assert_eq!(body["template"], "cat");
    assert_eq!(body["expression"], "sad");
    assert_eq!(body["caption"], caption);
    assert_eq!(body["visibility"], "public");
    assert_eq!(body["like_count"], 0);
    assert_eq!(body["liked_by_me"], false);
    assert_eq!(
        body["owner"],
        json!({"username": "alice", "display_name": "alice"})
    );
    assert!(body["created_at"].is_string());

    // The links work through the files route and serve the stored bytes.
    let r = send(
        &t.app,
        TestRequest::get().uri(&local_path(body["image_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "image/png");
    let png = actix_web::test::call_and_read_body(
        &t.app,
        TestRequest::get()
            .uri(&local_path(body["image_url"].as_str().unwrap()))
            .to_request(),
    )
    .await;
    assert_eq!(png.as_ref(), unhex(TINY_PNG_HEX).as_slice());
    let jpeg = actix_web::test::call_and_read_body(
        &t.app,
        TestRequest::get()
            .uri(&local_path(body["thumbnail_url"].as_str().unwrap()))
            .to_request(),
    )
    .await;
    assert_eq!(jpeg.as_ref(), unhex(TINY_JPEG_HEX).as_slice());
    let decoded = moji_media::decode(&jpeg, &moji_media::Limits::default()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (2, 2));

    // 409 again: one emoji per task, and the detail names it.
    let r = send(
        &t.app,
        save(
            json!({"task_id": task, "visibility": "private"}),
            &alice.token,
        ),
    )
    .await;
    assert_problem(&r, 409, "conflict");
    assert!(
        r.body["detail"].as_str().unwrap().contains(id),
        "{}",
        r.text
    );
}

/// Saves a result of `who` as an emoji and returns its id.
async fn saved<A: TestApp>(
    t: &TestApi<A>,
    who: &Someone,
    template: &str,
    expression: &str,
    visibility: &str,
) -> String {
    let task = emoji_result(&t.state, who.id, template, &[(expression, 0.9)], Utc::now()).await;
    save_emoji(&t.app, who, task, visibility).await
}

#[actix_web::test]
async fn gallery_pages_sorts_and_knows_my_likes() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let mut public = Vec::new();
    for e in ["happy", "sad", "angry", "fear", "neutral"] {
        public.push(saved(&t, &alice, "classic", e, "public").await);
    }
    let private = saved(&t, &alice, "bear", "surprise", "private").await;
    // Likes: public[1] ×2, public[3] ×1.
    for (who, id) in [(&bob, &public[1]), (&carol, &public[1]), (&bob, &public[3])] {
        let r = send(
            &t.app,
            bearer(
                TestRequest::put().uri(&format!("/api/v1/emojis/{id}/like")),
                &who.token,
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // Newest first, private ones never listed; paging math.
    let newest: Vec<String> = public.iter().rev().cloned().collect();
    let r = send(&t.app, TestRequest::get().uri("/api/v1/emojis")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["page"].as_u64(),
            r.body["size"].as_u64(),
            r.body["total"].as_i64()
        ),
        (Some(1), Some(20), Some(5))
    );
    assert_eq!(ids(&r.body), newest);
    assert!(!ids(&r.body).contains(&private));
    let page = |p: u32| format!("/api/v1/emojis?page={p}&size=2&sort=new");
    let r1 = send(&t.app, TestRequest::get().uri(&page(1))).await;
    let r3 = send(&t.app, TestRequest::get().uri(&page(3))).await;
    let r4 = send(&t.app, TestRequest::get().uri(&page(4))).await;
    assert_eq!(ids(&r1.body), newest[..2]);
    assert_eq!(r3.body["total"], 5);
    assert_eq!(
        ids(&r3.body),
        newest[4..],
        "the last page holds the remainder"
    );
    assert_eq!(r4.status, 200);
    assert!(ids(&r4.body).is_empty(), "past the end is an empty page");
    assert_eq!(r4.body["total"], 5);
    let r = send(&t.app, TestRequest::get().uri("/api/v1/emojis?size=100")).await;
    assert_eq!(r.status, 200);

    // Popular: most liked first, then newest.
    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/emojis?sort=popular"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let popular = ids(&r.body);
    assert_eq!(popular[0], public[1]);
    assert_eq!(popular[1], public[3]);
    assert_eq!(
        popular[2..],
        [public[4].clone(), public[2].clone(), public[0].clone()]
    );
    assert_eq!(r.body["items"][0]["like_count"], 2);

    // liked_by_me: false for anonymous callers, true where the caller liked.
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["liked_by_me"] == false));
    let r = send(
        &t.app,
        get_as("/api/v1/emojis?sort=popular", Some(&bob.token)),
    )
    .await;
    let liked: Vec<bool> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["liked_by_me"].as_bool().unwrap())
        .collect();
    assert_eq!(liked, [true, true, false, false, false]);

    // Bad paging values are 400, an unknown sort is 422 naming it; a bad token is 401 even on
    // a public route.
    for q in ["size=101", "size=0", "page=0", "page=abc", "page=-1"] {
        let r = send(
            &t.app,
            TestRequest::get().uri(&format!("/api/v1/emojis?{q}")),
        )
        .await;
        assert_problem(&r, 400, "bad_request");
    }
    let r = send(&t.app, TestRequest::get().uri("/api/v1/emojis?sort=oldest")).await;
    assert_field_problem(&r, 422, "validation_failed", "sort");
    let r = send(&t.app, get_as("/api/v1/emojis", Some("not.a.jwt"))).await;
    assert_problem(&r, 401, "invalid_token");
}

#[actix_web::test]
async fn likes_are_idempotent_and_counted() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let id = saved(&t, &alice, "classic", "happy", "public").await;
    let like = |method: TestRequest, who: &Someone| {
        bearer(method.uri(&format!("/api/v1/emojis/{id}/like")), &who.token)
    };

    let r = send(&t.app, like(TestRequest::put(), &bob)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, json!({"like_count": 1, "liked_by_me": true}));
    let r = send(&t.app, like(TestRequest::put(), &bob)).await;
    assert_eq!(
        r.body,
        json!({"like_count": 1, "liked_by_me": true}),
        "liking twice counts once"
    );
    let r = send(&t.app, like(TestRequest::put(), &carol)).await;
    assert_eq!(r.body["like_count"], 2);
    let r = send(
        &t.app,
        get_as(&format!("/api/v1/emojis/{id}"), Some(&bob.token)),
    )
    .await;
    assert_eq!(
        (
            r.body["like_count"].as_i64(),
            r.body["liked_by_me"].as_bool()
        ),
        (Some(2), Some(true))
    );
    let r = send(
        &t.app,
        get_as(&format!("/api/v1/emojis/{id}"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.body["liked_by_me"], false);

    let r = send(&t.app, like(TestRequest::delete(), &bob)).await;
    assert_eq!(r.body, json!({"like_count": 1, "liked_by_me": false}));
    let r = send(&t.app, like(TestRequest::delete(), &bob)).await;
    assert_eq!(
        r.body,
        json!({"like_count": 1, "liked_by_me": false}),
        "unliking twice counts once"
    );
    let r = send(&t.app, like(TestRequest::delete(), &alice)).await;
    assert_eq!(
        r.body,
        json!({"like_count": 1, "liked_by_me": false}),
        "unliking without a like"
    );
    let r = send(&t.app, get_as(&format!("/api/v1/emojis/{id}"), None)).await;
    assert_eq!(r.body["like_count"], 1);

    // Owners may like their own; the rules of reading apply to liking.
    let r = send(&t.app, like(TestRequest::put(), &alice)).await;
    assert_eq!(r.body["like_count"], 2);
    let private = saved(&t, &alice, "cat", "sad", "private").await;
    let r = send(
        &t.app,
        bearer(
            TestRequest::put().uri(&format!("/api/v1/emojis/{private}/like")),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    let r = send(
        &t.app,
        bearer(
            TestRequest::put().uri(&format!("/api/v1/emojis/{private}/like")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.body["like_count"], 1);
    let missing = uuid::Uuid::now_v7();
    let r = send(
        &t.app,
        bearer(
            TestRequest::put().uri(&format!("/api/v1/emojis/{missing}/like")),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    let r = send(
        &t.app,
        bearer(
            TestRequest::put().uri("/api/v1/emojis/not-a-uuid/like"),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
    let r = send(
        &t.app,
        TestRequest::put().uri(&format!("/api/v1/emojis/{id}/like")),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");

    // Concurrent likes from many users keep the count exact.
    let mut fans = Vec::new();
    for i in 0..6 {
        fans.push(someone(&t.app, &format!("fan{i}")).await);
    }
    let reqs = fans.iter().map(|f| {
        let req = bearer(
            TestRequest::put().uri(&format!("/api/v1/emojis/{id}/like")),
            &f.token,
        );
        send(&t.app, req)
    });
    for r in futures_util::future::join_all(reqs).await {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let r = send(&t.app, get_as(&format!("/api/v1/emojis/{id}"), None)).await;
    assert_eq!(r.body["like_count"], 8);
}

#[actix_web::test]
async fn private_emojis_and_deletion_rules() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let boss = admin(&t.app, &t.state, "boss").await;
    let private = saved(&t, &alice, "bunny", "fear", "private").await;
    let path = format!("/api/v1/emojis/{private}");

    let r = send(&t.app, get_as(&path, None)).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, get_as(&path, Some(&alice.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["visibility"], "private");
    let r = send(&t.app, get_as(&path, Some(&boss.token))).await;
    assert_eq!(r.status, 200, "admins see private emojis: {}", r.text);
    let r = send(
        &t.app,
        get_as(&format!("/api/v1/emojis/{}", uuid::Uuid::now_v7()), None),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    let r = send(&t.app, get_as("/api/v1/emojis/123", None)).await;
    assert_problem(&r, 400, "bad_request");

    // Deletion: not by others, by the admin, then it is gone.
    let r = send(&t.app, TestRequest::delete().uri(&path)).await;
    assert_problem(&r, 401, "unauthorized");
    let r = send(&t.app, bearer(TestRequest::delete().uri(&path), &bob.token)).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(
        &t.app,
        bearer(TestRequest::delete().uri(&path), &boss.token),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send(&t.app, get_as(&path, Some(&alice.token))).await;
    assert_problem(&r, 404, "not_found");
    let r = send(
        &t.app,
        bearer(TestRequest::delete().uri(&path), &alice.token),
    )
    .await;
    assert_problem(&r, 404, "not_found");

    // Owners delete their own; likes go with it and the task can be saved again.
    let public = saved(&t, &alice, "classic", "happy", "public").await;
    let r = send(
        &t.app,
        bearer(
            TestRequest::put().uri(&format!("/api/v1/emojis/{public}/like")),
            &bob.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(&t.app, get_as(&format!("/api/v1/emojis/{public}"), None)).await;
    let task = r.body["task_id"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/emojis/{public}")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    let r = send(&t.app, TestRequest::get().uri("/api/v1/emojis")).await;
    assert_eq!(r.body["total"], 0);
    let r = send(
        &t.app,
        bearer(
            post_json(
                "/api/v1/emojis",
                json!({"task_id": task, "visibility": "public"}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["like_count"], 0);
}

#[actix_web::test]
async fn my_emojis_lists_made_and_used() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let now = Utc::now();
    let first = emoji_result(
        &t.state,
        alice.id,
        "classic",
        &[("happy", 0.7)],
        now - Duration::hours(2),
    )
    .await;
    let second = emoji_result(
        &t.state,
        alice.id,
        "cat",
        &[("sad", 0.4), ("angry", 0.8)],
        now,
    )
    .await;
    let third = emoji_result(&t.state, alice.id, "bear", &[("neutral", 0.9)], now).await;
    zodiac_result(&t.state, alice.id, "dog", "happy", now).await;
    queued_task(&t.state, alice.id, "emoji").await;
    emoji_result(&t.state, bob.id, "classic", &[("fear", 0.9)], now).await;
    let r = send(
        &t.app,
        bearer(
            post_json(
                "/api/v1/emojis",
                json!({"task_id": second, "visibility": "private", "caption": "hmm"}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    let emoji_id = r.body["id"].clone();

    // used: every succeeded emoji task, saved or not, newest submitted first.
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/emojis?case=used", Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["total"].as_i64(),
            r.body["page"].as_u64(),
            r.body["size"].as_u64()
        ),
        (Some(3), Some(1), Some(20))
    );
    let tasks: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["task_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        tasks,
        [third.to_string(), second.to_string(), first.to_string()]
    );
    let item = &r.body["items"][1];
    assert_eq!(item["emoji_id"], emoji_id);
    assert_eq!(item["template"], "cat");
    assert_eq!(item["expression"], "angry");
    assert_eq!(item["faces"], 2);
    assert!(r.body["items"][0]["emoji_id"].is_null());
    let img = send(
        &t.app,
        TestRequest::get().uri(&local_path(item["image_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!((img.status, img.content_type.as_str()), (200, "image/png"));
    let thumb = send(
        &t.app,
        TestRequest::get().uri(&local_path(item["thumbnail_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!(
        (thumb.status, thumb.content_type.as_str()),
        (200, "image/jpeg")
    );
    let r = send(
        &t.app,
        get_as(
            "/api/v1/users/me/emojis?case=used&page=2&size=2",
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["items"][0]["task_id"], first.to_string());

    // made (the default): saved emojis, private ones included.
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/emojis", Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1);
    assert_eq!(r.body["items"][0]["id"], emoji_id);
    assert_eq!(r.body["items"][0]["visibility"], "private");
    assert_eq!(r.body["items"][0]["caption"], "hmm");
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/emojis?case=made", Some(&bob.token)),
    )
    .await;
    assert_eq!(r.body["total"], 0);

    let r = send(
        &t.app,
        get_as("/api/v1/users/me/emojis?case=favourite", Some(&alice.token)),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "case");
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/emojis?size=500", Some(&alice.token)),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
    let r = send(&t.app, get_as("/api/v1/users/me/emojis", None)).await;
    assert_problem(&r, 401, "unauthorized");
}

/// Moves the like of `user` on `emoji` to `at` (the API only likes "now").
fn like_at<A>(t: &TestApi<A>, emoji: &str, user: uuid::Uuid, at: chrono::DateTime<Utc>) {
    let n = t.env.db.execute(&format!(
        "UPDATE emoji_likes SET created_at = '{}' WHERE emoji_id = '{emoji}' AND user_id = '{user}'",
        at.to_rfc3339()
    ));
    assert_eq!(n, 1, "no like of {user} on {emoji}");
}

fn numbers(body: &Value, key: &str) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_i64().unwrap_or_else(|| panic!("no {key} in {i}")))
        .collect()
}

#[actix_web::test]
async fn popular_by_period_counts_likes_received_in_product_day_windows() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let dave = someone(&t.app, "dave").await;
    let mut e = Vec::new();
    for expression in ["happy", "sad", "angry", "fear", "neutral", "surprise"] {
        e.push(saved(&t, &alice, "classic", expression, "public").await);
    }
    // A private emoji's likes never show in the gallery.
    let private = saved(&t, &alice, "cat", "happy", "private").await;
    like(&t.app, &alice, &private).await;

    let cal = t.calendar();
    let today = cal.today();
    let minute = Duration::minutes(1);
    let week_start = cal.start_of(today - Duration::days(6));
    let month_start = cal.start_of(today - Duration::days(29));
    let noon = |days_ago: i64| cal.start_of(today - Duration::days(days_ago)) + Duration::hours(12);
    // e0: three likes, all before the month → week 0, month 0, all 3.
    for (who, at) in [
        (&bob, noon(40)),
        (&carol, noon(40)),
        (&dave, month_start - minute),
    ] {
        like(&t.app, who, &e[0]).await;
        like_at(&t, &e[0], who.id, at);
    }
    // e1: two likes within the month, none this week → week 0, month 2.
    for (who, at) in [(&bob, month_start + minute), (&carol, noon(10))] {
        like(&t.app, who, &e[1]).await;
        like_at(&t, &e[1], who.id, at);
    }
    // e2: one like now → week 1, month 1. e3: none.
    like(&t.app, &bob, &e[2]).await;
    // e4: one like a minute into the week's first product day → week 1.
    like(&t.app, &bob, &e[4]).await;
    like_at(&t, &e[4], bob.id, week_start + minute);
    // e5: one like a minute before it → week 0, month 1.
    like(&t.app, &carol, &e[5]).await;
    like_at(&t, &e[5], carol.id, week_start - minute);

    let gallery = |q: &str| format!("/api/v1/emojis?{q}");
    let expect = |r: &Reply, order: &[usize], in_period: &[i64], total: i64| {
        assert_eq!(r.status, 200, "{}", r.text);
        let want: Vec<String> = order.iter().map(|i| e[*i].clone()).collect();
        assert_eq!(item_strings(&r.body, "id"), want, "{}", r.text);
        assert_eq!(numbers(&r.body, "likes_in_period"), in_period, "{}", r.text);
        let all_likes = [3, 2, 1, 0, 1, 1];
        let counts: Vec<i64> = order.iter().map(|i| all_likes[*i]).collect();
        assert_eq!(numbers(&r.body, "like_count"), counts, "{}", r.text);
        assert_eq!(r.body["total"], total);
    };

    // All time (the default period): like_count, then newest; every public emoji.
    let r = send(&t.app, get(&gallery("sort=popular"))).await;
    expect(&r, &[0, 1, 5, 4, 2, 3], &[3, 2, 1, 1, 1, 0], 6);
    let r = send(&t.app, get(&gallery("sort=popular&period=all"))).await;
    expect(&r, &[0, 1, 5, 4, 2, 3], &[3, 2, 1, 1, 1, 0], 6);
    // This week: only what was liked in it — e4 and e2 (ties newest first).
    let r = send(&t.app, get(&gallery("sort=popular&period=week"))).await;
    expect(&r, &[4, 2], &[1, 1], 2);
    // This month.
    let r = send(&t.app, get(&gallery("sort=popular&period=month"))).await;
    expect(&r, &[1, 5, 4, 2], &[2, 1, 1, 1], 4);
    // Paging applies after the window's order, by page or by cursor.
    let r = send(
        &t.app,
        get(&gallery("sort=popular&period=month&page=2&size=2")),
    )
    .await;
    expect(&r, &[4, 2], &[1, 1], 4);
    assert!(r.body["next_cursor"].is_null(), "{}", r.text);
    let first = send(&t.app, get(&gallery("sort=popular&period=month&size=2"))).await;
    expect(&first, &[1, 5], &[2, 1], 4);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        get(&gallery(&format!(
            "sort=popular&period=month&size=2&cursor={cursor}"
        ))),
    )
    .await;
    expect(&r, &[4, 2], &[1, 1], 4);
    assert!(r.body["page"].is_null(), "{}", r.text);
    // A cursor of one order does not page another.
    let r = send(&t.app, get(&gallery(&format!("sort=new&cursor={cursor}")))).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Newest first: likes_in_period is the like count.
    let r = send(&t.app, get(&gallery("sort=new"))).await;
    expect(&r, &[5, 4, 3, 2, 1, 0], &[1, 1, 0, 1, 2, 3], 6);
    // The emoji's own view has it too.
    let r = send(&t.app, get(&format!("/api/v1/emojis/{}", e[0]))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["likes_in_period"], 3);
    // liked_by_me still follows the caller.
    let r = send(
        &t.app,
        get_as(&gallery("sort=popular&period=month"), Some(&carol.token)),
    )
    .await;
    let liked: Vec<bool> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["liked_by_me"].as_bool().unwrap())
        .collect();
    assert_eq!(liked, [true, true, false, false]);

    // A period only orders popular; unknown values name their parameter.
    let r = send(&t.app, get(&gallery("sort=new&period=week"))).await;
    assert_field_problem(&r, 422, "validation_failed", "period");
    let r = send(&t.app, get(&gallery("sort=popular&period=year"))).await;
    assert_field_problem(&r, 422, "validation_failed", "period");
    let r = send(&t.app, get(&gallery("sort=popular&period=Week"))).await;
    assert_field_problem(&r, 422, "validation_failed", "period");
    let r = send(&t.app, get(&gallery("sort=hot&period=week"))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(&t.app, get(&gallery("sort=popular&period=week&size=0"))).await;
    assert_problem(&r, 400, "bad_request");
}

#[actix_web::test]
async fn liked_lists_what_i_liked_and_may_still_see_newest_like_first() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let b1 = saved(&t, &bob, "cat", "happy", "public").await;
    let b2 = saved(&t, &bob, "bear", "sad", "public").await;
    let b3 = saved(&t, &bob, "bunny", "fear", "public").await;
    let c1 = saved(&t, &carol, "classic", "angry", "public").await;
    let a1 = saved(&t, &alice, "classic", "neutral", "private").await;
    let a2 = saved(&t, &alice, "cat", "surprise", "public").await;
    let now = Utc::now();
    for (id, hours_ago) in [(&a2, 6), (&c1, 5), (&a1, 4), (&b1, 3), (&b2, 2), (&b3, 1)] {
        like(&t.app, &alice, id).await;
        like_at(&t, id, alice.id, now - Duration::hours(hours_ago));
    }
    like(&t.app, &bob, &a2).await;
    // Bob hides b2 (the API has no visibility change yet; the row is what matters) and
    // deletes b3.
    let hidden = t.env.db.execute(&format!(
        "UPDATE emojis SET visibility = 'private' WHERE id = '{b2}'"
    ));
    assert_eq!(hidden, 1);
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/emojis/{b3}")),
            &bob.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);

    let liked = |q: &str, who: &Someone| {
        get_as(
            &format!("/api/v1/users/me/emojis?case=liked{q}"),
            Some(&who.token),
        )
    };
    let r = send(&t.app, liked("", &alice)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        item_strings(&r.body, "id"),
        [b1.clone(), a1.clone(), c1.clone(), a2.clone()],
        "newest like first; someone's now-private and deleted emojis are gone; my own \
         private one stays: {}",
        r.text
    );
    assert_eq!(
        (
            r.body["total"].as_i64(),
            r.body["page"].as_u64(),
            r.body["size"].as_u64()
        ),
        (Some(4), Some(1), Some(20))
    );
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["liked_by_me"] == true));
    assert_eq!(r.body["items"][0]["owner"]["username"], "bob");
    assert_eq!(r.body["items"][1]["visibility"], "private");
    assert_eq!(r.body["items"][3]["like_count"], 2);
    let r = send(&t.app, liked("&page=2&size=3", &alice)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(item_strings(&r.body, "id"), [a2.as_str()]);
    assert_eq!(r.body["total"], 4);

    let r = send(&t.app, liked("", &bob)).await;
    assert_eq!(item_strings(&r.body, "id"), [a2.as_str()]);
    assert_eq!(r.body["total"], 1);
    let r = send(&t.app, liked("", &carol)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 0);
    assert_eq!(r.body["items"], json!([]));

    // Unliking takes it off the list.
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/emojis/{b1}/like")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&t.app, liked("", &alice)).await;
    assert_eq!(item_strings(&r.body, "id"), [a1, c1, a2]);
    assert_eq!(r.body["total"], 3);

    let r = send(&t.app, liked("&size=0", &alice)).await;
    assert_problem(&r, 400, "bad_request");
    let r = send(&t.app, get_as("/api/v1/users/me/emojis?case=liked", None)).await;
    assert_problem(&r, 401, "unauthorized");
}
