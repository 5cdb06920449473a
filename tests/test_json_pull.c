/*
 * test_json_pull.c - the SDK's JSON pull parser (threadconv/json.h, core/json.c)
 * against jansson, the parser it replaced, as an independent oracle.
 *
 * Thousands of inputs are generated from a seeded PRNG (the same every run):
 * random bytes from a JSON-flavoured alphabet, random documents (nesting,
 * strings with every kind of escape, surrogate pairs and lone surrogates,
 * raw UTF-8 valid and not, numbers at the 64-bit and double limits,
 * duplicate names, white space and newlines), the same documents mutated
 * (a byte deleted, inserted, replaced, or the end cut off), nesting around
 * jansson's depth limit of 2048, and long tokens.  Each is parsed by
 * json_loadb(..., JSON_REJECT_DUPLICATES) and by the pull parser, from
 * memory and from a stream through windows as small as 16 bytes (so every
 * token is cut by a window's end somewhere), and:
 *
 *   - both accept or both refuse;
 *   - accepted, both give the same value: the same members in the same
 *     order, the same decoded strings byte for byte, the same integers, and
 *     reals equal (the parser keeps no value for a real; the test converts
 *     the text it reports with strtod, as jansson does);
 *   - refused, both give the same message (jansson's words and " near
 *     '...'" context), line and column.
 *
 * There is no intended difference.  Besides, on accepted documents the
 * test checks what the readers use the parser for: looking ahead past an
 * array (tc_json_peek_after_array) finds what follows it, coming back to a mark
 * (tc_json_mark_here / tc_json_seek) reads the same value again, and a string kept
 * only up to a limit (sink_max) is that prefix, its length counted whole.
 */
#include <threadconv/json.h>

#include "prng.h"

#include <threadconv/convert.h>

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check's ck_assert macros record every check that passes (a write to its
 * message file each): too slow for the millions made here.  These only
 * call Check when they fail. */
#define REQ(c)                                                                 \
    do {                                                                       \
        if (!(c))                                                              \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                \
    } while (0)
#define REQ_EQ(a, b)                                                           \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            ck_abort_msg("%s:%d: %s == %s (%lld, %lld)", __FILE__, __LINE__,   \
                         #a, #b, a_, b_);                                      \
    } while (0)
#define REQ_MSG(c, ...)                                                        \
    do {                                                                       \
        if (!(c))                                                              \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

/* rnd() and below() come from prng.h */
static bool chance(unsigned percent)
{
    return below(100) < percent;
}

/* ------------------------------------------------------------------ */
/* Canonical forms of a value, from jansson and from the pull parser   */
/* ------------------------------------------------------------------ */

static void put(tc_buf *b, const void *s, size_t n)
{
    REQ_EQ(tc_buf_append(b, s, n), TC_OK);
}

static void putf(tc_buf *b, const char *fmt, ...) TC_PRINTF(2, 3);
static void putf(tc_buf *b, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(b, tmp, (size_t)n);
}

/* A string: its length, then its first cap bytes (all of them, usually). */
static size_t cap_all = SIZE_MAX;

static void put_string(tc_buf *b, const char *s, size_t n, size_t cap)
{
    putf(b, "s%zu:", n);
    put(b, s, n < cap ? n : cap);
}

static void dump_jansson(tc_buf *b, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *m;
        put(b, "{", 1);
        json_object_foreach(v, key, m) {
            put_string(b, key, strlen(key), SIZE_MAX);
            put(b, ":", 1);
            dump_jansson(b, m);
            put(b, ";", 1);
        }
        put(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            dump_jansson(b, json_array_get(v, i));
            put(b, ";", 1);
        }
        put(b, "]", 1);
        break;
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v), cap_all);
        break;
    case JSON_INTEGER:
        putf(b, "i%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        putf(b, "r%.17g", json_real_value(v));
        break;
    case JSON_TRUE: put(b, "t", 1); break;
    case JSON_FALSE: put(b, "f", 1); break;
    case JSON_NULL: put(b, "n", 1); break;
    }
}

/* What one parser made of an input. */
typedef struct outcome {
    bool ok;
    tc_buf dump;       /* the value, when ok */
    char text[256];    /* the message, when not */
    uint64_t line, column;
} outcome;

static void outcome_free(outcome *o)
{
    tc_buf_free(&o->dump);
}

/* \u0000 in values: jansson's JSON_ALLOW_NUL, the parser's allow_nul. */
static bool allow_nul;

static void run_jansson(const char *doc, size_t len, outcome *o)
{
    memset(o, 0, sizeof *o);
    json_error_t err;
    json_t *v = json_loadb(doc, len, JSON_REJECT_DUPLICATES | (allow_nul ? JSON_ALLOW_NUL : 0),
                           &err);
    if (v == NULL) {
        snprintf(o->text, sizeof o->text, "%s", err.text);
        o->line = err.line > 0 ? (uint64_t)err.line : 0;
        o->column = err.column > 0 ? (uint64_t)err.column : 0;
        return;
    }
    o->ok = true;
    dump_jansson(&o->dump, v);
    json_decref(v);
}

/* The pull parser's side: the document is in doc (for the text of reals and
 * for checking the look-ahead). */
