/*
 * reader.c - the "xml" reader: streams a threadconv XML document (see xml.h
 * and doc/formats.md) with libxml2's xmlTextReader, one post at a time, so
 * memory stays flat however large the archive.
 *
 * Safety on hostile input:
 *  - The input reaches libxml2 only through in_read(), which also scans the
 *    prolog (everything before the root element) as it passes.  A
 *    <!DOCTYPE is refused there, before libxml2 has seen a byte of it: no
 *    DTD is ever parsed, so no entity is ever declared, loaded (XXE) or
 *    expanded (billion laughs).  The input is always read as UTF-8
 *    (XML_PARSE_IGNORE_ENC), so the scan cannot be dodged with another
 *    encoding.
 *  - XML_PARSE_NONET; never XML_PARSE_NOENT, XML_PARSE_DTDLOAD or
 *    XML_PARSE_HUGE, so libxml2 keeps its own limits (depth 256, 10 MB per
 *    text node).  Entity references, should one get through, are refused.
 *  - The structure is checked as it streams: every element must be the one
 *    the format allows at that place, so nesting deeper than the format's
 *    five levels is refused at the first element out of place.
 *  - Every piece of text is capped by the max-post limit, and a post's extra
 *    fields together too.
 *
 * Errors: libxml2's (well-formedness, truncation) come through a structured
 * error handler installed on this reader only (no global state), with
 * libxml2's line and column.  Errors in the structure name the thread and
 * post, what was expected and what was found, at the line libxml2 recorded
 * for the element (libxml2 keeps no column for elements; 0 = unknown).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "xml.h"

#include <libxml/xmlreader.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The root as messages show it. */
#define ROOT_SHAPE "<archive xmlns=\"" XML_NS "\">"

/* States of the prolog scan (see in_read). */
enum scan {
    SCAN_MISC,     /* between markup: white space or '<' expected */
    SCAN_LT,       /* after '<' */
    SCAN_PI,       /* in <?...?> */
    SCAN_PI_Q,     /* in <?...?>, after '?' */
    SCAN_BANG,     /* after "<!" */
    SCAN_COMMENT,  /* in <!--...--> */
    SCAN_COMMENT1, /* in a comment, after '-' */
    SCAN_COMMENT2, /* in a comment, after "--" */
    SCAN_DONE      /* the root element began (or libxml2 will refuse what came) */
};

/* What next_child found. */
enum child { CHILD_START = 1, CHILD_END = 2 };

typedef struct xr {
    tc_stream *in;
    xmlTextReaderPtr r;
    size_t max;

    /* libxml2's first error, copied from its structured handler */
    bool have_err;
    int err_code;
    int err_line, err_col;
    char err_msg[512];
    int err_depth;          /* elements open when it happened */
    char err_open[128];     /* the innermost of them */
    long err_open_line;
    bool err_epilog;        /* it happened after the root element */

    /* an error set by in_read (I/O, or a refused <!DOCTYPE) */
    int input_err;

    /* the prolog scan */
    enum scan scan;
    uint64_t scan_bytes;      /* bytes scanned */
    uint64_t line, col;       /* position of the next byte */
    uint64_t lt_line, lt_col; /* position of the last '<' */
    char bang[8];
    size_t bang_n;
    uint64_t bom; /* bytes of a byte-order mark seen */
    uint64_t root_line, root_col;

    /* where the reading is */
    int phase;        /* 0: before the root, 1: in the archive, 2: done */
    bool in_thread;   /* a thread header was handed out; its posts follow */
    int pending;      /* 0, or CHILD_START for <post> / CHILD_END for </thread> */
    uint64_t n_threads, n_posts;

    /* the thread handed out */
    tc_buf title, source, thread_id, url;
    tc_thread thread;

    /* the post handed out, and scratch */
    tc_buf post_id, author, date, body, parent, value;
    size_t extras_bytes;
    tc_post post;
} xr;

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void on_xml_error(void *user, xmlErrorPtr e)
{
    xr *x = user;
    if (e == NULL)
        return;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", e->message ? e->message : "unknown error");
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (e->level == XML_ERR_WARNING) {
        tc_stream_warn(x->in, e->line > 0 ? (uint64_t)e->line : 0,
                       e->int2 > 0 ? (uint64_t)e->int2 : 0, "XML: %s", msg);
        return;
    }
    if (x->have_err)
        return; /* the first error is the one worth reporting */
    x->have_err = true;
    x->err_code = e->code;
    x->err_line = e->line;
    x->err_col = e->int2;
    /* one line: libxml2 puts the bytes of an encoding error on a second */
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
    memcpy(x->err_msg, msg, n + 1);
    /* The elements open at the error, from the parser context the error
     * carries (xmlParserCtxt is public): the reader's own nodes may be
     * behind the parser. */
    if (e->domain == XML_FROM_PARSER && e->ctxt != NULL) {
        xmlParserCtxtPtr ctxt = e->ctxt;
        x->err_depth = ctxt->nameNr;
        x->err_epilog = ctxt->instate == XML_PARSER_EPILOG;
        if (ctxt->nameNr > 0 && ctxt->name != NULL) {
            snprintf(x->err_open, sizeof x->err_open, "%s", (const char *)ctxt->name);
            x->err_open_line = ctxt->node != NULL ? xmlGetLineNo(ctxt->node) : -1;
        }
    }
}

