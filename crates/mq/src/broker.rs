//! The connection-owning [`Broker`]: topology declaration, confirmed publishing and
//! reconnection after connection loss.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use lapin::{
    options::{
        BasicAckOptions, BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions,
        ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions,
    },
    types::{AMQPValue, FieldTable, LongString},
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties,
};
use moji_common::Envelope;

use crate::{metrics, short, topology, MqError, Topology};

/// Connection attempts of one reconnect (initial connect, publish, check): with the backoff
/// below they span about 11 s, long enough to ride out a broker restart.
const CONNECT_ATTEMPTS: u32 = 8;
/// Publish tries across reconnects before the error goes back to the caller.
const PUBLISH_ATTEMPTS: u32 = 3;
/// First pause between connection attempts; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest pause between connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Bound on one TCP connect + AMQP handshake + topology declaration, so a black-holed
/// address fails instead of hanging.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on waiting for a publisher confirm: a blocked (memory alarm) or half-open
/// connection must not hang the caller forever.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(15);
/// Bound on the round trip of [`Broker::check`] and the admin helpers.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Exponential backoff: 100 ms doubling to 5 s.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Self {
            next: FIRST_BACKOFF,
        }
    }

    /// The pause to take now; the following one doubles.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        delay
    }

    pub(crate) fn reset(&mut self) {
        self.next = FIRST_BACKOFF;
    }
}

/// One live AMQP connection, plus the confirm-mode channel on the publishing link.
pub(crate) struct Session {
    generation: u64,
    pub(crate) conn: Arc<Connection>,
    publish: Option<Channel>,
    /// Set by a user that saw an I/O-level failure the status flags may not show yet.
    poisoned: AtomicBool,
}

impl Session {
    fn healthy(&self) -> bool {
        !self.poisoned.load(Ordering::SeqCst)
            && self.conn.status().connected()
            && self
                .publish
                .as_ref()
                .is_none_or(|channel| channel.status().connected())
    }

    /// Marks the session unusable so the next user reconnects.
    pub(crate) fn poison(&self) {
        self.poisoned.store(true, Ordering::SeqCst);
    }
}

/// A named connection that is rebuilt on demand.
struct Link {
    connection_name: String,
    with_confirm_channel: bool,
    current: Mutex<Option<Arc<Session>>>,
    /// Serialises reconnects so concurrent failures open one connection, not many; holds
    /// the number of sessions opened so far.
    reconnect: tokio::sync::Mutex<u64>,
}

impl Link {
    fn new(connection_name: String, with_confirm_channel: bool) -> Self {
        Self {
            connection_name,
            with_confirm_channel,
            current: Mutex::new(None),
            reconnect: tokio::sync::Mutex::new(0),
        }
    }

    fn current(&self) -> Option<Arc<Session>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn healthy_current(&self) -> Option<Arc<Session>> {
        self.current().filter(|s| s.healthy())
    }

    /// Whether the link was never used or is connected now.
    fn ok_or_unused(&self) -> bool {
        self.current().is_none_or(|s| s.healthy())
    }

