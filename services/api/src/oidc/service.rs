//! Sign-in with an OpenID Connect provider: the authorisation-code flow with PKCE (S256),
//! `state` and `nonce`, through the `openidconnect` crate. The provider's discovery document
//! and JWKS are read on first use and again every hour; the ID token's signature is checked
//! against the JWKS and its issuer, audience, expiry and nonce against what this sign-in
//! expects. `state` names a one-time Redis ticket holding the PKCE verifier and the nonce, so
//! a replayed callback finds nothing.
//!
//! A known identity signs its account in. A new one whose verified address no account has
//! gets a new account. A new one whose address an account already has is linked only after the
//! person types that account's password (`POST /auth/oidc/link`). The browser comes back to
//! the web client with a one-time ticket it exchanges for tokens (no token in a URL).

use std::time::{Duration, Instant};

use moji_common::{new_id, ErrorCode};
use moji_db::{identities, models::NewUser, users, DbError};
use openidconnect::{
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata},
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::{
    accounts::dto::TokenResponse,
    error::{ApiError, ApiResult},
    state::AppState,
};

/// How long a started sign-in may take at the provider.
const STATE_TTL: Duration = Duration::from_secs(600);
/// How long the web client has to exchange its login ticket.
const LOGIN_TTL: Duration = Duration::from_secs(120);
/// How long the person has to confirm a link with their password.
const LINK_TTL: Duration = Duration::from_secs(600);
/// How long the discovery document and JWKS are used before they are read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The provider's metadata (with its JWKS), read on first use.
#[derive(Default)]
pub struct ProviderCache(Mutex<Option<(CoreProviderMetadata, Instant)>>);

/// What `start` keeps for the callback, under the `state` ticket.
#[derive(Serialize, Deserialize)]
struct Pending {
    verifier: String,
    nonce: String,
}

/// A link waiting for the account's password.
#[derive(Serialize, Deserialize)]
struct PendingLink {
    issuer: String,
    subject: String,
    user_id: Uuid,
    email: String,
}

/// Why a sign-in with the provider failed (shown to the person by the web client).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Not configured (`oidc.issuer_url` empty).
    #[error("sign-in with a provider is not configured")]
    Disabled,
    /// The provider could not be reached or answered nonsense.
    #[error("the provider is unavailable: {0}")]
    Provider(String),
    /// Unknown, expired or already used `state`.
    #[error("this sign-in expired or was already used; start again")]
    State,
    /// The provider refused the code (wrong, reused, wrong PKCE verifier).
    #[error("the provider refused the code: {0}")]
    Code(String),
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    #[error("the provider's ID token was refused: {0}")]
    IdToken(String),
    /// The provider did not vouch for an e-mail address.
    #[error("the provider did not give a verified e-mail address")]
    Email,
}

impl OidcError {
    /// The code the web client is sent back with.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::Disabled => "oidc_disabled",
            OidcError::Provider(_) => "oidc_unavailable",
            OidcError::State => "oidc_state",
            OidcError::Code(_) => "oidc_code",
            OidcError::IdToken(_) => "oidc_id_token",
            OidcError::Email => "oidc_email",
        }
    }
}

fn http_client() -> Result<openidconnect::reqwest::Client, OidcError> {
    // No redirects: a provider's answer that redirects is not followed (SSRF).
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| OidcError::Provider(e.to_string()))
}

/// The provider's metadata: cached for [`METADATA_TTL`].
async fn metadata(state: &AppState) -> Result<CoreProviderMetadata, OidcError> {
    let cfg = &state.settings.oidc;
    if !cfg.enabled() {
        return Err(OidcError::Disabled);
    }
    let mut cached = state.oidc.0.lock().await;
    if let Some((meta, at)) = cached.as_ref() {
        if at.elapsed() < METADATA_TTL {
            return Ok(meta.clone());
        }
    }
    let issuer =
        IssuerUrl::new(cfg.issuer_url.clone()).map_err(|e| OidcError::Provider(e.to_string()))?;
    let meta = CoreProviderMetadata::discover_async(issuer, &http_client()?)
        .await
        .map_err(|e| OidcError::Provider(e.to_string()))?;
    *cached = Some((meta.clone(), Instant::now()));
    Ok(meta)
}

