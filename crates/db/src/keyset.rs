//! Keyset pages: where a page starts (a few rows from the top, or after a row's sort key),
//! what it holds, and the key the next page starts after. A page walks an index from its
//! start, so it costs the same at any depth; `offset` is only for the first pages.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::prepared::Param;

/// The deepest `offset` a page may start at; deeper pages start after a key.
pub const MAX_OFFSET: i64 = 1_000;

/// The sort key of a row in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Newest first: creation (or like) time, then id, both descending.
    Time {
        /// Creation time of the row.
        at: DateTime<Utc>,
        /// Its id (breaks ties).
        id: Uuid,
    },
    /// Oldest first: creation time, then id, both ascending (a conversation reads top-down).
    Oldest {
        /// Creation time of the row.
        at: DateTime<Utc>,
        /// Its id (breaks ties).
        id: Uuid,
    },
    /// Most liked first (all time), then newest.
    Popular {
        /// Likes of the row.
        likes: i64,
        /// Creation time of the row.
        at: DateTime<Utc>,
        /// Its id.
        id: Uuid,
    },
    /// By price (either direction), then id in the same direction.
    Price {
        /// Price of the row.
        price: i64,
        /// Its id.
        id: Uuid,
    },
    /// Most likes in a ranking window first, then the higher (newer, UUIDv7) id.
    Window {
        /// Likes in the window.
        likes: i64,
        /// Emoji id.
        id: Uuid,
    },
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Skip this many rows from the top (at most [`MAX_OFFSET`]).
    Offset(i64),
    /// Right after the row with this key.
    After(Key),
}

impl Start {
    /// The first page.
    pub const TOP: Start = Start::Offset(0);
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// This page's rows.
    pub items: Vec<T>,
    /// Rows across all pages.
    pub total: i64,
    /// The key the next page starts after; `None` on the last page.
    pub next: Option<Key>,
}

impl<T> Page<T> {
    /// A page from `limit + 1` fetched rows: the extra row only says there is a next page.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        limit: i64,
        total: i64,
        key: impl Fn(&T) -> Key,
    ) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more { rows.last().map(key) } else { None };
        Page {
            items: rows,
            total,
            next,
        }
    }

    /// The same page with its rows mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            next: self.next,
        }
    }
}

/// The rows a page fetches for `limit` asked: one of a few sizes (plus one, which only says
/// whether there is a next page), so each list has a handful of statement texts to prepare.
pub(crate) fn fetched_rows(limit: i64) -> i64 {
    [10, 20, 50, 100]
        .into_iter()
        .find(|bucket| *bucket >= limit)
        .unwrap_or(limit)
        + 1
}

/// The keyset condition of a page that starts after a key, for a list ordered by `columns`
/// (all descending, or all ascending for [`Key::Oldest`]): ` AND (cols) < ($first_bind, …)`
/// (`>` when ascending); empty for a page that starts at an offset. Its binds are
/// [`start_params`].
pub(crate) fn after_sql(start: Start, columns: &str, first_bind: usize) -> String {
    after_sql_in(start, columns, first_bind, "<")
}

/// [`after_sql`] for a list ordered by `columns` all ascending: ` AND (cols) > (…)`.
pub(crate) fn after_sql_ascending(start: Start, columns: &str, first_bind: usize) -> String {
    after_sql_in(start, columns, first_bind, ">")
}

fn after_sql_in(start: Start, columns: &str, first_bind: usize, op: &str) -> String {
    let Start::After(key) = start else {
        return String::new();
    };
    let (arity, op) = match key {
        Key::Time { .. } | Key::Window { .. } | Key::Price { .. } => (2, op),
        // An oldest-first key carries its direction: its lists always walk up.
        Key::Oldest { .. } => (2, ">"),
        Key::Popular { .. } => (3, op),
    };
    let binds: Vec<String> = (first_bind..first_bind + arity)
        .map(|n| format!("${n}"))
        .collect();
    format!(" AND ({columns}) {op} ({})", binds.join(", "))
}

