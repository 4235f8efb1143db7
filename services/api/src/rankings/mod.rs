//! Rankings: emoji usage by template × expression and zodiac look-alikes by animal, over a
//! window of product days.

use std::collections::HashMap;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use moji_common::{AnimalId, Expression, Period, TemplateId};
use moji_db::insights;
use moji_telemetry::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::ApiResult,
    http::{choice, Text},
    state::AppState,
};

/// `?period=` of the rankings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// `week` (default: today and the 6 product days before), `month` (30 product days) or
    /// `all`.
    #[param(example = "week")]
    pub period: Option<String>,
}

impl RankingQuery {
    fn period(&self) -> ApiResult<Period> {
        Ok(choice("period", self.period.as_deref())?.unwrap_or(Period::Week))
    }
}

/// Uses of one template × expression.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FaceRankItem {
    /// 1-based rank; equal counts share a rank (1, 1, 3 …).
    pub rank: u32,
    /// Template.
    pub template: TemplateId,
    /// Expression.
    pub expression: Expression,
    /// Faces.
    pub count: i64,
}

/// Uses of one template.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateCount {
    /// Template.
    pub template: TemplateId,
    /// Faces.
    pub count: i64,
}

/// Faces with one expression.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExpressionCount {
    /// Expression.
    pub expression: Expression,
    /// Faces.
    pub count: i64,
}

/// Emoji usage ranking.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FaceRanking {
    /// Window asked for.
    pub period: Period,
    /// Start of the window: midnight of its first product day (null for `all`).
    pub since: Option<DateTime<Utc>>,
    /// Emoji faces in the window.
    pub total: i64,
    /// Template × expression, most used first (only combinations that occur).
    pub items: Vec<FaceRankItem>,
    /// Per template, most used first (only templates that occur).
    pub templates: Vec<TemplateCount>,
    /// Per expression, most used first (only expressions that occur).
    pub expressions: Vec<ExpressionCount>,
}

/// Results of one animal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalRankItem {
    /// 1-based rank; equal counts share a rank.
    pub rank: u32,
    /// Animal id.
    pub animal: AnimalId,
    /// Display name.
    pub name: Text,
    /// Emoji character.
    pub emoji: String,
    /// Zodiac results.
    pub count: i64,
}

/// Zodiac look-alike ranking.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ZodiacRanking {
    /// Window asked for.
    pub period: Period,
    /// Start of the window: midnight of its first product day (null for `all`).
    pub since: Option<DateTime<Utc>>,
    /// Zodiac results in the window.
    pub total: i64,
    /// All twelve animals, most frequent first (ties in traditional order), zeros included.
    pub items: Vec<AnimalRankItem>,
}

/// The first product day of a window (today when asked for `all`, which has none).
pub fn window_start(state: &AppState, period: Period) -> NaiveDate {
    match period {
        Period::Week => state.calendar.window_start(7),
        Period::Month => state.calendar.window_start(30),
        Period::All => state.calendar.today(),
    }
}

/// The first product day of a ranking window; `None` for all time.
fn since(state: &AppState, period: Period) -> Option<NaiveDate> {
    (period != Period::All).then(|| window_start(state, period))
}

/// When a window starts, for clients.
fn since_instant(state: &AppState, since: Option<NaiveDate>) -> Option<DateTime<Utc>> {
    since.map(|day| state.calendar.start_of(day))
}

/// Competition ranks (1, 1, 3 …) for counts already sorted descending.
pub fn ranks(counts: impl IntoIterator<Item = i64>) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let mut prev: Option<i64> = None;
    for (i, n) in counts.into_iter().enumerate() {
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let rank = match (prev, out.last()) {
            (Some(p), Some(&r)) if p == n => r,
            _ => position,
        };
        out.push(rank);
        prev = Some(n);
    }
    out
}

