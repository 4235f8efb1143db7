//! `content.created|updated|deleted` of posts and products: the recommendation service's
//! view of what is visible. Only published content is announced.

use chrono::{DateTime, Utc};
use moji_common::messages::{
    ContentCreatedV1, ContentDeletedV1, ContentDocument, ContentKind, ContentUpdatedV1,
};
use moji_db::{
    media::Published,
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

fn created(status: &str, doc: impl FnOnce() -> ContentDocument) -> Vec<Message> {
    if status != "published" {
        return Vec::new();
    }
    let content = doc();
    vec![message(
        Exchange::Events,
        content.id,
        ContentCreatedV1 { content },
    )]
}

fn updated(status: &str, doc: impl FnOnce() -> ContentDocument) -> Vec<Message> {
    if status != "published" {
        return Vec::new();
    }
    let content = doc();
    vec![message(
        Exchange::Events,
        content.id,
        ContentUpdatedV1 { content },
    )]
}

fn deleted(status: &str, kind: ContentKind, id: Uuid, owner_id: Uuid) -> Vec<Message> {
    if status != "published" {
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
    created(&row.status, || post_document(row))
}

/// `content.updated` for an edited post that others can see.
pub fn post_updated(row: &PostRow) -> Vec<Message> {
    updated(&row.status, || post_document(row))
}

/// `content.deleted` for a deleted post that had been announced.
pub fn post_deleted(row: &PostRow) -> Vec<Message> {
    deleted(&row.status, ContentKind::Post, row.id, row.author_id)
}

/// `content.created` for a product that just became visible.
pub fn product_created(row: &ProductRow) -> Vec<Message> {
    created(&row.status, || product_document(row))
}

/// `content.updated` for an edited visible product.
pub fn product_updated(row: &ProductRow) -> Vec<Message> {
    updated(&row.status, || product_document(row))
}

/// `content.deleted` for a deleted product that had been announced.
pub fn product_deleted(row: &ProductRow) -> Vec<Message> {
    deleted(&row.status, ContentKind::Product, row.id, row.seller_id)
}

/// `content.created` for whatever its last processed image made visible.
pub fn published(p: &Published) -> Vec<Message> {
    match p {
        Published::Post(row) => post_created(row),
        Published::Product(row) => product_created(row),
    }
}
