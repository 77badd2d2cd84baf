#!/usr/bin/env bash
# The figures docs/HISTORY.md reports for issue 17's goals, under one load
# condition, with the raw data saved under docs/data/:
#
#   scripts/measure-history.sh quiet    # nothing else running (loadavg about 0)
#   scripts/measure-history.sh busy     # one competing inference process on CPU 1
#
# `busy` starts the competitor itself (ONNX Runtime in the venv's Python timing
# efficientnet_lite0 on one thread without end, pinned with taskset) and stops
# it at the end. Every output records /proc/loadavg before and after.
#
# What it runs (scripts/measure_history.py, through target/release/edgeperf, in
# throw-away git repositories, cpu device, mobilenet_v2, the shipped sampling
# settings and the [compare] defaults):
#   G1  10 accepts of unchanged code as main's workflow makes them (run,
#       baseline pair, baseline accept --paired, report alerts --dry-run), then
#       an 11th with a +6% model (~5 min);
#   G2  bisect over 16 commits, models built by --build, the +6% commit at a
#       position drawn from each of the seeds 1..10 (~12 min);
#   G3  backfill of 8 commits, SIGINT once 4 are done, resumed (~4 min).
# About 20-25 minutes on 2 quiet cores.
#
# Output: docs/data/history-<date>-<condition>.json (every figure, the bisect
# and history documents) and .md (the tables).
# Environment, for shorter runs while developing (the goals are the defaults):
# EDGEPERF_HISTORY_ACCEPTS (10), EDGEPERF_HISTORY_COMMITS (16),
# EDGEPERF_HISTORY_SEEDS (10), EDGEPERF_HISTORY_BACKFILL (8),
# EDGEPERF_HISTORY_ONLY (g1|g2|g3), EDGEPERF_HISTORY_SUITE=short (short runs and
# confirmation budget), EDGEPERF_HISTORY_OUT (a folder instead of docs/data).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

condition="${1:-}"
case "$condition" in
  quiet|busy) ;;
  *) echo "usage: scripts/measure-history.sh quiet|busy" >&2; exit 2 ;;
esac
[ -x .edgeperf/venv/bin/python ] || { echo "measure-history: run scripts/setup.sh first (.edgeperf/venv)" >&2; exit 2; }
[ -f .edgeperf/models/mobilenet_v2.onnx ] || { echo "measure-history: run scripts/setup-assets.sh first" >&2; exit 2; }
command -v git >/dev/null || { echo "measure-history: git is needed" >&2; exit 2; }

cargo build --release --locked --bin edgeperf

competitor=""
stop_competitor() { [ -n "$competitor" ] && kill "$competitor" 2>/dev/null; wait 2>/dev/null || true; }
trap stop_competitor EXIT
if [ "$condition" = busy ]; then
  command -v taskset >/dev/null || { echo "measure-history: taskset (util-linux) is needed for busy" >&2; exit 2; }
  taskset -c 1 .edgeperf/venv/bin/python - .edgeperf/models/efficientnet_lite0.onnx <<'EOF' &
import sys, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
s = ort.InferenceSession(sys.argv[1], o, providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]
x = np.random.default_rng(0).random([d if isinstance(d, int) else 1 for d in i.shape], dtype=np.float32)
while True:
    s.run(None, {i.name: x})
EOF
  competitor=$!
  sleep 2
fi

day="$(date -u +%Y-%m-%d)"
dir="${EDGEPERF_HISTORY_OUT:-docs/data}"
mkdir -p "$dir"
echo "measure-history: $condition, loadavg $(cat /proc/loadavg)"
python3 scripts/measure_history.py "$condition" "$day" "$dir/history-$day-$condition.json" \
  | tee "$dir/history-$day-$condition.md"
echo "measure-history: done, loadavg $(cat /proc/loadavg); data in $dir/history-$day-$condition.{json,md}"
