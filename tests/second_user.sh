#!/bin/sh
# second_user.sh - the trust checks that need a second user, run by .ci/run
# as root (make check cannot make users): a plugin is loaded by an
# ordinary user only when it and its directories are that user's or root's,
# never another user's; and while root writes a private (0600) output,
# another user can read none of it, by name or through /proc.
#
# Usage (as root): tests/second_user.sh BUILD_DIR
# BUILD_DIR is a configured and built tree; it is installed (make install
# DESTDIR=...) into a folder every user can read, since the build tree may
# be in root's home.  The second user is "tc-second", made with useradd
# when missing (a system user, no home, no login).
set -u
die() { echo "FAIL: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: second_user.sh BUILD_DIR"
[ "$(id -u)" -eq 0 ] || die "second_user.sh makes a user and files of others: run it as root"
build=$1
user=tc-second
id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user" \
    || die "useradd $user"
uid=$(id -u "$user") gid=$(id -g "$user")

stage=$(mktemp -d /tmp/tc-second.XXXXXX) || die mktemp
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"
make -s -C "$build" install DESTDIR="$stage/root" >"$stage/install.log" 2>&1 \
    || { cat "$stage/install.log" >&2; die "make install DESTDIR"; }
tc=$(find "$stage/root" -path '*/bin/threadconv' -type f | head -n 1)
lib=$(dirname "$(find "$stage/root" -name 'libthreadconv.so.*' -type f | head -n 1)")
modules="$lib/threadconv"
[ -x "$tc" ] && [ -d "$modules" ] || die "no threadconv or modules under $stage/root"
module=$(find "$modules" -name '*.so' | LC_ALL=C sort | head -n 1)
[ -n "$module" ] || die "no module in $modules"
seed="${THREADCONV_SHARED:?THREADCONV_SHARED is not set}/seeds/000_e8c5bdb5bae043fe.txt"
cp "$seed" "$stage/seed.txt" && chmod 644 "$stage/seed.txt"

fail=0 passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
# Run threadconv as the second user, with a home of its own and nothing of
# root's environment; its output in $stage/out, errors in $stage/err.
mkdir "$stage/home" && chown "$user" "$stage/home"
as_user() {
    env -i PATH=/usr/bin:/bin HOME="$stage/home" LD_LIBRARY_PATH="$lib" \
        setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
}
tc_as_user() { # PLUGIN_PATH ARGS...
    path=$1
    shift
    as_user env THREADCONV_PLUGIN_PATH="$path" "$tc" "$@" >"$stage/out" 2>"$stage/err"
}

# ------------------------------------------------------------ whose plugins
# Root's installed modules: loaded.
tc_as_user "$modules" --list && grep -q "$(basename "$module" .so)" "$stage/out" && ok \
    || bad "root's modules were not loaded for $user: $(cat "$stage/err")"
# The user's own directory and file: loaded.
mkdir "$stage/mine" && cp "$module" "$stage/mine/" && chown -R "$user:$gid" "$stage/mine" \
    && chmod 755 "$stage/mine"
tc_as_user "$stage/mine" --list && grep -q "$(basename "$module" .so)" "$stage/out" && ok \
    || bad "$user's own module was not loaded: $(cat "$stage/err")"
# Another user's file (nobody's) in root's directory: refused, named, before
# it is loaded.
mkdir "$stage/theirs" && cp "$module" "$stage/theirs/" && chown 65534 "$stage/theirs/$(basename "$module")"
tc_as_user "$stage/theirs" --list
grep -q "refused: the file $stage/theirs/$(basename "$module") is owned by uid 65534, not by root or uid $uid" "$stage/err" \
    && ok || bad "another user's module: $(cat "$stage/err")"
# Another user's directory (nobody's) holding a root-owned file: refused.
mkdir "$stage/theirdir" && cp "$module" "$stage/theirdir/" && chown 65534 "$stage/theirdir"
tc_as_user "$stage/theirdir" --list
grep -q "refused: the directory $stage/theirdir is owned by uid 65534, not by root or uid $uid" "$stage/err" \
    && ok || bad "another user's directory: $(cat "$stage/err")"

# ------------------------------------------------------------ private outputs
# Root replaces a 0600 file from a FIFO that holds the run; meanwhile the
# second user tries every name in the directory and every descriptor of
# the process: nothing of the output can be read.
# A writer of a stream: the first in --list that converts the seed to a file.
writer=
for w in $(env THREADCONV_PLUGIN_PATH="$modules" LD_LIBRARY_PATH="$lib" "$tc" --list | awk '$2 ~ /w/ { print $1 }'); do
    env THREADCONV_PLUGIN_PATH="$modules" LD_LIBRARY_PATH="$lib" "$tc" -q -t "$w" \
        -o "$stage/probe.out" "$stage/seed.txt" 2>/dev/null && [ -f "$stage/probe.out" ] \
        && { writer=$w; break; }
    rm -rf "$stage/probe.out"
done
[ -n "$writer" ] || die "no installed writer converts the seed to a file"
mkdir "$stage/private" && chmod 755 "$stage/private"
printf 'secret\n' >"$stage/private/out.json" && chmod 600 "$stage/private/out.json"
mkfifo "$stage/in.fifo"
env THREADCONV_PLUGIN_PATH="$modules" LD_LIBRARY_PATH="$lib" "$tc" -q -t "$writer" \
    -o "$stage/private/out.json" "$stage/in.fifo" 2>"$stage/root-err" &
pid=$!
exec 9>"$stage/in.fifo"
head -n 40 "$stage/seed.txt" >&9
sleep 0.5
read_any=$(as_user sh -c 'for f in "$1"/* "$1"/.[!.]* /proc/"$2"/fd/*; do
    [ -e "$f" ] || continue; head -c 1 "$f" >/dev/null 2>&1 && echo "$f"; done; true' \
    sh "$stage/private" "$pid")
[ -z "$read_any" ] && ok || bad "$user read a private output while it was written: $read_any"
tail -n +41 "$stage/seed.txt" >&9
exec 9>&-
wait "$pid" && ok || bad "the private conversion failed: $(cat "$stage/root-err")"
[ "$(stat -c '%U %a' "$stage/private/out.json")" = "root 600" ] && ok \
    || bad "the private output's owner or mode: $(stat -c '%U %a' "$stage/private/out.json")"

echo "second_user.sh: $passed checks passed, $fail failed"
[ "$fail" -eq 0 ]
