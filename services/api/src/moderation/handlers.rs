//! `/reports`, `/users/me/warnings` and `/admin/...` handlers.

use actix_web::{get, post, web, HttpResponse};
use moji_auth::AuthUser;
use moji_common::moderation::{ReportReason, ReportStatus, ReportTarget};
use moji_db::moderation::QueueFilter;
use moji_telemetry::Problem;
use uuid::Uuid;

use super::{
    dto::{
        ActionOutcome, ActionRequest, AuditView, NewReportRequest, QueueQuery, QueuedTargetView,
        ReportStatsView, ReportView, StandingRequest, StandingView, StatsQuery,
    },
    service::{self, StandingChange},
};
use crate::{
    error::{ApiError, ApiResult},
    http::{params::choice, FeedOf, Paging},
    state::AppState,
};

/// Report a person or their content. One open report per person and target; at most
/// `moderation.daily_reports` a day. The reporter later sees the status, never who it is about.
#[utoipa::path(
    post, path = "/api/v1/reports", tag = "reports", security(("bearer" = [])),
    request_body = NewReportRequest,
    responses(
        (status = 201, body = ReportView),
        (status = 401, body = Problem),
        (status = 404, description = "No such target", body = Problem),
        (status = 409, description = "You already have an open report on it", body = Problem),
        (status = 422, description = "Your own content, or a bad field", body = Problem),
        (status = 429, description = "Daily report limit reached", body = Problem),
    )
)]
#[post("/reports")]
pub async fn file_report(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<NewReportRequest>,
) -> ApiResult<HttpResponse> {
    let report = service::file_report(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(report))
}

