/*
 * build.c - writing mail: RFC 5322 dates, RFC 2047 encoded words, folding,
 * quoted-printable, and the message builder the mbox and maildir writers
 * share.  doc/formats.md ("mbox / maildir") states every rule.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mail.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLD 78 /* longest header line we write, without the newline */

static const char wday_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char mon_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

uint64_t mb_hash(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool mb_ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

bool mb_format_rfc5322(tc_date d, char out[40])
{
    int64_t y;
    int mo, da, h, mi, s;
    tc_date_to_fields(d, &y, &mo, &da, &h, &mi, &s);
    if (y < 1900 || y > 9999)
        return false;
    tc_date_format_rfc5322(d, out); /* TC_RFC5322_DATE_SIZE is 40 */
    return true;
}

void mb_format_asctime(tc_date d, char out[40])
{
    tc_date u = {0, 0, true};
    if (d.present)
        u.utc = d.utc;
    int64_t y;
    int mo, da, h, mi, s;
    tc_date_to_fields(u, &y, &mo, &da, &h, &mi, &s);
    if (y < 1000 || y > 9999) { /* asctime has four digits; keep the shape */
        u.utc = 0;
        tc_date_to_fields(u, &y, &mo, &da, &h, &mi, &s);
    }
    snprintf(out, 40, "%s %s %2d %02d:%02d:%02d %04d", wday_names[tc_weekday(y, mo, da)],
             mon_names[mo - 1], da, h, mi, s, (int)y);
}

/* ------------------------------------------------------------------ */
/* Header values                                                       */
/* ------------------------------------------------------------------ */

/* Raw text is exact when it is printable ASCII words of at most 60 bytes
 * separated by single spaces, with no "=?" that a reader would decode. */
static bool plain_ok(const char *s, size_t n)
{
    size_t word = 0;
    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') {
            if (s[i - 1] == ' ')
                return false;
            word = 0;
            continue;
        }
        if (c < 0x21 || c > 0x7E)
            return false;
        if (c == '=' && i + 1 < n && s[i + 1] == '?')
            return false;
        if (++word > 60)
            return false;
    }
    return true;
}

/* Length of the UTF-8 character starting with byte c (1 for a stray byte). */
static size_t u8len(unsigned char c)
{
    if (c >= 0xF0 && c < 0xF8)
        return 4;
    if (c >= 0xE0)
        return 3;
    if (c >= 0xC0)
        return 2;
    return 1;
}

static bool q_safe(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t q_cost(unsigned char c)
{
    return q_safe(c) || c == ' ' ? 1 : 3;
}

static const char hexd[] = "0123456789ABCDEF";
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_word(tc_buf *out, const char *s, size_t n, bool use_b)
{
    if (tc_buf_append(out, use_b ? "=?utf-8?b?" : "=?utf-8?q?", 10) != TC_OK)
        return TC_ERR_NOMEM;
    if (use_b) {
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned)(unsigned char)s[i] << 16;
            if (i + 1 < n)
                v |= (unsigned)(unsigned char)s[i + 1] << 8;
            if (i + 2 < n)
                v |= (unsigned char)s[i + 2];
            char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                         i + 2 < n ? b64[v & 63] : '='};
            if (tc_buf_append(out, q, 4) != TC_OK)
                return TC_ERR_NOMEM;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            char e[3] = {'=', hexd[c >> 4], hexd[c & 15]};
            int rc = q_safe(c) ? tc_buf_putc(out, (char)c)
                     : c == ' ' ? tc_buf_putc(out, '_')
                                : tc_buf_append(out, e, 3);
            if (rc != TC_OK)
                return TC_ERR_NOMEM;
        }
    }
    return tc_buf_append(out, "?=", 2);
}

/*
 * Append value as encoded words, starting at column col of the current
 * line (after "Name:").  Each word holds whole characters and fits, with
 * the space before it, in FOLD columns and in the 75 a word may have.
 */
