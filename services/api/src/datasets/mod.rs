//! The dataset maker (docs/datasets.md): ask for a set of images made from one upload, follow
//! it as it is made, find sets, list yours for sale and download them.

pub mod form;
pub mod handlers;
pub mod results;
pub mod service;

use actix_web::web;

/// Registers `/datasets` and `/users/me/datasets`. The literal `/datasets/quota` comes before
/// `/datasets/{id}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::submit)
        .service(handlers::search)
        .service(handlers::get_quota)
        .service(handlers::mine)
        .service(handlers::get_dataset)
        .service(handlers::events)
        .service(handlers::cancel)
        .service(handlers::edit)
        .service(handlers::delete)
        .service(handlers::download);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::submit, handlers::search, handlers::get_quota, handlers::mine,
        handlers::get_dataset, handlers::events, handlers::cancel, handlers::edit,
        handlers::delete, handlers::download
    ),
    components(schemas(
        service::DatasetView, service::DatasetLinks, service::DownloadLink, service::DatasetEdit,
        service::ImageQuota, form::DatasetForm,
        moji_common::dataset::DatasetStatus, moji_common::dataset::DatasetMethod,
        moji_common::dataset::DatasetCategory
    )),
    tags((name = "datasets", description = "Many images like one: made, found, sold and downloaded"))
)]
pub struct Doc;
