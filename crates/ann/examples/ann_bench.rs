//! The ANN benchmark behind scripts/bench/recommend.sh (issue 14).
//!
//!   ann_bench run [options]            one index: build, recall sweep, closed-loop QPS/latency
//!   ann_bench table RESULTS.jsonl      the runs in RESULTS side by side, with the targets
//!
//! `run` makes VECTORS seeded unit vectors from a mixture of Gaussian clusters on the sphere
//! (and QUERIES held-out ones from the same mixture), computes the exact top 10 of every query
//! by brute force on every core (cached in --cache-dir), builds an HnswIndex with --threads
//! threads adding at once, then for each expansion_search: recall@10 (plain, and filtered by a
//! tag that a quarter of the items carry) and, for each concurrency, searches in a closed loop
//! for --secs seconds. It appends one JSON line to --out and prints its own table.

use std::collections::HashSet;
use std::error::Error;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use moji_ann::exact::top_k_batch_where;
use moji_ann::synthetic::Mixture;
use moji_ann::{Filter, HnswIndex, IndexOptions, Quantization, VectorIndex};
use serde_json::{json, Value};
use uuid::Uuid;

type Res<T> = Result<T, Box<dyn Error>>;

const K: usize = 10;
/// Items carry tag `row % TAGS`; filtered query n asks for tag `n % TAGS`.
const TAGS: usize = 4;
const DATA_SEED: u64 = 1;
const QUERY_SEED: u64 = 2;
const MIXTURE_SEED: u64 = 14;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => Config::parse(&args[1..]).and_then(run),
        Some("table") if args.len() == 2 => table(&args[1]),
        _ => {
            Err("usage: ann_bench run [--option value ...] | ann_bench table RESULTS.jsonl".into())
        }
    };
    if let Err(e) = result {
        eprintln!("ann_bench: {e}");
        std::process::exit(1);
    }
}

#[derive(Debug, Clone)]
struct Config {
    vectors: usize,
    dim: usize,
    queries: usize,
    clusters: usize,
    spread: (f32, f32),
    quantization: Quantization,
    connectivity: usize,
    expansion_add: usize,
    efs: Vec<usize>,
    concurrency: Vec<usize>,
    secs: f64,
    threads: usize,
    slots: usize,
    max_secs: f64,
    cache_dir: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    out: Option<PathBuf>,
    label: String,
}

impl Config {
    fn parse(args: &[String]) -> Res<Self> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let mut c = Config {
            vectors: 1_000_000,
            dim: 384,
            queries: 1000,
            clusters: 4096,
            spread: (0.6, 1.0),
            quantization: Quantization::F32,
            connectivity: 16,
            expansion_add: 128,
            efs: vec![16, 32, 48, 64, 96, 128],
            concurrency: vec![1, 2, 4, 8, 32],
            secs: 5.0,
            threads,
            slots: threads,
            max_secs: 1800.0,
            cache_dir: None,
            snapshot: None,
            out: None,
            label: String::new(),
        };
        let list = |v: &str| -> Res<Vec<usize>> {
            v.split(',')
                .map(|x| x.trim().parse::<usize>().map_err(Into::into))
                .collect()
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let v = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--vectors" => c.vectors = v.parse()?,
                "--dim" => c.dim = v.parse()?,
                "--queries" => c.queries = v.parse()?,
                "--clusters" => c.clusters = v.parse()?,
                "--spread" => {
                    let (a, b) = v.split_once(':').ok_or("--spread takes MIN:MAX")?;
                    c.spread = (a.parse()?, b.parse()?);
                }
                "--quantization" => c.quantization = v.parse()?,
                "--connectivity" => c.connectivity = v.parse()?,
                "--expansion-add" => c.expansion_add = v.parse()?,
                "--ef" => c.efs = list(v)?,
                "--concurrency" => c.concurrency = list(v)?,
                "--secs" => c.secs = v.parse()?,
                "--threads" => c.threads = v.parse()?,
                "--slots" => c.slots = v.parse()?,
                "--max-secs" => c.max_secs = v.parse()?,
                "--cache-dir" => c.cache_dir = Some(v.into()),
                "--snapshot" => c.snapshot = Some(v.into()),
                "--out" => c.out = Some(v.into()),
                "--label" => c.label = v.clone(),
                other => return Err(format!("unknown option {other}").into()),
            }
        }
        if c.vectors == 0
            || c.queries == 0
            || c.dim == 0
            || c.threads == 0
            || c.slots == 0
            || c.efs.is_empty()
        {
            return Err("vectors, queries, dim, threads and --ef must be positive".into());
        }
        if c.vectors > 5_000_000 || c.dim > 4096 {
            return Err("at most 5,000,000 vectors of at most 4096 components".into());
        }
        if c.concurrency.iter().any(|&n| n == 0 || n > 256) {
            return Err("each concurrency must be 1 ... 256".into());
        }
        Ok(c)
    }
}

