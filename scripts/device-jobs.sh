#!/usr/bin/env bash
# The device jobs of a workflow run, seen from a GitHub-hosted job (docs/RUNNERS.md,
# 1.3 "A device without a runner"): a queued job waits for its runner for up to a
# day and `timeout-minutes` does not count that time, so nothing may `needs:` the
# device jobs. Instead:
#
#   scripts/device-jobs.sh pending --devices JSON --sha SHA [--target-url URL]
#       sets a `pending` commit status edgeperf/<device> on SHA for every device, so
#       the pull request shows at once what it waits for;
#   scripts/device-jobs.sh wait --devices JSON [--wait-minutes N | --wait-seconds S]
#                               [--job-name 'bench ({})']
#       follows this run's jobs named `bench (<device>)` until each has completed,
#       or has not started N minutes (default 30) after the wait began; a job that
#       started is waited for until it completes (its timeout-minutes bounds it;
#       at most EDGEPERF_RUNNING_LIMIT_MINUTES, default 120, more). Writes
#       `finished` and `no_runner` (JSON lists of devices) to $GITHUB_OUTPUT and
#       one line per device to stdout.
#
# Environment: GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT (wait),
# GITHUB_API_URL (default https://api.github.com), GH_TOKEN or GITHUB_TOKEN
# (statuses: write for pending, actions: read for wait; handed to curl on stdin,
# never on a command line), EDGEPERF_POLL_SECONDS (default 30).
# Needs curl and jq. Exit status: 0 done, 1 an API call failed, 2 bad arguments.
set -euo pipefail

die() { printf 'device-jobs: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'device-jobs: %s\n' "$*" >&2; }

cmd="${1:-}"; shift || true
DEVICES="" SHA="" TARGET_URL="" WAIT_S=$((30 * 60)) JOB_NAME='bench ({})'
while [ "$#" -gt 0 ]; do
  case "$1" in
    --devices) DEVICES="${2:-}"; shift 2 || die "--devices needs a JSON list" ;;
    --sha) SHA="${2:-}"; shift 2 || die "--sha needs a commit" ;;
    --target-url) TARGET_URL="${2:-}"; shift 2 || die "--target-url needs a URL" ;;
    --wait-minutes) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--wait-minutes: expected minutes, got '${2:-}'"
                    WAIT_S=$(( $2 * 60 )); shift 2 ;;
    --wait-seconds) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--wait-seconds: expected seconds, got '${2:-}'"
                    WAIT_S=$2; shift 2 ;;
    --job-name) JOB_NAME="${2:-}"; shift 2 || die "--job-name needs a pattern" ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
command -v jq >/dev/null || die "jq not found"
command -v curl >/dev/null || die "curl not found"
jq -e 'type == "array" and all(type == "string" and test("^[a-z0-9][a-z0-9._-]*$"))' <<<"$DEVICES" >/dev/null 2>&1 \
  || die "--devices: expected a JSON list of device names, got '$DEVICES'"
