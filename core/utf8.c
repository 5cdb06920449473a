/* utf8.c - strict UTF-8 validation (RFC 3629) with the position of the
 * first bad byte, for error messages that name a column. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/threadconv.h>

#include <string.h>

/* Length of the valid sequence at s[0..len), or 0 when it is not valid. */
static size_t sequence_length(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    if (c >= 0x01 && c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return len >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0; /* NUL, stray continuation byte, 0xC0/0xC1, 0xF5.. */
}

bool tc_utf8_valid(const char *str, size_t len, size_t *bad_offset,
                   size_t *bad_column)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    size_t column = 1;
    while (i < len) {
        /* ASCII runs are the common case: check eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* high bit set, or a zero byte (NUL), leaves the fast path */
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
            column += 8;
        }
        if (i >= len)
            break;
        size_t n = sequence_length(s + i, len - i);
        if (n == 0) {
            if (bad_offset)
                *bad_offset = i;
            if (bad_column)
                *bad_column = column;
            return false;
        }
        i += n;
        column++;
    }
    return true;
}
