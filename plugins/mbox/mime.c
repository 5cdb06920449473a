/*
 * mime.c - the body of a message the mbox reader loaded: the MIME
 * structure is walked (multipart, nested to MAX_DEPTH, digests), the
 * first text/plain part that is not an attachment is the post's body
 * (else the first other text part), every other part is named in an
 * extra field (mbox.part.N: its type and file name), and the body is
 * decoded: transfer encoding (quoted-printable, base64), then charset
 * to UTF-8 (the library's threadconv/mail.h).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 100      /* MIME nesting */

static bool starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

typedef struct entity {
    char type[96];     /* lower case "type/subtype" */
    char charset[64];
    char cte[32];      /* lower case */
    char boundary[200];
    char filename[200];
    bool attachment;
} entity;

/* A header token (a MIME type, a charset name) as printable ASCII: other
 * bytes, which no token holds, become '?' so the copy stays valid UTF-8
 * (it lands in extra fields and messages) however it is cut short. */
static char token_char(char c)
{
    return c > ' ' && c < 0x7F ? c : '?';
}

static void lower_copy(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : token_char(s[i]);
    dst[n] = '\0';
}

static void token_copy(char *dst, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < size; i++)
        dst[i] = token_char(s[i]);
    dst[i] = '\0';
}

static void entity_info(mbox_reader *st, const mbox_hdrs *hs, entity *e, const char *default_type)
{
    e->charset[0] = e->cte[0] = e->boundary[0] = e->filename[0] = '\0';
    e->attachment = false;
    token_copy(e->type, sizeof e->type, default_type);
    const mbox_hdr *h = mbox_find_hdr(hs, MBOX_K_CTYPE);
    if (h) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        size_t k = 0;
        while (k < vn && v[k] != ';' && v[k] != ' ' && v[k] != '\t')
            k++;
        if (k > 0 && memchr(v, '/', k))
            lower_copy(e->type, sizeof e->type, v, k);
        static const char *const names[] = {"charset", "boundary", "name", NULL};
        bool found[3];
        if (memchr(v, ';', vn) && tc_mail_params(v, vn, names, st->param, found) == TC_OK) {
            if (found[0])
                token_copy(e->charset, sizeof e->charset, st->param[0].data);
            if (found[1])
                snprintf(e->boundary, sizeof e->boundary, "%s", st->param[1].data);
            if (found[2])
                snprintf(e->filename, sizeof e->filename, "%s", st->param[2].data);
        }
    }
    h = mbox_find_hdr(hs, MBOX_K_CTE);
    if (h) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        lower_copy(e->cte, sizeof e->cte, v, vn);
    }
    h = mbox_find_hdr(hs, MBOX_K_CDISP);
    if (h) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        e->attachment = starts_ci(v, vn, "attachment");
        bool found;
        if (tc_mail_param(v, vn, "filename", &st->tmp2, &found) == TC_OK && found)
            snprintf(e->filename, sizeof e->filename, "%s", st->tmp2.data);
    }
}

/* Decode a leaf's content (transfer encoding, then charset) into out. */
static int decode_leaf(tc_stream *in, mbox_reader *st, const char *s, size_t n, const char *cte,
                       const char *charset, tc_buf *out, const char *what)
{
    const mbox_loaded *l = &st->cur;
    uint32_t num = l->index + 1;
    uint64_t line = l->line;
    const char *bytes = s;
    size_t len = n;
    size_t bad = 0;
    tc_buf_reset(&st->dec);
    if (strcmp(cte, "quoted-printable") == 0) {
        if (tc_mail_qp_decode(&st->dec, s, n) != TC_OK)
            return mbox_nomem(in);
        bytes = st->dec.data;
        len = st->dec.len;
    } else if (strcmp(cte, "base64") == 0) {
        if (tc_mail_base64_decode(&st->dec, s, n, &bad) != TC_OK)
            return mbox_nomem(in);
        /* Dropping the characters would lose text without a trace: an
         * error, which --keep-going turns into skipping this message. */
        if (bad)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "message %u: the %s is declared base64 but %zu character%s "
                                   "%s not base64: expected A-Z a-z 0-9 + / =", num, what, bad,
                                   bad == 1 ? "" : "s", bad == 1 ? "is" : "are");
        bytes = st->dec.data;
        len = st->dec.len;
    }
    bad = 0;
    bool unknown = false;
    tc_buf_reset(out);
    /* a body may hold U+0000: a NUL the body decodes to (=00, base64, a raw
     * NUL octet of a mailbox written by others) is kept, not replaced */
    if (tc_mail_to_utf8_text(out, charset[0] ? charset : NULL, bytes ? bytes : "", len, &bad,
                             &unknown) != TC_OK ||
        tc_buf_append(out, "", 0) != TC_OK)
        return mbox_nomem(in);
    /* Guessing at an unknown charset could garble the text: an error. */
    if (unknown)
        return tc_stream_error(in, TC_ERR_DATA, line, 0,
                               "message %u: unknown charset \"%s\" in the %s: expected a "
                               "charset iconv knows (utf-8, iso-8859-1, windows-1252, ...)",
                               num, charset, what);
    if (bad) {
        tc_stream_warn(in, line, 0,
                       "message %u: %zu byte%s of the %s not valid in %s; each read as the "
                       "ISO-8859-1 character of the same value",
                       num, bad, bad == 1 ? "" : "s", what, charset[0] ? charset : "UTF-8");
        tc_buf_reset(&st->tmp2);
        if (tc_buf_printf(&st->tmp2, "%s: %zu byte%s not valid in %s read as ISO-8859-1", what,
                          bad, bad == 1 ? "" : "s", charset[0] ? charset : "UTF-8") != TC_OK ||
            tc_fields_set(&st->post.extras, "mbox.undecodable", st->tmp2.data) != TC_OK)
            return mbox_nomem(in);
    }
    return TC_OK;
}

