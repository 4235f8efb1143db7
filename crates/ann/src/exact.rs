//! Brute-force cosine search: [`ExactIndex`] and the batched [`top_k_batch`] that benchmarks use
//! for their ground truth. Dot products are numkong's SIMD kernels (chosen at run time).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::RwLock;

use numkong::Dot;
use uuid::Uuid;

use crate::{check_vector, read, write, AnnError, Filter, Hit, VectorIndex};

/// Rows scored against every query before moving on: 256 × 384 f32 stay in a core's L2 cache.
const BLOCK_ROWS: usize = 256;

/// Every item in memory, every search a full scan: exact, and slow past ~100k items.
#[derive(Debug)]
pub struct ExactIndex {
    dim: usize,
    rows: RwLock<Rows>,
}

#[derive(Debug, Default)]
struct Rows {
    ids: Vec<Uuid>,
    tags: Vec<u8>,
    /// The vectors as given, row after row.
    data: Vec<f32>,
    /// 1 / the L2 norm of each row.
    inv_norms: Vec<f32>,
    position: HashMap<Uuid, usize>,
}

impl ExactIndex {
    /// An empty index of `dim`-long vectors.
    pub fn new(dim: usize) -> Result<Self, AnnError> {
        if dim == 0 {
            return Err(AnnError::Options("dim must be positive".to_owned()));
        }
        Ok(ExactIndex {
            dim,
            rows: RwLock::new(Rows::default()),
        })
    }

    /// The vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Removes every item.
    pub fn clear(&self) {
        *write(&self.rows) = Rows::default();
    }
}

impl VectorIndex for ExactIndex {
    fn upsert(&self, id: Uuid, tag: u8, vector: &[f32]) -> Result<(), AnnError> {
        let norm = check_vector(vector, self.dim)?;
        let mut rows = write(&self.rows);
        let rows = &mut *rows;
        match rows.position.get(&id) {
            Some(&i) => {
                rows.tags[i] = tag;
                rows.data[i * self.dim..(i + 1) * self.dim].copy_from_slice(vector);
                rows.inv_norms[i] = 1.0 / norm;
            }
            None => {
                rows.position.insert(id, rows.ids.len());
                rows.ids.push(id);
                rows.tags.push(tag);
                rows.data.extend_from_slice(vector);
                rows.inv_norms.push(1.0 / norm);
            }
        }
        Ok(())
    }

    fn remove(&self, id: Uuid) -> Result<bool, AnnError> {
        let mut rows = write(&self.rows);
        let Some(i) = rows.position.remove(&id) else {
            return Ok(false);
        };
        let last = rows.ids.len() - 1;
        rows.ids.swap_remove(i);
        rows.tags.swap_remove(i);
        rows.inv_norms.swap_remove(i);
        if i != last {
            let dim = self.dim;
            rows.data.copy_within(last * dim..(last + 1) * dim, i * dim);
            let moved = rows.ids[i];
            rows.position.insert(moved, i);
        }
        rows.data.truncate(last * self.dim);
        Ok(true)
    }

    fn search(&self, query: &[f32], k: usize, filter: &Filter<'_>) -> Result<Vec<Hit>, AnnError> {
        let norm = check_vector(query, self.dim)?;
        if k == 0 {
            return Ok(Vec::new());
        }
        let query: Vec<f32> = query.iter().map(|x| x / norm).collect();
        let rows = read(&self.rows);
        let mut top = TopK::new(k);
        for (i, row) in rows.data.chunks_exact(self.dim).enumerate() {
            if filter.allows(&rows.ids[i], rows.tags[i]) {
                top.push(i, dot(&query, row) * rows.inv_norms[i]);
            }
        }
        Ok(top
            .into_sorted()
            .into_iter()
            .map(|(i, score)| Hit {
                id: rows.ids[i],
                tag: rows.tags[i],
                score,
            })
            .collect())
    }

    fn get(&self, id: Uuid) -> Option<(u8, Vec<f32>)> {
        let rows = read(&self.rows);
        let i = *rows.position.get(&id)?;
        Some((
            rows.tags[i],
            rows.data[i * self.dim..(i + 1) * self.dim].to_vec(),
        ))
    }

