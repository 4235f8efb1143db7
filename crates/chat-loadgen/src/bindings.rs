//! `bindings`: what RabbitMQ binding churn costs, next to what receiving every room's traffic
//! costs, for choosing how chat replicas subscribe to `moji.chat` (`room.<id>`).
//!
//! On a scratch topic exchange and a scratch exclusive queue (deleted afterwards):
//! 1. `queue.bind` + `queue.unbind` of `room.<uuid>` keys, back to back, on `concurrency`
//!    channels at once, for the given time: operations per second and their latency;
//! 2. the queue bound to `room.*`, a confirmed publisher sending chat-sized messages to random
//!    rooms and one consumer taking them: messages per second through one replica's queue.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::{stream::FuturesUnordered, StreamExt};
use lapin::{
    options::{
        BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
        ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
    },
    types::{FieldTable, ShortString},
    BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind,
};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::stats;

/// Settings of a bindings run.
pub struct Bindings {
    /// `amqp://` URL (loopback).
    pub url: String,
    /// Prefix of the scratch exchange's name.
    pub prefix: String,
    /// Channels binding at once, one measurement each.
    pub concurrency: Vec<usize>,
    /// Time per binding measurement.
    pub duration: Duration,
    /// Time of the all-traffic measurement (0 to skip).
    pub publish_secs: Duration,
    /// Rooms the all-traffic publisher spreads over.
    pub rooms: usize,
}

/// How long past its planned time a step may take before the broker counts as stuck.
const SLACK: Duration = Duration::from_secs(10);

fn short(s: &str) -> anyhow::Result<ShortString> {
    ShortString::try_new(s).map_err(|e| anyhow::anyhow!("{s}: {e}"))
}