typedef struct walker {
    tc_json *j;
    const char *doc;
    size_t len;
    tc_buf str;      /* strings land here */
    bool checks;     /* look ahead / mark and seek / cap, on the way */
    bool failed;
} walker;

static int next_nonwhite(const walker *w, uint64_t off)
{
    while (off < w->len && strchr(" \t\r\n", w->doc[off]) != NULL && w->doc[off] != '\0')
        off++;
    return off < w->len ? (unsigned char)w->doc[off] : -1;
}

static tc_json_event next(walker *w, size_t cap)
{
    tc_buf_reset(&w->str);
    w->j->sink = &w->str;
    w->j->sink_max = cap;
    return tc_json_next(w->j);
}

static bool dump_pull(walker *w, tc_buf *b, tc_json_event ev);

/* The members or elements of the object or array just opened. */
static bool dump_container(walker *w, tc_buf *b, bool object)
{
    tc_json *j = w->j;
    put(b, object ? "{" : "[", 1);
    for (;;) {
        tc_json_event ev = next(w, cap_all);
        if (ev == TC_JSON_END)
            break;
        if (ev == TC_JSON_ERROR)
            return false;
        int after = -3;
        if (object) {
            REQ_EQ(ev, TC_JSON_KEY);
            REQ_EQ(strlen(j->key), j->key_len); /* names never hold NUL */
            put_string(b, j->key, j->key_len, SIZE_MAX);
            put(b, ":", 1);
            if (w->checks && tc_json_depth(j) < 64 && chance(30) &&
                tc_json_peek_after_array(j, &after) != TC_OK)
                return false;
            ev = next(w, cap_all);
        }
        if (ev == TC_JSON_ARRAY && w->checks && tc_json_depth(j) < 16 && chance(30)) {
            /* read the array, come back (to just after its '['), read it
             * again: the same */
            tc_json_mark m;
            tc_buf first = {0};
            tc_json_mark_here(j, &m);
            if (!dump_container(w, &first, false)) {
                tc_buf_free(&first);
                return false;
            }
            uint64_t end = tc_json_offset(j);
            unsigned depth = tc_json_depth(j);
            REQ_EQ(tc_json_seek(j, &m), TC_OK);
            tc_buf again = {0};
            REQ_MSG(dump_container(w, &again, false), "second reading failed: %s",
                          j->err.text);
            REQ_EQ(first.len, again.len);
            REQ(memcmp(first.data, again.data, first.len) == 0);
            REQ_EQ(tc_json_offset(j), end);
            REQ_EQ(tc_json_depth(j), depth);
            put(b, first.data, first.len);
            tc_buf_free(&first);
            tc_buf_free(&again);
        } else if (!dump_pull(w, b, ev)) {
            return false;
        }
        if (after != -3) {
            if (ev == TC_JSON_ARRAY)
                REQ_EQ(after, next_nonwhite(w, tc_json_offset(j)));
            else
                REQ_EQ(after, -2);
        }
        put(b, ";", 1);
    }
    put(b, object ? "}" : "]", 1);
    return true;
}

static bool dump_pull(walker *w, tc_buf *b, tc_json_event ev)
{
    tc_json *j = w->j;
    switch (ev) {
    case TC_JSON_OBJECT:
    case TC_JSON_ARRAY:
        return dump_container(w, b, ev == TC_JSON_OBJECT);
    case TC_JSON_STRING: {
        /* kept up to cap_all bytes, then a NUL; counted whole */
        size_t kept = j->str_len < cap_all ? j->str_len : cap_all;
        REQ(j->str_capped == (j->str_len > cap_all));
        /* str_nul says whether it holds U+0000 (only ever with allow_nul) */
        REQ(allow_nul || !j->str_nul);
        if (!j->str_capped)
            REQ(j->str_nul == (memchr(w->str.data + j->str_off, 0, kept) != NULL));
        REQ_EQ(w->str.len, kept + 1);
        REQ_EQ(w->str.data[j->str_off + kept], '\0');
        put_string(b, w->str.data + j->str_off, j->str_len, cap_all);
        return true;
    }
    case TC_JSON_INTEGER:
        putf(b, "i%lld", (long long)j->integer);
        return true;
    case TC_JSON_REAL: {
        uint64_t end = tc_json_offset(j);
        char text[2048];
        REQ(end - j->tok < sizeof text);
        memcpy(text, w->doc + j->tok, (size_t)(end - j->tok));
        text[end - j->tok] = '\0';
        putf(b, "r%.17g", strtod(text, NULL));
        return true;
    }
    case TC_JSON_TRUE: put(b, "t", 1); return true;
    case TC_JSON_FALSE: put(b, "f", 1); return true;
    case TC_JSON_NULL: put(b, "n", 1); return true;
    default:
        return false;
    }
}

/* window 0: from memory; 1: from memory, padded (a copy); else from a
 * stream through that window. */
