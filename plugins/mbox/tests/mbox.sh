#!/bin/sh
# shellcheck disable=SC2015,SC2012
# ("ok" cannot fail, so A && ok || bad is safe; the Maildir names are ours)
# mbox.sh - end-to-end tests of the mbox and maildir plugins through the
# threadconv command: mumsnet -> mbox -> json equals mumsnet -> json for the
# seed, the conformance files and every mumsnet fixture that reads; Python's
# mailbox/email modules read the seed's mbox (tests/mbox_check.py, against
# an independent reading of the seed); mutt opens it and shows every reply
# in the thread; mblaze's mthread threads the maildir writer's output (a
# directory writer: -o DIR, refused without it; a Maildir per input in
# batch mode); every
# corpus mbox converts; standard input; memory stays under 16 MB on a 104 MB
# mbox of one big thread and on a 60 MB mailing list of many small threads,
# and writing one thread of a million posts; a reply chain of 100,005
# messages, and one of 50,000 references to missing messages, read in
# linear time with every parent;
# the reader's index on disk (-O mbox.index-memory) gives the same archive;
# a body holding U+0000 is written quoted-printable and Python's email
# decodes the NUL (mbox, every variant and encoding, and maildir).
#
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH, THREADCONV_TESTDATA; THREADCONV_SHARED, the
# absolute path of the shared data folder; and python3, mutt, mblaze
# (mthread, mlist, mscan, mdeliver), script (bsdutils) and GNU time.
# A missing one fails the test: nothing is skipped silently.
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_TESTDATA THREADCONV_SHARED; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set (THREADCONV_SHARED must name the shared data folder)"
done
[ -d "$THREADCONV_SHARED/seeds" ] || die "THREADCONV_SHARED=$THREADCONV_SHARED has no seeds/"
for c in python3 mutt mthread mlist mscan mdeliver script; do
    command -v "$c" >/dev/null || die "$c is required (Debian packages: python3 mutt mblaze bsdutils)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package: time)"

