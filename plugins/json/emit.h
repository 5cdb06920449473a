/*
 * emit.h - a small streaming JSON emitter shared by the json and jsonl
 * writers: a string escaper, a write buffer, compact or indented layout, and
 * helpers that write a post's and a thread's members.
 *
 * Strings are escaped exactly as jansson's json_dumps(..., JSON_COMPACT)
 * escapes them: only '"', '\\' and control characters below U+0020 are
 * escaped (\b \f \n \r \t, else \u00XX with upper-case hex); everything else,
 * '/' and U+2028/U+2029 included, is written as the UTF-8 it is.
 *
 * The writers trust what they are given: the checked session
 * (core/session.c, tc_writer_*) has already made sure that every string is
 * UTF-8, that required members are there, that extra field keys are
 * non-empty, unique and not reserved, and that attachments are whole, so
 * the output is valid JSON without checking any of it again.  Debug builds
 * (unoptimised, NDEBUG not defined: JW_DEBUG_CHECKS) assert it all again;
 * other builds assert only what costs a pointer test.
 *
 * Errors are sticky: the first failure is kept in jw.rc (and set on the
 * stream with a message), later calls do nothing, and the caller checks
 * jw.rc once at the end of a callback.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_JSON_EMIT_H
#define TC_JSON_EMIT_H

#include <threadconv/threadconv.h>

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Bytes collected before they are handed to the stream. */
#define JW_BUF_SIZE 65536
/* Debug builds check the model's contract again (see above). */
#if !defined(NDEBUG) && !defined(__OPTIMIZE__)
#define JW_DEBUG_CHECKS 1
#endif

/* Deepest nesting of objects and arrays the writers use, plus room. */
#define JW_MAX_DEPTH 8

typedef struct jw {
    tc_stream *out;    /* where errors are set; and the output, unless sink */
    tc_buf *sink;      /* when not NULL, bytes are appended here instead */
    int rc;            /* TC_OK, or the first failure (sticky) */
    bool pretty;       /* indent by two spaces, one member per line */
    int depth;         /* containers open */
    bool empty[JW_MAX_DEPTH + 1]; /* container at depth i has no member yet */
    char *buf;         /* JW_BUF_SIZE bytes when writing to a stream */
    size_t len;
} jw;

/*
 * Start an emitter on a stream (bytes buffered, handed over by jw_flush) or,
 * when sink is not NULL, appending to sink (errors still go to out).
 * Returns TC_OK or TC_ERR_NOMEM with the error set on out.
 */
int jw_init(jw *w, tc_stream *out, tc_buf *sink, bool pretty);
/* Free the write buffer (does not flush). */
void jw_free(jw *w);
/* Hand buffered bytes to the stream.  Returns w->rc. */
int jw_flush(jw *w);
/* Set a failure with a message on the stream (first one wins).  Returns code. */
int jw_fail(jw *w, int code, const char *fmt, ...) TC_PRINTF(3, 4);

/* Bytes written as they are. */
void jw_raw(jw *w, const void *data, size_t len);
#define jw_lit(w, literal) jw_raw((w), (literal), sizeof(literal) - 1)

/* s[0..len) as a quoted, escaped JSON string (valid UTF-8; U+0000 may be
 * in it, written \u0000). */
void jw_string(jw *w, const char *s, size_t len);

/*
 * Layout.  jw_open writes '{' or '[' as a value; jw_key starts an object
 * member (separator, indentation, the key, the colon) and jw_item an array
 * element; jw_close ends the innermost container with '}' or ']'.  An empty
 * container is written "{}" or "[]" also when pretty.
 */
void jw_open(jw *w, char bracket);
void jw_close(jw *w, char bracket);
void jw_key(jw *w, const char *key);
void jw_item(jw *w);

/* A member with a string value, with null when value is NULL. */
void jw_member(jw *w, const char *key, const char *value, size_t len);
#define jw_member_str(w, key, value) \
    jw_member((w), (key), (value), (value) ? strlen(value) : 0)

/* Extra fields as further string members, in their order (keys never
 * reserved, unique: the session's promise). */
void jw_extras(jw *w, const tc_fields *fields);

/*
 * A post's members: "id", "author", "date" (ISO 8601 with offset, or null),
 * "body", "parent" (left out when NULL), the extras, then "attachments"
 * (left out when there are none): an array of objects with "name", "type"
 * (the media type), "size" (when known), "ref", "content_id",
 * "disposition", "note" (each left out when NULL) and last "data", the
 * bytes as padded base64, encoded as they are written.
 */
void jw_post_members(jw *w, const tc_post *post);

/*
 * A thread's members.  With first_id NULL (json): "title", "source", "id"
 * and "url" (each left out when NULL), then the extras.  With first_id set
 * (jsonl): "id" = first_id, "title", "source", "url" (left out when NULL),
 * then the extras.
 */
void jw_thread_members(jw *w, const tc_thread *thread, const char *first_id);

#endif
