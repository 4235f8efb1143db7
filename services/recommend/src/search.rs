//! `GET /api/v1/search`: hybrid search — nearest neighbours of the query's embedding and the
//! Korean-capable full-text ranking of PostgreSQL (migration 000013), fused by reciprocal rank.
//! Which method is the default was chosen on a judged query set (docs/recommend.md,
//! "Search quality").

use std::collections::{HashMap, HashSet};

use actix_web::{get, web, HttpRequest, HttpResponse};
use moji_ann::Filter;
use moji_db::{recommend as db, search as fulltext};
use moji_telemetry::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    cards::{self, Card, Pick, Why},
    error::{validated, RecError, RecResult},
    http::optional_user,
    indexer::kind_tag,
    metrics, RecState,
};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Deepest page.
pub const MAX_PAGE: u32 = 10;
/// Nearest neighbours below this cosine similarity are not matches: the index always has a
/// nearest item, related or not.
pub const MIN_SIMILARITY: f32 = 0.2;

/// `?q=&type=&page=&size=&method=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words or a sentence (Korean or English), at most 100 characters.
    pub q: Option<String>,
    /// `post` (default), `product`, `emoji` or `user`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Page, 1..=10 (default 1).
    #[param(minimum = 1, maximum = 10, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=50 (default 20).
    #[param(minimum = 1, maximum = 50, default = 20)]
    pub size: Option<u32>,
    /// `hybrid`, `semantic` or `fulltext` (default: the service's `recommend.search_method`).
    pub method: Option<String>,
}

/// A page of search results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    /// The query as searched.
    pub q: String,
    /// `post`, `product`, `emoji` or `user`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How results were ranked.
    pub method: String,
    /// This page.
    pub page: u32,
    /// Page size.
    pub size: u32,
    /// Whether a next page exists.
    pub has_more: bool,
    /// Best first.
    pub items: Vec<Card>,
}

/// A validated search.
#[derive(Debug, Clone)]
pub struct Search {
    /// The query text.
    pub q: String,
    /// Stored kind: `post`, `product`, `emoji` or `profile`.
    pub kind: &'static str,
    /// 1-based page.
    pub page: u32,
    /// Page size.
    pub size: u32,
    /// `hybrid`, `semantic` or `fulltext`.
    pub method: String,
}

impl Search {
    /// Validates the query string.
    pub fn parse(query: SearchQuery, default_method: &str) -> RecResult<Self> {
        let mut errors = Vec::new();
        let q = query.q.as_deref().unwrap_or_default().trim().to_owned();
        if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
            errors.push(FieldError::new(
                "q",
                format!("1 to {MAX_QUERY_CHARS} characters"),
            ));
        }
        let kind = match query.kind.as_deref().map(str::trim).unwrap_or("post") {
            "post" => "post",
            "product" => "product",
            "emoji" => "emoji",
            "user" => "profile",
            _ => {
                errors.push(FieldError::new(
                    "type",
                    "must be one of: post, product, emoji, user",
                ));
                "post"
            }
        };
        let page = query.page.unwrap_or(1);
        if !(1..=MAX_PAGE).contains(&page) {
            errors.push(FieldError::new("page", format!("1 to {MAX_PAGE}")));
        }
        let size = cards::size_of(query.size, &mut errors) as u32;
        let method = query
            .method
            .as_deref()
            .map(str::trim)
            .unwrap_or(default_method)
            .to_owned();
        if !matches!(method.as_str(), "hybrid" | "semantic" | "fulltext") {
            errors.push(FieldError::new(
                "method",
                "must be one of: hybrid, semantic, fulltext",
            ));
        }
        validated(errors)?;
        Ok(Self {
            q,
            kind,
            page,
            size,
            method,
        })
    }
}

/// Reciprocal rank fusion: each list gives `1 / (k + rank)` (rank from 1) to its items.
pub fn fuse(lists: &[&[Uuid]], k: u32) -> Vec<(Uuid, f64, Vec<usize>)> {
    let mut scores: HashMap<Uuid, (f64, Vec<usize>, usize)> = HashMap::new();
    let mut order = 0;
    for (which, list) in lists.iter().enumerate() {
        for (rank, id) in list.iter().enumerate() {
            let entry = scores.entry(*id).or_insert_with(|| {
                order += 1;
                (0.0, Vec::new(), order)
            });
            entry.0 += 1.0 / (f64::from(k) + rank as f64 + 1.0);
            entry.1.push(which);
        }
    }
    let mut fused: Vec<(Uuid, f64, Vec<usize>, usize)> = scores
        .into_iter()
        .map(|(id, (s, w, o))| (id, s, w, o))
        .collect();
    // Ties keep first-seen order, so equal fusions are stable between replicas.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.3.cmp(&b.3)));
    fused.into_iter().map(|(id, s, w, _)| (id, s, w)).collect()
}

