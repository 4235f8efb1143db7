//! Challenges (도전과제): goals evaluated from a user's persisted face results, awarded once
//! into `user_challenges`.
//!
//! The definitions live here, next to the queries that measure them, so adding a challenge is
//! one entry in [`DEFINITIONS`] plus its measure in [`Measures::current`]. [`award`] runs in
//! the transaction that persists a task result, so a challenge is awarded the moment the
//! result that completes it is stored.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{BigInt, Uuid as SqlUuid},
};
use uuid::Uuid;

use crate::{schema::user_challenges, DbError};

/// One challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Definition {
    /// Stable id.
    pub id: &'static str,
    /// Progress needed to achieve it.
    pub goal: i64,
    /// Title (Korean).
    pub title_ko: &'static str,
    /// Title (English).
    pub title_en: &'static str,
    /// What to do (Korean).
    pub description_ko: &'static str,
    /// What to do (English).
    pub description_en: &'static str,
}

/// Every challenge, in display order.
pub const DEFINITIONS: [Definition; 6] = [
    Definition {
        id: "first_emoji",
        goal: 1,
        title_ko: "첫 이모지",
        title_en: "First emoji",
        description_ko: "사진으로 첫 이모지를 만들어 보세요.",
        description_en: "Turn a photo into your first emoji.",
    },
    Definition {
        id: "first_zodiac",
        goal: 1,
        title_ko: "나의 띠 동물",
        title_en: "My zodiac twin",
        description_ko: "처음으로 닮은 십이지신 동물을 찾아보세요.",
        description_en: "Find the zodiac animal you look like for the first time.",
    },
    Definition {
        id: "meet_all_animals",
        goal: 12,
        title_ko: "십이지신 모두 만나기",
        title_en: "Meet all twelve",
        description_ko: "열두 동물을 모두 닮은꼴 결과로 만나 보세요.",
        description_en: "Get every one of the twelve zodiac animals as a look-alike result.",
    },
    Definition {
        id: "all_expressions",
        goal: 7,
        title_ko: "표정 부자",
        title_en: "Face of many moods",
        description_ko: "일곱 가지 표정을 모두 보여 주세요.",
        description_en: "Show all seven expressions across your photos.",
    },
    Definition {
        id: "streak_3_days",
        goal: 3,
        title_ko: "3일 연속",
        title_en: "Three days in a row",
        description_ko: "3일 연속으로 결과를 받아 보세요.",
        description_en: "Get a result on three consecutive days.",
    },
    Definition {
        id: "emoji_collector",
        goal: 10,
        title_ko: "이모지 수집가",
        title_en: "Emoji collector",
        description_ko: "이모지를 10번 만들어 보세요.",
        description_en: "Make ten emojis.",
    },
];

/// The definition with this id.
pub fn definition(id: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.id == id)
}

/// Everything the challenges measure, read from the per-user facts kept as results are stored
/// (`user_face_counts`, `user_face_seen`, `user_face_days`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct Measures {
    /// Succeeded emoji tasks.
    #[diesel(sql_type = BigInt)]
    pub emoji_tasks: i64,
    /// Succeeded zodiac tasks.
    #[diesel(sql_type = BigInt)]
    pub zodiac_tasks: i64,
    /// Distinct animals among zodiac results.
    #[diesel(sql_type = BigInt)]
    pub animals: i64,
    /// Distinct expressions across all faces.
    #[diesel(sql_type = BigInt)]
    pub expressions: i64,
    /// Longest run of consecutive product days with at least one result.
    #[diesel(sql_type = BigInt)]
    pub longest_streak: i64,
}

impl Measures {
    /// Progress towards `id`, uncapped; 0 for an unknown id.
    pub fn current(&self, id: &str) -> i64 {
        match id {
            "first_emoji" | "emoji_collector" => self.emoji_tasks,
            "first_zodiac" => self.zodiac_tasks,
            "meet_all_animals" => self.animals,
            "all_expressions" => self.expressions,
            "streak_3_days" => self.longest_streak,
            _ => 0,
        }
    }
}

