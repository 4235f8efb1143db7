//! Korean and English search over posts, products and people (migration 000013): texts are
//! indexed as grams — Hangul syllables and syllable pairs, Latin words whole — and a query
//! becomes the AND of its grams, so one- and two-syllable Korean words find their texts
//! through the GIN index like longer ones.

use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Text, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{
    posts::PostRow,
    prepared::{Param, PreparedSql},
    products::ProductRow,
    DbError,
};

/// Most grams a query keeps (a long pasted text is cut, not refused).
const MAX_TERMS: usize = 16;
/// Longest Latin word kept, as in the index.
const MAX_WORD: usize = 64;

fn is_hangul(c: char) -> bool {
    ('가'..='힣').contains(&c)
}

/// The tsquery text of a search: its grams AND-ed (Latin words as prefixes); `None` when the
/// query has no letters or digits to search by.
pub fn query_of(q: &str) -> Option<String> {
    let lower = q.to_lowercase();
    let mut terms: Vec<String> = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, terms: &mut Vec<String>| {
        if run.is_empty() {
            return;
        }
        let chars: Vec<char> = run.chars().collect();
        if chars.first().copied().is_some_and(is_hangul) {
            if chars.len() == 1 {
                terms.push(format!("'{}'", chars[0]));
            } else {
                for pair in chars.windows(2) {
                    terms.push(format!("'{}{}'", pair[0], pair[1]));
                }
            }
        } else {
            let word: String = chars.iter().take(MAX_WORD).collect();
            terms.push(format!("'{word}':*"));
        }
        run.clear();
    };
    let mut hangul_run = false;
    for c in lower.chars() {
        let (word, hangul) = (c.is_ascii_lowercase() || c.is_ascii_digit(), is_hangul(c));
        if (hangul || word) && !run.is_empty() && hangul != hangul_run {
            flush(&mut run, &mut terms);
        }
        if hangul || word {
            run.push(c);
            hangul_run = hangul;
        } else {
            flush(&mut run, &mut terms);
        }
    }
    flush(&mut run, &mut terms);
    let mut seen = Vec::new();
    terms.retain(|t| {
        let fresh = !seen.contains(t);
        seen.push(t.clone());
        fresh
    });
    terms.truncate(MAX_TERMS);
    (!terms.is_empty()).then(|| terms.join(" & "))
}

/// Ids of published posts matching `query` (from [`query_of`]), best first (title matches
/// weigh most), then newest: `limit + 1` from `offset`, so the caller knows if more follow.
/// Only the posts themselves are read; [`posts_by_ids`] loads the page.
pub fn post_ids(
    conn: &mut PgConnection,
    query: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    ranked_ids(conn, "posts", query, offset, limit)
}

/// [`post_ids`] over `table` (`posts` or `products`, whose `search` is kept alike).
fn ranked_ids(
    conn: &mut PgConnection,
    table: &'static str,
    query: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    let rows: Vec<IdRow> = PreparedSql::new(format!(
        "SELECT p.id FROM {table} p \
         WHERE p.status = 'published' AND p.search @@ $1::tsquery \
         ORDER BY ts_rank(p.search, $1::tsquery) DESC, p.created_at DESC, p.id DESC \
         LIMIT $2 OFFSET $3"
    ))
    .bind(Param::String(query.to_owned()))
    .bind(Param::BigInt(limit + 1))
    .bind(Param::BigInt(offset))
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The published posts with these ids as `viewer` sees them, in the order given (a post
/// deleted or hidden since the ids were found is left out).
pub fn posts_by_ids(
    conn: &mut PgConnection,
    ids: &[Uuid],
    viewer: Option<Uuid>,
) -> Result<Vec<PostRow>, DbError> {
    let (row, joins) = (crate::posts::ROW, crate::posts::JOINS);
    let rows: Vec<PostRow> = diesel::sql_query(format!(
        "SELECT {row} FROM posts p {joins} WHERE p.id = ANY($2) AND p.status = 'published'"
    ))
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(viewer)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)?;
    Ok(in_order(ids, rows, |r| r.id))
}

/// Ids of published products matching `query`, best first, then newest (`limit + 1`).
pub fn product_ids(
    conn: &mut PgConnection,
    query: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    ranked_ids(conn, "products", query, offset, limit)
}

/// The published products with these ids, in the order given.
pub fn products_by_ids(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<ProductRow>, DbError> {
    let row = crate::products::ROW;
    let rows: Vec<ProductRow> = diesel::sql_query(format!(
        "SELECT {row} FROM products p JOIN users u ON u.id = p.seller_id \
         WHERE p.id = ANY($1) AND p.status = 'published'"
    ))
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .load(conn)?;
    Ok(in_order(ids, rows, |r| r.id))
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// `rows` in the order of `ids`.
fn in_order<T>(ids: &[Uuid], mut rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> Vec<T> {
    rows.sort_by_key(|r| ids.iter().position(|i| *i == id(r)).unwrap_or(usize::MAX));
    rows
}

/// A person found by search.
#[derive(Debug, Clone, QueryableByName)]
pub struct PersonHit {
    /// Account id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Handle.
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Display name.
    #[diesel(sql_type = Text)]
    pub display_name: String,
    /// Bio.
    #[diesel(sql_type = Text)]
    pub bio: String,
}

/// People whose handle, display name or bio match `query`; names weigh most.
pub fn people(
    conn: &mut PgConnection,
    query: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<PersonHit>, DbError> {
    Ok(PreparedSql::new(
        "SELECT u.id, u.username, u.display_name, u.bio FROM users u \
         WHERE u.search @@ $1::tsquery \
         ORDER BY ts_rank(u.search, $1::tsquery) DESC, u.created_at DESC, u.id DESC \
         LIMIT $2 OFFSET $3"
            .to_owned(),
    )
    .bind(Param::String(query.to_owned()))
    .bind(Param::BigInt(limit + 1))
    .bind(Param::BigInt(offset))
    .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_grams() {
        assert_eq!(query_of("감귤").as_deref(), Some("'감귤'"));
        assert_eq!(query_of("귤").as_deref(), Some("'귤'"));
        assert_eq!(
            query_of("감귤농장").as_deref(),
            Some("'감귤' & '귤농' & '농장'")
        );
        assert_eq!(
            query_of("Jeju 감귤!!").as_deref(),
            Some("'jeju':* & '감귤'")
        );
        assert_eq!(query_of("2024년").as_deref(), Some("'2024':* & '년'"));
        assert_eq!(query_of("  ?!  "), None);
        assert_eq!(
            query_of("' & ! | :*"),
            None,
            "no tsquery syntax gets through"
        );
        assert_eq!(query_of("귤 귤").as_deref(), Some("'귤'"));
        assert!(query_of(&"가나".repeat(100)).unwrap().split(" & ").count() <= MAX_TERMS);
    }
}
