#!/usr/bin/env bash
# The recommendation benchmark (issue 14, docs/recommend.md): the ANN index (moji-ann), then
# embedding speed (moji-embed) when that crate is in the workspace.
#
#   scripts/bench/recommend.sh                                  # 1,000,000 vectors, f32 and f16
#   VECTORS=100000 SECS=2 QUANTIZATIONS=f32 scripts/bench/recommend.sh   # a quick run
#   PARTS=embed scripts/bench/recommend.sh                      # embedding speed only
#
# ann: VECTORS seeded 384-d unit vectors from a mixture of CLUSTERS Gaussian clusters on the
# sphere (each with its own spread, drawn from SPREAD, noise length relative to the centre),
# and QUERIES held-out queries from the same mixture. Their exact top 10 (plain, and among the
# quarter of the items with the query's tag) come from a parallel brute force, cached in
# $MOJI_CACHE_DIR/bench/recommend. For each storage in QUANTIZATIONS, one process (so its RSS
# growth is its index's alone) builds an HnswIndex (M CONNECTIVITY, ef_add EXPANSION_ADD) with
# THREADS threads adding at once, then for each expansion_search in EFS measures recall@10
# and, for each concurrency in CONCURRENCY, searches in a closed loop for SECS seconds (QPS,
# p50, p99, and the cores the process got: the machine is shared). It reports the smallest ef
# reaching recall@10 ≥ 0.95, and filtered-search speed at the smallest ef reaching it with the
# filter. Targets (2 cores): recall@10 ≥ 0.95 at p99 ≤ 5 ms and ≥ 2,000 QPS.
#
# embed: `cargo run --release -p moji-embed --example embed_bench -- $EMBED_ARGS`, only if
# the workspace has the package moji-embed with that example (another part of issue 14).
#
# Settings (environment): VECTORS (1000000, at most 5000000), QUERIES (1000), CLUSTERS (4096),
# SPREAD (0.6:1.0), QUANTIZATIONS ("f32 f16"), CONNECTIVITY (16), EXPANSION_ADD (128), EFS
# (16,32,48,64,96,128), CONCURRENCY (1,2,4,8,32), SECS (5), THREADS (nproc), PARTS ("ann embed"),
# BUDGET (3600 s for the ann runs together; each run gets what is left), EMBED_ARGS,
# SNAPSHOTS=1 to keep each built index in $MOJI_CACHE_DIR/bench/recommend/snapshots and load it
# (with its build figures) on the next run of the same size and settings, instead of building.
# Results: $MOJI_CACHE_DIR/bench/recommend/results.jsonl (one JSON line per ann run).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

VECTORS="${VECTORS:-1000000}"
QUERIES="${QUERIES:-1000}"
CLUSTERS="${CLUSTERS:-4096}"
SPREAD="${SPREAD:-0.6:1.0}"
QUANTIZATIONS="${QUANTIZATIONS:-f32 f16}"
CONNECTIVITY="${CONNECTIVITY:-16}"
EXPANSION_ADD="${EXPANSION_ADD:-128}"
EFS="${EFS:-16,32,48,64,96,128}"
CONCURRENCY="${CONCURRENCY:-1,2,4,8,32}"
SECS="${SECS:-5}"
THREADS="${THREADS:-$(nproc)}"
PARTS="${PARTS:-ann embed}"
BUDGET="${BUDGET:-3600}"
EMBED_ARGS="${EMBED_ARGS:-}"
SNAPSHOTS="${SNAPSHOTS:-0}"
DIM=384

