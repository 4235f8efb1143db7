//! Date courses (docs/date-courses.md): ask for a course (a task the recommendation service
//! plans and writes), within a daily quota; follow it; keep, edit and delete saved courses.

pub mod handlers;
pub mod history;
pub mod quota;
pub mod results;
pub mod tasks;

use actix_web::web;

/// Registers `/date-courses`. The literal `/date-courses/tasks/…` and `/date-courses/quota`
/// come before `/date-courses/{id}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::submit)
        .service(handlers::get_quota)
        .service(handlers::task_events)
        .service(handlers::get_task)
        .service(handlers::cancel_task)
        .service(handlers::list)
        .service(handlers::get_course)
        .service(handlers::edit_course)
        .service(handlers::delete_course);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::submit, handlers::get_quota, handlers::get_task, handlers::task_events,
        handlers::cancel_task, handlers::list, handlers::get_course, handlers::edit_course,
        handlers::delete_course
    ),
    components(schemas(
        tasks::CourseTaskView, quota::QuotaView, history::SavedCourse, history::CourseEdit,
        moji_common::course::CourseRequest, moji_common::course::CourseDocument,
        moji_common::course::CourseStop
    )),
    tags((name = "date-courses", description = "Date courses grounded in real places, 5 a day"))
)]
pub struct Doc;
