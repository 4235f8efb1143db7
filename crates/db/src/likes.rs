//! Liking, the same for emojis, posts and comments: lock the liked row (`FOR NO KEY UPDATE`:
//! likes of one row queue behind each other without blocking foreign-key checks, which take
//! KEY SHARE), insert or delete the like idempotently, and read the count the like table's
//! trigger moved in the same transaction.

use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Integer, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::DbError;

/// A likeable table and its likes table (`<key>, user_id` primary key).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Likeable {
    /// The liked rows (with `id` and `like_count`).
    pub(crate) table: &'static str,
    /// Their likes.
    pub(crate) likes: &'static str,
    /// The likes table's column naming the liked row.
    pub(crate) key: &'static str,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Integer)]
    like_count: i32,
}

/// Likes (`on`) or unlikes row `id` of `what` for `user`, idempotently; returns its like
/// count. [`DbError::NotFound`] if there is no such row.
pub(crate) fn set(
    conn: &mut PgConnection,
    what: Likeable,
    id: Uuid,
    user: Uuid,
    on: bool,
) -> Result<i32, DbError> {
    let Likeable { table, likes, key } = what;
    conn.transaction(|conn| {
        diesel::sql_query(format!(
            "SELECT like_count FROM {table} WHERE id = $1 FOR NO KEY UPDATE"
        ))
        .bind::<SqlUuid, _>(id)
        .get_result::<Count>(conn)?;
        let change = if on {
            format!("INSERT INTO {likes} ({key}, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        } else {
            format!("DELETE FROM {likes} WHERE {key} = $1 AND user_id = $2")
        };
        diesel::sql_query(change)
            .bind::<SqlUuid, _>(id)
            .bind::<SqlUuid, _>(user)
            .execute(conn)?;
        Ok(
            diesel::sql_query(format!("SELECT like_count FROM {table} WHERE id = $1"))
                .bind::<SqlUuid, _>(id)
                .get_result::<Count>(conn)?
                .like_count,
        )
    })
}
