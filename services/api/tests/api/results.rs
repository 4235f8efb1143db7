//! My results (`GET /users/me/results`) and shared zodiac results (`GET`/`PATCH
//! /zodiac/results/{task_id}`), against real PostgreSQL, Redis and RabbitMQ, with succeeded
//! tasks persisted the way the api's `task.succeeded` consumer persists them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use chrono::Utc;
use moji_common::AnimalId;
use serde_json::{json, Value};

fn animal_json(animal: AnimalId) -> (Value, Value, Value) {
    let a = moji_catalog::animal(animal);
    (
        serde_json::to_value(a.name).unwrap(),
        json!(a.emoji),
        serde_json::to_value(a.traits).unwrap(),
    )
}

fn share(id: impl std::fmt::Display) -> String {
    format!("/api/v1/zodiac/results/{id}")
}

fn set_visibility(id: impl std::fmt::Display, body: Value, token: Option<&str>) -> TestRequest {
    maybe_bearer(patch_json(&share(id), body), token)
}

#[actix_web::test]
async fn my_results_list_both_kinds_newest_first() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let now = Utc::now();
    let saved_task = emoji_result(
        &t.state,
        alice.id,
        "classic",
        &[("happy", 0.6), ("sad", 0.9)],
        now,
    )
    .await;
    let emoji_id = save_emoji(&t.app, &alice, saved_task, "private").await;
    let tiger = zodiac_result(&t.state, alice.id, "tiger", "happy", now).await;
    let unsaved = emoji_result(&t.state, alice.id, "cat", &[("neutral", 0.8)], now).await;
    let rat = zodiac_result_with(&t.state, alice.id, "rat", "sad", now, false).await;
    // Neither open nor failed tasks are results; nor are Bob's.
    queued_task(&t.state, alice.id, "zodiac").await;
    let failed = queued_task(&t.state, alice.id, "emoji").await;
    fail_task(&t.state, failed).await;
    let bobs = zodiac_result(&t.state, bob.id, "dog", "fear", now).await;

    let mine =
        |q: &str, token: Option<&str>| get_as(&format!("/api/v1/users/me/results{q}"), token);
    let r = send(&t.app, mine("", Some(&alice.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        item_strings(&r.body, "task_id"),
        [
            rat.to_string(),
            unsaved.to_string(),
            tiger.to_string(),
            saved_task.to_string()
        ]
    );
    assert_eq!(
        item_strings(&r.body, "kind"),
        ["zodiac", "emoji", "zodiac", "emoji"]
    );
    assert_eq!(
        (
            r.body["total"].as_i64(),
            r.body["page"].as_u64(),
            r.body["size"].as_u64()
        ),
        (Some(4), Some(1), Some(20))
    );
    for item in r.body["items"].as_array().unwrap() {
        assert!(item["created_at"].is_string(), "{item}");
        assert!(item["finished_at"].is_string(), "{item}");
    }

    // A zodiac item.
    let z = &r.body["items"][2];
    assert!(z["emoji"].is_null(), "{z}");
    let zodiac = &z["zodiac"];
    let (name, emoji, _) = animal_json(AnimalId::Tiger);
    assert_eq!(zodiac["animal"], "tiger");
    assert_eq!(zodiac["animal_name"], name);
    assert_eq!(
        zodiac["animal_name"],
        json!({"ko": "호랑이", "en": "Tiger"})
    );
    assert_eq!(zodiac["animal_emoji"], emoji);
    assert_eq!(zodiac["fortune"], seeded_fortune());
    assert_eq!(zodiac["lucky_item"], seeded_lucky_item());
    assert_eq!(zodiac["expression"], "happy");
    assert_eq!(zodiac["visibility"], "private", "results start private");
    assert_eq!(zodiac["share_path"], share(tiger));
    // One from before lucky items.
    let old = &r.body["items"][0]["zodiac"];
    assert_eq!(old["animal"], "rat");
    assert!(old["lucky_item"].is_null(), "{old}");
    assert_eq!(old["expression"], "sad");

    // Emoji items: the most confident face's expression, the saved emoji if any, links.
    let e = &r.body["items"][3];
    assert!(e["zodiac"].is_null(), "{e}");
    let emoji = &e["emoji"];
    assert_eq!(emoji["template"], "classic");
    assert_eq!(emoji["expression"], "sad");
    assert_eq!(emoji["faces"], 2);
    assert_eq!(emoji["emoji_id"], emoji_id.as_str());
    let img = send(
        &t.app,
        get(&local_path(emoji["image_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!((img.status, img.content_type.as_str()), (200, "image/png"));
    let thumb = send(
        &t.app,
        get(&local_path(emoji["thumbnail_url"].as_str().unwrap())),
    )
    .await;
    assert_eq!(
        (thumb.status, thumb.content_type.as_str()),
        (200, "image/jpeg")
    );
    let unsaved_item = &r.body["items"][1]["emoji"];
    assert_eq!(unsaved_item["template"], "cat");
    assert_eq!(unsaved_item["expression"], "neutral");
    assert_eq!(unsaved_item["faces"], 1);
    assert!(unsaved_item["emoji_id"].is_null(), "{unsaved_item}");

    // By kind.
    let r = send(&t.app, mine("?kind=zodiac", Some(&alice.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        item_strings(&r.body, "task_id"),
        [rat.to_string(), tiger.to_string()]
    );
    assert_eq!(r.body["total"], 2);
    let r = send(&t.app, mine("?kind=emoji", Some(&alice.token))).await;
    assert_eq!(
        item_strings(&r.body, "task_id"),
        [unsaved.to_string(), saved_task.to_string()]
    );
    assert_eq!(r.body["total"], 2);

    // Paging.
    let r = send(&t.app, mine("?page=3&size=1", Some(&alice.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(item_strings(&r.body, "task_id"), [tiger.to_string()]);
    assert_eq!(
        (
            r.body["total"].as_i64(),
            r.body["page"].as_u64(),
            r.body["size"].as_u64()
        ),
        (Some(4), Some(3), Some(1))
    );
    let r = send(&t.app, mine("?page=5&size=1", Some(&alice.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["items"], json!([]));
    assert_eq!(r.body["total"], 4);

    // Bob sees his own only.
    let r = send(&t.app, mine("", Some(&bob.token))).await;
    assert_eq!(item_strings(&r.body, "task_id"), [bobs.to_string()]);
    assert_eq!(r.body["total"], 1);

    // Errors.
    let r = send(&t.app, mine("", None)).await;
    assert_problem(&r, 401, "unauthorized");
    for q in ["?size=0", "?size=101", "?page=0", "?page=x"] {
        let r = send(&t.app, mine(q, Some(&alice.token))).await;
        assert_problem(&r, 400, "bad_request");
    }
    for q in ["?kind=portrait", "?kind=Emoji"] {
        let r = send(&t.app, mine(q, Some(&alice.token))).await;
        assert_field_problem(&r, 422, "validation_failed", "kind");
    }
}

#[actix_web::test]
async fn zodiac_results_are_private_until_their_owner_publishes_them() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let boss = admin(&t.app, &t.state, "boss").await;
    let id = zodiac_result(&t.state, alice.id, "tiger", "happy", Utc::now()).await;
    let path = share(id);

    // The owner reads the whole result.
    let r = send(&t.app, get_as(&path, Some(&alice.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (name, emoji, traits) = animal_json(AnimalId::Tiger);
    assert_eq!(r.body["task_id"], id.to_string());
    assert_eq!(
        r.body["owner"],
        json!({"username": "alice", "display_name": "alice"})
    );
    assert_eq!(r.body["visibility"], "private");
    assert_eq!(r.body["animal"], "tiger");
    assert_eq!(r.body["animal_name"], name);
    assert_eq!(r.body["animal_emoji"], emoji);
    assert_eq!(r.body["traits"], traits);
    assert!(!r.body["traits"]["ko"].as_str().unwrap().is_empty());
    assert_eq!(
        r.body["reasons"],
        json!([{"feature": "expression", "text": {"ko": "표정", "en": "expression"}}])
    );
    assert_eq!(r.body["fortune"], seeded_fortune());
    assert_eq!(r.body["lucky_item"], seeded_lucky_item());
    assert_eq!(r.body["expression"], "happy");
    assert!(r.body["created_at"].is_string(), "{}", r.text);
    let owner_view = r.body.clone();

    // Private: others get 403, signed out too; admins may read it.
    let r = send(&t.app, get_as(&path, None)).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, get_as(&path, Some(&boss.token))).await;
    assert_eq!(r.status, 200, "admins read private results: {}", r.text);
    assert_eq!(r.body["animal"], "tiger");

    // Only the owner publishes.
    let r = send(
        &t.app,
        set_visibility(id, json!({"visibility": "public"}), None),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");
    let r = send(
        &t.app,
        set_visibility(id, json!({"visibility": "public"}), Some(&bob.token)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");
    // Bad or missing visibility: 422 (the contract names the field only for query
    // parameters; a body member may fail as a shape problem without `errors`).
    for body in [
        json!({"visibility": "friends"}),
        json!({"visibility": "Public"}),
    ] {
        let r = send(&t.app, set_visibility(id, body, Some(&alice.token))).await;
        assert_problem(&r, 422, "validation_failed");
        if let Some(field) = r.body["errors"][0]["field"].as_str() {
            assert_eq!(field, "visibility", "{}", r.text);
        }
    }
    let r = send(&t.app, set_visibility(id, json!({}), Some(&alice.token))).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(
        &t.app,
        set_visibility(id, json!({"visibility": 1}), Some(&alice.token)),
    )
    .await;
    assert_problem(&r, 422, "validation_failed");
    // The contract allows 400 or 422 for an unknown member, as for other JSON bodies.
    let r = send(
        &t.app,
        set_visibility(
            id,
            json!({"visibility": "public", "caption": "hi"}),
            Some(&alice.token),
        ),
    )
    .await;
    assert!(
        [400, 422].contains(&r.status),
        "unknown member: {} {}",
        r.status,
        r.text
    );
    // Nothing above published it.
    let r = send(&t.app, get_as(&path, None)).await;
    assert_problem(&r, 403, "forbidden");

    let r = send(
        &t.app,
        set_visibility(id, json!({"visibility": "public"}), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut published = owner_view.clone();
    published["visibility"] = json!("public");
    assert_eq!(r.body, published, "PATCH answers the shared shape");

    // Now anyone reads it.
    let r = send(&t.app, get_as(&path, None)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body, published);
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["visibility"], "public");
    assert_eq!(r.body["owner"]["username"], "alice");
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/results?kind=zodiac", Some(&alice.token)),
    )
    .await;
    assert_eq!(r.body["items"][0]["zodiac"]["visibility"], "public");
    // Others still may not change it.
    let r = send(
        &t.app,
        set_visibility(id, json!({"visibility": "private"}), Some(&bob.token)),
    )
    .await;
    assert_problem(&r, 403, "forbidden");

    // And private again.
    let r = send(
        &t.app,
        set_visibility(id, json!({"visibility": "private"}), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["visibility"], "private");
    let r = send(&t.app, get_as(&path, None)).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, get_as(&path, Some(&bob.token))).await;
    assert_problem(&r, 403, "forbidden");
}

#[actix_web::test]
async fn only_succeeded_zodiac_tasks_are_shared_results() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let emoji = emoji_result(&t.state, alice.id, "classic", &[("happy", 0.9)], Utc::now()).await;
    let queued = queued_task(&t.state, alice.id, "zodiac").await;
    let failed = queued_task(&t.state, alice.id, "zodiac").await;
    fail_task(&t.state, failed).await;
    let missing = uuid::Uuid::now_v7();
    for (what, id) in [
        ("an emoji task", emoji),
        ("a queued zodiac task", queued),
        ("a failed zodiac task", failed),
        ("no task", missing),
    ] {
        let r = send(&t.app, get_as(&share(id), Some(&alice.token))).await;
        assert_eq!(r.status, 404, "GET {what}: {}", r.text);
        assert_problem(&r, 404, "not_found");
        let r = send(
            &t.app,
            set_visibility(id, json!({"visibility": "public"}), Some(&alice.token)),
        )
        .await;
        assert_eq!(r.status, 404, "PATCH {what}: {}", r.text);
        assert_problem(&r, 404, "not_found");
    }
    let r = send(&t.app, get_as(&share(missing), None)).await;
    assert_problem(&r, 404, "not_found");
    // Authentication comes first.
    let r = send(
        &t.app,
        set_visibility(missing, json!({"visibility": "public"}), None),
    )
    .await;
    assert_problem(&r, 401, "unauthorized");
    let r = send(&t.app, get_as(&share("not-a-uuid"), None)).await;
    assert_problem(&r, 400, "bad_request");
    // Failing to publish changed nothing: the emoji task is no shared result.
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/results?kind=emoji", Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["items"][0]["zodiac"].is_null());
}

#[actix_web::test]
async fn a_zodiac_task_result_carries_its_lucky_item() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let id = zodiac_result(&t.state, alice.id, "horse", "surprise", Utc::now()).await;
    let r = send(
        &t.app,
        get_as(&format!("/api/v1/faces/tasks/{id}"), Some(&alice.token)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "succeeded");
    assert_eq!(r.body["result"]["animal"], "horse");
    assert_eq!(r.body["result"]["fortune"], seeded_fortune());
    assert_eq!(r.body["result"]["lucky_item"], seeded_lucky_item());
}
