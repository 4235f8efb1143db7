//! Zodiac results as their owner lists them and as anyone may read them once published.

use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_common::{results::ZodiacResult, AnimalId, Expression, TaskKind, TaskStatus, Visibility};
use moji_db::{face_tasks, models::FaceTask, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::stored_result;
use crate::{
    emojis::dto::Owner,
    error::{not_found, ApiError, ApiResult},
    http::Text,
    state::AppState,
};

/// A zodiac result in my list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ZodiacSummary {
    /// The animal.
    pub animal: AnimalId,
    /// Its name.
    pub animal_name: Text,
    /// Its emoji character.
    #[schema(example = "🐯")]
    pub animal_emoji: String,
    /// The fortune of the day it was read.
    pub fortune: Text,
    /// The lucky item with it (null for results stored before it was sent).
    pub lucky_item: Option<Text>,
    /// The face's expression.
    pub expression: Expression,
    /// Whether anyone may read it at `share_path`.
    pub visibility: Visibility,
    /// Where it can be read (by anyone once public).
    #[schema(example = "/api/v1/zodiac/results/0192…")]
    pub share_path: String,
}

/// One reason behind a look-alike.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Reason {
    /// Feature that decided it (`eye_tilt`, `expression`, ...).
    pub feature: String,
    /// The explanation.
    pub text: Text,
}

/// A zodiac result as shared.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ZodiacShare {
    /// The task.
    pub task_id: Uuid,
    /// Whose result it is.
    pub owner: Owner,
    /// `public` (anyone may read it) or `private`.
    pub visibility: Visibility,
    /// The animal.
    pub animal: AnimalId,
    /// Its name.
    pub animal_name: Text,
    /// Its emoji character.
    pub animal_emoji: String,
    /// The animal's traditional character.
    pub traits: Text,
    /// Why this animal.
    pub reasons: Vec<Reason>,
    /// The fortune of the day it was read.
    pub fortune: Text,
    /// The lucky item with it.
    pub lucky_item: Option<Text>,
    /// The face's expression.
    pub expression: Expression,
    /// When the photo was read.
    pub created_at: DateTime<Utc>,
}

/// Publish or unpublish a zodiac result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisibilityChange {
    /// `public` lets anyone with the link read it; `private` takes it back.
    pub visibility: Visibility,
}

fn share_path(id: Uuid) -> String {
    format!("/api/v1/zodiac/results/{id}")
}

/// My list's view of a zodiac task; `None` (logged) when its result is unreadable.
pub fn summary(task: &FaceTask) -> Option<ZodiacSummary> {
    let r: ZodiacResult = stored_result(task)
        .map_err(|e| tracing::warn!(task_id = %task.id, error = %e, "unreadable zodiac result"))
        .ok()?;
    let animal = moji_catalog::animal(r.animal);
    Some(ZodiacSummary {
        animal: r.animal,
        animal_name: r.animal_name.into(),
        animal_emoji: animal.emoji.to_owned(),
        fortune: r.fortune.into(),
        lucky_item: r.lucky_item.map(Text::from),
        expression: r.expression,
        visibility: task.visibility,
        share_path: share_path(task.id),
    })
}

/// A succeeded zodiac task: 404 for anything else, so nothing about other tasks leaks.
async fn zodiac_task(state: &AppState, id: Uuid) -> ApiResult<FaceTask> {
    let task = state
        .db
        .run(move |c| face_tasks::by_id(c, id))
        .await
        .map_err(not_found("zodiac result"))?;
    if task.kind != TaskKind::Zodiac || task.status != TaskStatus::Succeeded {
        return Err(ApiError::NotFound("zodiac result"));
    }
    Ok(task)
}

async fn share(state: &AppState, task: FaceTask) -> ApiResult<ZodiacShare> {
    let r: ZodiacResult = stored_result(&task)?;
    let owner_id = task.user_id;
    let owner = state
        .db
        .run(move |c| users::by_id(c, owner_id))
        .await
        .map_err(not_found("zodiac result"))?;
    let animal = moji_catalog::animal(r.animal);
    Ok(ZodiacShare {
        task_id: task.id,
        owner: Owner {
            username: owner.username,
            display_name: owner.display_name,
        },
        visibility: task.visibility,
        animal: r.animal,
        animal_name: r.animal_name.into(),
        animal_emoji: animal.emoji.to_owned(),
        traits: animal.traits.into(),
        reasons: r
            .reasons
            .into_iter()
            .map(|x| Reason {
                feature: x.feature,
                text: x.text.into(),
            })
            .collect(),
        fortune: r.fortune.into(),
        lucky_item: r.lucky_item.map(Text::from),
        expression: r.expression,
        created_at: task.created_at,
    })
}

/// A zodiac result: to anyone once published, always to its owner and admins (403 else).
pub async fn read(state: &AppState, who: Option<&AuthUser>, id: Uuid) -> ApiResult<ZodiacShare> {
    let task = zodiac_task(state, id).await?;
    let mine = who.is_some_and(|w| w.user_id == task.user_id || w.is_admin());
    if task.visibility != Visibility::Public && !mine {
        return Err(ApiError::Forbidden(
            "this zodiac result is private; only its owner can publish it".into(),
        ));
    }
    share(state, task).await
}

/// Publishes or unpublishes the caller's zodiac result.
pub async fn set_visibility(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    visibility: Visibility,
) -> ApiResult<ZodiacShare> {
    let task = zodiac_task(state, id).await?;
    if task.user_id != who.user_id {
        return Err(ApiError::Forbidden(
            "only the result's owner can publish or unpublish it".into(),
        ));
    }
    let updated = state
        .db
        .run(move |c| face_tasks::set_visibility(c, id, visibility))
        .await?
        .ok_or(ApiError::NotFound("zodiac result"))?;
    tracing::info!(task_id = %id, %visibility, "zodiac result visibility changed");
    share(state, updated).await
}
