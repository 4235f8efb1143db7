//! Comments on posts and replies to them (one level deep), their likes, and the lists that go
//! with them: a post's top-level comments and a comment's replies (oldest first: a
//! conversation reads top-down), someone's comments, who liked a post or a comment, and the
//! posts someone liked. Each page is one prepared statement with the authors and the viewer's
//! likes joined in, plus at most one counter read. The counters are kept by triggers; writers
//! here follow the lock order written down in migration 000011 (the post row before its
//! comments, people's counters last).
//!
//! A post's comments are visible to whoever may see the post: anyone once it is published,
//! only its author before (the lists and [`CommentOnPost::visible_to`] apply that rule).

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Bool, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{
    keyset::{fetched_rows, start_params, start_sql, Key, Page, Start},
    posts::{self, PostRow},
    prepared::{Param, PreparedSql},
    schema::{comments, posts as posts_table, user_comment_counts},
    DbError,
};

/// Longest comment, in characters (the table's CHECK says the same).
pub const TEXT_MAX_CHARS: usize = 1_000;

/// A comment with its author and whether the viewer likes it.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommentRow {
    /// UUIDv7.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The post it is on.
    #[diesel(sql_type = SqlUuid)]
    pub post_id: Uuid,
    /// The top-level comment it replies to; `None` for a top-level comment.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub parent_id: Option<Uuid>,
    /// Author's account.
    #[diesel(sql_type = SqlUuid)]
    pub author_id: Uuid,
    /// Author's handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Author's display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// Text (1..=1,000 characters).
    #[diesel(sql_type = Text)]
    pub text: String,
    /// Likes.
    #[diesel(sql_type = Int4)]
    pub like_count: i32,
    /// Replies (0 on a reply).
    #[diesel(sql_type = Int4)]
    pub reply_count: i32,
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

/// A comment with what its post says about it: who may see it and delete it, and the title
/// lists of someone's comments show.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommentOnPost {
    /// The comment.
    #[diesel(embed)]
    pub comment: CommentRow,
    /// The post's author.
    #[diesel(sql_type = SqlUuid)]
    pub post_author_id: Uuid,
    /// The post's status (`published`, `pending`, `failed`).
    #[diesel(sql_type = Text)]
    pub post_status: String,
    /// The post's title.
    #[diesel(sql_type = Text)]
    pub post_title: String,
}

impl CommentOnPost {
    /// Whether `viewer` may see the comment: its post is published, or is theirs.
    pub fn visible_to(&self, viewer: Option<Uuid>) -> bool {
        self.post_status == "published" || viewer == Some(self.post_author_id)
    }
}

/// The columns of a [`CommentRow`] of `comments c` (with [`JOINS`]).
const ROW: &str = "c.id, c.post_id, c.parent_id, c.author_id, u.username, u.display_name, \
    c.text, c.like_count, c.reply_count, (ml.hit IS NOT NULL) AS liked_by_me, c.created_at, \
    c.updated_at";
/// The author and whether viewer `$1` likes the comment.
const JOINS: &str = "JOIN users u ON u.id = c.author_id \
    LEFT JOIN LATERAL (SELECT 1 AS hit FROM comment_likes l1 \
                       WHERE l1.comment_id = c.id AND l1.user_id = $1 LIMIT 1) ml ON true";
/// The post columns of a [`CommentOnPost`], from `posts p`.
const ON_POST: &str =
    "p.author_id AS post_author_id, p.status AS post_status, p.title AS post_title";
/// Who may see a post `p` and its comments: anyone once it is published, its author before.
const VISIBLE: &str = "(p.status = 'published' OR p.author_id = $1)";

/// A new comment or reply (text validated by the caller).
#[derive(Debug, Clone)]
pub struct NewComment {
    /// UUIDv7.
    pub id: Uuid,
    /// The post it is on.
    pub post_id: Uuid,
    /// Author.
    pub author_id: Uuid,
    /// The top-level comment of the same post it replies to.
    pub parent_id: Option<Uuid>,
    /// Text, 1..=1,000 characters.
    pub text: String,
}

