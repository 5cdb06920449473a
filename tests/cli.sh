#!/bin/sh
# cli.sh - end-to-end tests of the threadconv command itself: exit codes,
# usage errors, stdin and stdout, several inputs, -o atomicity, signals,
# write errors, plugin refusals, --keep-going, limits, the core's UTF-8
# checks, directory writers, probing and batch mode.
#
# No format is named here (each module's own formats are tested through the
# command by plugins/NAME/tests/cli.sh).  The formats come from the
# registry, by property: the seed's format is the reader that, given with
# -f, reads the seed as probing does; the output format is the first format
# --list shows with r and w whose output of the seed, read back and written
# again, is the same; a bad input is an expected-error case of the seed's
# format (its message from the case).  The test plugin's formats (testfmt,
# testfmt2, testdir from tests/plugins) are the tests' own and are named.
#
# The checks and the environment it needs: tests/cli_lib.sh.
cli_name=cli.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"

# ------------------------------------------------------------- the formats
"$tc" --list >"$tmp/list" || die "threadconv --list failed"
both=$(awk '$2 ~ /r/ && $2 ~ /w/ { print $1 }' "$tmp/list")
# The output format: the first with r and w whose output of the seed reads
# back as the same archive (F -> X equals F -> X -> X).
to=
for w in $both; do
    "$tc" -q -t "$w" "$seed" >"$tmp/x1" 2>/dev/null && [ -s "$tmp/x1" ] &&
        "$tc" -q -f "$w" -t "$w" "$tmp/x1" >"$tmp/x2" 2>/dev/null &&
        cmp -s "$tmp/x1" "$tmp/x2" && { to=$w; break; }
done
rm -f "$tmp/x1" "$tmp/x2"
[ -n "$to" ] || die "no format --list shows writes the seed and reads it back as it was: $both"
from=$(seed_reader "$to") || exit 1
ext=$("$tc" --describe "$to" | sed -n 's/^Extension: *//p')
[ -n "$ext" ] || die "threadconv --describe $to shows no extension"
# Another input of the seed's format (a reader case that reads), and a bad
# one (a case it must refuse) with its message after the file's name.
other=
bad_msg=
for d in "$THREADCONV_SRCDIR"/plugins/*/tests/cases/"$from"/*/; do
    [ ! -f "$d/options" ] || continue
    for i in "$d"input*; do
        [ -f "$i" ] || continue
        if [ -f "$d/expected.json" ] && [ -z "$other" ]; then
            cp "$i" "$tmp/other.txt"
            other="$tmp/other.txt"
        elif [ -f "$d/expected-error" ] && [ -z "$bad_msg" ]; then
            cp "$i" "$tmp/bad.txt"
            # ":LINE[:COL]: text", after the file's name
            bad_msg=$(sed -n '1s/^[^:]*//p' "$d/expected-error")
        fi
    done
done
[ -n "$other" ] || die "no case folder of $from has an input and an expected.json"
[ -n "$bad_msg" ] || die "no case folder of $from has an expected-error: no input to fail with"
badin="$tmp/bad.txt"
# The test plugins, in a folder of their own.
pd="$tmp/plugins"
mkdir "$pd"
ln -s "$THREADCONV_TEST_PLUGINS/bad_major.so" "$pd/bad_major.so"
ln -s "$THREADCONV_TEST_PLUGINS/good.so" "$pd/testfmt.so"
# A format that cannot be read: the first --list shows with w and no r
# (testfmt2, the test plugin's, at least).
"$tc" -q --plugin-dir "$pd" --list >"$tmp/list-pd" 2>/dev/null || die "threadconv --plugin-dir --list failed"
wonly=$(awk '$2 !~ /r/ { print $1; exit }' "$tmp/list-pd")
[ -n "$wonly" ] || die "no write-only format in --list: $(cat "$tmp/list-pd")"
echo "cli.sh: the seed read with -f $from, written with -t $to ($ext); $wonly cannot be read"

