//! Fan-out between replicas: every stored or ephemeral room event goes to this replica's hub
//! at once and to the other replicas over `moji.chat` (`room.<id>`). Each replica follows its
//! own transient queue bound to every room (`room.#`) and to `user.deleted`.
//!
//! Why every room rather than a binding per room with local members: see docs/chat.md
//! ("Fan-out"): binding changes cost a broker round trip each on every connect and leave.

use std::sync::Arc;

use moji_common::{
    messages::{ChatEventV1, UserDeletedV1},
    Envelope, MessageType,
};
use moji_db::chat::StoredEvent;
use moji_mq::FollowEvent;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    hub::{CloseReason, Membership, RoomEvent},
    ChatState,
};

/// Hands stored events to the local hub and publishes them for the other replicas, in order.
pub fn announce_stored(state: &ChatState, events: &[StoredEvent]) {
    let outgoing: Vec<Outgoing> = events
        .iter()
        .map(|e| {
            let frame = crate::frames::event(e);
            (Arc::new(RoomEvent::stored_as(e, &frame)), frame)
        })
        .collect();
    announce(state, outgoing);
}

/// Hands an ephemeral event (`read`, `typing`) to the local hub and the other replicas.
pub fn announce_ephemeral(state: &ChatState, room_id: Uuid, frame: &serde_json::Value) {
    announce(
        state,
        vec![(
            Arc::new(RoomEvent::ephemeral(room_id, frame)),
            frame.clone(),
        )],
    );
}

/// An event for the hub and its frame for the other replicas (serialised once for each).
type Outgoing = (Arc<RoomEvent>, serde_json::Value);

fn announce(state: &ChatState, events: Vec<Outgoing>) {
    for (event, _) in &events {
        state.hub.publish(event.clone());
    }
    let (broker, replica) = (state.broker.clone(), state.replica.clone());
    // The writer already has its ack; other replicas that miss a publish (broker down) read
    // the gap from PostgreSQL when the next event of the room arrives or they resubscribe.
    tokio::spawn(async move {
        let exchange = broker.topology().chat_exchange();
        for (event, frame) in events {
            let payload = ChatEventV1 {
                room_id: event.room_id,
                seq: event.seq,
                origin: replica.to_string(),
                member_id: event.member(),
                frame,
            };
            let envelope = Envelope::new("chat", event.room_id, payload);
            let key = format!("room.{}", event.room_id);
            if let Err(e) = broker.publish(&exchange, &key, &envelope).await {
                tracing::warn!(room_id = %event.room_id, error = %e, "fan-out publish failed");
            }
        }
    });
}

/// Follows this replica's fan-out queue until `shutdown`.
pub fn spawn_follower(
    state: &ChatState,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let topology = state.broker.topology().clone();
        let queue = topology.chat_replica_queue(&state.replica);
        let bindings = vec![
            (topology.chat_exchange(), "room.#".to_owned()),
            (topology.events_exchange(), UserDeletedV1::TYPE.to_owned()),
        ];
        let handler_state = state.clone();
        let run = moji_mq::follow(
            &state.broker,
            &queue,
            &bindings,
            move |event| on_event(&handler_state, event),
            shutdown,
        );
        if let Err(e) = run.await {
            tracing::error!(error = %e, "fan-out follower stopped");
        }
    })
}

fn on_event(state: &ChatState, event: FollowEvent) {
    let delivered = match event {
        FollowEvent::Resubscribed => {
            state.hub.resubscribed();
            return;
        }
        FollowEvent::Message(delivered) => delivered,
    };
    if delivered.routing_key == UserDeletedV1::TYPE {
        match serde_json::from_slice::<Envelope<UserDeletedV1>>(&delivered.body) {
            Ok(envelope) => state
                .hub
                .close_user(envelope.payload.user_id, CloseReason::Revoked),
            Err(e) => tracing::warn!(error = %e, "undecodable user.deleted"),
        }
        return;
    }
    let envelope = match serde_json::from_slice::<Envelope<ChatEventV1>>(&delivered.body) {
        Ok(envelope) if envelope.matches_type() => envelope,
        Ok(_) | Err(_) => {
            tracing::warn!(key = %delivered.routing_key, "undecodable chat event");
            return;
        }
    };
    let payload = envelope.payload;
    if *payload.origin == *state.replica {
        return; // delivered locally when it was written
    }
    let kind = payload.frame.get("type").and_then(|t| t.as_str());
    let membership = match (kind, payload.member_id) {
        (Some("member_joined"), Some(user)) => Some(Membership::Joined(user)),
        (Some("member_left"), Some(user)) => Some(Membership::Left(user)),
        _ => None,
    };
    let stored_at = payload
        .frame
        .get("sent_at")
        .and_then(|t| t.as_str())
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(envelope.occurred_at, |t| t.with_timezone(&chrono::Utc));
    state.hub.publish(Arc::new(RoomEvent {
        room_id: payload.room_id,
        seq: payload.seq,
        membership,
        stored_at,
        kind: crate::hub::frame_type(&payload.frame),
        text: payload.frame.to_string(),
    }));
}
