//! [`moji_ann::VectorIndex`] on a Milvus server, for corpora no replica can hold in memory
//! (issue 14, docs/recommend.md "Milvus backend").
//!
//! It speaks Milvus's REST v1 (`/v1/vector/...` on the proxy port, Milvus 2.3 and later) with a
//! blocking [`ureq`] client: call it from a blocking thread (`spawn_blocking`), never from an
//! async task. Tested against Milvus 2.3.5 standalone (`scripts/milvus.sh`).
//!
//! # The collection
//!
//! [`MilvusIndex::connect`] creates the collection when it is missing, with REST v1's quick
//! schema: an auto-generated `Int64` primary key `id`, a `FloatVector(dim)` field `vector` with a
//! COSINE index (Milvus's AUTOINDEX: HNSW; segments under 1,024 rows are searched without it) and
//! dynamic fields, in which each row keeps our item id as `key` (a UUID string) and its `tag`.
//! REST v1 cannot create any other primary key and cannot upsert into an auto-id collection, so:
//!
//! - an upsert inserts the new row, then deletes that key's older rows (`id <` the new one);
//!   until the delete lands a reader may see both, so every read keeps one row per key (the
//!   best-scoring in a search, the newest in [`MilvusIndex::try_get`]); upserts and removes of
//!   one key from one `MilvusIndex` are serialised, and writers in other processes converge to
//!   the row with the highest id;
//! - search filters with Milvus expressions on the dynamic fields (`tag == 3 and key not in
//!   [...]`); more than [`MAX_EXCLUDE_IN_EXPR`] exclusions are applied here instead, after
//!   fetching `k` + that many hits;
//! - scores are Milvus's COSINE "distance", which is the cosine similarity (higher is closer).
//!
//! Reads see writes as the collection's consistency level allows: REST v1 collections are
//! Bounded, so a read may miss writes of the last `common.gracefulTime` ms (5,000 by default;
//! `scripts/milvus.sh` sets 0).

mod error;
mod rest;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use moji_ann::{AnnError, Filter, Hit, VectorIndex};
use serde_json::{json, Value};
use uuid::Uuid;

pub use error::MilvusError;
use rest::Rest;

/// Milvus's largest `limit` of a search and of a query window: larger `k` are cut to it.
pub const MAX_LIMIT: usize = 16_384;
/// Exclusions up to this many go into the search expression; beyond, they are applied here.
pub const MAX_EXCLUDE_IN_EXPR: usize = 1_024;
/// Milvus's largest vector length.
pub const MAX_DIM: usize = 32_768;
/// Rows per insert request of [`MilvusIndex::upsert_many`].
const INSERT_BATCH: usize = 256;
/// How long `connect` waits for the collection to be loaded (after a create or a restart).
const LOAD_WAIT: Duration = Duration::from_secs(60);
/// Locks serialising writes of one key: `id % STRIPES`.
const STRIPES: usize = 64;

const COLLECTIONS: &str = "/v1/vector/collections";
const CREATE: &str = "/v1/vector/collections/create";
const DESCRIBE: &str = "/v1/vector/collections/describe";
const DROP: &str = "/v1/vector/collections/drop";
const INSERT: &str = "/v1/vector/insert";
const DELETE: &str = "/v1/vector/delete";
const SEARCH: &str = "/v1/vector/search";
const QUERY: &str = "/v1/vector/query";

/// Where the index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilvusOptions {
    /// The REST endpoint: Milvus's proxy port, e.g. `http://127.0.0.1:19530` (`https://` works).
    pub url: String,
    /// The collection: ASCII letters, digits and `_`, not starting with a digit, at most 255.
    pub collection: String,
    /// The vector length (at most [`MAX_DIM`]).
    pub dim: usize,
}

/// A [`VectorIndex`] whose items live in one Milvus collection; see the crate documentation.
pub struct MilvusIndex {
    rest: Rest,
    url: String,
    collection: String,
    dim: usize,
    stripes: Vec<Mutex<()>>,
}

impl fmt::Debug for MilvusIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MilvusIndex")
            .field("url", &self.url)
            .field("collection", &self.collection)
            .field("dim", &self.dim)
            .finish_non_exhaustive()
    }
}

