#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Task records, the state machine and the event channel against the real Redis.

mod common;

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use moji_redis::{
    ErrorCode, NewTask, RedisState, StateError, TaskChange, TaskError, TaskEvent, TaskKind,
    TaskRecord, TaskStatus,
};
use serde_json::json;
use uuid::Uuid;

use common::{assert_all_keys_expire, cleanup, keys, pttl, state};

const TTL: Duration = Duration::from_secs(600);
/// How long to wait for something that should arrive, or to be sure nothing does.
const WAIT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_millis(300);

fn new_task(kind: TaskKind) -> NewTask {
    NewTask {
        id: Uuid::now_v7(),
        kind,
        user_id: Uuid::now_v7(),
    }
}

async fn running_task(state: &RedisState) -> TaskRecord {
    let t = state
        .create_task(&new_task(TaskKind::Emoji), TTL)
        .await
        .unwrap();
    state
        .transition(t.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap()
}

/// Next item of a stream, failing the test if none comes within [`WAIT`].
async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    tokio::time::timeout(WAIT, s.next())
        .await
        .expect("timed out waiting for the stream")
}

/// Asserts that the stream yields nothing for [`QUIET`].
async fn assert_quiet<S: Stream + Unpin>(s: &mut S)
where
    S::Item: std::fmt::Debug,
{
    if let Ok(item) = tokio::time::timeout(QUIET, s.next()).await {
        panic!("expected silence, got {item:?}");
    }
}

