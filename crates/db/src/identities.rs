//! Accounts' identities at an OpenID Connect provider (issuer + subject → account).

use diesel::{pg::PgConnection, prelude::*};
use uuid::Uuid;

use crate::{schema::oidc_identities, DbError};

/// The account linked to `issuer`'s `subject`, if any.
pub fn account_of(
    conn: &mut PgConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<Uuid>, DbError> {
    Ok(oidc_identities::table
        .find((issuer, subject))
        .select(oidc_identities::user_id)
        .first(conn)
        .optional()?)
}

/// Links `issuer`'s `subject` to `user_id` (idempotent for the same account; another account
/// already linked to it is a [`DbError::UniqueViolation`]).
pub fn link(
    conn: &mut PgConnection,
    issuer: &str,
    subject: &str,
    user_id: Uuid,
    email: &str,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        if let Some(existing) = account_of(conn, issuer, subject)? {
            return if existing == user_id {
                Ok(())
            } else {
                Err(DbError::UniqueViolation("oidc_identities_pkey".into()))
            };
        }
        diesel::insert_into(oidc_identities::table)
            .values((
                oidc_identities::issuer.eq(issuer),
                oidc_identities::subject.eq(subject),
                oidc_identities::user_id.eq(user_id),
                oidc_identities::email.eq(email),
            ))
            .execute(conn)?;
        Ok(())
    })
}
