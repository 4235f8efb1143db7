//! The `emojis` aggregate: results people saved (privately) or shared to the public gallery,
//! their likes, and the per-user "used" history of emoji tasks.
//!
//! `emojis.like_count` is a denormalised count of `emoji_likes`; it only changes in the same
//! transaction as the like row it counts, under the emoji's row lock.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::{
    dsl::AsExprOf,
    expression::SqlLiteral,
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Timestamptz},
};
use moji_common::{Expression, TaskKind, TaskStatus, TemplateId, Visibility};
use uuid::Uuid;

use crate::{
    models::FaceTask,
    schema::{emoji_likes, emojis, face_tasks, users},
    DbError,
};

/// A saved emoji.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = emojis, check_for_backend(diesel::pg::Pg))]
pub struct Emoji {
    /// UUIDv7.
    pub id: Uuid,
    /// The emoji task it was saved from (one emoji per task).
    pub task_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Owner's caption (may be empty).
    pub caption: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// Template.
    pub template: TemplateId,
    /// Expression of the most confident face.
    pub expression: Expression,
    /// Storage key of the composed image.
    pub image_key: String,
    /// Storage key of the thumbnail.
    pub thumbnail_key: String,
    /// Number of likes.
    pub like_count: i32,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
}

/// A new emoji to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = emojis)]
pub struct NewEmoji {
    /// UUIDv7.
    pub id: Uuid,
    /// Source task.
    pub task_id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Caption (validated, ≤ 200 characters).
    pub caption: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// Template.
    pub template: TemplateId,
    /// Main expression.
    pub expression: Expression,
    /// Composed image key.
    pub image_key: String,
    /// Thumbnail key.
    pub thumbnail_key: String,
}

/// An emoji with what the gallery shows of its owner.
#[derive(Debug, Clone, Queryable)]
pub struct EmojiWithOwner {
    /// The emoji.
    pub emoji: Emoji,
    /// Owner's handle.
    pub username: String,
    /// Owner's display name.
    pub display_name: String,
}

/// Outcome of [`insert`].
#[derive(Debug, Clone)]
pub enum Saved {
    /// The emoji was created.
    Created(Box<EmojiWithOwner>),
    /// The task had already been saved as this emoji; nothing changed.
    AlreadySaved(Uuid),
}

/// One page of rows plus the total across all pages.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// This page's rows.
    pub items: Vec<T>,
    /// Rows across all pages.
    pub total: i64,
}

type OwnerColumns = (
    diesel::dsl::AsSelect<Emoji, diesel::pg::Pg>,
    users::username,
    users::display_name,
);

fn with_owner() -> OwnerColumns {
    (Emoji::as_select(), users::username, users::display_name)
}

/// Saves a task's result as an emoji, once per task: a second save (or a race with one)
/// returns [`Saved::AlreadySaved`] with the existing id.
pub fn insert(conn: &mut PgConnection, new: &NewEmoji) -> Result<Saved, DbError> {
    conn.transaction(|conn| {
        let inserted: Option<Uuid> = diesel::insert_into(emojis::table)
            .values(new)
            .on_conflict(emojis::task_id)
            .do_nothing()
            .returning(emojis::id)
            .get_result(conn)
            .optional()?;
        match inserted {
            Some(id) => Ok(Saved::Created(Box::new(by_id(conn, id)?))),
            None => {
                let existing = emojis::table
                    .filter(emojis::task_id.eq(new.task_id))
                    .select(emojis::id)
                    .first(conn)?;
                Ok(Saved::AlreadySaved(existing))
            }
        }
    })
}

/// The emoji with this id and its owner; [`DbError::NotFound`] if there is none.
pub fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<EmojiWithOwner, DbError> {
    Ok(emojis::table
        .inner_join(users::table)
        .filter(emojis::id.eq(id))
        .select(with_owner())
        .first(conn)?)
}

/// Gallery order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest first.
    New,
    /// Most liked first (all time), then newest.
    Popular,
    /// Most likes received since this time first, then newest.
    PopularSince(DateTime<Utc>),
}

