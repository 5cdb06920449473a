/*
 * base64.c - base64 (RFC 4648, section 4: the standard alphabet, padded)
 * for the bytes of an <attachment>: the reader's streaming decoder, which
 * gets the text in pieces (the writer encodes with the SDK's
 * tc_base64_encode).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "base64.h"

/* What a byte of base64 text is: a digit's value (0-63), or one of these. */
enum { B_SPACE = 64, B_PAD = 65, B_BAD = 66 };

static unsigned char value_of(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return (unsigned char)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (unsigned char)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (unsigned char)(c - '0' + 52);
    switch (c) {
    case '+': return 62;
    case '/': return 63;
    case '=': return B_PAD;
    case ' ': case '\t': case '\n': case '\r': return B_SPACE;
    default: return B_BAD;
    }
}

size_t xml_b64_decode(xml_b64 *d, const unsigned char *s, size_t len, unsigned char *out,
                      size_t *bad, const char **why)
{
    unsigned char *o = out;
    for (size_t i = 0; i < len; i++) {
        unsigned char v = value_of(s[i]);
        if (v == B_SPACE)
            continue;
        if (v == B_BAD) {
            *why = "expected A-Z, a-z, 0-9, +, / or = (or white space)";
        } else if (d->state == TCXML_B64_DONE) {
            *why = "expected nothing but white space after the padding =";
        } else if (d->state == TCXML_B64_PAD) {
            if (v == B_PAD) {
                d->state = TCXML_B64_DONE;
                continue;
            }
            *why = "expected a second = to end the padding";
        } else if (v == B_PAD) {
            /* the last group: 2 digits and "==" (one byte), or 3 and "=" (two) */
            if (d->n < 2) {
                *why = "expected at least 2 digits of the last group before =";
            } else if ((d->acc & (d->n == 2 ? 0xFu : 0x3u)) != 0) {
                *why = "the digit before = has bits that belong to no byte: expected the "
                       "padded form RFC 4648 writes";
            } else {
                if (d->n == 2) {
                    *o++ = (unsigned char)(d->acc >> 4);
                    d->state = TCXML_B64_PAD;
                } else {
                    *o++ = (unsigned char)(d->acc >> 10);
                    *o++ = (unsigned char)(d->acc >> 2);
                    d->state = TCXML_B64_DONE;
                }
                d->n = 0;
                d->acc = 0;
                continue;
            }
        } else {
            d->acc = d->acc << 6 | v;
            if (++d->n == 4) {
                *o++ = (unsigned char)(d->acc >> 16);
                *o++ = (unsigned char)(d->acc >> 8);
                *o++ = (unsigned char)d->acc;
                d->n = 0;
                d->acc = 0;
            }
            continue;
        }
        *bad = i;
        return TCXML_B64_ERROR;
    }
    return (size_t)(o - out);
}

const char *xml_b64_end(const xml_b64 *d)
{
    if (d->state == TCXML_B64_PAD)
        return "expected a second = to end the padding";
    if (d->n != 0)
        return "expected the last group of 4 characters to be complete (padded with =)";
    return NULL;
}
