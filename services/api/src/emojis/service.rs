//! The gallery's rules: who may see, save, like or delete an emoji, and how pages are made.

use moji_auth::AuthUser;
use moji_common::{new_id, results::EmojiResult, ErrorCode, Period, TaskKind, TaskStatus};
use moji_db::{
    emojis::{self, EmojiWithOwner, NewEmoji, Saved},
    face_tasks,
    gallery::{self, GalleryRow, Order},
    keyset::Page,
    users,
};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{
    CreateEmojiRequest, EmojiPage, EmojiView, GalleryQuery, LikeState, Owner, UpdateEmojiRequest,
};
use crate::{
    error::{not_found, validated, ApiError, ApiResult},
    events::content,
    http::{choice, links::download_url, Paging},
    results,
    state::AppState,
};

/// Longest caption, in characters.
pub const CAPTION_MAX_CHARS: usize = 200;

/// Whether `who` may see an emoji of `owner` with `visibility`.
fn can_view(owner: Uuid, visibility: moji_common::Visibility, who: Option<&AuthUser>) -> bool {
    visibility == moji_common::Visibility::Public
        || who.is_some_and(|w| w.user_id == owner || w.is_admin())
}

async fn view(
    state: &AppState,
    row: EmojiWithOwner,
    liked_by_me: bool,
    likes_in_period: Option<i64>,
) -> ApiResult<EmojiView> {
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
        visibility: e.visibility,
        template: e.template,
        expression: e.expression,
        likes_in_period: likes_in_period.unwrap_or(i64::from(e.like_count)),
        like_count: e.like_count,
        liked_by_me,
        created_at: e.created_at,
    })
}

/// Renders a page of gallery rows (each already knowing whether the viewer likes it).
pub(super) async fn emoji_page(
    state: &AppState,
    page: Page<GalleryRow>,
    windowed: bool,
    paging: Paging,
) -> ApiResult<EmojiPage> {
    let mut items = Vec::with_capacity(page.items.len());
    for row in page.items {
        let in_period = windowed.then_some(row.ranked_likes);
        items.push(view(state, row.emoji, row.liked_by_me, in_period).await?);
    }
    Ok(paging.keyset(items, page.total, page.next))
}

/// Checks a caption: at most 200 characters, no control characters but line breaks.
fn caption(raw: Option<String>) -> ApiResult<String> {
    let caption = raw.unwrap_or_default().trim().to_owned();
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
    validated(errors)?;
    Ok(caption)
}

/// Saves the caller's succeeded emoji task as an emoji (once per task).
pub async fn create_emoji(
    state: &AppState,
    who: &AuthUser,
    req: CreateEmojiRequest,
) -> ApiResult<EmojiView> {
    let caption = caption(req.caption)?;
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
    if task.kind != TaskKind::Emoji {
        return Err(ApiError::Validation(vec![FieldError::new(
            "task_id",
            format!(
                "this is a {} task; only emoji results can be saved",
                task.kind
            ),
        )]));
    }
    match task.status {
        TaskStatus::Succeeded => {}
        TaskStatus::Queued | TaskStatus::Running => {
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
    let result: EmojiResult = results::stored_result(&task)?;
    let expression = results::main_expression(&result)
        .ok_or_else(|| ApiError::Internal(format!("task {task_id} result has no faces")))?;
    let new = NewEmoji {
        id: new_id(),
        task_id,
        user_id: who.user_id,
        caption,
        visibility: req.visibility,
        template: result.template,
        expression,
        image_key: result.image_key,
        thumbnail_key: result.thumbnail_key,
    };
    let saved = state
        .db
        .run(move |c| moji_db::outbox::within(c, |c| emojis::insert(c, &new), content::emoji_saved))
        .await?;
    state.outbox.poke();
    match saved {
        Saved::Created(row) => {
            tracing::info!(emoji_id = %row.emoji.id, %task_id, "emoji saved");
            view(state, *row, false, None).await
        }
        Saved::AlreadySaved(id) => Err(ApiError::Conflict {
            code: ErrorCode::Conflict,
            detail: format!("this task was already saved as emoji {id}"),
        }),
    }
}

/// The gallery order a query asks for (422 for unknown values, or a window with `new`).
fn order(query: &GalleryQuery) -> ApiResult<Order> {
    let popular = match query.sort.as_deref() {
        None | Some("new") => false,
        Some("popular") => true,
        Some(_) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "sort",
                "must be one of: new, popular",
            )]))
        }
    };
    let period: Option<Period> = choice("period", query.period.as_deref())?;
    match (popular, period) {
        (false, None) => Ok(Order::New),
        (false, Some(_)) => Err(ApiError::Validation(vec![FieldError::new(
            "period",
            "only applies to sort=popular",
        )])),
        (true, None | Some(Period::All)) => Ok(Order::Popular),
        (true, Some(window)) => Ok(Order::Window(window)),
    }
}

