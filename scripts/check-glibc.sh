#!/usr/bin/env bash
# The newest glibc symbol version a binary needs, checked against a ceiling.
#
#   scripts/check-glibc.sh BINARY [MAX]     e.g. scripts/check-glibc.sh target/release/edgeperf 2.35
#
# Prints `BINARY needs glibc >= X.Y`; with MAX, exits 1 when X.Y is newer (the binary
# would not start on that system: Raspberry Pi OS bookworm has 2.36, JetPack 6 and
# Ubuntu 22.04 have 2.35). Exit 2 on bad input. Needs objdump (binutils).
set -euo pipefail
bin="${1:-}"
max="${2:-}"
[ -f "$bin" ] || { echo "check-glibc: error: ${bin:-BINARY}: no such file" >&2; exit 2; }
command -v objdump >/dev/null || { echo "check-glibc: error: objdump not found (install binutils)" >&2; exit 2; }
need="$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
[ -n "$need" ] || { echo "check-glibc: error: $bin: no versioned glibc symbols (not a dynamic glibc binary?)" >&2; exit 2; }
echo "$bin needs glibc >= $need"
if [ -n "$max" ] && [ "$(printf '%s\n%s\n' "$need" "$max" | sort -V | tail -n 1)" != "$max" ]; then
  echo "check-glibc: $bin needs glibc $need, newer than $max: build it on an older system (ubuntu-22.04 runners have 2.35)" >&2
  exit 1
fi
