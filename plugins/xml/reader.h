/*
 * reader.h - the "xml" reader's private declarations: its state, shared by
 * the files that make it up.  The reader streams a threadconv XML document
 * (see xml.h and doc/formats.md) through libxml2's SAX2 push parser, one
 * post at a time, so memory stays flat however large the archive.
 *
 * The files, one job each:
 *   reader.c      the plugin's reader callbacks: pushes the input to
 *                 libxml2 and hands out the items the handlers queued
 *   prolog.c      the scan of the bytes before the root element (DOCTYPE)
 *   sax.c         the SAX handlers: the structure, element by element, and
 *                 the text elements and <ctrl/> elements in it
 *   attachment.c  <attachment>: attributes and base64, as it streams
 *   queue.c       the items being built and queued, and their arena
 *   problem.c     the first problem, libxml2's errors, and their messages
 *   probe.c       the probe, on the first bytes alone
 *
 * Names: the plugin's callbacks are xml_*, what these files share xr_* and
 * XR_* (libxml2's own are xml* and XML_*).
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
 *  - The input reaches libxml2 only through feed() (reader.c), which first scans the
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
#ifndef TC_XML_READER_H
#define TC_XML_READER_H

#include "base64.h"
#include "xml.h"

#include <libxml/parser.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The root as messages show it. */
#define XR_ROOT_SHAPE "<archive xmlns=\"" TCXML_NS "\">"

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
#define XR_NONE ((size_t)-1)

/* How deep the format nests: archive, thread, post, body, ctrl. */
#define XR_DEPTH 5

/* States of the prolog scan (prolog.c). */
enum xr_scan {
    XR_SCAN_MISC,     /* between markup: white space or '<' expected */
    XR_SCAN_LT,       /* after '<' */
    XR_SCAN_PI,       /* in <?...?> */
    XR_SCAN_PI_Q,     /* in <?...?>, after '?' */
    XR_SCAN_BANG,     /* after "<!" */
    XR_SCAN_COMMENT,  /* in <!--...--> */
    XR_SCAN_COMMENT1, /* in a comment, after '-' */
    XR_SCAN_COMMENT2, /* in a comment, after "--" */
    XR_SCAN_DONE      /* the root element began (or libxml2 will refuse what came) */
};

/* The elements of the format: local names in the namespace TCXML_NS. */
enum xr_el {
    XR_EL_ARCHIVE, XR_EL_THREAD, XR_EL_TITLE, XR_EL_SOURCE, XR_EL_ID, XR_EL_URL, XR_EL_EXTRA,
    XR_EL_POST, XR_EL_AUTHOR, XR_EL_DATE, XR_EL_BODY, XR_EL_PARENT, XR_EL_CTRL,
    XR_EL_ATTACHMENT,
    XR_EL_COUNT,
    XR_EL_OTHER = XR_EL_COUNT, /* another element in TCXML_NS */
    XR_EL_FOREIGN              /* an element in another namespace, or in none */
};
extern const char *const xr_el_names[XR_EL_COUNT]; /* sax.c */

/* The attributes the reader reads, in no namespace. */
enum xr_at {
    XR_AT_VERSION, XR_AT_KEY, XR_AT_CODE,
    /* <attachment>'s, the strings first, in the order of xr_att.s */
    XR_AT_NAME, XR_AT_TYPE, XR_AT_REF, XR_AT_CONTENT_ID, XR_AT_DISPOSITION, XR_AT_NOTE,
    XR_AT_SIZE, XR_AT_EMPTY,
    XR_AT_COUNT
};
extern const char *const xr_at_names[XR_AT_COUNT]; /* sax.c */

/* Where the parse is: what may come next. */
enum xr_st {
    XR_ST_PROLOG,   /* before the root element */
    XR_ST_ARCHIVE,  /* in <archive>: <thread> or </archive> */
    XR_ST_T_TITLE,  /* in <thread>: <title> */
    XR_ST_T_SOURCE, /* <source> */
    XR_ST_T_HEAD,   /* <id>, <url>, <extra>, <post> or </thread>; x->stage says which */
    XR_ST_T_POSTS,  /* <post> or </thread> */
    XR_ST_P_ID,     /* in <post>: <id> */
    XR_ST_P_AUTHOR, /* <author> */
    XR_ST_P_DATE,   /* <date> or <body> */
    XR_ST_P_BODY,   /* <body>, after <date> */
    XR_ST_P_TAIL,   /* <parent>, <extra>, <attachment> or </post>; x->stage says which */
    XR_ST_TEXT,     /* in a text element: text, <ctrl/> or its end tag */
    XR_ST_ATTACH,   /* in <attachment>: base64 or its end tag */
    XR_ST_CTRL,     /* in <ctrl>: its end tag */
    XR_ST_EPILOG,   /* after </archive> */
    XR_ST_STOP      /* a problem was found: the rest is ignored */
};

