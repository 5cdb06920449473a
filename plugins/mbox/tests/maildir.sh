#!/bin/sh
# maildir.sh - the maildir and eml readers through the threadconv command,
# judged by Python's mailbox and email modules (nothing expected here
# comes from threadconv): a Maildir that Python's mailbox makes (cur/ and
# new/, flags, a Maildir++ subfolder, a CRLF message, a From line in a
# body); folders, zips and tars of .eml files and a single one; errors and
# warnings naming the file and its line, in a folder and in a zip;
# detection without -f; mbox -> maildir -> (the maildir reader) -> archive
# document equal to mbox -> archive document; and real mail: notmuch's
# Maildir corpus, and the 531 single messages of the shared mail corpus
# read as eml.  The mailbox the readers make, byte for byte, is
# test_mailtree's.  The checks and the environment: tests/cli_lib.sh.
cli_name=plugins/mbox/tests/maildir.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"
command -v zip >/dev/null || die "zip is required (the Debian package zip)"

doc=$(doc_writer) || exit 1
mail="$THREADCONV_SHARED/corpus/mail"
[ -d "$mail/notmuch/test/corpora/default" ] || die "$mail/notmuch/test/corpora/default not found"

# same A B: two archive documents are the same archive.
same() {
    if python3 -c 'import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
sys.exit(0 if a == b else 1)' "$1" "$2"; then ok; else bad "$1 and $2 differ: $(head -c 400 "$1") / $(head -c 400 "$2")"; fi
}

# The archive the mbox reader's rules make of messages in a given order,
# worked out here from Python's reading of them (doc/formats.md,
# "Reading"): a post per message, its parent the message its In-Reply-To
# names; a thread per tree, in the order of its first message, its posts
# in file order, its title the root's Subject without Re:.
cat >"$tmp/expect.py" <<'PY'
import email.utils, re

def natural(s):
    """The order of names with runs of digits as numbers."""
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", s) if x]

# The fields the model carries itself; every other one is kept, as it was,
# in mbox.headers (doc/formats.md, "Others' extra fields").
CARRIED = {"from", "date", "subject", "message-id", "in-reply-to", "references",
           "mime-version", "content-type", "content-transfer-encoding", "content-length"}

def status_lines(msg, flags, cur):
    """The Status:/X-Status: lines a Maildir message's flags stand for
    (doc/formats.md: S is Status R, cur/ adds O; R, F, T are X-Status A,
    F, D), when it has none of its own."""
    st = ("R" if "S" in flags else "") + ("O" if cur else "")
    xs = "".join(x for f, x in (("R", "A"), ("F", "F"), ("T", "D")) if f in flags)
    out = ""
    if st and msg["Status"] is None:
        out += "Status: %s\n" % st
    if xs and msg["X-Status"] is None:
        out += "X-Status: %s\n" % xs
    return out

def archive(messages):
    """messages: (email message, its date as ISO 8601[, the Status lines
    its Maildir flags add]) in the archive's order."""
    messages = [(m[0], m[1], m[2] if len(m) > 2 else "") for m in messages]
    ids = [m["Message-ID"].strip().strip("<>") for m, _, _ in messages]
    parent = {}
    for (m, _, _), i in zip(messages, ids):
        p = (m["In-Reply-To"] or "").strip().strip("<>")
        if p in ids:
            parent[i] = p
    def root(i):
        while i in parent:
            i = parent[i]
        return i
    threads, by_root = [], {}
    for (m, date, added), i in zip(messages, ids):
        r = root(i)
        if r not in by_root:
            rm = messages[ids.index(r)][0]
            by_root[r] = {"title": re.sub(r"^(re|fwd?):\s*", "", rm["Subject"], flags=re.I),
                          "source": "mbox", "posts": []}
            threads.append(by_root[r])
        th = by_root[r]
        name, addr = email.utils.parseaddr(m["From"])
        post = {"id": i, "author": name or addr, "date": date,
                "body": m.get_payload().replace("\r\n", "\n")}
        if i in parent:
            post["parent"] = parent[i]
        post["mbox.address"] = addr
        # the Subject the writer would write by itself: the title first, then Re: title
        if m["Subject"] != (th["title"] if not th["posts"] else "Re: " + th["title"]):
            post["mbox.subject"] = m["Subject"]
        for name, key in (("In-Reply-To", "mbox.in-reply-to"), ("References", "mbox.references")):
            if m[name] is not None:
                post[key] = m[name].strip()
        headers = "".join("%s: %s\n" % (k, v) for k, v in m.items()
                          if k.lower() not in CARRIED and not k.lower().startswith("x-threadconv-"))
        if headers + added:
            post["mbox.headers"] = headers + added
        th["posts"].append(post)
    return {"format": "threadconv", "version": 1, "threads": threads}
