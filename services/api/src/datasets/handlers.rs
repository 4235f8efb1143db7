//! `/datasets` handlers: ask for a set, follow it, find sets, edit, cancel, delete, download.

use actix_multipart::Multipart;
use actix_web::{delete, get, http::header, patch, post, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_common::dataset::{DatasetCategory, DatasetMethod, DATASET_SIZES};
use moji_db::datasets::{Filter, Sort};
use moji_telemetry::{FieldError, Problem};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    form::{self, check_tags},
    service::{self, DatasetEdit, DatasetView, DownloadLink, ImageQuota},
};
use crate::{
    error::{validated, ApiError, ApiResult},
    faces::upload::idempotency_key,
    http::{
        choice, optional_user,
        sse::{self, StreamAuth},
        FeedOf, PageQuery, Paging,
    },
    state::AppState,
};

/// Ask for a dataset made from one image: 202 with the set, queued.
#[utoipa::path(
    post, path = "/api/v1/datasets", tag = "datasets", security(("bearer" = [])),
    request_body(content = form::DatasetForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Same key + same user = same set, nothing taken twice")),
    responses(
        (status = 202, description = "Queued (or the set this Idempotency-Key named)", body = DatasetView),
        (status = 400, description = "Broken form or Idempotency-Key", body = Problem),
        (status = 401, body = Problem),
        (status = 413, description = "`image_too_large`", body = Problem),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = Problem),
        (status = 422, description = "Invalid fields or a damaged image", body = Problem),
        (status = 429, description = "The images do not fit in what is left of today's quota (Retry-After)", body = Problem),
    )
)]
#[post("/datasets")]
pub async fn submit(
    state: web::Data<AppState>,
    who: AuthUser,
    req: HttpRequest,
    body: Multipart,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let upload = form::parse(&state, body).await?;
    let (view, _created) = service::submit(&state, &who, upload, key).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, view.links.self_.clone()))
        .json(view))
}

/// The search of ready sets (`?size=` is the image side; `?limit=` the page size).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words of the title, tags or description (Korean or English).
    pub q: Option<String>,
    /// `people`, `animals`, `food`, `places`, `objects`, `art` or `other`.
    pub category: Option<String>,
    /// Comma-separated tags, all required.
    pub tags: Option<String>,
    /// `augment`.
    pub method: Option<String>,
    /// Image side: 64, 128 or 256.
    pub size: Option<u32>,
    /// At least this many images.
    pub min_quantity: Option<u32>,
    /// For sale at this price in KRW or less.
    pub max_price: Option<i64>,
    /// `new` (default), `popular` (most downloaded) or `price` (cheapest first; sets for sale).
    pub sort: Option<String>,
    /// Sets per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl SearchQuery {
    fn filter(&self) -> ApiResult<(Filter, Sort, Paging)> {
        let mut errors = Vec::new();
        let tags: Vec<String> = self
            .tags
            .as_deref()
            .map(|t| t.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        let tags = check_tags(&tags, &mut errors);
        if let Some(s) = self.size.filter(|s| !DATASET_SIZES.contains(s)) {
            errors.push(FieldError::new(
                "size",
                format!("{s}: must be 64, 128 or 256"),
            ));
        }
        if self.min_quantity.is_some_and(|q| q > 2000) {
            errors.push(FieldError::new("min_quantity", "at most 2000"));
        }
        if self.max_price.is_some_and(|p| p < 0) {
            errors.push(FieldError::new("max_price", "0 or more"));
        }
        let q = self.q.as_deref().map(str::trim).unwrap_or_default();
        if q.chars().count() > 100 {
            errors.push(FieldError::new("q", "at most 100 characters"));
        }
        validated(errors)?;
        let sort = match self.sort.as_deref() {
            None | Some("new") => Sort::New,
            Some("popular") => Sort::Popular,
            Some("price") => Sort::Price,
            Some(_) => {
                return Err(ApiError::Validation(vec![FieldError::new(
                    "sort",
                    "must be one of: new, popular, price",
                )]))
            }
        };
        let filter = Filter {
            owner: None,
            category: choice::<DatasetCategory>("category", self.category.as_deref())?,
            tags,
            // A query with nothing to search by matches nothing rather than everything.
            text: if q.is_empty() {
                None
            } else {
                Some(moji_db::search::query_of(q).unwrap_or_else(|| "''".into()))
            },
            method: choice::<DatasetMethod>("method", self.method.as_deref())?,
            size: self.size.and_then(|s| i32::try_from(s).ok()),
            min_quantity: self.min_quantity.and_then(|q| i32::try_from(q).ok()),
            max_price: self.max_price,
        };
        let paging = Paging::with_cursor(None, self.limit, self.cursor.as_deref())?;
        Ok((filter, sort, paging))
    }
}

