//! Login sessions ("families") and refresh-token rotation with reuse detection.

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};
use uuid::Uuid;

use crate::{
    models::{RefreshToken, SessionFamily},
    schema::{refresh_tokens, session_families},
    DbError,
};

/// Starts a session family with its first refresh token.
pub fn start(
    conn: &mut PgConnection,
    family_id: Uuid,
    user_id: Uuid,
    token_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        diesel::insert_into(session_families::table)
            .values((
                session_families::id.eq(family_id),
                session_families::user_id.eq(user_id),
                session_families::created_at.eq(now),
                session_families::last_used_at.eq(now),
            ))
            .execute(conn)?;
        diesel::insert_into(refresh_tokens::table)
            .values(&RefreshToken {
                id: token_id,
                family_id,
                issued_at: now,
                expires_at,
                used_at: None,
            })
            .execute(conn)?;
        Ok(())
    })
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current; it is now used and `new_token_id` replaces it.
    Rotated {
        /// Session family.
        family_id: Uuid,
        /// Owner.
        user_id: Uuid,
    },
    /// The token had already been rotated out: the family is now revoked.
    Reused {
        /// The family that was just revoked.
        family_id: Uuid,
        /// Owner.
        user_id: Uuid,
    },
    /// The family was revoked before (logout, earlier reuse, password change).
    Revoked,
    /// No such token (never minted here, or its account is gone).
    Unknown,
}

/// Rotates `token_id` to `new_token_id` atomically. The token row is locked, so two
/// concurrent refreshes with one token cannot both succeed: the second sees reuse.
pub fn rotate(
    conn: &mut PgConnection,
    token_id: Uuid,
    new_token_id: Uuid,
    new_expires_at: DateTime<Utc>,
) -> Result<Rotation, DbError> {
    conn.transaction(|conn| {
        let row: Option<(RefreshToken, SessionFamily)> = refresh_tokens::table
            .inner_join(session_families::table)
            .filter(refresh_tokens::id.eq(token_id))
            .select((RefreshToken::as_select(), SessionFamily::as_select()))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((token, family)) = row else {
            return Ok(Rotation::Unknown);
        };
        if family.revoked_at.is_some() {
            return Ok(Rotation::Revoked);
        }
        let now = Utc::now();
        if token.used_at.is_some() {
            revoke_family(conn, family.id, "reuse")?;
            return Ok(Rotation::Reused {
                family_id: family.id,
                user_id: family.user_id,
            });
        }
        diesel::update(refresh_tokens::table.find(token.id))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)?;
        diesel::insert_into(refresh_tokens::table)
            .values(&RefreshToken {
                id: new_token_id,
                family_id: family.id,
                issued_at: now,
                expires_at: new_expires_at,
                used_at: None,
            })
            .execute(conn)?;
        diesel::update(session_families::table.find(family.id))
            .set(session_families::last_used_at.eq(now))
            .execute(conn)?;
        Ok(Rotation::Rotated {
            family_id: family.id,
            user_id: family.user_id,
        })
    })
}

/// Revokes one family (idempotent: an already revoked family keeps its first reason).
pub fn revoke_family(
    conn: &mut PgConnection,
    family_id: Uuid,
    reason: &str,
) -> Result<(), DbError> {
    diesel::update(
        session_families::table
            .find(family_id)
            .filter(session_families::revoked_at.is_null()),
    )
    .set((
        session_families::revoked_at.eq(Utc::now()),
        session_families::revoked_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(())
}

/// Revokes every live family of a user except `keep`; returns the ids it revoked.
pub fn revoke_all_for_user(
    conn: &mut PgConnection,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<Vec<Uuid>, DbError> {
    let keep = keep.unwrap_or_default();
    Ok(diesel::update(
        session_families::table
            .filter(session_families::user_id.eq(user_id))
            .filter(session_families::revoked_at.is_null())
            .filter(session_families::id.ne(keep)),
    )
    .set((
        session_families::revoked_at.eq(Utc::now()),
        session_families::revoked_reason.eq(reason),
    ))
    .returning(session_families::id)
    .get_results(conn)?)
}
