#!/usr/bin/env python3
"""Real mail kept whole: every message of the shared mail corpus goes
through threadconv's mail writers and comes back as it was, with Python's
email package as the judge -- nothing here comes from threadconv.

Usage: corpus_judge.py THREADCONV CORPUS_MAIL_DIR DOC_FORMAT WORK_DIR

Each corpus message becomes an mbox of its own (a From_ line, the message
byte for byte with mboxrd quoting, a blank line), and each source folder
one mbox of all its messages.  Each mbox goes through
  mbox -> mbox,  mbox -> maildir -> mbox,  mbox -> DOC_FORMAT -> mbox
and every message of the input must be in the output with the same sender
address, Message-ID, Subject, In-Reply-To, References, and attachments
(the parts with a file name: name, media type and the same bytes); and
mbox -> mbox -> DOC_FORMAT must equal mbox -> DOC_FORMAT.  Nothing may be
refused.  Prints one line per failure (the first few of each kind) and a
count; exits 1 when anything failed."""
import codecs
import email
import email.header
import email.policy
import email.utils
import os
import re
import subprocess
import sys

tc, corpus, doc_format, work = sys.argv[1:5]
policy = email.policy.compat32  # the raw values, as the sources hold them

# Not RFC 5322 messages, or not ours to judge (see the corpus's SOURCES.md).
SKIP_NAMES = {"SOURCES.md", "README", ".gitattributes"}


def messages():
    """(path, bytes) of every single message of the corpus, sorted."""
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        if os.path.relpath(root, corpus).split(os.sep)[0] == "mboxes":
            continue
        for name in sorted(files):
            path = os.path.join(root, name)
            if name in SKIP_NAMES or os.path.getsize(path) == 0:
                continue
            with open(path, "rb") as f:
                data = f.read()
            if data.startswith(b"\xd0\xcf\x11\xe0"):  # an Outlook .msg (OLE2)
                continue
            yield path, data


FROM_LINE = re.compile(rb"^(>*From )", re.M)


def without_from_line(data):
    """A message file that starts with a From_ line already: without it."""
    if data.startswith(b"From "):
        return data.split(b"\n", 1)[1] if b"\n" in data else b""
    return data


def as_mbox_entry(data):
    """One mboxrd entry: From_ line, the message quoted, a blank line."""
    crlf = data.split(b"\n", 1)[0].endswith(b"\r")
    eol = b"\r\n" if crlf else b"\n"
    body = FROM_LINE.sub(rb">\1", data)
    if not body.endswith(b"\n"):
        body += eol
    return b"From judge@corpus.invalid Thu Jan  1 00:00:00 1970" + eol + body + eol


def ids(value):
    return re.findall(r"<([^<>\s]+)>", value or "")


# Charset labels as the WHATWG Encoding Standard resolves them (what mail
# clients show), for the labels the corpus uses where Python's codec of
# the same name differs.
WHATWG = {"iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
          "us-ascii": "cp1252", "ascii": "cp1252", "gb2312": "gbk", "gb_2312-80": "gbk",
          "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "iso-8859-9": "cp1254",
          "tis-620": "cp874", "x-sjis": "shift_jis", "shift-jis": "shift_jis"}


def latin1_fallback(err):
    """A byte the charset cannot decode is the ISO-8859-1 character of that
    value (U+0080-U+00FF), as doc/formats.md says the reader does."""
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("tc_latin1", latin1_fallback)


def text_of(raw, charset):
    label = (charset or "").strip().lower()
    label = WHATWG.get(label, label)
    try:
        codecs.lookup(label or "utf-8")
    except LookupError:
        label = "latin-1"
    return raw.decode(label or "utf-8", "tc_latin1")


def decoded(value):
    """A header's text: encoded words decoded, raw 8-bit bytes as UTF-8
    (else ISO-8859-1), runs of white space as one space."""
    if value is None:
        return None
    if isinstance(value, email.header.Header):
        value = str(value)
    raw = value.encode("utf-8", "surrogateescape")  # decoded text (a file name) stays
    pieces = email.header.decode_header(raw.decode("latin-1"))
    if len(pieces) == 1 and pieces[0][1] is None and isinstance(pieces[0][0], str):
        pieces = [(raw, None)]
    text = ""
    for chunk, charset in pieces:
        if isinstance(chunk, str):
            chunk = chunk.encode("latin-1")
        text += text_of(chunk, charset if charset else "utf-8")
    return " ".join(text.split())


def attachments(msg):
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name is None:
            continue
        payload = part.get_payload(decode=True)
        if payload is None and part.get_content_type() == "message/rfc822":
            payload = part.get_payload(0).as_bytes() if part.get_payload() else b""
        found.append((decoded(name), part.get_content_type(), payload or b""))
    return sorted(found)


def identity(msg):
    """What must survive, for one message."""
    sender = email.utils.getaddresses(msg.get_all("From") or [])
    return {
        "from": sender[0][1] if sender else None,
        "message-id": (ids(msg.get("Message-ID")) or [None])[0],
        "subject": decoded(msg.get("Subject")),
        "in-reply-to": ids(msg.get("In-Reply-To")),
        "references": ids(msg.get("References")),
        "attachments": attachments(msg),
    }


