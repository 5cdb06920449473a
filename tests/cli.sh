#!/bin/sh
# cli.sh - end-to-end tests of the threadconv command: exit codes, stdin and
# stdout, several inputs, -o atomicity, write errors, plugin refusals, and
# the seed converted to JSON checked against an independent oracle.
#
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH, THREADCONV_TEST_PLUGINS, THREADCONV_TESTDATA; and
# THREADCONV_SHARED, the absolute path of the shared data folder (../shared).
# A missing one fails the test: nothing is skipped silently.
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_TEST_PLUGINS THREADCONV_TESTDATA \
         THREADCONV_SHARED; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set (THREADCONV_SHARED must name the shared data folder)"
done
[ -d "$THREADCONV_SHARED/seeds" ] || die "THREADCONV_SHARED=$THREADCONV_SHARED has no seeds/"
command -v python3 >/dev/null || die "python3 is required for the JSON checks"

tc="$THREADCONV_BIN"
data="$THREADCONV_TESTDATA/cli"
here=$(cd "$(dirname "$0")" && pwd)
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-cli.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (python3) reads or
# writes the user's files, or depends on what is there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# run EXPECTED_STATUS ARGS...: runs threadconv, keeps stdout/stderr in files.
run() {
    want=$1; shift
    "$tc" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        bad "threadconv $*: exit $got, expected $want; stderr: $(cat "$tmp/err")"
        return 1
    fi
    ok
}
# stderr_is TEXT: the whole of stderr must be exactly TEXT (one line).
stderr_is() {
    if [ "$(cat "$tmp/err")" != "$1" ]; then
        bad "stderr was: $(cat "$tmp/err")
      expected: $1"
    else ok; fi
}
contains() { # FILE TEXT
    if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks '$2': $(head -c 600 "$1")"; fi
}
pycheck() { # PYTHON-EXPRESSIONS over doc = the JSON in $tmp/out
    if python3 - "$tmp/out" "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr)
PY
    then ok; else bad "JSON check failed"; fi
}

# ---------------------------------------------------------------- usage
run 0 --help && contains "$tmp/out" "Exit status:"
contains "$tmp/out" "THREADCONV_PLUGIN_PATH"
contains "$tmp/out" "4  output error"
run 0 --version && contains "$tmp/out" "threadconv "
run 2 "$seed" && stderr_is "threadconv: no output format given; choose one with -t (threadconv --list shows them)"
run 2 --bogus -t json "$seed" && stderr_is "threadconv: unknown option '--bogus' (see --help)"
run 2 -t && stderr_is "threadconv: option -t needs a value (see --help)"
run 2 -t nosuch "$seed" && contains "$tmp/err" "threadconv: unknown format 'nosuch'; available: "
run 2 -f maildir -t json "$seed" && contains "$tmp/err" "format 'maildir' cannot be read"
run 1 -f json -t json "$seed" && contains "$tmp/err" "not a JSON document"
run 2 -O json.nonsense=1 -t json "$seed" && stderr_is "threadconv: unknown option json.nonsense; json takes: json.pretty"
run 2 -O json.pretty=perhaps -t json "$seed" && contains "$tmp/err" "option json.pretty takes true or false"
run 2 -O nodot -t json "$seed" && contains "$tmp/err" "-O expects FORMAT.KEY=VALUE"
run 1 -t json "$tmp/does-not-exist.txt" && stderr_is "threadconv: $tmp/does-not-exist.txt: cannot open for reading: No such file or directory"

# ---------------------------------------------------------------- --list
run 0 --list
grep -Eq '^json +rw +' "$tmp/out" && ok || bad "--list lacks json rw: $(cat "$tmp/out")"
grep -Eq '^jsonl +rw +' "$tmp/out" && ok || bad "--list lacks jsonl rw"
grep -Eq '^mumsnet +rw +' "$tmp/out" && ok || bad "--list lacks mumsnet rw"

