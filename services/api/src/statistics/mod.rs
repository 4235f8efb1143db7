//! Personal statistics of face results over product days, grouped by day, ISO week or month.

use std::collections::HashMap;

use actix_web::{get, web, HttpResponse};
use chrono::{Datelike, Days, Months, NaiveDate};
use moji_auth::AuthUser;
use moji_common::{AnimalId, Expression, TaskKind};
use moji_db::insights;
use moji_telemetry::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::{ApiError, ApiResult},
    rankings::ExpressionCount,
    state::AppState,
};

/// Most buckets one answer may hold.
pub const MAX_BUCKETS: usize = 366;

/// How days are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// One bucket per product day.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
}

/// `?from=&to=&group=` of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// First product day, `YYYY-MM-DD` (default: the day of your first result).
    pub from: Option<NaiveDate>,
    /// Last product day, `YYYY-MM-DD` (default: today).
    pub to: Option<NaiveDate>,
    /// `day`, `week` or `month` (default: `day` for ranges up to 366 days, else `month`).
    #[param(example = "day")]
    pub group: Option<String>,
}

/// Results in one bucket of days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Bucket {
    /// Its first day.
    pub start: NaiveDate,
    /// Its last day (inclusive; equal to `start` for days).
    pub end: NaiveDate,
    /// Emoji results.
    pub emoji: i64,
    /// Zodiac results.
    pub zodiac: i64,
    /// Both.
    pub total: i64,
    /// Faces read in them.
    pub faces: i64,
}

/// Results of one animal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalCount {
    /// Animal.
    pub animal: AnimalId,
    /// Zodiac results.
    pub count: i64,
}

/// Totals over the range.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatTotals {
    /// Emoji results.
    pub emoji: i64,
    /// Zodiac results.
    pub zodiac: i64,
    /// Both.
    pub results: i64,
    /// Faces read.
    pub faces: i64,
}

/// The caller's statistics over a range of product days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Statistics {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// How the buckets group days.
    pub group: Group,
    /// The zone product days are counted in.
    #[schema(example = "Asia/Seoul")]
    pub time_zone: String,
    /// Every bucket of the range in order, zeros included.
    pub buckets: Vec<Bucket>,
    /// All seven expressions in model order: faces with each (both kinds).
    pub expressions: Vec<ExpressionCount>,
    /// All twelve animals in traditional order: zodiac results of each.
    pub animals: Vec<AnimalCount>,
    /// Totals.
    pub totals: StatTotals,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, message)])
}

/// The first day of the bucket holding `day`.
fn bucket_start(group: Group, day: NaiveDate) -> NaiveDate {
    match group {
        Group::Day => day,
        Group::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
        Group::Month => day.with_day(1).unwrap_or(day),
    }
}

/// The empty buckets covering `from..=to`, clipped to the range.
pub fn buckets(group: Group, from: NaiveDate, to: NaiveDate) -> ApiResult<Vec<Bucket>> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        if out.len() == MAX_BUCKETS {
            return Err(invalid(
                "group",
                format!("the range holds more than {MAX_BUCKETS} buckets; group by week or month, or narrow from/to"),
            ));
        }
        let next = match group {
            Group::Day => start.checked_add_days(Days::new(1)),
            Group::Week => bucket_start(group, start).checked_add_days(Days::new(7)),
            Group::Month => bucket_start(group, start).checked_add_months(Months::new(1)),
        };
        let end = next.and_then(|n| n.pred_opt()).map_or(to, |e| e.min(to));
        out.push(Bucket {
            start,
            end,
            emoji: 0,
            zodiac: 0,
            total: 0,
            faces: 0,
        });
        match next {
            Some(n) => start = n,
            None => break,
        }
    }
    Ok(out)
}

/// Resolves a request's range and grouping: from/to default to all time (`first` day of a
/// result, or today, to `today`); the grouping to days for up to 366 days, else months.
pub fn plan(
    query: &StatisticsQuery,
    first: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate, Group)> {
    let to = query.to.unwrap_or(today);
    let from = query.from.unwrap_or_else(|| first.unwrap_or(today).min(to));
    if from > to {
        return Err(invalid("from", "must not be after `to`"));
    }
    let group = match query.group.as_deref() {
        None if (to - from).num_days() < MAX_BUCKETS as i64 => Group::Day,
        None => Group::Month,
        Some("day") => Group::Day,
        Some("week") => Group::Week,
        Some("month") => Group::Month,
        Some(_) => return Err(invalid("group", "must be one of: day, week, month")),
    };
    Ok((from, to, group))
}

