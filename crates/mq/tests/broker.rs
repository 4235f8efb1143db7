//! Integration tests against the real RabbitMQ (`AMQP_URL`, default the local one). Each test
//! uses its own name prefix, so they run in parallel; each is bounded by a timeout.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use common::{close_connections, eventually, face_envelope, fresh_broker};
use moji_common::{
    messages::{FaceAnalyzeV1, UserDeletedV1},
    Envelope,
};
use moji_mq::{consume, Broker, Incoming, MqError, Outcome, Topology, FACE_ANALYZE_KEY};
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// Upper bound of any single test: a hang fails instead of blocking the suite.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound of waiting for one delivery.
const RECV_TIMEOUT: Duration = Duration::from_secs(15);

/// Runs `test` on a broker with a fresh topology, bounded by [`TEST_TIMEOUT`], then deletes
/// the topology through a new connection even if the test failed or broke its own.
async fn isolated<F, Fut>(delivery_limit: u32, test: F)
where
    F: FnOnce(Broker, Topology, String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let (broker, t, name) = fresh_broker(delivery_limit).await;
    let outcome = tokio::spawn(tokio::time::timeout(
        TEST_TIMEOUT,
        test(broker, t.clone(), name),
    ))
    .await;
    eprintln!("test body took {:?}", started.elapsed());
    match Broker::connect(
        &common::amqp_url(),
        "moji-mq-test-teardown",
        t,
        delivery_limit,
    )
    .await
    {
        Ok(b) => {
            if let Err(e) = b.delete_topology().await {
                eprintln!("teardown failed: {e}");
            }
        }
        Err(e) => eprintln!("teardown failed: {e}"),
    }
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("test timed out after {TEST_TIMEOUT:?}"),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("test task failed: {e}"),
    }
}

/// Bounds a test that needs no topology.
async fn bounded<F: Future<Output = ()>>(test: F) {
    let started = Instant::now();
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("test timed out");
    eprintln!("test body took {:?}", started.elapsed());
}

/// A running consumer of face tasks that forwards every delivery to the returned receiver
/// and answers with `outcome(&incoming)`.
fn spawn_face_consumer(
    broker: &Broker,
    queue: &str,
    prefetch: u16,
    outcome: impl Fn(&Incoming<FaceAnalyzeV1>) -> Outcome + Send + Sync + 'static,
) -> (
    mpsc::UnboundedReceiver<Incoming<FaceAnalyzeV1>>,
    CancellationToken,
    JoinHandle<Result<(), MqError>>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let shutdown = CancellationToken::new();
    let broker = broker.clone();
    let queue = queue.to_owned();
    let stop = shutdown.clone();
    let outcome = Arc::new(outcome);
    let task = tokio::spawn(async move {
        consume::<FaceAnalyzeV1, _, _>(
            &broker,
            &queue,
            "test",
            prefetch,
            move |incoming| {
                let tx = tx.clone();
                let outcome = outcome.clone();
                async move {
                    let result = outcome(&incoming);
                    let _ = tx.send(incoming);
                    result
                }
            },
            stop,
        )
        .await
    });
    (rx, shutdown, task)
}

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    tokio::time::timeout(RECV_TIMEOUT, rx.recv())
        .await
        .expect("no delivery in time")
        .expect("consumer ended")
}

