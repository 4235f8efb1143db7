//! Request and response bodies of the accounts and auth API.

use chrono::{DateTime, Utc};
use moji_db::models::User;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Sign-up form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// 3–30 of `[a-z0-9_]` (upper case is folded), unique case-insensitively.
    #[schema(example = "moji_fan")]
    pub username: String,
    /// Unique e-mail address.
    #[schema(example = "fan@example.com")]
    pub email: String,
    /// At least 10 characters.
    #[schema(example = "correct horse battery")]
    pub password: String,
    /// Name shown to others; defaults to the username.
    #[schema(example = "Moji Fan")]
    pub display_name: Option<String>,
}

/// Login with username or e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or e-mail address.
    #[schema(example = "moji_fan")]
    pub login: String,
    /// Password.
    pub password: String,
}

/// A refresh token to rotate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The current refresh token.
    pub refresh_token: String,
}

/// A token to check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// An access token.
    pub token: String,
}

/// Result of a successful verification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyResponse {
    /// Always true (invalid tokens get 401).
    pub valid: bool,
    /// The token's user.
    pub user_id: Uuid,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

/// Profile change; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// New display name.
    pub display_name: Option<String>,
    /// New bio (≤ 500 characters).
    pub bio: Option<String>,
    /// New e-mail address.
    pub email: Option<String>,
    /// New outside links, replacing the old ones: at most two http(s) addresses (`[]` clears).
    #[schema(example = json!(["https://shop.example.com"]))]
    pub links: Option<Vec<String>>,
    /// The key of an upload (`POST /uploads`) to become your avatar once it is processed, or
    /// `null` to remove it.
    #[serde(default, deserialize_with = "crate::http::params::explicit_null")]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Option<String>>,
}

/// Password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password in use now.
    pub current_password: String,
    /// The new password (≥ 10 characters).
    pub new_password: String,
}

/// Query of the availability check.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AvailabilityQuery {
    /// Username to check.
    pub username: Option<String>,
    /// E-mail address to check.
    pub email: Option<String>,
    /// Display name to check (case-insensitively).
    pub display_name: Option<String>,
}

/// Whether a username / e-mail / display name is still free (null when not asked).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AvailabilityResponse {
    /// Username free?
    pub username_available: Option<bool>,
    /// E-mail free?
    pub email_available: Option<bool>,
    /// Display name free?
    pub display_name_available: Option<bool>,
}

/// The caller's own account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    /// Account id.
    pub id: Uuid,
    /// Handle.
    pub username: String,
    /// E-mail (only ever shown to its owner).
    pub email: String,
    /// Whether that address is verified (the link of the sign-up mail was followed).
    pub email_verified: bool,
    /// Name shown to others.
    pub display_name: String,
    /// Self-description.
    pub bio: String,
    /// `user` or `admin`.
    pub role: String,
    /// Outside links (http/https, at most two).
    pub links: Vec<String>,
    /// Sign-up time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<User> for MeResponse {
    fn from(u: User) -> Self {
        let links = u.links();
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            email_verified: u.email_verified_at.is_some(),
            display_name: u.display_name,
            bio: u.bio,
            role: u.role,
            links,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// What anyone may see of an account (no e-mail).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicProfile {
    /// Account id.
    pub id: Uuid,
    /// Handle.
    pub username: String,
    /// Name shown to others.
    pub display_name: String,
    /// Self-description.
    pub bio: String,
    /// Outside links (http/https, at most two).
    pub links: Vec<String>,
    /// Sign-up time.
    pub created_at: DateTime<Utc>,
    /// People who follow them.
    pub followers: i64,
    /// People they follow.
    pub following: i64,
    /// Whether the caller follows them (false when anonymous or for yourself).
    pub followed_by_me: bool,
    /// Their avatar (links when processed), if they set one.
    pub avatar: Option<crate::uploads::dto::ImageView>,
    /// Published posts.
    pub posts: i64,
    /// Products for sale.
    pub products: i64,
    /// Their latest posts (at most 3; `GET /posts/latest/{username}` has more).
    pub latest_posts: Vec<crate::posts::dto::PostView>,
    /// Their latest products (at most 3; `GET /products/latest/{username}` has more).
    pub latest_products: Vec<crate::products::dto::ProductView>,
}

impl PublicProfile {
    /// The profile of `u` with their follow counts, as `viewer` sees it.
    /// (Avatar, counts and latest items are added by the caller.)
    pub fn new(u: User, counts: moji_db::follows::FollowCounts, followed_by_me: bool) -> Self {
        let links = u.links();
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            bio: u.bio,
            links,
            created_at: u.created_at,
            followers: counts.followers,
            following: counts.following,
            followed_by_me,
            avatar: None,
            posts: 0,
            products: 0,
            latest_posts: Vec::new(),
            latest_products: Vec::new(),
        }
    }
}

/// A token pair and the account it belongs to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// The account.
    pub user: MeResponse,
    /// Short-lived bearer token.
    pub access_token: String,
    /// Single-use token for `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Access-token lifetime in seconds.
    #[schema(example = 900)]
    pub expires_in: u64,
}