/// A page of the public gallery.
pub async fn gallery(
    state: &AppState,
    who: Option<&AuthUser>,
    query: GalleryQuery,
) -> ApiResult<EmojiPage> {
    let paging = Paging::with_cursor(query.page, query.size, query.cursor.as_deref())?;
    let order = order(&query)?;
    let window_start = match order {
        Order::Window(period) => state
            .calendar
            .start_of(crate::rankings::window_start(state, period)),
        Order::New | Order::Popular => chrono::DateTime::UNIX_EPOCH,
    };
    let viewer = who.map(|w| w.user_id);
    let page = state
        .db
        .run(move |c| {
            gallery::public_page(c, order, window_start, viewer, paging.start, paging.limit())
        })
        .await?;
    emoji_page(state, page, matches!(order, Order::Window(_)), paging).await
}

/// Someone's public emojis, newest first; 404 for an unknown username.
pub async fn user_emojis(
    state: &AppState,
    who: Option<&AuthUser>,
    username: String,
    paging: Paging,
) -> ApiResult<EmojiPage> {
    let name = username.to_lowercase();
    let user = state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))?;
    let viewer = who.map(|w| w.user_id);
    let page = state
        .db
        .run(move |c| gallery::user_page(c, user.id, true, viewer, paging.start, paging.limit()))
        .await?;
    emoji_page(state, page, false, paging).await
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
    if !can_view(row.emoji.user_id, row.emoji.visibility, who) {
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
    view(state, row, liked, None).await
}

/// Loads an emoji the caller may `verb` (delete, change): 404 when missing, 403 unless it
/// is theirs or they are an admin.
async fn managed_emoji(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    verb: &str,
) -> ApiResult<EmojiWithOwner> {
    let row = state
        .db
        .run(move |c| emojis::by_id(c, id))
        .await
        .map_err(not_found("emoji"))?;
    if row.emoji.user_id != who.user_id && !who.is_admin() {
        return Err(ApiError::Forbidden(format!(
            "only the emoji's owner or an admin can {verb} it"
        )));
    }
    Ok(row)
}

/// Deletes an emoji: its owner or an admin. The task and its images stay (they are the
/// owner's "used" history).
pub async fn delete_emoji(state: &AppState, who: &AuthUser, id: Uuid) -> ApiResult<()> {
    let before = managed_emoji(state, who, id, "delete").await?.emoji;
    state
        .db
        .run(move |c| {
            moji_db::outbox::within(
                c,
                |c| emojis::delete(c, id),
                |_| content::emoji_deleted(&before),
            )
        })
        .await?;
    state.outbox.poke();
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

/// Changes the caption and/or visibility of one of the caller's emojis (admins may too).
pub async fn update_emoji(
    state: &AppState,
    who: &AuthUser,
    id: Uuid,
    req: UpdateEmojiRequest,
) -> ApiResult<EmojiView> {
    if req.caption.is_none() && req.visibility.is_none() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "caption",
            "send `caption`, `visibility` or both",
        )]));
    }
    let new_caption = match req.caption {
        Some(raw) => Some(caption(Some(raw))?),
        None => None,
    };
    let before = managed_emoji(state, who, id, "change").await?.emoji;
    let visibility = req.visibility;
    let row = state
        .db
        .run(move |c| {
            moji_db::outbox::within(
                c,
                |c| emojis::update(c, id, new_caption, visibility),
                |after| content::emoji_changed(&before, &after.emoji),
            )
        })
        .await
        .map_err(not_found("emoji"))?;
    state.outbox.poke();
    let user = who.user_id;
    let liked = state
        .db
        .run(move |c| emojis::liked_among(c, user, &[id]))
        .await?
        .contains(&id);
    tracing::info!(emoji_id = %id, by = %who.user_id, "emoji changed");
    view(state, row, liked, None).await
}

#[cfg(test)]
mod tests {
    use moji_common::Visibility;

    use super::*;

    #[test]
    fn visibility_rule() {
        let owner = Uuid::now_v7();
        assert!(can_view(owner, Visibility::Public, None));
        assert!(!can_view(owner, Visibility::Private, None));
    }

    #[test]
    fn captions() {
        assert_eq!(caption(Some("  hi\n ".into())).unwrap(), "hi");
        assert!(caption(Some("x".repeat(201))).is_err());
        assert!(caption(Some("a\u{7}b".into())).is_err());
    }
}
