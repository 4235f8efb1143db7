//! `content.created|updated|deleted` of posts and products: the recommendation service's
//! view of what is visible. Only published content is announced.

use chrono::{DateTime, Utc};
use moji_common::messages::{
    ContentCreatedV1, ContentDeletedV1, ContentDocument, ContentKind, ContentUpdatedV1,
};
use moji_common::Visibility;
use moji_db::{
    emojis::{Emoji, Saved},
    media::Published,
    models::User,
    outbox::{Exchange, Message},
    posts::PostRow,
    products::ProductRow,
};
use uuid::Uuid;

use super::message;

/// The searchable document of a post.
pub fn post_document(row: &PostRow) -> ContentDocument {
    ContentDocument {
        kind: ContentKind::Post,
        id: row.id,
        owner_id: row.author_id,
        title: row.title.clone(),
        text: row.body.clone(),
        tags: row.tags(),
        price: None,
        updated_at: row.updated_at,
    }
}

/// The searchable document of a product.
pub fn product_document(row: &ProductRow) -> ContentDocument {
    ContentDocument {
        kind: ContentKind::Product,
        id: row.id,
        owner_id: row.seller_id,
        title: row.name.clone(),
        text: row.description.clone(),
        tags: Vec::new(),
        price: Some(row.price),
        updated_at: row.updated_at,
    }
}

/// Whether content in this status is announced (pending and failed content is not).
fn visible(status: &str) -> bool {
    status == "published"
}

fn created(visible: bool, doc: impl FnOnce() -> ContentDocument) -> Vec<Message> {
    if !visible {
        return Vec::new();
    }
    let content = doc();
    vec![message(
        Exchange::Events,
        content.id,
        ContentCreatedV1 { content },
    )]
}

fn updated(visible: bool, doc: impl FnOnce() -> ContentDocument) -> Vec<Message> {
    if !visible {
        return Vec::new();
    }
    let content = doc();
    vec![message(
        Exchange::Events,
        content.id,
        ContentUpdatedV1 { content },
    )]
}

fn deleted(visible: bool, kind: ContentKind, id: Uuid, owner_id: Uuid) -> Vec<Message> {
    if !visible {
        return Vec::new();
    }
    let deleted_at: DateTime<Utc> = Utc::now();
    vec![message(
        Exchange::Events,
        id,
        ContentDeletedV1 {
            kind,
            id,
            owner_id,
            deleted_at,
        },
    )]
}

/// `content.created` for a post that just became visible (nothing while it is pending).
pub fn post_created(row: &PostRow) -> Vec<Message> {
    created(visible(&row.status), || post_document(row))
}

/// `content.updated` for an edited post that others can see.
pub fn post_updated(row: &PostRow) -> Vec<Message> {
    updated(visible(&row.status), || post_document(row))
}

/// `content.deleted` for a deleted post that had been announced.
pub fn post_deleted(row: &PostRow) -> Vec<Message> {
    deleted(
        visible(&row.status),
        ContentKind::Post,
        row.id,
        row.author_id,
    )
}

/// `content.created` for a product that just became visible.
pub fn product_created(row: &ProductRow) -> Vec<Message> {
    created(visible(&row.status), || product_document(row))
}

/// `content.updated` for an edited visible product.
pub fn product_updated(row: &ProductRow) -> Vec<Message> {
    updated(visible(&row.status), || product_document(row))
}

/// `content.deleted` for a deleted product that had been announced.
pub fn product_deleted(row: &ProductRow) -> Vec<Message> {
    deleted(
        visible(&row.status),
        ContentKind::Product,
        row.id,
        row.seller_id,
    )
}

/// `content.created` for whatever its last processed image made visible.
pub fn published(p: &Published) -> Vec<Message> {
    match p {
        Published::Post(row) => post_created(row),
        Published::Product(row) => product_created(row),
    }
}

/// The searchable document of a public emoji: its caption, template and expression.
pub fn emoji_document(e: &Emoji) -> ContentDocument {
    ContentDocument {
        kind: ContentKind::Emoji,
        id: e.id,
        owner_id: e.user_id,
        title: e.caption.clone(),
        text: format!("{} {}", e.template.as_str(), e.expression.as_str()),
        tags: Vec::new(),
        price: None,
        updated_at: Utc::now(),
    }
}

/// `content.created` for an emoji saved as public.
pub fn emoji_saved(saved: &Saved) -> Vec<Message> {
    match saved {
        Saved::Created(row) if row.emoji.visibility == Visibility::Public => {
            created(true, || emoji_document(&row.emoji))
        }
        _ => Vec::new(),
    }
}

/// What changing an emoji from `before` to `after` means to others: it appeared (made
/// public), changed (public both times), disappeared (made private) or nothing.
pub fn emoji_changed(before: &Emoji, after: &Emoji) -> Vec<Message> {
    match (before.visibility, after.visibility) {
        (Visibility::Public, Visibility::Public) => updated(true, || emoji_document(after)),
        (Visibility::Private, Visibility::Public) => created(true, || emoji_document(after)),
        (Visibility::Public, Visibility::Private) => {
            deleted(true, ContentKind::Emoji, after.id, after.user_id)
        }
        _ => Vec::new(),
    }
}

/// `content.deleted` for a deleted public emoji.
pub fn emoji_deleted(e: &Emoji) -> Vec<Message> {
    deleted(
        e.visibility == Visibility::Public,
        ContentKind::Emoji,
        e.id,
        e.user_id,
    )
}

/// The searchable document of a profile: display name (and handle) and bio.
pub fn profile_document(u: &User) -> ContentDocument {
    ContentDocument {
        kind: ContentKind::Profile,
        id: u.id,
        owner_id: u.id,
        title: format!("{} @{}", u.display_name, u.username),
        text: u.bio.clone(),
        tags: Vec::new(),
        price: None,
        updated_at: u.updated_at,
    }
}

/// `content.created` for a new account's profile.
pub fn profile_created(u: &User) -> Vec<Message> {
    created(true, || profile_document(u))
}

/// `content.updated` for a changed profile.
pub fn profile_updated(u: &User) -> Vec<Message> {
    updated(true, || profile_document(u))
}

/// `content.deleted` for a deleted account's profile.
pub fn profile_deleted(id: Uuid) -> Vec<Message> {
    deleted(true, ContentKind::Profile, id, id)
}

/// What hiding (`hidden`) or publishing again a moderated post or product means to others:
/// it leaves search and recommendations (`content.deleted`) or comes back (`content.created`).
pub fn moderated(item: &Moderated, hidden: bool) -> Vec<Message> {
    match (item, hidden) {
        (Moderated::Post(row), true) => deleted(true, ContentKind::Post, row.id, row.author_id),
        (Moderated::Product(row), true) => {
            deleted(true, ContentKind::Product, row.id, row.seller_id)
        }
        (Moderated::Post(row), false) => created(true, || post_document(row)),
        (Moderated::Product(row), false) => created(true, || product_document(row)),
    }
}

/// A post or product whose visibility an admin (or the automatic hide) changed.
pub enum Moderated {
    /// A post.
    Post(PostRow),
    /// A product.
    Product(ProductRow),
}
