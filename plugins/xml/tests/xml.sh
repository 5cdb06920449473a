#!/bin/sh
# xml.sh - end-to-end tests of the xml plugin through the threadconv command:
# what it writes validates against doc/threadconv.rng (xmllint --relaxng),
# mumsnet -> xml -> json equals mumsnet -> json for the seed, the
# conformance files and every fixture that reads, xml -> xml is
# byte-identical, hostile inputs fail with their messages, and converting a
# large XML archive to JSON stays under 20 MB resident.
#
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH, THREADCONV_TESTDATA; and THREADCONV_SHARED, the
# absolute path of the shared data folder (../shared).  Tools: xmllint
# (libxml2-utils), python3, GNU time (/usr/bin/time).  A missing one fails
# the test: nothing is skipped silently.
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_TESTDATA THREADCONV_SHARED; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set (THREADCONV_SHARED must name the shared data folder)"
done
[ -d "$THREADCONV_SHARED/seeds" ] || die "THREADCONV_SHARED=$THREADCONV_SHARED has no seeds/"
command -v xmllint >/dev/null || die "xmllint is required (apt-get install libxml2-utils)"
command -v python3 >/dev/null || die "python3 is required (it generates the large input)"
[ -x /usr/bin/time ] || die "GNU time is required for the memory check (apt-get install time)"

tc="$THREADCONV_BIN"
schema="$THREADCONV_SRCDIR/doc/threadconv.rng"
[ -f "$schema" ] || die "schema not found at $schema"
gen="$THREADCONV_SRCDIR/tests/bench/gen_mumsnet.py"
[ -f "$gen" ] || die "generator not found at $gen"
data="$THREADCONV_TESTDATA/xml"
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-xml.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (xmllint, python3)
# reads or writes the user's files, or depends on what is there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# ------------------------------------------------------------- the schema
"$tc" -t xml "$seed" | xmllint --noout --relaxng "$schema" - 2>"$tmp/lint"
if [ $? -eq 0 ]; then ok; else bad "seed as XML does not validate: $(cat "$tmp/lint")"; fi
"$tc" -t xml --pretty "$seed" | xmllint --noout --relaxng "$schema" - 2>"$tmp/lint"
if [ $? -eq 0 ]; then ok; else bad "seed as pretty XML does not validate: $(cat "$tmp/lint")"; fi

