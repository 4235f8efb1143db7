//! Gallery, likes, catalogue, rankings, challenges and statistics handlers. Each parses,
//! authenticates, calls `crate::gallery` and maps the result.

use actix_web::{delete, get, http::header, post, put, web, HttpRequest, HttpResponse};
use moji_auth::AuthUser;
use moji_telemetry::Problem;
use uuid::Uuid;

use crate::{
    error::ApiResult,
    gallery::{
        self, AnimalList, ChallengeList, CreateEmojiRequest, EmojiPage, EmojiView, FaceRanking,
        GalleryQuery, LikeState, MyChallengeList, MyEmojis, MyEmojisQuery, RankingQuery,
        Statistics, StatisticsQuery, TemplateList, ZodiacRanking,
    },
    state::AppState,
};

/// Registers this module's routes under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(emoji_templates)
        .service(zodiac_animals)
        .service(create_emoji)
        .service(list_emojis)
        .service(get_emoji)
        .service(delete_emoji)
        .service(like_emoji)
        .service(unlike_emoji)
        .service(face_ranking)
        .service(zodiac_ranking)
        .service(challenges)
        .service(my_emojis)
        .service(my_challenges)
        .service(my_statistics);
}

/// The caller when a bearer token is sent (a bad one is still a 401), `None` when anonymous.
async fn optional_user(state: &AppState, req: &HttpRequest) -> ApiResult<Option<AuthUser>> {
    if req.headers().get(header::AUTHORIZATION).is_none() {
        return Ok(None);
    }
    let token = moji_auth::bearer_token(req).ok_or(moji_auth::AuthError::MissingToken)?;
    Ok(Some(state.auth.authenticate(&token).await?.into()))
}

/// Emoji templates to pick from when uploading.
#[utoipa::path(
    get, path = "/api/v1/emoji-templates", tag = "gallery",
    responses((status = 200, body = TemplateList))
)]
#[get("/emoji-templates")]
pub async fn emoji_templates() -> HttpResponse {
    HttpResponse::Ok().json(gallery::templates())
}

/// The twelve zodiac animals with their traits.
#[utoipa::path(
    get, path = "/api/v1/zodiac/animals", tag = "zodiac",
    responses((status = 200, body = AnimalList))
)]
#[get("/zodiac/animals")]
pub async fn zodiac_animals() -> HttpResponse {
    HttpResponse::Ok().json(gallery::animals())
}

/// Save a succeeded emoji task of yours as an emoji, privately or in the public gallery.
///
/// The emoji copies the result's template, images and the expression of its most confident
/// face. A task can be saved once.
#[utoipa::path(
    post, path = "/api/v1/emojis", tag = "gallery", security(("bearer" = [])),
    request_body = CreateEmojiRequest,
    responses(
        (status = 201, description = "Saved; `Location` names it", body = EmojiView),
        (status = 401, body = Problem),
        (status = 403, description = "Someone else's task", body = Problem),
        (status = 404, description = "No such task", body = Problem),
        (status = 409, description = "`conflict`: the task has not succeeded (queued, running, failed or cancelled), or it was already saved (the detail names the emoji)", body = Problem),
        (status = 422, description = "Bad caption or visibility, or a zodiac task", body = Problem),
    )
)]
#[post("/emojis")]
pub async fn create_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    body: web::Json<CreateEmojiRequest>,
) -> ApiResult<HttpResponse> {
    let emoji = gallery::create_emoji(&state, &who, body.into_inner()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/emojis/{}", emoji.id)))
        .json(emoji))
}

/// The public gallery. With a bearer token, `liked_by_me` tells what the caller likes.
#[utoipa::path(
    get, path = "/api/v1/emojis", tag = "gallery", params(GalleryQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = EmojiPage),
        (status = 400, description = "Bad `page`, `size` (1..=100) or `sort`", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
    )
)]
#[get("/emojis")]
pub async fn list_emojis(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<GalleryQuery>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    let page = gallery::gallery(&state, who.as_ref(), query.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One emoji. Public emojis are open to anyone; private ones to their owner and admins.
#[utoipa::path(
    get, path = "/api/v1/emojis/{id}", tag = "gallery",
    params(("id" = Uuid, Path, description = "Emoji id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = EmojiView),
        (status = 400, description = "Malformed id", body = Problem),
        (status = 401, description = "A bearer token was sent but is not valid", body = Problem),
        (status = 403, description = "Private and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[get("/emojis/{id}")]
pub async fn get_emoji(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let who = optional_user(&state, &req).await?;
    let emoji = gallery::get_emoji(&state, who.as_ref(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(emoji))
}

/// Delete an emoji (its owner or an admin). The task and its images stay.
#[utoipa::path(
    delete, path = "/api/v1/emojis/{id}", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem),
        (status = 403, description = "Not yours and not an admin", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/emojis/{id}")]
pub async fn delete_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    gallery::delete_emoji(&state, &who, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Like an emoji (idempotent). Someone else's private emoji is 403, as for reading it.
#[utoipa::path(
    put, path = "/api/v1/emojis/{id}/like", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    responses(
        (status = 200, body = LikeState),
        (status = 401, body = Problem),
        (status = 403, description = "Private and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[put("/emojis/{id}/like")]
pub async fn like_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let like = gallery::set_like(&state, &who, id.into_inner(), true).await?;
    Ok(HttpResponse::Ok().json(like))
}

/// Take a like back (idempotent).
#[utoipa::path(
    delete, path = "/api/v1/emojis/{id}/like", tag = "gallery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Emoji id")),
    responses(
        (status = 200, body = LikeState),
        (status = 401, body = Problem),
        (status = 403, description = "Private and not yours", body = Problem),
        (status = 404, body = Problem),
    )
)]
#[delete("/emojis/{id}/like")]
pub async fn unlike_emoji(
    state: web::Data<AppState>,
    who: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let like = gallery::set_like(&state, &who, id.into_inner(), false).await?;
    Ok(HttpResponse::Ok().json(like))
}

/// Emoji usage ranking: faces per template × expression in the window (week = last 7 days,
/// month = last 30 days), with per-template and per-expression totals.
#[utoipa::path(
    get, path = "/api/v1/faces/ranking", tag = "gallery", params(RankingQuery),
    responses(
        (status = 200, body = FaceRanking),
        (status = 400, description = "Bad `period`", body = Problem),
    )
)]
#[get("/faces/ranking")]
pub async fn face_ranking(
    state: web::Data<AppState>,
    query: web::Query<RankingQuery>,
) -> ApiResult<HttpResponse> {
    let ranking = gallery::face_ranking(&state, query.period.unwrap_or_default()).await?;
    Ok(HttpResponse::Ok().json(ranking))
}

/// Zodiac ranking: results per animal in the window, all twelve, most frequent first.
#[utoipa::path(
    get, path = "/api/v1/zodiac/ranking", tag = "zodiac", params(RankingQuery),
    responses(
        (status = 200, body = ZodiacRanking),
        (status = 400, description = "Bad `period`", body = Problem),
    )
)]
#[get("/zodiac/ranking")]
pub async fn zodiac_ranking(
    state: web::Data<AppState>,
    query: web::Query<RankingQuery>,
) -> ApiResult<HttpResponse> {
    let ranking = gallery::zodiac_ranking(&state, query.period.unwrap_or_default()).await?;
    Ok(HttpResponse::Ok().json(ranking))
}

