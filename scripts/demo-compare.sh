#!/usr/bin/env bash
# The comparator end to end, on real measurements (issue "Comparator, baselines and history"):
#   1. two runs of the same commit: accept the first, compare the second    -> exit 0
#   2. a slowed model variant (~+5%, identical outputs) on a branch          -> exit 1, confirmed by interleaving
#   3. a preprocessing bug (normalisation skipped) on a branch               -> exit 1 on accuracy
# Works in a temporary git repository; needs scripts/setup-assets.sh and a release build.
#   scripts/demo-compare.sh [slow-variant]   (default mobilenet_v2_slow5; mobilenet_v2_slow11 = +11%)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E="$ROOT/target/release/edgeperf"
A="$ROOT/.edgeperf"
SLOW="${1:-mobilenet_v2_slow5}"
[[ -x "$E" ]] || { echo "build first: cargo build --release" >&2; exit 2; }
[[ -f "$A/models/$SLOW.onnx" ]] || { echo "run scripts/setup-assets.sh first" >&2; exit 2; }

W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
cd "$W"
git init -q -b main
g() { git -c user.name=demo -c user.email=demo@example.invalid "$@"; }
mkdir -p models
cp "$A/models/mobilenet_v2.onnx" models/
suite() { # $1 = preprocess line
cat > edgeperf.toml <<TOML
schema_version = 1
[sampling]
warmup = 10
samples = 200
rounds = 3
max_seconds = 6
[dataset]
root = "$A/data/imagenet-samples"
[[device]]
name = "cpu"
runtime = "$A/runtime/onnxruntime-1.31.1/libonnxruntime.so.1.31.1"
[[model]]
name = "mobilenet_v2"
file = "models/mobilenet_v2.onnx"
$1
TOML
}
GOOD='preprocess = { resize = 256, crop = 224, interpolation = "bilinear", divisor = 255, mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }'
suite "$GOOD"
g add -A && g commit -qm "suite with mobilenet_v2"

step() { printf '\n=== %s\n' "$*"; }
expect() { # expected-exit command...
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  echo "--> exit $got (expected $want)"
  [[ $got == "$want" ]] || { echo "DEMO FAILED: $*" >&2; exit 1; }
}

step "1. same commit twice: accept run 1, compare run 2"
"$E" run --out run1.json
"$E" run --out run2.json
"$E" baseline accept run1.json
g add baselines && g commit -qm "accept baselines"
expect 0 "$E" compare run2.json --color never

step "2. slowed model variant ($SLOW) on a branch, judged against main's merge-base"
g checkout -qb slow
cp "$A/models/$SLOW.onnx" models/mobilenet_v2.onnx
g commit -qam "swap in $SLOW"
"$E" run --out run3.json
expect 1 "$E" compare run3.json --against main --color never
"$E" compare run3.json --against main --format json --out compare-slow.json || true
python3 - compare-slow.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
p = c["paths"][0]
conf = p["latency"]["confirmation"]
assert p["status"] == "regressed" and conf and conf["verdict"] == "regressed", p["latency"]["reason"]
print(f"confirmed: {p['device']}/{p['model']} {conf['change']*100:+.1f}% "
      f"[{conf['ci'][0]*100:+.1f}, {conf['ci'][1]*100:+.1f}] over {len(conf['base'])} interleaved rounds, "
      f"{conf['seconds_per_side']:.1f} s per side")
PY

step "3. preprocessing bug (normalisation skipped) on a branch"
g checkout -q main && g checkout -qb prep-bug
suite 'preprocess = { resize = 256, crop = 224, interpolation = "bilinear" }'
g commit -qam "forget normalisation"
"$E" run --out run4.json
expect 1 "$E" compare run4.json --against main --color never

step "history of the accepted baselines"
"$E" history
echo; echo "demo passed"