fn id(row: usize) -> Uuid {
    Uuid::from_u128(row as u128)
}

fn row(id: Uuid) -> usize {
    id.as_u128() as usize
}

fn tag(row: usize) -> u8 {
    (row % TAGS) as u8
}

/// CPU time (user + system) the process has used, in seconds (Linux's USER_HZ is 100).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): state is the 3rd, utime the 14th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// The process's resident set (VmRSS), in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn run(c: Config) -> Res<()> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(c.max_secs);
    let mixture = Mixture::new(c.dim, c.clusters, c.spread.0..c.spread.1, MIXTURE_SEED);
    let t = Instant::now();
    let data = mixture.samples(c.vectors, DATA_SEED, c.threads);
    let queries = mixture.samples(c.queries, QUERY_SEED, c.threads);
    eprintln!(
        "[ann] {} + {} vectors of {} from {} clusters (spread {}..{}) in {:.1}s",
        c.vectors,
        c.queries,
        c.dim,
        c.clusters,
        c.spread.0,
        c.spread.1,
        t.elapsed().as_secs_f64()
    );
    let (truth, truth_filtered, truth_secs) = ground_truth(&c, &data, &queries)?;

    // Build.
    let rss_before = rss();
    let options = IndexOptions {
        connectivity: c.connectivity,
        expansion_add: c.expansion_add,
        expansion_search: c.efs[0],
        quantization: c.quantization,
        threads: c.slots,
        initial_capacity: c.vectors,
        ..IndexOptions::new(c.dim)
    };
    let snapshot = c.snapshot.as_ref().map(|d| {
        d.join(format!(
            "{}-{}x{}-c{}-M{}-ea{}",
            c.quantization.as_str(),
            c.vectors,
            c.dim,
            c.clusters,
            c.connectivity,
            c.expansion_add
        ))
    });
    let built_before = snapshot.as_ref().filter(|d| d.join("build.json").is_file());
    let (index, build) = match built_before {
        Some(dir) => {
            let t = Instant::now();
            let index = HnswIndex::load(dir, options)?;
            let build: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("build.json"))?)?;
            eprintln!(
                "[ann] loaded the index built before from {} in {:.1}s (RSS +{:.0} MiB)",
                dir.display(),
                t.elapsed().as_secs_f64(),
                mib(rss().saturating_sub(rss_before))
            );
            (index, build)
        }
        None => {
            let index = HnswIndex::new(options)?;
            let cpu = cpu_secs();
            let build_secs = build(&c, &index, &data, deadline)?;
            let build_cpu = cpu_secs() - cpu;
            let build = json!({
                "build_secs": build_secs,
                "build_cores": build_cpu / build_secs,
                "rss_growth_bytes": rss().saturating_sub(rss_before),
                "index_memory_bytes": index.memory_usage() as u64,
            });
            if let Some(dir) = &snapshot {
                let t = Instant::now();
                index.save(dir)?;
                std::fs::write(dir.join("build.json"), build.to_string())?;
                eprintln!(
                    "[ann] saved to {} in {:.1}s",
                    dir.display(),
                    t.elapsed().as_secs_f64()
                );
            }
            (index, build)
        }
    };
    let build_secs = build["build_secs"].as_f64().unwrap_or(f64::NAN);
    let build_cores = build["build_cores"].as_f64().unwrap_or(f64::NAN);
    let rss_growth = build["rss_growth_bytes"].as_u64().unwrap_or(0);
    let index_memory = build["index_memory_bytes"].as_u64().unwrap_or(0);
    eprintln!(
        "[ann] built {} ({}, {}) in {build_secs:.1}s using {build_cores:.2} cores: {:.0} vectors/s; RSS +{:.0} MiB, usearch {:.0} MiB",
        c.vectors,
        c.quantization.as_str(),
        index.hardware_acceleration(),
        c.vectors as f64 / build_secs,
        mib(rss_growth),
        mib(index_memory)
    );

    // The sweep.
    let mut sweep = Vec::new();
    for &ef in &c.efs {
        index.set_expansion_search(ef);
        let recall = recall(&index, &queries, &truth, c.dim, false, c.threads)?;
        let recall_filtered = recall_f(&index, &queries, &truth_filtered, c.dim, c.threads)?;
        let mut runs = Vec::new();
        for &n in &c.concurrency {
            if Instant::now() + Duration::from_secs_f64(c.secs + 1.0) > deadline {
                eprintln!(
                    "[ann] ef {ef} × {n} threads: skipped, --max-secs {} spent",
                    c.max_secs
                );
                runs.push(json!({"concurrency": n, "skipped": "time budget spent"}));
                continue;
            }
            let r = closed_loop(&index, &queries, c.dim, n, c.secs, false)?;
            eprintln!(
                "[ann] ef {ef:>4}  recall@10 {recall:.4} (filtered {recall_filtered:.4})  {n:>3} threads: {:>7.0} QPS on {:.2} cores  p50 {:.2} ms  p99 {:.2} ms",
                r["qps"].as_f64().unwrap_or(0.0),
                r["cores"].as_f64().unwrap_or(0.0),
                r["p50_ms"].as_f64().unwrap_or(0.0),
                r["p99_ms"].as_f64().unwrap_or(0.0)
            );
            runs.push(r);
        }
        sweep.push(
            json!({"ef": ef, "recall": recall, "recall_filtered": recall_filtered, "runs": runs}),
        );
    }
    let chosen = sweep
        .iter()
        .find(|s| s["recall"].as_f64().unwrap_or(0.0) >= 0.95)
        .cloned();
    // Filtered search (a quarter of the items pass) at the smallest ef reaching recall 0.95 with
    // that filter (usearch explores further when few items pass), at the middle concurrency.
    let chosen_filtered = sweep
        .iter()
        .find(|s| s["recall_filtered"].as_f64().unwrap_or(0.0) >= 0.95)
        .cloned();
    let mut filtered = Value::Null;
    if let Some(ef) = chosen_filtered.as_ref().and_then(|s| s["ef"].as_u64()) {
        let n = c.concurrency[c.concurrency.len() / 2];
        if Instant::now() + Duration::from_secs_f64(c.secs + 1.0) <= deadline {
            index.set_expansion_search(ef as usize);
            let mut r = closed_loop(&index, &queries, c.dim, n, c.secs, true)?;
            r["ef"] = json!(ef);
            eprintln!(
                "[ann] filtered (1 tag in {TAGS}) ef {ef}, {n} threads: {:.0} QPS, p99 {:.2} ms",
                r["qps"].as_f64().unwrap_or(0.0),
                r["p99_ms"].as_f64().unwrap_or(0.0)
            );
            r["recall"] = chosen_filtered
                .as_ref()
                .map_or(Value::Null, |s| s["recall_filtered"].clone());
            filtered = r;
        }
    }
    let record = json!({
        "label": c.label,
        "quantization": c.quantization.as_str(),
        "vectors": c.vectors, "dim": c.dim, "queries": c.queries,
        "clusters": c.clusters, "spread": [c.spread.0, c.spread.1],
        "connectivity": c.connectivity, "expansion_add": c.expansion_add,
        "threads": c.threads, "slots": c.slots, "secs": c.secs,
        "simd": index.hardware_acceleration(),
        "truth_secs": truth_secs,
        "build_secs": build_secs,
        "build_rate": c.vectors as f64 / build_secs,
        "build_cores": build_cores,
        "loaded_snapshot": built_before.is_some(),
        "rss_growth_bytes": rss_growth,
        "index_memory_bytes": index_memory,
        "bytes_per_vector": rss_growth as f64 / c.vectors as f64,
        "sweep": sweep,
        "chosen_ef": chosen.as_ref().map(|s| s["ef"].clone()),
        "filtered": filtered,
        "total_secs": started.elapsed().as_secs_f64(),
    });
    if let Some(out) = &c.out {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)?;
        writeln!(f, "{record}")?;
    }
    print_table(&[record]);
    Ok(())
}