static void run_pull(const char *doc, size_t len, size_t window, bool checks, outcome *o)
{
    memset(o, 0, sizeof *o);
    tc_json j = {0};
    tc_stream *in = NULL;
    char *copy = NULL;
    if (window == 0) {
        REQ_EQ(tc_json_init_memory(&j, doc, len, false), TC_OK);
    } else if (window == 1) {
        copy = malloc(len + TC_JSON_PAD);
        REQ(copy != NULL);
        memcpy(copy, doc, len);
        memset(copy + len, '"', TC_JSON_PAD); /* never looked at */
        REQ_EQ(tc_json_init_memory(&j, copy, len, true), TC_OK);
    } else {
        in = tc_stream_open_memory(doc, len, "t");
        REQ(in != NULL);
        REQ_EQ(tc_json_init_stream(&j, in, window), TC_OK);
    }
    j.allow_nul = allow_nul;
    walker w = {.j = &j, .doc = doc, .len = len, .checks = checks};
    tc_json_event ev = next(&w, cap_all);
    bool ok = ev != TC_JSON_ERROR && dump_pull(&w, &o->dump, ev);
    if (ok) {
        REQ_EQ(tc_json_depth(&j), 0);
        ok = tc_json_next(&j) == TC_JSON_EOF;
    }
    if (ok) {
        o->ok = true;
        REQ_EQ(tc_json_next(&j), TC_JSON_EOF); /* and it stays there */
    } else {
        REQ_EQ(j.err.code, TC_ERR_DATA);
        REQ_EQ(tc_json_next(&j), TC_JSON_ERROR); /* the first error stays */
        REQ_EQ(tc_json_error_text(&j, o->text, sizeof o->text, &o->line, &o->column),
                         TC_OK);
    }
    tc_buf_free(&w.str);
    tc_json_free(&j);
    tc_stream_close(in);
    free(copy);
}

static size_t n_cases, n_accepted;

/* Each test runs in its own process: it says how many inputs it compared. */
static void report_counts(const char *test)
{
    printf("%s: %zu inputs compared with jansson, %zu of them accepted\n", test, n_cases,
           n_accepted);
    n_cases = n_accepted = 0;
}

static const char *show(const char *doc, size_t len)
{
    static char out[400];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 8 < sizeof out; i++) {
        unsigned char c = (unsigned char)doc[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, sizeof out - k, "\\x%02X", c);
    }
    out[k] = '\0';
    return out;
}

/* The verdict on one input, from memory and through windows. */
static void check_doc(const char *doc, size_t len)
{
    static const size_t windows[] = {0, 1, 16, 17, 23, 64, 4096};
    outcome want;
    run_jansson(doc, len, &want);
    n_cases++;
    n_accepted += want.ok;
    for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++) {
        outcome got;
        run_pull(doc, len, windows[k], false, &got);
        REQ_MSG(got.ok == want.ok, "window %zu: jansson %s, pull parser %s: %s [%s]",
                      windows[k], want.ok ? "accepts" : "refuses",
                      got.ok ? "accepts" : "refuses", got.ok ? "" : got.text, show(doc, len));
        if (want.ok) {
            REQ_MSG(got.dump.len == want.dump.len &&
                              memcmp(got.dump.data, want.dump.data, got.dump.len) == 0,
                          "window %zu: different values for [%s]:\n  jansson %s\n  pull    %s",
                          windows[k], show(doc, len), want.dump.data, got.dump.data);
        } else {
            REQ_MSG(strcmp(got.text, want.text) == 0 && got.line == want.line &&
                              got.column == want.column,
                          "window %zu: [%s]\n  jansson %llu:%llu %s\n  pull    %llu:%llu %s",
                          windows[k], show(doc, len), (unsigned long long)want.line,
                          (unsigned long long)want.column, want.text,
                          (unsigned long long)got.line, (unsigned long long)got.column,
                          got.text);
        }
        outcome_free(&got);
    }
    if (want.ok) {
        /* The readers' other uses of the parser, on the way: looking ahead,
         * coming back to a mark, strings kept only up to a limit (cut the
         * same way on jansson's side). */
        outcome_free(&want);
        cap_all = below(8);
        run_jansson(doc, len, &want);
        for (size_t k = 0; k < 2; k++) {
            outcome got;
            run_pull(doc, len, k ? 16 : 1, true, &got);
            REQ_MSG(got.ok && got.dump.len == want.dump.len &&
                              memcmp(got.dump.data, want.dump.data, got.dump.len) == 0,
                          "with look-ahead, seeking and strings cut at %zu: [%s]: %s\n"
                          "  jansson %s\n  pull    %s",
                          cap_all, show(doc, len), got.ok ? "" : got.text, want.dump.data,
                          got.ok ? got.dump.data : "");
            outcome_free(&got);
        }
        cap_all = SIZE_MAX;
    }
    outcome_free(&want);
}

/* ------------------------------------------------------------------ */
/* Generators                                                          */
/* ------------------------------------------------------------------ */

static void gen_string(tc_buf *b);

/* false: generate only what JSON allows (most inputs are then accepted). */
static bool faults = true;

static void gen_ws(tc_buf *b)
{
    static const char ws[] = " \t\r\n";
    if (chance(75))
        return;
    for (size_t n = 1 + below(3); n > 0; n--)
        put(b, &ws[below(4)], 1);
}

