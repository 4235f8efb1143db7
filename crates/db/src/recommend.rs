//! The recommendation service's queries (migration 000015, docs/recommend.md): embeddings of
//! visible content, the documents they are made from, cards for answers, the signals "for you"
//! is built from, and view recording.
//!
//! Visibility is decided here, at read time, from the content tables themselves: whatever the
//! index returns, a deleted, pending or private item never becomes a card.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{
        Array, BigInt, Double, Float4, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid,
    },
};
use uuid::Uuid;

use crate::DbError;

/// Every visible item as `(id, kind, owner_id, title, body, tags, price, created_at,
/// updated_at, popularity)`: the one definition of "visible" the service uses. `body` and
/// `title` match the api's `content.*` documents (services/api/src/events/content.rs).
const VISIBLE: &str = "\
    SELECT p.id, 'post'::text AS kind, p.author_id AS owner_id, p.title, p.body AS body, \
           array_to_string(p.tags, ' ') AS tags, NULL::int8 AS price, p.created_at, \
           p.updated_at, (p.like_count * 3 + p.comment_count * 2)::float8 + ln(1 + p.view_count) AS popularity \
      FROM posts p WHERE p.status = 'published' \
    UNION ALL \
    SELECT p.id, 'product', p.seller_id, p.name, p.description, '', p.price, p.created_at, \
           p.updated_at, 0::float8 \
      FROM products p WHERE p.status = 'published' \
    UNION ALL \
    SELECT e.id, 'emoji', e.user_id, e.caption, e.template || ' ' || e.expression, '', NULL, \
           e.created_at, e.created_at, (e.like_count * 3)::float8 \
      FROM emojis e WHERE e.visibility = 'public' \
    UNION ALL \
    SELECT u.id, 'profile', u.id, u.display_name || ' @' || u.username, u.bio, '', NULL, \
           u.created_at, u.updated_at, 0::float8 \
      FROM users u";

/// The kinds an item can be, as stored.
pub const KINDS: [&str; 4] = ["post", "product", "emoji", "profile"];

/// A stored embedding.
#[derive(Debug, Clone, QueryableByName)]
pub struct EmbeddingRow {
    /// The item.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// `post`, `product`, `emoji` or `profile`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its owner.
    #[diesel(sql_type = SqlUuid)]
    pub owner_id: Uuid,
    /// Unit vector.
    #[diesel(sql_type = Array<Float4>)]
    pub embedding: Vec<f32>,
}

/// An embedding to write.
#[derive(Debug, Clone)]
pub struct NewEmbedding {
    /// The item.
    pub id: Uuid,
    /// Its kind.
    pub kind: String,
    /// Its owner.
    pub owner_id: Uuid,
    /// Unit vector.
    pub embedding: Vec<f32>,
    /// The model that wrote it.
    pub model: String,
    /// The content version it is of.
    pub source_updated_at: DateTime<Utc>,
}

/// Writes an embedding unless a newer version of the item is already stored; true if written.
pub fn upsert_embedding(conn: &mut PgConnection, e: &NewEmbedding) -> Result<bool, DbError> {
    let n = diesel::sql_query(
        "INSERT INTO item_embeddings (id, kind, owner_id, embedding, model, source_updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, owner_id = excluded.owner_id, \
           embedding = excluded.embedding, model = excluded.model, \
           source_updated_at = excluded.source_updated_at, embedded_at = now() \
         WHERE item_embeddings.source_updated_at <= excluded.source_updated_at",
    )
    .bind::<SqlUuid, _>(e.id)
    .bind::<Text, _>(&e.kind)
    .bind::<SqlUuid, _>(e.owner_id)
    .bind::<Array<Float4>, _>(&e.embedding)
    .bind::<Text, _>(&e.model)
    .bind::<Timestamptz, _>(e.source_updated_at)
    .execute(conn)?;
    Ok(n > 0)
}

