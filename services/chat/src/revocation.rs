//! Live sockets of a revoked session (logout, a reused refresh token, a deleted or banned
//! account) are closed: every `chat.revocation_check_secs` the replica checks all its sockets'
//! token, session and account ids against the revocation list in one Redis round trip.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{hub::CloseReason, metrics, ChatState};

/// Runs the check until `shutdown`.
pub fn spawn(state: &ChatState, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    let state = state.clone();
    tokio::spawn(async move {
        let every = Duration::from_secs(state.settings.chat.revocation_check_secs);
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            if let Err(e) = check(&state).await {
                tracing::warn!(error = %e, "revocation check failed; trying again next round");
            }
        }
    })
}

/// Closes the sockets whose token or session is revoked; returns how many.
pub async fn check(state: &ChatState) -> Result<usize, moji_redis::StateError> {
    let sockets = state.hub.sockets().await;
    if sockets.is_empty() {
        return Ok(0);
    }
    let ids: Vec<[String; 3]> = sockets
        .iter()
        .map(|s| {
            [
                s.token_id.to_string(),
                moji_auth::revoked_session_key(s.session_id),
                moji_auth::revoked_account_key(s.user_id),
            ]
        })
        .collect();
    let groups: Vec<[&str; 3]> = ids
        .iter()
        .map(|ids| ids.each_ref().map(String::as_str))
        .collect();
    let revoked = state.redis.revoked_groups(&groups).await?;
    let closing: Vec<u64> = sockets
        .iter()
        .zip(revoked)
        .filter_map(|(s, r)| r.then_some(s.id))
        .collect();
    if !closing.is_empty() {
        metrics::REVOKED_CLOSES.inc_by(closing.len() as u64);
        tracing::info!(
            sockets = closing.len(),
            "closing sockets of revoked sessions"
        );
        state.hub.close(closing.clone(), CloseReason::Revoked);
    }
    Ok(closing.len())
}
