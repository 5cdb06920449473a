/*
 * mail_charset.c - text in a mail charset to UTF-8 (tc_mail_to_utf8, see
 * threadconv/mail.h), with iconv, and the fallback for bytes that cannot
 * be decoded.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/mail.h>

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

bool tc__mail_ieq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && tc__ascii_ieq(a, b, alen);
}

/* One byte that cannot be decoded: the ISO-8859-1 character of the same
 * value; a NUL U+FFFD, unless keep_nul (a body, which may hold U+0000). */
static int put_latin1(tc_buf *out, unsigned char c, bool keep_nul)
{
    if (c == 0)
        return keep_nul ? tc_buf_append(out, "", 1) : tc_buf_append(out, "\xEF\xBF\xBD", 3);
    if (c < 0x80)
        return tc_buf_putc(out, (char)c);
    char u[2] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F))};
    return tc_buf_append(out, u, 2);
}

/* Valid UTF-8, with NUL bytes when keep_nul; *off: the first bad byte. */
static bool valid(const char *s, size_t len, size_t *off, bool keep_nul)
{
    return keep_nul ? tc_utf8_valid_text(s, len, off) : tc_utf8_valid(s, len, off, NULL);
}

/* UTF-8 input: valid sequences copied, each bad byte by the fallback (a
 * NUL is one, unless keep_nul). */
static int utf8_fallback(tc_buf *out, const char *in, size_t len, size_t *n_bad, bool keep_nul)
{
    size_t i = 0;
    while (i < len) {
        size_t off;
        if (valid(in + i, len - i, &off, keep_nul))
            return tc_buf_append(out, in + i, len - i);
        if (tc_buf_append(out, in + i, off) != TC_OK)
            return TC_ERR_NOMEM;
        i += off;
        /* the bad byte may start a valid character that was cut short by
         * nothing but a NUL; either way one byte is replaced */
        if (put_latin1(out, (unsigned char)in[i], keep_nul) != TC_OK)
            return TC_ERR_NOMEM;
        (*n_bad)++;
        i++;
    }
    return tc_buf_append(out, "", 0);
}

/* x-user-defined (the Standard's): bytes 0x80..0xFF are U+F780..U+F7FF. */
static int user_defined(tc_buf *out, const char *in, size_t len, size_t *n_bad,
                        bool keep_nul)
{
    int rc = TC_OK;
    for (size_t i = 0; i < len && rc == TC_OK; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == 0) {
            rc = put_latin1(out, c, keep_nul);
            *n_bad += !keep_nul;
        } else if (c < 0x80) {
            rc = tc_buf_putc(out, (char)c);
        } else {
            unsigned u = 0xF780 + (c - 0x80);
            char b[3] = {(char)(0xE0 | (u >> 12)), (char)(0x80 | ((u >> 6) & 0x3F)),
                         (char)(0x80 | (u & 0x3F))};
            rc = tc_buf_append(out, b, 3);
        }
    }
    return rc == TC_OK ? tc_buf_append(out, "", 0) : rc;
}

/* The bytes iconv wrote since start, made what the model holds: a NUL
 * decoded from the charset becomes U+FFFD (counted once) unless keep_nul
 * (a body: U+0000 is a character of the model there, and iconv decodes it
 * right in every charset, 0x00 in the ASCII-compatible ones), and invalid
 * UTF-8 that iconv passed through (glibc reads "utf_8", "u.t.f-8" and
 * such as UTF-8 and copies sequences above U+10FFFF as they are) is
 * replaced byte by byte as for UTF-8 input. */
static int make_valid(tc_buf *out, size_t start, size_t *n_bad, bool keep_nul)
{
    int rc = TC_OK;
    if (!keep_nul && memchr(out->data + start, '\0', out->len - start)) {
        tc_buf tmp = {0};
        for (size_t i = start; i < out->len && rc == TC_OK; i++)
            rc = out->data[i] ? tc_buf_putc(&tmp, out->data[i])
                              : tc_buf_append(&tmp, "\xEF\xBF\xBD", 3);
        if (rc == TC_OK) {
            out->len = start;
            rc = tc_buf_append(out, tmp.data, tmp.len);
            (*n_bad)++;
        }
        tc_buf_free(&tmp);
    }
    if (rc == TC_OK && out->len > start &&
        !valid(out->data + start, out->len - start, NULL, keep_nul)) {
        tc_buf tmp = {0};
        rc = utf8_fallback(&tmp, out->data + start, out->len - start, n_bad, keep_nul);
        out->len = start;
        if (rc == TC_OK && tmp.len > 0)
            rc = tc_buf_append(out, tmp.data, tmp.len);
        tc_buf_free(&tmp);
    }
    return rc;
}

static int to_utf8(tc_buf *out, const char *charset, const char *in, size_t len,
                   size_t *n_bad, bool *unknown, bool keep_nul)
{
    if (charset == NULL || charset[0] == '\0')
        /* no label: UTF-8 where it is valid (raw 8-bit headers, unlabelled
         * bodies), else the fallback */
        return utf8_fallback(out, in, len, n_bad, keep_nul);
    char name[64];
    size_t cn = strlen(charset);
    if (cn >= sizeof name)
        cn = sizeof name - 1;
    memcpy(name, charset, cn);
    name[cn] = '\0';
    char *star = strchr(name, '*'); /* RFC 2231 language suffix */
    if (star)
        *star = '\0';
    /* the label as mail clients read it (WHATWG, core/mail_labels.c) */
    const char *standard;
    const char *iconv_name = tc__mail_iconv_name(name, &standard);
    if (iconv_name == NULL)
        return user_defined(out, in, len, n_bad, keep_nul);
    if (standard && strcmp(standard, "UTF-8") == 0)
        return utf8_fallback(out, in, len, n_bad, keep_nul);
    if (standard && strncmp(standard, "UTF-16", 6) == 0 && len >= 2) {
        /* a byte-order mark decides, as the Standard's decode does */
        unsigned char b0 = (unsigned char)in[0], b1 = (unsigned char)in[1];
        if ((b0 == 0xFE && b1 == 0xFF) || (b0 == 0xFF && b1 == 0xFE)) {
            iconv_name = b0 == 0xFE ? "UTF-16BE" : "UTF-16LE";
            in += 2;
            len -= 2;
        }
    }
    iconv_t cd = iconv_open("UTF-8", iconv_name);
    if (cd == (iconv_t)-1) {
        *unknown = true;
        return utf8_fallback(out, in, len, n_bad, keep_nul);
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
            if (put_latin1(out, (unsigned char)*ip, keep_nul) != TC_OK)
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
    if (rc == TC_OK)
        rc = make_valid(out, start, n_bad, keep_nul);
    return rc == TC_OK ? tc_buf_append(out, "", 0) : rc;
}

int tc_mail_to_utf8(tc_buf *out, const char *charset, const char *in, size_t len,
                    size_t *n_bad, bool *unknown)
{
    return to_utf8(out, charset, in, len, n_bad, unknown, false);
}

int tc_mail_to_utf8_text(tc_buf *out, const char *charset, const char *in, size_t len,
                         size_t *n_bad, bool *unknown)
{
    return to_utf8(out, charset, in, len, n_bad, unknown, true);
}