/// Why a reply's parent was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentRefusal {
    /// There is no such comment.
    Missing,
    /// It is itself a reply: replies go one level deep.
    IsReply,
    /// It is on another post.
    OtherPost,
}

/// Writes a comment or reply as its author. [`DbError::NotFound`] when the post does not
/// exist or the author may not see it (not published, and not theirs); the inner error when
/// the parent cannot take a reply. The post row is locked first (see the module docs).
pub fn create(
    conn: &mut PgConnection,
    new: &NewComment,
) -> Result<Result<CommentRow, ParentRefusal>, DbError> {
    conn.transaction(|conn| {
        posts_table::table
            .find(new.post_id)
            .filter(
                posts_table::status
                    .eq("published")
                    .or(posts_table::author_id.eq(new.author_id)),
            )
            .select(posts_table::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        if let Some(parent) = new.parent_id {
            // KEY SHARE keeps the parent until the insert's own foreign key check holds it.
            let found: Option<(Uuid, Option<Uuid>)> = comments::table
                .find(parent)
                .select((comments::post_id, comments::parent_id))
                .for_key_share()
                .first(conn)
                .optional()?;
            let refusal = match found {
                None => Some(ParentRefusal::Missing),
                Some((post, _)) if post != new.post_id => Some(ParentRefusal::OtherPost),
                Some((_, Some(_))) => Some(ParentRefusal::IsReply),
                Some(_) => None,
            };
            if let Some(refusal) = refusal {
                return Ok(Err(refusal));
            }
        }
        diesel::insert_into(comments::table)
            .values((
                comments::id.eq(new.id),
                comments::post_id.eq(new.post_id),
                comments::author_id.eq(new.author_id),
                comments::parent_id.eq(new.parent_id),
                comments::text.eq(&new.text),
            ))
            .execute(conn)?;
        Ok(Ok(by_id(conn, new.id, Some(new.author_id))?.comment))
    })
}

/// The comment with this id as `viewer` sees it, with its post's author, status and title;
/// [`DbError::NotFound`] if there is none (whether `viewer` may see it is
/// [`CommentOnPost::visible_to`]).
pub fn by_id(
    conn: &mut PgConnection,
    id: Uuid,
    viewer: Option<Uuid>,
) -> Result<CommentOnPost, DbError> {
    PreparedSql::new(format!(
        "SELECT {ROW}, {ON_POST} FROM comments c JOIN posts p ON p.id = c.post_id {JOINS} \
         WHERE c.id = $2"
    ))
    .bind(Param::OptUuid(viewer))
    .bind(Param::Uuid(id))
    .get_result(conn)
    .map_err(DbError::from)
}

/// Replaces a comment's text and returns it; [`DbError::NotFound`] if there is none.
pub fn update(
    conn: &mut PgConnection,
    id: Uuid,
    text: &str,
    viewer: Uuid,
) -> Result<CommentOnPost, DbError> {
    conn.transaction(|conn| {
        diesel::update(comments::table.find(id))
            .set((comments::text.eq(text), comments::updated_at.eq(Utc::now())))
            .returning(comments::id)
            .get_result::<Uuid>(conn)?;
        by_id(conn, id, Some(viewer))
    })
}

/// Deletes a comment and, for a top-level one, its replies (their likes go with them);
/// returns how many comments went, 0 when there was none. The post row is locked first, and
/// the replies go in the same statement so the counter trigger sees them all at once.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<usize, DbError> {
    conn.transaction(|conn| {
        let Some(post) = comments::table
            .find(id)
            .select(comments::post_id)
            .first::<Uuid>(conn)
            .optional()?
        else {
            return Ok(0);
        };
        // A comment never moves to another post, so this is still its post once locked.
        posts_table::table
            .find(post)
            .select(posts_table::id)
            .for_no_key_update()
            .first::<Uuid>(conn)
            .optional()?;
        Ok(diesel::delete(
            comments::table.filter(comments::id.eq(id).or(comments::parent_id.eq(id))),
        )
        .execute(conn)?)
    })
}

