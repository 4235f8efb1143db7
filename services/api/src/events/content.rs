//! `content.created|updated|deleted` of posts (products and profiles follow the same shape).

use chrono::Utc;
use moji_common::messages::{
    ContentCreatedV1, ContentDeletedV1, ContentDocument, ContentKind, ContentUpdatedV1,
};
use moji_db::{
    outbox::{Exchange, Message},
    posts::PostRow,
};

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

/// `content.created` for a post that just became visible (nothing while it is pending).
pub fn post_created(row: &PostRow) -> Vec<Message> {
    if row.status != "published" {
        return Vec::new();
    }
    vec![message(
        Exchange::Events,
        row.id,
        ContentCreatedV1 {
            content: post_document(row),
        },
    )]
}

/// `content.updated` for an edited post that others can see.
pub fn post_updated(row: &PostRow) -> Vec<Message> {
    if row.status != "published" {
        return Vec::new();
    }
    vec![message(
        Exchange::Events,
        row.id,
        ContentUpdatedV1 {
            content: post_document(row),
        },
    )]
}

/// `content.deleted` for a deleted post that had been announced.
pub fn post_deleted(row: &PostRow) -> Vec<Message> {
    if row.status != "published" {
        return Vec::new();
    }
    vec![message(
        Exchange::Events,
        row.id,
        ContentDeletedV1 {
            kind: ContentKind::Post,
            id: row.id,
            owner_id: row.author_id,
            deleted_at: Utc::now(),
        },
    )]
}
