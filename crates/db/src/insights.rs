//! Read-only aggregates over `face_results`: the emoji and zodiac rankings and a user's
//! statistics. Every window is half-open, `[since, until)`, on the time a result was persisted.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    dsl::count_star,
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Date, Text, Timestamptz},
};
use uuid::Uuid;

use crate::{schema::face_results, DbError};

/// Faces per (template, expression) among emoji results since `since` (all time when `None`),
/// most used first; ties by template, then expression.
pub fn face_usage(
    conn: &mut PgConnection,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(String, String, i64)>, DbError> {
    let mut query = face_results::table
        .filter(face_results::kind.eq("emoji"))
        .group_by((face_results::template, face_results::expression))
        .select((
            face_results::template,
            face_results::expression,
            count_star(),
        ))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(face_results::created_at.ge(since));
    }
    let mut rows: Vec<(Option<String>, String, i64)> = query.load(conn)?;
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    Ok(rows
        .into_iter()
        .map(|(t, e, n)| (t.unwrap_or_default(), e, n))
        .collect())
}

/// Zodiac results per animal since `since` (all time when `None`); only animals that occur.
pub fn animal_counts(
    conn: &mut PgConnection,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(String, i64)>, DbError> {
    let mut query = face_results::table
        .filter(face_results::kind.eq("zodiac"))
        .filter(face_results::animal.is_not_null())
        .group_by(face_results::animal)
        .select((face_results::animal, count_star()))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(face_results::created_at.ge(since));
    }
    let rows: Vec<(Option<String>, i64)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, n)| a.map(|a| (a, n)))
        .collect())
}

/// One user's results on one UTC day for one task kind.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DayCount {
    /// UTC calendar day.
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    /// `emoji` or `zodiac`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Succeeded tasks.
    #[diesel(sql_type = BigInt)]
    pub tasks: i64,
    /// Faces read in them.
    #[diesel(sql_type = BigInt)]
    pub faces: i64,
}

/// A user's results within `[from, until)`.
#[derive(Debug, Clone, Default)]
pub struct UserStatistics {
    /// Per UTC day and kind; only days with results.
    pub days: Vec<DayCount>,
    /// Faces per expression (both kinds).
    pub expressions: Vec<(String, i64)>,
    /// Zodiac results per animal.
    pub animals: Vec<(String, i64)>,
}

/// Aggregates `user_id`'s results persisted in `[from, until)`.
pub fn user_statistics(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<UserStatistics, DbError> {
    conn.transaction(|conn| {
        let days = diesel::sql_query(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, kind, \
                    COUNT(DISTINCT task_id) AS tasks, COUNT(*) AS faces \
             FROM face_results \
             WHERE user_id = $1 AND created_at >= $2 AND created_at < $3 \
             GROUP BY 1, 2 ORDER BY 1, 2",
        )
        .bind::<diesel::sql_types::Uuid, _>(user_id)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(until)
        .load::<DayCount>(conn)?;
        let in_window = face_results::user_id
            .eq(user_id)
            .and(face_results::created_at.ge(from))
            .and(face_results::created_at.lt(until));
        let expressions = face_results::table
            .filter(in_window)
            .group_by(face_results::expression)
            .select((face_results::expression, count_star()))
            .load(conn)?;
        let animals: Vec<(Option<String>, i64)> = face_results::table
            .filter(in_window)
            .filter(face_results::kind.eq("zodiac"))
            .filter(face_results::animal.is_not_null())
            .group_by(face_results::animal)
            .select((face_results::animal, count_star()))
            .load(conn)?;
        Ok(UserStatistics {
            days,
            expressions,
            animals: animals
                .into_iter()
                .filter_map(|(a, n)| a.map(|a| (a, n)))
                .collect(),
        })
    })
}