/// Find ready sets by words, category, tags, method, size, quantity and price.
#[utoipa::path(
    get, path = "/api/v1/datasets", tag = "datasets",
    params(SearchQuery),
    responses(
        (status = 200, body = FeedOf<DatasetView>),
        (status = 400, description = "Bad cursor or page size", body = Problem),
        (status = 422, description = "Invalid filters", body = Problem),
    )
)]
#[get("/datasets")]
pub async fn search(
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, sort, paging) = query.filter()?;
    Ok(HttpResponse::Ok().json(service::search(&state, filter, sort, paging).await?))
}

/// Today's image quota: limit, remaining and when it renews.
#[utoipa::path(
    get, path = "/api/v1/datasets/quota", tag = "datasets", security(("bearer" = [])),
    responses((status = 200, body = ImageQuota), (status = 401, body = Problem))
)]
#[get("/datasets/quota")]
pub async fn get_quota(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::current_quota(&state, who.user_id).await?))
}

/// My datasets, every status, newest first.
#[utoipa::path(
    get, path = "/api/v1/users/me/datasets", tag = "datasets", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = FeedOf<DatasetView>), (status = 400, body = Problem), (status = 401, body = Problem))
)]
#[get("/users/me/datasets")]
pub async fn mine(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::mine(&state, &who, query.paging()?).await?))
}

/// A dataset: a ready one to anyone, one being made (or failed, cancelled) to its owner.
#[utoipa::path(
    get, path = "/api/v1/datasets/{id}", tag = "datasets",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = DatasetView),
        (status = 401, description = "Not ready and no token", body = Problem),
        (status = 403, description = "Not ready and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/datasets/{id}")]
pub async fn get_dataset(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    Ok(HttpResponse::Ok().json(service::get(&state, who.as_ref(), *id).await?))
}

/// Server-Sent Events of a set being made: `event: dataset` frames (progress in 5 % steps),
/// then one `ready`, `failed` or `cancelled` frame.
#[utoipa::path(
    get, path = "/api/v1/datasets/{id}/events", tag = "datasets", security(("bearer" = [])),
    params(("id" = Uuid, Path), StreamAuth),
    responses(
        (status = 200, description = "text/event-stream of `dataset` events and a final `ready`, `failed` or `cancelled`", content_type = "text/event-stream", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
    )
)]
#[get("/datasets/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<StreamAuth>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = query.into_inner().user(&state, &req).await?;
    let stream = service::events(state.get_ref().clone(), &who, *id).await?;
    Ok(sse::response(stream))
}

/// Stop making a set; its images go back to today's quota and nothing is kept.
#[utoipa::path(
    post, path = "/api/v1/datasets/{id}/cancel", tag = "datasets", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Cancelled", body = DatasetView),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Already ready or failed", body = Problem),
    )
)]
#[post("/datasets/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::cancel(&state, &who, *id).await?))
}

/// Change a set's title, description or tags, or list it for sale (`price_krw`).
#[utoipa::path(
    patch, path = "/api/v1/datasets/{id}", tag = "datasets", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DatasetEdit,
    responses(
        (status = 200, body = DatasetView),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "A price for a set that is not ready", body = Problem),
        (status = 422, body = Problem),
    )
)]
#[patch("/datasets/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<DatasetEdit>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::edit(&state, &who, *id, body.into_inner()).await?))
}

/// Delete a set and its files (one being made is cancelled first).
#[utoipa::path(
    delete, path = "/api/v1/datasets/{id}", tag = "datasets", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem))
)]
#[delete("/datasets/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    service::delete(&state, &who, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A link to download a ready set's zip (valid at most 15 minutes); the owner's only.
#[utoipa::path(
    get, path = "/api/v1/datasets/{id}/download", tag = "datasets", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = DownloadLink),
        (status = 401, body = Problem), (status = 403, description = "Not the owner", body = Problem),
        (status = 404, body = Problem), (status = 409, description = "Not ready", body = Problem),
    )
)]
#[get("/datasets/{id}/download")]
pub async fn download(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::download(&state, &who, *id).await?))
}
