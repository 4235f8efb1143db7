//! Date courses end to end: the real api takes the request and a unit of the quota, the
//! recommendation worker plans and writes the course over real RabbitMQ, Redis and PostgreSQL,
//! and the api saves it. Every stop is a catalogue place in the region, in season, open on
//! arrival and until leaving; the legs follow the transport's travel estimate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::*;
use moji_common::course::{CourseDocument, CourseRequest};
use moji_places::{catalogue, region_bounds, travel_minutes, window};
use moji_testkit::http::*;
use serde_json::{json, Value};

/// Asks for a course through the api and waits for the task to end; returns the task view.
async fn ask<S: TestApp>(api: &Api<S>, who: &Someone, body: Value) -> Value {
    let r = send(
        &api.app,
        bearer(post_json("/api/v1/date-courses", body), &who.token),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let path = format!(
        "/api/v1/date-courses/tasks/{}",
        r.body["id"].as_str().unwrap()
    );
    let mut last = Value::Null;
    for _ in 0..600 {
        let t = send(&api.app, get_as(&path, Some(&who.token))).await;
        let status = t.body["status"].as_str().unwrap_or_default().to_owned();
        last = t.body;
        if status == "succeeded" || status == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

/// Checks a course against the catalogue and the request.
fn check(request: &CourseRequest, doc: &CourseDocument) {
    let places = catalogue().unwrap();
    assert!(
        (3..=5).contains(&doc.stops.len()),
        "{} stops",
        doc.stops.len()
    );
    let bounds = region_bounds(request.region);
    let start = window(request.time_of_day).start;
    let mut ids = std::collections::HashSet::new();
    for (i, stop) in doc.stops.iter().enumerate() {
        let place = places
            .iter()
            .find(|p| p.id == stop.place_id)
            .unwrap_or_else(|| panic!("{} is not in the catalogue", stop.place_id));
        assert!(ids.insert(&stop.place_id), "{} twice", stop.place_id);
        assert_eq!(place.region, request.region);
        assert!(
            bounds.contains(stop.lat, stop.lng),
            "{} outside",
            stop.place_id
        );
        assert!(
            place.in_season(request.season),
            "{} out of season",
            stop.place_id
        );
        let arrival = moji_places::parse_hhmm(&stop.arrival).unwrap();
        let arrival = if arrival < start {
            arrival + 24 * 60
        } else {
            arrival
        };
        assert!(
            place.open_for(arrival % (24 * 60), stop.stay_minutes),
            "{} closed at {}",
            stop.place_id,
            stop.arrival
        );
        assert!(!stop.note.is_empty());
        if i > 0 {
            let prev = places
                .iter()
                .find(|p| p.id == doc.stops[i - 1].place_id)
                .unwrap();
            let km = moji_places::distance_km(prev, place);
            assert_eq!(stop.travel_minutes, travel_minutes(request.transport, km));
        } else {
            assert_eq!(stop.travel_minutes, 0);
        }
    }
    assert!(!doc.title.is_empty() && !doc.tips.is_empty());
}

#[actix_web::test]
async fn a_course_arrives_grounded_in_open_places_and_is_saved() {
    let mut env = env();
    env.settings.courses.writer = "template".into();
    let replica = Replica::start(&env.settings).await;
    let api = api(&env.settings).await;
    let ivy = api.person("ivy").await;

    let requests = [
        json!({"region": "seoul", "season": "spring", "time_of_day": "afternoon", "transport": "walk",
               "mood": "quiet palaces and traditional tea", "language": "en"}),
        json!({"region": "busan", "season": "summer", "time_of_day": "night", "transport": "transit",
               "mood": "바다 야경", "language": "ko"}),
        json!({"region": "jeju", "season": "autumn", "time_of_day": "morning", "transport": "car",
               "budget": "low"}),
    ];
    for body in requests {
        let request: CourseRequest = serde_json::from_value(body.clone()).unwrap();
        let task = ask(&api, &ivy, body.clone()).await;
        assert_eq!(task["status"], "succeeded", "{body}: {task}");
        let doc: CourseDocument = serde_json::from_value(task["result"].clone()).unwrap();
        check(&request, &doc);
        assert_eq!(doc.provider, "template");
        assert_eq!(doc.language, request.language());
    }
    // Saved for its owner, newest first. The task turns `succeeded` in Redis when the worker
    // reports; the api's `task.succeeded` consumer then saves the course, a moment later.
    let history = || send(&api.app, get_as("/api/v1/date-courses", Some(&ivy.token)));
    let saved = eventually(Duration::from_secs(10), || async {
        history().await.body["items"].as_array().map_or(0, Vec::len) == 3
    })
    .await;
    let list = history().await;
    assert!(saved.is_some(), "three courses not saved: {}", list.text);
    assert_eq!(list.body["items"][0]["course"]["region"], "jeju");
    let quota = send(
        &api.app,
        get_as("/api/v1/date-courses/quota", Some(&ivy.token)),
    )
    .await;
    assert_eq!(quota.body["remaining"], 2);

    api.stop();
    replica.stop().await;
}

#[actix_web::test]
async fn the_mood_steers_the_places() {
    let mut env = env();
    env.settings.courses.writer = "template".into();
    let replica = Replica::start(&env.settings).await;
    let api = api(&env.settings).await;
    let jay = api.person("jay").await;
    let ask_for = |mood: &str| {
        json!({"region": "seoul", "season": "autumn", "time_of_day": "afternoon",
               "transport": "transit", "mood": mood, "language": "en"})
    };
    let history = ask(
        &api,
        &jay,
        ask_for("royal palaces, history and traditional architecture"),
    )
    .await;
    let nature = ask(&api, &jay, ask_for("hiking a mountain trail in the forest")).await;
    let categories = |task: &Value| -> Vec<String> {
        task["result"]["stops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["category"].as_str().unwrap().to_owned())
            .collect()
    };
    let (h, n) = (categories(&history), categories(&nature));
    assert_eq!(h[0], "palace", "history course starts at {h:?}");
    assert_ne!(h, n, "two moods gave the same course");
    api.stop();
    replica.stop().await;
}
