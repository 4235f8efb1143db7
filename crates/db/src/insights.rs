//! Read-only aggregates over `face_results`: the emoji and zodiac rankings and a user's
//! statistics. Windows are inclusive ranges of product days (`face_results.day`, decided in
//! the configured time zone when a result is stored).

use chrono::NaiveDate;
use diesel::{dsl::count_star, pg::PgConnection, prelude::*};
use moji_common::{AnimalId, Expression, TaskKind, TemplateId};
use uuid::Uuid;

use crate::{schema::face_results, DbError};

/// Faces per (template, expression) among emoji results from product day `since` on (all
/// time when `None`), most used first; ties by template, then expression.
pub fn face_usage(
    conn: &mut PgConnection,
    since: Option<NaiveDate>,
) -> Result<Vec<(TemplateId, Expression, i64)>, DbError> {
    let mut query = face_results::table
        .filter(face_results::kind.eq(TaskKind::Emoji))
        .group_by((face_results::template, face_results::expression))
        .select((
            face_results::template,
            face_results::expression,
            count_star(),
        ))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(face_results::day.ge(since));
    }
    let rows: Vec<(Option<TemplateId>, Expression, i64)> = query.load(conn)?;
    let mut rows: Vec<(TemplateId, Expression, i64)> = rows
        .into_iter()
        .filter_map(|(t, e, n)| t.map(|t| (t, e, n)))
        .collect();
    rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (a.0, a.1).cmp(&(b.0, b.1))));
    Ok(rows)
}

/// Zodiac results per animal from product day `since` on (all time when `None`); only
/// animals that occur.
pub fn animal_counts(
    conn: &mut PgConnection,
    since: Option<NaiveDate>,
) -> Result<Vec<(AnimalId, i64)>, DbError> {
    let mut query = face_results::table
        .filter(face_results::kind.eq(TaskKind::Zodiac))
        .filter(face_results::animal.is_not_null())
        .group_by(face_results::animal)
        .select((face_results::animal, count_star()))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(face_results::day.ge(since));
    }
    let rows: Vec<(Option<AnimalId>, i64)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, n)| a.map(|a| (a, n)))
        .collect())
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