static int walk(tc_stream *in, mbox_reader *st, const entity *e, const char *s, size_t n,
                int depth);

/* A leaf: the body when it is the first text/plain part, else named. */
static int leaf(tc_stream *in, mbox_reader *st, const entity *e, const char *s, size_t n)
{
    st->leaf++;
    bool plain = strcmp(e->type, "text/plain") == 0 && !e->attachment;
    if (plain && !st->have_body) {
        st->have_body = true;
        return decode_leaf(in, st, s, n, e->cte, e->charset, &st->p_body, "body");
    }
    if (!st->have_body && st->fb_text == NULL && strncmp(e->type, "text/", 5) == 0 &&
        !e->attachment) {
        st->fb_text = s;
        st->fb_len = n;
        snprintf(st->fb_cte, sizeof st->fb_cte, "%s", e->cte);
        snprintf(st->fb_charset, sizeof st->fb_charset, "%s", e->charset);
    }
    char key[32];
    snprintf(key, sizeof key, "mbox.part.%u", st->leaf);
    tc_buf_reset(&st->tmp);
    int rc = tc_buf_append(&st->tmp, e->type, strlen(e->type));
    if (rc == TC_OK && e->filename[0]) {
        size_t bad = 0;
        bool unknown = false;
        tc_buf name = {0};
        rc = tc_mail_decode_words(&name, e->filename, strlen(e->filename), &bad, &unknown);
        if (rc == TC_OK)
            rc = tc_buf_printf(&st->tmp, "; filename=\"%s\"", name.data);
        tc_buf_free(&name);
    }
    if (rc == TC_OK)
        rc = tc_fields_set(&st->post.extras, key, st->tmp.data);
    return rc == TC_OK ? TC_OK : mbox_nomem(in);
}

/* Is s[0..n) the line "--boundary" (close: "--boundary--")? */
static int boundary_line(const char *s, size_t n, const char *b, size_t bn)
{
    if (n < bn + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bn) != 0)
        return 0;
    size_t i = bn + 2;
    int kind = 1;
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
        kind = 2;
        i += 2;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i == n ? kind : 0;
}

static int walk(tc_stream *in, mbox_reader *st, const entity *e, const char *s, size_t n,
                int depth)
{
    if (strncmp(e->type, "multipart/", 10) != 0 || e->boundary[0] == '\0' ||
        depth >= MAX_DEPTH)
        return leaf(in, st, e, s, n);
    char boundary[200];
    snprintf(boundary, sizeof boundary, "%s", e->boundary);
    size_t bn = strlen(boundary);
    const char *def = strcmp(e->type, "multipart/digest") == 0 ? "message/rfc822" : "text/plain";
    size_t i = 0;
    const char *part = NULL; /* start of the current part */
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        int kind = boundary_line(s + i, end - i, boundary, bn);
        if (kind) {
            if (part) {
                /* the part ends before the newline that precedes the boundary */
                size_t pn = (size_t)(s + i - part);
                if (pn > 0 && part[pn - 1] == '\n')
                    pn--;
                mbox_hdrs ph = {0};
                entity pe;
                int rc = mbox_parse_headers(part, pn, &ph);
                if (rc == TC_OK) {
                    entity_info(st, &ph, &pe, def);
                    rc = walk(in, st, &pe, part + ph.body, pn - ph.body, depth + 1);
                }
                mbox_hdrs_free(&ph);
                if (rc != TC_OK)
                    return rc == TC_ERR_NOMEM ? mbox_nomem(in) : rc;
            }
            part = nl ? s + end + 1 : s + n;
            if (kind == 2)
                return TC_OK;
        }
        i = nl ? end + 1 : n;
    }
    if (part && part < s + n) { /* no closing boundary: the last part runs to the end */
        mbox_hdrs ph = {0};
        entity pe;
        size_t pn = (size_t)(s + n - part);
        int rc = mbox_parse_headers(part, pn, &ph);
        if (rc == TC_OK) {
            entity_info(st, &ph, &pe, def);
            rc = walk(in, st, &pe, part + ph.body, pn - ph.body, depth + 1);
        }
        mbox_hdrs_free(&ph);
        return rc == TC_ERR_NOMEM ? mbox_nomem(in) : rc;
    }
    if (part == NULL) /* no boundary at all: keep the text */
        return leaf(in, st, &(entity){.type = "text/plain"}, s, n);
    return TC_OK;
}

int mbox_mime_body(tc_stream *in, mbox_reader *st, const mbox_loaded *l)
{
    entity e;
    entity_info(st, &l->hs, &e, "text/plain");
    st->have_body = false;
    st->leaf = 0;
    st->fb_text = NULL;
    int rc = walk(in, st, &e, MBOX_TEXT(l) + l->hs.body, MBOX_TEXT_LEN(l) - l->hs.body, 0);
    if (rc != TC_OK || st->have_body)
        return rc;
    if (st->fb_text) /* no text/plain part: the first other text part */
        return decode_leaf(in, st, st->fb_text, st->fb_len, st->fb_cte, st->fb_charset,
                           &st->p_body, "body");
    tc_buf_reset(&st->p_body);
    return tc_buf_append(&st->p_body, "", 0) == TC_OK ? TC_OK : mbox_nomem(in);
}
