#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A connection the server drops (`CLIENT KILL`) costs no request: the next command is retried
//! once on the manager's new connection (issue 19: it used to answer 503 `broken pipe`).

mod common;

use std::time::Duration;

use moji_redis::{NewTask, RedisState, TaskKind, TaskStatus};
use uuid::Uuid;

use common::{cleanup, redis_url, state};

/// The id Redis gave the handle's shared connection.
async fn client_id(state: &RedisState) -> i64 {
    let mut conn = state.connection();
    redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut conn)
        .await
        .unwrap()
}

/// Kills client `id` from a separate connection, as an operator or a failover would.
async fn kill(id: i64) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(killed, 1, "client {id} should have been killed");
}

#[tokio::test]
async fn the_first_command_after_a_killed_connection_succeeds() {
    let state = state().await;
    let task = NewTask {
        id: Uuid::now_v7(),
        kind: TaskKind::Emoji,
        user_id: Uuid::now_v7(),
    };
    state
        .create_task(&task, Duration::from_secs(60))
        .await
        .unwrap();

    for round in 0..3 {
        let before = client_id(&state).await;
        kill(before).await;
        // A read (the plain GET that answered `revocation check failed`), a script and a ping,
        // each the first command on the dead connection in its round.
        match round {
            0 => {
                let rec = state.get_task(task.id).await.unwrap().unwrap();
                assert_eq!(rec.status, TaskStatus::Queued);
            }
            1 => {
                let rec = state
                    .transition(task.id, TaskStatus::Running, Default::default())
                    .await
                    .unwrap();
                assert_eq!(rec.status, TaskStatus::Running);
            }
            _ => state.ping().await.unwrap(),
        }
        let after = client_id(&state).await;
        assert_ne!(
            before, after,
            "round {round}: a new connection serves the handle"
        );
    }
    cleanup(state).await;
}