/// One row of a search or query answer.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    /// Milvus's primary key (auto-generated, increasing over time).
    pk: i64,
    key: Uuid,
    tag: u8,
    /// Cosine similarity (searches only).
    score: Option<f32>,
    /// The stored vector (queries asking for it only).
    vector: Option<Vec<f32>>,
}

impl MilvusIndex {
    /// Connects to `options.url`, creates the collection if it is missing, waits until it is
    /// loaded (up to a minute) and checks that it is one this backend can use (the quick schema
    /// described above, `dim`-long vectors, COSINE).
    pub fn connect(options: MilvusOptions) -> Result<Self, MilvusError> {
        let url = validate(&options)?;
        let index = MilvusIndex {
            rest: Rest::new(&url),
            url,
            collection: options.collection,
            dim: options.dim,
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        };
        let names = index.rest.get(COLLECTIONS, &[])?;
        let names = names
            .as_array()
            .ok_or_else(|| MilvusError::response(COLLECTIONS, "data is not a list of names"))?;
        if !names
            .iter()
            .any(|n| n.as_str() == Some(index.collection.as_str()))
        {
            let (collection, dim) = (&index.collection, index.dim);
            tracing::info!(%collection, dim, "creating Milvus collection");
            // Creating an existing collection with the same parameters is no error: a replica
            // that loses the race to create it carries on.
            index.rest.post(
                CREATE,
                &json!({
                    "collectionName": index.collection,
                    "dimension": index.dim,
                    "metricType": "COSINE",
                }),
            )?;
        }
        index.wait_loaded()?;
        Ok(index)
    }

    /// The collection's name.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// The vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Inserts or replaces many items, 256 rows a request (the start-up build);
    /// when an id comes twice, its last entry wins.
    pub fn upsert_many(&self, items: &[(Uuid, u8, &[f32])]) -> Result<(), MilvusError> {
        for (_, _, vector) in items {
            check_vector(vector, self.dim)?;
        }
        let mut seen = HashSet::with_capacity(items.len());
        let mut last: Vec<&(Uuid, u8, &[f32])> = items
            .iter()
            .rev()
            .filter(|(id, _, _)| seen.insert(*id))
            .collect();
        last.reverse();
        for chunk in last.chunks(INSERT_BATCH) {
            let mut stripes: Vec<usize> = chunk.iter().map(|(id, _, _)| stripe(id)).collect();
            stripes.sort_unstable();
            stripes.dedup();
            let _guards: Vec<MutexGuard<'_, ()>> =
                stripes.iter().map(|&s| lock(&self.stripes[s])).collect();
            let rows: Vec<Value> = chunk
                .iter()
                .map(|(id, tag, vector)| {
                    json!({"key": id.to_string(), "tag": tag, "vector": vector})
                })
                .collect();
            let data = self.rest.post(
                INSERT,
                &json!({"collectionName": self.collection, "data": rows}),
            )?;
            let first = first_insert_id(&data, chunk.len())?;
            let keys: Vec<Uuid> = chunk.iter().map(|(id, _, _)| *id).collect();
            // The new rows' ids are all >= `first`; every older row of these keys is below it.
            self.delete(&format!("{} and id < {first}", key_in(&keys)))?;
        }
        Ok(())
    }

    /// The item's tag and vector, or `None` when it is not there; errors are reported (the
    /// trait's `get` logs them and answers `None`).
    pub fn try_get(&self, id: Uuid) -> Result<Option<(u8, Vec<f32>)>, MilvusError> {
        let rows = self.query(&key_in(&[id]), &["key", "tag", "vector"], 16)?;
        let Some(newest) = rows.into_iter().max_by_key(|r| r.pk) else {
            return Ok(None);
        };
        match newest.vector {
            Some(vector) if vector.len() == self.dim => Ok(Some((newest.tag, vector))),
            Some(vector) => Err(MilvusError::response(
                QUERY,
                format!(
                    "a {}-component vector in a {}-d collection",
                    vector.len(),
                    self.dim
                ),
            )),
            None => Err(MilvusError::response(QUERY, "no vector in the row")),
        }
    }

