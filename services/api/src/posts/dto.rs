//! Bodies of the posts endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    http::{FeedOf, PageOf},
    uploads::dto::ImageView,
};

/// A new post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    /// 1..=100 characters.
    #[schema(example = "귤 한 상자 나눔해요")]
    pub title: String,
    /// At most 2,000 characters.
    pub text: String,
    /// Keys of your uploads (`POST /uploads`), at most 10, in order. With images the post is
    /// `pending` until they are resized, then `published` (or `failed`, with a reason).
    #[serde(default)]
    pub images: Vec<String>,
    /// At most 10 tags of 1..=30 letters, digits, `_` or `-` (stored lower-case, distinct).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A change to a post; omitted fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePostRequest {
    /// New title.
    pub title: Option<String>,
    /// New text.
    pub text: Option<String>,
    /// New tags (replacing all).
    pub tags: Option<Vec<String>>,
}

/// Who wrote a post.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Author {
    /// Handle.
    pub username: String,
    /// Display name.
    pub display_name: String,
}

/// A post.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostView {
    /// Post id.
    pub id: Uuid,
    /// Who wrote it.
    pub author: Author,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `published`; posts with images are `pending` until they are processed, or `failed`
    /// (only their author sees those).
    pub status: String,
    /// Why the post failed (with `failed`).
    pub failure: Option<String>,
    /// Its images, in order.
    pub images: Vec<ImageView>,
    /// Likes.
    pub like_count: i32,
    /// Views (each viewer counts once an hour).
    pub view_count: i64,
    /// Comments, replies included (`GET /posts/{id}/comments` lists them).
    pub comment_count: i32,
    /// Whether the caller likes it (false when anonymous).
    pub liked_by_me: bool,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

/// A feed page of posts (no total).
pub type PostFeed = FeedOf<PostView>;
/// A page of someone's posts (with their post count as total).
pub type PostPage = PageOf<PostView>;

/// Like state after a like or unlike.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostLikeState {
    /// Likes now.
    pub like_count: i32,
    /// Whether the caller likes it now.
    pub liked_by_me: bool,
}

/// `?tag=&size=&cursor=` of `GET /posts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostsQuery {
    /// Only posts with this tag (any case).
    pub tag: Option<String>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
