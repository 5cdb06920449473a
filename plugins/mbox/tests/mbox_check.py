#!/usr/bin/env python3
"""Check an mbox threadconv wrote from a classic Mumsnet thread with Python's
own mailbox and email modules, against an independent reading of the thread
(plugins/mumsnet/tests/oracle.py) -- nothing here comes from threadconv.

Usage: mbox_check.py THREAD.txt OUTPUT.mbox
Every message: From display name, Subject (the title; replies "Re: title"),
Date with its offset, Message-ID with "@", In-Reply-To and References naming
the first message (a flat forum), MIME headers, and the body (the post text
plus the final newline mail bodies end with).  Exits 1 at the first
difference."""
import email.policy
import mailbox
import os
import sys
from datetime import datetime

# the seed's independent reading lives beside the mumsnet module's tests
sys.path.insert(0, os.path.join(os.environ.get("THREADCONV_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")), "plugins", "mumsnet", "tests"))
from oracle import read_classic  # noqa: E402


def fail(msg):
    sys.exit("mbox_check: " + msg)


def main():
    title, posts = read_classic(sys.argv[1])
    box = mailbox.mbox(sys.argv[2], factory=None, create=False)
    msgs = [email.message_from_bytes(box.get_bytes(k), policy=email.policy.default)
            for k in box.keys()]
    if len(msgs) != len(posts):
        fail(f"expected {len(posts)} messages, Python read {len(msgs)}")
    first_id = None
    for i, (m, want) in enumerate(zip(msgs, posts), 1):
        frm = m["From"]
        if frm is None or len(frm.addresses) != 1:
            fail(f"message {i}: From: {frm!r}")
        addr = frm.addresses[0]
        if addr.display_name != want["author"]:
            fail(f"message {i}: From name {addr.display_name!r}, expected {want['author']!r}")
        if not addr.addr_spec.endswith(".invalid") or "@" not in addr.addr_spec:
            fail(f"message {i}: From address {addr.addr_spec!r}")
        subject = title if i == 1 else "Re: " + title
        if str(m["Subject"]) != subject:
            fail(f"message {i}: Subject {str(m['Subject'])!r}, expected {subject!r}")
        date = m["Date"].datetime
        if date.isoformat() != datetime.fromisoformat(want["date"]).isoformat():
            fail(f"message {i}: Date {date.isoformat()}, expected {want['date']}")
        mid = str(m["Message-ID"]).strip()
        if not (mid.startswith("<") and mid.endswith(">") and "@" in mid):
            fail(f"message {i}: Message-ID {mid!r}")
        if i == 1:
            first_id = mid
            if m["In-Reply-To"] is not None or m["References"] is not None:
                fail("message 1 has threading headers")
        else:
            if str(m["In-Reply-To"]).strip() != first_id:
                fail(f"message {i}: In-Reply-To {m['In-Reply-To']!r}, expected {first_id}")
            if str(m["References"]).split() != [first_id]:
                fail(f"message {i}: References {m['References']!r}, expected {first_id}")
        if m.get_content_type() != "text/plain" or m.get_content_charset() != "utf-8":
            fail(f"message {i}: Content-Type {m['Content-Type']!r}")
        if str(m["MIME-Version"]) != "1.0":
            fail(f"message {i}: no MIME-Version 1.0")
        body = m.get_content()
        if body != want["body"] + "\n":
            fail(f"message {i}: body {body!r}, expected {want['body'] + chr(10)!r}")
    ids = [str(m["Message-ID"]) for m in msgs]
    if len(set(ids)) != len(ids):
        fail("Message-IDs repeat")
    print(f"ok: {len(msgs)} messages match")


if __name__ == "__main__":
    main()
