//! Row types, one per table, plus the insertable forms.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use moji_common::{AnimalId, Expression, TaskKind, TaskStatus, TemplateId, Visibility};
use uuid::Uuid;

use crate::schema::{refresh_tokens, session_families, users};

/// An account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    /// UUIDv7.
    pub id: Uuid,
    /// Lower-case handle, unique.
    pub username: String,
    /// Lower-case e-mail, unique.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// bcrypt hash.
    pub password_hash: String,
    /// `user` or `admin`.
    pub role: String,
    /// Short self-description.
    pub bio: String,
    /// Sign-up time.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
    /// Up to two outside links (http/https). PostgreSQL arrays may hold NULLs as far as the
    /// type goes; a CHECK keeps them out, so read them with [`User::links`].
    pub links: Vec<Option<String>>,
    /// When the current e-mail address was verified (`None`: not yet).
    pub email_verified_at: Option<DateTime<Utc>>,
}

impl User {
    /// The outside links.
    pub fn links(&self) -> Vec<String> {
        self.links.iter().flatten().cloned().collect()
    }
}

/// A new account to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    /// UUIDv7.
    pub id: Uuid,
    /// Already lower-cased and validated.
    pub username: String,
    /// Already lower-cased and validated.
    pub email: String,
    /// Name shown to others.
    pub display_name: String,
    /// bcrypt hash.
    pub password_hash: String,
    /// `user` or `admin`.
    pub role: String,
}

/// Profile fields a user may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct ProfileChange {
    /// New display name.
    pub display_name: Option<String>,
    /// New bio.
    pub bio: Option<String>,
    /// New e-mail (lower-cased).
    pub email: Option<String>,
    /// New outside links (validated: at most two, http/https).
    pub links: Option<Vec<Option<String>>>,
}

/// One login session and its lineage of refresh tokens.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = session_families, check_for_backend(diesel::pg::Pg))]
pub struct SessionFamily {
    /// The `sid` claim of every token of this session.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// Last refresh.
    pub last_used_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// A refresh token's bookkeeping row (the token itself is never stored).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    /// The token's `jti`.
    pub id: Uuid,
    /// Its session family.
    pub family_id: Uuid,
    /// Mint time.
    pub issued_at: DateTime<Utc>,
    /// Expiry (same as the JWT's `exp`).
    pub expires_at: DateTime<Utc>,
    /// Set once rotated.
    pub used_at: Option<DateTime<Utc>>,
}

/// A face task's durable record.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = crate::schema::face_tasks, check_for_backend(diesel::pg::Pg))]
pub struct FaceTask {
    /// Task id (also the Redis key and the AMQP correlation id).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// Emoji template.
    pub template: Option<TemplateId>,
    /// Storage key of the upload.
    pub image_key: String,
    /// Where the task is in its life.
    pub status: TaskStatus,
    /// Result document once succeeded.
    pub result: Option<serde_json::Value>,
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
    /// Who may see a zodiac result (emoji tasks are shared by saving an emoji instead).
    pub visibility: Visibility,
}

/// A new face task.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = crate::schema::face_tasks)]
pub struct NewFaceTask {
    /// Task id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// Emoji template.
    pub template: Option<TemplateId>,
    /// Storage key of the upload.
    pub image_key: String,
    /// Client's Idempotency-Key.
    pub idempotency_key: Option<String>,
}

/// One face of a succeeded task, as persisted for rankings and statistics.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = crate::schema::face_results, check_for_backend(diesel::pg::Pg))]
pub struct FaceResultRow {
    /// Task.
    pub task_id: Uuid,
    /// Face position, left to right.
    pub face_index: i32,
    /// Owner.
    pub user_id: Uuid,
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// Emoji template.
    pub template: Option<TemplateId>,
    /// Expression read on the face.
    pub expression: Expression,
    /// Its probability.
    pub confidence: f32,
    /// Zodiac animal.
    pub animal: Option<AnimalId>,
    /// When the task succeeded.
    pub created_at: DateTime<Utc>,
    /// The product day (in the configured time zone) it succeeded on: streaks and daily
    /// statistics count these days.
    pub day: chrono::NaiveDate,
}
