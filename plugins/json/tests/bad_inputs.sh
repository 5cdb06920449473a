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
# A thread's and a post's other strings (title, id, extra fields, an
# attachment's name) are capped together by the same limit: a 100 MB title
# or extra field is kept up to it and refused by it, naming the member and
# its full length, not held whole (it was: twice its size resident).
{ printf '{"format":"threadconv","version":1,"threads":[{"title":"'
  a100; printf '","source":"s","posts":[]}]}\n'; } >"$in/long-title.json"
row "100 MB title (json)" 1 80 \
    "threadconv: long-title.json: threads[0].title: 100000000 bytes; a thread's or post's strings other than a body may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    long-title.json
rm -f "$in/long-title.json"
{ printf '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[{"id":"1","author":"a","date":null,"body":"","mood":"'
  a100; printf '"}]}]}\n'; } >"$in/long-extra.json"
row "100 MB extra field (json)" 1 80 \
    "threadconv: long-extra.json: threads[0].posts[0].mood: 100000000 bytes; a thread's or post's strings other than a body may come to the max-post limit ($limit bytes) together; raise it with --limit max-post=SIZE" \
    long-extra.json
rm -f "$in/long-extra.json"
# Together: 40 extra fields of 30,000 bytes pass 1M at the 35th.
python3 -c 'import json; print(json.dumps({"thread": {"id": 1, "title": "t", "source": "s", **{"x%d" % i: "v" * 30000 for i in range(40)}}, "id": "1", "author": "a", "date": None, "body": ""}))' \
    >"$in/extras.jsonl"
row "extra fields together over max-post (jsonl)" 1 16 \
    "threadconv: extras.jsonl:1: thread.x34: 30000 bytes; a thread's or post's strings other than a body may come to the max-post limit (1048576 bytes) together; raise it with --limit max-post=SIZE" \
    extras.jsonl --limit max-post=1M

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
