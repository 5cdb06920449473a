/*
 * writer.c - the "xml" writer: the archive as one XML document (see xml.h
 * for its shape), written with libxml2's xmlTextWriter as it streams in: the
 * root when the output opens, each thread header when it begins and each
 * post when it arrives, so memory does not grow with the archive.
 *
 * Layout: every element of the element-only containers (archive, thread,
 * post) starts on a line of its own; with -O xml.pretty=true the lines are
 * also indented by two spaces per level and <body> carries
 * xml:space="preserve".  Whitespace is only ever written between elements,
 * never inside a text element, so neither layout changes any text.  Output
 * is deterministic: the same archive gives the same bytes.
 *
 * Text is escaped by hand (so that it can be escaped and split in one pass)
 * and handed to the writer raw: "&" "<" ">" as entity references, CR as
 * &#13;, characters XML 1.0 cannot hold as <ctrl code="XX"/>.  What the
 * writer is given is trusted: the checked session (tc_writer_*, see
 * core/session.c) has made sure it is valid UTF-8, that extra field keys are
 * there, unique and not reserved, and that attachments are whole, so the
 * writer only looks for the bytes it must escape.  What it still refuses is
 * what XML cannot hold: an attribute (an extra field's key, an attachment's
 * name, ...) with a control character other than tab, LF and CR, or
 * U+FFFE/U+FFFF, which no XML attribute can carry.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "xml.h"
#include "base64.h"

#include <libxml/xmlwriter.h>

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Escaped text collected before it is handed to the writer. */
#define XW_ESC_FLUSH 65536

typedef struct xw {
    tc_stream *out;
    xmlTextWriterPtr w;
    int rc;            /* TC_OK, or the first failure (sticky) */
    bool pretty;
    bool dead;         /* after a failure: drop whatever libxml2 still flushes */
    tc_buf esc;        /* escaped text not yet written */
    uint64_t n_threads;
    uint64_t n_posts;  /* of the current thread */
    const char *post_id;
} xw;

/* ------------------------------------------------------------------ */
/* Failures                                                            */
/* ------------------------------------------------------------------ */

/* Where the writer is, for messages: "thread 2, post 7 (id "7")". */
static void where(const xw *x, char *out, size_t size)
{
    if (x->post_id != NULL)
        snprintf(out, size, "thread %" PRIu64 ", post %" PRIu64 " (id \"%.64s\")", x->n_threads,
                 x->n_posts, x->post_id);
    else
        snprintf(out, size, "thread %" PRIu64, x->n_threads);
}

static int fail(xw *x, int code, const char *fmt, ...) TC_PRINTF(3, 4);

static int fail(xw *x, int code, const char *fmt, ...)
{
    if (x->rc != TC_OK)
        return x->rc;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    x->rc = code;
    x->dead = true;
    return tc_stream_error(x->out, code, 0, 0, "%s", msg);
}

/* A libxml2 writer call returned < 0: the output failed (its error is
 * already set by out_write) or libxml2 ran out of memory. */
static void check(xw *x, int n)
{
    if (n < 0 && x->rc == TC_OK)
        fail(x, TC_ERR_OUTPUT, "writing the XML output failed");
}

static int out_write(void *ctx, const char *buf, int len)
{
    xw *x = ctx;
    if (x->dead)
        return len;
    if (tc_stream_write(x->out, buf, (size_t)len) != TC_OK) {
        /* the stream has its error (and message) already */
        x->rc = TC_ERR_OUTPUT;
        x->dead = true;
        return -1;
    }
    return len;
}

/* ------------------------------------------------------------------ */
/* Layout and text                                                     */
/* ------------------------------------------------------------------ */

/* A line break before an element of element-only content at depth. */
static void newline(xw *x, int depth)
{
    static const char spaces[] = "\n                ";
    if (x->rc != TC_OK)
        return;
    int n = x->pretty ? 2 * depth : 0;
    check(x, xmlTextWriterWriteRawLen(x->w, (const xmlChar *)spaces, 1 + n));
}

