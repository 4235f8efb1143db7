//! `GET /search`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use moji_telemetry::Problem;

use super::{
    dto::{SearchQuery, SearchResults},
    service,
};
use crate::{error::ApiResult, http::optional_user, state::AppState};

/// Search posts, products or people; best match first (names and titles weigh most), then
/// newest.
#[utoipa::path(
    get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 422, description = "Missing or unusable `q`, bad `type`, `page` or `size`", body = Problem),
    )
)]
#[get("/search")]
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let viewer = optional_user(&state, &req).await?.map(|w| w.user_id);
    Ok(HttpResponse::Ok().json(service::search(&state, viewer, query.into_inner()).await?))
}
