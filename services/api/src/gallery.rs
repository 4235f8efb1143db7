//! The face features after a result is in: the emoji gallery (save, share, like, delete),
//! the catalogue of templates and zodiac animals, rankings, challenges and personal statistics.
//!
//! Handlers (`handlers::gallery`) parse and authenticate, then call these functions; this
//! module owns the rules (who may see or change what, paging limits, windows) and the response
//! shapes. Database work runs on the blocking pool through `state.db.run`.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use moji_auth::AuthUser;
use moji_catalog::{AnimalId, Expression};
use moji_common::{new_id, results::EmojiResult, ErrorCode};
use moji_db::{
    challenges,
    emojis::{self, EmojiWithOwner, NewEmoji, Saved, Sort},
    face_tasks, insights, DbError,
};
use moji_telemetry::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    files::download_url,
    state::AppState,
    validation,
};

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

/// Text in Korean and English.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Text {
    /// Korean.
    #[schema(example = "호랑이")]
    pub ko: String,
    /// English.
    #[schema(example = "Tiger")]
    pub en: String,
}

impl From<moji_catalog::Localized> for Text {
    fn from(l: moji_catalog::Localized) -> Self {
        Self {
            ko: l.ko.to_owned(),
            en: l.en.to_owned(),
        }
    }
}

impl Text {
    fn pair(ko: &str, en: &str) -> Self {
        Self {
            ko: ko.to_owned(),
            en: en.to_owned(),
        }
    }
}

/// An emoji template (style) people can pick when they upload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateInfo {
    /// Id to send as `template` when creating an emoji task.
    #[schema(example = "classic")]
    pub id: String,
    /// Display name.
    pub name: Text,
    /// One-sentence description.
    pub description: Text,
    /// Expressions the template has a face for (all seven), in the model's order.
    #[schema(example = json!(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]))]
    pub preview: Vec<String>,
}

/// Every template, default first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateList {
    /// Templates.
    pub items: Vec<TemplateInfo>,
}

/// One of the twelve zodiac animals.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalInfo {
    /// Id (`rat` … `pig`).
    #[schema(example = "tiger")]
    pub id: String,
    /// Display name.
    pub name: Text,
    /// Matching emoji character.
    #[schema(example = "🐯")]
    pub emoji: String,
    /// The animal's traditional character.
    pub traits: Text,
}

/// The twelve animals in traditional order (rat first).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalList {
    /// Animals.
    pub items: Vec<AnimalInfo>,
}

/// Who may see a saved emoji.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// In the public gallery: anyone may see and like it.
    Public,
    /// Only its owner (and admins) may see it.
    Private,
}

impl Visibility {
    fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    fn from_db(s: &str) -> Self {
        if s == "public" {
            Self::Public
        } else {
            Self::Private
        }
    }
}

/// Save a succeeded emoji task's result.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmojiRequest {
    /// The emoji task (yours, succeeded).
    pub task_id: Uuid,
    /// Optional caption, at most 200 characters.
    #[schema(example = "월요일 아침의 나")]
    pub caption: Option<String>,
    /// `public` shares it in the gallery; `private` keeps it to yourself.
    pub visibility: Visibility,
}

/// What the gallery shows of an emoji's owner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    /// Handle.
    pub username: String,
    /// Display name.
    pub display_name: String,
}

/// A saved emoji.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EmojiView {
    /// Emoji id.
    pub id: Uuid,
    /// The task it was made by.
    pub task_id: Uuid,
    /// Who made it.
    pub owner: Owner,
    /// Caption (may be empty).
    pub caption: String,
    /// `public` or `private`.
    pub visibility: Visibility,
    /// Template id.
    #[schema(example = "classic")]
    pub template: String,
    /// Expression of the most confident face.
    #[schema(example = "happy")]
    pub expression: String,
    /// Number of likes.
    pub like_count: i32,
    /// Whether the caller likes it (false when anonymous).
    pub liked_by_me: bool,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// Short-lived link to the composed image (PNG).
    pub image_url: String,
    /// Short-lived link to the 256 px thumbnail (JPEG).
    pub thumbnail_url: String,
}

