#!/usr/bin/env bash
# Runs the Windows node.exe under Wine: `scripts/wine/node.sh [node args...]`, like `node`.
# node.exe crashes on a Unix pipe (EBADF when it opens stdout), so its stdout and stderr go to files,
# which are streamed back to this script's stdout and stderr while it runs. The exit code is
# node.exe's; 124 when it outlived GATEHOUSE_WINE_TIMEOUT seconds (default 1800) and was killed.
# Needs scripts/wine/setup.sh to have run (it is run here, quietly, when env.sh is missing).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WINE_HOME="${GATEHOUSE_WINE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-wine}"
if [ ! -f "$WINE_HOME/env.sh" ]; then
  bash "$HERE/setup.sh" >/dev/null || exit $?
fi
# shellcheck source=/dev/null
. "$WINE_HOME/env.sh"
unset DISPLAY WAYLAND_DISPLAY

LIMIT="${GATEHOUSE_WINE_TIMEOUT:-1800}"
OUT=$(mktemp "${TMPDIR:-/tmp}/wine-node.out.XXXXXX")
ERR=$(mktemp "${TMPDIR:-/tmp}/wine-node.err.XXXXXX")
trap 'rm -f "$OUT" "$ERR"' EXIT

timeout -k 10 "$LIMIT" "$WINE64" "$WINE_NODE_EXE" "$@" </dev/null >"$OUT" 2>"$ERR" &
PID=$!
# tail --pid stops once node.exe has gone and the file is drained.
tail -n +1 -f --pid="$PID" "$OUT" &
T1=$!
tail -n +1 -f --pid="$PID" "$ERR" >&2 &
T2=$!
RC=0
wait "$PID" || RC=$?
wait "$T1" "$T2" || true
[ "$RC" = 124 ] && echo "wine-node: node.exe killed after ${LIMIT}s (GATEHOUSE_WINE_TIMEOUT)" >&2
exit "$RC"