/// The caller's reports and where each stands, newest first.
#[utoipa::path(
    get, path = "/api/v1/reports/mine", tag = "reports", security(("bearer" = [])),
    params(CursorQuery),
    responses(
        (status = 200, body = FeedOf<ReportView>),
        (status = 401, body = Problem),
    )
)]
#[get("/reports/mine")]
pub async fn my_reports(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<CursorQuery>,
) -> ApiResult<HttpResponse> {
    let page = service::mine(&state, &who, query.paging()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Warnings admins gave the caller, newest first.
#[utoipa::path(
    get, path = "/api/v1/users/me/warnings", tag = "reports", security(("bearer" = [])),
    params(CursorQuery),
    responses(
        (status = 200, body = FeedOf<AuditView>),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/warnings")]
pub async fn my_warnings(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<CursorQuery>,
) -> ApiResult<HttpResponse> {
    let page = service::warnings(&state, &who, query.paging()?).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `?size=&cursor=` of a list read by cursor only.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CursorQuery {
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl CursorQuery {
    fn paging(&self) -> ApiResult<Paging> {
        Paging::with_cursor(None, self.size, self.cursor.as_deref())
    }
}

/// Admins: reported targets grouped, most recently reported first, with counts by reason
/// and the latest reports. Filters: status (default open), target type, reason, date.
#[utoipa::path(
    get, path = "/api/v1/admin/reports", tag = "admin", security(("bearer" = [])),
    params(QueueQuery),
    responses(
        (status = 200, body = FeedOf<QueuedTargetView>),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 422, description = "Unknown status, type or reason", body = Problem),
    )
)]
#[get("/admin/reports")]
pub async fn queue(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let filter = QueueFilter {
        status: choice::<ReportStatus>("status", q.status.as_deref())?,
        target_type: choice::<ReportTarget>("target_type", q.target_type.as_deref())?,
        reason: choice::<ReportReason>("reason", q.reason.as_deref())?,
        from: q.from,
        to: q.to,
    };
    let paging = Paging::with_cursor(None, q.size, q.cursor.as_deref())?;
    let page = service::queue(&state, &who, filter, paging).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Admins: report counts by status, type, reason and day, and the median time to a decision.
#[utoipa::path(
    get, path = "/api/v1/admin/reports/stats", tag = "admin", security(("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, body = ReportStatsView),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 422, description = "`days` out of range", body = Problem),
    )
)]
#[get("/admin/reports/stats")]
pub async fn stats(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<StatsQuery>,
) -> ApiResult<HttpResponse> {
    let view = service::stats(&state, &who, query.days).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Admins: act on a reported target — `review`, `dismiss` (hidden content comes back),
/// `hide`, `delete` or `warn` its owner. Closes its open reports (except `review`).
#[utoipa::path(
    post, path = "/api/v1/admin/reports/{target_type}/{target_id}/actions", tag = "admin",
    security(("bearer" = [])),
    params(
        ("target_type" = String, Path, description = "user, post, comment, reply, product, emoji, dataset or chat_message"),
        ("target_id" = Uuid, Path, description = "The target's id"),
    ),
    request_body = ActionRequest,
    responses(
        (status = 200, body = ActionOutcome),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "Nothing was reported about it", body = Problem),
        (status = 422, description = "The action does not apply to this kind", body = Problem),
    )
)]
#[post("/admin/reports/{target_type}/{target_id}/actions")]
pub async fn act(
    state: web::Data<AppState>,
    who: AuthUser,
    path: web::Path<(String, Uuid)>,
    body: web::Json<ActionRequest>,
) -> ApiResult<HttpResponse> {
    let (kind, id) = path.into_inner();
    let target = choice::<ReportTarget>("target_type", Some(kind.as_str()))?
        .ok_or(ApiError::NotFound("reported target"))?;
    let outcome = service::act(&state, &who, target, id, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

async fn standing(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
    body: web::Json<StandingRequest>,
    change: StandingChange,
) -> ApiResult<HttpResponse> {
    let view = service::set_standing(&state, &who, &username, change, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Admins: suspend someone until `until`. Their tokens stop at once (401
/// `account_suspended` with `until`), their sessions end and chat sockets close.
#[utoipa::path(
    post, path = "/api/v1/admin/users/{username}/suspend", tag = "admin",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Whom to suspend")),
    request_body = StandingRequest,
    responses(
        (status = 200, body = StandingView),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "No reason, or `until` not in the allowed future", body = Problem),
    )
)]
#[post("/admin/users/{username}/suspend")]
pub async fn suspend(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
    body: web::Json<StandingRequest>,
) -> ApiResult<HttpResponse> {
    standing(state, who, username, body, StandingChange::Suspend).await
}

/// Admins: ban someone for good (as a suspension, without an end).
#[utoipa::path(
    post, path = "/api/v1/admin/users/{username}/ban", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "Whom to ban")),
    request_body = StandingRequest,
    responses(
        (status = 200, body = StandingView),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "No reason, or an `until`", body = Problem),
    )
)]
#[post("/admin/users/{username}/ban")]
pub async fn ban(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
    body: web::Json<StandingRequest>,
) -> ApiResult<HttpResponse> {
    standing(state, who, username, body, StandingChange::Ban).await
}

/// Admins: lift someone's suspension or ban (they sign in again).
#[utoipa::path(
    post, path = "/api/v1/admin/users/{username}/reinstate", tag = "admin",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Whom to reinstate")),
    request_body = StandingRequest,
    responses(
        (status = 200, body = StandingView),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
        (status = 404, description = "No such user", body = Problem),
        (status = 422, description = "No reason, or an `until`", body = Problem),
    )
)]
#[post("/admin/users/{username}/reinstate")]
pub async fn reinstate(
    state: web::Data<AppState>,
    who: AuthUser,
    username: web::Path<String>,
    body: web::Json<StandingRequest>,
) -> ApiResult<HttpResponse> {
    standing(state, who, username, body, StandingChange::Reinstate).await
}

/// Admins: the audit log of every moderation action, newest first.
#[utoipa::path(
    get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(CursorQuery),
    responses(
        (status = 200, body = FeedOf<AuditView>),
        (status = 401, body = Problem),
        (status = 403, description = "Not an admin", body = Problem),
    )
)]
#[get("/admin/audit")]
pub async fn audit(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<CursorQuery>,
) -> ApiResult<HttpResponse> {
    let page = service::audit(&state, &who, query.paging()?).await?;
    Ok(HttpResponse::Ok().json(page))
}
