#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Connection, idempotency keys, rate-limit windows and revoked token ids against the real Redis.

mod common;

use std::time::Duration;

use moji_redis::{RedisState, StateError};
use uuid::Uuid;

use common::{assert_all_keys_expire, cleanup, keys, pttl, state};

/// If the current window of `window` ends within `need`, waits for the next one, so a test's
/// hits cannot straddle a window boundary.
async fn fresh_window(state: &RedisState, window: Duration, need: Duration) {
    let w = state.peek("probe", window).await.unwrap();
    if w.resets_in < need {
        tokio::time::sleep(w.resets_in + Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn connects_pings_and_refuses_bad_urls() {
    let state = state().await;
    state.ping().await.unwrap();
    assert!(state.prefix().starts_with("test-"));
    assert!(matches!(
        RedisState::connect("definitely not a url", "x").await,
        Err(StateError::Redis(_))
    ));
    cleanup(state).await;
}

#[tokio::test]
async fn idempotency_first_claim_wins_and_claims_expire() {
    let state = state().await;
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let ttl = Duration::from_secs(60);

    assert_eq!(
        state
            .claim_idempotency_key(alice, "upload-1", "task-a", ttl)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        state
            .claim_idempotency_key(alice, "upload-1", "task-b", ttl)
            .await
            .unwrap()
            .as_deref(),
        Some("task-a"),
        "the second claimant gets the first value back"
    );
    // Keys are per user.
    assert_eq!(
        state
            .claim_idempotency_key(bob, "upload-1", "task-c", ttl)
            .await
            .unwrap(),
        None
    );
    let key = state.idempotency_key(alice, "upload-1");
    assert_eq!(key, format!("{}:idem:{alice}:upload-1", state.prefix()));
    let left = pttl(&state, &key).await;
    assert!(left > 0 && left <= 60_000, "PTTL {left}");
    assert_eq!(assert_all_keys_expire(&state, ttl).await, 2);

    // Concurrent claimants: exactly one wins, everyone else sees its value.
    let mut handles = Vec::new();
    for i in 0..10 {
        let state = state.clone();
        handles.push(tokio::spawn(async move {
            let value = format!("v{i}");
            let got = state
                .claim_idempotency_key(alice, "race", &value, ttl)
                .await
                .unwrap();
            (value, got)
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap());
    }
    let winners: Vec<_> = results.iter().filter(|(_, got)| got.is_none()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0].0.clone();
    assert!(results
        .iter()
        .all(|(_, got)| got.is_none() || got.as_deref() == Some(winner.as_str())));

    // A short claim expires, and the key can be claimed afresh.
    let short = Duration::from_millis(200);
    assert_eq!(
        state
            .claim_idempotency_key(bob, "short", "first", short)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        state
            .claim_idempotency_key(bob, "short", "second", short)
            .await
            .unwrap()
            .as_deref(),
        Some("first")
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(pttl(&state, &state.idempotency_key(bob, "short")).await, -2);
    assert_eq!(
        state
            .claim_idempotency_key(bob, "short", "third", short)
            .await
            .unwrap(),
        None
    );

    assert!(matches!(
        state
            .claim_idempotency_key(bob, "zero", "x", Duration::ZERO)
            .await,
        Err(StateError::InvalidArgument(_))
    ));
    assert_eq!(pttl(&state, &state.idempotency_key(bob, "zero")).await, -2);
    assert_all_keys_expire(&state, ttl).await;
    cleanup(state).await;
}

#[tokio::test]
async fn rate_limit_counts_peeks_and_resets() {
    let state = state().await;
    let window = Duration::from_secs(3600);
    fresh_window(&state, window, Duration::from_secs(10)).await;

    for expected in 1..=3 {
        let c = state.hit("login:alice", window).await.unwrap();
        assert_eq!(c.count, expected);
        assert!(c.resets_in > Duration::ZERO && c.resets_in <= window);
    }
    let peeked = state.peek("login:alice", window).await.unwrap();
    assert_eq!(peeked.count, 3, "peek does not count");
    assert_eq!(state.peek("login:alice", window).await.unwrap().count, 3);
    assert!(peeked.resets_in > Duration::ZERO && peeked.resets_in <= window);

    // Buckets and window lengths are independent.
    assert_eq!(state.peek("login:bob", window).await.unwrap().count, 0);
    assert_eq!(state.hit("login:bob", window).await.unwrap().count, 1);
    let minute = Duration::from_secs(60);
    fresh_window(&state, minute, Duration::from_secs(5)).await;
    assert_eq!(state.peek("login:alice", minute).await.unwrap().count, 0);

    // Every counter expires at the end of its window (plus a grace second).
    let n = assert_all_keys_expire(&state, peeked.resets_in + Duration::from_millis(1_050)).await;
    assert_eq!(n, 2);
    let index = {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis();
        now_ms / window.as_millis()
    };
    assert!(
        keys(&state)
            .await
            .contains(&format!("{}:rl:login:alice:{index}", state.prefix())),
        "{:?}",
        keys(&state).await
    );

    state.reset("login:alice", window).await.unwrap();
    assert_eq!(state.peek("login:alice", window).await.unwrap().count, 0);
    assert_eq!(state.peek("login:bob", window).await.unwrap().count, 1);
    assert_eq!(state.hit("login:alice", window).await.unwrap().count, 1);
    // Resetting an untouched bucket is fine.
    state.reset("nobody", window).await.unwrap();

    assert!(matches!(
        state.hit("x", Duration::ZERO).await,
        Err(StateError::InvalidArgument(_))
    ));
    assert!(matches!(
        state.peek("x", Duration::ZERO).await,
        Err(StateError::InvalidArgument(_))
    ));
    cleanup(state).await;
}

#[tokio::test]
async fn rate_limit_windows_roll_over() {
    let state = state().await;
    let window = Duration::from_secs(1);
    fresh_window(&state, window, Duration::from_millis(500)).await;

    assert_eq!(state.hit("api:u", window).await.unwrap().count, 1);
    let second = state.hit("api:u", window).await.unwrap();
    assert_eq!(second.count, 2);
    assert!(second.resets_in <= window);

    tokio::time::sleep(second.resets_in + Duration::from_millis(30)).await;
    let next = state.hit("api:u", window).await.unwrap();
    assert_eq!(next.count, 1, "a new window starts from zero");

    // The old window's counter outlives its window by the grace second at most, then goes.
    assert_all_keys_expire(&state, Duration::from_secs(2)).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(keys(&state).await, Vec::<String>::new());
    cleanup(state).await;
}

#[tokio::test]
async fn revoked_token_ids_are_found_in_one_call_and_expire() {
    let state = state().await;
    let ttl = Duration::from_secs(900);
    state.revoke("jti-a", ttl).await.unwrap();
    state.revoke("jti-b", ttl).await.unwrap();
    // Revoking twice is harmless.
    state.revoke("jti-b", ttl).await.unwrap();

    assert!(!state.any_revoked(&[]).await.unwrap());
    assert!(!state.any_revoked(&["jti-x"]).await.unwrap());
    assert!(!state
        .any_revoked(&["jti-x", "jti-y", "jti-z"])
        .await
        .unwrap());
    assert!(state.any_revoked(&["jti-a"]).await.unwrap());
    assert!(state.any_revoked(&["jti-x", "jti-b"]).await.unwrap());
    assert!(state
        .any_revoked(&["jti-a", "jti-b", "jti-x"])
        .await
        .unwrap());
    assert_eq!(assert_all_keys_expire(&state, ttl).await, 2);
    assert_eq!(
        keys(&state).await,
        vec![
            format!("{}:revoked:jti-a", state.prefix()),
            format!("{}:revoked:jti-b", state.prefix())
        ]
    );

    state
        .revoke("jti-short", Duration::from_millis(200))
        .await
        .unwrap();
    assert!(state.any_revoked(&["jti-short"]).await.unwrap());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!state.any_revoked(&["jti-short"]).await.unwrap());

    assert!(matches!(
        state.revoke("jti-zero", Duration::ZERO).await,
        Err(StateError::InvalidArgument(_))
    ));
    assert!(!state.any_revoked(&["jti-zero"]).await.unwrap());
    cleanup(state).await;
}

#[tokio::test]
async fn revocation_values_are_read_back_in_order_and_can_be_lifted() {
    let state = state().await;
    let ttl = Duration::from_secs(60);
    state.revoke("jti-a", ttl).await.unwrap();
    state
        .revoke_with("user:u1", "1767225600", ttl)
        .await
        .unwrap();
    assert_eq!(
        state.revocations(&[]).await.unwrap(),
        Vec::<Option<String>>::new()
    );
    assert_eq!(
        state
            .revocations(&["jti-x", "jti-a", "user:u1"])
            .await
            .unwrap(),
        vec![None, Some("1".to_owned()), Some("1767225600".to_owned())]
    );
    assert!(
        state
            .revoked_groups(&[["jti-x", "sid:x", "user:u1"], ["jti-x", "sid:x", "user:u2"]])
            .await
            .unwrap()
            == vec![true, false]
    );
    state.unrevoke("user:u1").await.unwrap();
    state.unrevoke("user:never").await.unwrap();
    assert_eq!(state.revocations(&["user:u1"]).await.unwrap(), vec![None]);
    cleanup(state).await;
}

#[tokio::test]
async fn a_ticket_is_taken_once_and_expires() {
    let state = state().await;
    state
        .put_ticket("oidc", "s1", "{\"n\":1}", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        state.take_ticket("oidc", "s1").await.unwrap().as_deref(),
        Some("{\"n\":1}")
    );
    assert_eq!(state.take_ticket("oidc", "s1").await.unwrap(), None);
    assert_eq!(state.take_ticket("other", "s1").await.unwrap(), None);
    state
        .put_ticket("oidc", "s2", "x", Duration::from_millis(100))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state.take_ticket("oidc", "s2").await.unwrap(), None);
    cleanup(state).await;
}

#[tokio::test]
async fn a_sliding_window_holds_the_limit_over_any_span() {
    let state = state().await;
    let window = Duration::from_millis(1_500);
    // Whatever the clock says, 5 are taken and the 6th is refused, counted nowhere.
    for n in 1..=5 {
        let t = state.take("chat:u", window, 5).await.unwrap();
        assert!(t.allowed, "hit {n}");
        assert_eq!(t.count, n);
    }
    let refused = state.take("chat:u", window, 5).await.unwrap();
    assert!(!refused.allowed);
    assert_eq!(refused.count, 5);
    assert!(refused.retry_in > Duration::ZERO && refused.retry_in <= window);
    assert!(
        state.take("chat:other", window, 5).await.unwrap().allowed,
        "buckets are apart"
    );
    // Once the first hits leave the window, hits are taken again.
    tokio::time::sleep(refused.retry_in + Duration::from_millis(50)).await;
    assert!(state.take("chat:u", window, 5).await.unwrap().allowed);
    assert_all_keys_expire(&state, Duration::from_secs(2)).await;
    cleanup(state).await;
}
