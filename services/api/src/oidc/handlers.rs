//! `/auth/oidc/...` handlers: the browser goes to `start`, the provider sends it back to
//! `callback`, which sends it on to the web client's `#/oidc` page with a one-time ticket.

use actix_web::{get, http::header, post, web, HttpResponse};
use moji_telemetry::Problem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::service::{self, Outcome};
use crate::{accounts::dto::TokenResponse, error::ApiResult, state::AppState};

/// Whether sign-in with a provider is on, and its name for the button.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProviderView {
    /// Whether `GET /auth/oidc/start` works.
    pub enabled: bool,
    /// The provider's name ("Google").
    pub name: String,
}

/// The provider's answer at the callback.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorisation code.
    pub code: Option<String>,
    /// The `state` this sign-in started with.
    pub state: Option<String>,
    /// The provider's error, when the person declined or it failed.
    pub error: Option<String>,
}

/// `POST /auth/oidc/exchange`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The `ticket` of the web client's `#/oidc` page.
    pub ticket: String,
}

/// `POST /auth/oidc/link`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The `link` ticket of the web client's `#/oidc` page.
    pub ticket: String,
    /// The password of the account that has the address.
    pub password: String,
}

/// Is sign-in with a provider configured?
#[utoipa::path(get, path = "/api/v1/auth/oidc", tag = "auth", responses((status = 200, body = ProviderView)))]
#[get("/auth/oidc")]
pub async fn provider(state: web::Data<AppState>) -> HttpResponse {
    let cfg = &state.settings.oidc;
    HttpResponse::Ok().json(ProviderView {
        enabled: cfg.enabled(),
        name: cfg.display_name.clone(),
    })
}

/// Start signing in: 302 to the provider (authorisation code with PKCE, `state`, `nonce`).
#[utoipa::path(
    get, path = "/api/v1/auth/oidc/start", tag = "auth",
    responses(
        (status = 302, description = "To the provider's sign-in page"),
        (status = 404, description = "Not configured", body = Problem),
        (status = 503, description = "The provider is unreachable", body = Problem),
    )
)]
#[get("/auth/oidc/start")]
pub async fn start(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let url = service::start(&state).await?;
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, url))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The provider sends the browser back here; it goes on (303) to the web client's `#/oidc`
/// page with `ticket` (signed in), `link` (confirm with the password) or `error`.
#[utoipa::path(
    get, path = "/api/v1/auth/oidc/callback", tag = "auth", params(CallbackQuery),
    responses((status = 303, description = "To the web client's #/oidc page"))
)]
#[get("/auth/oidc/callback")]
pub async fn callback(
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    let base = format!(
        "{}/#/oidc",
        state.settings.http.public_url.trim_end_matches('/')
    );
    let target = match (q.code, q.state, q.error) {
        (Some(code), Some(csrf), None) => match service::callback(&state, &code, &csrf).await {
            Ok(Outcome::SignedIn(ticket)) => format!("{base}?ticket={ticket}"),
            Ok(Outcome::Link { ticket, email }) => {
                format!("{base}?link={ticket}&email={}", encode(&email))
            }
            Err(e) => {
                let code = match &e {
                    crate::error::ApiError::Oidc(o) => o.code(),
                    crate::error::ApiError::Auth(moji_auth::AuthError::Suspended { .. }) => {
                        "account_suspended"
                    }
                    _ => "oidc_failed",
                };
                tracing::warn!(error = %e, code, "sign-in with the provider refused");
                format!("{base}?error={code}")
            }
        },
        (_, _, Some(error)) => format!("{base}?error=provider_{}", encode(&error)),
        _ => format!("{base}?error=oidc_state"),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Exchange the one-time ticket of a finished sign-in for a token pair.
#[utoipa::path(
    post, path = "/api/v1/auth/oidc/exchange", tag = "auth", request_body = ExchangeRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Unknown, used or expired ticket; or the account is suspended", body = Problem),
    )
)]
#[post("/auth/oidc/exchange")]
pub async fn exchange(
    state: web::Data<AppState>,
    body: web::Json<ExchangeRequest>,
) -> ApiResult<HttpResponse> {
    let tokens = service::exchange(&state, &body.ticket).await?;
    Ok(HttpResponse::Ok().json(tokens))
}

/// Link the provider's identity to the account that has its address, with that account's
/// password, and sign in. The ticket is used up either way.
#[utoipa::path(
    post, path = "/api/v1/auth/oidc/link", tag = "auth", request_body = LinkRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong password, or an unknown, used or expired ticket", body = Problem),
    )
)]
#[post("/auth/oidc/link")]
pub async fn link(
    state: web::Data<AppState>,
    body: web::Json<LinkRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let tokens = service::link(&state, &b.ticket, b.password).await?;
    Ok(HttpResponse::Ok().json(tokens))
}
