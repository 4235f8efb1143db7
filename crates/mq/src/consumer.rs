//! At-least-once consumption: decode, run the handler, then ack/nack/reject.

use std::{future::Future, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use futures_util::{FutureExt, StreamExt};
use lapin::{
    message::Delivery,
    options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
        BasicQosOptions, BasicRejectOptions,
    },
    types::{FieldTable, ShortString},
    Acker, Channel, Consumer,
};
use moji_common::{Envelope, MessageType};
use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

use crate::{
    broker::{close_channel, delivery_count, Backoff, Session},
    metrics, short, Broker, MqError,
};

/// Bound on opening a channel, setting QoS and subscribing.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause before a [`Outcome::Retry`] nack, doubled per earlier delivery: the broker requeues
/// at once, so without it a transient failure would burn the delivery limit in milliseconds.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Longest pause before a [`Outcome::Retry`] nack.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// What to do with a delivery once its handler finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (side effects durable): remove the message.
    Ack,
    /// Transient failure: requeue (nack). Counts toward the delivery limit, after which the
    /// broker dead-letters the message.
    Retry,
    /// Permanent failure: reject without requeue, so it goes to `<queue>.dead`.
    DeadLetter,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ack => "ack",
            Outcome::Retry => "retry",
            Outcome::DeadLetter => "dead_letter",
        }
    }
}

/// A decoded delivery handed to a handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming<P> {
    /// The message, already checked to be of `P`'s type and version.
    pub envelope: Envelope<P>,
    /// The broker delivered this message before (to this or another consumer).
    pub redelivered: bool,
    /// Earlier failed deliveries, from the quorum queue's `x-delivery-count` (0 if absent).
    pub delivery_count: u32,
}

/// Why one subscription ended.
enum Stop {
    Shutdown,
    Lost(String),
}

/// Consumes `queue` until `shutdown` is cancelled, running `handler` on up to `prefetch`
/// deliveries at once and settling each delivery only after its handler returned.
///
/// Undecodable messages and messages of another type or version are rejected without
/// requeue (so they reach `<queue>.dead`) and counted. A handler that panics counts as
/// [`Outcome::Retry`]. When the connection or channel is lost the loop reconnects through
/// the broker and subscribes again; deliveries in flight at that moment are redelivered by
/// the broker (handlers must be idempotent). On shutdown it cancels the subscription, waits
/// for in-flight handlers to finish and settle, and returns `Ok`. It returns an error only
/// when the broker refuses the subscription (e.g. the queue does not exist).
pub async fn consume<P, F, Fut>(
    broker: &Broker,
    queue: &str,
    consumer_tag: &str,
    prefetch: u16,
    handler: F,
    shutdown: CancellationToken,
) -> Result<(), MqError>
where
    P: MessageType,
    F: Fn(Incoming<P>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let queue_name = short(queue)?;
    let tag = short(consumer_tag)?;
    // AMQP reads prefetch 0 as "unlimited"; that would defeat the bound on in-flight work.
    let prefetch = prefetch.max(1);
    let handler = Arc::new(handler);
    // The broker bounds unacked deliveries per channel, but after a reconnect the previous
    // channel's handlers may still run; the semaphore bounds them all together.
    let permits = Arc::new(Semaphore::new(usize::from(prefetch)));
    let queue: Arc<str> = Arc::from(queue);
    let delivery_limit = broker.delivery_limit();
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut backoff = Backoff::new();

    let result = loop {
        let session = tokio::select! {
            biased;
            () = shutdown.cancelled() => break Ok(()),
            session = broker.consumer_session() => session,
        };
        let session = match session {
            Ok(session) => session,
            Err(e) => break Err(e),
        };
        let subscribed = tokio::time::timeout(
            SUBSCRIBE_TIMEOUT,
            subscribe(&session, &queue_name, &tag, prefetch),
        )
        .await
        .unwrap_or(Err(MqError::Timeout("subscribing")));
        let (channel, mut deliveries) = match subscribed {
            Ok(subscription) => subscription,
            Err(MqError::Amqp(e)) if e.is_amqp_soft_error() => break Err(MqError::Amqp(e)),
            Err(e) => {
                tracing::warn!(queue = &*queue, error = %e, "cannot subscribe, reconnecting");
                session.poison();
                if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
                    break Ok(());
                }
                continue;
            }
        };
        tracing::info!(queue = &*queue, consumer_tag, prefetch, "consuming");
        backoff.reset();

        let stop = loop {
            reap(&mut tasks);
            // Take a handler slot before the delivery, so a delivery never waits unhandled.
            let permit = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Stop::Shutdown,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break Stop::Shutdown,
                },
            };
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => break Stop::Shutdown,
                next = deliveries.next() => next,
            };
            match next {
                Some(Ok(delivery)) => {
                    tasks.spawn(handle::<P, F, Fut>(
                        delivery,
                        queue.clone(),
                        delivery_limit,
                        handler.clone(),
                        permit,
                    ));
                }
                Some(Err(e)) => break Stop::Lost(e.to_string()),
                None => break Stop::Lost("subscription cancelled".to_owned()),
            }
        };
        match stop {
            Stop::Shutdown => {
                // Stop new deliveries first, then let in-flight handlers settle on the still
                // open channel; prefetched but unstarted ones are requeued when it closes.
                if let Err(e) = channel
                    .basic_cancel(tag.clone(), BasicCancelOptions::default())
                    .await
                {
                    tracing::debug!(queue = &*queue, error = %e, "cancelling consumer");
                }
                drain(&mut tasks).await;
                close_channel(&channel).await;
                break Ok(());
            }
            Stop::Lost(reason) => {
                tracing::warn!(queue = &*queue, reason, "subscription lost, resubscribing");
                drop(deliveries);
                drop(channel);
                if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
                    break Ok(());
                }
            }
        }
    };
    drain(&mut tasks).await;
    tracing::info!(queue = &*queue, consumer_tag, "consumer stopped");
    result
}

