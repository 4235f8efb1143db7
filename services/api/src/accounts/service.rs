//! Account and session logic: sign-up, login with throttling, token rotation with reuse
//! detection, logout, profile and password changes. Handlers call these and map results.

use std::time::Duration;

use moji_auth::{revoked_session_key, AuthUser, MintedToken, Role, TokenType};
use moji_common::{messages::UserDeletedV1, new_id, Envelope, ErrorCode, MessageType};
use moji_db::{
    models::{NewUser, ProfileChange, User},
    sessions::{self, Rotation},
    users, DbError,
};
use uuid::Uuid;

use super::{
    dto::{
        AvailabilityQuery, AvailabilityResponse, ChangePasswordRequest, LoginRequest,
        SignUpRequest, TokenResponse, UpdateMeRequest, VerifyResponse,
    },
    validation,
};
use crate::{
    error::{validated, ApiError, ApiResult},
    state::AppState,
};

fn unique_conflict(e: DbError) -> ApiError {
    match e {
        DbError::UniqueViolation(c) if c.contains("display_name") => ApiError::Conflict {
            code: ErrorCode::DisplayNameTaken,
            detail: "this display name is already taken; choose another `display_name`".into(),
        },
        DbError::UniqueViolation(c) if c.contains("username") => ApiError::Conflict {
            code: ErrorCode::UsernameTaken,
            detail: "this username is already taken".into(),
        },
        DbError::UniqueViolation(c) if c.contains("email") => ApiError::Conflict {
            code: ErrorCode::EmailTaken,
            detail: "an account with this e-mail already exists".into(),
        },
        other => other.into(),
    }
}

/// Mints an access/refresh pair for a session; `refresh_id` is the refresh token's `jti`.
fn mint_pair(
    state: &AppState,
    user: &User,
    sid: Uuid,
    refresh_id: Uuid,
) -> ApiResult<(MintedToken, MintedToken)> {
    let role = Role::from_db(&user.role);
    let keys = &state.auth.keys;
    let access = keys.mint(TokenType::Access, user.id, role, sid, new_id())?;
    let refresh = keys.mint(TokenType::Refresh, user.id, role, sid, refresh_id)?;
    Ok((access, refresh))
}

fn token_response(state: &AppState, user: User, pair: (MintedToken, MintedToken)) -> TokenResponse {
    TokenResponse {
        user: user.into(),
        access_token: pair.0.token,
        refresh_token: pair.1.token,
        token_type: "Bearer".into(),
        expires_in: state.auth.keys.access_ttl_secs,
    }
}

/// Starts a new session family for `user` and returns its first token pair.
pub(crate) async fn start_session(state: &AppState, user: User) -> ApiResult<TokenResponse> {
    let (sid, refresh_id) = (new_id(), new_id());
    let pair = mint_pair(state, &user, sid, refresh_id)?;
    let (user_id, expires_at) = (user.id, pair.1.expires_at());
    state
        .db
        .run(move |c| sessions::start(c, sid, user_id, refresh_id, expires_at))
        .await?;
    Ok(token_response(state, user, pair))
}

/// Creates an account and logs it in.
pub async fn sign_up(state: &AppState, req: SignUpRequest) -> ApiResult<TokenResponse> {
    let mut errors = Vec::new();
    let username = validation::username(&req.username, &mut errors);
    let email = validation::email(&req.email, &mut errors);
    validation::password("password", &req.password, &mut errors);
    let display_name = match &req.display_name {
        Some(d) => validation::display_name(d, &mut errors),
        None => req.username.trim().to_owned(),
    };
    validated(errors)?;

    let hash = moji_auth::hash_password(req.password, state.settings.auth.bcrypt_cost).await?;
    let new = NewUser {
        id: new_id(),
        username,
        email,
        display_name,
        password_hash: hash,
        role: Role::User.as_str().into(),
    };
    let user = state
        .db
        .run(move |c| {
            moji_db::outbox::within(
                c,
                |c| users::insert(c, &new),
                crate::events::content::profile_created,
            )
        })
        .await
        .map_err(unique_conflict)?;
    state.outbox.poke();
    tracing::info!(user_id = %user.id, "account created");
    // The account works without it; a failure here only delays the mail (ask again).
    if let Err(e) = super::recovery::send_verification(state, &user).await {
        tracing::warn!(user_id = %user.id, error = %e, "verification mail not queued");
    }
    start_session(state, user).await
}

