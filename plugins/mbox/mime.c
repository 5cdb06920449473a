/*
 * mime.c - the body and the attachments of a message the mbox reader
 * loaded.  The MIME structure is walked once, line by line, with a stack
 * of the multiparts it is in (so a message of many parts costs time in
 * proportion to its length, however many parts it has, and a boundary
 * line closes the parts of every multipart inside the one it belongs to):
 *
 *   - the first text/plain part that is not an attachment is the post's
 *     body, decoded: transfer encoding (quoted-printable, base64), then
 *     charset to UTF-8 (the library's threadconv/mail.h);
 *   - every other part (a leaf: message/rfc822 parts are not looked
 *     into) is an attachment: name, media type, Content-ID, disposition
 *     and its bytes, transfer-decoded;
 *   - without a text/plain part, the body is the text made from the first
 *     text/html part that is not an attachment (tc_html_to_text), else
 *     the first other such text/ part, and that part stays an attachment;
 *   - the attachments that are alternatives of the body (the other
 *     branches of its multipart/alternative, or the part the body was made
 *     from) and those in a multipart/related with the body or with one of
 *     them are listed for mbox.alternative and mbox.related.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <threadconv/html.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 100 /* multiparts inside one another; deeper ones are leaves */

enum { K_OTHER, K_ALTERNATIVE, K_RELATED, K_DIGEST }; /* kinds of multipart */
enum { D_NONE, D_INLINE, D_ATTACHMENT };              /* Content-Disposition */

/* One part's Content-* headers.  Its name and Content-ID are in
 * st->ename and st->ecid. */
typedef struct entity {
    char type[96];     /* lower case "type/subtype" */
    char charset[64];
    char cte[32];      /* lower case */
    char boundary[256];
    int disp;
    bool has_cid;
} entity;

/* A multipart the walk is in. */
typedef struct mbox_frame {
    char boundary[256];
    size_t bn;
    int kind;
    uint32_t id;        /* unique in the message, from 1 */
    uint32_t child;     /* its parts so far */
    uint32_t child_leaves; /* leaves seen in its current part (alternative) */
    uint32_t leaves;       /* leaves seen in it (related) */
    bool any_part;      /* a delimiter line was seen */
    const char *content; /* where its content (the preamble first) starts */
} mbox_frame;

/* Where a leaf is: its nearest multipart/alternative (frame id, 0: none),
 * which part of it, whether it is the first leaf of that part; its
 * nearest multipart/related and whether it is its first leaf (the root). */
typedef mbox_place place;

typedef struct mbox_att {
    size_t name, type, cid, charset; /* offsets in att_text (charset: of a text */
    size_t data, data_len;           /* part, to make the body from it); att_data */
    int disp;
    bool has_cid;
    place at;
} mbox_att;

/* ------------------------------------------------------------------ */
/* Headers of a part                                                   */
/* ------------------------------------------------------------------ */

static bool starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

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

/* A file name as a parameter gave it: encoded words decoded (not allowed
 * there, but common), raw 8-bit bytes UTF-8 or the fallback. */
static int set_name(mbox_reader *st, const tc_buf *raw)
{
    size_t bad = 0;
    bool unknown = false;
    tc_buf_reset(&st->ename);
    return tc_mail_decode_words(&st->ename, raw->data ? raw->data : "", raw->len, &bad,
                                &unknown);
}

