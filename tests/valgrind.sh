#!/bin/sh
# valgrind.sh - the seed conversions under valgrind: no errors, no leaks.
# Memory still reachable at exit is not counted: libraries the plugins pull
# in (libstdc++ through libxml2's ICU) keep a pool allocated at load time.
# valgrind is a test dependency (quickstart.sh installs it); without it this
# test fails rather than skipping.
set -u
die() { echo "FATAL: $*" >&2; exit 1; }
[ -n "${THREADCONV_SHARED:-}" ] || die "THREADCONV_SHARED is not set"
[ -n "${THREADCONV_BIN:-}" ] || die "THREADCONV_BIN is not set"
if [ -n "${THREADCONV_SANITIZED:-}" ]; then
    # An ASan build cannot run under valgrind; CI runs this test in its plain build.
    echo "valgrind.sh: not run in a sanitizer build (THREADCONV_SANITIZED is set)"
    exit 77
fi
command -v valgrind >/dev/null || die "valgrind is required (apt-get install valgrind)"
libtool="${THREADCONV_LIBTOOL:-$(dirname "$THREADCONV_BIN")/../libtool}"
[ -x "$libtool" ] || die "libtool script not found at $libtool"
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-vg.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: valgrind reads no ~/.valgrindrc and takes no
# VALGRIND_OPTS from the user, only the options below.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
unset VALGRIND_OPTS
status=0
for args in "-t json $seed" "-t jsonl $seed" "-f mumsnet -t json --pretty $seed" \
            "-t json $THREADCONV_SHARED/conformance/mumsnet/current-layout.txt" \
            "-t json $THREADCONV_TESTDATA/cli/bad-date.txt" "-t nosuch $seed"; do
    # shellcheck disable=SC2086
    "$libtool" --mode=execute valgrind -q --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible "$THREADCONV_BIN" $args \
        >/dev/null 2>"$tmp/vg.err"
    rc=$?
    if [ "$rc" -eq 99 ] || grep -q '^==[0-9]*==' "$tmp/vg.err"; then
        echo "FAIL: valgrind reports for: threadconv $args" >&2
        cat "$tmp/vg.err" >&2
        status=1
    else
        echo "ok: threadconv $args (exit $rc)"
    fi
done
exit $status
