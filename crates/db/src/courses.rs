//! Date courses: tasks with their daily quota units, and the saved courses (the history).
//!
//! A unit of the quota is taken in the transaction that records the task and given back in
//! the one that records its failure or cancellation, so the count is exact under concurrent
//! requests and redelivered results.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{pg::PgConnection, prelude::*};
use moji_common::TaskStatus;
use uuid::Uuid;

use crate::{
    keyset::{Key, Page, Start},
    outbox,
    schema::{course_quota, course_tasks, date_courses},
    DbError,
};

/// A course task's durable record.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = course_tasks, check_for_backend(diesel::pg::Pg))]
pub struct CourseTask {
    /// Task id (also the Redis key and the saved course's id).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The request as accepted (`CourseRequest`).
    pub request: serde_json::Value,
    /// Product day whose quota unit it took.
    pub day: NaiveDate,
    /// Where the task is in its life.
    pub status: TaskStatus,
    /// Error code once failed.
    pub error_code: Option<String>,
    /// Error explanation once failed.
    pub error_detail: Option<String>,
    /// Client's Idempotency-Key.
    pub idempotency_key: Option<String>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it reached a final state.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A new course task.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = course_tasks)]
pub struct NewCourseTask {
    /// Task id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// The request (`CourseRequest`).
    pub request: serde_json::Value,
    /// Current product day.
    pub day: NaiveDate,
    /// Client's Idempotency-Key.
    pub idempotency_key: Option<String>,
}

/// A saved course.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = date_courses, check_for_backend(diesel::pg::Pg))]
pub struct DateCourse {
    /// Course id (= its task's id).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Title (the writer's, or the owner's edit).
    pub title: String,
    /// The owner's rating, 1–5.
    pub rating: Option<i16>,
    /// Who wrote the text: `local`, `openai` or `template`.
    pub provider: String,
    /// The course (`CourseDocument`).
    pub document: serde_json::Value,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Last edit.
    pub updated_at: DateTime<Utc>,
}

/// `RETURNING used` of the quota upsert.
#[derive(QueryableByName)]
struct UnitsUsed {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    used: i32,
}

/// What became of a submission.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// A new task, and the units used today including it.
    Created(CourseTask, i32),
    /// The task this Idempotency-Key already named (no unit taken).
    Existing(CourseTask),
    /// Today's units are used up.
    QuotaExceeded,
}