# ------------------------------------------------------------ --describe
run 0 --describe json
contains "$tmp/out" "Format:        json"
contains "$tmp/out" "File:          "
contains "$tmp/out" "License:       MIT"
contains "$tmp/out" "Capabilities:  read (detects its input), write"
contains "$tmp/out" "  json.pretty=<bool>  (default: false)"
run 0 --describe mumsnet && contains "$tmp/out" "Capabilities:  read (detects its input)"
contains "$tmp/out" "UTF-8 checks:  by the reader (with line and column)"
run 2 --describe nosuch && contains "$tmp/err" "unknown format 'nosuch'"
run 0 --describe mbox && contains "$tmp/out" "  mbox.variant=mboxrd|mboxo|mboxcl2  (default: mboxrd)"
run 2 -O mbox.nonsense=1 -t mbox "$seed"
grep -q "^threadconv: unknown option mbox.nonsense; mbox takes: mbox.variant " "$tmp/err" && ok \
    || bad "-O mbox.nonsense: $(cat "$tmp/err")"

# ------------------------------------------------- the seed, no -f given
run 0 -t json "$seed"
cp "$tmp/out" "$tmp/seed.json"
if python3 "$THREADCONV_SRCDIR/plugins/mumsnet/tests/oracle.py" "$seed" "$tmp/seed.json" >/dev/null; then ok; else bad "seed JSON differs from the oracle"; fi
pycheck 'doc["format"] == "threadconv" and doc["version"] == 1' \
        'len(doc["threads"][0]["posts"]) == 20' \
        'doc["threads"][0]["source"] == "mumsnet"' \
        'doc["threads"][0]["posts"][1]["author"] == "OverByYer" and doc["threads"][0]["posts"][1]["body"] == ""' \
        'doc["threads"][0]["posts"][0]["date"] == "2021-02-04T21:33:59+00:00"' \
        'doc["threads"][0]["posts"][19]["author"] == "Allington" and doc["threads"][0]["posts"][19]["body"].count("\n\n") == 2'
# UTF-8 is written as UTF-8, not as \u escapes.
grep -q 'wouldn’t' "$tmp/seed.json" && ok || bad "JSON output escapes non-ASCII"
grep -q '\\u2019' "$tmp/seed.json" && bad "JSON output has \\u2019" || ok

# The hand-worked conformance results.
for name in classic-layout current-layout; do
    run 0 -t json "$THREADCONV_SHARED/conformance/mumsnet/$name.txt"
    if python3 - "$tmp/out" "$THREADCONV_SHARED/conformance/mumsnet/$name.expected.json" <<'PY'
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
run 0 -t json "$data/summer.txt"
pycheck 'doc["threads"][0]["title"] == "Allotment watering rota"' \
        '[p["date"] for p in doc["threads"][0]["posts"]] == ["2021-07-12T18:05:00+01:00", "2021-07-12T18:20:41+01:00"]' \
        'doc["threads"][0]["posts"][1]["body"] == "I do.\n\nBack Friday."'

# A generated 2 MB thread (UTF-8 everywhere, bodies with "From " lines,
# trailing spaces, empty bodies, both clock changes) against the plain Python
# converter, which shares no code with the C reader.
python3 "$here/bench/gen_mumsnet.py" 2 "$tmp/gen.txt"
run 0 -q -t json -o "$tmp/gen.json" "$tmp/gen.txt"
python3 "$here/bench/py_mumsnet_json.py" "$tmp/gen.txt" >"$tmp/gen-py.json"
python3 - "$tmp/gen.json" "$tmp/gen-py.json" <<'PY' && ok || bad "generated thread differs from the Python converter"
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]
b = json.load(open(sys.argv[2], encoding="utf-8"))["threads"][0]
assert a["title"] == b["title"]
assert len(a["posts"]) == len(b["posts"]) > 1000, (len(a["posts"]), len(b["posts"]))
for x, y in zip(a["posts"], b["posts"]):
    for k in ("id", "author", "date", "body"):
        assert x[k] == y[k], (k, x[k], y[k])