    /// The number of rows (Milvus's `count(*)`); errors are reported (the trait's `len` logs them
    /// and answers 0). While an upsert is between its insert and its delete the item counts twice.
    pub fn count(&self) -> Result<usize, MilvusError> {
        let data = self.rest.post(
            QUERY,
            &json!({
                "collectionName": self.collection,
                "filter": "id > 0",
                "outputFields": ["count(*)"],
                // Without it REST v1 pages the query, and Milvus refuses to count a page.
                "limit": 0,
            }),
        )?;
        let count = data
            .as_array()
            .and_then(|rows| rows.first())
            .and_then(|r| r.get("count(*)"));
        count
            .and_then(as_i64)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| MilvusError::response(QUERY, format!("no count in {data}")))
    }

    /// Drops the collection and everything in it (tests, and retiring an index).
    pub fn drop_collection(&self) -> Result<(), MilvusError> {
        self.rest
            .post(DROP, &json!({"collectionName": self.collection}))?;
        Ok(())
    }

    fn wait_loaded(&self) -> Result<(), MilvusError> {
        let started = Instant::now();
        loop {
            let description = self
                .rest
                .get(DESCRIBE, &[("collectionName", self.collection.as_str())])?;
            check_schema(&description, self.dim).map_err(|reason| MilvusError::Schema {
                collection: self.collection.clone(),
                reason,
            })?;
            let state = description
                .get("load")
                .and_then(Value::as_str)
                .unwrap_or("(none)");
            if state == "LoadStateLoaded" {
                return Ok(());
            }
            if started.elapsed() >= LOAD_WAIT {
                return Err(MilvusError::NotLoaded {
                    collection: self.collection.clone(),
                    secs: LOAD_WAIT.as_secs(),
                    state: state.to_owned(),
                });
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    fn try_search(
        &self,
        query: &[f32],
        k: usize,
        filter: &Filter<'_>,
    ) -> Result<Vec<Hit>, MilvusError> {
        check_vector(query, self.dim)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let in_expr = filter.exclude.len() <= MAX_EXCLUDE_IN_EXPR;
        let expr = search_expr(filter.tag, if in_expr { filter.exclude } else { &EMPTY });
        let wanted = if in_expr {
            k
        } else {
            k.saturating_add(filter.exclude.len())
        };
        let mut body = json!({
            "collectionName": self.collection,
            "vector": query,
            "limit": wanted.min(MAX_LIMIT),
            "outputFields": ["key", "tag"],
        });
        if !expr.is_empty() {
            body["filter"] = Value::String(expr);
        }
        let rows = parse_rows(SEARCH, self.rest.post(SEARCH, &body)?)?;
        Ok(best_hits(rows, k, filter))
    }

    fn try_upsert(&self, id: Uuid, tag: u8, vector: &[f32]) -> Result<(), MilvusError> {
        self.upsert_many(&[(id, tag, vector)])
    }

    fn try_remove(&self, id: Uuid) -> Result<bool, MilvusError> {
        let _guard = lock(&self.stripes[stripe(&id)]);
        let expr = key_in(&[id]);
        if self.query(&expr, &["key", "tag"], 1)?.is_empty() {
            return Ok(false);
        }
        self.delete(&expr)?;
        Ok(true)
    }

    fn query(&self, expr: &str, fields: &[&str], limit: usize) -> Result<Vec<Row>, MilvusError> {
        let data = self.rest.post(
            QUERY,
            &json!({
                "collectionName": self.collection,
                "filter": expr,
                "outputFields": fields,
                "limit": limit,
            }),
        )?;
        parse_rows(QUERY, data)
    }

    fn delete(&self, expr: &str) -> Result<(), MilvusError> {
        self.rest.post(
            DELETE,
            &json!({"collectionName": self.collection, "filter": expr}),
        )?;
        Ok(())
    }
}

impl VectorIndex for MilvusIndex {
    fn upsert(&self, id: Uuid, tag: u8, vector: &[f32]) -> Result<(), AnnError> {
        Ok(self.try_upsert(id, tag, vector)?)
    }

    fn remove(&self, id: Uuid) -> Result<bool, AnnError> {
        Ok(self.try_remove(id)?)
    }

    fn search(&self, query: &[f32], k: usize, filter: &Filter<'_>) -> Result<Vec<Hit>, AnnError> {
        Ok(self.try_search(query, k, filter)?)
    }

    /// `None` also when Milvus cannot be asked (logged as a warning): see [`MilvusIndex::try_get`].
    fn get(&self, id: Uuid) -> Option<(u8, Vec<f32>)> {
        self.try_get(id).unwrap_or_else(|e| {
            tracing::warn!(error = %e, %id, "milvus get failed");
            None
        })
    }

    /// 0 also when Milvus cannot be asked (logged as a warning): see [`MilvusIndex::count`].
    fn len(&self) -> usize {
        self.count().unwrap_or_else(|e| {
            tracing::warn!(error = %e, collection = %self.collection, "milvus count failed");
            0
        })
    }
}

static EMPTY: std::sync::LazyLock<HashSet<Uuid>> = std::sync::LazyLock::new(HashSet::new);

/// Checks the options; gives the URL without a trailing slash.
fn validate(options: &MilvusOptions) -> Result<String, MilvusError> {
    let bad = |what: String| Err(MilvusError::Options(what));
    let url = options.url.trim().trim_end_matches('/');
    let authority = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    if authority.is_none_or(|host| host.is_empty() || host.contains(char::is_whitespace)) {
        return bad(format!(
            "url {:?} is not http(s)://host[:port]",
            options.url
        ));
    }
    let name = options.collection.as_str();
    let valid_name = !name.is_empty()
        && name.len() <= 255
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid_name {
        return bad(format!(
            "collection {name:?}: 1-255 ASCII letters, digits and _, not starting with a digit"
        ));
    }
    if options.dim == 0 || options.dim > MAX_DIM {
        return bad(format!("dim {} is not in 1..={MAX_DIM}", options.dim));
    }
    Ok(url.to_owned())
}

/// Whether a `collections/describe` answer is a collection this backend made for `dim`.
fn check_schema(description: &Value, dim: usize) -> Result<(), String> {
    if description
        .get("enableDynamicField")
        .and_then(Value::as_bool)
        != Some(true)
    {
        return Err("dynamic fields are off (this backend keeps key and tag in them)".to_owned());
    }
    let fields = description
        .get("fields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
    };
    let text = |f: &Value, k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match field("id") {
        Some(f)
            if f.get("primaryKey") == Some(&Value::Bool(true)) && text(f, "type") == "Int64" => {}
        _ => return Err("no Int64 primary key named id".to_owned()),
    }
    let expected = format!("FloatVector({dim})");
    match field("vector") {
        Some(f) if text(f, "type") == expected => {}
        Some(f) => return Err(format!("vector is {}, not {expected}", text(f, "type"))),
        None => return Err("no field named vector".to_owned()),
    }
    let indexes = description
        .get("indexes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let metric = indexes
        .iter()
        .find(|i| i.get("fieldName").and_then(Value::as_str) == Some("vector"))
        .map(|i| text(i, "metricType"));
    match metric.as_deref() {
        Some("COSINE") => Ok(()),
        Some(other) => Err(format!("the vector index's metric is {other}, not COSINE")),
        None => Err("the vector field has no index".to_owned()),
    }
}

/// `key in ["…", "…"]`: the rows of these items.
fn key_in(ids: &[Uuid]) -> String {
    format!("key in [{}]", quoted(ids.iter()))
}

/// The search expression for a tag and the exclusions it carries ("" for no restriction).
fn search_expr(tag: Option<u8>, exclude: &HashSet<Uuid>) -> String {
    let mut parts = Vec::new();
    if let Some(tag) = tag {
        parts.push(format!("tag == {tag}"));
    }
    if !exclude.is_empty() {
        let mut ids: Vec<&Uuid> = exclude.iter().collect();
        ids.sort_unstable();
        parts.push(format!("key not in [{}]", quoted(ids.into_iter())));
    }
    parts.join(" and ")
}

/// UUIDs as a comma-separated list of string literals (hyphenated hex needs no escaping).
fn quoted<'a>(ids: impl Iterator<Item = &'a Uuid>) -> String {
    ids.map(|id| format!("\"{id}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `id` of the first row of an insert answer (the others follow it), checking the count.
fn first_insert_id(data: &Value, expected: usize) -> Result<i64, MilvusError> {
    let ids = data.get("insertIds").and_then(Value::as_array);
    let ids: Option<Vec<i64>> = ids.and_then(|ids| ids.iter().map(as_i64).collect());
    match ids {
        Some(ids) if ids.len() == expected => ids
            .into_iter()
            .min()
            .ok_or_else(|| MilvusError::response(INSERT, "no insertIds")),
        _ => Err(MilvusError::response(
            INSERT,
            format!("expected {expected} insertIds in {}", shorten(data)),
        )),
    }
}

/// Rows of a search or query answer (a list of objects with `id`, `key`, `tag` and, when asked
/// for, `distance` and `vector`).
fn parse_rows(path: &'static str, data: Value) -> Result<Vec<Row>, MilvusError> {
    let Value::Array(items) = data else {
        return Err(MilvusError::response(
            path,
            format!("data is not a list: {}", shorten(&data)),
        ));
    };
    items
        .into_iter()
        .map(|item| {
            let bad =
                |what: &str| MilvusError::response(path, format!("{what} in {}", shorten(&item)));
            let pk = item
                .get("id")
                .and_then(as_i64)
                .ok_or_else(|| bad("no id"))?;
            let key = item
                .get("key")
                .and_then(Value::as_str)
                .and_then(|k| Uuid::parse_str(k).ok());
            let key = key.ok_or_else(|| bad("no UUID key"))?;
            let tag = item
                .get("tag")
                .and_then(Value::as_u64)
                .and_then(|t| u8::try_from(t).ok());
            let tag = tag.ok_or_else(|| bad("no tag 0-255"))?;
            let score = match item.get("distance") {
                Some(d) => Some(
                    d.as_f64()
                        .ok_or_else(|| bad("a distance that is no number"))?
                        as f32,
                ),
                None => None,
            };
            let vector = match item.get("vector") {
                Some(Value::Array(xs)) => Some(
                    xs.iter()
                        .map(|x| x.as_f64().map(|x| x as f32))
                        .collect::<Option<Vec<f32>>>()
                        .ok_or_else(|| bad("a vector component that is no number"))?,
                ),
                Some(_) => return Err(bad("a vector that is no list")),
                None => None,
            };
            Ok(Row {
                pk,
                key,
                tag,
                score,
                vector,
            })
        })
        .collect()
}

/// The `k` best rows that pass `filter`, one per key, closest first.
fn best_hits(mut rows: Vec<Row>, k: usize, filter: &Filter<'_>) -> Vec<Hit> {
    let score = |r: &Row| r.score.unwrap_or(f32::NEG_INFINITY);
    rows.sort_by(|a, b| score(b).total_cmp(&score(a)).then(b.pk.cmp(&a.pk)));
    let mut seen = HashSet::with_capacity(rows.len());
    rows.into_iter()
        .filter(|r| filter.allows(&r.key, r.tag) && seen.insert(r.key))
        .take(k)
        .map(|r| Hit {
            id: r.key,
            tag: r.tag,
            score: score(&r),
        })
        .collect()
}

/// An Int64 as Milvus writes it: a JSON string (REST v1's ids and counts) or a number.
fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.parse().ok(),
        other => other.as_i64(),
    }
}

fn shorten(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// Checks a vector's length and that it is finite and not zero.
fn check_vector(vector: &[f32], dim: usize) -> Result<(), MilvusError> {
    if vector.len() != dim {
        return Err(MilvusError::Dimension {
            expected: dim,
            got: vector.len(),
        });
    }
    if vector.iter().any(|x| !x.is_finite()) {
        return Err(MilvusError::InvalidVector("a component is not finite"));
    }
    if vector.iter().all(|&x| x == 0.0) {
        return Err(MilvusError::InvalidVector(
            "the zero vector has no direction",
        ));
    }
    Ok(())
}

fn stripe(id: &Uuid) -> usize {
    (id.as_u128() % STRIPES as u128) as usize
}

/// A stripe lock guards no data, so one a panicking holder poisoned is as good as new.
fn lock(mutex: &Mutex<()>) -> MutexGuard<'_, ()> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
