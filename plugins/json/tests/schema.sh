#!/bin/sh
# schema.sh - doc/json-schema.json against the json writer and the case
# folders: the writer's output for every json reader case's input (compact
# and --pretty) and every expected document in cases/json validate; the
# inputs of the error cases that break the schema's rules (bad base64, an
# unknown or missing attachment member, attachments not an array or in a
# thread) do not.  Validation is python3-jsonschema's Draft 2020-12
# validator (Debian: python3-jsonschema, which quickstart.sh installs; the
# first python3 on the PATH that has it is used, else the system's); without
# it the test fails, saying what to install.
#
# Needs (from make check's AM_TESTS_ENVIRONMENT): THREADCONV_BIN,
# THREADCONV_PLUGIN_PATH, THREADCONV_SRCDIR.
set -u
die() { echo "FATAL: $*" >&2; exit 1; }
for v in THREADCONV_BIN THREADCONV_PLUGIN_PATH THREADCONV_SRCDIR; do
    eval "val=\${$v:-}"
    [ -n "$val" ] || die "$v is not set"
done
py=""
for candidate in python3 /usr/bin/python3; do
    if "$candidate" -c 'import jsonschema; jsonschema.Draft202012Validator' 2>/dev/null; then
        py=$candidate
        break
    fi
done
[ -n "$py" ] || die "python3-jsonschema (Draft 2020-12) is required: apt-get install python3-jsonschema"
cases="$THREADCONV_SRCDIR/plugins/json/tests/cases/json"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tc-schema.XXXXXX") || die "mktemp"
trap 'rm -rf "$tmp"' EXIT

# What the writer writes, from each reader case that reads.
n=0
for dir in "$cases"/*/; do
    [ -f "$dir/expected.json" ] || continue
    name=$(basename "$dir")
    "$THREADCONV_BIN" -f json -t json -o "$tmp/$name.json" "$dir"/input* ||
        die "$name: the json reader or writer failed"
    "$THREADCONV_BIN" -f json -t json --pretty -o "$tmp/$name-pretty.json" "$dir"/input* ||
        die "$name: the json reader or writer failed (--pretty)"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || die "no reader cases in $cases"

"$py" - "$THREADCONV_SRCDIR/doc/json-schema.json" "$cases" "$tmp" <<'PY'
import json, os, sys
import jsonschema

schema_path, cases, written = sys.argv[1:]
with open(schema_path) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failed = 0
checked = 0

def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)

valid = [os.path.join(written, n) for n in sorted(os.listdir(written))]
for case in sorted(os.listdir(cases)):
    for name in ('expected.json', 'expected-output.json', 'archive.json'):
        path = os.path.join(cases, case, name)
        if os.path.exists(path):
            valid.append(path)
for path in valid:
    errors = list(validator.iter_errors(load(path)))
    checked += 1
    if errors:
        failed += 1
        print('FAIL: %s does not validate: %s' % (path, errors[0].message), file=sys.stderr)

# inputs the schema must refuse
for case in ('error-base64-char', 'error-base64-length', 'error-attachment-member',
             'error-attachment-name', 'error-attachments-object',
             'error-attachments-in-thread'):
    path = os.path.join(cases, case, 'input.json')
    checked += 1
    if validator.is_valid(load(path)):
        failed += 1
        print('FAIL: %s validates, but should not' % path, file=sys.stderr)

print('schema.sh: %d documents checked against doc/json-schema.json, %d failed'
      % (checked, failed))
sys.exit(1 if failed else 0)
PY
