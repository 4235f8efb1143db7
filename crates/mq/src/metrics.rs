//! Prometheus counters of the AMQP layer, registered once in the default registry.

use std::sync::LazyLock;

use prometheus::{IntCounter, IntCounterVec, Opts};

/// The crate's counters. Each is optional so that a failed creation or registration costs
/// a metric, never a panic or a failed publish.
pub(crate) struct Metrics {
    published: Option<IntCounterVec>,
    consumed: Option<IntCounterVec>,
    dead_lettered: Option<IntCounterVec>,
    reconnects: Option<IntCounter>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    published: counter_vec(
        "moji_amqp_published_total",
        "AMQP publishes by exchange and outcome (ok, nack, error).",
        &["exchange", "outcome"],
    ),
    consumed: counter_vec(
        "moji_amqp_consumed_total",
        "AMQP deliveries handled by queue and outcome (ack, retry, dead_letter, undecodable).",
        &["queue", "outcome"],
    ),
    dead_lettered: counter_vec(
        "moji_amqp_dead_lettered_total",
        "Deliveries this process rejected without requeue, so they went to the dead-letter queue.",
        &["queue"],
    ),
    reconnects: counter(
        "moji_amqp_reconnects_total",
        "AMQP connections re-established after a loss.",
    ),
});

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> Option<IntCounterVec> {
    let vec = IntCounterVec::new(Opts::new(name, help), labels)
        .map_err(|e| tracing::warn!(error = %e, name, "cannot create metric"))
        .ok()?;
    register(Box::new(vec.clone()), name);
    Some(vec)
}

fn counter(name: &str, help: &str) -> Option<IntCounter> {
    let c = IntCounter::new(name, help)
        .map_err(|e| tracing::warn!(error = %e, name, "cannot create metric"))
        .ok()?;
    register(Box::new(c.clone()), name);
    Some(c)
}

fn register(collector: Box<dyn prometheus::core::Collector>, name: &str) {
    match prometheus::default_registry().register(collector) {
        // AlreadyReg only happens if another copy of this crate registered first; the
        // counter still works, it just is not exported twice.
        Ok(()) | Err(prometheus::Error::AlreadyReg) => {}
        Err(e) => tracing::warn!(error = %e, name, "cannot register metric"),
    }
}

/// Creates the series a deployment always has (zero until used): Prometheus' `gather` skips a
/// labelled metric with no series, so without this dashboards and alerts would see nothing
/// until the first message, and `rate()` would miss that first one.
pub(crate) fn describe(topology: &crate::Topology) {
    if let Some(c) = &METRICS.published {
        for exchange in [topology.tasks_exchange(), topology.events_exchange()] {
            c.with_label_values(&[exchange.as_str(), "ok"]);
        }
    }
    for (_, queue) in topology.work_queue_names() {
        if let Some(c) = &METRICS.consumed {
            c.with_label_values(&[queue.as_str(), "ack"]);
        }
        if let Some(c) = &METRICS.dead_lettered {
            c.with_label_values(&[queue.as_str()]);
        }
    }
    LazyLock::force(&METRICS);
}

/// Counts one publish attempt's final outcome.
pub(crate) fn published(exchange: &str, outcome: &str) {
    if let Some(c) = &METRICS.published {
        c.with_label_values(&[exchange, outcome]).inc();
    }
}

/// Counts one handled delivery.
pub(crate) fn consumed(queue: &str, outcome: &str) {
    if let Some(c) = &METRICS.consumed {
        c.with_label_values(&[queue, outcome]).inc();
    }
}

/// Counts one delivery rejected without requeue.
pub(crate) fn dead_lettered(queue: &str) {
    if let Some(c) = &METRICS.dead_lettered {
        c.with_label_values(&[queue]).inc();
    }
}

/// Counts one re-established connection.
pub(crate) fn reconnected() {
    if let Some(c) = &METRICS.reconnects {
        c.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_exported_in_the_default_registry() {
        published("x", "ok");
        consumed("q", "ack");
        dead_lettered("q");
        reconnected();
        let names: Vec<String> = prometheus::default_registry()
            .gather()
            .iter()
            .map(|f| f.name().to_owned())
            .collect();
        for name in [
            "moji_amqp_published_total",
            "moji_amqp_consumed_total",
            "moji_amqp_dead_lettered_total",
            "moji_amqp_reconnects_total",
        ] {
            assert!(
                names.iter().any(|n| n == name),
                "{name} missing in {names:?}"
            );
        }
    }
}