fn redirect_url(state: &AppState) -> String {
    let cfg = &state.settings.oidc;
    if cfg.redirect_url.is_empty() {
        format!(
            "{}/api/v1/auth/oidc/callback",
            state.settings.http.public_url.trim_end_matches('/')
        )
    } else {
        cfg.redirect_url.clone()
    }
}

fn client(
    state: &AppState,
    meta: CoreProviderMetadata,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    OidcError,
> {
    let cfg = &state.settings.oidc;
    let secret =
        (!cfg.client_secret.is_empty()).then(|| ClientSecret::new(cfg.client_secret.clone()));
    let redirect =
        RedirectUrl::new(redirect_url(state)).map_err(|e| OidcError::Provider(e.to_string()))?;
    Ok(
        CoreClient::from_provider_metadata(meta, ClientId::new(cfg.client_id.clone()), secret)
            .set_redirect_uri(redirect),
    )
}

/// Starts a sign-in: the provider's authorisation URL to send the browser to.
pub async fn start(state: &AppState) -> ApiResult<String> {
    let meta = metadata(state).await?;
    let client = client(state, meta)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = serde_json::to_string(&Pending {
        verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
    })
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .redis
        .put_ticket("oidc-state", csrf.secret(), &pending, STATE_TTL)
        .await?;
    Ok(url.to_string())
}

/// Where the callback sends the browser: the web client's `#/oidc` page with a `ticket`
/// (signed in), a `link` ticket (confirm with the password) or an `error`.
pub enum Outcome {
    /// Exchange this ticket for tokens.
    SignedIn(String),
    /// Confirm the link with the account's password.
    Link {
        /// The link ticket.
        ticket: String,
        /// The account's address, partly hidden.
        email: String,
    },
}

/// Finishes a sign-in with the provider's `code` for `state`.
pub async fn callback(state: &AppState, code: &str, csrf: &str) -> Result<Outcome, ApiError> {
    let pending = state
        .redis
        .take_ticket("oidc-state", csrf)
        .await?
        .and_then(|v| serde_json::from_str::<Pending>(&v).ok())
        .ok_or(OidcError::State)?;
    let meta = metadata(state).await?;
    let issuer = meta.issuer().to_string();
    let client = client(state, meta)?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|e| OidcError::Provider(e.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&http_client()?)
        .await
        .map_err(|e| OidcError::Code(e.to_string()))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| OidcError::IdToken("no ID token in the answer".into()))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(pending.nonce))
        .map_err(|e| OidcError::IdToken(e.to_string()))?;
    let subject = claims.subject().to_string();
    let email = match (claims.email(), claims.email_verified()) {
        (Some(email), Some(true)) => email.to_string().to_lowercase(),
        _ => return Err(OidcError::Email.into()),
    };
    let display = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.to_string());
    resolve(state, issuer, subject, email, display).await
}

/// Signs a known identity in, links a new one to an account with its address (after the
/// password), or makes a new account.
async fn resolve(
    state: &AppState,
    issuer: String,
    subject: String,
    email: String,
    display: Option<String>,
) -> Result<Outcome, ApiError> {
    let (iss, sub, mail) = (issuer.clone(), subject.clone(), email.clone());
    let (known, holder) = state
        .db
        .run(move |c| {
            Ok((
                identities::account_of(c, &iss, &sub)?,
                users::by_login(c, &mail)?,
            ))
        })
        .await?;
    if let Some(user_id) = known {
        return login_ticket(state, user_id).await.map(Outcome::SignedIn);
    }
    if let Some(user) = holder {
        let ticket = CsrfToken::new_random().secret().clone();
        let link = PendingLink {
            issuer,
            subject,
            user_id: user.id,
            email: email.clone(),
        };
        let value = serde_json::to_string(&link).map_err(|e| ApiError::Internal(e.to_string()))?;
        state
            .redis
            .put_ticket("oidc-link", &ticket, &value, LINK_TTL)
            .await?;
        return Ok(Outcome::Link {
            ticket,
            email: masked(&email),
        });
    }
    let user_id = create_account(state, &issuer, &subject, &email, display).await?;
    login_ticket(state, user_id).await.map(Outcome::SignedIn)
}

/// `m***@example.com`.
fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// A handle from the address's local part: `[a-z0-9_]`, 3..=24 characters.
fn handle_from(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let mut name: String = local
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(24)
        .collect();
    while name.len() < 3 {
        name.push('_');
    }
    name
}

