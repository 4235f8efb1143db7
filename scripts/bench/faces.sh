#!/usr/bin/env bash
# The face pipeline's benchmark: raw pipeline cost on one core, then end-to-end latency and
# throughput through the real api, RabbitMQ, Redis, PostgreSQL and inference worker (release
# builds), and the platform overhead ratio between the two.
#
#   scripts/bench/faces.sh                 # 500 uploads at concurrency 16, detection adaptive
#   N=100 CONCURRENCY=8 scripts/bench/faces.sh
#   MOJI_FACES__DETECTION=thorough scripts/bench/faces.sh
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$MOJI_ROOT"

N="${N:-500}"
CONCURRENCY="${CONCURRENCY:-16}"
export MOJI_FACES__DETECTION="${MOJI_FACES__DETECTION:-adaptive}"
export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"

"$MOJI_ROOT/scripts/infra.sh" --with-vision >/dev/null
"$MOJI_ROOT/scripts/models.sh" >/dev/null

say "raw pipeline (one core, cargo bench -p moji-inference --bench pipeline)"
raw="$(cargo bench -q --locked -p moji-inference --bench pipeline 2>/dev/null)"
echo "$raw" | grep -v '^RAW_'
raw_vision="$(echo "$raw" | sed -n 's/^RAW_VISION_MS=//p')"
raw_pipeline="$(echo "$raw" | sed -n 's/^RAW_PIPELINE_MS=//p')"

cargo build -q --release --locked --bins
bin="$CARGO_TARGET_DIR/release"
bench_dir="$MOJI_CACHE_DIR/bench"
mkdir -p "$bench_dir"
rm -rf "$bench_dir/storage"

workers="$(nproc)"
export MOJI_JWT__SECRET="bench-secret-bench-secret-bench-secret"
export MOJI_STORAGE__SIGNING_SECRET="bench-signing-bench-signing-bench-sign"
export MOJI_STORAGE__LOCAL_ROOT="$bench_dir/storage"
export MOJI_AMQP__PREFIX="bench."
export MOJI_REDIS__KEY_PREFIX="bench"
export MOJI_HTTP__API_PORT=18281
export MOJI_HTTP__INFERENCE_PORT=18284
export MOJI_FACES__WORKERS="$workers"
export MOJI_AUTH__BCRYPT_COST=4
export RUST_LOG="${RUST_LOG:-warn}"
"$bin/moji-api" migrate >/dev/null

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
"$bin/moji-api" serve >"$bench_dir/api.log" 2>&1 & pids+=($!)
"$bin/moji-inference" >"$bench_dir/inference.log" 2>&1 & pids+=($!)
wait_for "curl -fsS http://127.0.0.1:18281/readyz" 60 || die "api did not start (see $bench_dir/api.log)"
wait_for "curl -fsS http://127.0.0.1:18284/readyz" 60 || die "inference did not start (see $bench_dir/inference.log)"

say "end to end: $N uploads of a 1 MP JPEG at concurrency $CONCURRENCY (detection $MOJI_FACES__DETECTION, $workers vision threads)"
report="$(python3 "$MOJI_ROOT/scripts/bench/load.py" --api http://127.0.0.1:18281/api/v1 \
  --image "$bench_dir/photo_1mp.jpg" -n "$N" --concurrency "$CONCURRENCY")"
echo "$report"

python3 - "$report" "$raw_vision" "$raw_pipeline" "$workers" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); vision = float(sys.argv[2]); pipeline = float(sys.argv[3]); workers = int(sys.argv[4])
# Per-image cost end to end: the core-time of the vision threads per finished image at
# saturation. Divided by the one-core raw cost it says how much the platform adds.
per_image_ms = workers * 1000.0 / r["throughput_per_s"]
print(f"raw vision (detect+classify+composite): {vision:.1f} ms/image   raw pipeline (+decode, encode): {pipeline:.1f} ms/image")
print(f"idle latency: p50 {r['idle_p50_ms']} ms, p99 {r['idle_p99_ms']} ms ({r['idle_tasks']} sequential tasks)")
print(f"under load: {r['succeeded']}/{r['tasks']} succeeded, {r['throughput_per_s']} images/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms")
print(f"end-to-end per-image cost: {per_image_ms:.1f} ms ({workers} vision threads x wall / images)")
print(f"overhead ratio: {per_image_ms / vision:.2f}x vs raw vision, {per_image_ms / pipeline:.2f}x vs raw pipeline")
PY
