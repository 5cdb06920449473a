/*
 * reader.c - the "xml" reader: streams a threadconv XML document (see xml.h
 * and doc/formats.md) through libxml2's SAX2 push parser, one post at a
 * time, so memory stays flat however large the archive.
 *
 * How it streams: the input is pushed to libxml2 (xmlParseChunk) in pieces
 * of XR_PUSH bytes, and only while nothing parsed is waiting to be handed
 * out.  The SAX callbacks check the structure as the elements come and
 * build the items of the archive -- a thread header, a post, the end of a
 * thread, the end of the archive -- into a queue whose strings live in one
 * buffer, the arena.  So the reader holds what one piece completes plus the
 * item it is building: its memory is bounded by the max-post limit, never
 * by the archive.  No tree is built, each piece of text is copied once
 * (into the arena), and element names are compared by pointer (libxml2
 * interns them in its dictionary; the reader looks its own up there too).
 * libxml2's xmlTextReader would build a tree node for every element and
 * piece of text and walk it; the parse itself is the same.
 *
 * Safety on hostile input:
 *  - The input reaches libxml2 only through feed(), which first scans the
 *    prolog (everything before the root element) as it passes.  A
 *    <!DOCTYPE is refused there, before libxml2 has seen a byte of it: no
 *    DTD is ever parsed, so no entity is ever declared, loaded (XXE) or
 *    expanded (billion laughs).  The SAX handler has no DTD callbacks
 *    either, so not even a declaration could be kept.  The input is always
 *    read as UTF-8: libxml2 is told so before it sees a byte (so it guesses
 *    nothing from the first bytes) and XML_PARSE_IGNORE_ENC makes it ignore
 *    the XML declaration's encoding, so the scan cannot be dodged with
 *    another encoding.
 *  - XML_PARSE_NONET; never XML_PARSE_NOENT, XML_PARSE_DTDLOAD or
 *    XML_PARSE_HUGE, so libxml2 keeps its own limits (depth 256, names,
 *    attribute values).  libxml2's limit of 10,000,000 bytes per text node
 *    belongs to its tree builder, which this reader does not use: the
 *    reader enforces it itself (XR_RUN_MAX).  Entity references, should one
 *    get through, are refused by libxml2 as undeclared.
 *  - The structure is checked as it streams: every element must be the one
 *    the format allows at that place, so nesting deeper than the format's
 *    five levels is refused at the first element out of place.
 *  - Every piece of text is capped by the max-post limit, and a post's extra
 *    fields together too, and its attachments together: their base64 is
 *    decoded as it comes (into the arena), never held.
 *
 * Errors: the first problem in document order is reported, once the items
 * before it have been handed out.  libxml2's (well-formedness, truncation)
 * come through a structured error handler set on this parser only (no
 * global state), with libxml2's line and column.  Errors in the structure
 * name the thread and post, what was expected and what was found, at the
 * line of the element (of its start tag, for an end tag) or of the text.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "xml.h"
#include "base64.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlreader.h> /* node type numbers, for messages */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The root as messages show it. */
#define ROOT_SHAPE "<archive xmlns=\"" XML_NS "\">"

/* Bytes read from the input at a time. */
#define XR_CHUNK ((size_t)64 * 1024)

/*
 * Bytes pushed to libxml2 at a time, after the first 4: as libxml2's own
 * xmlTextReader pushes them.  Where libxml2 splits a run of text, and so
 * the positions it reports, depend on it.
 */
#define XR_PUSH ((size_t)512)

/*
 * The longest run of character data (text, or CDATA) not broken by markup:
 * libxml2's XML_MAX_TEXT_LENGTH, which its tree builder enforces on a text
 * node without XML_PARSE_HUGE.  The writer breaks longer runs with <!---->.
 */
#define XR_RUN_MAX ((size_t)10000000)

/* An absent string. */
#define NONE ((size_t)-1)

/* How deep the format nests: archive, thread, post, body, ctrl. */
#define XR_DEPTH 5

/* States of the prolog scan (see scan_prolog). */
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

/* The elements of the format: local names in the namespace XML_NS. */
enum el {
    EL_ARCHIVE, EL_THREAD, EL_TITLE, EL_SOURCE, EL_ID, EL_URL, EL_EXTRA, EL_POST, EL_AUTHOR,
    EL_DATE, EL_BODY, EL_PARENT, EL_CTRL, EL_ATTACHMENT,
    EL_COUNT,
    EL_OTHER = EL_COUNT, /* another element in XML_NS */
    EL_FOREIGN           /* an element in another namespace, or in none */
};
static const char *const el_names[EL_COUNT] = {
    "archive", "thread", "title", "source", "id", "url", "extra", "post", "author",
    "date", "body", "parent", "ctrl", "attachment",
};

/* The attributes the reader reads, in no namespace. */
enum at {
    AT_VERSION, AT_KEY, AT_CODE,
    /* <attachment>'s, the strings first, in the order of xatt.s */
    AT_NAME, AT_TYPE, AT_REF, AT_CONTENT_ID, AT_DISPOSITION, AT_NOTE, AT_SIZE, AT_EMPTY,
    AT_COUNT
};
static const char *const at_names[AT_COUNT] = {"version", "key", "code", "name", "type", "ref",
                                               "content-id", "disposition", "note", "size",
                                               "empty"};

/* Where the parse is: what may come next. */
enum st {
    ST_PROLOG,   /* before the root element */
    ST_ARCHIVE,  /* in <archive>: <thread> or </archive> */
    ST_T_TITLE,  /* in <thread>: <title> */
    ST_T_SOURCE, /* <source> */
    ST_T_HEAD,   /* <id>, <url>, <extra>, <post> or </thread>; x->stage says which */
    ST_T_POSTS,  /* <post> or </thread> */
    ST_P_ID,     /* in <post>: <id> */
    ST_P_AUTHOR, /* <author> */
    ST_P_DATE,   /* <date> or <body> */
    ST_P_BODY,   /* <body>, after <date> */
    ST_P_TAIL,   /* <parent>, <extra>, <attachment> or </post>; x->stage says which */
    ST_TEXT,     /* in a text element: text, <ctrl/> or its end tag */
    ST_ATTACH,   /* in <attachment>: base64 or its end tag */
    ST_CTRL,     /* in <ctrl>: its end tag */
    ST_EPILOG,   /* after </archive> */
    ST_STOP      /* a problem was found: the rest is ignored */
};

/* What may come next in the element-only containers, for messages. */
static const char *const thread_head_expect[] = {
    "<id>, <url>, <extra>, <post> or </thread>",
    "<url>, <extra>, <post> or </thread>",
    "<extra>, <post> or </thread>",
};
static const char *const post_tail_expect[] = {"<parent>, <extra>, <attachment> or </post>",
                                               "<extra>, <attachment> or </post>",
                                               "<attachment> or </post>"};

/* A run of character data: consecutive text (character references and
 * predefined entities included), or consecutive CDATA sections. */
enum run { RUN_NONE, RUN_TEXT, RUN_CDATA };

/* The items of the archive, queued for the caller. */
enum kind { K_THREAD = 1, K_POST, K_END_THREAD, K_END_ARCHIVE };

/* Strings of an item (index into item.s). */
enum { S_TITLE = 0, S_SOURCE = 1, S_TID = 2, S_URL = 3 }; /* a thread */
enum { S_PID = 0, S_AUTHOR = 1, S_BODY = 2, S_PARENT = 3 }; /* a post */
/* Text that is not one of them: */
#define T_DATE 4
#define T_EXTRA 5

