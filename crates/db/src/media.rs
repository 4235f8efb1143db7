//! Uploaded images: issued with an upload URL, attached to a post (or product, or avatar),
//! processed by the inference worker, and swept when nothing refers to them.
//!
//! Lock order: a post's (product's) row before its images' rows, as deleting one does (its
//! row, then the `post_images` cascade, whose trigger releases the images).

use chrono::{DateTime, Utc};
use diesel::{pg::PgConnection, prelude::*};
use uuid::Uuid;

use crate::{
    schema::{media, post_images, post_tags, posts, product_images, products, users},
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

/// Attaches images to a new product, in order.
pub fn attach_to_product(
    conn: &mut PgConnection,
    product: Uuid,
    ids: &[Uuid],
) -> Result<(), DbError> {
    let rows: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                product_images::product_id.eq(product),
                product_images::position.eq(i16::try_from(i).unwrap_or(i16::MAX)),
                product_images::media_id.eq(*m),
            )
        })
        .collect();
    diesel::insert_into(product_images::table)
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

/// What an image belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A post.
    Post(Uuid),
    /// A product.
    Product(Uuid),
}

/// Something that became visible because its last image is ready.
#[derive(Debug, Clone)]
pub enum Published {
    /// A post.
    Post(crate::posts::PostRow),
    /// A product.
    Product(crate::products::ProductRow),
}

/// A post or product whose status this outcome settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// What was settled.
    pub owner: Owner,
    /// `published` or `failed`.
    pub status: String,
}

/// Records how processing an image ended (once: a repeated message changes nothing) and
/// settles the post or product it belongs to: `published` when all its images are ready,
/// `failed` when one failed; what became visible is queued with what `announce` makes of
/// it, in the same transaction. Returns what changed.
pub fn record(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &Processed,
    announce: impl Fn(&Published) -> Vec<crate::outbox::Message>,
) -> Result<Vec<Settled>, DbError> {
    conn.transaction(|conn| {
        // The owner's row first (see the lock order above).
        let owner = lock_owner(conn, id)?;
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
        let settled = match owner {
            Some(owner) if changed > 0 => settle(conn, owner)?,
            _ => None,
        };
        if let Some(s) = settled.as_ref().filter(|s| s.status == "published") {
            let published = match s.owner {
                Owner::Post(p) => Published::Post(crate::posts::by_id(conn, p, None)?),
                Owner::Product(p) => Published::Product(crate::products::by_id(conn, p)?),
            };
            crate::outbox::push(conn, &announce(&published))?;
        }
        Ok(settled.into_iter().collect())
    })
}

/// Finds and locks the post or product the image belongs to.
fn lock_owner(conn: &mut PgConnection, id: Uuid) -> Result<Option<Owner>, DbError> {
    let post: Option<Uuid> = post_images::table
        .filter(post_images::media_id.eq(id))
        .select(post_images::post_id)
        .first(conn)
        .optional()?;
    if let Some(p) = post {
        return Ok(posts::table
            .find(p)
            .select(posts::id)
            .for_update()
            .first::<Uuid>(conn)
            .optional()?
            .map(Owner::Post));
    }
    let product: Option<Uuid> = product_images::table
        .filter(product_images::media_id.eq(id))
        .select(product_images::product_id)
        .first(conn)
        .optional()?;
    match product {
        Some(p) => Ok(products::table
            .find(p)
            .select(products::id)
            .for_update()
            .first::<Uuid>(conn)
            .optional()?
            .map(Owner::Product)),
        None => Ok(None),
    }
}

/// The status a pending owner moves to, from its images' (position, status, failure).
fn verdict(states: &[(i16, String, Option<String>)]) -> Option<(&'static str, Option<String>)> {
    if let Some((pos, _, why)) = states.iter().find(|(_, s, _)| s == "failed") {
        return Some((
            "failed",
            Some(format!(
                "image {} could not be processed: {}",
                pos + 1,
                why.as_deref().unwrap_or("unknown reason")
            )),
        ));
    }
    states
        .iter()
        .all(|(_, s, _)| s == "ready")
        .then_some(("published", None))
}

/// Publishes or fails a pending post or product from its images' states (its row is locked).
/// It appears in lists from when it is published, not from when it was written.
fn settle(conn: &mut PgConnection, owner: Owner) -> Result<Option<Settled>, DbError> {
    let n = match owner {
        Owner::Post(post) => {
            let states: Vec<(i16, String, Option<String>)> = post_images::table
                .inner_join(media::table)
                .filter(post_images::post_id.eq(post))
                .order(post_images::position)
                .select((post_images::position, media::status, media::failure))
                .load(conn)?;
            let Some((status, failure)) = verdict(&states) else {
                return Ok(None);
            };
            let now = Utc::now();
            let n = diesel::update(posts::table.find(post).filter(posts::status.eq("pending")))
                .set((
                    posts::status.eq(status),
                    posts::failure.eq(failure),
                    (status == "published").then_some(posts::created_at.eq(now)),
                ))
                .execute(conn)?;
            if n > 0 && status == "published" {
                // Tag lists order by the tag row's copy of the publication time.
                diesel::update(post_tags::table.filter(post_tags::post_id.eq(post)))
                    .set(post_tags::created_at.eq(now))
                    .execute(conn)?;
            }
            (n, status)
        }
        Owner::Product(product) => {
            let states: Vec<(i16, String, Option<String>)> = product_images::table
                .inner_join(media::table)
                .filter(product_images::product_id.eq(product))
                .order(product_images::position)
                .select((product_images::position, media::status, media::failure))
                .load(conn)?;
            let Some((status, failure)) = verdict(&states) else {
                return Ok(None);
            };
            let n = diesel::update(
                products::table
                    .find(product)
                    .filter(products::status.eq("pending")),
            )
            .set((
                products::status.eq(status),
                products::failure.eq(failure),
                (status == "published").then_some(products::created_at.eq(Utc::now())),
            ))
            .execute(conn)?;
            (n, status)
        }
    };
    Ok((n.0 > 0).then(|| Settled {
        owner,
        status: n.1.to_owned(),
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

/// An image of a post or product, as lists show it.
#[derive(Debug, Clone, Queryable)]
pub struct PostImage {
    /// The post (or product).
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

/// The images of these products, in order: one statement for a whole page.
pub fn images_of_products(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<PostImage>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(product_images::table
        .inner_join(media::table)
        .filter(product_images::product_id.eq_any(ids))
        .order((product_images::product_id, product_images::position))
        .select((
            product_images::product_id,
            product_images::position,
            media::id,
            media::status,
            media::display_key,
            media::thumbnail_key,
            media::width,
            media::height,
        ))
        .load(conn)?)
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
    Ok(users::table
        .inner_join(media::table.on(users::avatar_media_id.eq(media::id.nullable())))
        .filter(users::id.eq(user))
        .select((
            users::id,
            0i16.into_sql::<diesel::sql_types::SmallInt>(),
            media::id,
            media::status,
            media::display_key,
            media::thumbnail_key,
            media::width,
            media::height,
        ))
        .first(conn)
        .optional()?)
}