/// A page of emojis.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EmojiPage {
    /// This page.
    pub items: Vec<EmojiView>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub size: u32,
    /// Items across all pages.
    pub total: i64,
}

/// One succeeded emoji task of the caller, saved or not.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsedEmoji {
    /// The task.
    pub task_id: Uuid,
    /// The emoji saved from it, if it was saved.
    pub emoji_id: Option<Uuid>,
    /// Template used.
    pub template: String,
    /// Expression of the most confident face.
    pub expression: String,
    /// Number of faces.
    pub faces: usize,
    /// When the photo was submitted.
    pub created_at: DateTime<Utc>,
    /// When the result was ready.
    pub finished_at: Option<DateTime<Utc>>,
    /// Short-lived link to the composed image (null if the result is unreadable).
    pub image_url: Option<String>,
    /// Short-lived link to the thumbnail (null if the result is unreadable).
    pub thumbnail_url: Option<String>,
}

/// A page of the caller's emoji tasks.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsedPage {
    /// This page.
    pub items: Vec<UsedEmoji>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub size: u32,
    /// Items across all pages.
    pub total: i64,
}

/// `GET /users/me/emojis`: saved emojis (`case=made`) or emoji tasks (`case=used`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MyEmojis {
    /// `case=made`.
    Made(EmojiPage),
    /// `case=used`.
    Used(UsedPage),
}

/// Like state of an emoji after a like or unlike.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LikeState {
    /// Likes now.
    pub like_count: i32,
    /// Whether the caller likes it now.
    pub liked_by_me: bool,
}

/// Gallery order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortParam {
    /// Newest first.
    #[default]
    New,
    /// Most liked first (then newest).
    Popular,
}

/// `?page=&size=&sort=` of the public gallery.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GalleryQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// `new` (default) or `popular`.
    #[param(inline)]
    pub sort: Option<SortParam>,
}

/// Which of the caller's emojis to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MyEmojiCase {
    /// Emoji tasks that succeeded, saved or not.
    Used,
    /// Emojis saved with `POST /emojis`.
    #[default]
    Made,
}

/// `?case=&page=&size=` of the caller's emojis.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyEmojisQuery {
    /// `made` (default) or `used`.
    #[param(inline)]
    pub case: Option<MyEmojiCase>,
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
}

/// Ranking window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// The last 7 days (rolling).
    #[default]
    Week,
    /// The last 30 days (rolling).
    Month,
    /// All time.
    All,
}

impl Period {
    /// Start of the window ending `now`; `None` for all time.
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Week => Some(now - Duration::days(7)),
            Self::Month => Some(now - Duration::days(30)),
            Self::All => None,
        }
    }
}

/// `?period=` of the rankings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// `week` (default), `month` or `all`.
    #[param(inline)]
    pub period: Option<Period>,
}

/// Uses of one template × expression.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FaceRankItem {
    /// 1-based rank; equal counts share a rank (1, 1, 3 …).
    pub rank: u32,
    /// Template id.
    pub template: String,
    /// Expression.
    pub expression: String,
    /// Faces.
    pub count: i64,
}

/// Uses of one template.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateCount {
    /// Template id.
    pub template: String,
    /// Faces.
    pub count: i64,
}

/// Faces with one expression.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExpressionCount {
    /// Expression.
    pub expression: String,
    /// Faces.
    pub count: i64,
}

/// Emoji usage ranking.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FaceRanking {
    /// Window asked for.
    pub period: Period,
    /// Start of the window (null for `all`).
    pub since: Option<DateTime<Utc>>,
    /// Emoji faces in the window.
    pub total: i64,
    /// Template × expression, most used first (only combinations that occur).
    pub items: Vec<FaceRankItem>,
    /// Per template, most used first (only templates that occur).
    pub templates: Vec<TemplateCount>,
    /// Per expression, most used first (only expressions that occur).
    pub expressions: Vec<ExpressionCount>,
}