tc="$THREADCONV_BIN"
here=$(cd "$(dirname "$0")" && pwd)
seed="$THREADCONV_SHARED/seeds/000_e8c5bdb5bae043fe.txt"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-mbox.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (python3, mutt,
# mblaze, script) reads or writes the user's files, or depends on what is
# there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
export MBLAZE="$tmp/mblaze"   # mblaze's state, away from $HOME
mkdir -p "$MBLAZE" && : > "$MBLAZE/seq"

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# roundtrip FILE [OPTION...]: mumsnet -> mbox -> json must equal mumsnet -> json
roundtrip() {
    f=$1; shift
    if ! "$tc" -q -f mumsnet -t json "$f" >"$tmp/direct.json" 2>"$tmp/err"; then
        return 1 # not a valid thread: nothing to compare
    fi
    if ! "$tc" -q -f mumsnet -t mbox "$@" -o "$tmp/rt.mbox" "$f" 2>"$tmp/err"; then
        bad "mumsnet -> mbox $* failed for $f: $(cat "$tmp/err")"; return 0
    fi
    if ! "$tc" -f mbox -t json "$@" "$tmp/rt.mbox" >"$tmp/back.json" 2>"$tmp/err"; then
        bad "mbox -> json $* failed for $f: $(cat "$tmp/err")"; return 0
    fi
    if [ -s "$tmp/err" ]; then bad "mbox -> json $* warned for $f: $(cat "$tmp/err")"; return 0; fi
    if cmp -s "$tmp/direct.json" "$tmp/back.json"; then ok; else
        bad "mumsnet -> mbox $* -> json differs from mumsnet -> json for $f"
    fi
    return 0
}

# ------------------------------------------------- round trips, every fixture
n=0
for f in "$seed" "$THREADCONV_SHARED"/conformance/mumsnet/*.txt "$THREADCONV_TESTDATA"/mumsnet/*.txt; do
    [ -f "$f" ] || die "missing $f"
    for opts in "" "-O mbox.variant=mboxcl2" "-O mbox.encoding=quoted-printable" "-O mbox.variant=mboxo"; do
        # shellcheck disable=SC2086
        roundtrip "$f" $opts && n=$((n + 1))
    done
done
[ "$n" -ge 24 ] || bad "only $n round trips ran (the seed, the conformance files, the fixtures)"

# all of them in one mbox: several threads, in order
set -- "$seed" "$THREADCONV_SHARED"/conformance/mumsnet/*.txt
"$tc" -q -f mumsnet -t json "$@" >"$tmp/all.json" &&
    "$tc" -q -f mumsnet -t mbox -o "$tmp/all.mbox" "$@" &&
    "$tc" -f mbox -t json "$tmp/all.mbox" >"$tmp/allback.json" &&
    cmp -s "$tmp/all.json" "$tmp/allback.json" && ok || bad "several threads in one mbox do not come back"

# ------------------------------------------------- Python's mailbox module
"$tc" -f mumsnet -t mbox -o "$tmp/seed.mbox" "$seed" || bad "seed -> mbox failed"
for variant in "" "-O mbox.variant=mboxcl2" "-O mbox.encoding=quoted-printable"; do
    # shellcheck disable=SC2086
    "$tc" -f mumsnet -t mbox $variant -o "$tmp/py.mbox" "$seed" &&
        python3 "$here/mbox_check.py" "$seed" "$tmp/py.mbox" >/dev/null && ok ||
        bad "Python's mailbox module disagrees with the seed's mbox ($variant)"
done

# probing finds mbox, and standard input (a pipe, on purpose) is spooled for
# the two passes
"$tc" -t json "$tmp/seed.mbox" >"$tmp/probed.json" 2>"$tmp/err" || bad "probing: $(cat "$tmp/err")"
# shellcheck disable=SC2002
cat "$tmp/seed.mbox" | "$tc" -f mbox -t json >"$tmp/stdin.json" || bad "reading a pipe failed"
cmp -s "$tmp/probed.json" "$tmp/stdin.json" && ok || bad "probed file and pipe read differently"
"$tc" -f mumsnet -t json "$seed" >"$tmp/seed.json" && cmp -s "$tmp/seed.json" "$tmp/stdin.json" &&
    ok || bad "the seed read back from stdin differs"

# ------------------------------------------------- mutt
# mutt needs a terminal: script(1) gives it one (through /bin/sh, not the
# user's $SHELL and its start-up files); it opens the mbox with threads
# sorted and quits.  The index shows the message count and a tree arrow
# ("->" with ascii_chars) for each reply.  No system muttrc (-n), a muttrc
# of the test's own (-F): every folder and file mutt might look at or
# write is inside $tmp/mutt, so it never asks to create ~/Mail.
mkdir "$tmp/mutt" "$tmp/mutt/tmp" || die "mkdir $tmp/mutt"
cat >"$tmp/muttrc" <<EOF || die "cannot write $tmp/muttrc"
set folder="$tmp/mutt" spoolfile="$tmp/mutt/inbox" mbox="$tmp/mutt/mbox"
set record="$tmp/mutt/sent" postponed="$tmp/mutt/postponed" tmpdir="$tmp/mutt/tmp"
set alias_file="$tmp/mutt/aliases" history_file="$tmp/mutt/history" save_history=0
set header_cache="" message_cachedir="" certificate_file="$tmp/mutt/certificates"
set mailcap_path="$tmp/mutt/mailcap" signature="" move=no
set sort=threads ascii_chars=yes
EOF
TERM=vt100 SHELL=/bin/sh timeout 30 script -qec "stty rows 60 cols 200; mutt -n -F '$tmp/muttrc' -R -f '$tmp/seed.mbox' -e 'push <quit>'" /dev/null >"$tmp/mutt.log" 2>&1 </dev/null
grep -q 'Msgs:20 ' "$tmp/mutt.log" && ok || bad "mutt did not show 20 messages: $(tail -c 400 "$tmp/mutt.log")"
arrows=$(sed 's/\x1b\[[0-9;?]*[a-zA-Z]/\n/g' "$tmp/mutt.log" | grep -c -- '->')
[ "$arrows" -eq 19 ] && ok || bad "mutt showed $arrows replies in the thread, expected 19"

# ------------------------------------------------- maildir and mblaze
# the Maildir is the -o path (the writer declares TC_PLUGIN_WRITES_DIRECTORY)
md="$tmp/Maildir"
"$tc" -f mumsnet -t maildir -o "$md" "$seed" >"$tmp/out" 2>"$tmp/err" || bad "maildir writer failed: $(cat "$tmp/err")"
[ "$(ls "$md/new" | wc -l)" -eq 20 ] && [ "$(ls "$md/tmp" | wc -l)" -eq 0 ] && [ -d "$md/cur" ] &&
    ok || bad "maildir: expected 20 messages in new/ and none in tmp/"
[ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ] && ok || bad "maildir: wrote to standard output or stderr: $(cat "$tmp/out" "$tmp/err")"
mlist "$md" | mthread | mscan -f '%i%s' >"$tmp/mthread.txt" 2>/dev/null
[ "$(wc -l <"$tmp/mthread.txt")" -eq 20 ] &&
    [ "$(grep -c '^ Re: Can police' "$tmp/mthread.txt")" -eq 19 ] &&
    [ "$(head -1 "$tmp/mthread.txt")" = "Can police (Metropolitan police) use Skype and other social media?" ] &&
    ok || bad "mthread does not show the 19 replies under the first post: $(cat "$tmp/mthread.txt")"
# our mbox split by mblaze gives the same tree
mkdir -p "$tmp/md2/cur" "$tmp/md2/new" "$tmp/md2/tmp"
mdeliver -M "$tmp/md2" <"$tmp/seed.mbox" 2>/dev/null
mlist "$tmp/md2" | mthread | mscan -f '%i%s' >"$tmp/mthread2.txt" 2>/dev/null
cmp -s "$tmp/mthread.txt" "$tmp/mthread2.txt" && ok || bad "mblaze threads our mbox differently"
# a second run delivers into the same Maildir, beside the first's messages
"$tc" -q -f mumsnet -t maildir -o "$md" "$seed" && [ "$(ls "$md/new" | wc -l)" -eq 40 ] && ok ||
    bad "maildir: a second delivery into $md did not add 20 messages"
# no directory (no -o, or -o -): the core's usage error, nothing written
for o in "" "-o -"; do
    # shellcheck disable=SC2086
    "$tc" -f mumsnet -t maildir $o "$seed" >"$tmp/out" 2>"$tmp/err"
    [ $? -eq 2 ] && [ ! -s "$tmp/out" ] &&
        [ "$(cat "$tmp/err")" = "threadconv: format 'maildir' writes a directory, not a stream; name it with -o DIR" ] &&
        ok || bad "maildir without a directory ($o): $(cat "$tmp/err")"
done
# the option it once took is refused with the list of those it takes
"$tc" -f mumsnet -t maildir -O maildir.dir="$tmp/md3" -o "$tmp/md3" "$seed" 2>"$tmp/err"
[ $? -eq 2 ] && [ ! -e "$tmp/md3" ] &&
    [ "$(cat "$tmp/err")" = "threadconv: unknown option maildir.dir; maildir takes: maildir.encoding" ] &&
    ok || bad "-O maildir.dir: $(cat "$tmp/err")"
# -o naming a file that exists: an output error, the file untouched
echo keep >"$tmp/afile"
"$tc" -f mumsnet -t maildir -o "$tmp/afile" "$seed" 2>"$tmp/err"
[ $? -eq 4 ] && [ "$(cat "$tmp/afile")" = keep ] && grep -q "is not a directory" "$tmp/err" &&
    ok || bad "maildir -o FILE: $(cat "$tmp/err")"
# batch mode: a Maildir per input, OUTPUT-DIR/NAME.maildir
mkdir "$tmp/batch"
cp "$seed" "$tmp/one.txt" && cp "$seed" "$tmp/two.txt"
"$tc" -q -f mumsnet -t maildir --output-dir "$tmp/batch" -j 2 "$tmp/one.txt" "$tmp/two.txt" &&
    [ "$(ls "$tmp/batch/one.maildir/new" | wc -l)" -eq 20 ] &&
    [ "$(ls "$tmp/batch/two.maildir/new" | wc -l)" -eq 20 ] && ok ||
    bad "maildir batch: $(ls -R "$tmp/batch" | head -20)"

# ------------------------------------------------- U+0000 in a body
# A NUL octet is not allowed in a mail message (RFC 5322 section 2.3, RFC
# 2045 section 2.8, 8bit included): a body holding U+0000 is written
# quoted-printable, =00, whatever -O mbox.encoding says for the others, so
# Python's email parses every message and decodes the NUL; the reader
# gives the body back byte for byte.  (It was: a raw NUL written, read back
# as U+FFFD.)  The bodies expected are the JSON's below plus the newline
# our messages end with, decoded by Python, not by threadconv.
cat >"$tmp/nul.json" <<'EOF'
{"format":"threadconv","version":1,"threads":[{"title":"NUL","source":"json","posts":[
 {"id":"1","author":"Ann","date":"2021-02-04T21:33:59+00:00","body":"plain text, caf\u00e9"},
 {"id":"2","author":"Bob","date":"2021-02-04T21:40:00+00:00","body":"a\u0000b\nFrom here\n\u0000","parent":"1"},
 {"id":"3","author":"Cy","date":null,"body":"\u0000"}]}]}
EOF
cat >"$tmp/nul_check.py" <<'EOF'
import email, email.policy, json, mailbox, os, sys
want = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]["posts"]
path, qp_all = sys.argv[2], sys.argv[3] == "qp"
if os.path.isdir(path):
    new = os.path.join(path, "new")
    raw = [open(os.path.join(new, n), "rb").read() for n in sorted(os.listdir(new))]
else:
    box = mailbox.mbox(path, create=False)
    raw = [box.get_bytes(k) for k in box.keys()]
    assert b"\0" not in open(path, "rb").read(), "a NUL octet in the mbox"
assert len(raw) == len(want), "%d messages, expected %d" % (len(raw), len(want))
for data, post in zip(raw, want):
    assert b"\0" not in data, "a NUL octet in message %s" % post["id"]
    m = email.message_from_bytes(data, policy=email.policy.default)
    body = post["body"]
    cte = m["Content-Transfer-Encoding"]
    expected_cte = "quoted-printable" if qp_all or "\0" in body else "8bit"
    assert cte == expected_cte, "message %s: %s, expected %s" % (post["id"], cte, expected_cte)
    got = m.get_payload(decode=True)
    assert got == (body + "\n").encode("utf-8"), "message %s: %r" % (post["id"], got)
EOF
for opts in "" "-O mbox.encoding=8bit" "-O mbox.encoding=quoted-printable" "-O mbox.variant=mboxo" \
            "-O mbox.variant=mboxcl2"; do
    qp=8bit
    case "$opts" in *quoted-printable*) qp=qp ;; esac
    read_opts=
    case "$opts" in *variant*) read_opts=$opts ;; esac
    # shellcheck disable=SC2086
    "$tc" -f json -t mbox $opts -o "$tmp/nul.mbox" "$tmp/nul.json" 2>"$tmp/err" &&
        python3 "$tmp/nul_check.py" "$tmp/nul.json" "$tmp/nul.mbox" "$qp" 2>"$tmp/err" && ok ||
        bad "U+0000 through mbox $opts: $(cat "$tmp/err")"
    # shellcheck disable=SC2086
    "$tc" -f mbox $read_opts -t json "$tmp/nul.mbox" >"$tmp/nul-back.json" 2>"$tmp/err" &&
        [ ! -s "$tmp/err" ] && python3 -c 'import json, sys
a, b = (json.load(open(f, encoding="utf-8"))["threads"][0]["posts"] for f in sys.argv[1:])
sys.exit(0 if [p["body"] for p in a] == [p["body"] for p in b] else 1)' "$tmp/nul.json" "$tmp/nul-back.json" &&
        ok || bad "U+0000 through mbox $opts did not come back: $(cat "$tmp/err" "$tmp/nul-back.json")"
done
for opts in "" "-O maildir.encoding=8bit" "-O maildir.encoding=quoted-printable"; do
    qp=8bit
    case "$opts" in *quoted-printable*) qp=qp ;; esac
    rm -rf "$tmp/nul.maildir"
    # shellcheck disable=SC2086
    "$tc" -f json -t maildir $opts -o "$tmp/nul.maildir" "$tmp/nul.json" 2>"$tmp/err" &&
        python3 "$tmp/nul_check.py" "$tmp/nul.json" "$tmp/nul.maildir" "$qp" 2>"$tmp/err" && ok ||
        bad "U+0000 through maildir $opts: $(cat "$tmp/err")"
done

# ------------------------------------------------- the corpus
for f in "$THREADCONV_SHARED"/corpus/mbox/*.mbox "$THREADCONV_SHARED"/corpus/mbox/*.mboxrd; do
    "$tc" -q -f mbox -t json "$f" >"$tmp/corpus.json" 2>"$tmp/err" &&
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/corpus.json" && ok ||
        bad "corpus $f: $(cat "$tmp/err")"
done

# ------------------------------------------------- memory on 100 MB mboxes
# Two shapes: one big thread (the benchmark's: our own messages) and a
# mailing list of many small interleaved threads (mbox_gen.py: others'
# mail, References chains, subjects, MIME).  The reader's index is kept
# in -O mbox.index-memory (8 MiB) and goes to a temporary file beyond it:
# memory stays under 16 MB for both.
real="$(dirname "$tc")/.libs/$(basename "$tc")"
[ -x "$real" ] || real="$tc"
libdir="$(dirname "$tc")/.libs"
python3 "$THREADCONV_SRCDIR/tests/bench/gen_mumsnet.py" 55 "$tmp/big.txt" || die "gen_mumsnet.py failed"
python3 "$THREADCONV_SRCDIR/tests/bench/gen_mumsnet.py" 5 "$tmp/small.txt" || die "gen_mumsnet.py failed"
python3 "$here/mbox_gen.py" 60 "$tmp/list.mbox" --tricky || die "mbox_gen.py failed"
rss() { # FILE FORMAT-IN FORMAT-OUT OUTPUT [OPTION...] -> peak RSS in KB
    f=$1 from=$2 to=$3 out=$4
    shift 4
    LD_LIBRARY_PATH="$THREADCONV_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" /usr/bin/time -f %M -o "$tmp/rss" \
        "$real" -q -f "$from" -t "$to" "$@" -o "$out" "$f" || bad "$from -> $to of $f failed"
    cat "$tmp/rss"
}
w_big=$(rss "$tmp/big.txt" mumsnet mbox "$tmp/big.mbox")
rss "$tmp/small.txt" mumsnet mbox "$tmp/small.mbox" >/dev/null
size=$(wc -c <"$tmp/big.mbox")
[ "$size" -ge 100000000 ] || bad "the generated mbox has only $size bytes, expected 100 MB"
r_big=$(rss "$tmp/big.mbox" mbox json /dev/null)
r_small=$(rss "$tmp/small.mbox" mbox json /dev/null)
lsize=$(wc -c <"$tmp/list.mbox")
r_list=$(rss "$tmp/list.mbox" mbox json "$tmp/list.json")
if [ -n "${THREADCONV_SANITIZED:-}" ]; then
    # ASan's shadow memory and quarantine inflate RSS; the plain build checks it.
    echo "mbox.sh: sanitizer build, memory bounds not checked"
else
    [ "$w_big" -lt 16000 ] && ok || bad "mumsnet -> mbox of 100 MB used $w_big KB"
    [ "$r_big" -lt 16000 ] && ok || bad "mbox -> json of a 100 MB mbox used $r_big KB (5 MB: $r_small KB)"
    [ "$r_list" -lt 16000 ] && ok || bad "mbox -> json of a $lsize-byte mailing list used $r_list KB"
fi
echo "memory: mumsnet -> mbox $w_big KB; mbox ($size bytes) -> json $r_big KB (a 5 MB input: $r_small KB); mailing list ($lsize bytes) -> json $r_list KB"

# The writer on one thread of a million posts, each replying to the first:
# its map of parents (for References) is kept in a store that spills to a
# temporary file, so memory stays flat (it was 97 MB).
python3 - "$tmp/flat.jsonl" <<'PY' || die "cannot make flat.jsonl"
import sys
line = '{"thread":{"title":"t","source":"s"},"id":"p%d","author":"a","date":null,"body":"x"%s}\n'
with open(sys.argv[1], "w") as f:
    f.write("".join(line % (i, ',"parent":"p0"' if i else "") for i in range(1000000)))
PY
w_flat=$(rss "$tmp/flat.jsonl" jsonl mbox /dev/null)
rm -f "$tmp/flat.jsonl"
if [ -z "${THREADCONV_SANITIZED:-}" ]; then
    [ "$w_flat" -lt 16000 ] && ok || bad "jsonl -> mbox of a thread of 1M posts used $w_flat KB"
fi
echo "memory: jsonl -> mbox of one thread of 1M posts $w_flat KB"

# A reply chain: each of 100,005 messages replies to the one before.  Loops
# are refused with a link-cut tree, not by walking up to the root at every
# link (quadratic: 13 s, and past a walk of 100,000 steps taken for a loop,
# the last messages lost their parents).  Every parent kept, within 10 s.
python3 - "$real" "$tmp/chain.mbox" <<'PY' && ok || bad "a reply chain of 100,005 messages"
import json, os, subprocess, sys, time
real, path = sys.argv[1], sys.argv[2]
n = 100005
with open(path, "w") as f:
    for i in range(n):
        irt = "In-Reply-To: <m%d@example.org>\n" % (i - 1) if i else ""
        f.write("From a@example.org Thu Feb  4 21:33:59 2021\nFrom: a@example.org\n"
                "Subject: s\nMessage-ID: <m%d@example.org>\n%s\nbody %d\n\n" % (i, irt, i))
env = dict(os.environ)
env["LD_LIBRARY_PATH"] = os.environ["THREADCONV_LIBDIR"] + ":" + env.get("LD_LIBRARY_PATH", "")
t = time.monotonic()
try:
    r = subprocess.run([real, "-q", "-f", "mbox", "-t", "jsonl", path], env=env,
                       stdout=subprocess.PIPE, timeout=10)
except subprocess.TimeoutExpired:
    sys.exit("a reply chain of %d messages: not converted within 10 s" % n)
secs = time.monotonic() - t
os.remove(path)
posts = [json.loads(line) for line in r.stdout.splitlines()]
if r.returncode != 0 or len(posts) != n:
    sys.exit("exit %d, %d posts" % (r.returncode, len(posts)))
for i, p in enumerate(posts):
    want = "m%d@example.org" % (i - 1) if i else None
    if p["id"] != "m%d@example.org" % i or p.get("parent") != want:
        sys.exit("post %d: id %s, parent %s, expected %s" % (i + 1, p["id"], p.get("parent"), want))
print("mbox.sh: a reply chain of %d messages read in %.2f s" % (n, secs))
PY
# The same through references to messages not in the mailbox: message i
# names e(i-1) and e(i), a chain of 50,000 empty containers under the first
# message, e0, and 50,000 more reply to the last of them.  Each message's
# parent is the nearest message above it, e0: found once per container,
# not by a walk up the chain for every message (quadratic: 34 s).
python3 - "$real" "$tmp/empty.mbox" <<'PY' && ok || bad "a chain of 50,000 references to missing messages"
import json, os, subprocess, sys, time
real, path = sys.argv[1], sys.argv[2]
n = 50000
head = "From a@x Thu Feb  4 21:33:59 2021\nFrom: a@x\nSubject: s%d\nMessage-ID: <%s@x>\n"
with open(path, "w") as f:
    f.write(head % (0, "e0") + "\nb\n\n")
    for i in range(1, n):
        f.write(head % (i, "m%d" % i) + "References: <e%d@x> <e%d@x>\n\nb\n\n" % (i - 1, i))
    for i in range(n):
        f.write(head % (n + i, "r%d" % i) + "In-Reply-To: <e%d@x>\n\nb\n\n" % (n - 1))
env = dict(os.environ)
env["LD_LIBRARY_PATH"] = os.environ["THREADCONV_LIBDIR"] + ":" + env.get("LD_LIBRARY_PATH", "")
t = time.monotonic()
try:
    r = subprocess.run([real, "-q", "-f", "mbox", "-t", "jsonl", path], env=env,
                       stdout=subprocess.PIPE, timeout=10)
except subprocess.TimeoutExpired:
    sys.exit("a chain of %d empty containers: not converted within 10 s" % n)
secs = time.monotonic() - t
os.remove(path)
posts = [json.loads(line) for line in r.stdout.splitlines()]
if r.returncode != 0 or len(posts) != 2 * n:
    sys.exit("exit %d, %d posts" % (r.returncode, len(posts)))
wrong = [p["id"] for p in posts[1:] if p.get("parent") != "e0@x"]
if wrong:
    sys.exit("%d posts without e0@x as their parent, the first %s" % (len(wrong), wrong[0]))
print("mbox.sh: a chain of %d empty containers read in %.2f s" % (n, secs))
PY

# the index almost all on disk (64 KiB in memory) gives the same archive;
# its temporary file is gone (unlinked from the start)
mkdir "$tmp/idx"
TMPDIR="$tmp/idx" "$tc" -q -f mbox -t json -O mbox.index-memory=64 -o "$tmp/list64.json" \
    "$tmp/list.mbox" && cmp -s "$tmp/list.json" "$tmp/list64.json" && ok ||
    bad "the mailing list read with its index on disk differs"
[ -z "$(ls -A "$tmp/idx")" ] && ok || bad "temporary files left in TMPDIR: $(ls -A "$tmp/idx")"
"$tc" -q -f mumsnet -t json -o "$tmp/small.json" "$tmp/small.txt" &&
    TMPDIR="$tmp/idx" "$tc" -q -f mbox -t json -O mbox.index-memory=64 -o "$tmp/small64.json" \
        "$tmp/small.mbox" && cmp -s "$tmp/small.json" "$tmp/small64.json" && ok ||
    bad "a 5 MB thread through mbox with its index on disk differs from the thread read directly"
# no usable TMPDIR: the environment's fault (exit 4), and the error says
# where it tried
TMPDIR="$tmp/none" "$tc" -q -f mbox -t json -O mbox.index-memory=16 "$tmp/list.mbox" >/dev/null 2>"$tmp/err"
[ $? -eq 4 ] && grep -q "cannot create a temporary file in $tmp/none (TMPDIR) for the mbox index" "$tmp/err" &&
    ok || bad "index file in a missing TMPDIR: $(cat "$tmp/err")"

echo "mbox.sh: $passed passed, $fail failed"
[ "$fail" -eq 0 ]
