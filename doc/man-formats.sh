#!/bin/sh
# man-formats.sh - the man page with its FORMATS section made from the
# modules' descriptors: reads doc/threadconv.1.in on standard input and
# replaces the @FORMATS@ line with one entry per format that
# `threadconv --list` shows (THREADCONV_PLUGIN_PATH names the modules).
#
#   man-formats.sh THREADCONV < threadconv.1.in > threadconv.1
set -eu
list=$("$1" --list) || { echo "man-formats.sh: $1 --list failed" >&2; exit 1; }
while IFS= read -r line; do
    if [ "$line" = "@FORMATS@" ]; then
        printf '%s\n' "$list" | while read -r name mode description; do
            printf '.TP\n.BR %s " (%s)"\n%s\n' "$name" "$mode" \
                "$(printf '%s' "$description" | sed 's/\\/\\e/g; s/^[.'"'"']/\\\&&/')"
        done
    else
        printf '%s\n' "$line"
    fi
done
