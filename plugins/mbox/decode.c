/*
 * decode.c - reading mail: From_ lines, charsets to UTF-8 with iconv,
 * RFC 2047 encoded words, quoted-printable and base64, From: addresses
 * and MIME parameters.  (Date: headers are read by the library's
 * tc_date_parse_rfc5322.)
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mail.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

static const char *const wdays[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const months[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The index of the three-letter name at s (any case) in names, -1 if none. */
static int name_index(const char *s, size_t n, const char *const *names, int count)
{
    if (n < 3)
        return -1;
    char a = lower(s[0]), b = lower(s[1]), c = lower(s[2]);
    for (int i = 0; i < count; i++)
        if (names[i][0] == a && names[i][1] == b && names[i][2] == c)
            return i;
    return -1;
}

/* ------------------------------------------------------------------ */
/* From_ lines                                                         */
/* ------------------------------------------------------------------ */

typedef struct lexer {
    const char *s;
    size_t n, i;
} lexer;

static bool number(lexer *l, int min_digits, int max_digits, long *v, int *digits)
{
    size_t start = l->i;
    long x = 0;
    while (l->i < l->n && is_digit(l->s[l->i]) && (int)(l->i - start) < max_digits)
        x = x * 10 + (l->s[l->i++] - '0');
    int d = (int)(l->i - start);
    if (d < min_digits || (l->i < l->n && is_digit(l->s[l->i])))
        return false;
    *v = x;
    if (digits)
        *digits = d;
    return true;
}

/* n digits at p as a number; false if any is not a digit. */
static bool digits(const char *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return false;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return true;
}

/* "Www Mmm dD HH:MM" at p (n bytes available), with the year after it:
 * ":SS" optional, then optional zone words or a numeric zone, then a
 * four-digit year. */
static bool asctime_at(const char *p, size_t n, tc_date *date)
{
    if (n < 16 || p[3] != ' ' || p[7] != ' ')
        return false;
    int fd, fh, fm, fs, fy, fmon;
    if (n >= 24 && p[10] == ' ' && p[13] == ':' && p[16] == ':' && p[19] == ' ' &&
        (n == 24 || !is_digit(p[24])) && name_index(p, 3, wdays, 7) >= 0 &&
        (fmon = name_index(p + 4, 3, months, 12) + 1) > 0 &&
        (p[8] == ' ' ? digits(p + 9, 1, &fd) : digits(p + 8, 2, &fd)) &&
        digits(p + 11, 2, &fh) && digits(p + 14, 2, &fm) && digits(p + 17, 2, &fs) &&
        digits(p + 20, 4, &fy)) {
        /* the usual "Thu Feb  4 21:33:59 2021", read at fixed places: what
         * the general reading below makes of it */
        if (fd < 1 || fd > tc_days_in_month(fy, fmon) || fh > 23 || fm > 59 || fs > 60)
            return false;
        if (date)
            *date = tc_date_from_fields(fy, fmon, fd, fh, fm, fs == 60 ? 59 : fs, 0);
        return true;
    }
    if (name_index(p, 3, wdays, 7) < 0)
        return false;
    int month = name_index(p + 4, 3, months, 12) + 1;
    if (month == 0)
        return false;
    lexer l = {p, n, 8};
    while (l.i < l.n && l.s[l.i] == ' ')
        l.i++;
    long day, hour, minute, second = 0, year;
    if (!number(&l, 1, 2, &day, NULL) || l.i >= l.n || l.s[l.i] != ' ')
        return false;
    l.i++;
    if (!number(&l, 1, 2, &hour, NULL) || l.i >= l.n || l.s[l.i] != ':')
        return false;
    l.i++;
    if (!number(&l, 2, 2, &minute, NULL))
        return false;
    if (l.i < l.n && l.s[l.i] == ':') {
        l.i++;
        if (!number(&l, 2, 2, &second, NULL))
            return false;
    }
    /* zone words ("MET", "MET DST") or a numeric zone may come before the year */
    for (int k = 0; k < 3; k++) {
        if (l.i >= l.n || l.s[l.i] != ' ')
            return false;
        while (l.i < l.n && l.s[l.i] == ' ')
            l.i++;
        size_t save = l.i;
        if (number(&l, 4, 4, &year, NULL)) {
            if (day < 1 || day > tc_days_in_month(year, month) || hour > 23 || minute > 59 ||
                second > 60)
                return false;
            if (date)
                *date = tc_date_from_fields(year, month, (int)day, (int)hour, (int)minute,
                                            second == 60 ? 59 : (int)second, 0);
            /* "2001 -0400" or " remote from x" may follow: ignored */
            return true;
        }
        l.i = save;
        if (l.i < l.n && (l.s[l.i] == '+' || l.s[l.i] == '-'))
            l.i++;
        size_t w0 = l.i;
        while (l.i < l.n && (is_alpha(l.s[l.i]) || is_digit(l.s[l.i])))
            l.i++;
        if (l.i == w0)
            return false;
    }
    return false;
}

