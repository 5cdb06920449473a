/*
 * build.c - writing mail: RFC 5322 dates, RFC 2047 encoded words, folding,
 * quoted-printable, and the message builder the mbox and maildir writers
 * share (writer.h).  doc/formats.md ("mbox / maildir") states every rule.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "writer.h"
#include "store.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLD 78 /* longest header line we write, without the newline */

static const char wday_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char mon_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ------------------------------------------------------------------ */
/* Appending                                                           */
/* ------------------------------------------------------------------ */

/* A message is many small pieces.  Checking the room here, and calling the
 * library only to grow, keeps each piece a memcpy: the tc_buf functions
 * are calls across the shared library, and tc_buf_printf parses its
 * format and measures its output on every call.  Like tc_buf_append,
 * these keep a NUL after the data. */
static inline int app(tc_buf *o, const void *s, size_t n)
{
    if (o->cap - o->len <= n && tc_buf_reserve(o, n) != TC_OK)
        return TC_ERR_NOMEM;
    if (n)
        memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
    return TC_OK;
}

static inline int app_c(tc_buf *o, char c)
{
    return app(o, &c, 1);
}

static inline int app_s(tc_buf *o, const char *s)
{
    return app(o, s, strlen(s));
}

#define APP_LIT(o, lit) app((o), lit, sizeof lit - 1)

#define TRY(x)                                                                            \
    do {                                                                                  \
        if ((x) != TC_OK)                                                                 \
            return TC_ERR_NOMEM;                                                          \
    } while (0)

/* v as digits lower-case hex digits at p; returns the end. */
static char *put_hex(char *p, uint64_t v, int digits)
{
    for (int i = digits; i-- > 0; v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
    return p + digits;
}

static void put2d(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

uint64_t mbox_hash(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

/* Instants where years start, to check a year's range without working out
 * the date's fields (the formatting does that; both run once a message). */
#define Y1000 INT64_C(-30610224000) /* 1000-01-01T00:00:00Z */
#define Y1900 INT64_C(-2208988800)
#define Y10000 INT64_C(253402300800)
#define DAY 86400

bool mbox_format_rfc5322(tc_date d, char out[40])
{
    /* the year where the date's offset puts it (|offset| < one day) */
    if (d.utc < Y1900 - DAY || d.utc > Y10000 + DAY)
        return false;
    int64_t local = d.utc + (int64_t)d.offset_min * 60;
    if (local < Y1900 || local >= Y10000)
        return false;
    tc_date_format_rfc5322(d, out); /* TC_RFC5322_DATE_SIZE is 40 */
    return true;
}

void mbox_format_asctime(tc_date d, char out[40])
{
    tc_date u = {0, 0, true};
    if (d.present && d.utc >= Y1000 && d.utc < Y10000)
        u.utc = d.utc; /* else the epoch: asctime has four-digit years */
    int64_t y;
    int mo, da, h, mi, s;
    tc_date_to_fields(u, &y, &mo, &da, &h, &mi, &s);
    int64_t days = u.utc / DAY - (u.utc % DAY < 0); /* rounded down */
    int wday = (int)((days % 7 + 11) % 7);          /* 1970-01-01 was a Thursday */
    /* "%s %s %2d %02d:%02d:%02d %04d" by hand: one per message */
    memcpy(out, wday_names[wday], 3);
    out[3] = ' ';
    memcpy(out + 4, mon_names[mo - 1], 3);
    out[7] = ' ';
    out[8] = da < 10 ? ' ' : (char)('0' + da / 10);
    out[9] = (char)('0' + da % 10);
    out[10] = ' ';
    put2d(out + 11, h);
    out[13] = ':';
    put2d(out + 14, mi);
    out[16] = ':';
    put2d(out + 17, s);
    out[19] = ' ';
    put2d(out + 20, (int)(y / 100));
    put2d(out + 22, (int)(y % 100));
    out[24] = '\0';
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

static int put_word(tc_buf *out, const char *s, size_t n, bool use_b)
{
    /* room for "=?utf-8?X?" "?=" and the longest text: 3 bytes a byte (Q),
     * 4 per 3 rounded up (B) */
    if (tc_buf_reserve(out, 16 + 3 * n) != TC_OK)
        return TC_ERR_NOMEM;
    char *p = out->data + out->len;
    memcpy(p, use_b ? "=?utf-8?b?" : "=?utf-8?q?", 10);
    p += 10;
    if (use_b) {
        p += tc_base64_encode(s, n, p);
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (q_safe(c))
                *p++ = (char)c;
            else if (c == ' ')
                *p++ = '_';
            else {
                p[0] = '=';
                p[1] = hexd[c >> 4];
                p[2] = hexd[c & 15];
                p += 3;
            }
        }
    }
    p[0] = '?';
    p[1] = '=';
    p[2] = '\0';
    out->len = (size_t)(p + 2 - out->data);
    return TC_OK;
}

/*
 * Append value as encoded words, starting at column col of the current
 * line (after "Name:").  Each word holds whole characters and fits, with
 * the space before it, in FOLD columns and in the 75 a word may have.
 * *col_out (when not NULL): the column where the last line ends.
 */
static int put_words(tc_buf *out, size_t col, const char *s, size_t n, size_t *col_out)
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
            if (app_c(out, '\n') != TC_OK)
                return TC_ERR_NOMEM;
            col = 0;
            continue;
        }
        if (take == 0) /* cannot happen with FOLD 78; be safe */
            take = u8len((unsigned char)s[i]);
        size_t before = out->len;
        if (app_c(out, ' ') != TC_OK || put_word(out, s + i, take, use_b) != TC_OK)
            return TC_ERR_NOMEM;
        col += out->len - before;
        i += take;
    } while (i < n);
    if (col_out)
        *col_out = col;
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
            if (app_c(out, '\n') != TC_OK)
                return TC_ERR_NOMEM;
            col = 0;
        }
        if (app_c(out, ' ') != TC_OK || app(out, s + i, w) != TC_OK)
            return TC_ERR_NOMEM;
        col += 1 + w;
        i += w + (sp ? 1 : 0);
        first = false;
        if (!sp)
            break;
    }
    return TC_OK;
}