/* A run of character data: consecutive text (character references and
 * predefined entities included), or consecutive CDATA sections. */
enum xr_run { XR_RUN_NONE, XR_RUN_TEXT, XR_RUN_CDATA };

/* The items of the archive, queued for the caller. */
enum xr_kind { XR_K_THREAD = 1, XR_K_POST, XR_K_END_THREAD, XR_K_END_ARCHIVE };

/* Strings of an item (index into xr_item.s). */
enum { XR_S_TITLE = 0, XR_S_SOURCE = 1, XR_S_TID = 2, XR_S_URL = 3 }; /* a thread */
enum { XR_S_PID = 0, XR_S_AUTHOR = 1, XR_S_BODY = 2, XR_S_PARENT = 3 }; /* a post */
/* Text that is not one of them: */
#define XR_T_DATE 4
#define XR_T_EXTRA 5

typedef struct xr_item {
    int kind;
    size_t base;     /* arena offset of its first byte */
    size_t s[4];     /* its strings, as offsets from base; XR_NONE when absent */
    size_t body_len; /* a post's body, in bytes */
    tc_date date;
    size_t x0, nx;   /* its extra fields: x->xs[x0 .. x0 + nx) */
    size_t a0, na;   /* a post's attachments: x->as[a0 .. a0 + na) */
} xr_item;

/* An extra field: key and value as offsets from its item's base. */
typedef struct xr_field {
    size_t key, value, value_len;
} xr_field;

/* The strings of an attachment (index into xr_att.s), as XR_AT_NAME.. order. */
enum {
    XR_A_NAME, XR_A_TYPE, XR_A_REF, XR_A_CONTENT_ID, XR_A_DISPOSITION, XR_A_NOTE, XR_A_STRINGS
};

/* An attachment: its strings and bytes as offsets from its item's base. */
typedef struct xr_att {
    size_t s[XR_A_STRINGS]; /* XR_NONE when absent (name and type: read as "") */
    size_t data;            /* XR_NONE when the bytes are not there */
    uint64_t size;          /* of data, or as the size attribute says */
    bool size_known;
} xr_att;

