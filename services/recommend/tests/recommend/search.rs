//! Content made through the real api reaches the index over RabbitMQ and is searchable by
//! meaning within 2 s (English and Korean); deleted content disappears; two replicas answer
//! alike after the same events; a restarted replica rebuilds its index from PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use crate::common::*;

const WITHIN: Duration = Duration::from_secs(2);

#[actix_web::test]
async fn content_made_through_the_api_is_searchable_by_meaning_then_gone_when_deleted() {
    let env = env();
    let replica = Replica::start(&env.settings).await;
    let api = api(&env.settings).await;
    let alice = api.person("alice").await;
    let coffee = api
        .post(
            &alice,
            "Espresso beans roasted this morning",
            "Dark roast, fresh from the grinder, smells wonderful.",
        )
        .await;
    api.post(
        &alice,
        "Selling my old bicycle",
        "A road bike with new tyres, pick up in Seoul.",
    )
    .await;
    api.post(
        &alice,
        "제주 감귤 한 상자 나눔합니다",
        "귤이 너무 많아서 이웃과 나누고 싶어요.",
    )
    .await;
    api.product(
        &alice,
        "Mountain tent for two",
        "Waterproof camping tent, used twice.",
        120_000,
    )
    .await;

    // English: no word in common with the post.
    let took = eventually(WITHIN, || async {
        replica
            .search_titles("coffee", "post", "semantic")
            .await
            .first()
            .map(String::as_str)
            == Some("Espresso beans roasted this morning")
    })
    .await;
    assert!(
        took.is_some(),
        "a post about espresso is found for `coffee` within 2 s"
    );
    // Korean, by meaning (the embedding alone); made after the English post, so it may
    // arrive in a later batch.
    let korean = eventually(WITHIN, || async {
        replica
            .search_titles("귤 나눔", "post", "semantic")
            .await
            .first()
            .map(String::as_str)
            == Some("제주 감귤 한 상자 나눔합니다")
    })
    .await;
    assert!(
        korean.is_some(),
        "a Korean post is found for `귤 나눔` within 2 s"
    );
    let all_in = eventually(WITHIN, || async { replica.state.index.get().len() == 5 }).await;
    assert!(
        all_in.is_some(),
        "three posts, a product and a profile indexed"
    );
    // Hybrid search puts what both retrievers found first; products are their own type.
    let hybrid = replica.search_titles("감귤", "post", "hybrid").await;
    assert_eq!(
        hybrid.first().map(String::as_str),
        Some("제주 감귤 한 상자 나눔합니다")
    );
    let products = replica.search_titles("camping", "product", "hybrid").await;
    assert_eq!(products, ["Mountain tent for two"]);
    let (_, body) = replica
        .get("/api/v1/search?q=camping&type=product", None)
        .await;
    let card = &body["items"][0];
    assert_eq!(card["kind"], "product");
    assert_eq!(card["price"], 120_000);
    assert_eq!(card["owner"]["username"], "alice");
    assert_eq!(card["why"]["reason"], "matched");
    assert!(card["matched_by"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "semantic"));

    api.delete_post(&alice, coffee).await;
    // Gone at once from answers (visibility is read from PostgreSQL), and from the index soon.
    let after = replica.search_titles("coffee", "post", "semantic").await;
    assert!(
        !after.contains(&"Espresso beans roasted this morning".to_owned()),
        "{after:?}"
    );
    let removed = eventually(WITHIN, || async {
        replica.state.index.get().get(coffee).is_none()
    })
    .await;
    assert!(removed.is_some(), "the deleted post leaves the index");
    let (status, _) = replica
        .get(&format!("/api/v1/posts/{coffee}/similar"), None)
        .await;
    assert_eq!(status, 404);

    api.stop();
    replica.stop().await;
}

