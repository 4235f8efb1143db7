//! "For you" (`GET /api/v1/recommend/posts|products`) and the anonymous
//! `GET /api/v1/products/recommend`.
//!
//! For a person: what they liked and looked at (long looks weigh more; everything fades with a
//! half-life) becomes up to [`ANCHORS`] weighted anchors; each anchor's neighbours of the asked
//! kind score `weight × similarity`, summed over anchors, and each item says which anchor
//! counted most. What they already liked or viewed, and their own items, are left out. With no
//! history (or too little), popular and new items fill the list.

use std::collections::{HashMap, HashSet};

use actix_web::{get, web, HttpResponse};
use chrono::Utc;
use moji_auth::AuthUser;
use moji_db::recommend::{self as db, Ranked};
use moji_telemetry::Problem;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    cards::{self, Card, Pick, Why},
    error::{validated, RecResult},
    metrics,
    similar::{neighbours, Cards, SizeQuery},
    RecState,
};

/// Anchors used at most.
pub const ANCHORS: usize = 10;
/// Signals read per source (likes of posts, likes of emojis, views).
const SIGNALS: i64 = 50;
/// Items one owner may have in an anonymous or cold-start list.
const PER_OWNER: usize = 2;
/// Two items this similar are near-duplicates: a diverse list keeps the first.
const DUPLICATE_SIMILARITY: f32 = 0.92;

/// A person's list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ForYou {
    /// Best first.
    pub items: Vec<Card>,
    /// True when nothing in the list comes from the person's history (popular and new only).
    pub cold_start: bool,
}

/// How much a signal says about interest: a like fully, a view by its length, both fading.
pub fn weight(
    how: &str,
    dwell_ms: i64,
    age_days: f64,
    long_dwell_ms: u64,
    half_life_days: f64,
) -> f64 {
    let base = if how == "liked" {
        1.0
    } else {
        let share = (dwell_ms.max(0) as f64 / long_dwell_ms.max(1) as f64).min(1.0);
        0.2 + 0.6 * share
    };
    base * 0.5f64.powf(age_days.max(0.0) / half_life_days)
}

struct Anchor {
    id: Uuid,
    weight: f64,
    reason: &'static str,
    vector: Vec<f32>,
}

/// The person's anchors, strongest first, and every item they have shown interest in.
async fn anchors(state: &RecState, user: Uuid) -> RecResult<(Vec<Anchor>, HashSet<Uuid>)> {
    let signals = state.db.run(move |c| db::signals(c, user, SIGNALS)).await?;
    let rec = &state.settings.recommend;
    let now = Utc::now();
    let mut by_item: HashMap<Uuid, Anchor> = HashMap::new();
    for s in &signals {
        let age = (now - s.at).num_seconds() as f64 / 86_400.0;
        let w = weight(
            &s.how,
            s.dwell_ms,
            age,
            rec.long_dwell_ms,
            rec.recency_half_life_days,
        );
        let reason = if s.how == "liked" {
            "because_you_liked"
        } else {
            "because_you_viewed"
        };
        let entry = by_item.entry(s.item_id).or_insert(Anchor {
            id: s.item_id,
            weight: 0.0,
            reason,
            vector: Vec::new(),
        });
        entry.weight += w;
        if s.how == "liked" {
            entry.reason = "because_you_liked";
        }
    }
    let seen: HashSet<Uuid> = by_item.keys().copied().collect();
    let mut list: Vec<Anchor> = by_item.into_values().collect();
    list.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.id.cmp(&b.id)));
    // The strongest anchors that have a vector, with it.
    let candidates: Vec<Uuid> = list.iter().map(|a| a.id).collect();
    let vectors = state
        .index
        .run(move |index| {
            let mut found = HashMap::new();
            for id in candidates {
                if found.len() >= ANCHORS {
                    break;
                }
                if let Some((_, v)) = index.get(id) {
                    found.insert(id, v);
                }
            }
            Ok(found)
        })
        .await?;
    let mut anchors = Vec::new();
    for mut a in list {
        if let Some(v) = vectors.get(&a.id) {
            a.vector = v.clone();
            anchors.push(a);
        }
    }
    Ok((anchors, seen))
}

