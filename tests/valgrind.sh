#!/bin/sh
# valgrind.sh - the CLI under valgrind: no errors, no leaks, for every
# format threadconv --list shows (none is named here):
#  - each reader reads, with -f, its case folders' inputs
#    (plugins/*/tests/cases/FORMAT/CASE/input*, the cases with an
#    expected.json and no options file) and the shared data's conformance
#    inputs of its format, in one run, and must succeed; then each of its
#    cases with an expected-error, one run each, and must fail with exit 1;
#    the readers write with the first format --list shows with r and w;
#  - each writer writes the seed (its reader found by probing) to -o (a
#    file, or a folder for a writer of folders), and again with --pretty
#    when it has a pretty option;
#  - an unknown output format is refused (exit 2).
# Memory still reachable at exit is not counted: libraries the plugins pull
# in (libstdc++ through libxml2's ICU) keep a pool allocated at load time.
# valgrind is a test dependency (quickstart.sh installs it); without it this
# test fails rather than skipping.
set -u
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_SHARED THREADCONV_BIN THREADCONV_SRCDIR; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set"
done
if [ -n "${THREADCONV_SANITIZED:-}" ]; then
    # An ASan build cannot run under valgrind; CI runs this test in its plain build.
    echo "valgrind.sh: not run in a sanitizer build (THREADCONV_SANITIZED is set)"
    exit 77
fi
command -v valgrind >/dev/null || die "valgrind is required (apt-get install valgrind)"
libtool="${THREADCONV_LIBTOOL:-$(dirname "$THREADCONV_BIN")/../libtool}"
[ -x "$libtool" ] || die "libtool script not found at $libtool"
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
[ -f "$seed" ] || die "$seed not found"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-vg.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: valgrind reads no ~/.valgrindrc and takes no
# VALGRIND_OPTS from the user, only the options below.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
unset VALGRIND_OPTS

"$THREADCONV_BIN" --list >"$tmp/list" || die "threadconv --list failed"
readers=$(awk '$2 ~ /r/ { print $1 }' "$tmp/list")
writers=$(awk '$2 ~ /w/ { print $1 }' "$tmp/list")
to=$(awk '$2 ~ /r/ && $2 ~ /w/ { print $1; exit }' "$tmp/list")
[ -n "$readers" ] && [ -n "$writers" ] && [ -n "$to" ] ||
    die "threadconv --list shows no reader, writer, or format with both: $(cat "$tmp/list")"

status=0
runs=0
# vg WANT ARG...: threadconv ARG... under valgrind, with -o into $tmp/out;
# valgrind must report nothing and the exit status must be WANT.
vg() {
    want=$1
    shift
    runs=$((runs + 1))
    rm -rf "$tmp/out"
    "$libtool" --mode=execute valgrind -q --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible "$THREADCONV_BIN" -o "$tmp/out" "$@" \
        >/dev/null 2>"$tmp/vg.err"
    rc=$?
    if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*==' "$tmp/vg.err"; then
        echo "FAIL: valgrind reports for: threadconv $*" >&2
        cat "$tmp/vg.err" >&2
        status=1
    elif [ "$rc" -ne "$want" ]; then
        echo "FAIL: threadconv $*: exit $rc, expected $want" >&2
        cat "$tmp/vg.err" >&2
        status=1
    else
        echo "ok: threadconv $* (exit $rc)"
    fi
}

for r in $readers; do
    # Its inputs that read as an archive, as positional parameters.
    set --
    for d in "$THREADCONV_SRCDIR"/plugins/*/tests/cases/"$r"/*/; do
        [ -f "$d/expected.json" ] && [ ! -f "$d/options" ] || continue
        for i in "$d"input*; do [ -e "$i" ] && set -- "$@" "$i"; done
    done
    for i in "$THREADCONV_SHARED/conformance/$r"/*; do
        case $i in *.expected.*) continue ;; esac
        [ -f "$i" ] && set -- "$@" "$i"
    done
    if [ $# -eq 0 ]; then
        echo "FAIL: no case folder of $r has an input and an expected.json: nothing to read" >&2
        status=1
    else
        vg 0 -f "$r" -t "$to" "$@"
    fi
    for d in "$THREADCONV_SRCDIR"/plugins/*/tests/cases/"$r"/*/; do
        [ -f "$d/expected-error" ] && [ ! -f "$d/options" ] || continue
        for i in "$d"input*; do [ -e "$i" ] && vg 1 -f "$r" -t "$to" "$i"; done
    done
done
for w in $writers; do
    vg 0 -t "$w" "$seed"
    if "$THREADCONV_BIN" --describe "$w" | grep -q "^  $w\.pretty="; then
        vg 0 -t "$w" --pretty "$seed"
    fi
done
vg 2 -t nosuch "$seed"
echo "valgrind.sh: $runs runs"
exit $status
