#!/usr/bin/env python3
"""Generate a mailing-list style mbox: many threads, interleaved in time.

Usage: mbox_gen.py SIZE_MB OUTPUT [--seed N] [--crlf] [--tricky]

Deterministic (the same arguments give the same bytes).  Messages look like
other programs' mail (no X-Threadconv headers): Message-ID, In-Reply-To and
References chains (replies to recent messages mostly, some to old ones),
replies whose parent is missing from the file, replies without references
that only share the subject, replies before their parents, quoted-printable
and base64 bodies, ISO-8859-1 text, multipart/alternative with an HTML part,
RFC 2047 subjects and names, body lines starting with "From " (mboxrd
quoting), and mboxrd From_ lines.  With --tricky it adds what threading must
survive: duplicate Message-IDs, messages without one, self references,
references that disagree (loops), References longer than 64 ids, and
subjects that differ only in case, whitespace or a Re: prefix.  Used by
mbox.sh (memory on many small threads; the reader's index spilled to disk
gives the same archive as in memory) and as a benchmark input."""
import base64
import quopri
import random
import sys
from datetime import datetime, timedelta, timezone

WORDS = ("patch build kernel list review thanks merge branch commit test failure "
         "driver memory leak fix release note please see below attached log "
         "café naïve résumé über straße").split()
NAMES = ["Ann Example", "Bob Tester", "Chloé Dupont", "Dmitri K.", "Eve", "Frank O'Neil",
         "Grace Hopper", "Héloïse", "Ivan", "Jun Tanaka"]
DOW = "Mon Tue Wed Thu Fri Sat Sun".split()
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def body_text(rng):
    lines = []
    for _ in range(rng.randint(1, 25)):
        r = rng.random()
        if r < 0.04:
            lines.append("From " + words(rng, 1, 8))
        elif r < 0.06:
            lines.append(">From " + words(rng, 1, 5))
        elif r < 0.15:
            lines.append("")
        elif r < 0.30:
            lines.append("> " + words(rng, 2, 12))
        else:
            lines.append(words(rng, 2, 14))
    return "\n".join(lines) + "\n"


