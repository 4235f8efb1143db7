use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use crate::synthetic::{Mixture, Rng};
use crate::{ExactIndex, Filter, HnswIndex, IndexOptions, Quantization, VectorIndex};

const DIM: usize = 384;

fn id(i: usize) -> Uuid {
    Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | i as u128)
}

fn tag(i: usize) -> u8 {
    (i % 4) as u8
}

fn mixture() -> Mixture {
    Mixture::new(DIM, 100, 0.6..1.0, 14)
}

/// The same seeded 5,000 vectors in an HNSW index and an exact one, and 200 held-out queries.
fn both(quantization: Quantization) -> (HnswIndex, ExactIndex, Vec<f32>, Vec<f32>) {
    let m = mixture();
    let data = m.samples(5000, 1, 2);
    let queries = m.samples(200, 2, 2);
    let mut options = IndexOptions::new(DIM);
    options.quantization = quantization;
    let hnsw = HnswIndex::new(options).unwrap();
    let exact = ExactIndex::new(DIM).unwrap();
    for (i, v) in data.chunks_exact(DIM).enumerate() {
        hnsw.upsert(id(i), tag(i), v).unwrap();
        exact.upsert(id(i), tag(i), v).unwrap();
    }
    (hnsw, exact, data, queries)
}

/// Mean recall@k of `hnsw` against `exact` over `queries`, each under `filter(query number)`.
fn recall<'a>(
    hnsw: &HnswIndex,
    exact: &ExactIndex,
    queries: &[f32],
    k: usize,
    filter: impl Fn(usize) -> Filter<'a>,
) -> f64 {
    let mut found = 0;
    let mut wanted = 0;
    for (n, q) in queries.chunks_exact(DIM).enumerate() {
        let f = filter(n);
        let truth: HashSet<Uuid> = exact
            .search(q, k, &f)
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect();
        let got = hnsw.search(q, k, &f).unwrap();
        for h in &got {
            assert!(f.allows(&h.id, h.tag), "a hit the filter refuses");
        }
        wanted += truth.len();
        found += got.iter().filter(|h| truth.contains(&h.id)).count();
    }
    found as f64 / wanted as f64
}

#[test]
fn agrees_with_exact_search() {
    let (hnsw, exact, _, queries) = both(Quantization::F32);
    assert_eq!(hnsw.len(), 5000);
    let r = recall(&hnsw, &exact, &queries, 10, |_| Filter::any());
    assert!(r >= 0.95, "recall@10 {r}");

    // Scores are cosine similarities and agree with the exact index's.
    let q = &queries[..DIM];
    let (h, e) = (
        hnsw.search(q, 10, &Filter::any()).unwrap(),
        exact.search(q, 10, &Filter::any()).unwrap(),
    );
    assert_eq!(h.len(), 10);
    assert!(
        h.windows(2).all(|w| w[0].score >= w[1].score),
        "closest first"
    );
    assert!(
        (h[0].score - e[0].score).abs() < 1e-4,
        "{} vs {}",
        h[0].score,
        e[0].score
    );
}

#[test]
fn f16_storage_keeps_recall() {
    let (hnsw, exact, data, queries) = both(Quantization::F16);
    let r = recall(&hnsw, &exact, &queries, 10, |_| Filter::any());
    assert!(r >= 0.95, "recall@10 {r}");
    let (_, back) = hnsw.get(id(3)).unwrap();
    for (a, b) in back.iter().zip(&data[3 * DIM..4 * DIM]) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
}

#[test]
fn filters_by_tag_and_exclusion() {
    let (hnsw, exact, _, queries) = both(Quantization::F32);
    for t in 0..4u8 {
        let r = recall(&hnsw, &exact, &queries, 10, |_| Filter::tagged(t));
        assert!(r >= 0.95, "tag {t}: recall@10 {r}");
    }
    // Exclude each query's exact top 5: none comes back, and the next ones are found.
    let excluded: Vec<HashSet<Uuid>> = queries
        .chunks_exact(DIM)
        .map(|q| {
            exact
                .search(q, 5, &Filter::any())
                .unwrap()
                .iter()
                .map(|h| h.id)
                .collect()
        })
        .collect();
    let r = recall(&hnsw, &exact, &queries, 10, |n| Filter {
        tag: None,
        exclude: &excluded[n],
    });
    assert!(r >= 0.95, "exclusion: recall@10 {r}");
    let r = recall(&hnsw, &exact, &queries, 10, |n| Filter {
        tag: Some(1),
        exclude: &excluded[n],
    });
    assert!(r >= 0.95, "tag and exclusion: recall@10 {r}");
    // A tag nobody has finds nothing.
    assert!(hnsw
        .search(&queries[..DIM], 10, &Filter::tagged(9))
        .unwrap()
        .is_empty());
}

