//! Reports and moderation (issue 17): anyone signed in reports a person or their content;
//! admins work through the queue (grouped by target), hide, delete, warn, suspend or ban,
//! and every action lands in the audit log. See docs/moderation.md.

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;

/// Registers `/reports`, `/users/me/warnings` and the `/admin/...` routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(file_report)
        .service(my_reports)
        .service(my_warnings)
        .service(stats)
        .service(queue)
        .service(act)
        .service(suspend)
        .service(ban)
        .service(reinstate)
        .service(audit);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::file_report, handlers::my_reports, handlers::my_warnings, handlers::queue,
        handlers::stats, handlers::act, handlers::suspend, handlers::ban, handlers::reinstate,
        handlers::audit,
    ),
    components(schemas(
        dto::NewReportRequest, dto::ReportView, dto::QueuedTargetView, dto::TargetReportView,
        dto::Counted, dto::ActionRequest, dto::ActionOutcome, dto::StandingRequest,
        dto::StandingView, dto::AuditView, dto::ReportStatsView,
        moji_common::moderation::ReportTarget, moji_common::moderation::ReportReason,
        moji_common::moderation::ReportStatus, moji_common::moderation::ModerationAction,
    )),
    tags(
        (name = "reports", description = "Reporting people and content"),
        (name = "admin", description = "Moderation: the report queue, actions, standing, audit"),
    )
)]
pub struct Doc;