PY

# ------------------------------------------------- a Maildir Python makes
# Python's mailbox writes the messages with their flags (its MaildirMessage:
# the subfolder cur/ or new/, the info ":2,FLAGS"), into the top folder and
# a Maildir++ subfolder .Sub.Folder; then each file is given the delivery
# time this test chooses (its name's SECONDS, and its mtime, which is what
# Python's mailbox takes it from), and one is made CRLF.  The expected
# archive is worked out in Python from the messages and the rules in
# doc/formats.md: the files in order of folder, delivery time, then name
# with numbers as numbers; a post per message, its id the Message-ID, its
# date Date: or else the delivery time (Python's mboxMessage of the
# MaildirMessage, its From_ line); the body as Python's email reads it, CRLF
# made LF; threads in the order of their first message.
python3 - "$tmp/md" "$tmp/md.expected" "$tmp" <<'PY' || bad "making the Maildir with Python failed"
import email, email.utils, json, mailbox, os, sys, time
root, expected_path = sys.argv[1:3]
sys.path.insert(0, sys.argv[3])
from expect import archive, natural, status_lines
md = mailbox.Maildir(root, create=True)
sub = md.add_folder("Sub.Folder")
# (folder, seconds, subdir, flags, headers, body); the two last of the top
# folder have the same seconds, so their names decide (Q2 before Q10)
plan = [
    (md, 1612474500, "cur", "RS", "From: Ann <ann@example.org>\nSubject: hello\nMessage-ID: <a@x>\nDate: Thu, 04 Feb 2021 22:35:00 +0100\n", "first\nFrom the start\n>From quoted\n"),
    (md, 1612474000, "new", "", "From: Bob <bob@example.org>\nSubject: Re: hello\nMessage-ID: <b@x>\nIn-Reply-To: <a@x>\n", "a reply, no Date: the delivery time\n"),
    (md, 1612475000, "cur", "F", "From: Cy <cy@example.org>\nSubject: crlf\nMessage-ID: <c@x>\n", "line one\nline two\n"),
    (md, 1612476000, "cur", "T", "From: Dee <dee@example.org>\nSubject: q ten\nMessage-ID: <q10@x>\n", "ten\n"),
    (md, 1612476000, "new", "", "From: Dee <dee@example.org>\nSubject: q two\nMessage-ID: <q2@x>\n", "two\n"),
    (sub, 1612470000, "cur", "S", "From: Eve <eve@example.org>\nSubject: in the subfolder\nMessage-ID: <e@x>\n", "sub\n"),
]
made = []
for i, (box, t, subdir, flags, head, body) in enumerate(plan):
    m = mailbox.MaildirMessage(email.message_from_string(head + "\n" + body))
    m.set_subdir(subdir)
    m.set_flags(flags)
    key = box.add(m)
    old = [os.path.join(box._path, d, n) for d in ("new", "cur")
           for n in os.listdir(os.path.join(box._path, d)) if n.split(":")[0] == key][0]
    q = [1, 3, 4, 10, 2, 5][i]
    info = old[old.index(":"):] if ":" in os.path.basename(old) else ""
    new = os.path.join(box._path, subdir, "%d.M1P1Q%d.test%s" % (t, q, info))
    os.rename(old, new)
    if "crlf" in head:
        with open(new, "rb") as f:
            data = f.read()
        with open(new, "wb") as f:
            f.write(data.replace(b"\n", b"\r\n"))
    os.utime(new, (t, t))
    made.append((t, new))
