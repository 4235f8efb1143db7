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

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, RwLock,
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use moji_ann::VectorIndex;
use moji_common::{
    messages::{
        ContentCreatedV1, ContentDeletedV1, ContentDocument, ContentKind, ContentUpdatedV1,
    },
    Envelope, MessageType,
};
use moji_db::recommend::{self as db, NewEmbedding};
use moji_mq::FollowEvent;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{error::RecResult, metrics, state::MODEL, RecState};

/// Rows read per page while building.
const BUILD_PAGE: i64 = 2_000;
/// Texts embedded per batch while reconciling or applying events.
const EMBED_BATCH: usize = 32;
/// Events waiting for the applier; past this the queue is dropped and a reconcile fills in.
const EVENT_QUEUE: usize = 10_000;
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

/// The live index, replaceable as a whole when it is rebuilt.
#[derive(Clone)]
pub struct IndexSlot {
    current: Arc<RwLock<Arc<dyn VectorIndex>>>,
}

impl IndexSlot {
    /// A slot holding `index`.
    pub fn new(index: Arc<dyn VectorIndex>) -> Self {
        Self {
            current: Arc::new(RwLock::new(index)),
        }
    }

    /// The index now.
    pub fn get(&self) -> Arc<dyn VectorIndex> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs `job` on the index on a blocking thread: a remote backend (Milvus) blocks on the
    /// network, and even the in-process one should not hold the executor for a big search.
    pub async fn run<T, F>(&self, job: F) -> RecResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn VectorIndex) -> Result<T, moji_ann::AnnError> + Send + 'static,
    {
        let index = self.get();
        tokio::task::spawn_blocking(move || job(index.as_ref()))
            .await
            .map_err(|e| crate::error::RecError::Internal(format!("index task: {e}")))?
            .map_err(Into::into)
    }

    fn replace(&self, index: Arc<dyn VectorIndex>) {
        match self.current.write() {
            Ok(mut guard) => *guard = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
    }
}

/// Where catching up with other replicas' writes starts next.
#[derive(Clone, Default)]
pub struct Watermark(Arc<std::sync::Mutex<Option<DateTime<Utc>>>>);

