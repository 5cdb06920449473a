#!/bin/sh
# scale.sh - the ways out of one machine that the README documents, run
# locally: GNU parallel converting several files (--sshlogin : is this
# machine, as a remote host would be named), and threadconv as a Hadoop
# Streaming style filter: standard input to standard output, no temporary
# files, exit status 0 for success and non-zero for failure, mapper outputs
# that concatenate into one archive.  Also batch mode with several workers
# gives the same files as converting one file at a time.
#
# No format is named here.  The inputs are the seeds and the reader cases
# of the seeds' format; that format is the reader which, given with -f,
# reads a seed as probing does.  The wire format is chosen by the property
# the test needs: the first format --list shows whose outputs of two
# inputs, concatenated and read back, are what converting both in one run
# gives.  A bad input is a case of the seeds' reader that it must refuse
# (its expected-error).
#
# Needs THREADCONV_BIN, THREADCONV_PLUGIN_PATH, THREADCONV_SRCDIR,
# THREADCONV_SHARED (see cli.sh) and GNU parallel (Debian package
# "parallel").  A benchmark lives in tests/bench: nothing here is timed.
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_SRCDIR THREADCONV_SHARED; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set"
done
[ -d "$THREADCONV_SHARED/seeds" ] || die "THREADCONV_SHARED=$THREADCONV_SHARED has no seeds/"
command -v parallel >/dev/null || die "GNU parallel is required (Debian package: parallel)"
command -v gzip >/dev/null || die "gzip is required"