/// Likes (`on`) or unlikes a comment, idempotently; returns the like count. Only the
/// comment's row is locked; the like trigger moves the count in the same transaction.
pub fn set_like(conn: &mut PgConnection, id: Uuid, user: Uuid, on: bool) -> Result<i32, DbError> {
    crate::likes::set(
        conn,
        crate::likes::Likeable {
            table: "comments",
            likes: "comment_likes",
            key: "comment_id",
        },
        id,
        user,
        on,
    )
}

/// How many comments (and replies) `user` has written.
pub fn count_of(conn: &mut PgConnection, user: Uuid) -> Result<i64, DbError> {
    Ok(user_comment_counts::table
        .find(user)
        .select(user_comment_counts::comments)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// What a list is about: a post, or a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A post: its top-level comments, or who liked it.
    Post(Uuid),
    /// A comment: its replies, or who liked it.
    Comment(Uuid),
}

#[derive(QueryableByName)]
struct Likes {
    #[diesel(sql_type = Int4)]
    like_count: i32,
}

/// The like count of the post or comment, if `viewer` may see it; [`DbError::NotFound`]
/// otherwise. The one read a list makes besides its rows.
fn visible_likes(
    conn: &mut PgConnection,
    target: Target,
    viewer: Option<Uuid>,
) -> Result<i32, DbError> {
    let sql = match target {
        Target::Post(_) => {
            format!("SELECT p.like_count FROM posts p WHERE p.id = $2 AND {VISIBLE}")
        }
        Target::Comment(_) => format!(
            "SELECT c.like_count FROM comments c JOIN posts p ON p.id = c.post_id \
             WHERE c.id = $2 AND {VISIBLE}"
        ),
    };
    let (Target::Post(id) | Target::Comment(id)) = target;
    let row: Likes = PreparedSql::new(sql)
        .bind(Param::OptUuid(viewer))
        .bind(Param::Uuid(id))
        .get_result(conn)?;
    Ok(row.like_count)
}

fn oldest(key: &Key) -> bool {
    matches!(key, Key::Oldest { .. })
}

fn newest(key: &Key) -> bool {
    matches!(key, Key::Time { .. })
}

/// A page of the conversation under a target, oldest first, as `viewer` sees it: a post's
/// top-level comments (each with its `reply_count`), or a comment's replies (none for a
/// reply). [`DbError::NotFound`] when the target does not exist or `viewer` may not see it;
/// [`DbError::BadCursor`] for a key other than [`Key::Oldest`]. No total: the post's
/// `comment_count` and the comment's `reply_count` say how many there are.
pub fn thread_page(
    conn: &mut PgConnection,
    target: Target,
    viewer: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<CommentRow>, DbError> {
    let (cond, offset) = start_sql(start, oldest, "c.created_at, c.id", 3)?;
    visible_likes(conn, target, viewer)?;
    let (filter, id) = match target {
        Target::Post(id) => ("c.post_id = $2 AND c.parent_id IS NULL", id),
        Target::Comment(id) => ("c.parent_id = $2", id),
    };
    let sql = format!(
        "SELECT {ROW} FROM comments c {JOINS} WHERE {filter}{cond} \
         ORDER BY c.created_at, c.id{offset} LIMIT {}",
        fetched_rows(limit)
    );
    let mut query = PreparedSql::new(sql)
        .bind(Param::OptUuid(viewer))
        .bind(Param::Uuid(id));
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<CommentRow> = query.load(conn)?;
    Ok(Page::from_rows(rows, limit, 0, |c| Key::Oldest {
        at: c.created_at,
        id: c.id,
    }))
}

/// A page of `user`'s comments and replies, newest first, each with its post's title; the
/// total is their comment count. Comments on posts they may no longer see (not published,
/// not theirs) are left out of the page. [`DbError::BadCursor`] for a key other than
/// [`Key::Time`].
pub fn by_author_page(
    conn: &mut PgConnection,
    user: Uuid,
    start: Start,
    limit: i64,
) -> Result<Page<CommentOnPost>, DbError> {
    let (cond, offset) = start_sql(start, newest, "c.created_at, c.id", 2)?;
    let sql = format!(
        "SELECT {ROW}, {ON_POST} FROM comments c JOIN posts p ON p.id = c.post_id {JOINS} \
         WHERE c.author_id = $1 AND {VISIBLE}{cond} \
         ORDER BY c.created_at DESC, c.id DESC{offset} LIMIT {}",
        fetched_rows(limit)
    );
    let mut query = PreparedSql::new(sql).bind(Param::Uuid(user));
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<CommentOnPost> = query.load(conn)?;
    let total = count_of(conn, user)?;
    Ok(Page::from_rows(rows, limit, total, |c| Key::Time {
        at: c.comment.created_at,
        id: c.comment.id,
    }))
}

/// One person who liked a post or a comment.
#[derive(Debug, Clone, QueryableByName)]
pub struct Liker {
    /// Their account id.
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    /// Handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// When they liked it.
    #[diesel(sql_type = Timestamptz)]
    pub liked_at: DateTime<Utc>,
}

/// A page of who liked a post or a comment, newest like first; the total is its like count.
/// [`DbError::NotFound`] when it does not exist or `viewer` may not see it;
/// [`DbError::BadCursor`] for a key other than [`Key::Time`].
pub fn likers_page(
    conn: &mut PgConnection,
    target: Target,
    viewer: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<Liker>, DbError> {
    let (cond, offset) = start_sql(start, newest, "l.created_at, l.user_id", 2)?;
    let total = visible_likes(conn, target, viewer)?;
    let (likes, of, id) = match target {
        Target::Post(id) => ("post_likes", "post_id", id),
        Target::Comment(id) => ("comment_likes", "comment_id", id),
    };
    let sql = format!(
        "SELECT u.id AS user_id, u.username, u.display_name, l.created_at AS liked_at \
         FROM {likes} l JOIN users u ON u.id = l.user_id \
         WHERE l.{of} = $1{cond} \
         ORDER BY l.created_at DESC, l.user_id DESC{offset} LIMIT {}",
        fetched_rows(limit)
    );
    let mut query = PreparedSql::new(sql).bind(Param::Uuid(id));
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<Liker> = query.load(conn)?;
    Ok(Page::from_rows(rows, limit, i64::from(total), |l| {
        Key::Time {
            at: l.liked_at,
            id: l.user_id,
        }
    }))
}

#[derive(QueryableByName)]
struct LikedPost {
    #[diesel(embed)]
    post: PostRow,
    #[diesel(sql_type = Timestamptz)]
    liked_at: DateTime<Utc>,
}

/// A page of the posts `user` liked, newest like first, as full [`PostRow`]s; posts they may
/// no longer see (not published, not theirs) are left out. No total (a feed).
/// [`DbError::BadCursor`] for a key other than [`Key::Time`] (of the like).
pub fn liked_posts_page(
    conn: &mut PgConnection,
    user: Uuid,
    start: Start,
    limit: i64,
) -> Result<Page<PostRow>, DbError> {
    let (cond, offset) = start_sql(start, newest, "l.created_at, l.post_id", 2)?;
    let sql = format!(
        "SELECT {row}, l.created_at AS liked_at \
         FROM post_likes l JOIN posts p ON p.id = l.post_id {joins} \
         WHERE l.user_id = $1 AND {VISIBLE}{cond} \
         ORDER BY l.created_at DESC, l.post_id DESC{offset} LIMIT {}",
        fetched_rows(limit),
        row = posts::ROW,
        joins = posts::JOINS,
    );
    let mut query = PreparedSql::new(sql).bind(Param::Uuid(user));
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<LikedPost> = query.load(conn)?;
    Ok(Page::from_rows(rows, limit, 0, |l| Key::Time {
        at: l.liked_at,
        id: l.post.id,
    })
    .map(|l| l.post))
}
