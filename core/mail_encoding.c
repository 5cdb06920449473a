/*
 * mail_encoding.c - the transfer encodings of RFC 2045 decoded:
 * quoted-printable (tc_mail_qp_decode) and base64 (tc_mail_base64_decode),
 * see threadconv/mail.h.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/mail.h>

#include <string.h>

int tc__mail_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One line's text s[0..n) (no line end), decoded into o; returns the end. */
static char *qp_line(char *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* the text up to the next '=' as it is */
        const char *eq = memchr(s + i, '=', n - i);
        size_t k = eq ? (size_t)(eq - s) : n;
        memcpy(o, s + i, k - i);
        o += k - i;
        if ((i = k) == n)
            break;
        int h1 = i + 2 < n ? tc__mail_hex(s[i + 1]) : -1;
        int h2 = i + 2 < n ? tc__mail_hex(s[i + 2]) : -1;
        if (h1 >= 0 && h2 >= 0) {
            *o++ = (char)(h1 * 16 + h2);
            i += 2;
        } else {
            *o++ = '='; /* not an escape: a literal "=" (RFC 2045 6.7, note on rule 1) */
        }
    }
    return o;
}

int tc_mail_qp_decode(tc_buf *out, const char *s, size_t len)
{
    if (tc_buf_reserve(out, len + 1) != TC_OK)
        return TC_ERR_NOMEM;
    char *o = out->data + out->len;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len, t = end;
        bool cr = t > i && s[t - 1] == '\r';
        if (cr)
            t--;
        /* rule 3: blanks at the end of a line were added in transport */
        while (t > i && (s[t - 1] == ' ' || s[t - 1] == '\t'))
            t--;
        if (t > i && s[t - 1] == '=') { /* rule 5: a soft line break */
            o = qp_line(o, s + i, t - 1 - i);
        } else {
            o = qp_line(o, s + i, t - i);
            if (cr)
                *o++ = '\r';
            if (nl)
                *o++ = '\n';
        }
        i = nl ? end + 1 : len;
    }
    out->len = (size_t)(o - out->data);
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

int tc_mail_base64_decode(tc_buf *out, const char *s, size_t len, size_t *n_bad)
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
