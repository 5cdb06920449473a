/*
 * html.c - tc_html_to_text: the readable text of an HTML fragment (the
 * rules are in include/threadconv/html.h).
 *
 * libxml2's HTML parser reads the fragment in SAX mode: it tokenises,
 * decodes entities and repairs the tag soup (implied and auto-closed
 * elements), and calls back with balanced start and end events.  No tree is
 * built: the text is written as the events come, so memory is the input,
 * the output, one entry per open element and the text of an open <pre>
 * (kept whole until its end because the fence must be longer than any run
 * of backticks inside it).
 *
 * Before parsing, the input is checked (UTF-8) and, only when it needs it,
 * copied with what libxml2 would drop without a trace replaced (see
 * prepare()).  Nesting is limited because libxml2 looks through its stack of
 * open elements for each end tag: without a limit, deep nesting followed by
 * stray end tags costs time quadratic in the input.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/html.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libthreadconv_html links to libthreadconv's public API only (its private
 * tc__ helpers are not exported), so the hex digit reader is its own. */
static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
#include <strings.h>

/* Levels of quotes, list items and dd whose prefix is shown. */
#define NEST_MAX 8
#define NONE ((size_t)-1)

/* ------------------------------------------------------------------ */
/* What each element does                                              */
/* ------------------------------------------------------------------ */

enum kind {
    K_INLINE, /* its text, nothing else (unknown elements too) */
    K_ROOT,   /* html, body: not counted in the nesting */
    K_SKIP,   /* head, script, ...: dropped with everything inside */
    K_BLOCK,
    K_HEADING,
    K_QUOTE,
    K_PRE,
    K_UL,
    K_OL,
    K_LI,
    K_DT,
    K_DD,
    K_TABLE,
    K_ROW,
    K_CELL,
    K_A,
    K_IMG,
    K_BR,
    K_HR
};

/* Sorted by name for bsearch. */
static const struct tag {
    const char *name;
    unsigned char kind;
} tags[] = {
    {"a", K_A},           {"address", K_BLOCK},  {"article", K_BLOCK},
    {"aside", K_BLOCK},   {"blockquote", K_QUOTE}, {"body", K_ROOT},
    {"br", K_BR},         {"caption", K_BLOCK},  {"center", K_BLOCK},
    {"dd", K_DD},         {"details", K_BLOCK},  {"dialog", K_BLOCK},
    {"dir", K_UL},        {"div", K_BLOCK},      {"dl", K_BLOCK},
    {"dt", K_DT},         {"fieldset", K_BLOCK}, {"figcaption", K_BLOCK},
    {"figure", K_BLOCK},  {"footer", K_BLOCK},   {"form", K_BLOCK},
    {"h1", K_HEADING},    {"h2", K_HEADING},     {"h3", K_HEADING},
    {"h4", K_HEADING},    {"h5", K_HEADING},     {"h6", K_HEADING},
    {"head", K_SKIP},     {"header", K_BLOCK},   {"hgroup", K_BLOCK},
    {"hr", K_HR},         {"html", K_ROOT},      {"img", K_IMG},
    {"legend", K_BLOCK},  {"li", K_LI},          {"listing", K_PRE},
    {"main", K_BLOCK},    {"menu", K_UL},        {"nav", K_BLOCK},
    {"ol", K_OL},         {"p", K_BLOCK},        {"pre", K_PRE},
    {"script", K_SKIP},   {"section", K_BLOCK},  {"style", K_SKIP},
    {"summary", K_BLOCK}, {"table", K_TABLE},    {"td", K_CELL},
    {"template", K_SKIP}, {"th", K_CELL},        {"title", K_SKIP},
    {"tr", K_ROW},        {"ul", K_UL},          {"xmp", K_PRE},
};

static int tag_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tag *)elem)->name);
}

static enum kind kind_of(const char *name)
{
    const struct tag *t = bsearch(name, tags, sizeof tags / sizeof *tags, sizeof *tags, tag_cmp);
    return t ? (enum kind)t->kind : K_INLINE;
}

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