def encode_header(rng, text):
    if all(ord(c) < 128 for c in text) and rng.random() < 0.8:
        return text
    raw = text.encode("utf-8")
    if rng.random() < 0.5:
        return "=?UTF-8?B?%s?=" % base64.b64encode(raw).decode()
    q = ""
    for b in raw:
        ch = chr(b)
        if ch.isalnum() and b < 128:
            q += ch
        elif ch == " ":
            q += "_"
        else:
            q += "=%02X" % b
    return "=?utf-8?q?%s?=" % q


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    size = float(args[0]) * 1e6
    out_path = args[1]
    seed = 1
    crlf = "--crlf" in args
    tricky = "--tricky" in args
    if "--seed" in args:
        seed = int(args[args.index("--seed") + 1])
    rng = random.Random(seed)
    nl = "\r\n" if crlf else "\n"
    when = datetime(2019, 3, 1, 8, 0, 0, tzinfo=timezone.utc)
    msgs = []       # (id, subject, refs) of every message written so far
    threads = []    # indexes into msgs of recent thread members, per thread
    written = 0
    pending = None  # a reply held back so it comes before its parent
    serial = 0
    out = open(out_path, "wb")

    def emit(data):
        nonlocal written
        out.write(data)
        written += len(data)

    while written < size:
        serial += 1
        when += timedelta(seconds=rng.randint(1, 900))
        mid = "%d.%08x@list.example.org" % (serial, rng.getrandbits(32))
        refs = []
        irt = None
        r = rng.random()
        if not threads or r < 0.18:
            subject = "%s %d" % (words(rng, 2, 6), serial)
            threads.append([])
            th = len(threads) - 1
        else:
            # mostly recent threads, sometimes an old one
            th = len(threads) - 1 - min(int(rng.expovariate(1 / 6)), len(threads) - 1)
            if rng.random() < 0.03:
                th = rng.randrange(len(threads))
            members = threads[th]
            parent = msgs[rng.choice(members[-8:])] if members else None
            if parent is None:
                subject = "%s %d" % (words(rng, 2, 6), serial)
            else:
                subject = parent[1]
                chain = parent[2] + [parent[0]]
                k = rng.random()
                if k < 0.55:
                    refs = chain[-20:]
                    irt = parent[0]
                elif k < 0.75:
                    irt = parent[0]
                elif k < 0.85:
                    refs = chain[-3:]
                elif k < 0.90:
                    refs = ["gone.%d@elsewhere.example" % serial] + [parent[0]]
                    irt = parent[0]
                # else: no references at all: only the subject links it
        prefix = "" if not refs and irt is None and rng.random() < 0.5 else "Re: "
        if refs or irt or prefix:
            shown = prefix + subject if prefix and rng.random() < 0.9 else subject
        else:
            shown = subject
        if tricky:
            t = rng.random()
            if t < 0.01 and msgs:
                mid = rng.choice(msgs)[0]            # a duplicate Message-ID
            elif t < 0.02:
                mid = None                           # none at all
            elif t < 0.03:
                refs = refs + [mid]                  # names itself
            elif t < 0.04 and msgs:
                refs = [mid] + refs                  # a loop through itself
            elif t < 0.05:
                refs = ["r%d.%d@x.example" % (serial, i) for i in range(70)] + refs
            elif t < 0.06:
                shown = "  " + shown.upper() + "  "
            elif t < 0.07:
                shown = "Re: Re[2]: Fwd:  " + subject.replace(" ", "   ")
        name = rng.choice(NAMES)
        addr = name.split()[0].lower().replace("é", "e").replace("'", "") + "@example.org"
        local = when.astimezone(timezone(timedelta(minutes=rng.choice([0, 60, -300, 330]))))
        date = local.strftime("%a, %d %b %Y %H:%M:%S %z")
        hdrs = ["From: %s <%s>" % (encode_header(rng, name), addr),
                "To: list@example.org",
                "Date: " + date,
                "Subject: " + encode_header(rng, shown)]
        if mid is not None:
            hdrs.append("Message-ID: <%s>" % mid)
        if irt:
            hdrs.append("In-Reply-To: <%s>" % irt)
        if refs:
            folded = "References: " + "\n ".join("<%s>" % x for x in refs)
            hdrs.append(folded)
        if rng.random() < 0.3:
            hdrs.append("Cc: %s <cc@example.org>" % encode_header(rng, rng.choice(NAMES)))
        hdrs.append("MIME-Version: 1.0")
        text = body_text(rng)
        kind = rng.random()
        charset = "utf-8"
        if kind < 0.55:
            hdrs += ["Content-Type: text/plain; charset=utf-8",
                     "Content-Transfer-Encoding: 8bit"]
            body = text
        elif kind < 0.70:
            hdrs += ["Content-Type: text/plain; charset=\"utf-8\"",
                     "Content-Transfer-Encoding: quoted-printable"]
            body = quopri.encodestring(text.encode("utf-8")).decode("ascii")
        elif kind < 0.78:
            hdrs += ["Content-Type: text/plain; charset=utf-8",
                     "Content-Transfer-Encoding: base64"]
            b = base64.encodebytes(text.encode("utf-8")).decode("ascii")
            body = b
        elif kind < 0.88:
            hdrs += ["Content-Type: text/plain; charset=iso-8859-1",
                     "Content-Transfer-Encoding: 8bit"]
            body = text
            charset = "latin-1"
        else:
            bnd = "b%08x" % rng.getrandbits(32)
            hdrs += ["Content-Type: multipart/alternative;\n boundary=\"%s\"" % bnd]
            body = ("--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n"
                    "--%s\nContent-Type: text/html; charset=utf-8\n\n<p>%s</p>\n--%s--\n"
                    % (bnd, text, bnd, words(rng, 3, 9), bnd))
        # mboxrd quoting of the body
        qlines = []
        for ln in body.split("\n"):
            s = ln.lstrip(">")
            if s.startswith("From "):
                ln = ">" + ln
            qlines.append(ln)
        body = "\n".join(qlines)
        envelope = "From %s %s %s %2d %s %d" % (addr, DOW[local.weekday()], MON[local.month - 1],
                                               local.day, local.strftime("%H:%M:%S"), local.year)
        if not body.endswith("\n"):
            body += "\n"
        head = envelope + "\n" + "\n".join(hdrs) + "\n\n"
        msg = head.encode("utf-8") + body.encode(charset, "replace") + b"\n"
        if crlf:
            msg = msg.replace(b"\n", nl.encode())
        idx = len(msgs)
        chain = refs + ([irt] if irt and (not refs or refs[-1] != irt) else [])
        msgs.append((mid or "none.%d@x" % serial, subject, chain[-30:]))
        threads[th].append(idx)
        if len(threads) > 400:
            threads.pop(0)
        # now and then a message is held back and written after the next
        # one, which may be its reply
        if pending is not None:
            emit(msg)
            emit(pending)
            pending = None
        elif rng.random() < 0.02:
            pending = msg
        else:
            emit(msg)
    if pending is not None:
        emit(pending)
    out.close()


if __name__ == "__main__":
    main()