PY
rm -f "$tmp/gen.txt" "$tmp/gen.json" "$tmp/gen-py.json"

# ---------------------------------------------------------- stdin, stdout
"$tc" -t json <"$seed" >"$tmp/stdin.json" 2>"$tmp/err" && ok || bad "stdin conversion failed: $(cat "$tmp/err")"
cmp -s "$tmp/stdin.json" "$tmp/seed.json" && ok || bad "stdin output differs from file output"
"$tc" -t json - <"$seed" >"$tmp/dash.json" 2>"$tmp/err" && ok || bad "'-' conversion failed"
cmp -s "$tmp/dash.json" "$tmp/seed.json" && ok || bad "'-' output differs from file output"
"$tc" -t json -o - "$seed" >"$tmp/dasho.json" && cmp -s "$tmp/dasho.json" "$tmp/seed.json" && ok || bad "-o - differs"

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

# jsonl: one self-contained line per post.
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

# ------------------------------------------------------ -o and atomicity
printf 'KEEP ME\n' >"$tmp/existing.json"
run 1 -t json -o "$tmp/existing.json" "$seed" "$data/bad-date.txt"
stderr_is "threadconv: $data/bad-date.txt:7:15: impossible date in post header: 31-Feb-21 10:00:00 has day 31, but February 2021 has 28 days"
[ "$(cat "$tmp/existing.json")" = "KEEP ME" ] && ok || bad "a failed conversion changed the existing output"
[ "$(ls -A "$tmp" | grep -c '\.tmp$')" -eq 0 ] && ok || bad "a temporary file was left behind: $(ls -A "$tmp")"
run 1 -t json -o "$tmp/new.json" "$data/bad-date.txt"
[ ! -e "$tmp/new.json" ] && ok || bad "a failed conversion left a partial output file"
chmod 640 "$tmp/existing.json"
run 0 -t json -o "$tmp/existing.json" "$seed"
cmp -s "$tmp/existing.json" "$tmp/seed.json" && ok || bad "-o FILE output differs from stdout output"
[ "$(stat -c %a "$tmp/existing.json")" = 640 ] && ok || bad "replacing a file lost its mode"
[ "$(ls -A "$tmp" | grep -c '\.tmp$')" -eq 0 ] && ok || bad "temporary file left after success"
cp "$seed" "$tmp/in.txt"
run 2 -t json -o "$tmp/in.txt" "$tmp/in.txt"
cmp -s "$tmp/in.txt" "$seed" && ok || bad "-o naming the input damaged it"
run 4 -t json -o "$tmp/no/such/dir/out.json" "$seed"
contains "$tmp/err" "cannot create a temporary file beside it"

# An interrupted conversion leaves no temporary file and no output.  Driven
# from Python so SIGINT is not ignored (as it is for a shell's background job).
for sig in SIGTERM SIGINT SIGHUP; do
    python3 - "$tc" "$tmp" "$sig" <<'PY' && ok || bad "$sig: interrupted conversion left files behind"
import os, signal, subprocess, sys, time
tc, tmp, name = sys.argv[1], sys.argv[2], sys.argv[3]
fifo = os.path.join(tmp, "slow.fifo")
os.mkfifo(fifo)
out = os.path.join(tmp, "interrupted.json")
def default_signals():
    # A background job (CI, make -j) starts with SIGINT ignored, and an
    # ignored signal stays ignored across exec; give the child the default.
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
proc = subprocess.Popen([tc, "-f", "mumsnet", "-t", "json", "-o", out, fifo],
                        stderr=subprocess.DEVNULL, preexec_fn=default_signals)
with open(fifo, "w") as w:
    w.write("A title\n\nSomeone Thu 04-Feb-21 21:33:59\n\nhalf a thread\n")
    w.flush()
    temps = []
    for _ in range(200):
        temps = [f for f in os.listdir(tmp) if f.endswith(".tmp")]
        if temps:
            break
        time.sleep(0.02)
    assert len(temps) == 1, "no temporary file while converting"
    proc.send_signal(getattr(signal, name))
    status = proc.wait(timeout=10)
