#!/bin/sh
# corpus.sh - real mail kept whole (issue 14): the shared mail corpus
# (../shared/corpus/mail, 531 real messages) through mbox -> mbox,
# mbox -> maildir -> mbox and mbox -> archive document -> mbox keeps every
# sender address, Message-ID, Subject, In-Reply-To, References and
# attachment, with Python's email package as the judge (corpus_judge.py);
# and notmuch finds in our Maildir the reply links it finds in the
# originals (notmuch_links.py).  The checks and the environment:
# tests/cli_lib.sh.
cli_name=plugins/mbox/tests/corpus.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"
command -v notmuch >/dev/null || die "notmuch is required (the Debian package notmuch)"

here="$THREADCONV_SRCDIR/plugins/mbox/tests"
mail="$THREADCONV_SHARED/corpus/mail"
[ -d "$mail" ] || die "$mail not found"
doc=$(doc_writer) || exit 1

mkdir "$tmp/judge"
if python3 "$here/corpus_judge.py" "$tc" "$mail" "$doc" "$tmp/judge" >"$tmp/judge.out" 2>&1; then
    ok
else
    bad "the corpus through the mail writers: $(cat "$tmp/judge.out")"
fi
mkdir "$tmp/notmuch"
if python3 "$here/notmuch_links.py" "$tc" "$mail/notmuch/test/corpora" "$tmp/notmuch" \
    >"$tmp/notmuch.out" 2>&1; then
    ok
else
    bad "notmuch's reply links: $(cat "$tmp/notmuch.out")"
fi

cli_done
