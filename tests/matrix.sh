#!/bin/sh
# matrix.sh - the round-trip matrix, the chains and input detection
# (tests/matrix.py), checked against the table "What each format keeps" in
# README.md.  Needs THREADCONV_BIN, THREADCONV_PLUGIN_PATH,
# THREADCONV_TESTDATA and THREADCONV_SHARED; a missing one fails the test.
set -u
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_TESTDATA THREADCONV_SHARED; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || { echo "FATAL: $v is not set" >&2; exit 1; }
done
[ -d "$THREADCONV_SHARED/seeds" ] || { echo "FATAL: THREADCONV_SHARED has no seeds/" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FATAL: python3 is required" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
# A home of the test's own: python3 (and whatever matrix.py starts) reads
# and writes none of the user's files, and depends on none.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-matrix-home.XXXXXX") || { echo "FATAL: mktemp" >&2; exit 1; }
trap 'rm -rf "$tmp"' EXIT
HOME="$tmp/home"
mkdir "$HOME" || { echo "FATAL: cannot make $HOME" >&2; exit 1; }
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
python3 "$here/matrix.py" "$here/../README.md"