mapfile -t devices < <(jq -r '.[]' <<<"$DEVICES")
REPO="${GITHUB_REPOSITORY:-}"
[[ "$REPO" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "GITHUB_REPOSITORY='$REPO' is not owner/name"
API="${GITHUB_API_URL:-https://api.github.com}"
TOKEN="${GH_TOKEN:-${GITHUB_TOKEN:-}}"
[ -n "$TOKEN" ] || die "GH_TOKEN or GITHUB_TOKEN must be set"
POLL="${EDGEPERF_POLL_SECONDS:-30}"
[[ "$POLL" =~ ^[0-9]+$ ]] || die "EDGEPERF_POLL_SECONDS=$POLL: expected seconds"
RUNNING_S=$(( ${EDGEPERF_RUNNING_LIMIT_MINUTES:-120} * 60 ))

# curl reads the token from its config on stdin: never in argv or the log.
api() { # METHOD PATH [JSON body]
  local method="$1" path="$2" data="${3:-}"
  local args=(--silent --show-error --fail-with-body --max-time 30 --retry 3 --retry-all-errors
              -X "$method" -H "Accept: application/vnd.github+json" -H "X-GitHub-Api-Version: 2022-11-28")
  [ -n "$data" ] && args+=(-H "Content-Type: application/json" --data "$data")
  printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" | curl --config - "${args[@]}" "$API$path"
}

pending() {
  [[ "$SHA" =~ ^[0-9a-f]{40}$ ]] || die "--sha: expected a 40-digit commit, got '$SHA'"
  local d body minutes=$(( WAIT_S / 60 ))
  for d in "${devices[@]}"; do
    body="$(jq -cn --arg c "edgeperf/$d" --arg u "$TARGET_URL" \
      --arg t "waiting for the device's runner (reported as no runner after ${minutes} min)" \
      '{state: "pending", context: $c, description: $t} + (if $u == "" then {} else {target_url: $u} end)')"
    api POST "/repos/$REPO/statuses/$SHA" "$body" >/dev/null || { log "setting the pending status of $d failed"; exit 1; }
    log "edgeperf/$d: pending"
  done
}

# "<status> <conclusion>" of the job named for each device, "absent" if none yet.
job_states() {
  local run="${GITHUB_RUN_ID:?GITHUB_RUN_ID is not set}" attempt="${GITHUB_RUN_ATTEMPT:-1}"
  local page=1 all='[]' got total
  while :; do
    got="$(api GET "/repos/$REPO/actions/runs/$run/attempts/$attempt/jobs?per_page=100&page=$page")" || return 1
    all="$(jq -c --argjson a "$all" '$a + (.jobs // [])' <<<"$got")"
    total="$(jq -r '.total_count // 0' <<<"$got")"
    if [ "$(jq length <<<"$all")" -ge "$total" ] || [ "$page" -ge 20 ]; then break; fi
    page=$((page + 1))
  done
  local d
  for d in "${devices[@]}"; do
    jq -r --arg n "${JOB_NAME//\{\}/$d}" \
      '[.[] | select(.name == $n)] | if length == 0 then "absent -" else (.[-1] | "\(.status) \(.conclusion // "-")") end' <<<"$all"
  done
}

wait_for_jobs() {
  local start now states i status conclusion settled
  start=$(date +%s)
  while :; do
    mapfile -t states < <(job_states) || { log "listing the jobs of run ${GITHUB_RUN_ID:-} failed"; exit 1; }
    [ "${#states[@]}" -eq "${#devices[@]}" ] || { log "listing the jobs of run ${GITHUB_RUN_ID:-} failed"; exit 1; }
    now=$(date +%s)
    settled=1
    for i in "${!devices[@]}"; do
      read -r status conclusion <<<"${states[$i]}"
      case "$status" in
        completed) ;;
        in_progress) [ $((now - start)) -ge $((WAIT_S + RUNNING_S)) ] || settled=0 ;;
        *) [ $((now - start)) -ge "$WAIT_S" ] || settled=0 ;;
      esac
    done
    [ "$settled" -eq 0 ] || break
    sleep "$POLL"
  done
  local finished=() no_runner=()
  for i in "${!devices[@]}"; do
    read -r status conclusion <<<"${states[$i]}"
    case "$status" in
      completed) finished+=("${devices[$i]}"); echo "${devices[$i]}: finished ($conclusion)" ;;
      in_progress) finished+=("${devices[$i]}"); echo "${devices[$i]}: still running after the limit: reported without a result" ;;
      *) no_runner+=("${devices[$i]}"); echo "${devices[$i]}: no runner (job $status after $((WAIT_S / 60)) min)" ;;
    esac
  done
  local fj nj
  fj="$(printf '%s\n' "${finished[@]}" | jq -Rcs 'split("\n") | map(select(. != ""))')"
  nj="$(printf '%s\n' "${no_runner[@]}" | jq -Rcs 'split("\n") | map(select(. != ""))')"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    { echo "finished=$fj"; echo "no_runner=$nj"; } >> "$GITHUB_OUTPUT"
  fi
}

case "$cmd" in
  pending) pending ;;
  wait) wait_for_jobs ;;
  *) die "expected 'pending' or 'wait' (see --help)" ;;
esac