#[test]
fn removed_ids_never_come_back() {
    let (hnsw, exact, data, _) = both(Quantization::F32);
    for i in (0..5000).step_by(3) {
        assert!(hnsw.remove(id(i)).unwrap());
        assert!(exact.remove(id(i)).unwrap());
    }
    assert!(!hnsw.remove(id(0)).unwrap(), "already gone");
    assert_eq!(hnsw.len(), 5000 - 1667);
    assert_eq!(hnsw.get(id(0)), None);
    for i in (0..5000).step_by(3) {
        let v = &data[i * DIM..(i + 1) * DIM];
        let hits = hnsw.search(v, 10, &Filter::any()).unwrap();
        assert_eq!(hits.len(), 10);
        assert!(
            hits.iter()
                .all(|h| !(h.id.as_u128() as usize & 0xffff).is_multiple_of(3)),
            "a removed id came back"
        );
    }
    let queries = &data[..200 * DIM];
    let r = recall(&hnsw, &exact, queries, 10, |_| Filter::any());
    assert!(r >= 0.95, "recall@10 after removals {r}");
}

#[test]
fn upsert_replaces_the_vector_and_tag() {
    let (hnsw, _, data, _) = both(Quantization::F32);
    let (old, new) = (&data[..DIM], &data[4999 * DIM..]);
    hnsw.upsert(id(0), 3, new).unwrap();
    assert_eq!(hnsw.len(), 5000);
    let (t, v) = hnsw.get(id(0)).unwrap();
    assert_eq!((t, v.as_slice()), (3, new));
    let hits = hnsw.search(new, 2, &Filter::any()).unwrap();
    let ids: HashSet<Uuid> = hits.iter().map(|h| h.id).collect();
    assert_eq!(ids, HashSet::from([id(0), id(4999)]));
    assert!(hits.iter().all(|h| h.score > 0.9999));
    assert!(hits.iter().any(|h| h.id == id(0) && h.tag == 3));
    // The old vector no longer leads to id 0.
    let hits = hnsw.search(old, 10, &Filter::any()).unwrap();
    assert!(hits.iter().all(|h| h.id != id(0) || h.score < 0.9999));
    assert!(hnsw
        .search(old, 5000, &Filter::tagged(0))
        .unwrap()
        .iter()
        .all(|h| h.id != id(0)));
    // Upsert after remove brings it back.
    assert!(hnsw.remove(id(0)).unwrap());
    hnsw.upsert(id(0), 2, old).unwrap();
    assert_eq!(hnsw.search(old, 1, &Filter::any()).unwrap()[0].id, id(0));
    assert_eq!(hnsw.len(), 5000);
}

#[test]
fn save_and_load_round_trip() {
    let (hnsw, _, data, queries) = both(Quantization::F16);
    hnsw.remove(id(7)).unwrap();
    hnsw.upsert(id(8), 2, &data[9 * DIM..10 * DIM]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    hnsw.save(dir.path()).unwrap();
    let mut options = IndexOptions::new(DIM);
    options.quantization = Quantization::F16;
    let back = HnswIndex::load(dir.path(), options).unwrap();
    assert_eq!(back.len(), hnsw.len());
    assert_eq!(back.get(id(7)), None);
    assert_eq!(back.get(id(8)), hnsw.get(id(8)));
    for q in queries.chunks_exact(DIM).take(50) {
        assert_eq!(
            back.search(q, 10, &Filter::tagged(2)).unwrap(),
            hnsw.search(q, 10, &Filter::tagged(2)).unwrap()
        );
    }
    // It keeps working: new items get keys of their own.
    back.upsert(id(7), 1, &data[..DIM]).unwrap();
    assert_eq!(back.len(), hnsw.len() + 1);
    assert_eq!(back.get(id(8)).map(|g| g.0), Some(2));

    // Options that do not match, and damaged snapshots, are refused.
    assert!(
        HnswIndex::load(dir.path(), IndexOptions::new(DIM)).is_err(),
        "f32 options for an f16 snapshot"
    );
    let keys = dir.path().join("keys.bin");
    let mut bytes = std::fs::read(&keys).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&keys, &bytes).unwrap();
    assert!(
        HnswIndex::load(dir.path(), options).is_err(),
        "damaged key map"
    );
    assert!(
        HnswIndex::load(&dir.path().join("nothing"), options).is_err(),
        "no snapshot"
    );
}

