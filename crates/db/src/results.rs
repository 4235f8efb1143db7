//! A person's succeeded face tasks (their results), newest first, in keyset pages.

use diesel::{pg::PgConnection, prelude::*, sql_types::Bool};
use moji_common::{TaskKind, TaskStatus};
use uuid::Uuid;

use crate::{
    keyset::{Key, Page, Start, MAX_OFFSET},
    models::FaceTask,
    schema::{emojis, face_tasks, user_face_counts},
    DbError,
};

/// One succeeded task of a user, with the emoji saved from it if any.
#[derive(Debug, Clone)]
pub struct DoneTask {
    /// The task (its `result` holds the EmojiResult or ZodiacResult).
    pub task: FaceTask,
    /// The emoji saved from it (emoji tasks).
    pub emoji_id: Option<Uuid>,
}

/// How many succeeded tasks of `kind` (both kinds when `None`) `user_id` has, from the
/// counters kept with the results.
pub fn total(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: Option<TaskKind>,
) -> Result<i64, DbError> {
    let counts: Option<(i64, i64)> = user_face_counts::table
        .find(user_id)
        .select((
            user_face_counts::emoji_tasks,
            user_face_counts::zodiac_tasks,
        ))
        .first(conn)
        .optional()?;
    let (emoji, zodiac) = counts.unwrap_or_default();
    Ok(match kind {
        Some(TaskKind::Emoji) => emoji,
        Some(TaskKind::Zodiac) => zodiac,
        // Courses are not face results.
        Some(TaskKind::Course | TaskKind::Dataset) => 0,
        None => emoji + zodiac,
    })
}

/// A page of a user's succeeded tasks of `kind` (both kinds when `None`), saved or not,
/// newest first. [`DbError::BadCursor`] for a key other than [`Key::Time`].
pub fn page(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: Option<TaskKind>,
    start: Start,
    limit: i64,
) -> Result<Page<DoneTask>, DbError> {
    let mut query = face_tasks::table
        .filter(face_tasks::user_id.eq(user_id))
        .filter(face_tasks::status.eq(TaskStatus::Succeeded))
        .select(FaceTask::as_select())
        .order((face_tasks::created_at.desc(), face_tasks::id.desc()))
        .limit(limit + 1)
        .into_boxed::<diesel::pg::Pg>();
    if let Some(kind) = kind {
        query = query.filter(face_tasks::kind.eq(kind));
    }
    match start {
        Start::Offset(n) => query = query.offset(n.clamp(0, MAX_OFFSET)),
        Start::After(Key::Time { at, id }) => {
            query = query.filter(
                diesel::dsl::sql::<Bool>("(face_tasks.created_at, face_tasks.id) < (")
                    .bind::<diesel::sql_types::Timestamptz, _>(at)
                    .sql(", ")
                    .bind::<diesel::sql_types::Uuid, _>(id)
                    .sql(")"),
            )
        }
        Start::After(_) => return Err(DbError::BadCursor),
    }
    let tasks: Vec<FaceTask> = query.load(conn)?;
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    let saved: std::collections::HashMap<Uuid, Uuid> = if ids.is_empty() {
        Default::default()
    } else {
        emojis::table
            .filter(emojis::task_id.eq_any(&ids))
            .select((emojis::task_id, emojis::id))
            .load::<(Uuid, Uuid)>(conn)?
            .into_iter()
            .collect()
    };
    let total = total(conn, user_id, kind)?;
    let page = Page::from_rows(tasks, limit, total, |t| Key::Time {
        at: t.created_at,
        id: t.id,
    });
    Ok(page.map(|task| DoneTask {
        emoji_id: saved.get(&task.id).copied(),
        task,
    }))
}