size_t mb_from_line(const char *line, size_t len, tc_date *date)
{
    if (len < 5 + 16 || memcmp(line, "From ", 5) != 0)
        return 0;
    /* the sender is one word (it may be empty: "From  Mon ..."); the date
     * follows.  Envelope senders with spaces are rare but exist, so try
     * each later word start. */
    for (size_t i = 5; i + 16 <= len;) {
        if (asctime_at(line + i, len - i, date))
            return i;
        const char *sp = memchr(line + i, ' ', len - i); /* the next word */
        if (sp == NULL)
            break;
        i = (size_t)(sp - line) + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Charsets                                                            */
/* ------------------------------------------------------------------ */

static int put_latin1(tc_buf *out, unsigned char c)
{
    if (c == 0)
        return tc_buf_append(out, "\xEF\xBF\xBD", 3);
    if (c < 0x80)
        return tc_buf_putc(out, (char)c);
    char u[2] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F))};
    return tc_buf_append(out, u, 2);
}

/* UTF-8 input: valid sequences copied, each bad byte by the fallback. */
static int utf8_fallback(tc_buf *out, const char *in, size_t len, size_t *n_bad)
{
    size_t i = 0;
    while (i < len) {
        size_t off;
        if (tc_utf8_valid(in + i, len - i, &off, NULL)) {
            return tc_buf_append(out, in + i, len - i);
        }
        if (tc_buf_append(out, in + i, off) != TC_OK)
            return TC_ERR_NOMEM;
        i += off;
        /* the bad byte may start a valid character that was cut short by
         * nothing but a NUL; either way one byte is replaced */
        if (put_latin1(out, (unsigned char)in[i]) != TC_OK)
            return TC_ERR_NOMEM;
        (*n_bad)++;
        i++;
    }
    return TC_OK;
}

static bool is_utf8_name(const char *cs)
{
    return mb_ieq(cs, strlen(cs), "utf-8") || mb_ieq(cs, strlen(cs), "utf8");
}

static bool is_ascii_name(const char *cs)
{
    size_t n = strlen(cs);
    return n == 0 || mb_ieq(cs, n, "us-ascii") || mb_ieq(cs, n, "ascii") ||
           mb_ieq(cs, n, "ansi_x3.4-1968");
}

