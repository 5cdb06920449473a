#!/bin/sh
# exports.sh - the library exports only public tc_ names (never the private
# tc__ ones), and each module exports exactly its descriptor,
# threadconv_module_NAME for NAME.so.
set -u
die() { echo "FATAL: $*" >&2; exit 1; }
[ -n "${THREADCONV_BIN:-}" ] || die "THREADCONV_BIN is not set"
[ -n "${THREADCONV_PLUGIN_PATH:-}" ] || die "THREADCONV_PLUGIN_PATH is not set"
command -v nm >/dev/null || die "nm (binutils) is required"
top=$(dirname "$THREADCONV_BIN")/..
lib="$top/core/.libs/libthreadconv.so"
[ -f "$lib" ] || die "$lib not found"
status=0
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDRB]/ {print $3}' | grep -v '^tc_[a-z0-9]')
if [ -n "$bad" ]; then echo "FAIL: libthreadconv exports non-public names: $bad" >&2; status=1; fi
n=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDRB]/' | grep -c ' tc_')
[ "$n" -gt 20 ] || { echo "FAIL: libthreadconv exports only $n tc_ names" >&2; status=1; }
html="$top/core/.libs/libthreadconv_html.so"
[ -f "$html" ] || die "$html not found"
bad=$(nm -D --defined-only "$html" | awk '$2 ~ /[TDRB]/ {print $3}' | grep -v '^tc_html_')
if [ -n "$bad" ]; then echo "FAIL: libthreadconv_html exports more than tc_html_ names: $bad" >&2; status=1; fi
count=0
old_ifs=$IFS; IFS=:
for dir in $THREADCONV_PLUGIN_PATH; do
    for so in "$dir"/*.so; do
        [ -f "$so" ] || continue
        count=$((count + 1))
        syms=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDRBVW]/ {print $3}' | sort | tr '\n' ' ')
        want="threadconv_module_$(basename "$so" .so) "
        if [ "$syms" != "$want" ]; then
            echo "FAIL: $so exports: $syms(expected only $want)" >&2
            status=1
        fi
    done
done
IFS=$old_ifs
[ "$count" -ge 3 ] || { echo "FAIL: found only $count plugins" >&2; status=1; }
[ $status -eq 0 ] && echo "ok: library exports $n public names; $count plugins export only their descriptor"
exit $status