/// Reports whether a username, e-mail and/or display name are free.
pub async fn availability(
    state: &AppState,
    query: AvailabilityQuery,
) -> ApiResult<AvailabilityResponse> {
    if query.username.is_none() && query.email.is_none() && query.display_name.is_none() {
        return Err(ApiError::BadRequest(
            "give `username`, `email` and/or `display_name` as query parameters".into(),
        ));
    }
    let mut errors = Vec::new();
    let asked = users::NameQuery {
        username: query
            .username
            .map(|u| validation::username(&u, &mut errors)),
        email: query.email.map(|e| validation::email(&e, &mut errors)),
        display_name: query
            .display_name
            .map(|d| validation::display_name(&d, &mut errors)),
    };
    validated(errors)?;
    let (username_available, email_available, display_name_available) = state
        .db
        .run(move |c| users::availability(c, &asked))
        .await?;
    Ok(AvailabilityResponse {
        username_available,
        email_available,
        display_name_available,
    })
}

/// Logs in with username or e-mail; failures are counted per login name.
pub async fn login(state: &AppState, req: LoginRequest) -> ApiResult<TokenResponse> {
    let login = req.login.trim().to_lowercase();
    // No username or e-mail address holds a control character (sign-up refuses them).
    if login.is_empty()
        || req.password.is_empty()
        || login.len() > 254
        || login.chars().any(char::is_control)
    {
        return Err(ApiError::InvalidCredentials);
    }
    let cfg = &state.settings.auth;
    let window = Duration::from_secs(cfg.login_window_secs);
    let bucket = format!("login:{login}");
    let seen = state.redis.peek(&bucket, window).await?;
    if seen.count >= u64::from(cfg.login_max_failures) {
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: seen.resets_in.as_secs().max(1),
        });
    }
    let lookup = login.clone();
    let user = state.db.run(move |c| users::by_login(c, &lookup)).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = moji_auth::verify_password_or_dummy(req.password, hash, cfg.bcrypt_cost).await?;
    match user {
        Some(user) if ok => {
            state.redis.reset(&bucket, window).await?;
            crate::moderation::service::check_standing(state, user.id).await?;
            start_session(state, user).await
        }
        _ => {
            state.redis.hit(&bucket, window).await?;
            Err(ApiError::InvalidCredentials)
        }
    }
}

/// Revokes a session family's access tokens in Redis (their refresh tokens die in Postgres).
pub(crate) async fn revoke_sessions(state: &AppState, families: &[Uuid]) -> ApiResult<()> {
    let ttl = Duration::from_secs(state.auth.keys.access_ttl_secs);
    for sid in families {
        state.redis.revoke(&revoked_session_key(*sid), ttl).await?;
    }
    Ok(())
}

/// Rotates a refresh token. A token that was already rotated revokes its whole family.
pub async fn refresh(state: &AppState, refresh_token: &str) -> ApiResult<TokenResponse> {
    let claims = state.auth.keys.verify(refresh_token, TokenType::Refresh)?;
    let new_refresh_id = new_id();
    let new_expiry = chrono::Utc::now()
        + chrono::Duration::seconds(i64::try_from(state.auth.keys.refresh_ttl_secs).unwrap_or(0));
    let old_id = claims.jti;
    let rotation = state
        .db
        .run(move |c| sessions::rotate(c, old_id, new_refresh_id, new_expiry))
        .await?;
    match rotation {
        Rotation::Rotated { family_id, user_id } => {
            crate::moderation::service::check_standing(state, user_id).await?;
            let user = state.db.run(move |c| users::by_id(c, user_id)).await?;
            let pair = mint_pair(state, &user, family_id, new_refresh_id)?;
            Ok(token_response(state, user, pair))
        }
        Rotation::Reused { family_id, user_id } => {
            tracing::warn!(%user_id, %family_id, "refresh token reuse: session family revoked");
            revoke_sessions(state, &[family_id]).await?;
            Err(ApiError::RefreshTokenReused)
        }
        Rotation::Revoked | Rotation::Unknown => Err(moji_auth::AuthError::Revoked.into()),
    }
}

