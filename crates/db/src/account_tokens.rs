//! Single-use account tokens sent by mail (password reset, e-mail verification), stored as
//! SHA-256 hashes, and the mails that carry them queued in the same transaction.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Bytea, Text, Timestamptz, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{
    schema::{account_tokens, users},
    DbError,
};

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sets a new password.
    PasswordReset,
    /// Proves the account's e-mail address.
    EmailVerify,
}

impl Purpose {
    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailVerify => "email_verify",
        }
    }
}

/// A token to store: its id, purpose, hash and end.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// UUIDv7.
    pub id: Uuid,
    /// What it is for.
    pub purpose: Purpose,
    /// SHA-256 of the token.
    pub hash: Vec<u8>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// A mail that carries a token (its link is already in the body).
#[derive(Debug, Clone)]
pub struct TokenMail {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// For the account with `email` (if there is one and it is not banned), stores `token` and
/// queues `mail` to that address, in one statement whether or not the account exists (so the
/// answer's time says nothing about it). Returns whether it did.
pub fn issue_for_email(
    conn: &mut PgConnection,
    email: &str,
    token: &NewToken,
    mail: &TokenMail,
) -> Result<bool, DbError> {
    let n = diesel::sql_query(
        "WITH u AS (SELECT id, email FROM users WHERE email = $1 AND banned_at IS NULL),
              t AS (INSERT INTO account_tokens (id, user_id, purpose, token_hash, email, expires_at)
                    SELECT $2, u.id, $3, $4, u.email, $5 FROM u RETURNING email)
         INSERT INTO mail_outbox (to_address, subject, body)
         SELECT t.email, $6, $7 FROM t",
    )
    .bind::<Text, _>(email)
    .bind::<SqlUuid, _>(token.id)
    .bind::<Text, _>(token.purpose.as_str())
    .bind::<Bytea, _>(&token.hash)
    .bind::<Timestamptz, _>(token.expires_at)
    .bind::<Text, _>(&mail.subject)
    .bind::<Text, _>(&mail.body)
    .execute(conn)?;
    Ok(n > 0)
}

/// Uses the unexpired, unused token with `hash` for `purpose`: marks it used and returns
/// its account and the address it was sent to; `None` when there is no such token. Other
/// live tokens of the same account and purpose die with it.
pub fn redeem(
    conn: &mut PgConnection,
    purpose: Purpose,
    hash: &[u8],
) -> Result<Option<(Uuid, String)>, DbError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        let found: Option<(Uuid, String)> = diesel::update(
            account_tokens::table
                .filter(account_tokens::token_hash.eq(hash))
                .filter(account_tokens::purpose.eq(purpose.as_str()))
                .filter(account_tokens::used_at.is_null())
                .filter(account_tokens::expires_at.gt(now)),
        )
        .set(account_tokens::used_at.eq(now))
        .returning((account_tokens::user_id, account_tokens::email))
        .get_result(conn)
        .optional()?;
        if let Some((user_id, _)) = &found {
            diesel::update(
                account_tokens::table
                    .filter(account_tokens::user_id.eq(user_id))
                    .filter(account_tokens::purpose.eq(purpose.as_str()))
                    .filter(account_tokens::used_at.is_null()),
            )
            .set(account_tokens::used_at.eq(now))
            .execute(conn)?;
        }
        Ok(found)
    })
}

/// Marks `user_id`'s e-mail verified if it is still `email`; false otherwise (it changed).
pub fn mark_verified(conn: &mut PgConnection, user_id: Uuid, email: &str) -> Result<bool, DbError> {
    Ok(
        diesel::update(users::table.find(user_id).filter(users::email.eq(email)))
            .set(users::email_verified_at.eq(Utc::now()))
            .execute(conn)?
            > 0,
    )
}

/// When `user_id`'s current address was verified (`None`: not yet).
pub fn verified_at(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<DateTime<Utc>>, DbError> {
    Ok(users::table
        .find(user_id)
        .select(users::email_verified_at)
        .first(conn)?)
}