int mbox_put_unstructured(tc_buf *out, const char *name, const char *value, size_t len)
{
    size_t nl = strlen(name);
    if (app(out, name, nl) != TC_OK || app_c(out, ':') != TC_OK)
        return TC_ERR_NOMEM;
    int rc = TC_OK;
    if (len > 0)
        rc = plain_ok(value, len) ? put_plain(out, nl + 1, value, len)
                                  : put_words(out, nl + 1, value, len, NULL);
    else
        rc = app_c(out, ' ');
    if (rc == TC_OK)
        rc = app_c(out, '\n');
    return rc;
}

/* ------------------------------------------------------------------ */
/* Quoted-printable                                                    */
/* ------------------------------------------------------------------ */

/* Lines of s, each ending "\n"; a last line without one ends with the soft
 * break "=\n", or, when final_nl, as if s ended with "\n" (the builder's
 * bodies: the text and the newline always added, without copying the text
 * to add it). */
static int qp_encode(tc_buf *out, const char *s, size_t len, bool final_nl)
{
    size_t i = 0;
    while (i < len || (final_nl && i == len)) {
        const char *nl = i < len ? memchr(s + i, '\n', len - i) : NULL;
        size_t end = nl ? (size_t)(nl - s) : len;
        /* room for the worst case: every byte "=XX", so a soft break at
         * least every 25 bytes, and the line's end */
        if (tc_buf_reserve(out, 3 * (end - i) + 2 * ((end - i) / 24 + 2)) != TC_OK)
            return TC_ERR_NOMEM;
        char *o = out->data + out->len;
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
                o[0] = '=';
                o[1] = '\n';
                o += 2;
                col = 0;
            }
            if (raw)
                *o++ = (char)c;
            else {
                o[0] = '=';
                o[1] = hexd[c >> 4];
                o[2] = hexd[c & 15];
                o += 3;
            }
            col += w;
        }
        if (!nl && !final_nl)
            *o++ = '='; /* no final newline: a soft break says so */
        *o++ = '\n';
        *o = '\0';
        out->len = (size_t)(o - out->data);
        if (!nl)
            break;
        i = end + 1;
    }
    return TC_OK;
}

int mbox_qp_encode(tc_buf *out, const char *s, size_t len)
{
    return qp_encode(out, s, len, false);
}

/* ------------------------------------------------------------------ */
/* The message builder                                                 */
/* ------------------------------------------------------------------ */

/*
 * The parent map: post id -> parent id of the current thread's posts that
 * have a parent, for the References chains.  It grows with the thread, so
 * it is kept in a store (store.h) of PMAP_BUDGET bytes of memory, beyond
 * which it spills to an unlinked temporary file: a thread of a million
 * posts takes no more memory than one of ten.  The store is made at the
 * first post with a parent.
 *
 * PM_TAB holds the table (open addressing on the id's hash, linear
 * probing; grown to twice its size in fresh space after the old), PM_ENT
 * the entries, each {uint64 id length, uint64 parent length, id, parent}.
 * A thread's table and entries start on fresh pages after the previous
 * thread's, which are dropped whole: nothing of theirs is written out or
 * read again.
 */
