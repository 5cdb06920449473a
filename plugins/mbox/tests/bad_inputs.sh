# bad_inputs.sh - the mbox module's rows of the README's "Bad inputs"
# table, sourced by tests/bad_inputs.sh: row, $in and the rest used here
# are the harness's (see there).
# shellcheck shell=sh disable=SC2154 # $in and the rest are the harness's

# ------------------------------------------------------------- binary
row "random bytes (-f mbox)" 1 16 \
    "threadconv: random.bin:1: no From_ line found: expected a From_ line like \"From sender@example.org Thu Feb  4 21:33:59 2021\"" \
    random.bin -f mbox

# ----------------------------------------------------- a 100 MB line
{ printf 'From a@b Thu Feb  4 21:33:59 2021\nFrom: a@b\nSubject: s\n\n'; a100; printf '\n'; } \
    >"$in/long.mbox"
row "100 MB line (mbox)" 1 200 "threadconv: long.mbox:5: $line_msg" long.mbox
rm -f "$in/long.mbox"

# A message of its own file (eml): the line is named in that file.
{ printf 'From: a@b\nSubject: s\n\n'; a100; printf '\n'; } >"$in/long.eml"
row "100 MB line (eml)" 1 200 "threadconv: long.eml:4: $line_msg" long.eml
rm -f "$in/long.eml"

# ------------------------------------------------------------- messages
# A Maildir is a folder (or an archive of one), never a file.
printf 'From: a@b.invalid\nSubject: hello\n\nbody\n' >"$in/one.eml"
row "a file given to -f maildir" 1 16 \
    "threadconv: one.eml: a plain file, not a Maildir: expected a folder (or a .zip or .tar of one) with cur/ and new/ folders; -f eml reads a file that holds one message" \
    one.eml -f maildir

printf 'From: a@b.invalid\nSubject: hello\n\nbody\n' >"$in/no-from.mbox"
row "mbox without a From_ line" 1 16 \
    "threadconv: no-from.mbox:1: no From_ line found: expected a From_ line like \"From sender@example.org Thu Feb  4 21:33:59 2021\"" \
    no-from.mbox -f mbox
mail_head='From a@b Thu Feb  4 21:33:59 2021\nFrom: Ann <a@b>\nSubject: s\nDate: Thu, 04 Feb 2021 21:33:59 +0000\n'
# Bad base64 and an unknown charset would lose or garble text: errors that
# name the message (--keep-going skips just that message).  Undecodable
# bytes in a known charset stay a warning with the documented Latin-1
# fallback (issue 4): the corpus rows test that.
printf "${mail_head}Content-Transfer-Encoding: base64\n\n!!!! this is *not* base64 ~~~~\n" \
    >"$in/base64.mbox"
row "base64 body that is not base64" 1 16 \
    "threadconv: base64.mbox:1: message 1: the body is declared base64 but 10 characters are not base64: expected A-Z a-z 0-9 + / =" \
    base64.mbox
printf "${mail_head}Content-Type: text/plain; charset=x-no-such-charset\n\ncaf\351\n" \
    >"$in/charset.mbox"
row "unknown charset" 1 16 \
    "threadconv: charset.mbox:1: message 1: unknown charset \"x-no-such-charset\" in the body: expected a charset iconv knows (utf-8, iso-8859-1, windows-1252, ...)" \
    charset.mbox
# With --keep-going the bad message is skipped and the rest converted.
printf "${mail_head}Content-Type: text/plain; charset=x-no-such-charset\n\ncaf\351\n\nFrom c@d Thu Feb  4 22:00:00 2021\nFrom: Cy <c@d>\nSubject: other\nDate: Thu, 04 Feb 2021 22:00:00 +0000\n\nfine\n" \
    >"$in/charset2.mbox"
row "unknown charset, --keep-going" 5 16 \
    "threadconv: warning: charset2.mbox:1: skipped (--keep-going): message 1: unknown charset \"x-no-such-charset\" in the body: expected a charset iconv knows (utf-8, iso-8859-1, windows-1252, ...)
threadconv: skipped 1 bad post (--keep-going); the output holds everything else" \
    charset2.mbox --keep-going
output_is 't["title"] == "s" and t["posts"] == []'
