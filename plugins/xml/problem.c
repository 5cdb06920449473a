/*
 * problem.c - the "xml" reader's problems (see reader.h): the first one
 * found is kept, with its position, and reported once the items before it
 * have been handed out; libxml2's errors come through its structured error
 * handler and are worded for the user here.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Problems                                                            */
/* ------------------------------------------------------------------ */

/* Everything after the first problem is ignored. */
void xr_stop(xr *x)
{
    x->st = XR_ST_STOP;
    if (x->ctxt != NULL)
        x->ctxt->disableSAX = 1;
}

/* Note the first problem: code, position and message. */
void xr_fail(xr *x, int code, uint64_t line, uint64_t col, const char *fmt, ...)
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
    xr_stop(x);
}

void xr_nomem(xr *x)
{
    xr_fail(x, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* Where the reading is, for messages: "thread 2, post 7: ". */
void xr_context(const xr *x, bool in_post, char *out, size_t size)
{
    if (x->n_threads == 0)
        out[0] = '\0';
    else if (in_post)
        snprintf(out, size, "thread %" PRIu64 ", post %" PRIu64 ": ", x->n_threads, x->n_posts);
    else
        snprintf(out, size, "thread %" PRIu64 ": ", x->n_threads);
}

/* A problem in the structure, at line (0: unknown). */
void xr_bad(xr *x, bool in_post, uint64_t line, const char *fmt, ...)
{
    char ctx[96], msg[700];
    xr_context(x, in_post, ctx, sizeof ctx);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    xr_fail(x, TC_ERR_DATA, line, 0, "%s%s", ctx, msg);
}

/* "expected WHAT, found FOUND" */
void xr_unexpected(xr *x, bool in_post, uint64_t line, const char *what, const char *found)
{
    xr_bad(x, in_post, line, "expected %s, found %s", what, found);
}

void xr_on_xml_error(void *user, xmlErrorPtr e)
{
    xr *x = user;
    if (e == NULL || x->st == XR_ST_STOP)
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
        xr_stop(x);
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
                               "no XML element found: expected the root element " XR_ROOT_SHAPE);
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
int xr_report(xr *x)
{
    int rc;
    if (x->perr_xml || x->perr == 0)
        rc = parse_error(x);
    else
        rc = tc_stream_error(x->in, x->perr, x->perr_line, x->perr_col, "%s", x->perr_msg);
    x->final = rc;
    return rc;
}