/// Deletes an item's embedding; true if there was one.
pub fn delete_embedding(conn: &mut PgConnection, id: Uuid) -> Result<bool, DbError> {
    let n = diesel::sql_query("DELETE FROM item_embeddings WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .execute(conn)?;
    Ok(n > 0)
}

/// Up to `limit` embeddings after `after` in id order: the index is built page by page.
pub fn embeddings_page(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<EmbeddingRow>, DbError> {
    Ok(diesel::sql_query(
        "SELECT id, kind, owner_id, embedding FROM item_embeddings \
         WHERE $1::uuid IS NULL OR id > $1 ORDER BY id LIMIT $2",
    )
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Embeddings written at or after `since`, after `(since, after)` in `(embedded_at, id)` order,
/// at most `limit`, with their write times: how a replica catches up with what others wrote.
pub fn embeddings_since(
    conn: &mut PgConnection,
    since: DateTime<Utc>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(EmbeddingRow, DateTime<Utc>)>, DbError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = SqlUuid)]
        owner_id: Uuid,
        #[diesel(sql_type = Array<Float4>)]
        embedding: Vec<f32>,
        #[diesel(sql_type = Timestamptz)]
        embedded_at: DateTime<Utc>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, kind, owner_id, embedding, embedded_at FROM item_embeddings \
         WHERE (embedded_at, id) > ($1, coalesce($2, '00000000-0000-0000-0000-000000000000'::uuid)) \
         ORDER BY embedded_at, id LIMIT $3",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let row = EmbeddingRow {
                id: r.id,
                kind: r.kind,
                owner_id: r.owner_id,
                embedding: r.embedding,
            };
            (row, r.embedded_at)
        })
        .collect())
}

/// How many embeddings are stored.
pub fn embedding_count(conn: &mut PgConnection) -> Result<i64, DbError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let c: Count =
        diesel::sql_query("SELECT count(*) AS n FROM item_embeddings").get_result(conn)?;
    Ok(c.n)
}

/// One item's embedding, if stored.
pub fn embedding_of(conn: &mut PgConnection, id: Uuid) -> Result<Option<EmbeddingRow>, DbError> {
    Ok(
        diesel::sql_query(
            "SELECT id, kind, owner_id, embedding FROM item_embeddings WHERE id = $1",
        )
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .optional()?,
    )
}

