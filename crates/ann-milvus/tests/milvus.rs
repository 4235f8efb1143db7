//! moji-ann-milvus against a real Milvus server (issue 14, docs/recommend.md "Milvus backend").
//!
//! The server is `MOJI_MILVUS_URL` when set, else the Milvus 2.3.5 of `scripts/milvus.sh`, started
//! here when nothing answers (and stopped again at the end, unless `MOJI_MILVUS_KEEP=1`). The test
//! is skipped, loudly, only when there is no Python (>= 3.8, with venv and pip) to install it with.
//!
//! Only one Milvus fits on a machine (its embedded etcd's ports are fixed), so the whole flow is
//! one test function holding an exclusive lock on `$TMPDIR/moji-milvus-tests.lock`: test
//! processes of other clones wait for it. Each scenario has its own collection, dropped at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use moji_ann::synthetic::Mixture;
use moji_ann::{AnnError, ExactIndex, Filter, Hit, VectorIndex};
use moji_ann_milvus::{MilvusError, MilvusIndex, MilvusOptions, MAX_EXCLUDE_IN_EXPR};
use rustix::fs::{flock, FlockOperation};
use uuid::Uuid;

/// The server for this process, and whether to stop it when done.
struct Server {
    url: String,
    script: Option<PathBuf>,
    _lock: File,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(script) = &self.script {
            let started = Instant::now();
            match Command::new(script).arg("stop").status() {
                Ok(s) if s.success() => {
                    eprintln!(
                        "milvus: stopped in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                }
                other => eprintln!("milvus: scripts/milvus.sh stop failed: {other:?}"),
            }
        }
    }
}

/// Takes the machine-wide lock, then finds or starts the server; `None` only without Python.
fn server() -> Option<Server> {
    let path = std::env::temp_dir().join("moji-milvus-tests.lock");
    let lock = File::create(&path).expect("create the lock file");
    if flock(&lock, FlockOperation::NonBlockingLockExclusive).is_err() {
        eprintln!(
            "milvus: waiting for {} (another Milvus test runs)",
            path.display()
        );
        flock(&lock, FlockOperation::LockExclusive).expect("lock");
    }
    if let Ok(url) = std::env::var("MOJI_MILVUS_URL") {
        eprintln!("milvus: using MOJI_MILVUS_URL={url}");
        return Some(Server {
            url,
            script: None,
            _lock: lock,
        });
    }
    let python = Command::new("python3")
        .args([
            "-c",
            "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 8))",
        ])
        .status();
    if !python.is_ok_and(|s| s.success()) {
        eprintln!(
            "SKIPPED milvus backend test: no python3 >= 3.8 with venv and pip to install the \
             Milvus server (scripts/milvus.sh); install python3-venv or set MOJI_MILVUS_URL"
        );
        return None;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/milvus.sh");
    let was_running = Command::new(&script)
        .arg("status")
        .output()
        .expect("run status")
        .status
        .success();
    let started = Instant::now();
    // --fresh: a server started here starts from empty storage (scripts/milvus.sh says why).
    let out = Command::new(&script)
        .args(["start", "--fresh"])
        .output()
        .expect("run scripts/milvus.sh start");
    assert!(
        out.status.success(),
        "scripts/milvus.sh start failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let url = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Milvus: "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the script prints the URL")
        .to_owned();
    eprintln!(
        "milvus: {} {url} in {:.1} s",
        if was_running { "found" } else { "started" },
        started.elapsed().as_secs_f64()
    );
    let keep = std::env::var("MOJI_MILVUS_KEEP").is_ok_and(|v| v == "1");
    let script = (!was_running && !keep).then_some(script);
    Some(Server {
        url,
        script,
        _lock: lock,
    })
}

/// A collection name no other run uses.
fn unique(scenario: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("moji_test_{scenario}_{}_{nanos}", std::process::id())
}

/// Drops the collection when the scenario ends, also when it fails.
struct Dropper<'a>(&'a MilvusIndex);

impl Drop for Dropper<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.drop_collection() {
            eprintln!("milvus: could not drop {}: {e}", self.0.collection());
        }
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | n)
}

fn unit(dim: usize, i: usize) -> Vec<f32> {
    let mut v = vec![0.0; dim];
    v[i] = 1.0;
    v
}

fn ids(hits: &[Hit]) -> Vec<Uuid> {
    hits.iter().map(|h| h.id).collect()
}

/// Both indexes answer the same ids in the same order, with the same tags and scores.
fn assert_same(
    milvus: &dyn VectorIndex,
    exact: &ExactIndex,
    query: &[f32],
    k: usize,
    filter: &Filter<'_>,
) -> Vec<Hit> {
    let got = milvus.search(query, k, filter).expect("milvus search");
    let want = exact.search(query, k, filter).expect("exact search");
    assert_eq!(ids(&got), ids(&want), "filter {:?} k {k}", filter.tag);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.tag, w.tag);
        assert!(
            (g.score - w.score).abs() < 1e-4,
            "{} vs {}",
            g.score,
            w.score
        );
    }
    got
}

