//! `/users/me/results` and `/zodiac/results/{id}` handlers.

use actix_web::{get, patch, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_common::TaskKind;
use moji_telemetry::Problem;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    zodiac::{self, VisibilityChange, ZodiacShare},
    ResultItem,
};
use crate::{
    error::ApiResult,
    http::{choice, optional_user, PageOf, Paging},
    state::AppState,
};

/// `?kind=&page=&size=` of my results.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// `emoji` or `zodiac`; both when omitted.
    #[param(example = "zodiac")]
    pub kind: Option<String>,
    /// Page number, from 1 (default 1); at most 1,000 items deep (then follow `next_cursor`).
    #[param(minimum = 1, default = 1)]
    pub page: Option<u32>,
    /// Page size, 1..=100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub size: Option<u32>,
    /// The `next_cursor` of the previous page (same `kind`); not with `page`.
    pub cursor: Option<String>,
}

/// Your finished results of both kinds (or one), newest first; zodiac ones with their fortune.
#[utoipa::path(
    get, path = "/api/v1/users/me/results", tag = "results", security(("bearer" = [])),
    params(ResultsQuery),
    responses(
        (status = 200, body = PageOf<ResultItem>),
        (status = 400, description = "Bad `page`, `size` or `cursor`", body = Problem),
        (status = 401, body = Problem),
        (status = 422, description = "Unknown `kind`", body = Problem),
    )
)]
#[get("/users/me/results")]
pub async fn mine(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<ResultsQuery>,
) -> ApiResult<HttpResponse> {
    let kind: Option<TaskKind> = choice("kind", query.kind.as_deref())?;
    let paging = Paging::with_cursor(query.page, query.size, query.cursor.as_deref())?;
    Ok(HttpResponse::Ok().json(super::my_results(&state, &who, kind, paging).await?))
}

/// A zodiac result: animal, reasons, fortune. Anyone may read a published one; an
/// unpublished one only its owner (and admins).
#[utoipa::path(
    get, path = "/api/v1/zodiac/results/{id}", tag = "zodiac",
    params(("id" = Uuid, Path, description = "The zodiac task")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = ZodiacShare),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 403, description = "Not published, and not yours", body = Problem),
        (status = 404, description = "No succeeded zodiac task with this id", body = Problem),
    )
)]
#[get("/zodiac/results/{id}")]
pub async fn shared_zodiac(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    Ok(HttpResponse::Ok().json(zodiac::read(&state, who.as_ref(), *id).await?))
}

/// Publish (`public`) or unpublish (`private`) your zodiac result. Every result starts
/// private.
#[utoipa::path(
    patch, path = "/api/v1/zodiac/results/{id}", tag = "zodiac", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The zodiac task")),
    request_body = VisibilityChange,
    responses(
        (status = 200, body = ZodiacShare),
        (status = 401, body = Problem),
        (status = 403, description = "Someone else's result", body = Problem),
        (status = 404, description = "No succeeded zodiac task with this id", body = Problem),
        (status = 422, description = "Missing or unknown `visibility`", body = Problem),
    )
)]
#[patch("/zodiac/results/{id}")]
pub async fn publish_zodiac(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<VisibilityChange>,
) -> ApiResult<HttpResponse> {
    let share = zodiac::set_visibility(&state, &who, *id, body.visibility).await?;
    Ok(HttpResponse::Ok().json(share))
}
