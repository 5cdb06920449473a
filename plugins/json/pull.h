/*
 * pull.h - a streaming pull parser for JSON (RFC 8259), shared by the json
 * and jsonl readers: it reads a document one event at a time (a member's
 * name, a string, a number, the start or end of an object or array) from a
 * tc_stream through a small window, or from a buffer in memory (a jsonl
 * line), so a reader decodes each post straight into the model and memory
 * does not grow with the document.
 *
 * It accepts and refuses exactly what jansson's json_loadb() does with
 * JSON_REJECT_DUPLICATES (the readers' parser before this one, and the test
 * oracle, tests/test_json_pull.c), with the same message, line and column:
 *
 *   - the document is one object or array; white space is ' ' '\t' '\n'
 *     '\r'; nothing but white space may follow it;
 *   - strings are UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 *     above U+10FFFF, checked everywhere in the input, not only in
 *     strings); raw control characters (U+0000-U+001F) are refused in them;
 *     escapes are \" \\ \/ \b \f \n \r \t and \uXXXX; a \u escape of a
 *     surrogate must be a high one followed by a low one (a lone surrogate
 *     is refused), and \u0000 is refused in values and in member names;
 *   - numbers follow the JSON grammar (no leading zeros, no "1.", no "+1");
 *     integers must fit in 64 bits and reals must not overflow a double;
 *   - a member name may not occur twice in one object, at any depth;
 *   - values nest at most 2048 deep (jansson's JSON_PARSER_MAX_DEPTH: the
 *     readers keep that fixed limit, see README "Limits");
 *   - and a quirk: a NUL byte right after a number, true, false or null is
 *     skipped (see drop_nul_later in pull.c).
 *
 * Errors: the first error is kept in jp.err and every later call returns
 * JP_ERROR.  jp_error_text() gives jansson's message ("duplicate object key
 * near '\"id\"'") with the line and column (in characters) where jansson
 * stopped.  Working out the column and the quoted text may read part of the
 * input again (a stream must be seekable: tc_stream_make_seekable).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_JSON_PULL_H
#define TC_JSON_PULL_H

#include <threadconv/threadconv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* jansson's JSON_PARSER_MAX_DEPTH: values nest at most this deep. */
#define JP_MAX_DEPTH 2048

/* Readable bytes after the input that make a memory input "padded". */
#define JP_PAD 16

/* What jp_next() read. */
typedef enum jp_event {
    JP_ERROR = -1,  /* the input is not JSON, or reading failed: see jp.err */
    JP_END = 0,     /* the innermost object or array ended ('}' or ']' read) */
    JP_EOF,         /* the document ended: nothing but white space after it */
    JP_KEY,         /* a member's name: jp.key (decoded, NUL-terminated), jp.key_len */
    JP_STRING,      /* a string value: see jp.sink */
    JP_INTEGER,     /* a whole number: jp.integer */
    JP_REAL,        /* a number with a fraction or an exponent (its value is not kept) */
    JP_TRUE,
    JP_FALSE,
    JP_NULL,
    JP_OBJECT,      /* '{': its members follow, then JP_END */
    JP_ARRAY        /* '[': its elements follow, then JP_END */
} jp_event;

/* The first error. */
typedef struct jp_error {
    int code;           /* TC_OK (none), TC_ERR_DATA (not JSON), or the code of a
                         * failed read (TC_ERR_NOMEM, or the stream's: its error is set) */
    uint64_t off;       /* input offset where jansson stopped (bytes it had read) */
    uint64_t tok;       /* input offset where the token being read starts */
    uint64_t line;      /* 1-based line of off */
    uint64_t line_off;  /* input offset where that line starts */
    uint64_t nuls;      /* NUL bytes jansson dropped on that line (see pull.c) */
    bool decode;        /* an undecodable byte (jansson gives no context then) */
    char text[96];      /* the message without its context */
} jp_error;

/* One open object or array. */
typedef struct jp_frame {
    unsigned char kind;  /* '{' or '[' */
    unsigned char state; /* private */
    uint32_t keys;       /* private: this object's first entry in the name set */
} jp_frame;

/* A place in the input to come back to (jp_mark, jp_seek). */
typedef struct jp_mark {
    uint64_t off, line, line_off, nuls;
    bool drop_nul;
    unsigned depth;
    jp_frame top;
    int top_state;
} jp_mark;

/* One member name in the set of names of the open objects. */
typedef struct jp_name {
    uint64_t hash;
    size_t off, len;   /* in jp.names */
    uint32_t next;     /* previous entry in the same bucket, + 1; 0: none */
} jp_name;