fn sorted_desc<K: Ord + Clone>(map: HashMap<K, i64>) -> Vec<(K, i64)> {
    let mut v: Vec<(K, i64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Emoji usage by template × expression in the window, with per-template and
/// per-expression totals.
pub async fn face_ranking(state: &AppState, period: Period) -> ApiResult<FaceRanking> {
    let since = since(state, period);
    let rows = state
        .db
        .run(move |c| insights::face_usage(c, since))
        .await?;
    let mut per_template: HashMap<TemplateId, i64> = HashMap::new();
    let mut per_expression: HashMap<Expression, i64> = HashMap::new();
    for (t, e, n) in &rows {
        *per_template.entry(*t).or_default() += n;
        *per_expression.entry(*e).or_default() += n;
    }
    let total = rows.iter().map(|r| r.2).sum();
    let item_ranks = ranks(rows.iter().map(|r| r.2));
    Ok(FaceRanking {
        period,
        since: since_instant(state, since),
        total,
        items: rows
            .into_iter()
            .zip(item_ranks)
            .map(|((template, expression, count), rank)| FaceRankItem {
                rank,
                template,
                expression,
                count,
            })
            .collect(),
        templates: sorted_desc(per_template)
            .into_iter()
            .map(|(template, count)| TemplateCount { template, count })
            .collect(),
        expressions: sorted_desc(per_expression)
            .into_iter()
            .map(|(expression, count)| ExpressionCount { expression, count })
            .collect(),
    })
}

/// Zodiac results per animal in the window: all twelve, most frequent first.
pub async fn zodiac_ranking(state: &AppState, period: Period) -> ApiResult<ZodiacRanking> {
    let since = since(state, period);
    let rows = state
        .db
        .run(move |c| insights::animal_counts(c, since))
        .await?;
    let counts: HashMap<AnimalId, i64> = rows.into_iter().collect();
    let mut animals: Vec<(&moji_catalog::Animal, i64)> = moji_catalog::animals()
        .iter()
        .map(|a| (a, counts.get(&a.id).copied().unwrap_or(0)))
        .collect();
    // Stable sort: ties stay in traditional order.
    animals.sort_by_key(|a| std::cmp::Reverse(a.1));
    let item_ranks = ranks(animals.iter().map(|a| a.1));
    Ok(ZodiacRanking {
        period,
        since: since_instant(state, since),
        total: animals.iter().map(|a| a.1).sum(),
        items: animals
            .into_iter()
            .zip(item_ranks)
            .map(|((a, count), rank)| AnimalRankItem {
                rank,
                animal: a.id,
                name: a.name.into(),
                emoji: a.emoji.to_owned(),
                count,
            })
            .collect(),
    })
}

/// Emoji usage ranking: faces per template × expression in the window, with per-template and
/// per-expression totals.
#[utoipa::path(
    get, path = "/api/v1/faces/ranking", tag = "gallery", params(RankingQuery),
    responses(
        (status = 200, body = FaceRanking),
        (status = 422, description = "Unknown `period`", body = Problem),
    )
)]
#[get("/faces/ranking")]
pub async fn face_ranking_route(
    state: web::Data<AppState>,
    query: web::Query<RankingQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(face_ranking(&state, query.period()?).await?))
}

/// Zodiac ranking: results per animal in the window, all twelve, most frequent first.
#[utoipa::path(
    get, path = "/api/v1/zodiac/ranking", tag = "zodiac", params(RankingQuery),
    responses(
        (status = 200, body = ZodiacRanking),
        (status = 422, description = "Unknown `period`", body = Problem),
    )
)]
#[get("/zodiac/ranking")]
pub async fn zodiac_ranking_route(
    state: web::Data<AppState>,
    query: web::Query<RankingQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(zodiac_ranking(&state, query.period()?).await?))
}

/// Registers the ranking routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(face_ranking_route)
        .service(zodiac_ranking_route);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(face_ranking_route, zodiac_ranking_route),
    components(schemas(
        FaceRankItem, TemplateCount, ExpressionCount, FaceRanking, AnimalRankItem, ZodiacRanking,
    )),
    tags((name = "zodiac", description = "The twelve zodiac animals, their ranking and shared results"))
)]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn competition_ranks() {
        assert_eq!(ranks([9, 5, 5, 2, 2, 2, 1]), [1, 2, 2, 4, 4, 4, 7]);
        assert_eq!(ranks([0, 0]), [1, 1]);
        assert!(ranks([]).is_empty());
    }
}
