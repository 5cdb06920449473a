#!/bin/sh
# reader_corpus.sh - the mbox reader on real mail (issue 14): every message
# of the shared mail corpus (../shared/corpus/mail, 531 real messages) as
# an mbox of its own, each source folder as one mbox, and the corpus
# mboxes, read to JSON and checked against Python's email package
# (reader_judge.py: ids, sender addresses, subjects, attachments' names,
# types and bytes; nothing refused; MimeKit's message counts).  The checks
# and the environment: tests/cli_lib.sh.
cli_name=plugins/mbox/tests/reader_corpus.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"

here="$THREADCONV_SRCDIR/plugins/mbox/tests"
mail="$THREADCONV_SHARED/corpus/mail"
[ -d "$mail" ] || die "$mail not found"
mkdir "$tmp/judge"
if python3 "$here/reader_judge.py" "$tc" "$mail" "$tmp/judge" >"$tmp/judge.out" 2>&1; then
    ok
else
    bad "the corpus through the mbox reader: $(cat "$tmp/judge.out")"
fi
tail -n 1 "$tmp/judge.out"

cli_done