static int put_words(tc_buf *out, size_t col, const char *s, size_t n)
{
    size_t special = 0;
    for (size_t i = 0; i < n; i++)
        if (q_cost((unsigned char)s[i]) > 1)
            special++;
    bool use_b = special * 2 > n; /* mostly non-ASCII: B is shorter */
    size_t i = 0;
    do {
        size_t room = col + 1 < FOLD ? FOLD - col - 1 : 0; /* after the space */
        if (room > 75)
            room = 75;
        size_t take = 0, cost = 12;
        while (i + take < n) {
            size_t cl = u8len((unsigned char)s[i + take]);
            if (i + take + cl > n)
                cl = n - i - take;
            size_t c;
            if (use_b)
                c = 12 + (take + cl + 2) / 3 * 4;
            else {
                c = cost;
                for (size_t k = 0; k < cl; k++)
                    c += q_cost((unsigned char)s[i + take + k]);
            }
            if (c > room)
                break;
            cost = c;
            take += cl;
        }
        if (take == 0 && col > 1) { /* nothing fits here: fold first */
            if (tc_buf_append(out, "\n", 1) != TC_OK)
                return TC_ERR_NOMEM;
            col = 0;
            continue;
        }
        if (take == 0) /* cannot happen with FOLD 78; be safe */
            take = u8len((unsigned char)s[i]);
        size_t before = out->len;
        if (tc_buf_putc(out, ' ') != TC_OK || put_word(out, s + i, take, use_b) != TC_OK)
            return TC_ERR_NOMEM;
        col += out->len - before;
        i += take;
    } while (i < n);
    return TC_OK;
}

/* Raw words folded at spaces: each space may become "\n " (exact once
 * unfolded). */
static int put_plain(tc_buf *out, size_t col, const char *s, size_t n)
{
    size_t i = 0;
    bool first = true;
    while (i < n || first) {
        const char *sp = memchr(s + i, ' ', n - i);
        size_t w = sp ? (size_t)(sp - (s + i)) : n - i;
        if (!first && col + 1 + w > FOLD) {
            if (tc_buf_append(out, "\n", 1) != TC_OK)
                return TC_ERR_NOMEM;
            col = 0;
        }
        if (tc_buf_putc(out, ' ') != TC_OK || tc_buf_append(out, s + i, w) != TC_OK)
            return TC_ERR_NOMEM;
        col += 1 + w;
        i += w + (sp ? 1 : 0);
        first = false;
        if (!sp)
            break;
    }
    return TC_OK;
}

int mb_put_unstructured(tc_buf *out, const char *name, const char *value, size_t len)
{
    size_t nl = strlen(name);
    if (tc_buf_append(out, name, nl) != TC_OK || tc_buf_putc(out, ':') != TC_OK)
        return TC_ERR_NOMEM;
    int rc = TC_OK;
    if (len > 0)
        rc = plain_ok(value, len) ? put_plain(out, nl + 1, value, len)
                                  : put_words(out, nl + 1, value, len);
    else
        rc = tc_buf_putc(out, ' ');
    if (rc == TC_OK)
        rc = tc_buf_putc(out, '\n');
    return rc;
}