int mb_to_utf8(tc_buf *out, const char *charset, const char *in, size_t len, size_t *n_bad,
               bool *unknown)
{
    if (charset == NULL || is_ascii_name(charset) || is_utf8_name(charset))
        /* US-ASCII is a subset of UTF-8; 8-bit bytes labelled ASCII are
         * most often UTF-8, so they are taken as UTF-8 when valid */
        return utf8_fallback(out, in, len, n_bad);
    char name[64];
    size_t cn = strlen(charset);
    if (cn >= sizeof name)
        cn = sizeof name - 1;
    memcpy(name, charset, cn);
    name[cn] = '\0';
    char *star = strchr(name, '*'); /* RFC 2231 language suffix */
    if (star)
        *star = '\0';
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1) {
        *unknown = true;
        return utf8_fallback(out, in, len, n_bad);
    }
    size_t start = out->len;
    char *ip = (char *)in;
    size_t il = len;
    int rc = TC_OK;
    while (il > 0 && rc == TC_OK) {
        if (tc_buf_reserve(out, il * 4 + 16) != TC_OK) {
            rc = TC_ERR_NOMEM;
            break;
        }
        char *op = out->data + out->len;
        size_t ol = out->cap - out->len - 1;
        size_t before = ol;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        out->len += before - ol;
        out->data[out->len] = '\0';
        if (r == (size_t)-1) {
            if (errno == E2BIG)
                continue;
            /* EILSEQ or EINVAL: one byte by the fallback, then go on */
            if (put_latin1(out, (unsigned char)*ip) != TC_OK)
                rc = TC_ERR_NOMEM;
            (*n_bad)++;
            ip++;
            il--;
            iconv(cd, NULL, NULL, NULL, NULL);
        }
    }
    /* flush a stateful encoding (ISO-2022-JP back to ASCII) */
    if (rc == TC_OK && tc_buf_reserve(out, 16) == TC_OK) {
        char *op = out->data + out->len;
        size_t ol = out->cap - out->len - 1, before = ol;
        iconv(cd, NULL, NULL, &op, &ol);
        out->len += before - ol;
        out->data[out->len] = '\0';
    }
    iconv_close(cd);
    if (rc == TC_OK && memchr(out->data, '\0', out->len)) {
        /* a NUL decoded from the charset: the model has no NUL */
        tc_buf tmp = {0};
        for (size_t i = 0; i < out->len && rc == TC_OK; i++)
            rc = out->data[i] ? tc_buf_putc(&tmp, out->data[i])
                              : tc_buf_append(&tmp, "\xEF\xBF\xBD", 3);
        if (rc == TC_OK) {
            tc_buf_free(out);
            *out = tmp;
            (*n_bad)++;
        } else
            tc_buf_free(&tmp);
    }
    if (rc == TC_OK && out->len > start &&
        !tc_utf8_valid(out->data + start, out->len - start, NULL, NULL)) {
        /* iconv passed invalid UTF-8 through (glibc reads "utf_8",
         * "u.t.f-8" and such as UTF-8 and copies sequences above U+10FFFF
         * as they are): the model holds UTF-8 only, so each bad byte is
         * replaced as for UTF-8 input */
        tc_buf tmp = {0};
        rc = utf8_fallback(&tmp, out->data + start, out->len - start, n_bad);
        out->len = start;
        if (rc == TC_OK && tmp.len > 0)
            rc = tc_buf_append(out, tmp.data, tmp.len);
        tc_buf_free(&tmp);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Transfer encodings                                                  */
/* ------------------------------------------------------------------ */

int mb_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int mb_qp_decode(tc_buf *out, const char *s, size_t len)
{
    if (tc_buf_reserve(out, len + 1) != TC_OK)
        return TC_ERR_NOMEM;
    for (size_t i = 0; i < len; i++) {
        /* the text up to the next '=' as it is */
        const char *eq = memchr(s + i, '=', len - i);
        size_t k = eq ? (size_t)(eq - s) : len;
        memcpy(out->data + out->len, s + i, k - i);
        out->len += k - i;
        if ((i = k) == len)
            break;
        char c = '=';
        /* a soft line break: "=" then optional spaces then newline */
        k = i + 1;
        while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
            k++;
        if (k < len && s[k] == '\n') {
            i = k;
            continue;
        }
        if (k == len && k > i + 1) {
            i = k;
            continue;
        }
        if (i + 2 < len && mb_hex_value(s[i + 1]) >= 0 && mb_hex_value(s[i + 2]) >= 0) {
            c = (char)(mb_hex_value(s[i + 1]) * 16 + mb_hex_value(s[i + 2]));
            i += 2;
        } else if (i + 1 == len) {
            break; /* "=" at the very end: a soft break */
        }
        /* otherwise a literal "=" (robustness, RFC 2045 6.7 note) */
        out->data[out->len++] = c;
    }
    out->data[out->len] = '\0';
    return TC_OK;
}
/* Base64 digits (and "-_" of the URL alphabet) as their value + 1;
 * whitespace and '=' marked; 0: not base64. */
#define B64_WS 65
#define B64_PAD 66
static const unsigned char b64_table[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['-'] = 63,
    ['/'] = 64, ['_'] = 64, [' '] = B64_WS, ['\t'] = B64_WS, ['\r'] = B64_WS, ['\n'] = B64_WS,
    ['='] = B64_PAD};

int mb_b64_decode(tc_buf *out, const char *s, size_t len, size_t *n_bad)
{
    if (tc_buf_reserve(out, len / 4 * 3 + 4) != TC_OK)
        return TC_ERR_NOMEM;
    const unsigned char *u = (const unsigned char *)s;
    unsigned char *o = (unsigned char *)out->data + out->len;
    unsigned v = 0;
    int bits = 0;
    bool pad = false;
    for (size_t i = 0; i < len;) {
        if (bits == 0 && !pad && i + 4 <= len) {
            /* four digits at a time: three bytes */
            unsigned a = b64_table[u[i]], b = b64_table[u[i + 1]], c = b64_table[u[i + 2]],
                     d = b64_table[u[i + 3]];
            if (a - 1 < 64 && b - 1 < 64 && c - 1 < 64 && d - 1 < 64) {
                unsigned x = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
                o[0] = (unsigned char)(x >> 16);
                o[1] = (unsigned char)(x >> 8);
                o[2] = (unsigned char)x;
                o += 3;
                i += 4;
                continue;
            }
        }
        unsigned t = b64_table[u[i++]];
        if (t == B64_WS)
            continue;
        if (t == B64_PAD) {
            pad = true;
            continue;
        }
        if (t == 0 || pad) {
            (*n_bad)++;
            continue;
        }
        v = (v << 6) | (t - 1);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)((v >> bits) & 0xFF);
        }
    }
    out->len = (size_t)(o - (unsigned char *)out->data);
    out->data[out->len] = '\0';
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* RFC 2047                                                            */
/* ------------------------------------------------------------------ */

