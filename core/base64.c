/* base64.c - the SDK's base64 encoder (threadconv.h), shared by the writers
 * that carry bytes as text: json and xml attachments, mail's encoded words.
 * Decoding stays with the readers, whose messages need their positions. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/threadconv.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t tc_base64_encode(const void *in, size_t n, char *out)
{
    const unsigned char *b = in;
    char *o = out;
    size_t i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[v >> 12 & 0x3F];
        *o++ = alphabet[v >> 6 & 0x3F];
        *o++ = alphabet[v & 0x3F];
    }
    if (n - i > 0) {
        uint32_t v = (uint32_t)b[i] << 16 | (n - i == 2 ? (uint32_t)b[i + 1] << 8 : 0);
        *o++ = alphabet[v >> 18];
        *o++ = alphabet[v >> 12 & 0x3F];
        *o++ = n - i == 2 ? alphabet[v >> 6 & 0x3F] : '=';
        *o++ = '=';
    }
    return (size_t)(o - out);
}