#define PMAP_BUDGET ((size_t)4 << 20)
enum { PM_TAB, PM_ENT };

typedef struct pm_slot {
    uint64_t ent;  /* PM_ENT offset + 1 of the entry, 0: empty */
    uint64_t hash;
} pm_slot;

static uint64_t page_up(uint64_t x)
{
    return (x + MBOX_PAGE - 1) & ~(uint64_t)(MBOX_PAGE - 1);
}

void mbox_builder_init(mbox_builder *b, int variant, bool qp)
{
    memset(b, 0, sizeof *b);
    b->variant = variant;
    b->qp = qp;
}

/* The thread is over: its map is dropped, the next one starts afresh. */
static void pmap_clear(mbox_builder *b)
{
    if (b->pm == NULL)
        return;
    uint64_t tab_end = page_up(b->pm_tab + (uint64_t)b->pm_cap * sizeof(pm_slot));
    uint64_t ent_end = page_up(b->pm_end);
    mbox_store_drop(b->pm, PM_TAB, b->pm_tab0, tab_end - b->pm_tab0);
    mbox_store_drop(b->pm, PM_ENT, b->pm_ent0, ent_end - b->pm_ent0);
    b->pm_tab = b->pm_tab0 = tab_end;
    b->pm_end = b->pm_ent0 = ent_end;
    b->pm_count = b->pm_cap = 0;
}

void mbox_builder_free(mbox_builder *b)
{
    mbox_store_free(b->pm);
    tc_buf_free(&b->title);
    tc_buf_free(&b->domain);
    tc_buf_free(&b->thread_hdrs);
    tc_buf_free(&b->first_msgid);
    tc_buf_free(&b->subject_first);
    tc_buf_free(&b->subject_re);
    tc_buf_free(&b->msgid_tail);
    tc_buf_free(&b->reply_first);
    tc_buf_free(&b->tmp);
    tc_buf_free(&b->tmp2);
    tc_buf_free(&b->enc);
    tc_buf_free(&b->chain);
    tc_buf_free(&b->anc);
    free(b->used);
}

/* The store's error, if it had one: said in b->why, as a result code. */
static int pmap_check(mbox_builder *b)
{
    const char *why = mbox_store_error(b->pm);
    if (why == NULL)
        return TC_OK;
    snprintf(b->why, sizeof b->why, "the mbox writer's map of parent posts: %s", why);
    return b->pm->code == TC_ERR_NOMEM ? TC_ERR_NOMEM : TC_ERR_OUTPUT;
}

/* Whether the entry at PM_ENT offset ent is for id[0..n); *plen: its parent's length. */
static bool pm_is(mbox_builder *b, uint64_t ent, const char *id, size_t n, uint64_t *plen)
{
    uint64_t len[2];
    mbox_store_read(b->pm, PM_ENT, ent, len, sizeof len);
    *plen = len[1];
    return len[0] == n && mbox_store_equal(b->pm, PM_ENT, ent + sizeof len, id, n);
}

/* The slot for id[0..n) of hash h: its entry or the empty slot where it goes. */
static uint64_t pm_find(mbox_builder *b, const char *id, size_t n, uint64_t h, pm_slot *out,
                        uint64_t *plen)
{
    size_t mask = b->pm_cap - 1;
    for (size_t k = h & mask;; k = (k + 1) & mask) {
        uint64_t at = b->pm_tab + (uint64_t)k * sizeof *out;
        mbox_store_read(b->pm, PM_TAB, at, out, sizeof *out);
        if (out->ent == 0 || (out->hash == h && pm_is(b, out->ent - 1, id, n, plen)))
            return at;
    }
}

/* The parent of id in the map into *parent (reset first); *found false when it has none. */
static int pmap_get(mbox_builder *b, const char *id, size_t n, tc_buf *parent, bool *found)
{
    *found = false;
    tc_buf_reset(parent);
    if (b->pm_cap == 0)
        return TC_OK;
    pm_slot e;
    uint64_t plen = 0;
    pm_find(b, id, n, mbox_hash(MBOX_HASH_INIT, id, n), &e, &plen);
    if (e.ent == 0)
        return TC_OK;
    if (plen >= SIZE_MAX / 2 || tc_buf_reserve(parent, (size_t)plen) != TC_OK)
        return TC_ERR_NOMEM;
    mbox_store_read_any(b->pm, PM_ENT, e.ent - 1 + 16 + n, parent->data, (size_t)plen);
    parent->len = (size_t)plen;
    parent->data[plen] = '\0';
    *found = true;
    return pmap_check(b);
}

