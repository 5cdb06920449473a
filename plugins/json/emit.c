/* emit.c - the streaming JSON emitter of the json and jsonl writers; see emit.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "emit.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jw_init(jw *w, tc_stream *out, tc_buf *sink, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->sink = sink;
    w->pretty = pretty;
    w->empty[0] = true;
    if (sink == NULL) {
        w->buf = malloc(JW_BUF_SIZE);
        if (w->buf == NULL)
            return w->rc = tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    }
    return TC_OK;
}

void jw_free(jw *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = 0;
}

int jw_fail(jw *w, int code, const char *fmt, ...)
{
    if (w->rc != TC_OK)
        return w->rc;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    w->rc = code;
    tc_stream_error(w->out, code, 0, 0, "%s", text);
    return code;
}

int jw_flush(jw *w)
{
    if (w->rc == TC_OK && w->len > 0) {
        int rc = tc_stream_write(w->out, w->buf, w->len);
        if (rc != TC_OK)
            w->rc = rc; /* tc_stream_write has set the error */
    }
    w->len = 0;
    return w->rc;
}

void jw_raw(jw *w, const void *data, size_t len)
{
    if (w->rc != TC_OK)
        return;
    if (w->sink != NULL) {
        if (tc_buf_append(w->sink, data, len) != TC_OK)
            jw_fail(w, TC_ERR_NOMEM, "out of memory");
        return;
    }
    if (len <= JW_BUF_SIZE - w->len) {
        memcpy(w->buf + w->len, data, len);
        w->len += len;
        return;
    }
    if (jw_flush(w) != TC_OK)
        return;
    if (len >= JW_BUF_SIZE / 2) {
        /* A long run goes straight through instead of being copied twice. */
        int rc = tc_stream_write(w->out, data, len);
        if (rc != TC_OK)
            w->rc = rc;
        return;
    }
    memcpy(w->buf, data, len);
    w->len = len;
}

/* Append to the write buffer when there is room, else go through jw_raw. */
static inline void put(jw *w, const void *data, size_t len)
{
    if (w->buf != NULL && len <= JW_BUF_SIZE - w->len) {
        memcpy(w->buf + w->len, data, len);
        w->len += len;
    } else {
        jw_raw(w, data, len);
    }
}

/* ------------------------------------------------------------------ */
/* The string escaper                                                  */
/* ------------------------------------------------------------------ */

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/*
 * True when none of the 8 bytes in x needs attention: no byte below 0x20,
 * no '"', no '\\' and no byte of 0x80 or above (those go through the UTF-8
 * automaton below).  The borrow tricks can flag a byte above a flagged one,
 * never a byte when none is flagged, so the answer for the block as a whole
 * is exact.
 */
static inline bool block_is_plain(uint64_t x)
{
    uint64_t q = x ^ (ONES * '"');
    uint64_t b = x ^ (ONES * '\\');
    uint64_t t = x | ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b);
    return (t & HIGH) == 0;
}

/*
 * UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF) as an automaton whose transitions for one byte are packed
 * in one 64-bit word: a state is a bit offset (a multiple of 6) and the next
 * state is the 6 bits at that offset in the byte's word.  Stepping is then a
 * shift and a mask, so a run of non-ASCII text costs a couple of cycles a
 * byte and no unpredictable branch.  Bit 63 of the word marks an ASCII byte
 * that must be escaped.
 */
enum {
    S_OK = 0,   /* between characters */
    S_1 = 6,    /* one continuation byte (80..BF) to go */
    S_2 = 12,   /* two to go */
    S_3 = 18,   /* three to go */
    S_E0 = 24,  /* after E0: A0..BF, then one more (no overlong forms) */
    S_ED = 30,  /* after ED: 80..9F, then one more (no surrogates) */
    S_F0 = 36,  /* after F0: 90..BF, then two more (no overlong forms) */
    S_F4 = 42,  /* after F4: 80..8F, then two more (nothing above U+10FFFF) */
    S_BAD = 48  /* not UTF-8; stays here */
};

/* The word of a byte that leads from each state (in the order above) to the
 * state given; S_BAD always leads to S_BAD. */
#define STEP(from, to) ((uint64_t)(to) << (from))
#define ROW(ok, s1, s2, s3, e0, ed, f0, f4)                                      \
    (STEP(S_OK, ok) | STEP(S_1, s1) | STEP(S_2, s2) | STEP(S_3, s3) |           \
     STEP(S_E0, e0) | STEP(S_ED, ed) | STEP(S_F0, f0) | STEP(S_F4, f4) |         \
     STEP(S_BAD, S_BAD))
#define ESCAPE_FLAG (UINT64_C(1) << 63)