# Python's reading of each file, in the order doc/formats.md gives
def folder_of(path):
    rel = os.path.relpath(os.path.dirname(os.path.dirname(path)), root)
    return "" if rel == "." else rel
messages = []
for t, path in sorted(made, key=lambda x: (natural(folder_of(x[1])), x[0], natural(os.path.basename(x[1])))):
    box = mailbox.Maildir(os.path.dirname(os.path.dirname(path)), create=False)
    msg = box.get_message(os.path.basename(path).split(":")[0])
    if msg["Date"]:
        date = email.utils.parsedate_to_datetime(msg["Date"]).isoformat()
    else:  # the date of its From_ line as mbox mail (mailbox's mboxMessage of it)
        from_date = " ".join(mailbox.mboxMessage(msg).get_from().split()[-5:])
        date = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.strptime(from_date, "%a %b %d %H:%M:%S %Y"))
    messages.append((msg, date, status_lines(msg, msg.get_flags(), msg.get_subdir() == "cur")))
json.dump(archive(messages), open(expected_path, "w", encoding="utf-8"))
PY
run 0 -f maildir -t "$doc" -o "$tmp/md.got" "$tmp/md" && same "$tmp/md.expected" "$tmp/md.got"
# the same from a zip and a tar.gz of it (made with zip and tar), and
# without -f: the names say Maildir
(cd "$tmp/md" && zip -qr "$tmp/md.zip" . && tar -czf "$tmp/md.tar.gz" .)
run 0 -f maildir -t "$doc" -o "$tmp/md.zip.got" "$tmp/md.zip" && same "$tmp/md.expected" "$tmp/md.zip.got"
run 0 -t "$doc" -o "$tmp/md.tgz.got" "$tmp/md.tar.gz" && same "$tmp/md.expected" "$tmp/md.tgz.got"
run 0 -t "$doc" -o "$tmp/md.probed" "$tmp/md" && same "$tmp/md.expected" "$tmp/md.probed"
# Python's mailbox left .Sub.Folder/maildirfolder: a Maildir's own file,
# no warning
run 0 -f maildir -t "$doc" "$tmp/md" && stderr_is ""

# A message without Date: takes its date from the delivery time in its
# name; without one either (notmuch's names, "01:2,S": time 0, so they sort
# first) it has no date: the epoch its From_ line then carries is none.  A
# Date: of the epoch is a date.
mkdir -p "$tmp/undated/cur"
printf 'From: a@b\nSubject: timed\nMessage-ID: <t@x>\n\nx\n' >"$tmp/undated/cur/1612474439.M1.host:2,S"
printf 'From: a@b\nSubject: untimed\nMessage-ID: <u@x>\n\nx\n' >"$tmp/undated/cur/01:2,S"
printf 'From: a@b\nSubject: dated\nMessage-ID: <d@x>\nDate: Thu, 01 Jan 1970 00:00:00 +0000\n\nx\n' >"$tmp/undated/cur/02:2,S"
run 0 -f maildir -t "$doc" "$tmp/undated" &&
    pycheck '[p["date"] for t in doc["threads"] for p in t["posts"]] == [None, "1970-01-01T00:00:00+00:00", "2021-02-04T21:33:59+00:00"]'

