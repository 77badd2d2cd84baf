#!/usr/bin/env bash
# README command 2: run the tests, both tiers (CONTRIBUTING.md), on a fresh clone too.
#   1. lint: `cargo fmt --check`, then clippy on every target and feature, warnings denied
#   2. the fast tier: plain `cargo test` (no downloaded asset, tests in parallel)
#   3. set-up: the (cached) assets, scripts/setup-assets.sh, and headless Chromium
#   4. the slow tier: every test, the real models, browser, signals and end-to-end
#      ones included (`--features slow-tests`), release build, one test at a time
# Extra arguments go to both test runs (after `--`), e.g. a test name filter.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (rustup) first" >&2; exit 2; }
step() { echo "[test] $*" >&2; }

step "1/4 cargo fmt --check, cargo clippy"
cargo fmt --all --check
cargo clippy --release --locked --all-targets --all-features -- -D warnings

step "2/4 the fast tier: cargo test"
start=$SECONDS
cargo test --locked --no-fail-fast -- "$@"
step "fast tier took $((SECONDS - start)) s"

step "3/4 set-up: assets, Chromium"
scripts/setup-assets.sh
# tests/dashboard_browser.rs fails without a browser; install Debian's chromium
# when none is on PATH.
scripts/install-chromium.sh

# Integration tests measure real latency and interleave real models: one test at a
# time, so they do not slow each other down on a small machine.
step "4/4 the slow tier: cargo test --release --features slow-tests"
start=$SECONDS
cargo test --release --locked --features slow-tests --no-fail-fast -- --test-threads=1 "$@"
step "slow tier took $((SECONDS - start)) s"
