//! Bodies of the follows endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::PageOf;

/// The caller's follow of someone, after a follow or unfollow.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FollowState {
    /// Whose follow this is about.
    pub username: String,
    /// Whether the caller follows them now.
    pub followed_by_me: bool,
    /// Their followers now.
    pub followers: i64,
    /// How many they follow.
    pub following: i64,
}

/// A person in a followers or following list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Person {
    /// Handle (links to `/users/{username}`).
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// When this follow began.
    pub since: DateTime<Utc>,
    /// Whether the caller follows this person (false when anonymous).
    pub followed_by_me: bool,
    /// Account id.
    pub id: Uuid,
}

/// A page of people.
pub type PersonPage = PageOf<Person>;
