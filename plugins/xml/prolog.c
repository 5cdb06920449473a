/*
 * prolog.c - the "xml" reader's scan of the prolog (see reader.h): every
 * byte before the root element is followed here before libxml2 sees it, so
 * that a <!DOCTYPE is refused before any DTD is parsed.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* The prolog scan                                                     */
/* ------------------------------------------------------------------ */

/*
 * Follow the prolog through buf[0..n): XML declaration, comments,
 * processing instructions and white space, up to the root element.
 * Returns false when a <!DOCTYPE begins (the problem is then noted).
 */
bool xr_scan_prolog(xr *x, const unsigned char *buf, size_t n)
{
    static const char doctype[] = "DOCTYPE";
    for (size_t i = 0; i < n && x->scan != XR_SCAN_DONE; i++) {
        unsigned char c = buf[i];
        uint64_t off = x->scan_bytes++;
        if (off < 3 && off == x->bom && c == (unsigned char)"\xEF\xBB\xBF"[off]) {
            x->bom++; /* a byte-order mark: not counted as a column */
            continue;
        }
        uint64_t line = x->line, col = x->col;
        if (c == '\n') {
            x->line++;
            x->col = 1;
        } else if ((c & 0xC0) != 0x80) {
            x->col++;
        }
        switch (x->scan) {
        case XR_SCAN_MISC:
            if (c == '<') {
                x->scan = XR_SCAN_LT;
                x->lt_line = line;
                x->lt_col = col;
            } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                x->scan = XR_SCAN_DONE;
            }
            break;
        case XR_SCAN_LT:
            if (c == '?') {
                x->scan = XR_SCAN_PI;
            } else if (c == '!') {
                x->scan = XR_SCAN_BANG;
                x->bang_n = 0;
            } else {
                x->root_line = x->lt_line;
                x->root_col = x->lt_col;
                x->scan = XR_SCAN_DONE;
            }
            break;
        case XR_SCAN_PI:
            if (c == '?')
                x->scan = XR_SCAN_PI_Q;
            break;
        case XR_SCAN_PI_Q:
            x->scan = c == '>' ? XR_SCAN_MISC : c == '?' ? XR_SCAN_PI_Q : XR_SCAN_PI;
            break;
        case XR_SCAN_BANG:
            x->bang[x->bang_n++] = (char)c;
            if (x->bang_n == 2 && x->bang[0] == '-' && x->bang[1] == '-') {
                x->scan = XR_SCAN_COMMENT;
            } else if (x->bang_n <= 7 && memcmp(x->bang, doctype, x->bang_n) == 0) {
                if (x->bang_n == 7) {
                    xr_fail(x, TC_ERR_DATA, x->lt_line, x->lt_col,
                            "<!DOCTYPE is not allowed: threadconv XML has no document type "
                            "declaration (a DTD could load external entities or expand entities "
                            "without bound); expected the root element " XR_ROOT_SHAPE);
                    return false;
                }
            } else if (!(x->bang_n == 1 && c == '-')) {
                x->scan = XR_SCAN_DONE; /* "<![CDATA[" or worse: libxml2 refuses it */
            }
            break;
        case XR_SCAN_COMMENT:
            if (c == '-')
                x->scan = XR_SCAN_COMMENT1;
            break;
        case XR_SCAN_COMMENT1:
            x->scan = c == '-' ? XR_SCAN_COMMENT2 : XR_SCAN_COMMENT;
            break;
        case XR_SCAN_COMMENT2:
            x->scan = c == '>' ? XR_SCAN_MISC : c == '-' ? XR_SCAN_COMMENT2 : XR_SCAN_COMMENT;
            break;
        case XR_SCAN_DONE:
            break;
        }
    }
    return true;
}