static void flush_esc(xw *x)
{
    if (x->rc == TC_OK && x->esc.len > 0)
        check(x, xmlTextWriterWriteRawLen(x->w, (const xmlChar *)x->esc.data, (int)x->esc.len));
    tc_buf_reset(&x->esc);
}

static void put_ctrl(xw *x, unsigned long c)
{
    char code[8];
    flush_esc(x);
    snprintf(code, sizeof code, c > 0xFF ? "%04lX" : "%02lX", c);
    if (x->rc != TC_OK)
        return;
    check(x, xmlTextWriterStartElement(x->w, BAD_CAST "ctrl"));
    if (x->rc == TC_OK)
        check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST "code", BAD_CAST code));
    if (x->rc == TC_OK)
        check(x, xmlTextWriterEndElement(x->w));
}

static void esc_append(xw *x, const char *s, size_t n)
{
    if (x->rc == TC_OK && tc_buf_append(&x->esc, s, n) != TC_OK)
        fail(x, TC_ERR_NOMEM, "out of memory");
}

/*
 * Index of the first byte of s[i..len) that needs a look: '<' '>' '&', a
 * control character other than tab and LF (CR included), and 0xEF, the lead
 * of U+FFFE and U+FFFF; or len.  The text is valid UTF-8 already, so every
 * other byte is copied as it is.
 */
static inline bool needs_look(unsigned char c)
{
    return c == '<' || c == '>' || c == '&' || c == 0xEF || (c < 0x20 && c != '\t' && c != '\n');
}

#if defined(__SSE2__)
#include <emmintrin.h>

static size_t next_look(const unsigned char *s, size_t i, size_t len)
{
    for (; len - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
        ctl = _mm_andnot_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                                            _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                               ctl);
        __m128i m = _mm_or_si128(
            _mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xEF))),
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
                         _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('>')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('&')))));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0)
            return i + (size_t)__builtin_ctz(bits);
    }
    for (; i < len; i++)
        if (needs_look(s[i]))
            return i;
    return len;
}
#else
static size_t next_look(const unsigned char *s, size_t i, size_t len)
{
    for (; i < len; i++)
        if (needs_look(s[i]))
            return i;
    return len;
}
#endif

/*
 * The text str[0..len) as the content of the open element: escaped,
 * characters XML cannot hold as <ctrl/>, runs longer than TCXML_TEXT_RUN_MAX
 * broken by an empty comment (at the first character boundary at or after
 * the limit).
 */
static void put_text(xw *x, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    tc_buf_reset(&x->esc);
    size_t plain = 0; /* start of the bytes not yet copied to esc */
    size_t run = 0;   /* start of the current text run */
    size_t i = 0;
    while (i < len && x->rc == TC_OK) {
        size_t j = next_look(s, i, len);
        if (len - run > TCXML_TEXT_RUN_MAX) {
            size_t b = run + TCXML_TEXT_RUN_MAX;
            while (b < len && (s[b] & 0xC0) == 0x80)
                b++;
            if (b < len && j >= b) {
                esc_append(x, str + plain, b - plain);
                plain = run = i = b;
                flush_esc(x);
                if (x->rc == TC_OK)
                    check(x, xmlTextWriterWriteComment(x->w, BAD_CAST ""));
                continue;
            }
        }
        if (j >= len)
            break;
        unsigned char c = s[j];
        const char *rep = NULL;
        size_t rep_len = 0, n = 1;
        unsigned long ctrl = 0x110000;
        if (c == '<')
            rep = "&lt;", rep_len = 4;
        else if (c == '>')
            rep = "&gt;", rep_len = 4;
        else if (c == '&')
            rep = "&amp;", rep_len = 5;
        else if (c == '\r')
            rep = "&#13;", rep_len = 5;
        else if (c == 0xEF) {
            /* valid UTF-8: two continuation bytes follow (the length is
             * checked all the same, so that text the session did not check
             * cannot make this read past its end) */
            assert(len - j >= 3);
            n = len - j >= 3 ? 3 : len - j;
            if (n == 3 && s[j + 1] == 0xBF && (s[j + 2] == 0xBE || s[j + 2] == 0xBF))
                ctrl = s[j + 2] == 0xBE ? 0xFFFE : 0xFFFF;
        } else
            ctrl = c;
        if (rep == NULL && ctrl > 0x10FFFF) {
            i = j + n; /* plain text: copied later with its neighbours */
            continue;
        }
        esc_append(x, str + plain, j - plain);
        if (rep != NULL)
            esc_append(x, rep, rep_len);
        else {
            put_ctrl(x, ctrl);
            run = j + n;
        }
        i = plain = j + n;
        if (x->esc.len >= XW_ESC_FLUSH)
            flush_esc(x);
    }
    esc_append(x, str + plain, len - plain);
    flush_esc(x);
}