    fn len(&self) -> usize {
        read(&self.rows).ids.len()
    }
}

/// The `k` rows closest (cosine) to each query, closest first, as (row number, similarity):
/// `rows` and `queries` are `dim`-long vectors back to back. The rows are split between
/// `threads` threads and scanned a cache-sized block at a time against every query.
pub fn top_k_batch(
    rows: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    threads: usize,
) -> Result<Vec<Vec<(usize, f32)>>, AnnError> {
    top_k_batch_where(rows, queries, dim, k, threads, |_, _| true)
}

/// [`top_k_batch`] over only the rows that `allow(query number, row number)` accepts.
pub fn top_k_batch_where<F>(
    rows: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    threads: usize,
    allow: F,
) -> Result<Vec<Vec<(usize, f32)>>, AnnError>
where
    F: Fn(usize, usize) -> bool + Sync,
{
    if dim == 0 {
        return Err(AnnError::Options("dim must be positive".to_owned()));
    }
    // A ragged tail: its length is the one vector that is not `dim` long.
    for all in [rows, queries] {
        if !all.len().is_multiple_of(dim) {
            return Err(AnnError::Dimension {
                expected: dim,
                got: all.len() % dim,
            });
        }
    }
    let mut unit = Vec::with_capacity(queries.len());
    for q in queries.chunks_exact(dim) {
        let norm = check_vector(q, dim)?;
        unit.extend(q.iter().map(|x| x / norm));
    }
    let n = rows.len() / dim;
    let nq = unit.len() / dim;
    let threads = threads.clamp(1, n.div_ceil(BLOCK_ROWS).max(1));
    let per_thread = n.div_ceil(threads);
    let (unit, allow) = (&unit, &allow);
    let partials: Vec<Vec<TopK>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = (t * per_thread).min(n);
                let end = ((t + 1) * per_thread).min(n);
                s.spawn(move || scan(&rows[start * dim..end * dim], start, unit, dim, k, allow))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut merged: Vec<TopK> = (0..nq).map(|_| TopK::new(k)).collect();
    for partial in partials {
        for (into, from) in merged.iter_mut().zip(partial) {
            for (score, i) in from.heap {
                into.push(i, score.0);
            }
        }
    }
    Ok(merged.into_iter().map(TopK::into_sorted).collect())
}

/// One thread's share of [`top_k_batch_where`]: rows numbered from `first`.
fn scan<F>(
    rows: &[f32],
    first: usize,
    queries: &[f32],
    dim: usize,
    k: usize,
    allow: &F,
) -> Vec<TopK>
where
    F: Fn(usize, usize) -> bool,
{
    let mut tops: Vec<TopK> = (0..queries.len() / dim).map(|_| TopK::new(k)).collect();
    let mut inv_norms = Vec::with_capacity(BLOCK_ROWS);
    for (b, block) in rows.chunks(BLOCK_ROWS * dim).enumerate() {
        inv_norms.clear();
        inv_norms.extend(block.chunks_exact(dim).map(|r| {
            let sq = dot(r, r);
            if sq > 0.0 {
                1.0 / sq.sqrt()
            } else {
                0.0
            }
        }));
        let base = first + b * BLOCK_ROWS;
        for (n, (q, top)) in queries.chunks_exact(dim).zip(tops.iter_mut()).enumerate() {
            for (j, row) in block.chunks_exact(dim).enumerate() {
                if allow(n, base + j) {
                    top.push(base + j, dot(q, row) * inv_norms[j]);
                }
            }
        }
    }
    tops
}

/// The dot product of two equally long vectors.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    f32::dot(a, b).unwrap_or(0.0) as f32
}

/// A score ordered by `total_cmp`, so it can live in a heap.
#[derive(Debug, Clone, Copy)]
struct Score(f32);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for Score {}
impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: the heap's top is the lowest score, the first to drop.
        other.0.total_cmp(&self.0)
    }
}