async fn stop(shutdown: CancellationToken, task: JoinHandle<Result<(), MqError>>) {
    shutdown.cancel();
    tokio::time::timeout(RECV_TIMEOUT, task)
        .await
        .expect("consumer did not stop")
        .expect("consumer panicked")
        .expect("consumer failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_publishes_consumes_and_acks() {
    isolated(5, |broker, t, name| async move {
        assert!(broker.is_connected());
        broker.check().await.unwrap();
        // Declaring the same topology again is harmless.
        let again = Broker::connect(&common::amqp_url(), &format!("{name}-2"), t.clone(), 5)
            .await
            .unwrap();

        // The wire contract, read back raw.
        let probe = face_envelope();
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &probe)
            .await
            .unwrap();
        let raw = broker.get(&t.face_queue()).await.unwrap().expect("probe");
        assert_eq!(raw.message_type.as_deref(), Some("face.analyze.v1"));
        assert_eq!(raw.message_id, Some(probe.id.to_string()));
        assert_eq!(raw.correlation_id, Some(probe.correlation_id.to_string()));
        assert_eq!(raw.content_type.as_deref(), Some("application/json"));
        assert!(raw.persistent);
        let body: Envelope<FaceAnalyzeV1> = serde_json::from_slice(&raw.body).unwrap();
        assert_eq!(body, probe);

        let env = face_envelope();
        again
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &env)
            .await
            .unwrap();
        let (mut rx, shutdown, task) =
            spawn_face_consumer(&broker, &t.face_queue(), 4, |_| Outcome::Ack);
        let got = recv(&mut rx).await;
        assert_eq!(got.envelope, env);
        assert!(!got.redelivered);
        assert_eq!(got.delivery_count, 0);
        stop(shutdown, task).await;

        // Acked, not merely in flight: after the consumer's channel closed nothing came back.
        assert_eq!(broker.queue_len(&t.face_queue()).await.unwrap(), 0);
        assert!(broker
            .get(&Topology::dead_queue(&t.face_queue()))
            .await
            .unwrap()
            .is_none());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_are_dead_lettered_and_consumption_goes_on() {
    isolated(5, |broker, t, _| async move {
        let (mut rx, shutdown, task) =
            spawn_face_consumer(&broker, &t.face_queue(), 4, |_| Outcome::Ack);
        let exchange = t.tasks_exchange();

        broker
            .publish_raw(&exchange, FACE_ANALYZE_KEY, b"not json", "face.analyze.v1")
            .await
            .unwrap();
        // Another message type entirely.
        let wrong_type = Envelope::new(
            "test",
            moji_common::new_id(),
            UserDeletedV1 {
                user_id: moji_common::new_id(),
            },
        );
        broker
            .publish(&exchange, FACE_ANALYZE_KEY, &wrong_type)
            .await
            .unwrap();
        // The right payload shape under an unknown version.
        let mut wrong_version = face_envelope();
        wrong_version.version = 2;
        broker
            .publish(&exchange, FACE_ANALYZE_KEY, &wrong_version)
            .await
            .unwrap();
        let valid = face_envelope();
        broker
            .publish(&exchange, FACE_ANALYZE_KEY, &valid)
            .await
            .unwrap();

        let got = recv(&mut rx).await;
        assert_eq!(
            got.envelope, valid,
            "only the valid message reaches the handler"
        );

        let dead = Topology::dead_queue(&t.face_queue());
        let b = broker.clone();
        let d = dead.clone();
        assert!(
            eventually(Duration::from_secs(10), || {
                let (b, d) = (b.clone(), d.clone());
                async move { b.queue_len(&d).await.unwrap() == 3 }
            })
            .await,
            "three poison messages in {dead}"
        );
        let mut bodies = Vec::new();
        while let Some(m) = broker.get(&dead).await.unwrap() {
            assert_eq!(m.death_reason.as_deref(), Some("rejected"));
            bodies.push(m.body);
        }
        assert_eq!(bodies.len(), 3);
        // Handlers run concurrently, so the dead queue's order is not the publish order.
        let ids: Vec<String> = bodies
            .iter()
            .filter_map(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(bodies.iter().any(|b| b == b"not json"));
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&wrong_type.id.to_string()));
        assert!(ids.contains(&wrong_version.id.to_string()));
        assert!(
            rx.try_recv().is_err(),
            "no poison message reached the handler"
        );
        let q = t.face_queue();
        let consumed = |outcome| {
            common::counter(
                "moji_amqp_consumed_total",
                &[("queue", &q), ("outcome", outcome)],
            )
        };
        assert_eq!(consumed("undecodable"), 3.0);
        assert_eq!(consumed("ack"), 1.0);
        assert_eq!(
            common::counter("moji_amqp_dead_lettered_total", &[("queue", &q)]),
            3.0
        );

        stop(shutdown, task).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_message_is_redelivered_after_its_consumer_connection_dies() {
    isolated(5, |first, t, _| async move {
        let env = face_envelope();
        first
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &env)
            .await
            .unwrap();

        // A handler that never finishes: the message stays unacked.
        let (tx, mut rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let hung = {
            let broker = first.clone();
            let queue = t.face_queue();
            tokio::spawn(async move {
                consume::<FaceAnalyzeV1, _, _>(
                    &broker,
                    &queue,
                    "hung",
                    1,
                    move |incoming| {
                        let _ = tx.send(incoming);
                        std::future::pending::<Outcome>()
                    },
                    shutdown,
                )
                .await
            })
        };
        let got = recv(&mut rx).await;
        assert_eq!(got.envelope.id, env.id);
        assert!(!got.redelivered);

        // The process dies: its consumer, handlers and connections go away without an ack.
        hung.abort();
        assert!(hung.await.unwrap_err().is_cancelled());
        drop(first);

        let second = Broker::connect(
            &common::amqp_url(),
            &format!("moji-mq-test-{}second", t.prefix()),
            t.clone(),
            5,
        )
        .await
        .unwrap();
        let (mut rx, shutdown, task) =
            spawn_face_consumer(&second, &t.face_queue(), 1, |_| Outcome::Ack);
        let again = recv(&mut rx).await;
        assert_eq!(again.envelope.id, env.id);
        assert!(again.redelivered || again.delivery_count >= 1);
        eprintln!(
            "redelivered={} delivery_count={}",
            again.redelivered, again.delivery_count
        );
        stop(shutdown, task).await;
        assert_eq!(second.queue_len(&t.face_queue()).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publisher_and_consumer_survive_server_side_connection_close() {
    isolated(5, |broker, t, name| async move {
        let before = common::reconnects();
        let (mut rx, shutdown, task) =
            spawn_face_consumer(&broker, &t.face_queue(), 4, |_| Outcome::Ack);
        let first = face_envelope();
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &first)
            .await
            .unwrap();
        assert_eq!(recv(&mut rx).await.envelope.id, first.id);

        // Publish back to back while the connections are closed under the publisher's feet,
        // so some publish is usually in flight (awaiting its confirm) when its connection dies.
        let closing_done = CancellationToken::new();
        let publisher = {
            let (broker, exchange) = (broker.clone(), t.tasks_exchange());
            let done = closing_done.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                while !done.is_cancelled() {
                    let env = face_envelope();
                    broker
                        .publish(&exchange, FACE_ANALYZE_KEY, &env)
                        .await
                        .expect("publish survives the connection loss");
                    ids.push(env.id);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                ids
            })
        };
        let closed = close_connections(&[name.clone(), format!("{name}.consumer")]).await;
        assert_eq!(closed, 2, "publishing and consuming connections closed");
        tokio::time::sleep(Duration::from_millis(200)).await;
        closing_done.cancel();
        let mut expected: std::collections::HashSet<_> =
            publisher.await.unwrap().into_iter().collect();
        eprintln!(
            "published {} messages across the connection loss",
            expected.len()
        );
        // Every confirmed message arrives (a retried publish may arrive twice).
        while !expected.is_empty() {
            expected.remove(&recv(&mut rx).await.envelope.id);
        }

        let second = face_envelope();
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &second)
            .await
            .unwrap();
        while recv(&mut rx).await.envelope.id != second.id {}
        assert!(broker.is_connected());
        broker.check().await.unwrap();
        assert!(
            common::reconnects() >= before + 2.0,
            "both connections reconnected"
        );

        stop(shutdown, task).await;
        assert_eq!(broker.queue_len(&t.face_queue()).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_counts_toward_the_delivery_limit_then_dead_letters() {
    const LIMIT: u32 = 2;
    isolated(LIMIT, |broker, t, _| async move {
        let limit = LIMIT;
        let (mut rx, shutdown, task) =
            spawn_face_consumer(&broker, &t.face_queue(), 1, |_| Outcome::Retry);
        let env = face_envelope();
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &env)
            .await
            .unwrap();

        let dead = Topology::dead_queue(&t.face_queue());
        let b = broker.clone();
        let d = dead.clone();
        assert!(
            eventually(Duration::from_secs(20), || {
                let (b, d) = (b.clone(), d.clone());
                async move { b.queue_len(&d).await.unwrap() == 1 }
            })
            .await,
            "message dead-lettered after the delivery limit"
        );
        stop(shutdown, task).await;
        let mut counts = Vec::new();
        while let Ok(incoming) = rx.try_recv() {
            assert_eq!(incoming.envelope.id, env.id);
            counts.push((incoming.redelivered, incoming.delivery_count));
        }
        eprintln!("deliveries with delivery_limit={limit}: (redelivered, count) = {counts:?}");
        assert_eq!(
            counts.iter().map(|c| c.1).collect::<Vec<_>>(),
            (0..=limit).collect::<Vec<_>>(),
            "RabbitMQ 3.x: a message is delivered delivery_limit + 1 times"
        );
        let m = broker.get(&dead).await.unwrap().expect("dead message");
        assert_eq!(m.message_id, Some(env.id.to_string()));
        assert_eq!(m.death_reason.as_deref(), Some("delivery_limit"));
        let q = t.face_queue();
        assert_eq!(
            common::counter(
                "moji_amqp_consumed_total",
                &[("queue", &q), ("outcome", "retry")]
            ),
            f64::from(limit + 1)
        );
        assert_eq!(
            common::counter("moji_amqp_dead_lettered_total", &[("queue", &q)]),
            1.0
        );
        let published = common::counter(
            "moji_amqp_published_total",
            &[("exchange", &t.tasks_exchange()), ("outcome", "ok")],
        );
        assert_eq!(published, 1.0);
        assert_eq!(broker.queue_len(&t.face_queue()).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letter_outcome_and_handler_panic() {
    isolated(5, |broker, t, _| async move {
        let target = face_envelope();
        let target_id = target.id;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let task = {
            let broker = broker.clone();
            let queue = t.face_queue();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                consume::<FaceAnalyzeV1, _, _>(
                    &broker,
                    &queue,
                    "panicky",
                    2,
                    move |incoming: Incoming<FaceAnalyzeV1>| {
                        let tx = tx.clone();
                        async move {
                            let _ = tx.send((incoming.envelope.id, incoming.delivery_count));
                            if incoming.envelope.id != target_id {
                                return Outcome::DeadLetter;
                            }
                            // First attempt panics; the redelivery succeeds.
                            assert!(incoming.delivery_count > 0, "deliberate test panic");
                            Outcome::Ack
                        }
                    },
                    stop,
                )
                .await
            })
        };
        let doomed = face_envelope();
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &doomed)
            .await
            .unwrap();
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &target)
            .await
            .unwrap();
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(recv(&mut rx).await);
        }
        seen.sort_by_key(|s| (s.0 == target_id, s.1));
        assert_eq!(seen, vec![(doomed.id, 0), (target_id, 0), (target_id, 1)]);
        stop(shutdown, task).await;
        let m = broker
            .get(&Topology::dead_queue(&t.face_queue()))
            .await
            .unwrap()
            .expect("dead-lettered by the handler");
        assert_eq!(m.message_id, Some(doomed.id.to_string()));
        assert_eq!(broker.queue_len(&t.face_queue()).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_run_concurrently_up_to_prefetch_and_shutdown_waits_for_them() {
    isolated(5, |broker, t, _| async move {
        for _ in 0..6 {
            broker
                .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &face_envelope())
                .await
                .unwrap();
        }
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let shutdown = CancellationToken::new();
        let task = {
            let (broker, queue, stop) = (broker.clone(), t.face_queue(), shutdown.clone());
            let (active, peak, done) = (active.clone(), peak.clone(), done.clone());
            tokio::spawn(async move {
                consume::<FaceAnalyzeV1, _, _>(
                    &broker,
                    &queue,
                    "slow",
                    2,
                    move |_| {
                        let (active, peak, done) = (active.clone(), peak.clone(), done.clone());
                        async move {
                            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(300)).await;
                            active.fetch_sub(1, Ordering::SeqCst);
                            done.fetch_add(1, Ordering::SeqCst);
                            Outcome::Ack
                        }
                    },
                    stop,
                )
                .await
            })
        };
        let d = done.clone();
        assert!(
            eventually(Duration::from_secs(10), || {
                let d = d.clone();
                async move { d.load(Ordering::SeqCst) >= 2 }
            })
            .await
        );
        // Shut down while handlers are (very likely) in flight: they finish and ack.
        let a = active.clone();
        eventually(Duration::from_secs(2), || {
            let a = a.clone();
            async move { a.load(Ordering::SeqCst) > 0 }
        })
        .await;
        stop(shutdown, task).await;
        assert_eq!(active.load(Ordering::SeqCst), 0, "no handler left running");
        assert_eq!(
            peak.load(Ordering::SeqCst),
            2,
            "ran two at a time, never more"
        );
        let finished = done.load(Ordering::SeqCst);
        assert!(finished < 6, "shutdown stopped taking deliveries");
        // Everything that ran was acked; the rest went back to the queue.
        assert_eq!(
            broker.queue_len(&t.face_queue()).await.unwrap(),
            u32::try_from(6 - finished).unwrap()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_publish_is_an_error_and_the_channel_recovers() {
    isolated(5, |broker, t, _| async move {
        let err = broker
            .publish(&format!("{}missing", t.prefix()), "x", &face_envelope())
            .await
            .unwrap_err();
        assert!(matches!(err, MqError::Amqp(_)), "{err:?}");
        broker
            .publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &face_envelope())
            .await
            .unwrap();
        assert_eq!(broker.queue_len(&t.face_queue()).await.unwrap(), 1);
        // A queue that does not exist: the consumer reports it instead of spinning.
        let r = consume::<FaceAnalyzeV1, _, _>(
            &broker,
            &format!("{}nope", t.prefix()),
            "x",
            1,
            |_| async { Outcome::Ack },
            CancellationToken::new(),
        )
        .await;
        assert!(matches!(r, Err(MqError::Amqp(_))), "{r:?}");
        assert!(matches!(
            broker.queue_len(&format!("{}nope", t.prefix())).await,
            Err(MqError::Amqp(_))
        ));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_broker_fails_after_bounded_retries() {
    bounded(async {
        let started = Instant::now();
        let err = Broker::connect(
            "amqp://guest:guest@127.0.0.1:1/%2f",
            "moji-mq-test-unreachable",
            Topology::new(&common::unique_prefix()),
            5,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, MqError::Unavailable { attempts: 8, .. }),
            "{err:?}"
        );
        eprintln!("gave up after {:?}", started.elapsed());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_are_durable_quorum_and_a_changed_delivery_limit_is_refused() {
    isolated(5, |_broker, t, name| async move {
        let out = tokio::process::Command::new("rabbitmqctl")
            .args(["list_queues", "name", "type", "durable", "arguments", "-q"])
            .args(["--no-table-headers"])
            .output()
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let ours: Vec<&str> = text.lines().filter(|l| l.starts_with(t.prefix())).collect();
        assert_eq!(ours.len(), 14, "{ours:?}");
        for queue in [
            t.face_queue(),
            t.dataset_queue(),
            t.api_succeeded_queue(),
            t.media_queue(),
            t.api_media_queue(),
            t.api_failed_queue(),
            t.course_queue(),
        ] {
            let row = ours
                .iter()
                .find(|l| l.split('\t').next() == Some(queue.as_str()))
                .unwrap();
            assert!(row.contains("\tquorum\ttrue\t"), "{row}");
            assert!(row.contains("{\"x-delivery-limit\",5}"), "{row}");
            assert!(row.contains(&format!("{{\"x-dead-letter-routing-key\",\"{queue}\"}}")));
            let dead = Topology::dead_queue(&queue);
            let dead_row = ours
                .iter()
                .find(|l| l.split('\t').next() == Some(dead.as_str()))
                .unwrap();
            assert!(dead_row.contains("\ttrue\t"), "{dead_row}");
        }

        // Queue arguments cannot change in place: RabbitMQ refuses, and connect fails at
        // once (no retry loop) with the broker's explanation.
        let started = Instant::now();
        let err = Broker::connect(&common::amqp_url(), &format!("{name}-3"), t.clone(), 3)
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.to_string().contains("x-delivery-limit"), "{err}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail_without_retrying() {
    bounded(async {
        let started = Instant::now();
        let url = common::amqp_url().replacen("guest:guest@", "guest:wrong@", 1);
        let err = Broker::connect(
            &url,
            "moji-mq-test-bad-credentials",
            Topology::new(&common::unique_prefix()),
            5,
        )
        .await
        .unwrap_err();
        // ACCESS_REFUSED is final: no 11 s retry loop.
        assert!(started.elapsed() < Duration::from_secs(2), "{err:?}");
        assert!(err.to_string().contains("ACCESS_REFUSED"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn an_exchanges_only_client_declares_no_work_queue() {
    bounded(async {
        let settings = moji_config::AmqpSettings {
            url: common::amqp_url(),
            prefix: common::unique_prefix(),
            ..moji_config::Settings::default().amqp
        };
        let broker = Broker::exchanges_only(&settings, "moji-mq-test-exchanges-only")
            .await
            .unwrap();
        let t = broker.topology().clone();
        // Its exchanges exist: a publish to one is confirmed.
        let envelope = Envelope::new(
            "test",
            uuid::Uuid::now_v7(),
            UserDeletedV1 {
                user_id: uuid::Uuid::now_v7(),
            },
        );
        broker
            .publish(&t.events_exchange(), "user.deleted", &envelope)
            .await
            .unwrap();
        // No work queue was declared.
        assert!(broker.queue_len(&t.face_queue()).await.is_err());
        assert!(broker.queue_len(&t.api_succeeded_queue()).await.is_err());
        broker.delete_topology().await.unwrap();
    })
    .await;
}
