//! The follow rules: nobody follows themselves, unknown people are 404, everything is
//! idempotent.

use moji_auth::AuthUser;
use moji_db::{
    follows::{self, FollowCounts, Side},
    models::User,
    users,
};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{FollowState, Person, PersonPage};
use crate::{
    error::{not_found, ApiError, ApiResult},
    http::Paging,
    state::AppState,
};

/// The account with this handle (any case); 404 otherwise.
async fn person(state: &AppState, username: &str) -> ApiResult<User> {
    let name = username.to_lowercase();
    state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))
}

/// Follows (`on`) or unfollows `username` as the caller.
pub async fn set_follow(
    state: &AppState,
    who: &AuthUser,
    username: &str,
    on: bool,
) -> ApiResult<FollowState> {
    let target = person(state, username).await?;
    if target.id == who.user_id {
        return Err(ApiError::Validation(vec![FieldError::new(
            "username",
            "you cannot follow yourself",
        )]));
    }
    let (me, them) = (who.user_id, target.id);
    let counts = state
        .db
        .run(move |c| {
            if on {
                follows::follow(c, me, them)?;
            } else {
                follows::unfollow(c, me, them)?;
            }
            follows::counts(c, them)
        })
        .await?;
    Ok(state_of(target.username, on, counts))
}

fn state_of(username: String, followed_by_me: bool, counts: FollowCounts) -> FollowState {
    FollowState {
        username,
        followed_by_me,
        followers: counts.followers,
        following: counts.following,
    }
}

/// Stops `username` following the caller; 404 if there is no such person.
pub async fn remove_follower(state: &AppState, who: &AuthUser, username: &str) -> ApiResult<()> {
    let follower = person(state, username).await?;
    let me = who.user_id;
    state
        .db
        .run(move |c| follows::unfollow(c, follower.id, me))
        .await?;
    Ok(())
}

/// A page of someone's followers or of whom they follow.
pub async fn people(
    state: &AppState,
    viewer: Option<Uuid>,
    username: &str,
    side: Side,
    paging: Paging,
) -> ApiResult<PersonPage> {
    let user = person(state, username).await?;
    let page = state
        .db
        .run(move |c| follows::page(c, user.id, side, viewer, paging.start, paging.limit()))
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|e| Person {
            id: e.user_id,
            username: e.username,
            display_name: e.display_name,
            since: e.since,
            followed_by_me: e.followed_by_me,
        })
        .collect();
    Ok(paging.keyset(items, page.total, page.next))
}

/// Someone's follow counts, and whether `viewer` follows them.
pub async fn profile_counts(
    state: &AppState,
    viewer: Option<Uuid>,
    user_id: Uuid,
) -> ApiResult<(FollowCounts, bool)> {
    Ok(state
        .db
        .run(move |c| {
            let counts = follows::counts(c, user_id)?;
            let mine = match viewer {
                Some(v) if v != user_id => follows::follows(c, v, user_id)?,
                _ => false,
            };
            Ok((counts, mine))
        })
        .await?)
}
