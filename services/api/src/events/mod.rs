//! Messages that leave the api with a commit: `content.*` events for the recommendation
//! service and `media.process` work for the inference worker, written to the outbox in the
//! transaction of their change and published by [`relay`] afterwards.

pub mod content;
pub mod relay;

use moji_common::{Envelope, MessageType};
use moji_db::outbox::{Exchange, Message};
use uuid::Uuid;

/// An outbox message of `payload` for `exchange`, routed by its type.
pub fn message<P: MessageType>(exchange: Exchange, correlation_id: Uuid, payload: P) -> Message {
    let envelope = Envelope::new("api", correlation_id, payload);
    Message {
        exchange,
        routing_key: P::TYPE.to_owned(),
        // An envelope of plain data always serialises; Null would be refused by the consumer.
        envelope: serde_json::to_value(&envelope).unwrap_or(serde_json::Value::Null),
    }
}
