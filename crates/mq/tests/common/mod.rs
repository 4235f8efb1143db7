//! Helpers shared by the integration tests: unique names, the real broker, rabbitmqctl.

#![allow(dead_code)]

use std::{future::Future, time::Duration};

use moji_common::{messages::FaceAnalyzeV1, Envelope, TaskKind};
use moji_mq::{Broker, Topology};

/// The RabbitMQ under test (`AMQP_URL` overrides the local default).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A prefix no other test (or run) uses, so tests run in parallel without sharing queues.
pub fn unique_prefix() -> String {
    format!("t{}.", uuid::Uuid::new_v4().simple())
}

/// A broker on a fresh topology; its connection name is unique too.
pub async fn fresh_broker(delivery_limit: u32) -> (Broker, Topology, String) {
    init_tracing();
    let prefix = unique_prefix();
    let topology = Topology::new(&prefix);
    let name = format!("moji-mq-test-{}", prefix.trim_end_matches('.'));
    let broker = Broker::connect(&amqp_url(), &name, topology.clone(), delivery_limit)
        .await
        .expect("connect to the local RabbitMQ");
    (broker, topology, name)
}

/// Logs to the test output, filtered by `RUST_LOG` (default: this crate at info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("moji_mq=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A valid face.analyze envelope.
pub fn face_envelope() -> Envelope<FaceAnalyzeV1> {
    Envelope::new(
        "test",
        moji_common::new_id(),
        FaceAnalyzeV1 {
            task_id: moji_common::new_id(),
            user_id: moji_common::new_id(),
            kind: TaskKind::Emoji,
            template: Some(moji_common::TemplateId::Cat),
            image_key: "uploads/u/photo.png".into(),
        },
    )
}

/// Polls `check` every 50 ms until it returns true or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Closes, server side, every connection whose client-given name is exactly one of `names`;
/// returns how many were closed. Only ever touches this test's own connections.
pub async fn close_connections(names: &[String]) -> usize {
    // RabbitMQ 3.10 has no `user_provided_name` column and renders pids unusably in JSON, so
    // read the tab-separated pid and client properties.
    let out = tokio::process::Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "-q",
            "--no-table-headers",
        ])
        .output()
        .await
        .expect("run rabbitmqctl");
    assert!(out.status.success(), "rabbitmqctl: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut closed = 0;
    for line in text.lines() {
        let Some((pid, props)) = line.split_once('\t') else {
            continue;
        };
        let Some(name) = props
            .split_once("{\"connection_name\",\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(name, _)| name)
        else {
            continue;
        };
        if !names.iter().any(|n| n == name) {
            continue;
        }
        let status = tokio::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid, "closed by moji-mq test", "-q"])
            .status()
            .await
            .expect("run rabbitmqctl");
        assert!(status.success());
        closed += 1;
    }
    closed
}

/// Current value of `moji_amqp_reconnects_total` in this process.
pub fn reconnects() -> f64 {
    prometheus::default_registry()
        .gather()
        .iter()
        .filter(|f| f.name() == "moji_amqp_reconnects_total")
        .flat_map(|f| f.get_metric().iter().map(|m| m.get_counter().get_value()))
        .sum()
}

/// Current value of counter `name` whose labels include all of `labels`, in this process.
pub fn counter(name: &str, labels: &[(&str, &str)]) -> f64 {
    prometheus::default_registry()
        .gather()
        .iter()
        .filter(|f| f.name() == name)
        .flat_map(|f| f.get_metric().iter())
        .filter(|m| {
            labels.iter().all(|(k, v)| {
                m.get_label()
                    .iter()
                    .any(|l| l.name() == *k && l.value() == *v)
            })
        })
        .map(|m| m.get_counter().get_value())
        .sum()
}
