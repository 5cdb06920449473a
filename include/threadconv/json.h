/*
 * json.h - a streaming pull parser for JSON (RFC 8259), part of the SDK for
 * every reader of a JSON format (threadconv's own json and jsonl, and the
 * chat and forum exports that are multi-gigabyte JSON): it reads a document
 * one event at a time (a member's
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
 *     is refused), and \u0000 is refused in member names, and in values
 *     unless the caller sets allow_nul (jansson's JSON_ALLOW_NUL);
 *   - numbers follow the JSON grammar (no leading zeros, no "1.", no "+1");
 *     integers must fit in 64 bits and reals must not overflow a double;
 *   - a member name may not occur twice in one object, at any depth;
 *   - values nest at most 2048 deep (jansson's JSON_PARSER_MAX_DEPTH: the
 *     readers keep that fixed limit, see README "Limits");
 *   - and a quirk: a NUL byte right after a number, true, false or null is
 *     skipped (see drop_nul_later in core/json.c).
 *
 * One limit of its own, which jansson does not have: names_max caps the
 * memory the member names of the open objects take (the parser keeps them
 * to refuse a repeated name), so that no input can make it grow without
 * bound: a 200 MB name, or millions of members in one object.  Unset (0),
 * there is no cap and the parser is jansson's exactly.
 *
 * Ownership, stated once: a tc_json parser is the caller's (on the stack or
 * inside its state), set up with tc_json_init_memory or tc_json_init_stream
 * and released with tc_json_free; the text it decodes (keys, strings) is
 * borrowed until the next call.  Its fields are for reading only, but for
 * the settings (allow_nul, names_max) and the sink of the next string.
 *
 * Errors: the first error is kept in tc_json.err and every later call returns
 * TC_JSON_ERROR.  tc_json_error_text() gives jansson's message ("duplicate object key
 * near '\"id\"'") with the line and column (in characters) where jansson
 * stopped.  Working out the column and the quoted text may read part of the
 * input again (a stream must be seekable: tc_stream_make_seekable).  When
 * names_max stopped it (err.limit), err.text shows the name and its length
 * and err.tok is where the name starts (tc_json_position gives its column):
 * the caller says which limit that was and how to raise it.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef THREADCONV_JSON_H
#define THREADCONV_JSON_H

#include <threadconv/threadconv.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* jansson's JSON_PARSER_MAX_DEPTH: values nest at most this deep. */
#define TC_JSON_MAX_DEPTH 2048

/* Readable bytes after the input that make a memory input "padded". */
#define TC_JSON_PAD 16

/* What each member name counts against names_max besides its length: about
 * what the parser keeps for it (its entry in the name set, its NUL). */
#define TC_JSON_NAME_COST 64

/* What tc_json_next() read. */
typedef enum tc_json_event {
    TC_JSON_ERROR = -1,  /* the input is not JSON, or reading failed: see tc_json.err */
    TC_JSON_END = 0,     /* the innermost object or array ended ('}' or ']' read) */
    TC_JSON_EOF,         /* the document ended: nothing but white space after it */
    TC_JSON_KEY,         /* a member's name: tc_json.key (decoded, NUL-terminated), tc_json.key_len */
    TC_JSON_STRING,      /* a string value: see tc_json.sink */
    TC_JSON_INTEGER,     /* a whole number: tc_json.integer */
    TC_JSON_REAL,        /* a number with a fraction or an exponent (its value is not kept) */
    TC_JSON_TRUE,
    TC_JSON_FALSE,
    TC_JSON_NULL,
    TC_JSON_OBJECT,      /* '{': its members follow, then TC_JSON_END */
    TC_JSON_ARRAY        /* '[': its elements follow, then TC_JSON_END */
} tc_json_event;

