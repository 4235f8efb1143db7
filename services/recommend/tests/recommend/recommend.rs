//! Similar items, "for you" from likes and dwell time, the anonymous popular list, and view
//! recording, against the real api, PostgreSQL and RabbitMQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::*;
use serde_json::json;

#[actix_web::test]
async fn similar_items_and_lists_for_people_say_why() {
    let env = env();
    let replica = Replica::start(&env.settings).await;
    let api = api(&env.settings).await;
    let (seller, reader) = (api.person("seller").await, api.person("reader").await);
    let tent = api
        .product(
            &seller,
            "Two person camping tent",
            "Light tent for hiking trips.",
            90_000,
        )
        .await;
    api.product(
        &seller,
        "Sleeping bag for camping",
        "Warm down sleeping bag for cold nights outdoors.",
        70_000,
    )
    .await;
    api.product(
        &seller,
        "Espresso machine",
        "Makes great coffee at home.",
        300_000,
    )
    .await;
    let trail = api
        .post(
            &seller,
            "Hiking the Hallasan trail",
            "We camped near the summit and watched the sunrise.",
        )
        .await;
    api.post(
        &seller,
        "Best coffee shops in Busan",
        "Three cafes with great pour-over coffee.",
    )
    .await;
    let mine = api
        .post(
            &reader,
            "My first camping trip",
            "I slept in a tent for the first time.",
        )
        .await;
    let ready = eventually(Duration::from_secs(5), || async {
        replica.state.index.get().len() >= 8
    })
    .await;
    assert!(ready.is_some(), "everything indexed");

    let (status, body) = replica
        .get(&format!("/api/v1/products/{tent}/similar?size=2"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(titles(&body)[0], "Sleeping bag for camping");
    assert_eq!(body["items"][0]["why"]["reason"], "similar_to");
    assert_eq!(body["items"][0]["why"]["item_id"], tent.to_string());
    assert!(
        !titles(&body).contains(&"Two person camping tent".to_owned()),
        "never itself"
    );

    // Nothing known about the reader yet: popular and new, never their own post.
    let (status, body) = replica
        .get("/api/v1/recommend/posts", Some(&reader.token))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cold_start"], true);
    assert!(!titles(&body).contains(&"My first camping trip".to_owned()));

    // They like the hiking post and read about coffee for a long time.
    api.like_post(&reader, trail).await;
    let (status, body) = replica
        .post(
            "/api/v1/recommend/events/views",
            Some(&reader.token),
            json!({"item": tent, "dwell_ms": 45_000}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let recorded = eventually(Duration::from_secs(2), || async {
        // Touches the row without changing it: 1 once the batch was written.
        env.db
            .execute("UPDATE item_views SET views = views WHERE dwell_ms = 45000")
            == 1
    })
    .await;
    assert!(
        recorded.is_some(),
        "the view is written within the flush interval"
    );

    let (_, products) = replica
        .get("/api/v1/recommend/products?size=3", Some(&reader.token))
        .await;
    assert_eq!(products["cold_start"], false, "{products}");
    let first = &products["items"][0];
    assert_eq!(first["title"], "Sleeping bag for camping", "{products}");
    assert!(
        first["why"]["text"]
            .as_str()
            .unwrap()
            .starts_with("because you"),
        "{}",
        first["why"]
    );
    assert!(
        !titles(&products).contains(&"Two person camping tent".to_owned()),
        "already viewed"
    );
    let (_, posts) = replica
        .get("/api/v1/recommend/posts", Some(&reader.token))
        .await;
    assert!(
        !titles(&posts).contains(&"Hiking the Hallasan trail".to_owned()),
        "already liked"
    );
    assert!(
        !titles(&posts).contains(&"My first camping trip".to_owned()),
        "their own"
    );

    // Anyone: popular products, at most two per seller.
    let (status, body) = replica.get("/api/v1/products/recommend?size=5", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["items"].as_array().unwrap().len(),
        2,
        "two per seller: {body}"
    );

    let _ = mine;
    api.stop();
    replica.stop().await;
}

#[actix_web::test]
async fn bad_requests_get_clear_errors() {
    let env = env();
    let replica = Replica::start(&env.settings).await;
    let api = api(&env.settings).await;
    let dana = api.person("dana").await;
    let post = api.post(&dana, "A post", "Some text.").await;

    let (status, body) = replica.get("/api/v1/posts/not-an-id/similar", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, _) = replica
        .get(&format!("/api/v1/products/{post}/similar"), None)
        .await;
    assert_eq!(status, 404, "a post is not a product");
    let (status, body) = replica
        .get(&format!("/api/v1/posts/{post}/similar?size=99"), None)
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("size"))
    );
    let (status, _) = replica.get("/api/v1/recommend/posts", None).await;
    assert_eq!(status, 401);
    let views = "/api/v1/recommend/events/views";
    let (status, _) = replica
        .post(views, None, json!({"item": post, "dwell_ms": 1}))
        .await;
    assert_eq!(status, 401);
    let token = Some(dana.token.as_str());
    let (status, body) = replica
        .post(views, token, json!({"item": post, "dwell_ms": -1}))
        .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (422, Some("dwell_ms")),
        "{body}"
    );
    let (status, body) = replica
        .post(
            views,
            token,
            json!({"item": uuid::Uuid::now_v7(), "dwell_ms": 5}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = replica.post(views, token, json!({"item": post})).await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, body) = replica
        .post(
            views,
            token,
            json!({"item": post, "dwell_ms": 5, "extra": 1}),
        )
        .await;
    assert!(status == 400 || status == 422, "{status} {body}");
    let (status, body) = replica.get("/api/v1/recommend/nothing-here", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("route_not_found")),
        "{body}"
    );
    let (status, body) = replica.get("/api/v1/recommend/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(body["paths"]["/api/v1/search"].is_object());
    api.stop();
    replica.stop().await;
}
