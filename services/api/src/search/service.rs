//! Searching: validate, turn the words into grams, run the one query of the type asked.

use moji_db::{media, search};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{PersonCard, SearchQuery, SearchResults};
use crate::{
    error::{validated, ApiError, ApiResult},
    posts::service::views as post_views,
    products::service::load_views,
    state::AppState,
};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Deepest page.
pub const MAX_PAGE: u32 = 10;
/// Largest page.
pub const MAX_SIZE: u32 = 50;

/// The ids matching `terms` in rank order (`limit + 1` from `offset`), reused from Redis for
/// `search.cache_ttl_secs`: matching and ranking is the costly part of a search, and popular
/// queries repeat. Rows are always loaded fresh, so deleted or hidden content never shows.
async fn matches(
    state: &AppState,
    kind: &str,
    terms: &str,
    offset: i64,
    limit: i64,
) -> ApiResult<Vec<Uuid>> {
    let ttl = std::time::Duration::from_secs(state.settings.search.cache_ttl_secs);
    let name = format!("search:{kind}:{offset}:{limit}:{terms}");
    if !ttl.is_zero() {
        // A cache that cannot answer is only slower, never wrong: fall through to the query.
        if let Ok(Some(hit)) = state.redis.cached(&name).await {
            if let Ok(ids) = serde_json::from_str::<Vec<Uuid>>(&hit) {
                return Ok(ids);
            }
        }
    }
    let (kind, terms_owned) = (kind.to_owned(), terms.to_owned());
    let ids = state
        .db
        .run(move |c| match kind.as_str() {
            "post" => search::post_ids(c, &terms_owned, offset, limit),
            _ => search::product_ids(c, &terms_owned, offset, limit),
        })
        .await?;
    if !ttl.is_zero() {
        if let Ok(text) = serde_json::to_string(&ids) {
            if let Err(e) = state.redis.cache(&name, &text, ttl).await {
                tracing::debug!(error = %e, "search matches not cached");
            }
        }
    }
    Ok(ids)
}

/// Runs a search.
pub async fn search(
    state: &AppState,
    viewer: Option<Uuid>,
    query: SearchQuery,
) -> ApiResult<SearchResults> {
    let mut errors = Vec::new();
    let q = query.q.as_deref().unwrap_or_default().trim().to_owned();
    let terms = if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
        errors.push(FieldError::new(
            "q",
            format!("1 to {MAX_QUERY_CHARS} characters"),
        ));
        None
    } else {
        let terms = search::query_of(&q);
        if terms.is_none() {
            errors.push(FieldError::new("q", "needs a letter or digit to search by"));
        }
        terms
    };
    let kind = query
        .kind
        .as_deref()
        .map(str::trim)
        .unwrap_or("post")
        .to_owned();
    if !matches!(kind.as_str(), "post" | "product" | "user") {
        errors.push(FieldError::new(
            "type",
            "must be one of: post, product, user",
        ));
    }
    let page = query.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        errors.push(FieldError::new("page", format!("1 to {MAX_PAGE}")));
    }
    let size = query.size.unwrap_or(20);
    if !(1..=MAX_SIZE).contains(&size) {
        errors.push(FieldError::new("size", format!("1 to {MAX_SIZE}")));
    }
    validated(errors)?;
    let terms = terms.ok_or_else(|| ApiError::Internal("query lost after validation".into()))?;
    let (limit, offset) = (i64::from(size), i64::from((page - 1) * size));
    let mut results = SearchResults {
        kind: kind.clone(),
        q,
        page,
        size,
        has_more: false,
        posts: Vec::new(),
        products: Vec::new(),
        users: Vec::new(),
    };
    let more = |n: usize| n as i64 > limit;
    match kind.as_str() {
        "post" => {
            let mut ids = matches(state, &kind, &terms, offset, limit).await?;
            results.has_more = more(ids.len());
            ids.truncate(size as usize);
            let (rows, images) = state
                .db
                .run(move |c| {
                    let rows = search::posts_by_ids(c, &ids, viewer)?;
                    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
                    Ok((rows, media::images_of_posts(c, &ids)?))
                })
                .await?;
            results.posts = post_views(state, rows, images).await?;
        }
        "product" => {
            let mut ids = matches(state, &kind, &terms, offset, limit).await?;
            results.has_more = more(ids.len());
            ids.truncate(size as usize);
            results.products = load_views(state, move |c| search::products_by_ids(c, &ids)).await?;
        }
        _ => {
            let mut people = state
                .db
                .run(move |c| search::people(c, &terms, offset, limit))
                .await?;
            results.has_more = more(people.len());
            people.truncate(size as usize);
            results.users = people
                .into_iter()
                .map(|p| PersonCard {
                    id: p.id,
                    username: p.username,
                    display_name: p.display_name,
                    bio: p.bio,
                })
                .collect();
        }
    }
    Ok(results)
}
