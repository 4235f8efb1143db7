//! Exchange and queue names, and their idempotent declaration.

use lapin::{
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString},
    Channel, ExchangeKind,
};

use crate::{short, MqError};

/// Routing key of `face.analyze` tasks on the tasks exchange.
pub const FACE_ANALYZE_KEY: &str = "face.analyze";
/// Routing key of `dataset.generate` tasks on the tasks exchange.
pub const DATASET_GENERATE_KEY: &str = "dataset.generate";
/// Routing key of `media.process` tasks on the tasks exchange.
pub const MEDIA_PROCESS_KEY: &str = "media.process";
/// Routing key of `course.suggest` tasks on the tasks exchange.
pub const COURSE_SUGGEST_KEY: &str = "course.suggest";
/// Routing key of `media.processed` events on the events exchange.
pub const MEDIA_PROCESSED_KEY: &str = "media.processed";
/// Routing key of `task.succeeded` events on the events exchange.
pub const TASK_SUCCEEDED_KEY: &str = "task.succeeded";
/// Routing key of `task.failed` events on the events exchange.
pub const TASK_FAILED_KEY: &str = "task.failed";

/// Names of exchanges/queues, all prefixed with `prefix` (empty in production, random per test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    prefix: String,
}

/// One quorum work queue: its name, the exchange feeding it and the binding keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkQueue {
    pub(crate) name: String,
    pub(crate) exchange: String,
    pub(crate) keys: Vec<&'static str>,
}

impl Topology {
    /// Topology whose every name starts with `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The prefix in front of every name.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `{prefix}moji.tasks`, a direct exchange carrying work for the workers.
    pub fn tasks_exchange(&self) -> String {
        format!("{}moji.tasks", self.prefix)
    }

    /// `{prefix}moji.events`, a topic exchange carrying domain events.
    pub fn events_exchange(&self) -> String {
        format!("{}moji.events", self.prefix)
    }

    /// `{prefix}moji.chat`, a topic exchange carrying chat fan-out (`room.<id>`).
    pub fn chat_exchange(&self) -> String {
        format!("{}moji.chat", self.prefix)
    }

