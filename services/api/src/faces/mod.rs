//! Face tasks: upload a photo (checked before anything is decoded), queue it, follow it by
//! polling or Server-Sent Events, cancel it, and persist the worker's result exactly once.

pub mod events;
pub mod handlers;
pub mod results;
pub mod tasks;
pub mod upload;

use actix_web::web;

pub use results::{on_failed, on_succeeded};

/// Registers `/faces/tasks`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::submit)
        .service(handlers::events)
        .service(handlers::get_task)
        .service(handlers::cancel);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(handlers::submit, handlers::get_task, handlers::cancel, handlers::events),
    components(schemas(tasks::TaskView, tasks::TaskLinks, tasks::TaskErrorView, upload::UploadForm)),
    tags((name = "faces", description = "Photo to emoji / zodiac look-alike tasks"))
)]
pub struct Doc;