    /// The live session, reconnecting (with backoff, at most `max_attempts` tries; `None`
    /// for no limit) when the current one is broken.
    async fn session(
        &self,
        shared: &Shared,
        max_attempts: Option<u32>,
    ) -> Result<Arc<Session>, MqError> {
        if let Some(session) = self.healthy_current() {
            return Ok(session);
        }
        let mut opened = self.reconnect.lock().await;
        // Someone else may have reconnected while we waited for the lock.
        if let Some(session) = self.healthy_current() {
            return Ok(session);
        }
        let previous = self.current();
        let mut backoff = Backoff::new();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = tokio::time::timeout(
                CONNECT_TIMEOUT,
                self.open(shared, previous.as_deref(), *opened + 1),
            )
            .await
            .unwrap_or(Err(MqError::Timeout("connecting to rabbitmq")));
            match result {
                Ok(session) => {
                    let session = Arc::new(session);
                    let same_connection = previous
                        .as_ref()
                        .is_some_and(|p| Arc::ptr_eq(&p.conn, &session.conn));
                    if same_connection {
                        tracing::info!(
                            connection = %self.connection_name,
                            "reopened the publishing channel"
                        );
                    } else if *opened > 0 {
                        metrics::reconnected();
                        tracing::info!(
                            connection = %self.connection_name,
                            attempts,
                            "reconnected to rabbitmq"
                        );
                    }
                    *opened += 1;
                    *self
                        .current
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(session.clone());
                    return Ok(session);
                }
                Err(e) if is_fatal(&e) => return Err(e),
                Err(e) => {
                    if max_attempts.is_some_and(|max| attempts >= max) {
                        return Err(MqError::Unavailable {
                            attempts,
                            source: Box::new(e),
                        });
                    }
                    let delay = backoff.next_delay();
                    tracing::warn!(
                        connection = %self.connection_name,
                        error = %e,
                        attempts,
                        retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "cannot connect to rabbitmq"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Opens a session, reusing `previous`'s connection when only its channel broke.
    async fn open(
        &self,
        shared: &Shared,
        previous: Option<&Session>,
        generation: u64,
    ) -> Result<Session, MqError> {
        let reusable = previous
            .filter(|p| !p.poisoned.load(Ordering::SeqCst) && p.conn.status().connected())
            .map(|p| p.conn.clone());
        let conn = match reusable {
            Some(conn) => conn,
            None => {
                let props = ConnectionProperties::default()
                    .with_connection_name(LongString::from(self.connection_name.as_str()));
                let conn = Arc::new(Connection::connect(&shared.url, props).await?);
                // Declared on every new connection so a broker that lost its definitions
                // gets them back. A throwaway channel, because a failed declaration closes it.
                let channel = conn.create_channel().await?;
                let queues = shared.work_queues.then_some(shared.delivery_limit);
                topology::declare(&channel, &shared.topology, queues).await?;
                close_channel(&channel).await;
                conn
            }
        };
        let publish = if self.with_confirm_channel {
            let channel = conn.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            Some(channel)
        } else {
            None
        };
        Ok(Session {
            generation,
            conn,
            publish,
            poisoned: AtomicBool::new(false),
        })
    }
}

/// Errors that retrying cannot fix: the broker refused the request itself (wrong queue
/// arguments, access refused), or the request was malformed.
fn is_fatal(e: &MqError) -> bool {
    match e {
        MqError::Amqp(e) => e.is_amqp_soft_error(),
        MqError::NameTooLong { .. } | MqError::Encode(_) => true,
        _ => false,
    }
}

pub(crate) async fn close_channel(channel: &Channel) {
    // Best effort: the channel may already be closed by a broker error.
    if let Err(e) = channel.close(200, "OK".into()).await {
        tracing::debug!(error = %e, "closing channel");
    }
}

/// State shared by all clones of a [`Broker`].
pub(crate) struct Shared {
    url: String,
    topology: Topology,
    pub(crate) delivery_limit: u32,
    /// Whether this client declares the work queues too, not only the exchanges.
    work_queues: bool,
    publisher: Link,
    consumer: Link,
}

/// A RabbitMQ client: publishing and consuming connections that heal after loss. Cheap to
/// clone; clones share the connections.
#[derive(Clone)]
pub struct Broker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("connection_name", &self.shared.publisher.connection_name)
            .field("topology", &self.shared.topology)
            .field("connected", &self.is_connected())
            .finish()
    }
}

/// A message taken from a queue with [`Broker::get`], undecoded (e.g. from a dead queue).
#[derive(Debug, Clone, PartialEq)]
pub struct RawMessage {
    /// The body as published.
    pub body: Vec<u8>,
    /// The AMQP `type` property, e.g. `face.analyze.v1`.
    pub message_type: Option<String>,
    /// The AMQP `message_id` property (the envelope id).
    pub message_id: Option<String>,
    /// The AMQP `correlation_id` property.
    pub correlation_id: Option<String>,
    /// The AMQP `content_type` property.
    pub content_type: Option<String>,
    /// Whether it was published persistent (delivery mode 2).
    pub persistent: bool,
    /// The exchange the message was last published or dead-lettered through.
    pub exchange: String,
    /// The routing key it was last published or dead-lettered with.
    pub routing_key: String,
    /// The `x-delivery-count` header, 0 when absent.
    pub delivery_count: u32,
    /// Why it was dead-lettered (`rejected`, `delivery_limit`, `expired` ...), from `x-death`
    /// or `x-first-death-reason`.
    pub death_reason: Option<String>,
}

impl Broker {
    /// Connects (retrying for about 11 s), declares the topology and opens the confirm-mode
    /// publishing channel. The publishing connection is named `connection_name`; the
    /// consuming one, opened by the first [`crate::consume`], `<connection_name>.consumer`.
    pub async fn connect(
        url: &str,
        connection_name: &str,
        topology: Topology,
        delivery_limit: u32,
    ) -> Result<Broker, MqError> {
        Self::open(url, connection_name, topology, delivery_limit, true).await
    }

    /// [`Broker::connect`] with the URL, prefix and delivery limit of the settings.
    pub async fn from_settings(
        settings: &moji_config::AmqpSettings,
        connection_name: &str,
    ) -> Result<Broker, MqError> {
        Self::connect(
            &settings.url,
            connection_name,
            Topology::new(&settings.prefix),
            settings.delivery_limit,
        )
        .await
    }

    /// Like [`Broker::from_settings`], but declares only the exchanges: for a service that
    /// neither produces to nor consumes the work queues (chat), whose every replica and test
    /// would otherwise declare a dozen quorum queues it never uses.
    pub async fn exchanges_only(
        settings: &moji_config::AmqpSettings,
        connection_name: &str,
    ) -> Result<Broker, MqError> {
        let topology = Topology::new(&settings.prefix);
        Self::open(
            &settings.url,
            connection_name,
            topology,
            settings.delivery_limit,
            false,
        )
        .await
    }

    async fn open(
        url: &str,
        connection_name: &str,
        topology: Topology,
        delivery_limit: u32,
        work_queues: bool,
    ) -> Result<Broker, MqError> {
        let shared = Arc::new(Shared {
            url: url.to_owned(),
            topology,
            delivery_limit,
            work_queues,
            publisher: Link::new(connection_name.to_owned(), true),
            consumer: Link::new(format!("{connection_name}.consumer"), false),
        });
        shared
            .publisher
            .session(&shared, Some(CONNECT_ATTEMPTS))
            .await?;
        metrics::describe(&shared.topology);
        Ok(Broker { shared })
    }

    /// The exchange and queue names in use.
    pub fn topology(&self) -> &Topology {
        &self.shared.topology
    }

    /// Deliveries of one message before the broker dead-letters it.
    pub fn delivery_limit(&self) -> u32 {
        self.shared.delivery_limit
    }

    /// Whether the publishing connection (and the consuming one, if opened) is up right now,
    /// by the client's view; no round trip.
    pub fn is_connected(&self) -> bool {
        self.shared.publisher.healthy_current().is_some() && self.shared.consumer.ok_or_unused()
    }

    /// Readiness probe: reconnects if needed and does a round trip to the broker, all within
    /// 5 s.
    pub async fn check(&self) -> Result<(), MqError> {
        let probe = async {
            let session = self.shared.publisher.session(&self.shared, Some(2)).await?;
            let round_trip = async {
                let channel = session.conn.create_channel().await?;
                close_channel(&channel).await;
                Ok::<(), MqError>(())
            };
            let result = round_trip.await;
            if result.is_err() {
                // Distrust the connection so the next user reconnects.
                session.poison();
            }
            result
        };
        tokio::time::timeout(CHECK_TIMEOUT, probe)
            .await
            .unwrap_or(Err(MqError::Timeout("rabbitmq readiness check")))
    }

    /// Publishes `envelope` as persistent JSON and waits for the broker's confirm. Retries
    /// across reconnects, so a message may (rarely) arrive twice; consumers dedupe by id.
    pub async fn publish<P: serde::Serialize>(
        &self,
        exchange: &str,
        routing_key: &str,
        envelope: &Envelope<P>,
    ) -> Result<(), MqError> {
        let body = serde_json::to_vec(envelope)?;
        let timestamp = u64::try_from(envelope.occurred_at.timestamp()).unwrap_or(0);
        let props = persistent_json()
            .with_message_id(short(&envelope.id.to_string())?)
            .with_type(short(&format!(
                "{}.v{}",
                envelope.message_type, envelope.version
            ))?)
            .with_correlation_id(short(&envelope.correlation_id.to_string())?)
            .with_app_id(short(&envelope.producer)?)
            .with_timestamp(timestamp);
        self.publish_with(exchange, routing_key, &body, props).await
    }

    /// Publishes arbitrary bytes as persistent JSON with the given `type` property and a
    /// fresh `message_id` (tests use it for poison messages).
    pub async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        message_type: &str,
    ) -> Result<(), MqError> {
        let props = persistent_json()
            .with_message_id(short(&uuid::Uuid::new_v4().to_string())?)
            .with_type(short(message_type)?);
        self.publish_with(exchange, routing_key, body, props).await
    }

    async fn publish_with(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        props: BasicProperties,
    ) -> Result<(), MqError> {
        let result = self.try_publish(exchange, routing_key, body, props).await;
        let outcome = match &result {
            Ok(()) => "ok",
            Err(MqError::Nacked { .. }) => "nack",
            Err(_) => "error",
        };
        metrics::published(exchange, outcome);
        result
    }

    async fn try_publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        props: BasicProperties,
    ) -> Result<(), MqError> {
        let exchange_name = short(exchange)?;
        let key = short(routing_key)?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let session = self
                .shared
                .publisher
                .session(&self.shared, Some(CONNECT_ATTEMPTS))
                .await?;
            let Some(channel) = session.publish.clone() else {
                return Err(MqError::NotConnected);
            };
            let send = async {
                channel
                    .basic_publish(
                        exchange_name.clone(),
                        key.clone(),
                        BasicPublishOptions::default(),
                        body,
                        props.clone(),
                    )
                    .await?
                    .await
            };
            let error = match tokio::time::timeout(CONFIRM_TIMEOUT, send).await {
                Err(_) => return Err(MqError::Timeout("publisher confirm")),
                Ok(Ok(Confirmation::Nack(_))) => {
                    return Err(MqError::Nacked {
                        exchange: exchange.to_owned(),
                        routing_key: routing_key.to_owned(),
                    })
                }
                Ok(Ok(Confirmation::Ack(_) | Confirmation::NotRequested)) => return Ok(()),
                Ok(Err(e)) => e,
            };
            // A channel-level refusal (e.g. unknown exchange) closed the channel; the next
            // publish reopens it, but retrying this one would be refused the same way.
            if error.is_amqp_soft_error() || attempts >= PUBLISH_ATTEMPTS {
                return Err(error.into());
            }
            tracing::warn!(
                error = %error,
                exchange,
                routing_key,
                attempts,
                generation = session.generation,
                "publish failed, reconnecting"
            );
            session.poison();
        }
    }

    /// Removes and returns the next message of `queue` (acked), or `None` if it is empty.
    /// For inspecting dead queues and for tests.
    pub async fn get(&self, queue: &str) -> Result<Option<RawMessage>, MqError> {
        let queue = short(queue)?;
        self.with_admin_channel("basic.get", |channel| async move {
            let Some(message) = channel
                .basic_get(queue, BasicGetOptions { no_ack: false })
                .await?
            else {
                return Ok(None);
            };
            let delivery = message.delivery;
            delivery.ack(BasicAckOptions::default()).await?;
            let props = &delivery.properties;
            Ok(Some(RawMessage {
                message_type: props.kind().as_ref().map(|s| s.to_string()),
                message_id: props.message_id().as_ref().map(|s| s.to_string()),
                correlation_id: props.correlation_id().as_ref().map(|s| s.to_string()),
                content_type: props.content_type().as_ref().map(|s| s.to_string()),
                persistent: *props.delivery_mode() == Some(2),
                exchange: delivery.exchange.to_string(),
                routing_key: delivery.routing_key.to_string(),
                delivery_count: delivery_count(props.headers().as_ref()),
                death_reason: death_reason(props.headers().as_ref()),
                body: delivery.data,
            }))
        })
        .await
    }

    /// Number of ready (not in-flight) messages in `queue`.
    pub async fn queue_len(&self, queue: &str) -> Result<u32, MqError> {
        let queue = short(queue)?;
        self.with_admin_channel("queue.declare", |channel| async move {
            let options = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let declared = channel
                .queue_declare(queue, options, FieldTable::default())
                .await?;
            Ok(declared.message_count())
        })
        .await
    }

    /// Declares the work queue `name` of the topology (with its dead queue and bindings): for a
    /// service that consumes one work queue but connected with [`Broker::exchanges_only`].
    pub async fn declare_work_queue(&self, name: &str) -> Result<(), MqError> {
        let topology = self.shared.topology.clone();
        let queue = topology
            .work_queues()
            .into_iter()
            .find(|q| q.name == name)
            .ok_or_else(|| MqError::UnknownQueue(name.to_owned()))?;
        let limit = self.shared.delivery_limit;
        self.with_admin_channel("declare work queue", |channel| async move {
            topology::declare_work_queue(&channel, &topology, &queue, limit).await
        })
        .await
    }

    /// Deletes every queue and exchange of the topology (test teardown; never in production).
    pub async fn delete_topology(&self) -> Result<(), MqError> {
        let topology = self.shared.topology.clone();
        self.with_admin_channel("delete topology", |channel| async move {
            for queue in topology.all_queues() {
                channel
                    .queue_delete(short(&queue)?, QueueDeleteOptions::default())
                    .await?;
            }
            for (exchange, _) in topology.exchanges() {
                channel
                    .exchange_delete(short(&exchange)?, ExchangeDeleteOptions::default())
                    .await?;
            }
            Ok(())
        })
        .await
    }

    /// Deletes the named queues (missing ones are fine); returns how many it deleted. Used to
    /// clear what crashed tests left behind, far faster than one `rabbitmqctl` call each.
    pub async fn delete_queues(&self, names: &[String]) -> Result<usize, MqError> {
        let names = names.to_vec();
        self.with_admin_channel("delete queues", |channel| async move {
            let mut deleted = 0;
            for queue in &names {
                // A missing queue is not an error in RabbitMQ 3.x; count only real deletes.
                channel
                    .queue_delete(short(queue)?, QueueDeleteOptions::default())
                    .await?;
                deleted += 1;
            }
            Ok(deleted)
        })
        .await
    }

    /// Runs `op` on a fresh channel of the publishing connection: an error in `op` closes
    /// that channel only, never the confirm channel publishers share.
    async fn with_admin_channel<T, F, Fut>(&self, what: &'static str, op: F) -> Result<T, MqError>
    where
        F: FnOnce(Channel) -> Fut,
        Fut: std::future::Future<Output = Result<T, MqError>>,
    {
        let session = self
            .shared
            .publisher
            .session(&self.shared, Some(CONNECT_ATTEMPTS))
            .await?;
        let channel = session.conn.create_channel().await?;
        let result = tokio::time::timeout(CHECK_TIMEOUT, op(channel.clone()))
            .await
            .unwrap_or(Err(MqError::Timeout(what)));
        close_channel(&channel).await;
        result
    }

    /// The consuming connection's live session, reconnecting without limit (the consume
    /// loop races this against its shutdown signal).
    pub(crate) async fn consumer_session(&self) -> Result<Arc<Session>, MqError> {
        self.shared.consumer.session(&self.shared, None).await
    }
}

