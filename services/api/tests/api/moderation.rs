//! Reports and moderation over HTTP against real PostgreSQL, Redis and RabbitMQ: filing
//! (404/409/422/429), admins only (403), the automatic hide at the threshold, admin actions
//! with the reporter seeing the outcome, the audit log and statistics, and suspensions and
//! bans taking effect on the very next request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::{json, Value};

async fn new_post<A: TestApp>(app: &A, author: &Someone, title: &str) -> String {
    let r = send(
        app,
        bearer(
            post_json("/api/v1/posts", json!({"title": title, "text": "hello"})),
            &author.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn report<A: TestApp>(app: &A, who: &Someone, body: Value) -> Reply {
    send(app, bearer(post_json("/api/v1/reports", body), &who.token)).await
}

fn post_report(id: &str) -> Value {
    json!({"target_type": "post", "target_id": id, "reason": "spam"})
}

fn latest_ids(body: &Value) -> Vec<String> {
    item_strings(body, "id")
}

#[actix_web::test]
async fn filing_refuses_duplicates_own_content_unknown_targets_and_too_many() {
    let t = spawn_with(|s| s.moderation.daily_reports = 3).await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let post = new_post(&t.app, &alice, "buy my stuff").await;

    let r = report(&t.app, &bob, post_report(&post)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["status"], "received");
    assert!(r.body.get("target_owner").is_none() && !r.text.contains("alice"));

    let again = report(&t.app, &bob, post_report(&post)).await;
    assert_problem(&again, 409, "conflict");

    let own = report(&t.app, &alice, post_report(&post)).await;
    assert_problem(&own, 422, "validation_failed");
    assert_eq!(own.field(), "target_id");
    let me = report(
        &t.app,
        &alice,
        json!({"target_type": "user", "target_id": alice.id, "reason": "abuse"}),
    )
    .await;
    assert_problem(&me, 422, "validation_failed");

    let missing = report(
        &t.app,
        &bob,
        json!({"target_type": "comment", "target_id": post, "reason": "spam"}),
    )
    .await;
    assert_problem(&missing, 404, "not_found");
    let other_without_text = report(
        &t.app,
        &bob,
        json!({"target_type": "user", "target_id": alice.id, "reason": "other"}),
    )
    .await;
    assert_problem(&other_without_text, 422, "validation_failed");
    let unknown_reason = report(
        &t.app,
        &bob,
        json!({"target_type": "user", "target_id": alice.id, "reason": "boring"}),
    )
    .await;
    assert_problem(&unknown_reason, 422, "validation_failed");
    let anonymous = send(&t.app, post_json("/api/v1/reports", post_report(&post))).await;
    assert_problem(&anonymous, 401, "unauthorized");

    // Three a day (this test's setting): the user report is the second, one more is the
    // third, the fourth is refused.
    let r = report(
        &t.app,
        &bob,
        json!({"target_type": "user", "target_id": alice.id, "reason": "other", "text": "rude"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let second_post = new_post(&t.app, &alice, "more").await;
    assert_eq!(
        report(&t.app, &bob, post_report(&second_post)).await.status,
        201
    );
    let third_post = new_post(&t.app, &alice, "and more").await;
    let r = report(&t.app, &bob, post_report(&third_post)).await;
    assert_problem(&r, 429, "rate_limited");

    let mine = send(&t.app, get_as("/api/v1/reports/mine", Some(&bob.token))).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 3);
    let none = send(&t.app, get_as("/api/v1/reports/mine", Some(&alice.token))).await;
    assert_eq!(none.body["items"], json!([]));
}

#[actix_web::test]
async fn admin_endpoints_are_for_admins_only() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let post = new_post(&t.app, &alice, "hi").await;
    report(&t.app, &bob, post_report(&post)).await;
    for path in [
        "/api/v1/admin/reports",
        "/api/v1/admin/reports/stats",
        "/api/v1/admin/audit",
    ] {
        let r = send(&t.app, get_as(path, Some(&bob.token))).await;
        assert_problem(&r, 403, "forbidden");
        let r = send(&t.app, get(path)).await;
        assert_problem(&r, 401, "unauthorized");
    }
    let act = send(
        &t.app,
        bearer(
            post_json(
                &format!("/api/v1/admin/reports/post/{post}/actions"),
                json!({"action": "hide"}),
            ),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&act, 403, "forbidden");
    let ban = send(
        &t.app,
        bearer(
            post_json("/api/v1/admin/users/alice/ban", json!({"reason": "spam"})),
            &bob.token,
        ),
    )
    .await;
    assert_problem(&ban, 403, "forbidden");
    // Nothing happened to the post.
    let r = send(&t.app, get("/api/v1/posts")).await;
    assert_eq!(latest_ids(&r.body), vec![post]);
}

#[actix_web::test]
async fn content_hides_itself_at_the_threshold_until_an_admin_reviews_it() {
    let t = spawn().await;
    let admin = admin(&t.app, &t.state, "root").await;
    let author = someone(&t.app, "author").await;
    let keep = new_post(&t.app, &author, "a fine post").await;
    let post = new_post(&t.app, &author, "spammy post").await;
    let mut reporters = Vec::new();
    for i in 0..5 {
        reporters.push(someone(&t.app, &format!("reporter{i}")).await);
    }
    for (i, r) in reporters.iter().enumerate() {
        let reply = report(&t.app, r, post_report(&post)).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        let listed = latest_ids(&send(&t.app, get("/api/v1/posts")).await.body);
        // Four distinct reporters leave it up; the fifth (the default threshold) hides it.
        assert_eq!(listed.contains(&post), i < 4, "after {} reports", i + 1);
    }
    let listed = latest_ids(&send(&t.app, get("/api/v1/posts")).await.body);
    assert_eq!(listed, vec![keep.clone()]);
    let other = send(
        &t.app,
        get_as(&format!("/api/v1/posts/{post}"), Some(&reporters[0].token)),
    )
    .await;
    assert_problem(&other, 404, "not_found");
    let own = send(
        &t.app,
        get_as(&format!("/api/v1/posts/{post}"), Some(&author.token)),
    )
    .await;
    assert_eq!(own.status, 200, "the author still sees it: {}", own.text);
    assert_eq!(own.body["status"], "hidden");

    let queue = send(&t.app, get_as("/api/v1/admin/reports", Some(&admin.token))).await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    let item = &queue.body["items"][0];
    assert_eq!(item["target_id"], post.as_str());
    assert_eq!(
        (item["open_reporters"].as_i64(), item["state"].as_str()),
        (Some(5), Some("hidden"))
    );
    assert_eq!(item["owner"], "author");
    assert_eq!(item["reasons"], json!([{"key": "spam", "count": 5}]));
    assert_eq!(item["latest"].as_array().unwrap().len(), 5);

    let audit = send(&t.app, get_as("/api/v1/admin/audit", Some(&admin.token))).await;
    assert_eq!(audit.body["items"][0]["action"], "auto_hide");
    assert_eq!(audit.body["items"][0]["actor"], Value::Null);

    // Dismissed: it comes back and the reports say so.
    let act = send(
        &t.app,
        bearer(
            post_json(
                &format!("/api/v1/admin/reports/post/{post}/actions"),
                json!({"action": "dismiss", "note": "it is fine"}),
            ),
            &admin.token,
        ),
    )
    .await;
    assert_eq!(act.status, 200, "{}", act.text);
    assert_eq!(act.body["reports_updated"], 5);
    let listed = latest_ids(&send(&t.app, get("/api/v1/posts")).await.body);
    assert_eq!(listed, vec![post.clone(), keep]);
    let mine = send(
        &t.app,
        get_as("/api/v1/reports/mine", Some(&reporters[0].token)),
    )
    .await;
    assert_eq!(mine.body["items"][0]["status"], "dismissed");
    let open = send(&t.app, get_as("/api/v1/admin/reports", Some(&admin.token))).await;
    assert_eq!(open.body["items"], json!([]), "nothing open: {}", open.text);
    let closed = send(
        &t.app,
        get_as("/api/v1/admin/reports?status=dismissed", Some(&admin.token)),
    )
    .await;
    assert_eq!(closed.body["items"][0]["target_id"], post.as_str());
}

#[actix_web::test]
async fn an_admin_hides_a_post_and_the_reporter_sees_it_resolved() {
    let t = spawn().await;
    let admin = admin(&t.app, &t.state, "root").await;
    let author = someone(&t.app, "author").await;
    let reporter = someone(&t.app, "reporter").await;
    let post = new_post(&t.app, &author, "rude words").await;
    let filed = report(
        &t.app,
        &reporter,
        json!({"target_type": "post", "target_id": post, "reason": "abuse", "text": "insults"}),
    )
    .await;
    assert_eq!(filed.status, 201, "{}", filed.text);

    let action = |body: Value| {
        bearer(
            post_json(&format!("/api/v1/admin/reports/post/{post}/actions"), body),
            &admin.token,
        )
    };
    let r = send(&t.app, action(json!({"action": "review"}))).await;
    assert_eq!(
        (r.status, r.body["reports_updated"].as_i64()),
        (200, Some(1)),
        "{}",
        r.text
    );
    let mine = send(
        &t.app,
        get_as("/api/v1/reports/mine", Some(&reporter.token)),
    )
    .await;
    assert_eq!(mine.body["items"][0]["status"], "in_review");
    let r = send(&t.app, action(json!({"action": "explode"}))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(&t.app, action(json!({"action": "hide", "note": "insults"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!latest_ids(&send(&t.app, get("/api/v1/posts")).await.body).contains(&post));
    let mine = send(
        &t.app,
        get_as("/api/v1/reports/mine", Some(&reporter.token)),
    )
    .await;
    assert_eq!(mine.body["items"][0]["status"], "resolved");
    assert!(mine.body["items"][0]["handled_at"].is_string());

    // A target nobody reported, and hiding what cannot be hidden.
    let unreported = new_post(&t.app, &author, "quiet").await;
    let r = send(
        &t.app,
        bearer(
            post_json(
                &format!("/api/v1/admin/reports/post/{unreported}/actions"),
                json!({"action": "hide"}),
            ),
            &admin.token,
        ),
    )
    .await;
    assert_problem(&r, 404, "not_found");
    report(
        &t.app,
        &reporter,
        json!({"target_type": "user", "target_id": author.id, "reason": "spam"}),
    )
    .await;
    let r = send(
        &t.app,
        bearer(
            post_json(
                &format!("/api/v1/admin/reports/user/{}/actions", author.id),
                json!({"action": "hide"}),
            ),
            &admin.token,
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        bearer(
            post_json(
                &format!("/api/v1/admin/reports/user/{}/actions", author.id),
                json!({"action": "warn", "note": "stop spamming"}),
            ),
            &admin.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let warnings = send(
        &t.app,
        get_as("/api/v1/users/me/warnings", Some(&author.token)),
    )
    .await;
    assert_eq!(warnings.body["items"][0]["reason"], "stop spamming");

    let audit = send(&t.app, get_as("/api/v1/admin/audit", Some(&admin.token))).await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["warn", "hide", "review"]);
    assert_eq!(audit.body["items"][1]["actor"], "root");
    assert_eq!(audit.body["items"][1]["subject"], "author");

    let stats = send(
        &t.app,
        get_as("/api/v1/admin/reports/stats?days=7", Some(&admin.token)),
    )
    .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(
        stats.body["by_status"],
        json!([{"key": "resolved", "count": 2}])
    );
    assert_eq!(stats.body["by_day"].as_array().unwrap().len(), 1);
    assert!(stats.body["median_resolution_secs"].as_f64().unwrap() >= 0.0);
    let bad = send(
        &t.app,
        get_as("/api/v1/admin/reports/stats?days=0", Some(&admin.token)),
    )
    .await;
    assert_problem(&bad, 422, "validation_failed");
}

#[actix_web::test]
async fn a_ban_or_suspension_stops_every_token_at_once() {
    let t = spawn().await;
    let admin = admin(&t.app, &t.state, "root").await;
    let troll = someone(&t.app, "troll").await;
    let me = || get_as("/api/v1/users/me", Some(&troll.token));
    assert_eq!(send(&t.app, me()).await.status, 200);

    let until = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let standing = |path: &str, body: Value| {
        bearer(
            post_json(&format!("/api/v1/admin/users/troll/{path}"), body),
            &admin.token,
        )
    };
    let r = send(&t.app, standing("suspend", json!({"reason": "flooding"}))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        standing(
            "suspend",
            json!({"reason": "flooding", "until": "2001-01-01T00:00:00Z"}),
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        standing("suspend", json!({"reason": "flooding", "until": until})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = send(&t.app, me()).await;
    assert_problem(&r, 401, "account_suspended");
    let until_said = r.body["until"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(until_said)
            .unwrap()
            .timestamp(),
        chrono::DateTime::parse_from_rfc3339(&until)
            .unwrap()
            .timestamp()
    );
    let r = login(&t.app, "troll", PASSWORD).await;
    assert_problem(&r, 401, "account_suspended");
    assert!(r.body["until"].is_string());

    let r = send(&t.app, standing("ban", json!({"reason": "again"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&t.app, me()).await;
    assert_problem(&r, 401, "account_suspended");
    assert!(
        r.body.get("until").is_none(),
        "a ban has no end: {}",
        r.text
    );

    let r = send(
        &t.app,
        standing("reinstate", json!({"reason": "appeal granted"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = login(&t.app, "troll", PASSWORD).await;
    assert_eq!(r.status, 200, "reinstated: {}", r.text);
    // The old sessions stay ended.
    assert_problem(&send(&t.app, me()).await, 401, "invalid_token");

    let r = send(
        &t.app,
        standing("ban", json!({"reason": "x", "until": until})),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        bearer(
            post_json("/api/v1/admin/users/root/ban", json!({"reason": "oops"})),
            &admin.token,
        ),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        bearer(
            post_json("/api/v1/admin/users/nobody/ban", json!({"reason": "x"})),
            &admin.token,
        ),
    )
    .await;
    assert_problem(&r, 404, "not_found");
}
