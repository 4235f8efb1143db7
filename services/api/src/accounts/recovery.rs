//! Password reset and e-mail verification by mail (issue 17). Links carry a random token
//! (256 bits, base64url) that is stored only as its SHA-256, is single-use and expires
//! (`mail.reset_ttl_secs`, 30 min; `mail.verify_ttl_secs`, 24 h). Asking for a reset always
//! answers 202 and runs the same statement whether or not the address has an account, so
//! neither the answer nor its time tells who has one. The mails wait in `mail_outbox` for the
//! sender (`crate::mail`).

use std::time::Duration;

use actix_web::{post, web, HttpResponse};
use base64::Engine;
use chrono::{Duration as Span, Utc};
use moji_auth::AuthUser;
use moji_db::{
    account_tokens::{self, NewToken, Purpose, TokenMail},
    models::User,
    sessions, users,
};
use moji_telemetry::{FieldError, Problem};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::validation;
use crate::{
    error::{validated, ApiError, ApiResult},
    state::AppState,
};

/// `POST /auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// The account's e-mail address.
    pub email: String,
}

/// `POST /auth/password-reset/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirm {
    /// The token from the mail's link.
    pub token: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// `POST /auth/verify-email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token from the sign-up (or resent) mail's link.
    pub token: String,
}

/// Requests for one address (or from one caller) per window before 429.
const MAILS_PER_WINDOW: u64 = 5;
const MAIL_WINDOW: Duration = Duration::from_secs(3600);

/// A new random token and its SHA-256.
fn new_token() -> (String, Vec<u8>) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = hash_of(&token);
    (token, hash)
}

fn hash_of(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// The web client's page for a link: `{public_url}/#/{page}?token=…`.
fn link(state: &AppState, page: &str, token: &str) -> String {
    let base = state.settings.http.public_url.trim_end_matches('/');
    format!("{base}/#/{page}?token={token}")
}

/// Counts one mail request against `bucket`; 429 past [`MAILS_PER_WINDOW`].
async fn throttle(state: &AppState, bucket: String) -> ApiResult<()> {
    let seen = state.redis.hit(&bucket, MAIL_WINDOW).await?;
    if seen.count > MAILS_PER_WINDOW {
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: seen.resets_in.as_secs().max(1),
        });
    }
    Ok(())
}

/// Queues a reset link to `email` if an account has it; the same work either way.
pub async fn request_reset(state: &AppState, req: ResetRequest) -> ApiResult<()> {
    let mut errors = Vec::new();
    let email = validation::email(&req.email, &mut errors);
    validated(errors)?;
    throttle(state, format!("reset:{email}")).await?;
    let ttl = state.settings.mail.reset_ttl_secs;
    mail_token(
        state,
        email,
        Purpose::PasswordReset,
        ttl,
        "Moji: reset your password / 비밀번호 재설정",
        |link| {
            format!(
                "Someone (hopefully you) asked to reset the password of your Moji account.\n\
                 Open this link within {} minutes to choose a new one:\n\n{link}\n\n\
                 If it was not you, ignore this mail: your password stays as it is.\n",
                ttl / 60
            )
        },
    )
    .await?;
    Ok(())
}

/// Sets a new password with a reset token and signs out every session of the account.
pub async fn confirm_reset(state: &AppState, req: ResetConfirm) -> ApiResult<()> {
    let mut errors = Vec::new();
    validation::password("new_password", &req.new_password, &mut errors);
    validated(errors)?;
    let hash = hash_of(&req.token);
    let redeemed = state
        .db
        .run(move |c| account_tokens::redeem(c, Purpose::PasswordReset, &hash))
        .await?;
    let Some((user_id, _)) = redeemed else {
        return Err(bad_token());
    };
    let password =
        moji_auth::hash_password(req.new_password, state.settings.auth.bcrypt_cost).await?;
    let families = state
        .db
        .run(move |c| {
            users::set_password_hash(c, user_id, &password)?;
            sessions::revoke_all_for_user(c, user_id, None, "password_reset")
        })
        .await?;
    super::service::revoke_sessions(state, &families).await?;
    tracing::info!(%user_id, sessions = families.len(), "password reset; every session signed out");
    Ok(())
}

fn bad_token() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "token",
        "this link is not valid: it was used already, has expired or was mistyped; ask for a new one",
    )])
}

/// Queues the verification link for `user`'s current address (after sign-up, or resent).
pub async fn send_verification(state: &AppState, user: &User) -> ApiResult<()> {
    let ttl = state.settings.mail.verify_ttl_secs;
    mail_token(
        state,
        user.email.clone(),
        Purpose::EmailVerify,
        ttl,
        "Moji: confirm your e-mail address / 이메일 주소 확인",
        |link| {
            format!(
                "Welcome to Moji!\n\
                 Open this link within {} hours to confirm this address:\n\n{link}\n",
                ttl / 3600
            )
        },
    )
    .await?;
    Ok(())
}