static void gen_number(tc_buf *b)
{
    static const char *const special[] = {
        "0", "-0", "1", "-1", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "99999999999999999999", "0.5", "-0.0", "1e308", "1e309", "-1e309", "1.7976931348623157e308",
        "1.7976931348623158e308", "1.7976931348623159e308", "1.8e308", "17976931348623158e292",
        "0.00000000000000000000000001e335", "1e-400", "4.9e-324", "2.5E+3", "1E-0", "123.456e-7",
        "01", "-", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10", "1.5.2", "1e5e5", "-01",
        "100000000000000000000000000000000000000000000000000000000000000000000000000.0e236",
        "0.0e999999999999999999999", "1e99999999999999999999", "1e-99999999999999999999"};
    if (chance(40)) {
        /* the ones from "01" on are refused */
        size_t n = sizeof special / sizeof special[0];
        const char *s = special[below(faults ? n : 26)];
        put(b, s, strlen(s));
        return;
    }
    if (chance(20))
        put(b, "-", 1);
    if (chance(30)) {
        put(b, "0", 1);
    } else {
        putf(b, "%u", 1 + (unsigned)below(9));
        for (size_t n = below(chance(10) ? 25 : 5); n > 0; n--)
            putf(b, "%u", (unsigned)below(10));
    }
    if (chance(30)) {
        put(b, ".", 1);
        for (size_t n = 1 + below(6); n > 0; n--)
            putf(b, "%u", (unsigned)below(10));
    }
    if (chance(25)) {
        put(b, chance(50) ? "e" : "E", 1);
        if (chance(50))
            put(b, chance(50) ? "+" : "-", 1);
        putf(b, "%u", (unsigned)below(chance(20) ? 400 : 30));
    }
}

/* A character of a string's text, raw or escaped. */
static void gen_char(tc_buf *b)
{
    static const char *const escapes[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r",
                                          "\\t"};
    static const char *const utf8[] = {
        "\xC3\xA9", "\xE2\x80\x94", "\xF0\x9F\x91\x8D", "\xD7\xA9", "\xEF\xBB\xBF", "\xC2\x80",
        "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xF0\x90\x80\x80",
        "\xF4\x8F\xBF\xBF", "\x7F"};
    static const char *const bad_utf8[] = {
        "\xFF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
        "\xF5\x80\x80\x80", "\x80", "\xC3", "\xE2\x80", "\xF0\x9F\x91", "\xC3\x28"};
    size_t k = below(faults ? 100 : 90);
    if (k < 45) {
        char c = (char)(' ' + below(95));
        if (c == '"' || c == '\\')
            c = 'x';
        put(b, &c, 1);
    } else if (k < 60) {
        const char *s = escapes[below(sizeof escapes / sizeof escapes[0])];
        put(b, s, strlen(s));
    } else if (k < 72) {
        static const unsigned units[] = {0x0041, 0x00E9, 0x2014, 0xFFFF, 0x0001, 0x001F, 0x007F,
                                         0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xD83D, 0xDE00,
                                         0x0000};
        unsigned u = chance(50) ? units[below(sizeof units / sizeof units[0])]
                                : (unsigned)below(0x10000);
        if (!faults && (u == 0 || (u >= 0xDC00 && u <= 0xDFFF)))
            u = 0xD83D;
        bool upper = chance(50);
        if (upper)
            putf(b, "\\u%04X", u);
        else
            putf(b, "\\u%04x", u);
        if (u >= 0xD800 && u <= 0xDBFF && (!faults || chance(70))) { /* usually a pair */
            unsigned low = 0xDC00 + (unsigned)below(0x400);
            if (upper)
                putf(b, "\\u%04X", low);
            else
                putf(b, "\\u%04x", low);
        }
    } else if (k < 90) {
        const char *s = utf8[below(sizeof utf8 / sizeof utf8[0])];
        put(b, s, strlen(s));
    } else if (k < 93) {
        const char *s = bad_utf8[below(sizeof bad_utf8 / sizeof bad_utf8[0])];
        put(b, s, strlen(s));
    } else if (k < 95) {
        char c = (char)below(0x20); /* a raw control character: refused */
        put(b, &c, 1);
    } else if (k < 97) {
        static const char *const broken[] = {"\\x", "\\u12", "\\uZZZZ", "\\", "\\u00G0", "\\U0041",
                                             "\\\xC3\xA9", "\\u\xC3\xA9", "\\\xFF", "\\\n"};
        const char *s = broken[below(sizeof broken / sizeof broken[0])];
        put(b, s, strlen(s));
    } else {
        put(b, "\\u0000", 6);
    }
}

static void gen_string(tc_buf *b)
{
    put(b, "\"", 1);
    size_t n = chance(10) ? 15 + below(40) : below(8);
    for (; n > 0; n--)
        gen_char(b);
    put(b, "\"", 1);
}

static const char *const names[] = {"a", "b", "id", "title", "\\u0061", "posts", "", "\\u00e9",
                                    "\xC3\xA9", "thread"};

static void gen_value(tc_buf *b, int depth);

static void gen_object(tc_buf *b, int depth)
{
    put(b, "{", 1);
    size_t n = below(5);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(b, ",", 1);
        gen_ws(b);
        if (chance(60)) {
            /* a name from a small set: duplicates happen ("a", "\u0061") */
            putf(b, "\"%s\"", names[below(sizeof names / sizeof names[0])]);
        } else {
            gen_string(b);
        }
        gen_ws(b);
        put(b, ":", 1);
        gen_ws(b);
        gen_value(b, depth + 1);
        gen_ws(b);
    }
    put(b, "}", 1);
}

