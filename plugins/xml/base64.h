/*
 * base64.h - base64 (RFC 4648, section 4) for the xml module's
 * <attachment> elements (base64.c).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_XML_BASE64_H
#define TC_XML_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes per line of base64 the writer writes: 57 bytes, 76 characters, as
 * MIME does (RFC 2045). */
#define TCXML_B64_LINE_BYTES 57
#define TCXML_B64_LINE_CHARS 76


/* Where a decoder is. */
enum { TCXML_B64_DIGITS = 0, TCXML_B64_PAD = 1, TCXML_B64_DONE = 2 };

/* A streaming decoder: zero it before the first piece. */
typedef struct xml_b64 {
    uint32_t acc; /* the digits of the group so far, 6 bits each */
    unsigned n;   /* how many (0-3) */
    int state;    /* TCXML_B64_DIGITS; TCXML_B64_PAD after the first = of "==";
                     TCXML_B64_DONE after the padding */
} xml_b64;

/* xml_b64_decode's result for text that is not base64. */
#define TCXML_B64_ERROR ((size_t)-1)

/*
 * Decode the next piece s[0..len) of the text into out, which has room for
 * len / 4 * 3 + 3 bytes; white space (space, tab, CR, LF) anywhere is
 * skipped.  Returns the number of bytes written, or TCXML_B64_ERROR with
 * *bad the offset in s of the character that is wrong and *why (static)
 * saying what was expected there.
 */
size_t xml_b64_decode(xml_b64 *d, const unsigned char *s, size_t len, unsigned char *out,
                      size_t *bad, const char **why);

/* At the end of the text: NULL when it was whole, else (static) what was
 * expected. */
const char *xml_b64_end(const xml_b64 *d);

#endif
