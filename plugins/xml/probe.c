/*
 * probe.c - the "xml" reader's probe: is this our XML, from the first
 * bytes alone, without a parser.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "xml.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

static bool name_char(unsigned char c)
{
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
}

/*
 * SURE when the first element is <archive> (any prefix) in our namespace;
 * MAYBE for other XML; NO otherwise.  Only the prolog (XML declaration,
 * comments, processing instructions, white space) may come before it.
 */
int xml_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const unsigned char *p = head, *end = head + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    bool xmlish = false;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
        if (p >= end || *p != '<')
            return xmlish ? TC_PROBE_MAYBE : TC_PROBE_NO;
        if (end - p >= 2 && p[1] == '!' && (end - p < 4 || memcmp(p, "<!--", 4) != 0))
            return TC_PROBE_MAYBE; /* <!DOCTYPE ...: XML, though not ours as it stands */
        const char *close = NULL;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
            close = "-->";
        else if (end - p >= 2 && p[1] == '?')
            close = "?>";
        if (close == NULL)
            break;
        xmlish = true;
        const unsigned char *q = p + 2;
        size_t cl = strlen(close);
        while (q + cl <= end && memcmp(q, close, cl) != 0)
            q++;
        if (q + cl > end)
            return TC_PROBE_MAYBE;
        p = q + cl;
    }
    /* the first element's start tag: name, then attributes */
    const unsigned char *q = ++p;
    while (q < end && name_char(*q))
        q++;
    if (q == p)
        return xmlish ? TC_PROBE_MAYBE : TC_PROBE_NO;
    const unsigned char *colon = memchr(p, ':', (size_t)(q - p));
    const unsigned char *local = colon ? colon + 1 : p;
    if ((size_t)(q - local) != 7 || memcmp(local, "archive", 7) != 0)
        return TC_PROBE_MAYBE;
    /* the declaration that binds the root's prefix (or the default) */
    char want[80];
    snprintf(want, sizeof want, "xmlns%s%.*s", colon ? ":" : "", colon ? (int)(colon - p) : 0,
             (const char *)p);
    size_t want_len = strlen(want);
    while (q < end && *q != '>') {
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        const unsigned char *an = q;
        while (q < end && name_char(*q))
            q++;
        size_t an_len = (size_t)(q - an);
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (an_len == 0 || q >= end || *q != '=')
            break;
        q++;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        if (q >= end || (*q != '"' && *q != '\''))
            break;
        unsigned char quote = *q++;
        const unsigned char *v = q;
        while (q < end && *q != quote)
            q++;
        if (q >= end)
            break;
        if (an_len == want_len && memcmp(an, want, an_len) == 0)
            return (size_t)(q - v) == strlen(TCXML_NS) && memcmp(v, TCXML_NS, strlen(TCXML_NS)) == 0
                       ? TC_PROBE_SURE
                       : TC_PROBE_MAYBE;
        q++;
    }
    return TC_PROBE_MAYBE;
}