# ------------------------------------------------------------ eml files
# Three messages, one a reply with a From line in its body, one CRLF with
# a byte order mark; read as a folder, a zip and a tar.gz of them (each
# stored in another order), each file alone, and without -f.  Expected: a
# post per file as Python's email reads it (the byte order mark removed
# first, as doc/formats.md says), in name order, numbers as numbers.
mkdir "$tmp/emls"
printf 'From: Ann <ann@example.org>\nSubject: eml\nMessage-ID: <e1@x>\nDate: Mon, 01 Mar 2021 09:00:00 +0000\n\nhello\n' >"$tmp/emls/2.eml"
printf 'From: Bob <bob@example.org>\nSubject: Re: eml\nMessage-ID: <e2@x>\nIn-Reply-To: <e1@x>\nDate: Mon, 01 Mar 2021 10:00:00 +0000\n\nFrom what I saw\nyes\n' >"$tmp/emls/10.eml"
printf '\357\273\277From: Cy <cy@example.org>\r\nSubject: other\r\nMessage-ID: <e3@x>\r\nDate: Mon, 01 Mar 2021 11:00:00 -0500\r\n\r\ncrlf\r\n' >"$tmp/emls/11.EML"
printf 'not a message\n' >"$tmp/emls/notes.txt"
python3 - "$tmp/emls" "$tmp/emls.expected" "$tmp" <<'PY' || bad "reading the .eml files with Python failed"
import email, email.policy, email.utils, json, os, sys
folder, out = sys.argv[1:3]
sys.path.insert(0, sys.argv[3])
from expect import archive, natural, status_lines
messages = []
for name in sorted((n for n in os.listdir(folder) if n.lower().endswith(".eml")), key=natural):
    data = open(os.path.join(folder, name), "rb").read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    messages.append((msg, email.utils.parsedate_to_datetime(msg["Date"]).isoformat()))
json.dump(archive(messages), open(out, "w", encoding="utf-8"))
PY
run 0 -f eml -t "$doc" -o "$tmp/emls.got" "$tmp/emls" && same "$tmp/emls.expected" "$tmp/emls.got" &&
    contains "$tmp/err" "threadconv: warning: $tmp/emls: 1 file not named *.eml ignored (the first: notes.txt); -O eml.members=all reads them too"
(cd "$tmp/emls" && zip -q "$tmp/emls.zip" 11.EML notes.txt 2.eml 10.eml &&
    tar -czf "$tmp/emls.tar.gz" 10.eml 2.eml notes.txt 11.EML)
run 0 -f eml -t "$doc" -o "$tmp/emls.zip.got" "$tmp/emls.zip" && same "$tmp/emls.expected" "$tmp/emls.zip.got" &&
    contains "$tmp/err" "threadconv: warning: $tmp/emls.zip: 1 file not named *.eml ignored (the first: notes.txt)"
run 0 -f eml -t "$doc" -o "$tmp/emls.tgz.got" "$tmp/emls.tar.gz" && same "$tmp/emls.expected" "$tmp/emls.tgz.got"
rm "$tmp/emls/notes.txt"
run 0 -t "$doc" -o "$tmp/emls.probed" "$tmp/emls" && same "$tmp/emls.expected" "$tmp/emls.probed"
rm -f "$tmp/emls.zip" && (cd "$tmp/emls" && zip -q "$tmp/emls.zip" 2.eml 10.eml 11.EML)
run 0 -t "$doc" -o "$tmp/emls.zip.probed" "$tmp/emls.zip" && same "$tmp/emls.expected" "$tmp/emls.zip.probed"
# each file alone, with -f and probed, from the file and from standard input
for f in 2.eml 11.EML; do
    python3 - "$tmp/emls.expected" "$f" "$tmp/one.expected" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
post = {"2.eml": "e1@x", "11.EML": "e3@x"}[sys.argv[2]]
th = [t for t in doc["threads"] if any(p["id"] == post for p in t["posts"])][0]
th = dict(th, posts=[p for p in th["posts"] if p["id"] == post])
json.dump({"format": "threadconv", "version": 1, "threads": [th]}, open(sys.argv[3], "w"))
PY
    run 0 -f eml -t "$doc" -o "$tmp/one.got" "$tmp/emls/$f" && same "$tmp/one.expected" "$tmp/one.got"
    run 0 -t "$doc" -o "$tmp/one.probed" "$tmp/emls/$f" && same "$tmp/one.expected" "$tmp/one.probed"
    run 0 -t "$doc" -o "$tmp/one.stdin" <"$tmp/emls/$f" && same "$tmp/one.expected" "$tmp/one.stdin"
done
# -O eml.members=all: every file
printf 'Subject: plain\nMessage-ID: <p@x>\n\ntext\n' >"$tmp/emls/msg_01.txt"
run 0 -f eml -O eml.members=all -t "$doc" "$tmp/emls" &&
    pycheck 'len(doc["threads"]) == 3' 'doc["threads"][2]["posts"][0]["id"] == "p@x"'
