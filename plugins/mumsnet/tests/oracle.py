#!/usr/bin/env python3
"""An independent reading of a classic-layout Mumsnet thread, used as the
oracle for end-to-end tests: written from the format's description with
Python's standard library only (re, zoneinfo for UK civil time), sharing no
code with the C reader.

Usage: oracle.py THREAD.txt CONVERTED.json
Checks that CONVERTED.json (threadconv's json output) holds exactly the
title, authors, dates (with UK offsets) and bodies this script reads from
THREAD.txt.  Exits 1 with the first difference."""
import json
import re
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

HEADER = re.compile(r"^(.+) (Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d\d)-([A-Z][a-z]{2})-(\d\d) "
                    r"(\d\d):(\d\d):(\d\d)$")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
LONDON = ZoneInfo("Europe/London")


def read_classic(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    title = next(l for l in lines if l != "")
    posts = []
    # A header only in a header's place (the first line, after a blank line,
    # right after the title) and with no space or tab in the name.
    in_place, text_lines = True, 0
    for line in lines:
        m = HEADER.match(line)
        if m and (not in_place or " " in m.group(1) or "\t" in m.group(1)):
            m = None
        text_lines += line != ""
        in_place = line == "" or (not posts and not m and text_lines == 1)
        if m:
            name, _dow, dd, mon, yy, hh, mi, ss = m.groups()
            local = datetime(2000 + int(yy), MONTHS.index(mon) + 1, int(dd),
                             int(hh), int(mi), int(ss), tzinfo=LONDON)
            posts.append({"author": name, "date": local.isoformat(), "lines": []})
        elif posts:
            posts[-1]["lines"].append(line)
    for p in posts:
        body = p.pop("lines")
        while body and body[0] == "":
            body.pop(0)
        while body and body[-1] == "":
            body.pop()
        p["body"] = "\n".join(body)
    return title, posts


def main():
    title, posts = read_classic(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        doc = json.load(f)
    threads = doc["threads"]
    if len(threads) != 1:
        sys.exit(f"expected 1 thread, got {len(threads)}")
    got = threads[0]
    if got["title"] != title:
        sys.exit(f"title: expected {title!r}, got {got['title']!r}")
    if len(got["posts"]) != len(posts):
        sys.exit(f"expected {len(posts)} posts, got {len(got['posts'])}")
    for i, (want, have) in enumerate(zip(posts, got["posts"]), 1):
        for key in ("author", "date", "body"):
            if want[key] != have[key]:
                sys.exit(f"post {i} {key}: expected {want[key]!r}, got {have[key]!r}")
        if have["id"] != str(i):
            sys.exit(f"post {i} id: expected {str(i)!r}, got {have['id']!r}")
    print(f"ok: {len(posts)} posts match")


if __name__ == "__main__":
    main()
