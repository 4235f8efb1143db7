//! Every route of the api, composed from the resource modules in one place.

use actix_web::web;

/// Registers the `/api/v1` routes. Literal `/users/...` paths (in accounts, emojis, results,
/// challenges and statistics) are registered before any `/users/{username}` pattern takes
/// them as a name: actix tries routes in this order.
pub fn api_v1(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(crate::accounts::routes)
            .configure(crate::moderation::routes)
            .configure(crate::oidc::routes)
            .configure(crate::follows::routes)
            .configure(crate::posts::routes)
            .configure(crate::products::routes)
            .configure(crate::search::routes)
            .configure(crate::uploads::routes)
            .configure(crate::files::routes)
            .configure(crate::faces::routes)
            .configure(crate::courses::routes)
            .configure(crate::datasets::routes)
            .configure(crate::market::routes)
            .configure(crate::results::routes)
            .configure(crate::statistics::routes)
            .configure(crate::catalogue::routes)
            .configure(crate::emojis::routes)
            .configure(crate::rankings::routes)
            .configure(crate::challenges::routes)
            // After posts, so `/posts/latest/{username}` wins over `/posts/{id}/comments|likes`.
            .configure(crate::comments::routes),
    );
}
