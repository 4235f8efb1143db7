//! The rules of comments: text checks, replies one level deep under a top-level comment of
//! the same post, who may see (whoever may see the post), edit (the author) and delete (the
//! author, the post's author, or an admin) a comment.

use moji_auth::AuthUser;
use moji_common::new_id;
use moji_db::comments::{self, CommentOnPost, CommentRow, NewComment, ParentRefusal, Target};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{
    CommentFeed, CommentLikeState, CommentView, CreateCommentRequest, Liker, LikerPage, MyComment,
    MyCommentPage, UpdateCommentRequest,
};
use crate::{
    error::{not_found, validated, ApiError, ApiResult},
    http::Paging,
    posts::{
        dto::{Author, PostFeed},
        service::{page_with_images, views as post_views},
    },
    state::AppState,
};

/// Longest comment, in characters.
pub const TEXT_MAX_CHARS: usize = comments::TEXT_MAX_CHARS;

fn view(row: CommentRow) -> CommentView {
    CommentView {
        id: row.id,
        post_id: row.post_id,
        parent_id: row.parent_id,
        author: Author {
            username: row.username,
            display_name: row.display_name,
        },
        text: row.text,
        like_count: row.like_count,
        reply_count: row.reply_count,
        liked_by_me: row.liked_by_me,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The text trimmed: 1..=1,000 characters without control characters but line breaks and tabs.
fn text(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let t = raw.trim().to_owned();
    let n = t.chars().count();
    if n == 0 || n > TEXT_MAX_CHARS {
        errors.push(FieldError::new(
            "text",
            format!("1 to {TEXT_MAX_CHARS} characters"),
        ));
    } else if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(FieldError::new(
            "text",
            "no control characters (line breaks are fine)",
        ));
    }
    t
}

fn parent_refused(refusal: ParentRefusal) -> ApiError {
    let message = match refusal {
        ParentRefusal::Missing => "no such comment",
        ParentRefusal::IsReply => "replies go one level deep: reply to the top-level comment",
        ParentRefusal::OtherPost => "that comment is on another post",
    };
    ApiError::Validation(vec![FieldError::new("parent_id", message)])
}

/// Writes a comment (or, with `parent_id`, a reply) on post `post` as the caller; 404 when
/// the post does not exist or is not published (unless it is the caller's).
pub async fn create(
    state: &AppState,
    who: &AuthUser,
    post: Uuid,
    req: CreateCommentRequest,
) -> ApiResult<CommentView> {
    let mut errors = Vec::new();
    let new = NewComment {
        id: new_id(),
        post_id: post,
        author_id: who.user_id,
        parent_id: req.parent_id,
        text: text(&req.text, &mut errors),
    };
    validated(errors)?;
    let row = state
        .db
        .run(move |c| comments::create(c, &new))
        .await
        .map_err(not_found("post"))?
        .map_err(parent_refused)?;
    tracing::info!(comment_id = %row.id, post_id = %row.post_id, "comment written");
    Ok(view(row))
}

/// The comment if `viewer` may see it; 404 otherwise.
async fn visible(state: &AppState, viewer: Option<Uuid>, id: Uuid) -> ApiResult<CommentOnPost> {
    let found = state
        .db
        .run(move |c| comments::by_id(c, id, viewer))
        .await
        .map_err(not_found("comment"))?;
    if found.visible_to(viewer) {
        Ok(found)
    } else {
        Err(ApiError::NotFound("comment"))
    }
}

/// One comment as `viewer` sees it.
pub async fn get(state: &AppState, viewer: Option<Uuid>, id: Uuid) -> ApiResult<CommentView> {
    Ok(view(visible(state, viewer, id).await?.comment))
}

/// Replaces the text of the caller's comment; 403 for anyone else's.
pub async fn update(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    req: UpdateCommentRequest,
) -> ApiResult<CommentView> {
    let mut errors = Vec::new();
    let new_text = text(&req.text, &mut errors);
    validated(errors)?;
    let found = visible(state, Some(who.user_id), id).await?;
    if found.comment.author_id != who.user_id {
        return Err(ApiError::Forbidden(
            "only the comment's author can edit it".into(),
        ));
    }
    let me = who.user_id;
    let row = state
        .db
        .run(move |c| comments::update(c, id, &new_text, me))
        .await
        .map_err(not_found("comment"))?;
    Ok(view(row.comment))
}

/// Whether `who` may delete the comment: its author, the author of the post it is on (a
/// seller keeps their own listing's thread clean), or an admin.
fn may_delete(who: &AuthUser, found: &CommentOnPost) -> bool {
    found.comment.author_id == who.user_id || found.post_author_id == who.user_id || who.is_admin()
}

/// Deletes a comment, and a top-level comment's replies with it.
pub async fn delete(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    let me = who.user_id;
    let found = state
        .db
        .run(move |c| comments::by_id(c, id, Some(me)))
        .await
        .map_err(not_found("comment"))?;
    if !found.visible_to(Some(me)) && !who.is_admin() {
        return Err(ApiError::NotFound("comment"));
    }
    if !may_delete(who, &found) {
        return Err(ApiError::Forbidden(
            "only the comment's author, the post's author or an admin can delete it".into(),
        ));
    }
    let gone = state.db.run(move |c| comments::delete(c, id)).await?;
    tracing::info!(comment_id = %id, by = %who.user_id, comments = gone, "comment deleted");
    Ok(())
}

/// Likes (`on`) or unlikes a comment the caller may see; idempotent.
pub async fn set_like(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    on: bool,
) -> ApiResult<CommentLikeState> {
    visible(state, Some(who.user_id), id).await?;
    let me = who.user_id;
    let like_count = state
        .db
        .run(move |c| comments::set_like(c, id, me, on))
        .await
        .map_err(not_found("comment"))?;
    Ok(CommentLikeState {
        like_count,
        liked_by_me: on,
    })
}

fn what(target: Target) -> &'static str {
    match target {
        Target::Post(_) => "post",
        Target::Comment(_) => "comment",
    }
}

