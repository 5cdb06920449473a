/* json.c - the SDK's streaming pull parser for JSON, jansson's grammar and messages; see
 * threadconv/json.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/json.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DEFAULT_WINDOW 65536
#define MIN_WINDOW 16 /* the most a token needs to see at once: "\uD83D\uDE00" is 12 */
#define AHEAD_SIZE 65536

/* Internal token codes: punctuation is the byte itself. */
enum {
    T_ERROR = -2,   /* an error was set */
    T_INVALID = -1, /* not a token; the grammar says what it expected */
    T_EOF = 0,
    T_STRING = 256,
    T_INTEGER,
    T_REAL,
    T_TRUE,
    T_FALSE,
    T_NULL
};

/* j->top_state, when no object or array is open. */
enum { TOP_START = 0, TOP_DONE, TOP_EOF };
/* tc_json_frame.state */
enum { ST_FIRST = 0, ST_VALUE, ST_NEXT };

static inline uint64_t off_of(const tc_json *j, const unsigned char *p)
{
    return j->base + (uint64_t)(p - j->buf);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static void set_error(tc_json *j, uint64_t off, bool decode, const char *fmt, va_list ap)
    TC_PRINTF(4, 0);

static void set_error(tc_json *j, uint64_t off, bool decode, const char *fmt, va_list ap)
{
    if (j->err.code != TC_OK)
        return; /* the first error is the one jansson reports */
    j->err.code = TC_ERR_DATA;
    j->err.off = off;
    j->err.tok = j->tok <= off ? j->tok : off;
    j->err.line = j->line;
    j->err.line_off = j->line_off <= off ? j->line_off : off;
    j->err.nuls = j->line_nuls;
    j->err.decode = decode;
    vsnprintf(j->err.text, sizeof j->err.text, fmt, ap);
}

/* A syntax error found with the input read up to off. */
static int fail_at(tc_json *j, uint64_t off, const char *fmt, ...) TC_PRINTF(3, 4);
static int fail_at(tc_json *j, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(j, off, false, fmt, ap);
    va_end(ap);
    return T_ERROR;
}

/* An undecodable byte at p (jansson stops before it). */
static int fail_decode(tc_json *j, const unsigned char *p)
{
    if (j->err.code == TC_OK) {
        j->err.code = TC_ERR_DATA;
        j->err.off = off_of(j, p);
        j->err.tok = j->tok <= j->err.off ? j->tok : j->err.off;
        j->err.line = j->line;
        j->err.line_off = j->line_off;
        j->err.nuls = j->line_nuls;
        j->err.decode = true;
        snprintf(j->err.text, sizeof j->err.text, "unable to decode byte 0x%x", *p);
    }
    return T_ERROR;
}

/* A grammar error after the token just read (jansson has read all of it). */
static tc_json_event fail_here(tc_json *j, const char *what)
{
    fail_at(j, off_of(j, j->cur), "%s", what);
    return TC_JSON_ERROR;
}

/* A failed read or allocation: code, with the stream's error set for a read. */
static int fail_io(tc_json *j, int code)
{
    if (j->err.code == TC_OK) {
        j->err.code = code;
        j->err.off = j->err.tok = off_of(j, j->cur);
        j->err.line = j->line;
        j->err.line_off = j->line_off;
        snprintf(j->err.text, sizeof j->err.text, "%s",
                 code == TC_ERR_NOMEM ? "out of memory" : "read error");
    }
    return T_ERROR;
}

/* ------------------------------------------------------------------ */
/* The window                                                          */
/* ------------------------------------------------------------------ */

/* Make at least need bytes readable at cur (fewer only at the end of the
 * input); pointers into the window move.  Returns the count readable, or
 * -1 when reading failed (the error is set). */
static long fill(tc_json *j, size_t need)
{
    size_t avail = (size_t)(j->lim - j->cur);
    if (avail >= need || j->eof)
        return (long)avail;
    if (j->in == NULL) {
        j->eof = true;
        return (long)avail;
    }
    size_t used = (size_t)(j->cur - j->buf);
    if (used > 0) {
        memmove(j->own, j->cur, avail);
        j->base += used;
    }
    j->buf = j->cur = j->own;
    j->lim = j->own + avail;
    while (avail < need && !j->eof) {
        long n = tc_stream_read(j->in, j->own + avail, j->own_cap - avail);
        if (n < 0) {
            fail_io(j, (int)n);
            return -1;
        }
        if (n == 0)
            j->eof = true;
        avail += (size_t)n;
        j->lim = j->own + avail;
    }
    return (long)avail;
}

/* ------------------------------------------------------------------ */
/* UTF-8, as jansson checks it (utf8_check_first / utf8_check_full)    */
/* ------------------------------------------------------------------ */

/* Length of the sequence a byte starts, 0 when it cannot start one. */
static inline int lead_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* The character at p[0..avail) (p[0] >= 0x80) is valid: its length, else 0. */
static int char_length(const unsigned char *p, size_t avail)
{
    int n = lead_length(p[0]);
    if (n == 0 || (size_t)n > avail)
        return 0;
    uint32_t v = p[0] & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
        return 0;
    return n;
}

/* The character at cur, a byte >= 0x80: its length when it decodes, else 0
 * with the error set; -1 when reading failed.  Pointers may move. */
static int check_char(tc_json *j)
{
    long avail = fill(j, 4);
    if (avail < 0)
        return -1;
    int n = char_length(j->cur, (size_t)avail);
    if (n == 0)
        fail_decode(j, j->cur);
    return n;
}

/* The first undecodable character in p[0..end) (a character that would run
 * past end is one), with the error set. */
static int fail_decode_in(tc_json *j, const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n = char_length(p, (size_t)(end - p));
        if (n == 0)
            return fail_decode(j, p);
        p += n;
    }
    return fail_decode(j, end); /* not reached: the caller found a bad one */
}

