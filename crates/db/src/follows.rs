//! Who follows whom: follow and unfollow (idempotent), counts kept by a trigger in the same
//! transaction, and keyset pages of someone's followers and of whom someone follows.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Bool, Text, Timestamptz},
};
use uuid::Uuid;

use crate::{
    keyset::{after_sql, fetched_rows, start_params, Key, Page, Start},
    prepared::{Param, PreparedSql},
    schema::{follows, user_follow_counts},
    DbError,
};

/// Starts `follower` following `followee`; false if they already did. Following oneself is
/// refused by the table ([`DbError::Query`] with a check violation): callers check first.
pub fn follow(conn: &mut PgConnection, follower: Uuid, followee: Uuid) -> Result<bool, DbError> {
    Ok(diesel::insert_into(follows::table)
        .values((
            follows::follower_id.eq(follower),
            follows::followee_id.eq(followee),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?
        > 0)
}

/// Stops `follower` following `followee`; false if they did not.
pub fn unfollow(conn: &mut PgConnection, follower: Uuid, followee: Uuid) -> Result<bool, DbError> {
    Ok(diesel::delete(follows::table.find((follower, followee))).execute(conn)? > 0)
}

/// Whether `follower` follows `followee`.
pub fn follows(conn: &mut PgConnection, follower: Uuid, followee: Uuid) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        follows::table.find((follower, followee)),
    ))
    .get_result(conn)?)
}

/// Someone's follower and following counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FollowCounts {
    /// People who follow them.
    pub followers: i64,
    /// People they follow.
    pub following: i64,
}

/// `user_id`'s counts, from the counter row (zeros when they never took part).
pub fn counts(conn: &mut PgConnection, user_id: Uuid) -> Result<FollowCounts, DbError> {
    let row: Option<(i64, i64)> = user_follow_counts::table
        .find(user_id)
        .select((user_follow_counts::followers, user_follow_counts::following))
        .first(conn)
        .optional()?;
    let (followers, following) = row.unwrap_or_default();
    Ok(FollowCounts {
        followers,
        following,
    })
}

/// One person in a followers or following list.
#[derive(Debug, Clone, QueryableByName)]
pub struct FollowEntry {
    /// Their account id.
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: Uuid,
    /// Handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// When the follow began.
    #[diesel(sql_type = Timestamptz)]
    pub since: DateTime<Utc>,
    /// Whether the viewer follows them.
    #[diesel(sql_type = Bool)]
    pub followed_by_me: bool,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// Which side of the follows table a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The people following the user.
    Followers,
    /// The people the user follows.
    Following,
}

/// A page of `user_id`'s followers or followings, newest follow first, with whether
/// `viewer` follows each of them. [`DbError::BadCursor`] for a key other than [`Key::Time`].
pub fn page(
    conn: &mut PgConnection,
    user_id: Uuid,
    side: Side,
    viewer: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<FollowEntry>, DbError> {
    let (me, them, counter) = match side {
        Side::Followers => ("followee_id", "follower_id", "followers"),
        Side::Following => ("follower_id", "followee_id", "following"),
    };
    if matches!(
        start,
        Start::After(
            Key::Popular { .. } | Key::Window { .. } | Key::Price { .. } | Key::Oldest { .. }
        )
    ) {
        return Err(DbError::BadCursor);
    }
    let cond = after_sql(start, &format!("f.created_at, f.{them}"), 3);
    let offset = match start {
        Start::Offset(n) if n > 0 => " OFFSET $3",
        _ => "",
    };
    let total =
        format!("coalesce((SELECT {counter} FROM user_follow_counts WHERE user_id = $2), 0)");
    let sql = format!(
        "SELECT u.id AS user_id, u.username, u.display_name, f.created_at AS since, \
                EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = $1 AND v.followee_id = u.id) \
                    AS followed_by_me, \
                {total} AS total \
         FROM follows f JOIN users u ON u.id = f.{them} \
         WHERE f.{me} = $2{cond} \
         ORDER BY f.created_at DESC, f.{them} DESC{offset} LIMIT {}",
        fetched_rows(limit)
    );
    let mut query = PreparedSql::new(sql)
        .bind(Param::OptUuid(viewer))
        .bind(Param::Uuid(user_id));
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<FollowEntry> = query.load(conn)?;
    let total = match rows.first() {
        Some(r) => r.total,
        None => {
            let c = counts(conn, user_id)?;
            match side {
                Side::Followers => c.followers,
                Side::Following => c.following,
            }
        }
    };
    Ok(Page::from_rows(rows, limit, total, |r| Key::Time {
        at: r.since,
        id: r.user_id,
    }))
}
