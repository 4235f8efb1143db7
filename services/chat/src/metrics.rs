//! The chat service's Prometheus metrics (docs/chat.md), registered at start-up so every
//! series exists before the first socket.

use std::sync::LazyLock;

use moji_telemetry::register;
use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts};

fn counter(name: &str, help: &str) -> IntCounter {
    register(IntCounter::new(name, help).unwrap_or_else(|e| unreachable!("metric {name}: {e}")))
}

/// Open sockets.
pub static SOCKETS: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new("moji_chat_sockets", "Open chat WebSockets")
            .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Frames by direction and type.
pub static FRAMES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "moji_chat_frames_total",
                "Chat WebSocket frames by direction and type",
            ),
            &["direction", "type"],
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Stored → written to a socket.
pub static FANOUT: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "moji_chat_fanout_seconds",
                "Time from a chat event being stored to its frame being written to a socket",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Sockets closed with 1013 for not draining their queue.
pub static SLOW_CLOSES: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "moji_chat_slow_consumer_closes_total",
        "Chat sockets closed with 1013 because they did not drain their outbound queue",
    )
});

/// `resume` frames served.
pub static RESUMES: LazyLock<IntCounter> =
    LazyLock::new(|| counter("moji_chat_resumes_total", "Chat resume frames served"));

/// `send` frames by outcome.
pub static MESSAGES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new("moji_chat_messages_total", "Chat send frames by outcome"),
            &["outcome"],
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Fan-out gaps filled from PostgreSQL.
pub static GAP_FILLS: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "moji_chat_gap_fills_total",
        "Chat fan-out gaps filled by reading PostgreSQL",
    )
});

/// Sockets closed because their session was revoked or their account deleted.
pub static REVOKED_CLOSES: LazyLock<IntCounter> = LazyLock::new(|| {
    counter(
        "moji_chat_revoked_closes_total",
        "Chat sockets closed because their session was revoked or their account deleted",
    )
});

/// Creates every series, so dashboards and alerts see zeros rather than nothing.
pub fn describe() {
    LazyLock::force(&SOCKETS);
    LazyLock::force(&FANOUT);
    LazyLock::force(&SLOW_CLOSES);
    LazyLock::force(&RESUMES);
    LazyLock::force(&GAP_FILLS);
    LazyLock::force(&REVOKED_CLOSES);
    for outcome in ["stored", "duplicate", "rejected"] {
        MESSAGES.with_label_values(&[outcome]);
    }
    for t in ["send", "read", "typing", "resume", "ping"] {
        FRAMES.with_label_values(&["in", t]);
    }
    for t in ["message", "ack", "error", "ready", "resumed", "pong"] {
        FRAMES.with_label_values(&["out", t]);
    }
}

/// Counts one frame.
pub fn frame(direction: &'static str, kind: &'static str) {
    FRAMES.with_label_values(&[direction, kind]).inc();
}
