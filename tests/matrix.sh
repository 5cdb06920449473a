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
exec python3 "$here/matrix.py" "$here/../README.md"