impl Watermark {
    fn get(&self) -> Option<DateTime<Utc>> {
        self.0.lock().map(|g| *g).unwrap_or(None)
    }
    fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(at);
        }
    }
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
async fn store(state: &RecState, docs: Vec<Doc>) -> RecResult<usize> {
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

async fn remove(state: &RecState, id: Uuid) -> RecResult<bool> {
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
struct Doc {
    id: Uuid,
    kind: &'static str,
    owner_id: Uuid,
    text: String,
    updated_at: DateTime<Utc>,
}

impl Doc {
    fn of_content(c: &ContentDocument) -> Self {
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

async fn reconcile_logged(state: &RecState) {
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

/// What the follower hands the applier.
enum Change {
    /// Created or updated, with when the event occurred.
    Upsert(ContentDocument, DateTime<Utc>, &'static str),
    /// Deleted.
    Delete(Uuid, DateTime<Utc>),
    /// Events may have been missed: reconcile.
    Reconcile,
}

fn decode(routing_key: &str, body: &[u8]) -> Option<Change> {
    match routing_key {
        k if k == ContentCreatedV1::TYPE => {
            serde_json::from_slice::<Envelope<ContentCreatedV1>>(body)
                .ok()
                .filter(Envelope::matches_type)
                .map(|e| Change::Upsert(e.payload.content, e.occurred_at, ContentCreatedV1::TYPE))
        }
        k if k == ContentUpdatedV1::TYPE => {
            serde_json::from_slice::<Envelope<ContentUpdatedV1>>(body)
                .ok()
                .filter(Envelope::matches_type)
                .map(|e| Change::Upsert(e.payload.content, e.occurred_at, ContentUpdatedV1::TYPE))
        }
        k if k == ContentDeletedV1::TYPE => {
            serde_json::from_slice::<Envelope<ContentDeletedV1>>(body)
                .ok()
                .filter(Envelope::matches_type)
                .map(|e| Change::Delete(e.payload.id, e.occurred_at))
        }
        _ => None,
    }
}

fn observe_lag(occurred: DateTime<Utc>) {
    let lag = (Utc::now() - occurred).num_milliseconds().max(0) as f64 / 1000.0;
    metrics::EVENT_LAG.observe(lag);
}

/// Applies queued changes in order, embedding consecutive upserts as one batch.
async fn apply(state: RecState, mut changes: mpsc::Receiver<Change>, overflowed: Arc<AtomicBool>) {
    let mut pending: Vec<(ContentDocument, DateTime<Utc>, &'static str)> = Vec::new();
    loop {
        let first = tokio::select! {
            biased;
            () = state.shutdown.cancelled() => return,
            next = changes.recv() => match next { Some(c) => c, None => return },
        };
        let mut batch = vec![first];
        while batch.len() < EMBED_BATCH {
            match changes.try_recv() {
                Ok(c) => batch.push(c),
                Err(_) => break,
            }
        }
        let mut reconcile_after = overflowed.swap(false, Ordering::AcqRel);
        for change in batch {
            match change {
                Change::Upsert(doc, at, kind) => pending.push((doc, at, kind)),
                Change::Delete(id, at) => {
                    flush(&state, &mut pending).await;
                    match remove(&state, id).await {
                        Ok(_) => {
                            observe_lag(at);
                            metrics::EVENTS
                                .with_label_values(&[ContentDeletedV1::TYPE, "applied"])
                                .inc();
                        }
                        Err(e) => {
                            metrics::EVENTS
                                .with_label_values(&[ContentDeletedV1::TYPE, "failed"])
                                .inc();
                            tracing::warn!(%id, error = %e, "applying a delete failed; reconcile will");
                            reconcile_after = true;
                        }
                    }
                }
                Change::Reconcile => reconcile_after = true,
            }
        }
        if !flush(&state, &mut pending).await {
            reconcile_after = true;
        }
        if reconcile_after {
            reconcile_logged(&state).await;
        }
    }
}

/// Stores the pending upserts; false if that failed (a reconcile will redo them).
async fn flush(
    state: &RecState,
    pending: &mut Vec<(ContentDocument, DateTime<Utc>, &'static str)>,
) -> bool {
    if pending.is_empty() {
        return true;
    }
    let items = std::mem::take(pending);
    let docs = items.iter().map(|(d, _, _)| Doc::of_content(d)).collect();
    match store(state, docs).await {
        Ok(applied) => {
            for (_, at, kind) in &items {
                observe_lag(*at);
                metrics::EVENTS.with_label_values(&[kind, "applied"]).inc();
            }
            let stale = items.len().saturating_sub(applied);
            if stale > 0 {
                tracing::debug!(stale, "older versions skipped");
            }
            true
        }
        Err(e) => {
            for (_, _, kind) in &items {
                metrics::EVENTS.with_label_values(&[kind, "failed"]).inc();
            }
            tracing::warn!(error = %e, events = items.len(), "applying events failed; reconcile will");
            false
        }
    }
}

/// Starts the event follower, the applier and the periodic reconcile; the index must be built.
pub fn spawn(state: &RecState, shutdown: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
    let (tx, rx) = mpsc::channel::<Change>(EVENT_QUEUE);
    let overflowed = Arc::new(AtomicBool::new(false));
    let applier = tokio::spawn(apply(state.clone(), rx, overflowed.clone()));
    let follower = {
        let state = state.clone();
        let shutdown = shutdown.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let topology = state.broker.topology().clone();
            let queue = topology.recommend_replica_queue(&state.replica);
            let bindings: Vec<(String, String)> = [
                ContentCreatedV1::TYPE,
                ContentUpdatedV1::TYPE,
                ContentDeletedV1::TYPE,
            ]
            .into_iter()
            .map(|key| (topology.events_exchange(), key.to_owned()))
            .collect();
            let handler = move |event: FollowEvent| {
                let change = match event {
                    FollowEvent::Resubscribed => Change::Reconcile,
                    FollowEvent::Message(m) => match decode(&m.routing_key, &m.body) {
                        Some(change) => change,
                        None => {
                            metrics::EVENTS
                                .with_label_values(&[m.routing_key.as_str(), "undecodable"])
                                .inc();
                            tracing::warn!(key = %m.routing_key, "undecodable content event");
                            return;
                        }
                    },
                };
                if tx.try_send(change).is_err() {
                    // The applier is far behind: drop, and let a reconcile read PostgreSQL.
                    overflowed.store(true, Ordering::Release);
                    metrics::EVENTS
                        .with_label_values(&["any", "overflow"])
                        .inc();
                }
            };
            if let Err(e) =
                moji_mq::follow(&state.broker, &queue, &bindings, handler, shutdown).await
            {
                tracing::error!(error = %e, "content event follower stopped");
            }
        })
    };
    let periodic = {
        let state = state.clone();
        tokio::spawn(async move {
            let every = Duration::from_secs(state.settings.recommend.reconcile_secs);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                if tx.send(Change::Reconcile).await.is_err() {
                    return;
                }
            }
        })
    };
    vec![applier, follower, periodic]
}
