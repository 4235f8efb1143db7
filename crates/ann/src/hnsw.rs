//! [`HnswIndex`]: usearch's HNSW graph behind [`VectorIndex`].
//!
//! Locks, always taken in this order: `index` (read for every operation, write only to grow,
//! replace or snapshot it), then `keys`. usearch itself runs concurrent adds, removes and
//! searches, each on one of its `threads` per-thread contexts; `slots` makes extra callers wait
//! for a context rather than fail. An upsert adds the vector under a fresh key, binds the id
//! to it and only then removes the old key, so a search sees the old vector or the new one,
//! and a key that is no longer bound (replaced or removed) is dropped from results. Adds and
//! searches take turns (`sync::Turns`): usearch's searches are not safe against an add that
//! raises the graph's top level.

use std::collections::HashSet;
use std::path::Path;
use std::sync::RwLock;

use usearch::{Index, MetricKind, ScalarKind};
use uuid::Uuid;

use self::sync::{Side, Slots, Turns};
use crate::keys::{tag_of, KeyMap};
use crate::{
    check_vector, read, write, AnnError, Filter, Hit, IndexOptions, Quantization, VectorIndex,
};

/// File names inside a snapshot directory.
const INDEX_FILE: &str = "index.usearch";
const KEYS_FILE: &str = "keys.bin";

/// An HNSW graph (usearch) with cosine distance; see the module docs for its locking.
pub struct HnswIndex {
    options: IndexOptions,
    index: RwLock<Index>,
    keys: RwLock<KeyMap>,
    slots: Slots,
    turns: Turns,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("options", &self.options)
            .field("len", &self.len())
            .finish()
    }
}

impl HnswIndex {
    /// An empty index.
    pub fn new(options: IndexOptions) -> Result<Self, AnnError> {
        options.validate()?;
        let index = native(&options)?;
        index
            .reserve_capacity_and_threads(
                options.initial_capacity.max(options.threads),
                options.threads,
            )
            .map_err(AnnError::usearch)?;
        Ok(HnswIndex {
            options,
            index: RwLock::new(index),
            keys: RwLock::new(KeyMap::default()),
            slots: Slots::new(options.threads),
            turns: Turns::new(),
        })
    }

    /// The options it was made with (`expansion_search` as last set).
    pub fn options(&self) -> IndexOptions {
        let mut options = self.options;
        options.expansion_search = read(&self.index).expansion_search();
        options
    }

    /// Items it can hold before it grows again.
    pub fn capacity(&self) -> usize {
        read(&self.index).capacity()
    }

    /// Bytes usearch holds for the graph and the vectors (the key map is not counted).
    pub fn memory_usage(&self) -> usize {
        read(&self.index).memory_usage()
    }

    /// The SIMD kernels usearch chose on this machine (e.g. `skylake`, `sapphire`, `serial`).
    pub fn hardware_acceleration(&self) -> String {
        read(&self.index).hardware_acceleration()
    }

    /// Reserves room for `items` items (and `threads` callers) now, so upserts never wait to grow.
    pub fn reserve(&self, items: usize) -> Result<(), AnnError> {
        let index = write(&self.index);
        if items > index.capacity() {
            index
                .reserve_capacity_and_threads(items, self.options.threads)
                .map_err(AnnError::usearch)?;
        }
        Ok(())
    }

    /// Changes the search candidate list length (HNSW `ef`): the recall/speed trade-off.
    pub fn set_expansion_search(&self, expansion: usize) {
        write(&self.index).change_expansion_search(expansion.max(1));
    }

    /// Removes every item and gives the memory back.
    pub fn clear(&self) -> Result<(), AnnError> {
        let fresh = native(&self.options)?;
        fresh
            .reserve_capacity_and_threads(
                self.options.initial_capacity.max(self.options.threads),
                self.options.threads,
            )
            .map_err(AnnError::usearch)?;
        let mut index = write(&self.index);
        fresh.change_expansion_search(index.expansion_search());
        *index = fresh;
        *write(&self.keys) = KeyMap::default();
        Ok(())
    }

