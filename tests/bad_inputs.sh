#!/bin/sh
# bad_inputs.sh - the table of bad inputs (README, "Bad inputs"): each input
# is made here at run time (the large ones too), converted with -o, and must
# give its exit status and exactly its message, within 30 s and a memory
# bound, leaving no output file and no temporary file behind.  A row run
# with --keep-going must give exit 5, its warnings, and the output.
#
# Memory is the peak RSS of the real binary (core/.libs/threadconv, not the
# libtool wrapper) from GNU time.  In a sanitizer build
# (THREADCONV_SANITIZED) the memory bounds are not checked: shadow memory
# inflates them.
#
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH.  Tools: python3, GNU time (/usr/bin/time),
# timeout.  A missing one fails the test: nothing is skipped silently.
set -u

fail=0
passed=0
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set"
done
command -v python3 >/dev/null || die "python3 is required (it makes the inputs)"
command -v timeout >/dev/null || die "timeout (coreutils) is required"
[ -x /usr/bin/time ] || die "GNU time is required for the memory bounds (apt-get install time)"

libs=$(cd "$(dirname "$THREADCONV_BIN")/.libs" 2>/dev/null && pwd) ||
    die "no .libs beside $THREADCONV_BIN: build with libtool first"
bin="$libs/threadconv"
[ -x "$bin" ] || bin="$libs/lt-threadconv"
[ -x "$bin" ] || die "the real binary is not in $libs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-bad.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT
# A home of the test's own: no program started here (python3) reads or
# writes the user's files, or depends on what is there.
HOME="$tmp/home"
mkdir "$HOME" || die "cannot make $HOME"
export HOME XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache" \
    XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
mkdir "$tmp/in" "$tmp/out"
in="$tmp/in"

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