/// Popular and new items of `kind` (alternating), at most [`PER_OWNER`] per owner, leaving out
/// `exclude`.
async fn cold(
    state: &RecState,
    kind: &'static str,
    size: usize,
    exclude: &HashSet<Uuid>,
) -> RecResult<Vec<Pick>> {
    let depth = (size * 4).max(40) as i64;
    let (popular, latest) = state
        .db
        .run(move |c| Ok((db::popular(c, kind, depth)?, db::latest(c, kind, depth)?)))
        .await?;
    let mut owners: HashMap<Uuid, usize> = HashMap::new();
    let mut chosen: HashSet<Uuid> = HashSet::new();
    let mut picks = Vec::new();
    let (mut p, mut l) = (popular.into_iter(), latest.into_iter());
    let mut take_popular = true;
    let mut exhausted = 0;
    while picks.len() < size && exhausted < 2 {
        let next: Option<(Ranked, &str)> = if take_popular {
            p.next().map(|r| (r, "popular"))
        } else {
            l.next().map(|r| (r, "latest"))
        };
        take_popular = !take_popular;
        let Some((item, reason)) = next else {
            exhausted += 1;
            continue;
        };
        exhausted = 0;
        let owned = owners.entry(item.owner_id).or_default();
        if exclude.contains(&item.id) || chosen.contains(&item.id) || *owned >= PER_OWNER {
            continue;
        }
        *owned += 1;
        chosen.insert(item.id);
        let text = if reason == "popular" {
            "popular right now"
        } else {
            "new"
        };
        picks.push(Pick {
            id: item.id,
            score: item.score,
            why: Why::plain(reason, text),
            matched_by: None,
        });
    }
    Ok(picks)
}

/// The person's list of `kind`.
pub async fn for_you(
    state: &RecState,
    user: Uuid,
    kind: &'static str,
    size: usize,
) -> RecResult<ForYou> {
    let (anchors, seen) = anchors(state, user).await?;
    let titles = cards::titles(state, anchors.iter().map(|a| a.id).collect()).await?;
    // item -> (score, best contribution, anchor)
    let mut scored: HashMap<Uuid, (f64, f64, usize)> = HashMap::new();
    for (i, anchor) in anchors.iter().enumerate() {
        let hits = neighbours(
            state,
            anchor.vector.clone(),
            kind,
            size * 2 + 10,
            seen.clone(),
        )
        .await?;
        for (id, similarity) in hits {
            let contribution = anchor.weight * f64::from(similarity.max(0.0));
            let entry = scored.entry(id).or_insert((0.0, 0.0, i));
            entry.0 += contribution;
            if contribution > entry.1 {
                (entry.1, entry.2) = (contribution, i);
            }
        }
    }
    let mut ranked: Vec<(Uuid, (f64, f64, usize))> = scored.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let picks: Vec<Pick> = ranked
        .into_iter()
        .take(size + 10)
        .map(|(id, (score, _, a))| {
            let anchor = &anchors[a];
            let title = titles.get(&anchor.id).map_or("", String::as_str);
            Pick {
                id,
                score,
                why: Why::about(anchor.reason, anchor.id, title),
                matched_by: None,
            }
        })
        .collect();
    let mut items = cards::load(state, picks, Some(user)).await?;
    items.truncate(size);
    let cold_start = items.is_empty();
    if items.len() < size {
        let mut exclude = seen;
        exclude.extend(items.iter().map(|c| c.id));
        let fill = cold(state, kind, size - items.len() + 10, &exclude).await?;
        let more = cards::load(state, fill, Some(user)).await?;
        items.extend(more.into_iter().take(size - items.len()));
    }
    Ok(ForYou { items, cold_start })
}

