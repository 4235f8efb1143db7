//! Profile links (issue 12): at most two http(s) addresses, shown on the public profile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::json;

#[actix_web::test]
async fn links_are_checked_shown_and_cleared() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let patch = |body| bearer(patch_json("/api/v1/users/me", body), &alice.token);

    let r = send(
        &t.app,
        patch(json!({"links": [" https://shop.example.com/a ", "http://blog.example.kr"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["links"],
        json!(["https://shop.example.com/a", "http://blog.example.kr"])
    );
    let r = send(&t.app, get("/api/v1/users/alice")).await;
    assert_eq!(
        r.body["links"],
        json!(["https://shop.example.com/a", "http://blog.example.kr"])
    );

    let r = send(&t.app, patch(json!({"links": ["javascript:alert(1)"]}))).await;
    assert_field_problem(&r, 422, "validation_failed", "links[0]");
    let r = send(
        &t.app,
        patch(json!({"links": ["https://a.example", "https://b.example", "https://c.example"]})),
    )
    .await;
    assert_field_problem(&r, 422, "validation_failed", "links");
    let r = send(&t.app, patch(json!({"links": "https://a.example"}))).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = send(&t.app, get("/api/v1/users/me")).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = send(&t.app, get_as("/api/v1/users/me", Some(&alice.token))).await;
    assert_eq!(
        r.body["links"].as_array().unwrap().len(),
        2,
        "refused changes changed nothing"
    );

    let r = send(&t.app, patch(json!({"links": []}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["links"], json!([]));
}
