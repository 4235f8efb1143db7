//! The mail outbox: mails queued in the transaction that decided to send them, claimed by a
//! sender (leased, so api replicas share the work), deleted once the SMTP server took them,
//! retried with backoff otherwise.

use chrono::{DateTime, Duration as Span, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Integer, Interval, Text},
};

use crate::{schema::mail_outbox, DbError};

/// A queued mail.
#[derive(Debug, Clone, QueryableByName)]
pub struct QueuedMail {
    /// Row id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Recipient.
    #[diesel(sql_type = Text)]
    pub to_address: String,
    /// Subject line.
    #[diesel(sql_type = Text)]
    pub subject: String,
    /// Plain-text body.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Earlier failed attempts.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Queues one mail.
pub fn queue(conn: &mut PgConnection, to: &str, subject: &str, body: &str) -> Result<(), DbError> {
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::to_address.eq(to),
            mail_outbox::subject.eq(subject),
            mail_outbox::body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due mails for `lease` (other senders skip them meanwhile).
pub fn claim(
    conn: &mut PgConnection,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<QueuedMail>, DbError> {
    let lease = diesel::pg::data_types::PgInterval::from_microseconds(
        i64::try_from(lease.as_micros()).unwrap_or(i64::MAX),
    );
    Ok(diesel::sql_query(
        "UPDATE mail_outbox m SET next_attempt_at = now() + $2
         FROM (SELECT id FROM mail_outbox WHERE next_attempt_at <= now()
               ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE m.id = due.id
         RETURNING m.id, m.to_address, m.subject, m.body, m.attempts",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Interval, _>(lease)
    .load(conn)?)
}

/// Forgets a mail the server accepted.
pub fn sent(conn: &mut PgConnection, id: i64) -> Result<(), DbError> {
    diesel::delete(mail_outbox::table.find(id)).execute(conn)?;
    Ok(())
}

/// Records a failed attempt; the next one waits `retry_in`.
pub fn failed(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_in: Span,
) -> Result<(), DbError> {
    let next: DateTime<Utc> = Utc::now() + retry_in;
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(error.chars().take(500).collect::<String>()),
            mail_outbox::next_attempt_at.eq(next),
        ))
        .execute(conn)?;
    Ok(())
}

/// Mails waiting (due or not).
pub fn backlog(conn: &mut PgConnection) -> Result<i64, DbError> {
    Ok(mail_outbox::table.count().get_result(conn)?)
}
