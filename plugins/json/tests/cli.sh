#!/bin/sh
# cli.sh - the json module's formats (json, jsonl) through the threadconv
# command: their --list and --describe lines, their options and errors,
# what the json writer makes of the seed (read by probing), --pretty,
# jsonl's one self-contained line per post and its --keep-going, U+0000 in
# a body, batch mode's extension and its check of 80,000 output names, and
# the input both readers claim.  The command itself is tests/cli.sh's; the
# checks and the environment needed are tests/cli_lib.sh's.
cli_name=plugins/json/tests/cli.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"

# The seed's format (the reader probing picks), which the output names.
from=$(seed_reader json) || exit 1
pd="$tmp/plugins"
mkdir "$pd"
ln -s "$THREADCONV_TEST_PLUGINS/good.so" "$pd/testfmt.so"

# ------------------------------------------------------ errors, options
run 1 -f json -t json "$seed" && contains "$tmp/err" "not a JSON document"
run 2 -O json.nonsense=1 -t json "$seed" && stderr_is "threadconv: unknown option json.nonsense; json takes: json.pretty"
run 2 -O json.pretty=perhaps -t json "$seed" && contains "$tmp/err" "option json.pretty takes true or false"

# ------------------------------------------------ --list and --describe
run 0 --list
grep -Eq '^json +rw +' "$tmp/out" && ok || bad "--list lacks json rw: $(cat "$tmp/out")"
grep -Eq '^jsonl +rw +' "$tmp/out" && ok || bad "--list lacks jsonl rw"
run 0 --describe json
contains "$tmp/out" "Format:        json"
contains "$tmp/out" "File:          "
contains "$tmp/out" "License:       MIT"
contains "$tmp/out" "Capabilities:  read (detects its input), write"
contains "$tmp/out" "  json.pretty=<bool>  (default: false)"

# ------------------------------------------------- the seed, no -f given
run 0 -t json "$seed"
cp "$tmp/out" "$tmp/seed.json"
pycheck 'doc["format"] == "threadconv" and doc["version"] == 1' \
        'len(doc["threads"][0]["posts"]) == 20' \
        'doc["threads"][0]["source"] == "'"$from"'"' \
        'doc["threads"][0]["posts"][1]["author"] == "OverByYer" and doc["threads"][0]["posts"][1]["body"] == ""' \
        'doc["threads"][0]["posts"][0]["date"] == "2021-02-04T21:33:59+00:00"' \
        'doc["threads"][0]["posts"][19]["author"] == "Allington" and doc["threads"][0]["posts"][19]["body"].count("\n\n") == 2'
# UTF-8 is written as UTF-8, not as \u escapes.
# shellcheck disable=SC1112 # the seed's apostrophe, U+2019
grep -q 'wouldn’t' "$tmp/seed.json" && ok || bad "JSON output escapes non-ASCII"
grep -q '\\u2019' "$tmp/seed.json" && bad "JSON output has \\u2019" || ok

# Several inputs: one archive, threads in order.
run 0 -t json "$data/summer.txt" "$seed"
pycheck 'len(doc["threads"]) == 2' \
        'doc["threads"][0]["title"] == "Allotment watering rota"' \
        'len(doc["threads"][1]["posts"]) == 20'

# --pretty: indented, same value.
run 0 -t json --pretty "$seed"
[ "$(wc -l <"$tmp/out")" -gt 20 ] && ok || bad "--pretty output is not indented"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a!=b)' \
    "$tmp/out" "$tmp/seed.json" && ok || bad "--pretty output differs in value"

# ------------------------------------------------------------ jsonl
# One self-contained line per post.
run 0 -t jsonl "$seed"
[ "$(wc -l <"$tmp/out")" -eq 20 ] && ok || bad "jsonl: expected 20 lines, got $(wc -l <"$tmp/out")"
python3 - "$tmp/out" <<'PY' && ok || bad "jsonl lines are not self-contained"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
for n, line in enumerate(lines, 1):
    o = json.loads(line)
    assert o["thread"]["title"].startswith("Can police"), o["thread"]
    assert o["id"] == str(n)
PY
# jsonl steps over a bad line with --keep-going.
printf '%s\n' '{"thread":{"id":"t","title":"T","source":"jsonl"},"id":"1","author":"a","date":null,"body":"one"}' \
    '{"thread":{"id":"t","title":"T","source":"jsonl"},"id":"2","author":"b",' \
    '{"thread":{"id":"t","title":"T","source":"jsonl"},"id":"3","author":"c","date":null,"body":"three"}' >"$tmp/bad-line.jsonl"
run 1 -f jsonl -t json "$tmp/bad-line.jsonl" && contains "$tmp/err" "$tmp/bad-line.jsonl:2:"
run 5 --keep-going -f jsonl -t json "$tmp/bad-line.jsonl"
pycheck '[p["id"] for p in doc["threads"][0]["posts"]] == ["1", "3"]' 'len(doc["threads"]) == 1'
contains "$tmp/err" "threadconv: skipped 1 bad post (--keep-going)"

