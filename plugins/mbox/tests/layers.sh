#!/bin/sh
# layers.sh - the mbox module's files keep the layers mail.h describes:
# the writers (writer.h, write.c, maildir.c, build.c) include neither the
# reader's headers nor the library's mail decoders (threadconv/mail.h) and
# call no tc_mail_ function; the reader's files (the maildir and eml
# readers' tree.c, on the mbox reader, too) never include writer.h;
# the common layer (mail.h, mail.c, and the store both halves keep what
# grows in, store.h, store.c) includes neither half.
#
# Needs THREADCONV_SRCDIR (from make check's AM_TESTS_ENVIRONMENT).
set -u
[ -n "${THREADCONV_SRCDIR:-}" ] || { echo "FATAL: THREADCONV_SRCDIR is not set" >&2; exit 1; }
dir="$THREADCONV_SRCDIR/plugins/mbox"
status=0
# check FILE REGEX WHAT: FILE must have no line matching REGEX
check() {
    [ -f "$dir/$1" ] || { echo "FAIL: $1 is missing: update this test's file lists" >&2; status=1; return; }
    hit=$(grep -n -E "$2" "$dir/$1" | head -1)
    if [ -n "$hit" ]; then echo "FAIL: $1 $3: line $hit" >&2; status=1; fi
}
for f in writer.h write.c maildir.c build.c; do
    check "$f" '#include ["<](reader\.h|threadconv/mail\.h)|tc_mail_[a-z0-9_]*[ ]*\(' \
        "reaches into the reader"
done
for f in reader.h read.c index.c header.c mime.c envelope.c tree.h tree.c; do
    check "$f" '#include "writer\.h"' "reaches into the writers"
done
for f in mail.h mail.c; do
    check "$f" '#include "(reader|writer|store)\.h"' "includes a half of the module"
done
for f in store.h store.c; do
    check "$f" '#include ["<](reader\.h|writer\.h|mail\.h|threadconv/mail\.h)' \
        "includes a half of the module"
done
[ $status -eq 0 ] && echo "ok: the mbox module's writers and reader meet only in the common layer"
exit $status