# an mbox stays the mbox reader's, a mail-shaped header block is an eml
run 0 -t "$doc" -o "$tmp/mb.probed" "$THREADCONV_SRCDIR/plugins/mbox/tests/cases/mbox/reply-to-absent-mboxrd/input.mbox" &&
    run 0 -f mbox -t "$doc" -o "$tmp/mb.f" "$THREADCONV_SRCDIR/plugins/mbox/tests/cases/mbox/reply-to-absent-mboxrd/input.mbox" &&
    same "$tmp/mb.f" "$tmp/mb.probed"

# ------------------------------------------------- errors name the file
# In a folder and in a zip: a bad Date (a warning at the file's line 3:
# the From_ line's date is used), a message over the max-post limit (an
# error naming the file; --keep-going skips that message, exit 5, and
# leaves out its thread, which has no other post).
mkdir -p "$tmp/bad/cur" "$tmp/bad/new"
printf 'From: a@b\nSubject: one\nDate: someday\n\nfine\n' >"$tmp/bad/cur/1612474439.A.host:2,S"
{ printf 'From: c@d\nSubject: two\n\n'; head -c 3000 /dev/zero | tr '\0' x; echo; } >"$tmp/bad/new/1612474440.B.host"
(cd "$tmp/bad" && zip -qr "$tmp/bad.zip" new cur)
for input in "$tmp/bad" "$tmp/bad.zip"; do
    case $input in *.zip) at="$input:" ;; *) at="$input/" ;; esac
    run 1 --limit max-post=1K -f maildir -t "$doc" -o "$tmp/bad.out" "$input" &&
        contains "$tmp/err" "threadconv: warning: ${at}cur/1612474439.A.host:2,S:3: bad Date header \"someday\": " &&
        contains "$tmp/err" "threadconv: ${at}new/1612474440.B.host:1: message 2 is longer than the max-post limit (1024 bytes)"
    [ -e "$tmp/bad.out" ] && bad "a failed run left $tmp/bad.out" || ok
    run 5 --limit max-post=1K -f maildir --keep-going -t "$doc" -o "$tmp/bad.out" "$input" &&
        contains "$tmp/err" "threadconv: warning: ${at}new/1612474440.B.host:1: skipped (--keep-going): message 2 is longer" &&
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if [t["title"] for t in d["threads"]] == ["one"] and d["threads"][0]["posts"][0]["date"] == "2021-02-04T21:33:59+00:00" else 1)' "$tmp/bad.out" &&
        ok || bad "--keep-going on $input: $(cat "$tmp/bad.out" 2>/dev/null | head -c 300)"
    rm -f "$tmp/bad.out"
done
# a line over max-line, in the file: named there
python3 -c 'import sys; open(sys.argv[1], "w").write("Subject: long\n\n" + "x" * 2000 + "\n")' "$tmp/emls/long.eml"
run 1 -f eml --limit max-line=1K -t "$doc" "$tmp/emls/long.eml" &&
    stderr_is "threadconv: $tmp/emls/long.eml:3: line is longer than the max-line limit (1024 bytes); raise it with --limit max-line=SIZE"
rm "$tmp/emls/long.eml"
# a hostile member refuses the whole input before any message is read
python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], "w"); z.writestr("cur/1.x:2,", "Subject: a\n\nb\n"); z.writestr("../evil", "x"); z.close()' "$tmp/evil.zip"
run 1 -f maildir -t "$doc" "$tmp/evil.zip" && contains "$tmp/err" "$tmp/evil.zip:../evil"
# $TMPDIR missing: the environment's fault, exit 4, naming it
TMPDIR="$tmp/no-such-dir" run 4 -f maildir -t "$doc" "$tmp/md" &&
    contains "$tmp/err" "cannot create a temporary file in $tmp/no-such-dir (TMPDIR) for the messages: No such file or directory"