/// Popular products, diverse: at most [`PER_OWNER`] per seller and no near-duplicates.
pub async fn popular_products(state: &RecState, size: usize) -> RecResult<Cards> {
    let candidates = cold(state, "product", size * 3, &HashSet::new()).await?;
    let ids: Vec<Uuid> = candidates.iter().map(|p| p.id).collect();
    let found = state
        .index
        .run(move |index| {
            Ok(ids
                .into_iter()
                .map(|id| index.get(id).map(|(_, v)| v))
                .collect::<Vec<_>>())
        })
        .await?;
    let mut kept: Vec<Pick> = Vec::new();
    let mut vectors: Vec<Vec<f32>> = Vec::new();
    for (pick, vector) in candidates.into_iter().zip(found) {
        if kept.len() >= size + 5 {
            break;
        }
        if let Some(v) = vector {
            let duplicate = vectors.iter().any(|k| dot(k, &v) > DUPLICATE_SIMILARITY);
            if duplicate {
                continue;
            }
            vectors.push(v);
        }
        kept.push(pick);
    }
    let mut items = cards::load(state, kept, None).await?;
    items.truncate(size);
    Ok(Cards { items })
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn size(query: &SizeQuery) -> RecResult<usize> {
    let mut errors = Vec::new();
    let size = cards::size_of(query.size, &mut errors);
    validated(errors)?;
    Ok(size)
}

/// Posts for the caller, from what they liked and read.
#[utoipa::path(
    get, path = "/api/v1/recommend/posts", tag = "recommend", params(SizeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ForYou),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 422, description = "Bad `size`", body = Problem),
    )
)]
#[get("/api/v1/recommend/posts")]
pub async fn posts_for_you(
    state: web::Data<RecState>,
    who: AuthUser,
    query: web::Query<SizeQuery>,
) -> RecResult<HttpResponse> {
    let _timer = metrics::QUERY.with_label_values(&["for_you"]).start_timer();
    let size = size(&query)?;
    Ok(HttpResponse::Ok().json(for_you(&state, who.user_id, "post", size).await?))
}

/// Products for the caller, from what they liked and looked at.
#[utoipa::path(
    get, path = "/api/v1/recommend/products", tag = "recommend", params(SizeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ForYou),
        (status = 401, description = "Not signed in", body = Problem),
        (status = 422, description = "Bad `size`", body = Problem),
    )
)]
#[get("/api/v1/recommend/products")]
pub async fn products_for_you(
    state: web::Data<RecState>,
    who: AuthUser,
    query: web::Query<SizeQuery>,
) -> RecResult<HttpResponse> {
    let _timer = metrics::QUERY.with_label_values(&["for_you"]).start_timer();
    let size = size(&query)?;
    Ok(HttpResponse::Ok().json(for_you(&state, who.user_id, "product", size).await?))
}

/// Popular products for anyone, diverse by seller and content.
#[utoipa::path(
    get, path = "/api/v1/products/recommend", tag = "recommend", params(SizeQuery),
    responses(
        (status = 200, body = Cards),
        (status = 422, description = "Bad `size`", body = Problem),
    )
)]
#[get("/api/v1/products/recommend")]
pub async fn popular_route(
    state: web::Data<RecState>,
    query: web::Query<SizeQuery>,
) -> RecResult<HttpResponse> {
    let _timer = metrics::QUERY.with_label_values(&["popular"]).start_timer();
    let size = size(&query)?;
    Ok(HttpResponse::Ok().json(popular_products(&state, size).await?))
}

#[cfg(test)]
mod tests {
    use super::weight;

    #[test]
    fn long_and_recent_interest_weighs_more() {
        let like = weight("liked", 0, 0.0, 30_000, 14.0);
        let long = weight("viewed", 60_000, 0.0, 30_000, 14.0);
        let short = weight("viewed", 2_000, 0.0, 30_000, 14.0);
        assert!(like > long && long > short && short > 0.0);
        let old_like = weight("liked", 0, 14.0, 30_000, 14.0);
        assert!((old_like - 0.5).abs() < 1e-9, "half-life halves");
    }
}
