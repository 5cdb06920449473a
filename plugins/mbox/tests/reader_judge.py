#!/usr/bin/env python3
"""The mbox reader on real mail, with Python's email package as the judge
(nothing here comes from threadconv).

Usage: reader_judge.py THREADCONV CORPUS_MAIL_DIR WORK_DIR

1. Every single message of the corpus becomes an mbox of its own (a From_
   line in the message's own line ends, the message with mboxrd quoting, a
   blank line), read with `threadconv -f mbox -t json`.  Nothing may be
   refused, and the one post must have what Python's email reads in the
   message: the Message-ID (without <>) as its id, the From address as
   mbox.address, the decoded Subject (the thread's title, or mbox.subject
   when they differ), and as attachments, in order, every leaf part but
   the body (the first text/plain part that is not Content-Disposition:
   attachment): file name, media type and bytes (transfer-decoded;
   message/rfc822 parts: the same Message-ID and Subject inside).
2. Each source folder as one mbox of all its messages: nothing refused,
   one post per message.
3. The corpus mboxes: the number of messages MimeKit's tests give them.

Where the documented reading differs from Python's (the rules are in
doc/formats.md, "Reading"), this judge follows the documented rule:
  - the text of a CRLF message is read without its CRs (the mbox is CRLF);
  - quoted-printable loses the blanks at the end of a line (RFC 2045
    rule 3; Python keeps them);
  - bytes not valid in their charset: ours are the ISO-8859-1 characters
    of the same value, Python's U+FFFD: such names and subjects are not
    compared;
  - white space in a Subject is not compared (Python drops the blank
    between an encoded word and the text after it);
  - "a@b <c@d>" (an unquoted @ in the display name): the address in <>;
    an undecodable encoded word (=?NONE?...): Python leaves it encoded;
  - a multipart that has no boundary or no parts is its text (text/plain);
  - a nested multipart that reuses its parent's boundary: Python ends both
    at the inner closing line and drops the parts after it; we keep them,
    so Python's parts must be among ours, in order (REUSED below).
Prints one line per difference and a count; exits 1 on any."""
import base64
import email
import email.header
import email.policy
import email.utils
import json
import os
import re
import subprocess
import sys

tc, corpus, work = sys.argv[1:4]
compat = email.policy.compat32
SKIP = {"SOURCES.md", "README", ".gitattributes"}
# a nested multipart with its parent's boundary (checked by hand)
REUSED = {"pyemail/msg_15.txt", "pyemail/msg_39.txt", "spamscope/tests/mails/mail_malformed_1"}
# MimeKit's counts of messages (content-length.unix-offsets.json and its tests)
MBOXES = {"mimekit-content-length.mbox": 29, "mimekit-issue1189.mbox": 4,
          "mimekit-simple.mbox": 3, "mimekit-unmunged.mbox": 2}
FROM = re.compile(rb"^(>*From )", re.M)


def messages():
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        if os.path.relpath(root, corpus).split(os.sep)[0] == "mboxes":
            continue
        for name in sorted(files):
            path = os.path.join(root, name)
            if name in SKIP or os.path.getsize(path) == 0:
                continue
            data = open(path, "rb").read()
            if data.startswith(b"\xd0\xcf\x11\xe0"):  # an Outlook .msg
                continue
            yield os.path.relpath(path, corpus), data


def entry(data):
    """(the mboxrd entry, the message as Python reads it, CRLF?)"""
    if data.startswith(b"From ") and b"\n" in data and not re.match(rb"From \S+:", data):
        data = data.split(b"\n", 1)[1]  # it has a From_ line already
    crlf = data.split(b"\n", 1)[0].endswith(b"\r")
    eol = b"\r\n" if crlf else b"\n"
    body = FROM.sub(rb">\1", data)
    if not body.endswith(b"\n"):
        body += eol
        data += eol
    return b"From judge@corpus.invalid Thu Feb  4 21:33:59 2021" + eol + body + eol, data, crlf


def read(path):
    r = subprocess.run([tc, "-q", "-f", "mbox", "-t", "json", path], capture_output=True)
    if r.returncode != 0:
        return None, r.stderr.decode("utf-8", "replace").strip()
    return json.loads(r.stdout), None


def decoded(h):
    try:
        return str(email.header.make_header(email.header.decode_header(str(h))))
    except (LookupError, UnicodeError, email.errors.HeaderParseError):
        return None


def squash(s):
    return re.sub(r"\s+", "", s or "")


def leaves(m, out):
    if m.get_content_maintype() == "multipart" and m.is_multipart():
        for p in m.get_payload():
            leaves(p, out)
    elif not (m.get_content_maintype() == "multipart" and not (m.get_payload() or "").strip()):
        out.append(m)


def ctype(part):
    return "text/plain" if part.get_content_maintype() == "multipart" else part.get_content_type()


def raw_header(msg, name):
    for k, v in msg.raw_items():
        if k.lower() == name:
            return v
    return None


