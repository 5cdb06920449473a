/*
 * header.c - header fields for the mbox reader: the length of a field's
 * name, the kinds of field the reader looks at, message ids, and a
 * header block parsed (names in place, folded values unfolded).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <stdlib.h>
#include <string.h>

void mbox_trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                      (*s)[*n - 1] == '\n'))
        (*n)--;
}

/* The length of a header name at s ("Name:"), 0 when the line is not a
 * header field.  Eight bytes at a time while none of them is a ':' or a
 * byte no name holds (below 33 or above 126); the bit tricks are exact
 * tests for "some byte of x is below n" and "above n". */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define HAS_BELOW(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_ABOVE(x, n) ((((x) + ONES * (127 - (n))) | (x)) & HIGHS)
size_t mbox_header_name(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t colon = x ^ (ONES * ':');
        uint64_t hit = HAS_BELOW(x, 33) | HAS_ABOVE(x, 126) | HAS_BELOW(colon, 1);
        if (hit == 0)
            continue;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* the lowest flagged byte is the first special one (the tricks
         * can only flag bytes above a special byte wrongly) */
        i += (size_t)__builtin_ctzll(hit) / 8;
        return s[i] == ':' && i > 0 ? i : 0;
#else
        break;
#endif
    }
    for (; i < n && s[i] != ':'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c >= 127)
            return 0;
    }
    return i < n && i > 0 ? i : 0;
}

/* Whether the header name s[0..n) is lower (lower case), ignoring case.
 * Header names hold only bytes 33..126 other than ':', and for those
 * c | 0x20 equals a lower-case letter, digit, '-' or '.' only when c is
 * that character or its upper-case letter; eight bytes are compared at a
 * time. */
static bool name_is(const char *s, size_t n, const char *lower, size_t ln)
{
    if (n != ln)
        return false;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, s + i, 8);
        memcpy(&b, lower + i, 8);
        if ((a | 0x2020202020202020ull) != b)
            return false;
    }
    for (; i < n; i++)
        if ((s[i] | 0x20) != lower[i])
            return false;
    return true;
}

#define NAME_IS(s, n, lit) name_is(s, n, lit, sizeof lit - 1)

/* The kind of header name s[0..n) (the headers the reader looks at). */
int mbox_header_kind(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return NAME_IS(s, n, "to") ? MBOX_K_TO : NAME_IS(s, n, "cc") ? MBOX_K_CC : MBOX_K_OTHER;
    case 4:
        return NAME_IS(s, n, "from")   ? MBOX_K_FROM
               : NAME_IS(s, n, "date") ? MBOX_K_DATE
                                       : MBOX_K_OTHER;
    case 7:
        return NAME_IS(s, n, "subject") ? MBOX_K_SUBJECT : MBOX_K_OTHER;
    case 10:
        return NAME_IS(s, n, "message-id")   ? MBOX_K_MSGID
               : NAME_IS(s, n, "references") ? MBOX_K_REFS
               : NAME_IS(s, n, "content-id") ? MBOX_K_CID
                                              : MBOX_K_OTHER;
    case 11:
        return NAME_IS(s, n, "in-reply-to") ? MBOX_K_IRT : MBOX_K_OTHER;
    case 12:
        return NAME_IS(s, n, "content-type") ? MBOX_K_CTYPE : MBOX_K_OTHER;
    case 14:
        return NAME_IS(s, n, "content-length") ? MBOX_K_CLEN : MBOX_K_OTHER;
    case 19:
        if (NAME_IS(s, n, "content-disposition"))
            return MBOX_K_CDISP;
        break;
    case 25:
        if (NAME_IS(s, n, "content-transfer-encoding"))
            return MBOX_K_CTE;
        break;
    }
    /* ours: X-Threadconv-... (mail.h) */
    if (n < 15 || !name_is(s, 13, "x-threadconv-", 13))
        return MBOX_K_OTHER;
    const char *t = s + 13;
    size_t tn = n - 13;
    switch (tn) {
    case 2:
        if (NAME_IS(t, tn, "id"))
            return MBOX_K_XID;
        break;
    case 4:
        if (NAME_IS(t, tn, "date"))
            return MBOX_K_XDATE;
        break;
    case 6:
        if (NAME_IS(t, tn, "parent"))
            return MBOX_K_XPARENT;
        if (NAME_IS(t, tn, "source"))
            return MBOX_K_XSOURCE;
        break;
    case 9:
        if (NAME_IS(t, tn, "thread-id"))
            return MBOX_K_XTHREAD_ID;
        break;
    case 10:
        if (NAME_IS(t, tn, "thread-url"))
            return MBOX_K_XTHREAD_URL;
        break;
    case 12:
        if (NAME_IS(t, tn, "empty-thread"))
            return MBOX_K_XEMPTY;
        break;
    }
    if (tn > 6 && name_is(t, 6, "extra-", 6))
        return MBOX_K_XEXTRA;
    if (tn > 13 && name_is(t, 13, "thread-extra-", 13))
        return MBOX_K_XTHREAD_EXTRA;
    return MBOX_K_OTHER;
}

