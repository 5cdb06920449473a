/*
 * attachment.c - the "xml" reader's <attachment> elements (see reader.h):
 * the attributes when the element opens, then the base64 decoded piece by
 * piece as libxml2 hands it over (into the arena, within the max-post
 * limit), then the checks when it ends.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Attachments                                                         */
/* ------------------------------------------------------------------ */

/* The attachment being read, and its number in the post (for messages). */
static xr_att *cur_att(xr *x)
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
        xr_bad(x, true, line, "the attachments are longer than the max-post limit (%zu bytes)",
               x->max);
        return false;
    }
    x->a_cost += cost;
    return true;
}

/* The size and empty attributes of the attachment just begun. */
static bool att_size(xr *x, xr_att *a, uint64_t line, int nb, const xmlChar **attrs)
{
    const char *size = xr_attribute(x, nb, attrs, XR_AT_SIZE);
    if (x->st == XR_ST_STOP)
        return false;
    if (size != NULL) {
        if (!parse_size(size, &a->size)) {
            xr_bad(x, true, line,
                   "attachment %zu: size=\"%.30s\": expected the size in bytes, a decimal number",
                   att_number(x), size);
            return false;
        }
        a->size_known = true;
    }
    const char *empty = xr_attribute(x, nb, attrs, XR_AT_EMPTY);
    if (x->st == XR_ST_STOP)
        return false;
    x->a_bytes = empty == NULL;
    if (empty == NULL)
        return true;
    if (strcmp(empty, "true") != 0) {
        xr_bad(x, true, line,
               "attachment %zu: empty=\"%.20s\": expected empty=\"true\" (the bytes are there and "
               "there are none) or no empty attribute", att_number(x), empty);
        return false;
    }
    if (a->size_known && a->size != 0) {
        xr_bad(x, true, line,
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
void xr_begin_attachment(xr *x, uint64_t line, int nb, const xmlChar **attrs)
{
    if (x->as_n == x->as_cap) {
        size_t cap = x->as_cap ? 2 * x->as_cap : 8;
        xr_att *as = realloc(x->as, cap * sizeof *as);
        if (as == NULL) {
            xr_nomem(x);
            return;
        }
        x->as = as;
        x->as_cap = cap;
    }
    xr_att *a = &x->as[x->as_n++];
    x->p.na++;
    *a = (xr_att){.data = XR_NONE};
    for (int k = 0; k < XR_A_STRINGS; k++) {
        const char *v = xr_attribute(x, nb, attrs, XR_AT_NAME + k);
        if (x->st == XR_ST_STOP)
            return;
        a->s[k] = XR_NONE;
        if (v == NULL)
            continue;
        size_t len = strlen(v);
        if (!att_cost(x, len + 1, line))
            return;
        a->s[k] = x->arena.len - x->p.base;
        if (!xr_put(x, v, len + 1)) {
            xr_nomem(x);
            return;
        }
    }
    if (a->s[XR_A_NAME] == XR_NONE) {
        xr_bad(x, true, line, "attachment %zu without a name: expected <attachment name=\"FILE\">",
               att_number(x));
        return;
    }
    /* what the model's attachment itself holds, as an extra field costs */
    if (!att_cost(x, 64, line) || !att_size(x, a, line, nb, attrs))
        return;
    if (x->a_bytes)
        a->data = x->arena.len - x->p.base; /* XR_NONE again if no base64 comes */
    x->a_dec = (xml_b64){0};
    /* libxml2 calls on_start with its input at the '>' of the start tag:
     * the content begins after it */
    const xmlParserInput *in = x->ctxt->input;
    x->a_line = xr_cur_line(x);
    x->a_col = in != NULL && in->col > 0 ? (uint64_t)in->col + 1 : 0;
    if (x->a_col == 0)
        x->a_line = 0;
    xr_push(x, line);
    x->st = XR_ST_ATTACH;
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
void xr_att_text(xr *x, enum xr_run type, const xmlChar *s, size_t len)
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
        xr_nomem(x);
        return;
    } else {
        n = xml_b64_decode(&x->a_dec, s, len, (unsigned char *)x->arena.data + x->arena.len,
                           &bad_at, &why);
    }
    uint64_t line = 0, col = 0;
    if (why != NULL) {
        if (type == XR_RUN_CDATA || !att_position(x, s, bad_at, &line, &col)) {
            line = xr_top_line(x); /* libxml2 keeps no position in CDATA */
            col = 0;
        }
        size_t clen = 1; /* the character, whole */
        while (bad_at + clen < len && clen < 4 && (s[bad_at + clen] & 0xC0) == 0x80)
            clen++;
        char ctx[96];
        xr_context(x, true, ctx, sizeof ctx);
        xr_fail(x, TC_ERR_DATA, line, col, "%sattachment %zu: bad base64 \"%.*s\": %s", ctx,
                att_number(x), (int)clen, (const char *)s + bad_at, why);
        return;
    }
    x->arena.len += n;
    x->arena.data[x->arena.len] = '\0';
    if (!att_cost(x, n, xr_top_line(x)))
        return;
    /* the next piece begins where libxml2 is now, after a text piece; a
     * CDATA section's end is not known */
    const xmlParserInput *in = x->ctxt->input;
    if (type == XR_RUN_TEXT && in != NULL && in->col > 0) {
        x->a_line = xr_cur_line(x);
        x->a_col = (uint64_t)in->col;
    } else {
        x->a_line = 0;
    }
}

/* The end tag of the attachment. */
void xr_end_attachment(xr *x)
{
    uint64_t line = xr_top_line(x);
    x->depth--;
    xr_att *a = cur_att(x);
    const char *why = x->a_bytes ? xml_b64_end(&x->a_dec) : NULL;
    if (why != NULL) {
        xr_bad(x, true, line, "attachment %zu: the base64 ends early: %s", att_number(x), why);
        return;
    }
    if (x->a_bytes) {
        uint64_t got = x->arena.len - x->p.base - a->data;
        if (got == 0) {
            a->data = XR_NONE; /* no base64: the bytes are not there */
        } else if (a->size_known && a->size != got) {
            xr_bad(x, true, line,
                   "attachment %zu: size=\"%" PRIu64 "\" but its base64 holds %" PRIu64
                   " bytes: expected the two to agree", att_number(x), a->size, got);
            return;
        } else {
            a->size = got;
            a->size_known = true;
        }
    }
    x->st = XR_ST_P_TAIL;
    x->stage = 2;
}

void xr_att_after_node(xr *x)
{
    /* libxml2 calls the comment and PI handlers after the node: the content
     * goes on from where it is now */
    const xmlParserInput *in = x->ctxt->input;
    x->a_line = in != NULL && in->col > 0 ? xr_cur_line(x) : 0;
    x->a_col = in != NULL && in->col > 0 ? (uint64_t)in->col : 0;
}
