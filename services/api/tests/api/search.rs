//! `GET /search` against real PostgreSQL: Korean one- and two-syllable words, longer words,
//! English prefixes, the three types, ranking by title, paging and every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use serde_json::{json, Value};

async fn write<A: TestApp>(app: &A, who: &Someone, title: &str, text: &str) {
    let r = send(
        app,
        bearer(
            post_json("/api/v1/posts", json!({"title": title, "text": text})),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

fn titles(body: &Value, list: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p["title"]
                .as_str()
                .or(p["name"].as_str())
                .or(p["username"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[actix_web::test]
async fn korean_and_english_search_with_ranking_and_paging() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    write(&t.app, &alice, "오늘의 일기", "제주에서 감귤을 땄어요").await;
    write(&t.app, &alice, "감귤 나눔", "한 상자 드려요").await;
    write(&t.app, &alice, "Jeju trip", "Mandarins everywhere").await;
    write(&t.app, &alice, "감자 요리", "감자전 만들기").await;

    let search = |q: &str| get(&format!("/api/v1/search?q={}", urlencode(q)));
    // Two syllables; the title match ranks first.
    let r = send(&t.app, search("감귤")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(titles(&r.body, "posts"), ["감귤 나눔", "오늘의 일기"]);
    assert_eq!(
        (r.body["type"].as_str(), r.body["has_more"].as_bool()),
        (Some("post"), Some(false))
    );
    // One syllable finds every post that has it.
    let r = send(&t.app, search("감")).await;
    assert_eq!(titles(&r.body, "posts").len(), 3, "{}", r.text);
    // A longer word needs all its syllable pairs, not just one.
    let r = send(&t.app, search("감자전")).await;
    assert_eq!(titles(&r.body, "posts"), ["감자 요리"]);
    let r = send(&t.app, search("감귤전")).await;
    assert!(titles(&r.body, "posts").is_empty());
    // English by prefix, any case.
    let r = send(&t.app, search("MANDARIN")).await;
    assert_eq!(titles(&r.body, "posts"), ["Jeju trip"]);
    // Paging.
    let r = send(&t.app, get("/api/v1/search?q=%EA%B0%90&size=2")).await;
    assert_eq!(
        (titles(&r.body, "posts").len(), r.body["has_more"].as_bool()),
        (2, Some(true))
    );
    let r = send(&t.app, get("/api/v1/search?q=%EA%B0%90&size=2&page=2")).await;
    assert_eq!(
        (titles(&r.body, "posts").len(), r.body["has_more"].as_bool()),
        (1, Some(false))
    );

    // A deleted post leaves the results at once, though the matches are cached.
    let r = send(&t.app, search("감귤")).await;
    let id = r.body["posts"][0]["id"].as_str().unwrap().to_owned();
    let r = send(
        &t.app,
        bearer(
            actix_web::test::TestRequest::delete().uri(&format!("/api/v1/posts/{id}")),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    let r = send(&t.app, search("감귤")).await;
    assert_eq!(titles(&r.body, "posts"), ["오늘의 일기"]);

    // Products and people.
    let r = send(
        &t.app,
        bearer(
            post_json(
                "/api/v1/products",
                json!({"name": "감귤 5kg", "price": 20000}),
            ),
            &alice.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = send(
        &t.app,
        get("/api/v1/search?type=product&q=%EA%B0%90%EA%B7%A4"),
    )
    .await;
    assert_eq!(titles(&r.body, "products"), ["감귤 5kg"]);
    assert!(r.body["posts"].as_array().unwrap().is_empty());
    someone(&t.app, "gyul_farmer").await;
    let r = send(&t.app, get("/api/v1/search?type=user&q=gyul")).await;
    assert_eq!(titles(&r.body, "users"), ["gyul_farmer"]);

    for query in [
        "",
        "q=",
        "q=%21%3F",
        "q=a&type=emoji",
        "q=a&page=11",
        "q=a&size=51",
        "q=a&page=0",
    ] {
        let r = send(&t.app, get(&format!("/api/v1/search?{query}"))).await;
        assert_problem(&r, 422, "validation_failed");
    }
    let long = "가".repeat(101);
    let r = send(&t.app, search(&long)).await;
    assert_field_problem(&r, 422, "validation_failed", "q");
}

/// Percent-encodes a query value.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