/// One churn measurement: `concurrency` channels binding and unbinding for `duration`.
async fn churn(
    conn: &Connection,
    exchange: &str,
    queue: &str,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let channel = conn.create_channel().await?;
        let (exchange, queue) = (short(exchange)?, short(queue)?);
        tasks.push(tokio::spawn(async move {
            let mut bind_us = Vec::new();
            let mut unbind_us = Vec::new();
            while Instant::now() < deadline {
                let key = short(&format!("room.{}", Uuid::now_v7()))?;
                let t = Instant::now();
                channel
                    .queue_bind(
                        queue.clone(),
                        exchange.clone(),
                        key.clone(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await?;
                bind_us.push(micros(t.elapsed()));
                let t = Instant::now();
                channel
                    .queue_unbind(queue.clone(), exchange.clone(), key, FieldTable::default())
                    .await?;
                unbind_us.push(micros(t.elapsed()));
            }
            let _ = channel.close(200, short("done")?).await;
            anyhow::Ok((bind_us, unbind_us))
        }));
    }
    let (mut binds, mut unbinds) = (Vec::new(), Vec::new());
    for t in tasks {
        let (b, u) = t.await??;
        binds.extend(b);
        unbinds.extend(u);
    }
    let secs = started.elapsed().as_secs_f64();
    let (nb, nu) = (binds.len(), unbinds.len());
    let b = stats::percentiles(&mut binds);
    let u = stats::percentiles(&mut unbinds);
    let ops = (nb + nu) as f64 / secs;
    println!(
        "bindings: {concurrency} channel(s), {secs:.1} s: {nb} binds + {nu} unbinds = {ops:.0} ops/s; bind p50 {:.2} ms p99 {:.2} ms, unbind p50 {:.2} ms p99 {:.2} ms",
        ms(b.p50_us), ms(b.p99_us), ms(u.p50_us), ms(u.p99_us)
    );
    Ok(json!({
        "concurrency": concurrency,
        "secs": secs,
        "binds": nb,
        "unbinds": nu,
        "ops_per_s": ops,
        "bind_p50_ms": ms(b.p50_us),
        "bind_p99_ms": ms(b.p99_us),
        "unbind_p50_ms": ms(u.p50_us),
        "unbind_p99_ms": ms(u.p99_us),
    }))
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn ms(us: u32) -> f64 {
    f64::from(us) / 1000.0
}

/// Everything-to-one-queue: a confirmed publisher to random `room.<id>` keys, one consumer
/// on the queue bound to `room.*`.
async fn all_traffic(
    conn: &Connection,
    exchange: &str,
    queue: &str,
    secs: Duration,
    rooms: usize,
) -> anyhow::Result<Value> {
    let setup = conn.create_channel().await?;
    setup
        .queue_bind(
            short(queue)?,
            short(exchange)?,
            short("room.*")?,
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let consume: Channel = conn.create_channel().await?;
    let mut consumer = consume
        .basic_consume(
            short(queue)?,
            short("bench")?,
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    let consumed = Arc::new(AtomicU64::new(0));
    let counter = consumed.clone();
    let consuming = tokio::spawn(async move {
        while let Some(d) = consumer.next().await {
            if d.is_err() {
                break;
            }
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    let publish = conn.create_channel().await?;
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let keys: Vec<ShortString> = (0..rooms.max(1))
        .map(|_| short(&format!("room.{}", Uuid::now_v7())))
        .collect::<anyhow::Result<_>>()?;
    // A chat message as a replica would publish it (an envelope around a message frame).
    let body = json!({
        "id": Uuid::now_v7(), "type": "chat.message", "version": 1,
        "occurred_at": "2026-12-04T00:00:00Z", "producer": "chat",
        "payload": {"room_id": Uuid::now_v7(), "seq": 12345, "id": Uuid::now_v7(),
                    "sender": "bench_0000001", "text": stats::message_text(0),
                    "sent_at": "2026-12-04T00:00:00Z", "client_msg_id": "b1"}
    })
    .to_string();
    let (exchange_s, started) = (short(exchange)?, Instant::now());
    let deadline = started + secs;
    let mut in_flight = FuturesUnordered::new();
    let mut published = 0u64;
    let mut nacked = 0u64;
    let start_count = consumed.load(Ordering::Relaxed);
    while Instant::now() < deadline {
        let key = keys[(published as usize) % keys.len()].clone();
        let confirm = publish
            .basic_publish(
                exchange_s.clone(),
                key,
                BasicPublishOptions::default(),
                body.as_bytes(),
                BasicProperties::default().with_content_type(short("application/json")?),
            )
            .await?;
        in_flight.push(confirm);
        published += 1;
        while in_flight.len() >= 256 {
            if let Some(c) = in_flight.next().await {
                if !matches!(c, Ok(lapin::Confirmation::Ack(_))) {
                    nacked += 1;
                }
            }
        }
    }
    while let Some(c) = in_flight.next().await {
        if !matches!(c, Ok(lapin::Confirmation::Ack(_))) {
            nacked += 1;
        }
    }
    let publish_secs = started.elapsed().as_secs_f64();
    let consumed_in_window = consumed.load(Ordering::Relaxed) - start_count;
    // Let the consumer finish what is queued, briefly.
    let wait_until = Instant::now() + Duration::from_secs(5);
    while consumed.load(Ordering::Relaxed) - start_count < published && Instant::now() < wait_until
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total_secs = started.elapsed().as_secs_f64();
    let consumed_total = consumed.load(Ordering::Relaxed) - start_count;
    let _ = consume.close(200, short("done")?).await;
    consuming.abort();
    let _ = publish.close(200, short("done")?).await;
    let _ = setup.close(200, short("done")?).await;
    let published_per_s = published as f64 / publish_secs;
    let consumed_per_s = consumed_total as f64 / total_secs;
    println!(
        "all traffic: {published} confirmed publishes to {} rooms in {publish_secs:.1} s = {published_per_s:.0} msg/s; the room.* queue's consumer took {consumed_total} ({consumed_per_s:.0} msg/s, {consumed_in_window} while publishing){}",
        keys.len(),
        if nacked > 0 { format!("; {nacked} not acked") } else { String::new() }
    );
    Ok(json!({
        "rooms": keys.len(),
        "published": published,
        "nacked": nacked,
        "publish_secs": publish_secs,
        "published_per_s": published_per_s,
        "consumed": consumed_total,
        "consumed_per_s": consumed_per_s,
        "body_bytes": body.len(),
    }))
}

/// Runs the churn measurements and the all-traffic one; removes the scratch exchange and queue.
pub async fn run(b: &Bindings) -> anyhow::Result<Value> {
    crate::ws::check_amqp_url(&b.url)?;
    // A broker that accepts TCP but never answers must not eat the run's time.
    let conn = tokio::time::timeout(
        SLACK,
        Connection::connect(&b.url, ConnectionProperties::default()),
    )
    .await
    .map_err(|_| anyhow::anyhow!("RabbitMQ did not answer within {SLACK:?}"))??;
    let channel = conn.create_channel().await?;
    let exchange = format!(
        "{}bench.chat-bindings.{}",
        b.prefix,
        Uuid::now_v7().simple()
    );
    channel
        .exchange_declare(
            short(&exchange)?,
            ExchangeKind::Topic,
            // Not auto-delete: that would drop it at the first unbind. Deleted below.
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let queue = channel
        .queue_declare(
            short("")?,
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?
        .name()
        .to_string();
    println!("bindings: scratch exchange {exchange}, queue {queue}");
    let result = async {
        let mut churns = Vec::new();
        for &c in &b.concurrency {
            let measured = churn(&conn, &exchange, &queue, c, b.duration);
            churns.push(
                tokio::time::timeout(b.duration + SLACK, measured)
                    .await
                    .map_err(|_| anyhow::anyhow!("binding churn on {c} channel(s) stalled"))??,
            );
        }
        let traffic = if b.publish_secs.is_zero() {
            Value::Null
        } else {
            let measured = all_traffic(&conn, &exchange, &queue, b.publish_secs, b.rooms);
            tokio::time::timeout(b.publish_secs + 2 * SLACK, measured)
                .await
                .map_err(|_| anyhow::anyhow!("the all-traffic measurement stalled"))??
        };
        anyhow::Ok(json!({"mode": "bindings", "churn": churns, "all_traffic": traffic}))
    }
    .await;
    let (queue_s, exchange_s, done) = (short(&queue)?, short(&exchange)?, short("done")?);
    let cleanup = async {
        let _ = channel
            .queue_delete(queue_s, QueueDeleteOptions::default())
            .await;
        let _ = channel
            .exchange_delete(exchange_s, ExchangeDeleteOptions::default())
            .await;
        let _ = conn.close(200, done).await;
    };
    if tokio::time::timeout(SLACK, cleanup).await.is_err() {
        eprintln!("bindings: could not delete {exchange} (the broker did not answer)");
    }
    result
}
