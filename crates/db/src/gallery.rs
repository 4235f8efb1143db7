//! Pages of emojis: the public gallery (newest, most liked, most liked in a window), one
//! person's emojis, and the emojis someone liked. Each page is one statement: the page's ids
//! walked along an index from its [`Start`], then their owners, the viewer's likes and the
//! list's total (a counter row, never a count).

use chrono::{DateTime, Utc};
use diesel::{
    pg::{Pg, PgConnection},
    prelude::*,
    query_builder::{BoxedSqlQuery, SqlQuery},
    sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use moji_common::Period;
use uuid::Uuid;

use crate::{
    emojis::{Emoji, EmojiWithOwner},
    keyset::{start_sql, Key, Page, Start},
    DbError,
};

/// Gallery order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest first.
    New,
    /// Most liked first (all time), then newest.
    Popular,
    /// Most likes received in the current `week` or `month` window first. Only emojis liked
    /// in the window are ranked.
    Window(Period),
}

/// A gallery row: the emoji with its owner, the likes it is ranked by (all its likes outside
/// a window) and whether the viewer likes it.
#[derive(Debug, Clone)]
pub struct GalleryRow {
    /// The emoji and its owner.
    pub emoji: EmojiWithOwner,
    /// Likes in the ranking window, or all likes.
    pub ranked_likes: i64,
    /// Whether the viewer likes it.
    pub liked_by_me: bool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(embed)]
    emoji: Emoji,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    display_name: String,
    #[diesel(sql_type = BigInt)]
    ranked_likes: i64,
    #[diesel(sql_type = Bool)]
    liked_by_me: bool,
    #[diesel(sql_type = Timestamptz)]
    sort_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

impl Row {
    fn key(&self, order: Ordering) -> Key {
        let e = &self.emoji;
        match order {
            Ordering::Created => Key::Time {
                at: e.created_at,
                id: e.id,
            },
            Ordering::Liked => Key::Time {
                at: self.sort_at,
                id: e.id,
            },
            Ordering::Popular => Key::Popular {
                likes: i64::from(e.like_count),
                at: e.created_at,
                id: e.id,
            },
            Ordering::Window => Key::Window {
                likes: self.ranked_likes,
                id: e.id,
            },
        }
    }

    fn into_row(self) -> GalleryRow {
        GalleryRow {
            emoji: EmojiWithOwner {
                emoji: self.emoji,
                username: self.username,
                display_name: self.display_name,
            },
            ranked_likes: self.ranked_likes,
            liked_by_me: self.liked_by_me,
        }
    }
}

/// What a list is sorted by, and so which [`Key`] its cursors hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    Created,
    Liked,
    Popular,
    Window,
}

impl Ordering {
    fn accepts(self, start: Start) -> bool {
        match start {
            Start::Offset(_) => true,
            Start::After(key) => matches!(
                (self, key),
                (Ordering::Created | Ordering::Liked, Key::Time { .. })
                    | (Ordering::Popular, Key::Popular { .. })
                    | (Ordering::Window, Key::Window { .. })
            ),
        }
    }
}

type Query = BoxedSqlQuery<'static, Pg, SqlQuery>;

fn bind_start(query: Query, start: Start) -> Query {
    match start {
        Start::Offset(_) => query,
        Start::After(Key::Time { at, id }) => {
            query.bind::<Timestamptz, _>(at).bind::<SqlUuid, _>(id)
        }
        Start::After(Key::Popular { likes, at, id }) => query
            .bind::<Integer, _>(i32::try_from(likes).unwrap_or(i32::MAX))
            .bind::<Timestamptz, _>(at)
            .bind::<SqlUuid, _>(id),
        Start::After(Key::Window { likes, id }) => {
            query.bind::<BigInt, _>(likes).bind::<SqlUuid, _>(id)
        }
    }
}

/// One list's SQL: `ids` selects `id`, `ranked_likes` and `sort_at` of the page's rows
/// (with `{cond}`, `{offset}` and `{limit}` still to fill), `total` is a scalar subquery.
struct ListSql {
    ordering: Ordering,
    ids: &'static str,
    keyset_columns: &'static str,
    order_by: &'static str,
    total: &'static str,
}

