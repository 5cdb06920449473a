/*
 * mail_params.c - parameters of MIME header values (tc_mail_params, see
 * threadconv/mail.h): RFC 2045 section 5.1, with the RFC 2231 forms
 * (charset and language, continuations) that long or non-ASCII file
 * names take.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/mail.h>

#include <string.h>

#define MAX_SECTIONS 1000 /* RFC 2231 continuations looked for per name */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One parameter as written: its name, and its value when it has one (the
 * text between the quotes of a quoted string, still escaped). */
typedef struct param {
    const char *name;
    size_t name_len;
    bool has_value, quoted;
    const char *value;
    size_t value_len;
} param;

/* The parameter after the ';' at *i; *i is left at the next ';' (or len). */
static void next_param(const char *s, size_t len, size_t *i, param *p)
{
    size_t k = *i + 1; /* past ';' */
    while (k < len && is_ws(s[k]))
        k++;
    p->name = s + k;
    while (k < len && s[k] != '=' && s[k] != ';' && !is_ws(s[k]))
        k++;
    p->name_len = (size_t)(s + k - p->name);
    p->has_value = p->quoted = false;
    p->value = NULL;
    p->value_len = 0;
    while (k < len && is_ws(s[k]))
        k++;
    if (k < len && s[k] == '=') {
        k++;
        while (k < len && is_ws(s[k]))
            k++;
        p->has_value = true;
        if (k < len && s[k] == '"') {
            p->quoted = true;
            p->value = s + ++k;
            for (; k < len && s[k] != '"'; k++)
                if (s[k] == '\\' && k + 1 < len)
                    k++;
            p->value_len = (size_t)(s + k - p->value);
            if (k < len)
                k++;
        } else {
            /* a token; senders that do not quote a value with blanks in it
             * ("name=This is a test.txt") mean it all, as mail clients read
             * it: to the next ';', blanks at its end off */
            p->value = s + k;
            while (k < len && s[k] != ';')
                k++;
            p->value_len = (size_t)(s + k - p->value);
            while (p->value_len > 0 && is_ws(p->value[p->value_len - 1]))
                p->value_len--;
        }
    }
    bool q = false; /* to the next ';' outside quotes */
    while (k < len && (q || s[k] != ';')) {
        if (s[k] == '"')
            q = !q;
        k++;
    }
    *i = k;
}

/* The value of p appended to out: unescaped when quoted. */
static int put_value(tc_buf *out, const param *p)
{
    if (!p->quoted)
        return tc_buf_append(out, p->value, p->value_len);
    for (size_t j = 0; j < p->value_len; j++) {
        if (p->value[j] == '\\' && j + 1 < p->value_len)
            j++;
        if (tc_buf_putc(out, p->value[j]) != TC_OK)
            return TC_ERR_NOMEM;
    }
    return TC_OK;
}

/* The plain parameters: the first of each name with a value. */
static int plain_params(const char *s, size_t len, const char *const *names, size_t count,
                        tc_buf *values, bool *found)
{
    const char *semi = memchr(s, ';', len); /* the value before it is not a parameter */
    size_t i = semi ? (size_t)(semi - s) : len;
    while (i < len) {
        param p;
        next_param(s, len, &i, &p);
        if (!p.has_value)
            continue;
        for (size_t m = 0; m < count; m++) {
            if (found[m] || !tc__mail_ieq(p.name, p.name_len, names[m]))
                continue;
            found[m] = true;
            tc_buf_reset(&values[m]);
            if (put_value(&values[m], &p) != TC_OK || tc_buf_append(&values[m], "", 0) != TC_OK)
                return TC_ERR_NOMEM;
            break;
        }
    }
    return TC_OK;
}

/*
 * Whether p is a piece of name in the RFC 2231 form: "NAME*" (*section
 * -1) or "NAME*N" / "NAME*N*" (section N); *extended says whether its
 * value is charset'language'%XX-encoded (a '*' at the end).
 */