# ------------------------------------------------------------ round trips
# What the mbox writer writes today comes back from a Maildir as from the
# mbox: mbox -> maildir -> (maildir reader) -> document equals mbox ->
# document, for the seed, for a thread of 30 posts (so the writer's names
# Q1..Q30 must go in their numbers' order), with quoted-printable too, and
# through a zip of the Maildir.
python3 - "$tmp/long.doc" <<'PY'
import json, sys
posts = [{"id": str(i), "author": "poster %d" % (i % 4), "date": "2021-02-04T21:%02d:00+01:00" % (i % 60),
          "body": "post %d\nFrom a line\n>From another\n" % i, **({"parent": str(i - 1)} if i > 1 else {})}
         for i in range(1, 31)]
json.dump({"format": "threadconv", "version": 1, "threads": [
    {"title": "thirty", "source": "test", "posts": posts},
    {"title": "", "source": "test", "posts": []}]}, open(sys.argv[1], "w"))
PY
run 0 -t mbox -o "$tmp/seed.mbox" "$seed"
run 0 -f "$doc" -t mbox -o "$tmp/long.mbox" "$tmp/long.doc"
for m in seed long; do
    for enc in 8bit quoted-printable; do
        rm -rf "$tmp/trip.md" "$tmp/trip.zip"
        run 0 -f mbox -t "$doc" -o "$tmp/trip.a" "$tmp/$m.mbox"
        run 0 -f mbox -t maildir -O maildir.encoding=$enc -o "$tmp/trip.md" "$tmp/$m.mbox"
        run 0 -f maildir -t "$doc" -o "$tmp/trip.b" "$tmp/trip.md" && same "$tmp/trip.a" "$tmp/trip.b"
        (cd "$tmp/trip.md" && zip -qr "$tmp/trip.zip" .)
        run 0 -t "$doc" -o "$tmp/trip.c" "$tmp/trip.zip" && same "$tmp/trip.a" "$tmp/trip.c"
    done
done
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if [p["id"] for p in d["threads"][0]["posts"]] == [str(i) for i in range(1, 31)] else 1)' "$tmp/trip.b" &&
    ok || bad "the 30 posts read back from the Maildir out of order"

