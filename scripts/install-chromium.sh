#!/usr/bin/env bash
# Installs Debian's `chromium` when no Chromium is on PATH: the dashboard's
# browser test (tests/dashboard_browser.rs) drives it headless. Called by
# scripts/test.sh; needs root or passwordless sudo for apt-get when it installs.
set -euo pipefail

for name in chromium chromium-browser google-chrome; do
  if command -v "$name" >/dev/null 2>&1; then
    exit 0
  fi
done
if [[ -n "${EDGEPERF_CHROMIUM:-}" && -x "${EDGEPERF_CHROMIUM}" ]]; then
  exit 0
fi

sudo=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    echo "error: chromium is missing and this user cannot install it (not root, no sudo): apt-get install -y chromium" >&2
    exit 2
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: chromium is missing and apt-get is not available: install Chromium and put it on PATH (or set EDGEPERF_CHROMIUM)" >&2
  exit 2
fi
echo "[test] installing chromium (apt-get) for the dashboard browser test" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
