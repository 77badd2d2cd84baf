#!/usr/bin/env bash
# Accept run records as the new baselines of a branch and push them, safe against
# concurrent runs: the one write step of .github/workflows/edgeperf-main.yml.
#
#   scripts/commit-baselines.sh --remote URL --branch BRANCH [--baselines DIR]
#                               [--message MSG] [--run DEVICE=RUN.json ...]
#                               [--paired DEVICE=PAIRED.json ...] [RUN.json ...]
#
# `--run DEVICE=RUN.json` binds a record to its device: it is accepted only if every
# path in it is of DEVICE (`edgeperf baseline accept --device`), so one device's
# artifact cannot write another device's baselines. Plain RUN.json is not bound.
# Device and model names are checked by the suite's name rules either way, so no
# record writes outside DIR/<device>/.
#
# `--paired DEVICE=PAIRED.json` (with `--run DEVICE=...`) hands that device's
# paired document (`edgeperf baseline pair`) to the accept: each history line
# keeps its paired change. edgeperf refuses a document that was not written for
# exactly that run record and device.
#
# Every attempt works in a private scratch repository created by this script, never
# in the checkout it was started from (whose .git/hooks, .git/config and
# .git/info may have been written by earlier jobs):
#   1. fetch BRANCH from URL (depth 1) and reset the scratch tree to it;
#   2. `edgeperf baseline accept` every RUN.json into DIR (default baselines);
#   3. commit DIR only (nothing changed: exit 0);
#   4. push; a push that lost a race goes back to 1, so the accept is re-applied
#      to the newest baselines instead of rebasing edits of the same files:
#      nothing to merge, no conflict left, no history line lost.
#
# Git runs with no system or global configuration, hooks off (core.hooksPath =
# /dev/null, an empty template), no terminal prompt, and everything it needs from
# the environment:
#   EDGEPERF_GIT_NAME, EDGEPERF_GIT_EMAIL  author and committer (default
#       edgeperf-bot <41898282+github-actions[bot]@users.noreply.github.com>)
#   EDGEPERF_PUSH_TOKEN, else GITHUB_TOKEN  token for an https URL: handed to `git
#       fetch` and `git push` only (not to edgeperf or any other git command) as an
#       `http.<URL>.extraHeader` through GIT_CONFIG_COUNT/KEY/VALUE environment
#       variables, so it is never on a command line (/proc/<pid>/cmdline is
#       world-readable, a process's environment is not)
#   EDGEPERF_PUSH_SSH_KEY    instead of a token: the private key of a deploy key with
#       write access (an ssh URL: git@github.com:OWNER/REPO.git); written to a 0600
#       file in the scratch folder and used alone (no agent, no ~/.ssh), with the
#       host keys of EDGEPERF_SSH_KNOWN_HOSTS (known_hosts lines, required) only
#   EDGEPERF_BIN             edgeperf binary (default target/release/edgeperf of this
#                            checkout when built, else `edgeperf` on PATH)
#   EDGEPERF_PUSH_ATTEMPTS   default 6
#   EDGEPERF_PUSH_BACKOFF    seconds, default 5: attempt n waits n*B + up to B more
#   EDGEPERF_WORK_DIR        where the scratch repository goes (default $RUNNER_TEMP,
#                            else the system temp dir); it is removed at exit
#
# Exit status: 0 pushed or nothing to change, 1 every attempt failed to fetch or
# push, 2 bad arguments or a run that cannot be accepted (one line on stderr; the
# branch is not touched).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
die() { printf 'commit-baselines: error: %s\n' "$*" >&2; exit 2; }
log() { printf 'commit-baselines: %s\n' "$*" >&2; }