/* The line libxml2 recorded for the current node (0: unknown; it records
 * 65535 for every line from there on). */
static uint64_t node_line(const xr *x)
{
    xmlNodePtr node = xmlTextReaderCurrentNode(x->r);
    long line = node ? xmlGetLineNo(node) : -1;
    return line > 0 && line < 65535 ? (uint64_t)line : 0;
}

/* Where the reading is, for messages: "thread 2, post 7: ". */
static void context(const xr *x, bool in_post, char *out, size_t size)
{
    if (x->n_threads == 0)
        out[0] = '\0';
    else if (in_post)
        snprintf(out, size, "thread %" PRIu64 ", post %" PRIu64 ": ", x->n_threads, x->n_posts);
    else
        snprintf(out, size, "thread %" PRIu64 ": ", x->n_threads);
}

/* An error in the structure, at the current node's line. */
static int bad(xr *x, bool in_post, const char *fmt, ...) TC_PRINTF(3, 4);

static int bad(xr *x, bool in_post, const char *fmt, ...)
{
    char ctx[96], msg[700];
    context(x, in_post, ctx, sizeof ctx);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tc_stream_error(x->in, TC_ERR_DATA, node_line(x), 0, "%s%s", ctx, msg);
}

static int nomem(xr *x)
{
    return tc_stream_error(x->in, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* xmlTextReaderRead failed (or ended with an error recorded): report
 * libxml2's first error, unless the stream already has one (an I/O error,
 * or a <!DOCTYPE refused by the prolog scan). */
static int parse_error(xr *x)
{
    if (x->input_err != TC_OK)
        return x->input_err;
    if (!x->have_err)
        return tc_stream_error(x->in, TC_ERR_DATA, 0, 0,
                               "the XML reader failed: expected a well-formed XML document");
    uint64_t line = x->err_line > 0 ? (uint64_t)x->err_line : 0;
    uint64_t col = x->err_col > 0 ? (uint64_t)x->err_col : 0;
    if (x->err_code == XML_ERR_DOCUMENT_EMPTY ||
        (x->err_code == XML_ERR_DOCUMENT_END && x->err_depth == 0 && !x->err_epilog))
        return tc_stream_error(x->in, TC_ERR_DATA, line, col,
                               "no XML element found: expected the root element " ROOT_SHAPE);
    if ((x->err_code == XML_ERR_DOCUMENT_END || x->err_code == XML_ERR_TAG_NOT_FINISHED) &&
        x->err_depth > 0) {
        /* libxml2's push parser calls a document that stops inside an
         * element "extra content at the end" */
        char started[48] = "";
        if (x->err_open_line > 0 && x->err_open_line < 65535)
            snprintf(started, sizeof started, " (started on line %ld)", x->err_open_line);
        return tc_stream_error(x->in, TC_ERR_DATA, line, col,
                               "the input ends inside <%s>%s: expected the rest of it and "
                               "</%s>; the file is truncated",
                               x->err_open, started, x->err_open);
    }
    if (x->err_code == XML_ERR_DOCUMENT_END)
        return tc_stream_error(x->in, TC_ERR_DATA, line, col,
                               "not well-formed XML: %s: expected nothing but comments and "
                               "white space after </archive>", x->err_msg);
    if (x->err_code == XML_ERR_TAG_NAME_MISMATCH && x->err_depth > 0)
        return tc_stream_error(x->in, TC_ERR_DATA, line, col,
                               "not well-formed XML: %s: expected </%s>", x->err_msg,
                               x->err_open);
    if (x->err_code == XML_ERR_INVALID_CHAR &&
        strncmp(x->err_msg, "Input is not proper UTF-8", 25) == 0) {
        const char *bytes = strstr(x->err_msg, "Bytes: ");
        return tc_stream_error(x->in, TC_ERR_DATA, line, col,
                               "invalid UTF-8%s%s%s: expected UTF-8 text (threadconv XML is "
                               "always UTF-8)", bytes ? " (bytes " : "", bytes ? bytes + 7 : "",
                               bytes ? ")" : "");
    }
    if (strstr(x->err_msg, "huge text node") != NULL)
        return tc_stream_error(x->in, TC_ERR_DATA, line, col,
                               "a run of text longer than 10000000 bytes, libxml2's limit: "
                               "expected longer text broken by comments, as threadconv "
                               "writes it");
    return tc_stream_error(x->in, TC_ERR_DATA, line, col, "not well-formed XML: %s", x->err_msg);
}

/* ------------------------------------------------------------------ */
/* Input, and the prolog scan                                          */
/* ------------------------------------------------------------------ */

/*
 * Follow the prolog through buf[0..n): XML declaration, comments,
 * processing instructions and white space, up to the root element.
 * Returns false when a <!DOCTYPE begins (the error is then set).
 */
static bool scan_prolog(xr *x, const unsigned char *buf, size_t n)
{
    static const char doctype[] = "DOCTYPE";
    for (size_t i = 0; i < n && x->scan != SCAN_DONE; i++) {
        unsigned char c = buf[i];
        uint64_t off = x->scan_bytes++;
        if (off < 3 && off == x->bom && c == (unsigned char)"\xEF\xBB\xBF"[off]) {
            x->bom++; /* a byte-order mark: not counted as a column */
            continue;
        }
        uint64_t line = x->line, col = x->col;
        if (c == '\n') {
            x->line++;
            x->col = 1;
        } else if ((c & 0xC0) != 0x80) {
            x->col++;
        }
        switch (x->scan) {
        case SCAN_MISC:
            if (c == '<') {
                x->scan = SCAN_LT;
                x->lt_line = line;
                x->lt_col = col;
            } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                x->scan = SCAN_DONE;
            }
            break;
        case SCAN_LT:
            if (c == '?') {
                x->scan = SCAN_PI;
            } else if (c == '!') {
                x->scan = SCAN_BANG;
                x->bang_n = 0;
            } else {
                x->root_line = x->lt_line;
                x->root_col = x->lt_col;
                x->scan = SCAN_DONE;
            }
            break;
        case SCAN_PI:
            if (c == '?')
                x->scan = SCAN_PI_Q;
            break;
        case SCAN_PI_Q:
            x->scan = c == '>' ? SCAN_MISC : c == '?' ? SCAN_PI_Q : SCAN_PI;
            break;
        case SCAN_BANG:
            x->bang[x->bang_n++] = (char)c;
            if (x->bang_n == 2 && x->bang[0] == '-' && x->bang[1] == '-') {
                x->scan = SCAN_COMMENT;
            } else if (x->bang_n <= 7 && memcmp(x->bang, doctype, x->bang_n) == 0) {
                if (x->bang_n == 7) {
                    tc_stream_error(x->in, TC_ERR_DATA, x->lt_line, x->lt_col,
                                    "<!DOCTYPE is not allowed: threadconv XML has no document "
                                    "type declaration (a DTD could load external entities or "
                                    "expand entities without bound); expected the root element "
                                    ROOT_SHAPE);
                    return false;
                }
            } else if (!(x->bang_n == 1 && c == '-')) {
                x->scan = SCAN_DONE; /* "<![CDATA[" or worse: libxml2 refuses it */
            }
            break;
        case SCAN_COMMENT:
            if (c == '-')
                x->scan = SCAN_COMMENT1;
            break;
        case SCAN_COMMENT1:
            x->scan = c == '-' ? SCAN_COMMENT2 : SCAN_COMMENT;
            break;
        case SCAN_COMMENT2:
            x->scan = c == '>' ? SCAN_MISC : c == '-' ? SCAN_COMMENT2 : SCAN_COMMENT;
            break;
        case SCAN_DONE:
            break;
        }
    }
    return true;
}