/* Bytes by what they can be. */
#define PL ROW(S_OK, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD) /* plain ASCII */
#define ES (PL | ESCAPE_FLAG)                        /* below 0x20, '"', '\\' */
#define C8 ROW(S_BAD, S_OK, S_1, S_2, S_BAD, S_1, S_BAD, S_2)  /* 80..8F */
#define C9 ROW(S_BAD, S_OK, S_1, S_2, S_BAD, S_1, S_2, S_BAD)  /* 90..9F */
#define CA ROW(S_BAD, S_OK, S_1, S_2, S_1, S_BAD, S_2, S_BAD)  /* A0..BF */
#define XX ROW(S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD) /* C0 C1 F5..FF */
#define L2 ROW(S_1, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)   /* C2..DF */
#define L3 ROW(S_2, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)   /* E1..EC EE EF */
#define LE0 ROW(S_E0, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)
#define LED ROW(S_ED, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)
#define L4 ROW(S_3, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)   /* F1..F3 */
#define LF0 ROW(S_F0, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)
#define LF4 ROW(S_F4, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD, S_BAD)
#define X16(r) r, r, r, r, r, r, r, r, r, r, r, r, r, r, r, r

static const uint64_t byte_step[256] = {
    /* 0x00 */ X16(ES),
    /* 0x10 */ X16(ES),
    /* 0x20 */ PL, PL, ES, PL, PL, PL, PL, PL, PL, PL, PL, PL, PL, PL, PL, PL,
    /* 0x30 */ X16(PL),
    /* 0x40 */ X16(PL),
    /* 0x50 */ PL, PL, PL, PL, PL, PL, PL, PL, PL, PL, PL, PL, ES, PL, PL, PL,
    /* 0x60 */ X16(PL),
    /* 0x70 */ X16(PL),
    /* 0x80 */ X16(C8),
    /* 0x90 */ X16(C9),
    /* 0xA0 */ X16(CA),
    /* 0xB0 */ X16(CA),
    /* 0xC0 */ XX, XX, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2,
    /* 0xD0 */ X16(L2),
    /* 0xE0 */ LE0, L3, L3, L3, L3, L3, L3, L3, L3, L3, L3, L3, L3, LED, L3, L3,
    /* 0xF0 */ LF0, L4, L4, L4, LF4, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};

static inline unsigned utf8_step(unsigned state, uint64_t word)
{
    return (unsigned)(word >> state) & 63;
}

/* Write the escape of an ASCII byte marked ESCAPE_FLAG: \" \\ \b \f \n \r \t,
 * or \u00XX with upper-case hex as jansson writes it. */
static void put_escape(jw *w, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char letter[0x20] = {
        ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
    };
    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
    if (c == '"' || c == '\\') {
        esc[1] = (char)c;
        put(w, esc, 2);
    } else if (letter[c]) {
        esc[1] = letter[c];
        put(w, esc, 2);
    } else {
        put(w, esc, 6);
    }
}

/* Report invalid UTF-8 in s[0..len), naming the first byte of the first
 * character that is not valid (as tc_utf8_valid does). */
static void bad_utf8(jw *w, const unsigned char *s, size_t len)
{
    unsigned state = S_OK;
    size_t offset = 0; /* where the current character began */
    for (size_t i = 0; i < len && state != S_BAD; i++) {
        if (state == S_OK)
            offset = i;
        state = utf8_step(state, byte_step[s[i]]);
    }
    char what[160];
    if (w->what != NULL)
        snprintf(what, sizeof what, "\"%s\"", w->what);
    else
        snprintf(what, sizeof what, "the key of an extra field");
    if (w->post_id != NULL)
        jw_fail(w, TC_ERR_DATA,
                "post %s: %s is not valid UTF-8 (byte offset %zu); JSON text must be UTF-8",
                w->post_id, what, offset);
    else
        jw_fail(w, TC_ERR_DATA,
                "thread: %s is not valid UTF-8 (byte offset %zu); JSON text must be UTF-8",
                what, offset);
}

void jw_string(jw *w, const char *str, size_t len)
{
    if (w->rc != TC_OK)
        return;
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;   /* next byte to look at */
    size_t run = 0; /* start of the bytes not yet written */
    unsigned state = S_OK;
    put(w, "\"", 1);
    while (i < len) {
        if (state == S_OK && len - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (block_is_plain(x)) {
                i += 8;
                continue;
            }
        }
        /* The next (up to) 8 bytes through the automaton, escaping as we go.
         * An escape met inside a character has sent the automaton to S_BAD:
         * what was written for it no longer matters, the string fails. */
        size_t stop = len - i >= 8 ? i + 8 : len;
        for (; i < stop; i++) {
            uint64_t word = byte_step[s[i]];
            state = utf8_step(state, word);
            if (word & ESCAPE_FLAG) {
                put(w, s + run, i - run);
                put_escape(w, s[i]);
                run = i + 1;
            }
        }
        if (state == S_BAD)
            break;
    }
    if (state != S_OK) {
        bad_utf8(w, s, len);
        return;
    }
    put(w, s + run, len - run);
    put(w, "\"", 1);
}

/* ------------------------------------------------------------------ */
/* Layout                                                              */
/* ------------------------------------------------------------------ */

static void newline_indent(jw *w, int depth)
{
    /* "\n" and 2 * JW_MAX_DEPTH spaces */
    static const char indent[] = "\n                ";
    put(w, indent, 1 + (size_t)depth * 2);
}