/* The next "<...>" token from i: *id NULL when there is none.  Returns the
 * position after it. */
size_t mbox_next_id(const char *s, size_t n, size_t i, const char **id, size_t *idn)
{
    *id = NULL;
    *idn = 0;
    const char *lt = i < n ? memchr(s + i, '<', n - i) : NULL;
    if (lt == NULL)
        return n;
    i = (size_t)(lt - s);
    const char *gt = memchr(s + i + 1, '>', n - i - 1);
    if (gt == NULL)
        return n;
    size_t k = (size_t)(gt - s);
    *id = s + i + 1;
    *idn = k - i - 1;
    return k + 1;
}

void mbox_hdrs_free(mbox_hdrs *h)
{
    free(h->h);
    tc_buf_free(&h->vals);
}

/* Parse the header block at the start of s[0..n). */
int mbox_parse_headers(const char *s, size_t n, mbox_hdrs *out)
{
    out->n = 0;
    for (int k = 0; k < MBOX_K_COUNT; k++)
        out->first[k] = -1;
    tc_buf_reset(&out->vals);
    /* room grows with the values (a part of a large message is parsed
     * from its start to the message's end: n is no bound worth reserving) */
    if (tc_buf_reserve(&out->vals, n < 65536 ? n + 1 : 4096) != TC_OK)
        return TC_ERR_NOMEM;
    size_t i = 0;
    uint64_t line = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        size_t len = end - i;
        size_t next = nl ? end + 1 : n;
        if (len == 0) {
            i = next;
            break;
        }
        if (out->vals.len + len + 1 >= out->vals.cap &&
            tc_buf_reserve(&out->vals, len + 1) != TC_OK)
            return TC_ERR_NOMEM;
        if ((s[i] == ' ' || s[i] == '\t') && out->n > 0) {
            memcpy(out->vals.data + out->vals.len, s + i, len);
            out->vals.len += len;
            out->h[out->n - 1].val_len += len;
        } else {
            size_t nlen = mbox_header_name(s + i, len);
            if (nlen == 0)
                break; /* the body starts without a blank line */
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 32;
                mbox_hdr *h = realloc(out->h, cap * sizeof *h);
                if (h == NULL)
                    return TC_ERR_NOMEM;
                out->h = h;
                out->cap = cap;
            }
            mbox_hdr *h = &out->h[out->n];
            h->name = i;
            h->name_len = nlen;
            h->val = out->vals.len;
            h->val_len = len - nlen - 1;
            h->line = line;
            h->kind = mbox_header_kind(s + i, nlen);
            if (out->first[h->kind] < 0)
                out->first[h->kind] = (int)out->n;
            out->n++;
            memcpy(out->vals.data + out->vals.len, s + i + nlen + 1, len - nlen - 1);
            out->vals.len += len - nlen - 1;
        }
        line++;
        i = next;
    }
    out->body = i;
    out->vals.data[out->vals.len] = '\0';
    return TC_OK;
}
