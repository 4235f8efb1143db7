//! Date courses on the api side: the daily quota (exact under concurrency, refunded on failure
//! and cancel), idempotent submission, validation, and the owner-only history, against real
//! PostgreSQL, Redis and RabbitMQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use moji_common::{
    course::{CourseDocument, CourseLanguage, CourseStop, Region, Season, TimeOfDay, Transport},
    messages::{TaskFailedV1, TaskSucceededV1},
    ErrorCode, TaskKind,
};
use moji_mq::Outcome;
use serde_json::{json, Value};
use uuid::Uuid;

fn ask() -> Value {
    json!({"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk",
           "mood": "quiet palaces and tea", "language": "en"})
}

async fn submit<A: TestApp>(app: &A, who: &Someone) -> Reply {
    send(
        app,
        bearer(post_json("/api/v1/date-courses", ask()), &who.token),
    )
    .await
}

fn document(title: &str) -> CourseDocument {
    let stop = |id: &str, name: &str, arrival: &str| CourseStop {
        place_id: id.into(),
        name: name.into(),
        name_ko: name.into(),
        name_en: name.into(),
        lat: 37.57,
        lng: 126.98,
        category: "palace".into(),
        indoor: false,
        arrival: arrival.into(),
        stay_minutes: 60,
        travel_minutes: 10,
        distance_km: 0.6,
        note: "A walk through the gardens.".into(),
    };
    CourseDocument {
        title: title.into(),
        intro: "An afternoon in old Seoul.".into(),
        language: CourseLanguage::En,
        region: Region::Seoul,
        season: Season::Spring,
        time_of_day: TimeOfDay::Afternoon,
        transport: Transport::Walk,
        mood: Some("quiet".into()),
        budget: None,
        stops: vec![
            stop("seoul-a", "A", "13:00"),
            stop("seoul-b", "B", "14:10"),
            stop("seoul-c", "C", "15:20"),
        ],
        tips: vec!["Wear comfortable shoes.".into()],
        total_minutes: 200,
        provider: "template".into(),
        model: "template".into(),
    }
}

async fn succeed(state: &moji_api::AppState, task: Uuid, user: Uuid, title: &str) {
    let msg = TaskSucceededV1 {
        task_id: task,
        user_id: user,
        kind: TaskKind::Course,
        result: serde_json::to_value(document(title)).unwrap(),
    };
    let outcome = moji_api::courses::results::on_succeeded(state, msg).await;
    assert_eq!(outcome, Outcome::Ack);
}