static void pm_grow(mbox_builder *b)
{
    size_t cap = b->pm_cap ? b->pm_cap * 2 : 256;
    uint64_t base = b->pm_tab + (uint64_t)b->pm_cap * sizeof(pm_slot);
    for (size_t i = 0; i < b->pm_cap; i++) {
        pm_slot e, f;
        mbox_store_read(b->pm, PM_TAB, b->pm_tab + (uint64_t)i * sizeof e, &e, sizeof e);
        if (e.ent == 0)
            continue;
        size_t k = e.hash & (cap - 1);
        for (;; k = (k + 1) & (cap - 1)) {
            mbox_store_read(b->pm, PM_TAB, base + (uint64_t)k * sizeof f, &f, sizeof f);
            if (f.ent == 0)
                break;
        }
        mbox_store_write(b->pm, PM_TAB, base + (uint64_t)k * sizeof e, &e, sizeof e);
    }
    mbox_store_drop(b->pm, PM_TAB, b->pm_tab, (uint64_t)b->pm_cap * sizeof(pm_slot));
    b->pm_tab = base;
    b->pm_cap = cap;
}

static int pmap_put(mbox_builder *b, const char *id, const char *parent)
{
    if (b->pm == NULL && (b->pm = mbox_store_new(PMAP_BUDGET)) == NULL)
        return TC_ERR_NOMEM;
    if ((b->pm_count + 1) * 2 > b->pm_cap)
        pm_grow(b);
    size_t n = strlen(id);
    uint64_t h = mbox_hash(MBOX_HASH_INIT, id, n), plen;
    pm_slot e;
    uint64_t at = pm_find(b, id, n, h, &e, &plen);
    if (e.ent != 0)
        return pmap_check(b); /* the first post with an id wins */
    uint64_t len[2] = {n, strlen(parent)};
    e.ent = b->pm_end + 1;
    e.hash = h;
    mbox_store_write_any(b->pm, PM_ENT, b->pm_end, len, sizeof len);
    mbox_store_write_any(b->pm, PM_ENT, b->pm_end + sizeof len, id, n);
    mbox_store_write_any(b->pm, PM_ENT, b->pm_end + sizeof len + n, parent, (size_t)len[1]);
    b->pm_end += sizeof len + n + len[1];
    mbox_store_write(b->pm, PM_TAB, at, &e, sizeof e);
    b->pm_count++;
    return pmap_check(b);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (s == NULL)
        return mbox_hash(h, "\x01", 1);
    return mbox_hash(h, s, strlen(s) + 1);
}

int mbox_builder_begin_thread(mbox_builder *b, const tc_thread *t)
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

    uint64_t h = MBOX_HASH_INIT;
    h = hash_str(h, t->source);
    h = hash_str(h, t->id);
    h = hash_str(h, t->url);
    h = hash_str(h, t->title);
    for (size_t i = 0; i < t->extras.count; i++) {
        h = hash_str(h, t->extras.items[i].key);
        h = hash_str(h, t->extras.items[i].value);
    }
    b->base_hash = h;

    /* the Subject of the first message and of the others */
    tc_buf_reset(&b->subject_first);
    tc_buf_reset(&b->subject_re);
    tc_buf_reset(&b->tmp);
    if (mbox_put_unstructured(&b->subject_first, "Subject", b->title.data, b->title.len) != TC_OK ||
        app(&b->tmp, "Re: ", 4) != TC_OK || app(&b->tmp, b->title.data, b->title.len) != TC_OK ||
        mbox_put_unstructured(&b->subject_re, "Subject", b->tmp.data, b->tmp.len) != TC_OK)
        return TC_ERR_NOMEM;

    tc_buf *o = &b->thread_hdrs;
    int rc = mbox_put_unstructured(o, MBOX_H_SOURCE, t->source, strlen(t->source));
    if (rc == TC_OK && t->id)
        rc = mbox_put_unstructured(o, MBOX_H_THREAD_ID, t->id, strlen(t->id));
    if (rc == TC_OK && t->url)
        rc = mbox_put_unstructured(o, MBOX_H_THREAD_URL, t->url, strlen(t->url));
    for (size_t i = 0; rc == TC_OK && i < t->extras.count; i++) {
        tc_buf_reset(&b->tmp);
        rc = mbox_encode_key(&b->tmp, MBOX_H_THREAD_EXTRA, t->extras.items[i].key);
        if (rc == TC_OK)
            rc = mbox_put_unstructured(o, b->tmp.data, t->extras.items[i].value,
                                       strlen(t->extras.items[i].value));
    }
    return rc;
}

