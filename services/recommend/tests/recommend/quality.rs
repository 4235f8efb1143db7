//! Search quality on the judged set (tests/recommend/fixtures/judged.json: 40 posts, 24 queries,
//! Korean and English): nDCG@10, recall@10 and MRR of the semantic, full-text and hybrid (reciprocal
//! rank fusion) retrievers. Fails unless the service's default `recommend.search_method` is the
//! best by nDCG@10, so a change to the model, the fusion or the full-text ranking that makes
//! another method better must change the default too. Figures: `cargo test -p moji-recommend
//! --test recommend quality -- --nocapture` (docs/recommend.md, "Search quality").
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, time::Duration};

use crate::common::*;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
struct Judged {
    posts: Vec<Doc>,
    queries: Vec<Query>,
}

#[derive(Deserialize)]
struct Doc {
    key: String,
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct Query {
    q: String,
    relevant: Vec<String>,
}

/// nDCG@10, recall@10 and reciprocal rank of one ranked list.
fn scores(ranked: &[String], relevant: &[String]) -> (f64, f64, f64) {
    let gain = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, k)| relevant.contains(k))
        .map(|(i, _)| gain(i))
        .sum();
    let ideal: f64 = (0..relevant.len().min(10)).map(gain).sum();
    let found = ranked
        .iter()
        .take(10)
        .filter(|k| relevant.contains(k))
        .count();
    let rr = ranked
        .iter()
        .position(|k| relevant.contains(k))
        .map_or(0.0, |p| 1.0 / (p + 1) as f64);
    (dcg / ideal, found as f64 / relevant.len() as f64, rr)
}

#[actix_web::test]
async fn the_default_search_method_is_the_best_on_the_judged_set() {
    let judged: Judged = serde_json::from_str(include_str!("fixtures/judged.json")).unwrap();
    let env = env();
    let author = Uuid::now_v7();
    env.db.execute(&format!(
        "INSERT INTO users (id, username, email, display_name, password_hash, role) VALUES \
         ('{author}', 'judge', 'judge@example.com', 'judge', 'x', 'user')"
    ));
    let mut key_of: HashMap<String, String> = HashMap::new();
    for doc in &judged.posts {
        let id = Uuid::now_v7();
        let q = |s: &str| s.replace('\'', "''");
        env.db.execute(&format!(
            "INSERT INTO posts (id, author_id, title, body, tags, status) VALUES \
             ('{id}', '{author}', '{}', '{}', '{{}}', 'published')",
            q(&doc.title),
            q(&doc.text)
        ));
        key_of.insert(doc.title.clone(), doc.key.clone());
    }
    let replica = Replica::start(&env.settings).await;
    let all = judged.posts.len() + 1;
    let ready = eventually(Duration::from_secs(60), || async {
        replica.state.index.get().len() == all
    })
    .await;
    assert!(ready.is_some(), "the first reconcile embeds every post");

    let mut table = Vec::new();
    for method in ["semantic", "fulltext", "hybrid"] {
        let (mut ndcg, mut recall, mut mrr) = (0.0, 0.0, 0.0);
        let mut by_language = [0.0f64; 2];
        for query in &judged.queries {
            let titles = replica.search_titles(&query.q, "post", method).await;
            let ranked: Vec<String> = titles
                .iter()
                .filter_map(|t| key_of.get(t).cloned())
                .collect();
            let (n, r, rr) = scores(&ranked, &query.relevant);
            ndcg += n;
            recall += r;
            mrr += rr;
            let korean = query.q.chars().any(|c| ('가'..='힣').contains(&c));
            by_language[usize::from(korean)] += n;
        }
        let count = judged.queries.len() as f64;
        let half = count / 2.0;
        table.push((
            method,
            ndcg / count,
            recall / count,
            mrr / count,
            by_language[0] / half,
            by_language[1] / half,
        ));
    }
    println!("method     nDCG@10  recall@10  MRR    nDCG en  nDCG ko");
    for (m, n, r, rr, en, ko) in &table {
        println!("{m:<10} {n:.3}    {r:.3}      {rr:.3}  {en:.3}    {ko:.3}");
    }
    let best = table.iter().map(|t| t.1).fold(f64::MIN, f64::max);
    let default = moji_config::Settings::default().recommend.search_method;
    let chosen = table.iter().find(|t| t.0 == default).unwrap();
    assert!(
        chosen.1 >= best - 1e-9,
        "the default method {default} scores nDCG@10 {:.3}, but the best scores {best:.3}: change recommend.search_method",
        chosen.1
    );
    replica.stop().await;
}