REMOTE="" BRANCH="" DIR="baselines" MESSAGE="" RUNS=() RUN_DEVICES=() PAIRED_DEVICES=() PAIRED_FILES=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --run)
      spec="${2:-}"; shift 2 || die "--run needs DEVICE=RUN.json"
      [[ "$spec" =~ ^([a-zA-Z0-9][a-zA-Z0-9._-]*)=(.+)$ ]] || die "--run: expected DEVICE=RUN.json, got '$spec'"
      RUN_DEVICES+=("${BASH_REMATCH[1]}"); RUNS+=("${BASH_REMATCH[2]}") ;;
    --paired)
      spec="${2:-}"; shift 2 || die "--paired needs DEVICE=PAIRED.json"
      [[ "$spec" =~ ^([a-zA-Z0-9][a-zA-Z0-9._-]*)=(.+)$ ]] || die "--paired: expected DEVICE=PAIRED.json, got '$spec'"
      [ -f "${BASH_REMATCH[2]}" ] || die "${BASH_REMATCH[2]}: paired document not found"
      PAIRED_DEVICES+=("${BASH_REMATCH[1]}")
      PAIRED_FILES+=("$(cd "$(dirname "${BASH_REMATCH[2]}")" && pwd)/$(basename "${BASH_REMATCH[2]}")") ;;
    --remote) REMOTE="${2:-}"; shift 2 || die "--remote needs a URL" ;;
    --branch) BRANCH="${2:-}"; shift 2 || die "--branch needs a name" ;;
    --baselines) DIR="${2:-}"; shift 2 || die "--baselines needs a directory" ;;
    --message) MESSAGE="${2:-}"; shift 2 || die "--message needs a text" ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; for r in "$@"; do RUNS+=("$r"); RUN_DEVICES+=(""); done; break ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) RUNS+=("$1"); RUN_DEVICES+=(""); shift ;;
  esac