/// Ends the caller's session: this access token and its refresh family stop working.
pub async fn logout(state: &AppState, who: &AuthUser) -> ApiResult<()> {
    let sid = who.session_id;
    state
        .db
        .run(move |c| sessions::revoke_family(c, sid, "logout"))
        .await?;
    revoke_sessions(state, &[sid]).await
}

/// Checks an access token for another service or a client.
pub async fn verify(state: &AppState, token: &str) -> ApiResult<VerifyResponse> {
    let claims = state.auth.authenticate(token).await?;
    Ok(VerifyResponse {
        valid: true,
        user_id: claims.sub,
        expires_at: chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    })
}

/// The caller's account.
pub async fn me(state: &AppState, who: &AuthUser) -> ApiResult<User> {
    user_by_id(state, who.user_id).await
}

async fn user_by_id(state: &AppState, id: Uuid) -> ApiResult<User> {
    state
        .db
        .run(move |c| users::by_id(c, id))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("account"),
            other => other.into(),
        })
}

/// Changes display name, bio or e-mail.
pub async fn update_me(state: &AppState, who: &AuthUser, req: UpdateMeRequest) -> ApiResult<User> {
    let mut errors = Vec::new();
    let change = ProfileChange {
        display_name: req
            .display_name
            .map(|d| validation::display_name(&d, &mut errors)),
        bio: req.bio.map(|b| validation::bio(&b, &mut errors)),
        email: req.email.map(|e| validation::email(&e, &mut errors)),
        links: req.links.map(|l| {
            validation::links(&l, &mut errors)
                .into_iter()
                .map(Some)
                .collect()
        }),
    };
    validated(errors)?;
    if let Some(avatar) = req.avatar {
        set_avatar(state, who, avatar).await?;
    }
    let id = who.user_id;
    let user = state
        .db
        .run(move |c| {
            moji_db::outbox::within(
                c,
                |c| users::update_profile(c, id, &change),
                crate::events::content::profile_updated,
            )
        })
        .await
        .map_err(unique_conflict)?;
    state.outbox.poke();
    Ok(user)
}

/// Makes the upload under `key` the caller's avatar (processed like a post's images), or
/// removes the avatar.
async fn set_avatar(state: &AppState, who: &AuthUser, key: Option<String>) -> ApiResult<()> {
    let uploads = match key {
        Some(key) => vec![crate::uploads::attach::check_one(state, who, "avatar", key).await?],
        None => Vec::new(),
    };
    let work = crate::uploads::attach::process_messages(&uploads);
    let (me, image) = (who.user_id, uploads.first().map(|u| u.id));
    state
        .db
        .run(move |c| moji_db::media::set_avatar(c, me, image, &work))
        .await?;
    state.outbox.poke();
    Ok(())
}

/// Someone's public profile as `viewer` sees it: follow counts, avatar, post and product
/// counts and their latest three of each.
pub async fn public_profile(
    state: &AppState,
    viewer: Option<Uuid>,
    username: String,
) -> ApiResult<super::dto::PublicProfile> {
    use moji_db::{keyset::Start, media, posts, products};
    let user = profile(state, username).await?;
    let id = user.id;
    let (counts, mine) = crate::follows::service::profile_counts(state, viewer, id).await?;
    let mut out = super::dto::PublicProfile::new(user, counts, mine);
    let (avatar, post_page, post_images, product_page, product_images) = state
        .db
        .run(move |c| {
            let avatar = media::avatar_of(c, id)?;
            let posts = posts::page(c, &posts::Listing::By(id), viewer, Start::TOP, 3)?;
            let ids: Vec<Uuid> = posts.items.iter().map(|p| p.id).collect();
            let post_images = media::images_of_posts(c, &ids)?;
            let filter = products::Filter {
                seller: Some(id),
                ..products::Filter::default()
            };
            let products = products::page(c, &filter, products::Sort::New, Start::TOP, 3)?;
            let ids: Vec<Uuid> = products.items.iter().map(|p| p.id).collect();
            let product_images = media::images_of_products(c, &ids)?;
            Ok((avatar, posts, post_images, products, product_images))
        })
        .await?;
    out.avatar = match avatar {
        Some(image) => Some(crate::uploads::service::image_view(state, &image).await?),
        None => None,
    };
    out.posts = post_page.total;
    out.products = product_page.total;
    out.latest_posts = crate::posts::service::views(state, post_page.items, post_images).await?;
    out.latest_products =
        crate::products::service::views(state, product_page.items, product_images).await?;
    Ok(out)
}

