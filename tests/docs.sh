#!/bin/sh
# docs.sh - the format lists people read agree with the modules built:
#  - every row of README.md's "Formats" table names a format that
#    `threadconv --list` shows, with the same r/w capabilities;
#  - the man page's FORMATS section (made from --list at build time) lists
#    every format --list shows, with its capabilities.
# A module added to plugins/ without a README row is not an error (the
# README describes the modules that ship with threadconv); a README row
# that no module provides, or whose r/w is wrong, is.
set -u
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_SRCDIR; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set"
done
man_page=${THREADCONV_MAN:-doc/threadconv.1}
[ -f "$man_page" ] || die "$man_page is not built"
list=$("$THREADCONV_BIN" --list) || die "threadconv --list failed"
fail=0
rows=$(sed -n '/^## Formats/,/^## /p' "$THREADCONV_SRCDIR/README.md" |
       sed -n 's/^| `\([a-z0-9_-]*\)` | \([rw]*\) |.*/\1 \2/p')
[ -n "$rows" ] || die "README.md has no Formats table rows"
n=0
while read -r name mode; do
    n=$((n + 1))
    listed=$(printf '%s\n' "$list" | awk -v n="$name" '$1 == n {print $2}')
    if [ -z "$listed" ]; then
        echo "FAIL: README.md lists format $name, which no module built provides" >&2; fail=1
    elif [ "$listed" != "$mode" ]; then
        echo "FAIL: README.md says $name is '$mode', threadconv --list says '$listed'" >&2; fail=1
    fi
done <<ROWS
$rows
ROWS
m=0
while read -r name mode _; do
    m=$((m + 1))
    grep -q "^\.BR $name \" ($mode)\"\$" "$man_page" ||
        { echo "FAIL: the man page's FORMATS section lacks $name ($mode)" >&2; fail=1; }
done <<LIST
$list
LIST
[ $fail -eq 0 ] && echo "ok: $n README rows and $m formats in the man page agree with --list"
exit $fail
