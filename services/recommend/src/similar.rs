//! `GET /api/v1/posts/{id}/similar` and `GET /api/v1/products/{id}/similar`: the item's nearest
//! neighbours of the same kind.

use std::collections::HashSet;

use actix_web::{get, web, HttpRequest, HttpResponse};
use moji_ann::Filter;
use moji_db::recommend as db;
use moji_telemetry::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    cards::{self, Card, Pick, Why},
    error::{validated, RecError, RecResult},
    http::{optional_user, parse_id},
    indexer::kind_tag,
    metrics, RecState,
};

/// `?size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// How many, 1..=50 (default 20).
    #[param(minimum = 1, maximum = 50, default = 20)]
    pub size: Option<u32>,
}

/// A list of cards.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cards {
    /// Best first.
    pub items: Vec<Card>,
}

/// The title and vector of a visible item of `kind`: the vector from the index, else from
/// PostgreSQL (an item embedded by another replica a moment ago). 404 if the item is not
/// visible or not of `kind`.
pub async fn vector_of(
    state: &RecState,
    id: Uuid,
    kind: &'static str,
) -> RecResult<(String, Option<Vec<f32>>)> {
    let visible = state.db.run(move |c| db::visible_item(c, id)).await?;
    let title = match visible {
        Some(item) if item.kind == kind => item.title,
        _ => return Err(RecError::NotFound(kind)),
    };
    if let Some((_, vector)) = state.index.run(move |index| Ok(index.get(id))).await? {
        return Ok((title, Some(vector)));
    }
    let stored = state.db.run(move |c| db::embedding_of(c, id)).await?;
    Ok((title, stored.map(|r| r.embedding)))
}

/// Nearest neighbours of `vector` among items of `kind`, leaving out `exclude`.
pub async fn neighbours(
    state: &RecState,
    vector: Vec<f32>,
    kind: &str,
    k: usize,
    exclude: HashSet<Uuid>,
) -> RecResult<Vec<(Uuid, f32)>> {
    let tag = kind_tag(kind);
    let hits = state
        .index
        .run(move |index| {
            index.search(
                &vector,
                k,
                &Filter {
                    tag: Some(tag),
                    exclude: &exclude,
                },
            )
        })
        .await?;
    Ok(hits.into_iter().map(|h| (h.id, h.score)).collect())
}

async fn similar(state: &RecState, id: Uuid, kind: &'static str, size: usize) -> RecResult<Cards> {
    let (title, Some(vector)) = vector_of(state, id, kind).await? else {
        // Visible but not embedded yet (seconds after it was written): nothing to compare.
        return Ok(Cards { items: Vec::new() });
    };
    // A few more than asked: some neighbours may have been hidden since they were indexed.
    let hits = neighbours(state, vector, kind, size + 5, HashSet::from([id])).await?;
    let picks = hits
        .into_iter()
        .map(|(other, score)| Pick {
            id: other,
            score: f64::from(score),
            why: Why::about("similar_to", id, &title),
            matched_by: None,
        })
        .collect();
    let mut items = cards::load(state, picks, None).await?;
    items.truncate(size);
    Ok(Cards { items })
}

async fn handle(
    state: &RecState,
    req: &HttpRequest,
    raw_id: &str,
    size: Option<u32>,
    kind: &'static str,
) -> RecResult<HttpResponse> {
    let _timer = metrics::QUERY.with_label_values(&["similar"]).start_timer();
    optional_user(state, req).await?;
    let id = parse_id(raw_id)?;
    let mut errors = Vec::new();
    let size = cards::size_of(size, &mut errors);
    validated(errors)?;
    Ok(HttpResponse::Ok().json(similar(state, id, kind, size).await?))
}

/// Posts like this one.
#[utoipa::path(
    get, path = "/api/v1/posts/{id}/similar", tag = "recommend", params(("id" = Uuid, Path), SizeQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Cards),
        (status = 400, description = "The id is not a UUID", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such visible post", body = Problem),
        (status = 422, description = "Bad `size`", body = Problem),
    )
)]
#[get("/api/v1/posts/{id}/similar")]
pub async fn similar_posts(
    state: web::Data<RecState>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<SizeQuery>,
) -> RecResult<HttpResponse> {
    handle(&state, &req, &id, query.size, "post").await
}

/// Products like this one.
#[utoipa::path(
    get, path = "/api/v1/products/{id}/similar", tag = "recommend", params(("id" = Uuid, Path), SizeQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Cards),
        (status = 400, description = "The id is not a UUID", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 404, description = "No such visible product", body = Problem),
        (status = 422, description = "Bad `size`", body = Problem),
    )
)]
#[get("/api/v1/products/{id}/similar")]
pub async fn similar_products(
    state: web::Data<RecState>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<SizeQuery>,
) -> RecResult<HttpResponse> {
    handle(&state, &req, &id, query.size, "product").await
}