/* An encoded word at s[0..n): its length, charset, encoding and text. */
static size_t encoded_word(const char *s, size_t n, const char **cs, size_t *csn, char *enc,
                           const char **text, size_t *tn)
{
    if (n < 8 || s[0] != '=' || s[1] != '?')
        return 0;
    size_t i = 2;
    while (i < n && s[i] != '?' && !is_ws(s[i]))
        i++;
    if (i >= n || s[i] != '?' || i == 2)
        return 0;
    *cs = s + 2;
    *csn = i - 2;
    if (i + 2 >= n || s[i + 2] != '?')
        return 0;
    char e = s[i + 1];
    if (e != 'B' && e != 'b' && e != 'Q' && e != 'q')
        return 0;
    *enc = (char)(e | 0x20);
    size_t t = i + 3;
    size_t k = t;
    while (k + 1 < n && !(s[k] == '?' && s[k + 1] == '=')) {
        if (is_ws(s[k]))
            return 0;
        k++;
    }
    if (k + 1 >= n)
        return 0;
    *text = s + t;
    *tn = k - t;
    return k + 2;
}

static int decode_word_bytes(tc_buf *raw, char enc, const char *t, size_t tn, size_t *n_bad)
{
    if (enc == 'b')
        return mb_b64_decode(raw, t, tn, n_bad);
    for (size_t i = 0; i < tn; i++) {
        char c = t[i];
        if (c == '_')
            c = ' ';
        else if (c == '=' && i + 2 < tn && mb_hex_value(t[i + 1]) >= 0 && mb_hex_value(t[i + 2]) >= 0) {
            c = (char)(mb_hex_value(t[i + 1]) * 16 + mb_hex_value(t[i + 2]));
            i += 2;
        }
        if (tc_buf_putc(raw, c) != TC_OK)
            return TC_ERR_NOMEM;
    }
    return TC_OK;
}

/* Whether s[0..n) holds "=?", the start of an encoded word. */
static bool has_ew(const char *s, size_t n)
{
    const char *end = s + n, *p = s;
    while (p + 1 < end && (p = memchr(p, '=', (size_t)(end - p - 1))) != NULL) {
        if (p[1] == '?')
            return true;
        p++;
    }
    return false;
}

