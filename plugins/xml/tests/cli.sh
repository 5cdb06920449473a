#!/bin/sh
# cli.sh - the xml module's format through the threadconv command: the xml
# writer keeps attachments (no warning), and two copies of the module, one
# shadowing the other, both work.  The input with attachments is an archive
# document (the case folders' kind, its format found by doc_writer).  The
# command itself is tests/cli.sh's; the checks and the environment needed
# are tests/cli_lib.sh's.
cli_name=plugins/xml/tests/cli.sh
# shellcheck source=tests/cli_lib.sh
. "${THREADCONV_SRCDIR:?THREADCONV_SRCDIR is not set}/tests/cli_lib.sh"

doc=$(doc_writer) || exit 1

# A writer that keeps attachments says nothing.
printf '%s\n' '{"format":"threadconv","version":1,"threads":[{"title":"t","source":"s","posts":[' \
    '{"id":"1","author":"a","date":null,"body":"b","attachments":[{"name":"x.txt","type":"text/plain","size":2,"data":"aGk="}]},' \
    '{"id":"2","author":"a","date":null,"body":"c","attachments":[{"name":"y","type":"","ref":"y"},{"name":"z","type":"","ref":"z"}]}]}]}' \
    >"$tmp/attached.doc"
run 0 -f "$doc" -t xml -o "$tmp/attached.xml" "$tmp/attached.doc" && stderr_is ""

# Two copies of a module, one shadowing the other (an installed copy and
# the build tree's): the shadowed copy's unloading must not break the one in
# use (the xml module's destructor tidies libxml2).
mkdir "$tmp/shadow"
for d in $(printf '%s' "$THREADCONV_PLUGIN_PATH" | tr ':' ' '); do
    [ -f "$d/xml.so" ] && cp "$d/xml.so" "$tmp/shadow/" && break
done
[ -f "$tmp/shadow/xml.so" ] && ok || bad "no xml.so in THREADCONV_PLUGIN_PATH=$THREADCONV_PLUGIN_PATH"
THREADCONV_PLUGIN_PATH="$tmp/shadow:$THREADCONV_PLUGIN_PATH" run 0 -t xml -o "$tmp/shadow.xml" "$seed" &&
THREADCONV_PLUGIN_PATH="$THREADCONV_PLUGIN_PATH:$tmp/shadow" run 0 -t xml -o "$tmp/shadow.xml" "$seed"

cli_done