/// For the account with `email`, if there is one, stores a new `purpose` token valid for
/// `ttl_secs` and queues a mail whose body `body` writes around the token's link; the same
/// work runs either way. Returns whether a mail was queued.
async fn mail_token(
    state: &AppState,
    email: String,
    purpose: Purpose,
    ttl_secs: u64,
    subject: &str,
    body: impl FnOnce(&str) -> String,
) -> ApiResult<bool> {
    let (token, hash) = new_token();
    let page = match purpose {
        Purpose::PasswordReset => "reset",
        Purpose::EmailVerify => "verify",
    };
    let lifetime = i64::try_from(ttl_secs)
        .ok()
        .and_then(Span::try_seconds)
        .unwrap_or_else(|| Span::days(1));
    let new = NewToken {
        id: moji_common::new_id(),
        purpose,
        hash,
        expires_at: Utc::now() + lifetime,
    };
    let mail = TokenMail {
        subject: subject.to_owned(),
        body: body(&link(state, page, &token)),
    };
    let queued = state
        .db
        .run(move |c| account_tokens::issue_for_email(c, &email, &new, &mail))
        .await?;
    if queued {
        state.mail.poke();
    }
    Ok(queued)
}

/// Marks the address the token was sent to as verified (if it is still the account's).
pub async fn verify_email(state: &AppState, req: VerifyEmailRequest) -> ApiResult<()> {
    let hash = hash_of(&req.token);
    let redeemed = state
        .db
        .run(move |c| {
            let Some((user_id, email)) = account_tokens::redeem(c, Purpose::EmailVerify, &hash)?
            else {
                return Ok(false);
            };
            account_tokens::mark_verified(c, user_id, &email)
        })
        .await?;
    if redeemed {
        Ok(())
    } else {
        Err(bad_token())
    }
}

/// 403 `email_unverified` when `mail.sellers_must_verify` and the caller's address is not
/// verified (listing products for sale).
pub async fn require_verified_seller(state: &AppState, who: &AuthUser) -> ApiResult<()> {
    if !state.settings.mail.sellers_must_verify {
        return Ok(());
    }
    let id = who.user_id;
    let verified = state
        .db
        .run(move |c| account_tokens::verified_at(c, id))
        .await?;
    if verified.is_some() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "confirm your e-mail address before listing products (see the mail we sent, or \
             POST /users/me/verification for a new one)"
                .into(),
        ))
    }
}

/// Ask for a password-reset link by mail. Always 202 (whether or not an account has the
/// address); at most five an hour per address (429).
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset", tag = "auth",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "If an account has this address, a link is on its way"),
        (status = 422, description = "Not an e-mail address", body = Problem),
        (status = 429, description = "Too many requests for this address", body = Problem),
    )
)]
#[post("/auth/password-reset")]
pub async fn password_reset(
    state: web::Data<AppState>,
    body: web::Json<ResetRequest>,
) -> ApiResult<HttpResponse> {
    request_reset(&state, body.into_inner()).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Choose a new password with the mailed token: single-use, valid 30 minutes; every session
/// of the account is signed out.
#[utoipa::path(
    post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    request_body = ResetConfirm,
    responses(
        (status = 204, description = "Password changed; sign in with it"),
        (status = 422, description = "Token used, expired or unknown (field `token`), or a weak password", body = Problem),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    body: web::Json<ResetConfirm>,
) -> ApiResult<HttpResponse> {
    confirm_reset(&state, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirm an e-mail address with the mailed token.
#[utoipa::path(
    post, path = "/api/v1/auth/verify-email", tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "Address verified"),
        (status = 422, description = "Token used, expired or unknown (field `token`)", body = Problem),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email_handler(
    state: web::Data<AppState>,
    body: web::Json<VerifyEmailRequest>,
) -> ApiResult<HttpResponse> {
    verify_email(&state, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send the verification link again (to the caller's current address).
#[utoipa::path(
    post, path = "/api/v1/users/me/verification", tag = "users", security(("bearer" = [])),
    responses(
        (status = 202, description = "A link is on its way"),
        (status = 401, body = Problem),
        (status = 409, description = "Already verified", body = Problem),
        (status = 429, description = "Too many in the last hour", body = Problem),
    )
)]
#[post("/users/me/verification")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    who: AuthUser,
) -> ApiResult<HttpResponse> {
    let id = who.user_id;
    let user = state.db.run(move |c| users::by_id(c, id)).await?;
    if user.email_verified_at.is_some() {
        return Err(ApiError::Conflict {
            code: moji_common::ErrorCode::Conflict,
            detail: "this address is verified already".into(),
        });
    }
    throttle(&state, format!("verify:{id}")).await?;
    send_verification(&state, &user).await?;
    Ok(HttpResponse::Accepted().finish())
}
