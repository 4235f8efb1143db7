//! Keeps the in-memory index equal to PostgreSQL, and PostgreSQL equal to what is visible.
//!
//! - At start the index is built from `item_embeddings` (the system of record).
//! - `content.created|updated|deleted` events arrive on this replica's own transient queue
//!   (`recommend.<replica>`); each is embedded, written to PostgreSQL (an older version never
//!   overwrites a newer one) and applied to the index.
//! - A reconcile pass, at start, every `recommend.reconcile_secs`, after the event queue was lost
//!   and after an overflow, embeds visible content whose embedding is missing or stale,
//!   removes embeddings of content no longer visible, and applies whatever other replicas
//!   wrote meanwhile. So a lost event delays an item, it never loses it; and results are
//!   filtered by visibility when they are read, so a deleted item never shows even before that.

use std::time::Instant;

use chrono::{DateTime, Utc};
use moji_common::messages::{ContentDocument, ContentKind};
use moji_db::recommend::{self as db, NewEmbedding};
use uuid::Uuid;

use crate::{error::RecResult, metrics, state::MODEL, RecState};

mod events;
mod slot;

pub use events::spawn;
pub use slot::{IndexSlot, Watermark};

/// Rows read per page while building.
const BUILD_PAGE: i64 = 2_000;
/// Texts embedded per batch while reconciling or applying events.
pub(crate) const EMBED_BATCH: usize = 32;
/// How far back catching up re-reads, for writes whose transaction committed after a later one.
const CATCH_UP_SLACK: chrono::Duration = chrono::Duration::seconds(30);

/// The tag of a kind in the index.
pub fn kind_tag(kind: &str) -> u8 {
    match kind {
        "post" => 0,
        "product" => 1,
        "emoji" => 2,
        _ => 3,
    }
}

/// The kind of an index tag.
pub fn tag_kind(tag: u8) -> &'static str {
    match tag {
        0 => "post",
        1 => "product",
        2 => "emoji",
        _ => "profile",
    }
}

fn content_kind(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Post => "post",
        ContentKind::Product => "product",
        ContentKind::Emoji => "emoji",
        ContentKind::Profile => "profile",
    }
}

/// The text an item is embedded from: title, body and tags, as the api's documents hold them.
pub fn document_text(title: &str, body: &str, tags: &str) -> String {
    let mut text = String::with_capacity(title.len() + body.len() + tags.len() + 2);
    for part in [title.trim(), body.trim(), tags.trim()] {
        if part.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(part);
    }
    text
}

/// Builds a fresh index from PostgreSQL and puts it in place; returns its size.
pub async fn build(state: &RecState) -> RecResult<usize> {
    let started = Instant::now();
    let since = Utc::now() - CATCH_UP_SLACK;
    let fresh = state.new_index()?;
    let mut counts = [0i64; 4];
    let mut after = None;
    if state.shared_index() {
        // A shared server outlives replicas: load it only when it disagrees with PostgreSQL.
        let stored = state.db.run(db::embedding_count).await?;
        let held = {
            let index = fresh.clone();
            tokio::task::spawn_blocking(move || index.len())
                .await
                .map_err(|e| crate::error::RecError::Internal(format!("index task: {e}")))?
        };
        if usize::try_from(stored).ok() == Some(held) {
            state.index.replace(fresh);
            state.watermark.set(since);
            metrics::BUILD_SECONDS.set(started.elapsed().as_secs_f64());
            return Ok(held);
        }
    }
    loop {
        let page = state
            .db
            .run(move |c| db::embeddings_page(c, after, BUILD_PAGE))
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let index = fresh.clone();
        let added = tokio::task::spawn_blocking(move || -> RecResult<Vec<u8>> {
            let mut tags = Vec::with_capacity(page.len());
            for row in &page {
                let tag = kind_tag(&row.kind);
                index.upsert(row.id, tag, &row.embedding)?;
                tags.push(tag);
            }
            Ok(tags)
        })
        .await
        .map_err(|e| crate::error::RecError::Internal(format!("build task: {e}")))??;
        for tag in added {
            counts[usize::from(tag.min(3))] += 1;
        }
    }
    let size = fresh.len();
    state.index.replace(fresh);
    state.watermark.set(since);
    for (tag, n) in counts.iter().enumerate() {
        metrics::INDEX_ITEMS
            .with_label_values(&[tag_kind(tag as u8)])
            .set(*n);
    }
    metrics::BUILD_SECONDS.set(started.elapsed().as_secs_f64());
    tracing::info!(
        items = size,
        secs = started.elapsed().as_secs_f64(),
        "index built"
    );
    Ok(size)
}