os.unlink(fifo)
assert status == -getattr(signal, name), "exit status %d" % status
left = [f for f in os.listdir(tmp) if f.endswith(".tmp")]
assert not left, "left behind: %s" % left
assert not os.path.exists(out), "an output file appeared"
PY
done

# ----------------------------------------------------------- write errors
if [ -w /dev/full ]; then
    run 4 -t json -o /dev/full "$seed" && stderr_is "threadconv: /dev/full: write failed: No space left on device"
    "$tc" -t json "$seed" >/dev/full 2>"$tmp/err"; st=$?
    [ "$st" -eq 4 ] && ok || bad "stdout on /dev/full: exit $st, expected 4"
    stderr_is "threadconv: <stdout>: write failed: No space left on device"
else
    bad "/dev/full is not available: the write-error tests cannot run"
fi

# ------------------------------------------------------- plugin refusals
pd="$tmp/plugins"
mkdir "$pd"
ln -s "$THREADCONV_TEST_PLUGINS/bad_major.so" "$pd/bad_major.so"
ln -s "$THREADCONV_TEST_PLUGINS/good.so" "$pd/testfmt.so"
run 3 --plugin-dir "$pd" -f bad_major -t json "$seed" \
  && stderr_is "threadconv: plugin $pd/bad_major.so: module 'bad_major' is built for ABI 3.0, this threadconv supports 2.0 to 2.0 — rebuild the module"
# A plugin that fails with a message: file, line and column.
run 1 --plugin-dir "$pd" -f testfmt -t json "$data/testfmt-fail.txt" \
  && stderr_is "threadconv: $data/testfmt-fail.txt:3:1: expected anything but FAIL"
# A plugin returning a status the ABI does not define: a plugin error.
run 3 --plugin-dir "$pd" -f testfmt -t json "$data/testfmt-bogus.txt" \
  && stderr_is "threadconv: plugin 'testfmt' returned status 42 from read_next_post, which the plugin ABI does not define there"
# --plugin-dir plugins write too: the seed through the test writer.
run 0 --plugin-dir "$pd" -t testfmt "$seed"
contains "$tmp/out" "Daffodil72: Or not? Just wondered."
# --keep-going: a post the reader can step over is skipped with a warning.
printf 'TESTFMT\none\nSKIPME\ntwo\nSKIPME\nthree\n' >"$tmp/skips.txt"
run 1 --plugin-dir "$pd" -f testfmt -t json "$tmp/skips.txt" \
  && stderr_is "threadconv: $tmp/skips.txt:3:1: expected a post, found SKIPME"
run 5 --plugin-dir "$pd" --keep-going -f testfmt -t json -o "$tmp/kept.json" "$tmp/skips.txt"
contains "$tmp/err" "threadconv: warning: $tmp/skips.txt:3:1: skipped (--keep-going): expected a post, found SKIPME"
contains "$tmp/err" "threadconv: warning: $tmp/skips.txt:5:1: skipped (--keep-going): expected a post, found SKIPME"
contains "$tmp/err" "threadconv: skipped 2 bad posts (--keep-going); the output holds everything else"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit([p["body"] for p in d["threads"][0]["posts"]] != ["TESTFMT","one","two","three"])' \
    "$tmp/kept.json" && ok || bad "--keep-going output lacks the good posts"
# jsonl steps over a bad line with --keep-going.
printf '%s\n' '{"thread":{"id":"t","title":"T","source":"jsonl"},"id":"1","author":"a","date":null,"body":"one"}' \
    '{"thread":{"id":"t","title":"T","source":"jsonl"},"id":"2","author":"b",' \
    '{"thread":{"id":"t","title":"T","source":"jsonl"},"id":"3","author":"c","date":null,"body":"three"}' >"$tmp/bad-line.jsonl"
