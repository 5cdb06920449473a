#!/usr/bin/env python3
"""Generate a large classic-layout Mumsnet thread for benchmarks.

Usage: gen_mumsnet.py SIZE_MB OUTPUT [--threads N]

Deterministic (fixed seed): the same arguments give the same bytes.  Posts
have UTF-8 text (curly quotes, accents, emoji, Hebrew), multi-paragraph
bodies, trailing spaces, empty bodies, and body lines starting with "From "
(which mbox writers must quote).  With --threads N, N files are written as
OUTPUT-0001.txt ... instead of one."""
import random
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

WORDS = ("the a school tree garden council police Skype teams biscuit kettle rota "
         "café naïve déjà vu don’t “quoted” — 👍 🎄 שלום well actually honestly "
         "weekend Monday allotment neighbour parking holiday").split()
NAMES = ["Daffodil%d" % i for i in range(40)] + ["TeaLeaf", "Mum_of_3", "Ünïcode_User", "x"]  # Mumsnet user names hold no spaces
DOW = "Mon Tue Wed Thu Fri Sat Sun".split()
MON = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def paragraph(rng):
    line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 60)))
    r = rng.random()
    if r < 0.03:
        line = "From " + line
    elif r < 0.05:
        line += "   "
    return line


def write_thread(out, rng, target, when):
    out.write("A generated thread for benchmarks — “quotes” and all\n\n")
    size = 0
    while size < target:
        when += timedelta(seconds=rng.randint(5, 400))
        local = when.astimezone(LONDON)
        header = "%s %s %02d-%s-%02d %02d:%02d:%02d\n\n" % (
            rng.choice(NAMES), DOW[local.weekday()], local.day, MON[local.month - 1],
            local.year % 100, local.hour, local.minute, local.second)
        if rng.random() < 0.02:
            body = ""
        else:
            body = "\n\n".join(paragraph(rng) for _ in range(rng.randint(1, 5))) + "\n"
        chunk = header + body + "\n"
        out.write(chunk)
        size += len(chunk.encode("utf-8"))
    return when


def main():
    size_mb = float(sys.argv[1])
    output = sys.argv[2]
    threads = 1
    if len(sys.argv) > 4 and sys.argv[3] == "--threads":
        threads = int(sys.argv[4])
    rng = random.Random(20261125)
    # Headers are UK wall-clock times of instants a few seconds to minutes
    # apart (so even a 1 GB thread stays within two-digit years); an hour the
    # October change repeats appears twice, as it would on a real thread.
    when = datetime(2021, 11, 1, 9, 0, 0, tzinfo=timezone.utc)
    target = int(size_mb * 1024 * 1024 / threads)
    if threads == 1:
        with open(output, "w", encoding="utf-8", newline="\n") as out:
            write_thread(out, rng, target, when)
    else:
        for n in range(1, threads + 1):
            with open("%s-%04d.txt" % (output, n), "w", encoding="utf-8", newline="\n") as out:
                when = write_thread(out, rng, target, when)


if __name__ == "__main__":
    main()
