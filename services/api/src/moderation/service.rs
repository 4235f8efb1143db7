//! Report and moderation rules: who may report what and how often, the automatic hide, what
//! each admin action does to the content, its reports and the audit log, and suspensions.

use chrono::{Duration as Span, Utc};
use moji_auth::{AuthUser, Suspension};
use moji_common::{
    moderation::{ModerationAction, ReportStatus, ReportTarget},
    new_id, ErrorCode,
};
use moji_db::Connection;
use moji_db::{
    moderation::{self as db, AccountStanding, Closing, NewAction, NewReport, QueueFilter},
    outbox, posts, products, users, DbError, PgConnection,
};
use moji_telemetry::FieldError;
use uuid::Uuid;

use super::dto::{
    ActionOutcome, ActionRequest, AuditView, Counted, NewReportRequest, QueuedTargetView,
    ReportStatsView, ReportView, StandingRequest, StandingView, TargetReportView,
};
use crate::{
    error::{not_found, validated, ApiError, ApiResult},
    events::content::{self, Moderated},
    http::{FeedOf, Paging},
    state::AppState,
};

/// Longest report text and admin note, in characters.
const MAX_TEXT: usize = 1_000;
/// Reports of each target shown in the admin queue.
const LATEST_REPORTS: i64 = 10;

fn report_view(r: db::Report) -> ReportView {
    ReportView {
        id: r.id,
        target_type: r.target_type,
        target_id: r.target_id,
        reason: r.reason,
        text: r.text,
        status: r.status,
        created_at: r.created_at,
        handled_at: r.handled_at,
    }
}

fn admin_only(who: &AuthUser) -> ApiResult<()> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only admins may do this".into()))
    }
}

/// A trimmed free text of at most [`MAX_TEXT`] characters.
fn text_field(field: &str, raw: Option<String>, errors: &mut Vec<FieldError>) -> String {
    let text = raw.unwrap_or_default().trim().to_owned();
    if text.chars().count() > MAX_TEXT {
        errors.push(FieldError::new(
            field,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    text
}

/// Files a report. One open report per person and target (409), `daily_reports` per person
/// per 24 hours (429); one's own content cannot be reported (422). When enough distinct
/// people have open reports on a post or product, it is hidden until an admin reviews it.
pub async fn file_report(
    state: &AppState,
    who: &AuthUser,
    req: NewReportRequest,
) -> ApiResult<ReportView> {
    let mut errors = Vec::new();
    let text = text_field("text", req.text, &mut errors);
    if req.reason == moji_common::moderation::ReportReason::Other && text.is_empty() {
        errors.push(FieldError::new(
            "text",
            "say what is wrong when the reason is `other`",
        ));
    }
    validated(errors)?;
    let cfg = &state.settings.moderation;
    let (me, target, id) = (who.user_id, req.target_type, req.target_id);
    let since = Utc::now() - Span::hours(24);
    let (owner, filed) = state
        .db
        .run(move |c| {
            Ok((
                db::target_owner(c, target, id)?,
                db::filed_since(c, me, since)?,
            ))
        })
        .await?;
    let owner = owner.ok_or(ApiError::NotFound("report target"))?;
    if owner == Some(me) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "target_id",
            "you cannot report yourself or your own content",
        )]));
    }
    if filed >= i64::from(cfg.daily_reports) {
        return Err(ApiError::RateLimited {
            detail: format!("at most {} reports a day", cfg.daily_reports),
            retry_after_secs: Some(3600),
        });
    }
    let new = NewReport {
        id: new_id(),
        reporter_id: me,
        target_type: target,
        target_id: id,
        target_owner: owner,
        reason: req.reason,
        text,
    };
    let (report, reporters) =
        state
            .db
            .run(move |c| db::file(c, &new))
            .await
            .map_err(|e| match e {
                DbError::UniqueViolation(c) if c.contains("reports_open_once") => {
                    ApiError::Conflict {
                        code: ErrorCode::Conflict,
                        detail: "you already have an open report on this; its status is under \
                         /reports/mine"
                            .into(),
                    }
                }
                other => other.into(),
            })?;
    let threshold = i64::from(cfg.auto_hide_reporters);
    if threshold > 0 && reporters >= threshold && target.hideable() {
        let reason = format!("{reporters} people reported it");
        if set_hidden(state, None, target, id, owner, true, reason).await? {
            tracing::info!(%target, %id, reporters, "content hidden until reviewed");
        }
    }
    Ok(report_view(report))
}

