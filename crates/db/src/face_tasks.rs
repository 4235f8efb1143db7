//! Face tasks: the durable record of every upload, and idempotent persistence of results.
//! Results arrive at least once over AMQP, so every write here tolerates repeats.

use chrono::Utc;
use diesel::{pg::PgConnection, prelude::*};
use moji_common::{TaskStatus, Visibility};
use uuid::Uuid;

use crate::{
    models::{FaceResultRow, FaceTask, NewFaceTask},
    outbox,
    schema::{face_results, face_tasks},
    DbError,
};

/// Inserts a task, or returns the existing one when the same user already used this
/// Idempotency-Key (`Ok((task, false))`).
pub fn insert_or_existing(
    conn: &mut PgConnection,
    new: &NewFaceTask,
) -> Result<(FaceTask, bool), DbError> {
    // No transaction: the INSERT is atomic on its own, and when it hits the key's unique
    // index the conflicting row is committed (ON CONFLICT waits for it), so the SELECT sees it.
    let inserted: Option<FaceTask> = diesel::insert_into(face_tasks::table)
        .values(new)
        .on_conflict_do_nothing()
        .returning(FaceTask::as_returning())
        .get_result(conn)
        .optional()?;
    if let Some(task) = inserted {
        return Ok((task, true));
    }
    let key = new.idempotency_key.as_deref().ok_or(DbError::NotFound)?;
    let existing = face_tasks::table
        .filter(face_tasks::user_id.eq(new.user_id))
        .filter(face_tasks::idempotency_key.eq(key))
        .select(FaceTask::as_select())
        .first(conn)?;
    Ok((existing, false))
}

/// Records a task and its `face.analyze` message in one transaction, so an accepted task is
/// always queued (the outbox relays the message after commit); `false` with the existing task
/// when the same user's Idempotency-Key already made one, and then no message is written.
pub fn submit(
    conn: &mut PgConnection,
    new: &NewFaceTask,
    message: &outbox::Message,
) -> Result<(FaceTask, bool), DbError> {
    conn.transaction(|conn| {
        let (task, created) = insert_or_existing(conn, new)?;
        if created {
            outbox::push(conn, std::slice::from_ref(message))?;
        }
        Ok((task, created))
    })
}

/// The task with this id.
pub fn by_id(conn: &mut PgConnection, id: Uuid) -> Result<FaceTask, DbError> {
    Ok(face_tasks::table
        .find(id)
        .select(FaceTask::as_select())
        .first(conn)?)
}

/// The task `id` while it is still queued or running: the target of every closing update,
/// so a task reaches a final state once.
#[diesel::dsl::auto_type(no_type_alias)]
fn open_task(id: Uuid) -> _ {
    // auto_type needs the array's type spelled out; it cannot read it from a constant.
    let open: [TaskStatus; 2] = TaskStatus::OPEN;
    face_tasks::table
        .find(id)
        .filter(face_tasks::status.eq_any(open))
}

/// Records success with its per-face rows, once: returns false (and changes nothing) when the
/// task had already reached a final state, e.g. on a redelivered `task.succeeded`.
pub fn persist_success(
    conn: &mut PgConnection,
    id: Uuid,
    result: &serde_json::Value,
    faces: &[FaceResultRow],
) -> Result<bool, DbError> {
    conn.transaction(|conn| store_success(conn, id, result, faces))
}

/// The body of [`persist_success`]; the caller provides the transaction.
fn store_success(
    conn: &mut PgConnection,
    id: Uuid,
    result: &serde_json::Value,
    faces: &[FaceResultRow],
) -> Result<bool, DbError> {
    let now = Utc::now();
    let updated = diesel::update(open_task(id))
        .set((
            face_tasks::status.eq(TaskStatus::Succeeded),
            face_tasks::result.eq(result),
            face_tasks::updated_at.eq(now),
            face_tasks::finished_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    diesel::insert_into(face_results::table)
        .values(faces)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(true)
}

/// Records failure once; false when the task was already final.
pub fn persist_failure(
    conn: &mut PgConnection,
    id: Uuid,
    code: &str,
    detail: &str,
) -> Result<bool, DbError> {
    let now = Utc::now();
    let updated = diesel::update(open_task(id))
        .set((
            face_tasks::status.eq(TaskStatus::Failed),
            face_tasks::error_code.eq(code),
            face_tasks::error_detail.eq(detail),
            face_tasks::updated_at.eq(now),
            face_tasks::finished_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated > 0)
}

/// Cancels an open task and returns the updated row; `None` when it was already final.
pub fn cancel(conn: &mut PgConnection, id: Uuid) -> Result<Option<FaceTask>, DbError> {
    let now = Utc::now();
    Ok(diesel::update(open_task(id))
        .set((
            face_tasks::status.eq(TaskStatus::Cancelled),
            face_tasks::updated_at.eq(now),
            face_tasks::finished_at.eq(now),
        ))
        .returning(FaceTask::as_returning())
        .get_result(conn)
        .optional()?)
}

/// Number of per-face rows stored for a task (tests use it to prove exactly-once persistence).
pub fn result_rows(conn: &mut PgConnection, id: Uuid) -> Result<i64, DbError> {
    Ok(face_results::table
        .filter(face_results::task_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// The task this user created with this Idempotency-Key, if any.
pub fn by_idempotency_key(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &str,
) -> Result<Option<FaceTask>, DbError> {
    Ok(face_tasks::table
        .filter(face_tasks::user_id.eq(user_id))
        .filter(face_tasks::idempotency_key.eq(key))
        .select(FaceTask::as_select())
        .first(conn)
        .optional()?)
}

/// Records success once and, when it was new, awards the owner's challenges — in one
/// transaction, so a challenge never counts a result that was not stored. Returns whether the
/// result was new; a task that no longer exists counts as already handled.
pub fn persist_success_and_award(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    result: &serde_json::Value,
    faces: &[FaceResultRow],
) -> Result<bool, DbError> {
    conn.transaction(|conn| {
        // One transaction, not a nested one: a SAVEPOINT would cost two more round trips.
        let stored = store_success(conn, id, result, faces)?;
        if stored {
            crate::challenges::award(conn, user_id)?;
        }
        Ok(stored)
    })
}

/// Sets who may see a task's result; `None` when there is no such task.
pub fn set_visibility(
    conn: &mut PgConnection,
    id: Uuid,
    visibility: Visibility,
) -> Result<Option<FaceTask>, DbError> {
    Ok(diesel::update(face_tasks::table.find(id))
        .set((
            face_tasks::visibility.eq(visibility),
            face_tasks::updated_at.eq(Utc::now()),
        ))
        .returning(FaceTask::as_returning())
        .get_result(conn)
        .optional()?)
}