/// Reads a user's [`Measures`].
pub fn measure(conn: &mut PgConnection, user_id: Uuid) -> Result<Measures, DbError> {
    // Read from the per-user facts the face_results trigger maintains (migration 000004):
    // a few index lookups, and the streak over one row per active day.
    // Consecutive days share `day - row_number`: the classic gaps-and-islands grouping.
    Ok(diesel::sql_query(
        "WITH runs AS (SELECT COUNT(*) AS len \
                  FROM (SELECT day - (ROW_NUMBER() OVER (ORDER BY day))::int AS island \
                        FROM user_face_days WHERE user_id = $1) d \
                  GROUP BY island) \
         SELECT \
           COALESCE((SELECT emoji_tasks FROM user_face_counts WHERE user_id = $1), 0) AS emoji_tasks, \
           COALESCE((SELECT zodiac_tasks FROM user_face_counts WHERE user_id = $1), 0) AS zodiac_tasks, \
           (SELECT COUNT(*) FROM user_face_seen WHERE user_id = $1 AND what = 'animal') AS animals, \
           (SELECT COUNT(*) FROM user_face_seen WHERE user_id = $1 AND what = 'expression') AS expressions, \
           (SELECT COALESCE(MAX(len), 0) FROM runs) AS longest_streak",
    )
    .bind::<SqlUuid, _>(user_id)
    .get_result(conn)?)
}

/// Evaluates every challenge for `user_id` and records the newly achieved ones; returns their
/// ids (empty when nothing new). Idempotent: an awarded challenge is never awarded again, and
/// concurrent calls cannot award one twice. Call it in the transaction that persists a result.
pub fn award(conn: &mut PgConnection, user_id: Uuid) -> Result<Vec<String>, DbError> {
    let measures = measure(conn, user_id)?;
    let achieved: Vec<_> = DEFINITIONS
        .iter()
        .filter(|d| measures.current(d.id) >= d.goal)
        .map(|d| {
            (
                user_challenges::user_id.eq(user_id),
                user_challenges::challenge.eq(d.id),
            )
        })
        .collect();
    if achieved.is_empty() {
        return Ok(Vec::new());
    }
    Ok(diesel::insert_into(user_challenges::table)
        .values(&achieved)
        .on_conflict_do_nothing()
        .returning(user_challenges::challenge)
        .get_results(conn)?)
}

/// Awarded challenge ids with when they were awarded.
pub type Awards = Vec<(String, DateTime<Utc>)>;

/// The challenges `user_id` has been awarded, with when.
pub fn awarded(conn: &mut PgConnection, user_id: Uuid) -> Result<Awards, DbError> {
    Ok(user_challenges::table
        .filter(user_challenges::user_id.eq(user_id))
        .select((user_challenges::challenge, user_challenges::awarded_at))
        .order(user_challenges::awarded_at)
        .load(conn)?)
}

/// A page of the challenges `user_id` achieved, most recent first, with the total.
pub fn achieved_page(
    conn: &mut PgConnection,
    user_id: Uuid,
    offset: i64,
    limit: i64,
) -> Result<crate::keyset::Page<(String, DateTime<Utc>)>, DbError> {
    conn.transaction(|conn| {
        let theirs = user_challenges::user_id.eq(user_id);
        let total = user_challenges::table
            .filter(theirs)
            .count()
            .get_result(conn)?;
        let items = user_challenges::table
            .filter(theirs)
            .select((user_challenges::challenge, user_challenges::awarded_at))
            .order((
                user_challenges::awarded_at.desc(),
                user_challenges::challenge,
            ))
            .offset(offset)
            .limit(limit)
            .load(conn)?;
        // Bounded by the number of challenges, so an offset is fine here.
        Ok(crate::keyset::Page {
            items,
            total,
            next: None,
        })
    })
}

/// Brings `user_id`'s awards up to date (see [`award`]) and returns their measures and awards,
/// read in one transaction so they agree.
pub fn progress(conn: &mut PgConnection, user_id: Uuid) -> Result<(Measures, Awards), DbError> {
    conn.transaction(|conn| {
        let caught_up = award(conn, user_id)?;
        if !caught_up.is_empty() {
            tracing::info!(%user_id, ?caught_up, "challenges awarded on read");
        }
        Ok((measure(conn, user_id)?, awarded(conn, user_id)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_unique_and_measured() {
        let all = Measures {
            emoji_tasks: 100,
            zodiac_tasks: 100,
            animals: 12,
            expressions: 7,
            longest_streak: 3,
        };
        for d in DEFINITIONS {
            assert_eq!(
                DEFINITIONS.iter().filter(|o| o.id == d.id).count(),
                1,
                "{}",
                d.id
            );
            assert_eq!(definition(d.id), Some(&d));
            assert!(d.goal >= 1);
            assert!(all.current(d.id) >= d.goal, "{} is not measured", d.id);
            assert_eq!(Measures::default().current(d.id), 0);
        }
        for id in ["meet_all_animals", "all_expressions", "streak_3_days"] {
            assert!(definition(id).is_some(), "{id}");
        }
    }
}
