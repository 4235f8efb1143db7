//! Sign-up, availability, profile, password change and account deletion against real
//! PostgreSQL, Redis and RabbitMQ.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use serde_json::json;

#[actix_web::test]
async fn sign_up_returns_user_and_token_pair() {
    let t = spawn().await;
    let body = sign_up(&t.app, "Alice_1").await;
    assert_eq!(
        body["user"]["username"], "alice_1",
        "usernames are folded to lower case"
    );
    assert_eq!(body["user"]["email"], "alice_1@example.com");
    assert_eq!(body["user"]["display_name"], "Alice_1");
    assert_eq!(body["user"]["role"], "user");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refresh_token"].as_str().is_some());
    assert!(body["user"].get("password_hash").is_none());
}

#[actix_web::test]
async fn duplicate_username_and_email_conflict() {
    let t = spawn().await;
    sign_up(&t.app, "bob").await;
    let r = send(
        &t.app,
        post_json(
            "/api/v1/users",
            json!({"username": "BOB", "email": "other@example.com", "password": "0123456789"}),
        ),
    )
    .await;
    assert_problem(&r, 409, "username_taken");
    let r = send(
        &t.app,
        post_json(
            "/api/v1/users",
            json!({"username": "bobby", "email": "Bob@Example.com", "password": "0123456789"}),
        ),
    )
    .await;
    assert_problem(&r, 409, "email_taken");
}

