//! The caller's own emoji lists: saved (`made`), liked, and used (every succeeded emoji task,
//! saved or not).

use moji_auth::AuthUser;
use moji_common::TaskKind;
use moji_db::{gallery, results as done_tasks};
use moji_telemetry::FieldError;

use super::{
    dto::{MyEmojis, MyEmojisQuery, UsedEmoji},
    service::emoji_page,
};
use crate::{
    error::{ApiError, ApiResult},
    http::Paging,
    results,
    state::AppState,
};

/// The caller's saved, liked or used emojis.
pub async fn my_emojis(
    state: &AppState,
    who: &AuthUser,
    query: MyEmojisQuery,
) -> ApiResult<MyEmojis> {
    let paging = Paging::with_cursor(query.page, query.size, query.cursor.as_deref())?;
    let user = who.user_id;
    let (start, limit) = (paging.start, paging.limit());
    let page = match query.case.as_deref() {
        None | Some("made") => {
            state
                .db
                .run(move |c| gallery::user_page(c, user, false, Some(user), start, limit))
                .await?
        }
        Some("liked") => {
            state
                .db
                .run(move |c| gallery::liked_page(c, user, start, limit))
                .await?
        }
        Some("used") => return used(state, who, paging).await.map(MyEmojis::Used),
        Some(_) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "case",
                "must be one of: made, used, liked",
            )]))
        }
    };
    Ok(MyEmojis::Emojis(
        emoji_page(state, page, false, paging).await?,
    ))
}

/// The caller's succeeded emoji tasks, saved or not.
async fn used(
    state: &AppState,
    who: &AuthUser,
    paging: Paging,
) -> ApiResult<crate::http::PageOf<UsedEmoji>> {
    let user = who.user_id;
    let page = state
        .db
        .run(move |c| {
            done_tasks::page(c, user, Some(TaskKind::Emoji), paging.start, paging.limit())
        })
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for done in page.items {
        let summary = results::emoji_summary(state, &done.task, done.emoji_id).await?;
        items.push(UsedEmoji {
            task_id: done.task.id,
            created_at: done.task.created_at,
            finished_at: done.task.finished_at,
            summary,
        });
    }
    Ok(paging.keyset(items, page.total, page.next))
}