#[actix_web::test]
async fn two_replicas_answer_alike_and_a_restart_rebuilds_from_postgres() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let b = Replica::start(&env.settings).await;
    let api = api(&env.settings).await;
    let bob = api.person("bob").await;
    let texts = [
        (
            "Fresh sourdough bread",
            "Baked with a ten year old starter.",
        ),
        (
            "Vintage film camera",
            "A 35mm rangefinder in working order.",
        ),
        (
            "Homemade kimchi",
            "Napa cabbage kimchi, fermented for two weeks.",
        ),
        (
            "Guitar lessons for beginners",
            "Learn chords and strumming in four weeks.",
        ),
        (
            "Used running shoes",
            "Size 270, light and comfortable for jogging.",
        ),
    ];
    for (title, text) in texts {
        api.post(&bob, title, text).await;
    }
    let queries = [
        "baking",
        "photography",
        "fermented food",
        "music",
        "jogging",
    ];
    let settled = eventually(Duration::from_secs(5), || async {
        // 5 posts and 1 profile each.
        a.state.index.get().len() == 6 && b.state.index.get().len() == 6
    })
    .await;
    assert!(settled.is_some(), "both replicas indexed every event");
    for q in queries {
        let (ta, tb) = (
            a.search_titles(q, "post", "hybrid").await,
            b.search_titles(q, "post", "hybrid").await,
        );
        assert_eq!(ta, tb, "{q}");
        assert!(!ta.is_empty(), "{q} finds something");
    }
    let before: Vec<Vec<String>> = {
        let mut all = Vec::new();
        for q in queries {
            all.push(a.search_titles(q, "post", "semantic").await);
        }
        all
    };
    a.stop().await;
    api.stop();
    // Nothing is published any more: the new replica has only PostgreSQL to build from.
    let c = Replica::start(&env.settings).await;
    assert_eq!(
        c.state.index.get().len(),
        6,
        "rebuilt from PostgreSQL at start"
    );
    for (q, expected) in queries.iter().zip(before) {
        assert_eq!(
            c.search_titles(q, "post", "semantic").await,
            expected,
            "{q}"
        );
    }
    b.stop().await;
    c.stop().await;
}

#[actix_web::test]
async fn missed_events_are_reconciled_from_postgres() {
    let env = env();
    let api = api(&env.settings).await;
    let carol = api.person("carol").await;
    // Written while no replica runs, and the api's events dropped on the floor (no queue is
    // bound yet): only a reconcile can find it.
    api.post(
        &carol,
        "Hand knitted wool scarf",
        "Warm and soft, in dark green.",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replica = Replica::start(&env.settings).await;
    let found = eventually(Duration::from_secs(5), || async {
        replica
            .search_titles("winter clothes", "post", "semantic")
            .await
            .first()
            .map(String::as_str)
            == Some("Hand knitted wool scarf")
    })
    .await;
    assert!(
        found.is_some(),
        "the first reconcile embeds what was missed"
    );
    api.stop();
    replica.stop().await;
}

#[actix_web::test]
async fn bad_searches_get_clear_errors() {
    let env = env();
    let replica = Replica::start(&env.settings).await;
    for (path, field) in [
        ("/api/v1/search", "q"),
        ("/api/v1/search?q=", "q"),
        ("/api/v1/search?q=a&type=video", "type"),
        ("/api/v1/search?q=a&size=0", "size"),
        ("/api/v1/search?q=a&page=11", "page"),
        ("/api/v1/search?q=a&method=magic", "method"),
    ] {
        let (status, body) = replica.get(path, None).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{path}");
    }
    let long = "가".repeat(101);
    let (status, _) = replica
        .get(&format!("/api/v1/search?q={}", urlencode(&long)), None)
        .await;
    assert_eq!(status, 422);
    let (status, body) = replica.get("/api/v1/search?q=a", Some("not-a-token")).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = replica.get("/api/v1/search?q=nothing+at+all", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"], serde_json::json!([]));
    replica.stop().await;
}
