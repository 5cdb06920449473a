#!/bin/sh
# build.sh - build the libFuzzer harnesses with clang, straight from the
# source tree (not part of the autotools build: configure never needs clang).
#
#   tests/fuzz/build.sh [OUTDIR]
#
# OUTDIR (default $FUZZ_OUT, else ${TMPDIR:-/tmp}/threadconv-fuzz) receives
# one binary per harness: fuzz_mumsnet, fuzz_json, fuzz_jsonl, fuzz_xml,
# fuzz_mbox (one reader each) and fuzz_roundtrip (read -> write -> read).
# Every plugin source is compiled with -Dthreadconv_plugin=fz_plugin_NAME,
# so all plugins link into one program.  Needs clang (14 or later, with its
# runtime: Debian clang and libclang-rt-14-dev), pkg-config, jansson and
# libxml2 development files.  CC overrides the compiler.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-${FUZZ_OUT:-${TMPDIR:-/tmp}/threadconv-fuzz}}
cc=${CC_FUZZ:-clang}
command -v "$cc" >/dev/null || { echo "build.sh: $cc not found (apt-get install clang)" >&2; exit 2; }
mkdir -p "$out/obj"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror $san -fsanitize=fuzzer-no-link
 -I$src/include -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700
 -DTC_PLUGINDIR=\"/nonexistent\" -DTC_VERSION=\"fuzz\"
 $(pkg-config --cflags jansson libxml-2.0)"
libs="$(pkg-config --libs jansson libxml-2.0) -ldl"

objs=""
# cc_obj NAME SOURCE [EXTRA-FLAGS...]
cc_obj() {
    name=$1; file=$2; shift 2
    # shellcheck disable=SC2086
    "$cc" $cflags "$@" -c "$file" -o "$out/obj/$name.o"
    objs="$objs $out/obj/$name.o"
}

# The library, without the command's own files.
for f in "$src"/core/*.c; do
    b=$(basename "$f" .c)
    case "$b" in main|batch) continue ;; esac
    cc_obj "core_$b" "$f"
done
# The plugins, each descriptor renamed.
cc_obj mumsnet "$src/plugins/mumsnet/mumsnet.c" -Dthreadconv_plugin=fz_plugin_mumsnet
cc_obj mumsnet_write "$src/plugins/mumsnet/write.c" -Dthreadconv_plugin=fz_plugin_mumsnet
cc_obj json "$src/plugins/json/json.c" -Dthreadconv_plugin=fz_plugin_json
cc_obj jsonl "$src/plugins/jsonl/jsonl.c" -Dthreadconv_plugin=fz_plugin_jsonl
for f in emit read scan pull; do cc_obj "json_$f" "$src/plugins/json/$f.c"; done
for f in xml reader writer; do
    cc_obj "xml_$f" "$src/plugins/xml/$f.c" -Dthreadconv_plugin=fz_plugin_xml
done
for f in mbox header index read mime store build decode; do
    cc_obj "mbox_$f" "$src/plugins/mbox/$f.c" -Dthreadconv_plugin=fz_plugin_mbox
done
cc_obj driver "$src/tests/fuzz/driver.c"
cc_obj link "$src/tests/fuzz/fuzz_link.c"

link() { # NAME SOURCE [FLAGS...]
    name=$1; file=$2; shift 2
    # shellcheck disable=SC2086
    "$cc" $cflags "$@" -fsanitize=fuzzer "$file" $objs $libs -o "$out/$name"
}
for r in mumsnet json jsonl xml mbox; do
    link "fuzz_$r" "$src/tests/fuzz/fuzz_reader.c" -DFZ_READER="$r"
done
link fuzz_roundtrip "$src/tests/fuzz/fuzz_roundtrip.c"
echo "build.sh: harnesses in $out"