/* libxml2's input callback. */
static int in_read(void *ctx, char *buf, int len)
{
    xr *x = ctx;
    if (x->input_err != TC_OK)
        return 0; /* refused or failed already: end libxml2's input */
    long n = tc_stream_read(x->in, buf, (size_t)len);
    if (n < 0) {
        x->input_err = (int)n; /* the stream has the error; the end stops libxml2 */
        return 0;
    }
    if (x->scan != SCAN_DONE && !scan_prolog(x, (const unsigned char *)buf, (size_t)n)) {
        x->input_err = TC_ERR_DATA;
        return 0;
    }
    return (int)n;
}

/* ------------------------------------------------------------------ */
/* Walking the nodes                                                   */
/* ------------------------------------------------------------------ */

/* Next node: 1, 0 at the end of the document, or an error code (set). */
static int step(xr *x)
{
    int rc = xmlTextReaderRead(x->r);
    if (rc == 1 && x->input_err == TC_OK)
        return 1;
    if (rc == 0 && !x->have_err && x->input_err == TC_OK)
        return 0;
    return parse_error(x);
}

static bool ours(const xr *x)
{
    const xmlChar *ns = xmlTextReaderConstNamespaceUri(x->r);
    return ns != NULL && strcmp((const char *)ns, XML_NS) == 0;
}

