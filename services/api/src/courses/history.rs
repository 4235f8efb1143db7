//! Saved courses: the owner's history, one course, edits and deletion. Owner only (403 for
//! anyone else, admins included: a course says where a couple will be).

use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_db::{
    courses::{self, DateCourse},
    DbError,
};
use moji_telemetry::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{validated, ApiError, ApiResult},
    http::{params::explicit_null, FeedOf, Paging},
    state::AppState,
};

/// Longest title, in characters.
const MAX_TITLE_CHARS: usize = 80;

/// A saved course.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedCourse {
    /// Course id (= the task's id).
    pub id: Uuid,
    /// Title (the writer's, or the owner's edit).
    pub title: String,
    /// The owner's rating, 1–5.
    pub rating: Option<i16>,
    /// Who wrote the text: `local`, `openai` or `template`.
    pub provider: String,
    /// The course (`CourseDocument`).
    #[schema(value_type = moji_common::course::CourseDocument)]
    pub course: Value,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Last edit.
    pub updated_at: DateTime<Utc>,
}

impl From<DateCourse> for SavedCourse {
    fn from(c: DateCourse) -> Self {
        SavedCourse {
            id: c.id,
            title: c.title,
            rating: c.rating,
            provider: c.provider,
            course: c.document,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// `PATCH /date-courses/{id}`: a new title and/or rating (`null` clears the rating).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseEdit {
    /// 1–80 characters.
    pub title: Option<String>,
    /// 1–5, or null to clear.
    #[serde(default, deserialize_with = "explicit_null")]
    #[schema(value_type = Option<i16>)]
    pub rating: Option<Option<i16>>,
}

/// The course, if the caller owns it: 404 when missing, 403 when someone else's.
async fn owned(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<DateCourse> {
    let course = state
        .db
        .run(move |c| courses::course(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("course"),
            other => other.into(),
        })?;
    if course.user_id != who.user_id {
        return Err(ApiError::Forbidden(
            "this course belongs to someone else".into(),
        ));
    }
    Ok(course)
}

/// The caller's saved courses, newest first.
pub async fn list(
    state: &AppState,
    who: &AuthUser,
    paging: Paging,
) -> ApiResult<FeedOf<SavedCourse>> {
    let start = paging.feed_start()?;
    let user = who.user_id;
    let page = state
        .db
        .run(move |c| courses::page(c, user, start, paging.limit()))
        .await?;
    Ok(paging.feed(
        page.items.into_iter().map(SavedCourse::from).collect(),
        page.next,
    ))
}

/// One of the caller's saved courses.
pub async fn get(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<SavedCourse> {
    Ok(owned(state, who, id).await?.into())
}

/// Changes the title and/or rating of one of the caller's courses.
pub async fn edit(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    edit: CourseEdit,
) -> ApiResult<SavedCourse> {
    let mut errors = Vec::new();
    let title = edit.title.map(|t| t.trim().to_owned());
    if let Some(t) = &title {
        let n = t.chars().count();
        if n == 0 || n > MAX_TITLE_CHARS || t.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "title",
                format!("1 to {MAX_TITLE_CHARS} characters, no control characters"),
            ));
        }
    }
    if let Some(Some(r)) = edit.rating {
        if !(1..=5).contains(&r) {
            errors.push(FieldError::new("rating", "1 to 5, or null"));
        }
    }
    if title.is_none() && edit.rating.is_none() {
        errors.push(FieldError::new("title", "send a title, a rating or both"));
    }
    validated(errors)?;
    owned(state, who, id).await?;
    let rating = edit.rating;
    let course = state
        .db
        .run(move |c| courses::edit(c, id, title.as_deref(), rating))
        .await?;
    Ok(course.into())
}

/// Deletes one of the caller's courses.
pub async fn delete(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    owned(state, who, id).await?;
    state.db.run(move |c| courses::delete(c, id)).await?;
    Ok(())
}