/* <name>text</name>, on a line of its own at depth. */
static void text_element(xw *x, int depth, const char *name, const char *text, size_t len,
                         bool preserve)
{
    newline(x, depth);
    if (x->rc != TC_OK)
        return;
    check(x, xmlTextWriterStartElement(x->w, BAD_CAST name));
    if (preserve && x->rc == TC_OK)
        check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST "xml:space", BAD_CAST "preserve"));
    if (x->rc == TC_OK)
        put_text(x, text, len);
    if (x->rc == TC_OK)
        check(x, xmlTextWriterFullEndElement(x->w));
}

/* Whether an attribute can hold value (valid UTF-8: the session checked
 * it): nothing XML cannot hold in it, control characters other than tab,
 * LF and CR (which are written as character references) and U+FFFE and
 * U+FFFF (EF BF BE, EF BF BF).  *bad: the offset of the first byte that is
 * wrong. */
static bool attr_ok(const char *value, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)value;
    for (size_t i = 0; s[i]; i++) {
        if ((s[i] < 0x20 && xml_needs_ctrl(s[i])) ||
            (s[i] == 0xEF && s[i + 1] == 0xBF && s[i + 2] >= 0xBE)) {
            *bad = i;
            return false;
        }
    }
    return true;
}

static void extras(xw *x, int depth, const tc_fields *fields)
{
    for (size_t i = 0; i < fields->count && x->rc == TC_OK; i++) {
        const tc_field *f = &fields->items[i];
        size_t bad = 0;
        /* the session refuses these (and reserved or repeated keys) */
        assert(f->key != NULL && *f->key != '\0' && f->value != NULL);
        if (!attr_ok(f->key, &bad)) {
            char at[200];
            where(x, at, sizeof at);
            fail(x, TC_ERR_DATA,
                 "%s: the key of extra field %zu has a character an XML attribute cannot hold "
                 "(byte offset %zu; expected no control characters other than tab, LF and CR)",
                 at, i + 1, bad);
            return;
        }
        newline(x, depth);
        if (x->rc != TC_OK)
            return;
        check(x, xmlTextWriterStartElement(x->w, BAD_CAST "extra"));
        if (x->rc == TC_OK)
            check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST "key", BAD_CAST f->key));
        if (x->rc == TC_OK)
            put_text(x, f->value, strlen(f->value));
        if (x->rc == TC_OK)
            check(x, xmlTextWriterFullEndElement(x->w));
    }
}

/* attribute="value", when value is there: false when it cannot be. */
static bool att_attribute(xw *x, size_t i, const char *attr, const char *value)
{
    size_t bad = 0;
    if (value == NULL || x->rc != TC_OK)
        return x->rc == TC_OK;
    if (!attr_ok(value, &bad)) {
        char at[200];
        where(x, at, sizeof at);
        fail(x, TC_ERR_DATA,
             "%s: the %s of attachment %zu has a character an XML attribute cannot hold (byte "
             "offset %zu; expected no control characters other than tab, LF and CR)", at, attr,
             i + 1, bad);
        return false;
    }
    check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST attr, BAD_CAST value));
    return x->rc == TC_OK;
}

