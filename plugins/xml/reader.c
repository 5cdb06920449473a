/*
 * reader.c - the "xml" reader's callbacks (see reader.h for how the
 * reader streams and the files it is made of): the input is pushed to
 * libxml2 a piece at a time, only while nothing parsed waits to be handed
 * out, and the items the SAX handlers queued are handed out as threads and
 * posts.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <libxml/parserInternals.h>

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Pushing the input                                                   */
/* ------------------------------------------------------------------ */

/* A problem libxml2 noted without calling the error handler. */
static void after_parse(xr *x)
{
    if (x->perr == 0 && x->ctxt->wellFormed == 0) {
        x->perr = TC_ERR_DATA;
        x->perr_xml = true;
        xr_stop(x);
    }
}

/* The input could not be read: the stream holds the error. */
static void read_failed(xr *x, long n)
{
    xr_fail(x, (int)n, 0, 0, "the input could not be read");
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
        else if (x->scan != XR_SCAN_DONE && !xr_scan_prolog(x, x->chunk + x->c_len, (size_t)n))
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
    x->ctxt = xmlCreatePushParserCtxt(xr_sax_handler(), x, NULL, 0, NULL);
    if (x->ctxt == NULL) {
        xr_fail(x, TC_ERR_NOMEM, 0, 0, "out of memory (creating the XML parser)");
        return false;
    }
    /* Never XML_PARSE_NOENT (entity substitution), XML_PARSE_DTDLOAD or
     * XML_PARSE_HUGE.  The input is UTF-8 whatever it declares or begins
     * with: no decoder, and no guessing from the first bytes. */
    xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
    xmlSwitchEncoding(x->ctxt, XML_CHAR_ENCODING_UTF8);
    xr_intern_names(x);
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
    xr_compact(x);
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
static int next_item(xr *x, const xr_item **out)
{
    while (x->q_head == x->q_n) {
        if (x->perr != 0)
            return xr_report(x);
        if (x->done) {
            /* parsed to the end without libxml2 finding the document
             * incomplete: cannot happen, unless it said why */
            if (!x->have_err)
                xr_fail(x, TC_ERR_DATA, 0, 0,
                        "the input ends early: expected the rest of the archive");
            return xr_report(x);
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
        return xr_report(x);
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
    x->st = XR_ST_PROLOG;
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
static int hand_extras(xr *x, const xr_item *it, tc_fields *fields)
{
    tc_fields_clear(fields);
    const char *b = x->arena.data + it->base;
    for (size_t i = 0; i < it->nx; i++) {
        const xr_field *f = &x->xs[it->x0 + i];
        if (tc_fields_setn(fields, b + f->key, b + f->value, f->value_len) != TC_OK)
            return handout_nomem(x);
    }
    return TC_OK;
}

/* The attachments of post item it, into x->post. */
static int hand_attachments(xr *x, const xr_item *it)
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
        const xr_att *a = &x->as[it->a0 + i];
        const char *s[XR_A_STRINGS];
        for (int k = 0; k < XR_A_STRINGS; k++)
            s[k] = a->s[k] != XR_NONE ? b + a->s[k] : NULL;
        x->atts[i] = (tc_attachment){
            .name = s[XR_A_NAME] ? s[XR_A_NAME] : "",
            .media_type = s[XR_A_TYPE] ? s[XR_A_TYPE] : "",
            .size = a->size,
            .size_known = a->size_known,
            .data = a->data != XR_NONE ? (const unsigned char *)b + a->data : NULL,
            .ref = s[XR_A_REF],
            .content_id = s[XR_A_CONTENT_ID],
            .disposition = s[XR_A_DISPOSITION],
            .note = s[XR_A_NOTE],
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
    const xr_item *it;
    int rc = next_item(x, &it);
    if (rc != TC_OK)
        return rc;
    if (it->kind == XR_K_END_THREAD) {
        x->in_thread = false;
        return TC_EOF;
    }
    const char *b = x->arena.data + it->base;
    x->post.id = b + it->s[XR_S_PID];
    x->post.author = b + it->s[XR_S_AUTHOR];
    x->post.date = it->date;
    x->post.body = b + it->s[XR_S_BODY];
    x->post.body_len = it->body_len;
    x->post.parent_id = it->s[XR_S_PARENT] != XR_NONE ? b + it->s[XR_S_PARENT] : NULL;
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
    const xr_item *it;
    if ((rc = next_item(x, &it)) != TC_OK)
        return rc;
    if (it->kind == XR_K_END_ARCHIVE)
        return finish(x);
    /* The thread's strings are copied: they stay valid while its posts are
     * read, though the arena is reused. */
    const char *b = x->arena.data + it->base;
    if ((rc = copy_string(x, &x->title, b + it->s[XR_S_TITLE])) != TC_OK ||
        (rc = copy_string(x, &x->source, b + it->s[XR_S_SOURCE])) != TC_OK)
        return rc;
    x->thread.title = x->title.data;
    x->thread.source = x->source.data;
    x->thread.id = NULL;
    x->thread.url = NULL;
    if (it->s[XR_S_TID] != XR_NONE) {
        if ((rc = copy_string(x, &x->thread_id, b + it->s[XR_S_TID])) != TC_OK)
            return rc;
        x->thread.id = x->thread_id.data;
    }
    if (it->s[XR_S_URL] != XR_NONE) {
        if ((rc = copy_string(x, &x->url, b + it->s[XR_S_URL])) != TC_OK)
            return rc;
        x->thread.url = x->url.data;
    }
    if ((rc = hand_extras(x, it, &x->thread.extras)) != TC_OK)
        return rc;
    x->in_thread = true;
    *thread = &x->thread;
    return TC_OK;
}