typedef struct item {
    int kind;
    size_t base;     /* arena offset of its first byte */
    size_t s[4];     /* its strings, as offsets from base; NONE when absent */
    size_t body_len; /* a post's body, in bytes */
    tc_date date;
    size_t x0, nx;   /* its extra fields: x->xs[x0 .. x0 + nx) */
    size_t a0, na;   /* a post's attachments: x->as[a0 .. a0 + na) */
} item;

/* An extra field: key and value as offsets from its item's base. */
typedef struct xfield {
    size_t key, value, value_len;
} xfield;

/* The strings of an attachment (index into xatt.s), as AT_NAME.. order. */
enum { A_NAME, A_TYPE, A_REF, A_CONTENT_ID, A_DISPOSITION, A_NOTE, A_STRINGS };

/* An attachment: its strings and bytes as offsets from its item's base. */
typedef struct xatt {
    size_t s[A_STRINGS]; /* NONE when absent (name and type: read as "") */
    size_t data;         /* NONE when the bytes are not there */
    uint64_t size;       /* of data, or as the size attribute says */
    bool size_known;
} xatt;

typedef struct xr {
    tc_stream *in;
    xmlParserCtxtPtr ctxt;
    size_t max;
    unsigned char *chunk; /* XR_CHUNK bytes for input */
    size_t c_pos, c_len;  /* what it holds, and how much of that was pushed */

    /* names as interned in libxml2's dictionary: compared by pointer */
    const xmlChar *ns;
    const xmlChar *el[EL_COUNT];
    const xmlChar *at[AT_COUNT];

    /* libxml2's first error, copied from its structured handler */
    bool have_err;
    int err_code;
    int err_line, err_col;
    char err_msg[512];
    int err_depth;          /* elements open when it happened */
    char err_open[128];     /* the innermost of them */
    uint64_t err_open_line; /* and the line of its start tag (0: unknown) */
    bool err_epilog;        /* it happened after the root element */

    /* the first problem, reported once the items before it are handed out */
    int perr;       /* 0, or its code */
    bool perr_xml;  /* libxml2's error (the fields above say what it is) */
    uint64_t perr_line, perr_col;
    char perr_msg[1024];
    bool eof;       /* the input has ended */
    bool done;      /* and its end was pushed */
    int final;      /* once the reading has ended: TC_EOF or the error */

    /* the prolog scan */
    enum scan scan;
    uint64_t scan_bytes;      /* bytes scanned */
    uint64_t line, col;       /* position of the next byte */
    uint64_t lt_line, lt_col; /* position of the last '<' */
    char bang[8];
    size_t bang_n;
    uint64_t bom; /* bytes of a byte-order mark seen */
    uint64_t root_line, root_col;

    /* the parse */
    enum st st;
    int stage;
    uint64_t open[XR_DEPTH]; /* the open elements: the lines of their start tags */
    int depth;
    uint64_t n_threads, n_posts;
    size_t extras_bytes;

    /* the text element being read */
    int t_slot;        /* S_*, T_DATE or T_EXTRA */
    const char *t_name;
    bool t_in_post, t_nul;
    enum st t_ret;     /* the state after it, */
    int t_ret_stage;   /* and the stage */
    size_t t_start;    /* its text, as an offset from the item's base */
    size_t t_len;      /* bytes of it so far */
    bool t_over;       /* over the max-post limit: no longer kept */
    size_t t_key;      /* T_EXTRA: the key's offset */

    /* the attachment being read: x->as[x->as_n - 1] */
    xml_b64 a_dec;
    bool a_bytes;           /* its content is base64 (not empty="true") */
    uint64_t a_line, a_col; /* where the next piece of its content begins (0: unknown) */
    size_t a_cost;          /* what the post's attachments hold, against max-post */

    /* the run of character data being read */
    enum run run;
    uint64_t run_line;  /* libxml2's line when its first piece came */
    size_t run_len;
    bool run_blank;     /* only white space so far */
    char run_head[128]; /* outside text elements: how it begins, after white space */
    size_t run_head_len, run_rest;

    /* the item being built, the queue, and the arena holding their strings */
    item p;
    bool p_open;
    item *q;
    size_t q_n, q_head, q_cap;
    xfield *xs;
    size_t xs_n, xs_cap;
    xatt *as;
    size_t as_n, as_cap;
    tc_buf arena;
    tc_buf attr; /* an attribute's value */

    /* what was handed out */
    bool in_thread;
    tc_buf title, source, thread_id, url;
    tc_thread thread;
    tc_post post;
    tc_attachment *atts; /* the post's attachments */
    size_t atts_cap;
} xr;

/* ------------------------------------------------------------------ */
/* Problems                                                            */
/* ------------------------------------------------------------------ */

/* Everything after the first problem is ignored. */
static void stop(xr *x)
{
    x->st = ST_STOP;
    if (x->ctxt != NULL)
        x->ctxt->disableSAX = 1;
}

/* Note the first problem: code, position and message. */
static void fail(xr *x, int code, uint64_t line, uint64_t col, const char *fmt, ...)
    TC_PRINTF(5, 6);

static void fail(xr *x, int code, uint64_t line, uint64_t col, const char *fmt, ...)
{
    if (x->perr == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->perr_msg, sizeof x->perr_msg, fmt, ap);
        va_end(ap);
        x->perr = code;
        x->perr_xml = false;
        x->perr_line = line;
        x->perr_col = col;
    }
    stop(x);
}