/// Ids the semantic retriever finds for `q`, best first, at most `depth`.
pub async fn semantic_ids(
    state: &RecState,
    q: &str,
    kind: &str,
    depth: usize,
) -> RecResult<Vec<(Uuid, f32)>> {
    let vector = state
        .embed
        .embed(vec![q.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| RecError::Internal("no embedding for the query".into()))?;
    let tag = kind_tag(kind);
    let hits = state
        .index
        .run(move |index| {
            index.search(
                &vector,
                depth,
                &Filter {
                    tag: Some(tag),
                    exclude: &HashSet::new(),
                },
            )
        })
        .await?;
    Ok(hits
        .into_iter()
        .filter(|h| h.score >= MIN_SIMILARITY)
        .map(|h| (h.id, h.score))
        .collect())
}

/// Ids the full-text retriever finds for `q`, best first, at most `depth`.
pub async fn fulltext_ids(
    state: &RecState,
    q: &str,
    kind: &'static str,
    depth: usize,
) -> RecResult<Vec<Uuid>> {
    let depth = depth as i64;
    if kind == "emoji" {
        let q = q.to_owned();
        let mut ids = state
            .db
            .run(move |c| db::emoji_ids(c, &q, 0, depth))
            .await?;
        ids.truncate(depth as usize);
        return Ok(ids);
    }
    let Some(terms) = fulltext::query_of(q) else {
        return Ok(Vec::new());
    };
    let mut ids = state
        .db
        .run(move |c| match kind {
            "post" => fulltext::post_ids(c, &terms, 0, depth),
            "product" => fulltext::product_ids(c, &terms, 0, depth),
            _ => Ok(fulltext::people(c, &terms, 0, depth)?
                .into_iter()
                .map(|p| p.id)
                .collect()),
        })
        .await?;
    ids.truncate(depth as usize);
    Ok(ids)
}

/// Runs a search.
pub async fn run(state: &RecState, search: &Search) -> RecResult<SearchResults> {
    let wanted = (search.page * search.size) as usize + 1;
    // Each retriever looks deeper than the page so fusion can reorder what it finds.
    let depth = wanted.max(50);
    let (semantic, words) = match search.method.as_str() {
        "semantic" => (
            semantic_ids(state, &search.q, search.kind, depth).await?,
            Vec::new(),
        ),
        "fulltext" => (
            Vec::new(),
            fulltext_ids(state, &search.q, search.kind, depth).await?,
        ),
        _ => {
            let (s, f) = futures_util::try_join!(
                semantic_ids(state, &search.q, search.kind, depth),
                fulltext_ids(state, &search.q, search.kind, depth)
            )?;
            (s, f)
        }
    };
    let semantic_ids: Vec<Uuid> = semantic.iter().map(|(id, _)| *id).collect();
    let fused = fuse(&[&semantic_ids, &words], state.settings.recommend.rrf_k);
    let names = ["semantic", "fulltext"];
    let start = ((search.page - 1) * search.size) as usize;
    let has_more = fused.len() > start + search.size as usize;
    let picks: Vec<Pick> = fused
        .into_iter()
        .skip(start)
        .take(search.size as usize)
        .map(|(id, score, which)| Pick {
            id,
            score,
            why: Why::plain("matched", "matches your search"),
            matched_by: Some(which.into_iter().map(|w| names[w].to_owned()).collect()),
        })
        .collect();
    let items = cards::load(state, picks, None).await?;
    Ok(SearchResults {
        q: search.q.clone(),
        kind: cards::public_kind(search.kind).to_owned(),
        method: search.method.clone(),
        page: search.page,
        size: search.size,
        has_more,
        items,
    })
}

/// Search posts, products, emojis or people by meaning and by words.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 422, description = "Missing or too long `q`, bad `type`, `page`, `size` or `method`", body = Problem),
        (status = 503, description = "Too many searches being embedded; retry", body = Problem),
    )
)]
#[get("/api/v1/search")]
pub async fn search_route(
    state: web::Data<RecState>,
    req: HttpRequest,
    query: web::Query<SearchQuery>,
) -> RecResult<HttpResponse> {
    let _timer = metrics::QUERY.with_label_values(&["search"]).start_timer();
    optional_user(&state, &req).await?;
    let search = Search::parse(query.into_inner(), &state.settings.recommend.search_method)?;
    Ok(HttpResponse::Ok().json(run(&state, &search).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_adds_reciprocal_ranks() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let fused = fuse(&[&[a, b], &[b, c]], 60);
        assert_eq!(fused[0].0, b, "found by both lists");
        assert!((fused[0].1 - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-12);
        assert_eq!(fused[0].2, vec![0, 1]);
        assert_eq!(
            fused[1].0, a,
            "rank 1 of one list before rank 2 of the other"
        );
        assert_eq!(fused[2].0, c);
        assert_eq!(fused.len(), 3);
    }

    #[test]
    fn queries_are_validated() {
        let parse = |q: Option<&str>, kind: Option<&str>, size: Option<u32>| {
            Search::parse(
                SearchQuery {
                    q: q.map(str::to_owned),
                    kind: kind.map(str::to_owned),
                    page: None,
                    size,
                    method: None,
                },
                "hybrid",
            )
        };
        assert!(matches!(
            parse(None, None, None),
            Err(RecError::Validation(_))
        ));
        assert!(matches!(
            parse(Some("a"), Some("video"), None),
            Err(RecError::Validation(_))
        ));
        assert!(matches!(
            parse(Some("a"), None, Some(51)),
            Err(RecError::Validation(_))
        ));
        let ok = parse(Some(" 감귤 "), Some("user"), Some(5)).unwrap();
        assert_eq!(
            (ok.q.as_str(), ok.kind, ok.size, ok.page),
            ("감귤", "profile", 5, 1)
        );
    }
}