#[test]
fn milvus_backend_against_a_real_server() {
    let Some(server) = server() else { return };
    let started = Instant::now();
    semantics(&server.url);
    eprintln!(
        "milvus: semantics in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    recall_against_exact(&server.url);
    eprintln!("milvus: recall in {:.1} s", started.elapsed().as_secs_f64());
}

/// Upsert, search with tag filters and exclusions, remove, re-upsert, get, len, reconnect.
fn semantics(url: &str) {
    const DIM: usize = 8;
    let options = MilvusOptions {
        url: url.to_owned(),
        collection: unique("semantics"),
        dim: DIM,
    };
    let started = Instant::now();
    let milvus = MilvusIndex::connect(options.clone()).expect("connect and create");
    eprintln!(
        "milvus: connect (create, load) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _drop = Dropper(&milvus);
    let index: &dyn VectorIndex = &milvus;
    let exact = ExactIndex::new(DIM).unwrap();
    assert_eq!(index.len(), 0);
    assert!(index.is_empty());

    let mut b = unit(DIM, 0);
    b[1] = 0.5;
    let mut c = unit(DIM, 0);
    c[2] = 0.2;
    let items = [
        (id(1), 1, unit(DIM, 0)),
        (id(2), 1, b),
        (id(3), 0, c),
        (id(4), 2, unit(DIM, 3)),
    ];
    for (i, tag, v) in &items {
        index.upsert(*i, *tag, v).unwrap();
        exact.upsert(*i, *tag, v).unwrap();
    }
    assert_eq!(index.len(), 4);
    let mut q = unit(DIM, 0);
    q[3] = 0.1;

    // Plain, by tag, with exclusions in the expression and (past the cap) applied here.
    let all = assert_same(index, &exact, &q, 10, &Filter::any());
    assert_eq!(ids(&all), vec![id(1), id(3), id(2), id(4)]);
    assert!(
        (all[0].score - 0.995_037).abs() < 1e-5,
        "cosine similarity, not a distance"
    );
    assert_eq!(
        ids(&assert_same(index, &exact, &q, 2, &Filter::tagged(1))),
        vec![id(1), id(2)]
    );
    let exclude = HashSet::from([id(1)]);
    let tagged_without_a = Filter {
        tag: Some(1),
        exclude: &exclude,
    };
    assert_eq!(
        ids(&assert_same(index, &exact, &q, 5, &tagged_without_a)),
        vec![id(2)]
    );
    let mut many: HashSet<Uuid> = (100..100 + MAX_EXCLUDE_IN_EXPR as u128 + 50)
        .map(id)
        .collect();
    many.insert(id(3));
    let client_side = Filter {
        tag: None,
        exclude: &many,
    };
    assert_eq!(
        ids(&assert_same(index, &exact, &q, 2, &client_side)),
        vec![id(1), id(2)]
    );
    assert!(index.search(&q, 0, &Filter::any()).unwrap().is_empty());
    assert!(index.search(&q, 3, &Filter::tagged(9)).unwrap().is_empty());

    // Remove: gone from searches, get and len; a second remove finds nothing.
    assert!(index.remove(id(1)).unwrap());
    assert!(exact.remove(id(1)).unwrap());
    assert!(!index.remove(id(1)).unwrap());
    assert_eq!(index.get(id(1)), None);
    assert_eq!(index.len(), 3);
    assert_eq!(
        ids(&assert_same(index, &exact, &q, 10, &Filter::tagged(1))),
        vec![id(2)]
    );

    // Re-upsert with another tag and vector: one row, the new values.
    let moved = unit(DIM, 5);
    index.upsert(id(2), 2, &moved).unwrap();
    exact.upsert(id(2), 2, &moved).unwrap();
    assert_eq!(index.get(id(2)), Some((2, moved.clone())));
    assert_eq!(index.len(), 3);
    assert!(index.search(&q, 10, &Filter::tagged(1)).unwrap().is_empty());
    assert_eq!(
        ids(&assert_same(index, &exact, &moved, 1, &Filter::tagged(2))),
        vec![id(2)]
    );
    // An item that was removed comes back; an exact f32 round trip of its vector.
    let odd: Vec<f32> = (0..DIM).map(|i| 0.1 + i as f32 / 3.0).collect();
    index.upsert(id(1), 0, &odd).unwrap();
    exact.upsert(id(1), 0, &odd).unwrap();
    assert_eq!(index.get(id(1)), Some((0, odd.clone())));
    assert_eq!(index.get(id(99)), None);
    assert_eq!(index.len(), 4);
    assert_same(index, &exact, &q, 10, &Filter::any());

    // A batch in which an id comes twice: its last entry wins.
    let first = unit(DIM, 6);
    let last = unit(DIM, 7);
    let mut near_last = unit(DIM, 7);
    near_last[6] = 0.3;
    milvus
        .upsert_many(&[
            (id(5), 1, &first),
            (id(3), 1, &near_last),
            (id(5), 3, &last),
        ])
        .unwrap();
    exact.upsert(id(5), 3, &last).unwrap();
    exact.upsert(id(3), 1, &near_last).unwrap();
    assert_eq!(index.get(id(5)), Some((3, last.clone())));
    assert_eq!(index.len(), 5);
    // A query off every axis, so no two items tie.
    let probe: Vec<f32> = (0..DIM).map(|i| 0.05 * (i + 1) as f32 + last[i]).collect();
    assert_same(index, &exact, &probe, 10, &Filter::any());

    // Bad vectors are the trait's errors, not the server's.
    assert!(matches!(
        index.upsert(id(6), 0, &[1.0; 3]),
        Err(AnnError::Dimension {
            expected: 8,
            got: 3
        })
    ));
    assert!(matches!(
        index.upsert(id(6), 0, &[0.0; DIM]),
        Err(AnnError::InvalidVector(_))
    ));
    assert!(matches!(
        index.search(&[1.0; 9], 1, &Filter::any()),
        Err(AnnError::Dimension { .. })
    ));

    // Another connection to the collection sees the same items; another dim is refused.
    let again = MilvusIndex::connect(options.clone()).expect("reconnect");
    assert_eq!(again.count().unwrap(), 5);
    assert_eq!(again.try_get(id(2)).unwrap(), Some((2, moved)));
    let wrong = MilvusIndex::connect(MilvusOptions { dim: 16, ..options });
    assert!(
        matches!(wrong, Err(MilvusError::Schema { .. })),
        "{wrong:?}"
    );
}

/// ~500 seeded 384-d vectors in clusters: Milvus's top 10 against the exact top 10.
fn recall_against_exact(url: &str) {
    const DIM: usize = 384;
    const N: usize = 500;
    const QUERIES: usize = 50;
    const K: usize = 10;
    let options = MilvusOptions {
        url: url.to_owned(),
        collection: unique("recall"),
        dim: DIM,
    };
    let milvus = MilvusIndex::connect(options).expect("connect and create");
    let _drop = Dropper(&milvus);
    let exact = ExactIndex::new(DIM).unwrap();
    let mixture = Mixture::new(DIM, 12, 0.6..1.0, 14);
    let rows = mixture.samples(N, 1, 2);
    let queries = mixture.samples(QUERIES, 2, 1);

    let items: Vec<(Uuid, u8, &[f32])> = rows
        .chunks_exact(DIM)
        .enumerate()
        .map(|(i, v)| (id(i as u128), (i % 4) as u8, v))
        .collect();
    let started = Instant::now();
    milvus.upsert_many(&items).unwrap();
    eprintln!(
        "milvus: upsert_many of {N} x {DIM} in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    for (i, tag, v) in &items {
        exact.upsert(*i, *tag, v).unwrap();
    }
    assert_eq!(milvus.len(), N);

    let index: &dyn VectorIndex = &milvus;
    let (mut found, mut wanted, mut found_tagged, mut wanted_tagged) = (0, 0, 0, 0);
    let mut worst_score_gap = 0.0f32;
    let started = Instant::now();
    for (n, q) in queries.chunks_exact(DIM).enumerate() {
        let got = index.search(q, K, &Filter::any()).unwrap();
        let want = exact.search(q, K, &Filter::any()).unwrap();
        assert_eq!(got.len(), K);
        let want_ids: HashSet<Uuid> = want.iter().map(|h| h.id).collect();
        found += got.iter().filter(|h| want_ids.contains(&h.id)).count();
        wanted += want.len();
        for (g, w) in got.iter().zip(&want) {
            worst_score_gap = worst_score_gap.max((g.score - w.score).abs());
        }
        let filter = Filter::tagged((n % 4) as u8);
        let got = index.search(q, K, &filter).unwrap();
        let want = exact.search(q, K, &filter).unwrap();
        assert!(got.iter().all(|h| h.tag == (n % 4) as u8));
        let want_ids: HashSet<Uuid> = want.iter().map(|h| h.id).collect();
        found_tagged += got.iter().filter(|h| want_ids.contains(&h.id)).count();
        wanted_tagged += want.len();
    }
    let per_query = started.elapsed().as_secs_f64() * 1000.0 / (2 * QUERIES) as f64;
    let recall = found as f64 / wanted as f64;
    let recall_tagged = found_tagged as f64 / wanted_tagged as f64;
    eprintln!(
        "milvus: recall@{K} {recall:.3} (by tag {recall_tagged:.3}) over {QUERIES} queries, \
         {per_query:.1} ms a search, largest score gap {worst_score_gap:.2e}"
    );
    assert!(recall >= 0.95, "recall@{K} {recall}");
    assert!(recall_tagged >= 0.95, "recall@{K} by tag {recall_tagged}");
    assert!(worst_score_gap < 1e-3, "{worst_score_gap}");
}