/* Is x among the hashes of the threads written so far?  Records it when
 * not.  A hash table: a long output has many threads. */
static int used_add(mbox_builder *b, uint64_t x, bool *seen)
{
    if (x == 0) { /* 0 marks the empty slots */
        *seen = b->used_zero;
        b->used_zero = true;
        return TC_OK;
    }
    if ((b->n_used + 1) * 2 > b->cap_used) {
        size_t cap = b->cap_used ? b->cap_used * 2 : 64;
        uint64_t *u = calloc(cap, sizeof *u);
        if (u == NULL)
            return TC_ERR_NOMEM;
        for (size_t i = 0; i < b->cap_used; i++) {
            if (b->used[i] == 0)
                continue;
            size_t j = (size_t)(b->used[i] ^ b->used[i] >> 32) & (cap - 1);
            while (u[j])
                j = (j + 1) & (cap - 1);
            u[j] = b->used[i];
        }
        free(b->used);
        b->used = u;
        b->cap_used = cap;
    }
    size_t i = (size_t)(x ^ x >> 32) & (b->cap_used - 1);
    while (b->used[i]) {
        if (b->used[i] == x) {
            *seen = true;
            return TC_OK;
        }
        i = (i + 1) & (b->cap_used - 1);
    }
    b->used[i] = x;
    b->n_used++;
    *seen = false;
    return TC_OK;
}

/* Fix the thread's hash, unique in this output, and the ".HASH@DOMAIN>"
 * every Message-ID of the thread ends with. */
static int settle_hash(mbox_builder *b, uint64_t h)
{
    for (uint64_t salt = 0;; salt++) {
        uint64_t x = salt ? mbox_hash(h, &salt, sizeof salt) : h;
        bool seen;
        if (used_add(b, x, &seen) != TC_OK)
            return TC_ERR_NOMEM;
        if (seen)
            continue;
        b->thread_hash = x;
        char tail[18];
        tail[0] = '.';
        put_hex(tail + 1, x, 16);
        tail[17] = '@';
        tc_buf_reset(&b->msgid_tail);
        TRY(app(&b->msgid_tail, tail, sizeof tail));
        TRY(app(&b->msgid_tail, b->domain.data, b->domain.len));
        return app_c(&b->msgid_tail, '>');
    }
}

/* "<ID.HASH@DOMAIN>": ID is the post id when it is [A-Za-z0-9_-]{1,64},
 * else "x" and a hash of it. */
static int put_msgid(tc_buf *out, const mbox_builder *b, const char *id)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n <= 64;
    for (size_t i = 0; ok && i < n; i++) {
        char c = id[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    }
    if (ok) {
        TRY(app_c(out, '<'));
        TRY(app(out, id, n));
    } else {
        char x[18] = {'<', 'x'};
        put_hex(x + 2, mbox_hash(MBOX_HASH_INIT, id, n), 16);
        TRY(app(out, x, sizeof x));
    }
    return app(out, b->msgid_tail.data, b->msgid_tail.len);
}

/* The local part of the From: address: the author's ASCII letters and
 * digits (lower case), '-' and '_', other runs as one '.'; a hash is added
 * when that lost anything, so different names get different addresses. */
static int put_address(tc_buf *out, const mbox_builder *b, const char *author)
{
    char local[40 + 1 + 8]; /* at most 40 characters, then ".HASH" */
    size_t n = 0;
    bool lossy = false;
    for (const char *p = author; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a'); /* names differing in case share an address */
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
            lossy = true;
            if (n == 0 || local[n - 1] == '.')
                continue;
            c = '.';
        }
        if (n >= 40) {
            lossy = true;
            break;
        }
        local[n++] = c;
    }
    while (n > 0 && local[n - 1] == '.')
        n--;
    if (n == 0) {
        memcpy(local, "author", 6);
        n = 6;
    }
    if (lossy) {
        local[n++] = '.';
        uint64_t h = mbox_hash(MBOX_HASH_INIT, author, strlen(author));
        n = (size_t)(put_hex(local + n, h, 8) - local);
    }
    TRY(app(out, local, n));
    TRY(app_c(out, '@'));
    return app(out, b->domain.data, b->domain.len);
}