#[test]
fn rejects_bad_vectors_and_options() {
    let hnsw = HnswIndex::new(IndexOptions::new(4)).unwrap();
    assert!(hnsw.is_empty());
    assert!(hnsw
        .search(&[1.0, 0.0, 0.0, 0.0], 10, &Filter::any())
        .unwrap()
        .is_empty());
    assert!(hnsw.upsert(id(1), 0, &[1.0, 0.0]).is_err());
    assert!(hnsw.upsert(id(1), 0, &[0.0; 4]).is_err());
    assert!(hnsw.upsert(id(1), 0, &[f32::NAN, 1.0, 0.0, 0.0]).is_err());
    assert!(hnsw.search(&[1.0; 5], 1, &Filter::any()).is_err());
    hnsw.upsert(id(1), 0, &[1.0, 2.0, 0.0, 0.0]).unwrap();
    assert!(hnsw
        .search(&[1.0, 2.0, 0.0, 0.0], 0, &Filter::any())
        .unwrap()
        .is_empty());
    let hits = hnsw
        .search(&[2.0, 4.0, 0.0, 0.0], 10, &Filter::any())
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert!((hits[0].score - 1.0).abs() < 1e-5, "cosine ignores length");
    hnsw.clear().unwrap();
    assert!(hnsw.is_empty());
    assert!(HnswIndex::new(IndexOptions {
        dim: 0,
        ..IndexOptions::new(4)
    })
    .is_err());
    assert!(HnswIndex::new(IndexOptions {
        threads: 0,
        ..IndexOptions::new(4)
    })
    .is_err());
}

#[test]
fn concurrent_upserts_removes_and_searches() {
    let m = &mixture();
    let data = Arc::new(m.samples(4000, 5, 2));
    // A tiny reservation and few usearch contexts: growth and waiting for a context both happen.
    let options = IndexOptions {
        initial_capacity: 16,
        threads: 3,
        ..IndexOptions::new(DIM)
    };
    let hnsw = Arc::new(HnswIndex::new(options).unwrap());
    let removed = Arc::new(RwLock::new(HashSet::new()));
    let done = Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        let mut writers = Vec::new();
        for w in 0..4 {
            let (hnsw, data, removed) = (hnsw.clone(), data.clone(), removed.clone());
            writers.push(s.spawn(move || {
                for i in (w..4000).step_by(4) {
                    hnsw.upsert(id(i), tag(i), &data[i * DIM..(i + 1) * DIM])
                        .unwrap();
                    // Re-upsert every fifth, remove every seventh for good.
                    if i % 5 == 0 {
                        hnsw.upsert(id(i), tag(i), &data[i * DIM..(i + 1) * DIM])
                            .unwrap();
                    }
                    if i % 7 == 0 {
                        assert!(hnsw.remove(id(i)).unwrap());
                        removed.write().unwrap().insert(id(i));
                    }
                }
            }));
        }
        for r in 0..4 {
            let (hnsw, done, removed) = (hnsw.clone(), done.clone(), removed.clone());
            s.spawn(move || {
                let mut rng = Rng::new(100 + r);
                let mut q = vec![0.0; DIM];
                let mut searches = 0;
                while !done.load(Ordering::Relaxed) || searches < 50 {
                    m.sample(&mut rng, &mut q);
                    let gone = removed.read().unwrap().clone();
                    let filter = if searches % 2 == 0 {
                        Filter::any()
                    } else {
                        Filter::tagged(1)
                    };
                    for h in hnsw.search(&q, 10, &filter).unwrap() {
                        assert!(!gone.contains(&h.id), "a removed id was returned");
                        assert!(filter.allows(&h.id, h.tag));
                    }
                    searches += 1;
                }
            });
        }
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    let gone = removed.read().unwrap();
    assert_eq!(gone.len(), 4000usize.div_ceil(7));
    assert_eq!(hnsw.len(), 4000 - gone.len());
    assert!(hnsw.capacity() >= hnsw.len());
    // Every live item is stored whole and found by its own vector.
    let mut misses = 0;
    for i in 0..4000 {
        let v = &data[i * DIM..(i + 1) * DIM];
        match hnsw.get(id(i)) {
            Some((t, got)) => {
                assert!(!gone.contains(&id(i)));
                assert_eq!((t, got.as_slice()), (tag(i), v));
                if hnsw.search(v, 1, &Filter::any()).unwrap()[0].id != id(i) {
                    misses += 1;
                }
            }
            None => assert!(gone.contains(&id(i))),
        }
    }
    assert!(misses <= 40, "{misses} items not found by their own vector");
}