static void nomem(xr *x)
{
    fail(x, TC_ERR_NOMEM, 0, 0, "out of memory");
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

/* A problem in the structure, at line (0: unknown). */
static void bad(xr *x, bool in_post, uint64_t line, const char *fmt, ...) TC_PRINTF(4, 5);

static void bad(xr *x, bool in_post, uint64_t line, const char *fmt, ...)
{
    char ctx[96], msg[700];
    context(x, in_post, ctx, sizeof ctx);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail(x, TC_ERR_DATA, line, 0, "%s%s", ctx, msg);
}

/* "expected WHAT, found FOUND" */
static void unexpected(xr *x, bool in_post, uint64_t line, const char *what, const char *found)
{
    bad(x, in_post, line, "expected %s, found %s", what, found);
}

static void on_xml_error(void *user, xmlErrorPtr e)
{
    xr *x = user;
    if (e == NULL || x->st == ST_STOP)
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
    if (!x->have_err) { /* the first error is the one worth reporting */
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
         * carries (xmlParserCtxt is public).  The reader's own stack holds
         * the same elements, with the lines of their start tags. */
        if (e->domain == XML_FROM_PARSER && e->ctxt != NULL) {
            xmlParserCtxtPtr ctxt = e->ctxt;
            x->err_depth = ctxt->nameNr;
            x->err_epilog = ctxt->instate == XML_PARSER_EPILOG;
            if (ctxt->nameNr > 0 && ctxt->name != NULL) {
                snprintf(x->err_open, sizeof x->err_open, "%s", (const char *)ctxt->name);
                x->err_open_line =
                    ctxt->nameNr == x->depth ? x->open[x->depth - 1] : 0;
            }
        }
    }
    /* A fatal error ends the parse.  Others (a namespace error, say) are
     * reported at the end of the document, unless a problem in the
     * structure comes first. */
    if (e->level == XML_ERR_FATAL) {
        if (x->perr == 0) {
            x->perr = TC_ERR_DATA;
            x->perr_xml = true;
        }
        stop(x);
    }
}

/* libxml2's first error, worded for the user. */
static int parse_error(xr *x)
{
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
        if (x->err_open_line > 0)
            snprintf(started, sizeof started, " (started on line %" PRIu64 ")",
                     x->err_open_line);
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
    return tc_stream_error(x->in, TC_ERR_DATA, line, col, "not well-formed XML: %s", x->err_msg);
}

/* The first problem, now that everything before it was handed out.  From
 * here on the reader returns its code. */
static int report(xr *x)
{
    int rc;
    if (x->perr_xml || x->perr == 0)
        rc = parse_error(x);
    else
        rc = tc_stream_error(x->in, x->perr, x->perr_line, x->perr_col, "%s", x->perr_msg);
    x->final = rc;
    return rc;
}

/* ------------------------------------------------------------------ */
/* The prolog scan                                                     */
/* ------------------------------------------------------------------ */

/*
 * Follow the prolog through buf[0..n): XML declaration, comments,
 * processing instructions and white space, up to the root element.
 * Returns false when a <!DOCTYPE begins (the problem is then noted).
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
                    fail(x, TC_ERR_DATA, x->lt_line, x->lt_col,
                         "<!DOCTYPE is not allowed: threadconv XML has no document type "
                         "declaration (a DTD could load external entities or expand entities "
                         "without bound); expected the root element " ROOT_SHAPE);
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

/* ------------------------------------------------------------------ */
/* The items and their strings                                         */
/* ------------------------------------------------------------------ */

/* Append to the arena (which tc_buf keeps NUL-terminated); false when out
 * of memory.  The common case without a call: this is per piece of text. */
static inline bool put(xr *x, const void *data, size_t len)
{
    tc_buf *a = &x->arena;
    if (len < a->cap - a->len) {
        memcpy(a->data + a->len, data, len);
        a->len += len;
        a->data[a->len] = '\0';
        return true;
    }
    return tc_buf_append(a, data, len) == TC_OK;
}

/* Start building an item of this kind. */
static void begin_item(xr *x, int kind)
{
    x->p = (item){.kind = kind, .base = x->arena.len, .s = {NONE, NONE, NONE, NONE},
                  .x0 = x->xs_n, .a0 = x->as_n};
    x->p_open = true;
    x->extras_bytes = 0;
    x->a_cost = 0;
}

static bool enqueue(xr *x, const item *it)
{
    if (x->q_n == x->q_cap) {
        size_t cap = x->q_cap ? 2 * x->q_cap : 64;
        item *q = realloc(x->q, cap * sizeof *q);
        if (q == NULL) {
            nomem(x);
            return false;
        }
        x->q = q;
        x->q_cap = cap;
    }
    x->q[x->q_n++] = *it;
    return true;
}

/* Queue the item being built. */
static bool commit(xr *x)
{
    x->p_open = false;
    return enqueue(x, &x->p);
}

/* Queue an item without strings: the end of a thread or of the archive. */
static bool mark(xr *x, int kind)
{
    item it = {.kind = kind};
    return enqueue(x, &it);
}

/*
 * Everything queued was handed out, and the caller is done with it: start
 * the arena and the queue afresh, keeping the item being built.  That item
 * began after the last one queued, in the last piece pushed, so little of
 * it is moved, and only once.
 */
static void compact(xr *x)
{
    x->q_n = x->q_head = 0;
    size_t from = x->p_open ? x->p.base : x->arena.len;
    if (from > 0) {
        size_t n = x->arena.len - from;
        memmove(x->arena.data, x->arena.data + from, n);
        x->arena.len = n;
        x->arena.data[n] = '\0';
        x->p.base = 0;
    }
    if (x->p_open) {
        if (x->p.x0 > 0)
            memmove(x->xs, x->xs + x->p.x0, x->p.nx * sizeof *x->xs);
        x->p.x0 = 0;
        x->xs_n = x->p.nx;
        if (x->p.a0 > 0)
            memmove(x->as, x->as + x->p.a0, x->p.na * sizeof *x->as);
        x->p.a0 = 0;
        x->as_n = x->p.na;
    } else {
        x->xs_n = 0;
        x->as_n = 0;
    }
}

/* The extra fields of the item being built hold key. */
static bool has_extra(const xr *x, const char *key)
{
    const char *b = x->arena.data + x->p.base;
    for (size_t i = 0; i < x->p.nx; i++)
        if (strcmp(b + x->xs[x->p.x0 + i].key, key) == 0)
            return true;
    return false;
}

static bool add_extra(xr *x, size_t key, size_t value, size_t len)
{
    if (x->xs_n == x->xs_cap) {
        size_t cap = x->xs_cap ? 2 * x->xs_cap : 16;
        xfield *xs = realloc(x->xs, cap * sizeof *xs);
        if (xs == NULL) {
            nomem(x);
            return false;
        }
        x->xs = xs;
        x->xs_cap = cap;
    }
    x->xs[x->xs_n++] = (xfield){key, value, len};
    x->p.nx++;
    return true;
}

/* ------------------------------------------------------------------ */
/* Names, attributes and what messages show                            */
/* ------------------------------------------------------------------ */

/* Which element of ours an element is. */
static int classify(const xr *x, const xmlChar *local, const xmlChar *uri)
{
    /* the most frequent first */
    static const unsigned char order[EL_COUNT] = {
        EL_POST, EL_ID, EL_AUTHOR, EL_DATE, EL_BODY, EL_THREAD, EL_TITLE, EL_SOURCE,
        EL_EXTRA, EL_URL, EL_PARENT, EL_CTRL, EL_ARCHIVE,
    };
    if (uri != x->ns && (uri == NULL || strcmp((const char *)uri, XML_NS) != 0))
        return EL_FOREIGN;
    for (int i = 0; i < EL_COUNT; i++)
        if (local == x->el[order[i]])
            return order[i];
    /* not interned by this dictionary (not expected): compare the text */
    for (int i = 0; i < EL_COUNT; i++)
        if (strcmp((const char *)local, el_names[i]) == 0)
            return i;
    return EL_OTHER;
}

/*
 * The value of attribute `which` (in no namespace) of the element whose
 * SAX2 attributes are attrs[0 .. 5 * nb): NULL when it has none.  Borrowed
 * until the next call.  Without XML_PARSE_NOENT, libxml2 hands an '&' in an
 * attribute value on as "&#38;" for the tree builder to decode: decoded here.
 */
static const char *attribute(xr *x, int nb, const xmlChar **attrs, int which)
{
    for (int i = 0; i < nb; i++) {
        const xmlChar *const *a = attrs + 5 * i;
        if (a[2] != NULL ||
            (a[0] != x->at[which] && strcmp((const char *)a[0], at_names[which]) != 0))
            continue;
        const char *v = (const char *)a[3], *end = (const char *)a[4];
        tc_buf_reset(&x->attr);
        bool ok = tc_buf_append(&x->attr, "", 0) == TC_OK;
        while (ok && v < end) {
            const char *amp = memchr(v, '&', (size_t)(end - v));
            if (amp == NULL) {
                ok = tc_buf_append(&x->attr, v, (size_t)(end - v)) == TC_OK;
                break;
            }
            ok = tc_buf_append(&x->attr, v, (size_t)(amp - v)) == TC_OK &&
                 tc_buf_putc(&x->attr, '&') == TC_OK;
            v = end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0 ? amp + 5 : amp + 1;
        }
        if (!ok) {
            nomem(x);
            return NULL;
        }
        return x->attr.data;
    }
    return NULL;
}

/* An element as messages show it: <title>, <rss> in no namespace. */
static void describe_element(const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                             int el, char *out, size_t size)
{
    if (el != EL_FOREIGN)
        snprintf(out, size, "<%s>", (const char *)local);
    else if (uri == NULL && prefix != NULL) /* a prefix no declaration binds */
        snprintf(out, size, "<%s:%s> in no namespace", (const char *)prefix,
                 (const char *)local);
    else if (uri == NULL)
        snprintf(out, size, "<%s> in no namespace", (const char *)local);
    else
        snprintf(out, size, "<%s> in namespace \"%.100s\"", (const char *)local,
                 (const char *)uri);
}

/* The run of character data as messages show it: text "the first 24
 * characters after any white space...", controls as spaces. */
static void describe_run(const xr *x, char *out, size_t size)
{
    const char *v = x->run_head;
    char shown[120];
    size_t n = 0, k = 0, chars = 0;
    while (v[n] && chars < 24) {
        shown[k++] = (unsigned char)v[n] < 0x20 ? ' ' : v[n];
        n++;
        while ((v[n] & 0xC0) == 0x80)
            shown[k++] = v[n++];
        chars++;
    }
    shown[k] = '\0';
    bool more = v[n] != '\0' || x->run_rest > x->run_head_len;
    snprintf(out, size, "text \"%s%s\"", shown, more ? "..." : "");
}

/* ------------------------------------------------------------------ */
/* The structure                                                       */
/* ------------------------------------------------------------------ */

static uint64_t cur_line(const xr *x)
{
    return x->ctxt->input != NULL && x->ctxt->input->line > 0 ? (uint64_t)x->ctxt->input->line
                                                             : 0;
}

/* The line of the innermost open element's start tag. */
static uint64_t top_line(const xr *x)
{
    return x->depth > 0 ? x->open[x->depth - 1] : 0;
}

/* An element opens (the states allow no deeper nesting than XR_DEPTH). */
static void push(xr *x, uint64_t line)
{
    x->open[x->depth++] = line;
}

/* In an element-only container: whether messages name the post, and what
 * may come next. */
static bool container(const xr *x, bool *in_post, const char **what)
{
    switch (x->st) {
    case ST_ARCHIVE: *in_post = false; *what = "<thread> or </archive>"; return true;
    case ST_T_TITLE: *in_post = false; *what = "<title>"; return true;
    case ST_T_SOURCE: *in_post = false; *what = "<source>"; return true;
    case ST_T_HEAD: *in_post = false; *what = thread_head_expect[x->stage]; return true;
    case ST_T_POSTS: *in_post = false; *what = "<post> or </thread>"; return true;
    case ST_P_ID: *in_post = true; *what = "<id>"; return true;
    case ST_P_AUTHOR: *in_post = true; *what = "<author>"; return true;
    case ST_P_DATE: *in_post = true; *what = "<date> or <body>"; return true;
    case ST_P_BODY: *in_post = true; *what = "<body>"; return true;
    case ST_P_TAIL: *in_post = true; *what = post_tail_expect[x->stage]; return true;
    default: return false;
    }
}

static bool end_run(xr *x);
static void att_text(xr *x, enum run type, const xmlChar *s, size_t len);

/* The run of character data, if any, ended: false when that was a problem.
 * The common case, text in a text element within the limit, without a
 * call. */
static inline bool run_ends(xr *x)
{
    if (x->run == RUN_NONE)
        return true;
    if (x->st == ST_TEXT && !x->t_over) {
        x->run = RUN_NONE;
        return true;
    }
    return end_run(x);
}

/*
 * The run of character data ended (markup follows).  In a text element
 * that checks its length against the max-post limit; elsewhere only white
 * space may stand.  Returns false when that was a problem.
 */
static bool end_run(xr *x)
{
    enum run type = x->run;
    x->run = RUN_NONE;
    /* libxml2 keeps no line for CDATA: messages give the parent's */
    uint64_t line = type == RUN_TEXT ? x->run_line : top_line(x);
    bool in_post;
    const char *what;
    char found[200];
    if (x->st == ST_ATTACH)
        return true; /* checked piece by piece */
    if (x->st == ST_TEXT) {
        if (!x->t_over)
            return true;
        bad(x, x->t_in_post, line, "the text of <%s> is longer than the max-post limit (%zu bytes)",
            x->t_name, x->max);
        return false;
    }
    if (x->st == ST_CTRL) {
        if (type == RUN_TEXT && x->run_blank)
            snprintf(found, sizeof found, "an XML node of type %d",
                     XML_READER_TYPE_SIGNIFICANT_WHITESPACE);
        else
            describe_run(x, found, sizeof found);
        unexpected(x, x->t_in_post, line, "an empty <ctrl/> element", found);
        return false;
    }
    if (!container(x, &in_post, &what) || (type == RUN_TEXT && x->run_blank))
        return true;
    describe_run(x, found, sizeof found);
    unexpected(x, in_post, line, what, found);
    return false;
}

/* The run would pass XR_RUN_MAX bytes: refused where libxml2's tree
 * builder refuses it, at the position of the parser then. */
static void run_too_long(xr *x)
{
    const xmlParserInput *in = x->ctxt->input;
    fail(x, TC_ERR_DATA, cur_line(x), in != NULL && in->col > 0 ? (uint64_t)in->col : 0,
         "a run of text longer than 10000000 bytes, libxml2's limit: expected longer text "
         "broken by comments, as threadconv writes it");
}

/* Character data of the given type. */
static void char_data(xr *x, enum run type, const xmlChar *s, size_t len)
{
    if (x->st == ST_STOP || len == 0)
        return;
    if (x->run != type) {
        if (!run_ends(x))
            return;
        x->run = type;
        x->run_line = cur_line(x);
        x->run_len = 0;
        x->run_blank = true;
        x->run_head_len = 0;
        x->run_head[0] = '\0';
        x->run_rest = 0;
    }
    if (len > XR_RUN_MAX - x->run_len) {
        run_too_long(x);
        return;
    }
    x->run_len += len;
    if (x->st == ST_ATTACH) {
        att_text(x, type, s, len);
        return;
    }
    if (x->st == ST_TEXT) {
        if (x->t_over)
            return;
        if (len > x->max - x->t_len) {
            x->t_over = true; /* refused when the run ends */
        } else if (!put(x, s, len)) {
            nomem(x);
        } else {
            x->t_len += len;
        }
        return;
    }
    /* elsewhere: note how it begins, for a message */
    size_t i = 0;
    if (x->run_blank) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (i == len)
            return;
        x->run_blank = false;
    }
    size_t room = sizeof x->run_head - 1 - x->run_head_len;
    size_t n = len - i < room ? len - i : room;
    memcpy(x->run_head + x->run_head_len, s + i, n);
    x->run_head_len += n;
    x->run_head[x->run_head_len] = '\0';
    x->run_rest += len - i;
}