/// Every challenge.
#[utoipa::path(
    get, path = "/api/v1/challenges", tag = "challenges",
    responses((status = 200, body = ChallengeList))
)]
#[get("/challenges")]
pub async fn challenges() -> HttpResponse {
    HttpResponse::Ok().json(gallery::challenge_list())
}

/// Your emojis: `case=made` (default) lists the emojis you saved, newest first;
/// `case=used` lists your succeeded emoji tasks, saved or not, newest first.
#[utoipa::path(
    get, path = "/api/v1/users/me/emojis", tag = "gallery", security(("bearer" = [])),
    params(MyEmojisQuery),
    responses(
        (status = 200, description = "An `EmojiPage` for `made`, a `UsedPage` for `used`", body = MyEmojis),
        (status = 400, description = "Bad `case`, `page` or `size`", body = Problem),
        (status = 401, body = Problem),
    )
)]
#[get("/users/me/emojis")]
pub async fn my_emojis(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<MyEmojisQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(gallery::my_emojis(&state, &who, query.into_inner()).await?))
}

/// Your progress on every challenge.
#[utoipa::path(
    get, path = "/api/v1/users/me/challenges", tag = "challenges", security(("bearer" = [])),
    responses((status = 200, body = MyChallengeList), (status = 401, body = Problem))
)]
#[get("/users/me/challenges")]
pub async fn my_challenges(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(gallery::my_challenges(&state, &who).await?))
}

/// Your results per UTC day (every day of the range), per expression and per animal.
/// The range defaults to the last 30 days and may span at most 366 days.
#[utoipa::path(
    get, path = "/api/v1/users/me/statistics", tag = "statistics", security(("bearer" = [])),
    params(StatisticsQuery),
    responses(
        (status = 200, body = Statistics),
        (status = 400, description = "A date is not `YYYY-MM-DD`", body = Problem),
        (status = 401, body = Problem),
        (status = 422, description = "`from` after `to`, or more than 366 days", body = Problem),
    )
)]
#[get("/users/me/statistics")]
pub async fn my_statistics(
    state: web::Data<AppState>,
    who: AuthUser,
    query: web::Query<StatisticsQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(gallery::statistics(&state, &who, query.into_inner()).await?))
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        emoji_templates, zodiac_animals, create_emoji, list_emojis, get_emoji, delete_emoji,
        like_emoji, unlike_emoji, face_ranking, zodiac_ranking, challenges, my_emojis,
        my_challenges, my_statistics,
    ),
    components(schemas(
        gallery::Text, gallery::TemplateInfo, TemplateList, gallery::AnimalInfo, AnimalList,
        gallery::Visibility, CreateEmojiRequest, gallery::Owner, EmojiView, EmojiPage,
        gallery::UsedEmoji, gallery::UsedPage, MyEmojis, LikeState, gallery::SortParam,
        gallery::MyEmojiCase, gallery::Period, gallery::FaceRankItem, gallery::TemplateCount,
        gallery::ExpressionCount, FaceRanking, gallery::AnimalRankItem, ZodiacRanking,
        gallery::ChallengeInfo, ChallengeList, gallery::Progress, gallery::MyChallenge,
        MyChallengeList, gallery::DayStat, gallery::AnimalCount, gallery::StatTotals, Statistics,
    )),
    tags(
        (name = "gallery", description = "Saved and shared emojis, likes, emoji rankings"),
        (name = "zodiac", description = "The twelve zodiac animals and their ranking"),
        (name = "challenges", description = "Challenges awarded from face results, with progress"),
        (name = "statistics", description = "Personal statistics of face results"),
    )
)]
pub struct GalleryDoc;
