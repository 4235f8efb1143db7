//! The transactional outbox: messages written in the same transaction as the change they
//! announce, relayed to RabbitMQ after commit and deleted once the broker confirmed them.
//! A crash between commit and publish loses nothing: the row is still there.

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};

use crate::{schema::outbox, DbError};

/// Which exchange a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// `moji.tasks`: work for a worker.
    Tasks,
    /// `moji.events`: domain events.
    Events,
}

impl Exchange {
    fn as_str(self) -> &'static str {
        match self {
            Exchange::Tasks => "tasks",
            Exchange::Events => "events",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "tasks" {
            Exchange::Tasks
        } else {
            Exchange::Events
        }
    }
}

/// A message to send after commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Target exchange.
    pub exchange: Exchange,
    /// Routing key (the message type, e.g. `media.process`).
    pub routing_key: String,
    /// The whole envelope as JSON.
    pub envelope: serde_json::Value,
}

/// A claimed outbox row.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// Row id (publish order).
    pub id: i64,
    /// The message.
    pub message: Message,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

/// Adds messages to the outbox (call inside the transaction of the change).
pub fn push(conn: &mut PgConnection, messages: &[Message]) -> Result<(), DbError> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = messages
        .iter()
        .map(|m| {
            (
                outbox::exchange.eq(m.exchange.as_str()),
                outbox::routing_key.eq(&m.routing_key),
                outbox::envelope.eq(&m.envelope),
            )
        })
        .collect();
    diesel::insert_into(outbox::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` unclaimed (or lease-expired) messages, oldest first, for `lease`:
/// other relays skip them until then.
pub fn claim(
    conn: &mut PgConnection,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<Claimed>, DbError> {
    let until = Utc::now()
        + chrono::Duration::from_std(lease).unwrap_or_else(|_| chrono::Duration::seconds(30));
    conn.transaction(|conn| {
        let ids: Vec<i64> = outbox::table
            .filter(
                outbox::claimed_until
                    .is_null()
                    .or(outbox::claimed_until.lt(Utc::now())),
            )
            .order(outbox::id)
            .limit(limit)
            .select(outbox::id)
            .for_update()
            .skip_locked()
            .load(conn)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String, String, serde_json::Value, DateTime<Utc>)> =
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set(outbox::claimed_until.eq(until))
                .returning((
                    outbox::id,
                    outbox::exchange,
                    outbox::routing_key,
                    outbox::envelope,
                    outbox::created_at,
                ))
                .load(conn)?;
        let mut claimed: Vec<Claimed> = rows
            .into_iter()
            .map(
                |(id, exchange, routing_key, envelope, created_at)| Claimed {
                    id,
                    message: Message {
                        exchange: Exchange::parse(&exchange),
                        routing_key,
                        envelope,
                    },
                    created_at,
                },
            )
            .collect();
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    })
}

/// Deletes sent messages.
pub fn delete(conn: &mut PgConnection, ids: &[i64]) -> Result<usize, DbError> {
    Ok(diesel::delete(outbox::table.filter(outbox::id.eq_any(ids))).execute(conn)?)
}

/// Gives claimed messages back (a publish failed): the next relay pass takes them.
pub fn release(conn: &mut PgConnection, ids: &[i64]) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::claimed_until.eq(None::<DateTime<Utc>>))
        .execute(conn)?;
    Ok(())
}

/// How many messages wait, and the age of the oldest in seconds (for metrics).
pub fn backlog(conn: &mut PgConnection) -> Result<(i64, f64), DbError> {
    let (n, oldest): (i64, Option<DateTime<Utc>>) = outbox::table
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::created_at),
        ))
        .first(conn)?;
    let age = oldest.map_or(0.0, |t| (Utc::now() - t).num_milliseconds() as f64 / 1000.0);
    Ok((n, age))
}

/// Runs `change` and queues what `announce` makes of its result, in one transaction: for
/// writes whose functions do not take an `announce` themselves.
pub fn within<T>(
    conn: &mut PgConnection,
    change: impl FnOnce(&mut PgConnection) -> Result<T, DbError>,
    announce: impl FnOnce(&T) -> Vec<Message>,
) -> Result<T, DbError> {
    conn.transaction(|conn| {
        let out = change(conn)?;
        push(conn, &announce(&out))?;
        Ok(out)
    })
}