#[actix_web::test]
async fn invalid_sign_up_lists_every_bad_field() {
    let t = spawn().await;
    let r = send(
        &t.app,
        post_json(
            "/api/v1/users",
            json!({"username": "x!", "email": "nope", "password": "short", "display_name": " "}),
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    let mut fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(fields, ["display_name", "email", "password", "username"]);
    // A missing field is a shape problem: 422 too, not a 500.
    let r = send(
        &t.app,
        post_json("/api/v1/users", json!({"username": "carol"})),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
}

#[actix_web::test]
async fn availability_reports_free_and_taken_names() {
    let t = spawn().await;
    sign_up(&t.app, "dave").await;
    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/users/availability?username=DAVE&email=new@example.com"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["username_available"], false);
    assert_eq!(r.body["email_available"], true);
    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/users/availability?email=dave@example.com"),
    )
    .await;
    assert_eq!(r.body["email_available"], false);
    assert!(r.body["username_available"].is_null());
    let r = send(&t.app, TestRequest::get().uri("/api/v1/users/availability")).await;
    assert_problem(&r, 400, "bad_request");
    let r = send(
        &t.app,
        TestRequest::get().uri("/api/v1/users/availability?username=a"),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
}

#[actix_web::test]
async fn me_requires_a_valid_token() {
    let t = spawn().await;
    let body = sign_up(&t.app, "erin").await;
    let token = body["access_token"].as_str().unwrap();
    let r = send(
        &t.app,
        bearer(TestRequest::get().uri("/api/v1/users/me"), token),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["username"], "erin");
    assert_eq!(r.body["email"], "erin@example.com");

    let r = send(&t.app, TestRequest::get().uri("/api/v1/users/me")).await;
    assert_problem(&r, 401, "unauthorized");
    let r = send(
        &t.app,
        bearer(TestRequest::get().uri("/api/v1/users/me"), "not.a.jwt"),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
    // A refresh token is not an access token.
    let refresh = body["refresh_token"].as_str().unwrap();
    let r = send(
        &t.app,
        bearer(TestRequest::get().uri("/api/v1/users/me"), refresh),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
}

#[actix_web::test]
async fn expired_access_token_says_token_expired() {
    let t = spawn_with(|s| s.jwt.access_ttl_secs = 1).await;
    let body = sign_up(&t.app, "fred").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let token = body["access_token"].as_str().unwrap();
    let r = send(
        &t.app,
        bearer(TestRequest::get().uri("/api/v1/users/me"), token),
    )
    .await;
    assert_problem(&r, 401, "token_expired");
}

#[actix_web::test]
async fn patch_me_updates_validates_and_conflicts() {
    let t = spawn().await;
    sign_up(&t.app, "gina").await;
    let body = sign_up(&t.app, "hank").await;
    let token = body["access_token"].as_str().unwrap();
    let patch = |v| {
        bearer(
            TestRequest::patch().uri("/api/v1/users/me").set_json(v),
            token,
        )
    };

    let r = send(
        &t.app,
        patch(json!({"display_name": "Hank ✨", "bio": "안녕하세요"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["display_name"], "Hank ✨");
    assert_eq!(r.body["bio"], "안녕하세요");

    let r = send(&t.app, patch(json!({"email": "GINA@example.com"}))).await;
    assert_problem(&r, 409, "email_taken");
    let r = send(&t.app, patch(json!({"bio": "x".repeat(501)}))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(&t.app, patch(json!({"role": "admin"}))).await;
    assert_problem(&r, 422, "validation_failed");
}

#[actix_web::test]
async fn public_profile_hides_email() {
    let t = spawn().await;
    sign_up(&t.app, "ivy").await;
    let r = send(&t.app, TestRequest::get().uri("/api/v1/users/IVY")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["username"], "ivy");
    assert!(r.body.get("email").is_none(), "{}", r.text);
    let r = send(&t.app, TestRequest::get().uri("/api/v1/users/nobody_here")).await;
    assert_problem(&r, 404, "not_found");
}

#[actix_web::test]
async fn password_change_revokes_other_sessions_only() {
    let t = spawn().await;
    let first = sign_up(&t.app, "jack").await;
    let login = |pw: &str| {
        post_json(
            "/api/v1/auth/login",
            json!({"login": "jack", "password": pw}),
        )
    };
    let second = send(&t.app, login("correct horse battery")).await.body;
    let current = second["access_token"].as_str().unwrap();
    let change = |cur: &str, new: &str| {
        bearer(
            post_json(
                "/api/v1/users/me/password",
                json!({"current_password": cur, "new_password": new}),
            ),
            current,
        )
    };

    let r = send(&t.app, change("wrong password!", "a new long password")).await;
    assert_problem(&r, 403, "invalid_credentials");
    let r = send(&t.app, change("correct horse battery", "short")).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        change("correct horse battery", "a new long password"),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);

    // The session that changed the password keeps working; the other one is signed out.
    let me = |tok: &str| bearer(TestRequest::get().uri("/api/v1/users/me"), tok);
    assert_eq!(send(&t.app, me(current)).await.status, 200);
    let r = send(&t.app, me(first["access_token"].as_str().unwrap())).await;
    assert_problem(&r, 401, "invalid_token");
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/refresh",
            json!({"refresh_token": first["refresh_token"]}),
        ),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");

    assert_problem(
        &send(&t.app, login("correct horse battery")).await,
        401,
        "invalid_credentials",
    );
    assert_eq!(send(&t.app, login("a new long password")).await.status, 200);
}

#[actix_web::test]
async fn deleting_the_account_ends_everything() {
    let t = spawn().await;
    let body = sign_up(&t.app, "kate").await;
    let token = body["access_token"].as_str().unwrap();
    let r = send(
        &t.app,
        bearer(TestRequest::delete().uri("/api/v1/users/me"), token),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = send(
        &t.app,
        bearer(TestRequest::get().uri("/api/v1/users/me"), token),
    )
    .await;
    assert_problem(&r, 401, "invalid_token");
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": "kate", "password": "correct horse battery"}),
        ),
    )
    .await;
    assert_problem(&r, 401, "invalid_credentials");
    assert_eq!(
        send(&t.app, TestRequest::get().uri("/api/v1/users/kate"))
            .await
            .status,
        404
    );
    // The name is free again.
    sign_up(&t.app, "kate").await;
}

#[actix_web::test]
async fn create_admin_makes_an_admin_token() {
    let t = spawn().await;
    let user = moji_api::accounts::create_admin(
        &t.state,
        "root_admin",
        Some("root@example.com"),
        Some("a very long password".into()),
    )
    .await
    .unwrap();
    assert_eq!(user.role, "admin");
    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/login",
            json!({"login": "root@example.com", "password": "a very long password"}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["role"], "admin");
    // Promoting an existing user works without a password.
    sign_up(&t.app, "promote_me").await;
    let promoted = moji_api::accounts::create_admin(&t.state, "promote_me", None, None)
        .await
        .unwrap();
    assert_eq!(promoted.role, "admin");
}