static bool atext(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
        return true;
    default:
        return false;
    }
}

/* SEP "<ADDR>\n" ending a From: header; SEP folds when the line is long. */
static int put_angle_addr(tc_buf *out, bool fold, const char *addr, size_t addr_len)
{
    TRY(fold ? APP_LIT(out, "\n <") : APP_LIT(out, " <"));
    TRY(app(out, addr, addr_len));
    return APP_LIT(out, ">\n");
}

/* From: NAME <ADDR>, NAME as atoms, a quoted string or encoded words. */
static int put_from(tc_buf *out, const char *author, const char *addr, size_t addr_len)
{
    size_t n = strlen(author);
    if (n == 0) {
        TRY(APP_LIT(out, "From: <"));
        TRY(app(out, addr, addr_len));
        return APP_LIT(out, ">\n");
    }
    bool plain = plain_ok(author, n) && n <= 60;
    bool atoms = plain;
    for (size_t i = 0; atoms && i < n; i++)
        atoms = author[i] == ' ' || atext(author[i]);
    if (atoms && !(n >= 2 && author[0] == '=' && author[1] == '?')) {
        TRY(APP_LIT(out, "From: "));
        TRY(app(out, author, n));
        return put_angle_addr(out, 7 + n + addr_len > FOLD, addr, addr_len);
    }
    if (plain) {
        TRY(APP_LIT(out, "From: \""));
        for (size_t i = 0; i < n; i++) {
            if (author[i] == '"' || author[i] == '\\')
                TRY(app_c(out, '\\'));
            TRY(app_c(out, author[i]));
        }
        TRY(app_c(out, '"'));
        return put_angle_addr(out, 9 + n + addr_len > FOLD, addr, addr_len);
    }
    size_t col;
    TRY(APP_LIT(out, "From:"));
    TRY(put_words(out, 5, author, n, &col));
    /* " <ADDR>" on the last line when it fits (the space folds into "\n ") */
    return put_angle_addr(out, col + 3 + addr_len > FOLD, addr, addr_len);
}

/* "From ADDR DATE\n", the separator line of the mbox variants. */
static int put_from_line(tc_buf *out, const tc_buf *addr, tc_date date)
{
    char when[40];
    mbox_format_asctime(date, when);
    TRY(APP_LIT(out, "From "));
    TRY(app(out, addr->data, addr->len));
    TRY(app_c(out, ' '));
    TRY(app(out, when, 24)); /* asctime is always 24 characters */
    return app_c(out, '\n');
}

/* The body as sent: the text, and the newline the writer always adds (the
 * reader of our messages removes exactly one); quoted-printable encoded
 * into b->enc when qp.  *clen is the body's length (Content-Length). */
static int prepare_body(mbox_builder *b, bool qp, const char *text, size_t len, const char **s,
                        size_t *n, size_t *clen)
{
    if (!qp) {
        *s = text;
        *n = len;
        *clen = len + 1; /* the newline is added while writing */
        return TC_OK;
    }
    tc_buf_reset(&b->enc);
    TRY(qp_encode(&b->enc, text, len, true));
    *s = b->enc.data;
    *n = *clen = b->enc.len;
    return TC_OK;
}

/* Append s to out with the variant's From_ quoting: one '>' before each line
 * that matches ^>*From (mboxrd) or ^From (mboxo).  Bodies rarely have such
 * a line, so lines are only looked at where they start (memchr finds the
 * next), and the runs between quoted lines are copied in one piece. */
static int put_quoted(tc_buf *out, int variant, const char *s, size_t n)
{
    if (variant != MBOX_MBOXRD && variant != MBOX_MBOXO)
        return app(out, s, n);
    size_t copied = 0; /* s[..copied] is in out */
    size_t i = 0;      /* where the line starts */
    while (i < n) {
        size_t k = i;
        if (variant == MBOX_MBOXRD)
            while (k < n && s[k] == '>')
                k++;
        /* no '\n' in "From ": comparing past the line's end cannot match */
        if (n - k >= 5 && memcmp(s + k, "From ", 5) == 0) {
            TRY(app(out, s + copied, i - copied));
            TRY(app_c(out, '>'));
            copied = i;
        }
        const char *nl = memchr(s + k, '\n', n - k);
        if (nl == NULL)
            break;
        i = (size_t)(nl - s) + 1;
    }
    return app(out, s + copied, n - copied);
}

