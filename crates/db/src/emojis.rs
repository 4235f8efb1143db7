//! The `emojis` aggregate: results people saved (privately) or shared to the public gallery,
//! and their likes. Pages of them are in [`crate::gallery`].
//!
//! `emojis.like_count` and the totals (`gallery_totals`, `user_emoji_counts`, the ranking
//! windows) are kept by triggers in the same transaction as the rows they count.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};
use moji_common::{Expression, TemplateId, Visibility};
use uuid::Uuid;

use crate::{
    schema::{emoji_likes, emojis, users},
    DbError,
};

/// A saved emoji.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
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
/// count. The emoji's row is locked first, so likes of one emoji queue; the like row's
/// trigger moves `like_count` and every counter that shows the like in the same transaction.
/// [`DbError::NotFound`] when the emoji does not exist (any more).
pub fn set_like(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    on: bool,
) -> Result<i32, DbError> {
    crate::likes::set(
        conn,
        crate::likes::Likeable {
            table: "emojis",
            likes: "emoji_likes",
            key: "emoji_id",
        },
        id,
        user_id,
        on,
    )
}

/// Changes an emoji's caption and/or visibility and returns it; [`DbError::NotFound`] when
/// there is none. Its triggers move the emoji in or out of every total that shows it.
pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    caption: Option<String>,
    visibility: Option<Visibility>,
) -> Result<EmojiWithOwner, DbError> {
    conn.transaction(|conn| {
        let found = diesel::update(emojis::table.find(id))
            .set((
                caption.map(|c| emojis::caption.eq(c)),
                visibility.map(|v| emojis::visibility.eq(v)),
            ))
            .execute(conn)?;
        if found == 0 {
            return Err(DbError::NotFound);
        }
        by_id(conn, id)
    })
}
