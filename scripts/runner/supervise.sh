#!/bin/bash
# Ephemeral edgeperf device runner: one job per registration, a clean runner user
# before each (docs/RUNNERS.md 2.2). Runs as root, e.g. as a systemd service:
#
#   [Service]
#   ExecStart=/opt/edgeperf-runner/supervise.sh
#   EnvironmentFile=/etc/edgeperf-runner.conf
#   Restart=always
#
# Every turn of the loop:
#   1. stops if the runner folder, its .env or .path, or a hook is not root-owned
#      and unwritable by others (the job would run with settings a job can change);
#   2. empties the runner's work folder and the runner user's home, except the
#      folders of EDGEPERF_KEEP (default .cache/edgeperf/downloads: every file there
#      is sha256-checked on use), and only where no symbolic link leads elsewhere;
#   3. asks GitHub for a just-in-time runner configuration (POST .../actions/runners/
#      generate-jitconfig with the token in TOKEN_FILE): a runner that takes one job
#      and deregisters;
#   4. starts the runner as RUNNER_USER in its own systemd unit (the configuration
#      through a root-only environment file, never a command line); when the job
#      ends, systemd stops every process the job left behind.
#
# Settings (environment, e.g. /etc/edgeperf-runner.conf, root-owned 0600):
#   RUNNER_DIR     the runner's folder (root-owned; _work and _diag owned by RUNNER_USER)
#   RUNNER_USER    the unprivileged user jobs run as (never root)
#   REPOSITORY     OWNER/REPO the device serves
#   LABELS         its labels, e.g. edgeperf,rpi4
#   RUNNER_NAME    a name prefix (default the host name); each registration adds a time
#   TOKEN_FILE     a root-only file with a fine-grained token of the repository with
#                  "Administration: read and write" (only this script reads it)
#   GITHUB_API_URL default https://api.github.com
#   RUNNER_HOME    the runner user's home (default: from the user database)
#   EDGEPERF_KEEP  space-separated folders under the runner user's home kept between jobs
#   EDGEPERF_SUPERVISE_ONCE=1   one job, then exit
#   EDGEPERF_RUNNER_LAUNCH=direct  start run.sh as this user, without systemd (tests)
# Exit status: 0 (ONCE) after the job, 2 a setting or an ownership is wrong, 1 GitHub
# refused the registration.
set -euo pipefail
cd /
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

