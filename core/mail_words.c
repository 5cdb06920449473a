/*
 * mail_words.c - RFC 2047 encoded words in header text
 * (tc_mail_decode_words, see threadconv/mail.h).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/mail.h>

#include <string.h>

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t tc__mail_encoded_word(const char *s, size_t n, tc__mail_word *w)
{
    if (n < 8 || s[0] != '=' || s[1] != '?')
        return 0;
    size_t i = 2;
    while (i < n && s[i] != '?' && !is_ws(s[i]))
        i++;
    if (i >= n || s[i] != '?' || i == 2)
        return 0;
    w->charset = s + 2;
    w->charset_len = i - 2;
    if (i + 2 >= n || s[i + 2] != '?')
        return 0;
    char e = s[i + 1];
    if (e != 'B' && e != 'b' && e != 'Q' && e != 'q')
        return 0;
    w->encoding = (char)(e | 0x20);
    size_t t = i + 3;
    size_t k = t;
    while (k + 1 < n && !(s[k] == '?' && s[k + 1] == '=')) {
        if (is_ws(s[k]))
            return 0;
        k++;
    }
    if (k + 1 >= n)
        return 0;
    w->text = s + t;
    w->text_len = k - t;
    return k + 2;
}

bool tc__mail_has_word(const char *s, size_t n)
{
    const char *end = s + n, *p = s;
    while (p + 1 < end && (p = memchr(p, '=', (size_t)(end - p - 1))) != NULL) {
        if (p[1] == '?')
            return true;
        p++;
    }
    return false;
}

/* The bytes an encoded word's text stands for, appended to raw. */
static int word_bytes(tc_buf *raw, const tc__mail_word *w, size_t *n_bad)
{
    const char *t = w->text;
    size_t tn = w->text_len;
    if (w->encoding == 'b')
        return tc_mail_base64_decode(raw, t, tn, n_bad);
    for (size_t i = 0; i < tn; i++) {
        char c = t[i];
        if (c == '_')
            c = ' ';
        else if (c == '=' && i + 2 < tn && tc__mail_hex(t[i + 1]) >= 0 &&
                 tc__mail_hex(t[i + 2]) >= 0) {
            c = (char)(tc__mail_hex(t[i + 1]) * 16 + tc__mail_hex(t[i + 2]));
            i += 2;
        }
        if (tc_buf_putc(raw, c) != TC_OK)
            return TC_ERR_NOMEM;
    }
    return TC_OK;
}

/* The decoder's state: bytes of adjacent encoded words in one charset,
 * converted together when the run ends. */
typedef struct words {
    tc_buf raw;
    char charset[64];
    bool pending; /* raw holds bytes of encoded words in charset */
} words;

static int flush(tc_buf *out, words *st, size_t *n_bad, bool *unknown)
{
    if (!st->pending)
        return TC_OK;
    st->pending = false;
    int rc = tc_mail_to_utf8(out, st->charset, st->raw.data ? st->raw.data : "", st->raw.len,
                             n_bad, unknown);
    tc_buf_reset(&st->raw);
    return rc;
}

static bool only_ws(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!is_ws(s[k]))
            return false;
    return true;
}

int tc_mail_decode_words(tc_buf *out, const char *s, size_t len, size_t *n_bad,
                         bool *unknown)
{
    if (!tc__mail_has_word(s, len))
        /* no encoded word: plain text (raw 8-bit bytes taken as UTF-8) */
        return tc_mail_to_utf8(out, NULL, s, len, n_bad, unknown);
    words st = {{0}, "", false};
    int rc = TC_OK;
    size_t i = 0, text_start = 0;
    while (i < len && rc == TC_OK) {
        tc__mail_word w;
        size_t wn = s[i] == '=' ? tc__mail_encoded_word(s + i, len - i, &w) : 0;
        if (wn == 0) {
            i++;
            continue;
        }
        /* text before this word: plain, unless it is only whitespace
         * between two encoded words */
        const char *gap = s + text_start;
        size_t gn = i - text_start;
        char name[64];
        size_t nn = w.charset_len < sizeof name - 1 ? w.charset_len : sizeof name - 1;
        memcpy(name, w.charset, nn);
        name[nn] = '\0';
        if (!(st.pending && only_ws(gap, gn))) {
            rc = flush(out, &st, n_bad, unknown);
            /* plain text: may hold raw 8-bit bytes (taken as UTF-8) */
            if (rc == TC_OK && gn > 0)
                rc = tc_mail_to_utf8(out, NULL, gap, gn, n_bad, unknown);
        } else if (strcmp(name, st.charset) != 0) {
            rc = flush(out, &st, n_bad, unknown); /* adjacent, another charset */
        }
        if (rc != TC_OK)
            break;
        memcpy(st.charset, name, nn + 1);
        st.pending = true;
        rc = word_bytes(&st.raw, &w, n_bad);
        i += wn;
        text_start = i;
    }
    if (rc == TC_OK)
        rc = flush(out, &st, n_bad, unknown);
    /* trailing plain text: may hold raw 8-bit bytes (taken as UTF-8) */
    if (rc == TC_OK && text_start < len)
        rc = tc_mail_to_utf8(out, NULL, s + text_start, len - text_start, n_bad, unknown);
    if (rc == TC_OK)
        rc = tc_buf_append(out, "", 0);
    tc_buf_free(&st.raw);
    return rc;
}