/// A gallery row: the emoji, its owner, and the likes it received in the ranking window
/// (all its likes outside a window).
pub type Ranked = (EmojiWithOwner, i64);

/// The type of [`likes_since`].
type LikesSince = SqlLiteral<
    BigInt,
    diesel::expression::UncheckedBind<SqlLiteral<BigInt>, AsExprOf<DateTime<Utc>, Timestamptz>>,
>;

/// Likes `emojis.id` received since `since`: a correlated count over `emoji_likes`.
fn likes_since(since: DateTime<Utc>) -> LikesSince {
    diesel::dsl::sql::<BigInt>(
        "(SELECT COUNT(*) FROM emoji_likes l WHERE l.emoji_id = emojis.id AND l.created_at >= ",
    )
    .bind::<Timestamptz, _>(since)
    .sql(")")
}

/// All of an emoji's likes, as the same type as [`likes_since`].
fn like_count_i64() -> SqlLiteral<BigInt> {
    diesel::dsl::sql::<BigInt>("emojis.like_count::bigint")
}

/// A page of the public gallery in `order`.
pub fn public_page(
    conn: &mut PgConnection,
    order: Order,
    offset: i64,
    limit: i64,
) -> Result<Page<Ranked>, DbError> {
    conn.transaction(|conn| {
        let total = emojis::table
            .filter(emojis::visibility.eq(Visibility::Public))
            .count()
            .get_result(conn)?;
        let public = emojis::table
            .inner_join(users::table)
            .filter(emojis::visibility.eq(Visibility::Public));
        let newest = (emojis::created_at.desc(), emojis::id.desc());
        let items: Vec<(Emoji, String, String, i64)> = match order {
            Order::New => public
                .select((
                    Emoji::as_select(),
                    users::username,
                    users::display_name,
                    like_count_i64(),
                ))
                .order(newest)
                .offset(offset)
                .limit(limit)
                .load(conn)?,
            Order::Popular => public
                .select((
                    Emoji::as_select(),
                    users::username,
                    users::display_name,
                    like_count_i64(),
                ))
                .order((emojis::like_count.desc(), newest.0, newest.1))
                .offset(offset)
                .limit(limit)
                .load(conn)?,
            Order::PopularSince(since) => public
                .select((
                    Emoji::as_select(),
                    users::username,
                    users::display_name,
                    likes_since(since),
                ))
                .order((likes_since(since).desc(), newest.0, newest.1))
                .offset(offset)
                .limit(limit)
                .load(conn)?,
        };
        let items = items
            .into_iter()
            .map(|(emoji, username, display_name, likes)| {
                let row = EmojiWithOwner {
                    emoji,
                    username,
                    display_name,
                };
                (row, likes)
            })
            .collect();
        Ok(Page { items, total })
    })
}

/// A page of one user's emojis, newest first: all of them, or only the public ones.
pub fn user_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    public_only: bool,
    offset: i64,
    limit: i64,
) -> Result<Page<EmojiWithOwner>, DbError> {
    let shown: &[Visibility] = if public_only {
        &[Visibility::Public]
    } else {
        &Visibility::ALL
    };
    let theirs = || {
        emojis::user_id
            .eq(user_id)
            .and(emojis::visibility.eq_any(shown))
    };
    conn.transaction(|conn| {
        let total = emojis::table.filter(theirs()).count().get_result(conn)?;
        let items = emojis::table
            .inner_join(users::table)
            .filter(theirs())
            .select(with_owner())
            .order((emojis::created_at.desc(), emojis::id.desc()))
            .offset(offset)
            .limit(limit)
            .load(conn)?;
        Ok(Page { items, total })
    })
}