/// Makes an account for a new identity with a verified address, trying a few handles.
async fn create_account(
    state: &AppState,
    issuer: &str,
    subject: &str,
    email: &str,
    display: Option<String>,
) -> ApiResult<Uuid> {
    // Nobody knows this password; the person can set one with a password reset.
    let secret = CsrfToken::new_random().secret().clone();
    let hash = moji_auth::hash_password(secret, state.settings.auth.bcrypt_cost).await?;
    let base = handle_from(email);
    for attempt in 0..6u32 {
        let username = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}_{:04}", rand::random::<u16>() % 10_000)
        };
        let display_name = match (&display, attempt) {
            (Some(d), 0) if !d.trim().is_empty() => d.trim().chars().take(50).collect(),
            _ => username.clone(),
        };
        let new = NewUser {
            id: new_id(),
            username,
            email: email.to_owned(),
            display_name,
            password_hash: hash.clone(),
            role: "user".into(),
        };
        let (iss, sub, mail) = (issuer.to_owned(), subject.to_owned(), email.to_owned());
        let made = state
            .db
            .run(move |c| {
                moji_db::outbox::within(
                    c,
                    |c| {
                        let user = users::insert(c, &new)?;
                        moji_db::account_tokens::mark_verified(c, user.id, &mail)?;
                        identities::link(c, &iss, &sub, user.id, &mail)?;
                        Ok(user)
                    },
                    crate::events::content::profile_created,
                )
            })
            .await;
        match made {
            Ok(user) => {
                state.outbox.poke();
                tracing::info!(user_id = %user.id, "account made by sign-in with the provider");
                return Ok(user.id);
            }
            Err(DbError::UniqueViolation(c)) if !c.contains("email") => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict {
        code: ErrorCode::UsernameTaken,
        detail: "no free username could be made from this address; sign up instead".into(),
    })
}

async fn login_ticket(state: &AppState, user_id: Uuid) -> ApiResult<String> {
    crate::moderation::service::check_standing(state, user_id).await?;
    let ticket = CsrfToken::new_random().secret().clone();
    state
        .redis
        .put_ticket("oidc-login", &ticket, &user_id.to_string(), LOGIN_TTL)
        .await?;
    Ok(ticket)
}

/// Exchanges a login ticket (once) for a token pair.
pub async fn exchange(state: &AppState, ticket: &str) -> ApiResult<TokenResponse> {
    let user_id = state
        .redis
        .take_ticket("oidc-login", ticket)
        .await?
        .and_then(|v| v.parse::<Uuid>().ok())
        .ok_or(ApiError::InvalidCredentials)?;
    crate::moderation::service::check_standing(state, user_id).await?;
    let user = state.db.run(move |c| users::by_id(c, user_id)).await?;
    crate::accounts::service::start_session(state, user).await
}

/// Links the identity of a link ticket to its account after the account's password, and
/// signs in. The ticket is used up either way (a wrong password means starting again).
pub async fn link(state: &AppState, ticket: &str, password: String) -> ApiResult<TokenResponse> {
    let pending = state
        .redis
        .take_ticket("oidc-link", ticket)
        .await?
        .and_then(|v| serde_json::from_str::<PendingLink>(&v).ok())
        .ok_or(ApiError::InvalidCredentials)?;
    let id = pending.user_id;
    let user = state.db.run(move |c| users::by_id(c, id)).await?;
    let ok = moji_auth::verify_password_or_dummy(
        password,
        Some(user.password_hash.clone()),
        state.settings.auth.bcrypt_cost,
    )
    .await?;
    if !ok {
        return Err(ApiError::InvalidCredentials);
    }
    crate::moderation::service::check_standing(state, id).await?;
    state
        .db
        .run(move |c| identities::link(c, &pending.issuer, &pending.subject, id, &pending.email))
        .await?;
    tracing::info!(user_id = %id, "provider identity linked after the password");
    crate::accounts::service::start_session(state, user).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_and_masks() {
        assert_eq!(handle_from("Mi.Na-Kim@example.com"), "mi_na_kim");
        assert_eq!(handle_from("x@y.z"), "x__");
        assert_eq!(handle_from(&format!("{}@a.b", "a".repeat(40))).len(), 24);
        assert_eq!(masked("mina@example.com"), "m***@example.com");
    }
}
