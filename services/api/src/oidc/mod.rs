//! Sign-in with an OpenID Connect provider (issue 17; Google in the seed, any issuer by
//! settings). See `service` for the flow and docs/moderation.md's companion, docs/accounts.md.

pub mod handlers;
pub mod service;

use actix_web::web;

pub use service::ProviderCache;

/// Registers `/auth/oidc`, `/auth/oidc/start`, `/auth/oidc/callback`, `/auth/oidc/exchange`
/// and `/auth/oidc/link`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use handlers::*;
    cfg.service(provider)
        .service(start)
        .service(callback)
        .service(exchange)
        .service(link);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        handlers::provider,
        handlers::start,
        handlers::callback,
        handlers::exchange,
        handlers::link,
    ),
    components(schemas(
        handlers::ProviderView,
        handlers::ExchangeRequest,
        handlers::LinkRequest
    ))
)]
pub struct Doc;