static void gen_array(tc_buf *b, int depth)
{
    put(b, "[", 1);
    size_t n = below(5);
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(b, ",", 1);
        gen_ws(b);
        gen_value(b, depth + 1);
        gen_ws(b);
    }
    put(b, "]", 1);
}

static void gen_value(tc_buf *b, int depth)
{
    size_t k = below(depth > 5 ? 60 : 100);
    if (!faults && k >= 50 && k < 55)
        k = 57; /* no bad words */
    if (k < 20)
        gen_string(b);
    else if (k < 35)
        gen_number(b);
    else if (k < 40)
        put(b, "true", 4);
    else if (k < 45)
        put(b, "false", 5);
    else if (k < 50)
        put(b, "null", 4);
    else if (k < 55) {
        static const char *const words[] = {"tru", "nul", "True", "nulll", "falsey", "x", "NaN",
                                            "Infinity"};
        const char *s = words[below(sizeof words / sizeof words[0])];
        put(b, s, strlen(s));
    } else if (k < 60)
        put(b, "\"ok\"", 4);
    else if (k < 80)
        gen_object(b, depth);
    else
        gen_array(b, depth);
}

static void gen_document(tc_buf *b)
{
    gen_ws(b);
    if (faults && chance(3))
        gen_value(b, 0); /* anything at the top: mostly refused */
    else if (chance(50))
        gen_object(b, 0);
    else
        gen_array(b, 0);
    gen_ws(b);
    if (faults && chance(3))
        put(b, chance(50) ? "x" : "{}", chance(50) ? 1 : 2);
}

