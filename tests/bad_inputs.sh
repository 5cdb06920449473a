#!/bin/sh
# bad_inputs.sh - the table of bad inputs (README, "Bad inputs"): each input
# is made at run time (the large ones too), converted with -o, and must
# give its exit status and exactly its message, within 30 s and a memory
# bound, leaving no output file and no temporary file behind.  A row run
# with --keep-going must give exit 5, its warnings, and the output.
#
# This file is the harness and the rows about no particular format (an
# empty file, random bytes, a program: what probing says of them).  Each
# module's own rows live in its folder, plugins/NAME/tests/bad_inputs.sh:
# row calls that this harness sources, when the module is built, with what
# it defines below (row, output_is, a100, the input folder $in, $cant_tell,
# $line_msg, and the inputs empty.txt, random.bin and program already in
# $in).  A module without that file has no rows here.  The formats come
# from threadconv --list: none is named in this file.
#
# Memory is the peak RSS of the real binary (core/.libs/threadconv, not the
# libtool wrapper) from GNU time.  In a sanitizer build
# (THREADCONV_SANITIZED) the memory bounds are not checked: shadow memory
# inflates them.
#
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH, THREADCONV_SRCDIR.  Tools: python3, GNU time
# (/usr/bin/time), timeout.  A missing one fails the test: nothing is
# skipped silently.
set -u

fail=0
passed=0
rows=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_SRCDIR; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set"
done
command -v python3 >/dev/null || die "python3 is required (it makes the inputs)"
command -v timeout >/dev/null || die "timeout (coreutils) is required"
[ -x /usr/bin/time ] || die "GNU time is required for the memory bounds (apt-get install time)"

libs=$(cd "$(dirname "$THREADCONV_BIN")/.libs" 2>/dev/null && pwd) ||
    die "no .libs beside $THREADCONV_BIN: build with libtool first"
bin="$libs/threadconv"
[ -x "$bin" ] || bin="$libs/lt-threadconv"
[ -x "$bin" ] || die "the real binary is not in $libs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-bad.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (python3) reads or
# writes the user's files, or depends on what is there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
mkdir "$tmp/in" "$tmp/out"
in="$tmp/in"

# The formats, from --list ("NAME MODES DESCRIPTION", in name order), and
# the modules built (--describe says which module provides each format).
"$THREADCONV_BIN" --list >"$tmp/list" || die "threadconv --list failed"
readers=$(awk '$2 ~ /r/ { print $1 }' "$tmp/list")
writers=$(awk '$2 ~ /w/ { print $1 }' "$tmp/list")
[ -n "$readers" ] || die "threadconv --list shows no reader: $(cat "$tmp/list")"
modules=$(for f in $readers $writers; do "$THREADCONV_BIN" --describe "$f"; done |
    sed -n 's/^Module: *\([a-z0-9_]*\) .*/\1/p' | sort -u)
# What probing answers when no reader is sure: every reader, in name order.
cant_tell="cannot tell the input format; choose one with -f: $(awk '$2 ~ /r/ {
    printf "%s%s", sep, $1; sep = ", " }' "$tmp/list")"

# The writer every row writes with: the one that writes the archive
# document the generic suite's case folders hold in expected.json (which
# output_is reads with Python).  It is found by that property, not by name:
# the first writer whose output of such a file is the same archive.
sample=
for f in "$THREADCONV_SRCDIR"/plugins/*/tests/cases/*/*/expected.json; do
    [ -f "$f" ] && { sample=$f; break; }
done
[ -n "$sample" ] || die "no case folder with an expected.json in $THREADCONV_SRCDIR/plugins"
to=
for w in $writers; do
    rm -rf "$tmp/doc"
    "$THREADCONV_BIN" -q -t "$w" -o "$tmp/doc" "$sample" 2>/dev/null && [ -f "$tmp/doc" ] &&
        python3 -c 'import json, sys
sys.exit(0 if json.load(open(sys.argv[1], encoding="utf-8")) ==
         json.load(open(sys.argv[2], encoding="utf-8")) else 1)' "$tmp/doc" "$sample" 2>/dev/null &&
        { to=$w; break; }
