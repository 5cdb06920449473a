/* emit.c - the streaming JSON emitter of the json and jsonl writers; see emit.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "emit.h"

#include <assert.h>
#include <inttypes.h>
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

/*
 * The escaper only looks for the bytes JSON escapes: below 0x20, '"' and
 * '\\'.  Runs without them are copied as they are.  It needs no UTF-8
 * decoding to do that: those bytes are ASCII, never part of a longer
 * character, and every other byte is copied as it is.  That the text is
 * UTF-8 is the checked session's promise (core/session.c), not checked
 * again here but in debug builds (JW_DEBUG_CHECKS, see emit.h).
 */
#if defined(__SSE2__)
#include <emmintrin.h>

/* Index of the first byte of s[i..len) that JSON escapes, or len. */
static inline size_t next_escape(const unsigned char *s, size_t i, size_t len)
{
    const __m128i low = _mm_set1_epi8(0x1F);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; len - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, low), v),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                              _mm_cmpeq_epi8(v, backslash)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0)
            return i + (size_t)__builtin_ctz(bits);
    }
    for (; i < len; i++)
        if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
            return i;
    return len;
}
#else
#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/* Index of the first byte of s[i..len) that JSON escapes, or len.  Eight
 * bytes at a time: the borrow tricks flag a byte below 0x20, '"' or '\\'
 * (and perhaps bytes above one), never a block without one. */
static inline size_t next_escape(const unsigned char *s, size_t i, size_t len)
{
    for (; len - i >= 8; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t q = x ^ (ONES * '"');
        uint64_t b = x ^ (ONES * '\\');
        uint64_t t = ((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b);
        if ((t & HIGH) != 0)
            break;
    }
    for (; i < len; i++)
        if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
            return i;
    return len;
}
#endif

/* Write the escape of an ASCII byte JSON escapes: \" \\ \b \f \n \r \t,
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

void jw_string(jw *w, const char *str, size_t len)
{
    if (w->rc != TC_OK)
        return;
    const unsigned char *s = (const unsigned char *)str;
#ifdef JW_DEBUG_CHECKS
    /* UTF-8, U+0000 included (JSON holds it as \u0000) */
    assert(tc_utf8_valid_text(str, len, NULL));
#endif
    put(w, "\"", 1);
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = next_escape(s, 0, len); i < len; i = next_escape(s, i + 1, len)) {
        put(w, s + run, i - run);
        put_escape(w, s[i]);
        run = i + 1;
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
    jw_string(w, value, len);
}

/* ------------------------------------------------------------------ */
/* The model's objects                                                 */
/* ------------------------------------------------------------------ */

/* A string member with one of the model's keys, left out when value is
 * NULL.  A required member is never NULL: the checked session sees to it. */
#define MEMBER(w, name, value, len, required) \
    model_member((w), "\"" name "\"", sizeof(name) + 1, (value), (len), (required))

static void model_member(jw *w, const char *quoted, size_t quoted_len, const char *value,
                         size_t len, bool required)
{
    assert(value != NULL || !required);
    (void)required;
    if (value == NULL)
        return;
    known_key(w, quoted, quoted_len);
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
        assert(f->key != NULL && *f->key != '\0' && f->value != NULL);
#ifdef JW_DEBUG_CHECKS
        assert(!tc_is_reserved_key(f->key));
        for (size_t j = 0; j < i; j++)
            assert(strcmp(fields->items[j].key, f->key) != 0);
#endif
        jw_member_str(w, f->key, f->value);
    }
}

/* data[0..len) as a JSON string of standard padded base64 (RFC 4648,
 * section 4), encoded a bounded chunk at a time: the bytes are never
 * copied whole.  Base64 needs no JSON escapes. */
static void put_base64(jw *w, const unsigned char *data, size_t len)
{
    char chunk[4096];
    const size_t group = sizeof chunk / 4 * 3; /* bytes a chunk holds */
    put(w, "\"", 1);
    for (size_t i = 0; i < len && w->rc == TC_OK; i += group) {
        size_t n = len - i < group ? len - i : group;
        put(w, chunk, tc_base64_encode(data + i, n, chunk));
    }
    put(w, "\"", 1);
}

/* The post's "attachments" array (none: left out). */
static void jw_attachments(jw *w, const tc_post *post)
{
    if (post->n_attachments == 0)
        return;
    KEY(w, "attachments");
    jw_open(w, '[');
    for (size_t i = 0; i < post->n_attachments && w->rc == TC_OK; i++) {
        const tc_attachment *a = &post->attachments[i];
        assert(a->data == NULL || a->size_known);
        jw_item(w);
        jw_open(w, '{');
        MEMBER(w, "name", a->name, length_or_0(a->name), true);
        MEMBER(w, "type", a->media_type, length_or_0(a->media_type), true);
        if (a->size_known) {
            char size[24];
            int n = snprintf(size, sizeof size, "%" PRIu64, a->size);
            KEY(w, "size");
            put(w, size, (size_t)n);
        }
        MEMBER(w, "ref", a->ref, length_or_0(a->ref), false);
        MEMBER(w, "content_id", a->content_id, length_or_0(a->content_id), false);
        MEMBER(w, "disposition", a->disposition, length_or_0(a->disposition), false);
        MEMBER(w, "note", a->note, length_or_0(a->note), false);
        if (a->data != NULL) {
            KEY(w, "data");
            put_base64(w, a->data, (size_t)a->size);
        }
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

void jw_post_members(jw *w, const tc_post *post)
{
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
    jw_attachments(w, post);
}

void jw_thread_members(jw *w, const tc_thread *thread, const char *first_id)
{
    if (first_id != NULL)
        MEMBER(w, "id", first_id, strlen(first_id), true);
    MEMBER(w, "title", thread->title, length_or_0(thread->title), true);
    MEMBER(w, "source", thread->source, length_or_0(thread->source), true);
    if (first_id == NULL)
        MEMBER(w, "id", thread->id, length_or_0(thread->id), false);
    MEMBER(w, "url", thread->url, length_or_0(thread->url), false);
    jw_extras(w, &thread->extras);
}