    /// Writes a snapshot into directory `dir` (created if needed): the graph in `index.usearch`,
    /// the id map in `keys.bin`. Upserts and searches wait while it is written.
    pub fn save(&self, dir: &Path) -> Result<(), AnnError> {
        std::fs::create_dir_all(dir).map_err(AnnError::io(dir))?;
        let index_tmp = dir.join(format!("{INDEX_FILE}.tmp"));
        let keys_tmp = dir.join(format!("{KEYS_FILE}.tmp"));
        {
            let index = write(&self.index);
            let keys = read(&self.keys);
            index.save(utf8(&index_tmp)?).map_err(AnnError::usearch)?;
            keys.save(&keys_tmp, self.options.dim)?;
        }
        for (tmp, name) in [(&index_tmp, INDEX_FILE), (&keys_tmp, KEYS_FILE)] {
            let path = dir.join(name);
            std::fs::rename(tmp, &path).map_err(AnnError::io(path))?;
        }
        Ok(())
    }

    /// Reads a snapshot that [`HnswIndex::save`] wrote; `options` must agree on `dim` and
    /// `quantization` (the graph's connectivity is the snapshot's).
    pub fn load(dir: &Path, options: IndexOptions) -> Result<Self, AnnError> {
        options.validate()?;
        let index_path = dir.join(INDEX_FILE);
        let keys_path = dir.join(KEYS_FILE);
        if !index_path.is_file() {
            return Err(AnnError::snapshot(&index_path, "missing"));
        }
        let meta = Index::metadata(utf8(&index_path)?).map_err(AnnError::usearch)?;
        let stored = match meta.quantization {
            ScalarKind::F32 => Quantization::F32,
            ScalarKind::F16 => Quantization::F16,
            _ => {
                return Err(AnnError::snapshot(
                    &index_path,
                    "stored in an unsupported scalar kind",
                ))
            }
        };
        if meta.dimensions != options.dim as u64
            || stored != options.quantization
            || meta.metric != MetricKind::Cos
        {
            return Err(AnnError::Options(format!(
                "the snapshot holds {}-d {} cosine vectors, the options ask for {}-d {}",
                meta.dimensions,
                stored.as_str(),
                options.dim,
                options.quantization.as_str()
            )));
        }
        let index = native(&options)?;
        index.load(utf8(&index_path)?).map_err(AnnError::usearch)?;
        let keys = KeyMap::load(&keys_path, options.dim)?;
        if index.size() != keys.len() || keys.keys().any(|key| !index.contains(key)) {
            return Err(AnnError::snapshot(
                dir,
                "the graph and the key map do not match",
            ));
        }
        let capacity = (index.size() + options.threads).max(options.initial_capacity);
        index
            .reserve_capacity_and_threads(capacity, options.threads)
            .map_err(AnnError::usearch)?;
        index.change_expansion_add(options.expansion_add);
        index.change_expansion_search(options.expansion_search);
        let mut options = options;
        options.connectivity = index.connectivity();
        Ok(HnswIndex {
            options,
            index: RwLock::new(index),
            keys: RwLock::new(keys),
            slots: Slots::new(options.threads),
            turns: Turns::new(),
        })
    }

    /// Doubles the capacity unless another caller already made room for `threads` more adds.
    fn grow(&self) -> Result<(), AnnError> {
        let index = write(&self.index);
        let needed = index.size() + self.options.threads;
        if needed >= index.capacity() {
            let target = (index.capacity() * 2).max(needed * 2).max(1024);
            index
                .reserve_capacity_and_threads(target, self.options.threads)
                .map_err(AnnError::usearch)?;
        }
        Ok(())
    }
}