int mb_decode_words(tc_buf *out, const char *s, size_t len, size_t *n_bad, bool *unknown)
{
    if (!has_ew(s, len)) {
        /* no encoded word: plain text (raw 8-bit bytes taken as UTF-8) */
        int rc = mb_to_utf8(out, NULL, s, len, n_bad, unknown);
        return rc == TC_OK ? tc_buf_append(out, "", 0) : rc;
    }
    tc_buf raw = {0};
    char cs[64] = "";
    bool pending = false; /* raw holds bytes of encoded words in charset cs */
    int rc = TC_OK;
    size_t i = 0, text_start = 0;
#define FLUSH_RAW()                                                                        \
    do {                                                                                  \
        if (pending) {                                                                    \
            if (mb_to_utf8(out, cs, raw.data ? raw.data : "", raw.len, n_bad, unknown) != \
                TC_OK)                                                                    \
                rc = TC_ERR_NOMEM;                                                        \
            tc_buf_reset(&raw);                                                           \
            pending = false;                                                              \
        }                                                                                 \
    } while (0)
    while (i < len && rc == TC_OK) {
        const char *c, *t;
        size_t cn, tn;
        char enc;
        size_t w = s[i] == '=' ? encoded_word(s + i, len - i, &c, &cn, &enc, &t, &tn) : 0;
        if (w == 0) {
            i++;
            continue;
        }
        /* text before this word: plain, unless it is only whitespace
         * between two encoded words */
        const char *gap = s + text_start;
        size_t gn = i - text_start;
        bool only_ws = true;
        for (size_t k = 0; k < gn && only_ws; k++)
            only_ws = is_ws(gap[k]);
        char name[64];
        size_t nn = cn < sizeof name - 1 ? cn : sizeof name - 1;
        memcpy(name, c, nn);
        name[nn] = '\0';
        if (!(pending && only_ws)) {
            FLUSH_RAW();
            /* plain text: may hold raw 8-bit bytes (taken as UTF-8) */
            if (rc == TC_OK && gn > 0 &&
                mb_to_utf8(out, NULL, gap, gn, n_bad, unknown) != TC_OK)
                rc = TC_ERR_NOMEM;
        } else if (strcmp(name, cs) != 0) {
            FLUSH_RAW(); /* adjacent, but another charset: convert separately */
        }
        if (rc != TC_OK)
            break;
        memcpy(cs, name, nn + 1);
        pending = true;
        if (decode_word_bytes(&raw, enc, t, tn, n_bad) != TC_OK)
            rc = TC_ERR_NOMEM;
        i += w;
        text_start = i;
    }
    FLUSH_RAW();
    if (rc == TC_OK && text_start < len) {
        /* trailing plain text: may hold raw 8-bit bytes (taken as UTF-8) */
        rc = mb_to_utf8(out, NULL, s + text_start, len - text_start, n_bad, unknown);
    }
    if (rc == TC_OK)
        rc = tc_buf_append(out, "", 0);
#undef FLUSH_RAW
    tc_buf_free(&raw);
    return rc;
}

/* ------------------------------------------------------------------ */
/* From: addresses                                                     */
/* ------------------------------------------------------------------ */

/*
 * Decode a phrase: quoted strings unquoted, encoded words decoded (adjacent
 * ones joined), atoms joined by single spaces, comments left out (their
 * text goes to comment when it is not NULL).
 */
