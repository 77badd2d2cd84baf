#!/usr/bin/env bash
# What `edgeperf explain` costs and how steady it is (docs/EXPLAIN.md, "Measured"):
#   1. cost: every model of the default suite on `cpu` explained against itself (the
#      same work as a changed path: two profile rounds, both graphs), seconds per path;
#   2. the hidden-style change: mobilenet_v2 with an identity-like 1x1 convolution after
#      its stem (tests/fixtures/explain/extra_conv.py), explained N times: the added
#      node's share of the profiled change each time.
# Needs scripts/setup-assets.sh and a release build.
#   scripts/bench-explain.sh [N]     (default 10 trials of the hidden-style change)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E="$ROOT/target/release/edgeperf"
A="$ROOT/.edgeperf"
N="${1:-10}"
[[ -x "$E" ]] || { echo "build first: cargo build --release" >&2; exit 2; }
[[ -f "$A/models/mobilenet_v2.onnx" ]] || { echo "run scripts/setup-assets.sh first" >&2; exit 2; }
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== cost per path (default suite, device cpu, [compare.explain] defaults)"
printf '%-20s %10s %10s\n' model explain_s wall_s
for m in mobilenet_v2 efficientnet_lite0 efficientnet_lite1 efficientnet_lite2 resnet50 efficientnet_b0; do
  t0=$(date +%s.%N)
  s=$(cd "$ROOT" && "$E" explain --device cpu --model "$m" --base-model "$A/models/$m.onnx" --format json \
      | jq -r '.explanation.seconds')
  t1=$(date +%s.%N)
  printf '%-20s %10.1f %10.1f\n' "$m" "$s" "$(echo "$t1 - $t0" | bc)"
done

echo "== hidden-style change: an identity 1x1 convolution after mobilenet_v2's stem, $N trials"
"$A/venv/bin/python" "$ROOT/tests/fixtures/explain/extra_conv.py" \
  "$A/models/mobilenet_v2.onnx" "$W/head.onnx" identity-conv
sed -e "s#\.edgeperf/models/mobilenet_v2.onnx#$W/head.onnx#" -e "s#\"\\.edgeperf/#\"$A/#g" \
  "$ROOT/edgeperf.toml" > "$W/edgeperf.toml"
printf '%-6s %12s %12s %12s\n' trial profiled added_ms share
for i in $(seq 1 "$N"); do
  "$E" explain --suite "$W/edgeperf.toml" --device cpu --model mobilenet_v2 \
      --base-model "$A/models/mobilenet_v2.onnx" --format json \
    | jq -r --arg i "$i" '.explanation.profile.available as $p
        | ($p.nodes | map(select(.base_ms == null))) as $a
        | [$i, (($p.change * 1000 | round) / 10 | tostring) + "%",
           ($a | map(.change_ms) | add * 1000 | round / 1000 | tostring),
           (if ($a | map(.share) | any(. == null)) then "-" else (($a | map(.share) | add) * 100 | round | tostring) + "%" end)]
        | @tsv' | awk -F'\t' '{printf "%-6s %12s %12s %12s\n", $1, $2, $3, $4}'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