#[tokio::test]
async fn create_and_get_round_trip_with_ttl_on_every_key() {
    let state = state().await;
    let task = new_task(TaskKind::Zodiac);

    let created = state.create_task(&task, TTL).await.unwrap();
    assert_eq!(created.id, task.id);
    assert_eq!(created.kind, TaskKind::Zodiac);
    assert_eq!(created.user_id, task.user_id);
    assert_eq!(created.status, TaskStatus::Queued);
    assert_eq!(created.progress, 0);
    assert_eq!(
        (&created.step, &created.result, &created.error),
        (&None, &None, &None)
    );
    assert_eq!(created.created_at, created.updated_at);

    assert_eq!(
        state.get_task(task.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(state.get_task(Uuid::now_v7()).await.unwrap(), None);

    // The hash really is laid out as documented.
    let key = state.task_key(task.id);
    assert_eq!(key, format!("{}:task:{}", state.prefix(), task.id));
    assert_eq!(state.key("x"), format!("{}:x", state.prefix()));
    let mut conn = state.connection();
    let status: String = redis::cmd("HGET")
        .arg(&key)
        .arg("status")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(status, "queued");
    let kind: String = redis::cmd("HGET")
        .arg(&key)
        .arg("kind")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(kind, "zodiac");

    // Creating it again is a conflict and changes nothing.
    match state.create_task(&task, TTL).await {
        Err(StateError::TaskExists(id)) => assert_eq!(id, task.id),
        other => panic!("expected TaskExists, got {other:?}"),
    }
    assert_eq!(state.get_task(task.id).await.unwrap(), Some(created));

    // A zero TTL would make an immortal-or-deleted key: refused, nothing written.
    let other = new_task(TaskKind::Emoji);
    assert!(matches!(
        state.create_task(&other, Duration::ZERO).await,
        Err(StateError::InvalidArgument(_))
    ));
    assert_eq!(state.get_task(other.id).await.unwrap(), None);

    // Updates keep the TTL.
    let before = pttl(&state, &key).await;
    state
        .transition(task.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    state.set_progress(task.id, 10, "load").await.unwrap();
    let after = pttl(&state, &key).await;
    assert!(after > 0 && after <= before, "TTL {before} -> {after}");

    assert_eq!(assert_all_keys_expire(&state, TTL).await, 1);
    cleanup(state).await;
}

#[tokio::test]
async fn legal_transitions_queued_running_succeeded_with_result() {
    let state = state().await;
    let task = new_task(TaskKind::Emoji);
    let created = state.create_task(&task, TTL).await.unwrap();

    let running = state
        .transition(task.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert_eq!(running.status, TaskStatus::Running);
    assert_eq!(running.progress, 0);
    assert_eq!(running.created_at, created.created_at);
    assert!(running.updated_at >= created.updated_at);

    let progressed = state.set_progress(task.id, 30, "detect").await.unwrap();
    assert_eq!(progressed.status, TaskStatus::Running);
    assert_eq!(progressed.progress, 30);
    assert_eq!(progressed.step.as_deref(), Some("detect"));

    // running -> running is allowed (redelivery after a worker crash) and keeps what it is not given.
    let again = state
        .transition(task.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert_eq!(
        (again.progress, again.step.as_deref()),
        (30, Some("detect"))
    );

    let result = json!({
        "faces": [{"box": [1, 2, 3, 4], "emoji": "😀", "score": 0.9}],
        "url": "results/x/out.png",
        "big": 12345678901234567u64
    });
    let done = state
        .transition(
            task.id,
            TaskStatus::Succeeded,
            TaskChange {
                step: Some("done".into()),
                result: Some(result.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Succeeded);
    assert_eq!(done.progress, 100, "success without progress means 100");
    assert_eq!(done.step.as_deref(), Some("done"));
    assert_eq!(done.result, Some(result));
    assert_eq!(done.error, None);
    assert!(done.updated_at >= progressed.updated_at);
    assert_eq!(state.get_task(task.id).await.unwrap(), Some(done));

    // queued -> failed directly, with an error.
    let failing = state
        .create_task(&new_task(TaskKind::Zodiac), TTL)
        .await
        .unwrap();
    let error = TaskError {
        code: ErrorCode::NoFaceDetected,
        detail: "no face in \"photo\" / ✗".into(),
    };
    let failed = state
        .transition(
            failing.id,
            TaskStatus::Failed,
            TaskChange {
                error: Some(error.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(failed.status, TaskStatus::Failed);
    assert_eq!(failed.error, Some(error));
    assert_eq!(failed.progress, 0);
    assert_eq!(state.get_task(failing.id).await.unwrap(), Some(failed));

    assert_eq!(assert_all_keys_expire(&state, TTL).await, 2);
    cleanup(state).await;
}

#[tokio::test]
async fn illegal_transitions_are_rejected_without_change_or_event() {
    let state = state().await;
    let t = running_task(&state).await;
    let done = state
        .transition(
            t.id,
            TaskStatus::Succeeded,
            TaskChange {
                result: Some(json!({"ok": true})),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let mut events = Box::pin(state.subscribe_task_events(t.id).await.unwrap());
    for to in [
        TaskStatus::Running,
        TaskStatus::Queued,
        TaskStatus::Failed,
        TaskStatus::Cancelled,
        TaskStatus::Succeeded,
    ] {
        match state
            .transition(
                t.id,
                to,
                TaskChange {
                    progress: Some(5),
                    step: Some("again".into()),
                    ..Default::default()
                },
            )
            .await
        {
            Err(StateError::IllegalTransition { from, to: got }) => {
                assert_eq!((from, got), (TaskStatus::Succeeded, to));
            }
            other => panic!("succeeded -> {to} must be illegal, got {other:?}"),
        }
    }
    match state.set_progress(t.id, 50, "detect").await {
        Err(StateError::IllegalTransition { from, to }) => {
            assert_eq!((from, to), (TaskStatus::Succeeded, TaskStatus::Running));
        }
        other => panic!("progress on a finished task must be illegal, got {other:?}"),
    }
    assert_eq!(state.get_task(t.id).await.unwrap(), Some(done));
    assert_quiet(&mut events).await;

    // Progress only while running; queued -> queued is not a move.
    let queued = state
        .create_task(&new_task(TaskKind::Emoji), TTL)
        .await
        .unwrap();
    assert!(matches!(
        state.set_progress(queued.id, 1, "x").await,
        Err(StateError::IllegalTransition {
            from: TaskStatus::Queued,
            to: TaskStatus::Running
        })
    ));
    assert!(matches!(
        state
            .transition(queued.id, TaskStatus::Queued, TaskChange::default())
            .await,
        Err(StateError::IllegalTransition {
            from: TaskStatus::Queued,
            to: TaskStatus::Queued
        })
    ));
    // Progress over 100 is refused before Redis is asked.
    let running = state
        .transition(queued.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert!(matches!(
        state.set_progress(queued.id, 101, "x").await,
        Err(StateError::InvalidArgument(_))
    ));
    assert_eq!(state.get_task(queued.id).await.unwrap(), Some(running));

    drop(events);
    cleanup(state).await;
}

#[tokio::test]
async fn changes_to_a_missing_task_are_not_found_and_create_nothing() {
    let state = state().await;
    let id = Uuid::now_v7();
    let mut events = Box::pin(state.subscribe_task_events(id).await.unwrap());
    for to in [
        TaskStatus::Running,
        TaskStatus::Succeeded,
        TaskStatus::Queued,
    ] {
        match state.transition(id, to, TaskChange::default()).await {
            Err(StateError::TaskNotFound(got)) => assert_eq!(got, id),
            other => panic!("expected TaskNotFound, got {other:?}"),
        }
    }
    assert!(matches!(
        state.set_progress(id, 50, "detect").await,
        Err(StateError::TaskNotFound(got)) if got == id
    ));
    assert_eq!(state.get_task(id).await.unwrap(), None);
    assert_eq!(keys(&state).await, Vec::<String>::new());
    assert_quiet(&mut events).await;
    drop(events);
    cleanup(state).await;
}

#[tokio::test]
async fn events_arrive_in_order_and_the_stream_ends_after_the_final_one() {
    let state = state().await;
    let task = state
        .create_task(&new_task(TaskKind::Emoji), TTL)
        .await
        .unwrap();
    let mut events = Box::pin(state.subscribe_task_events(task.id).await.unwrap());
    // A second subscriber sees the same sequence.
    let mut events2 = Box::pin(state.subscribe_task_events(task.id).await.unwrap());

    let r1 = state
        .transition(task.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    let r2 = state.set_progress(task.id, 50, "detect").await.unwrap();
    let r3 = state
        .transition(
            task.id,
            TaskStatus::Succeeded,
            TaskChange {
                result: Some(json!({"emoji": ["😀", "😢"], "n": 2})),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let expected: Vec<TaskEvent> = [&r1, &r2, &r3].into_iter().map(TaskEvent::from).collect();
    for stream in [&mut events, &mut events2] {
        let mut got = Vec::new();
        while let Some(ev) = next(stream).await {
            got.push(ev);
        }
        assert_eq!(got, expected);
    }
    let statuses: Vec<_> = expected.iter().map(|e| (e.status, e.progress)).collect();
    assert_eq!(
        statuses,
        [
            (TaskStatus::Running, 0),
            (TaskStatus::Running, 50),
            (TaskStatus::Succeeded, 100)
        ]
    );
    assert_eq!(expected[1].step.as_deref(), Some("detect"));
    assert!(expected[1].result.is_none() && expected[2].result.is_some());

    // The raw wire form: a final event carries the result, progress is a number.
    let raw = serde_json::to_value(&expected[2]).unwrap();
    assert_eq!(raw["status"], "succeeded");
    assert_eq!(raw["progress"], 100);
    assert_eq!(raw["result"]["n"], 2);

    // A failed task's final event carries the error.
    let failing = running_task(&state).await;
    let mut events = Box::pin(state.subscribe_task_events(failing.id).await.unwrap());
    let error = TaskError {
        code: ErrorCode::InvalidImage,
        detail: "not a PNG".into(),
    };
    let failed = state
        .transition(
            failing.id,
            TaskStatus::Failed,
            TaskChange {
                error: Some(error.clone()),
                step: Some("decode".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ev = next(&mut events).await.unwrap();
    assert_eq!(ev, TaskEvent::from(&failed));
    assert_eq!(ev.error, Some(error));
    assert_eq!(next(&mut events).await, None);

    cleanup(state).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_final_transitions_have_exactly_one_winner() {
    const TASKS: usize = 20;
    let state = state().await;

    // Watch every task channel of this prefix, raw, to count the published events.
    let client = redis::Client::open(common::redis_url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub
        .psubscribe(format!("{}:task:*:events", state.prefix()))
        .await
        .unwrap();
    let mut raw = pubsub.into_on_message();

    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        tasks.push(running_task(&state).await);
    }
    for _ in 0..TASKS {
        let msg = tokio::time::timeout(WAIT, raw.next())
            .await
            .unwrap()
            .unwrap();
        let ev: TaskEvent = serde_json::from_slice(msg.get_payload_bytes()).unwrap();
        assert_eq!(ev.status, TaskStatus::Running);
    }

    let mut handles = Vec::new();
    for t in &tasks {
        let (a, b) = (state.clone(), state.clone());
        let id = t.id;
        let succeed = tokio::spawn(async move {
            a.transition(
                id,
                TaskStatus::Succeeded,
                TaskChange {
                    result: Some(json!({"winner": "succeed"})),
                    ..Default::default()
                },
            )
            .await
        });
        let cancel = tokio::spawn(async move {
            b.transition(
                id,
                TaskStatus::Cancelled,
                TaskChange {
                    error: Some(TaskError {
                        code: ErrorCode::Cancelled,
                        detail: "cancelled by owner".into(),
                    }),
                    ..Default::default()
                },
            )
            .await
        });
        handles.push((id, succeed, cancel));
    }

    let mut winners = std::collections::HashMap::new();
    for (id, succeed, cancel) in handles {
        let (s, c) = (succeed.await.unwrap(), cancel.await.unwrap());
        let (winner, loser_err, loser_to) = match (s, c) {
            (Ok(rec), Err(e)) => (rec, e, TaskStatus::Cancelled),
            (Err(e), Ok(rec)) => (rec, e, TaskStatus::Succeeded),
            (s, c) => panic!("task {id}: exactly one must win, got {s:?} and {c:?}"),
        };
        match loser_err {
            StateError::IllegalTransition { from, to } => {
                assert_eq!((from, to), (winner.status, loser_to));
            }
            other => panic!("loser must see IllegalTransition, got {other:?}"),
        }
        // The stored record is the winner's, untouched by the loser.
        assert_eq!(state.get_task(id).await.unwrap(), Some(winner.clone()));
        match winner.status {
            TaskStatus::Succeeded => assert!(winner.result.is_some() && winner.error.is_none()),
            TaskStatus::Cancelled => assert!(winner.result.is_none() && winner.error.is_some()),
            other => panic!("winner in {other}"),
        }
        winners.insert(id, winner);
    }

    // Exactly one final event per task, matching the winner.
    for _ in 0..TASKS {
        let msg = tokio::time::timeout(WAIT, raw.next())
            .await
            .unwrap()
            .unwrap();
        let ev: TaskEvent = serde_json::from_slice(msg.get_payload_bytes()).unwrap();
        let winner = winners
            .remove(&ev.task_id)
            .expect("one final event per task");
        assert_eq!(ev, TaskEvent::from(&winner));
    }
    assert!(winners.is_empty());
    assert_quiet(&mut raw).await;

    assert_eq!(assert_all_keys_expire(&state, TTL).await, TASKS);
    cleanup(state).await;
}

#[tokio::test]
async fn dropping_a_subscription_releases_its_connection() {
    let state = state().await;
    let t = running_task(&state).await;
    let channel = state.task_events_channel(t.id);
    let subscribers = |state: RedisState, channel: String| async move {
        let mut conn = state.connection();
        let (_, n): (String, u64) = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg(&channel)
            .query_async(&mut conn)
            .await
            .unwrap();
        n
    };
    let events = state.subscribe_task_events(t.id).await.unwrap();
    assert_eq!(subscribers(state.clone(), channel.clone()).await, 1);
    drop(events);
    let deadline = tokio::time::Instant::now() + WAIT;
    while subscribers(state.clone(), channel.clone()).await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "subscription leaked"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cleanup(state).await;
}

/// Compile-time check: every call can run inside `tokio::spawn` (actix handlers, consumers).
#[allow(dead_code)]
fn futures_are_send(state: RedisState, id: Uuid) {
    fn send<T: Send + 'static>(_: T) {}
    let s = state.clone();
    send(async move { s.create_task(&new_task(TaskKind::Emoji), TTL).await });
    let s = state.clone();
    send(async move { s.get_task(id).await });
    let s = state.clone();
    send(async move {
        s.transition(id, TaskStatus::Running, TaskChange::default())
            .await
    });
    let s = state.clone();
    send(async move { s.set_progress(id, 1, "x").await });
    let s = state.clone();
    send(async move { s.subscribe_task_events(id).await });
    let s = state.clone();
    send(async move { s.claim_idempotency_key(id, "k", "v", TTL).await });
    let s = state.clone();
    send(async move { s.hit("b", TTL).await });
    let s = state.clone();
    send(async move { s.any_revoked(&["a"]).await });
    send(async move { state.ping().await });
}

/// A plain connection for server commands (CLIENT LIST / KILL).
async fn admin() -> redis::aio::MultiplexedConnection {
    redis::Client::open(common::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// `CLIENT LIST TYPE pubsub`: one line per pub/sub connection, with its `sub=` count.
async fn pubsub_clients() -> String {
    redis::cmd("CLIENT")
        .arg("LIST")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin().await)
        .await
        .unwrap()
}

/// `n` new tasks, each with an event stream subscribed to it.
async fn subscribed_tasks(
    state: &RedisState,
    n: usize,
) -> (
    Vec<TaskRecord>,
    Vec<std::pin::Pin<Box<impl Stream<Item = TaskEvent>>>>,
) {
    let mut tasks = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..n {
        let t = state
            .create_task(&new_task(TaskKind::Emoji), TTL)
            .await
            .unwrap();
        streams.push(Box::pin(state.subscribe_task_events(t.id).await.unwrap()));
        tasks.push(t);
    }
    (tasks, streams)
}

#[tokio::test]
async fn subscribers_share_one_connection_and_leaving_does_not_silence_others() {
    let state = state().await;
    let (tasks, mut streams) = subscribed_tasks(&state, 20).await;
    // One pub/sub connection carries all twenty channels (a connection per stream would show
    // twenty clients with one subscription each).
    let clients = pubsub_clients().await;
    assert!(
        clients.lines().any(|l| l.contains(" sub=20 ")),
        "no client with all 20 subscriptions:\n{clients}"
    );

    // Two listeners on one task: the first leaving must not unsubscribe the second.
    let shared = tasks[0].id;
    let mut second = Box::pin(state.subscribe_task_events(shared).await.unwrap());
    drop(streams.remove(0));
    // A listener that leaves while another arrives on the same channel: the late UNSUBSCRIBE
    // must not overtake the new SUBSCRIBE.
    let churn = tasks[1].id;
    drop(streams.remove(0));
    let mut third = Box::pin(state.subscribe_task_events(churn).await.unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;

    let r = state
        .transition(shared, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert_eq!(next(&mut second).await, Some(TaskEvent::from(&r)));
    let r = state
        .transition(churn, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert_eq!(next(&mut third).await, Some(TaskEvent::from(&r)));
    // The others still hear their own tasks.
    let last = tasks[19].id;
    let r = state
        .transition(last, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert_eq!(
        next(streams.last_mut().unwrap()).await,
        Some(TaskEvent::from(&r))
    );
    cleanup(state).await;
}

#[tokio::test]
async fn a_lost_pubsub_connection_ends_the_streams_and_the_next_subscription_reconnects() {
    let state = state().await;
    // 37 subscriptions make our shared connection recognisable in CLIENT LIST.
    let (_, mut streams) = subscribed_tasks(&state, 37).await;
    let clients = pubsub_clients().await;
    let ours = clients
        .lines()
        .find(|l| l.contains(" sub=37 "))
        .and_then(|l| l.split(' ').find_map(|f| f.strip_prefix("id=")))
        .expect("our pub/sub connection")
        .to_owned();
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(&ours)
        .query_async(&mut admin().await)
        .await
        .unwrap();
    for s in &mut streams {
        assert_eq!(next(s).await, None, "streams end with their connection");
    }

    let t = state
        .create_task(&new_task(TaskKind::Emoji), TTL)
        .await
        .unwrap();
    let mut fresh = Box::pin(state.subscribe_task_events(t.id).await.unwrap());
    let r = state
        .transition(t.id, TaskStatus::Running, TaskChange::default())
        .await
        .unwrap();
    assert_eq!(next(&mut fresh).await, Some(TaskEvent::from(&r)));
    cleanup(state).await;
}
