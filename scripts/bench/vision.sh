#!/usr/bin/env bash
# Per-step cost of the face pipeline (moji-media decode, moji-vision detect / classify / features)
# on a 1 MP photo, with OpenCV limited to one thread: the "one core" figures.
#
#   scripts/bench/vision.sh           ms per image for each step
#   scripts/bench/vision.sh --sweep   also detection time for a grid of DetectConfigs
#
# Needs the model files (scripts/models.sh) and the Debian packages in scripts/lib/vision-deps.txt.
# "wall" is elapsed time, "CPU" the time the benchmark thread actually ran: on a busy machine the
# CPU column is the better single-core figure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

mapfile -t vision_deps < <(grep -v '^\s*\(#\|$\)' "$MOJI_ROOT/scripts/lib/vision-deps.txt")
apt_install "${vision_deps[@]}"

export MOJI_MODELS_DIR="${MOJI_MODELS_DIR:-$MOJI_CACHE_DIR/models}"
[ -f "$MOJI_MODELS_DIR/fer_mini_xception.onnx" ] || die "$MOJI_MODELS_DIR has no model: run scripts/models.sh"
if [ "${1:-}" = "--sweep" ]; then export MOJI_BENCH_SWEEP=1; fi

cd "$MOJI_ROOT"
say "cargo bench -p moji-vision (load: $(cut -d' ' -f1-3 /proc/loadavg))"
cargo bench -q -p moji-vision --bench vision