int mb_encode_key(tc_buf *out, const char *prefix, const char *key)
{
    if (tc_buf_append(out, prefix, strlen(prefix)) != TC_OK)
        return TC_ERR_NOMEM;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        unsigned char c = *p;
        int rc;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')
            rc = tc_buf_putc(out, (char)c);
        else {
            char e[3] = {'_', hexd[c >> 4], hexd[c & 15]};
            rc = tc_buf_append(out, e, 3);
        }
        if (rc != TC_OK)
            return TC_ERR_NOMEM;
    }
    return TC_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool mb_decode_key(tc_buf *out, const char *s, size_t len)
{
    tc_buf_reset(out);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '_') {
            int h1 = i + 2 < len ? hexval(s[i + 1]) : -1, h2 = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0))
                return false;
            c = (char)(h1 * 16 + h2);
            i += 2;
        } else if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a'); /* header names are case-insensitive */
        }
        if (tc_buf_putc(out, c) != TC_OK)
            return false;
    }
    return out->len > 0 && tc_utf8_valid(out->data, out->len, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Quoted-printable                                                    */
/* ------------------------------------------------------------------ */

int mb_qp_encode(tc_buf *out, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t col = 0;
        bool from = end - i >= 5 && memcmp(s + i, "From ", 5) == 0;
        for (size_t k = i; k < end; k++) {
            unsigned char c = (unsigned char)s[k];
            bool last = k + 1 == end;
            bool raw = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
            if (k == i && from) /* "=46rom": no mbox quoting needed */
                raw = false;
            if (k == i && c == '.') /* a lone "." ends SMTP data */
                raw = false;
            size_t w = raw ? 1 : 3;
            /* keep room for the soft break "=" unless this is the line's end */
            if (col + w > (last ? 76 : 75)) {
                if (tc_buf_append(out, "=\n", 2) != TC_OK)
                    return TC_ERR_NOMEM;
                col = 0;
            }
            int rc;
            if (raw)
                rc = tc_buf_putc(out, (char)c);
            else {
                char e[3] = {'=', hexd[c >> 4], hexd[c & 15]};
                rc = tc_buf_append(out, e, 3);
            }
            if (rc != TC_OK)
                return TC_ERR_NOMEM;
            col += w;
        }
        if (nl) {
            if (tc_buf_putc(out, '\n') != TC_OK)
                return TC_ERR_NOMEM;
            i = end + 1;
        } else {
            /* no final newline: a soft break says so */
            if (tc_buf_append(out, "=\n", 2) != TC_OK)
                return TC_ERR_NOMEM;
            i = end;
        }
    }
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* The message builder                                                 */
/* ------------------------------------------------------------------ */

typedef struct mb_pmap {
    char *id;
    char *parent;
} mb_pmap;

void mb_builder_init(mb_builder *b, int variant, bool qp)
{
    memset(b, 0, sizeof *b);
    b->variant = variant;
    b->qp = qp;
}

static void pmap_clear(mb_builder *b)
{
    for (size_t i = 0; i < b->pmap_cap; i++) {
        free(b->pmap[i].id);
        free(b->pmap[i].parent);
    }
    free(b->pmap);
    b->pmap = NULL;
    b->pmap_count = b->pmap_cap = 0;
}

void mb_builder_free(mb_builder *b)
{
    pmap_clear(b);
    tc_buf_free(&b->title);
    tc_buf_free(&b->domain);
    tc_buf_free(&b->thread_hdrs);
    tc_buf_free(&b->first_msgid);
    tc_buf_free(&b->body);
    tc_buf_free(&b->hdr);
    tc_buf_free(&b->tmp);
    tc_buf_free(&b->tmp2);
    tc_buf_free(&b->enc);
    free(b->used);
}

static const char *pmap_get(const mb_builder *b, const char *id)
{
    if (b->pmap_cap == 0)
        return NULL;
    size_t i = mb_hash(MB_HASH_INIT, id, strlen(id)) & (b->pmap_cap - 1);
    while (b->pmap[i].id) {
        if (strcmp(b->pmap[i].id, id) == 0)
            return b->pmap[i].parent;
        i = (i + 1) & (b->pmap_cap - 1);
    }
    return NULL;
}

static int pmap_put(mb_builder *b, const char *id, const char *parent)
{
    if ((b->pmap_count + 1) * 2 > b->pmap_cap) {
        size_t cap = b->pmap_cap ? b->pmap_cap * 2 : 64;
        mb_pmap *m = calloc(cap, sizeof *m);
        if (m == NULL)
            return TC_ERR_NOMEM;
        for (size_t i = 0; i < b->pmap_cap; i++) {
            if (b->pmap[i].id == NULL)
                continue;
            size_t j = mb_hash(MB_HASH_INIT, b->pmap[i].id, strlen(b->pmap[i].id)) & (cap - 1);
            while (m[j].id)
                j = (j + 1) & (cap - 1);
            m[j] = b->pmap[i];
        }
        free(b->pmap);
        b->pmap = m;
        b->pmap_cap = cap;
    }
    size_t i = mb_hash(MB_HASH_INIT, id, strlen(id)) & (b->pmap_cap - 1);
    while (b->pmap[i].id) {
        if (strcmp(b->pmap[i].id, id) == 0)
            return TC_OK; /* the first post with an id wins */
        i = (i + 1) & (b->pmap_cap - 1);
    }
    b->pmap[i].id = strdup(id);
    b->pmap[i].parent = strdup(parent);
    if (b->pmap[i].id == NULL || b->pmap[i].parent == NULL)
        return TC_ERR_NOMEM;
    b->pmap_count++;
    return TC_OK;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (s == NULL)
        return mb_hash(h, "\x01", 1);
    return mb_hash(h, s, strlen(s) + 1);
}

int mb_builder_begin_thread(mb_builder *b, const tc_thread *t)
{
    b->n_threads++;
    b->n_posts = 0;
    pmap_clear(b);
    tc_buf_reset(&b->title);
    tc_buf_reset(&b->domain);
    tc_buf_reset(&b->thread_hdrs);
    tc_buf_reset(&b->first_msgid);
    if (tc_buf_append(&b->title, t->title, strlen(t->title)) != TC_OK)
        return TC_ERR_NOMEM;

    /* the domain: the source as a DNS label under .threadconv.invalid */
    size_t start = b->domain.len;
    for (const char *p = t->source; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = '-';
        if (c == '-' && (b->domain.len == start || b->domain.data[b->domain.len - 1] == '-'))
            continue;
        if (b->domain.len - start >= 40)
            break;
        if (tc_buf_putc(&b->domain, c) != TC_OK)
            return TC_ERR_NOMEM;
    }
    while (b->domain.len > start && b->domain.data[b->domain.len - 1] == '-')
        b->domain.len--;
    if (b->domain.len == start && tc_buf_append(&b->domain, "unknown", 7) != TC_OK)
        return TC_ERR_NOMEM;
    if (tc_buf_append(&b->domain, ".threadconv.invalid", 19) != TC_OK)
        return TC_ERR_NOMEM;

    uint64_t h = MB_HASH_INIT;
    h = hash_str(h, t->source);
    h = hash_str(h, t->id);
    h = hash_str(h, t->url);
    h = hash_str(h, t->title);
    for (size_t i = 0; i < t->extras.count; i++) {
        h = hash_str(h, t->extras.items[i].key);
        h = hash_str(h, t->extras.items[i].value);
    }
    b->base_hash = h;

    tc_buf *o = &b->thread_hdrs;
    int rc = mb_put_unstructured(o, MB_H_SOURCE, t->source, strlen(t->source));
    if (rc == TC_OK && t->id)
        rc = mb_put_unstructured(o, MB_H_THREAD_ID, t->id, strlen(t->id));
    if (rc == TC_OK && t->url)
        rc = mb_put_unstructured(o, MB_H_THREAD_URL, t->url, strlen(t->url));
    for (size_t i = 0; rc == TC_OK && i < t->extras.count; i++) {
        tc_buf_reset(&b->tmp);
        rc = mb_encode_key(&b->tmp, MB_H_THREAD_EXTRA, t->extras.items[i].key);
        if (rc == TC_OK)
            rc = mb_put_unstructured(o, b->tmp.data, t->extras.items[i].value,
                                     strlen(t->extras.items[i].value));
    }
    return rc;
}

/* Fix the thread's hash, unique in this output. */
static int settle_hash(mb_builder *b, uint64_t h)
{
    for (uint64_t salt = 0;; salt++) {
        uint64_t x = salt ? mb_hash(h, &salt, sizeof salt) : h;
        bool seen = false;
        for (size_t i = 0; i < b->n_used && !seen; i++)
            seen = b->used[i] == x;
        if (seen)
            continue;
        if (b->n_used == b->cap_used) {
            size_t cap = b->cap_used ? b->cap_used * 2 : 16;
            uint64_t *u = realloc(b->used, cap * sizeof *u);
            if (u == NULL)
                return TC_ERR_NOMEM;
            b->used = u;
            b->cap_used = cap;
        }
        b->used[b->n_used++] = x;
        b->thread_hash = x;
        return TC_OK;
    }
}

/* "<ID.HASH@DOMAIN>": ID is the post id when it is [A-Za-z0-9_-]{1,64},
 * else "x" and a hash of it. */
static int put_msgid(tc_buf *out, const mb_builder *b, const char *id)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        char c = id[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    }
    int rc = ok ? tc_buf_printf(out, "<%s", id)
                : tc_buf_printf(out, "<x%016" PRIx64, mb_hash(MB_HASH_INIT, id, n));
    if (rc == TC_OK)
        rc = tc_buf_printf(out, ".%016" PRIx64 "@%s>", b->thread_hash, b->domain.data);
    return rc;
}