/// A page of the caller's reports, newest first.
pub async fn mine(
    state: &AppState,
    who: &AuthUser,
    paging: Paging,
) -> ApiResult<FeedOf<ReportView>> {
    let (me, start, limit) = (who.user_id, paging.feed_start()?, paging.limit());
    let page = state.db.run(move |c| db::mine(c, me, start, limit)).await?;
    Ok(paging.feed(page.items.into_iter().map(report_view).collect(), page.next))
}

/// The caller's warnings from admins, newest first.
pub async fn warnings(
    state: &AppState,
    who: &AuthUser,
    paging: Paging,
) -> ApiResult<FeedOf<AuditView>> {
    audit_page(state, Some(who.user_id), paging).await
}

/// The admin queue: reported targets, most recently reported first.
pub async fn queue(
    state: &AppState,
    who: &AuthUser,
    filter: QueueFilter,
    paging: Paging,
) -> ApiResult<FeedOf<QueuedTargetView>> {
    admin_only(who)?;
    let (start, limit) = (paging.feed_start()?, paging.limit());
    let (page, latest) = state
        .db
        .run(move |c| {
            let page = db::queue(c, &filter, start, limit)?;
            let latest = page
                .items
                .iter()
                .map(|t| db::reports_of(c, t.target_type, t.target_id, LATEST_REPORTS))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((page, latest))
        })
        .await?;
    let items = page
        .items
        .into_iter()
        .zip(latest)
        .map(|(t, latest)| QueuedTargetView {
            target_type: t.target_type,
            target_id: t.target_id,
            owner: t.owner_username,
            preview: t.preview,
            state: t.state,
            reports: t.reports,
            open_reports: t.open_reports,
            open_reporters: t.open_reporters,
            reasons: count_names(t.reasons),
            first_reported_at: t.first_reported_at,
            last_reported_at: t.last_reported_at,
            latest: latest
                .into_iter()
                .map(|r| TargetReportView {
                    id: r.id,
                    reporter: r.reporter,
                    reason: r.reason,
                    text: r.text,
                    status: r.status,
                    created_at: r.created_at,
                })
                .collect(),
        })
        .collect();
    Ok(paging.feed(items, page.next))
}

/// Counts equal names, most frequent first.
fn count_names(names: Vec<String>) -> Vec<Counted> {
    let mut counts: Vec<Counted> = Vec::new();
    for name in names {
        match counts.iter_mut().find(|c| c.key == name) {
            Some(c) => c.count += 1,
            None => counts.push(Counted {
                key: name,
                count: 1,
            }),
        }
    }
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    counts
}

/// Hides or publishes again a post or product in one transaction with its audit row and its
/// `content.*` message; returns whether it changed (it may be gone, or already so).
async fn set_hidden(
    state: &AppState,
    actor: Option<Uuid>,
    target: ReportTarget,
    id: Uuid,
    owner: Option<Uuid>,
    hidden: bool,
    reason: String,
) -> ApiResult<bool> {
    let action = match (actor, hidden) {
        (None, _) => "auto_hide",
        (Some(_), true) => "hide",
        (Some(_), false) => "unhide",
    };
    let changed = state
        .db
        .run(move |c| {
            outbox::within(
                c,
                |c| {
                    if !db::set_hidden(c, target, id, hidden)? {
                        return Ok(None);
                    }
                    db::record(
                        c,
                        &NewAction {
                            id: new_id(),
                            actor_id: actor,
                            action: action.into(),
                            target_type: target.as_str().into(),
                            target_id: id,
                            subject_id: owner,
                            reason,
                            until: None,
                        },
                    )?;
                    moderated_row(c, target, id).map(Some)
                },
                |row| {
                    row.as_ref()
                        .map(|row| content::moderated(row, hidden))
                        .unwrap_or_default()
                },
            )
        })
        .await?;
    state.outbox.poke();
    Ok(changed.is_some())
}

fn moderated_row(
    c: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
) -> Result<Moderated, DbError> {
    match target {
        ReportTarget::Product => Ok(Moderated::Product(products::by_id(c, id)?)),
        _ => Ok(Moderated::Post(posts::by_id(c, id, None)?)),
    }
}

