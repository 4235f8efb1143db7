//! The rules of posts: validation, who may change what, views once per viewer per hour.

use std::time::Duration;

use moji_auth::AuthUser;
use moji_common::new_id;
use moji_db::{
    keyset::Page,
    media::{self, PostImage},
    posts::{self, Listing, NewPost, PostChange, PostRow},
    users, DbError,
};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{
    Author, CreatePostRequest, PostFeed, PostLikeState, PostPage, PostView, UpdatePostRequest,
};
use crate::{
    error::{not_found, validated, ApiError, ApiResult},
    events::content,
    http::Paging,
    state::AppState,
    uploads::{attach, service::with_image_views},
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

/// Rows with their images (one statement for all of them).
fn with_images(
    c: &mut moji_db::PgConnection,
    rows: Vec<PostRow>,
) -> Result<(Vec<PostRow>, Vec<PostImage>), DbError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let images = media::images_of_posts(c, &ids)?;
    Ok((rows, images))
}

/// Views of rows, each with its images (links signed, or reused, per image); also the items
/// of the comments module's list of posts someone liked.
pub async fn views(
    state: &AppState,
    rows: Vec<PostRow>,
    images: Vec<PostImage>,
) -> ApiResult<Vec<PostView>> {
    with_image_views(state, rows, &images, |r| r.id, view).await
}

/// One row's view.
async fn view_one(state: &AppState, row: PostRow, images: Vec<PostImage>) -> ApiResult<PostView> {
    views(state, vec![row], images)
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("a post without its view".into()))
}

fn view(row: PostRow, images: Vec<crate::uploads::dto::ImageView>) -> PostView {
    let tags = row.tags();
    PostView {
        failure: row.failure,
        images,
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
        comment_count: row.comment_count,
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
        images: Vec::new(),
    };
    validated(errors)?;
    let uploads = attach::check(state, who, "images", &req.images).await?;
    let work = attach::process_messages(&uploads);
    let new = NewPost {
        images: uploads.iter().map(|u| u.id).collect(),
        ..new
    };
    let (row, images) = state
        .db
        .run(move |c| {
            let row = posts::create(c, &new, |row| {
                let mut messages = content::post_created(row);
                messages.extend(work);
                messages
            })?;
            with_images(c, vec![row])
        })
        .await?;
    state.outbox.poke();
    let row = row
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("the new post vanished".into()))?;
    tracing::info!(post_id = %row.id, status = %row.status, images = images.len(), "post written");
    view_one(state, row, images).await
}

/// One post; a view counts once per viewer (account, or address when anonymous) per hour.
pub async fn get(
    state: &AppState,
    viewer: Option<Uuid>,
    viewer_key: String,
    id: Uuid,
) -> ApiResult<PostView> {
    let (rows, images) = state
        .db
        .run(move |c| {
            let row = posts::by_id(c, id, viewer)?;
            with_images(c, vec![row])
        })
        .await
        .map_err(not_found("post"))?;
    let mut row = rows.into_iter().next().ok_or(ApiError::NotFound("post"))?;
    // Pending and failed posts are their author's business only.
    if row.status != "published" && viewer != Some(row.author_id) {
        return Err(ApiError::NotFound("post"));
    }
    // Counted in Redis and written to PostgreSQL in batches (see `flush_views`).
    let seen = state.redis.count_view(id, &viewer_key, VIEW_WINDOW).await?;
    row.view_count += seen.pending;
    view_one(state, row, images).await
}

/// How often buffered view counts are written to PostgreSQL.
pub const VIEW_FLUSH_EVERY: Duration = Duration::from_secs(2);

/// Writes the view counts buffered in Redis to PostgreSQL in one statement; on failure they
/// go back to Redis for the next flush. Returns how many posts were updated.
pub async fn flush_views(state: &AppState) -> ApiResult<usize> {
    let views = state.redis.take_pending_views().await?;
    if views.is_empty() {
        return Ok(0);
    }
    let batch = views.clone();
    match state.db.run(move |c| posts::add_views(c, &batch)).await {
        Ok(n) => Ok(n),
        Err(e) => {
            state.redis.return_pending_views(&views).await?;
            Err(e.into())
        }
    }
}

/// Flushes view counts every [`VIEW_FLUSH_EVERY`] until `shutdown`, and once more then.
pub fn spawn_view_flusher(
    state: &AppState,
    shutdown: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            let stop = tokio::select! {
                () = shutdown.cancelled() => true,
                () = tokio::time::sleep(VIEW_FLUSH_EVERY) => false,
            };
            if let Err(e) = flush_views(&state).await {
                tracing::warn!(error = %e, "view counts not written; will retry");
            }
            if stop {
                break;
            }
        }
    })
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
    let (rows, images) = state
        .db
        .run(move |c| {
            let row = posts::update(c, id, &change, me, content::post_updated)?;
            with_images(c, vec![row])
        })
        .await
        .map_err(not_found("post"))?;
    state.outbox.poke();
    let row = rows.into_iter().next().ok_or(ApiError::NotFound("post"))?;
    view_one(state, row, images).await
}

/// Deletes a post: its author or an admin.
pub async fn delete(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    owned(state, who, id, true).await?;
    state
        .db
        .run(move |c| posts::delete(c, id, content::post_deleted))
        .await?;
    state.outbox.poke();
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

/// A page with its rows' images.
pub(crate) fn page_with_images(
    c: &mut moji_db::PgConnection,
    page: Page<PostRow>,
) -> Result<(Page<PostRow>, Vec<PostImage>), DbError> {
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.id).collect();
    let images = media::images_of_posts(c, &ids)?;
    Ok((page, images))
}

/// A feed page: everyone's latest, a tag's, or the caller's feed.
pub async fn feed(
    state: &AppState,
    viewer: Option<Uuid>,
    listing: Listing,
    paging: Paging,
) -> ApiResult<PostFeed> {
    let start = paging.feed_start()?;
    let (page, images) = state
        .db
        .run(move |c| {
            let page = posts::page(c, &listing, viewer, start, paging.limit())?;
            page_with_images(c, page)
        })
        .await?;
    Ok(paging.feed(views(state, page.items, images).await?, page.next))
}

/// Someone's latest posts, with their post count; 404 for an unknown username.
pub async fn by_author(
    state: &AppState,
    viewer: Option<Uuid>,
    username: String,
    paging: Paging,
) -> ApiResult<PostPage> {
    let start = paging.feed_start()?;
    let name = username.to_lowercase();
    let author = state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))?;
    let (page, images) = state
        .db
        .run(move |c| {
            let page = posts::page(c, &Listing::By(author.id), viewer, start, paging.limit())?;
            page_with_images(c, page)
        })
        .await?;
    let total = page.total;
    Ok(paging.keyset(views(state, page.items, images).await?, total, page.next))
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
