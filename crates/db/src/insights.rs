//! Read-only aggregates over `face_results`: the emoji and zodiac rankings and a user's
//! statistics. Windows are inclusive ranges of product days (`face_results.day`, decided in
//! the configured time zone when a result is stored).

use chrono::NaiveDate;
use diesel::{dsl::count_star, pg::PgConnection, prelude::*, sql_types::BigInt};
use moji_common::{AnimalId, Expression, TaskKind, TemplateId};
use uuid::Uuid;

use crate::{
    schema::{animal_days, animal_totals, face_results, face_usage_days, face_usage_totals},
    DbError,
};

/// Faces per (template, expression) among emoji results from product day `since` on (all
/// time when `None`), most used first; ties by template, then expression. Read from the
/// per-day and all-time aggregates the result trigger keeps: the cost depends on the window's
/// days, never on how many results there are.
pub fn face_usage(
    conn: &mut PgConnection,
    since: Option<NaiveDate>,
) -> Result<Vec<(TemplateId, Expression, i64)>, DbError> {
    let rows: Vec<(TemplateId, Expression, i64)> = match since {
        Some(since) => face_usage_days::table
            .filter(face_usage_days::day.ge(since))
            .group_by((face_usage_days::template, face_usage_days::expression))
            .select((
                face_usage_days::template,
                face_usage_days::expression,
                diesel::dsl::sql::<BigInt>("sum(face_usage_days.faces)::bigint"),
            ))
            .load(conn)?,
        None => face_usage_totals::table
            .select((
                face_usage_totals::template,
                face_usage_totals::expression,
                face_usage_totals::faces,
            ))
            .load(conn)?,
    };
    let mut rows: Vec<_> = rows.into_iter().filter(|r| r.2 > 0).collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, a.1).cmp(&(b.0, b.1))));
    Ok(rows)
}

/// Zodiac results per animal from product day `since` on (all time when `None`); only
/// animals that occur. Read from the aggregates, like [`face_usage`].
pub fn animal_counts(
    conn: &mut PgConnection,
    since: Option<NaiveDate>,
) -> Result<Vec<(AnimalId, i64)>, DbError> {
    let rows: Vec<(AnimalId, i64)> = match since {
        Some(since) => animal_days::table
            .filter(animal_days::day.ge(since))
            .group_by(animal_days::animal)
            .select((
                animal_days::animal,
                diesel::dsl::sql::<BigInt>("sum(animal_days.results)::bigint"),
            ))
            .load(conn)?,
        None => animal_totals::table
            .select((animal_totals::animal, animal_totals::results))
            .load(conn)?,
    };
    Ok(rows.into_iter().filter(|r| r.1 > 0).collect())
}

/// One user's results on one product day for one task kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    /// Product day.
    pub day: NaiveDate,
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// Succeeded tasks.
    pub tasks: i64,
    /// Faces read in them.
    pub faces: i64,
}

/// A user's results within a range of product days.
#[derive(Debug, Clone, Default)]
pub struct UserStatistics {
    /// Per product day and kind; only days with results, in order.
    pub days: Vec<DayCount>,
    /// Faces per expression (both kinds).
    pub expressions: Vec<(Expression, i64)>,
    /// Zodiac results per animal.
    pub animals: Vec<(AnimalId, i64)>,
}

/// The first product day on which `user_id` had a result, if any.
pub fn first_day(conn: &mut PgConnection, user_id: Uuid) -> Result<Option<NaiveDate>, DbError> {
    Ok(face_results::table
        .filter(face_results::user_id.eq(user_id))
        .select(diesel::dsl::min(face_results::day))
        .first(conn)?)
}

/// Aggregates `user_id`'s results on the product days `from..=to`.
pub fn user_statistics(
    conn: &mut PgConnection,
    user_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<UserStatistics, DbError> {
    let in_range = || {
        face_results::user_id
            .eq(user_id)
            .and(face_results::day.between(from, to))
    };
    conn.transaction(|conn| {
        let faces_per_task: Vec<(NaiveDate, TaskKind, Uuid, i64)> = face_results::table
            .filter(in_range())
            .group_by((face_results::day, face_results::kind, face_results::task_id))
            .select((
                face_results::day,
                face_results::kind,
                face_results::task_id,
                count_star(),
            ))
            .order((face_results::day, face_results::kind))
            .load(conn)?;
        let mut days: Vec<DayCount> = Vec::new();
        for (day, kind, _task, faces) in faces_per_task {
            match days.last_mut() {
                Some(last) if last.day == day && last.kind == kind => {
                    last.tasks += 1;
                    last.faces += faces;
                }
                _ => days.push(DayCount {
                    day,
                    kind,
                    tasks: 1,
                    faces,
                }),
            }
        }
        let expressions = face_results::table
            .filter(in_range())
            .group_by(face_results::expression)
            .select((face_results::expression, count_star()))
            .load(conn)?;
        let animals: Vec<(Option<AnimalId>, i64)> = face_results::table
            .filter(in_range())
            .filter(face_results::kind.eq(TaskKind::Zodiac))
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
