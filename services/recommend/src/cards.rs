//! What every list answers with: a card per item, with why it was chosen.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use moji_db::recommend::{self as db, CardRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{error::RecResult, RecState};

/// Characters of the body a card shows.
const SNIPPET_CHARS: usize = 160;

/// Who owns an item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Owner {
    /// Account id.
    pub id: Uuid,
    /// Handle.
    pub username: String,
    /// Display name.
    pub display_name: String,
}

/// Why an item is in a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Why {
    /// `matched`, `similar_to`, `because_you_liked`, `because_you_viewed`, `popular` or `latest`.
    pub reason: String,
    /// The item it relates to (similar, liked, viewed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<Uuid>,
    /// That item's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_title: Option<String>,
    /// A sentence for people.
    pub text: String,
}

impl Why {
    /// A reason without a related item.
    pub fn plain(reason: &str, text: &str) -> Self {
        Self {
            reason: reason.to_owned(),
            item_id: None,
            item_title: None,
            text: text.to_owned(),
        }
    }

    /// A reason about another item.
    pub fn about(reason: &str, item_id: Uuid, title: &str) -> Self {
        let text = match reason {
            "because_you_liked" => format!("because you liked “{title}”"),
            "because_you_viewed" => format!("because you looked at “{title}”"),
            _ => format!("similar to “{title}”"),
        };
        Self {
            reason: reason.to_owned(),
            item_id: Some(item_id),
            item_title: Some(title.to_owned()),
            text,
        }
    }
}

/// One item in an answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Card {
    /// `post`, `product`, `emoji` or `user`.
    pub kind: String,
    /// Its id (a user's is the account id).
    pub id: Uuid,
    /// Title, product name, caption or display name.
    pub title: String,
    /// The start of its text.
    pub snippet: String,
    /// Who owns it.
    pub owner: Owner,
    /// Price in KRW (products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// When it appeared.
    pub created_at: DateTime<Utc>,
    /// Rank score of the list (higher is better; comparable within one list only).
    pub score: f64,
    /// Why it was chosen.
    pub why: Why,
    /// Search only: which retrievers found it (`semantic`, `fulltext`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<Vec<String>>,
}

/// The public name of a stored kind.
pub fn public_kind(kind: &str) -> &str {
    if kind == "profile" {
        "user"
    } else {
        kind
    }
}

/// An item chosen for a list, before its card is loaded.
#[derive(Debug, Clone)]
pub struct Pick {
    /// The item.
    pub id: Uuid,
    /// Its score.
    pub score: f64,
    /// Why.
    pub why: Why,
    /// Search retrievers that found it.
    pub matched_by: Option<Vec<String>>,
}

fn card(row: CardRow, pick: Pick) -> Card {
    let snippet: String = row.body.chars().take(SNIPPET_CHARS).collect();
    Card {
        kind: public_kind(&row.kind).to_owned(),
        id: row.id,
        title: row.title,
        snippet,
        owner: Owner {
            id: row.owner_id,
            username: row.username,
            display_name: row.display_name,
        },
        price: row.price,
        created_at: row.created_at,
        score: pick.score,
        why: pick.why,
        matched_by: pick.matched_by,
    }
}

/// Cards of `picks` in their order, leaving out what is not visible (any more) and, when
/// `not_owned_by` is set, that person's own items.
pub async fn load(
    state: &RecState,
    picks: Vec<Pick>,
    not_owned_by: Option<Uuid>,
) -> RecResult<Vec<Card>> {
    let ids: Vec<Uuid> = picks.iter().map(|p| p.id).collect();
    let rows = state.db.run(move |c| db::cards(c, &ids)).await?;
    let mut by_id: HashMap<Uuid, CardRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    Ok(picks
        .into_iter()
        .filter_map(|p| by_id.remove(&p.id).map(|row| (row, p)))
        .filter(|(row, _)| not_owned_by.is_none_or(|me| row.owner_id != me))
        .map(|(row, p)| card(row, p))
        .collect())
}

/// Titles of visible items, for reasons.
pub async fn titles(state: &RecState, ids: Vec<Uuid>) -> RecResult<HashMap<Uuid, String>> {
    let rows = state.db.run(move |c| db::cards(c, &ids)).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.title)).collect())
}

/// `?size=` of lists: 1..=50, default 20.
pub fn size_of(size: Option<u32>, errors: &mut Vec<moji_telemetry::FieldError>) -> usize {
    let size = size.unwrap_or(20);
    if !(1..=MAX_SIZE).contains(&size) {
        errors.push(moji_telemetry::FieldError::new(
            "size",
            format!("1 to {MAX_SIZE}"),
        ));
    }
    size.clamp(1, MAX_SIZE) as usize
}

/// Largest page of any list.
pub const MAX_SIZE: u32 = 50;
