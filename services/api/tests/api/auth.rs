//! Login, throttling, refresh rotation with reuse detection, logout and verify, against real
//! PostgreSQL and Redis.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use serde_json::json;

const PW: &str = "correct horse battery";

#[actix_web::test]
async fn login_by_username_or_email_and_uniform_failures() {
    let t = spawn().await;
    sign_up(&t.app, "lena").await;
    for login in ["lena", "LENA", "lena@example.com"] {
        let r = send(
            &t.app,
            post_json(
                "/api/v1/auth/login",
                json!({"login": login, "password": PW}),
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{login}: {}", r.text);
        assert_eq!(r.body["user"]["username"], "lena");
        assert_eq!(r.body["token_type"], "Bearer");
    }
    let wrong = send(
        &t.app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": "lena", "password": "nope nope nope"}),
        ),
    )
    .await;
    let unknown = send(
        &t.app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": "ghost", "password": PW}),
        ),
    )
    .await;
    assert_problem(&wrong, 401, "invalid_credentials");
    assert_problem(&unknown, 401, "invalid_credentials");
    assert_eq!(
        wrong.body["detail"], unknown.body["detail"],
        "no user enumeration"
    );
}

/// Found by the fuzzing (scripts/fuzz.sh): a NUL in the login reached PostgreSQL, which
/// refuses it in `text`, and the api answered 500.
#[actix_web::test]
async fn a_login_with_control_characters_is_an_ordinary_failure() {
    let t = spawn().await;
    sign_up(&t.app, "nora").await;
    for login in ["no\u{0}ra", "\u{0}", "nora\u{7}"] {
        let r = send(
            &t.app,
            post_json(
                "/api/v1/auth/login",
                json!({"login": login, "password": PW}),
            ),
        )
        .await;
        assert_problem(&r, 401, "invalid_credentials");
    }
}

#[actix_web::test]
async fn ten_failures_lock_the_login_with_retry_after() {
    let t = spawn().await;
    sign_up(&t.app, "mike").await;
    let attempt = |pw: &str| {
        post_json(
            "/api/v1/auth/login",
            json!({"login": "mike", "password": pw}),
        )
    };
    for i in 0..10 {
        let r = send(&t.app, attempt("wrong password")).await;
        assert_problem(&r, 401, "invalid_credentials");
        assert!(r.retry_after.is_none(), "attempt {i}");
    }
    // Even the right password is refused while the window lasts.
    let r = send(&t.app, attempt(PW)).await;
    assert_problem(&r, 429, "too_many_attempts");
    let secs: u64 = r.retry_after.as_deref().unwrap().parse().unwrap();
    assert!((1..=900).contains(&secs), "Retry-After {secs}");
    // Another login name is unaffected.
    sign_up(&t.app, "nina").await;
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": "nina", "password": PW}),
        ),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_kills_the_family() {
    let t = spawn().await;
    let first = sign_up(&t.app, "olga").await;
    let refresh =
        |tok: &serde_json::Value| post_json("/api/v1/auth/refresh", json!({"refresh_token": tok}));

    let second = send(&t.app, refresh(&first["refresh_token"])).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_ne!(second.body["refresh_token"], first["refresh_token"]);
    assert_ne!(second.body["access_token"], first["access_token"]);
    let new_access = second.body["access_token"].as_str().unwrap();
    let me = |tok: &str| bearer(TestRequest::get().uri("/api/v1/users/me"), tok);
    assert_eq!(send(&t.app, me(new_access)).await.status, 200);

    // Presenting the rotated-out token again: reuse. The whole family dies.
    let reused = send(&t.app, refresh(&first["refresh_token"])).await;
    assert_problem(&reused, 401, "refresh_token_reused");
    let r = send(&t.app, refresh(&second.body["refresh_token"])).await;
    assert_problem(&r, 401, "invalid_token");
    assert_problem(&send(&t.app, me(new_access)).await, 401, "invalid_token");
    assert_problem(
        &send(&t.app, me(first["access_token"].as_str().unwrap())).await,
        401,
        "invalid_token",
    );

    // Other sessions of the same user are unaffected.
    let other = send(
        &t.app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": "olga", "password": PW}),
        ),
    )
    .await;
    assert_eq!(
        send(&t.app, me(other.body["access_token"].as_str().unwrap()))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn refresh_rejects_garbage_and_access_tokens() {
    let t = spawn().await;
    let body = sign_up(&t.app, "pete").await;
    let r = send(
        &t.app,
        post_json("/api/v1/auth/refresh", json!({"refresh_token": "garbage"})),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/refresh",
            json!({"refresh_token": body["access_token"]}),
        ),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
}

#[actix_web::test]
async fn logout_kills_access_and_refresh_tokens_at_once() {
    let t = spawn().await;
    let body = sign_up(&t.app, "quinn").await;
    let access = body["access_token"].as_str().unwrap();
    let r = send(
        &t.app,
        bearer(TestRequest::post().uri("/api/v1/auth/logout"), access),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send(
        &t.app,
        bearer(TestRequest::get().uri("/api/v1/users/me"), access),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/refresh",
            json!({"refresh_token": body["refresh_token"]}),
        ),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
    let r = send(&t.app, TestRequest::post().uri("/api/v1/auth/logout")).await;
    assert_problem(&r, 401, "unauthorized");
}

#[actix_web::test]
async fn verify_reports_valid_tokens_and_rejects_others() {
    let t = spawn().await;
    let body = sign_up(&t.app, "rita").await;
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/verify",
            json!({"token": body["access_token"]}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["valid"], true);
    assert_eq!(r.body["user_id"], body["user"]["id"]);
    assert!(r.body["expires_at"].as_str().is_some());
    let r = send(
        &t.app,
        post_json("/api/v1/auth/verify", json!({"token": "x.y.z"})),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
    send(
        &t.app,
        bearer(
            TestRequest::post().uri("/api/v1/auth/logout"),
            body["access_token"].as_str().unwrap(),
        ),
    )
    .await;
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/verify",
            json!({"token": body["access_token"]}),
        ),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
}

#[actix_web::test]
async fn concurrent_refreshes_with_one_token_cannot_both_win() {
    let t = spawn().await;
    let body = sign_up(&t.app, "sam").await;
    let req = || {
        post_json(
            "/api/v1/auth/refresh",
            json!({"refresh_token": body["refresh_token"]}),
        )
    };
    let (a, b) = futures_util::join!(send(&t.app, req()), send(&t.app, req()));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 401], "a: {} b: {}", a.text, b.text);
}