/// Does `req.action` to a reported target: `review` puts its received reports in review;
/// `dismiss` closes them as dismissed and publishes hidden content again; `hide`, `delete`
/// and `warn` act and close them as resolved. Every action is an audit-log row.
pub async fn act(
    state: &AppState,
    who: &AuthUser,
    target: ReportTarget,
    id: Uuid,
    req: ActionRequest,
) -> ApiResult<ActionOutcome> {
    admin_only(who)?;
    let mut errors = Vec::new();
    let note = text_field("note", req.note, &mut errors);
    validated(errors)?;
    let action = req.action;
    if action == ModerationAction::Hide && !target.hideable() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "action",
            "only posts and products can be hidden; delete it, warn or suspend its owner",
        )]));
    }
    let admin = who.user_id;
    let (owner, has_reports) = state
        .db
        .run(move |c| {
            let owner = db::target_owner(c, target, id)?.flatten();
            Ok((owner, !db::reports_of(c, target, id, 1)?.is_empty()))
        })
        .await?;
    if !has_reports {
        return Err(ApiError::NotFound("reported target"));
    }
    match action {
        ModerationAction::Hide => {
            set_hidden(state, Some(admin), target, id, owner, true, note.clone()).await?;
        }
        ModerationAction::Dismiss => {
            set_hidden(state, Some(admin), target, id, owner, false, note.clone()).await?;
        }
        ModerationAction::Delete => delete_target(state, who, target, id).await?,
        ModerationAction::Review | ModerationAction::Warn => {}
    }
    let closing = Closing {
        admin_id: admin,
        status: if action == ModerationAction::Dismiss {
            ReportStatus::Dismissed
        } else {
            ReportStatus::Resolved
        },
        resolution: action.as_str().into(),
        note: note.clone(),
    };
    let reports_updated = state
        .db
        .run(move |c| {
            c.transaction(|c| {
                let n = if action == ModerationAction::Review {
                    db::start_review(c, target, id)?
                } else {
                    db::close_reports(c, target, id, &closing)?
                };
                // A hide wrote its row with the content change.
                if action != ModerationAction::Hide {
                    db::record(
                        c,
                        &NewAction {
                            id: new_id(),
                            actor_id: Some(admin),
                            action: action.as_str().into(),
                            target_type: target.as_str().into(),
                            target_id: id,
                            subject_id: owner,
                            reason: note,
                            until: None,
                        },
                    )?;
                }
                Ok(n)
            })
        })
        .await?;
    tracing::info!(%target, %id, action = action.as_str(), by = %admin, reports_updated, "moderation action");
    Ok(ActionOutcome {
        target_type: target,
        target_id: id,
        action,
        reports_updated,
    })
}

/// Deletes reported content through its own module (so files and announcements follow).
async fn delete_target(
    state: &AppState,
    admin: &AuthUser,
    target: ReportTarget,
    id: Uuid,
) -> ApiResult<()> {
    let gone = |r: ApiResult<()>| match r {
        Err(ApiError::NotFound(_)) => Ok(()),
        other => other,
    };
    match target {
        ReportTarget::Post => gone(crate::posts::service::delete(state, admin, id).await),
        ReportTarget::Product => gone(crate::products::service::delete(state, admin, id).await),
        ReportTarget::Comment | ReportTarget::Reply => {
            gone(crate::comments::service::delete(state, admin, id).await)
        }
        ReportTarget::Emoji => gone(crate::emojis::service::delete_emoji(state, admin, id).await),
        ReportTarget::Dataset => gone(crate::datasets::service::delete(state, admin, id).await),
        ReportTarget::User | ReportTarget::ChatMessage => {
            Err(ApiError::Validation(vec![FieldError::new(
                "action",
                "people and chat messages are not deleted here; suspend or ban the person",
            )]))
        }
    }
}

/// What an admin does to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandingChange {
    /// Suspend until a time.
    Suspend,
    /// Ban for good.
    Ban,
    /// Lift a suspension or ban.
    Reinstate,
}

impl StandingChange {
    fn as_str(self) -> &'static str {
        match self {
            StandingChange::Suspend => "suspend",
            StandingChange::Ban => "ban",
            StandingChange::Reinstate => "reinstate",
        }
    }
}