/// A page of a post's top-level comments or of a comment's replies, oldest first.
pub async fn thread(
    state: &AppState,
    viewer: Option<Uuid>,
    target: Target,
    paging: Paging,
) -> ApiResult<CommentFeed> {
    let start = paging.feed_start()?;
    let page = state
        .db
        .run(move |c| comments::thread_page(c, target, viewer, start, paging.limit()))
        .await
        .map_err(not_found(what(target)))?;
    Ok(paging.feed(page.items.into_iter().map(view).collect(), page.next))
}

/// A page of who liked a post or a comment, newest like first.
pub async fn likers(
    state: &AppState,
    viewer: Option<Uuid>,
    target: Target,
    paging: Paging,
) -> ApiResult<LikerPage> {
    let page = state
        .db
        .run(move |c| comments::likers_page(c, target, viewer, paging.start, paging.limit()))
        .await
        .map_err(not_found(what(target)))?;
    let items = page
        .items
        .into_iter()
        .map(|l| Liker {
            username: l.username,
            display_name: l.display_name,
            liked_at: l.liked_at,
        })
        .collect();
    Ok(paging.keyset(items, page.total, page.next))
}

/// A page of the caller's comments, newest first, each with its post's title.
pub async fn mine(state: &AppState, who: &AuthUser, paging: Paging) -> ApiResult<MyCommentPage> {
    let me = who.user_id;
    let page = state
        .db
        .run(move |c| comments::by_author_page(c, me, paging.start, paging.limit()))
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|c| MyComment {
            comment: view(c.comment),
            post_title: c.post_title,
        })
        .collect();
    Ok(paging.keyset(items, page.total, page.next))
}

/// A page of the posts the caller liked, newest like first, with their images.
pub async fn liked_posts(state: &AppState, who: &AuthUser, paging: Paging) -> ApiResult<PostFeed> {
    let start = paging.feed_start()?;
    let me = who.user_id;
    let (page, images) = state
        .db
        .run(move |c| {
            let page = comments::liked_posts_page(c, me, start, paging.limit())?;
            page_with_images(c, page)
        })
        .await?;
    Ok(paging.feed(post_views(state, page.items, images).await?, page.next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        let mut e = Vec::new();
        assert_eq!(text("  첫 줄\n둘째 줄 ", &mut e), "첫 줄\n둘째 줄");
        assert_eq!(text(&"가".repeat(1000), &mut e).chars().count(), 1000);
        assert!(e.is_empty(), "{e:?}");
        text("   ", &mut e);
        text(&"가".repeat(1001), &mut e);
        text("bell\u{7}", &mut e);
        assert_eq!(e.len(), 3);
        assert!(e.iter().all(|f| f.field == "text"));
    }

    fn caller(user_id: Uuid, role: moji_auth::Role) -> AuthUser {
        AuthUser {
            user_id,
            role,
            session_id: Uuid::nil(),
            token_id: Uuid::nil(),
            expires_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn who_may_delete() {
        let (author, seller, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let found = CommentOnPost {
            comment: CommentRow {
                id: Uuid::now_v7(),
                post_id: Uuid::now_v7(),
                parent_id: None,
                author_id: author,
                username: "a".into(),
                display_name: "A".into(),
                text: "hi".into(),
                like_count: 0,
                reply_count: 0,
                liked_by_me: false,
                created_at: chrono::Utc::now(),
                updated_at: chrono::Utc::now(),
            },
            post_author_id: seller,
            post_status: "published".into(),
            post_title: "t".into(),
        };
        use moji_auth::Role::{Admin, User};
        assert!(may_delete(&caller(author, User), &found));
        assert!(
            may_delete(&caller(seller, User), &found),
            "the post's author"
        );
        assert!(may_delete(&caller(other, Admin), &found));
        assert!(!may_delete(&caller(other, User), &found));
    }

    #[test]
    fn refused_parents_name_the_field() {
        for refusal in [
            ParentRefusal::Missing,
            ParentRefusal::IsReply,
            ParentRefusal::OtherPost,
        ] {
            match parent_refused(refusal) {
                ApiError::Validation(fields) => assert_eq!(fields[0].field, "parent_id"),
                other => panic!("expected a validation error, got {other:?}"),
            }
        }
    }
}