/* Bytes of p[0..end) that need a look: '"', '\\', controls.  *hi gets the
 * high bit of every byte before the returned one.  padded: 16 bytes may be
 * read from anywhere before end. */
static inline const unsigned char *find_special(const unsigned char *p, const unsigned char *end,
                                                unsigned *hi, bool padded)
{
    unsigned h = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i high3 = _mm_set1_epi8((char)0xE0);
    const __m128i zero = _mm_setzero_si128();
    while (p < end && (padded || end - p >= 16)) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i s = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmpeq_epi8(_mm_and_si128(v, high3), zero));
        unsigned m = (unsigned)_mm_movemask_epi8(s);
        unsigned hm = (unsigned)_mm_movemask_epi8(v);
        if (end - p < 16) {
            unsigned keep = (1u << (end - p)) - 1;
            m &= keep;
            hm &= keep;
        }
        if (m != 0) {
            unsigned i = (unsigned)__builtin_ctz(m);
            *hi = h | (hm & ((1u << i) - 1));
            return p + i;
        }
        h |= hm;
        p += 16;
    }
    if (p >= end) {
        *hi = h;
        return end;
    }
#else
    (void)padded;
#endif
    for (; p < end; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\' || c < 0x20)
            break;
        h |= c & 0x80;
    }
    *hi = h;
    return p;
}

/* The end of the whole characters in p[0..end) (end itself unless a
 * character is cut by it). */