/* Separator and indentation before a member or an element. */
static inline void next_member(jw *w)
{
    if (!w->empty[w->depth])
        put(w, ",", 1);
    w->empty[w->depth] = false;
    if (w->pretty)
        newline_indent(w, w->depth);
}

void jw_open(jw *w, char bracket)
{
    if (w->depth >= JW_MAX_DEPTH) {
        jw_fail(w, TC_ERR_PLUGIN, "JSON nesting deeper than %d", JW_MAX_DEPTH);
        return;
    }
    put(w, &bracket, 1);
    w->depth++;
    w->empty[w->depth] = true;
}

void jw_close(jw *w, char bracket)
{
    if (w->depth <= 0) {
        jw_fail(w, TC_ERR_PLUGIN, "JSON container closed twice");
        return;
    }
    if (w->pretty && !w->empty[w->depth])
        newline_indent(w, w->depth - 1);
    put(w, &bracket, 1);
    w->depth--;
}

static inline void put_colon(jw *w)
{
    if (w->pretty)
        put(w, ": ", 2);
    else
        put(w, ":", 1);
}

void jw_key(jw *w, const char *key)
{
    next_member(w);
    w->what = NULL;
    jw_string(w, key, strlen(key));
    put_colon(w);
}

/*
 * The model's own keys are plain ASCII: written as literals, already
 * quoted, without going through the escaper (the hot path of small posts).
 */
#define KEY(w, name) known_key((w), "\"" name "\"", sizeof(name) + 1)

static inline void known_key(jw *w, const char *quoted, size_t len)
{
    next_member(w);
    put(w, quoted, len);
    put_colon(w);
}

void jw_item(jw *w)
{
    next_member(w);
}

void jw_member(jw *w, const char *key, const char *value, size_t len)
{
    jw_key(w, key);
    if (value == NULL) {
        jw_lit(w, "null");
        return;
    }
    w->what = key;
    jw_string(w, value, len);
}

/* ------------------------------------------------------------------ */
/* The model's objects                                                 */
/* ------------------------------------------------------------------ */

/* A string member with one of the model's keys; value NULL is a producer's
 * bug when the member is required, and leaves the member out when not. */
#define MEMBER(w, name, value, len, required) \
    model_member((w), "\"" name "\"", sizeof(name) + 1, name, (value), (len), (required))

static void model_member(jw *w, const char *quoted, size_t quoted_len, const char *name,
                         const char *value, size_t len, bool required)
{
    if (value == NULL) {
        if (required)
            jw_fail(w, TC_ERR_PLUGIN, "%s%s: \"%s\" is NULL but is required",
                    w->post_id ? "post " : "thread", w->post_id ? w->post_id : "", name);
        return;
    }
    known_key(w, quoted, quoted_len);
    w->what = name;
    jw_string(w, value, len);
}

static inline size_t length_or_0(const char *s)
{
    return s ? strlen(s) : 0;
}

void jw_extras(jw *w, const tc_fields *fields)
{
    for (size_t i = 0; i < fields->count && w->rc == TC_OK; i++) {
        const tc_field *f = &fields->items[i];
        if (f->key == NULL || *f->key == '\0' || f->value == NULL) {
            jw_fail(w, TC_ERR_PLUGIN, "extra field %zu has no key or no value", i + 1);
            return;
        }
        if (tc_is_reserved_key(f->key)) {
            jw_fail(w, TC_ERR_PLUGIN,
                    "extra field \"%s\" uses a name the model reserves", f->key);
            return;
        }
        jw_member_str(w, f->key, f->value);
    }
}

void jw_post_members(jw *w, const tc_post *post)
{
    w->post_id = post->id ? post->id : "(no id)";
    MEMBER(w, "id", post->id, length_or_0(post->id), true);
    MEMBER(w, "author", post->author, length_or_0(post->author), true);
    KEY(w, "date");
    if (post->date.present) {
        /* ISO 8601 digits and signs: nothing to escape. */
        char iso[TC_ISO_DATE_SIZE + 2];
        size_t n = tc_date_format_iso(post->date, iso + 1);
        iso[0] = '"';
        iso[n + 1] = '"';
        put(w, iso, n + 2);
    } else {
        put(w, "null", 4);
    }
    MEMBER(w, "body", post->body, post->body_len, true);
    MEMBER(w, "parent", post->parent_id, length_or_0(post->parent_id), false);
    jw_extras(w, &post->extras);
    w->post_id = NULL;
}

void jw_thread_members(jw *w, const tc_thread *thread, const char *first_id)
{
    w->post_id = NULL;
    if (first_id != NULL)
        MEMBER(w, "id", first_id, strlen(first_id), true);
    MEMBER(w, "title", thread->title, length_or_0(thread->title), true);
    MEMBER(w, "source", thread->source, length_or_0(thread->source), true);
    if (first_id == NULL)
        MEMBER(w, "id", thread->id, length_or_0(thread->id), false);
    MEMBER(w, "url", thread->url, length_or_0(thread->url), false);
    jw_extras(w, &thread->extras);
}