/// The `k` best (row, score) pairs seen so far.
#[derive(Debug)]
struct TopK {
    k: usize,
    heap: BinaryHeap<(Score, usize)>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    fn push(&mut self, i: usize, score: f32) {
        if self.heap.len() < self.k {
            self.heap.push((Score(score), i));
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if score > worst.0 .0 {
                *worst = (Score(score), i);
            }
        }
    }

    fn into_sorted(self) -> Vec<(usize, f32)> {
        let mut all: Vec<(usize, f32)> = self.heap.into_iter().map(|(s, i)| (i, s.0)).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::Mixture;
    use std::collections::HashSet;

    fn id(i: usize) -> Uuid {
        Uuid::from_u128(i as u128)
    }

    #[test]
    fn upsert_remove_get_and_search() {
        let index = ExactIndex::new(3).unwrap();
        index.upsert(id(1), 0, &[1.0, 0.0, 0.0]).unwrap();
        index.upsert(id(2), 1, &[0.0, 2.0, 0.0]).unwrap();
        index.upsert(id(3), 1, &[1.0, 1.0, 0.0]).unwrap();
        assert_eq!(index.len(), 3);
        let hits = index.search(&[2.0, 0.1, 0.0], 3, &Filter::any()).unwrap();
        assert_eq!(
            hits.iter().map(|h| h.id).collect::<Vec<_>>(),
            vec![id(1), id(3), id(2)]
        );
        assert!((hits[1].score - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.05);
        assert_eq!(
            index
                .search(&[1.0, 0.0, 0.0], 3, &Filter::tagged(1))
                .unwrap()[0]
                .id,
            id(3)
        );
        let exclude = HashSet::from([id(1)]);
        let hits = index
            .search(
                &[1.0, 0.0, 0.0],
                1,
                &Filter {
                    tag: None,
                    exclude: &exclude,
                },
            )
            .unwrap();
        assert_eq!(hits[0].id, id(3));

        // Removing a row moves the last one into its place: every id still finds its vector.
        assert!(index.remove(id(1)).unwrap());
        assert!(!index.remove(id(1)).unwrap());
        assert_eq!(index.get(id(1)), None);
        assert_eq!(index.get(id(3)), Some((1, vec![1.0, 1.0, 0.0])));
        index.upsert(id(2), 4, &[0.0, 0.0, 5.0]).unwrap();
        assert_eq!(index.get(id(2)), Some((4, vec![0.0, 0.0, 5.0])));
        assert_eq!(
            index.search(&[0.0, 0.0, 1.0], 1, &Filter::any()).unwrap()[0].id,
            id(2)
        );
        assert!(index.upsert(id(9), 0, &[0.0; 3]).is_err());
        assert!(index.search(&[1.0], 1, &Filter::any()).is_err());
        index.clear();
        assert!(index.is_empty());
    }

    #[test]
    fn batch_agrees_with_single_searches() {
        let m = Mixture::new(32, 10, 0.5..1.0, 3);
        let rows = m.samples(3000, 1, 2);
        let queries = m.samples(20, 2, 1);
        let index = ExactIndex::new(32).unwrap();
        for (i, v) in rows.chunks_exact(32).enumerate() {
            index.upsert(id(i), (i % 3) as u8, v).unwrap();
        }
        let all = top_k_batch(&rows, &queries, 32, 10, 3).unwrap();
        let tagged = top_k_batch_where(&rows, &queries, 32, 10, 2, |q, r| r % 3 == q % 3).unwrap();
        for (n, q) in queries.chunks_exact(32).enumerate() {
            let single = index.search(q, 10, &Filter::any()).unwrap();
            assert_eq!(
                all[n].iter().map(|h| id(h.0)).collect::<Vec<_>>(),
                single.iter().map(|h| h.id).collect::<Vec<_>>()
            );
            assert!((all[n][0].1 - single[0].score).abs() < 1e-5);
            let single = index.search(q, 10, &Filter::tagged((n % 3) as u8)).unwrap();
            assert_eq!(
                tagged[n].iter().map(|h| id(h.0)).collect::<Vec<_>>(),
                single.iter().map(|h| h.id).collect::<Vec<_>>()
            );
        }
        assert!(top_k_batch(&rows[..40], &queries, 32, 10, 1).is_err());
    }
}