/// Suspends, bans or reinstates `username`. A suspension or ban stops their tokens at once
/// (401 `account_suspended` on the next request; chat sockets close within a revocation
/// check), revokes their sessions and closes the open reports about them as resolved.
pub async fn set_standing(
    state: &AppState,
    who: &AuthUser,
    username: &str,
    change: StandingChange,
    req: StandingRequest,
) -> ApiResult<StandingView> {
    admin_only(who)?;
    let mut errors = Vec::new();
    let reason = text_field("reason", Some(req.reason), &mut errors);
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "say why"));
    }
    let now = Utc::now();
    let max_days = i64::from(state.settings.moderation.max_suspension_days);
    let standing = match change {
        StandingChange::Suspend => match req.until {
            Some(until) if until > now && until <= now + Span::days(max_days) => AccountStanding {
                suspended_until: Some(until),
                banned_at: None,
            },
            Some(_) => {
                errors.push(FieldError::new(
                    "until",
                    format!("must be in the future and at most {max_days} days away"),
                ));
                AccountStanding::default()
            }
            None => {
                errors.push(FieldError::new("until", "a suspension needs an end"));
                AccountStanding::default()
            }
        },
        StandingChange::Ban | StandingChange::Reinstate if req.until.is_some() => {
            errors.push(FieldError::new("until", "only a suspension has an end"));
            AccountStanding::default()
        }
        StandingChange::Ban => AccountStanding {
            suspended_until: None,
            banned_at: Some(now),
        },
        StandingChange::Reinstate => AccountStanding::default(),
    };
    validated(errors)?;
    let name = username.to_lowercase();
    let person = state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))?;
    if person.id == who.user_id {
        return Err(ApiError::Validation(vec![FieldError::new(
            "username",
            "you cannot change your own standing",
        )]));
    }
    let (admin, subject) = (who.user_id, person.id);
    let closing = Closing {
        admin_id: admin,
        status: ReportStatus::Resolved,
        resolution: change.as_str().into(),
        note: reason.clone(),
    };
    let (families, reports_closed) = state
        .db
        .run(move |c| {
            c.transaction(|c| {
                let families = db::set_standing(c, subject, standing)?;
                db::record(
                    c,
                    &NewAction {
                        id: new_id(),
                        actor_id: Some(admin),
                        action: change.as_str().into(),
                        target_type: "user".into(),
                        target_id: subject,
                        subject_id: Some(subject),
                        reason,
                        until: standing.suspended_until,
                    },
                )?;
                let closed = if change == StandingChange::Reinstate {
                    0
                } else {
                    db::close_reports_on_owner(c, subject, &closing)?
                };
                Ok((families, closed))
            })
        })
        .await?;
    match standing.blocked_at(now) {
        Some(until) => {
            state
                .auth
                .suspend_account(subject, Suspension { until })
                .await?
        }
        None => state.auth.reinstate_account(subject).await?,
    }
    crate::accounts::service::revoke_sessions(state, &families).await?;
    tracing::info!(user_id = %subject, change = change.as_str(), by = %admin, "account standing changed");
    Ok(StandingView {
        username: person.username,
        suspended_until: standing.suspended_until,
        banned_at: standing.banned_at,
        reports_closed,
    })
}

/// 401 `account_suspended` when `user_id` may not sign in now (login and refresh).
pub async fn check_standing(state: &AppState, user_id: Uuid) -> ApiResult<()> {
    let standing = state.db.run(move |c| db::standing(c, user_id)).await?;
    match standing.blocked_at(Utc::now()) {
        Some(until) => Err(moji_auth::AuthError::Suspended { until }.into()),
        None => Ok(()),
    }
}

/// The audit log, newest first.
pub async fn audit(
    state: &AppState,
    who: &AuthUser,
    paging: Paging,
) -> ApiResult<FeedOf<AuditView>> {
    admin_only(who)?;
    audit_page(state, None, paging).await
}

async fn audit_page(
    state: &AppState,
    warnings_of: Option<Uuid>,
    paging: Paging,
) -> ApiResult<FeedOf<AuditView>> {
    let (start, limit) = (paging.feed_start()?, paging.limit());
    let page = state
        .db
        .run(move |c| db::audit(c, warnings_of, start, limit))
        .await?;
    let items = page
        .items
        .into_iter()
        .map(|e| AuditView {
            id: e.id,
            actor: e.actor,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            subject: e.subject,
            reason: e.reason,
            until: e.until,
            created_at: e.created_at,
        })
        .collect();
    Ok(paging.feed(items, page.next))
}

/// Report statistics over the last `days` (1..=365).
pub async fn stats(
    state: &AppState,
    who: &AuthUser,
    days: Option<u32>,
) -> ApiResult<ReportStatsView> {
    admin_only(who)?;
    let days = days.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(ApiError::Validation(vec![FieldError::new(
            "days",
            "must be between 1 and 365",
        )]));
    }
    let since = Utc::now() - Span::days(i64::from(days));
    let s = state.db.run(move |c| db::stats(c, since)).await?;
    let counted = |v: Vec<db::Count>| {
        v.into_iter()
            .map(|c| Counted {
                key: c.key,
                count: c.count,
            })
            .collect()
    };
    Ok(ReportStatsView {
        days,
        by_status: counted(s.by_status),
        by_type: counted(s.by_type),
        by_reason: counted(s.by_reason),
        by_day: counted(s.by_day),
        median_resolution_secs: s.median_resolution_secs,
    })
}
