#!/usr/bin/env python3
"""A plain Python standard-library converter for classic-layout Mumsnet text
to JSON: what a user would otherwise write.  The benchmark compares
threadconv with it.  Same output shape as threadconv's json writer (streamed
post by post, UK civil time via zoneinfo), without threadconv's checks.
A header line counts where the reader takes it for one: right after the
title or after a blank line, with no space or tab in the name.

Usage: py_mumsnet_json.py INPUT > OUTPUT"""
import json
import re
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

HEADER = re.compile(r"^(.+) (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d\d)-([A-Z][a-z]{2})-(\d\d) "
                    r"(\d\d):(\d\d):(\d\d)$")
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
LONDON = ZoneInfo("Europe/London")


def main():
    out = sys.stdout
    with open(sys.argv[1], encoding="utf-8") as f:
        title = f.readline().rstrip("\n")
        out.write('{"format":"threadconv","version":1,"threads":[{"title":%s,"source":"mumsnet",'
                  '"posts":[' % json.dumps(title, ensure_ascii=False))
        n = 0
        post = None
        body = []

        def flush():
            while body and body[-1] == "":
                body.pop()
            while body and body[0] == "":
                body.pop(0)
            post["body"] = "\n".join(body)
            out.write(("," if n > 1 else "") + json.dumps(post, ensure_ascii=False,
                                                          separators=(",", ":")))

        in_place = True  # right after the title, then after blank lines
        for line in f:
            line = line.rstrip("\n")
            m = HEADER.match(line)
            if m and (not in_place or " " in m.group(1) or "\t" in m.group(1)):
                m = None  # quoted after text, or a name with a space: body text
            in_place = line == ""
            if m:
                if post is not None:
                    flush()
                name, dd, mon, yy, hh, mi, ss = m.groups()
                when = datetime(2000 + int(yy), MONTHS[mon], int(dd), int(hh), int(mi),
                                int(ss), tzinfo=LONDON)
                n += 1
                post = {"id": str(n), "author": name, "date": when.isoformat()}
                body = []
            elif post is not None:
                body.append(line)
        if post is not None:
            flush()
        out.write("]}]}\n")


if __name__ == "__main__":
    main()
