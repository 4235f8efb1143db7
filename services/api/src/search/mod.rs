//! `GET /search`: posts, products or people matching Korean or English words (grams in a GIN
//! index; see `moji_db::search`), best match first. The recommendation service (issue 14)
//! will take this route over with the same parameters.

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;

/// Registers `/search`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(handlers::search);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(handlers::search),
    components(schemas(dto::SearchResults, dto::PersonCard)),
    tags((name = "search", description = "Korean and English search"))
)]
pub struct Doc;