/* The current node is the start of our element name. */
static bool is_elem(const xr *x, const char *name)
{
    return xmlTextReaderNodeType(x->r) == XML_READER_TYPE_ELEMENT && ours(x) &&
           strcmp((const char *)xmlTextReaderConstLocalName(x->r), name) == 0;
}

/* The current node as messages show it: <title>, </thread>, text "..." */
static void describe(const xr *x, char *out, size_t size)
{
    int type = xmlTextReaderNodeType(x->r);
    const char *local = (const char *)xmlTextReaderConstLocalName(x->r);
    const char *ns = (const char *)xmlTextReaderConstNamespaceUri(x->r);
    if (local == NULL)
        local = "";
    switch (type) {
    case XML_READER_TYPE_ELEMENT:
        if (ours(x))
            snprintf(out, size, "<%s>", local);
        else if (ns == NULL)
            snprintf(out, size, "<%s> in no namespace", local);
        else
            snprintf(out, size, "<%s> in namespace \"%.100s\"", local, ns);
        break;
    case XML_READER_TYPE_END_ELEMENT:
        snprintf(out, size, "</%s>", local);
        break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA: {
        /* the first 24 characters after any white space, controls as spaces */
        const char *v = (const char *)xmlTextReaderConstValue(x->r);
        char shown[120];
        size_t n = 0, k = 0, chars = 0;
        while (v && (v[n] == ' ' || v[n] == '\t' || v[n] == '\n' || v[n] == '\r'))
            n++;
        while (v && v[n] && chars < 24) {
            shown[k++] = (unsigned char)v[n] < 0x20 ? ' ' : v[n];
            n++;
            while ((v[n] & 0xC0) == 0x80)
                shown[k++] = v[n++];
            chars++;
        }
        shown[k] = '\0';
        snprintf(out, size, "text \"%s%s\"", shown, v && v[n] ? "..." : "");
        break;
    }
    case XML_READER_TYPE_ENTITY_REFERENCE:
        snprintf(out, size, "the entity reference &%s;", local);
        break;
    case XML_READER_TYPE_DOCUMENT_TYPE:
        snprintf(out, size, "a document type declaration");
        break;
    default:
        snprintf(out, size, "an XML node of type %d", type);
        break;
    }
}

/* "expected WHAT, found <x>" at the current node. */
static int unexpected(xr *x, bool in_post, const char *what)
{
    char found[200];
    describe(x, found, sizeof found);
    return bad(x, in_post, "expected %s, found %s", what, found);
}

/*
 * Next child of an element-only container (archive, thread, post): white
 * space, comments and processing instructions are skipped.  Returns
 * CHILD_START (on a start tag), CHILD_END (on the container's end tag) or
 * an error (set; `what` says what was expected).
 */
static int next_child(xr *x, bool in_post, const char *what)
{
    for (;;) {
        int rc = step(x);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return tc_stream_error(x->in, TC_ERR_DATA, 0, 0,
                                   "the input ends early: expected %s", what);
        switch (xmlTextReaderNodeType(x->r)) {
        case XML_READER_TYPE_ELEMENT:
            return CHILD_START;
        case XML_READER_TYPE_END_ELEMENT:
            return CHILD_END;
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        case XML_READER_TYPE_COMMENT:
        case XML_READER_TYPE_PROCESSING_INSTRUCTION:
            continue;
        default:
            return unexpected(x, in_post, what);
        }
    }
}

/* The value of a ctrl element's code attribute, or -1 when it is not one
 * the format writes. */
