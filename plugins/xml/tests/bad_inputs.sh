# bad_inputs.sh - the xml module's rows of the README's "Bad inputs"
# table, sourced by tests/bad_inputs.sh: row, $in and the rest used here
# are the harness's (see there).
# shellcheck shell=sh disable=SC2154 # $in and the rest are the harness's

# ------------------------------------------------------------ encodings
printf '<?xml version="1.0"?>\n<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>bad \377</title><source>s</source></thread></archive>\n' \
    >"$in/invalid-utf8.xml"
row "invalid UTF-8 (xml)" 1 16 \
    "threadconv: invalid-utf8.xml:2:70: invalid UTF-8 (bytes 0xFF 0x3C 0x2F 0x74): expected UTF-8 text (threadconv XML is always UTF-8)" \
    invalid-utf8.xml
printf '<?xml version="1.0"?>\n<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>nul \000</title><source>s</source></thread></archive>\n' \
    >"$in/nul.xml"
row "NUL byte (xml)" 1 16 \
    "threadconv: nul.xml:2:70: not well-formed XML: Char 0x0 out of allowed range" \
    nul.xml -f xml

# ------------------------------------------------------------- binary
row "ELF binary (-f xml)" 1 16 \
    "threadconv: program:1:1: no XML element found: expected the root element <archive xmlns=\"urn:threadconv:xml:1\">" \
    program -f xml

# ----------------------------------------------------- a 100 MB line
# libxml2 refuses a text node over 10,000,000 bytes (column 10,000,000 +
# the 367 bytes before the text, counted by libxml2 from where it stopped).
{ printf '<?xml version="1.0"?>\n<archive xmlns="urn:threadconv:xml:1" version="1"><thread><title>t</title><source>s</source><post><id>1</id><author>a</author><body>'
  a100; printf '</body></post></thread></archive>\n'; } >"$in/long.xml"
row "100 MB line (xml)" 1 64 \
    "threadconv: long.xml:2:10000367: a run of text longer than 10000000 bytes, libxml2's limit: expected longer text broken by comments, as threadconv writes it" \
    long.xml
rm -f "$in/long.xml"

# ---------------------------------------- DTDs, depth and namespaces
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