/* One open element. */
typedef struct el {
    unsigned char kind;
    bool seg;          /* pushed a prefix segment */
    bool link;         /* K_A with a URL */
    bool counted;      /* counted in the nesting depth */
    long number;       /* K_OL: number of its next item */
    size_t count;      /* K_UL, K_OL: items so far; K_ROW: cells so far */
    size_t outer;      /* K_UL, K_OL: the enclosing list; K_ROW: the enclosing row */
    size_t href_off;   /* K_A: its URL is hrefs[href_off, +href_len) */
    size_t href_len;
    size_t text_start; /* K_A: out->len at its first text; NONE before */
} el;

/* One level of line prefix: a quote ("> ") or an item ("  " after the
 * marker on its first line). */
typedef struct seg {
    bool quote;
    bool pending; /* the marker is still to be written */
    char marker[24];
} seg;

typedef struct html {
    tc_buf *out;
    size_t out_start;
    htmlParserCtxtPtr ctxt;
    int rc;
    const char *why;
    bool nomem; /* libxml2 said it ran out of memory */

    el *els;
    size_t *unstarted; /* indexes of links that have no text yet, in order */
    size_t n_els, cap_els, n_unstarted;
    size_t depth, max_depth;
    size_t skip;   /* open K_SKIP elements */
    size_t pre;    /* open K_PRE elements */
    bool pre_fresh; /* nothing yet since the outermost <pre> tag */
    size_t cells;  /* open table cells */
    size_t items;  /* open li and dd */
    size_t list;   /* innermost open list, or NONE */
    size_t row;    /* innermost open row, or NONE */

    seg segs[NEST_MAX];
    size_t n_segs;
    size_t low;      /* fewest segments open since the last text */
    size_t nl;       /* line breaks due before the next text */
    bool space;      /* a space is due before the next text on this line */
    bool line_empty; /* nothing written on the current line yet */
    bool wrote;      /* anything written at all */
    bool absorb;     /* at the start of an item: breaks are not due */
    char lead[24];   /* written before the next text ("## ", a marker) */

    tc_buf code;  /* text of the open <pre> */
    tc_buf hrefs; /* URLs of the open links, a stack */
    tc_buf tmp;
} html;

static void fail(html *h, int rc, const char *why)
{
    if (h->rc != TC_OK)
        return;
    h->rc = rc;
    h->why = why;
    if (h->ctxt != NULL)
        xmlStopParser(h->ctxt);
}

static void put(html *h, const void *s, size_t n)
{
    if (h->rc == TC_OK && tc_buf_append(h->out, s, n) != TC_OK)
        fail(h, TC_ERR_NOMEM, "out of memory");
}

