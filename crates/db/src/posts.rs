//! Posts of the market SNS: write, read, edit, delete, like, and the lists (latest, by
//! author, by tag, and the feed of the people one follows), each a keyset page in one
//! prepared statement with authors and the viewer's likes.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Array, BigInt, Bool, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{
    keyset::{after_sql, fetched_rows, start_params, Key, Page, Start},
    media, outbox,
    prepared::{Param, PreparedSql},
    schema::{post_tags, posts, user_post_counts},
    DbError,
};

/// A post with its author and whether the viewer likes it.
#[derive(Debug, Clone, QueryableByName)]
pub struct PostRow {
    /// UUIDv7.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Author's account.
    #[diesel(sql_type = SqlUuid)]
    pub author_id: Uuid,
    /// Author's handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Author's display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// Title.
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Text (≤ 2,000 characters).
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Tags (a CHECK keeps NULLs out).
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub tags: Vec<Option<String>>,
    /// `pending`, `published` or `failed`.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Why a `failed` post failed.
    #[diesel(sql_type = Nullable<Text>)]
    pub failure: Option<String>,
    /// Likes.
    #[diesel(sql_type = Int4)]
    pub like_count: i32,
    /// Views (once per viewer per hour).
    #[diesel(sql_type = BigInt)]
    pub view_count: i64,
    /// Comments, replies included.
    #[diesel(sql_type = Int4)]
    pub comment_count: i32,
    /// Whether the viewer likes it.
    #[diesel(sql_type = Bool)]
    pub liked_by_me: bool,
    /// Written.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Last edited.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl PostRow {
    /// The tags.
    pub fn tags(&self) -> Vec<String> {
        self.tags.iter().flatten().cloned().collect()
    }
}

/// A new post (fields validated by the caller).
#[derive(Debug, Clone)]
pub struct NewPost {
    /// UUIDv7.
    pub id: Uuid,
    /// Author.
    pub author_id: Uuid,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Distinct tags, lower-case.
    pub tags: Vec<String>,
    /// Uploads to attach, in order (checked by the caller: the author's, issued, unused).
    /// With images the post is `pending` until they are processed.
    pub images: Vec<Uuid>,
}

/// A change to a post; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct PostChange {
    /// New title.
    pub title: Option<String>,
    /// New text.
    pub body: Option<String>,
    /// New tags (replacing all).
    pub tags: Option<Vec<String>>,
}

/// The columns of a [`PostRow`] of `posts p` (with [`JOINS`]); also used by the comments
/// module's list of posts someone liked.
pub(crate) const ROW: &str = "p.id, p.author_id, u.username, u.display_name, p.title, p.body, \
    p.tags, p.status, p.failure, p.like_count, p.view_count, p.comment_count, \
    (ml.hit IS NOT NULL) AS liked_by_me, p.created_at, p.updated_at";
/// The author and whether viewer `$1` likes the post.
pub(crate) const JOINS: &str = "JOIN users u ON u.id = p.author_id \
    LEFT JOIN LATERAL (SELECT 1 AS hit FROM post_likes l1 \
                       WHERE l1.post_id = p.id AND l1.user_id = $1 LIMIT 1) ml ON true";