/* The bytes of an attachment as base64, TCXML_B64_LINE_CHARS to a line
 * (indented at depth with pretty), the run of text broken by an empty
 * comment before it would pass TCXML_TEXT_RUN_MAX. */
static void att_base64(xw *x, int depth, const unsigned char *data, uint64_t size)
{
    static const char spaces[] = "                ";
    int indent = x->pretty ? 2 * depth : 0;
    size_t line = (size_t)indent + TCXML_B64_LINE_CHARS + 1;
    size_t run = 1;
    tc_buf_reset(&x->esc);
    esc_append(x, "\n", 1);
    for (uint64_t i = 0; i < size && x->rc == TC_OK; i += TCXML_B64_LINE_BYTES) {
        size_t n = size - i < TCXML_B64_LINE_BYTES ? (size_t)(size - i) : TCXML_B64_LINE_BYTES;
        if (run + line > TCXML_TEXT_RUN_MAX) {
            flush_esc(x);
            if (x->rc == TC_OK)
                check(x, xmlTextWriterWriteComment(x->w, BAD_CAST ""));
            run = 0;
        }
        if (tc_buf_reserve(&x->esc, line) != TC_OK) {
            fail(x, TC_ERR_NOMEM, "out of memory");
            return;
        }
        char *o = x->esc.data + x->esc.len;
        memcpy(o, spaces, (size_t)indent);
        size_t k = (size_t)indent + tc_base64_encode(data + i, n, o + indent);
        o[k++] = '\n';
        x->esc.len += k;
        run += k;
        if (x->esc.len >= XW_ESC_FLUSH)
            flush_esc(x);
    }
    if (x->pretty)
        esc_append(x, spaces, 2 * (size_t)(depth - 1));
    flush_esc(x);
}

/* The post's attachments, after its other children. */
static void attachments(xw *x, int depth, const tc_post *post)
{
    for (size_t i = 0; i < post->n_attachments && x->rc == TC_OK; i++) {
        const tc_attachment *a = &post->attachments[i];
        char size[24];
        snprintf(size, sizeof size, "%" PRIu64, a->size);
        newline(x, depth);
        if (x->rc == TC_OK)
            check(x, xmlTextWriterStartElement(x->w, BAD_CAST "attachment"));
        if (!att_attribute(x, i, "name", a->name) ||
            !att_attribute(x, i, "type", *a->media_type ? a->media_type : NULL) ||
            !att_attribute(x, i, "size", a->size_known ? size : NULL) ||
            !att_attribute(x, i, "ref", a->ref) ||
            !att_attribute(x, i, "content-id", a->content_id) ||
            !att_attribute(x, i, "disposition", a->disposition) ||
            !att_attribute(x, i, "note", a->note) ||
            !att_attribute(x, i, "empty", a->data != NULL && a->size == 0 ? "true" : NULL))
            return;
        if (a->data != NULL && a->size > 0)
            att_base64(x, depth + 1, a->data, a->size);
        if (x->rc == TC_OK)
            check(x, xmlTextWriterEndElement(x->w));
    }
}

/* <name>string</name>, on a line of its own at depth. */
static void string_element(xw *x, int depth, const char *name, const char *s)
{
    text_element(x, depth, name, s, strlen(s), false);
}

/* ------------------------------------------------------------------ */
/* The plugin's callbacks                                              */
/* ------------------------------------------------------------------ */