static void puts_(html *h, const char *s)
{
    put(h, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Lines, prefixes and breaks                                          */
/* ------------------------------------------------------------------ */

/* The prefix of a line with text: every segment, markers once. */
static void put_prefix(html *h)
{
    for (size_t i = 0; i < h->n_segs; i++) {
        seg *s = &h->segs[i];
        if (s->quote) {
            put(h, "> ", 2);
        } else if (s->pending) {
            puts_(h, s->marker);
            s->pending = false;
        } else {
            put(h, "  ", 2);
        }
    }
}

/* The prefix of an empty line: the first n segments, no trailing spaces. */
static void put_blank_prefix(html *h, size_t n)
{
    char b[2 * NEST_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        b[k++] = h->segs[i].quote ? '>' : ' ';
        b[k++] = ' ';
    }
    while (k > 0 && b[k - 1] == ' ')
        k--;
    put(h, b, k);
}

/* Ask for n line breaks before the next text (2: a blank line).  In a
 * table cell breaks are spaces, unless cells_too; at the start of an item
 * they are absorbed: the item's first line begins with its first text. */
static void want_break(html *h, size_t n, bool cells_too)
{
    if (h->cells > 0 && !cells_too) {
        h->space = true;
        return;
    }
    if (h->absorb)
        return;
    if (h->nl < n)
        h->nl = n;
}

/* Everything due before text: line breaks, a prefix or a space, a lead;
 * the links waiting for their first text start here. */
static void begin_text(html *h)
{
    if (h->wrote && h->nl > 0) {
        put(h, "\n", 1);
        for (size_t k = 1; k < h->nl; k++) {
            put_blank_prefix(h, h->low);
            put(h, "\n", 1);
        }
        h->line_empty = true;
    }
    h->nl = 0;
    if (h->line_empty) {
        put_prefix(h);
        h->line_empty = false;
    } else if (h->space) {
        put(h, " ", 1);
    }
    h->space = false;
    if (h->lead[0] != '\0') {
        puts_(h, h->lead);
        h->lead[0] = '\0';
    }
    while (h->n_unstarted > 0)
        h->els[h->unstarted[--h->n_unstarted]].text_start = h->out->len;
    h->wrote = true;
    h->absorb = false;
    h->low = h->n_segs;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Text as it flows outside <pre>. */
static void flow_text(html *h, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && h->rc == TC_OK) {
        if (is_space((unsigned char)s[i])) {
            h->space = true;
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_space((unsigned char)s[j]))
            j++;
        begin_text(h);
        put(h, s + i, j - i);
        i = j;
    }
}

static void code_text(html *h, const char *s, size_t n)
{
    if (h->pre_fresh) {
        h->pre_fresh = false;
        /* the line break right after <pre> is not part of the text */
        if (n >= 2 && s[0] == '\r' && s[1] == '\n') {
            s += 2;
            n -= 2;
        } else if (n >= 1 && (s[0] == '\n' || s[0] == '\r')) {
            s++;
            n--;
        }
    }
    if (h->rc == TC_OK && tc_buf_append(&h->code, s, n) != TC_OK)
        fail(h, TC_ERR_NOMEM, "out of memory");
}

static void text(html *h, const char *s, size_t n)
{
    if (h->rc != TC_OK || h->skip > 0)
        return;
    if (h->pre > 0)
        code_text(h, s, n);
    else
        flow_text(h, s, n);
}

/* A text of its own (hr, a URL), spaced like a word. */
static void word(html *h, const char *s, size_t n)
{
    begin_text(h);
    put(h, s, n);
}

/* The end of the outermost <pre>: its text between fence lines. */
static void flush_code(html *h)
{
    tc_buf *c = &h->code;
    if (c->len == 0)
        return;
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < c->len; i++) {
        run = c->data[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    size_t fence = longest >= 3 ? longest + 1 : 3;
    want_break(h, 2, true);
    begin_text(h);
    for (size_t i = 0; i < fence; i++)
        put(h, "`", 1);
    const char *p = c->data, *end = c->data + c->len;
    if (end[-1] == '\n')
        end--; /* the last line break ends the last line */
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        put(h, "\n", 1);
        if (line_end > p) {
            put_prefix(h);
            put(h, p, (size_t)(line_end - p));
        } else {
            put_blank_prefix(h, h->n_segs);
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    put(h, "\n", 1);
    put_prefix(h);
    for (size_t i = 0; i < fence; i++)
        put(h, "`", 1);
    h->low = h->n_segs;
    tc_buf_reset(c);
}

/* ------------------------------------------------------------------ */
/* Elements                                                            */
/* ------------------------------------------------------------------ */

/* The value of attribute name: NULL when absent, "" when it has none. */
static const char *attr(const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2)
        if (strcmp((const char *)atts[i], name) == 0)
            return atts[i + 1] ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* A URL as URL parsers take it: without the spaces and controls around it
 * and the tabs and line breaks inside it.  Appended to b; returns its length. */
static size_t clean_url(html *h, tc_buf *b, const char *s)
{
    size_t n = strlen(s), start = b->len;
    while (n > 0 && (unsigned char)s[n - 1] <= ' ')
        n--;
    while (n > 0 && (unsigned char)*s <= ' ') {
        s++;
        n--;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && tc_buf_putc(b, s[i]) != TC_OK)
            fail(h, TC_ERR_NOMEM, "out of memory");
    return b->len - start;
}

/* HTML's rules for parsing integers, clamped: *v, or false when none. */
static bool parse_int(const char *s, long *v)
{
    if (s == NULL)
        return false;
    while (is_space((unsigned char)*s))
        s++;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (*s < '0' || *s > '9')
        return false;
    long n = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        if (n < 1000000000L)
            n = n * 10 + (*s - '0');
    if (n > 999999999L)
        n = 999999999L;
    *v = neg ? -n : n;
    return true;
}

static void push_seg(html *h, el *e, bool quote, const char *marker)
{
    if (h->n_segs < NEST_MAX) {
        seg *s = &h->segs[h->n_segs++];
        s->quote = quote;
        s->pending = marker != NULL && marker[0] != '\0';
        snprintf(s->marker, sizeof s->marker, "%s", marker ? marker : "");
        e->seg = true;
    } else if (marker != NULL) {
        snprintf(h->lead, sizeof h->lead, "%s", marker);
    }
}

static void pop_seg(html *h, el *e)
{
    if (!e->seg)
        return;
    h->n_segs--;
    if (h->low > h->n_segs)
        h->low = h->n_segs;
}

static void start_item(html *h, el *e, const xmlChar **atts)
{
    char marker[24] = "- ";
    el *list = h->list != NONE ? &h->els[h->list] : NULL;
    if (list != NULL && list->kind == K_OL) {
        long n = list->number;
        parse_int(attr(atts, "value"), &n);
        snprintf(marker, sizeof marker, "%ld. ", n);
        list->number = n < 999999999L ? n + 1 : n;
    }
    if (h->cells > 0)
        h->space = true;
    else if (list != NULL && list->count > 0 && h->wrote)
        h->nl = 1; /* whatever ended the item before: one line */
    else
        want_break(h, 1, false);
    if (list != NULL)
        list->count++;
    h->items++;
    push_seg(h, e, false, marker);
    h->absorb = h->cells == 0;
}

static void start_link(html *h, el *e, const xmlChar **atts)
{
    const char *href = attr(atts, "href");
    if (href == NULL || h->pre > 0)
        return;
    e->href_off = h->hrefs.len;
    e->href_len = clean_url(h, &h->hrefs, href);
    if (e->href_len == 0)
        return;
    e->link = true;
    e->text_start = NONE;
    h->unstarted[h->n_unstarted++] = (size_t)(e - h->els);
}

static void end_link(html *h, el *e)
{
    if (!e->link)
        return;
    const char *url = h->hrefs.data + e->href_off;
    size_t n = e->href_len;
    if (e->text_start == NONE) {
        h->n_unstarted--; /* it is the last: links close in order */
        begin_text(h);
    } else {
        const char *t = h->out->data + e->text_start;
        size_t tn = h->out->len - e->text_start;
        bool mailto = n > 7 && strncasecmp(url, "mailto:", 7) == 0;
        if ((tn == n && memcmp(t, url, n) == 0) ||
            (mailto && tn == n - 7 && memcmp(t, url + 7, tn) == 0)) {
            h->hrefs.len = e->href_off;
            return;
        }
        put(h, " ", 1); /* right after the link's text, whatever is due */
    }
    put(h, "<", 1);
    put(h, url, n);
    put(h, ">", 1);
    h->hrefs.len = e->href_off;
}

static void image(html *h, const xmlChar **atts)
{
    const char *alt = attr(atts, "alt");
    if (alt != NULL) {
        text(h, alt, strlen(alt));
        return;
    }
    const char *src = attr(atts, "src");
    tc_buf_reset(&h->tmp);
    if (tc_buf_append(&h->tmp, "[image <", 8) != TC_OK)
        fail(h, TC_ERR_NOMEM, "out of memory");
    if (src == NULL || clean_url(h, &h->tmp, src) == 0) {
        text(h, "[image]", 7);
        return;
    }
    if (tc_buf_append(&h->tmp, ">]", 2) != TC_OK)
        fail(h, TC_ERR_NOMEM, "out of memory");
    if (h->rc == TC_OK)
        text(h, h->tmp.data, h->tmp.len);
}

static el *push_el(html *h)
{
    if (h->n_els == h->cap_els) {
        size_t cap = h->cap_els ? h->cap_els * 2 : 32;
        el *els = realloc(h->els, cap * sizeof *els);
        if (els == NULL) {
            fail(h, TC_ERR_NOMEM, "out of memory");
            return NULL;
        }
        h->els = els;
        size_t *u = realloc(h->unstarted, cap * sizeof *u);
        if (u == NULL) {
            fail(h, TC_ERR_NOMEM, "out of memory");
            return NULL;
        }
        h->unstarted = u;
        h->cap_els = cap;
    }
    el *e = &h->els[h->n_els++];
    memset(e, 0, sizeof *e);
    return e;
}

static void on_start(void *user, const xmlChar *xname, const xmlChar **atts)
{
    html *h = user;
    if (h->rc != TC_OK)
        return;
    enum kind k = kind_of((const char *)xname);
    if (k != K_ROOT && h->depth >= h->max_depth) {
        fail(h, TC_ERR_DATA, "elements nest deeper than the max-depth limit");
        return;
    }
    el *e = push_el(h);
    if (e == NULL)
        return;
    if (k != K_ROOT) {
        e->counted = true;
        h->depth++;
    }
    /* Inside dropped elements only their own kind counts; inside <pre>
     * only what has text of its own. */
    if ((h->skip > 0 && k != K_SKIP) ||
        (h->pre > 0 && k != K_SKIP && k != K_PRE && k != K_BR && k != K_IMG))
        k = K_INLINE;
    e->kind = (unsigned char)k;
    if (h->skip > 0 && k != K_SKIP)
        return;
    h->pre_fresh = false;
    switch (k) {
    case K_INLINE:
    case K_ROOT:
        break;
    case K_SKIP:
        h->skip++;
        break;
    case K_BLOCK:
        want_break(h, 2, false);
        break;
    case K_HEADING: {
        want_break(h, 2, false);
        int level = xname[1] - '0';
        snprintf(h->lead, sizeof h->lead, "%.*s ", level, "######");
        break;
    }
    case K_QUOTE:
        want_break(h, 2, false);
        push_seg(h, e, true, NULL);
        break;
    case K_PRE:
        if (h->pre++ == 0) {
            want_break(h, 2, true);
            tc_buf_reset(&h->code);
            h->pre_fresh = true;
        }
        break;
    case K_UL:
    case K_OL:
        want_break(h, h->items > 0 ? 1 : 2, false);
        e->number = 1;
        if (k == K_OL)
            parse_int(attr(atts, "start"), &e->number);
        e->outer = h->list;
        h->list = h->n_els - 1;
        break;
    case K_LI:
        start_item(h, e, atts);
        break;
    case K_DT:
        want_break(h, 1, false);
        break;
    case K_DD:
        want_break(h, 1, false);
        h->items++;
        push_seg(h, e, false, "");
        h->absorb = h->cells == 0;
        break;
    case K_TABLE:
        want_break(h, 2, false);
        break;
    case K_ROW:
        want_break(h, 1, false);
        e->outer = h->row;
        h->row = h->n_els - 1;
        break;
    case K_CELL:
        if (h->row != NONE && h->els[h->row].count++ > 0) {
            h->space = true;
            word(h, "|", 1);
            h->space = true;
        }
        h->cells++;
        break;
    case K_A:
        start_link(h, e, atts);
        break;
    case K_IMG:
        image(h, atts);
        break;
    case K_BR:
        if (h->pre > 0)
            code_text(h, "\n", 1);
        else if (h->cells > 0)
            h->space = true;
        else if (h->wrote && !h->absorb)
            h->nl++;
        break;
    case K_HR:
        want_break(h, 2, false);
        word(h, "---", 3);
        want_break(h, 2, false);
        break;
    }
}

static void on_end(void *user, const xmlChar *name)
{
    (void)name; /* libxml2's events are balanced: the top element ends */
    html *h = user;
    if (h->rc != TC_OK || h->n_els == 0)
        return;
    el *e = &h->els[--h->n_els];
    enum kind k = (enum kind)e->kind;
    if (e->counted)
        h->depth--;
    if (h->skip > 0 && k != K_SKIP)
        return;
    switch (k) {
    case K_INLINE:
    case K_ROOT:
    case K_IMG:
    case K_BR:
    case K_HR:
        break;
    case K_SKIP:
        h->skip--;
        break;
    case K_BLOCK:
    case K_TABLE:
        want_break(h, 2, false);
        break;
    case K_HEADING:
        want_break(h, 2, false);
        h->lead[0] = '\0';
        break;
    case K_QUOTE:
        want_break(h, 2, false);
        pop_seg(h, e);
        break;
    case K_PRE:
        if (--h->pre == 0) {
            flush_code(h);
            want_break(h, 2, true);
        }
        break;
    case K_UL:
    case K_OL:
        h->list = e->outer;
        want_break(h, h->items > 0 ? 1 : 2, false);
        break;
    case K_LI:
    case K_DD:
        h->items--;
        pop_seg(h, e);
        h->absorb = false;
        h->lead[0] = '\0';
        break;
    case K_DT:
        want_break(h, 1, false);
        break;
    case K_ROW:
        h->row = e->outer;
        want_break(h, 1, false);
        break;
    case K_CELL:
        h->cells--;
        break;
    case K_A:
        end_link(h, e);
        break;
    }
}

static void on_text(void *user, const xmlChar *s, int len)
{
    html *h = user;
    if (len > 0)
        text(h, (const char *)s, (size_t)len);
}

static void on_error(void *user, xmlErrorPtr e)
{
    html *h = user;
    if (e != NULL && e->code == XML_ERR_NO_MEMORY)
        h->nomem = true;
}

/* ------------------------------------------------------------------ */
/* The input                                                           */
/* ------------------------------------------------------------------ */

/* Valid UTF-8, NUL bytes allowed. */
static bool utf8_ok(const char *s, size_t len)
{
    return tc_utf8_valid_text(s, len, NULL);
}

/* The characters libxml2 accepts (XML's Char production); it drops others. */
static bool xml_char(unsigned long c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* What HTML reads &#128;..&#159; as (windows-1252). */
static const unsigned short cp1252[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static size_t utf8_encode(unsigned long c, char *b)
{
    if (c < 0x80) {
        b[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        b[0] = (char)(0xC0 | (c >> 6));
        b[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    b[0] = (char)(0xE0 | (c >> 12));
    b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    b[2] = (char)(0x80 | (c & 0x3F));
    return 3; /* only BMP characters are ever written here */
}

/*
 * What libxml2 would drop silently, replaced: a NUL or C0 control (other
 * than tab, LF, CR) and U+FFFE/U+FFFF become U+FFFD, FF a space, raw or as
 * a numeric reference; references beyond U+10FFFF or to surrogates U+FFFD;
 * "&#" without digits "&amp;#" (libxml2 would drop "&#" or "&#x").  And
 * &#128;..&#159; the windows-1252 characters HTML reads them as.  References
 * are read the way libxml2's htmlParseCharRef reads them.  Returns the text
 * to parse: s itself when nothing needs replacing, else a copy in *copy.
 */
static const char *prepare(html *h, const char *s, size_t len, tc_buf *copy, size_t *out_len)
{
    size_t done = 0; /* s[0..done) is in copy */
    size_t i = 0;
    char rep[4];
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t next = i + 1, rn = 0;
        const char *r = rep;
        if (c == '&' && i + 1 < len && s[i + 1] == '#') {
            size_t j = i + 2;
            bool hex = j < len && (s[j] == 'x' || s[j] == 'X');
            if (hex)
                j++;
            size_t digits = j;
            unsigned long v = 0;
            for (; j < len; j++) {
                int d = hex ? hex_value(s[j])
                            : (s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);
                if (d < 0)
                    break;
                v = v * (hex ? 16 : 10) + (unsigned long)d;
                if (v > 0x110000)
                    v = 0x110000;
            }
            if (j == digits) {
                r = "&amp;";
                rn = 5;
            } else {
                if (j < len && s[j] == ';')
                    j++;
                next = j;
                if (v >= 0x80 && v <= 0x9F && cp1252[v - 0x80] != v)
                    rn = utf8_encode(cp1252[v - 0x80], rep);
                else if (v == 0xC)
                    rep[rn++] = ' ';
                else if (!xml_char(v))
                    rn = utf8_encode(0xFFFD, rep);
                else
                    next = i + 1; /* libxml2 reads it right */
            }
        } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            rn = c == '\f' ? (rep[0] = ' ', 1) : utf8_encode(0xFFFD, rep);
        } else if (c == 0xEF && i + 2 < len && (unsigned char)s[i + 1] == 0xBF &&
                   ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF)) {
            rn = utf8_encode(0xFFFD, rep);
            next = i + 3;
        }
        if (rn == 0) {
            i = next;
            continue;
        }
        if (tc_buf_append(copy, s + done, i - done) != TC_OK ||
            tc_buf_append(copy, r, rn) != TC_OK) {
            fail(h, TC_ERR_NOMEM, "out of memory");
            return NULL;
        }
        /* "&#" without digits: "&" became "&amp;", the "#" stays */
        done = i = r == rep ? next : i + 1;
    }
    if (done == 0) {
        *out_len = len;
        return s;
    }
    if (tc_buf_append(copy, s + done, len - done) != TC_OK) {
        fail(h, TC_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *out_len = copy->len;
    return copy->data;
}

/* ------------------------------------------------------------------ */
/* The entry points                                                    */
/* ------------------------------------------------------------------ */

#if defined(__GNUC__)
/* libxml2 wants xmlInitParser called once before threads use it; a library
 * constructor runs before any thread of ours.  Each call repeats it (a
 * no-op then), since a plugin unloaded may have run xmlCleanupParser. */
static void html_init(void) __attribute__((constructor));
static void html_init(void)
{
    xmlInitParser();
}
#endif

static int finish(html *h, int rc, const char **why)
{
    tc_buf_free(&h->code);
    tc_buf_free(&h->hrefs);
    tc_buf_free(&h->tmp);
    free(h->els);
    free(h->unstarted);
    if (rc != TC_OK) {
        h->out->len = h->out_start;
        if (h->out->data != NULL)
            h->out->data[h->out_start] = '\0';
        if (why != NULL)
            *why = h->why;
    }
    return rc;
}

int tc_html_to_text_ex(const char *html_text, size_t len, size_t max_depth, tc_buf *out,
                       const char **why)
{
    html h = {
        .out = out,
        .out_start = out->len,
        .rc = TC_OK,
        .max_depth = max_depth ? max_depth : TC_HTML_MAX_DEPTH,
        .list = NONE,
        .row = NONE,
        .line_empty = true,
    };
    if (why != NULL)
        *why = NULL;
    if (len > 0 && !utf8_ok(html_text, len)) {
        h.why = "the HTML is not valid UTF-8";
        return finish(&h, TC_ERR_DATA, why);
    }
    tc_buf copy = {0};
    size_t n = 0;
    const char *input = len > 0 ? prepare(&h, html_text, len, &copy, &n) : "";
    if (input == NULL) {
        tc_buf_free(&copy);
        return finish(&h, h.rc, why);
    }
    if (n > INT_MAX) {
        tc_buf_free(&copy);
        h.why = "the HTML is longer than libxml2 parses (2 GiB)";
        return finish(&h, TC_ERR_DATA, why);
    }

    xmlInitParser();
    h.ctxt = htmlNewParserCtxt();
    if (h.ctxt == NULL || h.ctxt->sax == NULL) {
        if (h.ctxt != NULL)
            htmlFreeParserCtxt(h.ctxt);
        tc_buf_free(&copy);
        h.why = "out of memory";
        return finish(&h, TC_ERR_NOMEM, why);
    }
    /* Only the events used; serror (with the SAX2 magic) takes every
     * error, so none reaches libxml2's generic handler and stderr. */
    static const htmlSAXHandler sax = {
        .initialized = XML_SAX2_MAGIC,
        .startElement = on_start,
        .endElement = on_end,
        .characters = on_text,
        .ignorableWhitespace = on_text, /* spaces between elements count */
        .cdataBlock = on_text,          /* script and style: dropped anyway */
        .serror = on_error,
    };
    *h.ctxt->sax = sax;
    h.ctxt->userData = &h;
    /* No network, no DTD, no entity expansion beyond HTML's own table,
     * and UTF-8 whatever the HTML declares. */
    htmlDocPtr doc = htmlCtxtReadMemory(h.ctxt, input, (int)n, NULL, "UTF-8",
                                        HTML_PARSE_RECOVER | HTML_PARSE_NONET |
                                            HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                            HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC);
    if (doc != NULL)
        xmlFreeDoc(doc);
    htmlFreeParserCtxt(h.ctxt);
    h.ctxt = NULL;
    tc_buf_free(&copy);

    if (h.rc == TC_OK && h.nomem)
        fail(&h, TC_ERR_NOMEM, "out of memory");
    if (h.rc == TC_OK && tc_buf_append(out, "", 0) != TC_OK)
        fail(&h, TC_ERR_NOMEM, "out of memory");
    /* libxml2 gives UTF-8 for UTF-8; a check costs little next to parsing */
    if (h.rc == TC_OK &&
        !tc_utf8_valid(out->data + h.out_start, out->len - h.out_start, NULL, NULL))
        fail(&h, TC_ERR_DATA, "the text libxml2 gave is not UTF-8");
    return finish(&h, h.rc, why);
}

int tc_html_to_text(const char *html_text, size_t len, tc_buf *out)
{
    return tc_html_to_text_ex(html_text, len, 0, out, NULL);
}
