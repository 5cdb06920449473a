#!/bin/sh
# run.sh - build the fuzz harnesses (build.sh) and run each for SECONDS
# (default 30), one after the other, one process each.
#
#   tests/fuzz/run.sh [SECONDS]
#
# Each harness starts from its committed corpus tests/fuzz/corpus/NAME (it is
# copied: the committed corpus is never changed) and, when THREADCONV_SHARED
# names the shared data folder, from the files there that suit it.  Whatever
# libFuzzer finds (crash, leak, timeout, out of memory) is saved as
# $FUZZ_OUT/artifacts/NAME-*, and the script exits 1 at the end.  To
# reproduce a finding:  $FUZZ_OUT/fuzz_NAME ARTIFACT.  To keep it as a
# regression test, copy it into tests/fuzz/regressions/NAME/.
set -u
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/threadconv-fuzz}
"$here/build.sh" "$out" || exit 2
rm -rf "$out/work" && mkdir -p "$out/work" "$out/artifacts" || exit 2

# extra_seeds NAME: directories of the shared folder worth starting NAME from.
extra_seeds() {
    s=${THREADCONV_SHARED:-}
    [ -n "$s" ] && [ -d "$s" ] || return 0
    case $1 in
        mumsnet) echo "$s/seeds $s/conformance/mumsnet" ;;
        json|jsonl) echo "$s/corpus/chat $s/corpus/foreign" ;;
        xml) echo "$s/corpus/foreign" ;;
        mbox) echo "$s/corpus/mbox" ;;
    esac
}

# The round-trip harness reads a selector byte first (see
# fuzz_roundtrip.c): give each shared file the byte of its reader.
roundtrip_seeds() {
    s=${THREADCONV_SHARED:-}
    [ -n "$s" ] && [ -d "$s" ] || return 0
    d="$out/work/roundtrip-shared"
    mkdir -p "$d"
    n=0
    for pair in "0 seeds" "0 conformance/mumsnet" "1 corpus/chat" "3 corpus/foreign" "4 corpus/mbox"; do
        r=${pair%% *}
        for f in "$s/${pair#* }"/*; do
            [ -f "$f" ] || continue
            b=$((r + 5 * (n % 4)))
            n=$((n + 1))
            { printf "\\$(printf %o "$b")"; cat "$f"; } >"$d/$n"
        done
    done
    echo "$d"
}

status=0
for name in mumsnet json jsonl xml mbox roundtrip; do
    work="$out/work/$name"
    mkdir -p "$work"
    cp "$here/corpus/$name"/* "$work"/ 2>/dev/null
    if [ "$name" = roundtrip ]; then extra=$(roundtrip_seeds); else extra=$(extra_seeds "$name"); fi
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
