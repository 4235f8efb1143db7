//! Pages of emojis: the public gallery (newest, most liked, most liked in a window), one
//! person's emojis, and the emojis someone liked. Each page is one statement: the page's ids
//! walked along an index from its [`Start`], then their owners, the viewer's likes and the
//! list's total (a counter row, never a count).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Bool, Text, Timestamptz},
};
use moji_common::Period;
use uuid::Uuid;

use crate::{
    emojis::{Emoji, EmojiWithOwner},
    keyset::{after_sql, fetched_rows, start_params, Key, Page, Start},
    prepared::{Param, PreparedSql},
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

/// One list's SQL, in two shapes (each with `{cond}` and `{limit}` still to fill; `$1` is
/// the viewer, `$2` the list's own parameter, owner or period):
/// - `direct` walks the list's index from the top or from a key and joins each of the page's
///   rows once: the first page and every cursor page;
/// - `skip` first walks the index alone (an index-only scan where the index holds what it
///   needs) past `OFFSET $3` rows, then joins only the page's rows: `?page=` 2 and later.
struct ListSql {
    ordering: Ordering,
    direct: String,
    skip: String,
    keyset_columns: String,
    total: &'static str,
}

impl ListSql {
    /// A list from its templates, with the parts every list shares filled in once.
    fn new(
        ordering: Ordering,
        direct: &str,
        skip: &str,
        keyset_columns: String,
        total: &'static str,
    ) -> Self {
        let fill = |sql: &str| {
            sql.replace("{row}", ROW_TAIL)
                .replace("{joins}", ROW_JOINS)
                .replace("{total}", total)
        };
        Self {
            ordering,
            direct: fill(direct),
            skip: fill(skip),
            keyset_columns,
            total,
        }
    }

    /// A list of `emojis e` alone: the rows `filter` keeps, walked along an index in
    /// `columns` order (all descending; the last is `id`).
    fn of_emojis(ordering: Ordering, filter: &str, columns: &[&str], total: &'static str) -> Self {
        let list = |prefix: &str, suffix: &str| {
            columns
                .iter()
                .map(|c| format!("{prefix}{c}{suffix}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (by_e, by_page) = (list("e.", " DESC"), list("page.", " DESC"));
        let direct = format!(
            "SELECT e.*, {{row}}, e.like_count::bigint AS ranked_likes, \
                    e.created_at AS sort_at, {{total}} AS total \
             FROM emojis e {{joins}} WHERE {filter}{{cond}} ORDER BY {by_e} LIMIT {{limit}}"
        );
        let skip = format!(
            "WITH page AS (SELECT {} FROM emojis e WHERE {filter} \
                           ORDER BY {by_e} OFFSET $3 LIMIT {{limit}}) \
             SELECT e.*, {{row}}, e.like_count::bigint AS ranked_likes, \
                    e.created_at AS sort_at, {{total}} AS total \
             FROM page JOIN emojis e ON e.id = page.id {{joins}} ORDER BY {by_page}",
            list("e.", "")
        );
        Self::new(ordering, &direct, &skip, list("e.", ""), total)
    }
}

/// What every page selects per row, after the emoji's own columns.
const ROW_TAIL: &str = "u.username, u.display_name, (ml.hit IS NOT NULL) AS liked_by_me";
/// Joins every page makes per row: the owner and the viewer's like. The like is a LATERAL
/// probe of its primary key per row (LIMIT 1 keeps it from being flattened): as a plain join
/// a generic plan hashed all of the viewer's likes instead (1,446 rows for the bench user).
const ROW_JOINS: &str = "JOIN users u ON u.id = e.user_id \
     LEFT JOIN LATERAL (SELECT 1 AS hit FROM emoji_likes l1 \
                        WHERE l1.emoji_id = e.id AND l1.user_id = $1 LIMIT 1) ml ON true";

/// Runs a list as one prepared statement (see [`crate::prepared`]).
fn run_list(
    conn: &mut PgConnection,
    list: &ListSql,
    viewer: Option<Uuid>,
    list_param: Param,
    start: Start,
    limit: i64,
) -> Result<Page<GalleryRow>, DbError> {
    if !list.ordering.accepts(start) {
        return Err(DbError::BadCursor);
    }
    let template = match start {
        Start::Offset(n) if n > 0 => &list.skip,
        _ => &list.direct,
    };
    let sql = template
        .replace("{cond}", &after_sql(start, &list.keyset_columns, 3))
        .replace("{limit}", &fetched_rows(limit).to_string());
    let mut query = PreparedSql::new(sql)
        .bind(Param::OptUuid(viewer))
        .bind(list_param.clone());
    for param in start_params(start) {
        query = query.bind(param);
    }
    let rows: Vec<Row> = query.load(conn)?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => {
            // An empty page still answers the list's total.
            PreparedSql::new(format!("SELECT {} AS total", list.total))
                .bind(Param::OptUuid(viewer))
                .bind(list_param)
                .get_result::<Total>(conn)?
                .total
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

/// Public emojis and people's totals, by counters (never counted per request).
const PUBLIC_TOTAL: &str = "(SELECT public_emojis FROM gallery_totals)";

static NEW: LazyLock<ListSql> = LazyLock::new(|| {
    ListSql::of_emojis(
        Ordering::Created,
        "e.visibility = 'public'",
        &["created_at", "id"],
        PUBLIC_TOTAL,
    )
});

static POPULAR: LazyLock<ListSql> = LazyLock::new(|| {
    ListSql::of_emojis(
        Ordering::Popular,
        "e.visibility = 'public'",
        &["like_count", "created_at", "id"],
        PUBLIC_TOTAL,
    )
});

static USER_ALL: LazyLock<ListSql> = LazyLock::new(|| {
    ListSql::of_emojis(
        Ordering::Created,
        "e.user_id = $2",
        &["created_at", "id"],
        "coalesce((SELECT saved FROM user_emoji_counts WHERE user_id = $2), 0)",
    )
});

static USER_PUBLIC: LazyLock<ListSql> = LazyLock::new(|| {
    ListSql::of_emojis(
        Ordering::Created,
        "e.user_id = $2 AND e.visibility = 'public'",
        &["created_at", "id"],
        "coalesce((SELECT public FROM user_emoji_counts WHERE user_id = $2), 0)",
    )
});

static WINDOW: LazyLock<ListSql> = LazyLock::new(|| {
    ListSql::new(
        Ordering::Window,
        "SELECT e.*, {row}, w.likes AS ranked_likes, now() AS sort_at, {total} AS total \
         FROM emoji_window_likes w JOIN emojis e ON e.id = w.emoji_id {joins} \
         WHERE w.period = $2 AND w.likes > 0{cond} \
         ORDER BY w.likes DESC, w.emoji_id DESC LIMIT {limit}",
        "WITH page AS (SELECT emoji_id, likes FROM emoji_window_likes \
                       WHERE period = $2 AND likes > 0 ORDER BY likes DESC, emoji_id DESC \
                       OFFSET $3 LIMIT {limit}) \
         SELECT e.*, {row}, page.likes AS ranked_likes, now() AS sort_at, {total} AS total \
         FROM page JOIN emojis e ON e.id = page.emoji_id {joins} \
         ORDER BY page.likes DESC, page.emoji_id DESC",
        "w.likes, w.emoji_id".into(),
        "(SELECT emojis FROM ranking_windows WHERE period = $2)",
    )
});

static LIKED: LazyLock<ListSql> = LazyLock::new(|| {
    ListSql::new(
        Ordering::Liked,
        "SELECT e.*, {row}, e.like_count::bigint AS ranked_likes, l.created_at AS sort_at, \
                {total} AS total \
         FROM emoji_likes l JOIN emojis e ON e.id = l.emoji_id {joins} \
         WHERE l.user_id = $2 AND (e.visibility = 'public' OR e.user_id = $2){cond} \
         ORDER BY l.created_at DESC, l.emoji_id DESC LIMIT {limit}",
        "WITH page AS (SELECT l.emoji_id, l.created_at FROM emoji_likes l \
                       JOIN emojis v ON v.id = l.emoji_id \
                       WHERE l.user_id = $2 AND (v.visibility = 'public' OR v.user_id = $2) \
                       ORDER BY l.created_at DESC, l.emoji_id DESC OFFSET $3 LIMIT {limit}) \
         SELECT e.*, {row}, e.like_count::bigint AS ranked_likes, page.created_at AS sort_at, \
                {total} AS total \
         FROM page JOIN emojis e ON e.id = page.emoji_id {joins} \
         ORDER BY page.created_at DESC, page.emoji_id DESC",
        "l.created_at, l.emoji_id".into(),
        "coalesce((SELECT liked FROM user_emoji_counts WHERE user_id = $2), 0)",
    )
});

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
    let none = || Param::OptUuid(None);
    match order {
        Order::New => run_list(conn, &NEW, viewer, none(), start, limit),
        Order::Popular | Order::Window(Period::All) => {
            run_list(conn, &POPULAR, viewer, none(), start, limit)
        }
        Order::Window(period) => {
            roll_window(conn, period, window_start)?;
            let name = Param::Text(period.as_str());
            run_list(conn, &WINDOW, viewer, name, start, limit)
        }
    }
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
    run_list(conn, list, viewer, Param::Uuid(owner), start, limit)
}

/// A page of the emojis `user_id` liked and may still see (public ones and their own), most
/// recently liked first.
pub fn liked_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    start: Start,
    limit: i64,
) -> Result<Page<GalleryRow>, DbError> {
    run_list(
        conn,
        &LIKED,
        Some(user_id),
        Param::Uuid(user_id),
        start,
        limit,
    )
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
