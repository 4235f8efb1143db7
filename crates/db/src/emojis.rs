//! The `emojis` aggregate: results people saved (privately) or shared to the public gallery,
//! their likes, and the per-user "used" history of emoji tasks.
//!
//! `emojis.like_count` is a denormalised count of `emoji_likes`; it only changes in the same
//! transaction as the like row it counts, under the emoji's row lock.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};
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
    /// `public` or `private`.
    pub visibility: String,
    /// Template id.
    pub template: String,
    /// Expression of the most confident face.
    pub expression: String,
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
    /// `public` or `private`.
    pub visibility: String,
    /// Template id.
    pub template: String,
    /// Main expression.
    pub expression: String,
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

/// Gallery order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    New,
    /// Most liked first, then newest.
    Popular,
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

/// The id of the emoji saved from `task_id`, if any.
pub fn id_for_task(conn: &mut PgConnection, task_id: Uuid) -> Result<Option<Uuid>, DbError> {
    Ok(emojis::table
        .filter(emojis::task_id.eq(task_id))
        .select(emojis::id)
        .first(conn)
        .optional()?)
}

/// A page of the public gallery.
pub fn public_page(
    conn: &mut PgConnection,
    sort: Sort,
    offset: i64,
    limit: i64,
) -> Result<Page<EmojiWithOwner>, DbError> {
    conn.transaction(|conn| {
        let total = emojis::table
            .filter(emojis::visibility.eq("public"))
            .count()
            .get_result(conn)?;
        let query = emojis::table
            .inner_join(users::table)
            .filter(emojis::visibility.eq("public"))
            .select(with_owner())
            .offset(offset)
            .limit(limit);
        let items = match sort {
            Sort::New => query
                .order((emojis::created_at.desc(), emojis::id.desc()))
                .load(conn)?,
            Sort::Popular => query
                .order((
                    emojis::like_count.desc(),
                    emojis::created_at.desc(),
                    emojis::id.desc(),
                ))
                .load(conn)?,
        };
        Ok(Page { items, total })
    })
}

/// A page of one user's emojis (public and private), newest first.
pub fn user_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    offset: i64,
    limit: i64,
) -> Result<Page<EmojiWithOwner>, DbError> {
    conn.transaction(|conn| {
        let total = emojis::table
            .filter(emojis::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        let items = emojis::table
            .inner_join(users::table)
            .filter(emojis::user_id.eq(user_id))
            .select(with_owner())
            .order((emojis::created_at.desc(), emojis::id.desc()))
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

/// One succeeded emoji task of a user, with the emoji saved from it if any.
#[derive(Debug, Clone)]
pub struct UsedTask {
    /// The task (its `result` holds the EmojiResult).
    pub task: FaceTask,
    /// The emoji saved from it.
    pub emoji_id: Option<Uuid>,
}

/// A page of a user's succeeded emoji tasks, saved or not, newest first.
pub fn used_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    offset: i64,
    limit: i64,
) -> Result<Page<UsedTask>, DbError> {
    conn.transaction(|conn| {
        let mine = face_tasks::user_id
            .eq(user_id)
            .and(face_tasks::kind.eq("emoji"))
            .and(face_tasks::status.eq("succeeded"));
        let total = face_tasks::table.filter(mine).count().get_result(conn)?;
        let rows: Vec<(FaceTask, Option<Uuid>)> = face_tasks::table
            .left_join(emojis::table)
            .filter(mine)
            .select((FaceTask::as_select(), emojis::id.nullable()))
            .order((face_tasks::created_at.desc(), face_tasks::id.desc()))
            .offset(offset)
            .limit(limit)
            .load(conn)?;
        let items = rows
            .into_iter()
            .map(|(task, emoji_id)| UsedTask { task, emoji_id })
            .collect();
        Ok(Page { items, total })
    })
}