/// A visible item's text, to embed.
#[derive(Debug, Clone, QueryableByName)]
pub struct SourceDocument {
    /// The item.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its owner.
    #[diesel(sql_type = SqlUuid)]
    pub owner_id: Uuid,
    /// Title, name, caption or display name.
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Body, description, template and expression, or bio.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Tags joined by spaces (posts).
    #[diesel(sql_type = Text)]
    pub tags: String,
    /// Version.
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Visible items with no embedding, an older one, or one of another model: what a missed
/// event or a model change left behind. At most `limit`.
pub fn stale_documents(
    conn: &mut PgConnection,
    model: &str,
    limit: i64,
) -> Result<Vec<SourceDocument>, DbError> {
    Ok(diesel::sql_query(format!(
        "SELECT v.id, v.kind, v.owner_id, v.title, v.body, v.tags, v.updated_at \
         FROM ({VISIBLE}) v LEFT JOIN item_embeddings e ON e.id = v.id \
         WHERE e.id IS NULL OR e.source_updated_at < v.updated_at OR e.model <> $1 \
         ORDER BY v.updated_at LIMIT $2"
    ))
    .bind::<Text, _>(model)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Embeddings of items that are no longer visible (deleted, hidden, made private), at most
/// `limit`.
pub fn orphan_embeddings(conn: &mut PgConnection, limit: i64) -> Result<Vec<Uuid>, DbError> {
    let rows: Vec<IdRow> = diesel::sql_query(format!(
        "SELECT e.id FROM item_embeddings e \
         WHERE NOT EXISTS (SELECT 1 FROM ({VISIBLE}) v WHERE v.id = e.id) LIMIT $1"
    ))
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// What an answer shows of one item.
#[derive(Debug, Clone, QueryableByName)]
pub struct CardRow {
    /// The item.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its owner.
    #[diesel(sql_type = SqlUuid)]
    pub owner_id: Uuid,
    /// The owner's handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// The owner's display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// Title.
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Body text.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Price in KRW (products).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub price: Option<i64>,
    /// When it appeared.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Cards of the visible items among `ids`, in the order given (the others are left out).
pub fn cards(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<CardRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<CardRow> = diesel::sql_query(format!(
        "SELECT v.id, v.kind, v.owner_id, u.username, u.display_name, v.title, v.body, v.price, \
                v.created_at \
         FROM ({VISIBLE}) v JOIN users u ON u.id = v.owner_id WHERE v.id = ANY($1)"
    ))
    .bind::<Array<SqlUuid>, _>(ids)
    .load(conn)?;
    let mut rows = rows;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id).unwrap_or(usize::MAX));
    Ok(rows)
}

/// A visible item's kind and title.
#[derive(Debug, Clone, QueryableByName)]
pub struct VisibleItem {
    /// Its kind.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its title.
    #[diesel(sql_type = Text)]
    pub title: String,
}

/// The item's kind and title if it is visible.
pub fn visible_item(conn: &mut PgConnection, id: Uuid) -> Result<Option<VisibleItem>, DbError> {
    Ok(diesel::sql_query(format!(
        "SELECT v.kind, v.title FROM ({VISIBLE}) v WHERE v.id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .optional()?)
}

/// Something a person showed interest in.
#[derive(Debug, Clone, QueryableByName)]
pub struct Signal {
    /// The item.
    #[diesel(sql_type = SqlUuid)]
    pub item_id: Uuid,
    /// `liked` or `viewed`.
    #[diesel(sql_type = Text)]
    pub how: String,
    /// Total time spent on it (views), 0 for likes.
    #[diesel(sql_type = BigInt)]
    pub dwell_ms: i64,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

/// A person's most recent likes (posts, emojis) and views, newest first, `limit` of each.
pub fn signals(conn: &mut PgConnection, user: Uuid, limit: i64) -> Result<Vec<Signal>, DbError> {
    Ok(diesel::sql_query(
        "(SELECT post_id AS item_id, 'liked'::text AS how, 0::int8 AS dwell_ms, created_at AS at \
            FROM post_likes WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2) \
         UNION ALL \
         (SELECT emoji_id, 'liked', 0, created_at FROM emoji_likes WHERE user_id = $1 \
            ORDER BY created_at DESC LIMIT $2) \
         UNION ALL \
         (SELECT item_id, 'viewed', dwell_ms, last_viewed_at FROM item_views WHERE user_id = $1 \
            ORDER BY last_viewed_at DESC LIMIT $2)",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// A candidate for anonymous or cold-start lists.
#[derive(Debug, Clone, QueryableByName)]
pub struct Ranked {
    /// The item.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Its owner (for diversity).
    #[diesel(sql_type = SqlUuid)]
    pub owner_id: Uuid,
    /// Popularity score (likes, comments, views, recent dwell), higher first.
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// The most popular visible items of `kind`: likes, comments and views, plus people's
/// recorded views of the last 30 days, at most `limit`.
pub fn popular(conn: &mut PgConnection, kind: &str, limit: i64) -> Result<Vec<Ranked>, DbError> {
    Ok(diesel::sql_query(format!(
        "SELECT v.id, v.owner_id, v.popularity + coalesce(r.recent, 0) AS score \
         FROM ({VISIBLE}) v LEFT JOIN ( \
             SELECT item_id, count(*)::float8 + sum(least(dwell_ms, 600000))::float8 / 60000 AS recent \
             FROM item_views WHERE last_viewed_at > now() - interval '30 days' GROUP BY item_id \
         ) r ON r.item_id = v.id \
         WHERE v.kind = $1 ORDER BY score DESC, v.created_at DESC LIMIT $2"
    ))
    .bind::<Text, _>(kind)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// The newest visible items of `kind`, at most `limit`.
pub fn latest(conn: &mut PgConnection, kind: &str, limit: i64) -> Result<Vec<Ranked>, DbError> {
    Ok(diesel::sql_query(format!(
        "SELECT v.id, v.owner_id, 0::float8 AS score FROM ({VISIBLE}) v \
         WHERE v.kind = $1 ORDER BY v.created_at DESC LIMIT $2"
    ))
    .bind::<Text, _>(kind)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Ids of public emojis whose caption holds `q` (emojis have no full-text index: captions are
/// short and few), most liked first, `limit + 1` from `offset`.
pub fn emoji_ids(
    conn: &mut PgConnection,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    let pattern = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let rows: Vec<IdRow> = diesel::sql_query(
        "SELECT e.id FROM emojis e WHERE e.visibility = 'public' AND e.caption ILIKE $1 \
         ORDER BY e.like_count DESC, e.created_at DESC, e.id DESC LIMIT $2 OFFSET $3",
    )
    .bind::<Text, _>(pattern)
    .bind::<BigInt, _>(limit + 1)
    .bind::<BigInt, _>(offset)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// One person's views of one item, summed before writing.
#[derive(Debug, Clone)]
pub struct ViewTotal {
    /// Who looked.
    pub user_id: Uuid,
    /// At what.
    pub item_id: Uuid,
    /// Its kind.
    pub kind: String,
    /// Time spent, summed.
    pub dwell_ms: i64,
    /// Views summed.
    pub views: i32,
    /// The last one.
    pub last_viewed_at: DateTime<Utc>,
}

/// Adds views to the people's totals in one statement (each `(user, item)` at most once).
pub fn record_views(conn: &mut PgConnection, views: &[ViewTotal]) -> Result<usize, DbError> {
    if views.is_empty() {
        return Ok(0);
    }
    let users: Vec<Uuid> = views.iter().map(|v| v.user_id).collect();
    let items: Vec<Uuid> = views.iter().map(|v| v.item_id).collect();
    let kinds: Vec<&str> = views.iter().map(|v| v.kind.as_str()).collect();
    let dwell: Vec<i64> = views.iter().map(|v| v.dwell_ms).collect();
    let counts: Vec<i32> = views.iter().map(|v| v.views).collect();
    let at: Vec<DateTime<Utc>> = views.iter().map(|v| v.last_viewed_at).collect();
    // A view by an account deleted meanwhile is dropped by the join rather than failing the
    // batch on the foreign key.
    Ok(diesel::sql_query(
        "INSERT INTO item_views (user_id, item_id, kind, dwell_ms, views, last_viewed_at) \
         SELECT t.user_id, t.item_id, t.kind, t.dwell_ms, t.views, t.at \
         FROM unnest($1, $2, $3, $4, $5, $6) AS t(user_id, item_id, kind, dwell_ms, views, at) \
         JOIN users u ON u.id = t.user_id \
         ON CONFLICT (user_id, item_id) DO UPDATE SET \
           dwell_ms = item_views.dwell_ms + excluded.dwell_ms, \
           views = item_views.views + excluded.views, \
           last_viewed_at = greatest(item_views.last_viewed_at, excluded.last_viewed_at)",
    )
    .bind::<Array<SqlUuid>, _>(users)
    .bind::<Array<SqlUuid>, _>(items)
    .bind::<Array<Text>, _>(kinds)
    .bind::<Array<BigInt>, _>(dwell)
    .bind::<Array<Int4>, _>(counts)
    .bind::<Array<Timestamptz>, _>(at)
    .execute(conn)?)
}