/* The local part of the From: address: the author's ASCII letters and
 * digits (lower case), '-' and '_', other runs as one '.'; a hash is added
 * when that lost anything, so different names get different addresses. */
static int put_address(tc_buf *out, const mb_builder *b, const char *author)
{
    size_t start = out->len;
    bool lossy = false;
    for (const char *p = author; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a'); /* names differing in case share an address */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            lossy = true;
            if (out->len == start || out->data[out->len - 1] == '.')
                continue;
            c = '.';
        }
        if (out->len - start >= 40) {
            lossy = true;
            break;
        }
        if (tc_buf_putc(out, c) != TC_OK)
            return TC_ERR_NOMEM;
    }
    while (out->len > start && out->data[out->len - 1] == '.')
        out->len--;
    int rc = TC_OK;
    if (out->len == start)
        rc = tc_buf_append(out, "author", 6);
    if (rc == TC_OK && lossy)
        rc = tc_buf_printf(out, ".%08" PRIx64,
                           mb_hash(MB_HASH_INIT, author, strlen(author)) & 0xffffffffu);
    if (rc == TC_OK)
        rc = tc_buf_printf(out, "@%s", b->domain.data);
    return rc;
}

static bool atext(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* From: NAME <ADDR>, NAME as atoms, a quoted string or encoded words. */
static int put_from(mb_builder *b, tc_buf *out, const char *author, const char *addr)
{
    size_t n = strlen(author);
    if (n == 0)
        return tc_buf_printf(out, "From: <%s>\n", addr);
    bool plain = plain_ok(author, n) && n <= 60;
    bool atoms = plain;
    for (size_t i = 0; atoms && i < n; i++)
        atoms = author[i] == ' ' || atext(author[i]);
    if (atoms && !(n >= 2 && author[0] == '=' && author[1] == '?'))
        return tc_buf_printf(out, "From: %s%s<%s>\n", author,
                             7 + n + strlen(addr) > FOLD ? "\n " : " ", addr);
    if (plain) {
        if (tc_buf_append(out, "From: \"", 7) != TC_OK)
            return TC_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            if ((author[i] == '"' || author[i] == '\\') && tc_buf_putc(out, '\\') != TC_OK)
                return TC_ERR_NOMEM;
            else if (tc_buf_putc(out, author[i]) != TC_OK)
                return TC_ERR_NOMEM;
        return tc_buf_printf(out, "\"%s<%s>\n", 9 + n + strlen(addr) > FOLD ? "\n " : " ",
                             addr);
    }
    size_t line_start = out->len;
    if (tc_buf_append(out, "From:", 5) != TC_OK || put_words(out, 5, author, n) != TC_OK)
        return TC_ERR_NOMEM;
    const char *last_nl = NULL;
    for (size_t i = out->len; i > line_start; i--)
        if (out->data[i - 1] == '\n') {
            last_nl = out->data + i - 1;
            break;
        }
    size_t col = out->len - (last_nl ? (size_t)(last_nl + 1 - out->data) : line_start);
    (void)b;
    if (col + 3 + strlen(addr) > FOLD && tc_buf_putc(out, '\n') != TC_OK)
        return TC_ERR_NOMEM;
    return tc_buf_printf(out, " <%s>\n", addr);
}

/* Body lines as the variant wants them, and a final newline always added
 * (the reader of our messages removes exactly one). */
static int put_body(mb_builder *b, const char *text, size_t text_len)
{
    tc_buf *o = &b->body;
    tc_buf_reset(o);
    tc_buf_reset(&b->tmp);
    if (tc_buf_append(&b->tmp, text, text_len) != TC_OK || tc_buf_putc(&b->tmp, '\n') != TC_OK)
        return TC_ERR_NOMEM;
    const char *s = b->tmp.data;
    size_t n = b->tmp.len;
    if (b->qp) {
        tc_buf_reset(&b->enc);
        if (mb_qp_encode(&b->enc, s, n) != TC_OK)
            return TC_ERR_NOMEM;
        s = b->enc.data;
        n = b->enc.len;
    }
    /* quote the lines as the variant wants; s ends with "\n" */
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        const char *line = s + i;
        size_t len = end - i;
        bool quote = false;
        if (b->variant == MB_MBOXRD) {
            size_t k = 0;
            while (k < len && line[k] == '>')
                k++;
            quote = len - k >= 5 && memcmp(line + k, "From ", 5) == 0;
        } else if (b->variant == MB_MBOXO) {
            quote = len >= 5 && memcmp(line, "From ", 5) == 0;
        }
        if ((quote && tc_buf_putc(o, '>') != TC_OK) || tc_buf_append(o, line, len) != TC_OK ||
            (nl && tc_buf_putc(o, '\n') != TC_OK))
            return TC_ERR_NOMEM;
        i = end + 1;
    }
    return tc_buf_append(o, "", 0);
}