def wanted_parts(msg, dmsg, crlf):
    ls, dls = [], []
    leaves(msg, ls)
    leaves(dmsg, dls)
    body = next((k for k, p in enumerate(ls) if ctype(p) == "text/plain" and
                 (p.get("Content-Disposition") or "").split(";")[0].strip().lower()
                 != "attachment"), None)
    want = []
    for k, part in enumerate(ls):
        if k == body:
            continue
        names = set()
        for q in (part, dls[k] if len(dls) == len(ls) else None):
            try:
                n = q.get_filename() if q is not None else None
            except Exception:
                n = None
            names.add(decoded(n) or n or "" if n else "")
        cte = (part.get("Content-Transfer-Encoding") or "").strip().lower()
        if part.get_content_maintype() == "message":
            sub = None
            if part.get_content_type() == "message/rfc822" and part.get_payload():
                sub = part.get_payload(0)
            data = ("message", sub["Message-ID"] if sub is not None else None,
                    sub["Subject"] if sub is not None else None)
        else:
            data = part.get_payload(decode=True) or b""
            if crlf and cte != "base64":
                data = data.replace(b"\r\n", b"\n")
            if cte == "quoted-printable":  # with or without the blanks at line ends
                data = (data, re.sub(rb"[ \t]+\n", b"\n", data))
        want.append((names, ctype(part), data))
    return want


def same_part(g, w):
    name, typ, data = g
    names, wtyp, wdata = w
    if typ != wtyp or (name not in names and not any("\ufffd" in n for n in names)):
        return False
    if isinstance(wdata, tuple) and wdata[0] != "message":
        return data in wdata
    if isinstance(wdata, tuple):
        if wtyp != "message/rfc822" or (wdata[1] is None and wdata[2] is None and not data.strip()):
            return True
        sub = email.message_from_bytes(data, policy=compat)
        return (sub["Message-ID"], sub["Subject"]) == wdata[1:]
    return data == wdata


def judge(rel, data, problems):
    mbox, orig, crlf = entry(data)
    path = os.path.join(work, "one.mbox")
    open(path, "wb").write(mbox)
    doc, err = read(path)
    if doc is None:
        problems.append("%s: refused: %s" % (rel, err))
        return
    posts = [p for t in doc["threads"] for p in t["posts"]]
    if len(posts) != 1:
        problems.append("%s: %d posts, expected 1" % (rel, len(posts)))
        return
    post, title = posts[0], doc["threads"][0]["title"]
    msg = email.message_from_bytes(orig, policy=compat)
    dmsg = email.message_from_bytes(orig, policy=email.policy.default)
    out = []
    mid = msg["Message-ID"]
    if mid is not None:
        m = re.search(r"<([^>]*)>", str(mid))
        want = (m.group(1) if m else str(mid)).strip()
        if want and post["id"] != want:
            out.append("id %r, expected %r" % (post["id"], want))
    frm = raw_header(msg, "from")
    if frm is not None:
        frm = str(frm)
        addr = email.utils.parseaddr(frm)[1]
        accept = {addr}
        try:
            accept.add(email.utils.parseaddr(
                frm.encode("ascii", "surrogateescape").decode("utf-8"))[1])
        except UnicodeError:
            pass
        angle = re.search(r"<([^<>@\s]+@[^<>\s]+)>", frm)
        if angle:
            accept.add(angle.group(1))
        if addr and post.get("mbox.address") not in accept:
            out.append("address %r, expected %r" % (post.get("mbox.address"), addr))
    subj = raw_header(msg, "subject")
    if subj is not None:
        subj = str(subj)
        try:
            want = str(dmsg["Subject"])
        except Exception:
            want = None
        if want is None or "=?" in want or "\ufffd" in want:
            want = decoded(subj) if "=?" in subj else None
        ours = post.get("mbox.subject", title)
        undecodable = want is None or re.search("[\ufffd\udc80-\udcff]", want)
        if not undecodable and squash(ours) != squash(want):
            out.append("subject %r, expected %r" % (ours, want))
    got = [(a["name"], a["type"], base64.b64decode(a.get("data", "")))
           for a in post.get("attachments", [])]
    want = wanted_parts(msg, dmsg, crlf)
    if rel in REUSED:
        k = 0
        for g in got:
            if k < len(want) and same_part(g, want[k]):
                k += 1
        if k != len(want):
            out.append("Python's parts are not all among ours")
    elif len(got) != len(want):
        out.append("%d attachments %s, expected %d %s" % (
            len(got), [g[:2] for g in got], len(want), [(sorted(w[0]), w[1]) for w in want]))
    else:
        for i, (g, w) in enumerate(zip(got, want)):
            if not same_part(g, w):
                out.append("attachment %d: %r %s %d bytes, expected %s %s" % (
                    i + 1, g[0], g[1], len(g[2]), sorted(w[0]), w[1]))
    for o in out:
        problems.append("%s: %s" % (rel, o))


def main():
    problems = []
    n = 0
    sources = {}
    for rel, data in messages():
        n += 1
        judge(rel, data, problems)
        sources.setdefault(rel.split(os.sep)[0], []).append(data)
    for src, datas in sorted(sources.items()):
        path = os.path.join(work, src + ".mbox")
        with open(path, "wb") as f:
            for d in datas:
                f.write(entry(d)[0])
        doc, err = read(path)
        if doc is None:
            problems.append("%s as one mbox: refused: %s" % (src, err))
            continue
        got = sum(len(t["posts"]) for t in doc["threads"])
        if got != len(datas):
            problems.append("%s as one mbox: %d posts, expected %d" % (src, got, len(datas)))
    for name, count in sorted(MBOXES.items()):
        doc, err = read(os.path.join(corpus, "mboxes", name))
        got = sum(len(t["posts"]) for t in doc["threads"]) if doc else err
        if got != count:
            problems.append("mboxes/%s: %s posts, expected %d" % (name, got, count))
    for p in problems:
        print(p)
    print("reader_judge: %d messages, %d sources, %d mboxes; %d differences"
          % (n, len(sources), len(MBOXES), len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
