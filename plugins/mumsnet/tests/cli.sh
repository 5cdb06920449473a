#!/bin/sh
# cli.sh - the mumsnet module's format through the threadconv command: its
# --list and --describe lines; the seed against an independent Python
# reading of it (oracle.py); the hand-worked conformance cases; a summer
# thread (BST); a generated 2 MB thread against a plain Python converter;
# impossible dates, refused or stepped over with --keep-going; the max-line
# limit.  What the reader reads is compared as the archive document the
# case folders hold, written by the format found by that property
# (doc_writer).  The command itself is tests/cli.sh's; the checks and the
# environment needed are tests/cli_lib.sh's.
cli_name=plugins/mumsnet/tests/cli.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"

doc=$(doc_writer) || exit 1
bench="$THREADCONV_SRCDIR/tests/bench"
conf="$THREADCONV_SHARED/conformance/mumsnet"

# ------------------------------------------------ --list and --describe
run 0 --list
grep -Eq '^mumsnet +rw +' "$tmp/out" && ok || bad "--list lacks mumsnet rw: $(cat "$tmp/out")"
run 0 --describe mumsnet && contains "$tmp/out" "Capabilities:  read (detects its input)"
contains "$tmp/out" "UTF-8 checks:  by the reader (with line and column)"

# ------------------------------------------------- the seed, no -f given
run 0 -t "$doc" "$seed"
cp "$tmp/out" "$tmp/seed.doc"
if python3 "$THREADCONV_SRCDIR/plugins/mumsnet/tests/oracle.py" "$seed" "$tmp/seed.doc" >/dev/null; then ok; else bad "the seed's archive differs from the oracle"; fi
pycheck 'doc["threads"][0]["source"] == "mumsnet"'

# The hand-worked conformance results.
for name in classic-layout current-layout; do
    run 0 -t "$doc" "$conf/$name.txt"
    if python3 - "$tmp/out" "$conf/$name.expected.json" <<'PY'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]
want = json.load(open(sys.argv[2], encoding="utf-8"))
assert got["title"] == want["title"], (got["title"], want["title"])
assert len(got["posts"]) == len(want["posts"]), len(got["posts"])
for g, w in zip(got["posts"], want["posts"]):
    for k in ("author", "date", "body"):
        assert g[k] == w[k], (k, g[k], w[k])
PY
    then ok; else bad "$name differs from its expected.json"; fi
done

# A summer thread: BST offsets, a body with an inner blank line.
run 0 -t "$doc" "$data/summer.txt"
pycheck 'doc["threads"][0]["title"] == "Allotment watering rota"' \
        '[p["date"] for p in doc["threads"][0]["posts"]] == ["2021-07-12T18:05:00+01:00", "2021-07-12T18:20:41+01:00"]' \
        'doc["threads"][0]["posts"][1]["body"] == "I do.\n\nBack Friday."'

# A generated 2 MB thread (UTF-8 everywhere, bodies with "From " lines,
# trailing spaces, empty bodies, both clock changes) against the plain Python
# converter, which shares no code with the C reader.
python3 "$bench/gen_mumsnet.py" 2 "$tmp/gen.txt"
run 0 -q -t "$doc" -o "$tmp/gen.doc" "$tmp/gen.txt"
python3 "$bench/py_mumsnet_json.py" "$tmp/gen.txt" >"$tmp/gen-py.json"
python3 - "$tmp/gen.doc" "$tmp/gen-py.json" <<'PY' && ok || bad "generated thread differs from the Python converter"
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]
b = json.load(open(sys.argv[2], encoding="utf-8"))["threads"][0]
assert a["title"] == b["title"]
assert len(a["posts"]) == len(b["posts"]) > 1000, (len(a["posts"]), len(b["posts"]))
for x, y in zip(a["posts"], b["posts"]):
    for k in ("id", "author", "date", "body"):
        assert x[k] == y[k], (k, x[k], y[k])
PY
rm -f "$tmp/gen.txt" "$tmp/gen.doc" "$tmp/gen-py.json"

# ------------------------------------------------------ impossible dates
printf 'KEEP ME\n' >"$tmp/existing"
run 1 -t "$doc" -o "$tmp/existing" "$seed" "$data/bad-date.txt"
stderr_is "threadconv: $data/bad-date.txt:7:15: impossible date in post header: 31-Feb-21 10:00:00 has day 31, but February 2021 has 28 days"
[ "$(cat "$tmp/existing")" = "KEEP ME" ] && ok || bad "a failed conversion changed the existing output"
run 5 -q --keep-going -t "$doc" "$data/bad-date.txt"
pycheck '[p["author"] for p in doc["threads"][0]["posts"]] == ["Whiskers9"]'
# A post whose header holds an impossible date is stepped over; two bad
# ones in a row each get their own message; ids stay positions.
printf 'T\n\nA Thu 04-Feb-21 21:33:59\n\none\n\nB Thu 31-Feb-21 21:34:00\n\nbad one\n\nC Thu 30-Feb-21 21:35:00\n\nbad two\n\nD Thu 04-Feb-21 21:36:00\n\nfour\n' >"$tmp/skip.txt"
run 1 -f mumsnet -t "$doc" "$tmp/skip.txt" \
  && stderr_is "threadconv: $tmp/skip.txt:7:7: impossible date in post header: 31-Feb-21 21:34:00 has day 31, but February 2021 has 28 days"
run 5 --keep-going -f mumsnet -t "$doc" "$tmp/skip.txt"
contains "$tmp/err" "threadconv: warning: $tmp/skip.txt:7:7: skipped (--keep-going): impossible date in post header: 31-Feb-21"
contains "$tmp/err" "threadconv: warning: $tmp/skip.txt:11:7: skipped (--keep-going): impossible date in post header: 30-Feb-21"
contains "$tmp/err" "threadconv: skipped 2 bad posts (--keep-going); the output holds everything else"
pycheck '[(p["id"], p["author"], p["body"]) for p in doc["threads"][0]["posts"]] == [("1", "A", "one"), ("4", "D", "four")]'

# ------------------------------------------------------ limits, empty input
run 1 -f mumsnet -t "$doc" --limit max-line=20 "$data/summer.txt" \
  && stderr_is "threadconv: $data/summer.txt:1: line is longer than the max-line limit (20 bytes); raise it with --limit max-line=SIZE"
run 0 -f mumsnet -t "$doc" --limit max-line=1K "$data/summer.txt"
: >"$tmp/empty.txt"
run 1 -f mumsnet -t "$doc" "$tmp/empty.txt" && contains "$tmp/err" "empty input: expected a thread title"

cli_done
