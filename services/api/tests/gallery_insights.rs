//! Rankings, challenges and personal statistics over persisted face results (real PostgreSQL),
//! with results backdated to test the windows and day buckets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::{json, Value};

fn days_ago(n: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(n)
}

fn rows(body: &Value, key: &str, fields: &[&str]) -> Vec<Vec<Value>> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| fields.iter().map(|f| i[*f].clone()).collect())
        .collect()
}

#[actix_web::test]
async fn face_ranking_counts_template_and_expression_per_window() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    let b = someone(&t.app, "bob").await;
    // This week: classic/happy ×3 (two faces in one photo), cat/sad ×1.
    emoji_result(
        &t.state,
        a.id,
        "classic",
        &[("happy", 0.9), ("happy", 0.8)],
        days_ago(1),
    )
    .await;
    emoji_result(&t.state, b.id, "classic", &[("happy", 0.7)], Utc::now()).await;
    emoji_result(&t.state, b.id, "cat", &[("sad", 0.6)], days_ago(6)).await;
    // Earlier this month: classic/angry ×2; long ago: bear/neutral ×4.
    emoji_result(
        &t.state,
        a.id,
        "classic",
        &[("angry", 0.9), ("angry", 0.5)],
        days_ago(10),
    )
    .await;
    emoji_result(&t.state, a.id, "bear", &[("neutral", 0.9); 4], days_ago(45)).await;
    // Zodiac results never count here.
    zodiac_result(&t.state, a.id, "tiger", "happy", Utc::now()).await;

    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/faces/ranking?period=week"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["period"], "week");
    assert_eq!(r.body["total"], 4);
    let since: DateTime<Utc> = r.body["since"].as_str().unwrap().parse().unwrap();
    assert!((days_ago(7) - since).num_seconds().abs() < 60);
    assert_eq!(
        rows(
            &r.body,
            "items",
            &["rank", "template", "expression", "count"]
        ),
        [
            vec![json!(1), json!("classic"), json!("happy"), json!(3)],
            vec![json!(2), json!("cat"), json!("sad"), json!(1)],
        ]
    );
    assert_eq!(
        rows(&r.body, "templates", &["template", "count"]),
        [
            vec![json!("classic"), json!(3)],
            vec![json!("cat"), json!(1)]
        ]
    );
    assert_eq!(
        rows(&r.body, "expressions", &["expression", "count"]),
        [vec![json!("happy"), json!(3)], vec![json!("sad"), json!(1)]]
    );

    // The default period is the week.
    let r2 = send(&t.app, TestRequest::get().uri("/api/v1/faces/ranking")).await;
    assert_eq!(r2.body["items"], r.body["items"]);

    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/faces/ranking?period=month"),
    )
    .await;
    assert_eq!(r.body["total"], 6);
    assert_eq!(
        rows(
            &r.body,
            "items",
            &["rank", "template", "expression", "count"]
        ),
        [
            vec![json!(1), json!("classic"), json!("happy"), json!(3)],
            vec![json!(2), json!("classic"), json!("angry"), json!(2)],
            vec![json!(3), json!("cat"), json!("sad"), json!(1)],
        ]
    );
    assert_eq!(
        r.body["templates"][0],
        json!({"template": "classic", "count": 5})
    );

    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/faces/ranking?period=all"),
    )
    .await;
    assert_eq!(r.body["total"], 10);
    assert!(r.body["since"].is_null());
    assert_eq!(
        r.body["items"][0],
        json!({"rank": 1, "template": "bear", "expression": "neutral", "count": 4})
    );
    assert_eq!(
        r.body["expressions"][0],
        json!({"expression": "neutral", "count": 4})
    );

    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/faces/ranking?period=year"),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
}

