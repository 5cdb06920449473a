#!/bin/sh
# trees.sh - tree inputs end to end, through the test tree reader
# (tests/plugins/testplugin.c, VARIANT_TREE: each member a post, *.txt a
# body, any other file an attachment): a folder, a .zip and a .tar.gz of
# the same files read identically, with -f and by probing (the reader's
# read_probe_tree sees the member list); files as bytes or as references
# (-O testtree.attachments=ref); hostile member names (../x, /etc/passwd,
# a symbolic link) refuse the whole input with the member named; a format
# that reads files refuses a folder.  The archives are made at run time
# with python3's zipfile and tarfile.
# The checks and the environment it needs: tests/cli_lib.sh.
# shellcheck disable=SC2034 # read by cli_lib.sh
cli_name=trees.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"
pd="$tmp/plugins"
mkdir "$pd" && ln -s "$THREADCONV_TEST_PLUGINS/tree_reader.so" "$pd/tree_reader.so" || die "plugin dir"
# tree_run ARGS...: threadconv with the test tree reader (its status is the
# command's; the caller checks it).
tree_run() { "$tc" --plugin-dir "$pd" "$@"; }

# The files: a chat, a nested note without a final newline, a binary
# "photo" (every byte value), an empty file.
mkdir -p "$tmp/export/media" "$tmp/export/notes" || die "mkdir"
printf 'first line\nsecond line\n' > "$tmp/export/chat.txt"
printf 'no final newline' > "$tmp/export/notes/b.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4)' > "$tmp/export/media/photo.jpg"
: > "$tmp/export/media/empty.bin"
python3 - "$tmp" <<'PY' || die "python3 could not make the archives"
import os, sys, tarfile, zipfile
tmp = sys.argv[1]
src = os.path.join(tmp, "export")
files = []
for root, dirs, names in os.walk(src):
    for n in names:
        files.append(os.path.relpath(os.path.join(root, n), src))
with zipfile.ZipFile(os.path.join(tmp, "export.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(files, reverse=True):  # stored in another order than sorted
        z.write(os.path.join(src, f), f)
with tarfile.open(os.path.join(tmp, "export.tar.gz"), "w:gz") as t:
    for f in files:
        t.add(os.path.join(src, f), f)
# hostile ones
with zipfile.ZipFile(os.path.join(tmp, "dotdot.zip"), "w") as z:
    z.writestr("chat.txt", "hello\n")
    z.writestr("../x", "escape\n")
with zipfile.ZipFile(os.path.join(tmp, "absolute.zip"), "w") as z:
    z.writestr("chat.txt", "hello\n")
    z.writestr("/etc/passwd", "root\n")
with tarfile.open(os.path.join(tmp, "link.tar.gz"), "w:gz") as t:
    t.add(os.path.join(src, "chat.txt"), "chat.txt")
    info = tarfile.TarInfo("media/link")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc/passwd"
    t.addfile(info)
PY

# The output: the format that writes archive documents (cli_lib.sh's
# doc_writer finds it by what it writes, not by its name).
doc=$(doc_writer) || exit 1
# The checks below read the attachments back, so the writer must keep them.
"$tc" --describe "$doc" | grep -q '^Attachments: *written$' ||
    die "the archive-document writer $doc does not keep attachments"

for input in export export.zip export.tar.gz; do
    if tree_run -f testtree -t "$doc" -o "$tmp/$input.doc" "$tmp/$input" 2>"$tmp/err"; then ok; else
        bad "-f testtree $input: $(cat "$tmp/err")"; fi
    if tree_run -t "$doc" -o "$tmp/$input.probed.doc" "$tmp/$input" 2>"$tmp/err" &&
       cmp -s "$tmp/$input.doc" "$tmp/$input.probed.doc"; then ok; else
        bad "probing $input: $(cat "$tmp/err")"; fi
done
cmp -s "$tmp/export.doc" "$tmp/export.zip.doc" && ok || bad "the folder and the zip read differently"
cmp -s "$tmp/export.doc" "$tmp/export.tar.gz.doc" && ok || bad "the folder and the tar.gz read differently"
# What the folder holds, worked out from the files written above.
python3 - "$tmp/export.doc" <<'PY' && ok || bad "the tree's posts are not the files"
import base64, json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
posts = doc["threads"][0]["posts"]
assert [p["id"] for p in posts] == ["chat.txt", "media/empty.bin", "media/photo.jpg", "notes/b.txt"], posts
assert posts[0]["body"] == "first line\nsecond line\n"
assert posts[3]["body"] == "no final newline"
for p in posts[1:3]:
    assert p["body"] == ""
    a, = p["attachments"]
    assert a["name"] == p["id"].split("/")[-1] and a["type"] == "application/octet-stream"
    want = b"" if p["id"].endswith(".bin") else bytes(range(256)) * 4
    assert a["size"] == len(want) and base64.b64decode(a["data"]) == want, a
for p in posts[0::3]:
    assert "attachments" not in p, p
PY
# Attachments as references: the same posts, no bytes.
tree_run -f testtree -t "$doc" -O testtree.attachments=ref -o "$tmp/refs.doc" "$tmp/export.zip" 2>"$tmp/err" &&
python3 - "$tmp/refs.doc" <<'PY' && ok || bad "attachments as references: $(cat "$tmp/err")"
import json, sys
posts = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]["posts"]
refs = [a for p in posts for a in p.get("attachments", [])]
assert [a["ref"] for a in refs] == ["media/empty.bin", "media/photo.jpg"], refs
for a in refs:
    assert "data" not in a, a
PY

# Hostile members refuse the whole input, naming the member.
expect_refusal() { # ARCHIVE TEXT
    if tree_run -f testtree -t "$doc" -o "$tmp/out.doc" "$tmp/$1" 2>"$tmp/err"; then
        bad "$1 was read"
    elif [ $? -ne 1 ] || ! grep -qF -- "$2" "$tmp/err"; then
        bad "$1: expected exit 1 and '$2', got: $(cat "$tmp/err")"
    elif [ -e "$tmp/out.doc" ]; then
        bad "$1: an output was left behind"
    else ok; fi
}
expect_refusal dotdot.zip "dotdot.zip:../x"
expect_refusal absolute.zip "absolute.zip:/etc/passwd"
expect_refusal link.tar.gz "link.tar.gz:media/link"

# A format that reads files refuses a folder with a message that says so.
mkdir "$tmp/plain" && ln -s "$THREADCONV_TEST_PLUGINS/good.so" "$tmp/plain/good.so"
if "$tc" --plugin-dir "$tmp/plain" -f testfmt -t testfmt "$tmp/export" >/dev/null 2>"$tmp/err"; then
    bad "a file format read a folder"
elif grep -qF "is a folder, and format 'testfmt' reads a file" "$tmp/err"; then ok; else
    bad "a folder for a file format: $(cat "$tmp/err")"; fi

cli_done