/// Runs a list: `$1` is the viewer, `$2` the list's own parameter (owner or period, bound by
/// `bind_param`), keyset binds follow.
fn run_list(
    conn: &mut PgConnection,
    list: &ListSql,
    viewer: Option<Uuid>,
    bind_param: impl Fn(Query) -> Query,
    start: Start,
    limit: i64,
) -> Result<Page<GalleryRow>, DbError> {
    if !list.ordering.accepts(start) {
        return Err(DbError::BadCursor);
    }
    let (cond, offset) = start_sql(start, list.keyset_columns, 3);
    let ids = list
        .ids
        .replace("{cond}", &cond)
        .replace("{offset}", &offset)
        .replace("{limit}", &(limit + 1).to_string());
    let sql = format!(
        "WITH page AS ({ids}) \
         SELECT e.*, u.username, u.display_name, page.ranked_likes, page.sort_at, \
                EXISTS (SELECT 1 FROM emoji_likes ml \
                        WHERE ml.emoji_id = e.id AND ml.user_id = $1) AS liked_by_me, \
                {total} AS total \
         FROM page JOIN emojis e ON e.id = page.id JOIN users u ON u.id = e.user_id \
         ORDER BY {order_by}",
        total = list.total,
        order_by = list.order_by,
    );
    let query = diesel::sql_query(sql)
        .into_boxed::<Pg>()
        .bind::<Nullable<SqlUuid>, _>(viewer);
    let query = bind_start(bind_param(query), start);
    let rows: Vec<Row> = query.load(conn)?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => {
            // An empty page still answers the list's total.
            let q = diesel::sql_query(format!("SELECT {} AS total", list.total))
                .into_boxed::<Pg>()
                .bind::<Nullable<SqlUuid>, _>(viewer);
            bind_param(q).get_result::<Total>(conn)?.total
        }
    };
    let ordering = list.ordering;
    Ok(Page::from_rows(rows, limit, total, |r| r.key(ordering)).map(Row::into_row))
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

const NEW: ListSql = ListSql {
    ordering: Ordering::Created,
    ids: "SELECT e.id, e.like_count::bigint AS ranked_likes, e.created_at AS sort_at \
          FROM emojis e WHERE e.visibility = 'public' AND $2::text IS NULL{cond} \
          ORDER BY e.created_at DESC, e.id DESC{offset} LIMIT {limit}",
    keyset_columns: "e.created_at, e.id",
    order_by: "e.created_at DESC, e.id DESC",
    total: "(SELECT public_emojis FROM gallery_totals)",
};

const POPULAR: ListSql = ListSql {
    ordering: Ordering::Popular,
    ids: "SELECT e.id, e.like_count::bigint AS ranked_likes, e.created_at AS sort_at \
          FROM emojis e WHERE e.visibility = 'public' AND $2::text IS NULL{cond} \
          ORDER BY e.like_count DESC, e.created_at DESC, e.id DESC{offset} LIMIT {limit}",
    keyset_columns: "e.like_count, e.created_at, e.id",
    order_by: "e.like_count DESC, e.created_at DESC, e.id DESC",
    total: "(SELECT public_emojis FROM gallery_totals)",
};

const WINDOW: ListSql = ListSql {
    ordering: Ordering::Window,
    ids: "SELECT w.emoji_id AS id, w.likes AS ranked_likes, now() AS sort_at \
          FROM emoji_window_likes w WHERE w.period = $2 AND w.likes > 0{cond} \
          ORDER BY w.likes DESC, w.emoji_id DESC{offset} LIMIT {limit}",
    keyset_columns: "w.likes, w.emoji_id",
    order_by: "page.ranked_likes DESC, e.id DESC",
    total: "(SELECT emojis FROM ranking_windows WHERE period = $2)",
};

const USER_ALL: ListSql = ListSql {
    ordering: Ordering::Created,
    ids: "SELECT e.id, e.like_count::bigint AS ranked_likes, e.created_at AS sort_at \
          FROM emojis e WHERE e.user_id = $2{cond} \
          ORDER BY e.created_at DESC, e.id DESC{offset} LIMIT {limit}",
    keyset_columns: "e.created_at, e.id",
    order_by: "e.created_at DESC, e.id DESC",
    total: "coalesce((SELECT saved FROM user_emoji_counts WHERE user_id = $2), 0)",
};