static int entity_info(mbox_reader *st, const mbox_hdrs *hs, entity *e, const char *default_type)
{
    e->charset[0] = e->cte[0] = e->boundary[0] = '\0';
    e->disp = D_NONE;
    e->has_cid = false;
    tc_buf_reset(&st->ename);
    tc_buf_reset(&st->ecid);
    int rc = TC_OK;
    bool named = false;
    token_copy(e->type, sizeof e->type, default_type);
    const mbox_hdr *h = mbox_find_hdr(hs, MBOX_K_CDISP);
    if (h) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        e->disp = starts_ci(v, vn, "attachment") ? D_ATTACHMENT
                  : starts_ci(v, vn, "inline")   ? D_INLINE
                                                 : D_NONE;
        bool found = false;
        if (memchr(v, ';', vn) &&
            (rc = tc_mail_param(v, vn, "filename", &st->tmp2, &found)) == TC_OK && found) {
            rc = set_name(st, &st->tmp2);
            named = true;
        }
    }
    h = mbox_find_hdr(hs, MBOX_K_CTYPE);
    if (h && rc == TC_OK) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        size_t k = 0;
        while (k < vn && v[k] != ';' && v[k] != ' ' && v[k] != '\t')
            k++;
        const char *slash = k > 0 ? memchr(v, '/', k) : NULL;
        if (slash && slash > v && slash < v + k - 1)
            lower_copy(e->type, sizeof e->type, v, k);
        else if (k > 0 && starts_ci(v, k, "text") && k == 4) /* "text" alone: text/plain */
            token_copy(e->type, sizeof e->type, "text/plain");
        static const char *const names[] = {"charset", "boundary", "name", NULL};
        bool found[3];
        if (memchr(v, ';', vn) && (rc = tc_mail_params(v, vn, names, st->param, found)) == TC_OK) {
            if (found[0])
                token_copy(e->charset, sizeof e->charset, st->param[0].data);
            if (found[1] && st->param[1].len < sizeof e->boundary)
                memcpy(e->boundary, st->param[1].data, st->param[1].len + 1);
            if (found[2] && !named)
                rc = set_name(st, &st->param[2]);
        }
    }
    h = mbox_find_hdr(hs, MBOX_K_CTE);
    if (h) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        lower_copy(e->cte, sizeof e->cte, v, vn);
    }
    h = mbox_find_hdr(hs, MBOX_K_CID);
    if (h && rc == TC_OK) {
        const char *v = MBOX_HVAL(hs, h);
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        if (vn >= 2 && v[0] == '<' && v[vn - 1] == '>') {
            v++;
            vn -= 2;
        }
        size_t bad = 0;
        bool unknown = false;
        rc = tc_mail_to_utf8(&st->ecid, NULL, v, vn, &bad, &unknown);
        e->has_cid = true;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */
/* ------------------------------------------------------------------ */

int mbox_undecodable_note(mbox_reader *st, const char *note)
{
    if (st->x_undec.len > 0 && tc_buf_append(&st->x_undec, "; ", 2) != TC_OK)
        return TC_ERR_NOMEM;
    return tc_buf_append(&st->x_undec, note, strlen(note)) == TC_OK &&
                   tc_buf_append(&st->x_undec, "", 0) == TC_OK
               ? TC_OK
               : TC_ERR_NOMEM;
}

/* uuencode (x-uuencode, not in RFC 2045, but mail clients decode it):
 * the lines between "begin MODE NAME" and "end", each its length (a
 * character, 32 + n) and groups of four characters of six bits (32 + v;
 * '`' is 0).  Without a begin line the text is kept as it is. */
static int uu_decode(tc_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    bool begun = false;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n, next = nl ? e + 1 : n;
        size_t len = e - i;
        if (len > 0 && s[i + len - 1] == '\r')
            len--;
        const char *line = s + i;
        i = next;
        if (!begun) {
            begun = len >= 6 && memcmp(line, "begin ", 6) == 0;
            continue;
        }
        if (len >= 3 && memcmp(line, "end", 3) == 0)
            return TC_OK;
        if (len == 0)
            continue;
        size_t want = (size_t)((line[0] - 32) & 63);
        unsigned char q[4];
        for (size_t k = 1, got = 0; got < want; k += 4) {
            for (int j = 0; j < 4; j++)
                q[j] = k + (size_t)j < len ? (unsigned char)((line[k + j] - 32) & 63) : 0;
            unsigned char b[3] = {(unsigned char)(q[0] << 2 | q[1] >> 4),
                                  (unsigned char)(q[1] << 4 | q[2] >> 2),
                                  (unsigned char)(q[2] << 6 | q[3])};
            size_t take = want - got < 3 ? want - got : 3;
            if (tc_buf_append(out, (const char *)b, take) != TC_OK)
                return TC_ERR_NOMEM;
            got += take;
        }
    }
    return begun ? TC_OK : tc_buf_append(out, s, n);
}

/* Whether transfer encoding cte is one transfer_decode undoes. */
static bool encoded(const char *cte)
{
    return strcmp(cte, "quoted-printable") == 0 || strcmp(cte, "base64") == 0 ||
           strcmp(cte, "x-uuencode") == 0 || strcmp(cte, "uuencode") == 0 ||
           strcmp(cte, "x-uue") == 0 || strcmp(cte, "uue") == 0;
}

/* The transfer encoding of s[0..n) undone, appended to out.  Characters
 * outside the base64 alphabet are ignored, as RFC 2045 section 6.8 says,
 * with a warning naming the message and the part. */