tc="$THREADCONV_BIN"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-scale.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (GNU parallel, which
# keeps ~/.parallel, gzip) reads or writes the user's files, or depends on
# what is there; nor on the options they take from the environment.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
export PARALLEL_HOME="$HOME/.parallel"
unset PARALLEL GZIP
parallel --version 2>/dev/null | grep -q "GNU parallel" || die "parallel is not GNU parallel"
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
same() { # FILE FILE WHAT
    if cmp -s "$1" "$2"; then ok; else bad "$3: $1 and $2 differ"; fi
}

# ------------------------------------------------ the formats and inputs
mkdir "$tmp/in" "$tmp/ref" "$tmp/par" "$tmp/parts" "$tmp/batch1" "$tmp/batch2"
"$tc" --list >"$tmp/list" || die "threadconv --list failed"
readers=$(awk '$2 ~ /r/ { print $1 }' "$tmp/list")
both=$(awk '$2 ~ /r/ && $2 ~ /w/ { print $1 }' "$tmp/list")
n=0
for f in "$THREADCONV_SHARED"/seeds/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$tmp/in/t$n.in"
done
[ "$n" -ge 1 ] || die "no seed in $THREADCONV_SHARED/seeds"
# The seeds' format: the reader that, given with -f, reads the first seed
# as probing does (compared in the first format --list shows that writes
# it).
pw=
for w in $both; do
    "$tc" -q -t "$w" "$tmp/in/t1.in" >"$tmp/probed" 2>/dev/null && { pw=$w; break; }
done
[ -n "$pw" ] || die "no format --list shows writes the seed $tmp/in/t1.in"
from=
for r in $readers; do
    "$tc" -q -f "$r" -t "$pw" "$tmp/in/t1.in" >"$tmp/read" 2>/dev/null &&
        cmp -s "$tmp/read" "$tmp/probed" && { from=$r; break; }
done
[ -n "$from" ] || die "no reader --list shows reads the seed with -f as probing does: $readers"
# More inputs: the reader cases of that format; and one that fails.
bad_msg=
for d in "$THREADCONV_SRCDIR"/plugins/*/tests/cases/"$from"/*/; do
    [ ! -f "$d/options" ] || continue
    for i in "$d"input*; do
        [ -f "$i" ] || continue
        if [ -f "$d/expected.json" ]; then
            n=$((n + 1))
            cp "$i" "$tmp/in/t$n.in"
        elif [ -f "$d/expected-error" ] && [ -z "$bad_msg" ]; then
            cp "$i" "$tmp/bad.in"
            # ":LINE[:COL]: text", after the file's name
            bad_msg=$(sed -n '1s/^[^:]*//p' "$d/expected-error")
        fi
    done
done
[ "$n" -ge 2 ] || die "fewer than two input threads found"
[ -n "$bad_msg" ] || die "no case folder of $from has an expected-error: no input to fail with"
# The wire format: two inputs, each converted alone, concatenated and read
# back with -f, must give what converting both in one run gives.
to=
for w in $both; do
    { "$tc" -q -f "$from" -t "$w" "$tmp/in/t1.in" && "$tc" -q -f "$from" -t "$w" "$tmp/in/t2.in"; } \
        >"$tmp/cat" 2>/dev/null &&
        "$tc" -q -f "$w" -t "$w" <"$tmp/cat" >"$tmp/cat-read" 2>/dev/null &&
        "$tc" -q -f "$from" -t "$w" "$tmp/in/t1.in" "$tmp/in/t2.in" >"$tmp/both" 2>/dev/null &&
        cmp -s "$tmp/cat-read" "$tmp/both" && { to=$w; break; }
done
[ -n "$to" ] || die "no format --list shows reads the concatenation of its outputs back as one archive: $both"
ext=$("$tc" --describe "$to" | sed -n 's/^Extension: *//p')
[ -n "$ext" ] || die "threadconv --describe $to shows no extension"
echo "scale.sh: $n inputs read with -f $from, written with -t $to (outputs that concatenate)"
for f in "$tmp"/in/*.in; do
    b=$(basename "$f" .in)
    "$tc" -q -f "$from" -t "$to" -o "$tmp/ref/$b$ext" "$f" || die "cannot convert $f"
done

# ------------------------------------------------------- GNU parallel
# The README's command line, with ':' (this machine) as the only host.
(cd "$tmp/in" && parallel --will-cite --sshlogin : \
    "'$tc' -q -f $from -t $to {} > '$tmp/par/{/.}$ext'" ::: *.in)
[ $? -eq 0 ] && ok || bad "parallel --sshlogin : failed"
for f in "$tmp"/ref/*"$ext"; do
    same "$f" "$tmp/par/$(basename "$f")" "parallel output"
done
# A failing input: parallel's exit status counts failed jobs, and its job
# log keeps threadconv's own exit status (1: bad input data).
parallel --will-cite -j 2 --joblog "$tmp/joblog" "'$tc' -q -f $from -t $to {} > /dev/null" \
    ::: "$tmp/in/t1.in" "$tmp/bad.in" 2>"$tmp/par-err"
st=$?
[ "$st" -eq 1 ] && ok || bad "parallel with one bad input: exit $st, expected 1"
awk -F'\t' 'NR > 1 && $9 ~ /bad\.in/ { print $7 }' "$tmp/joblog" | grep -qx 1 && ok \
    || bad "job log does not show exit 1 for the bad input: $(cat "$tmp/joblog")"
grep -qF "bad.in$bad_msg" "$tmp/par-err" && ok \
    || bad "the bad input's message did not reach parallel's stderr: $(cat "$tmp/par-err")"

# ---------------------------------------- a filter, as Hadoop Streaming runs it
# A map task: the input on stdin (gzip'd files are not split, so one whole
# thread reaches one mapper), the wire format on stdout; nothing written anywhere
# else, neither in the working directory nor in TMPDIR.
mkdir "$tmp/cwd" "$tmp/tmpdir"
for f in "$tmp"/in/*.in; do
    b=$(basename "$f" .in)
    gzip -c "$f" >"$tmp/$b.in.gz"
    (cd "$tmp/cwd" && gzip -dc "$tmp/$b.in.gz" | TMPDIR="$tmp/tmpdir" \
        "$tc" -q -f "$from" -t "$to" >"$tmp/parts/part-$b" 2>"$tmp/map-err")
    [ $? -eq 0 ] && ok || bad "mapper for $b failed: $(cat "$tmp/map-err")"
    [ ! -s "$tmp/map-err" ] && ok || bad "mapper for $b wrote to stderr: $(cat "$tmp/map-err")"
    same "$tmp/ref/$b$ext" "$tmp/parts/part-$b" "mapper output"
done
[ -z "$(ls -A "$tmp/cwd" "$tmp/tmpdir" | grep -v ':$' | grep -v '^$')" ] && ok \
    || bad "the filter left files behind: $(ls -A "$tmp/cwd" "$tmp/tmpdir")"
# Without -f the reader is found by probing standard input.
"$tc" -q -t "$to" <"$tmp/in/t1.in" >"$tmp/probed-stdin" && ok || bad "probing stdin failed"
same "$tmp/ref/t1$ext" "$tmp/probed-stdin" "probed mapper output"
# A bad record fails the task: non-zero exit status, the reason on stderr.
"$tc" -q -f "$from" -t "$to" <"$tmp/bad.in" >/dev/null 2>"$tmp/map-err"
st=$?
[ "$st" -eq 1 ] && ok || bad "mapper on bad input: exit $st, expected 1"
grep -qF "<stdin>$bad_msg" "$tmp/map-err" && ok \
    || bad "mapper message: $(cat "$tmp/map-err")"
# A usage error is exit 2, as for any command.
"$tc" -f "$from" -t no-such-format <"$tmp/in/t1.in" >/dev/null 2>&1
st=$?
[ "$st" -eq 2 ] && ok || bad "unknown format: exit $st, expected 2"
# The part files concatenate into one archive, which is every thread the
# inputs hold: the same as converting them all in one run.
cat "$tmp"/parts/part-* | "$tc" -q -f "$to" -t "$to" >"$tmp/joined" && ok \
    || bad "the concatenated parts do not read as $to"
(cd "$tmp/in" && "$tc" -q -f "$from" -t "$to" $(cd "$tmp/parts" && ls | sed 's/^part-//; s/$/.in/')) \
    >"$tmp/direct" || bad "direct conversion failed"
same "$tmp/direct" "$tmp/joined" "joined mapper outputs"
# A reader that stops early (head) ends the filter without a hang.
"$tc" -q -f "$from" -t "$to" "$tmp/in/t1.in" "$tmp/in/t1.in" "$tmp/in/t1.in" | head -n 1 \
    >"$tmp/first" && [ -s "$tmp/first" ] && ok || bad "filter into head"

# -------------------------------------------- batch mode, one or more workers
"$tc" -q -f "$from" -t "$to" --output-dir "$tmp/batch1" -j 1 "$tmp"/in/*.in && ok \
    || bad "batch -j 1 failed"
"$tc" -q -f "$from" -t "$to" --output-dir "$tmp/batch2" -j 3 "$tmp"/in/*.in && ok \
    || bad "batch -j 3 failed"
for f in "$tmp"/ref/*"$ext"; do
    same "$f" "$tmp/batch1/$(basename "$f")" "batch -j 1 output"
    same "$f" "$tmp/batch2/$(basename "$f")" "batch -j 3 output"
done

echo "scale.sh: $passed checks passed, $fail failed"
[ "$fail" -eq 0 ]