done
rm -rf "$tmp/doc"
[ -n "$to" ] || die "no writer in --list writes $sample back as it is: $writers"

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# row NAME STATUS MAX_MB MESSAGE INPUT ARG...
# Runs threadconv ARG... -t $to -o OUT INPUT in the input folder (so
# messages name INPUT as given) and checks the status, that stderr is
# exactly MESSAGE (lines), the time (30 s), the peak RSS (MAX_MB), and that
# OUT exists only on success and nothing else is left in its folder.
row() {
    name=$1 want=$2 max_mb=$3 msg=$4 input=$5
    shift 5
    rows=$((rows + 1))
    rm -rf "$tmp/out" && mkdir "$tmp/out"
    (cd "$in" && LD_LIBRARY_PATH="$THREADCONV_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        timeout 30 /usr/bin/time -f %M -o "$tmp/rss" \
        "$bin" "$@" -t "$to" -o "$tmp/out/result" "$input") >"$tmp/stdout" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq 124 ]; then
        bad "$name: no answer within 30 s"
        return
    fi
    if [ "$got" -ne "$want" ]; then
        bad "$name: exit $got, expected $want; stderr: $(cat "$tmp/err")"
    else ok; fi
    if [ "$(cat "$tmp/err")" != "$msg" ]; then
        bad "$name: stderr was:
$(cat "$tmp/err")
      expected:
$msg"
    else ok; fi
    left=$(ls -A "$tmp/out")
    if [ "$want" -eq 0 ] || [ "$want" -eq 5 ]; then
        if [ "$left" = result ]; then ok; else bad "$name: output folder holds '$left'"; fi
    else
        if [ -z "$left" ]; then ok; else bad "$name: a failed run left '$left' behind"; fi
    fi
    kb=$(tail -n 1 "$tmp/rss")
    if [ -n "${THREADCONV_SANITIZED:-}" ]; then
        :
    elif [ "$kb" -le $((max_mb * 1024)) ] 2>/dev/null; then
        ok
    else
        bad "$name: peak RSS $kb KB, bound $max_mb MB"
    fi
    echo "ok: $name (exit $got, ${kb} KB)"
}

# output_is PYTHON-EXPRESSION: the last row's output, the archive as
# Python reads it, satisfies the expression over t = its first thread.
output_is() {
    if python3 - "$tmp/out/result" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
    then ok; else bad "output check failed: $1"; fi
}

# A line longer than the max-line limit (64 MiB), refused as soon as the
# buffered part of the line passes it, so memory stays near the limit, not
# the line.  a100 writes the 100 MB of such a line.
limit=67108864
# shellcheck disable=SC2034 # the modules' rows use it
line_msg="line is longer than the max-line limit ($limit bytes); raise it with --limit max-line=SIZE"
a100() { head -c 100000000 /dev/zero | tr '\0' a; }

# ------------------------------------------------------ empty and binary
# Inputs the modules' rows use too (with -f).
: >"$in/empty.txt"
row "empty file" 1 16 \
    "threadconv: empty.txt: empty input: nothing to convert (give -f to have a reader check it)" \
    empty.txt
# 4 KiB of seeded random bytes: 38 B4 ...; B4 cannot start a character.
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(7).randbytes(4096))' \
    >"$in/random.bin"
row "random bytes" 2 16 "threadconv: random.bin: $cant_tell" random.bin
# An ELF file (threadconv itself): 7F 'E' 'L' 'F' 02 01 01 00: a NUL 8th.
cp "$bin" "$in/program"
row "ELF binary" 2 16 "threadconv: program: $cant_tell" program
echo "bad_inputs.sh: $rows rows about no particular format"

# ------------------------------------------------------ each module's rows
# (The rows run in this shell: the names below are the harness's own, so
# that a module's file does not reuse them by chance.)
for harness_module in $modules; do
    harness_file="plugins/$harness_module/tests/bad_inputs.sh"
    [ -f "$THREADCONV_SRCDIR/$harness_file" ] || continue
    harness_before=$rows
    # shellcheck source=/dev/null
    . "$THREADCONV_SRCDIR/$harness_file"
    echo "bad_inputs.sh: $((rows - harness_before)) rows from $harness_file"
done

echo "bad_inputs.sh: $rows rows, $passed checks passed, $fail failed (writing with -t $to)"
[ "$fail" -eq 0 ]