run 1 -f jsonl -t json "$tmp/bad-line.jsonl" && contains "$tmp/err" "$tmp/bad-line.jsonl:2:"
run 5 --keep-going -f jsonl -t json "$tmp/bad-line.jsonl"
pycheck '[p["id"] for p in doc["threads"][0]["posts"]] == ["1", "3"]' 'len(doc["threads"]) == 1'
contains "$tmp/err" "threadconv: skipped 1 bad post (--keep-going)"

# mumsnet: a post whose header holds an impossible date is stepped over;
# two bad ones in a row each get their own message; ids stay positions.
printf 'T\n\nA Thu 04-Feb-21 21:33:59\n\none\n\nB Thu 31-Feb-21 21:34:00\n\nbad one\n\nC Thu 30-Feb-21 21:35:00\n\nbad two\n\nD Thu 04-Feb-21 21:36:00\n\nfour\n' >"$tmp/skip.txt"
run 1 -f mumsnet -t json "$tmp/skip.txt" \
  && stderr_is "threadconv: $tmp/skip.txt:7:7: impossible date in post header: 31-Feb-21 21:34:00 has day 31, but February 2021 has 28 days"
run 5 --keep-going -f mumsnet -t json "$tmp/skip.txt"
contains "$tmp/err" "threadconv: warning: $tmp/skip.txt:7:7: skipped (--keep-going): impossible date in post header: 31-Feb-21"
contains "$tmp/err" "threadconv: warning: $tmp/skip.txt:11:7: skipped (--keep-going): impossible date in post header: 30-Feb-21"
contains "$tmp/err" "threadconv: skipped 2 bad posts (--keep-going); the output holds everything else"
pycheck '[(p["id"], p["author"], p["body"]) for p in doc["threads"][0]["posts"]] == [("1", "A", "one"), ("4", "D", "four")]'

# Limits are named when hit and can be changed.
run 1 -f mumsnet -t json --limit max-line=20 "$data/summer.txt" \
  && stderr_is "threadconv: $data/summer.txt:1: line is longer than the max-line limit (20 bytes); raise it with --limit max-line=SIZE"
run 0 -f mumsnet -t json --limit max-line=1K "$data/summer.txt"
run 2 -t json --limit max-lines=1 "$data/summer.txt" \
  && stderr_is "threadconv: --limit expects NAME=SIZE with NAME one of max-post, max-line, max-depth (e.g. --limit max-post=256M), not 'max-lines=1'"

# A reader that does not promise UTF-8 (no TC_PLUGIN_READS_UTF8, like
# testfmt, which passes lines through) is checked by the core: writers are
# only ever given UTF-8.
printf 'TESTFMT\nfine\nbad \377 byte\n' >"$tmp/latin.txt"
run 3 --plugin-dir "$pd" -f testfmt -t json -o "$tmp/latin.json" "$tmp/latin.txt" \
  && stderr_is "threadconv: $tmp/latin.txt:3: plugin 'testfmt' returned a post body that is not UTF-8 (byte 0xff at offset 4); a reader must decode its input or refuse it"
[ ! -e "$tmp/latin.json" ] && ok || bad "a refused conversion left its output"
# U+0000 is a character: a body may hold it (JSON writes it as \u0000).
printf 'TESTFMT\na\000b \342\202\254\n' >"$tmp/nul.txt"
run 0 --plugin-dir "$pd" -f testfmt -t json "$tmp/nul.txt"
pycheck 'doc["threads"][0]["posts"][1]["body"] == "a\x00b \u20ac"'
printf 'TESTFMT\na\000\377\n' >"$tmp/nulbad.txt"
run 3 --plugin-dir "$pd" -f testfmt -t json "$tmp/nulbad.txt" \
  && stderr_is "threadconv: $tmp/nulbad.txt:2: plugin 'testfmt' returned a post body that is not UTF-8 (byte 0xff at offset 2); a reader must decode its input or refuse it"

