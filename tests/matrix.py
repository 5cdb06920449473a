#!/usr/bin/env python3
"""matrix.py - the round-trip matrix, the chains and input detection.

For every fixture F and every format W that `threadconv --list` shows with
both a reader and a writer:

    F -> W -> (reader of W) -> HUB   must equal   F -> HUB

field by field: titles, sources, ids, urls, extra fields, authors, dates and
their offsets, bodies byte for byte, parents.  What W cannot carry is read
from the table "What each format keeps" in README.md (no second list here):

    ✓    kept: compared on every run
    (✓)  kept when the format can show the value; otherwise the writer refuses
         the input (exit status 1).  Compared when the writer accepted it.
    ✗    not kept: not compared (the note in the table says what happens)

A refusal is checked, not excused: when W refuses, W must declare a `lossy`
option whose run then succeeds, keeps every ✓ column and differs from F in
some ✗ or (✓) column (so the refusal protected something); when the lossy
run refuses too, the input must have what the table says W cannot hold at
all (a post without a date).  Columns "several threads", "threads without
posts" and "archives without threads" marked ✗ make the test feed W one
thread at a time (taken from F -> HUB) and leave out threads without posts
and archives without threads.

Chains: each seed and conformance case F, of format R, through every other
format that reads and writes (in name order), then the hub, equals F -> HUB,
comparing the columns every format of the chain keeps.  The formats are
those `threadconv --list` shows: nothing here names one, not even the hub
every result is compared in (the format whose output Python's json module
reads as threadconv's JSON document).

Detection: every fixture and every file the matrix writes is converted
without -f, from the file and from standard input (a folder a directory
writer wrote: from the folder), and must give what -f with its format
gives.

Usage: matrix.py README.md   (THREADCONV_BIN, THREADCONV_TESTDATA and
THREADCONV_SHARED in the environment).
"""

import json
import os
import re
import subprocess
import sys
import tempfile

BIN = os.environ["THREADCONV_BIN"]
HUB = None  # the format every result is compared in: see find_hub
DATA = os.environ["THREADCONV_TESTDATA"]
SHARED = os.environ["THREADCONV_SHARED"]
README = sys.argv[1]

