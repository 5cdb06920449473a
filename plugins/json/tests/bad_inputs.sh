# bad_inputs.sh - the json module's rows of the README's "Bad inputs"
# table, sourced by tests/bad_inputs.sh: row, $in and the rest used here
# are the harness's (see there).
# shellcheck shell=sh disable=SC2154 # $in and the rest are the harness's

# ------------------------------------------------------------ encodings
printf '{"threads":[{"title":"bad \377","source":"s","posts":[]}]}\n' >"$in/invalid-utf8.json"
row "invalid UTF-8 (json)" 1 16 \
    "threadconv: invalid-utf8.json:1:26: not a JSON document: unable to decode byte 0xff near '\"bad '" \
    invalid-utf8.json
printf '{"threads":[{"title":"nul \000","source":"s","posts":[]}]}\n' >"$in/nul.json"
row "NUL byte (json)" 1 16 \
    "threadconv: nul.json:1:26: not a JSON document: control character 0x0 near '\"nul '" \
    nul.json
# E2 80 is the start of a three-byte character (U+2019 would be E2 80 99).
printf '{"threads":[{"title":"cut \342\200' >"$in/truncated.json"
row "truncated character at end of file (json)" 1 16 \
    "threadconv: truncated.json:1:26: not a JSON document: unable to decode byte 0xe2 near '\"cut '" \
    truncated.json -f json

# ----------------------------------------------------- a 100 MB line
{ printf '{"thread":{"id":1,"title":"t","source":"s"},"id":"1","author":"a","date":null,"body":"'
  a100; printf '"}\n'; } >"$in/long.jsonl"
row "100 MB line (jsonl)" 1 200 "threadconv: long.jsonl:1: $line_msg" long.jsonl
rm -f "$in/long.jsonl"
# The json reader keeps a body up to the max-post limit and counts the rest,
# then refuses it by that limit, naming its full length.
{ printf '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[{"id":"1","author":"a","date":null,"body":"'
  a100; printf '"}]}]}\n'; } >"$in/long.json"
row "100 MB line (json)" 1 100 \
    "threadconv: long.json: threads[0].posts[0].body: 100000000 bytes, longer than the max-post limit ($limit bytes); raise it with --limit max-post=SIZE" \
    long.json
rm -f "$in/long.json"
# A thread's and a post's other members (title, id, extra fields, an
# attachment's name: names, string values and 64 bytes a member) are capped
# together by the same limit: a 100 MB title or extra field is kept up to
# it and refused by it, naming the member and its full length, not held
# whole (it was: twice its size resident).
{ printf '{"format":"threadconv","version":1,"threads":[{"title":"'
  a100; printf '","source":"s","posts":[]}]}\n'; } >"$in/long-title.json"
row "100 MB title (json)" 1 80 \
    "threadconv: long-title.json: threads[0].title: 100000000 bytes; a thread's or post's members other than a body (their names, string values and 64 bytes for each) may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    long-title.json
rm -f "$in/long-title.json"
{ printf '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[{"id":"1","author":"a","date":null,"body":"","mood":"'
  a100; printf '"}]}]}\n'; } >"$in/long-extra.json"
row "100 MB extra field (json)" 1 80 \
    "threadconv: long-extra.json: threads[0].posts[0].mood: 100000000 bytes; a thread's or post's members other than a body (their names, string values and 64 bytes for each) may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    long-extra.json
rm -f "$in/long-extra.json"
# Together: 40 extra fields of 30,000 bytes pass 1M at the 35th (the
# thread's id, title and source take 211 bytes, each field 64 + 3 + 30,000:
# x34 finds 26,021 bytes left).
python3 -c 'import json; print(json.dumps({"thread": {"id": 1, "title": "t", "source": "s", **{"x%d" % i: "v" * 30000 for i in range(40)}}, "id": "1", "author": "a", "date": None, "body": ""}))' \
    >"$in/extras.jsonl"
row "extra fields together over max-post (jsonl)" 1 16 \
    "threadconv: extras.jsonl:1: thread.x34: 30000 bytes; a thread's or post's members other than a body (their names, string values and 64 bytes for each) may come to the max-post limit (1048576 bytes) together; raise it with --limit max-post=SIZE" \
    extras.jsonl --limit max-post=1M

# Member names are capped too, by what the parser keeps of them to refuse
# a repeated one (the names of the objects open at one time, each counted
# 64 bytes more than its length, and its NUL): a 200 MB name is kept up to
# the limit and refused where it starts (it was kept whole, twice: about
# 400 MB resident, and the post written).
head='{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[{"id":"1","author":"a","date":null,"body":"","'
{ printf '%s' "$head"; head -c 200000000 /dev/zero | tr '\0' k; printf '":"v"}]}]}\n'; } >"$in/long-name.json"
row "200 MB member name (json)" 1 80 \
    "threadconv: long-name.json:1:${#head}: member name \"kkkkkkkkkkkkkkkkkkkkkkkk...\" (200000000 bytes): the member names of the objects open at one time (each counted 64 bytes more than its length) may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    long-name.json