/* Append the message in b->hdr and b->body to out with the From_ line. */
static int assemble(mb_builder *b, tc_buf *out, const char *addr, tc_date date)
{
    if (b->variant != MB_MAILDIR) {
        char when[40];
        mb_format_asctime(date, when);
        if (tc_buf_printf(out, "From %s %s\n", addr, when) != TC_OK)
            return TC_ERR_NOMEM;
    }
    if (tc_buf_append(out, b->hdr.data, b->hdr.len) != TC_OK || tc_buf_putc(out, '\n') != TC_OK ||
        tc_buf_append(out, b->body.data ? b->body.data : "", b->body.len) != TC_OK)
        return TC_ERR_NOMEM;
    if (b->variant != MB_MAILDIR && tc_buf_putc(out, '\n') != TC_OK)
        return TC_ERR_NOMEM;
    return TC_OK;
}

static int put_mime(mb_builder *b)
{
    tc_buf *h = &b->hdr;
    int rc = tc_buf_printf(h, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                              "Content-Transfer-Encoding: %s\n",
                           b->qp ? "quoted-printable" : "8bit");
    if (rc == TC_OK && b->variant == MB_MBOXCL2)
        rc = tc_buf_printf(h, "Content-Length: %zu\n", b->body.len);
    return rc;
}

