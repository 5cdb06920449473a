#!/bin/sh
# run.sh - build the fuzz harnesses (build.sh) and run each for SECONDS
# (default 30), one after the other, one process each.
#
#   tests/fuzz/run.sh [SECONDS]
#
# The harnesses are those build.sh lists in fuzzers.list: fuzz_FORMAT for
# every reader format of the registry, and fuzz_roundtrip.  Each starts from
# a copy of its committed corpus (the committed one is never changed):
# tests/fuzz/corpus/FORMAT, or, for a format that has no folder there yet,
# the seeds of every other format's folder; when THREADCONV_SHARED names the
# shared data folder, its files are seeds for every reader too.  The round
# trip starts from tests/fuzz/corpus/roundtrip and from every reader seed
# above, each given a first line "READER WRITER" (see fuzz_roundtrip.c)
# naming its reader and, in turn, each writer.  Whatever libFuzzer finds
# (crash, leak, timeout, out of memory) is saved as
# $FUZZ_OUT/artifacts/NAME-*, and the script exits 1 at the end.  To
# reproduce a finding:  $FUZZ_OUT/fuzz_NAME ARTIFACT.  To keep it as a
# regression test, copy it into tests/fuzz/regressions/NAME/.
set -u
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/threadconv-fuzz}
"$here/build.sh" "$out" || exit 2
rm -rf "$out/work" && mkdir -p "$out/work" "$out/artifacts" || exit 2

readers=$(sed -n 's/^reader //p' "$out/fuzzers.list")
writers=$(sed -n 's/^roundtrip //p' "$out/fuzzers.list")
shared=""
if [ -n "${THREADCONV_SHARED:-}" ] && [ -d "$THREADCONV_SHARED" ]; then
    for d in seeds conformance corpus; do
        [ -d "$THREADCONV_SHARED/$d" ] && shared="$shared $THREADCONV_SHARED/$d"
    done
fi

# seed_dirs FORMAT: the committed folders FORMAT's harness starts from.
seed_dirs() {
    if [ -d "$here/corpus/$1" ]; then
        echo "$here/corpus/$1"
        return
    fi
    for d in "$here"/corpus/*/; do
        case ${d%/} in */roundtrip) ;; *) echo "${d%/}" ;; esac
    done
}

# The round trip's generated seeds: every file a reader harness starts
# from, once per writer in turn, behind the line naming the pair.
roundtrip_seeds() {
    d="$out/work/roundtrip-seeds"
    mkdir -p "$d"
    n=0
    nw=$(echo "$writers" | wc -w)
    [ "$nw" -gt 0 ] || return 0
    for r in $readers; do
        # shellcheck disable=SC2046
        find $(seed_dirs "$r") $shared -type f 2>/dev/null | sort | while read -r f; do
            n=$((n + 1))
            w=$(echo "$writers" | tr ' ' '\n' | sed -n "$((n % nw + 1))p")
            { printf '%s %s\n' "$r" "$w"; head -c 65000 "$f"; } >"$d/$r-$n"
        done
        n=$((n + 1)) # each reader starts its writers one further on
    done
    echo "$d"
}

status=0
for name in $readers roundtrip; do
    work="$out/work/$name"
    mkdir -p "$work"
    if [ "$name" = roundtrip ]; then
        cp "$here/corpus/roundtrip"/* "$work"/ 2>/dev/null
        extra=$(roundtrip_seeds)
    else
        for d in $(seed_dirs "$name"); do cp "$d"/* "$work"/ 2>/dev/null; done
        extra=$shared
    fi
    echo "== fuzz_$name for ${seconds}s"
    # shellcheck disable=SC2086
    "$out/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" \
        "$work" $extra >"$out/$name.log" 2>&1
    rc=$?
    tail -n 12 "$out/$name.log" | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )'
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: fuzz_$name exit $rc; see $out/$name.log" >&2
        grep -E 'ERROR|FUZZ FINDING|SUMMARY|Test unit written' "$out/$name.log" | head -n 8 >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "run.sh: no findings" || echo "run.sh: findings in $out/artifacts" >&2
exit "$status"