static int transfer_decode(tc_stream *in, mbox_reader *st, const char *s, size_t n,
                           const char *cte, tc_buf *out, const char *what)
{
    if (strcmp(cte, "quoted-printable") == 0)
        return tc_mail_qp_decode(out, s, n);
    if (strcmp(cte, "x-uuencode") == 0 || strcmp(cte, "uuencode") == 0 ||
        strcmp(cte, "x-uue") == 0 || strcmp(cte, "uue") == 0)
        return uu_decode(out, s, n);
    if (strcmp(cte, "base64") == 0) {
        size_t bad = 0;
        if (tc_mail_base64_decode(out, s, n, &bad) != TC_OK)
            return TC_ERR_NOMEM;
        if (bad)
            tc_stream_warn(in, st->cur.line, 0,
                           "message %u: the %s is declared base64 but %zu character%s %s not "
                           "base64; ignored, as RFC 2045 section 6.8 says",
                           st->cur.index + 1, what, bad, bad == 1 ? "" : "s",
                           bad == 1 ? "is" : "are");
        return TC_OK;
    }
    return tc_buf_append(out, s, n);
}

/* bytes[0..len) in charset, to UTF-8 in out (reset).  An unknown charset
 * or bytes it cannot decode: a warning, the documented fallback, and
 * mbox.charset / mbox.undecodable. */