done
[ -n "$REMOTE" ] || die "--remote URL is required (e.g. https://github.com/OWNER/REPO.git)"
[ -n "$BRANCH" ] || die "--branch BRANCH is required"
git check-ref-format --branch "$BRANCH" >/dev/null 2>&1 || die "--branch: $BRANCH is not a valid branch name"
[ "${#RUNS[@]}" -gt 0 ] || die "no run record given (RUN.json ...)"
case "$DIR" in /*|*..*|"") die "--baselines: $DIR must be a relative path inside the repository" ;; esac
DIR="${DIR%/}"

ATTEMPTS="${EDGEPERF_PUSH_ATTEMPTS:-6}"
BACKOFF="${EDGEPERF_PUSH_BACKOFF:-5}"
[[ "$ATTEMPTS" =~ ^[1-9][0-9]*$ ]] || die "EDGEPERF_PUSH_ATTEMPTS=$ATTEMPTS: expected a positive number"
[[ "$BACKOFF" =~ ^[0-9]+$ ]] || die "EDGEPERF_PUSH_BACKOFF=$BACKOFF: expected seconds (0 or more)"

ABS_RUNS=()
for r in "${RUNS[@]}"; do
  [ -f "$r" ] || die "$r: run record not found"
  ABS_RUNS+=("$(cd "$(dirname "$r")" && pwd)/$(basename "$r")")
done

BIN="${EDGEPERF_BIN:-}"
if [ -z "$BIN" ]; then
  if [ -x "$REPO/target/release/edgeperf" ]; then BIN="$REPO/target/release/edgeperf"
  else BIN="$(command -v edgeperf || true)"; fi
fi
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
  die "edgeperf binary not found (set EDGEPERF_BIN or build it: cargo build --release)"
fi
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

# ---------------------------------------------------------------- git, isolated
# Nothing from the caller's git environment: no repository, index or config
# override can point git at the checkout this script was started from.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^GIT_' || true)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME="${EDGEPERF_GIT_NAME:-edgeperf-bot}"
export GIT_AUTHOR_EMAIL="${EDGEPERF_GIT_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
config=(core.hooksPath=/dev/null core.fsmonitor=false commit.gpgsign=false
        advice.detachedHead=false gc.auto=0 maintenance.auto=false)
TOKEN="${EDGEPERF_PUSH_TOKEN:-${GITHUB_TOKEN:-}}"
AUTH_KEY="" AUTH_VALUE="" SSH_COMMAND=""
SSH_KEY="${EDGEPERF_PUSH_SSH_KEY:-}"
unset EDGEPERF_PUSH_SSH_KEY
if [ -n "$SSH_KEY" ]; then
  # A deploy key wins over a token (the job's GITHUB_TOKEN is always there).
  TOKEN=""
  case "$REMOTE" in ssh://*|*@*:*) ;; *) die "EDGEPERF_PUSH_SSH_KEY is set but --remote $REMOTE is not an ssh URL" ;; esac
  [ -n "${EDGEPERF_SSH_KNOWN_HOSTS:-}" ] || die "EDGEPERF_PUSH_SSH_KEY needs EDGEPERF_SSH_KNOWN_HOSTS (the server's host keys, known_hosts format)"
fi
if [ -n "$TOKEN" ]; then
  case "$REMOTE" in https://*) ;; *) die "a token is set but --remote $REMOTE is not an https URL" ;; esac
  auth="$(printf 'x-access-token:%s' "$TOKEN" | base64 | tr -d '\n')"
  # In a workflow log the encoded form is masked as well as the token itself.
  [ -n "${GITHUB_ACTIONS:-}" ] && echo "::add-mask::$auth"
  # Not exported: only `net` hands it to git fetch and git push (edgeperf and the
  # other git commands never see it).
  AUTH_KEY="http.$REMOTE.extraHeader" AUTH_VALUE="AUTHORIZATION: basic $auth"
fi
[ "${#config[@]}" -eq 6 ] || die "internal: net() expects 6 configuration entries"
export GIT_CONFIG_COUNT="${#config[@]}"
for i in "${!config[@]}"; do
  export "GIT_CONFIG_KEY_$i=${config[$i]%%=*}" "GIT_CONFIG_VALUE_$i=${config[$i]#*=}"
done
unset TOKEN auth GITHUB_TOKEN EDGEPERF_PUSH_TOKEN

PARENT="${EDGEPERF_WORK_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
WORK="$(mktemp -d "$PARENT/edgeperf-baselines.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
if [ -n "$SSH_KEY" ]; then
  mkdir -m 700 "$WORK/.ssh"
  (umask 077; printf '%s\n' "$SSH_KEY" > "$WORK/.ssh/key"; printf '%s\n' "$EDGEPERF_SSH_KNOWN_HOSTS" > "$WORK/.ssh/known_hosts")
  SSH_COMMAND="ssh -F /dev/null -i '$WORK/.ssh/key' -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile='$WORK/.ssh/known_hosts'"
fi
unset SSH_KEY

# git with the push credential: fetch and push only. Bash hands these variables to
# that one git process's environment, never to a command line.
net() {
  if [ -n "$AUTH_VALUE" ]; then
    GIT_CONFIG_COUNT=7 GIT_CONFIG_KEY_6="$AUTH_KEY" GIT_CONFIG_VALUE_6="$AUTH_VALUE" git "$@"
  elif [ -n "$SSH_COMMAND" ]; then
    GIT_SSH_COMMAND="$SSH_COMMAND" git "$@"
  else
    git "$@"
  fi
}

mkdir "$WORK/repo"
cd "$WORK/repo"
git init -q --template= .
git remote add origin "$REMOTE"

# ---------------------------------------------------------------- the loop
ref="refs/remotes/origin/$BRANCH"
for attempt in $(seq 1 "$ATTEMPTS"); do
  if [ "$attempt" -gt 1 ]; then sleep $(( (attempt - 1) * BACKOFF + RANDOM % (BACKOFF + 1) )); fi
  if ! net fetch -q --no-tags --depth=1 origin "+refs/heads/$BRANCH:$ref"; then
    log "attempt $attempt: fetching $BRANCH failed"; continue
  fi
  git reset -q --hard "$ref"
  git clean -q -ffdx
  for i in "${!ABS_RUNS[@]}"; do
    bind=()
    [ -z "${RUN_DEVICES[$i]}" ] || bind=(--device "${RUN_DEVICES[$i]}")
    for j in "${!PAIRED_DEVICES[@]}"; do
      if [ -n "${RUN_DEVICES[$i]}" ] && [ "${PAIRED_DEVICES[$j]}" = "${RUN_DEVICES[$i]}" ]; then
        bind+=(--paired "${PAIRED_FILES[$j]}")
      fi
    done
    if ! out="$("$BIN" baseline accept "${ABS_RUNS[$i]}" --baselines "$DIR" "${bind[@]}" 2>&1)"; then
      # edgeperf's own one-line error names the file; the branch is untouched.
      printf '%s\n' "$out" | tail -n 1 >&2
      exit 2
    fi
  done
  git add -A -- "$DIR" ":(exclude)$DIR/.edgeperf.lock"
  if git diff --cached --quiet; then
    log "baselines unchanged on $BRANCH: nothing to commit"; exit 0
  fi
  outside="$(git diff --cached --name-only | grep -v "^$DIR/" || true)"
  [ -z "$outside" ] || die "accepting changed files outside $DIR/: $outside"
  git commit -q -m "${MESSAGE:-edgeperf: accept ${#ABS_RUNS[@]} run(s) as baselines [skip edgeperf]}"
  if net push -q origin "HEAD:refs/heads/$BRANCH"; then
    log "pushed $(git rev-parse --short HEAD) to $BRANCH ($(git diff --name-only HEAD~1 HEAD 2>/dev/null | wc -l) files, attempt $attempt)"
    exit 0
  fi
  log "attempt $attempt: push to $BRANCH was rejected (it moved on); accepting again on the new tip"
done
log "error: could not push to $BRANCH after $ATTEMPTS attempts"
exit 1
