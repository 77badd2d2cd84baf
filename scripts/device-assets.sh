#!/usr/bin/env bash
# Set-up of a device job (.github/workflows): the checkout is new every job, the
# assets are not. Models, photos and the venv live in a folder outside the checkout
# that survives between jobs (EDGEPERF_ASSETS, default
# ${XDG_CACHE_HOME:-~/.cache}/edgeperf/assets); `.edgeperf` in the checkout becomes a
# link to it, so the suite's `.edgeperf/...` paths resolve. The ONNX Runtime library
# is the device's: EDGEPERF_RUNTIME, else ORT_DYLIB_PATH (the runner's .env), else
# the PyPI wheel of this architecture (scripts/setup-assets.sh).
#
#   scripts/device-assets.sh          (from the repository root)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

assets="${EDGEPERF_ASSETS:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeperf/assets}"
case "$assets" in /*) ;; *) echo "device-assets: error: EDGEPERF_ASSETS=$assets must be an absolute path" >&2; exit 2 ;; esac
case "$assets/" in "$PWD"/*) echo "device-assets: error: EDGEPERF_ASSETS=$assets is inside the checkout $PWD" >&2; exit 2 ;; esac
mkdir -p "$assets"
if [ -e .edgeperf ] && [ ! -L .edgeperf ]; then
  echo "device-assets: error: $PWD/.edgeperf exists and is not a link (start from an empty workspace)" >&2; exit 2
fi
ln -sfn "$assets" .edgeperf

runtime="${EDGEPERF_RUNTIME:-${ORT_DYLIB_PATH:-}}"
echo "device-assets: assets in $assets; runtime ${runtime:-from the PyPI wheel of $(uname -m)}" >&2
EDGEPERF_HOME="$assets" EDGEPERF_RUNTIME="$runtime" scripts/setup-assets.sh
