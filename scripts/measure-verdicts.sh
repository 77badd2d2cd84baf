#!/usr/bin/env bash
# Every figure docs/DETECTION.md reports for issue 16's goals, under one load
# condition, with the raw data saved under docs/data/:
#
#   scripts/measure-verdicts.sh quiet          # nothing else running
#   scripts/measure-verdicts.sh one            # one competing inference process on CPU 1
#   scripts/measure-verdicts.sh both           # one on each of CPUs 0 and 1
#   scripts/measure-verdicts.sh quiet --grid   # also the block-length grid
#
# The bench starts and stops the competing processes itself (an `edgeperf
# __worker` timing efficientnet_lite0 without end, pinned with taskset). Run it
# on a machine with nothing else going on for `quiet` (check /proc/loadavg:
# about 0 before it starts); every output records /proc/loadavg before and after.
#
# What it runs (cargo bench --bench verdicts, benches/verdicts/):
#   1. kinds: 40 rounds of every kind of change (no change in one and two
#      processes, model +3/+5/+11/+18%, threads both ways, an OpenVINO option,
#      the runtime library), judged by the sequential rule in 2000 comparisons
#      per kind drawn as whole rounds with replacement (~20 min on 2 cores);
#   2. loop: the PR loop timed on the default suite's cpu paths in a
#      throw-away repository: a PR changing no input, every path measured, a
#      ~18% slower model (~5 min);
#   3. with --grid: block lengths 20/40/80/150 ms, 1.2 s per side, no change
#      and +5%, 30 rounds (~15 min).
#
# Output: docs/data/verdicts-<date>-<load>.json (every timed inference by
# block, every round's machine state) and .md (the tables), and
# docs/data/pr-loop-<date>-<load>.md; with --grid, grid-<date>-<load>.json/.md.
# Environment: EDGEPERF_VERDICTS_ROUNDS (default 40), EDGEPERF_VERDICTS_DRAWS
# (2000), EDGEPERF_VERDICTS_ONLY (kinds whose name contains it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

load="${1:-}"
case "$load" in
  quiet|one|both) ;;
  *) echo "usage: scripts/measure-verdicts.sh quiet|one|both [--grid]" >&2; exit 2 ;;
esac
grid=0
[ "${2:-}" = "--grid" ] && grid=1
command -v taskset >/dev/null || { echo "measure-verdicts: taskset (util-linux) is needed" >&2; exit 2; }
[ -x .edgeperf/venv/bin/python ] || { echo "measure-verdicts: run scripts/setup.sh first (.edgeperf/venv)" >&2; exit 2; }

# The +3% and ~18% slower variants (bitwise-identical outputs; +5% and +11%
# come with the set-up). Block counts as for slow5/slow11: ~0.5% per block
# on top of a ~2% stem (scripts/assets/slow_variant.py).
mkdir -p .edgeperf/verdicts
for v in slow3:2 slow18:32; do
  out=".edgeperf/verdicts/mobilenet_v2_${v%%:*}.onnx"
  if [ ! -f "$out" ]; then
    .edgeperf/venv/bin/python scripts/assets/slow_variant.py .edgeperf/models/mobilenet_v2.onnx "$out" \
      --blocks "${v##*:}" --check-optimized
  fi
done

cargo build --release --locked --bin edgeperf
cargo bench --locked --bench verdicts --no-run

day="$(date -u +%Y-%m-%d)"
mkdir -p docs/data
echo "measure-verdicts: $load, loadavg $(cat /proc/loadavg)"

EDGEPERF_VERDICTS_MODE=kinds EDGEPERF_VERDICTS_LOAD="$load" \
  EDGEPERF_VERDICTS_OUT="docs/data/verdicts-$day-$load.json" \
  cargo bench --locked --bench verdicts | tee "docs/data/verdicts-$day-$load.md"

EDGEPERF_VERDICTS_MODE=loop EDGEPERF_VERDICTS_LOAD="$load" \
  cargo bench --locked --bench verdicts | tee "docs/data/pr-loop-$day-$load.md"

if [ "$grid" = 1 ]; then
  EDGEPERF_VERDICTS_MODE=grid EDGEPERF_VERDICTS_LOAD="$load" \
    EDGEPERF_VERDICTS_OUT="docs/data/grid-$day-$load.json" \
    cargo bench --locked --bench verdicts | tee "docs/data/grid-$day-$load.md"
fi
echo "measure-verdicts: done, loadavg $(cat /proc/loadavg); data in docs/data/*-$day-$load.*"
