#!/bin/sh
# cli.sh - the mbox module's formats (mbox, maildir) through the threadconv
# command: mbox's options and their errors, maildir as a writer of
# directories (and a reader of folders, not files: maildir.sh tests the
# reader), and the warning of a writer that cannot
# keep attachments.  The input with attachments is an archive document
# (the case folders' kind, its format found by doc_writer).  The command
# itself is tests/cli.sh's; the checks and the environment needed are
# tests/cli_lib.sh's.
cli_name=plugins/mbox/tests/cli.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"

doc=$(doc_writer) || exit 1

# ------------------------------------------------------------ mbox options
run 0 --describe mbox && contains "$tmp/out" "  mbox.variant=mboxrd|mboxo|mboxcl2  (default: mboxrd)"
run 2 -O mbox.nonsense=1 -t mbox "$seed"
grep -q "^threadconv: unknown option mbox.nonsense; mbox takes: mbox.variant " "$tmp/err" && ok \
    || bad "-O mbox.nonsense: $(cat "$tmp/err")"

# ------------------------------------------------- maildir: a directory
run 1 -f maildir -t "$doc" "$seed" &&
    stderr_is "threadconv: $seed: a plain file, not a Maildir: expected a folder (or a .zip or .tar of one) with cur/ and new/ folders; -f eml reads a file that holds one message"
run 0 --describe maildir && contains "$tmp/out" "Capabilities:  read (detects its input), write (a directory: -o DIR)"
run 2 -t maildir "$seed" \
  && stderr_is "threadconv: format 'maildir' writes a directory, not a stream; name it with -o DIR"
run 0 -t maildir -o "$tmp/md" "$seed"
[ "$(find "$tmp/md" -type f | wc -l)" -eq 20 ] && ok \
    || bad "maildir: expected a file for each of the seed's 20 posts: $(find "$tmp/md" | head)"

# A run ended by SIGINT or SIGTERM leaves no message in tmp/ (and delivers
# none to new/): the input, one post per line through the test plugin's
# reader (tests/plugins), comes from a FIFO that holds the run while some
# of its messages wait in tmp/.
mkdir "$tmp/pd" && ln -s "$THREADCONV_TEST_PLUGINS/good.so" "$tmp/pd/testfmt.so"
for sig in SIGINT SIGTERM; do
    python3 - "$tc" "$tmp" "$sig" <<'PY' && ok || bad "maildir: $sig left messages behind"
import os, signal, subprocess, sys, time
tc, tmp, name = sys.argv[1:4]
md, fifo = os.path.join(tmp, "sig-" + name), os.path.join(tmp, name + ".fifo")
os.mkfifo(fifo)
def default_signals():
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)
proc = subprocess.Popen([tc, "-q", "--plugin-dir", os.path.join(tmp, "pd"), "-f", "testfmt",
                         "-t", "maildir", "-o", md, fifo], preexec_fn=default_signals)
with open(fifo, "w") as w:
    w.write("TESTFMT\n" + "a post\n" * 50); w.flush()
    for _ in range(250):  # until messages wait in tmp/
        if os.path.isdir(os.path.join(md, "tmp")) and len(os.listdir(os.path.join(md, "tmp"))) >= 10:
            break
        time.sleep(0.02)
    waiting = len(os.listdir(os.path.join(md, "tmp")))
    assert waiting >= 10, "only %d messages in tmp/" % waiting
    proc.send_signal(getattr(signal, name))
    status = proc.wait(timeout=10)
assert status == -getattr(signal, name), "exit status %d" % status
for sub in ("tmp", "new", "cur"):
    left = os.listdir(os.path.join(md, sub))
    assert not left, "%s/ holds %d files, e.g. %s" % (sub, len(left), left[:2])
PY
done

# ------------------------------------------------------------ attachments
# A writer that cannot keep attachments drops them with a warning, never
# silently: the first post named, then a count.
printf '%s\n' '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[' \
    '{"id":"1","author":"a","date":null,"body":"b","attachments":[{"name":"x.txt","type":"text/plain","size":2,"data":"aGk="}]},' \
    '{"id":"2","author":"a","date":null,"body":"c","attachments":[{"name":"y","type":"","ref":"y"},{"name":"z","type":"","ref":"z"}]}]}]}' \
    >"$tmp/attached.doc"
run 0 -f "$doc" -t mbox -o "$tmp/attached.mbox" "$tmp/attached.doc" &&
    contains "$tmp/err" "warning: $tmp/attached.mbox: the 'mbox' writer cannot keep attachments: 1 of post 1 (thread 1) not written (threadconv --describe FORMAT says which formats keep them)" &&
    contains "$tmp/err" "warning: $tmp/attached.mbox: 3 attachments of 2 posts were not written (the 'mbox' writer cannot keep attachments)"

# ------------------------------------------------------------ the environment
# The reader's index goes to $TMPDIR beyond mbox.index-memory: a missing
# $TMPDIR is the environment's fault (exit 4), naming it, not bad input.
python3 "$THREADCONV_SRCDIR/tests/bench/gen_mumsnet.py" 1 "$tmp/index.txt"
run 0 -q -t mbox -o "$tmp/index.mbox" "$tmp/index.txt"
TMPDIR="$tmp/no-such-dir" run 4 -f mbox -O mbox.index-memory=16 -t mbox -o "$tmp/index-out.mbox" "$tmp/index.mbox" &&
    contains "$tmp/err" "cannot create a temporary file in $tmp/no-such-dir (TMPDIR) for the mbox index: No such file or directory"

cli_done
