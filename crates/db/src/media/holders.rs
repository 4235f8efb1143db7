//! What holds images — posts and products through their images tables — and how the
//! outcome of processing settles them. One shape for both tables, named by a [`Holder`].

use chrono::Utc;
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Array, Int4, Nullable, SmallInt, Text, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{schema::media, DbError};

/// Attaches images to a new post, in order (the post row exists in this transaction).
pub fn attach_to_post(conn: &mut PgConnection, post: Uuid, ids: &[Uuid]) -> Result<(), DbError> {
    attach(conn, Owner::Post(post), ids)
}

/// Attaches images to a new product, in order.
pub fn attach_to_product(
    conn: &mut PgConnection,
    product: Uuid,
    ids: &[Uuid],
) -> Result<(), DbError> {
    attach(conn, Owner::Product(product), ids)
}

fn attach(conn: &mut PgConnection, owner: Owner, ids: &[Uuid]) -> Result<(), DbError> {
    let (h, id) = owner.parts();
    diesel::sql_query(format!(
        "INSERT INTO {images} ({key}, position, media_id) \
         SELECT $1, (t.n - 1)::smallint, t.media FROM unnest($2::uuid[]) WITH ORDINALITY AS t(media, n)",
        images = h.images,
        key = h.key
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Array<SqlUuid>, _>(ids)
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

impl Owner {
    fn parts(self) -> (Holder, Uuid) {
        match self {
            Owner::Post(id) => (POSTS, id),
            Owner::Product(id) => (PRODUCTS, id),
        }
    }
}

/// A table whose rows hold images through an images table (`post_images`, `product_images`).
#[derive(Clone, Copy)]
struct Holder {
    table: &'static str,
    images: &'static str,
    key: &'static str,
    owner: fn(Uuid) -> Owner,
}

const POSTS: Holder = Holder {
    table: "posts",
    images: "post_images",
    key: "post_id",
    owner: Owner::Post,
};
const PRODUCTS: Holder = Holder {
    table: "products",
    images: "product_images",
    key: "product_id",
    owner: Owner::Product,
};

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[derive(QueryableByName)]
struct ImageState {
    #[diesel(sql_type = SmallInt)]
    position: i16,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    failure: Option<String>,
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
    for h in [POSTS, PRODUCTS] {
        let found: Option<IdRow> = diesel::sql_query(format!(
            "SELECT o.id FROM {images} i JOIN {table} o ON o.id = i.{key} \
             WHERE i.media_id = $1 FOR UPDATE OF o",
            images = h.images,
            table = h.table,
            key = h.key
        ))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()?;
        if let Some(row) = found {
            return Ok(Some((h.owner)(row.id)));
        }
    }
    Ok(None)
}

/// The status a pending owner moves to, from its images' (position, status, failure).
fn verdict(states: &[ImageState]) -> Option<(&'static str, Option<String>)> {
    if let Some(failed) = states.iter().find(|s| s.status == "failed") {
        return Some((
            "failed",
            Some(format!(
                "image {} could not be processed: {}",
                failed.position + 1,
                failed.failure.as_deref().unwrap_or("unknown reason")
            )),
        ));
    }
    states
        .iter()
        .all(|s| s.status == "ready")
        .then_some(("published", None))
}

/// Publishes or fails a pending post or product from its images' states (its row is locked).
/// It appears in lists from when it is published, not from when it was written.
fn settle(conn: &mut PgConnection, owner: Owner) -> Result<Option<Settled>, DbError> {
    let (h, id) = owner.parts();
    let states: Vec<ImageState> = diesel::sql_query(format!(
        "SELECT i.position, m.status, m.failure FROM {images} i JOIN media m ON m.id = i.media_id \
         WHERE i.{key} = $1 ORDER BY i.position",
        images = h.images,
        key = h.key
    ))
    .bind::<SqlUuid, _>(id)
    .load(conn)?;
    let Some((status, failure)) = verdict(&states) else {
        return Ok(None);
    };
    let n = diesel::sql_query(format!(
        "UPDATE {table} SET status = $2, failure = $3, \
         created_at = CASE WHEN $2 = 'published' THEN now() ELSE created_at END \
         WHERE id = $1 AND status = 'pending'",
        table = h.table
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(status)
    .bind::<Nullable<Text>, _>(failure)
    .execute(conn)?;
    if n > 0 && status == "published" && matches!(owner, Owner::Post(_)) {
        // Tag lists order by the tag row's copy of the publication time.
        diesel::sql_query(
            "UPDATE post_tags t SET created_at = p.created_at FROM posts p \
             WHERE p.id = $1 AND t.post_id = p.id",
        )
        .bind::<SqlUuid, _>(id)
        .execute(conn)?;
    }
    Ok((n > 0).then(|| Settled {
        owner,
        status: status.to_owned(),
    }))
}

/// An image of a post or product, as lists show it.
#[derive(Debug, Clone, QueryableByName)]
pub struct PostImage {
    /// The post (or product, or the person of an avatar).
    #[diesel(sql_type = SqlUuid)]
    pub post_id: Uuid,
    /// Position (0-based).
    #[diesel(sql_type = SmallInt)]
    pub position: i16,
    /// The upload.
    #[diesel(sql_type = SqlUuid)]
    pub media_id: Uuid,
    /// Its state.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Display key (ready).
    #[diesel(sql_type = Nullable<Text>)]
    pub display_key: Option<String>,
    /// Thumbnail key (ready).
    #[diesel(sql_type = Nullable<Text>)]
    pub thumbnail_key: Option<String>,
    /// Display width.
    #[diesel(sql_type = Nullable<Int4>)]
    pub width: Option<i32>,
    /// Display height.
    #[diesel(sql_type = Nullable<Int4>)]
    pub height: Option<i32>,
}

/// The columns of a [`PostImage`] of `media m`, its holder's id given as `owner`.
pub(super) fn image_columns(owner: &str, position: &str) -> String {
    format!(
        "{owner} AS post_id, {position} AS position, m.id AS media_id, m.status, \
         m.display_key, m.thumbnail_key, m.width, m.height"
    )
}

/// The images of these posts, in order: one statement for a whole page.
pub fn images_of_posts(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<PostImage>, DbError> {
    images_of(conn, POSTS, ids)
}

/// The images of these products, in order: one statement for a whole page.
pub fn images_of_products(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<PostImage>, DbError> {
    images_of(conn, PRODUCTS, ids)
}

fn images_of(conn: &mut PgConnection, h: Holder, ids: &[Uuid]) -> Result<Vec<PostImage>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::sql_query(format!(
        "SELECT {cols} FROM {images} i JOIN media m ON m.id = i.media_id \
         WHERE i.{key} = ANY($1) ORDER BY i.{key}, i.position",
        cols = image_columns(&format!("i.{}", h.key), "i.position"),
        images = h.images,
        key = h.key
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)?)
}