/// A page of the emojis `user_id` liked and may still see (public ones and their own),
/// most recently liked first.
pub fn liked_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    offset: i64,
    limit: i64,
) -> Result<Page<EmojiWithOwner>, DbError> {
    let visible = emoji_likes::user_id.eq(user_id).and(
        emojis::visibility
            .eq(Visibility::Public)
            .or(emojis::user_id.eq(user_id)),
    );
    conn.transaction(|conn| {
        let total = emoji_likes::table
            .inner_join(emojis::table)
            .filter(visible)
            .count()
            .get_result(conn)?;
        let items = emoji_likes::table
            .inner_join(emojis::table.inner_join(users::table))
            .filter(visible)
            .select(with_owner())
            .order((emoji_likes::created_at.desc(), emoji_likes::emoji_id.desc()))
            .offset(offset)
            .limit(limit)
            .load(conn)?;
        Ok(Page { items, total })
    })
}

/// Which of `ids` `user_id` has liked.
pub fn liked_among(
    conn: &mut PgConnection,
    user_id: Uuid,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, DbError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let liked: Vec<Uuid> = emoji_likes::table
        .filter(emoji_likes::user_id.eq(user_id))
        .filter(emoji_likes::emoji_id.eq_any(ids))
        .select(emoji_likes::emoji_id)
        .load(conn)?;
    Ok(liked.into_iter().collect())
}

/// Deletes an emoji (its likes go with it); false when there was none.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, DbError> {
    Ok(diesel::delete(emojis::table.find(id)).execute(conn)? > 0)
}

/// Likes (`on`) or unlikes an emoji for `user_id`, idempotently, and returns the new like
/// count. The like row and the count change together under the emoji's row lock.
/// [`DbError::NotFound`] when the emoji does not exist (any more).
pub fn set_like(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    on: bool,
) -> Result<i32, DbError> {
    conn.transaction(|conn| {
        let count: i32 = emojis::table
            .find(id)
            .select(emojis::like_count)
            .for_update()
            .first(conn)?;
        let changed = if on {
            diesel::insert_into(emoji_likes::table)
                .values((
                    emoji_likes::emoji_id.eq(id),
                    emoji_likes::user_id.eq(user_id),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?
        } else {
            diesel::delete(emoji_likes::table.find((id, user_id))).execute(conn)?
        };
        if changed == 0 {
            return Ok(count);
        }
        let delta = if on { 1 } else { -1 };
        Ok(diesel::update(emojis::table.find(id))
            .set(emojis::like_count.eq(emojis::like_count + delta))
            .returning(emojis::like_count)
            .get_result(conn)?)
    })
}

/// One succeeded task of a user, with the emoji saved from it if any.
#[derive(Debug, Clone)]
pub struct DoneTask {
    /// The task (its `result` holds the EmojiResult or ZodiacResult).
    pub task: FaceTask,
    /// The emoji saved from it (emoji tasks).
    pub emoji_id: Option<Uuid>,
}

/// A page of a user's succeeded tasks of `kind` (both kinds when `None`), saved or not,
/// newest first.
pub fn results_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: Option<TaskKind>,
    offset: i64,
    limit: i64,
) -> Result<Page<DoneTask>, DbError> {
    let done = || {
        let mut q = face_tasks::table
            .filter(face_tasks::user_id.eq(user_id))
            .filter(face_tasks::status.eq(TaskStatus::Succeeded))
            .into_boxed::<diesel::pg::Pg>();
        if let Some(kind) = kind {
            q = q.filter(face_tasks::kind.eq(kind));
        }
        q
    };
    conn.transaction(|conn| {
        let total = done().count().get_result(conn)?;
        let tasks: Vec<FaceTask> = done()
            .select(FaceTask::as_select())
            .order((face_tasks::created_at.desc(), face_tasks::id.desc()))
            .offset(offset)
            .limit(limit)
            .load(conn)?;
        let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
        let saved: std::collections::HashMap<Uuid, Uuid> = emojis::table
            .filter(emojis::task_id.eq_any(&ids))
            .select((emojis::task_id, emojis::id))
            .load::<(Uuid, Uuid)>(conn)?
            .into_iter()
            .collect();
        let items = tasks
            .into_iter()
            .map(|task| DoneTask {
                emoji_id: saved.get(&task.id).copied(),
                task,
            })
            .collect();
        Ok(Page { items, total })
    })
}