/* Start a text element: its text goes to the item's string `slot`. */
static void begin_text(xr *x, int el, uint64_t line, int slot, bool in_post, bool nul,
                       enum st ret, int ret_stage)
{
    push(x, line);
    x->t_slot = slot;
    x->t_name = el_names[el];
    x->t_in_post = in_post;
    x->t_nul = nul;
    x->t_ret = ret;
    x->t_ret_stage = ret_stage;
    x->t_start = x->arena.len - x->p.base;
    x->t_len = 0;
    x->t_over = false;
    x->st = ST_TEXT;
}

/* The end tag of the text element. */
static void end_text(xr *x)
{
    uint64_t line = top_line(x);
    x->depth--;
    if (!put(x, "", 1)) {
        nomem(x);
        return;
    }
    const char *b = x->arena.data + x->p.base;
    const char *text = b + x->t_start;
    switch (x->t_slot) {
    case T_DATE:
        if (tc_date_parse_iso(text, x->t_len, &x->p.date) != TC_OK) {
            bad(x, true, line,
                "<date>%.60s</date>: expected an ISO 8601 date and time with a UTC offset, "
                "like 2021-02-04T21:33:59+00:00",
                text);
            return;
        }
        break;
    case T_EXTRA: {
        size_t cost = strlen(b + x->t_key) + x->t_len + 64;
        if (x->extras_bytes + cost > x->max) {
            bad(x, x->t_in_post, line,
                "the extra fields are longer than the max-post limit (%zu bytes)", x->max);
            return;
        }
        x->extras_bytes += cost;
        if (!add_extra(x, x->t_key, x->t_start, x->t_len))
            return;
        break;
    }
    default:
        x->p.s[x->t_slot] = x->t_start;
        if (x->t_nul)
            x->p.body_len = x->t_len;
        break;
    }
    x->st = x->t_ret;
    x->stage = x->t_ret_stage;
}