async fn subscribe(
    session: &Session,
    queue: &ShortString,
    tag: &ShortString,
    prefetch: u16,
) -> Result<(Channel, Consumer), MqError> {
    let channel = session.conn.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let consumer = channel
        .basic_consume(
            queue.clone(),
            tag.clone(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok((channel, consumer))
}

/// Decodes, runs the handler and settles one delivery. Holds its handler slot throughout.
async fn handle<P, F, Fut>(
    delivery: Delivery,
    queue: Arc<str>,
    delivery_limit: u32,
    handler: Arc<F>,
    _permit: OwnedSemaphorePermit,
) where
    P: MessageType,
    F: Fn(Incoming<P>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let incoming = match decode::<P>(&delivery) {
        Ok(incoming) => incoming,
        Err(reason) => {
            tracing::warn!(
                queue = &*queue,
                reason,
                message_id = ?delivery.properties.message_id(),
                "undecodable message, dead-lettering"
            );
            metrics::consumed(&queue, "undecodable");
            metrics::dead_lettered(&queue);
            settle(&delivery.acker, Outcome::DeadLetter, &queue).await;
            return;
        }
    };
    let id = incoming.envelope.id;
    let count = incoming.delivery_count;
    let outcome = AssertUnwindSafe(async { handler(incoming).await })
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(queue = &*queue, %id, "handler panicked, retrying");
            Outcome::Retry
        });
    metrics::consumed(&queue, outcome.label());
    match outcome {
        Outcome::DeadLetter => metrics::dead_lettered(&queue),
        // RabbitMQ 3.x delivers a message delivery_limit + 1 times (x-delivery-count 0 to
        // limit) and dead-letters it when the last one is requeued: this nack is that one.
        Outcome::Retry if count >= delivery_limit => metrics::dead_lettered(&queue),
        Outcome::Retry => tokio::time::sleep(retry_delay(count)).await,
        Outcome::Ack => {}
    }
    tracing::debug!(queue = &*queue, %id, outcome = outcome.label(), "handled");
    settle(&delivery.acker, outcome, &queue).await;
}

fn decode<P: MessageType>(delivery: &Delivery) -> Result<Incoming<P>, String> {
    let envelope: Envelope<P> = serde_json::from_slice(&delivery.data)
        .map_err(|e| format!("not a {} envelope: {e}", P::amqp_type()))?;
    if !envelope.matches_type() {
        return Err(format!(
            "expected {}, got {}.v{}",
            P::amqp_type(),
            envelope.message_type,
            envelope.version
        ));
    }
    Ok(Incoming {
        envelope,
        redelivered: delivery.redelivered,
        delivery_count: delivery_count(delivery.properties.headers().as_ref()),
    })
}

async fn settle(acker: &Acker, outcome: Outcome, queue: &str) {
    let result = match outcome {
        Outcome::Ack => acker.ack(BasicAckOptions::default()).await,
        Outcome::Retry => {
            acker
                .nack(BasicNackOptions {
                    multiple: false,
                    requeue: true,
                })
                .await
        }
        Outcome::DeadLetter => acker.reject(BasicRejectOptions { requeue: false }).await,
    };
    match result {
        Ok(true) => {}
        // The channel died under the handler; the broker redelivers the message.
        Ok(false) => tracing::warn!(queue, "channel closed before settling; will be redelivered"),
        Err(e) => {
            tracing::warn!(queue, error = %e, "settling delivery failed; will be redelivered")
        }
    }
}

fn retry_delay(delivery_count: u32) -> Duration {
    let factor = 2u32.saturating_pow(delivery_count.min(16));
    FIRST_RETRY_DELAY
        .saturating_mul(factor)
        .min(MAX_RETRY_DELAY)
}

/// Collects finished handler tasks so the set does not grow; reports panics that escaped.
fn reap(tasks: &mut JoinSet<()>) {
    while let Some(done) = tasks.try_join_next() {
        if let Err(e) = done {
            tracing::error!(error = %e, "handler task failed");
        }
    }
}

async fn drain(tasks: &mut JoinSet<()>) {
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done {
            tracing::error!(error = %e, "handler task failed");
        }
    }
}

/// Sleeps `delay`; true if shutdown came first.
pub(crate) async fn sleep_or_shutdown(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        biased;
        () = shutdown.cancelled() => true,
        () = tokio::time::sleep(delay) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_caps() {
        assert_eq!(retry_delay(0), Duration::from_millis(100));
        assert_eq!(retry_delay(1), Duration::from_millis(200));
        assert_eq!(retry_delay(3), Duration::from_millis(800));
        assert_eq!(retry_delay(10), Duration::from_secs(5));
        assert_eq!(retry_delay(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn outcome_labels_match_the_metric_contract() {
        assert_eq!(Outcome::Ack.label(), "ack");
        assert_eq!(Outcome::Retry.label(), "retry");
        assert_eq!(Outcome::DeadLetter.label(), "dead_letter");
    }
}
