//! Finished face results: my results of both kinds, and zodiac results shared by their owner.

pub mod handlers;
pub mod zodiac;

use actix_web::web;
use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_common::{results::EmojiResult, Expression, TaskKind, TemplateId};
use moji_db::models::FaceTask;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    http::{links::download_url, PageOf, Paging},
    state::AppState,
};

pub use zodiac::{ZodiacShare, ZodiacSummary};

/// What an emoji task made.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EmojiSummary {
    /// Template used.
    pub template: TemplateId,
    /// Expression of the most confident face (null if the result is unreadable).
    pub expression: Option<Expression>,
    /// Number of faces.
    pub faces: usize,
    /// The emoji saved from it, if it was saved.
    pub emoji_id: Option<Uuid>,
    /// Short-lived link to the composed image (null if the result is unreadable).
    pub image_url: Option<String>,
    /// Short-lived link to the thumbnail (null if the result is unreadable).
    pub thumbnail_url: Option<String>,
}

/// One of my finished results.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultItem {
    /// The task.
    pub task_id: Uuid,
    /// Emoji or zodiac.
    pub kind: TaskKind,
    /// When the photo was submitted.
    pub created_at: DateTime<Utc>,
    /// When the result was ready.
    pub finished_at: Option<DateTime<Utc>>,
    /// An emoji task's result.
    pub emoji: Option<EmojiSummary>,
    /// A zodiac task's result.
    pub zodiac: Option<ZodiacSummary>,
}

/// The typed result document of a succeeded task.
pub fn stored_result<T: DeserializeOwned>(task: &FaceTask) -> ApiResult<T> {
    let doc = task
        .result
        .clone()
        .ok_or_else(|| ApiError::Internal(format!("succeeded task {} has no result", task.id)))?;
    serde_json::from_value(doc)
        .map_err(|e| ApiError::Internal(format!("task {} result: {e}", task.id)))
}

/// The face the gallery shows: the most confident one.
pub fn main_expression(result: &EmojiResult) -> Option<Expression> {
    result
        .faces
        .iter()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .map(|f| f.expression)
}

/// An emoji task's summary with signed links; an unreadable result is logged and shown
/// without them rather than failing the whole list.
pub async fn emoji_summary(
    state: &AppState,
    task: &FaceTask,
    emoji_id: Option<Uuid>,
) -> ApiResult<EmojiSummary> {
    let result: Option<EmojiResult> = stored_result(task)
        .map_err(|e| tracing::warn!(task_id = %task.id, error = %e, "unreadable emoji result"))
        .ok();
    let (image_url, thumbnail_url) = match &result {
        Some(r) => (
            Some(download_url(state, &r.image_key).await?),
            Some(download_url(state, &r.thumbnail_key).await?),
        ),
        None => (None, None),
    };
    Ok(EmojiSummary {
        template: result
            .as_ref()
            .map(|r| r.template)
            .or(task.template)
            .unwrap_or(TemplateId::DEFAULT),
        expression: result.as_ref().and_then(main_expression),
        faces: result.as_ref().map_or(0, |r| r.faces.len()),
        emoji_id,
        image_url,
        thumbnail_url,
    })
}

/// My succeeded tasks of `kind` (both when `None`), newest first.
pub async fn my_results(
    state: &AppState,
    who: &AuthUser,
    kind: Option<TaskKind>,
    paging: Paging,
) -> ApiResult<PageOf<ResultItem>> {
    let user = who.user_id;
    let page = state
        .db
        .run(move |c| moji_db::results::page(c, user, kind, paging.start, paging.limit()))
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for done in page.items {
        let task = done.task;
        let (emoji, zodiac) = match task.kind {
            TaskKind::Emoji => (
                Some(emoji_summary(state, &task, done.emoji_id).await?),
                None,
            ),
            TaskKind::Zodiac => (None, zodiac::summary(&task)),
            // Face tasks only: courses live in their own table.
            TaskKind::Course | TaskKind::Dataset => (None, None),
        };
        items.push(ResultItem {
            task_id: task.id,
            kind: task.kind,
            created_at: task.created_at,
            finished_at: task.finished_at,
            emoji,
            zodiac,
        });
    }
    Ok(paging.keyset(items, page.total, page.next))
}

/// Registers `/users/me/results` and `/zodiac/results/{id}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::mine)
        .service(handlers::shared_zodiac)
        .service(handlers::publish_zodiac);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(handlers::mine, handlers::shared_zodiac, handlers::publish_zodiac),
    components(schemas(
        EmojiSummary, ResultItem, ZodiacSummary, ZodiacShare, zodiac::Reason,
        zodiac::VisibilityChange,
    )),
    tags((name = "results", description = "Finished face results of both kinds"))
)]
pub struct Doc;