# row NAME STATUS MAX_MB MESSAGE INPUT ARG...
# Runs threadconv ARG... -t json -o OUT INPUT in the input folder (so
# messages name INPUT as given) and checks the status, that stderr is
# exactly MESSAGE (lines), the time (30 s), the peak RSS (MAX_MB), and that
# OUT exists only on success and nothing else is left in its folder.
row() {
    name=$1 want=$2 max_mb=$3 msg=$4 input=$5
    shift 5
    rm -rf "$tmp/out" && mkdir "$tmp/out"
    (cd "$in" && LD_LIBRARY_PATH="$THREADCONV_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        timeout 30 /usr/bin/time -f %M -o "$tmp/rss" \
        "$bin" "$@" -t json -o "$tmp/out/result.json" "$input") >"$tmp/stdout" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq 124 ]; then
        bad "$name: no answer within 30 s"
        return
    fi
    if [ "$got" -ne "$want" ]; then
        bad "$name: exit $got, expected $want; stderr: $(cat "$tmp/err")"
    else ok; fi
    if [ "$(cat "$tmp/err")" != "$msg" ]; then
        bad "$name: stderr was:
$(cat "$tmp/err")
      expected:
$msg"
    else ok; fi
    left=$(ls -A "$tmp/out")
    if [ "$want" -eq 0 ] || [ "$want" -eq 5 ]; then
        if [ "$left" = result.json ]; then ok; else bad "$name: output folder holds '$left'"; fi
    else
        if [ -z "$left" ]; then ok; else bad "$name: a failed run left '$left' behind"; fi
    fi
    kb=$(tail -n 1 "$tmp/rss")
    if [ -n "${THREADCONV_SANITIZED:-}" ]; then
        :
    elif [ "$kb" -le $((max_mb * 1024)) ] 2>/dev/null; then
        ok
    else
        bad "$name: peak RSS $kb KB, bound $max_mb MB"
    fi
    echo "ok: $name (exit $got, ${kb} KB)"
}

# The first thread of the JSON output, for the rows read with a warning.
json_is() { # PYTHON-EXPRESSION over t = threads[0]
    if python3 - "$tmp/out/result.json" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["threads"][0]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
    then ok; else bad "output check failed: $1"; fi
}

hdr='Ann Thu 04-Feb-21 21:33:59'
cant_tell="cannot tell the input format; choose one with -f: json, jsonl, mbox, mumsnet, xml"

# ------------------------------------------------------------ encodings
printf 'Title\n\n%s\n\nbad \377 byte\n' "$hdr" >"$in/invalid-utf8.txt"
row "invalid UTF-8 (mumsnet)" 1 16 \
    "threadconv: invalid-utf8.txt:5:5: invalid UTF-8 (byte 0xFF): expected UTF-8 text" \
    invalid-utf8.txt
printf '{"threads":[{"title":"bad \377","source":"s","posts":[]}]}\n' >"$in/invalid-utf8.json"
row "invalid UTF-8 (json)" 1 16 \
    "threadconv: invalid-utf8.json:1:26: not a JSON document: unable to decode byte 0xff near '\"bad '" \
    invalid-utf8.json
printf '<?xml version="1.0"?>\n<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>bad \377</title><source>s</source></thread></archive>\n' \
    >"$in/invalid-utf8.xml"
row "invalid UTF-8 (xml)" 1 16 \
    "threadconv: invalid-utf8.xml:2:70: invalid UTF-8 (bytes 0xFF 0x3C 0x2F 0x74): expected UTF-8 text (threadconv XML is always UTF-8)" \
    invalid-utf8.xml

printf 'Title\n\n%s\n\nnul \000 byte\n' "$hdr" >"$in/nul.txt"
row "NUL byte (mumsnet)" 1 16 \
    "threadconv: nul.txt:5:5: NUL byte in the text: expected UTF-8 text without NUL bytes" \
    nul.txt
printf '{"threads":[{"title":"nul \000","source":"s","posts":[]}]}\n' >"$in/nul.json"
row "NUL byte (json)" 1 16 \
    "threadconv: nul.json:1:26: not a JSON document: control character 0x0 near '\"nul '" \
    nul.json
printf '<?xml version="1.0"?>\n<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>nul \000</title><source>s</source></thread></archive>\n' \
    >"$in/nul.xml"
row "NUL byte (xml)" 1 16 \
    "threadconv: nul.xml:2:70: not well-formed XML: Char 0x0 out of allowed range" \
    nul.xml -f xml

# E2 80 is the start of a three-byte character (U+2019 would be E2 80 99).
printf 'Title\n\n%s\n\ncut \342\200' "$hdr" >"$in/truncated.txt"
row "truncated character at end of file (mumsnet)" 1 16 \
    "threadconv: truncated.txt:5:5: invalid UTF-8 (byte 0xE2): expected UTF-8 text" \
    truncated.txt
printf '{"threads":[{"title":"cut \342\200' >"$in/truncated.json"
row "truncated character at end of file (json)" 1 16 \
    "threadconv: truncated.json:1:26: not a JSON document: unable to decode byte 0xe2 near '\"cut '" \
    truncated.json -f json

# ------------------------------------------------------ empty and binary
: >"$in/empty.txt"
row "empty file" 1 16 \
    "threadconv: empty.txt: empty input: nothing to convert (give -f to have a reader check it)" \
    empty.txt
row "empty file (-f mumsnet)" 1 16 \
    "threadconv: empty.txt: empty input: expected a thread title followed by posts with headers like \`NAME Ddd DD-Mon-YY HH:MM:SS\` or \`NAME · DD/MM/YYYY HH:MM\`" \
    empty.txt -f mumsnet

# 4 KiB of seeded random bytes: 38 B4 ...; B4 cannot start a character.
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(7).randbytes(4096))' \
    >"$in/random.bin"
row "random bytes" 2 16 "threadconv: random.bin: $cant_tell" random.bin
row "random bytes (-f mumsnet)" 1 16 \
    "threadconv: random.bin:1:2: invalid UTF-8 (byte 0xB4): expected UTF-8 text" \
    random.bin -f mumsnet
row "random bytes (-f mbox)" 1 16 \
    "threadconv: random.bin:1: no From_ line found: expected a From_ line like \"From sender@example.org Thu Feb  4 21:33:59 2021\"" \
    random.bin -f mbox
# An ELF file (threadconv itself): 7F 'E' 'L' 'F' 02 01 01 00: a NUL 8th.
cp "$bin" "$in/program"
row "ELF binary" 2 16 "threadconv: program: $cant_tell" program
row "ELF binary (-f mumsnet)" 1 16 \
    "threadconv: program:1:8: NUL byte in the text: expected UTF-8 text without NUL bytes" \
    program -f mumsnet
row "ELF binary (-f xml)" 1 16 \
    "threadconv: program:1:1: no XML element found: expected the root element <archive xmlns=\"urn:threadconv:xml:1\">" \
    program -f xml

