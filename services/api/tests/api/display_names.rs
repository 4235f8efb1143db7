//! Display names are unique regardless of case: sign-up and profile changes refuse a taken
//! one with 409 `display_name_taken`, and availability reports them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::{json, Value};

fn sign_up_req(username: &str, display_name: Option<&str>) -> TestRequest {
    let mut body = json!({
        "username": username,
        "email": format!("{username}@example.com"),
        "password": PASSWORD,
    });
    if let Some(name) = display_name {
        body["display_name"] = json!(name);
    }
    post_json("/api/v1/users", body)
}

fn availability(query: &str) -> TestRequest {
    get(&format!("/api/v1/users/availability?{query}"))
}

fn set_display_name(token: &str, name: &str) -> TestRequest {
    bearer(
        patch_json("/api/v1/users/me", json!({"display_name": name})),
        token,
    )
}

async fn username_free<A: TestApp>(app: &A, username: &str) -> Value {
    let r = send(app, availability(&format!("username={username}"))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["username_available"].clone()
}

#[actix_web::test]
async fn sign_up_refuses_a_display_name_taken_in_any_case() {
    let t = spawn().await;
    let r = send(&t.app, sign_up_req("alice", Some("Sunny Day"))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["display_name"], "Sunny Day");

    for name in ["Sunny Day", "sunny day", "SUNNY DAY"] {
        let r = send(&t.app, sign_up_req("bob", Some(name))).await;
        assert_problem(&r, 409, "display_name_taken");
    }
    // Nothing was created by the refused sign-ups.
    assert_eq!(username_free(&t.app, "bob").await, json!(true));
    let r = send(&t.app, sign_up_req("bob", Some("Sunny Night"))).await;
    assert_eq!(r.status, 201, "{}", r.text);

    // Without a display name the username is used, and it must be free as a display name too.
    let r = send(&t.app, sign_up_req("carol", None)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["display_name"], "carol");
    let r = send(&t.app, sign_up_req("dave", Some("CAROL"))).await;
    assert_problem(&r, 409, "display_name_taken");
    let r = send(&t.app, sign_up_req("erin", Some("Mallory"))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = send(&t.app, sign_up_req("mallory", None)).await;
    assert_problem(&r, 409, "display_name_taken");
    assert_eq!(username_free(&t.app, "mallory").await, json!(true));
    // The username itself is free: with a display name of its own it signs up.
    let r = send(&t.app, sign_up_req("mallory", Some("Mal"))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["user"]["username"], "mallory");

    // Username and e-mail conflicts keep their own codes.
    let r = send(&t.app, sign_up_req("ALICE", Some("Someone New"))).await;
    assert_problem(&r, 409, "username_taken");
}

#[actix_web::test]
async fn patch_me_refuses_someone_elses_display_name() {
    let t = spawn().await;
    let gina = someone(&t.app, "gina").await;
    let hank = someone(&t.app, "hank").await;

    for name in ["gina", "GINA", "Gina"] {
        let r = send(&t.app, set_display_name(&hank.token, name)).await;
        assert_problem(&r, 409, "display_name_taken");
    }
    let r = send(&t.app, get_as("/api/v1/users/me", Some(&hank.token))).await;
    assert_eq!(
        r.body["display_name"], "hank",
        "a refused change changes nothing"
    );

    // My own name in another case is mine.
    let r = send(&t.app, set_display_name(&hank.token, "HANK")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["display_name"], "HANK");
    let r = send(&t.app, set_display_name(&gina.token, "hank")).await;
    assert_problem(&r, 409, "display_name_taken");

    // A name given up is free again.
    let r = send(&t.app, set_display_name(&hank.token, "Hank ✨")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&t.app, set_display_name(&gina.token, "hank")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["display_name"], "hank");
    let r = send(&t.app, set_display_name(&gina.token, "HANK ✨")).await;
    assert_problem(&r, 409, "display_name_taken");

    // A change of something else does not trip over my own name.
    let r = send(
        &t.app,
        bearer(
            patch_json("/api/v1/users/me", json!({"bio": "안녕"})),
            &gina.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["display_name"], "hank");
}

#[actix_web::test]
async fn availability_reports_display_names_case_insensitively() {
    let t = spawn().await;
    let ivy = someone(&t.app, "ivy").await;
    let r = send(&t.app, set_display_name(&ivy.token, "Ivy Green")).await;
    assert_eq!(r.status, 200, "{}", r.text);

    for (query, available) in [
        ("display_name=Ivy%20Green", false),
        ("display_name=IVY%20GREEN", false),
        ("display_name=ivy", true),
        ("display_name=Ivy%20Blue", true),
    ] {
        let r = send(&t.app, availability(query)).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        assert_eq!(r.body["display_name_available"], available, "{query}");
        assert!(
            r.body["username_available"].is_null(),
            "{query}: {}",
            r.text
        );
        assert!(r.body["email_available"].is_null(), "{query}: {}", r.text);
    }
    let r = send(
        &t.app,
        availability("username=ivy&email=new@example.com&display_name=ivy%20green"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            &r.body["username_available"],
            &r.body["email_available"],
            &r.body["display_name_available"]
        ),
        (&json!(false), &json!(true), &json!(false))
    );
    // Not asking about a display name leaves it null.
    let r = send(&t.app, availability("username=someone_new")).await;
    assert_eq!(r.body["username_available"], true);
    assert!(r.body["display_name_available"].is_null(), "{}", r.text);
}
