#!/bin/bash
# Clean-up of an edgeperf device runner after every job
# (ACTIONS_RUNNER_HOOK_JOB_COMPLETED in the runner's .env, docs/RUNNERS.md 2.3):
# empties the job's workspace, its checkout with .git included and whatever the job
# left there, so no file of one job is where the next job's admission hook or steps
# run. Like job-started.sh it lives outside every checkout, owned by root, works
# from / with a fixed PATH and trusts nothing in the workspace (links are removed,
# never followed).
#
# The workspace (GITHUB_WORKSPACE) is emptied only when it lies strictly inside
# the runner's work folder: EDGEPERF_RUNNER_WORK (the runner's _work, absolute, in
# its .env), else RUNNER_WORKSPACE (_work/<repository>, set by the runner). Anything
# else is refused with one line and exit 1 (the job shows it), never deleted.
set -euo pipefail
cd /
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

fail() {
  printf 'edgeperf runner: workspace not emptied: %s\n' "$*" >&2
  printf '::error title=edgeperf runner::workspace not emptied: %s\n' "$*"
  exit 1
}

ws="${GITHUB_WORKSPACE:-}"
root="${EDGEPERF_RUNNER_WORK:-${RUNNER_WORKSPACE:-}}"
[ -n "$ws" ] || fail "GITHUB_WORKSPACE is not set"
[ -n "$root" ] || fail "neither EDGEPERF_RUNNER_WORK (runner .env) nor RUNNER_WORKSPACE is set"
for p in "$ws" "$root"; do
  case "$p" in /?*) ;; *) fail "'$p' is not an absolute path" ;; esac
done
[ -d "$ws" ] || { echo "edgeperf runner: no workspace at $ws: nothing to empty"; exit 0; }
ws_real="$(realpath -e -- "$ws")" || fail "cannot resolve $ws"
root_real="$(realpath -e -- "$root")" || fail "cannot resolve $root"
case "$ws_real" in
  "$root_real"/?*) ;;
  *) fail "$ws_real is not inside the runner's work folder $root_real" ;;
esac

# Directories the job made read-only cannot be emptied otherwise; chmod and rm
# never follow symbolic links.
chmod -R u+rwX -- "$ws_real" 2>/dev/null || true
find "$ws_real" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
left="$(find "$ws_real" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 3)"
[ -z "$left" ] || fail "could not remove from $ws_real: $left"
echo "edgeperf runner: emptied $ws_real"