static int charset_decode(tc_stream *in, mbox_reader *st, const char *bytes, size_t len,
                          const char *charset, tc_buf *out, const char *what)
{
    uint32_t num = st->cur.index + 1;
    uint64_t line = st->cur.line;
    size_t bad = 0;
    bool unknown = false;
    tc_buf_reset(out);
    /* a body may hold U+0000: a NUL the body decodes to (=00, base64, a raw
     * NUL octet of a mailbox written by others) is kept, not replaced */
    if (tc_mail_to_utf8_text(out, charset[0] ? charset : NULL, bytes ? bytes : "", len, &bad,
                             &unknown) != TC_OK ||
        tc_buf_append(out, "", 0) != TC_OK)
        return TC_ERR_NOMEM;
    if (unknown) {
        tc_stream_warn(in, line, 0,
                       "message %u: unknown charset \"%s\" in the %s; read as UTF-8, the label "
                       "kept in mbox.charset",
                       num, charset, what);
        tc_buf_reset(&st->x_charset);
        if (tc_buf_append(&st->x_charset, charset, strlen(charset)) != TC_OK ||
            tc_buf_append(&st->x_charset, "", 0) != TC_OK)
            return TC_ERR_NOMEM;
    }
    if (bad) {
        const char *cs = charset[0] ? charset : "UTF-8";
        tc_stream_warn(in, line, 0,
                       "message %u: %zu byte%s of the %s not valid in %s; each read as the "
                       "ISO-8859-1 character of the same value",
                       num, bad, bad == 1 ? "" : "s", what, cs);
        tc_buf_reset(&st->tmp2);
        if (tc_buf_printf(&st->tmp2, "%s: %zu byte%s not valid in %s read as ISO-8859-1", what,
                          bad, bad == 1 ? "" : "s", cs) != TC_OK ||
            mbox_undecodable_note(st, st->tmp2.data) != TC_OK)
            return TC_ERR_NOMEM;
    }
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Leaves                                                              */
/* ------------------------------------------------------------------ */

/* Where a leaf found now is (the frames on the stack). */
static place where(mbox_reader *st)
{
    place p = {0, 0, 0, false, false};
    bool alt = false, rel = false;
    for (size_t k = st->n_frames; k-- > 0 && !(alt && rel);) {
        mbox_frame *f = &st->frames[k];
        if (!alt && f->kind == K_ALTERNATIVE) {
            alt = true;
            p.alt = f->id;
            p.alt_child = f->child;
            p.alt_first = f->child_leaves++ == 0;
        }
        if (!rel && f->kind == K_RELATED) {
            rel = true;
            p.rel = f->id;
            p.rel_root = f->leaves++ == 0;
        }
    }
    return p;
}

static int set_text(tc_buf *b, const char *s, size_t n)
{
    tc_buf_reset(b);
    return tc_buf_append(b, s, n) == TC_OK && tc_buf_append(b, "", 0) == TC_OK ? TC_OK
                                                                             : TC_ERR_NOMEM;
}

static int put_text(tc_buf *b, size_t *off, const char *s, size_t n)
{
    *off = b->len;
    return tc_buf_append(b, s, n) == TC_OK && tc_buf_putc(b, '\0') == TC_OK ? TC_OK
                                                                           : TC_ERR_NOMEM;
}

/* A leaf s[0..n) with headers e: the body, or an attachment. */
static int leaf(tc_stream *in, mbox_reader *st, const entity *e, const char *s, size_t n)
{
    place at = where(st);
    if (!st->have_body && strcmp(e->type, "text/plain") == 0 && e->disp != D_ATTACHMENT) {
        st->have_body = true;
        st->body_place = at;
        if (!encoded(e->cte)) /* 7bit, 8bit, binary: the text as it is */
            return charset_decode(in, st, s, n, e->charset, &st->p_body, "body");
        tc_buf_reset(&st->dec);
        int rc = transfer_decode(in, st, s, n, e->cte, &st->dec, "body");
        if (rc == TC_OK)
            rc = charset_decode(in, st, st->dec.data, st->dec.len, e->charset, &st->p_body,
                                "body");
        return rc;
    }
    if (st->n_atts == st->cap_atts) {
        size_t cap = st->cap_atts ? st->cap_atts * 2 : 8;
        mbox_att *a = realloc(st->atts, cap * sizeof *a);
        if (a == NULL)
            return TC_ERR_NOMEM;
        st->atts = a;
        st->cap_atts = cap;
    }
    mbox_att *a = &st->atts[st->n_atts];
    a->disp = e->disp;
    a->has_cid = e->has_cid;
    a->at = at;
    if (put_text(&st->att_text, &a->name, st->ename.data ? st->ename.data : "", st->ename.len) ||
        put_text(&st->att_text, &a->charset, e->charset, strlen(e->charset)) ||
        put_text(&st->att_text, &a->type, e->type, strlen(e->type)) ||
        put_text(&st->att_text, &a->cid, st->ecid.data ? st->ecid.data : "", st->ecid.len))
        return TC_ERR_NOMEM;
    a->data = st->att_data.len;
    char what[48];
    snprintf(what, sizeof what, "part %zu", st->n_atts + 1);
    int rc = transfer_decode(in, st, s, n, e->cte, &st->att_data, what);
    if (rc != TC_OK)
        return rc;
    a->data_len = st->att_data.len - a->data;
    st->n_atts++;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* The walk                                                            */
/* ------------------------------------------------------------------ */

/* Is s[0..n) the line "--boundary" (close: "--boundary--")?  Blanks may
 * follow, as RFC 2046 allows. */
static int boundary_line(const char *s, size_t n, const char *b, size_t bn)
{
    if (n < bn + 2 || memcmp(s + 2, b, bn) != 0)
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

static int multipart_kind(const char *type)
{
    return strcmp(type, "multipart/alternative") == 0 ? K_ALTERNATIVE
           : strcmp(type, "multipart/related") == 0   ? K_RELATED
           : strcmp(type, "multipart/digest") == 0    ? K_DIGEST
                                                      : K_OTHER;
}

static int push(mbox_reader *st, const entity *e, const char *content)
{
    if (st->n_frames == st->cap_frames) {
        size_t cap = st->cap_frames ? st->cap_frames * 2 : 8;
        mbox_frame *f = realloc(st->frames, cap * sizeof *f);
        if (f == NULL)
            return TC_ERR_NOMEM;
        st->frames = f;
        st->cap_frames = cap;
    }
    mbox_frame *f = &st->frames[st->n_frames++];
    memcpy(f->boundary, e->boundary, sizeof f->boundary);
    f->bn = strlen(f->boundary);
    f->kind = multipart_kind(e->type);
    f->id = ++st->frame_ids;
    f->child = f->child_leaves = f->leaves = 0;
    f->any_part = false;
    f->content = content;
    return TC_OK;
}

/* The entity s[0..n) starts (its headers hs, already parsed): a multipart
 * is pushed (its content follows), anything else is a leaf whose text
 * starts at *leaf_at; *is_leaf says which. */
static int start_entity(mbox_reader *st, entity *e, const char *s, const mbox_hdrs *hs,
                        const char **leaf_at, bool *is_leaf)
{
    *is_leaf = true;
    *leaf_at = s + hs->body;
    if (strncmp(e->type, "multipart/", 10) == 0) {
        if (e->boundary[0] == '\0') /* no boundary to split it at: its text */
            token_copy(e->type, sizeof e->type, "text/plain");
        else if (st->n_frames < MAX_DEPTH) {
            *is_leaf = false;
            return push(st, e, s + hs->body);
        }
    }
    return TC_OK;
}

/* Frames from k on are done (closed, or cut short by a boundary of an
 * outer one, or by the end).  A multipart that never had a part keeps its
 * text (a boundary that never comes: the text is still there) as a
 * text/plain leaf, unless it is blank. */
static int pop_to(tc_stream *in, mbox_reader *st, size_t k, const char *end)
{
    while (st->n_frames > k) {
        mbox_frame *f = &st->frames[st->n_frames - 1];
        const char *c = f->content;
        bool any = f->any_part;
        st->n_frames--;
        if (any || c >= end)
            continue;
        size_t n = (size_t)(end - c);
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = c[i] == ' ' || c[i] == '\t' || c[i] == '\r' || c[i] == '\n';
        if (blank)
            continue;
        entity e = {.type = "text/plain"};
        tc_buf_reset(&st->ename);
        tc_buf_reset(&st->ecid);
        int rc = leaf(in, st, &e, c, n);
        if (rc != TC_OK)
            return rc;
    }
    return TC_OK;
}

static int walk(tc_stream *in, mbox_reader *st, const mbox_loaded *l)
{
    const char *text = MBOX_TEXT(l), *end = text + MBOX_TEXT_LEN(l);
    entity e;
    int rc = entity_info(st, &l->hs, &e, "text/plain");
    const char *leaf_at = NULL; /* the text of the leaf being read */
    entity leaf_e;
    bool is_leaf, leaf_bare = false;
    if (rc == TC_OK)
        rc = start_entity(st, &e, text, &l->hs, &leaf_at, &is_leaf);
    if (rc != TC_OK)
        return rc;
    if (is_leaf) /* not a multipart: the whole body is the one leaf */
        return leaf(in, st, &e, leaf_at, (size_t)(end - leaf_at));
    leaf_at = NULL;
    const char *p = text + l->hs.body;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
        if (le - p >= 2 && p[0] == '-' && p[1] == '-' && st->n_frames > 0) {
            /* the innermost multipart whose boundary this is */
            size_t k = st->n_frames;
            int kind = 0;
            while (k-- > 0 && kind == 0) {
                mbox_frame *f = &st->frames[k];
                kind = boundary_line(p, (size_t)(le - p), f->boundary, f->bn);
                if (kind)
                    break;
            }
            if (kind) {
                /* the part before it ends before the line break that
                 * precedes the boundary */
                const char *stop = p > text && p[-1] == '\n' ? p - 1 : p;
                /* a part of nothing at all (two boundary lines in a row) is none */
                if (leaf_at && !(leaf_bare && stop <= leaf_at)) {
                    rc = leaf(in, st, &leaf_e, leaf_at, stop > leaf_at ? (size_t)(stop - leaf_at)
                                                                       : 0);
                    leaf_at = NULL;
                    if (rc != TC_OK)
                        return rc;
                }
                if ((rc = pop_to(in, st, k + 1, stop)) != TC_OK)
                    return rc;
                mbox_frame *f = &st->frames[k];
                if (kind == 2) {
                    if (!f->any_part) {
                        if ((rc = pop_to(in, st, k, stop)) != TC_OK)
                            return rc;
                    } else {
                        st->n_frames = k; /* the epilogue follows: ignored */
                    }
                    p = next;
                    continue;
                }
                f->any_part = true;
                f->child++;
                f->child_leaves = 0;
                /* a part starts: its headers */
                const char *def = f->kind == K_DIGEST ? "message/rfc822" : "text/plain";
                if ((rc = mbox_parse_headers(next, (size_t)(end - next), &st->part_hs)) != TC_OK ||
                    (rc = entity_info(st, &st->part_hs, &e, def)) != TC_OK ||
                    (rc = start_entity(st, &e, next, &st->part_hs, &leaf_at, &is_leaf)) != TC_OK)
                    return rc;
                if (is_leaf)
                    leaf_e = e;
                else
                    leaf_at = NULL;
                leaf_bare = st->part_hs.n == 0 && st->part_hs.body == 0;
                p = next + st->part_hs.body;
                continue;
            }
        }
        p = next;
    }
    /* a multipart left open: its last part runs to the end, less the line
     * break a closing boundary would have taken (as Python's email reads it) */
    const char *stop = end > text && end[-1] == '\n' ? end - 1 : end;
    if (leaf_at && !(leaf_bare && stop <= leaf_at) &&
        (rc = leaf(in, st, &leaf_e, leaf_at, stop > leaf_at ? (size_t)(stop - leaf_at) : 0)) != TC_OK)
        return rc;
    return pop_to(in, st, 0, stop);
}

/* ------------------------------------------------------------------ */
/* The body when there is no text/plain part, and the lists            */
/* ------------------------------------------------------------------ */

/* The first attachment that is text of type (NULL: any text/) and not an
 * attachment by its disposition, + 1; 0 when none. */
static size_t text_part(const mbox_reader *st, const char *type)
{
    for (size_t i = 0; i < st->n_atts; i++) {
        const mbox_att *a = &st->atts[i];
        const char *t = st->att_text.data + a->type;
        if (a->disp != D_ATTACHMENT &&
            (type ? strcmp(t, type) == 0 : strncmp(t, "text/", 5) == 0))
            return i + 1;
    }
    return 0;
}

/*
 * The SDK's HTML-to-text, tc_html_to_text_ex (threadconv/html.h), loaded
 * the first time a message needs it: libthreadconv_html brings libxml2
 * and ICU, 3 MB of memory and a slower start for every run, and most mail
 * has a text/plain part.  It is the file beside libthreadconv itself (the
 * build tree's core/.libs, or the installed libdir), found through the
 * library's own address, else by its soname.
 */
typedef int (*html_fn)(const char *, size_t, size_t, tc_buf *, const char **);
static html_fn html_to_text;
static char html_failure[256];
static pthread_once_t html_once = PTHREAD_ONCE_INIT;

static void html_load(void)
{
    static const char soname[] = "libthreadconv_html.so.0";
    void *h = NULL;
    Dl_info info;
    if (dladdr((void *)tc_stream_warn, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        char path[4096];
        if (slash && (size_t)(slash - info.dli_fname) + sizeof soname + 1 < sizeof path) {
            snprintf(path, sizeof path, "%.*s/%s", (int)(slash - info.dli_fname),
                     info.dli_fname, soname);
            h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        }
    }
    if (h == NULL)
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (h != NULL)
        *(void **)&html_to_text = dlsym(h, "tc_html_to_text_ex");
    if (html_to_text == NULL) {
        const char *why = dlerror();
        snprintf(html_failure, sizeof html_failure, "%s", why ? why : "cannot load it");
    }
}

/* The body made from attachment k - 1 (HTML: its text). */
static int body_from(tc_stream *in, mbox_reader *st, size_t k)
{
    const mbox_att *a = &st->atts[k - 1];
    char charset[64];
    snprintf(charset, sizeof charset, "%s", st->att_text.data + a->charset);
    int rc = charset_decode(in, st, st->att_data.data + a->data, a->data_len, charset,
                            &st->tmp, "body");
    if (rc != TC_OK)
        return rc;
    st->body_place = a->at;
    if (strcmp(st->att_text.data + a->type, "text/html") != 0)
        return set_text(&st->p_body, st->tmp.data, st->tmp.len);
    tc_buf_reset(&st->p_body);
    const char *why = NULL;
    pthread_once(&html_once, html_load);
    if (html_to_text == NULL) {
        rc = TC_ERR_DATA;
        why = html_failure;
    } else {
        rc = html_to_text(st->tmp.data, st->tmp.len, tc_stream_limit(in, TC_LIMIT_DEPTH),
                          &st->p_body, &why);
    }
    if (rc == TC_ERR_DATA) { /* not made text (nested too deep): the HTML as it is */
        tc_stream_warn(in, st->cur.line, 0,
                       "message %u: its HTML cannot be made text (%s); the body is the HTML "
                       "itself", st->cur.index + 1, why ? why : "?");
        rc = set_text(&st->p_body, st->tmp.data, st->tmp.len);
    }
    if (rc == TC_OK && st->p_body.len > st->max)
        return tc_stream_error(in, TC_ERR_DATA, st->cur.line, 0,
                               "message %u: the text made from its HTML is %zu bytes, longer "
                               "than the max-post limit (%zu bytes)",
                               st->cur.index + 1, st->p_body.len, st->max);
    return rc == TC_OK && tc_buf_append(&st->p_body, "", 0) == TC_OK ? TC_OK
           : rc == TC_OK                                          ? TC_ERR_NOMEM
                                                                  : rc;
}

static int list_add(tc_buf *b, size_t index)
{
    return tc_buf_printf(b, "%s%zu", b->len ? " " : "", index);
}

/* mbox.alternative and mbox.related. */
static int lists(mbox_reader *st, size_t source)
{
    const place *b = &st->body_place;
    int rc = TC_OK;
    for (size_t i = 0; i < st->n_atts && rc == TC_OK; i++) {
        const place *a = &st->atts[i].at;
        bool alt = i + 1 == source ||
                   (b->alt && a->alt == b->alt && a->alt_child != b->alt_child && a->alt_first);
        if (alt)
            rc = list_add(&st->x_alt, i + 1);
    }
    for (size_t i = 0; i < st->n_atts && rc == TC_OK; i++) {
        const place *a = &st->atts[i].at;
        if (a->rel == 0 || a->rel_root)
            continue;
        bool rel = a->rel == b->rel && i + 1 != source;
        /* or in a multipart/related whose root is an alternative */
        for (size_t j = 0; j < st->n_atts && !rel; j++) {
            const place *r = &st->atts[j].at;
            rel = r->rel == a->rel && r->rel_root &&
                  (j + 1 == source ||
                   (b->alt && r->alt == b->alt && r->alt_child != b->alt_child && r->alt_first));
        }
        if (rel)
            rc = list_add(&st->x_rel, i + 1);
    }
    return rc;
}

/* The attachments handed out: pointers into att_text and att_data, which
 * no longer move. */
static int hand_out(mbox_reader *st)
{
    st->post.attachments = NULL;
    st->post.n_attachments = 0;
    if (st->n_atts == 0)
        return TC_OK;
    if (st->cap_tatts < st->n_atts) {
        tc_attachment *t = realloc(st->tatts, st->n_atts * sizeof *t);
        if (t == NULL)
            return TC_ERR_NOMEM;
        st->tatts = t;
        st->cap_tatts = st->n_atts;
    }
    static const unsigned char none[1];
    for (size_t i = 0; i < st->n_atts; i++) {
        const mbox_att *a = &st->atts[i];
        tc_attachment *t = &st->tatts[i];
        memset(t, 0, sizeof *t);
        t->name = st->att_text.data + a->name;
        t->media_type = st->att_text.data + a->type;
        t->size = a->data_len;
        t->size_known = true;
        t->data = a->data_len ? (const unsigned char *)st->att_data.data + a->data : none;
        t->content_id = a->has_cid ? st->att_text.data + a->cid : NULL;
        t->disposition = a->disp == D_INLINE ? "inline" : a->disp == D_ATTACHMENT ? "attachment"
                                                                                  : NULL;
    }
    st->post.attachments = st->tatts;
    st->post.n_attachments = st->n_atts;
    return TC_OK;
}

int mbox_mime_body(tc_stream *in, mbox_reader *st, const mbox_loaded *l)
{
    st->have_body = false;
    st->n_frames = 0;
    st->frame_ids = 0;
    st->n_atts = 0;
    st->body_place = (place){0, 0, 0, false, false};
    /* (the x_ fields are read only when not empty) */
    st->att_text.len = st->att_data.len = st->x_alt.len = st->x_rel.len = 0;
    st->x_charset.len = st->x_undec.len = 0;
    tc_buf_reset(&st->p_body);
    if (tc_buf_append(&st->p_body, "", 0) != TC_OK)
        return mbox_nomem(in);
    int rc = walk(in, st, l);
    size_t source = 0;
    if (rc == TC_OK && !st->have_body) {
        source = text_part(st, "text/html");
        if (source == 0)
            source = text_part(st, NULL);
        if (source)
            rc = body_from(in, st, source);
    }
    if (rc == TC_OK)
        rc = lists(st, source);
    if (rc == TC_OK)
        rc = hand_out(st);
    if (rc == TC_ERR_NOMEM)
        return mbox_nomem(in);
    return rc;
}

void mbox_mime_free(mbox_reader *st)
{
    mbox_hdrs_free(&st->part_hs);
    free(st->frames);
    free(st->atts);
    free(st->tatts);
    tc_buf *bufs[] = {&st->att_text, &st->att_data, &st->ename, &st->ecid, &st->x_alt,
                      &st->x_rel, &st->x_charset, &st->x_undec};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tc_buf_free(bufs[i]);
}
