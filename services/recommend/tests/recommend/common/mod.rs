//! Shared helpers of the recommendation tests: replicas on real PostgreSQL, Redis and RabbitMQ
//! (each test its own database, key prefix and AMQP names), the real api in-process with its
//! outbox relay, people with tokens, and HTTP calls.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use actix_web::test;
use moji_testkit::{http::*, TestEnv};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The sentence model folder made by scripts/models.sh.
pub fn model_dir() -> PathBuf {
    let cache = std::env::var_os("MOJI_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache"));
    cache.join("models/all-minilm-l6-v2")
}

/// One model per test process: loading it is the slow part of starting a replica.
pub fn embedder() -> Arc<moji_embed::Embedder> {
    static MODEL: OnceLock<Arc<moji_embed::Embedder>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = model_dir();
            Arc::new(moji_embed::Embedder::load(&dir).unwrap_or_else(|e| {
                panic!(
                    "no sentence model in {} ({e}): run scripts/models.sh",
                    dir.display()
                )
            }))
        })
        .clone()
}

/// A test's own environment with settings suited to tests.
pub fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.settings.recommend.model_dir = model_dir();
    env.settings.recommend.views_flush_ms = 50;
    env
}

/// One recommendation replica running in this process.
pub struct Replica {
    pub running: moji_recommend::Running,
    pub state: moji_recommend::RecState,
}

impl Replica {
    /// Starts a replica on a free port and waits until its event queue exists.
    pub async fn start(settings: &moji_config::Settings) -> Self {
        let db = moji_db::Db::connect(&settings.database.url, 4, Duration::from_secs(5)).unwrap();
        let redis =
            moji_redis::RedisState::connect(&settings.redis.url, &settings.redis.key_prefix)
                .await
                .unwrap();
        let broker = moji_mq::Broker::exchanges_only(&settings.amqp, "moji-recommend-test")
            .await
            .unwrap();
        let state = moji_recommend::RecState::with(settings.clone(), db, redis, broker, embedder())
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let running = moji_recommend::start(state.clone(), listener)
            .await
            .unwrap();
        let queue = state
            .broker
            .topology()
            .recommend_replica_queue(&state.replica);
        for _ in 0..100 {
            if state.broker.queue_len(&queue).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { running, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr)
    }

    /// GET as `token` (or anonymous): status and JSON body.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        call(reqwest::Method::GET, &self.url(path), token, None).await
    }

    /// POST JSON as `token`.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        call(reqwest::Method::POST, &self.url(path), token, Some(body)).await
    }

    /// Titles of a search's items.
    pub async fn search_titles(&self, q: &str, kind: &str, method: &str) -> Vec<String> {
        let path = format!(
            "/api/v1/search?q={}&type={kind}&method={method}",
            urlencode(q)
        );
        let (status, body) = self.get(&path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        titles(&body)
    }

    /// Stops it and deletes the test's exchanges and queues.
    pub async fn stop(self) {
        self.running.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.running.done).await;
        let _ = self.state.broker.delete_topology().await;
    }
}

/// The titles of a list answer's items.
pub fn titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {body}"))
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A call with an optional bearer token: status and JSON body (Null when empty).
pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method, url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Polls `check` every 50 ms until it is true or `within` passed; returns the time it took.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < within {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// The real api in-process, with its outbox relay publishing `content.*` to RabbitMQ.
pub struct Api<S> {
    pub app: S,
    pub state: moji_api::AppState,
    stop: CancellationToken,
}

/// Starts the api on `settings` (the same database and AMQP names as the replicas).
pub async fn api(settings: &moji_config::Settings) -> Api<impl TestApp> {
    let state = moji_api::AppState::connect(settings.clone()).await.unwrap();
    let stop = CancellationToken::new();
    moji_api::spawn_consumers(&state, stop.clone());
    let app = test::init_service(moji_api::app(state.clone())).await;
    Api { app, state, stop }
}

impl<S: TestApp> Api<S> {
    /// Signs `username` up and returns them with a token.
    pub async fn person(&self, username: &str) -> Someone {
        someone(&self.app, username).await
    }

    /// Creates a post; returns its id.
    pub async fn post(&self, who: &Someone, title: &str, text: &str) -> Uuid {
        let r = send(
            &self.app,
            bearer(
                post_json("/api/v1/posts", json!({"title": title, "text": text})),
                &who.token,
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Creates a product; returns its id.
    pub async fn product(&self, who: &Someone, name: &str, description: &str, price: i64) -> Uuid {
        let r = send(
            &self.app,
            bearer(
                post_json(
                    "/api/v1/products",
                    json!({"name": name, "description": description, "price": price}),
                ),
                &who.token,
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Deletes a post.
    pub async fn delete_post(&self, who: &Someone, id: Uuid) {
        let r = send(
            &self.app,
            bearer(
                actix_web::test::TestRequest::delete().uri(&format!("/api/v1/posts/{id}")),
                &who.token,
            ),
        )
        .await;
        assert!(r.status == 204 || r.status == 200, "{}", r.text);
    }

    /// Likes a post.
    pub async fn like_post(&self, who: &Someone, id: Uuid) {
        let r = send(
            &self.app,
            bearer(
                put_json(&format!("/api/v1/posts/{id}/like"), json!({})),
                &who.token,
            ),
        )
        .await;
        assert!(r.status < 300, "{}", r.text);
    }

    /// Stops the relay and consumers.
    pub fn stop(&self) {
        self.stop.cancel();
    }
}
