# bad_inputs.sh - the mumsnet module's rows of the README's "Bad inputs"
# table, sourced by tests/bad_inputs.sh: row, $in and the rest used here
# are the harness's (see there).
# shellcheck shell=sh disable=SC2154 # $in and the rest are the harness's

hdr='Ann Thu 04-Feb-21 21:33:59'

# ------------------------------------------------------------ encodings
printf 'Title\n\n%s\n\nbad \377 byte\n' "$hdr" >"$in/invalid-utf8.txt"
row "invalid UTF-8 (mumsnet)" 1 16 \
    "threadconv: invalid-utf8.txt:5:5: invalid UTF-8 (byte 0xFF): expected UTF-8 text" \
    invalid-utf8.txt
printf 'Title\n\n%s\n\nnul \000 byte\n' "$hdr" >"$in/nul.txt"
row "NUL byte (mumsnet)" 1 16 \
    "threadconv: nul.txt:5:5: NUL byte in the text: expected UTF-8 text without NUL bytes" \
    nul.txt
# E2 80 is the start of a three-byte character (U+2019 would be E2 80 99).
printf 'Title\n\n%s\n\ncut \342\200' "$hdr" >"$in/truncated.txt"
row "truncated character at end of file (mumsnet)" 1 16 \
    "threadconv: truncated.txt:5:5: invalid UTF-8 (byte 0xE2): expected UTF-8 text" \
    truncated.txt

# ------------------------------------------------------ empty and binary
row "empty file (-f mumsnet)" 1 16 \
    "threadconv: empty.txt: empty input: expected a thread title followed by posts with headers like \`NAME Ddd DD-Mon-YY HH:MM:SS\` or \`NAME · DD/MM/YYYY HH:MM\`" \
    empty.txt -f mumsnet
row "random bytes (-f mumsnet)" 1 16 \
    "threadconv: random.bin:1:2: invalid UTF-8 (byte 0xB4): expected UTF-8 text" \
    random.bin -f mumsnet
row "ELF binary (-f mumsnet)" 1 16 \
    "threadconv: program:1:8: NUL byte in the text: expected UTF-8 text without NUL bytes" \
    program -f mumsnet

# ----------------------------------------------------- a 100 MB line
{ printf 'Title\n\n%s\n\n' "$hdr"; a100; printf '\n'; } >"$in/long.txt"
row "100 MB line (mumsnet)" 1 200 "threadconv: long.txt:5: $line_msg" long.txt
rm -f "$in/long.txt"

# ------------------------------------------------------- post headers
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