/* The first error. */
typedef struct tc_json_error {
    int code;           /* TC_OK (none), TC_ERR_DATA (not JSON), or the code of a
                         * failed read (TC_ERR_NOMEM, or the stream's: its error is set) */
    uint64_t off;       /* input offset where jansson stopped (bytes it had read) */
    uint64_t tok;       /* input offset where the token being read starts */
    uint64_t line;      /* 1-based line of off */
    uint64_t line_off;  /* input offset where that line starts */
    uint64_t nuls;      /* NUL bytes jansson dropped on that line (see pull.c) */
    bool decode;        /* an undecodable byte (jansson gives no context then) */
    bool limit;         /* not a JSON error: names_max was reached at a member name
                         * (tok is where the name starts; text shows the name and
                         * its length, e.g. member name "aaaa..." (200000000 bytes)) */
    char text[96];      /* the message without its context */
} tc_json_error;

/* One open object or array. */
typedef struct tc_json_frame {
    unsigned char kind;  /* '{' or '[' */
    unsigned char state; /* private */
    uint32_t keys;       /* private: this object's first entry in the name set */
} tc_json_frame;

/* A place in the input to come back to (tc_json_mark, tc_json_seek). */
typedef struct tc_json_mark {
    uint64_t off, line, line_off, nuls;
    bool drop_nul;
    unsigned depth;
    tc_json_frame top;
    int top_state;
} tc_json_mark;

/* One member name in the set of names of the open objects. */
typedef struct tc_json_name {
    uint64_t hash;
    size_t off, len;   /* in tc_json.names */
    uint32_t next;     /* previous entry in the same bucket, + 1; 0: none */
} tc_json_name;

typedef struct tc_json {
    /* --- results of the last tc_json_next --- */
    const char *key;     /* TC_JSON_KEY: the name, valid until the next call */
    size_t key_len;
    int64_t integer;     /* TC_JSON_INTEGER */
    /*
     * Strings.  Before a tc_json_next that may read a string value, set sink to
     * a buffer and the string's bytes are appended to it (then a NUL):
     * str_off is where they start, str_len the decoded length.  Only
     * sink_max bytes are kept (str_capped says some were not): str_len
     * still counts them all.  tc_json_next clears sink (NULL: not kept) and sets
     * sink_max to SIZE_MAX again, so each setting serves one call.
     */
    tc_buf *sink;
    size_t sink_max;
    size_t str_off, str_len;
    bool str_capped;
    bool str_nul;        /* TC_JSON_STRING: the string holds a \u0000 (allow_nul) */
    uint64_t tok;        /* input offset where the last token read starts */

    /* --- settings: zero (the defaults) after tc_json_init_stream and in a
     * zeroed parser; set them after it; tc_json_init_memory keeps them --- */
    bool allow_nul;      /* \u0000 is accepted in string values (never in member
                          * names): the string's bytes hold a NUL and str_nul is
                          * set, as with jansson's JSON_ALLOW_NUL */
    size_t names_max;    /* 0: no cap; else the member names of the open objects,
                          * each counted TC_JSON_NAME_COST bytes more than its
                          * length, may come to at most this many bytes: the name
                          * that would pass it is kept no further and is an error
                          * (err.limit), at any depth */

    tc_json_error err;

    /* --- private --- */
    const unsigned char *buf, *cur, *lim; /* the window: buf[0..lim), cur next unread */
    unsigned char *own;  /* the window's memory when reading a stream */
    size_t own_cap;
    uint64_t base;       /* input offset of buf[0] */
    bool eof;            /* nothing follows lim */
    bool padded;         /* TC_JSON_PAD bytes after lim may be read */
    tc_stream *in;       /* NULL: the whole input is in memory */
    unsigned char *ahead; /* look-ahead reads (streams) */
    uint64_t line, line_off;
    uint64_t line_nuls;  /* NUL bytes dropped on this line so far */
    bool drop_nul;       /* a NUL next is dropped (see pull.c) */
    int top_state;
    tc_json_frame *stack;
    unsigned depth;      /* open objects and arrays */
    tc_buf names;        /* names of the members of the open objects */
    tc_json_name *name;
    uint32_t n_names, cap_names;
    uint32_t *bucket;
    uint32_t n_buckets;
} tc_json;