/// Applies embeddings other replicas wrote since the watermark; rebuilds when the index and
/// PostgreSQL disagree on the count (a missed delete).
async fn catch_up(state: &RecState) -> RecResult<()> {
    let Some(mut since) = state.watermark.get() else {
        build(state).await?;
        return Ok(());
    };
    let next_mark = Utc::now() - CATCH_UP_SLACK;
    let mut after = None;
    loop {
        let from = since;
        let rows = state
            .db
            .run(move |c| db::embeddings_since(c, from, after, BUILD_PAGE))
            .await?;
        let Some((last, at)) = rows.last() else { break };
        (since, after) = (*at, Some(last.id));
        let full = rows.len() == BUILD_PAGE as usize;
        state
            .index
            .run(move |index| {
                for (row, _) in &rows {
                    index.upsert(row.id, kind_tag(&row.kind), &row.embedding)?;
                }
                Ok(())
            })
            .await?;
        if !full {
            break;
        }
    }
    state.watermark.set(next_mark);
    let stored = state.db.run(db::embedding_count).await?;
    let indexed = state.index.run(|index| Ok(index.len())).await?;
    if usize::try_from(stored).unwrap_or(usize::MAX) != indexed {
        tracing::info!(stored, indexed, "index and database differ: rebuilding");
        build(state).await?;
    }
    Ok(())
}

/// Embeds `docs` and writes them to PostgreSQL and the index; returns how many were applied
/// (the others were older than what is stored).
pub(crate) async fn store(state: &RecState, docs: Vec<Doc>) -> RecResult<usize> {
    if docs.is_empty() {
        return Ok(0);
    }
    let texts: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
    let started = Instant::now();
    let vectors = state.embed.embed(texts).await?;
    metrics::EMBED.observe(started.elapsed().as_secs_f64());
    metrics::EMBEDDED.inc_by(docs.len() as u64);
    let rows: Vec<NewEmbedding> = docs
        .iter()
        .zip(vectors)
        .map(|(d, v)| NewEmbedding {
            id: d.id,
            kind: d.kind.to_owned(),
            owner_id: d.owner_id,
            embedding: v,
            model: MODEL.to_owned(),
            source_updated_at: d.updated_at,
        })
        .collect();
    let written = state
        .db
        .run(move |c| {
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let applied = db::upsert_embedding(c, &row)?;
                out.push((row, applied));
            }
            Ok(out)
        })
        .await?;
    let added = state
        .index
        .run(move |index| {
            let mut added = Vec::new();
            for (row, ok) in written {
                if ok {
                    let was = index.get(row.id).is_some();
                    index.upsert(row.id, kind_tag(&row.kind), &row.embedding)?;
                    added.push((row.kind, !was));
                }
            }
            Ok(added)
        })
        .await?;
    for (kind, new) in &added {
        if *new {
            metrics::INDEX_ITEMS.with_label_values(&[kind]).inc();
        }
    }
    Ok(added.len())
}

pub(crate) async fn remove(state: &RecState, id: Uuid) -> RecResult<bool> {
    let removed = state.db.run(move |c| db::delete_embedding(c, id)).await?;
    let tag = state
        .index
        .run(move |index| {
            let tag = index.get(id).map(|(tag, _)| tag);
            if tag.is_some() {
                index.remove(id)?;
            }
            Ok(tag)
        })
        .await?;
    if let Some(tag) = tag {
        metrics::INDEX_ITEMS
            .with_label_values(&[tag_kind(tag)])
            .dec();
    }
    Ok(removed)
}

/// One item to embed.
pub(crate) struct Doc {
    id: Uuid,
    kind: &'static str,
    owner_id: Uuid,
    text: String,
    updated_at: DateTime<Utc>,
}

impl Doc {
    pub(crate) fn of_content(c: &ContentDocument) -> Self {
        Self {
            id: c.id,
            kind: content_kind(c.kind),
            owner_id: c.owner_id,
            text: document_text(&c.title, &c.text, &c.tags.join(" ")),
            updated_at: c.updated_at,
        }
    }
}

/// Embeds what is visible but missing or stale, removes what is no longer visible, then
/// catches up with other replicas. Returns `(embedded, removed)`.
pub async fn reconcile(state: &RecState) -> RecResult<(usize, usize)> {
    let (mut embedded, mut removed) = (0, 0);
    loop {
        let stale = state
            .db
            .run(|c| db::stale_documents(c, MODEL, EMBED_BATCH as i64))
            .await?;
        if stale.is_empty() {
            break;
        }
        let n = stale.len();
        let docs = stale
            .into_iter()
            .map(|s| Doc {
                id: s.id,
                kind: tag_kind(kind_tag(&s.kind)),
                owner_id: s.owner_id,
                text: document_text(&s.title, &s.body, &s.tags),
                updated_at: s.updated_at,
            })
            .collect();
        embedded += store(state, docs).await?;
        if n < EMBED_BATCH {
            break;
        }
        if state.shutdown.is_cancelled() {
            return Ok((embedded, removed));
        }
    }
    loop {
        let orphans = state.db.run(|c| db::orphan_embeddings(c, 500)).await?;
        if orphans.is_empty() {
            break;
        }
        for id in &orphans {
            if remove(state, *id).await? {
                removed += 1;
            }
        }
        if orphans.len() < 500 {
            break;
        }
    }
    catch_up(state).await?;
    Ok((embedded, removed))
}

pub(crate) async fn reconcile_logged(state: &RecState) {
    match reconcile(state).await {
        Ok((embedded, removed)) => {
            metrics::RECONCILES.with_label_values(&["ok"]).inc();
            if embedded + removed > 0 {
                tracing::info!(embedded, removed, "reconciled with PostgreSQL");
            }
        }
        Err(e) => {
            metrics::RECONCILES.with_label_values(&["failed"]).inc();
            tracing::warn!(error = %e, "reconcile failed; retrying at the next pass");
        }
    }
}