/* Change one thing in doc. */
static void mutate(tc_buf *b)
{
    static const char alphabet[] =
        "{}[]:,\"\\ \n\t\r0123456789-+.eEutrfalsn\x00\x01\x7F\x80\xC3\xA9\xFF";
    if (b->len == 0)
        return;
    size_t at = below(b->len);
    switch (below(4)) {
    case 0: /* delete */
        memmove(b->data + at, b->data + at + 1, b->len - at - 1);
        b->len--;
        break;
    case 1: { /* insert */
        char c = alphabet[below(sizeof alphabet - 1)];
        REQ_EQ(tc_buf_reserve(b, 1), TC_OK);
        memmove(b->data + at + 1, b->data + at, b->len - at);
        b->data[at] = c;
        b->len++;
        break;
    }
    case 2: /* replace */
        b->data[at] = alphabet[below(sizeof alphabet - 1)];
        break;
    default: /* cut */
        b->len = at;
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_fixed_cases)
{
    /* The messages the readers' tests and README quote, and the corners. */
    static const char *const docs[] = {
        "", " ", "\n\n", "{", "[", "]", "}", "{}", "[]", "{} ", "{}x", "{}\n{}", "[1,]", "[,1]",
        "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{\"a\":1 \"b\":2}", "[1 2]",
        "[\"a\"\"b\"]",
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"a\":{\"b\":1,\"b\":2}}",
        "{\"a\":{\"b\":1},\"b\":{\"a\":1}}", "[{\"a\":1},{\"a\":1}]",
        "{\"a\\u0000b\":1}", "[\"a\\u0000b\"]", "[\"\\uD800\"]", "[\"\\uDC00\"]",
        "[\"\\uD800\\u0041\"]", "[\"\\uD800\\uD800\"]", "[\"\\uD834\\uDD1E\"]",
        "[\"\\uD800\\\\u0041\"]",
        "[\"\\uD800\\uDC0G\"]", "[\"\\uD800\\u12\"]", "[\"\\uDC00\\uD800\"]",
        "[\"abcdefghijklmnopqrstuvwxyz\\uD800\"]", "[\"\\uD800 abcdefghijklmnopqrstuvwxyz\"]",
        "[1e400]", "[1e-400]", "[-0]", "[99999999999999999999]", "[-9223372036854775808]",
        "[-9223372036854775809]", "[9223372036854775807]", "[9223372036854775808]", "[1.]",
        "[01]", "[-]", "[-a]", "[truex]", "[true1]", "[tru]", "[\xC3\xA9]", "[\xFF]", "[ \xFF]",
        "[1\xFF]", "[\"\xE9\"]", "[\"ab\xED\xA0\x80\"]", "[\"\\u12\"]", "[\"\\x\"]", "[\"\\\"]",
        "[\"\\", "[\"\\u", "[\"\\u1", "[\"abc", "[\"abc\n\"]", "[\"a\tb\"]", "[\"a\x01\"]",
        "[\"\\\xC3\xA9\"]", "[\"\\\xFF\"]", "[\"\\u\xC3\xA9\"]", "[\"\\u1\xFF\"]", "[\"\\\n\"]",
        "[\"abcdefghijklmnopqrstuvwxyz\\x\"]", "[\"abcdefghijklmnopqrstuvwxyz\xFF\"]",
        "[\"abcdefghijklmnopqr\\x\"]", "[\"abcdefghijklmnopq\\x\"]",
        "{\"threads\":[{\"title\":\"bad \xFF\",\"source\":\"s\",\"posts\":[]}]}\n",
        "{\"threads\":[{\"title\":\"nul \x00\",\"source\":\"s\",\"posts\":[]}]}\n",
        "{\"threads\":[{\"title\":\"cut \xE2\x80",
        "{\"format\":\"threadconv\",\"version\":1,\"threads\":[],\"threads\":[]}\n",
        "{\n\"threads\": [,]}", "{oops}", "\xEF\xBB\xBF{}", "\xEF\xBB", "[\x00]", "\x00",
        "[1\x00]", "[\"\\u0000\"]", "[tru\x00]", "[1e5,1E+5,1e-5,-1.5e0,0.0]", "[1e309]",
        "[-1e309]", "[1.7976931348623157e308]", "[1.7976931348623159e308]", "[0.1e310]",
        "[1e+]", "[1e-]", "[1e+x]", "[1.e5]", "[0.e5]", "[-0.5]", "[- 1]", "[+1]",
        "[1.5\xFF]", "[1e\xFF]", "[1.\xFF]", "[-\xFF]", "[0\xFF]", "[tr\xFF]", "[\"\\u00\xFF\"]",
        "[1]   \n  ", "[1]\xFF", "{\"a\":1}}", "[[]]]", "{\"\":1}", "{\"\":1,\"\":2}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        const char *d = docs[i];
        /* the few with a NUL in the middle are measured by hand */
        size_t len = strlen(d);
        if (strstr(d, "nul ") != NULL)
            len = strlen(d) + 1 + strlen(d + strlen(d) + 1);
        check_doc(d, len);
    }
    /* NUL bytes: after a number or word jansson drops one (see drop_nul in
     * core/json.c), elsewhere it is a token of its own; the first is what a
     * fuzzer found (a 20-byte token then a dropped NUL: still quoted). */
#define WITH_LEN(s) {(s), sizeof(s) - 1}
    static const struct {
        const char *text;
        size_t len;
    } nul_cases[] = {
        WITH_LEN("{77777777777.77777777\0\0\0x]}"), WITH_LEN("[1\0]"), WITH_LEN("[1\0\0]"),
        WITH_LEN("[false\0,1]"), WITH_LEN("[true\0\0]"), WITH_LEN("[1\0x]"),
        WITH_LEN("[1\0\n\0]"), WITH_LEN("[null\0 ]"), WITH_LEN("[nul\0]"),
        WITH_LEN("[1\0,\"\\\n\"]"), WITH_LEN("{\"a\":1\0}"),
        WITH_LEN("[12345678901234567890123\0]"), WITH_LEN("[1 \0]"),
        WITH_LEN("[false\0\xE2]"), WITH_LEN("[\0]"), WITH_LEN("\0"), WITH_LEN("[tru\0]"),
        WITH_LEN("[1e5\0,2\0]"), WITH_LEN("[1\0,2\0,{\"a\":true\0}]"),
        WITH_LEN("{\"a\":1\0,\"a\":2}"), WITH_LEN("[1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0]"),
    };
#undef WITH_LEN
    for (size_t i = 0; i < sizeof nul_cases / sizeof nul_cases[0]; i++)
        check_doc(nul_cases[i].text, nul_cases[i].len);
    report_counts("test_fixed_cases");
}
END_TEST

START_TEST(test_random_bytes)
{
    static const char alphabet[] =
        "{}[]:,\"\"\"\\\\ \n\t\r0123456789-+.eEutrfalsnabcxyz"
        "\x00\x01\x1F\x7F\x80\xBF\xC2\xC3\xA9\xE2"
        "\x80\x94\xED\xA0\xF0\x9F\xF4\x90\xFF";
    prng_state = 0x5EED0001;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        size_t n = below(chance(10) ? 80 : 20);
        if (chance(50))
            put(&b, chance(50) ? "[" : "{", 1);
        for (; n > 0; n--)
            put(&b, &alphabet[below(sizeof alphabet - 1)], 1);
        check_doc(b.data ? b.data : "", b.len);
    }
    tc_buf_free(&b);
    report_counts("test_random_bytes");
}
END_TEST

START_TEST(test_random_documents)
{
    prng_state = 0x5EED0002;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        faults = i % 2; /* every other one valid JSON but for duplicate names */
        gen_document(&b);
        check_doc(b.data, b.len);
    }
    faults = true;
    tc_buf_free(&b);
    report_counts("test_random_documents");
}
END_TEST

START_TEST(test_mutated_documents)
{
    prng_state = 0x5EED0003;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        gen_document(&b);
        for (size_t n = 1 + below(2); n > 0; n--)
            mutate(&b);
        check_doc(b.data ? b.data : "", b.len);
    }
    tc_buf_free(&b);
    report_counts("test_mutated_documents");
}
END_TEST

START_TEST(test_random_strings)
{
    /* One string member each, many characters: escapes and UTF-8 cut by
     * every window boundary. */
    prng_state = 0x5EED0004;
    tc_buf b = {0};
    for (int i = 0; i < 2000; i++) {
        tc_buf_reset(&b);
        faults = i % 2;
        put(&b, "{\"s\":\"", 6);
        for (size_t n = below(60); n > 0; n--) {
            if (!faults || chance(97)) {
                gen_char(&b);
            } else {
                char c = (char)below(256);
                put(&b, &c, 1);
            }
        }
        put(&b, "\"}", 2);
        check_doc(b.data, b.len);
    }
    faults = true;
    tc_buf_free(&b);
    report_counts("test_random_strings");
}
END_TEST