def read_mbox(path):
    """The messages of an mbox, split at From_ lines as RFC 4155 says."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    for chunk in re.split(rb"(?m)^From [^\n]*\n", data)[1:]:
        chunk = re.sub(rb"(?m)^>(>*From )", rb"\1", chunk)
        out.append(email.message_from_bytes(chunk, policy=policy))
    return out


failures = {}


def fail(kind, text):
    failures.setdefault(kind, []).append(text)


def run(args, what):
    r = subprocess.run([tc, "-q"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        fail("refused", "%s: exit %d: %s" % (what, r.returncode,
                                             r.stderr.decode("utf-8", "replace").strip()[:300]))
        return False
    return True


def judge(name, originals, out_mbox, how):
    got = read_mbox(out_mbox)
    if len(got) != len(originals):
        fail("count", "%s %s: %d messages, expected %d" % (name, how, len(got), len(originals)))
    by_id = {}
    for m in got:
        by_id.setdefault(identity(m)["message-id"], []).append(identity(m))
    known = {identity(o)["message-id"] for o in originals}
    new_ids = [identity(m) for m in got if identity(m)["message-id"] not in known]
    for i, orig in enumerate(originals):
        want = identity(orig)
        if want["message-id"] is None:
            # a message without one may be given one (synthesised, as the
            # source lacks it): it is one of the output's messages whose id
            # no input message has
            cands = [dict(g, **{"message-id": None}) for g in new_ids]
        else:
            cands = by_id.get(want["message-id"], [])
        if not cands:
            fail("message-id", "%s %s: message %d: Message-ID %s not in the output"
                 % (name, how, i + 1, want["message-id"]))
            continue
        if want not in cands:
            have = cands[0]
            for key in want:
                if want[key] != have[key]:
                    w, h = repr(want[key])[:120], repr(have[key])[:120]
                    fail(key, "%s %s: message %d (%s): %s is %s, expected %s"
                         % (name, how, i + 1, want["message-id"], key, h, w))


def check(name, mbox, originals):
    base = os.path.join(work, re.sub(r"[^A-Za-z0-9.-]", "_", name))
    # mbox -> mbox
    if run(["-f", "mbox", "-t", "mbox", "-o", base + ".1.mbox", mbox], name + " mbox->mbox"):
        judge(name, originals, base + ".1.mbox", "mbox->mbox")
        # mbox -> mbox -> DOC equals mbox -> DOC
        if (run(["-f", "mbox", "-t", doc_format, "-o", base + ".a.doc", mbox], name + " mbox->doc") and
                run(["-f", "mbox", "-t", doc_format, "-o", base + ".b.doc", base + ".1.mbox"],
                    name + " mbox->mbox->doc")):
            with open(base + ".a.doc", "rb") as a, open(base + ".b.doc", "rb") as b:
                if a.read() != b.read():
                    fail("model", "%s: mbox->mbox->%s differs from mbox->%s"
                         % (name, doc_format, doc_format))
    # mbox -> maildir -> mbox
    if (run(["-f", "mbox", "-t", "maildir", "-o", base + ".md", mbox], name + " mbox->maildir") and
            run(["-f", "maildir", "-t", "mbox", "-o", base + ".2.mbox", base + ".md"],
                name + " maildir->mbox")):
        judge(name, originals, base + ".2.mbox", "mbox->maildir->mbox")
    # mbox -> DOC -> mbox
    if (run(["-f", "mbox", "-t", doc_format, "-o", base + ".c.doc", mbox], name + " mbox->doc") and
            run(["-f", doc_format, "-t", "mbox", "-o", base + ".3.mbox", base + ".c.doc"],
                name + " doc->mbox")):
        judge(name, originals, base + ".3.mbox", "mbox->%s->mbox" % doc_format)


sources = {}
n = 0
for path, data in messages():
    rel = os.path.relpath(path, corpus)
    data = without_from_line(data)
    entry = as_mbox_entry(data)
    sources.setdefault(rel.split(os.sep)[0], []).append((rel, data, entry))
    single = os.path.join(work, "single.mbox")
    with open(single, "wb") as f:
        f.write(entry)
    check(rel, single, [email.message_from_bytes(data, policy=policy)])
    n += 1
for source, items in sorted(sources.items()):
    whole = os.path.join(work, source + ".whole.mbox")
    with open(whole, "wb") as f:
        for _, _, entry in items:
            f.write(entry)
    check(source + " (whole)", whole, [email.message_from_bytes(d, policy=policy) for _, d, _ in items])

total = sum(len(v) for v in failures.values())
for kind, lines in sorted(failures.items()):
    print("%s: %d failures" % (kind, len(lines)))
    for line in lines[:5]:
        print("  " + line)
print("corpus_judge: %d messages, %d sources, %d failures" % (n, len(sources), total))
sys.exit(1 if total else 0)
