#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Embedding throughput on real sentences; prints one JSON line.
//!
//! ```text
//! # the service's set-up: one batch per core
//! cargo run --release -p moji-embed --example embed_bench -- --threads 2
//! # one batch at a time on one core
//! cargo run --release -p moji-embed --example embed_bench
//! ```
//!
//! Options: `--sentences N` (10000), `--batch N` texts per `embed` call (64), `--threads N` (1).
//! With `--threads 1` the calls run one after another on this thread, otherwise all of them are
//! submitted at once to an [`EmbedPool`] of that many threads (queue large enough to admit them).
//!
//! The sentences are split from text that every checkout on a fresh Debian machine has: the
//! repository's README and docs/, Debian's /usr/share/common-licenses/* (base-files) and the
//! model's own README.md. There are fewer distinct ones than 10,000, so they are cycled;
//! `distinct` says how many there were and `mean_tokens` how long they are ([CLS] and [SEP]
//! included). `cpu_seconds` is the process's user + system time, and `sentences_per_cpu_s` the
//! rate per busy core: a figure that holds up when other work shares the cores.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use moji_embed::{EmbedPool, Embedder, MODEL_DIR};

/// The allocator the services use: candle allocates a fresh buffer per operation, and glibc
/// returns large ones to the kernel, so every forward pass page-faults them in again.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MOJI_MODELS_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("MOJI_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"))
        .join("models")
}

/// Prose from a text or Markdown file: fenced code, tables and headings dropped, lines joined.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || t.starts_with('|') || t.starts_with('#') || t.starts_with("---") {
            out.push('\n');
            continue;
        }
        out.push_str(t);
        out.push(if t.is_empty() { '\n' } else { ' ' });
    }
    out
}

/// Sentences: split at `.`, `?`, `!` or `;` before whitespace, and at blank lines; at least
/// three words.
fn sentences(text: &str, into: &mut Vec<String>) {
    for para in prose(text).split('\n') {
        let mut start = 0;
        let chars: Vec<(usize, char)> = para.char_indices().collect();
        for (k, &(i, c)) in chars.iter().enumerate() {
            let end_here = matches!(c, '.' | '?' | '!' | ';')
                && chars.get(k + 1).is_none_or(|&(_, n)| n.is_whitespace());
            if end_here || k + 1 == chars.len() {
                let s = para[start..i + c.len_utf8()]
                    .split_whitespace()
                    .collect::<Vec<_>>();
                if s.len() >= 3 {
                    into.push(s.join(" "));
                }
                start = i + c.len_utf8();
            }
        }
    }
}

fn corpus(model_dir: &Path) -> Vec<String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = vec![repo.join("README.md"), model_dir.join("README.md")];
    for dir in [
        repo.join("docs"),
        PathBuf::from("/usr/share/common-licenses"),
    ] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        files.extend(found);
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut found = Vec::new();
        sentences(&text, &mut found);
        // Symlinked licences (GPL -> GPL-3, ...) would repeat whole files.
        out.extend(found.into_iter().filter(|s| seen.insert(s.clone())));
    }
    out
}

fn cpu_seconds() -> f64 {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} {v}: not a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--sentences", 10_000);
    let batch = arg(&args, "--batch", 64).max(1);
    let threads = arg(&args, "--threads", 1).max(1);

    let dir = models_dir().join(MODEL_DIR);
    let started = Instant::now();
    let embedder = Arc::new(
        Embedder::load(&dir)
            .unwrap_or_else(|e| panic!("loading {}: {e} (run scripts/models.sh)", dir.display())),
    );
    let load_seconds = started.elapsed().as_secs_f64();

    let distinct = corpus(&dir);
    assert!(!distinct.is_empty(), "no sentences found");
    let texts: Vec<String> = distinct.iter().cycle().take(n).cloned().collect();
    let tokens: usize = texts
        .iter()
        .map(|t| embedder.tokenize(t).unwrap().len())
        .sum();

    // Warm-up: first-touch allocations.
    let warm: Vec<&str> = texts.iter().take(batch).map(String::as_str).collect();
    embedder.embed(&warm).unwrap();

    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let vectors = if threads == 1 {
        let mut count = 0;
        for chunk in texts.chunks(batch) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            count += embedder.embed(&refs).unwrap().len();
        }
        count
    } else {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let pool = EmbedPool::new(embedder.clone(), threads, texts.len() / batch + 1);
        rt.block_on(async {
            let calls: Vec<_> = texts
                .chunks(batch)
                .map(|chunk| {
                    let pool = pool.clone();
                    let chunk = chunk.to_vec();
                    tokio::spawn(async move { pool.embed(chunk).await })
                })
                .collect();
            let mut count = 0;
            for call in calls {
                count += call.await.unwrap().unwrap().len();
            }
            count
        })
    };
    let seconds = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    assert_eq!(vectors, texts.len());

    let report = serde_json::json!({
        "sentences": texts.len(),
        "distinct": distinct.len(),
        "mean_tokens": (tokens as f64 / texts.len() as f64 * 10.0).round() / 10.0,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "sentences_per_s": (texts.len() as f64 / seconds * 10.0).round() / 10.0,
        "cpu_seconds": (cpu * 100.0).round() / 100.0,
        "sentences_per_cpu_s": (texts.len() as f64 / cpu * 10.0).round() / 10.0,
        "batch": batch,
        "threads": threads,
        "load_seconds": (load_seconds * 1000.0).round() / 1000.0,
    });
    println!("{report}");
}
