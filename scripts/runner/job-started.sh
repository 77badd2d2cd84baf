#!/bin/bash
# Admission check of an edgeperf device runner: the runner runs it before every job
# (ACTIONS_RUNNER_HOOK_JOB_STARTED in the runner's .env, docs/RUNNERS.md 2.3) and
# refuses the job when it exits non-zero. It lives outside every checkout, owned by
# root, so no pull request can change it: a fork that edits a workflow to target
# `[self-hosted, edgeperf, ...]` is turned away here, whatever its YAML says.
#
# A job is admitted only when all of these hold:
#   * it belongs to EDGEPERF_REPOSITORY (owner/name, set in the runner's .env);
#   * its workflow is .github/workflows/edgeperf-pr.yml or edgeperf-main.yml;
#   * and its event is one of
#       push               the main workflow as defined on the default branch
#                          (GITHUB_WORKFLOW_REF ends in @refs/heads/<default branch>);
#       workflow_dispatch  the PR or the main workflow as defined on the default
#                          branch: a maintainer's run of one reviewed commit (forks,
#                          Dependabot), or a maintainer's bisect over commits of the
#                          default branch (the main workflow's gate checks that the
#                          commits are on it);
#       pull_request       the PR workflow for a pull request whose head branch is in
#                          this repository, opened by and triggered by someone other
#                          than Dependabot (the event payload says so, not the YAML).
# Everything else (forks, Dependabot, pull_request_target, issue_comment, other
# workflows or repositories) is refused with one line saying why.
#
# Nothing of the job's workspace or of the runner user's environment is trusted:
#   * it works from / with PATH=/usr/sbin:/usr/bin:/sbin:/bin and uses only bash
#     builtins and /usr/bin/python3, run isolated (-I: no current or script
#     directory, no PYTHON* variable, no user site-packages on sys.path; -S: no
#     site module), so a json.py, a sitecustomize.py or a python3 planted in the
#     workspace (which still holds the previous job's files until the job-completed
#     hook empties it) or earlier on PATH is never used;
#   * the bash that runs it is the runner's (`bash -e FILE` from the runner's
#     PATH): the runner folder and its .env/.path are root-owned (docs/RUNNERS.md).
#
# An admitted job gets EDGEPERF_RUNNER_HOOK="<version> <run id>.<attempt>" in its
# environment (through GITHUB_ENV); the first step of every device job checks it,
# so a runner without this hook, or with an outdated copy, fails clearly.
#
# Reads the runner's default variables GITHUB_REPOSITORY, GITHUB_EVENT_NAME,
# GITHUB_WORKFLOW_REF, GITHUB_ACTOR, GITHUB_TRIGGERING_ACTOR, GITHUB_RUN_ID,
# GITHUB_RUN_ATTEMPT, GITHUB_ENV and the payload at GITHUB_EVENT_PATH.
# EDGEPERF_DEFAULT_BRANCH overrides the payload's repository.default_branch.
set -euo pipefail
cd /
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONUSERBASE PYTHONSAFEPATH LD_PRELOAD LD_LIBRARY_PATH
HOOK_VERSION=3
PYTHON=/usr/bin/python3

refuse() {
  printf 'edgeperf runner: refused: %s\n' "$*" >&2
  printf '::error title=edgeperf runner::refused: %s\n' "$*"
  exit 1
}

repo="${GITHUB_REPOSITORY:-}"
want_repo="${EDGEPERF_REPOSITORY:-}"
[ -n "$want_repo" ] || refuse "EDGEPERF_REPOSITORY is not set in the runner's .env (owner/name of the repository this device serves)"
[ "$repo" = "$want_repo" ] || refuse "job of repository '${repo}', this runner serves '${want_repo}'"
event="${GITHUB_EVENT_NAME:-}"
wref="${GITHUB_WORKFLOW_REF:-}"
payload="${GITHUB_EVENT_PATH:-}"
[ -f "$payload" ] || refuse "no event payload (GITHUB_EVENT_PATH)"
[ -x "$PYTHON" ] || refuse "$PYTHON not found: the hook parses the event payload with it"

# Fields of the payload, one per line, empty when absent.
mapfile -t fields < <("$PYTHON" -I -S - "$payload" <<'PY' || echo "unreadable"
import json, sys
e = json.load(open(sys.argv[1], encoding="utf-8"))
def get(*path):
    v = e
    for k in path:
        v = v.get(k) if isinstance(v, dict) else None
    return v if isinstance(v, str) and "\n" not in v else ""
print(get("repository", "default_branch"))
print(get("pull_request", "head", "repo", "full_name"))
print(get("pull_request", "user", "login"))
PY
)
[ "${#fields[@]}" -eq 3 ] || refuse "cannot read the event payload $payload"
default_branch="${fields[0]}" head_repo="${fields[1]}" pr_author="${fields[2]}"
default_branch="${EDGEPERF_DEFAULT_BRANCH:-$default_branch}"
[ -n "$default_branch" ] || refuse "the event payload names no default branch (set EDGEPERF_DEFAULT_BRANCH)"

workflow="${wref%%@*}"
ref="${wref#*@}"
case "$workflow" in
  "$repo/.github/workflows/edgeperf-pr.yml"|"$repo/.github/workflows/edgeperf-main.yml") ;;
  *) refuse "workflow '${workflow}' is not an edgeperf workflow" ;;
esac
dependabot() { [ "$1" = "dependabot[bot]" ]; }

case "$event" in
  push)
    [ "$workflow" = "$repo/.github/workflows/edgeperf-main.yml" ] || refuse "push runs only edgeperf-main.yml"
    [ "$ref" = "refs/heads/$default_branch" ] || refuse "push to '${ref}', not the default branch $default_branch" ;;
  workflow_dispatch)
    [ "$ref" = "refs/heads/$default_branch" ] || refuse "workflow_dispatch from '${ref}': start it from the default branch $default_branch" ;;
  pull_request)
    [ "$workflow" = "$repo/.github/workflows/edgeperf-pr.yml" ] || refuse "pull_request runs only edgeperf-pr.yml"
    [ "$head_repo" = "$repo" ] || refuse "pull request from '${head_repo:-unknown}' (a fork): a maintainer runs the reviewed commit with workflow_dispatch"
    if dependabot "$pr_author" || dependabot "${GITHUB_ACTOR:-}" || dependabot "${GITHUB_TRIGGERING_ACTOR:-}"; then
      refuse "Dependabot pull request: treated like a fork (a maintainer runs it with workflow_dispatch)"
    fi ;;
  *) refuse "event '${event}' never runs on device runners" ;;
esac

# The marker the job's first step checks: this hook, this version, this run.
if [ -n "${GITHUB_ENV:-}" ]; then
  printf 'EDGEPERF_RUNNER_HOOK=%s %s.%s\n' "$HOOK_VERSION" "${GITHUB_RUN_ID:-}" "${GITHUB_RUN_ATTEMPT:-}" >> "$GITHUB_ENV"
fi
echo "edgeperf runner: admitted $event job of $workflow@$ref (hook version $HOOK_VERSION)"