# ---------------------------------------------------------------- usage
run 0 --help && contains "$tmp/out" "Exit status:"
contains "$tmp/out" "THREADCONV_PLUGIN_PATH"
contains "$tmp/out" "4  output error"
run 0 --version && contains "$tmp/out" "threadconv "
run 2 "$seed" && stderr_is "threadconv: no output format given; choose one with -t (threadconv --list shows them)"
run 2 --bogus -t "$to" "$seed" && stderr_is "threadconv: unknown option '--bogus' (see --help)"
run 2 -t && stderr_is "threadconv: option -t needs a value (see --help)"
run 2 -t nosuch "$seed" && contains "$tmp/err" "threadconv: unknown format 'nosuch'; available: "
run 2 --plugin-dir "$pd" -f "$wonly" -t "$to" "$seed" && contains "$tmp/err" "format '$wonly' cannot be read"
run 2 -O nodot -t "$to" "$seed" && contains "$tmp/err" "-O expects FORMAT.KEY=VALUE"
run 1 -t "$to" "$tmp/does-not-exist.txt" && stderr_is "threadconv: $tmp/does-not-exist.txt: cannot open for reading: No such file or directory"

# ------------------------------------------------ --list and --describe
run 0 --list
grep -Eq "^$to +rw +" "$tmp/out" && ok || bad "--list lacks $to rw: $(cat "$tmp/out")"
grep -Eq "^$from +r" "$tmp/out" && ok || bad "--list lacks $from r"
run 2 --describe nosuch && contains "$tmp/err" "unknown format 'nosuch'"

# ------------------------------------------------- the seed, no -f given
run 0 -t "$to" "$seed"
cp "$tmp/out" "$tmp/seed.out"

# ---------------------------------------------------------- stdin, stdout
"$tc" -t "$to" <"$seed" >"$tmp/stdin.out" 2>"$tmp/err" && ok || bad "stdin conversion failed: $(cat "$tmp/err")"
cmp -s "$tmp/stdin.out" "$tmp/seed.out" && ok || bad "stdin output differs from file output"
"$tc" -t "$to" - <"$seed" >"$tmp/dash.out" 2>"$tmp/err" && ok || bad "'-' conversion failed"
cmp -s "$tmp/dash.out" "$tmp/seed.out" && ok || bad "'-' output differs from file output"
"$tc" -t "$to" -o - "$seed" >"$tmp/dasho.out" && cmp -s "$tmp/dasho.out" "$tmp/seed.out" && ok || bad "-o - differs"

# Several inputs: one archive, threads in order (the test writer writes a
# "# TITLE" line for each thread and has no header or footer).
run 0 --plugin-dir "$pd" -t testfmt "$other" "$seed"
{ "$tc" -q -t testfmt --plugin-dir "$pd" "$other" && "$tc" -q --plugin-dir "$pd" -t testfmt "$seed"; } >"$tmp/each.out"
[ "$(grep -c '^# ' "$tmp/out")" -eq 2 ] && cmp -s "$tmp/out" "$tmp/each.out" && ok \
    || bad "several inputs: not the threads of each, in order: $(head -c 600 "$tmp/out")"

# ------------------------------------------------------ -o and atomicity
printf 'KEEP ME\n' >"$tmp/existing.out"
run 1 -f "$from" -t "$to" -o "$tmp/existing.out" "$seed" "$badin"
stderr_is "threadconv: $badin$bad_msg"
[ "$(cat "$tmp/existing.out")" = "KEEP ME" ] && ok || bad "a failed conversion changed the existing output"
[ -z "$(find "$tmp/." ! -name . -prune -name '*.tmp')" ] && ok || bad "a temporary file was left behind: $(ls -A "$tmp")"
run 1 -f "$from" -t "$to" -o "$tmp/new.out" "$badin"
[ ! -e "$tmp/new.out" ] && ok || bad "a failed conversion left a partial output file"
chmod 640 "$tmp/existing.out"
run 0 -t "$to" -o "$tmp/existing.out" "$seed"
cmp -s "$tmp/existing.out" "$tmp/seed.out" && ok || bad "-o FILE output differs from stdout output"
[ "$(stat -c %a "$tmp/existing.out")" = 640 ] && ok || bad "replacing a file lost its mode"
[ -z "$(find "$tmp/." ! -name . -prune -name '*.tmp')" ] && ok || bad "temporary file left after success"
cp "$seed" "$tmp/in.txt"
run 2 -t "$to" -o "$tmp/in.txt" "$tmp/in.txt"
cmp -s "$tmp/in.txt" "$seed" && ok || bad "-o naming the input damaged it"
run 4 -t "$to" -o "$tmp/no/such/dir/out$ext" "$seed"
contains "$tmp/err" "cannot create a temporary file beside it"