rm -f "$in/long-name.json"
# Many members: 3,000,000 extra fields "xN":"" in one post (41 MB).  The
# names open when x933601 comes: the document's 3, the thread's 3, the
# post's 4 and x0..x933600, come to exactly 67,108,864 bytes with their
# NULs and 64 each, so that name finds no room.  It was: every field kept (360 MB resident)
# and the session's check for repeated keys, comparing each with every one
# before it, still running after 12 minutes.
python3 - "$in/many-members.json" >"$in/many-members.msg" <<'PY'
import sys
head = ('{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":'
        '[{"id":"1","author":"a","date":null,"body":""')
names = ["format", "version", "threads", "title", "source", "posts", "id", "author", "date",
         "body"]
used, n, column, at = sum(len(k) + 1 for k in names), len(names), len(head) + 1, None
with open(sys.argv[1], "w") as f:
    f.write(head)
    for i in range(3000000):
        key = "x%d" % i
        if at is None and (n + 1) * 64 + used + len(key) + 1 > 67108864:
            at = (key, column + 1)  # the name's opening quote, after the comma
        used, n, column = used + len(key) + 1, n + 1, column + len(',"%s":""' % key)
        f.write(',"%s":""' % key)
    f.write("}]}]}\n")
print("%d: member name \"%s\" (%d bytes)" % (at[1], at[0], len(at[0])))
PY
row "3,000,000 members in a post (json)" 1 120 \
    "threadconv: many-members.json:1:$(cat "$in/many-members.msg"): the member names of the objects open at one time (each counted 64 bytes more than its length) may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    many-members.json
rm -f "$in/many-members.json"
# A million attachments {"name":"","type":""} (22 MB): each counts 64 and
# its two members 4 + 64 each, after the post's own 349 bytes: the 335,543rd
# finds no room for its name.  It was: all kept, 264 MB resident.
python3 -c 'import sys; sys.stdout.write("{\"format\":\"threadconv\",\"version\":1,\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[{\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"attachments\":[" + ",".join(["{\"name\":\"\",\"type\":\"\"}"] * 1000000) + "]}]}]}\n")' \
    >"$in/many-attachments.json"
row "1,000,000 attachments in a post (json)" 1 120 \
    "threadconv: many-attachments.json: threads[0].posts[0].attachments[335542].name: member 1 of the attachment; a thread's or post's members other than a body (their names, string values and 64 bytes for each) may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    many-attachments.json
rm -f "$in/many-attachments.json"
# jsonl: 1,000,000 members in a line (12 MB) with --limit max-post=1M:
# "thread", "id", "author", "date", "body" and x0..x14919 leave no room
# for x14920 (line 1, its column).
python3 - "$in/many-members.jsonl" >"$in/many-members.msg" <<'PY'
import sys
head = '{"thread":{"title":"t","source":"s"},"id":"1","author":"a","date":null,"body":""'
names = ["thread", "id", "author", "date", "body"]
used, n, column, at = sum(len(k) + 1 for k in names), len(names), len(head) + 1, None
with open(sys.argv[1], "w") as f:
    f.write(head)
    for i in range(1000000):
        key = "x%d" % i
        if at is None and (n + 1) * 64 + used + len(key) + 1 > 1048576:
            at = (key, column + 1)
        used, n, column = used + len(key) + 1, n + 1, column + len(',"%s":""' % key)
        f.write(',"%s":""' % key)
    f.write("}\n")
print("%d: member name \"%s\" (%d bytes)" % (at[1], at[0], len(at[0])))
PY
row "1,000,000 members in a line (jsonl)" 1 60 \
    "threadconv: many-members.jsonl:1:$(cat "$in/many-members.msg"): the member names of the objects open at one time (each counted 64 bytes more than its length) may come to the max-post limit (1048576 bytes) together; raise it with --limit max-post=SIZE" \
    many-members.jsonl --limit max-post=1M
rm -f "$in/many-members.jsonl" "$in/many-members.msg"

# -------------------------------------------------- U+0000
# \u0000 is read in a post's body, where the model allows U+0000; anywhere
# else it is refused, naming the member, line and column (it was refused
# everywhere, as jansson does).
printf '{"threads":[{"title":"t\\u0000","source":"s","posts":[]}]}\n' >"$in/nul-title.json"
row "U+0000 in a title (json)" 1 16 \
    "threadconv: nul-title.json:1:22: threads[0].title: \\u0000 (U+0000) is allowed only in a post's body; no other string of the model (title, id, author, parent, extra field, attachment) can hold it" \
    nul-title.json

# -------------------------------------------------- types, keys, depth
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