/// The caller's results per bucket, expression and animal.
pub async fn statistics(
    state: &AppState,
    who: &AuthUser,
    query: StatisticsQuery,
) -> ApiResult<Statistics> {
    let user = who.user_id;
    let first = match query.from {
        Some(_) => None,
        None => state.db.run(move |c| insights::first_day(c, user)).await?,
    };
    let (from, to, group) = plan(&query, first, state.calendar.today())?;
    let mut buckets = buckets(group, from, to)?;
    let stats = state
        .db
        .run(move |c| insights::user_statistics(c, user, from, to))
        .await?;
    let index: HashMap<NaiveDate, usize> = buckets
        .iter()
        .enumerate()
        .map(|(i, b)| (b.start, i))
        .collect();
    for d in &stats.days {
        let key = bucket_start(group, d.day).max(from);
        if let Some(b) = index.get(&key).and_then(|&i| buckets.get_mut(i)) {
            match d.kind {
                TaskKind::Emoji => b.emoji += d.tasks,
                TaskKind::Zodiac => b.zodiac += d.tasks,
                TaskKind::Course | TaskKind::Dataset => {}
            }
            b.total += d.tasks;
            b.faces += d.faces;
        }
    }
    let totals = StatTotals {
        emoji: buckets.iter().map(|b| b.emoji).sum(),
        zodiac: buckets.iter().map(|b| b.zodiac).sum(),
        results: buckets.iter().map(|b| b.total).sum(),
        faces: buckets.iter().map(|b| b.faces).sum(),
    };
    let expr: HashMap<Expression, i64> = stats.expressions.into_iter().collect();
    let animals: HashMap<AnimalId, i64> = stats.animals.into_iter().collect();
    Ok(Statistics {
        from,
        to,
        group,
        time_zone: state.calendar.zone_name().to_owned(),
        buckets,
        expressions: Expression::ALL
            .iter()
            .map(|e| ExpressionCount {
                expression: *e,
                count: expr.get(e).copied().unwrap_or(0),
            })
            .collect(),
        animals: AnimalId::ALL
            .iter()
            .map(|a| AnimalCount {
                animal: *a,
                count: animals.get(a).copied().unwrap_or(0),
            })
            .collect(),
        totals,
    })
}

/// Your results per product day, ISO week or month (every bucket of the range), per
/// expression and per animal. Without `from`/`to`, all time.
#[utoipa::path(
    get, path = "/api/v1/users/me/statistics", tag = "statistics", security(("bearer" = [])),
    params(StatisticsQuery),
    responses(
        (status = 200, body = Statistics),
        (status = 400, description = "A date is not `YYYY-MM-DD`", body = Problem),
        (status = 401, body = Problem),
        (status = 422, description = "`from` after `to`, unknown `group`, or more than 366 buckets", body = Problem),
    )
)]
#[get("/users/me/statistics")]
pub async fn mine(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<StatisticsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(statistics(&state, &who, query.into_inner()).await?))
}

/// Registers the statistics route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(mine);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(mine),
    components(schemas(Group, Bucket, AnimalCount, StatTotals, Statistics)),
    tags((name = "statistics", description = "Personal statistics of face results"))
)]
pub struct Doc;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn q(from: Option<&str>, to: Option<&str>, group: Option<&str>) -> StatisticsQuery {
        StatisticsQuery {
            from: from.map(d),
            to: to.map(d),
            group: group.map(str::to_owned),
        }
    }

    #[test]
    fn ranges_default_to_all_time() {
        let today = d("2026-12-04");
        assert_eq!(
            plan(&q(None, None, None), None, today).unwrap(),
            (today, today, Group::Day)
        );
        let first = Some(d("2024-01-10"));
        assert_eq!(
            plan(&q(None, None, None), first, today).unwrap(),
            (d("2024-01-10"), today, Group::Month)
        );
        assert!(plan(
            &q(Some("2026-02-01"), Some("2026-01-31"), None),
            None,
            today
        )
        .is_err());
        assert!(plan(&q(None, None, Some("year")), None, today).is_err());
    }

    #[test]
    fn buckets_are_clipped_weeks_and_months() {
        let weeks = buckets(Group::Week, d("2026-12-02"), d("2026-12-15")).unwrap();
        let spans: Vec<_> = weeks.iter().map(|b| (b.start, b.end)).collect();
        assert_eq!(
            spans,
            [
                (d("2026-12-02"), d("2026-12-06")),
                (d("2026-12-07"), d("2026-12-13")),
                (d("2026-12-14"), d("2026-12-15"))
            ]
        );
        let months = buckets(Group::Month, d("2026-01-31"), d("2026-03-01")).unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(
            (months[1].start, months[1].end),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            buckets(Group::Day, d("2024-01-01"), d("2024-12-31"))
                .unwrap()
                .len(),
            366
        );
        assert!(buckets(Group::Day, d("2024-01-01"), d("2025-01-01")).is_err());
    }
}