/* The blank line ending the header, the body (see prepare_body) and, in an
 * mbox, the blank line that separates messages. */
static int put_body(const mbox_builder *b, bool qp, tc_buf *out, const char *s, size_t n)
{
    TRY(app_c(out, '\n'));
    TRY(put_quoted(out, b->variant, s, n));
    if (!qp)
        TRY(app_c(out, '\n'));
    return b->variant != MBOX_MAILDIR ? app_c(out, '\n') : TC_OK;
}

static int put_mime(const mbox_builder *b, bool qp, tc_buf *out, size_t clen)
{
    if (qp)
        TRY(APP_LIT(out, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                         "Content-Transfer-Encoding: quoted-printable\n"));
    else
        TRY(APP_LIT(out, "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                         "Content-Transfer-Encoding: 8bit\n"));
    if (b->variant != MBOX_MBOXCL2)
        return TC_OK;
    char num[24];
    char *p = num + sizeof num;
    do
        *--p = (char)('0' + clen % 10);
    while ((clen /= 10) > 0);
    TRY(APP_LIT(out, "Content-Length: "));
    TRY(app(out, p, (size_t)(num + sizeof num - p)));
    return app_c(out, '\n');
}

/* In-Reply-To and References of a post with a parent. */
static int put_reply(mbox_builder *b, tc_buf *h, const tc_post *p)
{
    tc_buf_reset(&b->tmp);
    TRY(put_msgid(&b->tmp, b, p->parent_id));
    TRY(APP_LIT(h, "In-Reply-To: "));
    TRY(app(h, b->tmp.data, b->tmp.len));
    TRY(app_c(h, '\n'));

    /* the chain, newest first, bounded against loops: the ids one after
     * another in b->chain, each NUL-terminated, at chain[] */
    size_t chain[32];
    size_t n = 0;
    tc_buf_reset(&b->chain);
    const char *a = p->parent_id;
    size_t alen = strlen(a);
    while (n < 32) {
        bool again = strcmp(a, p->id) == 0;
        for (size_t k = 0; k < n && !again; k++)
            again = strcmp(b->chain.data + chain[k], a) == 0;
        if (again)
            break;
        chain[n++] = b->chain.len;
        TRY(app(&b->chain, a, alen + 1));
        bool found;
        int rc = pmap_get(b, b->chain.data + chain[n - 1], alen, &b->anc, &found);
        if (rc != TC_OK)
            return rc;
        if (!found)
            break;
        a = b->anc.data;
        alen = b->anc.len;
    }
    TRY(APP_LIT(h, "References:"));
    size_t col = 11;
    tc_buf_reset(&b->tmp);
    TRY(app(&b->tmp, b->first_msgid.data, b->first_msgid.len));
    for (size_t k = n + 1; k-- > 0;) {
        if (k < n) {
            tc_buf_reset(&b->tmp);
            TRY(put_msgid(&b->tmp, b, b->chain.data + chain[k]));
            if (strcmp(b->tmp.data, b->first_msgid.data) == 0)
                continue;
        }
        if (col + 1 + b->tmp.len > FOLD && col > 11) {
            TRY(app_c(h, '\n'));
            col = 0;
        }
        TRY(app_c(h, ' '));
        TRY(app(h, b->tmp.data, b->tmp.len));
        col += 1 + b->tmp.len;
    }
    return app_c(h, '\n');
}

/*
 * The message is written straight into out, in order: From_ line, header,
 * body.  What is the same for every message of a thread (Subject, the end
 * of the Message-IDs, In-Reply-To and References of posts without a
 * parent, the thread headers) was made once, in mbox_builder_begin_thread or
 * at the thread's first post.
 */
int mbox_builder_post(mbox_builder *b, const tc_post *p, tc_buf *out)
{
    bool first = b->n_posts == 0;
    b->n_posts++;
    if (first) {
        uint64_t h = b->base_hash;
        h = hash_str(h, p->id);
        h = hash_str(h, p->author);
        h = mbox_hash(h, &p->date, sizeof p->date.utc);
        h = mbox_hash(h, p->body, p->body_len);
        TRY(settle_hash(b, h));
        TRY(put_msgid(&b->first_msgid, b, p->id));
        /* In-Reply-To and References of the posts without a parent */
        tc_buf *r = &b->reply_first;
        tc_buf_reset(r);
        TRY(APP_LIT(r, "In-Reply-To: "));
        TRY(app(r, b->first_msgid.data, b->first_msgid.len));
        TRY(APP_LIT(r, "\nReferences: "));
        TRY(app(r, b->first_msgid.data, b->first_msgid.len));
        TRY(app_c(r, '\n'));
    }
    if (p->parent_id) {
        int rc = pmap_put(b, p->id, p->parent_id);
        if (rc != TC_OK)
            return rc;
    }

    /* A NUL octet is not allowed in a message (RFC 5322 section 2.3, RFC 2045
     * section 2.8, "8bit" included): a body holding U+0000 is sent
     * quoted-printable (=00) whatever the encoding option says, so the file
     * is mail, and the reader decodes it back. */
    bool qp = b->qp || memchr(p->body, '\0', p->body_len) != NULL;
    const char *body;
    size_t body_len, clen;
    TRY(prepare_body(b, qp, p->body, p->body_len, &body, &body_len, &clen));

    tc_buf_reset(&b->tmp2);
    TRY(put_address(&b->tmp2, b, p->author));
    if (b->variant != MBOX_MAILDIR)
        TRY(put_from_line(out, &b->tmp2, p->date));
    TRY(put_from(out, p->author, b->tmp2.data, b->tmp2.len));

    char date[40];
    bool have_date = p->date.present && mbox_format_rfc5322(p->date, date);
    if (have_date) {
        TRY(APP_LIT(out, "Date: "));
        TRY(app_s(out, date));
        TRY(app_c(out, '\n'));
    }

    const tc_buf *subject = first ? &b->subject_first : &b->subject_re;
    TRY(app(out, subject->data, subject->len));

    TRY(APP_LIT(out, "Message-ID: "));
    TRY(put_msgid(out, b, p->id));
    TRY(app_c(out, '\n'));

    /* In-Reply-To: the parent, or the thread's first post when the model
     * has none (flat forums).  References: the ancestors, oldest first,
     * always starting at the thread's first post. */
    if (!first && p->parent_id) {
        int rc = put_reply(b, out, p);
        if (rc != TC_OK)
            return rc;
    } else if (!first)
        TRY(app(out, b->reply_first.data, b->reply_first.len));

    TRY(put_mime(b, qp, out, clen));

    TRY(mbox_put_unstructured(out, MBOX_H_ID, p->id, strlen(p->id)));
    if (p->parent_id)
        TRY(mbox_put_unstructured(out, MBOX_H_PARENT, p->parent_id, strlen(p->parent_id)));
    if (p->date.present && !have_date) {
        char iso[TC_ISO_DATE_SIZE];
        size_t n = tc_date_format_iso(p->date, iso);
        TRY(mbox_put_unstructured(out, MBOX_H_DATE, iso, n));
    }
    for (size_t i = 0; i < p->extras.count; i++) {
        tc_buf_reset(&b->tmp);
        TRY(mbox_encode_key(&b->tmp, MBOX_H_EXTRA, p->extras.items[i].key));
        TRY(mbox_put_unstructured(out, b->tmp.data, p->extras.items[i].value,
                                  strlen(p->extras.items[i].value)));
    }
    if (first)
        TRY(app(out, b->thread_hdrs.data, b->thread_hdrs.len));
    return put_body(b, qp, out, body, body_len);
}

int mbox_builder_end_thread(mbox_builder *b, tc_buf *out)
{
    if (b->n_posts > 0)
        return TC_OK;
    /* A thread without posts: a message holding only the thread, so the
     * thread is not lost.  Readers of ours give it back with no posts. */
    TRY(settle_hash(b, b->base_hash));
    const char *body;
    size_t body_len, clen;
    TRY(prepare_body(b, b->qp, "", 0, &body, &body_len, &clen));
    tc_buf_reset(&b->tmp2);
    TRY(APP_LIT(&b->tmp2, "thread@"));
    TRY(app(&b->tmp2, b->domain.data, b->domain.len));
    tc_date none = {0, 0, false};
    if (b->variant != MBOX_MAILDIR)
        TRY(put_from_line(out, &b->tmp2, none));
    TRY(put_from(out, "", b->tmp2.data, b->tmp2.len));
    TRY(app(out, b->subject_first.data, b->subject_first.len));
    TRY(APP_LIT(out, "Message-ID: "));
    TRY(put_msgid(out, b, "thread"));
    TRY(app_c(out, '\n'));
    TRY(put_mime(b, b->qp, out, clen));
    TRY(APP_LIT(out, MBOX_H_EMPTY ": yes\n"));
    TRY(app(out, b->thread_hdrs.data, b->thread_hdrs.len));
    return put_body(b, b->qp, out, body, body_len);
}
