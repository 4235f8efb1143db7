//! Uploaded images: issued with an upload URL, attached to a post (or product, or avatar),
//! processed by the inference worker, and swept when nothing refers to them.
//!
//! Lock order: a post's (product's) row before its images' rows, as deleting one does (its
//! row, then the `post_images` cascade, whose trigger releases the images).

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*, sql_types::Uuid as SqlUuid};
use uuid::Uuid;

use crate::{
    schema::{media, users},
    DbError,
};

mod holders;

pub use holders::{
    attach_to_post, attach_to_product, images_of_posts, images_of_products, record, Owner,
    PostImage, Processed, Published, Settled,
};

/// One uploaded image.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    /// Upload id.
    pub id: Uuid,
    /// Who uploaded it.
    pub owner_id: Uuid,
    /// Key of the original.
    pub source_key: String,
    /// Declared content type.
    pub content_type: String,
    /// Declared size.
    pub bytes: i64,
    /// `issued`, `processing`, `ready` or `failed`.
    pub status: String,
    /// Since when something refers to it.
    pub attached_at: Option<DateTime<Utc>>,
    /// When the last reference went.
    pub released_at: Option<DateTime<Utc>>,
    /// Key of the display image (ready).
    pub display_key: Option<String>,
    /// Key of the thumbnail (ready).
    pub thumbnail_key: Option<String>,
    /// Display width.
    pub width: Option<i32>,
    /// Display height.
    pub height: Option<i32>,
    /// Why processing failed.
    pub failure: Option<String>,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// Processed.
    pub processed_at: Option<DateTime<Utc>>,
}

/// A new upload.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// Upload id.
    pub id: Uuid,
    /// Uploader.
    pub owner_id: Uuid,
    /// Key the upload URL writes.
    pub source_key: String,
    /// Declared content type.
    pub content_type: String,
    /// Declared size.
    pub bytes: i64,
}

/// Why an upload could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The person holds `max` uploads nothing refers to.
    #[error("{0} unused uploads already")]
    TooMany(i64),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for IssueError {
    fn from(e: diesel::result::Error) -> Self {
        IssueError::Db(e.into())
    }
}

/// Records a new upload unless its owner already holds `max_unattached` unused ones (the
/// owner's row lock makes the count exact under concurrent requests).
pub fn issue(
    conn: &mut PgConnection,
    new: &NewUpload,
    max_unattached: i64,
) -> Result<MediaRow, IssueError> {
    conn.transaction(|conn| {
        users::table
            .find(new.owner_id)
            .select(users::id)
            .for_no_key_update()
            .first::<Uuid>(conn)
            .map_err(DbError::from)?;
        let held: i64 = media::table
            .filter(media::owner_id.eq(new.owner_id))
            .filter(media::attached_at.is_null())
            .count()
            .get_result(conn)?;
        if held >= max_unattached {
            return Err(IssueError::TooMany(held));
        }
        Ok(diesel::insert_into(media::table)
            .values((
                media::id.eq(new.id),
                media::owner_id.eq(new.owner_id),
                media::source_key.eq(&new.source_key),
                media::content_type.eq(&new.content_type),
                media::bytes.eq(new.bytes),
            ))
            .returning(MediaRow::as_returning())
            .get_result(conn)?)
    })
}

/// The uploads with these source keys (any owner; the caller checks ownership).
pub fn by_keys(conn: &mut PgConnection, keys: &[String]) -> Result<Vec<MediaRow>, DbError> {
    Ok(media::table
        .filter(media::source_key.eq_any(keys))
        .select(MediaRow::as_select())
        .load(conn)?)
}

/// One upload by id.
pub fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<MediaRow, DbError> {
    Ok(media::table
        .find(id)
        .select(MediaRow::as_select())
        .first(conn)?)
}

/// Marks issued uploads as processing (inside the transaction that attaches them); returns
/// how many changed.
pub fn start_processing(conn: &mut PgConnection, ids: &[Uuid]) -> Result<usize, DbError> {
    Ok(diesel::update(
        media::table
            .filter(media::id.eq_any(ids))
            .filter(media::status.eq("issued")),
    )
    .set(media::status.eq("processing"))
    .execute(conn)?)
}

/// Images still processing since before `cutoff` (lost work): at most `limit` ids.
pub fn stuck(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    Ok(media::table
        .filter(media::status.eq("processing"))
        .filter(media::attached_at.lt(cutoff))
        .order(media::attached_at)
        .limit(limit)
        .select(media::id)
        .load(conn)?)
}

/// Deletes up to `limit` uploads nothing refers to: those released, and those issued before
/// `cutoff` and never used. Returns them, so their objects can be deleted after commit.
pub fn sweep(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<MediaRow>, DbError> {
    conn.transaction(|conn| {
        let ids: Vec<Uuid> = media::table
            .filter(media::attached_at.is_null())
            .filter(
                media::released_at
                    .is_not_null()
                    .or(media::created_at.lt(cutoff)),
            )
            .order(media::created_at)
            .limit(limit)
            .select(media::id)
            .for_update()
            .skip_locked()
            .load(conn)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(diesel::delete(
            media::table
                .filter(media::id.eq_any(&ids))
                .filter(media::attached_at.is_null()),
        )
        .returning(MediaRow::as_returning())
        .get_results(conn)?)
    })
}

/// Sets (or, with `None`, removes) a person's avatar, queueing `messages` (the image's
/// processing) in the same transaction; the old avatar is released for the sweep by the
/// users trigger. [`DbError::Conflict`] if the upload is no longer unused.
pub fn set_avatar(
    conn: &mut PgConnection,
    user: Uuid,
    image: Option<Uuid>,
    messages: &[crate::outbox::Message],
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        if let Some(id) = image {
            if start_processing(conn, &[id])? != 1 {
                return Err(DbError::Conflict(
                    "the image was used or removed meanwhile; upload it again".into(),
                ));
            }
        }
        let n = diesel::update(users::table.find(user))
            .set(users::avatar_media_id.eq(image))
            .execute(conn)?;
        if n == 0 {
            return Err(DbError::NotFound);
        }
        crate::outbox::push(conn, messages)
    })
}

/// A person's avatar image (its `post_id` is the person's id), if they have one.
pub fn avatar_of(conn: &mut PgConnection, user: Uuid) -> Result<Option<PostImage>, DbError> {
    Ok(diesel::sql_query(format!(
        "SELECT {cols} FROM users u JOIN media m ON m.id = u.avatar_media_id WHERE u.id = $1",
        cols = holders::image_columns("u.id", "0::smallint")
    ))
    .bind::<SqlUuid, _>(user)
    .get_result(conn)
    .optional()?)
}