fn write_tags(
    conn: &mut PgConnection,
    post: Uuid,
    at: DateTime<Utc>,
    tags: &[String],
) -> Result<(), DbError> {
    diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post))).execute(conn)?;
    let rows: Vec<_> = tags
        .iter()
        .map(|t| {
            (
                post_tags::tag.eq(t),
                post_tags::post_id.eq(post),
                post_tags::created_at.eq(at),
            )
        })
        .collect();
    diesel::insert_into(post_tags::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

/// Writes a post, its tags and its images, and queues the messages `announce` makes of it in
/// the same transaction.
/// Without images it is published at once; with images it is `pending` and they start
/// processing ([`DbError::Conflict`] if one is no longer an unused upload).
pub fn create(
    conn: &mut PgConnection,
    new: &NewPost,
    announce: impl FnOnce(&PostRow) -> Vec<outbox::Message>,
) -> Result<PostRow, DbError> {
    conn.transaction(|conn| {
        let status = if new.images.is_empty() {
            "published"
        } else {
            "pending"
        };
        let at: DateTime<Utc> = diesel::insert_into(posts::table)
            .values((
                posts::id.eq(new.id),
                posts::author_id.eq(new.author_id),
                posts::title.eq(&new.title),
                posts::body.eq(&new.body),
                posts::tags.eq(new.tags.iter().cloned().map(Some).collect::<Vec<_>>()),
                posts::status.eq(status),
            ))
            .returning(posts::created_at)
            .get_result(conn)?;
        write_tags(conn, new.id, at, &new.tags)?;
        if !new.images.is_empty() {
            if media::start_processing(conn, &new.images)? != new.images.len() {
                return Err(DbError::Conflict(
                    "an image was used or removed meanwhile; upload it again".into(),
                ));
            }
            media::attach_to_post(conn, new.id, &new.images)?;
        }
        let row = by_id(conn, new.id, Some(new.author_id))?;
        outbox::push(conn, &announce(&row))?;
        Ok(row)
    })
}

/// The post with this id as `viewer` sees it; [`DbError::NotFound`] if there is none.
pub fn by_id(conn: &mut PgConnection, id: Uuid, viewer: Option<Uuid>) -> Result<PostRow, DbError> {
    PreparedSql::new(format!("SELECT {ROW} FROM posts p {JOINS} WHERE p.id = $2"))
        .bind(Param::OptUuid(viewer))
        .bind(Param::Uuid(id))
        .get_result(conn)
        .map_err(DbError::from)
}

/// Adds buffered view counts, all in one statement (posts deleted meanwhile are skipped).
pub fn add_views(conn: &mut PgConnection, views: &[(Uuid, i64)]) -> Result<usize, DbError> {
    if views.is_empty() {
        return Ok(0);
    }
    let mut sorted = views.to_vec();
    // One order for every writer of these rows.
    sorted.sort_by_key(|(id, _)| *id);
    let (ids, counts): (Vec<Uuid>, Vec<i64>) = sorted.into_iter().unzip();
    Ok(diesel::sql_query(
        "UPDATE posts p SET view_count = p.view_count + v.n \
         FROM unnest($1::uuid[], $2::bigint[]) AS v(id, n) WHERE p.id = v.id",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<BigInt>, _>(counts)
    .execute(conn)?)
}

/// Applies a change and returns the post, queueing what `announce` makes of it;
/// [`DbError::NotFound`] if there is none.
pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    change: &PostChange,
    viewer: Uuid,
    announce: impl FnOnce(&PostRow) -> Vec<outbox::Message>,
) -> Result<PostRow, DbError> {
    conn.transaction(|conn| {
        let at: DateTime<Utc> = diesel::update(posts::table.find(id))
            .set((
                change.title.as_ref().map(|t| posts::title.eq(t)),
                change.body.as_ref().map(|b| posts::body.eq(b)),
                change
                    .tags
                    .as_ref()
                    .map(|t| posts::tags.eq(t.iter().cloned().map(Some).collect::<Vec<_>>())),
                posts::updated_at.eq(Utc::now()),
            ))
            .returning(posts::created_at)
            .get_result(conn)?;
        if let Some(tags) = &change.tags {
            write_tags(conn, id, at, tags)?;
        }
        let row = by_id(conn, id, Some(viewer))?;
        outbox::push(conn, &announce(&row))?;
        Ok(row)
    })
}

/// Deletes a post (its likes, tags, comments and image references go with it; the images are
/// swept) and queues what `announce` makes of the deleted row; false when there was none.
pub fn delete(
    conn: &mut PgConnection,
    id: Uuid,
    announce: impl FnOnce(&PostRow) -> Vec<outbox::Message>,
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let row = match by_id(conn, id, None) {
            Ok(row) => row,
            Err(DbError::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        diesel::delete(posts::table.find(id)).execute(conn)?;
        outbox::push(conn, &announce(&row))?;
        Ok(true)
    })
}

/// Likes (`on`) or unlikes a post, idempotently; returns the like count. The like trigger
/// moves the count in the same transaction.
pub fn set_like(conn: &mut PgConnection, id: Uuid, user: Uuid, on: bool) -> Result<i32, DbError> {
    crate::likes::set(
        conn,
        crate::likes::Likeable {
            table: "posts",
            likes: "post_likes",
            key: "post_id",
        },
        id,
        user,
        on,
    )
}

/// How many published posts `user` has.
pub fn count_of(conn: &mut PgConnection, user: Uuid) -> Result<i64, DbError> {
    Ok(user_post_counts::table
        .find(user)
        .select(user_post_counts::posts)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Which list of posts.
#[derive(Debug, Clone)]
pub enum Listing {
    /// Everyone's, newest first.
    Latest,
    /// One author's.
    By(Uuid),
    /// All of one author's, pending and failed ones too (for the author).
    Mine(Uuid),
    /// Posts with this tag.
    Tagged(String),
    /// The feed of this person: theirs and the people they follow.
    FeedOf(Uuid),
}

/// A page of posts, newest first, as `viewer` sees them. Pages start at the top or after a
/// [`Key::Time`] (an offset only for the first page). The feed merges each followed
/// author's newest posts (one index walk per author, at most a page each).
pub fn page(
    conn: &mut PgConnection,
    listing: &Listing,
    viewer: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<PostRow>, DbError> {
    let n = fetched_rows(limit);
    let (cols, from, filter, order) = match listing {
        Listing::Latest => (
            "p.created_at, p.id",
            "posts p".to_owned(),
            "p.status = 'published'",
            "p.created_at DESC, p.id DESC",
        ),
        Listing::By(_) => (
            "p.created_at, p.id",
            "posts p".to_owned(),
            "p.author_id = $2 AND p.status = 'published'",
            "p.created_at DESC, p.id DESC",
        ),
        Listing::Mine(_) => (
            "p.created_at, p.id",
            "posts p".to_owned(),
            "p.author_id = $2",
            "p.created_at DESC, p.id DESC",
        ),
        Listing::Tagged(_) => (
            "t.created_at, t.post_id",
            "post_tags t JOIN posts p ON p.id = t.post_id".to_owned(),
            "t.tag = $2 AND p.status = 'published'",
            "t.created_at DESC, t.post_id DESC",
        ),
        Listing::FeedOf(_) => (
            "p.created_at, p.id",
            String::new(),
            "",
            "p.created_at DESC, p.id DESC",
        ),
    };
    let cond = match start {
        Start::Offset(0) => String::new(),
        Start::After(Key::Time { .. }) => after_sql(start, cols, 3),
        // Feeds page by cursor only (bounded walk per author).
        _ => return Err(DbError::BadCursor),
    };
    // The page's ids are chosen first, reading only the index columns; authors and the
    // viewer's likes are then joined to those rows alone, not to every candidate.
    let top = match listing {
        Listing::FeedOf(_) => {
            let inner_cond = cond.replace("p.created_at, p.id", "q.created_at, q.id");
            format!(
                "SELECT q.id FROM \
                   (SELECT $2::uuid AS a UNION ALL \
                    SELECT followee_id FROM follows WHERE follower_id = $2) authors \
                 CROSS JOIN LATERAL (SELECT q.id, q.created_at FROM posts q \
                    WHERE q.author_id = authors.a AND q.status = 'published'{inner_cond} \
                    ORDER BY q.created_at DESC, q.id DESC LIMIT {n}) q \
                 ORDER BY q.created_at DESC, q.id DESC LIMIT {n}"
            )
        }
        Listing::Tagged(_) => format!(
            "SELECT t.post_id AS id FROM {from} WHERE {filter}{cond} ORDER BY {order} LIMIT {n}"
        ),
        _ => format!("SELECT p.id FROM {from} WHERE {filter}{cond} ORDER BY {order} LIMIT {n}"),
    };
    // A tag row carries its post's publication time, so one outer order fits every list.
    let sql = format!(
        "SELECT {ROW} FROM ({top}) top JOIN posts p ON p.id = top.id {JOINS} \
         ORDER BY p.created_at DESC, p.id DESC"
    );
    let param = match listing {
        Listing::Latest => Param::OptUuid(None),
        Listing::By(u) | Listing::Mine(u) | Listing::FeedOf(u) => Param::Uuid(*u),
        Listing::Tagged(t) => Param::String(t.clone()),
    };
    let mut query = PreparedSql::new(sql)
        .bind(Param::OptUuid(viewer))
        .bind(param);
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<PostRow> = query.load(conn)?;
    // Only an author's posts have a kept total; the other lists are feeds without one.
    let total = match listing {
        Listing::By(u) => count_of(conn, *u)?,
        _ => 0,
    };
    Ok(Page::from_rows(rows, limit, total, |p| Key::Time {
        at: p.created_at,
        id: p.id,
    }))
}