# ---------------------------------------------------------------- memory
# Memory does not grow with the number of files beyond the tree's own list
# of their names (about 40 bytes and the name each, here some 80): the
# reader's entries, order and map of lines are in a paged store (1 MiB in
# memory), the messages in a temporary file.  Against the mbox reader
# reading the same messages as one mbox, the extra memory for 30,000 files
# is at most that for 10,000 (where the store and the write buffer are
# full already) plus 120 bytes for each file more.
command -v /usr/bin/time >/dev/null || die "GNU time is required (the Debian package time)"
python3 - "$tmp/many" <<'PY'
import os, sys
for n in (10000, 30000):
    d = os.path.join(sys.argv[1], str(n))
    for sub in ("cur", "new"):
        os.makedirs(os.path.join(d, sub))
    for i in range(n):
        sub = "cur" if i % 3 else "new"
        with open(os.path.join(d, sub, "%d.M%dP1Q%d.host%s" % (1612470000 + i // 7, i, i, ":2,S" if i % 3 else "")), "w") as f:
            f.write("From: user%d <u%d@example.org>\nSubject: thread %d\nMessage-ID: <m%d@x>\n%s\nbody %d\n"
                    % (i % 50, i % 50, i // 5, i, "In-Reply-To: <m%d@x>\n" % (i - 1) if i % 5 else "", i))
PY
for n in 10000 30000; do
    run 0 -f maildir -t mbox -o "$tmp/many/$n.mbox" "$tmp/many/$n"
    /usr/bin/time -f %M -o "$tmp/many/$n.md.kb" "$tc" -f maildir -t jsonl -o /dev/null "$tmp/many/$n" &&
        /usr/bin/time -f %M -o "$tmp/many/$n.mb.kb" "$tc" -f mbox -t jsonl -o /dev/null "$tmp/many/$n.mbox" &&
        ok || bad "reading $n files failed"
done
extra() { echo $(($(tail -1 "$tmp/many/$1.md.kb") - $(tail -1 "$tmp/many/$1.mb.kb"))); }
small=$(extra 10000) big=$(extra 30000)
if [ $((big - small)) -le $((20000 * 120 / 1024)) ]; then ok
else bad "memory: $small KB more than the mbox reader for 10,000 files, $big KB for 30,000"; fi
rm -rf "$tmp/many"

# ------------------------------------------------------------- real mail
# notmuch's corpus in its Maildir layout (default/: cur/ and new/ in it and
# in nested folders, loose files beside them): every message in a cur/ or
# new/ folder, each once, by its Message-ID as Python's email reads it.
nm="$mail/notmuch/test/corpora/default"
run 0 -f maildir -t "$doc" -o "$tmp/nm.got" "$nm" &&
    contains "$tmp/err" "files outside the cur/ and new/ folders ignored"
run 0 -t "$doc" -o "$tmp/nm.probed" "$nm" && same "$tmp/nm.got" "$tmp/nm.probed"
python3 - "$nm" "$tmp/nm.got" <<'PY' && ok || bad "notmuch's Maildir: the messages differ from Python's reading"
import collections, email, email.policy, json, os, re, sys
root, got = sys.argv[1:3]
want = collections.Counter()
files = 0
for d, dirs, names in os.walk(root):
    if os.path.basename(d) in ("cur", "new"):
        for n in names:
            files += 1
            msg = email.message_from_bytes(open(os.path.join(d, n), "rb").read(), policy=email.policy.compat32)
            ids = re.findall(r"<([^<>\s]+)>", str(msg.get("Message-ID") or ""))
            want[ids[0] if ids else None] += 1
posts = [p["id"] for t in json.load(open(got))["threads"] for p in t["posts"]]
have = collections.Counter(posts)
# a message without a Message-ID, or repeating one, is numbered
numbered = sum(1 for p in posts if p.isdigit())
for mid, n in want.items():
    if mid is not None and have[mid] != 1:
        sys.exit("%s: %d posts" % (mid, have[mid]))
expected_numbered = want[None] + sum(n - 1 for mid, n in want.items() if mid is not None)
if len(posts) != files or numbered != expected_numbered:
    sys.exit("%d posts of %d files, %d numbered (expected %d)" % (len(posts), files, numbered, expected_numbered))
print("notmuch default: %d messages" % files)
PY

# The 531 single messages of the corpus, each read as eml: not refused, one
# post, its id the Message-ID as Python's email reads it (the first <...>,
# else the value; the number "1" without one).  None is refused: a body in
# a charset nobody knows (ks_c_5601-1987 resolved by the WHATWG table,
# X-UNKNOWN read by the fallback) is a warning.
python3 - "$tc" "$mail" <<'PY' && ok || bad "the corpus read as eml"
import email, email.policy, json, os, re, subprocess, sys
tc, corpus = sys.argv[1:3]
failures, n = [], 0
for root, dirs, files in os.walk(corpus):
    dirs.sort()
    if os.path.relpath(root, corpus).split(os.sep)[0] == "mboxes":
        continue
    for name in sorted(files):
        path = os.path.join(root, name)
        rel = os.path.relpath(path, corpus)
        if rel == "SOURCES.md":
            continue
        n += 1
        r = subprocess.run([tc, "-q", "-f", "eml", "-t", "json", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        err = r.stderr.decode("utf-8", "replace").strip()
        if r.returncode != 0:
            failures.append("%s: exit %d: %s" % (rel, r.returncode, err[:300]))
            continue
        doc = json.loads(r.stdout)
        posts = [p for t in doc["threads"] for p in t["posts"]]
        data = open(path, "rb").read()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        value = str(msg.get("Message-ID") or "").strip()
        ids = re.findall(r"<([^<>\s]+)>", value)
        want_id = ids[0] if ids else value or "1"
        if len(posts) != 1 or posts[0]["id"] != want_id:
            failures.append("%s: %d posts, id %r, Python's Message-ID %r" % (rel, len(posts), posts[0]["id"] if posts else None, want_id))
for f in failures[:20]:
    print(f)
print("corpus as eml: %d files, %d failures" % (n, len(failures)))
sys.exit(1 if failures or n != 531 else 0)
PY

cli_done
