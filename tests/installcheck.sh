#!/bin/sh
# installcheck.sh - run after `make install` (by `make installcheck`, which
# make distcheck runs too): the installed SDK is enough to build a module
# out of tree with pkg-config alone, the installed threadconv loads it with
# --plugin-dir and converts the seed, the installed threadconv has every
# format the build has (its --list is the build tree's), and the man page
# is installed.
#
# Usage: installcheck.sh BINDIR LIBDIR MANDIR EXAMPLE_SRC_DIR BUILD_BIN BUILD_PLUGIN_PATH
# (BUILD_BIN: the build tree's cli/threadconv; BUILD_PLUGIN_PATH: its
# modules' folders, colon-separated, as make check sets THREADCONV_PLUGIN_PATH)
set -u
[ $# -eq 6 ] || { echo "usage: installcheck.sh BINDIR LIBDIR MANDIR EXAMPLE_SRC_DIR BUILD_BIN BUILD_PLUGIN_PATH" >&2; exit 2; }
bindir=$1 libdir=$2 mandir=$3 example=$4 build_bin=$5 build_path=$6
# The installed threadconv finds its modules where it was installed, not
# through a plugin path the caller may have set.
unset THREADCONV_PLUGIN_PATH
die() { echo "FAIL: $*" >&2; exit 1; }
[ -n "${THREADCONV_SHARED:-}" ] || die "THREADCONV_SHARED is not set (the shared data folder)"
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
[ -f "$seed" ] || die "$seed not found"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-install.XXXXXX") || die mktemp
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (make, the compiler,
# python3, man) reads or writes the user's files, or depends on what is
# there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"

# Build the example from a copy of its whole folder (the same folder that
# builds in tree when copied to plugins/), as a module author would, with
# pkg-config only.  The copy is made writable: distcheck's source tree is not.
mod="$tmp/csv"
mkdir "$mod" && cp -R "$example/." "$mod/" && chmod -R u+w "$mod" || die "cannot copy the example"
PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$mod" CFLAGS="-O2 -g -Werror" >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log" >&2; die "the example module did not build against the installed SDK"; }
[ -f "$mod/csv.so" ] || die "csv.so was not built"
command -v nm >/dev/null || die "nm (binutils) is required"
syms=$(nm -D --defined-only "$mod/csv.so" | awk '$2 ~ /[TDRBVW]/ {print $3}' | tr '\n' ' ')
[ "$syms" = "threadconv_module_csv " ] || die "csv.so exports: $syms(expected only threadconv_module_csv)"

# The installed threadconv finds its own modules and the example one.
"$bindir/threadconv" --plugin-dir "$mod" -t csv "$seed" >"$tmp/out.csv" 2>"$tmp/err" \
    || { cat "$tmp/err" >&2; die "conversion with the example plugin failed"; }
python3 - "$tmp/out.csv" "$seed" <<'PY' || die "the CSV output is not what the seed holds"
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows[0] == ["thread_id", "thread_title", "source", "post_id", "author", "date", "parent",
                   "body"], rows[0]
body = rows[1:]
assert len(body) == 20, len(body)
# Authors straight from the seed's header lines, read independently here.
header = re.compile(r"^(\S+) (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d$")
authors = [m.group(1) for m in map(header.match, open(sys.argv[2], encoding="utf-8").read().split("\n")) if m]
assert [r[4] for r in body] == authors, [r[4] for r in body]
assert [r[3] for r in body] == [str(i) for i in range(1, 21)]
assert all(r[0] == "1" for r in body)
# One source, the format the seed was read from: checked below.
assert len({r[2] for r in body}) == 1 and body[0][2] != "", {r[2] for r in body}
assert body[0][5] == "2021-02-04T21:33:59+00:00" and body[0][7] == "Or not? Just wondered."
assert body[1][7] == ""
PY
[ "$(wc -l <"$tmp/out.csv")" -ge 21 ] || die "expected a header and 20 rows"
# The source column names the reader that probing chose for the seed: a
# reader the installed threadconv lists, which given with -f converts the
# seed to the same rows.
source=$(python3 -c 'import csv, sys
print(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))[1][2])' "$tmp/out.csv") ||
    die "cannot read the source column"
"$bindir/threadconv" --list | awk -v f="$source" '$1 == f && $2 ~ /r/ { found = 1 } END { exit !found }' ||
    die "the CSV's source column says '$source', which the installed threadconv does not list as a reader"
"$bindir/threadconv" --plugin-dir "$mod" -f "$source" -t csv "$seed" >"$tmp/out-f.csv" 2>"$tmp/err" ||
    die "-f $source -t csv of the seed failed: $(cat "$tmp/err")"
cmp -s "$tmp/out.csv" "$tmp/out-f.csv" ||
    die "the seed read with -f $source (its source column) does not give the rows probing gave"
"$bindir/threadconv" --plugin-dir "$mod" --describe csv >"$tmp/describe" || die "--describe csv failed"
grep -q "^File:          $mod/csv.so$" "$tmp/describe" || die "--describe csv: $(cat "$tmp/describe")"
grep -q "^Module:        csv (formats: csv)$" "$tmp/describe" || die "--describe csv: $(cat "$tmp/describe")"
abi=$(sed -n 's/^Plugin ABI:    \([0-9.]*\) (this threadconv: \([0-9.]*\))$/\1 \2/p' "$tmp/describe")
set -- $abi
[ $# -eq 2 ] && [ "$1" = "$2" ] || die "the example module's ABI is not the installed threadconv's: $(cat "$tmp/describe")"
pcabi=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --variable=pluginabi threadconv)
[ "$pcabi" = "$2" ] || die "threadconv.pc says pluginabi=$pcabi, the installed threadconv loads ABI $2"
# Every module the build has is installed: the installed --list (its own
# modules only) is the build tree's, format for format.
"$bindir/threadconv" --list >"$tmp/list" || die "--list failed"
THREADCONV_PLUGIN_PATH=$build_path "$build_bin" --list >"$tmp/build-list" ||
    die "the build tree's threadconv --list failed"
[ -s "$tmp/build-list" ] || die "the build tree's threadconv lists no format"
cmp -s "$tmp/build-list" "$tmp/list" || die "the installed threadconv does not list what the build has:
$(diff "$tmp/build-list" "$tmp/list")"

# The man page.
[ -f "$mandir/man1/threadconv.1" ] || die "threadconv.1 is not installed in $mandir/man1"
if command -v man >/dev/null; then
    MANOPT='' MANPATH="$mandir" MANWIDTH=100 man -P cat threadconv >"$tmp/man.txt" 2>"$tmp/man.err" \
        || die "man threadconv failed: $(cat "$tmp/man.err")"
    for word in --from --to --output --option --pretty --plugin-dir --quiet --list --describe \
                --version --help --output-dir --jobs --keep-going --limit max-post max-line max-depth \
                THREADCONV_PLUGIN_PATH "EXIT STATUS"; do
        grep -q -- "$word" "$tmp/man.txt" || die "man threadconv does not document $word"
    done
    for code in 0 1 2 3 4 5; do
        grep -Eq "^ +$code " "$tmp/man.txt" || die "man threadconv does not document exit code $code"
    done
else
    die "man is not installed (apt-get install man-db)"
fi
echo "installcheck: example module built with pkg-config, seed converted to 20 CSV rows, $(wc -l <"$tmp/list") formats as built, man page ok"
