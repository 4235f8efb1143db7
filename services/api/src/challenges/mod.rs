//! Challenges (도전과제): the list, my progress on each, and what someone achieved.

use std::collections::HashMap;

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use moji_auth::AuthUser;
use moji_db::{challenges, users};
use moji_telemetry::Problem;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::{not_found, ApiResult},
    http::{PageOf, Paging, ShortPageQuery, Text},
    state::AppState,
};

/// A challenge.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChallengeInfo {
    /// Stable id.
    #[schema(example = "meet_all_animals")]
    pub id: String,
    /// Title.
    pub title: Text,
    /// What to do.
    pub description: Text,
    /// Progress needed.
    #[schema(example = 12)]
    pub goal: i64,
}

/// Every challenge.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChallengeList {
    /// Challenges in display order.
    pub items: Vec<ChallengeInfo>,
}

/// Progress towards a goal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// Reached so far (capped at `goal`).
    pub current: i64,
    /// Needed.
    pub goal: i64,
}

/// A challenge with the caller's progress.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyChallenge {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: Text,
    /// What to do.
    pub description: Text,
    /// Progress.
    pub progress: Progress,
    /// Whether it has been awarded.
    pub achieved: bool,
    /// When it was awarded.
    pub awarded_at: Option<DateTime<Utc>>,
}

/// The caller's challenges.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyChallengeList {
    /// Every challenge, in display order.
    pub items: Vec<MyChallenge>,
    /// How many are achieved.
    pub achieved: usize,
}

/// A challenge someone achieved.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Achievement {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: Text,
    /// What was done.
    pub description: Text,
    /// Progress that was needed.
    pub goal: i64,
    /// When it was awarded.
    pub awarded_at: DateTime<Utc>,
}

fn challenge_texts(d: &challenges::Definition) -> (Text, Text) {
    (
        Text::pair(d.title_ko, d.title_en),
        Text::pair(d.description_ko, d.description_en),
    )
}

/// Every challenge.
pub fn challenge_list() -> ChallengeList {
    ChallengeList {
        items: challenges::DEFINITIONS
            .iter()
            .map(|d| {
                let (title, description) = challenge_texts(d);
                ChallengeInfo {
                    id: d.id.to_owned(),
                    title,
                    description,
                    goal: d.goal,
                }
            })
            .collect(),
    }
}

/// The caller's progress on every challenge. Awards anything already achieved but not yet
/// recorded first (e.g. a challenge added after the results that complete it), so `achieved`
/// always agrees with `progress`.
pub async fn my_challenges(state: &AppState, who: &AuthUser) -> ApiResult<MyChallengeList> {
    let user = who.user_id;
    let (measures, awarded) = state.db.run(move |c| challenges::progress(c, user)).await?;
    let awarded: HashMap<String, DateTime<Utc>> = awarded.into_iter().collect();
    let items: Vec<MyChallenge> = challenges::DEFINITIONS
        .iter()
        .map(|d| {
            let (title, description) = challenge_texts(d);
            let awarded_at = awarded.get(d.id).copied();
            MyChallenge {
                id: d.id.to_owned(),
                title,
                description,
                progress: Progress {
                    current: measures.current(d.id).min(d.goal),
                    goal: d.goal,
                },
                achieved: awarded_at.is_some(),
                awarded_at,
            }
        })
        .collect();
    Ok(MyChallengeList {
        achieved: items.iter().filter(|c| c.achieved).count(),
        items,
    })
}

/// Someone's achieved challenges, most recent first; 404 for an unknown username.
pub async fn achieved(
    state: &AppState,
    username: String,
    paging: Paging,
) -> ApiResult<PageOf<Achievement>> {
    let name = username.to_lowercase();
    let user = state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(not_found("user"))?;
    let page = state
        .db
        .run(move |c| challenges::achieved_page(c, user.id, paging.offset(), paging.limit()))
        .await?;
    let items = page
        .items
        .into_iter()
        .filter_map(|(id, awarded_at)| {
            let d = challenges::definition(&id)?;
            let (title, description) = challenge_texts(d);
            Some(Achievement {
                id,
                title,
                description,
                goal: d.goal,
                awarded_at,
            })
        })
        .collect();
    Ok(paging.page(items, page.total))
}

/// Every challenge.
#[utoipa::path(
    get, path = "/api/v1/challenges", tag = "challenges",
    responses((status = 200, body = ChallengeList))
)]
#[get("/challenges")]
pub async fn list() -> HttpResponse {
    HttpResponse::Ok().json(challenge_list())
}

/// Your progress on every challenge.
#[utoipa::path(
    get, path = "/api/v1/users/me/challenges", tag = "challenges", security(("bearer" = [])),
    responses((status = 200, body = MyChallengeList), (status = 401, body = Problem))
)]
#[get("/users/me/challenges")]
pub async fn mine(state: web::Data<AppState>, who: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(my_challenges(&state, &who).await?))
}

/// The challenges someone achieved, most recent first.
#[utoipa::path(
    get, path = "/api/v1/users/{username}/challenges", tag = "challenges",
    params(("username" = String, Path, description = "Handle"), ShortPageQuery),
    responses(
        (status = 200, body = PageOf<Achievement>),
        (status = 400, description = "Bad `page` or `size`", body = Problem),
        (status = 404, description = "No such user", body = Problem),
    )
)]
#[get("/users/{username}/challenges")]
pub async fn theirs(
    state: web::Data<AppState>,
    username: web::Path<String>,
    query: web::Query<ShortPageQuery>,
) -> ApiResult<HttpResponse> {
    let paging = query.paging()?;
    Ok(HttpResponse::Ok().json(achieved(&state, username.into_inner(), paging).await?))
}

/// Registers the challenge routes (`me` before `{username}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(mine).service(theirs);
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, mine, theirs),
    components(schemas(ChallengeInfo, ChallengeList, Progress, MyChallenge, MyChallengeList, Achievement)),
    tags((name = "challenges", description = "Challenges awarded from face results, with progress"))
)]
pub struct Doc;