    /// `{prefix}moji.dlx`, the direct exchange work queues dead-letter into.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}moji.dlx", self.prefix)
    }

    /// `{prefix}inference.face`, bound to the tasks exchange with `face.analyze`.
    pub fn face_queue(&self) -> String {
        format!("{}inference.face", self.prefix)
    }

    /// `{prefix}inference.dataset`, bound to the tasks exchange with `dataset.generate`.
    pub fn dataset_queue(&self) -> String {
        format!("{}inference.dataset", self.prefix)
    }

    /// `{prefix}recommend.course`, bound to the tasks exchange with `course.suggest`.
    pub fn course_queue(&self) -> String {
        format!("{}recommend.course", self.prefix)
    }

    /// `{prefix}inference.media`, bound to the tasks exchange with `media.process`.
    pub fn media_queue(&self) -> String {
        format!("{}inference.media", self.prefix)
    }

    /// `{prefix}api.media-processed`, bound to the events exchange with `media.processed`.
    pub fn api_media_queue(&self) -> String {
        format!("{}api.media-processed", self.prefix)
    }

    /// `{prefix}api.task-succeeded`, bound to the events exchange with `task.succeeded`.
    /// One queue per message type: a typed consumer dead-letters anything else.
    pub fn api_succeeded_queue(&self) -> String {
        format!("{}api.task-succeeded", self.prefix)
    }

    /// `{prefix}api.task-failed`, bound to the events exchange with `task.failed`.
    pub fn api_failed_queue(&self) -> String {
        format!("{}api.task-failed", self.prefix)
    }

    /// `chat.<replica>`: one chat replica's own fan-out queue (transient, see [`crate::follow`]).
    pub fn chat_replica_queue(&self, replica: &str) -> String {
        format!("{}chat.{replica}", self.prefix)
    }

    /// `recommend.<replica>`: one recommendation replica's own queue of content events
    /// (transient, see [`crate::follow`]; PostgreSQL is reconciled after a loss).
    pub fn recommend_replica_queue(&self, replica: &str) -> String {
        format!("{}recommend.{replica}", self.prefix)
    }

    /// `<queue>.dead`: where `queue` dead-letters to.
    pub fn dead_queue(queue: &str) -> String {
        format!("{queue}.dead")
    }

    /// Every exchange with its kind, in declaration order.
    pub(crate) fn exchanges(&self) -> Vec<(String, ExchangeKind)> {
        vec![
            (self.tasks_exchange(), ExchangeKind::Direct),
            (self.events_exchange(), ExchangeKind::Topic),
            (self.chat_exchange(), ExchangeKind::Topic),
            (self.dead_letter_exchange(), ExchangeKind::Direct),
        ]
    }

    /// Every quorum work queue with its bindings.
    pub(crate) fn work_queues(&self) -> Vec<WorkQueue> {
        vec![
            WorkQueue {
                name: self.face_queue(),
                exchange: self.tasks_exchange(),
                keys: vec![FACE_ANALYZE_KEY],
            },
            WorkQueue {
                name: self.dataset_queue(),
                exchange: self.tasks_exchange(),
                keys: vec![DATASET_GENERATE_KEY],
            },
            WorkQueue {
                name: self.api_succeeded_queue(),
                exchange: self.events_exchange(),
                keys: vec![TASK_SUCCEEDED_KEY],
            },
            WorkQueue {
                name: self.api_failed_queue(),
                exchange: self.events_exchange(),
                keys: vec![TASK_FAILED_KEY],
            },
            WorkQueue {
                name: self.media_queue(),
                exchange: self.tasks_exchange(),
                keys: vec![MEDIA_PROCESS_KEY],
            },
            WorkQueue {
                name: self.api_media_queue(),
                exchange: self.events_exchange(),
                keys: vec![MEDIA_PROCESSED_KEY],
            },
            WorkQueue {
                name: self.course_queue(),
                exchange: self.tasks_exchange(),
                keys: vec![COURSE_SUGGEST_KEY],
            },
        ]
    }

    /// `(exchange, queue)` of every work queue.
    pub(crate) fn work_queue_names(&self) -> Vec<(String, String)> {
        self.work_queues()
            .into_iter()
            .map(|q| (q.exchange, q.name))
            .collect()
    }

    /// Every queue name, work queues and their dead queues (for teardown).
    pub(crate) fn all_queues(&self) -> Vec<String> {
        self.work_queues()
            .into_iter()
            .flat_map(|q| {
                let dead = Self::dead_queue(&q.name);
                [q.name, dead]
            })
            .collect()
    }
}

/// Arguments of a work queue: quorum, bounded redelivery, dead-lettering by queue name.
pub(crate) fn work_queue_arguments(dlx: &str, queue: &str, delivery_limit: u32) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(delivery_limit)),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(LongString::from(dlx)),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(LongString::from(queue)),
    );
    args
}

/// Declares every exchange and, given their delivery limit, every work queue with its dead
/// queue and bindings. Idempotent; an argument mismatch with an existing queue (e.g. a changed
/// delivery limit) fails with PRECONDITION_FAILED.
pub(crate) async fn declare(
    channel: &Channel,
    topology: &Topology,
    work_queues: Option<u32>,
) -> Result<(), MqError> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for (name, kind) in topology.exchanges() {
        channel
            .exchange_declare(short(&name)?, kind, durable, FieldTable::default())
            .await?;
    }
    let Some(delivery_limit) = work_queues else {
        return Ok(());
    };
    for queue in topology.work_queues() {
        declare_work_queue(channel, topology, &queue, delivery_limit).await?;
    }
    Ok(())
}

