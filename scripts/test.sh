#!/usr/bin/env bash
# README command 2: run the tests. Sets up the (cached) assets first, so it works on a
# fresh clone: the integration tests run the real models on the real photos.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (rustup) first" >&2; exit 2; }
scripts/setup-assets.sh

# --- dashboard browser test: headless Chromium (issue 9) ---------------------
# tests/dashboard_browser.rs fails without a browser; install Debian's chromium
# when none is on PATH.
scripts/install-chromium.sh
# -----------------------------------------------------------------------------

# Integration tests measure real latency and interleave real models: one test at a
# time, so they do not slow each other down on a small machine.
cargo test --release --locked --no-fail-fast -- --test-threads=1 "$@"