static long ctrl_code(const char *code)
{
    if (code == NULL)
        return -1;
    size_t n = strlen(code);
    if (n != 2 && n != 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    if (!xml_needs_ctrl((unsigned long)v) || (n == 4) != (v > 0xFF))
        return -1;
    return v;
}

static int append_limited(xr *x, tc_buf *buf, const char *name, bool in_post, const void *data,
                          size_t len)
{
    if (len > x->max || buf->len > x->max - len)
        return bad(x, in_post, "the text of <%s> is longer than the max-post limit (%zu bytes)",
                   name, x->max);
    if (tc_buf_append(buf, data, len) != TC_OK)
        return nomem(x);
    return TC_OK;
}

/*
 * The text of the element `name` the reader is on, into buf: text, CDATA
 * and <ctrl/> elements, up to its end tag.  A NUL (<ctrl code="00"/>) is
 * allowed only where allow_nul (the body: other strings end at a NUL).
 */
static int read_text(xr *x, tc_buf *buf, const char *name, bool in_post, bool allow_nul)
{
    tc_buf_reset(buf);
    if (tc_buf_append(buf, "", 0) != TC_OK)
        return nomem(x);
    if (xmlTextReaderIsEmptyElement(x->r))
        return TC_OK;
    char what[64];
    snprintf(what, sizeof what, "text, <ctrl/> or </%s>", name);
    for (;;) {
        int rc = step(x);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return tc_stream_error(x->in, TC_ERR_DATA, 0, 0, "the input ends early: expected %s",
                                   what);
        switch (xmlTextReaderNodeType(x->r)) {
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
            const char *v = (const char *)xmlTextReaderConstValue(x->r);
            if (v != NULL && (rc = append_limited(x, buf, name, in_post, v, strlen(v))) != TC_OK)
                return rc;
            break;
        }
        case XML_READER_TYPE_COMMENT:
        case XML_READER_TYPE_PROCESSING_INSTRUCTION:
            break;
        case XML_READER_TYPE_END_ELEMENT:
            return TC_OK;
        case XML_READER_TYPE_ELEMENT: {
            if (!is_elem(x, "ctrl"))
                return unexpected(x, in_post, what);
            char *code = (char *)xmlTextReaderGetAttribute(x->r, BAD_CAST "code");
            long v = ctrl_code(code);
            if (v < 0 || (v == 0 && !allow_nul)) {
                int e = bad(x, in_post,
                            "<ctrl code=\"%.20s\"> in <%s>: expected a code for a character XML "
                            "cannot hold: 01-08, 0B, 0C, 0E-1F, FFFE or FFFF%s",
                            code ? code : "", name, allow_nul ? " (or 00)" : "");
                xmlFree(code);
                return e;
            }
            xmlFree(code);
            char utf8[3];
            size_t n = 1;
            if (v > 0xFF) {
                utf8[0] = (char)0xEF;
                utf8[1] = (char)0xBF;
                utf8[2] = (char)(v == 0xFFFE ? 0xBE : 0xBF);
                n = 3;
            } else {
                utf8[0] = (char)v;
            }
            if ((rc = append_limited(x, buf, name, in_post, utf8, n)) != TC_OK)
                return rc;
            if (!xmlTextReaderIsEmptyElement(x->r)) {
                rc = step(x);
                if (rc < 0)
                    return rc;
                if (rc == 0 || xmlTextReaderNodeType(x->r) != XML_READER_TYPE_END_ELEMENT)
                    return unexpected(x, in_post, "an empty <ctrl/> element");
            }
            break;
        }
        default:
            return unexpected(x, in_post, what);
        }
    }
}

