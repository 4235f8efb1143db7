//! The daily quota as clients see it: the count left and when it renews, in the body of
//! `GET /date-courses/quota` and in `RateLimit-*` headers.

use actix_web::HttpResponseBuilder;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{error::ApiResult, state::AppState};

/// Today's quota of one person.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct QuotaView {
    /// Requests accepted per product day.
    pub limit: u32,
    /// Requests left today.
    pub remaining: u32,
    /// When the next product day starts (Asia/Seoul midnight by default).
    pub resets_at: DateTime<Utc>,
}

impl QuotaView {
    /// The quota with `used` units taken today.
    pub fn new(state: &AppState, used: i32) -> Self {
        let limit = state.settings.courses.daily_quota;
        let used = u32::try_from(used.max(0)).unwrap_or(u32::MAX);
        let tomorrow = state
            .calendar
            .today()
            .succ_opt()
            .unwrap_or(state.calendar.today());
        QuotaView {
            limit,
            remaining: limit.saturating_sub(used),
            resets_at: state.calendar.start_of(tomorrow),
        }
    }

    /// Seconds until the quota renews (at least 1).
    pub fn reset_secs(&self) -> u64 {
        u64::try_from((self.resets_at - Utc::now()).num_seconds().max(1)).unwrap_or(1)
    }

    /// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
    pub fn headers(&self, resp: &mut HttpResponseBuilder) {
        resp.insert_header(("RateLimit-Limit", self.limit.to_string()))
            .insert_header(("RateLimit-Remaining", self.remaining.to_string()))
            .insert_header(("RateLimit-Reset", self.reset_secs().to_string()));
    }
}

/// `user`'s quota today.
pub async fn current(state: &AppState, user: Uuid) -> ApiResult<QuotaView> {
    let day = state.calendar.today();
    let used = state
        .db
        .run(move |c| moji_db::courses::quota_used(c, user, day))
        .await?;
    Ok(QuotaView::new(state, used))
}