# --------------------------------------------- round trips, file by file
n=0
for f in "$seed" "$THREADCONV_SHARED"/conformance/mumsnet/*.txt "$THREADCONV_TESTDATA"/mumsnet/*.txt; do
    # inputs the mumsnet reader refuses are not round-trip material
    "$tc" -q -f mumsnet -t json -o "$tmp/direct.json" "$f" 2>/dev/null || continue
    n=$((n + 1))
    for pretty in "" "--pretty"; do
        if ! "$tc" -q -f mumsnet -t xml $pretty -o "$tmp/a.xml" "$f"; then
            bad "mumsnet -> xml $pretty failed for $f"; continue
        fi
        if xmllint --noout --relaxng "$schema" "$tmp/a.xml" 2>"$tmp/lint"; then ok
        else bad "$f as XML $pretty does not validate: $(cat "$tmp/lint")"; fi
        # no -f: the probe must recognise our XML
        "$tc" -t json -o "$tmp/via.json" "$tmp/a.xml" || bad "xml -> json failed for $f"
        if cmp -s "$tmp/direct.json" "$tmp/via.json"; then ok
        else bad "mumsnet -> xml $pretty -> json differs from mumsnet -> json for $f"; fi
        "$tc" -f xml -t xml $pretty -o "$tmp/b.xml" "$tmp/a.xml" || bad "xml -> xml failed for $f"
        if cmp -s "$tmp/a.xml" "$tmp/b.xml"; then ok
        else bad "xml -> xml $pretty is not byte-identical for $f"; fi
    done
done
[ "$n" -ge 7 ] && ok || bad "only $n mumsnet inputs were round-tripped"

# standard input, probed
"$tc" -t xml "$seed" >"$tmp/seed.xml"
"$tc" -t json "$seed" >"$tmp/seed.json"
if "$tc" -t json <"$tmp/seed.xml" | cmp -s - "$tmp/seed.json"; then ok
else bad "xml on standard input -> json differs"; fi

# ----------------------------------------------------------- hostile input
# expect FILE STATUS MESSAGE: threadconv -f xml -t json FILE fails with
# exactly this status and stderr, and writes nothing.
expect() {
    "$tc" -f xml -t json "$1" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$2" ]; then bad "$1: exit $got, expected $2; stderr: $(cat "$tmp/err")"
    elif [ "$(cat "$tmp/err")" != "$3" ]; then bad "$1: stderr was: $(cat "$tmp/err")
      expected: $3"
    else ok; fi
    if grep -q 'root:' "$tmp/out" "$tmp/err"; then bad "$1 leaked /etc/passwd"; else ok; fi
}
root='<archive xmlns="urn:threadconv:xml:1">'
doctype="<!DOCTYPE is not allowed: threadconv XML has no document type declaration (a DTD could load external entities or expand entities without bound); expected the root element $root"
expect "$data/xxe.xml" 1 "threadconv: $data/xxe.xml:2:1: $doctype"
expect "$data/billion-laughs.xml" 1 "threadconv: $data/billion-laughs.xml:2:1: $doctype"
expect "$data/truncated.xml" 1 "threadconv: $data/truncated.xml:11:1: the input ends inside <body> (started on line 10): expected the rest of it and </body>; the file is truncated"
expect "$data/wrong-root.xml" 1 "threadconv: $data/wrong-root.xml:3:1: not a threadconv XML archive: expected the root element $root, found <rss> in no namespace"
expect "$data/wrong-namespace.xml" 1 "threadconv: $data/wrong-namespace.xml:2:1: not a threadconv XML archive: expected the root element $root, found <archive> in namespace \"urn:example:other\""
python3 -c 'import sys; sys.stdout.write("<archive xmlns=\"urn:threadconv:xml:1\" version=\"1\">" + "<thread>" * 10000 + "</thread>" * 10000 + "</archive>\n")' >"$tmp/deep.xml"
expect "$tmp/deep.xml" 1 "threadconv: $tmp/deep.xml:1: thread 1: expected <title>, found <thread>"

# ------------------------------------------------------------ flat memory
# About 60 MB of XML, converted by the real binary (not the libtool
# wrapper, whose shell would be measured instead).
python3 "$gen" 50 "$tmp/big.txt" || die "gen_mumsnet.py failed"
"$tc" -q -t xml -o "$tmp/big.xml" "$tmp/big.txt" || bad "large mumsnet -> xml failed"
rm -f "$tmp/big.txt"
libs="$(dirname "$tc")/.libs"
real="$libs/$(basename "$tc")"
[ -x "$real" ] || real="$tc"
LD_LIBRARY_PATH="$THREADCONV_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    /usr/bin/time -f '%M' -o "$tmp/rss" "$real" -q -f xml -t json -o /dev/null "$tmp/big.xml"
status=$?
rss=$(tail -n 1 "$tmp/rss")
size=$(wc -c <"$tmp/big.xml")
if [ "$status" -ne 0 ]; then bad "large xml -> json failed (exit $status)"
elif [ -n "${THREADCONV_SANITIZED:-}" ]; then
    # ASan's shadow memory and quarantine inflate RSS; the plain build checks it.
    ok; echo "xml.sh: sanitizer build, memory bound not checked ($rss KiB)"
elif [ "$rss" -lt 20480 ]; then ok; echo "ok: $size bytes of XML to JSON peaked at $rss KiB"
else bad "large xml -> json peaked at $rss KiB resident, expected under 20 MiB"; fi

echo "xml.sh: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