/// Results of one animal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalRankItem {
    /// 1-based rank; equal counts share a rank.
    pub rank: u32,
    /// Animal id.
    pub animal: String,
    /// Display name.
    pub name: Text,
    /// Emoji character.
    pub emoji: String,
    /// Zodiac results.
    pub count: i64,
}

/// Zodiac look-alike ranking.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ZodiacRanking {
    /// Window asked for.
    pub period: Period,
    /// Start of the window (null for `all`).
    pub since: Option<DateTime<Utc>>,
    /// Zodiac results in the window.
    pub total: i64,
    /// All twelve animals, most frequent first (ties in traditional order), zeros included.
    pub items: Vec<AnimalRankItem>,
}

/// A challenge.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChallengeInfo {
    /// Stable id.
    #[schema(example = "meet_all_animals")]
    pub id: String,
    /// Title.
    pub title: Text,
    /// What to do.
    pub description: Text,
    /// Progress needed.
    #[schema(example = 12)]
    pub goal: i64,
}

/// Every challenge.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChallengeList {
    /// Challenges in display order.
    pub items: Vec<ChallengeInfo>,
}

/// Progress towards a goal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Reached so far (capped at `goal`).
    pub current: i64,
    /// Needed.
    pub goal: i64,
}

/// A challenge with the caller's progress.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyChallenge {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: Text,
    /// What to do.
    pub description: Text,
    /// Progress.
    pub progress: Progress,
    /// Whether it has been awarded.
    pub achieved: bool,
    /// When it was awarded.
    pub awarded_at: Option<DateTime<Utc>>,
}

/// The caller's challenges.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyChallengeList {
    /// Every challenge, in display order.
    pub items: Vec<MyChallenge>,
    /// How many are achieved.
    pub achieved: usize,
}

/// `?from=&to=` of the statistics (UTC days, inclusive).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD` (default: today, UTC).
    pub to: Option<NaiveDate>,
}

/// Results on one UTC day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayStat {
    /// The day.
    pub date: NaiveDate,
    /// Emoji results.
    pub emoji: i64,
    /// Zodiac results.
    pub zodiac: i64,
    /// Both.
    pub total: i64,
    /// Faces read in them.
    pub faces: i64,
}

/// Results of one animal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnimalCount {
    /// Animal id.
    pub animal: String,
    /// Zodiac results.
    pub count: i64,
}

/// Totals over the range.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatTotals {
    /// Emoji results.
    pub emoji: i64,
    /// Zodiac results.
    pub zodiac: i64,
    /// Both.
    pub results: i64,
    /// Faces read.
    pub faces: i64,
}

/// The caller's statistics over a range of UTC days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Statistics {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Every day of the range in order, zeros included.
    pub days: Vec<DayStat>,
    /// All seven expressions in model order: faces with each (both kinds).
    pub expressions: Vec<ExpressionCount>,
    /// All twelve animals in traditional order: zodiac results of each.
    pub animals: Vec<AnimalCount>,
    /// Totals.
    pub totals: StatTotals,
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// Default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page size.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Longest statistics range, in days.
pub const MAX_STAT_DAYS: i64 = 366;
/// Default statistics range, in days.
pub const DEFAULT_STAT_DAYS: i64 = 30;
/// Longest caption, in characters.
pub const CAPTION_MAX_CHARS: usize = 200;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based page.
    pub page: u32,
    /// Page size.
    pub size: u32,
}

