#!/usr/bin/env bash
# README command 2: run the tests. Sets up the (cached) assets first, so it works on a
# fresh clone: the integration tests run the real models on the real photos.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (rustup) first" >&2; exit 2; }
scripts/setup-assets.sh
# Timing-sensitive integration tests measure real latency: run test binaries one at a
# time (the machine has few cores) but keep unit tests parallel inside each binary.
cargo test --release --locked -- --test-threads=1 "$@"