static inline const unsigned char *whole_chars(const unsigned char *p, const unsigned char *end)
{
    for (int back = 1; back <= 3 && end - back >= p; back++) {
        unsigned char c = end[-back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        if (c >= 0xC0 && lead_length(c) > back)
            return end - back; /* a lead whose character is cut */
        break;
    }
    return end;
}

/* ------------------------------------------------------------------ */
/* Tokens                                                              */
/* ------------------------------------------------------------------ */

/* Skip white space: the next byte (not read), -1 at the end, -2 on failure. */
static int skip_ws(tc_json *j)
{
    for (;;) {
        const unsigned char *p = j->cur, *lim = j->lim;
        while (p < lim) {
            unsigned char c = *p;
            if (c == ' ' || c == '\t' || c == '\r') {
                p++;
            } else if (c == '\n') {
                p++;
                j->line++;
                j->line_off = off_of(j, p);
                j->line_nuls = 0;
            } else {
                j->cur = p;
                return c;
            }
        }
        j->cur = p;
        long n = fill(j, 1);
        if (n < 0)
            return -2;
        if (n == 0)
            return -1;
    }
}

/* Append s[0..n) to a string being decoded: kept in sink up to max bytes,
 * all counted in *total.  When 16 bytes may be read at s (padded) and up to
 * 16 are wanted, they are copied as one block.  Returns 0, or -1 out of
 * memory. */
static inline int emit(tc_buf *sink, size_t max, size_t *total, const void *s, size_t n,
                       bool padded)
{
    if (sink != NULL && *total < max) {
        size_t k = max - *total < n ? max - *total : n;
        if (sink->cap - sink->len < k + 18 && tc_buf_reserve(sink, k + 17) != TC_OK)
            return -1;
#if defined(__SSE2__)
        if (padded && k <= 16)
            _mm_storeu_si128((__m128i *)(void *)(sink->data + sink->len),
                             _mm_loadu_si128((const __m128i *)s));
        else
#else
        (void)padded;
#endif
            memcpy(sink->data + sink->len, s, k);
        sink->len += k;
    }
    *total += n;
    return 0;
}

static inline int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (all readable): their value, or -1. */
static inline int hex4(const unsigned char *p)
{
    int a = hex_value(p[0]), b = hex_value(p[1]), c = hex_value(p[2]), d = hex_value(p[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return a << 12 | b << 8 | c << 4 | d;
}

static size_t utf8_encode(uint32_t v, unsigned char *out)
{
    if (v < 0x80) {
        out[0] = (unsigned char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (unsigned char)(0xC0 | v >> 6);
        out[1] = (unsigned char)(0x80 | (v & 0x3F));
        return 2;
    }
    if (v < 0x10000) {
        out[0] = (unsigned char)(0xE0 | v >> 12);
        out[1] = (unsigned char)(0x80 | (v >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (v & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | v >> 18);
    out[1] = (unsigned char)(0x80 | (v >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (v >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (v & 0x3F));
    return 4;
}

/*
 * A string, cur at its opening quote.  Like jansson, the whole string is
 * read (checking the escapes' form, control characters and UTF-8) before a
 * \u escape that does not decode (a lone surrogate) is reported, at the
 * closing quote.  Sets str_off, str_len, str_capped and *nul (a \u0000).
 */
static int scan_string(tc_json *j, tc_buf *sink, size_t max, bool *nul)
{
    const unsigned char *p = j->cur + 1, *lim = j->lim;
    size_t total = 0;
    char pending[40] = ""; /* the first \u that does not decode */
    *nul = false;
    if (sink != NULL) {
        if (sink->cap - sink->len < 2 && tc_buf_reserve(sink, 1) != TC_OK)
            return fail_io(j, TC_ERR_NOMEM);
        j->str_off = sink->len;
    }
    for (;;) {
        unsigned hi;
        const unsigned char *q = find_special(p, lim, &hi, j->padded);
        const unsigned char *end = q;
        if (hi) {
            if (q == lim && !j->eof)
                end = whole_chars(p, lim);
            if (!tc_utf8_valid((const char *)p, (size_t)(end - p), NULL, NULL)) {
                j->cur = p;
                return fail_decode_in(j, p, end);
            }
        }
        if (end > p) {
            if (emit(sink, max, &total, p, (size_t)(end - p), j->padded) != 0)
                return fail_io(j, TC_ERR_NOMEM);
            p = end;
        }
        if (p == q && p < lim) {
            unsigned char c = *p;
            if (c == '"') {
                p++;
                break;
            }
            if (c != '\\') {
                j->cur = p;
                if (c == '\n')
                    return fail_at(j, off_of(j, p), "unexpected newline");
                return fail_at(j, off_of(j, p), "control character 0x%x", c);
            }
            /* An escape: up to 12 bytes may matter ("\uD83D\uDE00"). */
            if (lim - p < 12 && !j->eof) {
                j->cur = p;
                if (fill(j, 12) < 0)
                    return T_ERROR;
                p = j->cur;
                lim = j->lim;
            }
            size_t avail = (size_t)(lim - p);
            if (avail < 2) {
                j->cur = lim;
                return fail_at(j, off_of(j, lim), "invalid escape");
            }
            unsigned char e = p[1], out[16]; /* 16: emit may copy a block */
            size_t n = 1;
            switch (e) {
            case '"': case '\\': case '/': out[0] = e; break;
            case 'b': out[0] = '\b'; break;
            case 'f': out[0] = '\f'; break;
            case 'n': out[0] = '\n'; break;
            case 'r': out[0] = '\r'; break;
            case 't': out[0] = '\t'; break;
            case 'u': {
                uint32_t v = 0;
                for (size_t k = 2; k < 6; k++) {
                    if (k >= avail) {
                        j->cur = lim;
                        return fail_at(j, off_of(j, lim), "invalid escape");
                    }
                    int h = hex_value(p[k]);
                    if (h < 0) {
                        j->cur = p + k;
                        if (p[k] >= 0x80 && char_length(p + k, avail - k) == 0)
                            return fail_decode(j, p + k);
                        return fail_at(j, off_of(j, p + k + 1), "invalid escape");
                    }
                    v = v << 4 | (uint32_t)h;
                }
                p += 6;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    int v2 = avail >= 12 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
                    if (v2 >= 0xDC00 && v2 <= 0xDFFF) {
                        v = 0x10000 + ((v - 0xD800) << 10) + ((uint32_t)v2 - 0xDC00);
                        p += 6;
                    } else if (pending[0] == '\0') {
                        if (v2 >= 0)
                            snprintf(pending, sizeof pending, "invalid Unicode '\\u%04X\\u%04X'",
                                     (unsigned)v, (unsigned)v2);
                        else
                            snprintf(pending, sizeof pending, "invalid Unicode '\\u%04X'",
                                     (unsigned)v);
                    }
                } else if (v >= 0xDC00 && v <= 0xDFFF && pending[0] == '\0') {
                    snprintf(pending, sizeof pending, "invalid Unicode '\\u%04X'", (unsigned)v);
                }
                if (v == 0)
                    *nul = true;
                if (pending[0] == '\0' &&
                    emit(sink, max, &total, out, utf8_encode(v, out), true) != 0)
                    return fail_io(j, TC_ERR_NOMEM);
                continue;
            }
            default:
                j->cur = p + 1;
                if (e >= 0x80 && char_length(p + 1, avail - 1) == 0)
                    return fail_decode(j, p + 1);
                return fail_at(j, off_of(j, p + 2), "invalid escape");
            }
            if (emit(sink, max, &total, out, n, true) != 0)
                return fail_io(j, TC_ERR_NOMEM);
            p += 2;
            continue;
        }
        /* The window is used up (or ends inside a character): read on. */
        size_t have = (size_t)(lim - p);
        j->cur = p;
        long got = fill(j, have + 1);
        if (got < 0)
            return T_ERROR;
        p = j->cur;
        lim = j->lim;
        if ((size_t)got <= have && have == 0)
            return fail_at(j, off_of(j, p), "premature end of input");
        /* with a cut character left at the end, the next round reports it */
    }
    j->cur = p;
    if (sink != NULL) {
        sink->data[sink->len++] = '\0'; /* emit left room for it */
    }
    j->str_len = total;
    j->str_capped = sink != NULL && total > max;
    if (pending[0] != '\0')
        return fail_at(j, off_of(j, p), "%s", pending);
    return T_STRING;
}

/* The byte at cur (not read), checked when it starts a character: -1 at
 * the end, -2 when it does not decode or reading failed. */
static int look(tc_json *j)
{
    if (j->cur >= j->lim) {
        long n = fill(j, 1);
        if (n < 0)
            return -2;
        if (n == 0)
            return -1;
    }
    int c = *j->cur;
    if (c >= 0x80 && check_char(j) <= 0)
        return -2;
    return c;
}

/*
 * A quirk of jansson's reader kept: it puts the byte after a number or a
 * word back when the token ends, and a NUL byte put back is lost (its
 * one-character buffer takes NUL for "empty"), so a NUL right after a
 * number, true, false or null is skipped, as if it were not there, when the
 * next token is read, and not counted in columns.  c is the byte after the
 * token (read, not taken).
 */
static inline void drop_nul_later(tc_json *j, int c)
{
    j->drop_nul = c == 0;
}

static inline void drop_nul_now(tc_json *j)
{
    if (j->drop_nul) {
        j->drop_nul = false;
        if (j->cur < j->lim && *j->cur == 0) {
            j->cur++;
            j->line_nuls++;
        }
    }
}

static inline bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* A number, cur at '-' or a digit: jansson's lex_scan_number. */
static int scan_number(tc_json *j)
{
    bool neg = false;
    int c = look(j);
    if (c == '-') {
        neg = true;
        j->cur++;
        c = look(j);
    }
    if (c == -2)
        return T_ERROR;
    uint64_t mag = 0;
    bool big = false;
    /* For a real: the first significant digits, and the decimal exponent of
     * the first of them (value = 0.DIGITS x 10^exp10). */
    char digits[808];
    size_t n_digits = 0;
    bool sticky = false;
    int64_t exp10 = 0;
    if (c == '0') {
        j->cur++;
        c = look(j);
        if (c == -2)
            return T_ERROR;
        if (is_digit(c))
            return T_INVALID; /* a leading zero */
    } else if (is_digit(c)) {
        do {
            unsigned d = (unsigned)(c - '0');
            if (mag > (UINT64_MAX - d) / 10)
                big = true;
            else
                mag = mag * 10 + d;
            if (n_digits < sizeof digits - 8)
                digits[n_digits++] = (char)c;
            else if (c != '0')
                sticky = true;
            if (exp10 < INT64_MAX / 4)
                exp10++;
            j->cur++;
            c = look(j);
        } while (is_digit(c));
        if (c == -2)
            return T_ERROR;
    } else {
        return T_INVALID; /* "-" without a digit */
    }
    if (c != '.' && c != 'e' && c != 'E') {
        if (neg ? (big || mag > (uint64_t)INT64_MAX + 1) : (big || mag > (uint64_t)INT64_MAX))
            return fail_at(j, off_of(j, j->cur),
                           neg ? "too big negative integer" : "too big integer");
        j->integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        drop_nul_later(j, c);
        return T_INTEGER;
    }
    if (c == '.') {
        j->cur++;
        c = look(j);
        if (c == -2)
            return T_ERROR;
        if (!is_digit(c))
            return T_INVALID;
        do {
            if (n_digits == 0 && c == '0') {
                if (exp10 > -INT64_MAX / 4)
                    exp10--; /* 0.00ddd: a leading zero of the fraction */
            } else if (n_digits < sizeof digits - 8) {
                digits[n_digits++] = (char)c;
            } else if (c != '0') {
                sticky = true;
            }
            j->cur++;
            c = look(j);
        } while (is_digit(c));
        if (c == -2)
            return T_ERROR;
    }
    if (c == 'e' || c == 'E') {
        j->cur++;
        c = look(j);
        bool eneg = false;
        if (c == '+' || c == '-') {
            eneg = c == '-';
            j->cur++;
            c = look(j);
        }
        if (c == -2)
            return T_ERROR;
        if (!is_digit(c))
            return T_INVALID;
        int64_t e = 0;
        do {
            if (e < (int64_t)1e15)
                e = e * 10 + (c - '0');
            j->cur++;
            c = look(j);
        } while (is_digit(c));
        if (c == -2)
            return T_ERROR;
        exp10 += eneg ? -e : e;
    }
    /* Overflow as strtod sees it (jansson: "real number overflow"): the
     * largest double is 1.797...e308, so the first digit's exponent
     * decides, but at 10^308 itself, where strtod rounds. */
    while (n_digits > 0 && digits[0] == '0') { /* integer part "0" */
        memmove(digits, digits + 1, --n_digits);
        exp10--;
    }
    if (n_digits > 0 && exp10 >= 309) {
        bool overflow = exp10 > 309;
        if (!overflow) {
            if (sticky)
                digits[n_digits++] = '1';
            snprintf(digits + n_digits, sizeof digits - n_digits, "e%d", 309 - (int)n_digits);
            overflow = isinf(strtod(digits, NULL));
        }
        if (overflow)
            return fail_at(j, off_of(j, j->cur), "real number overflow");
    }
    drop_nul_later(j, c);
    return T_REAL;
}

static inline bool is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* true, false, null, or another word (an invalid token). */
static int scan_word(tc_json *j)
{
    char w[6];
    size_t n = 0;
    int c = *j->cur;
    do {
        if (n < sizeof w)
            w[n] = (char)c;
        n++;
        j->cur++;
        c = look(j);
    } while (is_alpha(c));
    if (c == -2)
        return T_ERROR;
    int t = T_INVALID;
    if (n == 4 && memcmp(w, "true", 4) == 0)
        t = T_TRUE;
    else if (n == 5 && memcmp(w, "false", 5) == 0)
        t = T_FALSE;
    else if (n == 4 && memcmp(w, "null", 4) == 0)
        t = T_NULL;
    if (t != T_INVALID)
        drop_nul_later(j, c);
    return t;
}

/* The next token; a string goes to sink (see tc_json.sink). */
static inline int scan(tc_json *j, tc_buf *sink, size_t max, bool *nul)
{
    drop_nul_now(j);
    int c = j->cur < j->lim && *j->cur > ' ' ? *j->cur : skip_ws(j);
    j->tok = off_of(j, j->cur);
    if (c == -2)
        return T_ERROR;
    if (c == -1)
        return T_EOF;
    switch (c) {
    case '{': case '}': case '[': case ']': case ':': case ',':
        j->cur++;
        return c;
    case '"':
        return scan_string(j, sink, max, nul);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return scan_number(j);
    default:
        break;
    }
    if (is_alpha(c))
        return scan_word(j);
    if (c >= 0x80) {
        /* a character that is no token: all of it is the token's text */
        int n = check_char(j);
        if (n <= 0)
            return T_ERROR;
        j->cur += n;
        return T_INVALID;
    }
    j->cur++;
    return T_INVALID;
}

/* ------------------------------------------------------------------ */
/* Member names                                                        */
/* ------------------------------------------------------------------ */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Bytes of a member name past names_max that are kept all the same, to
 * show in the message. */
#define NAME_SHOWN 24

/* What the next member name may keep of names_max (see json.h) in *room:
 * SIZE_MAX without a cap.  The names kept are in j->names, each with its
 * NUL.  false when even an empty name would pass the cap. */
static bool names_room(const tc_json *j, size_t *room)
{
    *room = SIZE_MAX;
    if (j->names_max == 0)
        return true;
    size_t n = (size_t)j->n_names + 1; /* the open objects' names and the next one */
    if (n > j->names_max / TC_JSON_NAME_COST)
        return false;
    size_t used = n * TC_JSON_NAME_COST;
    if (j->names.len >= j->names_max - used)
        return false;
    used += j->names.len + 1; /* and the next one's NUL */
    *room = j->names_max - used;
    return true;
}

/* The member name at names[off..) of len bytes (kept up to the room it had)
 * passes names_max: the error, where the name starts. */
static tc_json_event names_over(tc_json *j, size_t off, size_t len)
{
    if (j->err.code == TC_OK) {
        size_t kept = j->names.len - off; /* with its NUL */
        const unsigned char *s = (const unsigned char *)j->names.data + off;
        char shown[32];
        size_t n = 0, i = 0;
        while (i + 1 < kept && n < NAME_SHOWN) {
            int k = s[i] < 0x80 ? 1 : char_length(s + i, kept - 1 - i);
            if (k <= 0 || n + (size_t)k > NAME_SHOWN)
                break;
            if (k == 1)
                shown[n++] = s[i] < 0x20 || s[i] == 0x7F ? '?' : (char)s[i];
            else
                memcpy(shown + n, s + i, (size_t)k), n += (size_t)k;
            i += (size_t)k;
        }
        shown[n] = '\0';
        fail_at(j, off_of(j, j->cur), "member name \"%s%s\" (%zu bytes)", shown,
                i < len ? "..." : "", len);
        j->err.limit = true;
    }
    return TC_JSON_ERROR;
}

/* Drop the names from entry first on (the objects that closed). */
static void names_pop(tc_json *j, uint32_t first)
{
    if (first >= j->n_names)
        return;
    for (uint32_t i = j->n_names; i-- > first;)
        j->bucket[j->name[i].hash & (j->n_buckets - 1)] = j->name[i].next;
    j->names.len = j->name[first].off;
    j->n_names = first;
}

/* The name at names[off..off+len) in the object whose names start at
 * entry first: 1 when it is there already, 0 when added, -1 out of memory. */
static int names_add(tc_json *j, uint32_t first, size_t off, size_t len)
{
    const char *s = j->names.data + off;
    uint64_t h = hash_bytes(s, len);
    if (j->n_buckets > 0) {
        for (uint32_t e = j->bucket[h & (j->n_buckets - 1)]; e != 0 && e - 1 >= first;
             e = j->name[e - 1].next) {
            const tc_json_name *n = &j->name[e - 1];
            if (n->hash == h && n->len == len && memcmp(j->names.data + n->off, s, len) == 0)
                return 1;
        }
    }
    if (j->n_names == UINT32_MAX - 1)
        return -1;
    if (j->n_names == j->cap_names) {
        uint32_t cap = j->cap_names ? j->cap_names * 2 : 64;
        tc_json_name *a = realloc(j->name, cap * sizeof *a);
        if (a == NULL)
            return -1;
        j->name = a;
        j->cap_names = cap;
    }
    if (j->n_names >= j->n_buckets) {
        uint32_t nb = j->n_buckets ? j->n_buckets * 2 : 64;
        uint32_t *b = calloc(nb, sizeof *b);
        if (b == NULL)
            return -1;
        free(j->bucket);
        j->bucket = b;
        j->n_buckets = nb;
        for (uint32_t i = 0; i < j->n_names; i++) {
            uint32_t k = (uint32_t)(j->name[i].hash & (nb - 1));
            j->name[i].next = b[k];
            b[k] = i + 1;
        }
    }
    uint32_t k = (uint32_t)(h & (j->n_buckets - 1));
    j->name[j->n_names] = (tc_json_name){.hash = h, .off = off, .len = len, .next = j->bucket[k]};
    j->bucket[k] = ++j->n_names;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Grammar: jansson's parse_value, parse_object, parse_array           */
/* ------------------------------------------------------------------ */

static inline tc_json_event value(tc_json *j, int t, bool nul)
{
    if (t == T_ERROR)
        return TC_JSON_ERROR;
    if (j->depth + 1 > TC_JSON_MAX_DEPTH)
        return fail_here(j, "maximum parsing depth reached");
    switch (t) {
    case T_STRING:
        if (nul && !j->allow_nul)
            return fail_here(j, "\\u0000 is not allowed without JSON_ALLOW_NUL");
        j->str_nul = nul;
        return TC_JSON_STRING;
    case T_INTEGER: return TC_JSON_INTEGER;
    case T_REAL: return TC_JSON_REAL;
    case T_TRUE: return TC_JSON_TRUE;
    case T_FALSE: return TC_JSON_FALSE;
    case T_NULL: return TC_JSON_NULL;
    case '{':
    case '[':
        if (j->stack == NULL) {
            j->stack = malloc(TC_JSON_MAX_DEPTH * sizeof *j->stack);
            if (j->stack == NULL) {
                fail_io(j, TC_ERR_NOMEM);
                return TC_JSON_ERROR;
            }
        }
        if (j->depth == 0)
            j->top_state = TOP_DONE;
        j->stack[j->depth++] = (tc_json_frame){.kind = (unsigned char)t, .state = ST_FIRST,
                                          .keys = j->n_names};
        return t == '{' ? TC_JSON_OBJECT : TC_JSON_ARRAY;
    case T_INVALID:
        return fail_here(j, "invalid token");
    default:
        return fail_here(j, "unexpected token");
    }
}

static tc_json_event pop(tc_json *j)
{
    tc_json_frame *f = &j->stack[--j->depth];
    names_pop(j, f->keys);
    return TC_JSON_END;
}

tc_json_event tc_json_next(tc_json *j)
{
    tc_buf *sink = j->sink;
    size_t max = j->sink_max;
    j->sink = NULL;
    j->sink_max = SIZE_MAX;
    j->str_nul = false;
    if (j->err.code != TC_OK)
        return TC_JSON_ERROR;
    bool nul = false;
    int t;
    if (j->depth == 0) {
        switch (j->top_state) {
        case TOP_START:
            t = scan(j, NULL, 0, &nul);
            if (t == T_ERROR)
                return TC_JSON_ERROR;
            if (t != '{' && t != '[')
                return fail_here(j, "'[' or '{' expected");
            return value(j, t, nul);
        case TOP_DONE:
            t = scan(j, NULL, 0, &nul);
            if (t == T_ERROR)
                return TC_JSON_ERROR;
            if (t != T_EOF)
                return fail_here(j, "end of file expected");
            j->top_state = TOP_EOF;
            return TC_JSON_EOF;
        default:
            return TC_JSON_EOF;
        }
    }
    tc_json_frame *f = &j->stack[j->depth - 1];
    size_t room = SIZE_MAX;
    bool fits = true;
    if (f->kind == '[') {
        if (f->state == ST_FIRST) {
            t = scan(j, sink, max, &nul);
            if (t == ']')
                return pop(j);
        } else {
            t = scan(j, NULL, 0, &nul);
            if (t == ']')
                return pop(j);
            if (t == T_ERROR)
                return TC_JSON_ERROR;
            if (t != ',')
                return fail_here(j, "']' expected");
            t = scan(j, sink, max, &nul);
        }
        if (t == T_EOF)
            return fail_here(j, "']' expected");
        f->state = ST_NEXT;
        return value(j, t, nul);
    }
    switch (f->state) {
    case ST_VALUE:
        t = scan(j, sink, max, &nul);
        f->state = ST_NEXT;
        return value(j, t, nul);
    case ST_FIRST:
        fits = names_room(j, &room);
        t = scan(j, &j->names, room < NAME_SHOWN ? NAME_SHOWN : room, &nul);
        if (t == '}')
            return pop(j);
        break;
    default:
        t = scan(j, NULL, 0, &nul);
        if (t == '}')
            return pop(j);
        if (t == T_ERROR)
            return TC_JSON_ERROR;
        if (t != ',')
            return fail_here(j, "'}' expected");
        fits = names_room(j, &room);
        t = scan(j, &j->names, room < NAME_SHOWN ? NAME_SHOWN : room, &nul);
        break;
    }
    if (t == T_ERROR)
        return TC_JSON_ERROR;
    if (t != T_STRING)
        return fail_here(j, "string or '}' expected");
    size_t key_off = j->str_off, key_len = j->str_len;
    if (nul)
        return fail_here(j, "NUL byte in object key not supported");
    if (!fits || key_len > room)
        return names_over(j, key_off, key_len); /* (kept up to NAME_SHOWN bytes to show) */
    int dup = names_add(j, f->keys, key_off, key_len);
    if (dup < 0) {
        fail_io(j, TC_ERR_NOMEM);
        return TC_JSON_ERROR;
    }
    if (dup > 0)
        return fail_here(j, "duplicate object key");
    t = scan(j, NULL, 0, &nul);
    if (t == T_ERROR)
        return TC_JSON_ERROR;
    if (t != ':')
        return fail_here(j, "':' expected");
    f->state = ST_VALUE;
    j->key = j->names.data + key_off;
    j->key_len = key_len;
    return TC_JSON_KEY;
}

bool tc_json_next_is(tc_json *j, const void *text, size_t len)
{
    if (j->err.code != TC_OK || j->depth == 0 || j->stack[j->depth - 1].state != ST_VALUE ||
        len == 0 || (j->in != NULL && len > j->own_cap))
        return false;
    drop_nul_now(j);
    int c = j->cur < j->lim && *j->cur > ' ' ? *j->cur : skip_ws(j);
    if (c != *(const unsigned char *)text)
        return false;
    long avail = fill(j, len);
    if (avail < 0 || (size_t)avail < len || memcmp(j->cur, text, len) != 0)
        return false;
    j->tok = off_of(j, j->cur);
    for (const unsigned char *p = j->cur, *end = j->cur + len;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL;) {
        p++;
        j->line++;
        j->line_off = off_of(j, p);
        j->line_nuls = 0;
    }
    j->cur += len;
    j->stack[j->depth - 1].state = ST_NEXT;
    return true;
}

tc_json_event tc_json_unwind(tc_json *j, unsigned depth)
{
    while (j->depth > depth) {
        if (tc_json_next(j) == TC_JSON_ERROR)
            return TC_JSON_ERROR;
    }
    return TC_JSON_END;
}

tc_json_event tc_json_skip(tc_json *j)
{
    return tc_json_unwind(j, j->depth - 1);
}

uint64_t tc_json_offset(const tc_json *j)
{
    return off_of(j, j->cur);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

static void reset_state(tc_json *j)
{
    j->key = NULL;
    j->key_len = 0;
    j->sink = NULL;
    j->sink_max = SIZE_MAX;
    j->str_off = j->str_len = 0;
    j->str_capped = false;
    j->tok = 0;
    memset(&j->err, 0, sizeof j->err);
    j->line = 1;
    j->line_off = 0;
    j->line_nuls = 0;
    j->drop_nul = false;
    j->top_state = TOP_START;
    j->depth = 0;
    names_pop(j, 0);
    tc_buf_reset(&j->names);
}

int tc_json_init_memory(tc_json *j, const void *data, size_t len, bool padded)
{
    j->in = NULL;
    j->padded = padded;
    j->buf = j->cur = data;
    j->lim = j->buf + len;
    j->base = 0;
    j->eof = true;
    reset_state(j);
    return TC_OK;
}

int tc_json_init_stream(tc_json *j, tc_stream *in, size_t window)
{
    memset(j, 0, sizeof *j);
    if (window == 0)
        window = DEFAULT_WINDOW;
    if (window < MIN_WINDOW)
        window = MIN_WINDOW;
    j->own = calloc(1, window + TC_JSON_PAD); /* the padding is read, never used */
    if (j->own == NULL)
        return TC_ERR_NOMEM;
    j->own_cap = window;
    j->padded = true;
    j->in = in;
    j->buf = j->cur = j->lim = j->own;
    j->base = tc_stream_tell(in);
    reset_state(j);
    j->line_off = j->base;
    return TC_OK;
}

void tc_json_free(tc_json *j)
{
    free(j->own);
    free(j->ahead);
    free(j->stack);
    free(j->name);
    free(j->bucket);
    tc_buf_free(&j->names);
    memset(j, 0, sizeof *j);
}

int tc_json_skip_bom(tc_json *j)
{
    long n = fill(j, 3);
    if (n < 0)
        return j->err.code;
    if (n >= 3 && memcmp(j->cur, "\xEF\xBB\xBF", 3) == 0) {
        j->cur += 3;
        j->line_off = off_of(j, j->cur);
    }
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Looking ahead, marks                                                */
/* ------------------------------------------------------------------ */

/* Following an array's brackets and strings, a chunk at a time. */
typedef struct ahead_state {
    long depth;
    bool in_string;
    bool done;          /* the array ended: looking for the next byte */
    size_t backslashes; /* '\\' just before the chunk, in a string */
} ahead_state;

/* The first byte after the array that is not white space, or -3 when
 * p[0..end) ends before it.  In a string only '"' is looked for (memchr):
 * it ends the string unless an odd run of '\\' comes before it. */
static int ahead_scan(ahead_state *s, const unsigned char *p, const unsigned char *end)
{
    const unsigned char *start = p; /* where the bytes of this chunk's string begin */
    while (p < end) {
        if (s->in_string) {
            const unsigned char *q = memchr(p, '"', (size_t)(end - p));
            const unsigned char *stop = q ? q : end;
            const unsigned char *b = stop;
            while (b > start && b[-1] == '\\')
                b--;
            size_t run = (size_t)(stop - b) + (b == start ? s->backslashes : 0);
            if (q == NULL) {
                s->backslashes = run; /* the '\\' at the end of the chunk */
                return -3;
            }
            s->backslashes = 0;
            p = q + 1;
            if (run % 2 == 0)
                s->in_string = false;
            else
                start = p; /* an escaped quote: a run of '\\' after it starts anew */
        } else if (s->done) {
            unsigned char c = *p++;
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                return c;
        } else {
            unsigned char c = *p++;
            if (c == '"') {
                s->in_string = true;
                s->backslashes = 0;
                start = p;
            } else if (c == '[' || c == '{') {
                s->depth++;
            } else if (c == ']' || c == '}') {
                if (--s->depth <= 0)
                    s->done = true;
            }
        }
    }
    return -3;
}

int tc_json_peek_after_array(tc_json *j, int *after)
{
    *after = -2;
    if (j->err.code != TC_OK)
        return j->err.code;
    drop_nul_now(j);
    int c = skip_ws(j);
    if (c == -2)
        return j->err.code;
    if (c != '[')
        return TC_OK;
    ahead_state s = {0};
    int r = ahead_scan(&s, j->cur, j->lim);
    if (r != -3 || j->eof || j->in == NULL) {
        *after = r == -3 ? -1 : r;
        return TC_OK;
    }
    /* Read on past the window, then put the stream back where the window
     * ends: the window itself is left as it is. */
    if (j->ahead == NULL && (j->ahead = malloc(AHEAD_SIZE)) == NULL) {
        fail_io(j, TC_ERR_NOMEM);
        return j->err.code;
    }
    uint64_t back = off_of(j, j->lim);
    for (;;) {
        long n = tc_stream_read(j->in, j->ahead, AHEAD_SIZE);
        if (n < 0) {
            fail_io(j, (int)n);
            return j->err.code;
        }
        if (n == 0) {
            r = -1;
            break;
        }
        r = ahead_scan(&s, j->ahead, j->ahead + n);
        if (r != -3)
            break;
    }
    int rc = tc_stream_seek(j->in, back, 0);
    if (rc != TC_OK) {
        fail_io(j, rc);
        return j->err.code;
    }
    *after = r;
    return TC_OK;
}

void tc_json_mark_here(const tc_json *j, tc_json_mark *m)
{
    memset(m, 0, sizeof *m);
    m->off = off_of(j, j->cur);
    m->line = j->line;
    m->line_off = j->line_off;
    m->nuls = j->line_nuls;
    m->drop_nul = j->drop_nul;
    m->depth = j->depth;
    if (j->depth > 0)
        m->top = j->stack[j->depth - 1];
    m->top_state = j->top_state;
}

int tc_json_seek(tc_json *j, const tc_json_mark *m)
{
    if (j->err.code != TC_OK)
        return j->err.code;
    uint64_t end = off_of(j, j->lim);
    if (m->off >= j->base && m->off <= end) {
        j->cur = j->buf + (m->off - j->base);
    } else if (j->in != NULL) {
        int rc = tc_stream_seek(j->in, m->off, 0);
        if (rc != TC_OK) {
            fail_io(j, rc);
            return j->err.code;
        }
        j->buf = j->cur = j->lim = j->own;
        j->base = m->off;
        j->eof = false;
    } else {
        fail_io(j, TC_ERR_PLUGIN);
        return j->err.code;
    }
    if (j->depth > m->depth)
        names_pop(j, j->stack[m->depth].keys);
    j->depth = m->depth;
    if (m->depth > 0) {
        j->stack[m->depth - 1] = m->top;
        if (j->stack[m->depth - 1].keys > j->n_names)
            j->stack[m->depth - 1].keys = j->n_names;
    }
    j->top_state = m->top_state;
    j->line = m->line;
    j->line_off = m->line_off;
    j->line_nuls = m->nuls;
    j->drop_nul = m->drop_nul;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* The message                                                         */
/* ------------------------------------------------------------------ */

/* Hand bytes [from, to) of the input to fn, reading them again when the
 * window no longer holds them. */
static int read_range(tc_json *j, uint64_t from, uint64_t to,
                      void (*fn)(void *arg, const unsigned char *p, size_t n), void *arg)
{
    if (from >= to)
        return TC_OK;
    if (from < j->base) {
        if (j->in == NULL)
            return TC_ERR_PLUGIN;
        if (j->ahead == NULL && (j->ahead = malloc(AHEAD_SIZE)) == NULL)
            return TC_ERR_NOMEM;
        uint64_t stop = to < j->base ? to : j->base;
        int rc = tc_stream_seek(j->in, from, 0);
        if (rc != TC_OK)
            return rc;
        while (from < stop) {
            size_t want = stop - from < AHEAD_SIZE ? (size_t)(stop - from) : AHEAD_SIZE;
            long n = tc_stream_read(j->in, j->ahead, want);
            if (n < 0)
                return (int)n;
            if (n == 0)
                break;
            fn(arg, j->ahead, (size_t)n);
            from += (uint64_t)n;
        }
        /* the stream is put back where the window ends */
        rc = tc_stream_seek(j->in, off_of(j, j->lim), 0);
        if (rc != TC_OK)
            return rc;
        from = stop;
    }
    uint64_t end = off_of(j, j->lim);
    if (to > end)
        to = end;
    if (from < to)
        fn(arg, j->buf + (from - j->base), (size_t)(to - from));
    return TC_OK;
}

typedef struct position {
    uint64_t line, column;
} position;

static void count_position(void *arg, const unsigned char *p, size_t n)
{
    position *pos = arg;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            pos->line++;
            pos->column = 0;
        } else if ((p[i] & 0xC0) != 0x80) {
            pos->column++;
        }
    }
}

typedef struct text_copy {
    char *out;
    size_t len;
} text_copy;

static void copy_text(void *arg, const unsigned char *p, size_t n)
{
    text_copy *t = arg;
    memcpy(t->out + t->len, p, n);
    t->len += n;
}

int tc_json_position(tc_json *j, uint64_t off, uint64_t *line, uint64_t *column)
{
    position pos = {.line = j->line, .column = 0};
    int rc = read_range(j, j->line_off, off, count_position, &pos);
    *line = j->line;
    /* the character at off is the next one; dropped NUL bytes do not count */
    *column = (pos.column > j->line_nuls ? pos.column - j->line_nuls : 0) + 1;
    return rc;
}

int tc_json_error_text(tc_json *j, char *out, size_t size, uint64_t *line, uint64_t *column)
{
    const tc_json_error *e = &j->err;
    position pos = {.line = e->line, .column = 0};
    int rc = read_range(j, e->line_off, e->off, count_position, &pos);
    if (pos.line == e->line) /* dropped NUL bytes do not count (see drop_nul) */
        pos.column = pos.column > e->nuls ? pos.column - e->nuls : 0;
    *line = pos.line;
    *column = pos.column;
    char near[24] = "";
    size_t len = (size_t)(e->off - e->tok);
    if (rc == TC_OK && len > 0 && len <= 20) {
        text_copy t = {.out = near, .len = 0};
        rc = read_range(j, e->tok, e->off, copy_text, &t);
        near[t.len] = '\0';
    }
    if (len > 20)
        snprintf(out, size, "%s", e->text);
    else if (near[0] != '\0')
        snprintf(out, size, "%s near '%s'", e->text, near);
    else if (e->decode)
        snprintf(out, size, "%s", e->text);
    else
        snprintf(out, size, "%s near end of file", e->text);
    return rc;
}