# A writer whose output is a directory (TC_PLUGIN_WRITES_DIRECTORY) is given
# the -o path instead of a file.
ln -s "$THREADCONV_TEST_PLUGINS/dir_writer.so" "$pd/testdir.so"
run 0 --plugin-dir "$pd" --describe testdir && contains "$tmp/out" "Capabilities:  write (a directory: -o DIR)"
run 0 --plugin-dir "$pd" --describe testfmt \
  && contains "$tmp/out" "UTF-8 checks:  by threadconv, on what the reader returns"
printf 'TESTFMT\none\ntwo\n' >"$tmp/three.txt"
run 0 --plugin-dir "$pd" -f testfmt -t testdir -o "$tmp/postdir" "$tmp/three.txt"
[ "$(ls "$tmp/postdir" | tr '\n' ' ')" = "1.txt 2.txt 3.txt " ] && [ "$(cat "$tmp/postdir/3.txt")" = two ] \
  && ok || bad "directory writer: $(ls "$tmp/postdir")"
run 2 --plugin-dir "$pd" -f testfmt -t testdir "$tmp/three.txt" \
  && stderr_is "threadconv: format 'testdir' writes a directory, not a stream; name it with -o DIR"
printf 'TESTFMT\nSTRAY\n' >"$tmp/stray.txt"
run 3 --plugin-dir "$pd" -f testfmt -t testdir -o "$tmp/straydir" "$tmp/stray.txt" \
  && stderr_is "threadconv: plugin 'testdir' writes a directory but wrote 39 bytes to its stream"
mkdir "$tmp/dirbatch"
printf 'TESTFMT\na\nb\nc\n' >"$tmp/four.txt"
run 0 --plugin-dir "$pd" -q -f testfmt -t testdir --output-dir "$tmp/dirbatch" "$tmp/three.txt" "$tmp/four.txt"
[ -f "$tmp/dirbatch/three.testdir/3.txt" ] && [ "$(cat "$tmp/dirbatch/four.testdir/4.txt")" = c ] \
  && ok || bad "batch into directory outputs: $(ls -R "$tmp/dirbatch")"

# Probing picks the reader that is sure (testfmt's signature line).
run 0 --plugin-dir "$pd" -t json "$data/testfmt-ok.txt"
pycheck 'doc["threads"][0]["source"] == "testfmt"' '[p["body"] for p in doc["threads"][0]["posts"]] == ["TESTFMT", "hello"]'
# The refusal during probing is a warning, not silence.
contains "$tmp/err" "warning: plugin $pd/bad_major.so: module 'bad_major' is built for ABI 3.0"
run 0 --plugin-dir "$pd" -q -t testfmt "$seed"
[ ! -s "$tmp/err" ] && ok || bad "-q still printed: $(cat "$tmp/err")"
# Options are checked against the declaring plugin.
run 2 --plugin-dir "$pd" -O testfmt.style=loud -t testfmt "$seed" \
  && stderr_is "threadconv: option testfmt.style takes one of: plain, fancy; not 'loud'"

# ------------------------------------------------------------ batch mode
mkdir "$tmp/batch-in" "$tmp/batch-out" "$tmp/other"
cp "$data/summer.txt" "$tmp/batch-in/a.txt"
cp "$seed" "$tmp/batch-in/b.thread.txt"
cp "$data/bad-date.txt" "$tmp/batch-in/c.txt"
cp "$data/summer.txt" "$tmp/batch-in/d"
run 1 -q -t json --output-dir "$tmp/batch-out" -j 3 "$tmp/batch-in/a.txt" \
    "$tmp/batch-in/b.thread.txt" "$tmp/batch-in/c.txt" "$tmp/batch-in/d"
[ "$(ls "$tmp/batch-out" | tr '\n' ' ')" = "a.json b.thread.json d.json " ] && ok \
    || bad "batch outputs: $(ls "$tmp/batch-out")"