START_TEST(test_nesting)
{
    /* Around jansson's depth limit (2048): arrays, objects, a scalar at
     * the bottom, and what is at the deepest place that is not allowed. */
    static const char *const bottoms[] = {"", "1", "\"x\"", "true", "{}", "[]", "x", "\"\\x\"",
                                          "\"\\u0000\"", "1e400", "\xFF"};
    prng_state = 0x5EED0005;
    tc_buf b = {0};
    for (int depth = 2044; depth <= 2050; depth++) {
        for (size_t k = 0; k < sizeof bottoms / sizeof bottoms[0]; k++) {
            for (int objects = 0; objects < 2; objects++) {
                tc_buf_reset(&b);
                for (int i = 0; i < depth; i++)
                    put(&b, objects && i % 2 ? "{\"k\":" : "[", objects && i % 2 ? 5 : 1);
                put(&b, bottoms[k], strlen(bottoms[k]));
                for (int i = depth - 1; i >= 0; i--)
                    put(&b, objects && i % 2 ? "}" : "]", 1);
                check_doc(b.data, b.len);
            }
        }
    }
    /* 100,000 deep, as in tests/bad_inputs.sh */
    tc_buf_reset(&b);
    put(&b, "{\"threads\":", 11);
    for (int i = 0; i < 100000; i++)
        put(&b, "[", 1);
    for (int i = 0; i < 100000; i++)
        put(&b, "]", 1);
    put(&b, "}", 1);
    check_doc(b.data, b.len);
    tc_buf_free(&b);
    report_counts("test_nesting");
}
END_TEST

START_TEST(test_long_tokens)
{
    /* A token's text is quoted only up to 20 bytes; lines and columns far
     * along a line and after many lines. */
    prng_state = 0x5EED0006;
    tc_buf b = {0};
    for (int i = 0; i < 400; i++) {
        tc_buf_reset(&b);
        put(&b, "[", 1);
        for (size_t n = below(3); n > 0; n--)
            put(&b, "\n", 1);
        size_t len = 14 + below(12);
        switch (below(5)) {
        case 0: /* a long string with a fault at its end */
            put(&b, "\"", 1);
            for (size_t n = 0; n < len; n++)
                put(&b, chance(20) ? "\xC3\xA9" : "a", chance(20) ? 2 : 1);
            gen_char(&b);
            put(&b, "\"]", 2);
            break;
        case 1: /* a long number */
            for (size_t n = 0; n < len; n++)
                putf(&b, "%u", 1 + (unsigned)below(9));
            put(&b, chance(50) ? "]" : "x]", chance(50) ? 1 : 2);
            break;
        case 2: /* a long word */
            for (size_t n = 0; n < len; n++)
                put(&b, "t", 1);
            put(&b, "]", 1);
            break;
        case 3: /* a long real that overflows */
            put(&b, "1", 1);
            for (size_t n = 0; n < len; n++)
                put(&b, "0", 1);
            put(&b, "e300]", 5);
            break;
        default: /* a long key, twice */
            put(&b, "{\"", 2);
            for (size_t n = 0; n < len; n++)
                put(&b, "k", 1);
            put(&b, "\":1,\"", 5);
            for (size_t n = 0; n < len; n++)
                put(&b, "k", 1);
            put(&b, "\":2}]", 5);
            break;
        }
        check_doc(b.data, b.len);
    }
    tc_buf_free(&b);
    report_counts("test_long_tokens");
}
END_TEST

START_TEST(test_many_names)
{
    /* An object with many members (the name set grows and rehashes), one
     * repeated at the end or not; and names of closed objects forgotten. */
    tc_buf b = {0};
    for (int dup = 0; dup < 2; dup++) {
        tc_buf_reset(&b);
        put(&b, "{", 1);
        for (int i = 0; i < 5000; i++)
            putf(&b, "\"k%d\":{\"k%d\":[{\"k%d\":1}]},", i, i, i);
        putf(&b, "\"k%d\":0}", dup ? 1234 : 5000);
        check_doc(b.data, b.len);
    }
    tc_buf_free(&b);
    report_counts("test_many_names");
}
END_TEST

