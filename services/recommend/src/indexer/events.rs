//! Content events: this replica's own queue of `content.created|updated|deleted`, decoded by
//! the follower and applied in order by one task (consecutive upserts embedded as a batch).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use moji_common::{
    messages::{ContentCreatedV1, ContentDeletedV1, ContentDocument, ContentUpdatedV1},
    Envelope, MessageType,
};
use moji_mq::FollowEvent;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{reconcile_logged, remove, store, Doc, EMBED_BATCH};
use crate::{metrics, RecState};

/// Events waiting for the applier; past this the queue is dropped and a reconcile fills in.
const EVENT_QUEUE: usize = 10_000;

/// What the follower hands the applier.
enum Change {
    /// Created or updated, with when the event occurred.
    Upsert(ContentDocument, DateTime<Utc>, &'static str),
    /// Deleted.
    Delete(Uuid, DateTime<Utc>),
    /// Events may have been missed: reconcile.
    Reconcile,
}

fn decode(routing_key: &str, body: &[u8]) -> Option<Change> {
    match routing_key {
        k if k == ContentCreatedV1::TYPE => {
            serde_json::from_slice::<Envelope<ContentCreatedV1>>(body)
                .ok()
                .filter(Envelope::matches_type)
                .map(|e| Change::Upsert(e.payload.content, e.occurred_at, ContentCreatedV1::TYPE))
        }
        k if k == ContentUpdatedV1::TYPE => {
            serde_json::from_slice::<Envelope<ContentUpdatedV1>>(body)
                .ok()
                .filter(Envelope::matches_type)
                .map(|e| Change::Upsert(e.payload.content, e.occurred_at, ContentUpdatedV1::TYPE))
        }
        k if k == ContentDeletedV1::TYPE => {
            serde_json::from_slice::<Envelope<ContentDeletedV1>>(body)
                .ok()
                .filter(Envelope::matches_type)
                .map(|e| Change::Delete(e.payload.id, e.occurred_at))
        }
        _ => None,
    }
}

fn observe_lag(occurred: DateTime<Utc>) {
    let lag = (Utc::now() - occurred).num_milliseconds().max(0) as f64 / 1000.0;
    metrics::EVENT_LAG.observe(lag);
}

/// Applies queued changes in order, embedding consecutive upserts as one batch.
async fn apply(state: RecState, mut changes: mpsc::Receiver<Change>, overflowed: Arc<AtomicBool>) {
    let mut pending: Vec<(ContentDocument, DateTime<Utc>, &'static str)> = Vec::new();
    loop {
        let first = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => return,
            next = changes.recv() => match next { Some(c) => c, None => return },
        };
        let mut batch = vec![first];
        while batch.len() < EMBED_BATCH {
            match changes.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        let mut reconcile_after = overflowed.swap(false, Ordering::AcqRel);
        for change in batch {
            match change {
                Change::Upsert(doc, at, kind) => pending.push((doc, at, kind)),
                Change::Delete(id, at) => {
                    flush(&state, &mut pending).await;
                    match remove(&state, id).await {
                        Ok(_) => {
                            observe_lag(at);
                            metrics::EVENTS
                                .with_label_values(&[ContentDeletedV1::TYPE, "applied"])
                                .inc();
                        }
                        Err(e) => {
                            metrics::EVENTS
                                .with_label_values(&[ContentDeletedV1::TYPE, "failed"])
                                .inc();
                            tracing::warn!(%id, error = %e, "applying a delete failed; reconcile will");
                            reconcile_after = true;
                        }
                    }
                }
                Change::Reconcile => reconcile_after = true,
            }
        }
        if !flush(&state, &mut pending).await {
            reconcile_after = true;
        }
        if reconcile_after {
            reconcile_logged(&state).await;
        }
    }
}

/// Stores the pending upserts; false if that failed (a reconcile will redo them).
async fn flush(
    state: &RecState,
    pending: &mut Vec<(ContentDocument, DateTime<Utc>, &'static str)>,
) -> bool {
    if pending.is_empty() {
        return true;
    }
    let items = std::mem::take(pending);
    let docs = items.iter().map(|(d, _, _)| Doc::of_content(d)).collect();
    match store(state, docs).await {
        Ok(applied) => {
            for (_, at, kind) in &items {
                observe_lag(*at);
                metrics::EVENTS.with_label_values(&[kind, "applied"]).inc();
            }
            let stale = items.len().saturating_sub(applied);
            if stale > 0 {
                tracing::debug!(stale, "older versions skipped");
            }
            true
        }
        Err(e) => {
            for (_, _, kind) in &items {
                metrics::EVENTS.with_label_values(&[kind, "failed"]).inc();
            }
            tracing::warn!(error = %e, events = items.len(), "applying events failed; reconcile will");
            false
        }
    }
}

/// Starts the event follower, the applier and the periodic reconcile; the index must be built.
pub fn spawn(state: &RecState, shutdown: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
    let (tx, rx) = mpsc::channel::<Change>(EVENT_QUEUE);
    let overflowed = Arc::new(AtomicBool::new(false));
    let applier = tokio::spawn(apply(state.clone(), rx, overflowed.clone()));
    let follower = {
        let state = state.clone();
        let shutdown = shutdown.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let topology = state.broker.topology().clone();
            let queue = topology.recommend_replica_queue(&state.replica);
            let bindings: Vec<(String, String)> = [
                ContentCreatedV1::TYPE,
                ContentUpdatedV1::TYPE,
                ContentDeletedV1::TYPE,
            ]
            .into_iter()
            .map(|key| (topology.events_exchange(), key.to_owned()))
            .collect();
            let handler = move |event: FollowEvent| {
                let change = match event {
                    FollowEvent::Resubscribed => Change::Reconcile,
                    FollowEvent::Message(m) => match decode(&m.routing_key, &m.body) {
                        Some(change) => change,
                        None => {
                            metrics::EVENTS
                                .with_label_values(&[m.routing_key.as_str(), "undecodable"])
                                .inc();
                            tracing::warn!(key = %m.routing_key, "undecodable content event");
                            return;
                        }
                    },
                };
                if tx.try_send(change).is_err() {
                    // The applier is far behind: drop, and let a reconcile read PostgreSQL.
                    overflowed.store(true, Ordering::Release);
                    metrics::EVENTS
                        .with_label_values(&["any", "overflow"])
                        .inc();
                }
            };
            if let Err(e) =
                moji_mq::follow(&state.broker, &queue, &bindings, handler, shutdown).await
            {
                tracing::error!(error = %e, "content event follower stopped");
            }
        })
    };
    let periodic = {
        let state = state.clone();
        tokio::spawn(async move {
            let every = Duration::from_secs(state.settings.recommend.reconcile_secs);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                if tx.send(Change::Reconcile).await.is_err() {
                    return;
                }
            }
        })
    };
    vec![applier, follower, periodic]
}