#[actix_web::test]
async fn zodiac_ranking_lists_all_twelve_per_window() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    for at in [Utc::now(), days_ago(2)] {
        zodiac_result(&t.state, a.id, "tiger", "happy", at).await;
    }
    zodiac_result(&t.state, a.id, "rat", "sad", days_ago(3)).await;
    for _ in 0..3 {
        zodiac_result(&t.state, a.id, "dog", "neutral", days_ago(20)).await;
    }
    zodiac_result(&t.state, a.id, "pig", "neutral", days_ago(100)).await;
    emoji_result(&t.state, a.id, "classic", &[("happy", 0.9)], Utc::now()).await;

    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/zodiac/ranking?period=week"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 3);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    assert_eq!(
        items[0],
        json!({"rank": 1, "animal": "tiger", "name": {"ko": "호랑이", "en": "Tiger"}, "emoji": "🐯", "count": 2})
    );
    assert_eq!(
        (items[1]["animal"].as_str(), items[1]["rank"].as_u64()),
        (Some("rat"), Some(2))
    );
    // Ties share a rank and keep the traditional order.
    assert_eq!(
        (
            items[2]["animal"].as_str(),
            items[2]["rank"].as_u64(),
            items[2]["count"].as_i64()
        ),
        (Some("ox"), Some(3), Some(0))
    );
    assert_eq!(
        (items[11]["animal"].as_str(), items[11]["rank"].as_u64()),
        (Some("pig"), Some(3))
    );

    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/zodiac/ranking?period=month"),
    )
    .await;
    assert_eq!(r.body["total"], 6);
    assert_eq!(
        rows(&r.body, "items", &["animal", "count"])[..3],
        [
            vec![json!("dog"), json!(3)],
            vec![json!("tiger"), json!(2)],
            vec![json!("rat"), json!(1)],
        ]
    );
    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/zodiac/ranking?period=all"),
    )
    .await;
    assert_eq!(r.body["total"], 7);
    // rat and pig tie at 1: same rank, traditional order.
    assert_eq!(r.body["items"][2]["animal"], "rat");
    assert_eq!(r.body["items"][3]["animal"], "pig");
    assert_eq!(
        r.body["items"][3]["name"],
        json!({"ko": "돼지", "en": "Pig"})
    );
    assert_eq!(
        (
            r.body["items"][2]["rank"].as_u64(),
            r.body["items"][3]["rank"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(r.body["items"][4]["rank"], 5);
    let r = send(&t.app, TestRequest::get().uri("/api/v1/zodiac/ranking")).await;
    assert_eq!(r.body["period"], "week");
    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/zodiac/ranking?period=decade"),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
}

async fn award(state: &moji_api::AppState, user: uuid::Uuid) -> Vec<String> {
    let mut ids = state
        .db
        .run(move |c| moji_db::challenges::award(c, user))
        .await
        .unwrap();
    ids.sort();
    ids
}

fn challenge<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[actix_web::test]
async fn challenges_are_awarded_once_from_results() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/challenges", Some(&a.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["achieved"], 0);
    let all = challenge(&r.body, "meet_all_animals");
    assert_eq!(all["progress"], json!({"current": 0, "goal": 12}));
    assert_eq!(all["achieved"], false);
    assert!(all["awarded_at"].is_null());
    assert!(all["title"]["ko"].is_string());
    assert_eq!(award(&t.state, a.id).await, Vec::<String>::new());

    // Eleven animals, six expressions: close but not there.
    let animals = [
        "rat", "ox", "tiger", "rabbit", "dragon", "snake", "horse", "goat", "monkey", "rooster",
        "dog", "pig",
    ];
    let expressions = [
        "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
    ];
    for (i, animal) in animals[..11].iter().enumerate() {
        zodiac_result(&t.state, a.id, animal, expressions[i % 6], Utc::now()).await;
    }
    assert_eq!(award(&t.state, a.id).await, ["first_zodiac"]);
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/challenges", Some(&a.token)),
    )
    .await;
    assert_eq!(
        challenge(&r.body, "meet_all_animals")["progress"],
        json!({"current": 11, "goal": 12})
    );
    assert_eq!(
        challenge(&r.body, "all_expressions")["progress"],
        json!({"current": 6, "goal": 7})
    );
    assert_eq!(challenge(&r.body, "first_zodiac")["achieved"], true);
    assert!(challenge(&r.body, "first_zodiac")["awarded_at"].is_string());

    // The twelfth animal, and a seventh expression on an emoji face.
    zodiac_result(&t.state, a.id, "pig", "happy", Utc::now()).await;
    assert_eq!(award(&t.state, a.id).await, ["meet_all_animals"]);
    emoji_result(&t.state, a.id, "classic", &[("neutral", 0.9)], Utc::now()).await;
    assert_eq!(
        award(&t.state, a.id).await,
        ["all_expressions", "first_emoji"]
    );
    assert_eq!(
        award(&t.state, a.id).await,
        Vec::<String>::new(),
        "awarded once"
    );

    let r = send(
        &t.app,
        get_as("/api/v1/users/me/challenges", Some(&a.token)),
    )
    .await;
    for id in [
        "meet_all_animals",
        "all_expressions",
        "first_emoji",
        "first_zodiac",
    ] {
        let c = challenge(&r.body, id);
        assert_eq!(c["achieved"], true, "{id}");
        assert_eq!(c["progress"]["current"], c["progress"]["goal"], "{id}");
    }
    assert_eq!(challenge(&r.body, "streak_3_days")["achieved"], false);
    assert_eq!(r.body["achieved"], 4);

    // Another user's results are theirs alone.
    let b = someone(&t.app, "bob").await;
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/challenges", Some(&b.token)),
    )
    .await;
    assert_eq!(r.body["achieved"], 0);
    let r = send(&t.app, get_as("/api/v1/users/me/challenges", None)).await;
    assert_problem(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn streak_needs_three_consecutive_utc_days() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    // Days -10, -8, -7: the longest run is two days.
    for d in [10, 8, 7] {
        emoji_result(&t.state, a.id, "classic", &[("happy", 0.9)], days_ago(d)).await;
    }
    // Two results on one day do not make a run.
    zodiac_result(&t.state, a.id, "ox", "sad", days_ago(7)).await;
    assert!(!award(&t.state, a.id)
        .await
        .contains(&"streak_3_days".to_owned()));
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/challenges", Some(&a.token)),
    )
    .await;
    assert_eq!(
        challenge(&r.body, "streak_3_days")["progress"],
        json!({"current": 2, "goal": 3})
    );
    // Day -6 completes -8, -7, -6.
    zodiac_result(&t.state, a.id, "dog", "happy", days_ago(6)).await;
    assert_eq!(award(&t.state, a.id).await, ["streak_3_days"]);
}