/// Records a task and its `course.suggest` message (to the outbox) if a unit of `day`'s quota
/// (`limit` per person) is left, in one transaction, so an accepted task is always queued; the
/// same user's Idempotency-Key returns its task instead, writing nothing.
pub fn submit(
    conn: &mut PgConnection,
    new: &NewCourseTask,
    limit: i32,
    message: &outbox::Message,
) -> Result<Submitted, DbError> {
    conn.transaction(|conn| {
        if let Some(key) = &new.idempotency_key {
            if let Some(task) = by_idempotency_key(conn, new.user_id, key)? {
                return Ok(Submitted::Existing(task));
            }
        }
        // The row lock this takes makes concurrent submissions of one person queue here.
        let used: Option<UnitsUsed> = diesel::sql_query(
            "INSERT INTO course_quota (user_id, day, used) VALUES ($1, $2, 1) \
             ON CONFLICT (user_id, day) DO UPDATE SET used = course_quota.used + 1 \
             WHERE course_quota.used < $3 RETURNING used",
        )
        .bind::<diesel::sql_types::Uuid, _>(new.user_id)
        .bind::<diesel::sql_types::Date, _>(new.day)
        .bind::<diesel::sql_types::Integer, _>(limit)
        .get_result(conn)
        .optional()?;
        let used = used.map(|u| u.used);
        let Some(used) = used.filter(|used| *used <= limit) else {
            return Ok(Submitted::QuotaExceeded);
        };
        let inserted: Option<CourseTask> = diesel::insert_into(course_tasks::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning(CourseTask::as_returning())
            .get_result(conn)
            .optional()?;
        match inserted {
            Some(task) => {
                outbox::push(conn, std::slice::from_ref(message))?;
                Ok(Submitted::Created(task, used))
            }
            // Another request with this key won between our check and insert: undo our unit
            // (the rollback) and hand back theirs.
            None => Err(DbError::Conflict("idempotency key".into())),
        }
    })
    .or_else(|e| match (e, &new.idempotency_key) {
        (DbError::Conflict(_), Some(key)) => by_idempotency_key(conn, new.user_id, key)?
            .map(Submitted::Existing)
            .ok_or(DbError::NotFound),
        (e, _) => Err(e),
    })
}

/// Units `user_id` used on `day`.
pub fn quota_used(conn: &mut PgConnection, user_id: Uuid, day: NaiveDate) -> Result<i32, DbError> {
    Ok(course_quota::table
        .find((user_id, day))
        .select(course_quota::used)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// The task with this id.
pub fn task(conn: &mut PgConnection, id: Uuid) -> Result<CourseTask, DbError> {
    Ok(course_tasks::table
        .find(id)
        .select(CourseTask::as_select())
        .first(conn)?)
}

/// The task this user created with this Idempotency-Key, if any.
pub fn by_idempotency_key(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &str,
) -> Result<Option<CourseTask>, DbError> {
    Ok(course_tasks::table
        .filter(course_tasks::user_id.eq(user_id))
        .filter(course_tasks::idempotency_key.eq(key))
        .select(CourseTask::as_select())
        .first(conn)
        .optional()?)
}

/// Moves an open task to a final `status`; the row when it moved, `None` when it was final.
fn close(
    conn: &mut PgConnection,
    id: Uuid,
    status: TaskStatus,
    error: Option<(&str, &str)>,
) -> Result<Option<CourseTask>, DbError> {
    let open: [TaskStatus; 2] = TaskStatus::OPEN;
    let now = Utc::now();
    Ok(diesel::update(
        course_tasks::table
            .find(id)
            .filter(course_tasks::status.eq_any(open)),
    )
    .set((
        course_tasks::status.eq(status),
        course_tasks::error_code.eq(error.map(|(code, _)| code)),
        course_tasks::error_detail.eq(error.map(|(_, detail)| detail)),
        course_tasks::updated_at.eq(now),
        course_tasks::finished_at.eq(now),
    ))
    .returning(CourseTask::as_returning())
    .get_result(conn)
    .optional()?)
}

/// Gives the unit a closed task took back to its day.
fn refund(conn: &mut PgConnection, task: &CourseTask) -> Result<(), DbError> {
    diesel::update(
        course_quota::table
            .find((task.user_id, task.day))
            .filter(course_quota::used.gt(0)),
    )
    .set(course_quota::used.eq(course_quota::used - 1))
    .execute(conn)?;
    Ok(())
}

/// Records a failure once and gives the unit back; false when the task was already final.
pub fn fail(conn: &mut PgConnection, id: Uuid, code: &str, detail: &str) -> Result<bool, DbError> {
    conn.transaction(
        |conn| match close(conn, id, TaskStatus::Failed, Some((code, detail)))? {
            Some(task) => refund(conn, &task).map(|()| true),
            None => Ok(false),
        },
    )
}

/// Cancels an open task and gives the unit back; `None` when it was already final.
pub fn cancel(conn: &mut PgConnection, id: Uuid) -> Result<Option<CourseTask>, DbError> {
    conn.transaction(|conn| {
        let closed = close(conn, id, TaskStatus::Cancelled, None)?;
        if let Some(task) = &closed {
            refund(conn, task)?;
        }
        Ok(closed)
    })
}

/// Records success once and saves the course; false when the task was already final (a
/// redelivered result, or one that arrived after a cancel).
pub fn succeed(
    conn: &mut PgConnection,
    id: Uuid,
    title: &str,
    provider: &str,
    document: &serde_json::Value,
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        let Some(task) = close(conn, id, TaskStatus::Succeeded, None)? else {
            return Ok(false);
        };
        diesel::insert_into(date_courses::table)
            .values((
                date_courses::id.eq(task.id),
                date_courses::user_id.eq(task.user_id),
                date_courses::title.eq(title),
                date_courses::provider.eq(provider),
                date_courses::document.eq(document),
                date_courses::created_at.eq(task.updated_at),
                date_courses::updated_at.eq(task.updated_at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(true)
    })
}

/// The saved course with this id.
pub fn course(conn: &mut PgConnection, id: Uuid) -> Result<DateCourse, DbError> {
    Ok(date_courses::table
        .find(id)
        .select(DateCourse::as_select())
        .first(conn)?)
}

/// A page of `user_id`'s saved courses, newest first (`total` is not counted: 0). [`DbError::BadCursor`] for a key other
/// than [`Key::Time`].
pub fn page(
    conn: &mut PgConnection,
    user_id: Uuid,
    start: Start,
    limit: i64,
) -> Result<Page<DateCourse>, DbError> {
    let mut query = date_courses::table
        .filter(date_courses::user_id.eq(user_id))
        .select(DateCourse::as_select())
        .order((date_courses::created_at.desc(), date_courses::id.desc()))
        .limit(limit + 1)
        .into_boxed();
    match start {
        Start::Offset(n) => query = query.offset(n),
        Start::After(Key::Time { at, id }) => {
            query = query.filter(
                date_courses::created_at
                    .lt(at)
                    .or(date_courses::created_at.eq(at).and(date_courses::id.lt(id))),
            );
        }
        Start::After(_) => return Err(DbError::BadCursor),
    }
    let rows = query.load(conn)?;
    // A feed: no total (a count would scan what the page skips).
    Ok(Page::from_rows(rows, limit, 0, |c: &DateCourse| {
        Key::Time {
            at: c.created_at,
            id: c.id,
        }
    }))
}

/// Changes a course's title and/or rating (`Some(None)` clears the rating); the new row.
pub fn edit(
    conn: &mut PgConnection,
    id: Uuid,
    title: Option<&str>,
    rating: Option<Option<i16>>,
) -> Result<DateCourse, DbError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        if let Some(title) = title {
            diesel::update(date_courses::table.find(id))
                .set((
                    date_courses::title.eq(title),
                    date_courses::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        if let Some(rating) = rating {
            diesel::update(date_courses::table.find(id))
                .set((
                    date_courses::rating.eq(rating),
                    date_courses::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        course(conn, id)
    })
}

/// Deletes a saved course; false when there was none.
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<bool, DbError> {
    Ok(diesel::delete(date_courses::table.find(id)).execute(conn)? > 0)
}