die() { printf 'edgeperf supervise: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'edgeperf supervise: %s\n' "$*" >&2; }

RUNNER_DIR="${RUNNER_DIR:?set RUNNER_DIR (the runner folder)}"
RUNNER_USER="${RUNNER_USER:?set RUNNER_USER (the user jobs run as)}"
REPOSITORY="${REPOSITORY:?set REPOSITORY (OWNER/REPO)}"
LABELS="${LABELS:?set LABELS (e.g. edgeperf,rpi4)}"
TOKEN_FILE="${TOKEN_FILE:?set TOKEN_FILE (a root-only file with the registration token)}"
API="${GITHUB_API_URL:-https://api.github.com}"
KEEP="${EDGEPERF_KEEP:-.cache/edgeperf/downloads}"
LAUNCH="${EDGEPERF_RUNNER_LAUNCH:-systemd}"
[[ "$REPOSITORY" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || die "REPOSITORY=$REPOSITORY is not OWNER/REPO"
uid="$(id -u "$RUNNER_USER")" || die "no user $RUNNER_USER"
[ "$uid" -ne 0 ] || die "RUNNER_USER must not be root"
HOME_DIR="${RUNNER_HOME:-$(getent passwd "$RUNNER_USER" | cut -d: -f6)}"
case "$HOME_DIR" in /?*) ;; *) die "$RUNNER_USER has no home folder" ;; esac

# 1. What a job must not be able to change.
owned_by_others() { # PATH: prints why PATH is not safe, nothing when it is
  local p="$1" owner mode
  [ -e "$p" ] || return 0
  owner="$(stat -c %u "$p")" mode="$(stat -c %a "$p")"
  if [ "$owner" -ne "$(id -u)" ] && [ "$owner" -ne 0 ]; then echo "$p is owned by uid $owner"; return; fi
  if [ $(( 8#$mode & 8#022 )) -ne 0 ]; then echo "$p is writable by group or others (mode $mode)"; fi
}
check_ownership() {
  local p why
  for p in "$RUNNER_DIR" "$RUNNER_DIR/.env" "$RUNNER_DIR/.path" "$RUNNER_DIR/bin" "$RUNNER_DIR/run.sh" \
           "${ACTIONS_RUNNER_HOOK_JOB_STARTED:-}" "${ACTIONS_RUNNER_HOOK_JOB_COMPLETED:-}"; do
    [ -n "$p" ] || continue
    why="$(owned_by_others "$p")"
    [ -z "$why" ] || die "$why: a job could change how the next one runs (docs/RUNNERS.md 2.2)"
  done
}

# 2. A clean runner user.
reset_user() {
  local stash k
  stash="$(mktemp -d /var/tmp/edgeperf-keep.XXXXXX 2>/dev/null || mktemp -d)"
  for k in $KEEP; do
    case "$k" in /*|*..*) die "EDGEPERF_KEEP: $k must be a relative folder under the home" ;; esac
    # Only a real folder at exactly that place: no link anywhere on the way.
    if [ -d "$HOME_DIR/$k" ] && [ "$(realpath -e -- "$HOME_DIR/$k")" = "$HOME_DIR/$k" ]; then
      mkdir -p "$stash/$(dirname "$k")"
      mv -- "$HOME_DIR/$k" "$stash/$k"
    fi
  done
  find "$HOME_DIR" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
  find "$RUNNER_DIR/_work" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} + 2>/dev/null || true
  for k in $KEEP; do
    if [ -d "$stash/$k" ]; then
      mkdir -p "$HOME_DIR/$(dirname "$k")"
      mv -- "$stash/$k" "$HOME_DIR/$k"
    fi
  done
  rm -rf -- "$stash"
  chown -R -h "$RUNNER_USER:" "$HOME_DIR" 2>/dev/null || chown -R -h "$RUNNER_USER" "$HOME_DIR"
}

# 3. One registration for one job.
jit_config() {
  local name body answer
  name="${RUNNER_NAME:-$(hostname -s)}-$(date +%Y%m%d%H%M%S)"
  body="$(jq -cn --arg n "$name" --arg l "$LABELS" \
    '{name: $n, runner_group_id: 1, labels: ($l | split(",")), work_folder: "_work"}')"
  answer="$( { printf 'header = "Authorization: Bearer %s"\n' "$(tr -d '\n' < "$TOKEN_FILE")"; } \
    | curl --config - --silent --show-error --fail-with-body --max-time 60 -X POST \
        -H "Accept: application/vnd.github+json" -H "Content-Type: application/json" \
        --data "$body" "$API/repos/$REPOSITORY/actions/runners/generate-jitconfig")" \
    || { log "GitHub refused the registration: $answer"; exit 1; }
  jq -er '.encoded_jit_config' <<<"$answer" || { log "no encoded_jit_config in GitHub's answer"; exit 1; }
}

# 4. The job, as the runner user, in a unit of its own.
run_one() {
  local config="$1" envfile
  envfile="$(mktemp /run/edgeperf-jit.XXXXXX 2>/dev/null || mktemp)"
  chmod 600 "$envfile"
  printf 'ACTIONS_RUNNER_INPUT_JITCONFIG=%s\n' "$config" > "$envfile"
  log "runner $LABELS: waiting for one job"
  if [ "$LAUNCH" = direct ]; then
    (cd "$RUNNER_DIR" && ACTIONS_RUNNER_INPUT_JITCONFIG="$config" ./run.sh) || log "the runner ended with exit $?"
  else
    systemd-run --quiet --wait --collect --uid="$RUNNER_USER" --gid="$RUNNER_USER" \
      -p KillMode=control-group -p EnvironmentFile="$envfile" -p WorkingDirectory="$RUNNER_DIR" \
      "$RUNNER_DIR/run.sh" || log "the runner ended with exit $?"
  fi
  rm -f "$envfile"
}

[ -r "$TOKEN_FILE" ] || die "TOKEN_FILE $TOKEN_FILE is not readable"
if [ -n "$(owned_by_others "$TOKEN_FILE")" ] || [ "$(stat -c %a "$TOKEN_FILE")" != 600 ]; then
  die "$TOKEN_FILE must be owned by root with mode 600"
fi
while :; do
  check_ownership
  reset_user
  config="$(jit_config)" || exit 1
  run_one "$config"
  [ "${EDGEPERF_SUPERVISE_ONCE:-}" != 1 ] || break
done
reset_user