#[actix_web::test]
async fn reading_challenges_catches_up_on_unawarded_results() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    // Results persisted without `award` (e.g. before a challenge existed).
    for d in [2, 1, 0] {
        emoji_result(&t.state, a.id, "cat", &[("surprise", 0.9)], days_ago(d)).await;
    }
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/challenges", Some(&a.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(challenge(&r.body, "streak_3_days")["achieved"], true);
    assert_eq!(challenge(&r.body, "first_emoji")["achieved"], true);
    assert_eq!(challenge(&r.body, "first_zodiac")["achieved"], false);
    assert_eq!(
        award(&t.state, a.id).await,
        Vec::<String>::new(),
        "already recorded"
    );
}

#[actix_web::test]
async fn statistics_bucket_every_day_of_the_range() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    let b = someone(&t.app, "bob").await;
    let now = Utc::now();
    emoji_result(
        &t.state,
        a.id,
        "classic",
        &[("happy", 0.9), ("sad", 0.4)],
        now,
    )
    .await;
    emoji_result(&t.state, a.id, "cat", &[("happy", 0.8)], now).await;
    zodiac_result(&t.state, a.id, "tiger", "neutral", now).await;
    zodiac_result(&t.state, a.id, "tiger", "happy", days_ago(2)).await;
    emoji_result(&t.state, a.id, "bear", &[("angry", 0.9)], days_ago(40)).await;
    zodiac_result(&t.state, b.id, "rat", "fear", now).await;

    // Default: the last 30 days, every day listed.
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/statistics", Some(&a.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let today = now.date_naive();
    assert_eq!(r.body["to"], today.to_string());
    assert_eq!(r.body["from"], (today - Duration::days(29)).to_string());
    let days = r.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(
        days[29],
        json!({"date": today.to_string(), "emoji": 2, "zodiac": 1, "total": 3, "faces": 4})
    );
    assert_eq!(
        days[27],
        json!({"date": (today - Duration::days(2)).to_string(), "emoji": 0, "zodiac": 1, "total": 1, "faces": 1})
    );
    assert_eq!(days[0]["total"], 0);
    assert_eq!(
        days.iter()
            .map(|d| d["total"].as_i64().unwrap())
            .sum::<i64>(),
        4
    );
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 2, "zodiac": 2, "results": 4, "faces": 5})
    );
    let expr = rows(&r.body, "expressions", &["expression", "count"]);
    assert_eq!(expr.len(), 7);
    assert_eq!(
        expr[0],
        vec![json!("angry"), json!(0)],
        "the 40-day-old angry face is out of range"
    );
    assert_eq!(expr[3], vec![json!("happy"), json!(3)]);
    assert_eq!(expr[4], vec![json!("sad"), json!(1)]);
    assert_eq!(expr[6], vec![json!("neutral"), json!(1)]);
    let animals = rows(&r.body, "animals", &["animal", "count"]);
    assert_eq!(animals.len(), 12);
    assert_eq!(
        animals[0],
        vec![json!("rat"), json!(0)],
        "bob's rat is bob's"
    );
    assert_eq!(animals[2], vec![json!("tiger"), json!(2)]);

    // An explicit range, reaching the old result.
    let from = today - Duration::days(45);
    let r = send(
        &t.app,
        get_as(
            &format!("/api/v1/users/me/statistics?from={from}&to={today}"),
            Some(&a.token),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 46);
    assert_eq!(r.body["totals"]["emoji"], 3);
    assert_eq!(r.body["expressions"][0]["count"], 1);
    // A single day.
    let day = today - Duration::days(2);
    let r = send(
        &t.app,
        get_as(
            &format!("/api/v1/users/me/statistics?from={day}&to={day}"),
            Some(&a.token),
        ),
    )
    .await;
    assert_eq!(r.body["days"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["totals"]["zodiac"], 1);
    // 366 days is the limit.
    let r = send(
        &t.app,
        get_as(
            "/api/v1/users/me/statistics?from=2024-01-01&to=2024-12-31",
            Some(&a.token),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["days"].as_array().unwrap().len(), 366);

    let r = send(
        &t.app,
        get_as(
            "/api/v1/users/me/statistics?from=2024-01-01&to=2025-01-01",
            Some(&a.token),
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "to");
    let r = send(
        &t.app,
        get_as(
            "/api/v1/users/me/statistics?from=2025-02-01&to=2025-01-31",
            Some(&a.token),
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "from");
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/statistics?from=yesterday", Some(&a.token)),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/statistics?to=2025-02-30", Some(&a.token)),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
    let r = send(&t.app, get_as("/api/v1/users/me/statistics", None)).await;
    assert_problem(&r, 401, "unauthorized");
}
