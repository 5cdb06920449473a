/*
 * mail_address.c - the first mailbox of an address header
 * (tc_mail_parse_address, see threadconv/mail.h): display names decoded
 * (quoted strings, RFC 2047 words, comments), addresses cleaned of
 * comments and folding white space, groups looked into.
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

/* The end of the comment that starts at s[i] == '(' (nested, with
 * escapes): the index of its ')', or n when it is left open. */
static size_t comment_end(const char *s, size_t n, size_t i)
{
    int depth = 0;
    for (; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        else if (s[i] == '(')
            depth++;
        else if (s[i] == ')' && --depth == 0)
            break;
    }
    return i;
}

/* Only atoms of UTF-8 text (most names): joined by single spaces. */
static int plain_phrase(tc_buf *out, const char *s, size_t n)
{
    bool ws = false;
    for (size_t i = 0; i < n;) {
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

/* A quoted string's text from s[i] == '"', unquoted and decoded (it may
 * hold encoded words: not allowed, common), appended to out; *i is left
 * after the closing quote. */
static int quoted_phrase(tc_buf *out, tc_buf *tmp, const char *s, size_t n, size_t *i,
                         size_t *n_bad, bool *unknown)
{
    int rc = TC_OK;
    tc_buf_reset(tmp);
    size_t k = *i + 1;
    for (; k < n && s[k] != '"' && rc == TC_OK; k++) {
        if (s[k] == '\\' && k + 1 < n)
            k++;
        if (s[k] == '\r' || s[k] == '\n')
            continue;
        rc = tc_buf_putc(tmp, s[k]);
    }
    *i = k + 1;
    if (rc == TC_OK && tmp->len > 0)
        rc = tc__mail_has_word(tmp->data, tmp->len)
                 ? tc_mail_decode_words(out, tmp->data, tmp->len, n_bad, unknown)
                 : tc_mail_to_utf8(out, NULL, tmp->data, tmp->len, n_bad, unknown);
    return rc;
}

/* The end of the run of adjacent encoded words that starts at s[i]
 * (its first word is wn bytes). */
static size_t word_run_end(const char *s, size_t n, size_t i, size_t wn)
{
    size_t end = i + wn;
    for (;;) {
        size_t k = end;
        while (k < n && is_ws(s[k]))
            k++;
        tc__mail_word w;
        size_t w2 = k < n && s[k] == '=' ? tc__mail_encoded_word(s + k, n - k, &w) : 0;
        if (w2 == 0)
            return end;
        end = k + w2;
    }
}

/*
 * Decode a phrase: quoted strings unquoted, encoded words decoded (adjacent
 * ones joined), atoms joined by single spaces, comments left out (the text
 * of the first goes to comment when it is not NULL and empty).
 */
static int decode_phrase(tc_buf *out, const char *s, size_t n, tc_buf *comment, size_t *n_bad,
                         bool *unknown)
{
    if (!memchr(s, '"', n) && !memchr(s, '(', n) && !tc__mail_has_word(s, n) &&
        tc_utf8_valid(s, n, NULL, NULL))
        return plain_phrase(out, s, n);
    tc_buf tmp = {0};
    int rc = TC_OK;
    bool ws = false, last_ew = false;
    size_t i = 0;
    while (i < n && rc == TC_OK) {
        char c = s[i];
        if (is_ws(c)) {
            ws = true;
            i++;
            continue;
        }
        if (c == '(') {
            size_t start = i + 1;
            i = comment_end(s, n, i);
            if (comment && comment->len == 0 && i > start) {
                tc_buf_reset(&tmp);
                rc = tc_mail_decode_words(&tmp, s + start, i - start, n_bad, unknown);
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
            if (rc == TC_OK)
                rc = quoted_phrase(out, &tmp, s, n, &i, n_bad, unknown);
            last_ew = false;
            continue;
        }
        tc__mail_word w;
        size_t wn = c == '=' ? tc__mail_encoded_word(s + i, n - i, &w) : 0;
        if (wn > 0) {
            size_t end = word_run_end(s, n, i, wn);
            if (space && !last_ew && tc_buf_putc(out, ' ') != TC_OK)
                rc = TC_ERR_NOMEM;
            if (rc == TC_OK)
                rc = tc_mail_decode_words(out, s + i, end - i, n_bad, unknown);
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
            rc = tc_mail_to_utf8(out, NULL, s + start, i - start, n_bad, unknown);
        last_ew = false;
    }
    tc_buf_free(&tmp);
    if (rc == TC_OK)
        rc = tc_buf_append(out, "", 0);
    return rc;
}

/* An addr-spec s[0..n) into addr: comments and white space outside quoted
 * strings removed (RFC 5322 CFWS, obsolete forms included), a source
 * route ("@a.test,@b.test:") dropped. */
static int put_addr_spec(tc_buf *addr, const char *s, size_t n, size_t *n_bad, bool *unknown)
{
    while (n > 0 && is_ws(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_ws(s[n - 1]))
        n--;
    bool simple = !memchr(s, '(', n) && !memchr(s, '"', n);
    for (size_t i = 0; simple && i < n; i++)
        simple = !is_ws(s[i]);
    if (simple && !(n > 0 && s[0] == '@'))
        return tc_mail_to_utf8(addr, NULL, s, n, n_bad, unknown);
    tc_buf clean = {0};
    int rc = TC_OK;
    bool q = false;
    for (size_t i = 0; i < n && rc == TC_OK; i++) {
        char c = s[i];
        if (q) { /* a quoted local part stays as written, unfolded */
            if (c == '\\' && i + 1 < n) {
                rc = tc_buf_append(&clean, s + i, 2);
                i++;
                continue;
            }
            q = c != '"';
            if (c != '\r' && c != '\n')
                rc = tc_buf_putc(&clean, c);
        } else if (c == '(') {
            i = comment_end(s, n, i);
        } else if (!is_ws(c)) {
            q = c == '"';
            rc = tc_buf_putc(&clean, c);
        }
    }
    const char *a = clean.data ? clean.data : "";
    size_t an = clean.len;
    const char *colon = an > 0 && a[0] == '@' ? memchr(a, ':', an) : NULL;
    if (colon) { /* obs-route */
        an -= (size_t)(colon + 1 - a);
        a = colon + 1;
    }
    if (rc == TC_OK)
        rc = tc_mail_to_utf8(addr, NULL, a, an, n_bad, unknown);
    tc_buf_free(&clean);
    return rc;
}

/* Whether s[0..n), comments aside, is one word holding an '@': an
 * addr-spec, maybe with comments in it or around it. */
static bool one_word(const char *s, size_t n)
{
    bool word = false, gap = false, at = false, q = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (q) {
            if (c == '\\' && i + 1 < n)
                i++;
            q = c != '"';
        } else if (c == '(') {
            i = comment_end(s, n, i);
        } else if (is_ws(c)) {
            gap = word;
        } else if (gap) {
            return false;
        } else {
            word = true;
            q = c == '"';
            at |= c == '@';
        }
    }
    return at;
}

/* Where the first mailbox is in s[0..len): its text s[*start..*end), and
 * the angle brackets around its address (*lt, *gt; len when absent). */
static void find_mailbox(const char *s, size_t len, size_t *start, size_t *end, size_t *lt,
                         size_t *gt)
{
    *start = 0;
    *lt = *gt = *end = len;
    if (!memchr(s, '"', len) && !memchr(s, '(', len) && !memchr(s, '\\', len) &&
        !memchr(s, ':', len)) {
        /* no quotes, comments, escapes or groups (most From: lines): the
         * scan below done with memchr */
        const char *a = memchr(s, '<', len), *c = memchr(s, ',', len);
        if (c && (a == NULL || c < a)) {
            *end = (size_t)(c - s);
        } else if (a) {
            *lt = (size_t)(a - s);
            const char *g = memchr(a + 1, '>', len - *lt - 1);
            if (g) {
                *gt = (size_t)(g - s);
                c = memchr(g + 1, ',', len - *gt - 1);
                if (c)
                    *end = (size_t)(c - s);
            }
        }
        return;
    }
    bool q = false, group = false, at = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < len) {
            i++;
            continue;
        }
        if (q) {
            q = c != '"';
            continue;
        }
        if (c == '"')
            q = true;
        else if (c == '(')
            i = comment_end(s, len, i);
        else if (c == '<' && *lt == len)
            *lt = i;
        else if (c == '>' && *lt != len && *gt == len)
            *gt = i;
        else if (c == '@' && *lt == len)
            at = true;
        else if (c == ':' && *lt == len && !at && !group) {
            group = true; /* "display-name:" starts a group: its members follow */
            *start = i + 1;
        } else if ((c == ',' || (c == ';' && group)) && (*lt == len || *gt != len)) {
            *end = i;
            break;
        }
    }
}

int tc_mail_parse_address(const char *s, size_t len, tc_buf *name, tc_buf *addr,
                          size_t *n_bad, bool *unknown)
{
    tc_buf_reset(name);
    tc_buf_reset(addr);
    size_t start, end, lt, gt;
    find_mailbox(s, len, &start, &end, &lt, &gt);
    int rc;
    if (lt < end && gt < end && gt > lt) {
        rc = decode_phrase(name, s + start, lt - start, NULL, n_bad, unknown);
        if (rc == TC_OK)
            rc = put_addr_spec(addr, s + lt + 1, gt - lt - 1, n_bad, unknown);
        if (rc == TC_OK && name->len == 0 && gt + 1 < end) {
            /* "<addr> (Name)": the comment names the sender */
            tc_buf rest = {0};
            rc = decode_phrase(&rest, s + gt + 1, end - gt - 1, name, n_bad, unknown);
            tc_buf_free(&rest);
        }
    } else if (one_word(s + start, end - start)) {
        /* "addr (Name)" or a bare address */
        tc_buf words = {0};
        rc = decode_phrase(&words, s + start, end - start, name, n_bad, unknown);
        tc_buf_free(&words);
        size_t again = 0; /* its bytes were counted with the words */
        if (rc == TC_OK)
            rc = put_addr_spec(addr, s + start, end - start, &again, unknown);
    } else {
        /* no address ("Mail Delivery System", "Big Bug bb@bug.com"): the
         * words, joined by single spaces, as that is what names the sender */
        tc_buf words = {0};
        rc = decode_phrase(&words, s + start, end - start, name, n_bad, unknown);
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
