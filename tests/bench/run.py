#!/usr/bin/env python3
"""Benchmark threadconv conversions: input MB/s and peak resident memory.

Usage: run.py --bin PATH/TO/threadconv [--size MB] [--runs N] [--workdir DIR]

Generates the inputs with gen_mumsnet.py (deterministic) once per size,
runs each conversion N times with output to /dev/null after one warm-up run
(so the input is in the page cache), and prints the median throughput and
the largest peak RSS, measured per run with wait4() (getrusage of that
child alone).  A benchmark, not a test: it asserts nothing."""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TIME = "/usr/bin/time"  # GNU time (Debian package "time")

PATHS = [
    # (label, reader, writer); inputs in formats other than mumsnet are made
    # from the generated mumsnet thread by threadconv itself, once.
    ("mumsnet -> json", "mumsnet", "json"),
    ("mumsnet -> jsonl", "mumsnet", "jsonl"),
    ("mumsnet -> xml", "mumsnet", "xml"),
    ("mumsnet -> mbox", "mumsnet", "mbox"),
    ("json -> json", "json", "json"),
    ("jsonl -> json", "jsonl", "json"),
    ("xml -> json", "xml", "json"),
    ("mbox -> json", "mbox", "json"),
]


def run_once(argv):
    """Wall time and peak RSS (KiB) of one run.  Peak RSS is measured by GNU
    time, not by wait4() here: a child forked from Python starts with
    Python's pages, and the kernel keeps that high-water mark across exec.
    Wall time is taken here, around it: GNU time's %e has 10 ms steps, too
    coarse for a 100 MB input converted in 0.15 s (its own start costs
    about a millisecond, counted against us)."""
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "TCBENCH %e %M"] + argv, stdout=null,
                              stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(argv), proc.stderr))
    last = proc.stderr.strip().splitlines()[-1].split()
    return wall, int(last[2])


