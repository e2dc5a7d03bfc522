#!/usr/bin/env bash
# The Windows suite, run for real: node.exe (Node 22, from npm) under Debian's Wine runs the compiled
# tests in dist/test/win32 with `node --test`. `npm run test:wine` calls this.
#   bash scripts/wine/test.sh [--no-build] [extra node --test args...]
# Exit: the test run's code. When Wine cannot be set up on this machine at all (setup.sh exit 77) it
# prints SKIPPED with the reason and exits 0; any other setup failure fails the run. A run in which
# no test passed fails too: the suite never passes silently.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WINE_HOME="${GATEHOUSE_WINE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-wine}"
# The whole run is bounded; each test also has its own timeout.
export GATEHOUSE_WINE_TIMEOUT="${GATEHOUSE_WINE_TIMEOUT:-1500}"

banner() { printf '\n==================== %s ====================\n' "$1"; }

BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi

SETUP_ERR=$(mktemp)
trap 'rm -f "$SETUP_ERR"' EXIT
banner "Windows suite: setting up Wine"
bash "$HERE/setup.sh" 2> >(tee "$SETUP_ERR" >&2)
RC=$?
wait # let tee flush
if [ "$RC" = 77 ]; then
  banner "SKIPPED: Windows suite"
  echo "SKIPPED: the Windows suite did not run: Wine cannot be set up on this machine."
  echo "SKIPPED: reason: $(grep 'SETUP FAILED' "$SETUP_ERR" | tail -n 1 | sed 's/^gatehouse-wine: //')"
  banner "SKIPPED"
  exit 0
elif [ "$RC" != 0 ]; then
  banner "FAILED: Wine setup (exit $RC)"
  exit "$RC"
fi

cd "$ROOT" || exit 1
if [ "$BUILD" = 1 ]; then
  banner "Windows suite: building"
  { node_modules/.bin/tsc -p tsconfig.json && node scripts/bundle-cli.js; } || { banner "FAILED: the build (tsc, bundle)"; exit 1; }
fi
ls dist/test/win32/*.test.js >/dev/null 2>&1 || { banner "FAILED: no compiled tests in dist/test/win32"; exit 1; }

banner "Windows suite: node.exe --test under Wine"
OUT=$(mktemp)
trap 'rm -f "$SETUP_ERR" "$OUT"' EXIT
bash "$HERE/node.sh" --test --test-concurrency=2 --test-timeout=300000 "$@" 'dist/test/win32/**/*.test.js' 2>&1 | tee "$OUT"
RC=${PIPESTATUS[0]}

# Whatever a failed test left running in the private prefix goes with its wineserver.
# shellcheck source=/dev/null
. "$WINE_HOME/env.sh" && "$WINESERVER" -k >/dev/null 2>&1

PASSED=$(sed -n 's/^# pass \([0-9]*\).*/\1/p' "$OUT" | tail -n 1)
if [ "$RC" = 0 ] && [ "${PASSED:-0}" = 0 ]; then
  banner "FAILED: the Windows suite ran no test"
  exit 1
fi
banner "Windows suite: $([ "$RC" = 0 ] && echo PASSED || echo "FAILED (exit $RC)")"
exit "$RC"