START_TEST(test_allow_nul)
{
    /* With allow_nul, \u0000 in a value is a NUL byte of the string, as
     * with jansson's JSON_ALLOW_NUL; in a member name it is still refused,
     * with jansson's message. */
    allow_nul = true;
    static const char *const docs[] = {
        "[\"\\u0000\"]", "[\"a\\u0000b\"]", "{\"a\":\"\\u0000\\u0000\"}", "{\"a\\u0000b\":1}",
        "{\"\\u0000\":\"x\"}", "[\"\\u0000\\uD800\"]", "[\"\\u0000\\x\"]", "[\"\\u0000\n\"]",
        "{\"a\":[\"b\\u0000\",{\"c\":\"\\u0000\"}]}", "[\"\\u0000\" \"x\"]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        check_doc(docs[i], strlen(docs[i]));
    prng_state = 0x5EED0007;
    tc_buf b = {0};
    for (int i = 0; i < 2000; i++) {
        tc_buf_reset(&b);
        faults = i % 2;
        if (i % 4 < 2) {
            gen_document(&b);
        } else {
            put(&b, "{\"s\":\"", 6);
            for (size_t n = below(40); n > 0; n--)
                chance(20) ? put(&b, "\\u0000", 6) : gen_char(&b);
            put(&b, "\"}", 2);
        }
        check_doc(b.data, b.len);
    }
    faults = true;
    allow_nul = false;
    tc_buf_free(&b);
    report_counts("test_allow_nul");
}
END_TEST

/* Parse text from memory with names_max set to max: TC_OK when it parses,
 * else the error (which must be the names_max one, err.limit). */
static int parse_capped(const char *text, size_t max, tc_json *j)
{
    memset(j, 0, sizeof *j);
    REQ_EQ(tc_json_init_memory(j, text, strlen(text), false), TC_OK);
    j->names_max = max;
    tc_json_event ev;
    while ((ev = tc_json_next(j)) != TC_JSON_EOF && ev != TC_JSON_ERROR)
        ;
    if (ev == TC_JSON_EOF)
        return TC_OK;
    REQ(j->err.limit);
    return j->err.code;
}

START_TEST(test_names_max)
{
    /* The names of the open objects, each counted with its NUL and 64
     * bytes more: {"a":{"bb":{"ccc":1}},"dddd":2} keeps at most "a", "bb"
     * and "ccc" at once (2 + 3 + 4 + 3 * 64 = 201); "dddd" comes when only
     * "a" is open (2 + 5 + 2 * 64 = 135). */
    static const char doc[] = "{\"a\":{\"bb\":{\"ccc\":1}},\"dddd\":2}";
    tc_json j;
    REQ_EQ(parse_capped(doc, 201, &j), TC_OK);
    tc_json_free(&j);
    REQ_EQ(parse_capped(doc, 0, &j), TC_OK); /* 0: no cap */
    tc_json_free(&j);
    REQ_EQ(parse_capped(doc, 200, &j), TC_ERR_DATA);
    REQ_MSG(strcmp(j.err.text, "member name \"ccc\" (3 bytes)") == 0, "%s", j.err.text);
    REQ_EQ(j.err.tok, 12); /* where "ccc" starts */
    char msg[200];
    uint64_t line, column;
    REQ_EQ(tc_json_error_text(&j, msg, sizeof msg, &line, &column), TC_OK);
    REQ_MSG(strcmp(msg, "member name \"ccc\" (3 bytes) near '\"ccc\"'") == 0, "%s", msg);
    tc_json_free(&j);
    /* the names of closed objects are not counted: with 135 "dddd" fits
     * but "bb" (2 + 3 + 2 * 64 = 133) and "ccc" (201) do not */
    REQ_EQ(parse_capped("{\"a\":{},\"dddd\":2}", 135, &j), TC_OK);
    tc_json_free(&j);
    REQ_EQ(parse_capped("{\"a\":{},\"dddd\":2}", 134, &j), TC_ERR_DATA);
    tc_json_free(&j);
    /* a long name is kept no further than the room it has (24 bytes more
     * to show in the message), so memory stays near the cap */
    tc_buf b = {0};
    put(&b, "{\"", 2);
    for (int i = 0; i < 1000000; i++)
        put(&b, "n", 1);
    put(&b, "\":1}", 4);
    REQ_EQ(parse_capped(b.data, 4096, &j), TC_ERR_DATA);
    REQ_MSG(strcmp(j.err.text, "member name \"nnnnnnnnnnnnnnnnnnnnnnnn...\" (1000000 bytes)") == 0,
            "%s", j.err.text);
    REQ_MSG(j.names.cap < 8192, "the name set grew to %zu bytes", j.names.cap);
    tc_json_free(&j);
    /* many names: an object of 100,000 members stops at the cap */
    tc_buf_reset(&b);
    put(&b, "{", 1);
    for (int i = 0; i < 100000; i++)
        putf(&b, "%s\"k%d\":0", i ? "," : "", i);
    put(&b, "}", 1);
    /* k0..k9 take 2 + 1 + 64 each, k10..k99 68, k100.. 69: with 10,000
     * bytes, 10 * 67 + 90 * 68 = 6790 for k0..k99, then 46 more (3210 / 69)
     * fit: k146 is refused */
    REQ_EQ(parse_capped(b.data, 10000, &j), TC_ERR_DATA);
    REQ_MSG(strcmp(j.err.text, "member name \"k146\" (4 bytes)") == 0, "%s", j.err.text);
    REQ_MSG(j.n_names <= 146 && j.names.cap < 4096, "%u names, %zu bytes", j.n_names,
            j.names.cap);
    tc_json_free(&j);
    tc_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_pull");
    TCase *tc = tcase_create("json_pull");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fixed_cases);
    tcase_add_test(tc, test_random_bytes);
    tcase_add_test(tc, test_random_documents);
    tcase_add_test(tc, test_mutated_documents);
    tcase_add_test(tc, test_random_strings);
    tcase_add_test(tc, test_nesting);
    tcase_add_test(tc, test_long_tokens);
    tcase_add_test(tc, test_many_names);
    tcase_add_test(tc, test_allow_nul);
    tcase_add_test(tc, test_names_max);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
