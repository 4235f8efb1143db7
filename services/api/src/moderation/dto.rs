//! Bodies of the report and moderation endpoints.

use chrono::{DateTime, Utc};
use moji_common::moderation::{ModerationAction, ReportReason, ReportStatus, ReportTarget};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// `POST /reports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReportRequest {
    /// What kind of thing is reported.
    pub target_type: ReportTarget,
    /// Its id (a person's account id for `user`).
    pub target_id: Uuid,
    /// Why.
    pub reason: ReportReason,
    /// More words, up to 1,000 characters (say what, for `other`).
    #[serde(default)]
    pub text: Option<String>,
}

/// A report as its reporter sees it: never who the reported person is.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportView {
    /// Report id.
    pub id: Uuid,
    /// What kind of thing.
    pub target_type: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words.
    pub text: String,
    /// `received → in_review → resolved | dismissed`.
    pub status: ReportStatus,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// When an admin closed it.
    pub handled_at: Option<DateTime<Utc>>,
}

/// `?status=&target_type=&reason=&from=&to=&cursor=&size=` of the admin queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Reports in this status (default: open ones, `received` and `in_review`).
    pub status: Option<String>,
    /// One kind of target.
    pub target_type: Option<String>,
    /// One reason.
    pub reason: Option<String>,
    /// Reports filed at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Reports filed before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One report of a target, for admins.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TargetReportView {
    /// Report id.
    pub id: Uuid,
    /// The reporter's handle (null once their account is gone).
    pub reporter: Option<String>,
    /// Why.
    pub reason: ReportReason,
    /// Their words.
    pub text: String,
    /// Where it stands.
    pub status: ReportStatus,
    /// Filed at.
    pub created_at: DateTime<Utc>,
}

/// A count under one name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Counted {
    /// A status, type, reason or day.
    pub key: String,
    /// How many.
    pub count: i64,
}

/// A reported target in the admin queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueuedTargetView {
    /// What kind of thing.
    pub target_type: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// Whose it is (handle), if known.
    pub owner: Option<String>,
    /// A short text to recognise it by.
    pub preview: Option<String>,
    /// `published`, `hidden`, `pending`, `failed` (posts, products), `present` or `deleted`.
    pub state: String,
    /// Reports matching the filter.
    pub reports: i64,
    /// Of those, still open.
    pub open_reports: i64,
    /// Distinct people with an open report on it.
    pub open_reporters: i64,
    /// Matching reports by reason.
    pub reasons: Vec<Counted>,
    /// First matching report.
    pub first_reported_at: DateTime<Utc>,
    /// Latest matching report (the queue's order).
    pub last_reported_at: DateTime<Utc>,
    /// The latest ten reports on it.
    pub latest: Vec<TargetReportView>,
}

/// `POST /admin/reports/{target_type}/{target_id}/actions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `review`, `dismiss`, `hide`, `delete` or `warn`.
    pub action: ModerationAction,
    /// Why (kept in the audit log; up to 1,000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// What an action did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActionOutcome {
    /// The target's kind.
    pub target_type: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// What was done.
    pub action: ModerationAction,
    /// Reports it moved (to `in_review`, `resolved` or `dismissed`).
    pub reports_updated: usize,
}

/// `POST /admin/users/{username}/suspend|ban|reinstate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandingRequest {
    /// Why (kept in the audit log; 1..=1,000 characters).
    pub reason: String,
    /// A suspension's end (RFC 3339, in the future); required for `suspend` only.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// An account's standing after an admin's action.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StandingView {
    /// The account's handle.
    pub username: String,
    /// Suspended until then (null: not suspended).
    pub suspended_until: Option<DateTime<Utc>>,
    /// Banned since then (null: not banned).
    pub banned_at: Option<DateTime<Utc>>,
    /// Open reports about them or their content that this closed.
    pub reports_closed: usize,
}

/// One audit-log row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    /// Row id.
    pub id: Uuid,
    /// The admin's handle; null for the automatic hide.
    pub actor: Option<String>,
    /// What was done.
    pub action: String,
    /// To what kind of thing.
    pub target_type: String,
    /// Its id.
    pub target_id: Uuid,
    /// Whom it concerns (handle).
    pub subject: Option<String>,
    /// Why.
    pub reason: String,
    /// Until when (suspensions).
    pub until: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `?days=` of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// How many days back, 1..=365 (default 30).
    #[param(minimum = 1, maximum = 365, default = 30)]
    pub days: Option<u32>,
}

/// Report statistics over the last `days`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportStatsView {
    /// The period in days.
    pub days: u32,
    /// By status.
    pub by_status: Vec<Counted>,
    /// By target type.
    pub by_type: Vec<Counted>,
    /// By reason.
    pub by_reason: Vec<Counted>,
    /// Filed per UTC day, oldest first.
    pub by_day: Vec<Counted>,
    /// Median seconds from filing to an admin's decision (null: none closed).
    pub median_resolution_secs: Option<f64>,
}