for v in VECTORS QUERIES CLUSTERS CONNECTIVITY EXPANSION_ADD SECS THREADS BUDGET; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number (got '${!v}')"
done
[[ "$EFS" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "EFS must be numbers joined by commas"
[[ "$CONCURRENCY" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "CONCURRENCY must be numbers joined by commas"
[[ "$SPREAD" =~ ^[0-9.]+:[0-9.]+$ ]] || die "SPREAD must be MIN:MAX (got '$SPREAD')"
[ "$VECTORS" -le 5000000 ] || die "VECTORS must not exceed 5000000"
[ "$BUDGET" -le 7200 ] || die "BUDGET must not exceed 7200 s"
for q in $QUANTIZATIONS; do
  case "$q" in f32 | f16) ;; *) die "QUANTIZATIONS: unknown storage $q (f32 f16)" ;; esac
done
for p in $PARTS; do
  case "$p" in ann | embed) ;; *) die "PARTS: unknown part $p (ann embed)" ;; esac
done

if commit="$(git rev-parse --short HEAD 2>/dev/null)"; then
  git diff --quiet HEAD 2>/dev/null || commit="$commit with uncommitted changes"
else
  commit="(not a git checkout)"
fi
bench_dir="$MOJI_CACHE_DIR/bench/recommend"
mkdir -p "$bench_dir"

ann() {
  # The vectors (f32) and one index (at most ~2 KB a vector) must fit beside everything else.
  local need_kib=$((VECTORS * (DIM * 4 + 2048) / 1024 + 262144))
  local avail_kib
  avail_kib="$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)"
  [ "$avail_kib" -ge "$need_kib" ] ||
    die "VECTORS=$VECTORS needs about $((need_kib / 1024)) MiB, only $((avail_kib / 1024)) MiB are available"

  say "building the ann benchmark (release)"
  cargo build -q --release --locked -p moji-ann --example ann_bench
  local bin="$CARGO_TARGET_DIR/release/examples/ann_bench"
  local results="$bench_dir/results.jsonl"
  : >"$results"
  say "ann: moji-ann $commit, $VECTORS × $DIM, $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  local budget_end=$((SECONDS + BUDGET)) q left
  local snapshot=()
  [ "$SNAPSHOTS" != 1 ] || snapshot=(--snapshot "$bench_dir/snapshots")
  for q in $QUANTIZATIONS; do
    left=$((budget_end - SECONDS))
    if [ "$left" -lt 30 ]; then
      warn "ann $q: the time budget ($BUDGET s) is spent: not run"
      continue
    fi
    say "ann $q (at most $left s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
    "$bin" run --vectors "$VECTORS" --dim "$DIM" --queries "$QUERIES" --clusters "$CLUSTERS" \
      --spread "$SPREAD" --quantization "$q" --connectivity "$CONNECTIVITY" \
      --expansion-add "$EXPANSION_ADD" --ef "$EFS" --concurrency "$CONCURRENCY" --secs "$SECS" \
      --threads "$THREADS" --max-secs "$left" --cache-dir "$bench_dir" --out "$results" \
      --label "$commit" "${snapshot[@]}" >/dev/null ||
      warn "ann $q: the benchmark failed (see above)"
  done
  [ -s "$results" ] || die "no ann run finished"
  say "ann: moji-ann $commit, $VECTORS × $DIM, $(nproc) cores (results: $results)"
  "$bin" table "$results"
}

# Part two (another part of issue 14): embedding speed, when moji-embed has its benchmark.
has_embed_bench() {
  cargo metadata --no-deps --format-version 1 --locked 2>/dev/null | python3 -c '
import json, sys
packages = json.load(sys.stdin)["packages"]
sys.exit(0 if any(p["name"] == "moji-embed" and any(t["name"] == "embed_bench" and "example" in t["kind"]
                                                   for t in p["targets"]) for p in packages) else 1)'
}
embed() {
  if ! has_embed_bench; then
    say "embed: the workspace has no moji-embed example embed_bench yet: skipped"
    return 0
  fi
  say "embed: cargo run --release -p moji-embed --example embed_bench -- $EMBED_ARGS"
  # shellcheck disable=SC2086 # EMBED_ARGS is a list of arguments
  cargo run -q --release --locked -p moji-embed --example embed_bench -- $EMBED_ARGS
}

for p in $PARTS; do
  "$p"
done