int xml_write_open(tc_stream *out, void **state)
{
    xw *x = calloc(1, sizeof *x);
    if (x == NULL)
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    x->out = out;
    x->pretty = tc_stream_option_bool(out, "pretty");
    xmlInitParser(); /* idempotent; see xml.c for the cleanup */
    xmlOutputBufferPtr buf = xmlOutputBufferCreateIO(out_write, NULL, x, NULL);
    if (buf != NULL) {
        x->w = xmlNewTextWriter(buf); /* owns buf from here on */
        if (x->w == NULL)
            xmlOutputBufferClose(buf);
    }
    if (x->w == NULL)
        fail(x, TC_ERR_NOMEM, "out of memory (creating the XML writer)");
    if (x->rc == TC_OK)
        check(x, xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL));
    if (x->rc == TC_OK)
        check(x, xmlTextWriterStartElement(x->w, BAD_CAST "archive"));
    if (x->rc == TC_OK)
        check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST "xmlns", BAD_CAST TCXML_NS));
    if (x->rc == TC_OK)
        check(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST "version", BAD_CAST TCXML_VERSION));
    if (x->rc != TC_OK) {
        int rc = x->rc;
        xml_write_close(out, x);
        return rc;
    }
    *state = x;
    return TC_OK;
}

int xml_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    (void)out;
    xw *x = state;
    x->n_threads++;
    x->n_posts = 0;
    x->post_id = NULL;
    newline(x, 1);
    if (x->rc == TC_OK)
        check(x, xmlTextWriterStartElement(x->w, BAD_CAST "thread"));
    string_element(x, 2, "title", thread->title ? thread->title : "");
    string_element(x, 2, "source", thread->source ? thread->source : "");
    if (thread->id != NULL)
        string_element(x, 2, "id", thread->id);
    if (thread->url != NULL)
        string_element(x, 2, "url", thread->url);
    extras(x, 2, &thread->extras);
    return x->rc;
}

int xml_write_post(tc_stream *out, void *state, const tc_post *post)
{
    (void)out;
    xw *x = state;
    x->n_posts++;
    x->post_id = post->id ? post->id : "";
    newline(x, 2);
    if (x->rc == TC_OK)
        check(x, xmlTextWriterStartElement(x->w, BAD_CAST "post"));
    string_element(x, 3, "id", x->post_id);
    string_element(x, 3, "author", post->author ? post->author : "");
    if (post->date.present) {
        char iso[TC_ISO_DATE_SIZE];
        size_t n = tc_date_format_iso(post->date, iso);
        text_element(x, 3, "date", iso, n, false);
    }
    text_element(x, 3, "body", post->body ? post->body : "", post->body ? post->body_len : 0,
                 x->pretty);
    if (post->parent_id != NULL)
        string_element(x, 3, "parent", post->parent_id);
    extras(x, 3, &post->extras);
    attachments(x, 3, post);
    newline(x, 2);
    if (x->rc == TC_OK)
        check(x, xmlTextWriterEndElement(x->w));
    x->post_id = NULL;
    return x->rc;
}

int xml_write_end_thread(tc_stream *out, void *state)
{
    (void)out;
    xw *x = state;
    newline(x, 1);
    if (x->rc == TC_OK)
        check(x, xmlTextWriterEndElement(x->w));
    return x->rc;
}

int xml_write_finish(tc_stream *out, void *state)
{
    (void)out;
    xw *x = state;
    newline(x, 0);
    if (x->rc == TC_OK)
        check(x, xmlTextWriterEndElement(x->w));
    /* writes the final newline and flushes */
    if (x->rc == TC_OK)
        check(x, xmlTextWriterEndDocument(x->w));
    return x->rc;
}

void xml_write_close(tc_stream *out, void *state)
{
    (void)out;
    xw *x = state;
    if (x == NULL)
        return;
    x->dead = true; /* after finish everything is out; after a failure, drop the rest */
    if (x->w != NULL)
        xmlFreeTextWriter(x->w);
    tc_buf_free(&x->esc);
    free(x);
}