# ----------------------------------------------------- a 100 MB line
# Refused by the max-line limit (64 MiB) as soon as the buffered part of
# the line passes it, so memory stays near the limit, not the line.
limit=67108864
line_msg="line is longer than the max-line limit ($limit bytes); raise it with --limit max-line=SIZE"
a100() { head -c 100000000 /dev/zero | tr '\0' a; }
{ printf 'Title\n\n%s\n\n' "$hdr"; a100; printf '\n'; } >"$in/long.txt"
row "100 MB line (mumsnet)" 1 200 "threadconv: long.txt:5: $line_msg" long.txt
rm -f "$in/long.txt"
{ printf '{"thread":{"id":1,"title":"t","source":"s"},"id":"1","author":"a","date":null,"body":"'
  a100; printf '"}\n'; } >"$in/long.jsonl"
row "100 MB line (jsonl)" 1 200 "threadconv: long.jsonl:1: $line_msg" long.jsonl
rm -f "$in/long.jsonl"
{ printf 'From a@b Thu Feb  4 21:33:59 2021\nFrom: a@b\nSubject: s\n\n'; a100; printf '\n'; } \
    >"$in/long.mbox"
row "100 MB line (mbox)" 1 200 "threadconv: long.mbox:5: $line_msg" long.mbox
rm -f "$in/long.mbox"
# The json reader keeps a body up to the max-post limit and counts the rest,
# then refuses it by that limit, naming its full length.
{ printf '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[{"id":"1","author":"a","date":null,"body":"'
  a100; printf '"}]}]}\n'; } >"$in/long.json"
row "100 MB line (json)" 1 100 \
    "threadconv: long.json: threads[0].posts[0].body: 100000000 bytes, longer than the max-post limit ($limit bytes); raise it with --limit max-post=SIZE" \
    long.json
rm -f "$in/long.json"
# libxml2 refuses a text node over 10,000,000 bytes (column 10,000,000 +
# the 367 bytes before the text, counted by libxml2 from where it stopped).
{ printf '<?xml version="1.0"?>\n<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>t</title><source>s</source><post><id>1</id><author>a</author><body>'
  a100; printf '</body></post></thread></archive>\n'; } >"$in/long.xml"
row "100 MB line (xml)" 1 64 \
    "threadconv: long.xml:2:10000367: a run of text longer than 10000000 bytes, libxml2's limit: expected longer text broken by comments, as threadconv writes it" \
    long.xml
rm -f "$in/long.xml"

# --------------------------------------------------------------- mumsnet
printf 'Title\n\n%s\n\nfine\n\nBob Wed 31-Feb-21 10:00:00\n\nnot fine\n' "$hdr" >"$in/date.txt"
row "header-shaped line with an impossible date" 1 16 \
    "threadconv: date.txt:7:9: impossible date in post header: 31-Feb-21 10:00:00 has day 31, but February 2021 has 28 days" \
    date.txt
printf 'Title\n\n%s\n\nfine\n\nBob Thu 04-Feb-21 25:61:00\n\nx\n' "$hdr" >"$in/time.txt"
row "header-shaped line with an impossible time" 1 16 \
    "threadconv: time.txt:7:9: impossible time in post header: 04-Feb-21 25:61:00, expected hours 00-23 and minutes and seconds 00-59" \
    time.txt
printf 'Title\n\nJust some text\nand more text\n' >"$in/no-post.txt"
row "mumsnet text but no post" 2 16 "threadconv: no-post.txt: $cant_tell" no-post.txt
row "mumsnet text but no post (-f mumsnet)" 1 16 \
    "threadconv: no-post.txt:4: no post header found: expected a line like \`NAME Ddd DD-Mon-YY HH:MM:SS\` or \`NAME · DD/MM/YYYY HH:MM\`, found the end of the input" \
    no-post.txt -f mumsnet

# ------------------------------------------------------------------ mbox
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
json_is 't["title"] == "s" and t["posts"] == []'

# ------------------------------------------------------------------ JSON
printf '{"threads":[{"title":5,"source":"s","posts":[]}]}\n' >"$in/type.json"
row "JSON wrong type" 1 16 \
    "threadconv: type.json: threads[0].title: expected a string, found a number" type.json
printf '{"threads":[{"title":"t","source":"s","posts":[{"id":"1","author":"a","date":20210204,"body":""}]}]}\n' \
    >"$in/type2.json"
row "JSON wrong type (date)" 1 16 \
    "threadconv: type2.json: threads[0].posts[0].date: expected an ISO 8601 date or null, found a number" \
    type2.json
