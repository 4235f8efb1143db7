//! Personal statistics (`GET /users/me/statistics`): buckets by product day, ISO week or
//! calendar month, the all-time default range, and the refused ranges — against real
//! PostgreSQL, with results placed on chosen product days.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::{json, Value};

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn bucket(start: &str, end: &str, emoji: i64, zodiac: i64, faces: i64) -> Value {
    json!({"start": start, "end": end, "emoji": emoji, "zodiac": zodiac,
           "total": emoji + zodiac, "faces": faces})
}

fn counts(body: &Value, key: &str, name: &str) -> Vec<(String, i64)> {
    body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .iter()
        .map(|i| {
            (
                i[name].as_str().unwrap().to_owned(),
                i["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn named(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
}

fn stats(query: &str) -> String {
    format!("/api/v1/users/me/statistics{query}")
}

/// Months from `from`'s to `to`'s, both included.
fn months_between(from: NaiveDate, to: NaiveDate) -> usize {
    ((to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1) as usize
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap()
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// Alice's results on fixed product days of 2025 (Asia/Seoul, UTC+9), and one of Bob's.
async fn seed_2025<A: TestApp>(t: &TestApi<A>, alice: &Someone, bob: &Someone) {
    let s = &t.state;
    // 2025-01-01 (Wed) in Seoul although 2024-12-31 in UTC.
    emoji_result(
        s,
        alice.id,
        "bear",
        &[("surprise", 0.9)],
        instant("2024-12-31T16:00:00Z"),
    )
    .await;
    // 2025-01-30 (Thu): two faces.
    emoji_result(
        s,
        alice.id,
        "classic",
        &[("happy", 0.9), ("sad", 0.4)],
        instant("2025-01-30T03:00:00Z"),
    )
    .await;
    // 2025-02-02 (Sun) 23:30 in Seoul.
    zodiac_result(
        s,
        alice.id,
        "tiger",
        "neutral",
        instant("2025-02-02T14:30:00Z"),
    )
    .await;
    // 2025-02-03 (Mon) 00:30 in Seoul, still 2025-02-02 in UTC.
    emoji_result(
        s,
        alice.id,
        "cat",
        &[("angry", 0.8)],
        instant("2025-02-02T15:30:00Z"),
    )
    .await;
    // 2025-03-15 (Sat).
    zodiac_result(s, alice.id, "rat", "fear", instant("2025-03-15T03:00:00Z")).await;
    // Bob's result never counts for Alice.
    zodiac_result(s, bob.id, "dog", "happy", instant("2025-02-03T03:00:00Z")).await;
}

#[actix_web::test]
async fn statistics_group_by_iso_week_month_and_product_day() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    seed_2025(&t, &alice, &bob).await;

    // ISO weeks (Monday–Sunday), the first and last clipped to the range.
    let r = send(
        &t.app,
        get_as(
            &stats("?from=2025-01-29&to=2025-03-20&group=week"),
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            &r.body["from"],
            &r.body["to"],
            &r.body["group"],
            &r.body["time_zone"]
        ),
        (
            &json!("2025-01-29"),
            &json!("2025-03-20"),
            &json!("week"),
            &json!("Asia/Seoul")
        )
    );
    assert_eq!(
        r.body["buckets"],
        json!([
            bucket("2025-01-29", "2025-02-02", 1, 1, 3),
            bucket("2025-02-03", "2025-02-09", 1, 0, 1),
            bucket("2025-02-10", "2025-02-16", 0, 0, 0),
            bucket("2025-02-17", "2025-02-23", 0, 0, 0),
            bucket("2025-02-24", "2025-03-02", 0, 0, 0),
            bucket("2025-03-03", "2025-03-09", 0, 0, 0),
            bucket("2025-03-10", "2025-03-16", 0, 1, 1),
            bucket("2025-03-17", "2025-03-20", 0, 0, 0),
        ]),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 2, "zodiac": 2, "results": 4, "faces": 5})
    );
    assert_eq!(
        counts(&r.body, "expressions", "expression"),
        named(&[
            ("angry", 1),
            ("disgust", 0),
            ("fear", 1),
            ("happy", 1),
            ("sad", 1),
            ("surprise", 0),
            ("neutral", 1),
        ]),
        "all seven, in model order; the 2025-01-01 surprise is out of range"
    );
    let animals = counts(&r.body, "animals", "animal");
    assert_eq!(animals.len(), 12);
    assert_eq!(animals[0], ("rat".to_owned(), 1));
    assert_eq!(animals[2], ("tiger".to_owned(), 1));
    assert_eq!(animals[10], ("dog".to_owned(), 0), "bob's dog is bob's");
    assert_eq!(
        animals.iter().map(|(_, c)| c).sum::<i64>(),
        2,
        "{animals:?}"
    );

    // Calendar months, clipped.
    let r = send(
        &t.app,
        get_as(
            &stats("?from=2025-01-29&to=2025-03-20&group=month"),
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["group"], "month");
    assert_eq!(
        r.body["buckets"],
        json!([
            bucket("2025-01-29", "2025-01-31", 1, 0, 2),
            bucket("2025-02-01", "2025-02-28", 1, 1, 2),
            bucket("2025-03-01", "2025-03-20", 0, 1, 1),
        ]),
        "{}",
        r.text
    );
    assert_eq!(r.body["totals"]["results"], 4);

    // Days: a day bucket starts and ends on its day. 00:30 in Seoul on Monday is Monday.
    let r = send(
        &t.app,
        get_as(
            &stats("?from=2025-02-01&to=2025-02-03&group=day"),
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["buckets"],
        json!([
            bucket("2025-02-01", "2025-02-01", 0, 0, 0),
            bucket("2025-02-02", "2025-02-02", 0, 1, 1),
            bucket("2025-02-03", "2025-02-03", 1, 0, 1),
        ]),
        "{}",
        r.text
    );

    // A single day, group omitted: days. The result made on 2024-12-31 UTC counts for
    // 2025-01-01, the Seoul day.
    let r = send(
        &t.app,
        get_as(&stats("?from=2025-01-01&to=2025-01-01"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["group"], "day");
    assert_eq!(
        r.body["buckets"],
        json!([bucket("2025-01-01", "2025-01-01", 1, 0, 1)])
    );
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 1, "zodiac": 0, "results": 1, "faces": 1})
    );
    assert_eq!(
        r.body["expressions"][5],
        json!({"expression": "surprise", "count": 1})
    );
    let r = send(
        &t.app,
        get_as(&stats("?from=2024-12-31&to=2024-12-31"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.body["totals"]["results"], 0, "{}", r.text);
}

#[actix_web::test]
async fn statistics_group_defaults_to_days_up_to_366_days_then_months() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    seed_2025(&t, &alice, &bob).await;

    // 366 days: one bucket per day.
    let r = send(
        &t.app,
        get_as(&stats("?from=2024-01-01&to=2024-12-31"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["group"], "day");
    let buckets = r.body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 366);
    assert_eq!(buckets[59], bucket("2024-02-29", "2024-02-29", 0, 0, 0));

    // 367 days: months, the last one a single day.
    let r = send(
        &t.app,
        get_as(&stats("?from=2024-01-01&to=2025-01-01"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["group"], "month");
    let buckets = r.body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 13);
    assert_eq!(buckets[1], bucket("2024-02-01", "2024-02-29", 0, 0, 0));
    assert_eq!(buckets[12], bucket("2025-01-01", "2025-01-01", 1, 0, 1));
    assert_eq!(r.body["totals"]["results"], 1);

    // An explicit group wins: 312 months are fine.
    let r = send(
        &t.app,
        get_as(
            &stats("?from=2000-01-01&to=2025-12-31&group=month"),
            Some(&alice.token),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["buckets"].as_array().unwrap().len(), 312);
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 3, "zodiac": 2, "results": 5, "faces": 6})
    );
}

#[actix_web::test]
async fn statistics_default_to_all_time_from_the_first_result() {
    let t = spawn().await;
    let cal = t.calendar();
    let today = cal.today();

    // No results: today only.
    let carol = someone(&t.app, "carol").await;
    let r = send(&t.app, get_as(&stats(""), Some(&carol.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["from"], today.to_string());
    assert_eq!(r.body["to"], today.to_string());
    assert_eq!(r.body["group"], "day");
    assert_eq!(
        r.body["buckets"],
        json!([bucket(&today.to_string(), &today.to_string(), 0, 0, 0)])
    );
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 0, "zodiac": 0, "results": 0, "faces": 0})
    );
    assert_eq!(r.body["expressions"].as_array().unwrap().len(), 7);
    assert_eq!(r.body["animals"].as_array().unwrap().len(), 12);

    // Results on the last three product days: from the first of them, by day.
    let dan = someone(&t.app, "dan").await;
    let two_ago = today - Duration::days(2);
    zodiac_result(&t.state, dan.id, "ox", "sad", on_day(&cal, two_ago)).await;
    emoji_result(
        &t.state,
        dan.id,
        "classic",
        &[("happy", 0.9), ("sad", 0.5)],
        Utc::now(),
    )
    .await;
    zodiac_result(&t.state, dan.id, "pig", "happy", Utc::now()).await;
    let r = send(&t.app, get_as(&stats(""), Some(&dan.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.body["from"], &r.body["to"], &r.body["group"]),
        (
            &json!(two_ago.to_string()),
            &json!(today.to_string()),
            &json!("day")
        )
    );
    let one_ago = (today - Duration::days(1)).to_string();
    assert_eq!(
        r.body["buckets"],
        json!([
            bucket(&two_ago.to_string(), &two_ago.to_string(), 0, 1, 1),
            bucket(&one_ago, &one_ago, 0, 0, 0),
            bucket(&today.to_string(), &today.to_string(), 1, 1, 3),
        ]),
        "{}",
        r.text
    );
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 1, "zodiac": 2, "results": 3, "faces": 4})
    );
    // By ISO week over the same default range.
    let r = send(&t.app, get_as(&stats("?group=week"), Some(&dan.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let buckets = r.body["buckets"].as_array().unwrap();
    if monday_of(two_ago) == monday_of(today) {
        assert_eq!(
            buckets,
            &[bucket(&two_ago.to_string(), &today.to_string(), 1, 2, 4)]
        );
    } else {
        assert_eq!(buckets.len(), 2, "{}", r.text);
        assert_eq!(buckets[0]["start"], two_ago.to_string());
        assert_eq!(buckets[1]["start"], monday_of(today).to_string());
        assert_eq!(buckets[1]["end"], today.to_string());
        assert_eq!(
            buckets
                .iter()
                .map(|b| b["total"].as_i64().unwrap())
                .sum::<i64>(),
            3
        );
    }

    // A first result long ago: all time is more than 366 days, so months.
    let erin = someone(&t.app, "erin").await;
    let long_ago = today - Duration::days(500);
    emoji_result(
        &t.state,
        erin.id,
        "cat",
        &[("fear", 0.9)],
        on_day(&cal, long_ago),
    )
    .await;
    zodiac_result(&t.state, erin.id, "dragon", "happy", Utc::now()).await;
    let r = send(&t.app, get_as(&stats(""), Some(&erin.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["from"], long_ago.to_string());
    assert_eq!(r.body["to"], today.to_string());
    assert_eq!(r.body["group"], "month");
    let buckets = r.body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), months_between(long_ago, today), "{}", r.text);
    let first_end =
        first_of_month(first_of_month(long_ago) + Duration::days(32)) - Duration::days(1);
    assert_eq!(
        buckets[0],
        bucket(&long_ago.to_string(), &first_end.to_string(), 1, 0, 1)
    );
    assert_eq!(
        buckets[buckets.len() - 1],
        bucket(
            &first_of_month(today).to_string(),
            &today.to_string(),
            0,
            1,
            1
        )
    );
    assert_eq!(
        r.body["totals"],
        json!({"emoji": 1, "zodiac": 1, "results": 2, "faces": 2})
    );
}

#[actix_web::test]
async fn statistics_refuse_bad_ranges_groups_and_dates() {
    let t = spawn().await;
    let a = someone(&t.app, "alice").await;
    let get = |q: &str| get_as(&stats(q), Some(&a.token));

    // More than 366 buckets.
    for q in [
        "?from=2024-01-01&to=2025-01-01&group=day",
        "?from=2000-01-03&to=2025-12-28&group=week",
        "?from=1990-01-01&to=2025-12-31&group=month",
    ] {
        let r = send(&t.app, get(q)).await;
        assert_problem(&r, 422, "validation_failed");
        // The contract does not name the field; the range's end (as before) or the group.
        assert!(
            ["to", "group"].contains(&r.field()),
            "{q}: errors[0].field {:?}: {}",
            r.field(),
            r.text
        );
    }
    // from after to.
    let r = send(&t.app, get("?from=2025-02-01&to=2025-01-31")).await;
    assert_field_problem(&r, 422, "validation_failed", "from");
    // Unknown group.
    let r = send(&t.app, get("?group=year")).await;
    assert_field_problem(&r, 422, "validation_failed", "group");
    let r = send(&t.app, get("?from=2025-01-01&to=2025-01-31&group=Week")).await;
    assert_field_problem(&r, 422, "validation_failed", "group");
    // Malformed dates are 400.
    let r = send(&t.app, get("?from=yesterday")).await;
    assert_problem(&r, 400, "bad_request");
    let r = send(&t.app, get("?to=2025-02-30")).await;
    assert_problem(&r, 400, "bad_request");
    // Signed out.
    let r = send(&t.app, get_as(&stats(""), None)).await;
    assert_problem(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn statistics_count_days_in_the_configured_time_zone() {
    let t = spawn_with(|s| s.product.time_zone = "UTC".into()).await;
    let a = someone(&t.app, "alice").await;
    // 15:30 UTC on 2025-02-02 is 2025-02-02 here (it would be the 3rd in Seoul).
    emoji_result(
        &t.state,
        a.id,
        "cat",
        &[("angry", 0.8)],
        instant("2025-02-02T15:30:00Z"),
    )
    .await;
    let r = send(
        &t.app,
        get_as(&stats("?from=2025-02-02&to=2025-02-03"), Some(&a.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["time_zone"], "UTC");
    assert_eq!(
        r.body["buckets"],
        json!([
            bucket("2025-02-02", "2025-02-02", 1, 0, 1),
            bucket("2025-02-03", "2025-02-03", 0, 0, 0),
        ])
    );
    // "Today" is the UTC day too.
    let r = send(&t.app, get_as(&stats(""), Some(&a.token))).await;
    assert_eq!(
        r.body["to"],
        Utc::now().date_naive().to_string(),
        "{}",
        r.text
    );
    assert_eq!(r.body["from"], "2025-02-02");
}