/// The exact top 10 of every query, plain and filtered: from the cache, or computed (and cached).
type Truth = Vec<Vec<usize>>;
fn ground_truth(c: &Config, data: &[f32], queries: &[f32]) -> Res<(Truth, Truth, f64)> {
    let name = format!(
        "truth-{}x{}-q{}-c{}-s{}-{}-seeds{}.{}.{}.json",
        c.vectors,
        c.dim,
        c.queries,
        c.clusters,
        c.spread.0,
        c.spread.1,
        MIXTURE_SEED,
        DATA_SEED,
        QUERY_SEED
    );
    let cached = c.cache_dir.as_ref().map(|d| d.join(name));
    if let Some(path) = &cached {
        if let Ok(text) = std::fs::read_to_string(path) {
            let v: Value = serde_json::from_str(&text)?;
            let plain: Truth = serde_json::from_value(v["plain"].clone())?;
            let filtered: Truth = serde_json::from_value(v["filtered"].clone())?;
            let secs = v["secs"].as_f64().unwrap_or(0.0);
            eprintln!(
                "[ann] exact top {K} from {} (computed in {secs:.1}s)",
                path.display()
            );
            return Ok((plain, filtered, secs));
        }
    }
    let t = Instant::now();
    let ids = |all: Vec<Vec<(usize, f32)>>| -> Truth {
        all.into_iter()
            .map(|hits| hits.into_iter().map(|(r, _)| r).collect())
            .collect()
    };
    let plain = ids(top_k_batch_where(
        data,
        queries,
        c.dim,
        K,
        c.threads,
        |_, _| true,
    )?);
    let filtered = ids(top_k_batch_where(
        data,
        queries,
        c.dim,
        K,
        c.threads,
        |q, r| r % TAGS == q % TAGS,
    )?);
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "[ann] exact top {K} of {} queries (and filtered) by brute force in {secs:.1}s",
        c.queries
    );
    if let Some(path) = &cached {
        std::fs::create_dir_all(path.parent().unwrap_or(path))?;
        std::fs::write(
            path,
            json!({"plain": plain, "filtered": filtered, "secs": secs}).to_string(),
        )?;
    }
    Ok((plain, filtered, secs))
}