/// Where a page of a list sorted by `accepts`'s kind of key starts, as SQL: the keyset
/// condition (as [`after_sql`]) and the ` OFFSET $first_bind` clause, either or both empty;
/// [`DbError::BadCursor`](crate::DbError::BadCursor) for a key of another kind. Their binds
/// are [`start_params`].
pub(crate) fn start_sql(
    start: Start,
    accepts: impl Fn(&Key) -> bool,
    columns: &str,
    first_bind: usize,
) -> Result<(String, String), crate::DbError> {
    match start {
        Start::Offset(0) => Ok((String::new(), String::new())),
        Start::Offset(_) => Ok((String::new(), format!(" OFFSET ${first_bind}"))),
        Start::After(key) if accepts(&key) => {
            Ok((after_sql(start, columns, first_bind), String::new()))
        }
        Start::After(_) => Err(crate::DbError::BadCursor),
    }
}

/// The binds a page's start adds: the key's values, or the offset (at most [`MAX_OFFSET`];
/// none for the top).
pub(crate) fn start_params(start: Start) -> Vec<Param> {
    match start {
        Start::Offset(0) => vec![],
        Start::Offset(n) => vec![Param::BigInt(n.clamp(0, MAX_OFFSET))],
        Start::After(Key::Time { at, id } | Key::Oldest { at, id }) => {
            vec![Param::Time(at), Param::Uuid(id)]
        }
        Start::After(Key::Popular { likes, at, id }) => vec![
            Param::Int(i32::try_from(likes).unwrap_or(i32::MAX)),
            Param::Time(at),
            Param::Uuid(id),
        ],
        Start::After(Key::Window { likes, id }) => vec![Param::BigInt(likes), Param::Uuid(id)],
        Start::After(Key::Price { price, id }) => vec![Param::BigInt(price), Param::Uuid(id)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_row_means_next_page() {
        let key = |n: &i64| Key::Window {
            likes: *n,
            id: Uuid::nil(),
        };
        let page = Page::from_rows(vec![5, 4, 3], 2, 9, key);
        assert_eq!(page.items, vec![5, 4]);
        assert_eq!(page.next, Some(key(&4)));
        let last = Page::from_rows(vec![5, 4], 2, 9, key);
        assert_eq!(last.next, None);
    }

    #[test]
    fn start_clauses() {
        assert_eq!(after_sql(Start::Offset(40), "a, b", 3), "");
        assert_eq!(start_params(Start::Offset(40)), vec![Param::BigInt(40)]);
        assert_eq!(
            start_params(Start::Offset(1_000_000)),
            vec![Param::BigInt(1000)]
        );
        assert_eq!(start_params(Start::TOP), vec![]);
        let after = Start::After(Key::Popular {
            likes: 1,
            at: Utc::now(),
            id: Uuid::nil(),
        });
        assert_eq!(
            after_sql(after, "x, y, z", 2),
            " AND (x, y, z) < ($2, $3, $4)"
        );
        assert_eq!(start_params(after).len(), 3);
        let oldest = Start::After(Key::Oldest {
            at: Utc::now(),
            id: Uuid::nil(),
        });
        assert_eq!(after_sql(oldest, "a, b", 3), " AND (a, b) > ($3, $4)");
        assert_eq!(start_params(oldest).len(), 2);
    }

    #[test]
    fn a_page_refuses_keys_of_another_order() {
        let oldest = |k: &Key| matches!(k, Key::Oldest { .. });
        let key = Key::Time {
            at: Utc::now(),
            id: Uuid::nil(),
        };
        assert!(start_sql(Start::After(key), oldest, "a, b", 3).is_err());
        assert_eq!(
            start_sql(Start::TOP, oldest, "a, b", 3).unwrap(),
            (String::new(), String::new())
        );
        assert_eq!(
            start_sql(Start::Offset(40), oldest, "a, b", 3).unwrap(),
            (String::new(), " OFFSET $3".to_owned())
        );
        assert_eq!(
            start_sql(
                Start::After(Key::Oldest {
                    at: Utc::now(),
                    id: Uuid::nil()
                }),
                oldest,
                "a, b",
                3
            )
            .unwrap()
            .0,
            " AND (a, b) > ($3, $4)"
        );
    }
}