const USER_PUBLIC: ListSql = ListSql {
    ordering: Ordering::Created,
    ids: "SELECT e.id, e.like_count::bigint AS ranked_likes, e.created_at AS sort_at \
          FROM emojis e WHERE e.user_id = $2 AND e.visibility = 'public'{cond} \
          ORDER BY e.created_at DESC, e.id DESC{offset} LIMIT {limit}",
    keyset_columns: "e.created_at, e.id",
    order_by: "e.created_at DESC, e.id DESC",
    total: "coalesce((SELECT public FROM user_emoji_counts WHERE user_id = $2), 0)",
};

const LIKED: ListSql = ListSql {
    ordering: Ordering::Liked,
    ids: "SELECT l.emoji_id AS id, e.like_count::bigint AS ranked_likes, l.created_at AS sort_at \
          FROM emoji_likes l JOIN emojis e ON e.id = l.emoji_id \
          WHERE l.user_id = $2 AND (e.visibility = 'public' OR e.user_id = $2){cond} \
          ORDER BY l.created_at DESC, l.emoji_id DESC{offset} LIMIT {limit}",
    keyset_columns: "l.created_at, l.emoji_id",
    order_by: "page.sort_at DESC, e.id DESC",
    total: "coalesce((SELECT liked FROM user_emoji_counts WHERE user_id = $2), 0)",
};

/// A page of the public gallery in `order`, with `viewer`'s likes. A [`Order::Window`] page
/// first moves the window to `window_start` if a new product day has begun.
pub fn public_page(
    conn: &mut PgConnection,
    order: Order,
    window_start: DateTime<Utc>,
    viewer: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<GalleryRow>, DbError> {
    match order {
        Order::New => run_list(conn, &NEW, viewer, no_param, start, limit),
        Order::Popular | Order::Window(Period::All) => {
            run_list(conn, &POPULAR, viewer, no_param, start, limit)
        }
        Order::Window(period) => {
            roll_window(conn, period, window_start)?;
            let name = period.as_str();
            let param = move |q: Query| q.bind::<Text, _>(name);
            run_list(conn, &WINDOW, viewer, param, start, limit)
        }
    }
}

fn no_param(query: Query) -> Query {
    query.bind::<Nullable<Text>, _>(None::<String>)
}

/// A page of `owner`'s emojis, newest first: all of them, or only the public ones.
pub fn user_page(
    conn: &mut PgConnection,
    owner: Uuid,
    public_only: bool,
    viewer: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<GalleryRow>, DbError> {
    let list = if public_only { &USER_PUBLIC } else { &USER_ALL };
    let param = move |q: Query| q.bind::<SqlUuid, _>(owner);
    run_list(conn, list, viewer, param, start, limit)
}

/// A page of the emojis `user_id` liked and may still see (public ones and their own), most
/// recently liked first.
pub fn liked_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    start: Start,
    limit: i64,
) -> Result<Page<GalleryRow>, DbError> {
    let param = move |q: Query| q.bind::<SqlUuid, _>(user_id);
    run_list(conn, &LIKED, Some(user_id), param, start, limit)
}

/// Moves `period`'s ranking window to start at `starts_at` when it starts elsewhere (a new
/// product day), recounting it from the likes; true if this call moved it.
pub fn roll_window(
    conn: &mut PgConnection,
    period: Period,
    starts_at: DateTime<Utc>,
) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Rolled {
        #[diesel(sql_type = Bool)]
        rolled: bool,
    }
    let rolled = diesel::sql_query("SELECT roll_ranking_window($1, $2) AS rolled")
        .bind::<Text, _>(period.as_str())
        .bind::<Timestamptz, _>(starts_at)
        .get_result::<Rolled>(conn)?
        .rolled;
    if rolled {
        tracing::info!(period = period.as_str(), %starts_at, "ranking window moved");
    }
    Ok(rolled)
}
