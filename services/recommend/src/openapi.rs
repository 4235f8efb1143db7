//! The recommendation service's OpenAPI 3.1 document (`proto/openapi/recommend.json`, served
//! at `/api/v1/recommend/openapi.json`).

use moji_telemetry::openapi::BearerAuth;
use utoipa::OpenApi;

use crate::{cards, foryou, search, similar, views};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Moji recommend",
        description = "Search by meaning and by words (Korean and English), similar items, \
            \"for you\" lists and dwell time. Every list item is a card that says why it was \
            chosen. Errors are RFC 9457 problem details with a stable `code`.",
        version = "1.0.0"
    ),
    paths(
        search::search_route,
        similar::similar_posts,
        similar::similar_products,
        foryou::posts_for_you,
        foryou::products_for_you,
        foryou::popular_route,
        views::record,
    ),
    components(schemas(
        moji_telemetry::Problem,
        moji_telemetry::FieldError,
        cards::Card,
        cards::Owner,
        cards::Why,
        search::SearchResults,
        similar::Cards,
        foryou::ForYou,
        views::ViewBody,
        views::Accepted,
    )),
    tags(
        (name = "search", description = "Hybrid semantic and full-text search"),
        (name = "recommend", description = "Similar items, for-you lists and views"),
    ),
    modifiers(&BearerAuth)
)]
struct RecommendDoc;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = RecommendDoc::openapi();
    moji_telemetry::openapi::document_error_statuses(&mut doc);
    doc
}