/* An <extra key="..."> the reader is on, added to fields. */
static int read_extra(xr *x, tc_fields *fields, bool in_post)
{
    char *key = (char *)xmlTextReaderGetAttribute(x->r, BAD_CAST "key");
    int rc;
    if (key == NULL || *key == '\0')
        rc = bad(x, in_post, "<extra> without a key: expected <extra key=\"NAME\">");
    else if (tc_is_reserved_key(key))
        rc = bad(x, in_post, "<extra key=\"%s\">: the key is a name the model reserves, "
                 "expected another one", key);
    else if (tc_fields_get(fields, key) != NULL)
        rc = bad(x, in_post, "<extra key=\"%.200s\"> appears twice: expected each key once", key);
    else
        rc = read_text(x, &x->value, "extra", in_post, false);
    if (rc == TC_OK) {
        size_t cost = strlen(key) + x->value.len + 64;
        if (x->extras_bytes + cost > x->max)
            rc = bad(x, in_post, "the extra fields are longer than the max-post limit (%zu bytes)",
                     x->max);
        else if (tc_fields_setn(fields, key, x->value.data, x->value.len) != TC_OK)
            rc = nomem(x);
        x->extras_bytes += cost;
    }
    xmlFree(key);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The document                                                        */
/* ------------------------------------------------------------------ */

/* Read up to the root element and check it. */
static int open_root(xr *x)
{
    for (;;) {
        int rc = step(x);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return tc_stream_error(x->in, TC_ERR_DATA, 0, 0,
                                   "no XML element found: expected the root element " ROOT_SHAPE);
        int type = xmlTextReaderNodeType(x->r);
        if (type == XML_READER_TYPE_ELEMENT)
            break;
        if (type != XML_READER_TYPE_COMMENT && type != XML_READER_TYPE_PROCESSING_INSTRUCTION &&
            type != XML_READER_TYPE_WHITESPACE && type != XML_READER_TYPE_SIGNIFICANT_WHITESPACE)
            return unexpected(x, false, "the root element " ROOT_SHAPE);
    }
    if (!is_elem(x, "archive")) {
        char found[200];
        describe(x, found, sizeof found);
        return tc_stream_error(x->in, TC_ERR_DATA, x->root_line ? x->root_line : node_line(x),
                               x->root_col,
                               "not a threadconv XML archive: expected the root element "
                               ROOT_SHAPE ", found %s", found);
    }
    char *version = (char *)xmlTextReaderGetAttribute(x->r, BAD_CAST "version");
    int rc = TC_OK;
    if (version == NULL || strcmp(version, XML_VERSION) != 0)
        rc = tc_stream_error(x->in, TC_ERR_DATA, x->root_line ? x->root_line : node_line(x),
                             x->root_col,
                             "%s%.20s%s: expected version=\"" XML_VERSION "\" (this reader "
                             "reads version " XML_VERSION ")",
                             version ? "unsupported version=\"" : "<archive> without a version",
                             version ? version : "", version ? "\" on <archive>" : "");
    xmlFree(version);
    if (rc != TC_OK)
        return rc;
    x->phase = 1;
    return TC_OK;
}

/* After </archive>: only comments, PIs and white space may follow. */
static int close_root(xr *x)
{
    int rc;
    while ((rc = step(x)) == 1)
        ;
    x->phase = 2;
    return rc < 0 ? rc : TC_OK;
}

/* The header of the <thread> the reader is on, up to its first <post> or
 * its end (left pending). */
static int read_thread_header(xr *x)
{
    tc_fields_clear(&x->thread.extras);
    x->extras_bytes = 0;
    if (xmlTextReaderIsEmptyElement(x->r))
        return bad(x, false, "empty <thread/>: expected <title> in it");
    int k = next_child(x, false, "<title>");
    if (k < 0)
        return k;
    if (k != CHILD_START || !is_elem(x, "title"))
        return unexpected(x, false, "<title>");
    int rc = read_text(x, &x->title, "title", false, false);
    if (rc != TC_OK)
        return rc;
    if ((k = next_child(x, false, "<source>")) < 0)
        return k;
    if (k != CHILD_START || !is_elem(x, "source"))
        return unexpected(x, false, "<source>");
    if ((rc = read_text(x, &x->source, "source", false, false)) != TC_OK)
        return rc;

    static const char *const expect[] = {
        "<id>, <url>, <extra>, <post> or </thread>",
        "<url>, <extra>, <post> or </thread>",
        "<extra>, <post> or </thread>",
    };
    int stage = 0; /* 0: after source, 1: after id, 2: after url or an extra */
    x->thread.id = NULL;
    x->thread.url = NULL;
    for (;;) {
        if ((k = next_child(x, false, expect[stage])) < 0)
            return k;
        if (k == CHILD_END) {
            x->pending = CHILD_END;
            break;
        }
        if (is_elem(x, "post")) {
            x->pending = CHILD_START;
            break;
        }
        if (stage == 0 && is_elem(x, "id")) {
            if ((rc = read_text(x, &x->thread_id, "id", false, false)) != TC_OK)
                return rc;
            x->thread.id = x->thread_id.data;
            stage = 1;
        } else if (stage <= 1 && is_elem(x, "url")) {
            if ((rc = read_text(x, &x->url, "url", false, false)) != TC_OK)
                return rc;
            x->thread.url = x->url.data;
            stage = 2;
        } else if (is_elem(x, "extra")) {
            if ((rc = read_extra(x, &x->thread.extras, false)) != TC_OK)
                return rc;
            stage = 2;
        } else {
            return unexpected(x, false, expect[stage]);
        }
    }
    x->thread.title = x->title.data;
    x->thread.source = x->source.data;
    return TC_OK;
}

/* The <post> the reader is on, through its end tag. */
static int read_post(xr *x)
{
    tc_fields_clear(&x->post.extras);
    x->extras_bytes = 0;
    x->n_posts++;
    if (xmlTextReaderIsEmptyElement(x->r))
        return bad(x, true, "empty <post/>: expected <id> in it");
    int k, rc;
    static const char *const required[] = {"id", "author"};
    tc_buf *dest[] = {&x->post_id, &x->author};
    for (int i = 0; i < 2; i++) {
        char what[16];
        snprintf(what, sizeof what, "<%s>", required[i]);
        if ((k = next_child(x, true, what)) < 0)
            return k;
        if (k != CHILD_START || !is_elem(x, required[i]))
            return unexpected(x, true, what);
        if ((rc = read_text(x, dest[i], required[i], true, false)) != TC_OK)
            return rc;
    }

    if ((k = next_child(x, true, "<date> or <body>")) < 0)
        return k;
    x->post.date = (tc_date){0};
    if (k == CHILD_START && is_elem(x, "date")) {
        if ((rc = read_text(x, &x->date, "date", true, false)) != TC_OK)
            return rc;
        if (tc_date_parse_iso(x->date.data, x->date.len, &x->post.date) != TC_OK)
            return bad(x, true,
                       "<date>%.60s</date>: expected an ISO 8601 date and time with a UTC "
                       "offset, like 2021-02-04T21:33:59+00:00",
                       x->date.data);
        if ((k = next_child(x, true, "<body>")) < 0)
            return k;
        if (k != CHILD_START || !is_elem(x, "body"))
            return unexpected(x, true, "<body>");
    } else if (k != CHILD_START || !is_elem(x, "body")) {
        return unexpected(x, true, "<date> or <body>");
    }
    if ((rc = read_text(x, &x->body, "body", true, true)) != TC_OK)
        return rc;

    static const char *const expect[] = {"<parent>, <extra> or </post>", "<extra> or </post>"};
    int stage = 0;
    x->post.parent_id = NULL;
    for (;;) {
        if ((k = next_child(x, true, expect[stage])) < 0)
            return k;
        if (k == CHILD_END)
            break;
        if (stage == 0 && is_elem(x, "parent")) {
            if ((rc = read_text(x, &x->parent, "parent", true, false)) != TC_OK)
                return rc;
            x->post.parent_id = x->parent.data;
            stage = 1;
        } else if (is_elem(x, "extra")) {
            if ((rc = read_extra(x, &x->post.extras, true)) != TC_OK)
                return rc;
            stage = 1;
        } else {
            return unexpected(x, true, expect[stage]);
        }
    }
    x->post.id = x->post_id.data;
    x->post.author = x->author.data;
    x->post.body = x->body.data;
    x->post.body_len = x->body.len;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* The plugin's callbacks                                              */
/* ------------------------------------------------------------------ */

int xml_read_open(tc_stream *in, void **state)
{
    xr *x = calloc(1, sizeof *x);
    if (x == NULL)
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    x->in = in;
    x->max = tc_stream_max_post(in);
    xmlInitParser(); /* idempotent; see xml.c for the cleanup */
    x->line = 1;
    x->col = 1;
    /* Never XML_PARSE_NOENT (entity substitution), XML_PARSE_DTDLOAD or
     * XML_PARSE_HUGE; the input is UTF-8 whatever it declares. */
    x->r = xmlReaderForIO(in_read, NULL, x, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
    if (x->r == NULL) {
        free(x);
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory (creating the XML reader)");
    }
    xmlTextReaderSetStructuredErrorHandler(x->r, on_xml_error, x);
    *state = x;
    return TC_OK;
}

void xml_read_close(tc_stream *in, void *state)
{
    (void)in;
    xr *x = state;
    if (x == NULL)
        return;
    xmlFreeTextReader(x->r);
    tc_buf *bufs[] = {&x->title, &x->source, &x->thread_id, &x->url, &x->post_id,
                      &x->author, &x->date, &x->body, &x->parent, &x->value};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        tc_buf_free(bufs[i]);
    tc_fields_free(&x->thread.extras);
    tc_fields_free(&x->post.extras);
    free(x);
}

int xml_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    (void)in;
    xr *x = state;
    if (!x->in_thread)
        return TC_EOF;
    int k = x->pending;
    x->pending = 0;
    if (k == 0 && (k = next_child(x, false, "<post> or </thread>")) < 0)
        return k;
    if (k == CHILD_END) {
        x->in_thread = false;
        return TC_EOF;
    }
    if (!is_elem(x, "post"))
        return unexpected(x, false, "<post> or </thread>");
    int rc = read_post(x);
    if (rc != TC_OK)
        return rc;
    *post = &x->post;
    return TC_OK;
}

int xml_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    xr *x = state;
    int rc;
    if (x->phase == 0 && (rc = open_root(x)) != TC_OK)
        return rc;
    /* the rest of the previous thread, when its posts were not all read */
    while (x->in_thread) {
        const tc_post *p;
        rc = xml_read_next_post(in, state, &p);
        if (rc < 0)
            return rc;
    }
    if (x->phase == 2)
        return TC_EOF;
    if (x->n_threads == 0 && xmlTextReaderNodeType(x->r) == XML_READER_TYPE_ELEMENT &&
        is_elem(x, "archive") && xmlTextReaderIsEmptyElement(x->r)) {
        /* <archive .../>: no threads */
        if ((rc = close_root(x)) != TC_OK)
            return rc;
        return TC_EOF;
    }
    int k = next_child(x, false, "<thread> or </archive>");
    if (k < 0)
        return k;
    if (k == CHILD_END) {
        if ((rc = close_root(x)) != TC_OK)
            return rc;
        return TC_EOF;
    }
    if (!is_elem(x, "thread"))
        return unexpected(x, false, "<thread> or </archive>");
    x->n_threads++;
    x->n_posts = 0;
    if ((rc = read_thread_header(x)) != TC_OK)
        return rc;
    x->in_thread = true;
    *thread = &x->thread;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

static bool name_char(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
}

/*
 * SURE when the first element is <archive> (any prefix) in our namespace;
 * MAYBE for other XML; NO otherwise.  Only the prolog (XML declaration,
 * comments, processing instructions, white space) may come before it.
 */
int xml_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const unsigned char *p = head, *end = head + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    bool xmlish = false;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p >= end || *p != '<')
            return xmlish ? TC_PROBE_MAYBE : TC_PROBE_NO;
        if (end - p >= 2 && p[1] == '!' && (end - p < 4 || memcmp(p, "<!--", 4) != 0))
            return TC_PROBE_MAYBE; /* <!DOCTYPE ...: XML, though not ours as it stands */
        const char *close = NULL;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
            close = "-->";
        else if (end - p >= 2 && p[1] == '?')
            close = "?>";
        if (close == NULL)
            break;
        xmlish = true;
        const unsigned char *q = p + 2;
        size_t cl = strlen(close);
        while (q + cl <= end && memcmp(q, close, cl) != 0)
            q++;
        if (q + cl > end)
            return TC_PROBE_MAYBE;
        p = q + cl;
    }
    /* the first element's start tag: name, then attributes */
    const unsigned char *q = ++p;
    while (q < end && name_char(*q))
        q++;
    if (q == p)
        return xmlish ? TC_PROBE_MAYBE : TC_PROBE_NO;
    const unsigned char *colon = memchr(p, ':', (size_t)(q - p));
    const unsigned char *local = colon ? colon + 1 : p;
    if ((size_t)(q - local) != 7 || memcmp(local, "archive", 7) != 0)
        return TC_PROBE_MAYBE;
    /* the declaration that binds the root's prefix (or the default) */
    char want[80];
    snprintf(want, sizeof want, "xmlns%s%.*s", colon ? ":" : "", colon ? (int)(colon - p) : 0,
             (const char *)p);
    size_t want_len = strlen(want);
    while (q < end && *q != '>') {
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        const unsigned char *an = q;
        while (q < end && name_char(*q))
            q++;
        size_t an_len = (size_t)(q - an);
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (an_len == 0 || q >= end || *q != '=')
            break;
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (q >= end || (*q != '"' && *q != '\''))
            break;
        unsigned char quote = *q++;
        const unsigned char *v = q;
        while (q < end && *q != quote)
            q++;
        if (q >= end)
            break;
        if (an_len == want_len && memcmp(an, want, an_len) == 0)
            return (size_t)(q - v) == strlen(XML_NS) && memcmp(v, XML_NS, strlen(XML_NS)) == 0
                       ? TC_PROBE_SURE
                       : TC_PROBE_MAYBE;
        q++;
    }
    return TC_PROBE_MAYBE;
}