impl Paging {
    /// Validates `?page=&size=`: page ≥ 1, 1 ≤ size ≤ 100 (400 otherwise).
    pub fn new(page: Option<u32>, size: Option<u32>) -> ApiResult<Self> {
        let page = page.unwrap_or(1);
        let size = size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            return Err(ApiError::BadRequest("`page` starts at 1".into()));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&size) {
            return Err(ApiError::BadRequest(format!(
                "`size` must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        Ok(Self { page, size })
    }

    fn offset(self) -> i64 {
        (i64::from(self.page) - 1) * i64::from(self.size)
    }

    fn limit(self) -> i64 {
        i64::from(self.size)
    }
}

fn can_view(owner: Uuid, visibility: &str, who: Option<&AuthUser>) -> bool {
    visibility == "public" || who.is_some_and(|w| w.user_id == owner || w.is_admin())
}

fn not_found(what: &'static str) -> impl Fn(DbError) -> ApiError {
    move |e| match e {
        DbError::NotFound => ApiError::NotFound(what),
        other => other.into(),
    }
}

/// The face the gallery shows: the most confident one.
fn main_expression(result: &EmojiResult) -> Option<&str> {
    result
        .faces
        .iter()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .map(|f| f.expression.as_str())
}

/// Competition ranks (1, 1, 3 …) for counts already sorted descending.
fn ranks(counts: impl IntoIterator<Item = i64>) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let mut prev: Option<i64> = None;
    for (i, n) in counts.into_iter().enumerate() {
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let rank = match (prev, out.last()) {
            (Some(p), Some(&r)) if p == n => r,
            _ => position,
        };
        out.push(rank);
        prev = Some(n);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Catalogue
// ---------------------------------------------------------------------------------------------

/// Every emoji template.
pub fn templates() -> TemplateList {
    let preview: Vec<String> = Expression::ALL
        .iter()
        .map(|e| e.as_str().to_owned())
        .collect();
    TemplateList {
        items: moji_catalog::templates()
            .iter()
            .map(|t| TemplateInfo {
                id: t.id.to_owned(),
                name: t.name.into(),
                description: t.description.into(),
                preview: preview.clone(),
            })
            .collect(),
    }
}

/// The twelve zodiac animals.
pub fn animals() -> AnimalList {
    AnimalList {
        items: moji_catalog::animals()
            .iter()
            .map(|a| AnimalInfo {
                id: a.id.as_str().to_owned(),
                name: a.name.into(),
                emoji: a.emoji.to_owned(),
                traits: a.traits.into(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Emojis
// ---------------------------------------------------------------------------------------------

async fn view(state: &AppState, row: EmojiWithOwner, liked_by_me: bool) -> ApiResult<EmojiView> {
    let e = row.emoji;
    Ok(EmojiView {
        image_url: download_url(state, &e.image_key).await?,
        thumbnail_url: download_url(state, &e.thumbnail_key).await?,
        id: e.id,
        task_id: e.task_id,
        owner: Owner {
            username: row.username,
            display_name: row.display_name,
        },
        caption: e.caption,
        visibility: Visibility::from_db(&e.visibility),
        template: e.template,
        expression: e.expression,
        like_count: e.like_count,
        liked_by_me,
        created_at: e.created_at,
    })
}

/// Renders a page of rows with the caller's likes.
async fn emoji_page(
    state: &AppState,
    who: Option<&AuthUser>,
    page: emojis::Page<EmojiWithOwner>,
    paging: Paging,
) -> ApiResult<EmojiPage> {
    let liked = match who {
        Some(w) => {
            let (user, ids): (Uuid, Vec<Uuid>) =
                (w.user_id, page.items.iter().map(|r| r.emoji.id).collect());
            state
                .db
                .run(move |c| emojis::liked_among(c, user, &ids))
                .await?
        }
        None => Default::default(),
    };
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let mine = liked.contains(&row.emoji.id);
        items.push(view(state, row, mine).await?);
    }
    Ok(EmojiPage {
        items,
        page: paging.page,
        size: paging.size,
        total: page.total,
    })
}

/// Saves the caller's succeeded emoji task as an emoji (once per task).
pub async fn create_emoji(
    state: &AppState,
    who: &AuthUser,
    req: CreateEmojiRequest,
) -> ApiResult<EmojiView> {
    let caption = req.caption.unwrap_or_default().trim().to_owned();
    let mut errors = Vec::new();
    if caption.chars().count() > CAPTION_MAX_CHARS {
        errors.push(FieldError::new(
            "caption",
            format!("at most {CAPTION_MAX_CHARS} characters"),
        ));
    } else if caption.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new(
            "caption",
            "no control characters (line breaks are fine)",
        ));
    }
    validation::finish(errors)?;

    let task_id = req.task_id;
    let task = state
        .db
        .run(move |c| face_tasks::by_id(c, task_id))
        .await
        .map_err(not_found("task"))?;
    if task.user_id != who.user_id {
        return Err(ApiError::Forbidden(
            "only the task's owner can save its result".into(),
        ));
    }
    if task.kind != "emoji" {
        return Err(ApiError::Validation(vec![FieldError::new(
            "task_id",
            format!(
                "this is a {} task; only emoji results can be saved",
                task.kind
            ),
        )]));
    }
    match task.status.as_str() {
        "succeeded" => {}
        "queued" | "running" => {
            return Err(ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: format!(
                    "the task is still {}; save it once it has succeeded",
                    task.status
                ),
            })
        }
        other => {
            return Err(ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: format!("the task {other}; only a succeeded task can be saved"),
            })
        }
    }
    let result: EmojiResult = task
        .result
        .clone()
        .ok_or_else(|| ApiError::Internal(format!("succeeded task {task_id} has no result")))
        .and_then(|v| {
            serde_json::from_value(v)
                .map_err(|e| ApiError::Internal(format!("task {task_id} result: {e}")))
        })?;
    let expression = main_expression(&result)
        .ok_or_else(|| ApiError::Internal(format!("task {task_id} result has no faces")))?
        .to_owned();
    let new = NewEmoji {
        id: new_id(),
        task_id,
        user_id: who.user_id,
        caption,
        visibility: req.visibility.as_str().to_owned(),
        template: result.template,
        expression,
        image_key: result.image_key,
        thumbnail_key: result.thumbnail_key,
    };
    match state.db.run(move |c| emojis::insert(c, &new)).await? {
        Saved::Created(row) => {
            tracing::info!(emoji_id = %row.emoji.id, %task_id, "emoji saved");
            view(state, *row, false).await
        }
        Saved::AlreadySaved(id) => Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail: format!("this task was already saved as emoji {id}"),
        }),
    }
}

/// A page of the public gallery.
pub async fn gallery(
    state: &AppState,
    who: Option<&AuthUser>,
    query: GalleryQuery,
) -> ApiResult<EmojiPage> {
    let paging = Paging::new(query.page, query.size)?;
    let sort = match query.sort.unwrap_or_default() {
        SortParam::New => Sort::New,
        SortParam::Popular => Sort::Popular,
    };
    let page = state
        .db
        .run(move |c| emojis::public_page(c, sort, paging.offset(), paging.limit()))
        .await?;
    emoji_page(state, who, page, paging).await
}

/// Loads an emoji the caller may see: 404 when missing, 403 when private and not theirs.
async fn visible_emoji(
    state: &AppState,
    who: Option<&AuthUser>,
    id: Uuid,
) -> ApiResult<EmojiWithOwner> {
    let row = state
        .db
        .run(move |c| emojis::by_id(c, id))
        .await
        .map_err(not_found("emoji"))?;
    if !can_view(row.emoji.user_id, &row.emoji.visibility, who) {
        return Err(ApiError::Forbidden("this emoji is private".into()));
    }
    Ok(row)
}

/// One emoji: public ones to anyone, private ones to their owner and admins.
pub async fn get_emoji(state: &AppState, who: Option<&AuthUser>, id: Uuid) -> ApiResult<EmojiView> {
    let row = visible_emoji(state, who, id).await?;
    let liked = match who {
        Some(w) => {
            let user = w.user_id;
            state
                .db
                .run(move |c| emojis::liked_among(c, user, &[id]))
                .await?
                .contains(&id)
        }
        None => false,
    };
    view(state, row, liked).await
}

/// Deletes an emoji: its owner or an admin. The task and its images stay (they are the
/// owner's "used" history).
pub async fn delete_emoji(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    let row = state
        .db
        .run(move |c| emojis::by_id(c, id))
        .await
        .map_err(not_found("emoji"))?;
    if row.emoji.user_id != who.user_id && !who.is_admin() {
        return Err(ApiError::Forbidden(
            "only the emoji's owner or an admin can delete it".into(),
        ));
    }
    state.db.run(move |c| emojis::delete(c, id)).await?;
    tracing::info!(emoji_id = %id, by = %who.user_id, "emoji deleted");
    Ok(())
}

/// Likes (`on`) or unlikes an emoji the caller may see; idempotent.
pub async fn set_like(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    on: bool,
) -> ApiResult<LikeState> {
    visible_emoji(state, Some(who), id).await?;
    let user = who.user_id;
    let like_count = state
        .db
        .run(move |c| emojis::set_like(c, id, user, on))
        .await
        .map_err(not_found("emoji"))?;
    Ok(LikeState {
        like_count,
        liked_by_me: on,
    })
}

/// The caller's saved emojis or succeeded emoji tasks.
pub async fn my_emojis(
    state: &AppState,
    who: &AuthUser,
    query: MyEmojisQuery,
) -> ApiResult<MyEmojis> {
    let paging = Paging::new(query.page, query.size)?;
    let user = who.user_id;
    match query.case.unwrap_or_default() {
        MyEmojiCase::Made => {
            let page = state
                .db
                .run(move |c| emojis::user_page(c, user, paging.offset(), paging.limit()))
                .await?;
            Ok(MyEmojis::Made(
                emoji_page(state, Some(who), page, paging).await?,
            ))
        }
        MyEmojiCase::Used => {
            let page = state
                .db
                .run(move |c| emojis::used_page(c, user, paging.offset(), paging.limit()))
                .await?;
            let mut items = Vec::with_capacity(page.items.len());
            for used in page.items {
                items.push(used_view(state, used).await?);
            }
            Ok(MyEmojis::Used(UsedPage {
                items,
                page: paging.page,
                size: paging.size,
                total: page.total,
            }))
        }
    }
}

async fn used_view(state: &AppState, used: emojis::UsedTask) -> ApiResult<UsedEmoji> {
    let task = used.task;
    let result: Option<EmojiResult> = task.result.and_then(|v| serde_json::from_value(v).ok());
    let (image_url, thumbnail_url) = match &result {
        Some(r) => (
            Some(download_url(state, &r.image_key).await?),
            Some(download_url(state, &r.thumbnail_key).await?),
        ),
        None => {
            tracing::warn!(task_id = %task.id, "succeeded emoji task with an unreadable result");
            (None, None)
        }
    };
    Ok(UsedEmoji {
        task_id: task.id,
        emoji_id: used.emoji_id,
        template: result
            .as_ref()
            .map(|r| r.template.clone())
            .or(task.template)
            .unwrap_or_default(),
        expression: result
            .as_ref()
            .and_then(main_expression)
            .unwrap_or_default()
            .to_owned(),
        faces: result.as_ref().map_or(0, |r| r.faces.len()),
        created_at: task.created_at,
        finished_at: task.finished_at,
        image_url,
        thumbnail_url,
    })
}

// ---------------------------------------------------------------------------------------------
// Rankings
// ---------------------------------------------------------------------------------------------

fn sorted_desc<K: Ord + Clone>(map: HashMap<K, i64>) -> Vec<(K, i64)> {
    let mut v: Vec<(K, i64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Emoji usage by template × expression in the window, with per-template and
/// per-expression totals.
pub async fn face_ranking(state: &AppState, period: Period) -> ApiResult<FaceRanking> {
    let since = period.since(Utc::now());
    let rows = state
        .db
        .run(move |c| insights::face_usage(c, since))
        .await?;
    let mut per_template: HashMap<String, i64> = HashMap::new();
    let mut per_expression: HashMap<String, i64> = HashMap::new();
    for (t, e, n) in &rows {
        *per_template.entry(t.clone()).or_default() += n;
        *per_expression.entry(e.clone()).or_default() += n;
    }
    let total = rows.iter().map(|r| r.2).sum();
    let item_ranks = ranks(rows.iter().map(|r| r.2));
    Ok(FaceRanking {
        period,
        since,
        total,
        items: rows
            .into_iter()
            .zip(item_ranks)
            .map(|((template, expression, count), rank)| FaceRankItem {
                rank,
                template,
                expression,
                count,
            })
            .collect(),
        templates: sorted_desc(per_template)
            .into_iter()
            .map(|(template, count)| TemplateCount { template, count })
            .collect(),
        expressions: sorted_desc(per_expression)
            .into_iter()
            .map(|(expression, count)| ExpressionCount { expression, count })
            .collect(),
    })
}

/// Zodiac results per animal in the window: all twelve, most frequent first.
pub async fn zodiac_ranking(state: &AppState, period: Period) -> ApiResult<ZodiacRanking> {
    let since = period.since(Utc::now());
    let rows = state
        .db
        .run(move |c| insights::animal_counts(c, since))
        .await?;
    let counts: HashMap<String, i64> = rows.into_iter().collect();
    let mut animals: Vec<(&moji_catalog::Animal, i64)> = moji_catalog::animals()
        .iter()
        .map(|a| (a, counts.get(a.id.as_str()).copied().unwrap_or(0)))
        .collect();
    // Stable sort: ties stay in traditional order.
    animals.sort_by_key(|a| std::cmp::Reverse(a.1));
    let item_ranks = ranks(animals.iter().map(|a| a.1));
    Ok(ZodiacRanking {
        period,
        since,
        total: animals.iter().map(|a| a.1).sum(),
        items: animals
            .into_iter()
            .zip(item_ranks)
            .map(|((a, count), rank)| AnimalRankItem {
                rank,
                animal: a.id.as_str().to_owned(),
                name: a.name.into(),
                emoji: a.emoji.to_owned(),
                count,
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Challenges
// ---------------------------------------------------------------------------------------------

fn challenge_texts(d: &challenges::Definition) -> (Text, Text) {
    (
        Text::pair(d.title_ko, d.title_en),
        Text::pair(d.description_ko, d.description_en),
    )
}

/// Every challenge.
pub fn challenge_list() -> ChallengeList {
    ChallengeList {
        items: challenges::DEFINITIONS
            .iter()
            .map(|d| {
                let (title, description) = challenge_texts(d);
                ChallengeInfo {
                    id: d.id.to_owned(),
                    title,
                    description,
                    goal: d.goal,
                }
            })
            .collect(),
    }
}

/// The caller's progress on every challenge. Awards anything already achieved but not yet
/// recorded first (e.g. a challenge added after the results that complete it), so `achieved`
/// always agrees with `progress`.
pub async fn my_challenges(state: &AppState, who: &AuthUser) -> ApiResult<MyChallengeList> {
    let user = who.user_id;
    let (measures, awarded) = state.db.run(move |c| challenges::progress(c, user)).await?;
    let awarded: HashMap<String, DateTime<Utc>> = awarded.into_iter().collect();
    let items: Vec<MyChallenge> = challenges::DEFINITIONS
        .iter()
        .map(|d| {
            let (title, description) = challenge_texts(d);
            let awarded_at = awarded.get(d.id).copied();
            MyChallenge {
                id: d.id.to_owned(),
                title,
                description,
                progress: Progress {
                    current: measures.current(d.id).min(d.goal),
                    goal: d.goal,
                },
                achieved: awarded_at.is_some(),
                awarded_at,
            }
        })
        .collect();
    Ok(MyChallengeList {
        achieved: items.iter().filter(|c| c.achieved).count(),
        items,
    })
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/// Resolves and checks a statistics range (422 when `from` > `to` or longer than 366 days).
pub fn stat_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(DEFAULT_STAT_DAYS - 1));
    if from > to {
        return Err(ApiError::Validation(vec![FieldError::new(
            "from",
            "must not be after `to`",
        )]));
    }
    if (to - from).num_days() + 1 > MAX_STAT_DAYS {
        return Err(ApiError::Validation(vec![FieldError::new(
            "to",
            format!("the range may span at most {MAX_STAT_DAYS} days"),
        )]));
    }
    Ok((from, to))
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The caller's results per day, expression and animal over `[from, to]` (UTC days).
pub async fn statistics(
    state: &AppState,
    who: &AuthUser,
    query: StatisticsQuery,
) -> ApiResult<Statistics> {
    let (from, to) = stat_range(query.from, query.to, Utc::now().date_naive())?;
    let user = who.user_id;
    let (since, until) = (start_of(from), start_of(to) + Duration::days(1));
    let stats = state
        .db
        .run(move |c| insights::user_statistics(c, user, since, until))
        .await?;

    let mut by_day: HashMap<NaiveDate, DayStat> = HashMap::new();
    for d in &stats.days {
        let entry = by_day.entry(d.day).or_insert_with(|| DayStat {
            date: d.day,
            emoji: 0,
            zodiac: 0,
            total: 0,
            faces: 0,
        });
        match d.kind.as_str() {
            "emoji" => entry.emoji += d.tasks,
            _ => entry.zodiac += d.tasks,
        }
        entry.total += d.tasks;
        entry.faces += d.faces;
    }
    let days: Vec<DayStat> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            by_day.remove(&date).unwrap_or(DayStat {
                date,
                emoji: 0,
                zodiac: 0,
                total: 0,
                faces: 0,
            })
        })
        .collect();
    let totals = StatTotals {
        emoji: days.iter().map(|d| d.emoji).sum(),
        zodiac: days.iter().map(|d| d.zodiac).sum(),
        results: days.iter().map(|d| d.total).sum(),
        faces: days.iter().map(|d| d.faces).sum(),
    };
    let expr: HashMap<String, i64> = stats.expressions.into_iter().collect();
    let animals: HashMap<String, i64> = stats.animals.into_iter().collect();
    Ok(Statistics {
        from,
        to,
        days,
        expressions: Expression::ALL
            .iter()
            .map(|e| ExpressionCount {
                expression: e.as_str().to_owned(),
                count: expr.get(e.as_str()).copied().unwrap_or(0),
            })
            .collect(),
        animals: AnimalId::ALL
            .iter()
            .map(|a| AnimalCount {
                animal: a.as_str().to_owned(),
                count: animals.get(a.as_str()).copied().unwrap_or(0),
            })
            .collect(),
        totals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_rules() {
        assert_eq!(
            Paging::new(None, None).unwrap(),
            Paging { page: 1, size: 20 }
        );
        let p = Paging::new(Some(3), Some(100)).unwrap();
        assert_eq!((p.offset(), p.limit()), (200, 100));
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(None, Some(0)).is_err());
        assert!(Paging::new(None, Some(101)).is_err());
        let far = Paging::new(Some(u32::MAX), Some(100)).unwrap();
        assert!(far.offset() > 0, "no overflow");
    }

    #[test]
    fn competition_ranks() {
        assert_eq!(ranks([9, 5, 5, 2, 2, 2, 1]), [1, 2, 2, 4, 4, 4, 7]);
        assert_eq!(ranks([0, 0]), [1, 1]);
        assert!(ranks([]).is_empty());
    }

    #[test]
    fn stat_ranges() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            stat_range(None, None, today).unwrap(),
            (d("2026-03-02"), today)
        );
        assert_eq!(
            stat_range(Some(d("2026-01-01")), None, today).unwrap(),
            (d("2026-01-01"), today)
        );
        assert_eq!(
            stat_range(None, Some(d("2026-01-30")), today).unwrap(),
            (d("2026-01-01"), d("2026-01-30"))
        );
        assert!(stat_range(Some(d("2026-02-01")), Some(d("2026-01-31")), today).is_err());
        // 366 days inclusive is the limit (a leap year).
        assert!(stat_range(Some(d("2024-01-01")), Some(d("2024-12-31")), today).is_ok());
        assert!(stat_range(Some(d("2024-01-01")), Some(d("2025-01-01")), today).is_err());
    }

    #[test]
    fn visibility_rule() {
        let owner = Uuid::now_v7();
        assert!(can_view(owner, "public", None));
        assert!(!can_view(owner, "private", None));
    }

    #[test]
    fn catalogue_lists() {
        assert_eq!(animals().items.len(), 12);
        let t = templates();
        assert!(!t.items.is_empty());
        assert!(t.items.iter().all(|i| i.preview.len() == 7));
    }
}
