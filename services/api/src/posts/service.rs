//! The rules of posts: validation, who may change what, views once per viewer per hour.

use std::time::Duration;

use moji_auth::AuthUser;
use moji_common::new_id;
use moji_db::{
    keyset::Start,
    posts::{self, Listing, NewPost, PostChange, PostRow},
    users,
};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{
    Author, CreatePostRequest, PostFeed, PostLikeState, PostPage, PostView, UpdatePostRequest,
};
use crate::{
    error::{not_found, validated, ApiError, ApiResult},
    http::Paging,
    state::AppState,
};

/// Longest title, in characters.
pub const TITLE_MAX_CHARS: usize = 100;
/// Longest text, in characters.
pub const TEXT_MAX_CHARS: usize = 2_000;
/// Most tags on a post.
pub const MAX_TAGS: usize = 10;
/// Longest tag, in characters.
pub const TAG_MAX_CHARS: usize = 30;
/// A viewer's views of one post count once in this window.
pub const VIEW_WINDOW: Duration = Duration::from_secs(3600);

fn view(row: PostRow) -> PostView {
    let tags = row.tags();
    PostView {
        id: row.id,
        author: Author {
            username: row.username,
            display_name: row.display_name,
        },
        title: row.title,
        text: row.body,
        tags,
        status: row.status,
        like_count: row.like_count,
        view_count: row.view_count,
        liked_by_me: row.liked_by_me,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn title(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let t = raw.trim().to_owned();
    let n = t.chars().count();
    if n == 0 || n > TITLE_MAX_CHARS {
        errors.push(FieldError::new(
            "title",
            format!("1 to {TITLE_MAX_CHARS} characters"),
        ));
    } else if t.chars().any(char::is_control) {
        errors.push(FieldError::new("title", "no control characters"));
    }
    t
}

fn text(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let t = raw.trim().to_owned();
    if t.chars().count() > TEXT_MAX_CHARS {
        errors.push(FieldError::new(
            "text",
            format!("at most {TEXT_MAX_CHARS} characters"),
        ));
    } else if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(FieldError::new(
            "text",
            "no control characters (line breaks are fine)",
        ));
    }
    t
}

/// Tags: trimmed, lower-case, distinct, in order; letters (any script), digits, `_`, `-`.
fn tags(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, tag) in raw.iter().enumerate() {
        let t = tag.trim().trim_start_matches('#').to_lowercase();
        let n = t.chars().count();
        if n == 0
            || n > TAG_MAX_CHARS
            || !t
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(FieldError::new(
                format!("tags[{i}]"),
                format!("1 to {TAG_MAX_CHARS} letters, digits, _ or -"),
            ));
        } else if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        errors.push(FieldError::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    out
}

/// Writes a post for the caller.
pub async fn create(
    state: &AppState,
    who: &AuthUser,
    req: CreatePostRequest,
) -> ApiResult<PostView> {
    let mut errors = Vec::new();
    let new = NewPost {
        id: new_id(),
        author_id: who.user_id,
        title: title(&req.title, &mut errors),
        body: text(&req.text, &mut errors),
        tags: tags(&req.tags, &mut errors),
    };
    if !req.images.is_empty() {
        errors.push(FieldError::new(
            "images",
            "image uploads are not available yet; post without images",
        ));
    }
    validated(errors)?;
    let row = state.db.run(move |c| posts::create(c, &new)).await?;
    tracing::info!(post_id = %row.id, "post written");
    Ok(view(row))
}

/// One post; a view counts once per viewer (account, or address when anonymous) per hour.
pub async fn get(
    state: &AppState,
    viewer: Option<Uuid>,
    viewer_key: String,
    id: Uuid,
) -> ApiResult<PostView> {
    let mut row = state
        .db
        .run(move |c| posts::by_id(c, id, viewer))
        .await
        .map_err(not_found("post"))?;
    let seen = state
        .redis
        .hit(&format!("post-view:{id}:{viewer_key}"), VIEW_WINDOW)
        .await?;
    if seen.count == 1 {
        state.db.run(move |c| posts::add_view(c, id)).await?;
        row.view_count += 1;
    }
    Ok(view(row))
}

/// The post if `who` wrote it (or, with `admin_ok`, is an admin); 404 / 403 otherwise.
async fn owned(state: &AppState, who: &AuthUser, id: Uuid, admin_ok: bool) -> ApiResult<PostRow> {
    let me = who.user_id;
    let row = state
        .db
        .run(move |c| posts::by_id(c, id, Some(me)))
        .await
        .map_err(not_found("post"))?;
    if row.author_id != who.user_id && !(admin_ok && who.is_admin()) {
        return Err(ApiError::Forbidden(
            "only the post's author can do that".into(),
        ));
    }
    Ok(row)
}

/// Edits the caller's post.
pub async fn update(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    req: UpdatePostRequest,
) -> ApiResult<PostView> {
    let mut errors = Vec::new();
    let change = PostChange {
        title: req.title.as_deref().map(|t| title(t, &mut errors)),
        body: req.text.as_deref().map(|t| text(t, &mut errors)),
        tags: req.tags.as_deref().map(|t| tags(t, &mut errors)),
    };
    if change.title.is_none() && change.body.is_none() && change.tags.is_none() {
        errors.push(FieldError::new("title", "send `title`, `text` or `tags`"));
    }
    validated(errors)?;
    owned(state, who, id, false).await?;
    let me = who.user_id;
    let row = state
        .db
        .run(move |c| posts::update(c, id, &change, me))
        .await
        .map_err(not_found("post"))?;
    Ok(view(row))
}

/// Deletes a post: its author or an admin.
pub async fn delete(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    owned(state, who, id, true).await?;
    state.db.run(move |c| posts::delete(c, id)).await?;
    tracing::info!(post_id = %id, by = %who.user_id, "post deleted");
    Ok(())
}

/// Likes (`on`) or unlikes a post; idempotent.
pub async fn set_like(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    on: bool,
) -> ApiResult<PostLikeState> {
    let me = who.user_id;
    let like_count = state
        .db
        .run(move |c| posts::set_like(c, id, me, on))
        .await
        .map_err(not_found("post"))?;
    Ok(PostLikeState {
        like_count,
        liked_by_me: on,
    })
}

fn cursor_only(paging: Paging) -> ApiResult<Start> {
    match (paging.page, paging.start) {
        (Some(1) | None, start) => Ok(start),
        _ => Err(ApiError::BadRequest(
            "feeds page by `cursor` only: follow `next_cursor`".into(),
        )),
    }
}

/// A feed page: everyone's latest, a tag's, or the caller's feed.
pub async fn feed(
    state: &AppState,
    viewer: Option<Uuid>,
    listing: Listing,
    paging: Paging,
) -> ApiResult<PostFeed> {
    let start = cursor_only(paging)?;
    let page = state
        .db
        .run(move |c| posts::page(c, &listing, viewer, start, paging.limit()))
        .await?;
    Ok(paging.feed(page.items.into_iter().map(view).collect(), page.next))
}

/// Someone's latest posts, with their post count; 404 for an unknown username.
pub async fn by_author(
    state: &AppState,
    viewer: Option<Uuid>,
    username: String,
    paging: Paging,
) -> ApiResult<PostPage> {
    let start = cursor_only(paging)?;
    let name = username.to_lowercase();
    let author = state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))?;
    let page = state
        .db
        .run(move |c| posts::page(c, &Listing::By(author.id), viewer, start, paging.limit()))
        .await?;
    Ok(paging.keyset(
        page.items.into_iter().map(view).collect(),
        page.total,
        page.next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_rules() {
        let mut e = Vec::new();
        let t = tags(
            &[
                "#Mandarin".into(),
                "감귤".into(),
                "mandarin".into(),
                " 제주-여행 ".into(),
            ],
            &mut e,
        );
        assert!(e.is_empty());
        assert_eq!(t, ["mandarin", "감귤", "제주-여행"]);
        let mut e = Vec::new();
        tags(&["a b".into(), "".into(), "x".repeat(31)], &mut e);
        assert_eq!(e.len(), 3);
        let mut e = Vec::new();
        tags(
            &(0..11).map(|i| format!("t{i}")).collect::<Vec<_>>(),
            &mut e,
        );
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn title_and_text_rules() {
        let mut e = Vec::new();
        title("  ", &mut e);
        title(&"x".repeat(101), &mut e);
        text(&"x".repeat(2001), &mut e);
        text("a\u{7}", &mut e);
        assert_eq!(e.len(), 4);
        let mut e = Vec::new();
        assert_eq!(text(" 첫 줄\n둘째 줄 ", &mut e), "첫 줄\n둘째 줄");
        assert!(e.is_empty());
    }
}
