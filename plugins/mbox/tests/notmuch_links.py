#!/usr/bin/env python3
"""notmuch, as the outside judge of threading: the reply links it finds in
the Maildir threadconv writes from the notmuch corpus are the ones it
finds in the corpus's own files.

Usage: notmuch_links.py THREADCONV CORPUS_NOTMUCH_DIR WORK_DIR

The corpus folder (notmuch's own test corpora: LKML with long References
chains, ghost roots, a References loop, repeated Message-IDs) is copied
into WORK_DIR/orig and indexed there; its messages, as one mboxrd, go
through threadconv -t maildir into WORK_DIR/ours, indexed the same way.
A reply link is (parent Message-ID, child Message-ID) in the trees
`notmuch show --format=json` gives.  notmuch runs with a configuration of
this test's own (HOME and NOTMUCH_CONFIG inside WORK_DIR): nothing of the
user's is read or written."""
import json
import os
import re
import shutil
import subprocess
import sys

tc, corpus, work = sys.argv[1:4]
home = os.path.join(work, "home")
os.makedirs(home, exist_ok=True)


def notmuch(root, *args):
    config = os.path.join(work, os.path.basename(root) + ".config")
    if not os.path.exists(config):
        with open(config, "w") as f:
            f.write("[database]\npath=%s\n[user]\nname=Test\nprimary_email=test@example.invalid\n"
                    "[new]\ntags=\nignore=\n[search]\nexclude_tags=\n"
                    "[maildir]\nsynchronize_flags=false\n" % root)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
           "NOTMUCH_CONFIG": config, "XDG_CONFIG_HOME": os.path.join(home, ".config")}
    r = subprocess.run(["notmuch"] + list(args), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("notmuch %s in %s: %s" % (" ".join(args), root, r.stderr.decode()[:300]))
    return r.stdout


def links(root):
    notmuch(root, "new", "--quiet")
    found = set()

    def walk(node, parent):
        msg, replies = node
        mid = msg["id"] if msg else None
        if parent and mid:
            found.add((parent, mid))
        for r in replies:
            walk(r, mid)

    for thread in json.loads(notmuch(root, "show", "--format=json", "--body=false",
                                     "--entire-thread=true", "*")):
        for node in thread:
            walk(node, None)
    return found


orig = os.path.join(work, "orig")
shutil.copytree(corpus, orig)
mbox = os.path.join(work, "notmuch.mbox")
with open(mbox, "wb") as out:
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            if name == "README":
                continue
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            if data.startswith(b"From "):
                data = data.split(b"\n", 1)[1]
            if not data.endswith(b"\n"):
                data += b"\n"
            out.write(b"From judge@corpus.invalid Thu Jan  1 00:00:00 1970\n")
            out.write(re.sub(rb"(?m)^(>*From )", rb">\1", data) + b"\n")
ours = os.path.join(work, "ours")
r = subprocess.run([tc, "-q", "-f", "mbox", "-t", "maildir", "-o", ours, mbox],
                   stderr=subprocess.PIPE)
if r.returncode != 0:
    sys.exit("threadconv -t maildir: exit %d: %s" % (r.returncode, r.stderr.decode()[:300]))
want, got = links(orig), links(ours)
missing, extra = sorted(want - got), sorted(got - want)
print("notmuch_links: %d reply links in the corpus, %d in ours, %d missing, %d extra"
      % (len(want), len(got), len(missing), len(extra)))
for p, c in missing[:5]:
    print("  missing: %s -> %s" % (p, c))
for p, c in extra[:5]:
    print("  extra: %s -> %s" % (p, c))
sys.exit(1 if missing or extra or not want else 0)
