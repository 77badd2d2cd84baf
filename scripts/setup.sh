#!/usr/bin/env bash
# README command 1: set everything up on a fresh machine and run the default suite.
#   1. assets: ONNX Runtime libraries, ONNX models, labelled photos (scripts/setup-assets.sh; cached)
#   2. build edgeperf (release)
#   3. run the built-in default suite (edgeperf.toml): table on stdout, run record under .edgeperf/runs/
# EDGEPERF_SETUP_ONLY=1 stops after step 2. Extra arguments go to `edgeperf run`.
# EDGEPERF_RUNTIME=/path/libonnxruntime.so: that ONNX Runtime library instead of the PyPI wheel
# (set-up checks it; the suite runs with `--runtime` pointing at it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (rustup) first" >&2; exit 2; }
scripts/setup-assets.sh
echo "[setup] building edgeperf (release)" >&2
cargo build --release --locked --quiet
if [[ "${EDGEPERF_SETUP_ONLY:-0}" == "1" ]]; then
  echo "[setup] done: ${CARGO_TARGET_DIR:-target}/release/edgeperf run   # runs the default suite" >&2
  exit 0
fi
echo "[setup] running the default suite (edgeperf.toml)" >&2
start=$SECONDS
runtime=()
if [[ -n "${EDGEPERF_RUNTIME:-}" ]]; then runtime=(--runtime "$EDGEPERF_RUNTIME"); fi
"${CARGO_TARGET_DIR:-target}/release/edgeperf" run "${runtime[@]}" "$@"
echo "[setup] default suite took $((SECONDS - start)) s" >&2
