//! Other people's pages: their public emojis (`GET /users/{username}/emojis`) and the
//! challenges they achieved (`GET /users/{username}/challenges`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

async fn emoji<A: TestApp>(
    t: &TestApi<A>,
    who: &Someone,
    template: &str,
    expression: &str,
    visibility: &str,
) -> String {
    let task = emoji_result(&t.state, who.id, template, &[(expression, 0.9)], Utc::now()).await;
    save_emoji(&t.app, who, task, visibility).await
}

fn flags(body: &Value, key: &str) -> Vec<Value> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].clone())
        .collect()
}

#[actix_web::test]
async fn a_users_emojis_are_their_public_ones_newest_first() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let carol = someone(&t.app, "carol").await;
    let a1 = emoji(&t, &alice, "classic", "happy", "public").await;
    let a2 = emoji(&t, &alice, "cat", "sad", "public").await;
    let hidden = emoji(&t, &alice, "bear", "fear", "private").await;
    let a3 = emoji(&t, &alice, "bunny", "angry", "public").await;
    let b1 = emoji(&t, &bob, "classic", "neutral", "public").await;
    like(&t.app, &bob, &a2).await;
    like(&t.app, &alice, &hidden).await;

    let page = |user: &str, q: &str, token: Option<&str>| {
        get_as(&format!("/api/v1/users/{user}/emojis{q}"), token)
    };
    let newest = [a3.clone(), a2.clone(), a1.clone()];
    let r = send(&t.app, page("alice", "", None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(item_strings(&r.body, "id"), newest, "{}", r.text);
    assert_eq!(
        (
            r.body["total"].as_i64(),
            r.body["page"].as_u64(),
            r.body["size"].as_u64()
        ),
        (Some(3), Some(1), Some(20))
    );
    let first = &r.body["items"][0];
    assert_eq!(
        first["owner"],
        json!({"username": "alice", "display_name": "alice"})
    );
    assert_eq!(first["template"], "bunny");
    assert_eq!(first["expression"], "angry");
    assert_eq!(first["visibility"], "public");
    assert_eq!(
        flags(&r.body, "liked_by_me"),
        [json!(false), json!(false), json!(false)]
    );
    assert_eq!(flags(&r.body, "like_count"), [json!(0), json!(1), json!(0)]);
    assert_eq!(
        flags(&r.body, "likes_in_period"),
        [json!(0), json!(1), json!(0)]
    );
    // The gallery's images work from here too.
    let img = send(
        &t.app,
        get(&local_path(first["image_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!((img.status, img.content_type.as_str()), (200, "image/png"));

    // A token adds liked_by_me.
    let r = send(&t.app, page("alice", "", Some(&bob.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        flags(&r.body, "liked_by_me"),
        [json!(false), json!(true), json!(false)]
    );
    // Public ones only, for the owner too.
    let r = send(&t.app, page("alice", "", Some(&alice.token))).await;
    assert_eq!(item_strings(&r.body, "id"), newest);
    assert_eq!(r.body["total"], 3);

    // Paging.
    let r = send(&t.app, page("alice", "?page=2&size=2", None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(item_strings(&r.body, "id"), [a1.as_str()]);
    assert_eq!(
        (r.body["total"].as_i64(), r.body["page"].as_u64()),
        (Some(3), Some(2))
    );
    let r = send(&t.app, page("alice", "?page=3&size=2", None)).await;
    assert_eq!(r.body["items"], json!([]));

    // Someone else's and nobody's.
    let r = send(&t.app, page("bob", "", None)).await;
    assert_eq!(item_strings(&r.body, "id"), [b1]);
    let r = send(&t.app, page("carol", "", Some(&carol.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["total"].as_i64(), r.body["items"].clone()),
        (Some(0), json!([]))
    );

    // Errors.
    let r = send(&t.app, page("nobody_here", "", None)).await;
    assert_problem(&r, 404, "not_found");
    let r = send(&t.app, page("nobody_here", "", Some(&bob.token))).await;
    assert_problem(&r, 404, "not_found");
    for q in ["?size=0", "?size=101", "?page=0"] {
        let r = send(&t.app, page("alice", q, None)).await;
        assert_problem(&r, 400, "bad_request");
    }
    let r = send(&t.app, page("alice", "", Some("not.a.jwt"))).await;
    assert_problem(&r, 401, "invalid_token");
}

#[actix_web::test]
async fn a_users_challenges_are_the_achieved_ones_most_recent_first() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    emoji_result(&t.state, alice.id, "classic", &[("happy", 0.9)], Utc::now()).await;
    assert_eq!(award(&t.state, alice.id).await, ["first_emoji"]);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    zodiac_result(&t.state, alice.id, "tiger", "sad", Utc::now()).await;
    assert_eq!(award(&t.state, alice.id).await, ["first_zodiac"]);

    let page = |user: &str, q: &str| get(&format!("/api/v1/users/{user}/challenges{q}"));
    let r = send(&t.app, page("alice", "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        item_strings(&r.body, "id"),
        ["first_zodiac", "first_emoji"],
        "{}",
        r.text
    );
    assert_eq!(
        (
            r.body["total"].as_i64(),
            r.body["page"].as_u64(),
            r.body["size"].as_u64()
        ),
        (Some(2), Some(1), Some(20))
    );
    let zodiac = &r.body["items"][0];
    let def = moji_db::challenges::definition("first_zodiac").unwrap();
    assert_eq!(
        zodiac["title"],
        json!({"ko": def.title_ko, "en": def.title_en})
    );
    assert_eq!(
        zodiac["description"],
        json!({"ko": def.description_ko, "en": def.description_en})
    );
    assert_eq!(zodiac["goal"], 1);
    let at = |i: usize| -> DateTime<Utc> {
        r.body["items"][i]["awarded_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(at(0) > at(1), "most recent first: {}", r.text);

    // Paging.
    let r = send(&t.app, page("alice", "?page=2&size=1")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(item_strings(&r.body, "id"), ["first_emoji"]);
    assert_eq!(r.body["total"], 2);
    // Readable with a token too, and the same for everyone.
    let r = send(
        &t.app,
        get_as("/api/v1/users/alice/challenges", Some(&bob.token)),
    )
    .await;
    assert_eq!(item_strings(&r.body, "id"), ["first_zodiac", "first_emoji"]);

    // Nothing achieved yet: an empty page.
    let r = send(&t.app, page("bob", "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["total"].as_i64(), r.body["items"].clone()),
        (Some(0), json!([]))
    );

    let r = send(&t.app, page("nobody_here", "")).await;
    assert_problem(&r, 404, "not_found");
    for q in ["?size=0", "?size=101", "?page=0"] {
        let r = send(&t.app, page("alice", q)).await;
        assert_problem(&r, 400, "bad_request");
    }
}