static bool rfc2231_piece(const param *p, const char *name, long *section, bool *extended)
{
    size_t n = strlen(name), l = p->name_len;
    if (!p->has_value || l < n + 1 || p->name[n] != '*' || !tc__mail_ieq(p->name, n, name))
        return false;
    if (l == n + 1) {
        *section = -1;
        *extended = true;
        return true;
    }
    const char *d = p->name + n + 1;
    size_t dn = l - n - 1;
    *extended = d[dn - 1] == '*';
    if (*extended)
        dn--;
    if (dn == 0 || dn > 4 || (d[0] == '0' && dn > 1))
        return false;
    long v = 0;
    for (size_t k = 0; k < dn; k++) {
        if (d[k] < '0' || d[k] > '9')
            return false;
        v = v * 10 + (d[k] - '0');
    }
    *section = v;
    return true;
}

/* The pieces' bytes: "%XX" decoded in an extended piece (a '%' that
 * starts no escape kept); the first piece's charset'language' prefix
 * taken off into charset. */
static int put_piece(tc_buf *raw, const param *p, bool extended, bool first, char *charset,
                     size_t charset_size)
{
    tc_buf v = {0};
    int rc = put_value(&v, p);
    const char *t = v.data ? v.data : "";
    size_t tn = v.len;
    if (rc == TC_OK && extended && first) {
        const char *q1 = memchr(t, '\'', tn);
        const char *q2 = q1 ? memchr(q1 + 1, '\'', tn - (size_t)(q1 + 1 - t)) : NULL;
        if (q2) {
            size_t cn = (size_t)(q1 - t) < charset_size - 1 ? (size_t)(q1 - t) : charset_size - 1;
            memcpy(charset, t, cn);
            charset[cn] = '\0';
            tn -= (size_t)(q2 + 1 - t);
            t = q2 + 1;
        }
    }
    for (size_t k = 0; rc == TC_OK && k < tn; k++) {
        char c = t[k];
        if (extended && c == '%' && k + 2 < tn && tc__mail_hex(t[k + 1]) >= 0 &&
            tc__mail_hex(t[k + 2]) >= 0) {
            c = (char)(tc__mail_hex(t[k + 1]) * 16 + tc__mail_hex(t[k + 2]));
            k += 2;
        }
        rc = tc_buf_putc(raw, c);
    }
    tc_buf_free(&v);
    return rc;
}

/* The RFC 2231 value of name into value, when s has one (*found). */
static int rfc2231_param(const char *s, size_t len, const char *name, tc_buf *value,
                         bool *found)
{
    tc_buf raw = {0};
    char charset[64] = "";
    int rc = TC_OK;
    bool any = false;
    /* "NAME*" alone, else the sections 0, 1, 2, ... up to the first missing */
    for (long want = -1; want < MAX_SECTIONS && rc == TC_OK; want++) {
        const char *semi = memchr(s, ';', len);
        size_t i = semi ? (size_t)(semi - s) : len;
        bool got = false;
        while (i < len && !got) {
            param p;
            long section;
            bool extended;
            next_param(s, len, &i, &p);
            if (!rfc2231_piece(&p, name, &section, &extended) || section != want)
                continue;
            got = true;
            rc = put_piece(&raw, &p, extended, want <= 0, charset, sizeof charset);
        }
        any |= got;
        if (want == -1 ? got : !got)
            break;
    }
    if (rc == TC_OK && any) {
        *found = true;
        tc_buf_reset(value);
        rc = tc_mail_to_utf8(value, charset[0] ? charset : NULL, raw.data ? raw.data : "",
                             raw.len, &(size_t){0}, &(bool){false});
    }
    tc_buf_free(&raw);
    return rc;
}

int tc_mail_params(const char *s, size_t len, const char *const *names, tc_buf *values,
                   bool *found)
{
    size_t count = 0;
    while (names[count])
        found[count++] = false;
    int rc = plain_params(s, len, names, count, values, found);
    if (rc != TC_OK || !memchr(s, '*', len))
        return rc;
    for (size_t m = 0; m < count && rc == TC_OK; m++)
        rc = rfc2231_param(s, len, names[m], &values[m], &found[m]);
    return rc;
}

int tc_mail_param(const char *s, size_t len, const char *name, tc_buf *value, bool *found)
{
    const char *names[] = {name, NULL};
    return tc_mail_params(s, len, names, value, found);
}