static int decode_phrase(tc_buf *out, const char *s, size_t n, tc_buf *comment, size_t *n_bad,
                         bool *unknown)
{
    size_t i = 0;
    bool ws = false, last_ew = false;
    if (!memchr(s, '"', n) && !memchr(s, '(', n) && !has_ew(s, n) &&
        tc_utf8_valid(s, n, NULL, NULL)) {
        /* only atoms of UTF-8 text (most names): joined by single spaces */
        while (i < n) {
            if (is_ws(s[i])) {
                ws = true;
                i++;
                continue;
            }
            size_t start = i;
            while (i < n && !is_ws(s[i]))
                i++;
            if ((ws && out->len > 0 && tc_buf_putc(out, ' ') != TC_OK) ||
                tc_buf_append(out, s + start, i - start) != TC_OK)
                return TC_ERR_NOMEM;
            ws = false;
        }
        return tc_buf_append(out, "", 0);
    }
    tc_buf tmp = {0};
    int rc = TC_OK;
    while (i < n && rc == TC_OK) {
        char c = s[i];
        if (is_ws(c)) {
            ws = true;
            i++;
            continue;
        }
        if (c == '(') {
            int depth = 0;
            size_t start = i + 1;
            for (; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n)
                    i++;
                else if (s[i] == '(')
                    depth++;
                else if (s[i] == ')' && --depth == 0)
                    break;
            }
            if (comment && comment->len == 0 && i > start) {
                tc_buf_reset(&tmp);
                rc = mb_decode_words(&tmp, s + start, i - start, n_bad, unknown);
                if (rc == TC_OK)
                    rc = tc_buf_append(comment, tmp.data, tmp.len);
            }
            i++;
            ws = true;
            continue;
        }
        bool space = ws && out->len > 0;
        ws = false;
        if (c == '"') {
            if (space && tc_buf_putc(out, ' ') != TC_OK)
                rc = TC_ERR_NOMEM;
            tc_buf_reset(&tmp);
            for (i++; i < n && s[i] != '"' && rc == TC_OK; i++) {
                if (s[i] == '\\' && i + 1 < n)
                    i++;
                if (s[i] == '\r' || s[i] == '\n')
                    continue;
                rc = tc_buf_putc(&tmp, s[i]);
            }
            i++;
            /* a quoted string may hold encoded words (not allowed, common) */
            if (rc == TC_OK && tmp.len > 0) {
                tc_buf dec = {0};
                if (has_ew(tmp.data, tmp.len))
                    rc = mb_decode_words(&dec, tmp.data, tmp.len, n_bad, unknown);
                else
                    rc = mb_to_utf8(&dec, NULL, tmp.data, tmp.len, n_bad, unknown);
                if (rc == TC_OK)
                    rc = tc_buf_append(out, dec.data ? dec.data : "", dec.len);
                tc_buf_free(&dec);
            }
            last_ew = false;
            continue;
        }
        const char *cs, *t;
        size_t cn, tn;
        char enc;
        size_t w = c == '=' ? encoded_word(s + i, n - i, &cs, &cn, &enc, &t, &tn) : 0;
        if (w > 0) {
            /* collect the run of adjacent encoded words */
            size_t j = i + w, end = j;
            for (;;) {
                size_t k = j;
                while (k < n && is_ws(s[k]))
                    k++;
                size_t w2 = k < n && s[k] == '=' ? encoded_word(s + k, n - k, &cs, &cn, &enc, &t,
                                                               &tn)
                                                 : 0;
                if (w2 == 0)
                    break;
                j = end = k + w2;
            }
            if (space && !last_ew && tc_buf_putc(out, ' ') != TC_OK)
                rc = TC_ERR_NOMEM;
            if (rc == TC_OK)
                rc = mb_decode_words(out, s + i, end - i, n_bad, unknown);
            i = end;
            last_ew = true;
            continue;
        }
        size_t start = i;
        while (i < n && !is_ws(s[i]) && s[i] != '"' && s[i] != '(' &&
               !(s[i] == '=' && i + 1 < n && s[i + 1] == '?' && i > start))
            i++;
        if (i == start)
            i++;
        if (space && tc_buf_putc(out, ' ') != TC_OK)
            rc = TC_ERR_NOMEM;
        if (rc == TC_OK)
            rc = mb_to_utf8(out, NULL, s + start, i - start, n_bad, unknown);
        last_ew = false;
    }
    tc_buf_free(&tmp);
    if (rc == TC_OK)
        rc = tc_buf_append(out, "", 0);
    return rc;
}

int mb_parse_from(const char *s, size_t len, tc_buf *name, tc_buf *addr, size_t *n_bad,
                  bool *unknown)
{
    tc_buf_reset(name);
    tc_buf_reset(addr);
    /* find '<' outside quotes and comments; stop at a ',' (more addresses) */
    size_t lt = len, gt = len, end = len;
    bool q = false;
    int depth = 0;
    bool plain = !memchr(s, '"', len) && !memchr(s, '(', len) && !memchr(s, '\\', len);
    if (plain) {
        /* no quotes, comments or escapes (most From: lines): the same
         * scan with memchr */
        const char *a = memchr(s, '<', len), *c = memchr(s, ',', len);
        if (c && (a == NULL || c < a)) {
            end = (size_t)(c - s);
        } else if (a) {
            lt = (size_t)(a - s);
            const char *g = memchr(a + 1, '>', len - lt - 1);
            if (g) {
                gt = (size_t)(g - s);
                c = memchr(g + 1, ',', len - gt - 1);
                if (c)
                    end = (size_t)(c - s);
            }
        }
    }
    for (size_t i = 0; i < len && !plain; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < len) {
            i++;
            continue;
        }
        if (q) {
            q = c != '"';
            continue;
        }
        if (depth > 0) {
            if (c == '(')
                depth++;
            else if (c == ')')
                depth--;
            continue;
        }
        if (c == '"')
            q = true;
        else if (c == '(')
            depth = 1;
        else if (c == '<' && lt == len)
            lt = i;
        else if (c == '>' && lt != len && gt == len)
            gt = i;
        else if (c == ',' && (lt == len || gt != len)) {
            end = i;
            break;
        }
    }
    int rc;
    if (lt < end && gt < end && gt > lt) {
        rc = decode_phrase(name, s, lt, NULL, n_bad, unknown);
        size_t a = lt + 1, b = gt;
        while (a < b && is_ws(s[a]))
            a++;
        while (b > a && is_ws(s[b - 1]))
            b--;
        if (rc == TC_OK)
            rc = mb_to_utf8(addr, NULL, s + a, b - a, n_bad, unknown);
        if (rc == TC_OK && name->len == 0 && gt + 1 < end) {
            /* "<addr> (Name)": the comment names the sender */
            tc_buf rest = {0};
            rc = decode_phrase(&rest, s + gt + 1, end - gt - 1, name, n_bad, unknown);
            tc_buf_free(&rest);
        }
    } else {
        /* "addr (Name)" or a bare address */
        tc_buf words = {0};
        rc = decode_phrase(&words, s, end, name, n_bad, unknown);
        if (rc == TC_OK)
            rc = tc_buf_append(addr, words.data ? words.data : "", words.len);
        tc_buf_free(&words);
    }
    if (rc == TC_OK)
        rc = tc_buf_append(name, "", 0);
    if (rc == TC_OK)
        rc = tc_buf_append(addr, "", 0);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Subjects and parameters                                             */
