#!/bin/sh
# scale.sh - the ways out of one machine that the README documents, run
# locally: GNU parallel converting several files (--sshlogin : is this
# machine, as a remote host would be named), and threadconv as a Hadoop
# Streaming style filter: standard input to standard output, no temporary
# files, exit status 0 for success and non-zero for failure, mapper outputs
# in jsonl that concatenate into one archive.  Also batch mode with several
# workers gives the same files as converting one file at a time.
#
# Needs THREADCONV_BIN, THREADCONV_PLUGIN_PATH, THREADCONV_TESTDATA,
# THREADCONV_SHARED (see cli.sh) and GNU parallel (Debian package
# "parallel").  A benchmark lives in tests/bench: nothing here is timed.
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_TESTDATA THREADCONV_SHARED; do
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

# Inputs: the seeds (mumsnet threads) and one file that fails.
mkdir "$tmp/in" "$tmp/ref" "$tmp/par" "$tmp/parts" "$tmp/batch1" "$tmp/batch2"
n=0
for f in "$THREADCONV_SHARED"/seeds/*.txt "$THREADCONV_TESTDATA/cli/summer.txt"; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$tmp/in/t$n.txt"
done
[ "$n" -ge 2 ] || die "fewer than two input threads found"
for f in "$tmp"/in/*.txt; do
    b=$(basename "$f" .txt)
    "$tc" -q -f mumsnet -t jsonl -o "$tmp/ref/$b.jsonl" "$f" || die "cannot convert $f"
done
cp "$THREADCONV_TESTDATA/cli/bad-date.txt" "$tmp/bad.txt"

# ------------------------------------------------------- GNU parallel
# The README's command line, with ':' (this machine) as the only host.
(cd "$tmp/in" && parallel --will-cite --sshlogin : \
    "'$tc' -q -f mumsnet -t jsonl {} > '$tmp/par/{/.}.jsonl'" ::: *.txt)
[ $? -eq 0 ] && ok || bad "parallel --sshlogin : failed"
for f in "$tmp"/ref/*.jsonl; do
    same "$f" "$tmp/par/$(basename "$f")" "parallel output"
done
# A failing input: parallel's exit status counts failed jobs, and its job
# log keeps threadconv's own exit status (1: bad input data).
parallel --will-cite -j 2 --joblog "$tmp/joblog" "'$tc' -q -f mumsnet -t jsonl {} > /dev/null" \
    ::: "$tmp/in/t1.txt" "$tmp/bad.txt" 2>"$tmp/par-err"
st=$?
[ "$st" -eq 1 ] && ok || bad "parallel with one bad input: exit $st, expected 1"
awk -F'\t' 'NR > 1 && $9 ~ /bad\.txt/ { print $7 }' "$tmp/joblog" | grep -qx 1 && ok \
    || bad "job log does not show exit 1 for the bad input: $(cat "$tmp/joblog")"
grep -q "bad.txt:7:15: impossible date" "$tmp/par-err" && ok \
    || bad "the bad input's message did not reach parallel's stderr: $(cat "$tmp/par-err")"

# ---------------------------------------- a filter, as Hadoop Streaming runs it
# A map task: the input on stdin (gzip'd files are not split, so one whole
# thread reaches one mapper), jsonl on stdout; nothing written anywhere
# else, neither in the working directory nor in TMPDIR.
mkdir "$tmp/cwd" "$tmp/tmpdir"
for f in "$tmp"/in/*.txt; do
    b=$(basename "$f" .txt)
    gzip -c "$f" >"$tmp/$b.txt.gz"
    (cd "$tmp/cwd" && gzip -dc "$tmp/$b.txt.gz" | TMPDIR="$tmp/tmpdir" \
        "$tc" -q -f mumsnet -t jsonl >"$tmp/parts/part-$b" 2>"$tmp/map-err")
    [ $? -eq 0 ] && ok || bad "mapper for $b failed: $(cat "$tmp/map-err")"
    [ ! -s "$tmp/map-err" ] && ok || bad "mapper for $b wrote to stderr: $(cat "$tmp/map-err")"
    same "$tmp/ref/$b.jsonl" "$tmp/parts/part-$b" "mapper output"
done
[ -z "$(ls -A "$tmp/cwd" "$tmp/tmpdir" | grep -v ':$' | grep -v '^$')" ] && ok \
    || bad "the filter left files behind: $(ls -A "$tmp/cwd" "$tmp/tmpdir")"
# Without -f the reader is found by probing standard input.
"$tc" -q -t jsonl <"$tmp/in/t1.txt" >"$tmp/probed.jsonl" && ok || bad "probing stdin failed"
same "$tmp/ref/t1.jsonl" "$tmp/probed.jsonl" "probed mapper output"
# A bad record fails the task: non-zero exit status, the reason on stderr.
"$tc" -q -f mumsnet -t jsonl <"$tmp/bad.txt" >/dev/null 2>"$tmp/map-err"
st=$?
[ "$st" -eq 1 ] && ok || bad "mapper on bad input: exit $st, expected 1"
grep -q "<stdin>:7:15: impossible date" "$tmp/map-err" && ok \
    || bad "mapper message: $(cat "$tmp/map-err")"
# A usage error is exit 2, as for any command.
"$tc" -f mumsnet -t no-such-format <"$tmp/in/t1.txt" >/dev/null 2>&1
st=$?
[ "$st" -eq 2 ] && ok || bad "unknown format: exit $st, expected 2"
# The part files concatenate into one jsonl archive, which is every thread
# the inputs hold: the same as converting them all in one run.
cat "$tmp"/parts/part-* | "$tc" -q -f jsonl -t json >"$tmp/joined.json" && ok \
    || bad "the concatenated parts do not read as jsonl"
(cd "$tmp/in" && "$tc" -q -f mumsnet -t json $(cd "$tmp/parts" && ls | sed 's/^part-//; s/$/.txt/')) \
    >"$tmp/direct.json" || bad "direct conversion failed"
same "$tmp/direct.json" "$tmp/joined.json" "joined mapper outputs"
# A reader that stops early (head) ends the filter without a hang.
"$tc" -q -f mumsnet -t jsonl "$tmp/in/t1.txt" "$tmp/in/t1.txt" "$tmp/in/t1.txt" | head -n 1 \
    >"$tmp/first" && [ -s "$tmp/first" ] && ok || bad "filter into head"

# -------------------------------------------- batch mode, one or more workers
"$tc" -q -f mumsnet -t jsonl --output-dir "$tmp/batch1" -j 1 "$tmp"/in/*.txt && ok \
    || bad "batch -j 1 failed"
"$tc" -q -f mumsnet -t jsonl --output-dir "$tmp/batch2" -j 3 "$tmp"/in/*.txt && ok \
    || bad "batch -j 3 failed"
for f in "$tmp"/ref/*.jsonl; do
    same "$f" "$tmp/batch1/$(basename "$f")" "batch -j 1 output"
    same "$f" "$tmp/batch2/$(basename "$f")" "batch -j 3 output"
done

echo "scale.sh: $passed checks passed, $fail failed"
[ "$fail" -eq 0 ]
