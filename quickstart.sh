#!/bin/sh
# quickstart.sh - set up a fresh Debian machine, build threadconv, and either
# convert the sample thread (no argument) or run the whole test suite
# ("check": make check, then make distcheck).
#
#   ./quickstart.sh          install what is missing, build, convert examples/sample-thread.txt
#   ./quickstart.sh check    install what is missing, build, run every test
#
# Installing packages needs root (or sudo).  Set TC_WERROR=1 to build with -Werror.
set -eu
cd "$(dirname "$0")"
# Files we build must not be writable by others: threadconv refuses plugins
# anyone could have replaced.
umask 022
mode=${1:-demo}
case "$mode" in
    demo|check) ;;
    *) echo "usage: $0 [check]" >&2; exit 2 ;;
esac

# Build tools, the libraries threadconv uses (libarchive reads zip and tar
# inputs), and what the tests run:
# python3 + tzdata (independent oracles), valgrind (leak checks), GNU time
# (benchmark memory), man-db (the man page test), libxml2-utils (xmllint),
# python3-jsonschema (the JSON output against doc/json-schema.json), strace
# (the mode a temporary output file is created with),
# mutt and mblaze (real mail clients read the mail we write), notmuch
# (the judge of the reply links in the mail we write),
# parallel (the scale-out test).
packages="build-essential autoconf automake libtool pkg-config libjansson-dev libxml2-dev
libarchive-dev check python3 python3-jsonschema tzdata valgrind time strace man-db libxml2-utils mutt mblaze notmuch parallel"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "quickstart: installing:$missing"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $missing
fi

# The modules are the folders in plugins/: the scan lists them for the
# build (plugins/modules.am, plugins/modules.m4).  A folder added since the
# last build changes those files, and make then reruns automake and
# configure by itself.
sh plugins/scan-modules.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
jobs=$(nproc 2>/dev/null || echo 2)
if [ "${TC_WERROR:-0}" = 1 ]; then
    make -j"$jobs" CFLAGS="-g -O2 -Werror"
else
    make -j"$jobs"
fi

if [ "$mode" = demo ]; then
    # The modules live in the build tree until `make install`, each in its
    # folder's .libs.
    path=""
    for d in plugins/*/.libs; do
        [ -d "$d" ] && path="$path${path:+:}$PWD/$d"
    done
    export THREADCONV_PLUGIN_PATH="$path"
    # Shown as threadconv's JSON document: written by the format (of those
    # --list shows with r and w) whose output is that document.
    for format in $(./cli/threadconv --list | awk '$2 == "rw" {print $1}'); do
        case $(./cli/threadconv -t "$format" examples/sample-thread.txt 2>/dev/null) in
            '{"format":"threadconv"'*)
                ./cli/threadconv -t "$format" --pretty examples/sample-thread.txt
                exit $? ;;
        esac
    done
    echo "quickstart: no module built writes threadconv's JSON document" >&2
    exit 1
fi

# The tests read real data from the shared folder beside the project.
if [ -z "${THREADCONV_SHARED:-}" ] && [ -d ../shared ]; then
    THREADCONV_SHARED=$(cd ../shared && pwd)
fi
if [ -z "${THREADCONV_SHARED:-}" ] || [ ! -d "$THREADCONV_SHARED" ]; then
    echo "quickstart: the shared test data folder (../shared) is missing; set THREADCONV_SHARED" >&2
    exit 1
fi
export THREADCONV_SHARED
if [ "${TC_WERROR:-0}" = 1 ]; then
    make -j"$jobs" check CFLAGS="-g -O2 -Werror"
else
    make -j"$jobs" check
fi
make -j"$jobs" distcheck