/* ------------------------------------------------------------------ */

size_t mb_strip_reply(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len, count = 0;
    for (;;) {
        while (n > 0 && is_ws(*p)) {
            p++;
            n--;
        }
        size_t k = 0;
        if (n >= 2 && mb_ieq(p, 2, "re"))
            k = 2;
        else if (n >= 3 && mb_ieq(p, 3, "fwd"))
            k = 3;
        else if (n >= 2 && mb_ieq(p, 2, "fw"))
            k = 2;
        if (k == 0)
            break;
        if (k < n && p[k] == '[') { /* "Re[2]:" */
            size_t j = k + 1;
            while (j < n && is_digit(p[j]))
                j++;
            if (j < n && p[j] == ']' && j > k + 1)
                k = j + 1;
        }
        if (k >= n || p[k] != ':')
            break;
        p += k + 1;
        n -= k + 1;
        count++;
    }
    while (n > 0 && is_ws(p[n - 1]))
        n--;
    *s = p;
    *len = n;
    return count;
}

bool mb_params(const char *s, size_t len, const char *const *names, tc_buf *outs, bool *found)
{
    size_t count = 0;
    while (names[count])
        count++;
    for (size_t k = 0; k < count; k++)
        found[k] = false;
    size_t i = 0;
    bool q = false;
    /* skip the value before the first ';' */
    const char *semi = memchr(s, ';', len);
    i = semi ? (size_t)(semi - s) : len;
    while (i < len) {
        i++; /* past ';' */
        while (i < len && is_ws(s[i]))
            i++;
        size_t k = i;
        while (k < len && s[k] != '=' && s[k] != ';' && !is_ws(s[k]))
            k++;
        tc_buf *out = NULL;
        for (size_t m = 0; m < count && out == NULL; m++)
            if (!found[m] && mb_ieq(s + i, k - i, names[m])) {
                out = &outs[m];
                found[m] = true;
            }
        size_t j = k;
        while (j < len && is_ws(s[j]))
            j++;
        if (j < len && s[j] == '=') {
            j++;
            while (j < len && is_ws(s[j]))
                j++;
            if (out)
                tc_buf_reset(out);
            if (j < len && s[j] == '"') {
                for (j++; j < len && s[j] != '"'; j++) {
                    if (s[j] == '\\' && j + 1 < len)
                        j++;
                    if (out && tc_buf_putc(out, s[j]) != TC_OK)
                        return false;
                }
                if (j < len)
                    j++;
            } else {
                size_t v = j;
                while (j < len && s[j] != ';' && !is_ws(s[j]))
                    j++;
                if (out && tc_buf_append(out, s + v, j - v) != TC_OK)
                    return false;
            }
            if (out && tc_buf_append(out, "", 0) != TC_OK)
                return false;
        } else if (out) { /* a name without a value does not count */
            found[out - outs] = false;
        }
        q = false;
        while (j < len && (q || s[j] != ';')) {
            if (s[j] == '"')
                q = !q;
            j++;
        }
        i = j;
    }
    return true;
}

bool mb_param(const char *s, size_t len, const char *name, tc_buf *out)
{
    const char *names[] = {name, NULL};
    bool found;
    return mb_params(s, len, names, out, &found) && found;
}