# The test reader's posts: --keep-going keeps the good ones; U+0000 is a
# character, written as \u0000.
printf 'TESTFMT\none\nSKIPME\ntwo\nSKIPME\nthree\n' >"$tmp/skips.txt"
run 5 --plugin-dir "$pd" --keep-going -f testfmt -t json "$tmp/skips.txt"
pycheck '[p["body"] for p in doc["threads"][0]["posts"]] == ["TESTFMT", "one", "two", "three"]'
printf 'TESTFMT\na\000b \342\202\254\n' >"$tmp/nul.txt"
run 0 --plugin-dir "$pd" -f testfmt -t json "$tmp/nul.txt"
pycheck 'doc["threads"][0]["posts"][1]["body"] == "a\x00b \u20ac"' \
        'doc["threads"][0]["source"] == "testfmt"'
grep -qF '"a\u0000b €"' "$tmp/out" && ok || bad "U+0000 is not written as \\u0000: $(cat "$tmp/out")"
# ... and read back by both readers (they refused \u0000 before), through
# the other format and back, byte for byte.
cp "$tmp/out" "$tmp/nul.json"
run 0 -f json -t jsonl -o "$tmp/nul.jsonl" "$tmp/nul.json"
grep -qF '"body":"a\u0000b €"' "$tmp/nul.jsonl" && ok || bad "jsonl lost U+0000: $(cat "$tmp/nul.jsonl")"
run 0 -f jsonl -t json "$tmp/nul.jsonl"
cmp -s "$tmp/out" "$tmp/nul.json" && ok || bad "json -> jsonl -> json changed a body with U+0000: $(cat "$tmp/out")"
# \u0000 anywhere but in a body is refused where it is (never cut short)
printf '{"thread":{"title":"t","source":"s"},"id":"1","author":"A\\u0000B","date":null,"body":""}\n' >"$tmp/nul-author.jsonl"
run 1 -f jsonl -t json "$tmp/nul-author.jsonl" \
  && stderr_is "threadconv: $tmp/nul-author.jsonl:1:56: author: \\u0000 (U+0000) is allowed only in a post's body; no other string of the model (title, id, author, parent, extra field, attachment) can hold it"

# ------------------------------------------------------------ batch mode
mkdir "$tmp/batch-out"
cp "$data/summer.txt" "$tmp/a.txt"
run 0 -q -t jsonl --output-dir "$tmp/batch-out" "$tmp/a.txt"
[ -f "$tmp/batch-out/a.jsonl" ] && ok || bad "batch: no a.jsonl"
run 0 -q -t json --output-dir "$tmp/batch-out" "$tmp/a.txt"
[ -f "$tmp/batch-out/a.json" ] && ok || bad "batch: no a.json"
# Two of 80,000 inputs with the same output name (the first and the last)
# are found at once, before any file is converted: the check is a hash
# table, not every pair (quadratic: 11 s).  The names need not exist.
mkdir "$tmp/many" "$tmp/many/out"
python3 - "$tmp" "$tc" <<'PY' && ok || bad "80,000 inputs: the duplicate output name is not found in time"
import os, subprocess, sys, time
tmp, tc = sys.argv[1], sys.argv[2]
names = ["a/dup.txt"] + ["f%d.txt" % i for i in range(79998)] + ["b/dup.txt"]
t = time.monotonic()
try:
    r = subprocess.run([tc, "-q", "-t", "json", "--output-dir", "out"] + names,
                       cwd=os.path.join(tmp, "many"), capture_output=True, timeout=5)
except subprocess.TimeoutExpired:
    sys.exit("still planning after 5 s")
err = r.stderr.decode()
want = "threadconv: a/dup.txt and b/dup.txt would both be written to out/dup.json; " \
       "convert them in separate runs\n"
if r.returncode != 2 or err != want:
    sys.exit("exit %d, stderr %r" % (r.returncode, err[:300]))
print("80,000 inputs planned in %.2f s" % (time.monotonic() - t), file=sys.stderr)
PY

# ------------------------------------------------------ the environment
# Standard input is spooled to $TMPDIR for the json reader's two passes: a
# missing $TMPDIR is the environment's fault (exit 4), not the input's.
run 0 -q -t json -o "$tmp/spool.json" "$seed"
if cat "$tmp/spool.json" | TMPDIR="$tmp/no-such-dir" "$tc" -f json -t json >/dev/null 2>"$tmp/err"; then
    bad "spooling to a missing TMPDIR succeeded"
else
    st=$?
    [ "$st" -eq 4 ] && ok || bad "spooling to a missing TMPDIR: exit $st, expected 4"
    stderr_is "threadconv: <stdin>: cannot create a temporary file in $tmp/no-such-dir (TMPDIR) to spool the input: No such file or directory"
fi

# ------------------------------------------------------ input detection
# An input both probes claim equally (a jsonl line is also a json document
# with a "thread" member): refused, with the choices.
printf '{"format":"threadconv","thread":{"title":"t","source":"s"}}\n' >"$tmp/ambiguous.txt"
run 2 -t json "$tmp/ambiguous.txt" &&
    stderr_is "threadconv: $tmp/ambiguous.txt: the input could be any of json, jsonl; choose one with -f"

cli_done