def real_binary(path):
    """The binary behind a libtool wrapper script, with its library path set,
    so the wrapper's shell does not count in the memory figures."""
    inner = os.path.join(os.path.dirname(path), ".libs", os.path.basename(path))
    if os.path.exists(inner):
        # the library is built in core/, the command in cli/
        libs = os.path.join(os.path.dirname(path), "..", "core", ".libs")
        os.environ["LD_LIBRARY_PATH"] = libs + ":" + os.environ.get("LD_LIBRARY_PATH", "")
        return inner
    return path


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--size", type=float, default=100)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workdir", default="bench-out")
    args = ap.parse_args()
    if not os.access(TIME, os.X_OK):
        sys.exit("GNU time is needed for memory figures: apt-get install time")
    binary = real_binary(args.bin)
    os.makedirs(args.workdir, exist_ok=True)
    src = os.path.join(args.workdir, "mumsnet-%gMB.txt" % args.size)
    if not os.path.exists(src):
        print("generating %s ..." % src, file=sys.stderr)
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_mumsnet.py"),
                               str(args.size), src])
    mb = os.path.getsize(src) / 1e6
    print("machine: %s, %d cores; mumsnet input %.1f MB (other inputs: the same thread "
          "converted); median of %d runs, output to /dev/null" %
          (cpu_model(), os.cpu_count() or 0, mb, args.runs))
    print("| conversion | input MB/s | peak RSS (MB) |")
    print("|---|---:|---:|")
    speeds = {}
    listed = subprocess.run([binary, "--list"], capture_output=True, text=True).stdout
    have = {line.split()[0]: line.split()[1] for line in listed.splitlines() if line.strip()}
    inputs = {"mumsnet": src}
    for label, reader, writer in PATHS:
        if "r" not in have.get(reader, "") or "w" not in have.get(writer, ""):
            print("| %s | (no %s plugin) | |" % (label, reader if "r" not in have.get(reader, "") else writer))
            continue
        if reader not in inputs:
            path = os.path.join(args.workdir, "input-%gMB.%s" % (args.size, reader))
            if not os.path.exists(path):
                print("making %s ..." % path, file=sys.stderr)
                subprocess.check_call([binary, "-q", "-f", "mumsnet", "-t", reader, "-o", path, src])
            inputs[reader] = path
        source = inputs[reader]
        in_mb = os.path.getsize(source) / 1e6
        argv = [binary, "-q", "-f", reader, "-t", writer, source]
        run_once(argv)  # warm the page cache
        times, rss = [], []
        for _ in range(args.runs):
            t, r = run_once(argv)
            times.append(t)
            rss.append(r)
        speed = in_mb / statistics.median(times)
        speeds[label] = speed
        print("| %s | %.0f | %.1f |" % (label, speed, max(rss) / 1024))
    # What a user would otherwise write: a plain Python converter.
    argv = [sys.executable, os.path.join(HERE, "py_mumsnet_json.py"), src]
    run_once(argv)
    times, rss = [], []
    for _ in range(max(1, args.runs // 2)):
        t, r = run_once(argv)
        times.append(t)
        rss.append(r)
    py = mb / statistics.median(times)
    print("| mumsnet -> json, plain Python (py_mumsnet_json.py) | %.0f | %.1f |" % (py, max(rss) / 1024))
    print()
    print("threadconv mumsnet -> json is %.1fx the plain Python converter" %
          (speeds["mumsnet -> json"] / py))
    startup(binary, args.workdir)
    mime_parts(binary, args.workdir, args.runs)
    batch(binary, args.workdir, args.runs)


def best_of(argv, runs, **kw):
    """Shortest wall time of runs runs (start-up: the least disturbed one)."""
    best = None
    with open(os.devnull, "wb") as null:
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(argv, stdout=null, stderr=null, check=True, **kw)
            t = time.perf_counter() - t0
            best = t if best is None or t < best else best
    return best


def startup(binary, workdir):
    """threadconv --list (loads every plugin) and a one-post conversion
    (loads two), best of 50 runs each, in milliseconds."""
    one = os.path.join(workdir, "one-post.txt")
    with open(one, "w", encoding="utf-8") as f:
        f.write("A title\n\nSomeone Thu 04-Feb-21 21:33:59\n\nOne post.\n")
    print()
    print("| start-up | ms (best of 50) |")
    print("|---|---:|")
    print("| threadconv --list | %.1f |" % (1e3 * best_of([binary, "--list"], 50)))
    print("| one-post mumsnet -> json | %.1f |" %
          (1e3 * best_of([binary, "-f", "mumsnet", "-t", "json", one], 50)))
    print("| one-post, format probed | %.1f |" % (1e3 * best_of([binary, "-t", "json", one], 50)))


def mime_parts(binary, workdir, runs):
    """One mail message of 200,000 MIME parts (a text body and 200,000
    small base64 attachments, 21 MB) read by the mbox reader: its MIME
    walk is one pass over the message, so the time is that of any 21 MB
    (the walk once set the parts' fields one by one, quadratic: minutes)."""
    path = os.path.join(workdir, "mime-200000-parts.mbox")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("From a@example.org Thu Feb  4 21:33:59 2021\nFrom: a@example.org\n"
                    "Subject: parts\nMIME-Version: 1.0\n"
                    "Content-Type: multipart/mixed; boundary=\"b\"\n\n"
                    "--b\nContent-Type: text/plain\n\nthe body\n")
            for i in range(200000):
                f.write("--b\nContent-Type: application/octet-stream; name=\"p%d.bin\"\n"
                        "Content-Transfer-Encoding: base64\n\naGVsbG8=\n" % i)
            f.write("--b--\n")
    mb = os.path.getsize(path) / 1e6
    argv = [binary, "-q", "-f", "mbox", "-t", "json", path]
    run_once(argv)
    times, rss = [], []
    for _ in range(runs):
        t, r = run_once(argv)
        times.append(t)
        rss.append(r)
    t = statistics.median(times)
    print()
    print("| one message of 200,000 MIME parts (%.1f MB), mbox -> json | seconds | s per MB | "
          "peak RSS (MB) |" % mb)
    print("|---|---:|---:|---:|")
    print("| median of %d | %.2f | %.3f | %.1f |" % (runs, t, t / mb, max(rss) / 1024))


def batch(binary, workdir, runs):
    """Batch mode on 1,000 small threads (10 MB in all): -j 1 against -j 2.
    Each run writes into an empty directory, as a first conversion does, with
    the file system synced before it so one run's writeback does not fall
    into the next; -j 1 and -j 2 runs alternate so drift hits both alike."""
    small = os.path.join(workdir, "small")
    if not os.path.isdir(small):
        os.makedirs(small)
        print("generating 1000 small threads ...", file=sys.stderr)
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_mumsnet.py"), "10",
                               os.path.join(small, "t"), "--threads", "1000"])
    inputs = sorted(os.path.join(small, f) for f in os.listdir(small) if f.endswith(".txt"))
    out = os.path.join(workdir, "batch-out")
    print()
    print("| batch mode, %d small threads -> json, into an empty directory | seconds (median of %d) |"
          % (len(inputs), runs))
    print("|---|---:|")
    samples = {1: [], 2: []}
    with open(os.devnull, "wb") as null:
        for _ in range(runs):
            for j in (1, 2):
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                os.sync()
                argv = [binary, "-q", "-f", "mumsnet", "-t", "json", "--output-dir", out,
                        "-j", str(j)] + inputs
                t0 = time.perf_counter()
                subprocess.run(argv, stdout=null, stderr=null, check=True)
                samples[j].append(time.perf_counter() - t0)
    times = {j: statistics.median(samples[j]) for j in samples}
    for j in (1, 2):
        print("| -j %d | %.3f |" % (j, times[j]))
    print()
    print("-j 2 is %.2fx -j 1" % (times[1] / times[2]))


if __name__ == "__main__":
    main()
