/*
 * mail.c - the mbox module's common layer (mail.h): an extra field's key
 * as a header name and back, the one encoding its writers and its reader
 * must agree on.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mail.h"

#include <string.h>

static const char hex_digits[] = "0123456789ABCDEF";

/* A byte a key keeps as it is in a header name. */
static bool key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

int mbox_encode_key(tc_buf *out, const char *prefix, const char *key)
{
    size_t pn = strlen(prefix), kn = strlen(key);
    if (tc_buf_reserve(out, pn + 3 * kn) != TC_OK)
        return TC_ERR_NOMEM;
    char *o = out->data + out->len;
    memcpy(o, prefix, pn);
    o += pn;
    for (size_t i = 0; i < kn; i++) {
        unsigned char c = (unsigned char)key[i];
        if (key_char(c)) {
            *o++ = (char)c;
        } else {
            o[0] = '_';
            o[1] = hex_digits[c >> 4];
            o[2] = hex_digits[c & 15];
            o += 3;
        }
    }
    *o = '\0';
    out->len = (size_t)(o - out->data);
    return TC_OK;
}

/* The value of the hex digit c, either case (header names are
 * case-insensitive), -1 for another byte. */
static int digit(char c)
{
    const char *p = c ? strchr(hex_digits, c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c) : NULL;
    return p ? (int)(p - hex_digits) : -1;
}

bool mbox_decode_key(tc_buf *out, const char *s, size_t len)
{
    tc_buf_reset(out);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '_') {
            int h1 = i + 2 < len ? digit(s[i + 1]) : -1;
            int h2 = i + 2 < len ? digit(s[i + 2]) : -1;
            if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0))
                return false;
            c = (char)(h1 * 16 + h2);
            i += 2;
        } else if (c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a'); /* header names are case-insensitive */
        }
        if (tc_buf_putc(out, c) != TC_OK)
            return false;
    }
    return out->len > 0 && tc_utf8_valid(out->data, out->len, NULL, NULL);
}
