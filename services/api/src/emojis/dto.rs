//! Request and response bodies of the emoji gallery.

use chrono::{DateTime, Utc};
use moji_common::{Expression, TemplateId, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{http::PageOf, results::EmojiSummary};

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

/// Change an emoji's caption and/or who may see it (at least one of the two).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmojiRequest {
    /// New caption, at most 200 characters (empty removes it).
    pub caption: Option<String>,
    /// `public` shares it in the gallery; `private` takes it out.
    pub visibility: Option<Visibility>,
}

/// What the gallery shows of a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    /// Handle (links to `/users/{username}/emojis`).
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
    /// Template.
    pub template: TemplateId,
    /// Expression of the most confident face.
    pub expression: Expression,
    /// Number of likes.
    pub like_count: i32,
    /// Likes received in the ranking window asked for (`like_count` outside a window).
    pub likes_in_period: i64,
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
pub type EmojiPage = PageOf<EmojiView>;

/// One succeeded emoji task of the caller, saved or not.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UsedEmoji {
    /// The task.
    pub task_id: Uuid,
    /// When the photo was submitted.
    pub created_at: DateTime<Utc>,
    /// When the result was ready.
    pub finished_at: Option<DateTime<Utc>>,
    /// What it made.
    #[serde(flatten)]
    pub summary: EmojiSummary,
}

/// `GET /users/me/emojis`: saved or liked emojis, or emoji tasks (`case=used`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MyEmojis {
    /// `case=made` or `case=liked`.
    Emojis(PageOf<EmojiView>),
    /// `case=used`.
    Used(PageOf<UsedEmoji>),
}

/// Like state of an emoji after a like or unlike.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LikeState {
    /// Likes now.
    pub like_count: i32,
    /// Whether the caller likes it now.
    pub liked_by_me: bool,
}

/// `?page=&size=&sort=&period=` of the public gallery.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GalleryQuery {
    /// Page number, from 1 (default 1); at most 1,000 items deep (then follow `next_cursor`).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page (with the same `sort` and `period`); not
    /// with `page`.
    pub cursor: Option<String>,
    /// `new` (default, newest first) or `popular` (most liked first).
    #[param(example = "popular")]
    pub sort: Option<String>,
    /// With `sort=popular`: rank by likes received in the last `week` or `month` of product
    /// days (only emojis liked in that window are listed), or over `all` time (default).
    #[param(example = "week")]
    pub period: Option<String>,
}

/// `?case=&page=&size=` of the caller's emojis.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyEmojisQuery {
    /// `made` (default): the emojis you saved; `used`: your succeeded emoji tasks, saved or
    /// not; `liked`: the emojis you liked, most recently liked first.
    #[param(example = "made")]
    pub case: Option<String>,
    /// Page number, from 1 (default 1); at most 1,000 items deep (then follow `next_cursor`).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page (same `case`); not with `page`.
    pub cursor: Option<String>,
}