failures = []
checks = 0
notes = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def run(args, stdin=None):
    p = subprocess.run([BIN] + args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace").strip()


# ------------------------------------------------------------ the table

KEPT, IF_SHOWABLE, NOT_KEPT = "✓", "(✓)", "✗"

THREAD_COLUMNS = ["title", "source", "thread id", "thread url", "thread extras"]
POST_COLUMNS = ["post ids", "authors", "dates", "posts without a date", "date offsets",
                "bodies", "parents", "post extras"]
STRUCTURE_COLUMNS = ["archives without threads", "several threads", "threads without posts"]
ALL_COLUMNS = STRUCTURE_COLUMNS + THREAD_COLUMNS + POST_COLUMNS


def read_table(path):
    """{format: {column: mark}} from the README table under "What each format keeps"."""
    lines = open(path, encoding="utf-8").read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if re.match(r"^#+ What each format keeps\s*$", line):
            start = i
            break
    if start is None:
        sys.exit("README.md has no heading 'What each format keeps'")
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    if len(rows) < 3:
        sys.exit("README.md: the table under 'What each format keeps' is missing")
    header = rows[0]
    if header[0] != "format" or sorted(header[1:]) != sorted(ALL_COLUMNS):
        sys.exit("README.md table columns are %s; expected format and %s" % (header, ALL_COLUMNS))
    table = {}
    for row in rows[2:]:
        name = row[0].strip("`")
        marks = {}
        for col, cell in zip(header[1:], row[1:]):
            if cell.startswith(IF_SHOWABLE):
                marks[col] = IF_SHOWABLE
            elif cell.startswith(KEPT):
                marks[col] = KEPT
            elif cell.startswith(NOT_KEPT):
                marks[col] = NOT_KEPT
            else:
                sys.exit("README.md table: %s / %s is '%s'; expected ✓, (✓) or ✗" % (name, col, cell))
        if len(marks) != len(ALL_COLUMNS):
            sys.exit("README.md table: row %s has %d cells, expected %d" % (name, len(marks), len(ALL_COLUMNS)))
        table[name] = marks
    return table


# ---------------------------------------------------------- comparison

ISO = re.compile(r"^([+-]?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)$")


def days_from_civil(y, m, d):
    # Gregorian calendar, counted without any library (an independent oracle).
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def instant(iso):
    """(UTC seconds, offset minutes) of an ISO 8601 date as the hub writes it."""
    m = ISO.match(iso)
    if not m:
        raise ValueError("not a date as the hub writes it: %r" % iso)
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    off = (int(m.group(8)) * 60 + int(m.group(9))) * (1 if m.group(7) == "+" else -1)
    local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    return local - off * 60, off


THREAD_MODEL = {"title", "source", "id", "url", "posts"}
POST_MODEL = {"id", "author", "date", "body", "parent"}


def extras(obj, model):
    return [(k, v) for k, v in obj.items() if k not in model]


def differences(want, got):
    """{column: [what differs, ...]} between two hub documents with the same threads."""
    diffs = {}

    def add(col, what):
        diffs.setdefault(col, []).append(what)

    wt, gt = want["threads"], got["threads"]
    if len(wt) != len(gt):
        add("several threads", "%d threads, expected %d" % (len(gt), len(wt)))
        return diffs
    for i, (w, g) in enumerate(zip(wt, gt)):
        where = "threads[%d]" % i
        for col, key in (("title", "title"), ("source", "source"), ("thread id", "id"),
                         ("thread url", "url")):
            if w.get(key) != g.get(key):
                add(col, "%s.%s: %r, expected %r" % (where, key, g.get(key), w.get(key)))
        if extras(w, THREAD_MODEL) != extras(g, THREAD_MODEL):
            add("thread extras", "%s: %r, expected %r" % (where, extras(g, THREAD_MODEL),
                                                          extras(w, THREAD_MODEL)))
        wp, gp = w["posts"], g["posts"]
        if len(wp) != len(gp):
            add("threads without posts" if not wp or not gp else "posts",
                "%s: %d posts, expected %d" % (where, len(gp), len(wp)))
            continue
        for j, (a, b) in enumerate(zip(wp, gp)):
            pw = "%s.posts[%d]" % (where, j)
            for col, key in (("post ids", "id"), ("authors", "author"), ("bodies", "body"),
                             ("parents", "parent")):
                if a.get(key) != b.get(key):
                    add(col, "%s.%s: %r, expected %r" % (pw, key, b.get(key), a.get(key)))
            if a["date"] is None:
                if b["date"] is not None:
                    add("posts without a date", "%s.date: %r, expected null" % (pw, b["date"]))
            elif b["date"] is None:
                add("dates", "%s.date: null, expected %r" % (pw, a["date"]))
            else:
                (ua, oa), (ub, ob) = instant(a["date"]), instant(b["date"])
                if ua != ub:
                    add("dates", "%s.date: %s, expected %s" % (pw, b["date"], a["date"]))
                elif oa != ob:
                    add("date offsets", "%s.date: %s, expected %s" % (pw, b["date"], a["date"]))
            if extras(a, POST_MODEL) != extras(b, POST_MODEL):
                add("post extras", "%s: %r, expected %r" % (pw, extras(b, POST_MODEL),
                                                            extras(a, POST_MODEL)))
    return diffs


# ------------------------------------------------------------- fixtures

# The format of a fixture: the folder it is in when that is named after a
# format (tests/data/FORMAT/...), else the format whose usual extension
# (threadconv --describe) it has.  Filled in by main() from the registry.
EXT_FORMAT = {}
FORMAT_NAMES = set()


def fixture_format(path):
    parent = os.path.basename(os.path.dirname(path))
    if parent in FORMAT_NAMES:
        return parent
    return EXT_FORMAT.get(path.rsplit(".", 1)[-1])


def fixtures():
    found = [os.path.join(SHARED, "seeds", f) for f in sorted(os.listdir(os.path.join(SHARED, "seeds")))]
    conf = os.path.join(SHARED, "conformance")
    for fmt in sorted(os.listdir(conf)):
        if os.path.isdir(os.path.join(conf, fmt)):
            found += [os.path.join(conf, fmt, f) for f in sorted(os.listdir(os.path.join(conf, fmt)))
                      if ".expected." not in f]
    for root, dirs, files in sorted(os.walk(DATA)):
        dirs.sort()
        for f in sorted(files):
            found.append(os.path.join(root, f))
    return found


# ---------------------------------------------------------------- main

def main():
    global checks
    table = read_table(README)
    rc, out, err = run(["--list"])
    if rc != 0:
        sys.exit("threadconv --list failed: " + err)
    modes = {}
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            modes[parts[0]] = parts[1]
    # The hub: the format that reads and writes threadconv's JSON document,
    # found by what it writes (Python's json module reads it as one), not by
    # its name; every result is compared in it.
    global HUB
    seed = sorted(os.listdir(os.path.join(SHARED, "seeds")))[0]
    for f in sorted(f for f, m in modes.items() if m == "rw"):
        rc, out, _ = run(["-t", f, os.path.join(SHARED, "seeds", seed)])
        try:
            doc = json.loads(out.decode("utf-8")) if rc == 0 else None
        except ValueError:
            doc = None
        if isinstance(doc, dict) and doc.get("format") == "threadconv" and "threads" in doc:
            HUB = f
            break
    if HUB is None:
        sys.exit("matrix: no format reads and writes threadconv's JSON document (--list: %s)"
                 % modes)
    print("matrix: the hub, in which results are compared, is %s" % HUB)
    FORMAT_NAMES.update(modes)
    formats = sorted(f for f, m in modes.items() if m == "rw")
    for f in formats:
        if f not in table:
            notes.append("format %s is built but README.md's table has no row for it: "
                         "not in the matrix" % f)
    formats = [f for f in formats if f in table]
    lossy = {}
    for f in sorted(modes):
        rc, out, _ = run(["--describe", f])
        lossy[f] = ("%s.lossy=" % f) in out.decode()
        m = re.search(r"^Extension:\s+\.(\S+)$", out.decode(), re.M)
        if m and modes[f] != "w":
            EXT_FORMAT.setdefault(m.group(1), f)
    print("matrix: formats %s" % ", ".join(formats))

    tmp = tempfile.mkdtemp(prefix="tc-matrix.")
    counter = [0]

    def tmpfile(suffix):
        counter[0] += 1
        return os.path.join(tmp, "%04d.%s" % (counter[0], suffix))

    def to_json(path, fmt):
        rc, out, err = run(["-f", fmt, "-t", HUB, path])
        if rc != 0:
            return None, err
        return json.loads(out.decode("utf-8")), None

    written = []  # (path, format) of every file the matrix wrote, for detection

    def detect(path, fmt):
        global checks
        rc, want, err = run(["-f", fmt, "-t", HUB, path])
        if rc != 0:
            fail("%s: -f %s failed: %s" % (path, fmt, err))
            return
        if (os.path.getsize(path) == 0 if os.path.isfile(path)
                else not any(files for _, _, files in os.walk(path))):
            notes.append("%s (%s): empty, so there is nothing to detect; read with -f" % (os.path.basename(path), fmt))
            return
        rc, got, err = run(["-t", HUB, path])
        checks += 1
        if rc != 0 or got != want:
            fail("detection of %s (%s) from the file: %s" % (path, fmt, err or "a different result"))
        if os.path.isdir(path):
            return  # a folder (a directory writer's output) has no standard input form
        with open(path, "rb") as f:
            rc, got, err = run(["-t", HUB], stdin=f)
        checks += 1
        if rc != 0 or got != want:
            fail("detection of %s (%s) from stdin: %s" % (path, fmt, err or "a different result"))

    # ---- fixtures and what they read as
    cases = []
    for path in fixtures():
        fmt = fixture_format(path)
        if fmt not in formats:
            notes.append("%s: no built reader for it (%s); not a matrix input" % (os.path.relpath(path, DATA), fmt))
            continue
        doc, err = to_json(path, fmt)
        if doc is None:
            # Inputs that are meant to fail are tested by their readers' tests.
            notes.append("%s: does not read as %s (%s); not a matrix input" % (os.path.basename(path), fmt, err.splitlines()[-1]))
            continue
        cases.append((path, fmt, doc))
        detect(path, fmt)
    must_read = [os.path.join(SHARED, "seeds"), os.path.join(SHARED, "conformance"),
                 os.path.join(DATA, "matrix")]
    for path in fixtures():
        if any(path.startswith(d + os.sep) for d in must_read) and not any(c[0] == path for c in cases):
            fail("%s does not read: a required fixture" % path)
    print("matrix: %d fixtures" % len(cases))

    # ---- the matrix
    def compare(label, want, got, marks, lossy_run):
        """Fail on differences in kept columns; return the differing columns."""
        global checks
        diffs = differences(want, got)
        for col, items in sorted(diffs.items()):
            mark = marks.get(col, KEPT)  # "posts": always kept
            if mark == KEPT or (mark == IF_SHOWABLE and not lossy_run):
                fail("%s: %s is marked %s but differs: %s" % (label, col, mark, "; ".join(items[:3])))
        checks += 1
        return diffs

    def has_dateless_post(doc):
        return any(p["date"] is None for t in doc["threads"] for p in t["posts"])

    pairs = 0
    for path, fmt, doc in cases:
        for w in formats:
            marks = table[w]
            units = []
            threads = doc["threads"]
            if marks["several threads"] == NOT_KEPT and len(threads) != 1:
                for i, t in enumerate(threads):
                    unit = tmpfile(HUB)
                    with open(unit, "w", encoding="utf-8") as f:
                        json.dump({"format": "threadconv", "version": 1, "threads": [t]}, f,
                                  ensure_ascii=False)
                    units.append((unit, HUB, {"format": "threadconv", "version": 1, "threads": [t]},
                                  "%s threads[%d]" % (os.path.basename(path), i)))
            else:
                units.append((path, fmt, doc, os.path.basename(path)))
            if marks["threads without posts"] == NOT_KEPT:
                units = [u for u in units if all(t["posts"] for t in u[2]["threads"])]
            if marks["archives without threads"] == NOT_KEPT:
                units = [u for u in units if u[2]["threads"]]
            for unit, ufmt, want, name in units:
                pairs += 1
                label = "%s -> %s" % (name, w)
                out = tmpfile(w)
                rc, data, err = run(["-f", ufmt, "-t", w, "-o", out, unit])
                if rc == 0:
                    got, gerr = to_json(out, w)
                    if got is None:
                        fail("%s: the %s reader cannot read what the %s writer wrote: %s" % (label, w, w, gerr))
                        continue
                    compare(label, want, got, marks, False)
                    written.append((out, w))
                    continue
                if rc != 1:
                    fail("%s: exit status %d (%s)" % (label, rc, err))
                    continue
                # A refusal: it must protect something the table says W cannot hold.
                if lossy[w]:
                    rc, data, lerr = run(["-f", ufmt, "-t", w, "-O", w + ".lossy=true", "-o", out, unit])
                    if rc == 0:
                        got, gerr = to_json(out, w)
                        if got is None:
                            fail("%s (lossy): the reader cannot read it: %s" % (label, gerr))
                            continue
                        diffs = compare(label + " (lossy)", want, got, marks, True)
                        if not any(marks.get(c) in (NOT_KEPT, IF_SHOWABLE) for c in diffs):
                            fail("%s: refused (%s), yet the lossy run loses nothing" % (label, err))
                        written.append((out, w))
                        continue
                    err = lerr
                if marks["posts without a date"] == NOT_KEPT and has_dateless_post(want):
                    checks += 1
                    continue
                fail("%s: refused without a cause the table gives: %s" % (label, err))
    print("matrix: %d conversions through a writer" % pairs)

    # ---- chains: each seed and conformance case through every other format
    # that reads and writes, one after the other, then back to the hub.
    n_chain = 0
    described = set()
    for path, fmt, doc in cases:
        if not (path.startswith(os.path.join(SHARED, "seeds") + os.sep) or
                path.startswith(os.path.join(SHARED, "conformance") + os.sep)):
            continue
        chain = [f for f in formats if f not in (HUB, fmt)]
        keep = [c for c in THREAD_COLUMNS + POST_COLUMNS
                if all(table[f][c] != NOT_KEPT for f in chain)]
        marks = {c: (KEPT if c in keep else NOT_KEPT) for c in ALL_COLUMNS}
        prev, prev_fmt = path, fmt
        ok = True
        for f in chain:
            out = tmpfile(f)
            rc, _, err = run(["-f", prev_fmt, "-t", f, "-o", out, prev])
            if rc != 0:
                fail("chain %s: %s -> %s: %s" % (os.path.basename(path), prev_fmt, f, err))
                ok = False
                break
            prev, prev_fmt = out, f
        if not ok:
            continue
        got, err = to_json(prev, prev_fmt)
        if got is None:
            fail("chain %s: reading the last step: %s" % (os.path.basename(path), err))
            continue
        label = "%s -> %s -> %s" % (fmt, " -> ".join(chain), HUB)
        compare("chain %s: %s" % (os.path.basename(path), label), doc, got, marks, False)
        n_chain += 1
        if label not in described:
            described.add(label)
            print("matrix: chain %s (columns compared: %s)" % (label, ", ".join(keep)))
    print("matrix: chains over %d fixtures" % n_chain)
    if n_chain == 0:
        fail("no chain ran: the seeds and conformance cases did not read")

    # ---- detection of everything the matrix wrote, and an ambiguous input
    for out, w in written:
        detect(out, w)
    for n in notes:
        print("note: " + n)
    print("matrix: %d checks, %d failures" % (checks, len(failures)))
    subprocess.run(["rm", "-rf", tmp])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