fn header_num(r: &Reply, name: &str) -> i64 {
    r.header(name)
        .unwrap_or_else(|| panic!("{name} missing: {:?}", r.text))
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn five_a_day_then_429_with_headers() {
    let t = spawn().await;
    let ann = someone(&t.app, "ann").await;
    for left in (0..5).rev() {
        let r = submit(&t.app, &ann).await;
        assert_eq!(r.status, 202, "{}", r.text);
        assert_eq!(r.body["status"], "queued");
        assert_eq!(r.body["request"]["region"], "seoul");
        assert_eq!(header_num(&r, "ratelimit-limit"), 5);
        assert_eq!(header_num(&r, "ratelimit-remaining"), left);
        assert!(header_num(&r, "ratelimit-reset") > 0);
    }
    let sixth = submit(&t.app, &ann).await;
    assert_problem(&sixth, 429, "quota_exceeded");
    assert_eq!(header_num(&sixth, "ratelimit-remaining"), 0);
    let retry = header_num(&sixth, "retry-after");
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(header_num(&sixth, "ratelimit-reset"), retry);

    let q = send(
        &t.app,
        get_as("/api/v1/date-courses/quota", Some(&ann.token)),
    )
    .await;
    assert_eq!(q.status, 200);
    assert_eq!(q.body["limit"], 5);
    assert_eq!(q.body["remaining"], 0);
    // Another person has their own five.
    let ben = someone(&t.app, "ben").await;
    assert_eq!(submit(&t.app, &ben).await.status, 202);
}

#[actix_web::test]
async fn twenty_parallel_requests_take_exactly_five() {
    let t = spawn().await;
    let cho = someone(&t.app, "cho").await;
    let replies = futures_util::future::join_all((0..20).map(|_| submit(&t.app, &cho))).await;
    let accepted = replies.iter().filter(|r| r.status == 202).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        (accepted, refused),
        (5, 15),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<String> = replies
        .iter()
        .filter(|r| r.status == 202)
        .map(|r| r.body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 5);
}

#[actix_web::test]
async fn failure_and_cancel_give_the_unit_back_once() {
    let t = spawn_with(|s| s.courses.daily_quota = 2).await;
    let dan = someone(&t.app, "dan").await;
    let first = submit(&t.app, &dan).await;
    let second = submit(&t.app, &dan).await;
    assert_eq!((first.status, second.status), (202, 202));
    assert_problem(&submit(&t.app, &dan).await, 429, "quota_exceeded");

    // The worker reports a failure, twice (a redelivery): one unit back.
    let id: Uuid = first.body["id"].as_str().unwrap().parse().unwrap();
    for _ in 0..2 {
        let failed = TaskFailedV1 {
            task_id: id,
            user_id: dan.id,
            kind: TaskKind::Course,
            code: ErrorCode::NoCourseFound,
            detail: "too few places".into(),
        };
        assert_eq!(
            moji_api::courses::results::on_failed(&t.state, failed).await,
            Outcome::Ack
        );
    }
    let q = send(
        &t.app,
        get_as("/api/v1/date-courses/quota", Some(&dan.token)),
    )
    .await;
    assert_eq!(q.body["remaining"], 1);
    let task = send(
        &t.app,
        get_as(
            &format!("/api/v1/date-courses/tasks/{id}"),
            Some(&dan.token),
        ),
    )
    .await;
    assert_eq!(task.body["status"], "failed");
    assert_eq!(task.body["error"]["code"], "no_course_found");

    // Cancelling the other gives its unit back; cancelling again is a conflict.
    let other = second.body["id"].as_str().unwrap();
    let path = format!("/api/v1/date-courses/tasks/{other}");
    let cancelled = send(&t.app, delete_as(&path, Some(&dan.token))).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_problem(
        &send(&t.app, delete_as(&path, Some(&dan.token))).await,
        409,
        "conflict",
    );
    let q = send(
        &t.app,
        get_as("/api/v1/date-courses/quota", Some(&dan.token)),
    )
    .await;
    assert_eq!(q.body["remaining"], 2);
    // A result arriving after the cancel changes nothing.
    succeed(&t.state, other.parse().unwrap(), dan.id, "late").await;
    let list = send(&t.app, get_as("/api/v1/date-courses", Some(&dan.token))).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn an_idempotency_key_names_one_task_and_one_unit() {
    let t = spawn().await;
    let eun = someone(&t.app, "eun").await;
    let again = || {
        bearer(post_json("/api/v1/date-courses", ask()), &eun.token)
            .insert_header(("Idempotency-Key", "course-1"))
    };
    let a = send(&t.app, again()).await;
    let b = send(&t.app, again()).await;
    assert_eq!((a.status, b.status), (202, 202));
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(header_num(&b, "ratelimit-remaining"), 4);
}

#[actix_web::test]
async fn bad_requests_are_refused_without_taking_a_unit() {
    let t = spawn().await;
    let fay = someone(&t.app, "fay").await;
    let cases = [
        json!({"region": "tokyo", "season": "spring", "time_of_day": "afternoon", "transport": "walk"}),
        json!({"region": "seoul", "season": "spring", "time_of_day": "noon", "transport": "walk"}),
        json!({"region": "seoul", "season": "spring", "time_of_day": "afternoon"}),
        json!({"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk", "extra": 1}),
        json!({"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk", "mood": "x".repeat(201)}),
    ];
    for body in cases {
        let r = send(
            &t.app,
            bearer(post_json("/api/v1/date-courses", body.clone()), &fay.token),
        )
        .await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
    }
    let signed_out = send(&t.app, post_json("/api/v1/date-courses", ask())).await;
    assert_eq!(signed_out.status, 401);
    let q = send(
        &t.app,
        get_as("/api/v1/date-courses/quota", Some(&fay.token)),
    )
    .await;
    assert_eq!(q.body["remaining"], 5);
}

#[actix_web::test]
async fn history_is_the_owners_alone() {
    let t = spawn().await;
    let gil = someone(&t.app, "gil").await;
    let han = someone(&t.app, "han").await;
    let mut ids = Vec::new();
    for title in ["first", "second", "third"] {
        let r = submit(&t.app, &gil).await;
        let id: Uuid = r.body["id"].as_str().unwrap().parse().unwrap();
        succeed(&t.state, id, gil.id, title).await;
        // A redelivered result stores nothing twice.
        succeed(&t.state, id, gil.id, title).await;
        ids.push(id);
    }
    let task = send(
        &t.app,
        get_as(
            &format!("/api/v1/date-courses/tasks/{}", ids[0]),
            Some(&gil.token),
        ),
    )
    .await;
    assert_eq!(task.body["status"], "succeeded");
    assert_eq!(task.body["result"]["title"], "first");
    let other_task = send(
        &t.app,
        get_as(
            &format!("/api/v1/date-courses/tasks/{}", ids[0]),
            Some(&han.token),
        ),
    )
    .await;
    assert_problem(&other_task, 403, "forbidden");

    // Newest first, by cursor.
    let page1 = send(
        &t.app,
        get_as("/api/v1/date-courses?size=2", Some(&gil.token)),
    )
    .await;
    assert_eq!(page1.status, 200, "{}", page1.text);
    let titles: Vec<&str> = page1.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["third", "second"]);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = send(
        &t.app,
        get_as(
            &format!("/api/v1/date-courses?size=2&cursor={cursor}"),
            Some(&gil.token),
        ),
    )
    .await;
    assert_eq!(page2.body["items"][0]["title"], "first");
    assert!(page2.body["next_cursor"].is_null());
    assert_eq!(
        page2.body["items"][0]["course"]["stops"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let theirs = send(&t.app, get_as("/api/v1/date-courses", Some(&han.token))).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);

    let path = format!("/api/v1/date-courses/{}", ids[1]);
    assert_eq!(
        send(&t.app, get_as(&path, Some(&gil.token))).await.status,
        200
    );
    assert_problem(
        &send(&t.app, get_as(&path, Some(&han.token))).await,
        403,
        "forbidden",
    );
    assert_eq!(send(&t.app, get_as(&path, None)).await.status, 401);
    let unknown = format!("/api/v1/date-courses/{}", Uuid::now_v7());
    assert_problem(
        &send(&t.app, get_as(&unknown, Some(&gil.token))).await,
        404,
        "not_found",
    );

    let edit = |body: Value, token: &str| bearer(patch_json(&path, body), token);
    let renamed = send(
        &t.app,
        edit(json!({"title": "  Our day  ", "rating": 5}), &gil.token),
    )
    .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["title"], "Our day");
    assert_eq!(renamed.body["rating"], 5);
    let cleared = send(&t.app, edit(json!({"rating": null}), &gil.token)).await;
    assert!(cleared.body["rating"].is_null());
    assert_eq!(cleared.body["title"], "Our day");
    assert_field_problem(
        &send(&t.app, edit(json!({"rating": 6}), &gil.token)).await,
        422,
        "validation_failed",
        "rating",
    );
    assert_field_problem(
        &send(&t.app, edit(json!({"title": ""}), &gil.token)).await,
        422,
        "validation_failed",
        "title",
    );
    assert_problem(
        &send(&t.app, edit(json!({"title": "mine now"}), &han.token)).await,
        403,
        "forbidden",
    );

    assert_problem(
        &send(&t.app, delete_as(&path, Some(&han.token))).await,
        403,
        "forbidden",
    );
    assert_eq!(
        send(&t.app, delete_as(&path, Some(&gil.token)))
            .await
            .status,
        204
    );
    assert_problem(
        &send(&t.app, get_as(&path, Some(&gil.token))).await,
        404,
        "not_found",
    );
}