impl VectorIndex for HnswIndex {
    fn upsert(&self, id: Uuid, tag: u8, vector: &[f32]) -> Result<(), AnnError> {
        check_vector(vector, self.options.dim)?;
        let key = write(&self.keys).allocate(tag)?;
        let _slot = self.slots.acquire();
        let mut grown = 0;
        loop {
            let index = read(&self.index);
            if index.size() + self.options.threads >= index.capacity() {
                drop(index);
                self.grow()?;
                continue;
            }
            let added = {
                let _turn = self.turns.enter(Side::Write);
                index.add(key, vector)
            };
            match added {
                Ok(()) => {
                    let old = write(&self.keys).bind(id, key);
                    if let Some(old) = old {
                        index.remove(old).map_err(AnnError::usearch)?;
                    }
                    return Ok(());
                }
                // Removed entries' slots are reused, so `size` can understate the slots in use.
                Err(e) if grown < 3 && e.what().contains("Reserve capacity") => {
                    drop(index);
                    grown += 1;
                    self.grow()?;
                }
                Err(e) => return Err(AnnError::usearch(e)),
            }
        }
    }

    fn remove(&self, id: Uuid) -> Result<bool, AnnError> {
        let index = read(&self.index);
        let Some(key) = write(&self.keys).unbind(&id) else {
            return Ok(false);
        };
        index.remove(key).map_err(AnnError::usearch)?;
        Ok(true)
    }

    fn search(&self, query: &[f32], k: usize, filter: &Filter<'_>) -> Result<Vec<Hit>, AnnError> {
        check_vector(query, self.options.dim)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        // Excluded ids as keys, so the graph walk skips them without touching the key map.
        let excluded: HashSet<u64> = {
            let keys = read(&self.keys);
            filter
                .exclude
                .iter()
                .filter_map(|id| keys.key(id))
                .collect()
        };
        let matches = {
            let _slot = self.slots.acquire();
            let index = read(&self.index);
            let _turn = self.turns.enter(Side::Search);
            if filter.tag.is_none() && excluded.is_empty() {
                index.search(query, k)
            } else {
                let tag = filter.tag;
                index.filtered_search(query, k, |key| {
                    tag.is_none_or(|t| t == tag_of(key)) && !excluded.contains(&key)
                })
            }
            .map_err(AnnError::usearch)?
        };
        let keys = read(&self.keys);
        Ok(matches
            .keys
            .iter()
            .zip(&matches.distances)
            .filter_map(|(&key, &distance)| {
                let id = keys.id(key)?;
                let tag = tag_of(key);
                filter.allows(&id, tag).then_some(Hit {
                    id,
                    tag,
                    score: 1.0 - distance,
                })
            })
            .collect())
    }

    fn get(&self, id: Uuid) -> Option<(u8, Vec<f32>)> {
        let index = read(&self.index);
        let key = read(&self.keys).key(&id)?;
        let mut vector = vec![0.0f32; self.options.dim];
        match index.get(key, &mut vector) {
            Ok(1) => Some((tag_of(key), vector)),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        read(&self.keys).len()
    }
}

/// A usearch index for `options`, nothing reserved yet.
fn native(options: &IndexOptions) -> Result<Index, AnnError> {
    let quantization = match options.quantization {
        Quantization::F32 => ScalarKind::F32,
        Quantization::F16 => ScalarKind::F16,
    };
    Index::new(&usearch::IndexOptions {
        dimensions: options.dim,
        metric: MetricKind::Cos,
        quantization,
        connectivity: options.connectivity,
        expansion_add: options.expansion_add,
        expansion_search: options.expansion_search,
        multi: false,
    })
    .map_err(AnnError::usearch)
}

/// usearch takes paths as UTF-8 strings.
fn utf8(path: &Path) -> Result<&str, AnnError> {
    path.to_str()
        .ok_or_else(|| AnnError::snapshot(path, "the path is not UTF-8"))
}

mod sync;
#[cfg(test)]
mod tests;
