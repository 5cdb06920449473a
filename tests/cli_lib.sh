# cli_lib.sh - what the command's end-to-end tests share: tests/cli.sh
# (the command itself, no format named) and each module's
# plugins/NAME/tests/cli.sh (that module's formats through the command)
# source it.  It checks the environment, makes the temporary folder $tmp
# (removed at exit) with a home of the test's own in it, and defines the
# checks: run, stderr_is, contains, pycheck, ok, bad; cli_done prints the
# count and gives the exit status.  It names no format: doc_writer and
# seed_reader find the formats a test needs by their properties.
#
# Before sourcing it, set cli_name (the name the count is printed under).
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH, THREADCONV_TEST_PLUGINS, THREADCONV_TESTDATA,
# THREADCONV_SRCDIR; and THREADCONV_SHARED, the absolute path of the shared
# data folder (../shared).  A missing one fails the test: nothing is
# skipped silently.
# shellcheck shell=sh disable=SC2154 # cli_name is the sourcing script's
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_TEST_PLUGINS THREADCONV_TESTDATA \
         THREADCONV_SRCDIR THREADCONV_SHARED; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set (THREADCONV_SHARED must name the shared data folder)"
done
[ -d "$THREADCONV_SHARED/seeds" ] || die "THREADCONV_SHARED=$THREADCONV_SHARED has no seeds/"
command -v python3 >/dev/null || die "python3 is required for the checks"

tc="$THREADCONV_BIN"
# shellcheck disable=SC2034 # used by the sourcing scripts
data="$THREADCONV_TESTDATA/cli"
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
[ -f "$seed" ] || die "$seed not found"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-cli.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (python3) reads or
# writes the user's files, or depends on what is there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# run EXPECTED_STATUS ARGS...: runs threadconv, keeps stdout/stderr in files.
run() {
    want=$1; shift
    "$tc" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        bad "threadconv $*: exit $got, expected $want; stderr: $(cat "$tmp/err")"
        return 1
    fi
    ok
}
# stderr_is TEXT: the whole of stderr must be exactly TEXT (one line).
stderr_is() {
    if [ "$(cat "$tmp/err")" != "$1" ]; then
        bad "stderr was: $(cat "$tmp/err")
      expected: $1"
    else ok; fi
}
contains() { # FILE TEXT
    if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks '$2': $(head -c 600 "$1")"; fi
}
# pycheck PYTHON-EXPRESSIONS: over doc = $tmp/out, an archive document (the
# threadconv JSON document the case folders' expected.json hold) as Python
# reads it.
pycheck() {
    if python3 - "$tmp/out" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr)
PY
    then ok; else bad "archive document check failed"; fi
}

# doc_writer: prints the format that writes archive documents, the one
# pycheck reads: the first writer --list shows whose output of a case
# folder's expected.json is that same archive.
doc_writer() {
    "$tc" --list >"$tmp/lib-list" || die "threadconv --list failed"
    lib_sample=
    for lib_f in "$THREADCONV_SRCDIR"/plugins/*/tests/cases/*/*/expected.json; do
        [ -f "$lib_f" ] && { lib_sample=$lib_f; break; }
    done
    [ -n "$lib_sample" ] || die "no case folder with an expected.json in $THREADCONV_SRCDIR/plugins"
    for lib_w in $(awk '$2 ~ /w/ { print $1 }' "$tmp/lib-list"); do
        rm -rf "$tmp/lib-doc"
        "$tc" -q -t "$lib_w" -o "$tmp/lib-doc" "$lib_sample" 2>/dev/null && [ -f "$tmp/lib-doc" ] &&
            python3 -c 'import json, sys
sys.exit(0 if json.load(open(sys.argv[1], encoding="utf-8")) ==
         json.load(open(sys.argv[2], encoding="utf-8")) else 1)' "$tmp/lib-doc" "$lib_sample" 2>/dev/null &&
            { rm -rf "$tmp/lib-doc"; echo "$lib_w"; return 0; }
    done
    die "no writer in --list writes $lib_sample back as it is"
}

# seed_reader WRITER: prints the seed's format, the reader that, given with
# -f, reads the seed as probing does (compared written with WRITER).
seed_reader() {
    "$tc" --list >"$tmp/lib-list" || die "threadconv --list failed"
    "$tc" -q -t "$1" "$seed" >"$tmp/lib-probed" 2>/dev/null || die "-t $1 cannot write the seed"
    for lib_r in $(awk '$2 ~ /r/ { print $1 }' "$tmp/lib-list"); do
        "$tc" -q -f "$lib_r" -t "$1" "$seed" >"$tmp/lib-read" 2>/dev/null &&
            cmp -s "$tmp/lib-read" "$tmp/lib-probed" && { echo "$lib_r"; return 0; }
    done
    die "no reader in --list reads the seed with -f as probing does"
}

cli_done() {
    echo "$cli_name: $passed checks passed, $fail failed"
    [ "$fail" -eq 0 ]
}