printf '{"thread":{"id":1,"title":"t","source":"s"},"id":"1","author":["a"],"date":null,"body":""}\n' \
    >"$in/type.jsonl"
row "JSON wrong type (jsonl)" 1 16 \
    "threadconv: type.jsonl:1: author: expected a string, found an array" type.jsonl
printf '{"format":"threadconv","version":1,"threads":[],"threads":[]}\n' >"$in/dup.json"
row "JSON duplicate keys" 1 16 \
    "threadconv: dup.json:1:57: not a JSON document: duplicate object key near '\"threads\"'" dup.json
printf '{"thread":{"id":1,"title":"t","source":"s"},"id":"1","id":"2","author":"a","date":null,"body":""}\n' \
    >"$in/dup.jsonl"
row "JSON duplicate keys (jsonl)" 1 16 \
    "threadconv: dup.jsonl:1:57: not a JSON object: duplicate object key near '\"id\"'" dup.jsonl
# jansson stops at its depth limit (2048): column 11 + 2048.
python3 -c 'print("{\"threads\":" + "[" * 100000 + "]" * 100000 + "}")' >"$in/deep.json"
row "JSON 100,000-deep nesting" 1 16 \
    "threadconv: deep.json:1:2059: not a JSON document: maximum parsing depth reached near '['" \
    deep.json -f json
python3 -c 'print("{\"thread\":" + "[" * 100000 + "]" * 100000 + "}")' >"$in/deep.jsonl"
row "JSON 100,000-deep nesting (jsonl)" 1 16 \
    "threadconv: deep.jsonl:1:2058: not a JSON object: maximum parsing depth reached near '['" \
    deep.jsonl -f jsonl

# ------------------------------------------------------------------- XML
doctype_msg='<!DOCTYPE is not allowed: threadconv XML has no document type declaration (a DTD could load external entities or expand entities without bound); expected the root element <archive xmlns="urn:threadconv:xml:1">'
cat >"$in/xxe.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE archive [
<!ENTITY secret SYSTEM "file:///etc/passwd">
]>
<archive xmlns="urn:threadconv:xml:1" version="1">
<thread><title>&secret;</title><source>s</source></thread>
</archive>
EOF
row "XML with XXE" 1 16 "threadconv: xxe.xml:2:1: $doctype_msg" xxe.xml
python3 - "$in/laughs.xml" <<'PY'
import sys
ents = ['<!ENTITY lol "lol">'] + [
    '<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % (i - 1 if i > 1 else "")) * 10) for i in range(1, 10)]
open(sys.argv[1], "w").write(
    '<?xml version="1.0"?>\n<!DOCTYPE archive [\n' + "\n".join(ents) + '\n]>\n'
    '<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>&lol9;</title>'
    '<source>s</source></thread></archive>\n')
PY
row "XML billion laughs" 1 16 "threadconv: laughs.xml:2:1: $doctype_msg" laughs.xml
python3 -c 'print("<?xml version=\"1.0\"?>\n<archive xmlns=\"urn:threadconv:xml:1\" version=\"1\">" + "<thread>" * 100000 + "</thread>" * 100000 + "</archive>")' \
    >"$in/deep.xml"
row "XML 100,000-deep nesting" 1 16 \
    "threadconv: deep.xml:2: thread 1: expected <title>, found <thread>" deep.xml
python3 -c 'print("<archive xmlns=\"urn:threadconv:xml:1\" version=\"1\"><thread><title>t</title><source>s</source><post><id>1</id><author>a</author><body>" + "<ctrl code=\"1B\">" * 100000 + "</ctrl>" * 100000 + "</body></post></thread></archive>")' \
    >"$in/deep-body.xml"
row "XML 100,000-deep nesting (in a body)" 1 16 \
    "threadconv: deep-body.xml:1: thread 1, post 1: expected an empty <ctrl/> element, found <ctrl>" \
    deep-body.xml -f xml
cat >"$in/namespace.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<archive xmlns="urn:example:other" version="1">
<thread><title>Elsewhere</title><source>s</source></thread>
</archive>
EOF
row "XML wrong namespace" 1 16 \
    "threadconv: namespace.xml:2:1: not a threadconv XML archive: expected the root element <archive xmlns=\"urn:threadconv:xml:1\">, found <archive> in namespace \"urn:example:other\"" \
    namespace.xml -f xml

echo "bad_inputs.sh: $passed checks passed, $fail failed"
[ "$fail" -eq 0 ]