/// Declares one quorum work queue, its dead queue and their bindings (idempotent).
pub(crate) async fn declare_work_queue(
    channel: &Channel,
    topology: &Topology,
    queue: &WorkQueue,
    delivery_limit: u32,
) -> Result<(), MqError> {
    let dlx = topology.dead_letter_exchange();
    let dead = Topology::dead_queue(&queue.name);
    // Dead queues are plain durable queues: they are inspected by people, not consumed.
    channel
        .queue_declare(
            short(&dead)?,
            QueueDeclareOptions::durable(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            short(&dead)?,
            short(&dlx)?,
            short(&queue.name)?,
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(
            short(&queue.name)?,
            QueueDeclareOptions::durable(),
            work_queue_arguments(&dlx, &queue.name, delivery_limit),
        )
        .await?;
    for key in &queue.keys {
        channel
            .queue_bind(
                short(&queue.name)?,
                short(&queue.exchange)?,
                short(key)?,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_names_have_no_prefix() {
        let t = Topology::new("");
        assert_eq!(t.tasks_exchange(), "moji.tasks");
        assert_eq!(t.events_exchange(), "moji.events");
        assert_eq!(t.chat_exchange(), "moji.chat");
        assert_eq!(t.dead_letter_exchange(), "moji.dlx");
        assert_eq!(t.face_queue(), "inference.face");
        assert_eq!(t.dataset_queue(), "inference.dataset");
        assert_eq!(t.api_succeeded_queue(), "api.task-succeeded");
        assert_eq!(t.api_failed_queue(), "api.task-failed");
        assert_eq!(Topology::dead_queue(&t.face_queue()), "inference.face.dead");
    }

    #[test]
    fn prefix_applies_to_every_name() {
        let t = Topology::new("t1.");
        assert_eq!(t.prefix(), "t1.");
        assert_eq!(t.tasks_exchange(), "t1.moji.tasks");
        assert_eq!(t.dead_letter_exchange(), "t1.moji.dlx");
        assert_eq!(t.face_queue(), "t1.inference.face");
        assert_eq!(
            Topology::dead_queue(&t.face_queue()),
            "t1.inference.face.dead"
        );
        for (name, _) in t.exchanges() {
            assert!(name.starts_with("t1."), "{name}");
        }
        for name in t.all_queues() {
            assert!(name.starts_with("t1."), "{name}");
        }
        assert_eq!(t.all_queues().len(), 14);
    }

    #[test]
    fn bindings_follow_the_architecture() {
        let t = Topology::new("");
        let queues = t.work_queues();
        assert_eq!(queues[0].exchange, "moji.tasks");
        assert_eq!(queues[0].keys, vec!["face.analyze"]);
        assert_eq!(queues[1].keys, vec!["dataset.generate"]);
        assert_eq!(queues[2].exchange, "moji.events");
        assert_eq!(queues[2].keys, vec!["task.succeeded"]);
        assert_eq!(queues[3].exchange, "moji.events");
        assert_eq!(queues[3].keys, vec!["task.failed"]);
        assert_eq!(queues[4].name, "inference.media");
        assert_eq!(queues[4].exchange, "moji.tasks");
        assert_eq!(queues[4].keys, vec!["media.process"]);
        assert_eq!(queues[5].name, "api.media-processed");
        assert_eq!(queues[5].exchange, "moji.events");
        assert_eq!(queues[5].keys, vec!["media.processed"]);
        assert_eq!(queues[6].name, "recommend.course");
        assert_eq!(queues[6].exchange, "moji.tasks");
        assert_eq!(queues[6].keys, vec!["course.suggest"]);
    }

    #[test]
    fn work_queue_arguments_are_quorum_with_dead_lettering() {
        let args = work_queue_arguments("moji.dlx", "inference.face", 5);
        let inner = args.inner();
        assert_eq!(
            inner.get("x-queue-type"),
            Some(&AMQPValue::LongString("quorum".into()))
        );
        assert_eq!(
            inner.get("x-delivery-limit"),
            Some(&AMQPValue::LongLongInt(5))
        );
        assert_eq!(
            inner.get("x-dead-letter-exchange"),
            Some(&AMQPValue::LongString("moji.dlx".into()))
        );
        assert_eq!(
            inner.get("x-dead-letter-routing-key"),
            Some(&AMQPValue::LongString("inference.face".into()))
        );
    }
}
