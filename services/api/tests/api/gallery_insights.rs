//! Rankings, challenges and personal statistics over persisted face results (real PostgreSQL),
//! with results backdated to test the windows and day buckets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, Utc};
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
    // The week is today and the six product days before it, from the first one's midnight.
    let cal = t.calendar();
    let since: DateTime<Utc> = r.body["since"].as_str().unwrap().parse().unwrap();
    assert_eq!(since, cal.start_of(cal.today() - Duration::days(6)));
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
    assert_field_problem(&r, 422, "validation_failed", "period");
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
    assert_field_problem(&r, 422, "validation_failed", "period");
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
async fn streak_needs_three_consecutive_product_days() {
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

/// Results one minute inside and one minute outside each window's first product day: the
/// windows are product days in the configured zone, not rolling 7×24 / 30×24 hours.
async fn ranking_windows_follow_product_days(zone: &str) {
    let zone = zone.to_owned();
    let t = spawn_with(move |s| s.product.time_zone = zone).await;
    let a = someone(&t.app, "alice").await;
    let cal = t.calendar();
    let today = cal.today();
    let minute = Duration::minutes(1);
    let week_start = cal.start_of(today - Duration::days(6));
    let month_start = cal.start_of(today - Duration::days(29));
    // In the week / out of the week but in the month / in the month / out of the month.
    let instants = [
        week_start + minute,
        week_start - minute,
        month_start + minute,
        month_start - minute,
    ];
    for (at, (template, expression)) in instants.iter().zip([
        ("classic", "happy"),
        ("cat", "sad"),
        ("bear", "angry"),
        ("bunny", "fear"),
    ]) {
        emoji_result(&t.state, a.id, template, &[(expression, 0.9)], *at).await;
    }
    for (at, animal) in instants.iter().zip(["tiger", "ox", "dog", "pig"]) {
        zodiac_result(&t.state, a.id, animal, "neutral", *at).await;
    }

    let faces = |period: &str| format!("/api/v1/faces/ranking?period={period}");
    let r = send(&t.app, TestRequest::get().uri(&faces("week"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(
        rows(&r.body, "items", &["template", "expression", "count"]),
        [vec![json!("classic"), json!("happy"), json!(1)]]
    );
    let since: DateTime<Utc> = r.body["since"].as_str().unwrap().parse().unwrap();
    assert_eq!(since, week_start);
    let r = send(&t.app, TestRequest::get().uri(&faces("month"))).await;
    assert_eq!(r.body["total"], 3, "{}", r.text);
    let since: DateTime<Utc> = r.body["since"].as_str().unwrap().parse().unwrap();
    assert_eq!(since, month_start);
    let mut templates: Vec<String> = r.body["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["template"].as_str().unwrap().to_owned())
        .collect();
    templates.sort();
    assert_eq!(templates, ["bear", "cat", "classic"]);
    let r = send(&t.app, TestRequest::get().uri(&faces("all"))).await;
    assert_eq!(r.body["total"], 4, "{}", r.text);

    let zodiac = |period: &str| format!("/api/v1/zodiac/ranking?period={period}");
    let counted = |body: &Value| -> Vec<(String, i64)> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["count"].as_i64().unwrap() > 0)
            .map(|i| {
                (
                    i["animal"].as_str().unwrap().to_owned(),
                    i["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let r = send(&t.app, TestRequest::get().uri(&zodiac("week"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(counted(&r.body), [("tiger".to_owned(), 1)]);
    let r = send(&t.app, TestRequest::get().uri(&zodiac("month"))).await;
    assert_eq!(r.body["total"], 3, "{}", r.text);
    // Ties keep the traditional order: ox, tiger, dog.
    assert_eq!(
        counted(&r.body),
        [
            ("ox".to_owned(), 1),
            ("tiger".to_owned(), 1),
            ("dog".to_owned(), 1)
        ]
    );
    let r = send(&t.app, TestRequest::get().uri(&zodiac("all"))).await;
    assert_eq!(r.body["total"], 4, "{}", r.text);
}

#[actix_web::test]
async fn ranking_windows_are_seoul_product_days_by_default() {
    ranking_windows_follow_product_days("Asia/Seoul").await;
}

#[actix_web::test]
async fn ranking_windows_follow_the_configured_time_zone() {
    ranking_windows_follow_product_days("America/Los_Angeles").await;
}