/* <extra key="..."> in a thread or post. */
static void begin_extra(xr *x, uint64_t line, bool in_post, int nb, const xmlChar **attrs,
                        enum st ret, int ret_stage)
{
    const char *key = attribute(x, nb, attrs, AT_KEY);
    if (x->st == ST_STOP)
        return;
    if (key == NULL || *key == '\0') {
        bad(x, in_post, line, "<extra> without a key: expected <extra key=\"NAME\">");
    } else if (tc_is_reserved_key(key)) {
        bad(x, in_post, line,
            "<extra key=\"%s\">: the key is a name the model reserves, expected another one",
            key);
    } else if (has_extra(x, key)) {
        bad(x, in_post, line, "<extra key=\"%.200s\"> appears twice: expected each key once", key);
    } else {
        size_t at = x->arena.len - x->p.base;
        if (!put(x, key, strlen(key) + 1)) {
            nomem(x);
            return;
        }
        begin_text(x, EL_EXTRA, line, T_EXTRA, in_post, false, ret, ret_stage);
        x->t_key = at;
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

/* <ctrl code="XX"/> in a text element: the character it stands for. */
static void ctrl(xr *x, uint64_t line, int nb, const xmlChar **attrs)
{
    const char *code = attribute(x, nb, attrs, AT_CODE);
    if (x->st == ST_STOP)
        return;
    long v = ctrl_code(code);
    if (v < 0 || (v == 0 && !x->t_nul)) {
        bad(x, x->t_in_post, line,
            "<ctrl code=\"%.20s\"> in <%s>: expected a code for a character XML cannot hold: "
            "01-08, 0B, 0C, 0E-1F, FFFE or FFFF%s",
            code ? code : "", x->t_name, x->t_nul ? " (or 00)" : "");
        return;
    }
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
    if (n > x->max || x->t_len > x->max - n) {
        bad(x, x->t_in_post, line, "the text of <%s> is longer than the max-post limit (%zu bytes)",
            x->t_name, x->max);
        return;
    }
    if (!put(x, utf8, n)) {
        nomem(x);
        return;
    }
    x->t_len += n;
    push(x, line);
    x->st = ST_CTRL;
}

/* ------------------------------------------------------------------ */
/* Attachments                                                         */
/* ------------------------------------------------------------------ */

/* The attachment being read, and its number in the post (for messages). */
static xatt *cur_att(xr *x)
{
    return &x->as[x->as_n - 1];
}

static size_t att_number(const xr *x)
{
    return x->p.na;
}

/* A size attribute: decimal digits, at most UINT64_MAX. */
static bool parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* The attachments of the post hold cost more bytes: false (and the problem
 * noted) when that passes the max-post limit. */
static bool att_cost(xr *x, size_t cost, uint64_t line)
{
    if (cost > x->max - x->a_cost) {
        bad(x, true, line, "the attachments are longer than the max-post limit (%zu bytes)",
            x->max);
        return false;
    }
    x->a_cost += cost;
    return true;
}

/* The size and empty attributes of the attachment just begun. */
static bool att_size(xr *x, xatt *a, uint64_t line, int nb, const xmlChar **attrs)
{
    const char *size = attribute(x, nb, attrs, AT_SIZE);
    if (x->st == ST_STOP)
        return false;
    if (size != NULL) {
        if (!parse_size(size, &a->size)) {
            bad(x, true, line,
                "attachment %zu: size=\"%.30s\": expected the size in bytes, a decimal number",
                att_number(x), size);
            return false;
        }
        a->size_known = true;
    }
    const char *empty = attribute(x, nb, attrs, AT_EMPTY);
    if (x->st == ST_STOP)
        return false;
    x->a_bytes = empty == NULL;
    if (empty == NULL)
        return true;
    if (strcmp(empty, "true") != 0) {
        bad(x, true, line,
            "attachment %zu: empty=\"%.20s\": expected empty=\"true\" (the bytes are there and "
            "there are none) or no empty attribute", att_number(x), empty);
        return false;
    }
    if (a->size_known && a->size != 0) {
        bad(x, true, line,
            "attachment %zu: empty=\"true\" with size=\"%" PRIu64 "\": expected size=\"0\" or "
            "no size", att_number(x), a->size);
        return false;
    }
    a->size = 0;
    a->size_known = true;
    a->data = x->arena.len - x->p.base;
    return true;
}

/* <attachment ...> in a post: its attributes.  Its content, base64, comes
 * to att_text; its end to end_attachment. */
static void begin_attachment(xr *x, uint64_t line, int nb, const xmlChar **attrs)
{
    if (x->as_n == x->as_cap) {
        size_t cap = x->as_cap ? 2 * x->as_cap : 8;
        xatt *as = realloc(x->as, cap * sizeof *as);
        if (as == NULL) {
            nomem(x);
            return;
        }
        x->as = as;
        x->as_cap = cap;
    }
    xatt *a = &x->as[x->as_n++];
    x->p.na++;
    *a = (xatt){.data = NONE};
    for (int k = 0; k < A_STRINGS; k++) {
        const char *v = attribute(x, nb, attrs, AT_NAME + k);
        if (x->st == ST_STOP)
            return;
        a->s[k] = NONE;
        if (v == NULL)
            continue;
        size_t len = strlen(v);
        if (!att_cost(x, len + 1, line))
            return;
        a->s[k] = x->arena.len - x->p.base;
        if (!put(x, v, len + 1)) {
            nomem(x);
            return;
        }
    }
    if (a->s[A_NAME] == NONE) {
        bad(x, true, line, "attachment %zu without a name: expected <attachment name=\"FILE\">",
            att_number(x));
        return;
    }
    /* what the model's attachment itself holds, as an extra field costs */
    if (!att_cost(x, 64, line) || !att_size(x, a, line, nb, attrs))
        return;
    if (x->a_bytes)
        a->data = x->arena.len - x->p.base; /* NONE again if no base64 comes */
    x->a_dec = (xml_b64){0};
    /* libxml2 calls on_start with its input at the '>' of the start tag:
     * the content begins after it */
    const xmlParserInput *in = x->ctxt->input;
    x->a_line = cur_line(x);
    x->a_col = in != NULL && in->col > 0 ? (uint64_t)in->col + 1 : 0;
    if (x->a_col == 0)
        x->a_line = 0;
    push(x, line);
    x->st = ST_ATTACH;
}

/* Where byte k of a piece s of an attachment's content is, counted from
 * where the piece began; false when that is not known. */
static bool att_position(const xr *x, const xmlChar *s, size_t k, uint64_t *line, uint64_t *col)
{
    if (x->a_line == 0)
        return false;
    uint64_t l = x->a_line, c = x->a_col;
    for (size_t i = 0; i < k; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else if ((s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
    return true;
}

/* A piece of an attachment's content, text or CDATA. */
static void att_text(xr *x, enum run type, const xmlChar *s, size_t len)
{
    size_t bad_at = 0, n = 0;
    const char *why = NULL;
    if (!x->a_bytes) {
        while (bad_at < len && (s[bad_at] == ' ' || s[bad_at] == '\t' || s[bad_at] == '\n' ||
                                s[bad_at] == '\r'))
            bad_at++;
        if (bad_at < len)
            why = "expected no base64 in an attachment that has empty=\"true\"";
    } else if (tc_buf_reserve(&x->arena, len / 4 * 3 + 3) != TC_OK) {
        nomem(x);
        return;
    } else {
        n = xml_b64_decode(&x->a_dec, s, len, (unsigned char *)x->arena.data + x->arena.len,
                           &bad_at, &why);
    }
    uint64_t line = 0, col = 0;
    if (why != NULL) {
        if (type == RUN_CDATA || !att_position(x, s, bad_at, &line, &col)) {
            line = top_line(x); /* libxml2 keeps no position in CDATA */
            col = 0;
        }
        size_t clen = 1; /* the character, whole */
        while (bad_at + clen < len && clen < 4 && (s[bad_at + clen] & 0xC0) == 0x80)
            clen++;
        char ctx[96];
        context(x, true, ctx, sizeof ctx);
        fail(x, TC_ERR_DATA, line, col, "%sattachment %zu: bad base64 \"%.*s\": %s", ctx,
             att_number(x), (int)clen, (const char *)s + bad_at, why);
        return;
    }
    x->arena.len += n;
    x->arena.data[x->arena.len] = '\0';
    if (!att_cost(x, n, top_line(x)))
        return;
    /* the next piece begins where libxml2 is now, after a text piece; a
     * CDATA section's end is not known */
    const xmlParserInput *in = x->ctxt->input;
    if (type == RUN_TEXT && in != NULL && in->col > 0) {
        x->a_line = cur_line(x);
        x->a_col = (uint64_t)in->col;
    } else {
        x->a_line = 0;
    }
}

/* The end tag of the attachment. */
static void end_attachment(xr *x)
{
    uint64_t line = top_line(x);
    x->depth--;
    xatt *a = cur_att(x);
    const char *why = x->a_bytes ? xml_b64_end(&x->a_dec) : NULL;
    if (why != NULL) {
        bad(x, true, line, "attachment %zu: the base64 ends early: %s", att_number(x), why);
        return;
    }
    if (x->a_bytes) {
        uint64_t got = x->arena.len - x->p.base - a->data;
        if (got == 0) {
            a->data = NONE; /* no base64: the bytes are not there */
        } else if (a->size_known && a->size != got) {
            bad(x, true, line,
                "attachment %zu: size=\"%" PRIu64 "\" but its base64 holds %" PRIu64
                " bytes: expected the two to agree", att_number(x), a->size, got);
            return;
        } else {
            a->size = got;
            a->size_known = true;
        }
    }
    x->st = ST_P_TAIL;
    x->stage = 2;
}

/* <post> in a thread. */
static void begin_post(xr *x, uint64_t line, bool empty)
{
    x->n_posts++;
    push(x, line);
    begin_item(x, K_POST);
    if (empty) {
        bad(x, true, line, "empty <post/>: expected <id> in it");
        return;
    }
    x->st = ST_P_ID;
}

/* The root element. */
static void root(xr *x, int el, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                 int nb, const xmlChar **attrs, uint64_t line)
{
    uint64_t rline = x->root_line ? x->root_line : line, rcol = x->root_col;
    if (el != EL_ARCHIVE) {
        char found[200];
        describe_element(local, prefix, uri, el, found, sizeof found);
        fail(x, TC_ERR_DATA, rline, rcol,
             "not a threadconv XML archive: expected the root element " ROOT_SHAPE ", found %s",
             found);
        return;
    }
    const char *version = attribute(x, nb, attrs, AT_VERSION);
    if (x->st == ST_STOP)
        return;
    if (version == NULL || strcmp(version, XML_VERSION) != 0) {
        fail(x, TC_ERR_DATA, rline, rcol,
             "%s%.20s%s: expected version=\"" XML_VERSION "\" (this reader reads version "
             XML_VERSION ")",
             version ? "unsupported version=\"" : "<archive> without a version",
             version ? version : "", version ? "\" on <archive>" : "");
        return;
    }
    push(x, line);
    x->st = ST_ARCHIVE;
}

static void on_start(void *user, const xmlChar *local, const xmlChar *prefix,
                     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted, const xmlChar **attrs)
{
    xr *x = user;
    (void)nb_namespaces;
    (void)namespaces;
    (void)nb_defaulted;
    if (x->st == ST_STOP || !run_ends(x))
        return;
    uint64_t line = cur_line(x);
    int el = classify(x, local, uri);
    /* libxml2 calls this before it steps over the "/>" of an empty element */
    const xmlChar *at = x->ctxt->input->cur;
    bool empty = at != NULL && at[0] == '/' && at[1] == '>';
    bool in_post;
    const char *what;
    char found[200];

    switch (x->st) {
    case ST_PROLOG:
        root(x, el, local, prefix, uri, nb_attributes, attrs, line);
        return;
    case ST_ARCHIVE:
        if (el != EL_THREAD)
            break;
        x->n_threads++;
        x->n_posts = 0;
        push(x, line);
        begin_item(x, K_THREAD);
        if (empty)
            bad(x, false, line, "empty <thread/>: expected <title> in it");
        else
            x->st = ST_T_TITLE;
        return;
    case ST_T_TITLE:
        if (el != EL_TITLE)
            break;
        begin_text(x, el, line, S_TITLE, false, false, ST_T_SOURCE, 0);
        return;
    case ST_T_SOURCE:
        if (el != EL_SOURCE)
            break;
        begin_text(x, el, line, S_SOURCE, false, false, ST_T_HEAD, 0);
        return;
    case ST_T_HEAD:
        if (el == EL_POST) {
            if (commit(x))
                begin_post(x, line, empty);
        } else if (x->stage == 0 && el == EL_ID) {
            begin_text(x, el, line, S_TID, false, false, ST_T_HEAD, 1);
        } else if (x->stage <= 1 && el == EL_URL) {
            begin_text(x, el, line, S_URL, false, false, ST_T_HEAD, 2);
        } else if (el == EL_EXTRA) {
            begin_extra(x, line, false, nb_attributes, attrs, ST_T_HEAD, 2);
        } else {
            break;
        }
        return;
    case ST_T_POSTS:
        if (el != EL_POST)
            break;
        begin_post(x, line, empty);
        return;
    case ST_P_ID:
        if (el != EL_ID)
            break;
        begin_text(x, el, line, S_PID, true, false, ST_P_AUTHOR, 0);
        return;
    case ST_P_AUTHOR:
        if (el != EL_AUTHOR)
            break;
        begin_text(x, el, line, S_AUTHOR, true, false, ST_P_DATE, 0);
        return;
    case ST_P_DATE:
        if (el == EL_DATE)
            begin_text(x, el, line, T_DATE, true, false, ST_P_BODY, 0);
        else if (el == EL_BODY)
            begin_text(x, el, line, S_BODY, true, true, ST_P_TAIL, 0);
        else
            break;
        return;
    case ST_P_BODY:
        if (el != EL_BODY)
            break;
        begin_text(x, el, line, S_BODY, true, true, ST_P_TAIL, 0);
        return;
    case ST_P_TAIL:
        if (x->stage == 0 && el == EL_PARENT)
            begin_text(x, el, line, S_PARENT, true, false, ST_P_TAIL, 1);
        else if (x->stage <= 1 && el == EL_EXTRA)
            begin_extra(x, line, true, nb_attributes, attrs, ST_P_TAIL, 1);
        else if (el == EL_ATTACHMENT)
            begin_attachment(x, line, nb_attributes, attrs);
        else
            break;
        return;
    case ST_TEXT: {
        if (el == EL_CTRL) {
            ctrl(x, line, nb_attributes, attrs);
            return;
        }
        char expect[64];
        snprintf(expect, sizeof expect, "text, <ctrl/> or </%s>", x->t_name);
        describe_element(local, prefix, uri, el, found, sizeof found);
        unexpected(x, x->t_in_post, line, expect, found);
        return;
    }
    case ST_CTRL:
        describe_element(local, prefix, uri, el, found, sizeof found);
        unexpected(x, x->t_in_post, line, "an empty <ctrl/> element", found);
        return;
    case ST_ATTACH:
        describe_element(local, prefix, uri, el, found, sizeof found);
        unexpected(x, true, line, "base64 or </attachment>", found);
        return;
    default: /* libxml2 allows one root only */
        return;
    }
    /* an element out of place in a container */
    if (container(x, &in_post, &what)) {
        describe_element(local, prefix, uri, el, found, sizeof found);
        unexpected(x, in_post, line, what, found);
    }
}

static void on_end(void *user, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    xr *x = user;
    (void)prefix;
    (void)uri;
    if (x->st == ST_STOP || !run_ends(x) || x->depth == 0)
        return;
    uint64_t line = top_line(x);
    bool in_post;
    const char *what;
    char found[200];
    switch (x->st) {
    case ST_ARCHIVE:
        x->depth--;
        if (mark(x, K_END_ARCHIVE))
            x->st = ST_EPILOG;
        return;
    case ST_T_HEAD:
        if (!commit(x))
            return;
        /* fall through */
    case ST_T_POSTS:
        x->depth--;
        if (mark(x, K_END_THREAD))
            x->st = ST_ARCHIVE;
        return;
    case ST_P_TAIL:
        x->depth--;
        if (commit(x))
            x->st = ST_T_POSTS;
        return;
    case ST_TEXT:
        end_text(x);
        return;
    case ST_CTRL:
        x->depth--;
        x->st = ST_TEXT;
        return;
    case ST_ATTACH:
        end_attachment(x);
        return;
    default:
        /* an end tag where a child was expected */
        if (container(x, &in_post, &what)) {
            snprintf(found, sizeof found, "</%s>", (const char *)local);
            unexpected(x, in_post, line, what, found);
        }
        return;
    }
}

static void on_characters(void *user, const xmlChar *s, int len)
{
    xr *x = user;
    size_t n = len > 0 ? (size_t)len : 0;
    /* the common case first: more of a text element's text */
    if (x->st == ST_TEXT && x->run == RUN_TEXT && !x->t_over && n <= XR_RUN_MAX - x->run_len &&
        n <= x->max - x->t_len) {
        if (!put(x, s, n)) {
            nomem(x);
            return;
        }
        x->run_len += n;
        x->t_len += n;
        return;
    }
    char_data(x, RUN_TEXT, s, n);
}

static void on_cdata(void *user, const xmlChar *s, int len)
{
    char_data(user, RUN_CDATA, s, len > 0 ? (size_t)len : 0);
}

/* A comment or processing instruction: skipped, but nothing may stand in
 * a <ctrl>. */
static void other_node(xr *x, int type)
{
    if (x->st == ST_STOP || !run_ends(x))
        return;
    if (x->st == ST_CTRL) {
        char found[48];
        snprintf(found, sizeof found, "an XML node of type %d", type);
        unexpected(x, x->t_in_post, cur_line(x), "an empty <ctrl/> element", found);
    } else if (x->st == ST_ATTACH) {
        /* libxml2 calls this after the node: the content goes on here */
        const xmlParserInput *in = x->ctxt->input;
        x->a_line = in != NULL && in->col > 0 ? cur_line(x) : 0;
        x->a_col = in != NULL && in->col > 0 ? (uint64_t)in->col : 0;
    }
}

static void on_comment(void *user, const xmlChar *value)
{
    (void)value;
    other_node(user, XML_READER_TYPE_COMMENT);
}

static void on_pi(void *user, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    other_node(user, XML_READER_TYPE_PROCESSING_INSTRUCTION);
}

/* ------------------------------------------------------------------ */
/* Pushing the input                                                   */
/* ------------------------------------------------------------------ */

/* A problem libxml2 noted without calling the error handler. */
static void after_parse(xr *x)
{
    if (x->perr == 0 && x->ctxt->wellFormed == 0) {
        x->perr = TC_ERR_DATA;
        x->perr_xml = true;
        stop(x);
    }
}

/* The input could not be read: the stream holds the error. */
static void read_failed(xr *x, long n)
{
    fail(x, (int)n, 0, 0, "the input could not be read");
}

/*
 * Read more input behind what is not pushed yet, until a piece of XR_PUSH
 * bytes is there or the input ends.  Each read is scanned before libxml2
 * sees a byte of it.  Returns false on a problem (noted).
 */
static bool refill(xr *x)
{
    size_t left = x->c_len - x->c_pos;
    memmove(x->chunk, x->chunk + x->c_pos, left);
    x->c_pos = 0;
    x->c_len = left;
    while (x->c_len < XR_PUSH && !x->eof) {
        long n = tc_stream_read(x->in, x->chunk + x->c_len, XR_CHUNK - x->c_len);
        if (n < 0) {
            read_failed(x, n);
            return false;
        }
        if (n == 0)
            x->eof = true;
        else if (x->scan != SCAN_DONE && !scan_prolog(x, x->chunk + x->c_len, (size_t)n))
            return false;
        x->c_len += (size_t)n;
    }
    return true;
}

/* Create the parser, and push it the first 4 bytes of input, as libxml2's
 * xmlTextReader does. */
static bool start(xr *x)
{
    if (!refill(x))
        return false;
    static xmlSAXHandler sax = {
        .initialized = XML_SAX2_MAGIC,
        .startElementNs = on_start,
        .endElementNs = on_end,
        .characters = on_characters,
        .ignorableWhitespace = on_characters, /* the same: libxml2 then never drops blanks */
        .cdataBlock = on_cdata,
        .comment = on_comment,
        .processingInstruction = on_pi,
        .serror = on_xml_error,
    };
    x->ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, NULL);
    if (x->ctxt == NULL) {
        fail(x, TC_ERR_NOMEM, 0, 0, "out of memory (creating the XML parser)");
        return false;
    }
    /* Never XML_PARSE_NOENT (entity substitution), XML_PARSE_DTDLOAD or
     * XML_PARSE_HUGE.  The input is UTF-8 whatever it declares or begins
     * with: no decoder, and no guessing from the first bytes. */
    xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
    xmlSwitchEncoding(x->ctxt, XML_CHAR_ENCODING_UTF8);
    xmlDictPtr dict = x->ctxt->dict;
    x->ns = xmlDictLookup(dict, BAD_CAST XML_NS, -1);
    for (int i = 0; i < EL_COUNT; i++)
        x->el[i] = xmlDictLookup(dict, BAD_CAST el_names[i], -1);
    for (int i = 0; i < AT_COUNT; i++)
        x->at[i] = xmlDictLookup(dict, BAD_CAST at_names[i], -1);
    /* a byte-order mark is not given to libxml2; the first piece still
     * ends at byte 4, as the xmlTextReader's did */
    if (x->c_len >= 3 && memcmp(x->chunk, "\xEF\xBB\xBF", 3) == 0)
        x->c_pos = 3;
    if (x->c_len >= 4) {
        xmlParseChunk(x->ctxt, (const char *)x->chunk + x->c_pos, (int)(4 - x->c_pos), 0);
        x->c_pos = 4;
        after_parse(x);
    }
    return true;
}

/*
 * Push input to libxml2, a piece of XR_PUSH bytes at a time, until an item
 * is queued, a problem is found or the end of the input is pushed.
 */
static void feed(xr *x)
{
    compact(x);
    if (x->ctxt == NULL && !start(x))
        return;
    while (x->q_n == 0 && x->perr == 0 && !x->done) {
        size_t n = x->c_len - x->c_pos;
        if (n < XR_PUSH && !x->eof) {
            if (!refill(x))
                return;
            n = x->c_len - x->c_pos;
        }
        bool end = x->eof && n < XR_PUSH;
        if (n > XR_PUSH)
            n = XR_PUSH;
        xmlParseChunk(x->ctxt, (const char *)x->chunk + x->c_pos, (int)n, end);
        x->c_pos += n;
        x->done = end;
        after_parse(x);
    }
}

/* The next item, pushing input until one is queued; an error (set) when
 * the problem found comes first. */
static int next_item(xr *x, const item **out)
{
    while (x->q_head == x->q_n) {
        if (x->perr != 0)
            return report(x);
        if (x->done) {
            /* parsed to the end without libxml2 finding the document
             * incomplete: cannot happen, unless it said why */
            if (!x->have_err)
                fail(x, TC_ERR_DATA, 0, 0,
                     "the input ends early: expected the rest of the archive");
            return report(x);
        }
        feed(x);
    }
    *out = &x->q[x->q_head++];
    return TC_OK;
}

/* After </archive>: only comments, PIs and white space may follow. */
static int finish(xr *x)
{
    while (x->perr == 0 && !x->done)
        feed(x);
    if (x->perr != 0 || x->have_err)
        return report(x);
    x->final = TC_EOF;
    return TC_EOF;
}

/* ------------------------------------------------------------------ */
/* The plugin's callbacks                                              */
/* ------------------------------------------------------------------ */

int xml_read_open(tc_stream *in, void **state)
{
    xr *x = calloc(1, sizeof *x);
    unsigned char *chunk = malloc(XR_CHUNK);
    if (x == NULL || chunk == NULL) {
        free(x);
        free(chunk);
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    }
    x->in = in;
    x->chunk = chunk;
    x->max = tc_stream_max_post(in);
    x->line = 1;
    x->col = 1;
    x->st = ST_PROLOG;
    xmlInitParser(); /* idempotent; see xml.c for the cleanup */
    *state = x;
    return TC_OK;
}

void xml_read_close(tc_stream *in, void *state)
{
    (void)in;
    xr *x = state;
    if (x == NULL)
        return;
    if (x->ctxt != NULL)
        xmlFreeParserCtxt(x->ctxt);
    tc_buf *bufs[] = {&x->arena, &x->attr, &x->title, &x->source, &x->thread_id, &x->url};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        tc_buf_free(bufs[i]);
    tc_fields_free(&x->thread.extras);
    tc_fields_free(&x->post.extras);
    free(x->q);
    free(x->xs);
    free(x->as);
    free(x->atts);
    free(x->chunk);
    free(x);
}

/* Out of memory while handing an item out: that, not a problem found
 * further on, is the error. */
static int handout_nomem(xr *x)
{
    x->final = tc_stream_error(x->in, TC_ERR_NOMEM, 0, 0, "out of memory");
    return x->final;
}

/* The extra fields of item it, into fields. */
static int hand_extras(xr *x, const item *it, tc_fields *fields)
{
    tc_fields_clear(fields);
    const char *b = x->arena.data + it->base;
    for (size_t i = 0; i < it->nx; i++) {
        const xfield *f = &x->xs[it->x0 + i];
        if (tc_fields_setn(fields, b + f->key, b + f->value, f->value_len) != TC_OK)
            return handout_nomem(x);
    }
    return TC_OK;
}

/* The attachments of post item it, into x->post. */
static int hand_attachments(xr *x, const item *it)
{
    x->post.attachments = NULL;
    x->post.n_attachments = 0;
    if (it->na == 0)
        return TC_OK;
    if (it->na > x->atts_cap) {
        tc_attachment *atts = realloc(x->atts, it->na * sizeof *atts);
        if (atts == NULL)
            return handout_nomem(x);
        x->atts = atts;
        x->atts_cap = it->na;
    }
    const char *b = x->arena.data + it->base;
    for (size_t i = 0; i < it->na; i++) {
        const xatt *a = &x->as[it->a0 + i];
        const char *s[A_STRINGS];
        for (int k = 0; k < A_STRINGS; k++)
            s[k] = a->s[k] != NONE ? b + a->s[k] : NULL;
        x->atts[i] = (tc_attachment){
            .name = s[A_NAME] ? s[A_NAME] : "",
            .media_type = s[A_TYPE] ? s[A_TYPE] : "",
            .size = a->size,
            .size_known = a->size_known,
            .data = a->data != NONE ? (const unsigned char *)b + a->data : NULL,
            .ref = s[A_REF],
            .content_id = s[A_CONTENT_ID],
            .disposition = s[A_DISPOSITION],
            .note = s[A_NOTE],
        };
    }
    x->post.attachments = x->atts;
    x->post.n_attachments = it->na;
    return TC_OK;
}

static int copy_string(xr *x, tc_buf *buf, const char *s)
{
    tc_buf_reset(buf);
    if (tc_buf_append(buf, s, strlen(s)) != TC_OK)
        return handout_nomem(x);
    return TC_OK;
}

int xml_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    (void)in;
    xr *x = state;
    if (x->final != 0 && x->final != TC_EOF)
        return x->final;
    if (!x->in_thread)
        return TC_EOF;
    const item *it;
    int rc = next_item(x, &it);
    if (rc != TC_OK)
        return rc;
    if (it->kind == K_END_THREAD) {
        x->in_thread = false;
        return TC_EOF;
    }
    const char *b = x->arena.data + it->base;
    x->post.id = b + it->s[S_PID];
    x->post.author = b + it->s[S_AUTHOR];
    x->post.date = it->date;
    x->post.body = b + it->s[S_BODY];
    x->post.body_len = it->body_len;
    x->post.parent_id = it->s[S_PARENT] != NONE ? b + it->s[S_PARENT] : NULL;
    if ((rc = hand_extras(x, it, &x->post.extras)) != TC_OK ||
        (rc = hand_attachments(x, it)) != TC_OK)
        return rc;
    *post = &x->post;
    return TC_OK;
}

int xml_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    xr *x = state;
    int rc;
    if (x->final != 0)
        return x->final;
    /* the rest of the previous thread, when its posts were not all read */
    while (x->in_thread) {
        const tc_post *p;
        if ((rc = xml_read_next_post(in, state, &p)) < 0)
            return rc;
    }
    const item *it;
    if ((rc = next_item(x, &it)) != TC_OK)
        return rc;
    if (it->kind == K_END_ARCHIVE)
        return finish(x);
    /* The thread's strings are copied: they stay valid while its posts are
     * read, though the arena is reused. */
    const char *b = x->arena.data + it->base;
    if ((rc = copy_string(x, &x->title, b + it->s[S_TITLE])) != TC_OK ||
        (rc = copy_string(x, &x->source, b + it->s[S_SOURCE])) != TC_OK)
        return rc;
    x->thread.title = x->title.data;
    x->thread.source = x->source.data;
    x->thread.id = NULL;
    x->thread.url = NULL;
    if (it->s[S_TID] != NONE) {
        if ((rc = copy_string(x, &x->thread_id, b + it->s[S_TID])) != TC_OK)
            return rc;
        x->thread.id = x->thread_id.data;
    }
    if (it->s[S_URL] != NONE) {
        if ((rc = copy_string(x, &x->url, b + it->s[S_URL])) != TC_OK)
            return rc;
        x->thread.url = x->url.data;
    }
    if ((rc = hand_extras(x, it, &x->thread.extras)) != TC_OK)
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