/* The reader's state. */
typedef struct xr {
    tc_stream *in;
    xmlParserCtxtPtr ctxt;
    size_t max;
    unsigned char *chunk; /* XR_CHUNK bytes for input */
    size_t c_pos, c_len;  /* what it holds, and how much of that was pushed */

    /* names as interned in libxml2's dictionary: compared by pointer */
    const xmlChar *ns;
    const xmlChar *el[XR_EL_COUNT];
    const xmlChar *at[XR_AT_COUNT];

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
    enum xr_scan scan;
    uint64_t scan_bytes;      /* bytes scanned */
    uint64_t line, col;       /* position of the next byte */
    uint64_t lt_line, lt_col; /* position of the last '<' */
    char bang[8];
    size_t bang_n;
    uint64_t bom; /* bytes of a byte-order mark seen */
    uint64_t root_line, root_col;

    /* the parse */
    enum xr_st st;
    int stage;
    uint64_t open[XR_DEPTH]; /* the open elements: the lines of their start tags */
    int depth;
    uint64_t n_threads, n_posts;
    size_t extras_bytes;

    /* the text element being read */
    int t_slot;        /* XR_S_*, XR_T_DATE or XR_T_EXTRA */
    const char *t_name;
    bool t_in_post, t_nul;
    enum xr_st t_ret;  /* the state after it, */
    int t_ret_stage;   /* and the stage */
    size_t t_start;    /* its text, as an offset from the item's base */
    size_t t_len;      /* bytes of it so far */
    bool t_over;       /* over the max-post limit: no longer kept */
    size_t t_key;      /* XR_T_EXTRA: the key's offset */

    /* the attachment being read: x->as[x->as_n - 1] */
    xml_b64 a_dec;
    bool a_bytes;           /* its content is base64 (not empty="true") */
    uint64_t a_line, a_col; /* where the next piece of its content begins (0: unknown) */
    size_t a_cost;          /* what the post's attachments hold, against max-post */

    /* the run of character data being read */
    enum xr_run run;
    uint64_t run_line;  /* libxml2's line when its first piece came */
    size_t run_len;
    bool run_blank;     /* only white space so far */
    char run_head[128]; /* outside text elements: how it begins, after white space */
    size_t run_head_len, run_rest;

    /* the item being built, the queue, and the arena holding their strings */
    xr_item p;
    bool p_open;
    xr_item *q;
    size_t q_n, q_head, q_cap;
    xr_field *xs;
    size_t xs_n, xs_cap;
    xr_att *as;
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
/* Helpers on the hot path, inline                                     */
/* ------------------------------------------------------------------ */

/* Append to the arena (which tc_buf keeps NUL-terminated); false when out
 * of memory.  The common case without a call: this is per piece of text. */
static inline bool xr_put(xr *x, const void *data, size_t len)
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

/* libxml2's line now. */
static inline uint64_t xr_cur_line(const xr *x)
{
    return x->ctxt->input != NULL && x->ctxt->input->line > 0 ? (uint64_t)x->ctxt->input->line
                                                             : 0;
}

/* The line of the innermost open element's start tag. */
static inline uint64_t xr_top_line(const xr *x)
{
    return x->depth > 0 ? x->open[x->depth - 1] : 0;
}

/* An element opens (the states allow no deeper nesting than XR_DEPTH). */
static inline void xr_push(xr *x, uint64_t line)
{
    x->open[x->depth++] = line;
}

/* ------------------------------------------------------------------ */
/* Problems (problem.c)                                                */
/* ------------------------------------------------------------------ */

/* Everything after the first problem is ignored. */
void xr_stop(xr *x);
/* Note the first problem: code, position and message. */
void xr_fail(xr *x, int code, uint64_t line, uint64_t col, const char *fmt, ...)
    TC_PRINTF(5, 6);
void xr_nomem(xr *x);
/* Where the reading is, for messages: "thread 2, post 7: ". */
void xr_context(const xr *x, bool in_post, char *out, size_t size);
/* A problem in the structure, at line (0: unknown). */
void xr_bad(xr *x, bool in_post, uint64_t line, const char *fmt, ...) TC_PRINTF(4, 5);
/* "expected WHAT, found FOUND" */
void xr_unexpected(xr *x, bool in_post, uint64_t line, const char *what, const char *found);
/* libxml2's structured error handler. */
void xr_on_xml_error(void *user, xmlErrorPtr e);
/* The first problem, now that everything before it was handed out. */
int xr_report(xr *x);

/* ------------------------------------------------------------------ */
/* The prolog (prolog.c)                                               */
/* ------------------------------------------------------------------ */

/* Follow the prolog through buf[0..n); false when a <!DOCTYPE begins. */
bool xr_scan_prolog(xr *x, const unsigned char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* The items (queue.c)                                                 */
/* ------------------------------------------------------------------ */

void xr_begin_item(xr *x, int kind);
bool xr_commit(xr *x);
bool xr_mark(xr *x, int kind);
void xr_compact(xr *x);
bool xr_has_extra(const xr *x, const char *key);
bool xr_add_extra(xr *x, size_t key, size_t value, size_t len);

/* ------------------------------------------------------------------ */
/* The SAX handlers (sax.c) and what they call                        */
/* ------------------------------------------------------------------ */

/* The handlers, for xmlCreatePushParserCtxt. */
xmlSAXHandler *xr_sax_handler(void);
/* Look the reader's names up in the parser's dictionary. */
void xr_intern_names(xr *x);
/* The value of attribute `which` of an element (NULL: none); borrowed. */
const char *xr_attribute(xr *x, int nb, const xmlChar **attrs, int which);

/* Attachments (attachment.c). */
void xr_begin_attachment(xr *x, uint64_t line, int nb, const xmlChar **attrs);
void xr_att_text(xr *x, enum xr_run type, const xmlChar *s, size_t len);
/* A comment or PI in the attachment: its content goes on after it. */
void xr_att_after_node(xr *x);
void xr_end_attachment(xr *x);

#endif