fn persistent_json() -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
}

/// Reads the quorum queue's `x-delivery-count` header; 0 when absent or not an integer.
pub(crate) fn delivery_count(headers: Option<&FieldTable>) -> u32 {
    headers
        .and_then(|h| h.inner().get("x-delivery-count"))
        .and_then(as_u64)
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn as_u64(value: &AMQPValue) -> Option<u64> {
    match value {
        AMQPValue::ShortShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortShortUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortUInt(n) => Some(u64::from(*n)),
        AMQPValue::LongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(u64::from(*n)),
        AMQPValue::LongLongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::Timestamp(n) => Some(*n),
        _ => None,
    }
}

fn as_text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        _ => None,
    }
}

/// The reason of the most recent dead-lettering, from `x-death` (newest first) or the
/// `x-first-death-reason` header.
fn death_reason(headers: Option<&FieldTable>) -> Option<String> {
    let headers = headers?.inner();
    let from_x_death = headers.get("x-death").and_then(|v| match v {
        AMQPValue::FieldArray(deaths) => deaths.as_slice().first().and_then(|d| match d {
            AMQPValue::FieldTable(t) => t.inner().get("reason").and_then(as_text),
            _ => None,
        }),
        _ => None,
    });
    from_x_death.or_else(|| headers.get("x-first-death-reason").and_then(as_text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_five_seconds() {
        let mut b = Backoff::new();
        let delays: Vec<u128> = (0..8).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 100);
    }

    #[test]
    fn delivery_count_reads_any_integer_width() {
        assert_eq!(delivery_count(None), 0);
        let mut h = FieldTable::default();
        assert_eq!(delivery_count(Some(&h)), 0);
        h.insert("x-delivery-count".into(), AMQPValue::LongLongInt(3));
        assert_eq!(delivery_count(Some(&h)), 3);
        h.insert("x-delivery-count".into(), AMQPValue::LongInt(2));
        assert_eq!(delivery_count(Some(&h)), 2);
        h.insert("x-delivery-count".into(), AMQPValue::LongInt(-1));
        assert_eq!(delivery_count(Some(&h)), 0);
    }

    #[test]
    fn death_reason_prefers_the_newest_x_death() {
        let mut death = FieldTable::default();
        death.insert(
            "reason".into(),
            AMQPValue::LongString("delivery_limit".into()),
        );
        let mut h = FieldTable::default();
        h.insert(
            "x-death".into(),
            AMQPValue::FieldArray(vec![AMQPValue::FieldTable(death)].into()),
        );
        h.insert(
            "x-first-death-reason".into(),
            AMQPValue::LongString("rejected".into()),
        );
        assert_eq!(death_reason(Some(&h)).as_deref(), Some("delivery_limit"));
        let mut only_first = FieldTable::default();
        only_first.insert(
            "x-first-death-reason".into(),
            AMQPValue::LongString("rejected".into()),
        );
        assert_eq!(death_reason(Some(&only_first)).as_deref(), Some("rejected"));
        assert_eq!(death_reason(None), None);
    }
}
