//! Approximate nearest neighbours for recommendation (issue 14, docs/recommend.md).
//!
//! Items are keyed by [`Uuid`] and carry a small `tag` (content kind) for filtered search. Two
//! implementations of [`VectorIndex`]: [`HnswIndex`] (usearch's HNSW graph, cosine metric, f32
//! or f16 storage, growing by reservation, snapshots with `save`/`load`) and [`ExactIndex`]
//! (brute force: the ground truth of tests and benchmarks). Scores are cosine similarities.

mod error;
pub mod exact;
mod hnsw;
mod keys;
pub mod synthetic;

use std::collections::HashSet;
use std::sync::OnceLock;

use uuid::Uuid;

pub use error::AnnError;
pub use exact::ExactIndex;
pub use hnsw::HnswIndex;

/// One search result: the item, its tag and its cosine similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The item's id.
    pub id: Uuid,
    /// The item's tag (content kind), as given to `upsert`.
    pub tag: u8,
    /// Cosine similarity to the query, in [-1, 1] (higher is closer).
    pub score: f32,
}

/// Restricts a search: only items with `tag` (when set), never the items in `exclude`.
#[derive(Debug, Clone, Copy)]
pub struct Filter<'a> {
    /// Only items with this tag, or any tag when `None`.
    pub tag: Option<u8>,
    /// Items never returned (already seen, the query item itself, ...).
    pub exclude: &'a HashSet<Uuid>,
}

impl Filter<'static> {
    /// No restriction: any tag, nothing excluded.
    pub fn any() -> Self {
        Filter {
            tag: None,
            exclude: empty_set(),
        }
    }

    /// Only items with `tag`, nothing excluded.
    pub fn tagged(tag: u8) -> Self {
        Filter {
            tag: Some(tag),
            exclude: empty_set(),
        }
    }
}

impl<'a> Filter<'a> {
    /// Whether an item passes the filter.
    pub fn allows(&self, id: &Uuid, tag: u8) -> bool {
        self.tag.is_none_or(|t| t == tag) && !self.exclude.contains(id)
    }
}

fn empty_set() -> &'static HashSet<Uuid> {
    static EMPTY: OnceLock<HashSet<Uuid>> = OnceLock::new();
    EMPTY.get_or_init(HashSet::new)
}

/// A vector index keyed by `Uuid`; every method may be called from many threads at once.
pub trait VectorIndex: Send + Sync {
    /// Inserts the item, or replaces its tag and vector when the id is already there.
    fn upsert(&self, id: Uuid, tag: u8, vector: &[f32]) -> Result<(), AnnError>;
    /// Removes the item; `false` when it was not there. A removed id is never returned again.
    fn remove(&self, id: Uuid) -> Result<bool, AnnError>;
    /// The `k` items closest to `query` (cosine) that pass `filter`, closest first.
    fn search(&self, query: &[f32], k: usize, filter: &Filter<'_>) -> Result<Vec<Hit>, AnnError>;
    /// The item's tag and stored vector (f16 storage gives the vector back rounded).
    fn get(&self, id: Uuid) -> Option<(u8, Vec<f32>)>;
    /// The number of items.
    fn len(&self) -> usize;
    /// Whether the index holds no item.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How [`HnswIndex`] stores vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantization {
    /// 4 bytes a component: exact.
    F32,
    /// 2 bytes a component: half the vector memory; unit vectors lose about 1e-3 of precision.
    F16,
}

impl Quantization {
    /// The lowercase name (`f32`, `f16`).
    pub fn as_str(self) -> &'static str {
        match self {
            Quantization::F32 => "f32",
            Quantization::F16 => "f16",
        }
    }
}

impl std::str::FromStr for Quantization {
    type Err = AnnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Quantization::F32),
            "f16" => Ok(Quantization::F16),
            other => Err(AnnError::Options(format!(
                "unknown quantization {other:?} (f32 or f16)"
            ))),
        }
    }
}

/// The settings of an [`HnswIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexOptions {
    /// Vector length.
    pub dim: usize,
    /// Graph degree (HNSW `M`): more is better recall and more memory.
    pub connectivity: usize,
    /// Candidate list length while inserting (HNSW `efConstruction`).
    pub expansion_add: usize,
    /// Candidate list length while searching (HNSW `ef`), at least `k` in effect.
    pub expansion_search: usize,
    /// How vectors are stored.
    pub quantization: Quantization,
    /// Operations (searches and upserts) run inside the index at once; more callers wait their
    /// turn in arrival order. The cores is best: more only time-slices searches on the cores.
    pub threads: usize,
    /// Items reserved up front (the index grows by doubling past it).
    pub initial_capacity: usize,
}

impl IndexOptions {
    /// The defaults for `dim`-long vectors: M 16, ef_add 128, ef 64, f32, a thread a core.
    pub fn new(dim: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        IndexOptions {
            dim,
            connectivity: 16,
            expansion_add: 128,
            expansion_search: 64,
            quantization: Quantization::F32,
            threads: cores,
            initial_capacity: 1024,
        }
    }

    fn validate(&self) -> Result<(), AnnError> {
        let bad = |what: &str| Err(AnnError::Options(what.to_owned()));
        if self.dim == 0 {
            return bad("dim must be positive");
        }
        if self.connectivity < 2 {
            return bad("connectivity must be at least 2");
        }
        if self.expansion_add == 0 || self.expansion_search == 0 {
            return bad("expansion_add and expansion_search must be positive");
        }
        if self.threads == 0 {
            return bad("threads must be positive");
        }
        Ok(())
    }
}

/// Checks a vector's length and that it is finite and not zero; gives its L2 norm.
pub(crate) fn check_vector(vector: &[f32], dim: usize) -> Result<f32, AnnError> {
    if vector.len() != dim {
        return Err(AnnError::Dimension {
            expected: dim,
            got: vector.len(),
        });
    }
    let mut sum = 0.0f64;
    for &x in vector {
        if !x.is_finite() {
            return Err(AnnError::InvalidVector("a component is not finite"));
        }
        sum += f64::from(x) * f64::from(x);
    }
    if sum == 0.0 {
        return Err(AnnError::InvalidVector("the zero vector has no direction"));
    }
    Ok(sum.sqrt() as f32)
}

/// Recovers a lock whose holder panicked: every critical section here leaves the state usable.
pub(crate) fn read<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The write side of [`read`].
pub(crate) fn write<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
