//! The recommendation service's Prometheus metrics (docs/recommend.md), registered at
//! start-up so every series exists before the first request.

use std::sync::LazyLock;

use moji_telemetry::register;
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
};

fn opts_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(
        IntCounterVec::new(Opts::new(name, help), labels)
            .unwrap_or_else(|e| unreachable!("metric {name}: {e}")),
    )
}

/// Items in the index by kind.
pub static INDEX_ITEMS: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register(
        IntGaugeVec::new(
            Opts::new(
                "moji_recommend_index_items",
                "Items in the recommendation index by kind",
            ),
            &["kind"],
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Seconds the last full build of the index took.
pub static BUILD_SECONDS: LazyLock<Gauge> = LazyLock::new(|| {
    register(
        Gauge::new(
            "moji_recommend_index_build_seconds",
            "Seconds the last full build of the index from PostgreSQL took",
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Query latency by endpoint.
pub static QUERY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "moji_recommend_query_seconds",
                "Time to answer a search, similar or for-you request, by endpoint",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["endpoint"],
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Embedding latency per batch.
pub static EMBED: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "moji_recommend_embed_seconds",
                "Time to embed one batch of texts",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Texts embedded.
pub static EMBEDDED: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new("moji_recommend_embedded_texts_total", "Texts embedded")
            .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Event occurred → applied to the index.
pub static EVENT_LAG: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "moji_recommend_event_lag_seconds",
                "Time from a content event occurring to its item being searchable here",
            )
            .buckets(vec![
                0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
            ]),
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Content events by type and outcome.
pub static EVENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    opts_vec(
        "moji_recommend_events_total",
        "Content events by type and outcome (applied, stale, undecodable, overflow, failed)",
        &["type", "outcome"],
    )
});

/// Views by outcome.
pub static VIEWS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    opts_vec(
        "moji_recommend_views_total",
        "Dwell-time views by outcome (recorded, dropped)",
        &["outcome"],
    )
});

/// Reconciliations with PostgreSQL by outcome.
pub static RECONCILES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    opts_vec(
        "moji_recommend_reconciles_total",
        "Passes that bring the index in line with PostgreSQL, by outcome (ok, failed)",
        &["outcome"],
    )
});

/// Registers every series with its labels so dashboards see zeros, not gaps.
/// Date-course tasks ended, by outcome (`succeeded`, `failed`, `cancelled`).
pub static COURSE_TASKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    opts_vec(
        "moji_course_tasks_total",
        "Date-course tasks ended, by outcome",
        &["outcome"],
    )
});

/// Seconds a date-course task took, from the message to its announced end.
pub static COURSE_TASK_SECONDS: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "moji_course_task_seconds",
                "Seconds a date-course task took: plan, write, announce",
            )
            .buckets(vec![
                0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0,
            ]),
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Seconds the text writer took, by the provider that wrote the text.
pub static COURSE_WRITER_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "moji_course_writer_seconds",
                "Seconds writing a course's text took, by provider (local, openai, template)",
            )
            .buckets(vec![
                0.001, 0.01, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
            ]),
            &["provider"],
        )
        .unwrap_or_else(|e| unreachable!("metric: {e}")),
    )
});

/// Courses the template wrote because the model's text could not be used, by reason.
pub static COURSE_FALLBACKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    opts_vec(
        "moji_course_writer_fallbacks_total",
        "Courses the template wrote after the model failed, by reason (timeout, invalid_output, error)",
        &["reason"],
    )
});

pub fn describe() {
    for kind in moji_db::recommend::KINDS {
        INDEX_ITEMS.with_label_values(&[kind]).set(0);
    }
    BUILD_SECONDS.set(0.0);
    for endpoint in ["search", "similar", "for_you", "popular"] {
        let _ = QUERY.with_label_values(&[endpoint]);
    }
    LazyLock::force(&EMBED);
    LazyLock::force(&EMBEDDED);
    LazyLock::force(&EVENT_LAG);
    for kind in ["content.created", "content.updated", "content.deleted"] {
        for outcome in ["applied", "stale", "failed"] {
            let _ = EVENTS.with_label_values(&[kind, outcome]);
        }
    }
    for outcome in ["recorded", "dropped"] {
        let _ = VIEWS.with_label_values(&[outcome]);
    }
    for outcome in ["ok", "failed"] {
        let _ = RECONCILES.with_label_values(&[outcome]);
    }
    for outcome in ["succeeded", "failed", "cancelled"] {
        let _ = COURSE_TASKS.with_label_values(&[outcome]);
    }
    LazyLock::force(&COURSE_TASK_SECONDS);
    for provider in ["local", "openai", "template"] {
        let _ = COURSE_WRITER_SECONDS.with_label_values(&[provider]);
    }
    for reason in ["timeout", "invalid_output", "error"] {
        let _ = COURSE_FALLBACKS.with_label_values(&[reason]);
    }
}