contains "$tmp/err" "threadconv: $tmp/batch-in/c.txt:7:15: impossible date"
contains "$tmp/err" "threadconv: 1 of 4 files failed: $tmp/batch-in/c.txt (exit 1)"
"$tc" -t json "$seed" | cmp -s - "$tmp/batch-out/b.thread.json" && ok || bad "batch output differs from a single run"
# --keep-going in batch mode: as in a single run, exit 5 and a summary.
run 5 -q --keep-going -t json --output-dir "$tmp/batch-out" -j 2 "$tmp/batch-in/a.txt" "$tmp/batch-in/c.txt"
contains "$tmp/err" "threadconv: $tmp/batch-in/c.txt: skipped 1 bad post (--keep-going)"
contains "$tmp/err" "threadconv: bad posts were skipped (--keep-going) in 1 of 2 files; their outputs hold everything else"
"$tc" -q --keep-going -t json "$data/bad-date.txt" 2>/dev/null | cmp -s - "$tmp/batch-out/c.json" \
    && ok || bad "batch --keep-going output differs from a single run"
rm "$tmp/batch-out/c.json"
run 0 -q -t jsonl --output-dir "$tmp/batch-out" "$tmp/batch-in/a.txt"
[ -f "$tmp/batch-out/a.jsonl" ] && ok || bad "batch: no a.jsonl"
cp "$data/summer.txt" "$tmp/other/a.txt"
run 2 -t json --output-dir "$tmp/batch-out" "$tmp/batch-in/a.txt" "$tmp/other/a.txt"
contains "$tmp/err" "would both be written to $tmp/batch-out/a.json"
run 2 -t json --output-dir "$tmp/batch-out" -j 0 "$tmp/batch-in/a.txt"
contains "$tmp/err" "-j expects a number of jobs from 1 to 1024, not '0'"
run 2 -t json --output-dir "$tmp/batch-out" -o x.json "$tmp/batch-in/a.txt"
run 4 -t json --output-dir "$tmp/no-such-dir" "$tmp/batch-in/a.txt"
contains "$tmp/err" "not a directory"

# A worker that crashes loses only the input it was converting: the files it
# had finished but not yet committed (they wait for one sync per group) are
# converted again, and no temporary file is left.
ulimit -c 0 2>/dev/null || true
mkdir "$tmp/crash-in" "$tmp/crash-out"
cp "$data/summer.txt" "$tmp/crash-in/a.txt"
printf 'A title\n\nSomeone Thu 04-Feb-21 21:33:59\n\nCRASH\n' >"$tmp/crash-in/b.txt"
cp "$seed" "$tmp/crash-in/c.txt"
run 1 --plugin-dir "$pd" -q -f mumsnet -t testfmt --output-dir "$tmp/crash-out" -j 1 \
    "$tmp/crash-in/a.txt" "$tmp/crash-in/b.txt" "$tmp/crash-in/c.txt"
[ "$(ls -A "$tmp/crash-out" | tr '\n' ' ')" = "a.testfmt c.testfmt " ] && ok \
    || bad "after a crashed worker: $(ls -A "$tmp/crash-out")"
contains "$tmp/err" "threadconv: 1 of 3 files failed: $tmp/crash-in/b.txt (exit 134)"
"$tc" --plugin-dir "$pd" -f mumsnet -t testfmt "$data/summer.txt" | cmp -s - "$tmp/crash-out/a.testfmt" \
    && ok || bad "the file converted again differs from a single run"

# Interrupted batch: the finished files waiting for their commit and the one
# being written are all removed; nothing appears under a final name.
mkdir "$tmp/intr-in" "$tmp/intr-out"
cp "$data/summer.txt" "$tmp/intr-in/a.txt"
cp "$seed" "$tmp/intr-in/b.txt"
python3 - "$tc" "$tmp" <<'PY' && ok || bad "interrupted batch left files behind"
import os, signal, subprocess, sys, time
tc, tmp = sys.argv[1], sys.argv[2]
src, out = os.path.join(tmp, "intr-in"), os.path.join(tmp, "intr-out")
fifo = os.path.join(src, "c.txt")
os.mkfifo(fifo)
def default_signals():
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
proc = subprocess.Popen([tc, "-q", "-f", "mumsnet", "-t", "json", "--output-dir", out, "-j", "1",
                         os.path.join(src, "a.txt"), os.path.join(src, "b.txt"), fifo],
                        stderr=subprocess.DEVNULL, preexec_fn=default_signals,
                        start_new_session=True)
