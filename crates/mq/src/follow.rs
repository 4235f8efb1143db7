//! Transient subscriptions for live fan-out: a queue of one replica's own, bound to the keys it
//! wants, consumed without acknowledgements, in order.
//!
//! Chat replicas use it for `moji.chat`: what travels there is a copy of something already
//! durable in PostgreSQL, so a message lost with a broker restart is re-read from the database
//! (the receiver sees the gap), and acknowledging each one would only add a round trip.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::{
    options::{BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
    Channel, Consumer,
};
use tokio_util::sync::CancellationToken;

use crate::{
    broker::{close_channel, Backoff},
    consumer::sleep_or_shutdown,
    metrics, short, Broker, MqError,
};

/// How long the broker keeps a replica's queue after its consumer went away: long enough to
/// ride out a reconnect, short enough that a crashed replica's queue does not collect traffic.
const QUEUE_EXPIRES: Duration = Duration::from_secs(60);
/// Bound on declaring, binding and subscribing.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Messages the broker may push ahead of the handler (no acks, so this is the only bound).
const PREFETCH: u16 = 1000;

/// One delivery of a [`follow`] subscription.
#[derive(Debug)]
pub struct Delivered {
    /// The routing key it was published with.
    pub routing_key: String,
    /// The body as published.
    pub body: Vec<u8>,
}

/// What [`follow`] tells its handler.
#[derive(Debug)]
pub enum FollowEvent {
    /// The queue is declared, bound and consumed again after a loss (not on the first
    /// subscription): anything published meanwhile may be missing.
    Resubscribed,
    /// A message, in the order the queue holds them.
    Message(Delivered),
}

/// Declares `queue` (non-durable, deleted by the broker a minute after its consumer is gone),
/// binds it to every `(exchange, routing key)` of `bindings` and hands each delivery to
/// `handler` in order until `shutdown` is cancelled. A lost connection or a deleted queue is
/// re-declared and re-bound with backoff; the handler hears [`FollowEvent::Resubscribed`].
pub async fn follow<F>(
    broker: &Broker,
    queue: &str,
    bindings: &[(String, String)],
    mut handler: F,
    shutdown: CancellationToken,
) -> Result<(), MqError>
where
    F: FnMut(FollowEvent),
{
    let mut backoff = Backoff::new();
    let mut first = true;
    loop {
        let subscribed = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(()),
            s = tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribe(broker, queue, bindings)) => s,
        };
        let (channel, mut deliveries) = match subscribed {
            Ok(Ok(subscription)) => subscription,
            Ok(Err(e)) => {
                tracing::warn!(queue, error = %e, "cannot follow, retrying");
                if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
                    return Ok(());
                }
                continue;
            }
            Err(_) => {
                tracing::warn!(queue, "subscribing timed out, retrying");
                if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
                    return Ok(());
                }
                continue;
            }
        };
        tracing::info!(queue, bindings = bindings.len(), "following");
        backoff.reset();
        if !first {
            handler(FollowEvent::Resubscribed);
        }
        first = false;
        loop {
            let next = tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    close_channel(&channel).await;
                    return Ok(());
                }
                next = deliveries.next() => next,
            };
            match next {
                Some(Ok(delivery)) => {
                    metrics::consumed(queue, "ack");
                    handler(FollowEvent::Message(Delivered {
                        routing_key: delivery.routing_key.to_string(),
                        body: delivery.data,
                    }));
                }
                Some(Err(e)) => {
                    tracing::warn!(queue, error = %e, "follow subscription lost");
                    break;
                }
                None => {
                    tracing::warn!(queue, "follow subscription cancelled by the broker");
                    break;
                }
            }
        }
        if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
            return Ok(());
        }
    }
}

async fn subscribe(
    broker: &Broker,
    queue: &str,
    bindings: &[(String, String)],
) -> Result<(Channel, Consumer), MqError> {
    let session = broker.consumer_session().await?;
    let channel = session.conn.create_channel().await?;
    let mut args = FieldTable::default();
    let expires = i64::try_from(QUEUE_EXPIRES.as_millis()).unwrap_or(i64::MAX);
    args.insert("x-expires".into(), AMQPValue::LongLongInt(expires));
    let declared = channel
        .queue_declare(
            short(queue)?,
            QueueDeclareOptions {
                durable: false,
                ..QueueDeclareOptions::default()
            },
            args,
        )
        .await;
    if let Err(e) = declared {
        session.poison();
        return Err(e.into());
    }
    for (exchange, key) in bindings {
        channel
            .queue_bind(
                short(queue)?,
                short(exchange)?,
                short(key)?,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    channel
        .basic_qos(PREFETCH, BasicQosOptions::default())
        .await?;
    let consumer = channel
        .basic_consume(
            short(queue)?,
            short(&format!("{queue}.follow"))?,
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok((channel, consumer))
}