/*
 * Start parsing len bytes at data (kept by the caller while parsing), or a
 * stream from where it is now, through a window of window bytes (0: 64 KiB;
 * tests use tiny ones).  For memory, j is zeroed first or was used for
 * memory before (its allocations are reused: a jsonl line each time);
 * padded says that TC_JSON_PAD more bytes after the data may be read (they are
 * never used: the parser reads 16 bytes at a time).  A UTF-8 byte order
 * mark is not skipped here: see tc_json_skip_bom.  Returns TC_OK or
 * TC_ERR_NOMEM.
 */
int tc_json_init_memory(tc_json *j, const void *data, size_t len, bool padded);
int tc_json_init_stream(tc_json *j, tc_stream *in, size_t window);
void tc_json_free(tc_json *j);

/* Skip a UTF-8 byte order mark at the current place, if there is one; columns
 * on its line then count from after it (as jansson, given the text after it). */
int tc_json_skip_bom(tc_json *j);

/* Read the next event.  At the start, the document's value (an object or
 * an array: anything else is an error); inside an object, TC_JSON_KEY or TC_JSON_END,
 * and after TC_JSON_KEY the member's value; inside an array, the next element or
 * TC_JSON_END; after the document, TC_JSON_EOF. */
tc_json_event tc_json_next(tc_json *j);

/* Number of open objects and arrays. */
static inline unsigned tc_json_depth(const tc_json *j)
{
    return j->depth;
}

/* Input offset of the next unread byte. */
uint64_t tc_json_offset(const tc_json *j);

/*
 * Where a member's value comes next (after TC_JSON_KEY): when the input there is
 * exactly text[0..len), read over it and return true, else read nothing and
 * return false.  Only for a text read and checked before at the same depth
 * (a jsonl line's "thread" object, the same as the line before): the same
 * bytes in the same place parse the same, so they are not parsed again.
 * The value's names are not checked against anything (an object's names
 * only clash within it).
 */
bool tc_json_next_is(tc_json *j, const void *text, size_t len);

/* After TC_JSON_OBJECT or TC_JSON_ARRAY: read (and check) the rest of that value. */
tc_json_event tc_json_skip(tc_json *j);

/* Read on (checking everything) until only depth objects or arrays are open. */
tc_json_event tc_json_unwind(tc_json *j, unsigned depth);

/*
 * Look ahead, reading nothing for good: when the next value (after a
 * member's name) is an array, set *after to the first byte after that array
 * that is not white space, or to -1 when the input ends first; when it is
 * not an array, to -2.  The array is not checked: only its brackets and
 * strings are followed, which finds its end when it is valid JSON (when it
 * is not, parsing it later says so).  Returns TC_OK or the code of a failed
 * read (the error is in tc_json.err).
 */
int tc_json_peek_after_array(tc_json *j, int *after);

/*
 * Remember the current place, and come back to it.  tc_json_seek restores the
 * place and the innermost open object or array as they were; the ones
 * outside it must be the same as then, and the member names of the
 * innermost one are not restored (come back only to read a value that has
 * already been checked).  Returns TC_OK or the code of a failed seek.
 */
void tc_json_mark_here(const tc_json *j, tc_json_mark *m);
int tc_json_seek(tc_json *j, const tc_json_mark *m);

/*
 * The 1-based line and column (in characters, as jansson counts them) of
 * input offset off, which must be on the line being read (at or after the
 * start of the current line, before tc_json_offset).  Returns TC_OK or the code
 * of a failed read (the start of the line may be read again).
 */
int tc_json_position(tc_json *j, uint64_t off, uint64_t *line, uint64_t *column);

/*
 * The error as jansson words it: the message, then " near '...'" with the
 * text of the token it stopped in (when at most 20 bytes) or " near end of
 * file"; and its line and column (0 when jansson gives none).  Returns
 * TC_OK, or the code of a failed read (working out the column may read the
 * line again).
 */
int tc_json_error_text(tc_json *j, char *out, size_t size, uint64_t *line, uint64_t *column);

#endif