/// Changes the password and signs out every other session of the account.
pub async fn change_password(
    state: &AppState,
    who: &AuthUser,
    req: ChangePasswordRequest,
) -> ApiResult<()> {
    let mut errors = Vec::new();
    validation::password("new_password", &req.new_password, &mut errors);
    if req.new_password == req.current_password {
        errors.push(moji_telemetry::FieldError::new(
            "new_password",
            "must differ from the current password",
        ));
    }
    validated(errors)?;
    let user = me(state, who).await?;
    let cost = state.settings.auth.bcrypt_cost;
    if !moji_auth::verify_password(req.current_password, user.password_hash).await? {
        return Err(ApiError::WrongPassword);
    }
    let hash = moji_auth::hash_password(req.new_password, cost).await?;
    let (id, keep) = (who.user_id, who.session_id);
    let revoked = state
        .db
        .run(move |c| {
            users::set_password_hash(c, id, &hash)?;
            sessions::revoke_all_for_user(c, id, Some(keep), "password_change")
        })
        .await?;
    revoke_sessions(state, &revoked).await
}

/// Deletes the caller's account, signs out all its sessions and announces `user.deleted`.
pub async fn delete_me(state: &AppState, who: &AuthUser) -> ApiResult<()> {
    let id = who.user_id;
    let families = state
        .db
        .run(move |c| {
            moji_db::outbox::within(
                c,
                |c| {
                    let families = sessions::revoke_all_for_user(c, id, None, "account_deleted")?;
                    users::delete(c, id)?;
                    Ok(families)
                },
                |_| crate::events::content::profile_deleted(id),
            )
        })
        .await?;
    state.outbox.poke();
    revoke_sessions(state, &families).await?;
    let envelope = Envelope::new("api", id, UserDeletedV1 { user_id: id });
    let topology = state.broker.topology();
    state
        .broker
        .publish(&topology.events_exchange(), UserDeletedV1::TYPE, &envelope)
        .await?;
    // The person's uploads (photos, post and product images, avatar) go with the account; a
    // file left behind here is only storage, so failures are logged, not returned.
    match state.storage.list(&format!("uploads/{id}")).await {
        Ok(objects) => {
            for object in objects {
                if let Err(e) = state.storage.delete(&object.key).await {
                    tracing::warn!(key = %object.key, error = %e, "could not delete an upload");
                }
            }
        }
        Err(e) => tracing::warn!(user_id = %id, error = %e, "could not list uploads to delete"),
    }
    tracing::info!(user_id = %id, "account deleted");
    Ok(())
}

/// A public profile by username.
pub async fn profile(state: &AppState, username: String) -> ApiResult<User> {
    let name = username.to_lowercase();
    state
        .db
        .run(move |c| users::by_username(c, &name))
        .await
        .map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("user"),
            other => other.into(),
        })
}

/// Creates an admin account, or promotes an existing one (the `create-admin` command).
pub async fn create_admin(
    state: &AppState,
    username: &str,
    email: Option<&str>,
    password: Option<String>,
) -> ApiResult<User> {
    let name = username.trim().to_lowercase();
    let lookup = name.clone();
    let existing = state.db.run(move |c| users::by_login(c, &lookup)).await?;
    if let Some(user) = existing {
        let id = user.id;
        state
            .db
            .run(move |c| users::set_role(c, id, Role::Admin.as_str()))
            .await?;
        return user_by_id(state, id).await;
    }
    let (Some(email), Some(password)) = (email, password) else {
        return Err(ApiError::BadRequest(
            "a new admin needs --email and a password (MOJI_ADMIN_PASSWORD or stdin)".into(),
        ));
    };
    let mut errors = Vec::new();
    let username = validation::username(&name, &mut errors);
    let email = validation::email(email, &mut errors);
    validation::password("password", &password, &mut errors);
    validated(errors)?;
    let hash = moji_auth::hash_password(password, state.settings.auth.bcrypt_cost).await?;
    let new = NewUser {
        id: new_id(),
        display_name: username.clone(),
        username,
        email,
        password_hash: hash,
        role: Role::Admin.as_str().into(),
    };
    state
        .db
        .run(move |c| users::insert(c, &new))
        .await
        .map_err(unique_conflict)
}