typedef struct jp {
    /* --- results of the last jp_next --- */
    const char *key;     /* JP_KEY: the name, valid until the next call */
    size_t key_len;
    int64_t integer;     /* JP_INTEGER */
    /*
     * Strings.  Before a jp_next that may read a string value, set sink to
     * a buffer and the string's bytes are appended to it (then a NUL):
     * str_off is where they start, str_len the decoded length.  Only
     * sink_max bytes are kept (str_capped says some were not): str_len
     * still counts them all.  jp_next clears sink (NULL: not kept) and sets
     * sink_max to SIZE_MAX again, so each setting serves one call.
     */
    tc_buf *sink;
    size_t sink_max;
    size_t str_off, str_len;
    bool str_capped;
    uint64_t tok;        /* input offset where the last token read starts */

    jp_error err;

    /* --- private --- */
    const unsigned char *buf, *cur, *lim; /* the window: buf[0..lim), cur next unread */
    unsigned char *own;  /* the window's memory when reading a stream */
    size_t own_cap;
    uint64_t base;       /* input offset of buf[0] */
    bool eof;            /* nothing follows lim */
    bool padded;         /* JP_PAD bytes after lim may be read */
    tc_stream *in;       /* NULL: the whole input is in memory */
    unsigned char *ahead; /* look-ahead reads (streams) */
    uint64_t line, line_off;
    uint64_t line_nuls;  /* NUL bytes dropped on this line so far */
    bool drop_nul;       /* a NUL next is dropped (see pull.c) */
    int top_state;
    jp_frame *stack;
    unsigned depth;      /* open objects and arrays */
    tc_buf names;        /* names of the members of the open objects */
    jp_name *name;
    uint32_t n_names, cap_names;
    uint32_t *bucket;
    uint32_t n_buckets;
} jp;

/*
 * Start parsing len bytes at data (kept by the caller while parsing), or a
 * stream from where it is now, through a window of window bytes (0: 64 KiB;
 * tests use tiny ones).  For memory, j is zeroed first or was used for
 * memory before (its allocations are reused: a jsonl line each time);
 * padded says that JP_PAD more bytes after the data may be read (they are
 * never used: the parser reads 16 bytes at a time).  A UTF-8 byte order
 * mark is not skipped here: see jp_skip_bom.  Returns TC_OK or
 * TC_ERR_NOMEM.
 */
int jp_init_memory(jp *j, const void *data, size_t len, bool padded);
int jp_init_stream(jp *j, tc_stream *in, size_t window);
void jp_free(jp *j);

/* Skip a UTF-8 byte order mark at the current place, if there is one; columns
 * on its line then count from after it (as jansson, given the text after it). */
int jp_skip_bom(jp *j);

/* Read the next event.  At the start, the document's value (an object or
 * an array: anything else is an error); inside an object, JP_KEY or JP_END,
 * and after JP_KEY the member's value; inside an array, the next element or
 * JP_END; after the document, JP_EOF. */
jp_event jp_next(jp *j);

/* Number of open objects and arrays. */
static inline unsigned jp_depth(const jp *j)
{
    return j->depth;
}

/* Input offset of the next unread byte. */
uint64_t jp_offset(const jp *j);

/*
 * Where a member's value comes next (after JP_KEY): when the input there is
 * exactly text[0..len), read over it and return true, else read nothing and
 * return false.  Only for a text read and checked before at the same depth
 * (a jsonl line's "thread" object, the same as the line before): the same
 * bytes in the same place parse the same, so they are not parsed again.
 * The value's names are not checked against anything (an object's names
 * only clash within it).
 */
bool jp_next_is(jp *j, const void *text, size_t len);

/* After JP_OBJECT or JP_ARRAY: read (and check) the rest of that value. */
jp_event jp_skip(jp *j);

/* Read on (checking everything) until only depth objects or arrays are open. */
jp_event jp_unwind(jp *j, unsigned depth);

/*
 * Look ahead, reading nothing for good: when the next value (after a
 * member's name) is an array, set *after to the first byte after that array
 * that is not white space, or to -1 when the input ends first; when it is
 * not an array, to -2.  The array is not checked: only its brackets and
 * strings are followed, which finds its end when it is valid JSON (when it
 * is not, parsing it later says so).  Returns TC_OK or the code of a failed
 * read (the error is in jp.err).
 */
int jp_peek_after_array(jp *j, int *after);

/*
 * Remember the current place, and come back to it.  jp_seek restores the
 * place and the innermost open object or array as they were; the ones
 * outside it must be the same as then, and the member names of the
 * innermost one are not restored (come back only to read a value that has
 * already been checked).  Returns TC_OK or the code of a failed seek.
 */
void jp_mark_here(const jp *j, jp_mark *m);
int jp_seek(jp *j, const jp_mark *m);

/*
 * The 1-based line and column (in characters, as jansson counts them) of
 * input offset off, which must be on the line being read (at or after the
 * start of the current line, before jp_offset).  Returns TC_OK or the code
 * of a failed read (the start of the line may be read again).
 */
int jp_position(jp *j, uint64_t off, uint64_t *line, uint64_t *column);

/*
 * The error as jansson words it: the message, then " near '...'" with the
 * text of the token it stopped in (when at most 20 bytes) or " near end of
 * file"; and its line and column (0 when jansson gives none).  Returns
 * TC_OK, or the code of a failed read (working out the column may read the
 * line again).
 */
int jp_error_text(jp *j, char *out, size_t size, uint64_t *line, uint64_t *column);

#endif