#define TRY(x)                                                                            \
    do {                                                                                  \
        if ((x) != TC_OK)                                                                 \
            return TC_ERR_NOMEM;                                                          \
    } while (0)

int mb_builder_post(mb_builder *b, const tc_post *p, tc_buf *out)
{
    bool first = b->n_posts == 0;
    b->n_posts++;
    if (first) {
        uint64_t h = b->base_hash;
        h = hash_str(h, p->id);
        h = hash_str(h, p->author);
        h = mb_hash(h, &p->date, sizeof p->date.utc);
        h = mb_hash(h, p->body, p->body_len);
        TRY(settle_hash(b, h));
        TRY(put_msgid(&b->first_msgid, b, p->id));
    }
    if (p->parent_id)
        TRY(pmap_put(b, p->id, p->parent_id));

    tc_buf *h = &b->hdr;
    tc_buf_reset(h);
    tc_buf_reset(&b->tmp2);
    TRY(put_address(&b->tmp2, b, p->author));
    TRY(put_from(b, h, p->author, b->tmp2.data));

    char date[40];
    bool have_date = p->date.present && mb_format_rfc5322(p->date, date);
    if (have_date)
        TRY(tc_buf_printf(h, "Date: %s\n", date));

    if (first)
        TRY(mb_put_unstructured(h, "Subject", b->title.data, b->title.len));
    else {
        tc_buf_reset(&b->tmp);
        TRY(tc_buf_append(&b->tmp, "Re: ", 4));
        TRY(tc_buf_append(&b->tmp, b->title.data, b->title.len));
        TRY(mb_put_unstructured(h, "Subject", b->tmp.data, b->tmp.len));
    }

    TRY(tc_buf_append(h, "Message-ID: ", 12));
    TRY(put_msgid(h, b, p->id));
    TRY(tc_buf_putc(h, '\n'));

    if (!first) {
        /* In-Reply-To: the parent, or the thread's first post when the
         * model has none (flat forums).  References: the ancestors, oldest
         * first, always starting at the thread's first post. */
        tc_buf_reset(&b->tmp);
        if (p->parent_id)
            TRY(put_msgid(&b->tmp, b, p->parent_id));
        else
            TRY(tc_buf_append(&b->tmp, b->first_msgid.data, b->first_msgid.len));
        TRY(tc_buf_printf(h, "In-Reply-To: %s\n", b->tmp.data));

        /* the chain, newest first, bounded against loops */
        const char *chain[32];
        size_t n = 0;
        for (const char *a = p->parent_id; a && n < 32; a = pmap_get(b, a)) {
            bool again = strcmp(a, p->id) == 0;
            for (size_t k = 0; k < n && !again; k++)
                again = strcmp(chain[k], a) == 0;
            if (again)
                break;
            chain[n++] = a;
        }
        TRY(tc_buf_append(h, "References:", 11));
        size_t col = 11;
        tc_buf_reset(&b->tmp);
        TRY(tc_buf_append(&b->tmp, b->first_msgid.data, b->first_msgid.len));
        for (size_t k = n + 1; k-- > 0;) {
            if (k < n) {
                tc_buf_reset(&b->tmp);
                TRY(put_msgid(&b->tmp, b, chain[k]));
                if (strcmp(b->tmp.data, b->first_msgid.data) == 0)
                    continue;
            }
            if (col + 1 + b->tmp.len > FOLD && col > 11) {
                TRY(tc_buf_putc(h, '\n'));
                col = 0;
            }
            TRY(tc_buf_putc(h, ' '));
            TRY(tc_buf_append(h, b->tmp.data, b->tmp.len));
            col += 1 + b->tmp.len;
        }
        TRY(tc_buf_putc(h, '\n'));
    }

    TRY(put_body(b, p->body, p->body_len));
    TRY(put_mime(b));

    TRY(mb_put_unstructured(h, MB_H_ID, p->id, strlen(p->id)));
    if (p->parent_id)
        TRY(mb_put_unstructured(h, MB_H_PARENT, p->parent_id, strlen(p->parent_id)));
    if (p->date.present && !have_date) {
        char iso[TC_ISO_DATE_SIZE];
        size_t n = tc_date_format_iso(p->date, iso);
        TRY(mb_put_unstructured(h, MB_H_DATE, iso, n));
    }
    for (size_t i = 0; i < p->extras.count; i++) {
        tc_buf_reset(&b->tmp);
        TRY(mb_encode_key(&b->tmp, MB_H_EXTRA, p->extras.items[i].key));
        TRY(mb_put_unstructured(h, b->tmp.data, p->extras.items[i].value,
                                strlen(p->extras.items[i].value)));
    }
    if (first)
        TRY(tc_buf_append(h, b->thread_hdrs.data, b->thread_hdrs.len));
    return assemble(b, out, b->tmp2.data, p->date);
}

int mb_builder_end_thread(mb_builder *b, tc_buf *out)
{
    if (b->n_posts > 0)
        return TC_OK;
    /* A thread without posts: a message holding only the thread, so the
     * thread is not lost.  Readers of ours give it back with no posts. */
    TRY(settle_hash(b, b->base_hash));
    tc_buf *h = &b->hdr;
    tc_buf_reset(h);
    tc_buf_reset(&b->tmp2);
    TRY(tc_buf_printf(&b->tmp2, "thread@%s", b->domain.data));
    TRY(tc_buf_printf(h, "From: <%s>\n", b->tmp2.data));
    TRY(mb_put_unstructured(h, "Subject", b->title.data, b->title.len));
    TRY(tc_buf_append(h, "Message-ID: ", 12));
    TRY(put_msgid(h, b, "thread"));
    TRY(tc_buf_putc(h, '\n'));
    TRY(put_body(b, "", 0));
    TRY(put_mime(b));
    TRY(tc_buf_printf(h, "%s: yes\n", MB_H_EMPTY));
    TRY(tc_buf_append(h, b->thread_hdrs.data, b->thread_hdrs.len));
    tc_date none = {0, 0, false};
    return assemble(b, out, b->tmp2.data, none);
}
