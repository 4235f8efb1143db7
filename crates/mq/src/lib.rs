//! RabbitMQ for Moji: the topology (exchanges, quorum work queues, dead-letter queues), a
//! [`Broker`] that publishes [`moji_common::Envelope`]s with publisher confirms and survives
//! connection loss, and [`consume`], an at-least-once consumer that acks only after the
//! handler finished and dead-letters what it cannot decode.
//!
//! The broker keeps two connections, one for publishing and one for consuming, because
//! RabbitMQ's flow control blocks publishing connections: a consumer sharing it could then
//! not ack, and the memory alarm would never clear.
//!
//! ```no_run
//! # async fn demo(envelope: moji_common::Envelope<moji_common::messages::FaceAnalyzeV1>)
//! # -> Result<(), moji_mq::MqError> {
//! use moji_common::messages::FaceAnalyzeV1;
//! use moji_mq::{consume, Broker, Outcome, Topology, FACE_ANALYZE_KEY};
//! use tokio_util::sync::CancellationToken;
//!
//! let broker = Broker::connect("amqp://127.0.0.1:5672/%2f", "api", Topology::new(""), 5).await?;
//! let t = broker.topology().clone();
//! broker.publish(&t.tasks_exchange(), FACE_ANALYZE_KEY, &envelope).await?;
//!
//! let shutdown = CancellationToken::new();
//! consume::<FaceAnalyzeV1, _, _>(&broker, &t.face_queue(), "inference", 4, |incoming| async move {
//!     // ... make the result durable, then:
//!     let _ = incoming.envelope.payload.task_id;
//!     Outcome::Ack
//! }, shutdown).await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod broker;
mod consumer;
mod follow;
mod metrics;
mod topology;

pub use broker::{Broker, RawMessage};
pub use consumer::{consume, Incoming, Outcome};
pub use follow::{follow, Delivered, FollowEvent};
pub use topology::{
    Topology, COURSE_SUGGEST_KEY, DATASET_GENERATE_KEY, FACE_ANALYZE_KEY, MEDIA_PROCESSED_KEY,
    MEDIA_PROCESS_KEY, TASK_FAILED_KEY, TASK_SUCCEEDED_KEY,
};

use lapin::types::ShortString;

/// Everything that can go wrong talking to RabbitMQ.
#[derive(Debug, thiserror::Error)]
pub enum MqError {
    /// The AMQP client or the broker reported an error.
    #[error("amqp: {0}")]
    Amqp(#[from] lapin::Error),
    /// The broker could not be reached within the retry budget.
    #[error("rabbitmq unavailable after {attempts} attempts: {source}")]
    Unavailable {
        /// Connection attempts made.
        attempts: u32,
        /// The last attempt's error.
        source: Box<MqError>,
    },
    /// No usable channel (an internal invariant broke; the next call reconnects).
    #[error("not connected to rabbitmq")]
    NotConnected,
    /// The broker refused to take responsibility for a published message.
    #[error("publish to exchange {exchange:?} with key {routing_key:?} was nacked")]
    Nacked {
        /// Target exchange.
        exchange: String,
        /// Routing key used.
        routing_key: String,
    },
    /// An operation did not finish in time.
    #[error("{0} timed out")]
    Timeout(&'static str),
    /// A message could not be serialised to JSON.
    #[error("encoding message: {0}")]
    Encode(#[from] serde_json::Error),
    /// A work queue the topology does not have.
    #[error("no work queue {0:?} in the topology")]
    UnknownQueue(String),
    /// An exchange, queue, routing key or tag longer than AMQP's 255-byte limit.
    #[error("AMQP name too long ({len} bytes, max 255): {name:?}")]
    NameTooLong {
        /// The offending name, truncated.
        name: String,
        /// Its length in bytes.
        len: usize,
    },
}

/// Converts a name to an AMQP short string without the panic of lapin's `From` impls.
pub(crate) fn short(name: &str) -> Result<ShortString, MqError> {
    ShortString::try_new(name).map_err(|_| MqError::NameTooLong {
        name: name.chars().take(64).collect(),
        len: name.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_errors_not_panics() {
        assert!(short("moji.tasks").is_ok());
        let long = "x".repeat(256);
        match short(&long) {
            Err(MqError::NameTooLong { len, .. }) => assert_eq!(len, 256),
            other => panic!("unexpected {other:?}"),
        }
    }
}
