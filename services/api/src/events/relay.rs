//! Publishes the outbox: claims a batch (leased, so replicas share the work), publishes each
//! message with publisher confirms, deletes what the broker confirmed. Woken right after a
//! local commit, and every second for what other replicas or a crash left behind.

use std::{sync::LazyLock, time::Duration};

use moji_common::Envelope;
use moji_db::outbox::{self, Claimed, Exchange};
use moji_telemetry::register;
use prometheus::{IntCounterVec, IntGauge, Opts};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// Messages per claim.
const BATCH: i64 = 100;
/// How long a claim keeps other relays off a batch.
const LEASE: Duration = Duration::from_secs(30);
/// Longest sleep between passes when nobody pokes the relay.
const IDLE: Duration = Duration::from_secs(1);

/// Outbox messages handled, by outcome (`published`, `failed`).
pub static RELAYED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "moji_outbox_messages_total",
                "Outbox messages handled by the relay, by outcome",
            ),
            &["outcome"],
        )
        .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Messages waiting in the outbox at the last pass.
pub static BACKLOG: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new("moji_outbox_backlog", "Messages waiting in the outbox")
            .unwrap_or_else(|e| unreachable!("static metric definition: {e}")),
    )
});

/// Wakes the relay (after a commit that wrote to the outbox).
#[derive(Debug, Default)]
pub struct Wake(Notify);

impl Wake {
    /// Asks for a pass now.
    pub fn poke(&self) {
        self.0.notify_one();
    }
}

/// One pass: publishes up to [`BATCH`] messages; returns how many were published.
pub async fn pass(state: &AppState) -> Result<usize, crate::error::ApiError> {
    let claimed = state.db.run(|c| outbox::claim(c, BATCH, LEASE)).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let topology = state.broker.topology();
    let (mut sent, mut failed) = (Vec::new(), Vec::new());
    for Claimed { id, message, .. } in claimed {
        let exchange = match message.exchange {
            Exchange::Tasks => topology.tasks_exchange(),
            Exchange::Events => topology.events_exchange(),
        };
        let published =
            match serde_json::from_value::<Envelope<serde_json::Value>>(message.envelope) {
                Ok(envelope) => state
                    .broker
                    .publish(&exchange, &message.routing_key, &envelope)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(format!("not an envelope: {e}")),
            };
        match published {
            Ok(()) => sent.push(id),
            Err(why) => {
                tracing::warn!(outbox_id = id, %why, "outbox message not published; will retry");
                failed.push(id);
            }
        }
    }
    RELAYED
        .with_label_values(&["published"])
        .inc_by(sent.len() as u64);
    RELAYED
        .with_label_values(&["failed"])
        .inc_by(failed.len() as u64);
    let n = sent.len();
    state
        .db
        .run(move |c| {
            outbox::delete(c, &sent)?;
            outbox::release(c, &failed)
        })
        .await?;
    Ok(n)
}

/// Runs passes until `shutdown`: immediately after a poke, at least every [`IDLE`].
pub fn spawn(state: &AppState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    // Every series exists from the start (zero), so dashboards and alerts see them at once.
    for outcome in ["published", "failed"] {
        RELAYED.with_label_values(&[outcome]);
    }
    LazyLock::force(&BACKLOG);
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let full = match pass(&state).await {
                Ok(n) => n as i64 == BATCH,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox relay pass failed");
                    false
                }
            };
            if let Ok((n, _)) = state.db.run(outbox::backlog).await {
                BACKLOG.set(n);
            }
            if full {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = state.outbox.0.notified() => {}
                () = tokio::time::sleep(IDLE) => {}
            }
        }
    })
}