/// Adds every row with `c.threads` threads, blocks of 1,000 rows handed out in order.
fn build(c: &Config, index: &HnswIndex, data: &[f32], deadline: Instant) -> Res<f64> {
    const BLOCK: usize = 1000;
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let t = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..c.threads)
            .map(|_| {
                s.spawn(|| -> Result<(), String> {
                    loop {
                        let start = next.fetch_add(BLOCK, Ordering::Relaxed);
                        if start >= c.vectors {
                            return Ok(());
                        }
                        if Instant::now() > deadline {
                            return Err("the time budget ran out while building".to_owned());
                        }
                        for r in start..(start + BLOCK).min(c.vectors) {
                            let v = &data[r * c.dim..(r + 1) * c.dim];
                            index.upsert(id(r), tag(r), v).map_err(|e| e.to_string())?;
                        }
                        done.fetch_add(BLOCK, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let mut last = Instant::now();
        while workers.iter().any(|w| !w.is_finished()) {
            std::thread::sleep(Duration::from_millis(200));
            if last.elapsed() >= Duration::from_secs(30) {
                last = Instant::now();
                let n = done.load(Ordering::Relaxed).min(c.vectors);
                eprintln!(
                    "[ann]   {n} added ({:.0}/s)",
                    n as f64 / t.elapsed().as_secs_f64()
                );
            }
        }
        workers
            .into_iter()
            .filter_map(|w| match w.join() {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some("a builder thread panicked".to_owned()),
            })
            .collect()
    });
    if let Some(e) = failures.first() {
        return Err(e.clone().into());
    }
    if index.len() != c.vectors {
        return Err(format!("the index holds {} items, not {}", index.len(), c.vectors).into());
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Mean recall@10 over the queries (split between `threads` threads).
fn recall(
    index: &HnswIndex,
    queries: &[f32],
    truth: &Truth,
    dim: usize,
    filtered: bool,
    threads: usize,
) -> Res<f64> {
    let n = truth.len();
    let found = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    let errors: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<(), String> {
                    loop {
                        let q = next.fetch_add(1, Ordering::Relaxed);
                        if q >= n {
                            return Ok(());
                        }
                        let filter = if filtered {
                            Filter::tagged(tag(q))
                        } else {
                            Filter::any()
                        };
                        let hits = index
                            .search(&queries[q * dim..(q + 1) * dim], K, &filter)
                            .map_err(|e| e.to_string())?;
                        let want: HashSet<usize> = truth[q].iter().copied().collect();
                        found.fetch_add(
                            hits.iter().filter(|h| want.contains(&row(h.id))).count(),
                            Ordering::Relaxed,
                        );
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.join().map_or(Some("panicked".to_owned()), Result::err))
            .collect()
    });
    if let Some(e) = errors.first() {
        return Err(e.clone().into());
    }
    let wanted: usize = truth.iter().map(Vec::len).sum();
    Ok(found.load(Ordering::Relaxed) as f64 / wanted.max(1) as f64)
}

fn recall_f(
    index: &HnswIndex,
    queries: &[f32],
    truth: &Truth,
    dim: usize,
    threads: usize,
) -> Res<f64> {
    recall(index, queries, truth, dim, true, threads)
}

/// `n` threads search back to back for `secs` seconds; QPS and latency percentiles.
fn closed_loop(
    index: &HnswIndex,
    queries: &[f32],
    dim: usize,
    n: usize,
    secs: f64,
    filtered: bool,
) -> Res<Value> {
    let nq = queries.len() / dim;
    let start = Instant::now();
    let cpu = cpu_secs();
    let end = start + Duration::from_secs_f64(secs);
    let per_thread: Vec<Result<Vec<u64>, String>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|t| {
                s.spawn(move || -> Result<Vec<u64>, String> {
                    let mut lat = Vec::with_capacity(1 << 14);
                    let mut q = t * nq / n;
                    while Instant::now() < end {
                        let filter = if filtered {
                            Filter::tagged(tag(q))
                        } else {
                            Filter::any()
                        };
                        let t0 = Instant::now();
                        index
                            .search(&queries[q * dim..(q + 1) * dim], K, &filter)
                            .map_err(|e| e.to_string())?;
                        lat.push(t0.elapsed().as_nanos() as u64);
                        q = (q + 1) % nq;
                    }
                    Ok(lat)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err("panicked".to_owned())))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    let mut all = Vec::new();
    for r in per_thread {
        all.extend(r?);
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i] as f64 / 1e6
    };
    Ok(json!({
        "concurrency": n, "searches": all.len(), "secs": elapsed,
        "qps": all.len() as f64 / elapsed,
        // CPU time the process got: on a shared machine, QPS per core is the steadier figure.
        "cores": cpu / elapsed, "qps_per_core": all.len() as f64 / cpu.max(1e-9),
        "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        "filtered": filtered,
    }))
}

/// Reads every run in a results file and prints them.
fn table(path: &str) -> Res<()> {
    let file = std::fs::File::open(path)?;
    let mut records = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if !line.trim().is_empty() {
            records.push(serde_json::from_str::<Value>(&line)?);
        }
    }
    print_table(&records);
    Ok(())
}

/// Targets of issue 14 on the 2-core machine.
const TARGET_RECALL: f64 = 0.95;
const TARGET_P99_MS: f64 = 5.0;
const TARGET_QPS: f64 = 2000.0;

fn print_table(records: &[Value]) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let u = |v: &Value| v.as_u64().unwrap_or(0);
    for r in records {
        println!();
        println!(
            "{} vectors × {} ({}, M {}, ef_add {}, SIMD {}): build {:.1}s = {:.0} vectors/s on {} threads \
             ({:.2} cores got){}; {} search slots; RSS +{:.0} MiB ({:.0} B/vector), usearch {:.0} MiB; \
             exact truth {:.1}s",
            u(&r["vectors"]), u(&r["dim"]), r["quantization"].as_str().unwrap_or("?"), u(&r["connectivity"]),
            u(&r["expansion_add"]), r["simd"].as_str().unwrap_or("?"), f(&r["build_secs"]), f(&r["build_rate"]),
            u(&r["threads"]), f(&r["build_cores"]),
            if r["loaded_snapshot"].as_bool() == Some(true) { ", built before" } else { "" },
            u(&r["slots"]), f(&r["rss_growth_bytes"]) / 1048576.0, f(&r["bytes_per_vector"]),
            f(&r["index_memory_bytes"]) / 1048576.0, f(&r["truth_secs"])
        );
        println!(
            "{:>5} {:>9} {:>9} {:>7} {:>8} {:>6} {:>9} {:>8} {:>8}  targets",
            "ef",
            "recall@10",
            "filtered",
            "threads",
            "QPS",
            "cores",
            "QPS/core",
            "p50 ms",
            "p99 ms"
        );
        let empty = Vec::new();
        for s in r["sweep"].as_array().unwrap_or(&empty) {
            let (ef, recall, recall_f) = (u(&s["ef"]), f(&s["recall"]), f(&s["recall_filtered"]));
            for run in s["runs"].as_array().unwrap_or(&empty) {
                let n = u(&run["concurrency"]);
                if let Some(why) = run["skipped"].as_str() {
                    println!("{ef:>5} {recall:>9.4} {recall_f:>9.4} {n:>7} {why}");
                    continue;
                }
                let ok = recall >= TARGET_RECALL
                    && f(&run["p99_ms"]) <= TARGET_P99_MS
                    && f(&run["qps"]) >= TARGET_QPS;
                println!(
                    "{ef:>5} {recall:>9.4} {recall_f:>9.4} {n:>7} {:>8.0} {:>6.2} {:>9.0} {:>8.3} {:>8.3}  {}",
                    f(&run["qps"]),
                    f(&run["cores"]),
                    f(&run["qps_per_core"]),
                    f(&run["p50_ms"]),
                    f(&run["p99_ms"]),
                    if ok { "met" } else { "-" }
                );
            }
        }
        match r["chosen_ef"].as_u64() {
            Some(ef) => println!(
                "smallest ef with recall@10 ≥ {TARGET_RECALL}: {ef}; targets: recall ≥ {TARGET_RECALL}, \
                 p99 ≤ {TARGET_P99_MS} ms, ≥ {TARGET_QPS} QPS"
            ),
            None => println!("no ef reached recall@10 ≥ {TARGET_RECALL}"),
        }
        if !r["filtered"].is_null() {
            let x = &r["filtered"];
            println!(
                "filtered (1 tag in {TAGS}) at ef {} (recall@10 {:.4}): {} threads {:.0} QPS on {:.2} cores, \
                 p50 {:.3} ms, p99 {:.3} ms",
                u(&x["ef"]), f(&x["recall"]), u(&x["concurrency"]), f(&x["qps"]), f(&x["cores"]),
                f(&x["p50_ms"]), f(&x["p99_ms"])
            );
        }
    }
}
