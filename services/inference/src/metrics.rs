//! The worker's Prometheus metrics.

use std::sync::LazyLock;

use moji_common::TaskKind;
use moji_telemetry::{metrics::LATENCY_BUCKETS, register};
use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts};

use crate::step::Step;

/// Seconds per pipeline step, labelled by [`Step::name`] (`download`, `decode`, `detect`,
/// `classify`, `composite`, `encode`, `zodiac`, `store`).
pub static STEP_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "moji_inference_step_duration_seconds",
                "Duration of one pipeline step",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["step"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Finished tasks by kind and outcome (`succeeded`, `failed`, `cancelled`, `retry`).
pub static TASKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new("moji_tasks_total", "Tasks handled, by kind and outcome"),
            &["kind", "outcome"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Tasks being worked on right now.
pub static IN_FLIGHT: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new("moji_tasks_in_flight", "Tasks being worked on")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Seconds from pick-up to the final state, by kind.
pub static TASK_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "moji_task_duration_seconds",
                "Duration of a whole task in the worker",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["kind"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Images of datasets made (the sets' throughput; cancelled and retried sets count too).
pub static DATASET_IMAGES: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new("moji_dataset_images_total", "Images of datasets made")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Task outcomes, as labelled in [`TASKS`] (see [`crate::task_end::TaskEnd::label`]).
pub const OUTCOMES: [&str; 4] = ["succeeded", "failed", "cancelled", "retry"];

/// Creates every series at start-up (zero until used): `gather` skips labelled metrics with
/// no series, so dashboards would otherwise see nothing before the first task.
pub fn init() {
    for step in Step::ALL {
        STEP_SECONDS.with_label_values(&[step.name()]);
    }
    for kind in TaskKind::ALL
        .map(TaskKind::as_str)
        .into_iter()
        .chain([crate::media::KIND])
    {
        TASK_SECONDS.with_label_values(&[kind]);
        for outcome in OUTCOMES {
            TASKS.with_label_values(&[kind, outcome]);
        }
    }
    LazyLock::force(&IN_FLIGHT);
    LazyLock::force(&DATASET_IMAGES);
}
