//! Queries on the `users` aggregate.

use chrono::Utc;
use diesel::{pg::PgConnection, prelude::*};
use uuid::Uuid;

use crate::{
    models::{NewUser, ProfileChange, User},
    schema::users,
    DbError,
};

/// Inserts an account; a taken username or e-mail surfaces as [`DbError::UniqueViolation`]
/// naming `users_username_key` or `users_email_key`.
pub fn insert(conn: &mut PgConnection, new: &NewUser) -> Result<User, DbError> {
    Ok(diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)?)
}

/// The account with this id.
pub fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<User, DbError> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)?)
}

/// The account with this (lower-case) username.
pub fn by_username(conn: &mut PgConnection, username: &str) -> Result<User, DbError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)?)
}

/// The account whose username or e-mail equals `login` (already lower-cased).
pub fn by_login(conn: &mut PgConnection, login: &str) -> Result<Option<User>, DbError> {
    Ok(users::table
        .filter(users::username.eq(login).or(users::email.eq(login)))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Whether a username and an e-mail are free, in one round trip each.
pub fn availability(
    conn: &mut PgConnection,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<(Option<bool>, Option<bool>), DbError> {
    use diesel::dsl::{exists, select};
    let username_free = match username {
        Some(u) => Some(
            !select(exists(users::table.filter(users::username.eq(u)))).get_result::<bool>(conn)?,
        ),
        None => None,
    };
    let email_free = match email {
        Some(e) => Some(
            !select(exists(users::table.filter(users::email.eq(e)))).get_result::<bool>(conn)?,
        ),
        None => None,
    };
    Ok((username_free, email_free))
}

/// Applies a profile change and returns the updated row.
pub fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    change: &ProfileChange,
) -> Result<User, DbError> {
    if change.display_name.is_none() && change.bio.is_none() && change.email.is_none() {
        return by_id(conn, id);
    }
    Ok(diesel::update(users::table.find(id))
        .set((change, users::updated_at.eq(Utc::now())))
        .returning(User::as_returning())
        .get_result(conn)?)
}

/// Replaces the password hash.
pub fn set_password_hash(conn: &mut PgConnection, id: Uuid, hash: &str) -> Result<(), DbError> {
    let n = diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Sets the role (`user` or `admin`).
pub fn set_role(conn: &mut PgConnection, id: Uuid, role: &str) -> Result<(), DbError> {
    let n = diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::updated_at.eq(Utc::now())))
        .execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Deletes the account; sessions and tokens go with it (ON DELETE CASCADE).
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    let n = diesel::delete(users::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}
