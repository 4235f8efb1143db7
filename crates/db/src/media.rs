//! Uploaded images: issued with an upload URL, attached to a post (or product, or avatar),
//! processed by the inference worker, and swept when nothing refers to them.
//!
//! Lock order: a post's row before its images' rows, as deleting a post does (the post row,
//! then the `post_images` cascade, whose trigger releases the images).

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};
use uuid::Uuid;

use crate::{
    schema::{media, post_images, posts, users},
    DbError,
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

/// Attaches images to a new post, in order (the post row exists in this transaction).
pub fn attach_to_post(conn: &mut PgConnection, post: Uuid, ids: &[Uuid]) -> Result<(), DbError> {
    let rows: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                post_images::post_id.eq(post),
                post_images::position.eq(i16::try_from(i).unwrap_or(i16::MAX)),
                post_images::media_id.eq(*m),
            )
        })
        .collect();
    diesel::insert_into(post_images::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

/// What processing produced.
#[derive(Debug, Clone)]
pub enum Processed {
    /// Both images stored.
    Ready {
        /// Display image key.
        display_key: String,
        /// Thumbnail key.
        thumbnail_key: String,
        /// Display size (the thumbnail has the same proportions).
        size: (i32, i32),
    },
    /// It cannot be an image.
    Failed(String),
}

/// A post whose status this outcome settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The post.
    pub post_id: Uuid,
    /// `published` or `failed`.
    pub status: String,
}

/// Records how processing an image ended (once: a repeated message changes nothing) and
/// settles the post it belongs to: `published` when all its images are ready, `failed` when
/// one failed; a post that became visible is queued with what `announce` makes of it, in the
/// same transaction. Returns the posts that changed.
pub fn record(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &Processed,
    announce: impl Fn(&crate::posts::PostRow) -> Vec<crate::outbox::Message>,
) -> Result<Vec<Settled>, DbError> {
    conn.transaction(|conn| {
        let post: Option<Uuid> = post_images::table
            .filter(post_images::media_id.eq(id))
            .select(post_images::post_id)
            .first(conn)
            .optional()?;
        // The post's row first (see the lock order above).
        let post = match post {
            Some(p) => posts::table
                .find(p)
                .select(posts::id)
                .for_update()
                .first::<Uuid>(conn)
                .optional()?,
            None => None,
        };
        let now = Utc::now();
        let changed = match outcome {
            Processed::Ready {
                display_key,
                thumbnail_key,
                size,
            } => diesel::update(media::table.find(id).filter(media::status.eq("processing")))
                .set((
                    media::status.eq("ready"),
                    media::display_key.eq(display_key),
                    media::thumbnail_key.eq(thumbnail_key),
                    media::width.eq(size.0),
                    media::height.eq(size.1),
                    media::processed_at.eq(now),
                ))
                .execute(conn)?,
            Processed::Failed(why) => {
                diesel::update(media::table.find(id).filter(media::status.eq("processing")))
                    .set((
                        media::status.eq("failed"),
                        media::failure.eq(why),
                        media::processed_at.eq(now),
                    ))
                    .execute(conn)?
            }
        };
        let settled: Vec<Settled> = match post {
            Some(post) if changed > 0 => settle_post(conn, post)?.into_iter().collect(),
            _ => Vec::new(),
        };
        for s in settled.iter().filter(|s| s.status == "published") {
            let row = crate::posts::by_id(conn, s.post_id, None)?;
            crate::outbox::push(conn, &announce(&row))?;
        }
        Ok(settled)
    })
}

/// Publishes or fails a pending post from its images' states (its row is locked).
fn settle_post(conn: &mut PgConnection, post: Uuid) -> Result<Option<Settled>, DbError> {
    let states: Vec<(i16, String, Option<String>)> = post_images::table
        .inner_join(media::table)
        .filter(post_images::post_id.eq(post))
        .order(post_images::position)
        .select((post_images::position, media::status, media::failure))
        .load(conn)?;
    let failed = states.iter().find(|(_, s, _)| s == "failed");
    let (status, failure) = match failed {
        Some((pos, _, why)) => (
            "failed",
            Some(format!(
                "image {} could not be processed: {}",
                pos + 1,
                why.as_deref().unwrap_or("unknown reason")
            )),
        ),
        None if states.iter().all(|(_, s, _)| s == "ready") => ("published", None),
        None => return Ok(None),
    };
    let n = diesel::update(posts::table.find(post).filter(posts::status.eq("pending")))
        .set((
            posts::status.eq(status),
            posts::failure.eq(failure),
            // A post appears in lists when it is published, not when it was written.
            (status == "published").then_some(posts::created_at.eq(Utc::now())),
        ))
        .execute(conn)?;
    Ok((n > 0).then(|| Settled {
        post_id: post,
        status: status.to_owned(),
    }))
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

/// An image of a post, as lists show it.
#[derive(Debug, Clone, Queryable)]
pub struct PostImage {
    /// The post.
    pub post_id: Uuid,
    /// Position (0-based).
    pub position: i16,
    /// The upload.
    pub media_id: Uuid,
    /// Its state.
    pub status: String,
    /// Display key (ready).
    pub display_key: Option<String>,
    /// Thumbnail key (ready).
    pub thumbnail_key: Option<String>,
    /// Display width.
    pub width: Option<i32>,
    /// Display height.
    pub height: Option<i32>,
}

/// The images of these posts, in order: one statement for a whole page.
pub fn images_of_posts(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<PostImage>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(post_images::table
        .inner_join(media::table)
        .filter(post_images::post_id.eq_any(ids))
        .order((post_images::post_id, post_images::position))
        .select((
            post_images::post_id,
            post_images::position,
            media::id,
            media::status,
            media::display_key,
            media::thumbnail_key,
            media::width,
            media::height,
        ))
        .load(conn)?)
}