# An interrupted conversion leaves no temporary file and no output.  Driven
# from Python so SIGINT is not ignored (as it is for a shell's background
# job).  The input, half a thread in a FIFO, is the test reader's (and so
# the writer is the test writer, as wherever the test reader reads below).
for sig in SIGTERM SIGINT SIGHUP; do
    python3 - "$tc" "$tmp" "$sig" "$pd" <<'PY' && ok || bad "$sig: interrupted conversion left files behind"
import os, signal, subprocess, sys, time
tc, tmp, name, pd = sys.argv[1:5]
fifo = os.path.join(tmp, "slow.fifo")
os.mkfifo(fifo)
out = os.path.join(tmp, "interrupted.out")
def default_signals():
    # A background job (CI, make -j) starts with SIGINT ignored, and an
    # ignored signal stays ignored across exec; give the child the default.
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
proc = subprocess.Popen([tc, "-q", "--plugin-dir", pd, "-f", "testfmt", "-t", "testfmt", "-o", out, fifo],
                        stderr=subprocess.DEVNULL, preexec_fn=default_signals)
with open(fifo, "w") as w:
    w.write("TESTFMT\nhalf a thread\n")
    w.flush()
    # until it holds its output open (unnamed, O_TMPFILE, where the file
    # system can; else named .NAME.tc-PID-XXXXXXXX.tmp)
    writing = False
    for _ in range(200):
        for fd in os.listdir("/proc/%d/fd" % proc.pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (proc.pid, fd))
            except OSError:
                continue
            writing = writing or (link.startswith(tmp + "/") and link != fifo)
        if writing:
            break
        time.sleep(0.02)
    assert writing, "no output file open while converting"
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
    run 4 -t "$to" -o /dev/full "$seed" && stderr_is "threadconv: /dev/full: write failed: No space left on device"
    "$tc" -t "$to" "$seed" >/dev/full 2>"$tmp/err"; st=$?
    [ "$st" -eq 4 ] && ok || bad "stdout on /dev/full: exit $st, expected 4"
    stderr_is "threadconv: <stdout>: write failed: No space left on device"
else
    bad "/dev/full is not available: the write-error tests cannot run"
fi

# ------------------------------------------------------- plugin refusals
run 3 --plugin-dir "$pd" -f bad_major -t "$to" "$seed" \
  && stderr_is "threadconv: plugin $pd/bad_major.so: module 'bad_major' is built for ABI 3.0, this threadconv supports 2.0 to 2.0 — rebuild the module"
# A relative plugin directory would be looked up in whatever the current
# directory is: refused, from --plugin-dir and from THREADCONV_PLUGIN_PATH,
# though it names the good folder the absolute $pd does.
cd "$tmp" || die "cd $tmp"
run 3 --plugin-dir plugins -t testfmt "$seed" \
  && stderr_is "threadconv: plugin directory plugins from --plugin-dir: refused: a relative directory is looked up in the current directory; name it by an absolute path"
THREADCONV_PLUGIN_PATH="./plugins:$THREADCONV_PLUGIN_PATH" run 3 -t testfmt "$seed" \
  && stderr_is "threadconv: plugin directory ./plugins from THREADCONV_PLUGIN_PATH: refused: a relative directory is looked up in the current directory; name it by an absolute path"
cd - >/dev/null || die "cd back"
# A plugin that fails with a message: file, line and column.
run 1 --plugin-dir "$pd" -f testfmt -t testfmt "$data/testfmt-fail.txt" \
  && stderr_is "threadconv: $data/testfmt-fail.txt:3:1: expected anything but FAIL"
# A plugin returning a status the ABI does not define: a plugin error.
run 3 --plugin-dir "$pd" -f testfmt -t testfmt "$data/testfmt-bogus.txt" \
  && stderr_is "threadconv: plugin 'testfmt' returned status 42 from read_next_post, which the plugin ABI does not define there"
