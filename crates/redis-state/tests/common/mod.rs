//! Shared helpers of the integration tests: a fresh key prefix per test, key listing and cleanup.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use moji_redis::RedisState;

/// The Redis the tests run against (`REDIS_URL`, else the local default).
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A state handle with a key prefix of its own, so tests run in parallel.
pub async fn state() -> RedisState {
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    RedisState::connect(&redis_url(), &prefix)
        .await
        .expect("Redis must be reachable at REDIS_URL or redis://127.0.0.1:6379")
}

/// Every key under the state's prefix.
pub async fn keys(state: &RedisState) -> Vec<String> {
    let mut conn = state.connection();
    let pattern = format!("{}:*", state.prefix());
    let mut cursor: u64 = 0;
    let mut out = Vec::new();
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await
            .unwrap();
        out.extend(batch);
        if next == 0 {
            out.sort();
            out.dedup();
            return out;
        }
        cursor = next;
    }
}

/// `PTTL key`: ms left, -1 for no TTL, -2 for no key.
pub async fn pttl(state: &RedisState, key: &str) -> i64 {
    let mut conn = state.connection();
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap()
}

/// Asserts that every key under the prefix has a TTL of at most `max`; returns how many keys.
pub async fn assert_all_keys_expire(state: &RedisState, max: Duration) -> usize {
    let keys = keys(state).await;
    for key in &keys {
        let ttl = pttl(state, key).await;
        assert!(
            ttl > 0 && ttl as u128 <= max.as_millis(),
            "key {key} has PTTL {ttl}, want 0 < ttl <= {max:?}"
        );
    }
    keys.len()
}

/// Deletes everything under the prefix and checks nothing is left.
pub async fn cleanup(state: RedisState) {
    state.purge().await.unwrap();
    assert_eq!(keys(&state).await, Vec::<String>::new());
}
