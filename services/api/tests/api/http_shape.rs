//! The one error shape for actix's own failures, health/readiness, metrics and the docs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn malformed_json_wrong_type_oversize_unknown_route_and_method() {
    let t = spawn().await;
    let r = send(
        &t.app,
        TestRequest::post()
            .uri("/api/v1/users")
            .insert_header(("content-type", "application/json"))
            .set_payload("{\"username\": "),
    )
    .await;
    assert_problem(&r, 400, "malformed_json");

    // One rule (issue 19): JSON that parses but has the wrong shape — a field of the wrong
    // type, a missing field, an unknown one — is 422, whichever it is.
    for body in [
        json!({"login": 5, "password": "p"}),
        json!({"login": "a"}),
        json!({"login": "a", "password": "p", "extra": true}),
    ] {
        let r = send(&t.app, post_json("/api/v1/auth/login", body.clone())).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.body["code"], "validation_failed", "{body}: {}", r.text);
    }

    let r = send(
        &t.app,
        TestRequest::post()
            .uri("/api/v1/auth/login")
            .insert_header(("content-type", "text/plain"))
            .set_payload("login=a"),
    )
    .await;
    assert_problem(&r, 415, "unsupported_media_type");

    let big = "x".repeat(70 * 1024);
    let r = send(
        &t.app,
        post_json("/api/v1/auth/login", json!({"login": big, "password": "p"})),
    )
    .await;
    assert_problem(&r, 413, "payload_too_large");

    let r = send(&t.app, TestRequest::get().uri("/api/v1/nothing/here")).await;
    assert_problem(&r, 404, "route_not_found");

    let r = send(&t.app, TestRequest::put().uri("/api/v1/auth/login")).await;
    assert_problem(&r, 405, "method_not_allowed");
}

#[actix_web::test]
async fn request_id_is_echoed_into_problems() {
    let t = spawn().await;
    let r = send(
        &t.app,
        TestRequest::get()
            .uri("/api/v1/nope")
            .insert_header(("x-request-id", "trace-abc-123")),
    )
    .await;
    assert_eq!(r.body["request_id"], "trace-abc-123");
}

#[actix_web::test]
async fn health_ready_and_docs() {
    let t = spawn().await;
    let r = send(&t.app, TestRequest::get().uri("/healthz")).await;
    assert_eq!(r.status, 200);
    let r = send(&t.app, TestRequest::get().uri("/readyz")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let names: Vec<&str> = r.body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["database", "redis", "amqp"]);
    let r = send(&t.app, TestRequest::get().uri("/api-docs/openapi.json")).await;
    assert_eq!(r.status, 200);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(r.body["paths"]["/api/v1/auth/refresh"].is_object());
    let r = send(&t.app, TestRequest::get().uri("/docs/")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains("swagger"),
        "Swagger UI page served from the binary"
    );
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    let t = spawn_with(|s| {
        s.database.url = "postgres://postgres@127.0.0.1:5432/moji_does_not_exist".into();
        s.database.pool_timeout_secs = 1;
    })
    .await;
    let r = send(&t.app, TestRequest::get().uri("/readyz")).await;
    assert_eq!(r.status, 503, "{}", r.text);
    let db = r.body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "database")
        .unwrap()
        .clone();
    assert_eq!(db["ok"], false);
    // And a request that needs the database gets a clean 503 problem, not a hang or a 500.
    let r = send(&t.app, TestRequest::get().uri("/api/v1/users/anyone")).await;
    assert_problem(&r, 503, "service_unavailable");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_template() {
    let t = spawn().await;
    moji_telemetry::set_service_name("api");
    sign_up(&t.app, "tom").await;
    for _ in 0..3 {
        send(&t.app, TestRequest::get().uri("/api/v1/users/tom")).await;
    }
    let r = send(&t.app, TestRequest::get().uri("/metrics")).await;
    assert_eq!(r.status, 200);
    let line = r
        .text
        .lines()
        .find(|l| {
            l.starts_with("moji_http_requests_total{")
                && l.contains("route=\"/api/v1/users/{username}\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no counter for the route template in:\n{}", r.text));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(r
        .text
        .contains("moji_http_request_duration_seconds_bucket{"));
    assert!(r.text.contains("route=\"/api/v1/users\""));
}

#[actix_web::test]
async fn cors_allows_only_configured_origins() {
    let t = spawn_with(|s| s.http.cors_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &str| {
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api/v1/auth/login")
            .insert_header(("origin", origin.to_owned()))
            .insert_header(("access-control-request-method", "POST"))
            .insert_header(("access-control-request-headers", "content-type"))
    };
    let resp =
        actix_web::test::call_service(&t.app, preflight("https://app.example.com").to_request())
            .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(
        resp.headers().get("access-control-allow-origin").unwrap(),
        "https://app.example.com"
    );
    let resp =
        actix_web::test::call_service(&t.app, preflight("https://evil.example").to_request()).await;
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    // Same-origin requests (no Origin header) are untouched.
    let r = send(&t.app, TestRequest::get().uri("/healthz")).await;
    assert_eq!(r.status, 200);
}