# --plugin-dir plugins write too: the seed through the test writer.
run 0 --plugin-dir "$pd" -t testfmt "$seed"
contains "$tmp/out" "Daffodil72: Or not? Just wondered."
# --keep-going: a post the reader can step over is skipped with a warning.
printf 'TESTFMT\none\nSKIPME\ntwo\nSKIPME\nthree\n' >"$tmp/skips.txt"
run 1 --plugin-dir "$pd" -f testfmt -t testfmt "$tmp/skips.txt" \
  && stderr_is "threadconv: $tmp/skips.txt:3:1: expected a post, found SKIPME"
run 5 --plugin-dir "$pd" --keep-going -f testfmt -t testfmt -o "$tmp/kept.out" "$tmp/skips.txt"
contains "$tmp/err" "threadconv: warning: $tmp/skips.txt:3:1: skipped (--keep-going): expected a post, found SKIPME"
contains "$tmp/err" "threadconv: warning: $tmp/skips.txt:5:1: skipped (--keep-going): expected a post, found SKIPME"
contains "$tmp/err" "threadconv: skipped 2 bad posts (--keep-going); the output holds everything else"
[ "$(cat "$tmp/kept.out")" = "# test thread
tester: TESTFMT
tester: one
tester: two
tester: three" ] && ok || bad "--keep-going output lacks the good posts: $(cat "$tmp/kept.out")"
# ... and a thread whose posts were all skipped is left out, with a
# warning, not handed to the writer empty (the conversion gives the writer a thread with its
# first post, core/convert.c).  The second input's thread
# is kept.
printf 'SKIPME\nSKIPME\n' >"$tmp/all-skipped.txt"
printf 'kept\n' >"$tmp/one-post.txt"
run 5 --plugin-dir "$pd" --keep-going -f testfmt -t testfmt -o "$tmp/kept2.out" \
    "$tmp/all-skipped.txt" "$tmp/one-post.txt"
contains "$tmp/err" "threadconv: warning: $tmp/all-skipped.txt: thread \"test thread\" left out (--keep-going): its 2 posts were skipped"
[ "$(cat "$tmp/kept2.out")" = "# test thread
tester: kept" ] && ok || bad "--keep-going wrote a thread whose posts were all skipped: $(cat "$tmp/kept2.out")"

# Limits are named when hit and can be changed.
printf 'TESTFMT\nthis line is longer than twenty bytes\n' >"$tmp/long.txt"
run 1 --plugin-dir "$pd" -f testfmt -t testfmt --limit max-line=20 "$tmp/long.txt" \
  && stderr_is "threadconv: $tmp/long.txt:2: line is longer than the max-line limit (20 bytes); raise it with --limit max-line=SIZE"
run 0 --plugin-dir "$pd" -f testfmt -t testfmt --limit max-line=1K "$tmp/long.txt"
run 2 -t "$to" --limit max-lines=1 "$seed" \
  && stderr_is "threadconv: --limit expects NAME=SIZE with NAME one of max-post, max-line, max-depth (e.g. --limit max-post=256M), not 'max-lines=1'"

# A reader that does not promise UTF-8 (no TC_PLUGIN_READS_UTF8, like
# testfmt, which passes lines through) is checked by the core: writers are
# only ever given UTF-8.
printf 'TESTFMT\nfine\nbad \377 byte\n' >"$tmp/latin.txt"
run 3 --plugin-dir "$pd" -f testfmt -t testfmt -o "$tmp/latin.out" "$tmp/latin.txt" \
  && stderr_is "threadconv: $tmp/latin.txt:3: plugin 'testfmt' returned a post body that is not UTF-8 (byte 0xff at offset 4); a reader must decode its input or refuse it"
[ ! -e "$tmp/latin.out" ] && ok || bad "a refused conversion left its output"
# U+0000 is a character: a body may hold it, and reaches the writer.
printf 'TESTFMT\na\000b \342\202\254\n' >"$tmp/nul.txt"
run 0 --plugin-dir "$pd" -f testfmt -t testfmt "$tmp/nul.txt"
printf '# test thread\ntester: TESTFMT\ntester: a\000b \342\202\254\n' | cmp -s - "$tmp/out" && ok \
    || bad "a body with U+0000 did not reach the writer as it is: $(od -c "$tmp/out" | head -5)"
printf 'TESTFMT\na\000\377\n' >"$tmp/nulbad.txt"
run 3 --plugin-dir "$pd" -f testfmt -t testfmt "$tmp/nulbad.txt" \
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
run 0 --plugin-dir "$pd" -t testfmt "$data/testfmt-ok.txt"
[ "$(cat "$tmp/out")" = "# test thread
tester: TESTFMT
tester: hello" ] && ok || bad "probing did not pick testfmt: $(cat "$tmp/out")"
# The refusal during probing is a warning, not silence.
contains "$tmp/err" "warning: plugin $pd/bad_major.so: module 'bad_major' is built for ABI 3.0"
run 0 --plugin-dir "$pd" -q -t testfmt "$seed"
[ ! -s "$tmp/err" ] && ok || bad "-q still printed: $(cat "$tmp/err")"
# Options are checked against the declaring plugin.
run 2 --plugin-dir "$pd" -O testfmt.style=loud -t testfmt "$seed" \
  && stderr_is "threadconv: option testfmt.style takes one of: plain, fancy; not 'loud'"

# ------------------------------------------------------------ batch mode
mkdir "$tmp/batch-in" "$tmp/batch-out" "$tmp/other"
cp "$other" "$tmp/batch-in/a.txt"
cp "$seed" "$tmp/batch-in/b.thread.txt"
cp "$badin" "$tmp/batch-in/c.txt"
cp "$other" "$tmp/batch-in/d"
run 1 -q -f "$from" -t "$to" --output-dir "$tmp/batch-out" -j 3 "$tmp/batch-in/a.txt" \
    "$tmp/batch-in/b.thread.txt" "$tmp/batch-in/c.txt" "$tmp/batch-in/d"
[ "$(ls "$tmp/batch-out" | tr '\n' ' ')" = "a$ext b.thread$ext d$ext " ] && ok \
    || bad "batch outputs: $(ls "$tmp/batch-out")"
contains "$tmp/err" "threadconv: $tmp/batch-in/c.txt$bad_msg"
contains "$tmp/err" "threadconv: 1 of 4 files failed: $tmp/batch-in/c.txt (exit 1)"
"$tc" -t "$to" "$seed" | cmp -s - "$tmp/batch-out/b.thread$ext" && ok || bad "batch output differs from a single run"
# --keep-going in batch mode: as in a single run, exit 5 and a summary.
printf 'TESTFMT\none\nSKIPME\ntwo\n' >"$tmp/batch-in/e.txt"
run 5 -q --plugin-dir "$pd" --keep-going -f testfmt -t testfmt --output-dir "$tmp/batch-out" -j 2 \
    "$tmp/three.txt" "$tmp/batch-in/e.txt"
contains "$tmp/err" "threadconv: $tmp/batch-in/e.txt: skipped 1 bad post (--keep-going)"
contains "$tmp/err" "threadconv: bad posts were skipped (--keep-going) in 1 of 2 files; their outputs hold everything else"
"$tc" -q --plugin-dir "$pd" --keep-going -f testfmt -t testfmt "$tmp/batch-in/e.txt" 2>/dev/null |
    cmp -s - "$tmp/batch-out/e.testfmt" && ok || bad "batch --keep-going output differs from a single run"
rm -f "$tmp/batch-out/e.testfmt" "$tmp/batch-out/three.testfmt"
# The extension is the writer's (--describe): the test writer's here.
run 0 -q --plugin-dir "$pd" -t testfmt --output-dir "$tmp/batch-out" "$tmp/batch-in/a.txt"
[ -f "$tmp/batch-out/a.testfmt" ] && ok || bad "batch: no a.testfmt"
cp "$other" "$tmp/other/a.txt"
run 2 -t "$to" --output-dir "$tmp/batch-out" "$tmp/batch-in/a.txt" "$tmp/other/a.txt"
contains "$tmp/err" "would both be written to $tmp/batch-out/a$ext"
run 2 -t "$to" --output-dir "$tmp/batch-out" -j 0 "$tmp/batch-in/a.txt"
contains "$tmp/err" "-j expects a number of jobs from 1 to 1024, not '0'"
run 2 -t "$to" --output-dir "$tmp/batch-out" -o "x$ext" "$tmp/batch-in/a.txt"
run 4 -t "$to" --output-dir "$tmp/no-such-dir" "$tmp/batch-in/a.txt"
contains "$tmp/err" "not a directory"

# A worker that crashes loses only the input it was converting: the files it
# had finished but not yet committed (they wait for one sync per group) are
# converted again, and no temporary file is left.  The test writer aborts on
# a post whose body is CRASH; the other inputs are the seed, probed.
# shellcheck disable=SC3045 # not POSIX; where it is missing, nothing is lost
ulimit -c 0 2>/dev/null || true
mkdir "$tmp/crash-in" "$tmp/crash-out"
cp "$seed" "$tmp/crash-in/a.txt"
printf 'TESTFMT\nCRASH\n' >"$tmp/crash-in/b.txt"
cp "$seed" "$tmp/crash-in/c.txt"
run 1 --plugin-dir "$pd" -q -t testfmt --output-dir "$tmp/crash-out" -j 1 \
    "$tmp/crash-in/a.txt" "$tmp/crash-in/b.txt" "$tmp/crash-in/c.txt"
[ "$(ls -A "$tmp/crash-out" | tr '\n' ' ')" = "a.testfmt c.testfmt " ] && ok \
    || bad "after a crashed worker: $(ls -A "$tmp/crash-out")"
contains "$tmp/err" "threadconv: 1 of 3 files failed: $tmp/crash-in/b.txt (exit 134)"
"$tc" --plugin-dir "$pd" -q -t testfmt "$seed" | cmp -s - "$tmp/crash-out/a.testfmt" \
    && ok || bad "the file converted again differs from a single run"

# Interrupted batch: the finished files waiting for their commit and the one
# being written are all removed; nothing appears under a final name.  The
# inputs are the test reader's, the last half a thread in a FIFO.
mkdir "$tmp/intr-in" "$tmp/intr-out"
cp "$tmp/three.txt" "$tmp/intr-in/a.txt"
cp "$tmp/four.txt" "$tmp/intr-in/b.txt"
python3 - "$tc" "$tmp" "$pd" <<'PY' && ok || bad "interrupted batch left files behind"
import os, signal, subprocess, sys, time
tc, tmp, pd = sys.argv[1:4]
src, out = os.path.join(tmp, "intr-in"), os.path.join(tmp, "intr-out")
fifo = os.path.join(src, "c.txt")
os.mkfifo(fifo)
def default_signals():
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
proc = subprocess.Popen([tc, "-q", "--plugin-dir", pd, "-f", "testfmt", "-t", "testfmt",
                         "--output-dir", out, "-j", "1",
                         os.path.join(src, "a.txt"), os.path.join(src, "b.txt"), fifo],
                        stderr=subprocess.DEVNULL, preexec_fn=default_signals,
                        start_new_session=True)
with open(fifo, "w") as w:
    w.write("TESTFMT\nhalf a thread\n")
    w.flush()
    temps = []
    for _ in range(250):
        # in the worker's own directory, .threadconv-PID: the two finished
        # files waiting for their commit (the third, being written, has no
        # name where the file system has O_TMPFILE)
        temps = [f for _, _, files in os.walk(out) for f in files if f.endswith(".tmp")]
        if len(temps) >= 2:
            break
        time.sleep(0.02)
    assert len(temps) >= 2, "expected the finished temporary files, saw %s" % temps
    time.sleep(0.2)  # the worker is reading the FIFO
    os.killpg(proc.pid, signal.SIGTERM)
    status = proc.wait(timeout=10)
assert status == -signal.SIGTERM, "exit status %d" % status
time.sleep(0.2)  # the worker may end just after the parent
left = os.listdir(out)
assert not left, "left behind: %s" % left
PY

# ------------------------------------------------------ input detection
printf 'just some words\nnothing like a thread\n' >"$tmp/unknown.txt"
run 2 -t "$to" "$tmp/unknown.txt" && contains "$tmp/err" "cannot tell the input format; choose one with -f: "
: >"$tmp/empty.txt"
run 1 -t "$to" "$tmp/empty.txt" && contains "$tmp/err" "empty input"
run 1 -f "$from" -t "$to" "$tmp/empty.txt"

cli_done
