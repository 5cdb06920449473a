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
# Bad base64 and an unknown charset stop nothing (issue 14): characters
# outside the base64 alphabet are ignored (RFC 2045 section 6.8), an
# unknown charset is read as UTF-8 with the documented Latin-1 fallback
# and its label kept in mbox.charset; each is a warning naming the message.
printf "${mail_head}Content-Transfer-Encoding: base64\n\n!!!! this is *not* base64 ~~~~\n" \
    >"$in/base64.mbox"
row "base64 body that is not base64" 0 16 \
    "threadconv: warning: base64.mbox:1: message 1: the body is declared base64 but 10 characters are not base64; ignored, as RFC 2045 section 6.8 says
threadconv: warning: base64.mbox:1: message 1: 6 bytes of the body not valid in UTF-8; each read as the ISO-8859-1 character of the same value" \
    base64.mbox
printf "${mail_head}Content-Type: text/plain; charset=x-no-such-charset\n\ncaf\351\n" \
    >"$in/charset.mbox"
row "unknown charset" 0 16 \
    "threadconv: warning: charset.mbox:1: message 1: unknown charset \"x-no-such-charset\" in the body; read as UTF-8, the label kept in mbox.charset
threadconv: warning: charset.mbox:1: message 1: 1 byte of the body not valid in x-no-such-charset; each read as the ISO-8859-1 character of the same value" \
    charset.mbox
output_is 't["posts"][0]["body"] == "caf\u00e9\n" and t["posts"][0]["mbox.charset"] == "x-no-such-charset"'
# A message over the max-post limit is an error; with --keep-going that
# message is skipped, and its thread, which has no other, is left out.
{ printf "${mail_head}\n"; head -c 2000 /dev/zero | tr '\0' x
  printf "\n\nFrom c@d Thu Feb  4 22:00:00 2021\nFrom: Cy <c@d>\nSubject: other\nDate: Thu, 04 Feb 2021 22:00:00 +0000\n\nfine\n"; } \
    >"$in/long-message.mbox"
row "message over max-post" 1 16 \
    "threadconv: long-message.mbox:1: message 1 is longer than the max-post limit (1024 bytes)" \
    long-message.mbox --limit max-post=1K
row "message over max-post, --keep-going" 5 16 \
    "threadconv: warning: long-message.mbox:1: skipped (--keep-going): message 1 is longer than the max-post limit (1024 bytes)
threadconv: warning: long-message.mbox: thread \"s\" left out (--keep-going): its 1 post was skipped
threadconv: skipped 1 bad post (--keep-going); the output holds everything else" \
    long-message.mbox --limit max-post=1K --keep-going
output_is 't["title"] == "other" and [p["body"] for p in t["posts"]] == ["fine\n"]'
