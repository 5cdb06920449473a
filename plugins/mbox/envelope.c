/*
 * envelope.c - what the mbox reader reads outside the MIME structure:
 * From_ lines (and the probe, which looks for one), and subjects' reply
 * prefixes.
 * (Charsets, encoded words, transfer encodings, addresses and MIME
 * parameters are the library's, threadconv/mail.h; Date: headers its
 * tc_date_parse_rfc5322.)
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <string.h>
#include <strings.h>

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

size_t mbox_from_line(const char *line, size_t len, tc_date *date)
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

int mbox_separator(const char *line, size_t len, tc_date *date)
{
    if (len < 5 || memcmp(line, "From ", 5) != 0)
        return MBOX_SEP_NONE;
    return len >= 5 + 16 && mbox_from_line(line, len, date) ? MBOX_SEP_DATED : MBOX_SEP_BARE;
}

bool mbox_message_field(const char *s, size_t n)
{
    if (mbox_header_kind(s, n) != MBOX_K_OTHER)
        return true;
    static const char *const names[] = {
        "received", "return-path", "mime-version", "delivered-to", "sender", "reply-to",
        "x-mozilla-status", "x-mozilla-status2", "envelope-to", "status", "x-status",
        "x-uidl", "x-gm-thrid", "x-gmail-labels", "x-original-to", "user-agent", "x-mailer",
        "resent-from", "resent-date", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Subjects                                                            */
/* ------------------------------------------------------------------ */

size_t mbox_strip_reply(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len, count = 0;
    for (;;) {
        while (n > 0 && is_ws(*p)) {
            p++;
            n--;
        }
        size_t k = 0;
        if (n >= 2 && strncasecmp(p, "re", 2) == 0)
            k = 2;
        else if (n >= 3 && strncasecmp(p, "fwd", 3) == 0)
            k = 3;
        else if (n >= 2 && strncasecmp(p, "fw", 2) == 0)
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

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

int mbox_read_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const char *p = (const char *)head, *end = p + len;
    bool junk = false;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* a byte-order mark (Thunderbird) */
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t';
        if (!blank) {
            int kind = mbox_separator(p, n, NULL);
            if (kind == MBOX_SEP_BARE && !junk) {
                /* "From -", "From 1844...@xxx": a header field must follow */
                const char *q = nl ? nl + 1 : end;
                const char *nl2 = memchr(q, '\n', (size_t)(end - q));
                size_t n2 = (size_t)((nl2 ? nl2 : end) - q);
                size_t hn = mbox_header_name(q, n2);
                if (hn && mbox_message_field(q, hn))
                    return TC_PROBE_SURE;
            }
            if (kind == MBOX_SEP_DATED) {
                if (!junk)
                    return TC_PROBE_SURE;
                /* text first, a From_ line later: the header must follow */
                const char *q = nl ? nl + 1 : end;
                const char *nl2 = memchr(q, '\n', (size_t)(end - q));
                size_t n2 = (size_t)((nl2 ? nl2 : end) - q);
                return mbox_header_name(q, n2) ? TC_PROBE_LIKELY : TC_PROBE_MAYBE;
            }
            junk = true;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return TC_PROBE_NO;
}
