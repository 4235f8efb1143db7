//! Bodies of the comments endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    http::{FeedOf, PageOf},
    posts::dto::Author,
};

/// A new comment on a post, or a reply to one of its top-level comments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommentRequest {
    /// 1..=1,000 characters (line breaks are fine).
    #[schema(example = "아직 나눔 가능한가요?")]
    pub text: String,
    /// The top-level comment of the same post this replies to; leave it out for a top-level
    /// comment. Replies go one level deep: a reply cannot be replied to.
    pub parent_id: Option<Uuid>,
}

/// A new text for a comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommentRequest {
    /// 1..=1,000 characters.
    pub text: String,
}

/// A comment or a reply.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentView {
    /// Comment id.
    pub id: Uuid,
    /// The post it is on.
    pub post_id: Uuid,
    /// The top-level comment it replies to; null for a top-level comment.
    pub parent_id: Option<Uuid>,
    /// Who wrote it.
    pub author: Author,
    /// Text.
    pub text: String,
    /// Likes.
    pub like_count: i32,
    /// Replies (`GET /comments/{id}/replies` lists them); always 0 on a reply.
    pub reply_count: i32,
    /// Whether the caller likes it (false when anonymous).
    pub liked_by_me: bool,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

/// One of the caller's comments, with the title of the post it is on.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyComment {
    /// The comment.
    #[serde(flatten)]
    pub comment: CommentView,
    /// The title of the post it is on (`post_id`).
    pub post_title: String,
}

/// A page of a conversation, oldest first (no total: the post's `comment_count` or the
/// comment's `reply_count` says how many).
pub type CommentFeed = FeedOf<CommentView>;
/// A page of the caller's comments, newest first (total: all of them).
pub type MyCommentPage = PageOf<MyComment>;

/// Like state of a comment after a like or unlike.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentLikeState {
    /// Likes now.
    pub like_count: i32,
    /// Whether the caller likes it now.
    pub liked_by_me: bool,
}

/// Someone who liked a post or a comment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Liker {
    /// Handle (links to `/users/{username}`).
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// When they liked it.
    pub liked_at: DateTime<Utc>,
}

/// A page of who liked something, newest like first (total: its like count).
pub type LikerPage = PageOf<Liker>;
