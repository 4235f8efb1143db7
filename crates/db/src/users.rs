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

diesel::define_sql_function! {
    /// SQL `lower(text)`: display names are unique regardless of case.
    #[sql_name = "lower"]
    fn fold_case(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// What [`availability`] is asked about; `None` fields are not checked.
#[derive(Debug, Clone, Default)]
pub struct NameQuery {
    /// A lower-cased username.
    pub username: Option<String>,
    /// A lower-cased e-mail address.
    pub email: Option<String>,
    /// A display name (compared case-insensitively).
    pub display_name: Option<String>,
}

/// Whether each asked name is free (`None` when not asked).
pub type NameAnswer = (Option<bool>, Option<bool>, Option<bool>);

/// Whether each asked name is free: (username, e-mail, display name), one round trip each.
pub fn availability(conn: &mut PgConnection, asked: &NameQuery) -> Result<NameAnswer, DbError> {
    use diesel::dsl::{exists, not, select};
    let username = match &asked.username {
        Some(u) => {
            Some(select(not(exists(users::table.filter(users::username.eq(u))))).get_result(conn)?)
        }
        None => None,
    };
    let email = match &asked.email {
        Some(e) => {
            Some(select(not(exists(users::table.filter(users::email.eq(e))))).get_result(conn)?)
        }
        None => None,
    };
    let display_name = match &asked.display_name {
        Some(d) => Some(
            select(not(exists(
                users::table.filter(fold_case(users::display_name).eq(d.to_lowercase())),
            )))
            .get_result(conn)?,
        ),
        None => None,
    };
    Ok((username, email, display_name))
}

/// Applies a profile change and returns the updated row.
pub fn update_profile(
    conn: &mut PgConnection,
    id: Uuid,
    change: &ProfileChange,
) -> Result<User, DbError> {
    if change.display_name.is_none()
        && change.bio.is_none()
        && change.email.is_none()
        && change.links.is_none()
    {
        return by_id(conn, id);
    }
    conn.transaction(|conn| {
        // A new address is not verified yet.
        if let Some(email) = &change.email {
            diesel::update(users::table.find(id).filter(users::email.ne(email)))
                .set(users::email_verified_at.eq(None::<chrono::DateTime<Utc>>))
                .execute(conn)?;
        }
        Ok(diesel::update(users::table.find(id))
            .set((change, users::updated_at.eq(Utc::now())))
            .returning(User::as_returning())
            .get_result(conn)?)
    })
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