with open(fifo, "w") as w:
    w.write("A title\n\nSomeone Thu 04-Feb-21 21:33:59\n\nhalf a thread\n")
    w.flush()
    temps = []
    for _ in range(250):
        # in the worker's own directory, .threadconv-PID
        temps = [f for _, _, files in os.walk(out) for f in files if f.endswith(".tmp")]
        if len(temps) == 3:
            break
        time.sleep(0.02)
    assert len(temps) == 3, "expected three temporary files, saw %s" % temps
    os.killpg(proc.pid, signal.SIGTERM)
    status = proc.wait(timeout=10)
assert status == -signal.SIGTERM, "exit status %d" % status
time.sleep(0.2)  # the worker may end just after the parent
left = os.listdir(out)
assert not left, "left behind: %s" % left
PY

# ------------------------------------------------------ input detection
printf 'just some words\nnothing like a thread\n' >"$tmp/unknown.txt"
run 2 -t json "$tmp/unknown.txt" && contains "$tmp/err" "cannot tell the input format; choose one with -f: "
: >"$tmp/empty.txt"
run 1 -t json "$tmp/empty.txt" && contains "$tmp/err" "empty input"
run 1 -f mumsnet -t json "$tmp/empty.txt"
# A writer that cannot keep attachments drops them with a warning, never
# silently: the first post named, then a count.
printf '%s\n' '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[' \
    '{"id":"1","author":"a","date":null,"body":"b","attachments":[{"name":"x.txt","type":"text/plain","size":2,"data":"aGk="}]},' \
    '{"id":"2","author":"a","date":null,"body":"c","attachments":[{"name":"y","type":"","ref":"y"},{"name":"z","type":"","ref":"z"}]}]}]}' \
    >"$tmp/attached.json"
run 0 -f json -t mbox -o "$tmp/attached.mbox" "$tmp/attached.json" &&
    contains "$tmp/err" "warning: $tmp/attached.mbox: the 'mbox' writer cannot keep attachments: 1 of post 1 (thread 1) not written; json, jsonl and xml keep them" &&
    contains "$tmp/err" "warning: $tmp/attached.mbox: 3 attachments of 2 posts were not written (the 'mbox' writer cannot keep attachments)"
run 0 -f json -t xml -o "$tmp/attached.xml" "$tmp/attached.json" && stderr_is ""
# Two copies of a module, one shadowing the other (an installed copy and
# the build tree's): the shadowed copy's unloading must not break the one in
# use (the xml module's destructor tidies libxml2).
mkdir "$tmp/shadow" && cp "$(dirname "$(command -v "$tc")")/../plugins/xml/.libs/xml.so" "$tmp/shadow/" 2>/dev/null ||
    for d in $(printf '%s' "$THREADCONV_PLUGIN_PATH" | tr ':' ' '); do
        [ -f "$d/xml.so" ] && cp "$d/xml.so" "$tmp/shadow/" && break
    done
THREADCONV_PLUGIN_PATH="$tmp/shadow:$THREADCONV_PLUGIN_PATH" run 0 -t xml -o "$tmp/shadow.xml" "$seed" &&
THREADCONV_PLUGIN_PATH="$THREADCONV_PLUGIN_PATH:$tmp/shadow" run 0 -t xml -o "$tmp/shadow.xml" "$seed"
# An input two probes claim equally (a jsonl line is also a json document
# with a "thread" member): refused, with the choices.
printf '{"format":"threadconv","thread":{"title":"t","source":"s"}}\n' >"$tmp/ambiguous.txt"
run 2 -t json "$tmp/ambiguous.txt" &&
    stderr_is "threadconv: $tmp/ambiguous.txt: the input could be any of json, jsonl; choose one with -f"

echo "cli.sh: $passed checks passed, $fail failed"
[ "$fail" -eq 0 ]
