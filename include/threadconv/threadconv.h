/*
 * threadconv.h - the public interface of libthreadconv.
 *
 * libthreadconv converts forum-thread and mail archives between formats.
 * It defines one interchange model (a thread header followed by its posts),
 * loads reader and writer plugins, and drives a streaming conversion.
 *
 * Conventions, stated once for the whole header:
 *   - Every public name starts with `tc_` (types, functions) or `TC_`
 *     (macros, constants).  Anything else is private.
 *   - Strings are NUL-terminated UTF-8 unless a length is also given.
 *   - Each function says who owns what it returns: "new" means the caller
 *     frees it with the named function, "borrowed" means the library keeps
 *     ownership and the pointer stays valid only as long as stated.
 *   - Functions that can fail return an int status: TC_OK (0), TC_EOF (1)
 *     where an end is meaningful, or a negative TC_ERR_* code.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef THREADCONV_H
#define THREADCONV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TC_PRINTF(fmt, args)
#endif

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

/*
 * A negative code is the negated process exit status the CLI uses for it,
 * so a failure maps to an exit code without a table.
 */
enum {
    TC_OK = 0,             /* success */
    TC_EOF = 1,            /* end of the stream (or of a thread's posts) */
    /* From read_next_post only (ABI 1.1): the post at the error set on the
     * stream is bad and the reader has moved past it; the next call goes on
     * with the post after it.  Without --keep-going the core treats it as
     * TC_ERR_DATA; with it, the core warns and carries on (libarchive's
     * ARCHIVE_FAILED). */
    TC_SKIPPED = 2,
    TC_ERR_DATA = -1,      /* the input is not valid for the format (exit 1) */
    TC_ERR_USAGE = -2,     /* bad option or argument (exit 2) */
    TC_ERR_PLUGIN = -3,    /* plugin refused, missing or misbehaving (exit 3) */
    TC_ERR_OUTPUT = -4,    /* writing the output failed (exit 4) */
    TC_ERR_NOMEM = -5      /* out of memory (reported as exit 1) */
};

typedef struct tc_tree tc_tree; /* a read-only tree of files: tree.h */

/* ------------------------------------------------------------------ */
/* The interchange model                                               */
/* ------------------------------------------------------------------ */

/* One extra field: a key/value pair of UTF-8 strings. */
typedef struct tc_field {
    const char *key;
    const char *value;
} tc_field;

/*
 * Extra fields: an ordered list with unique keys.  Whatever a reader knows
 * that the model lacks (a mail header, a post number, a reply count) is
 * carried here so writers can keep it.  Keys are unique within one list and
 * never one of the names the model itself uses (see tc_fields_set).
 */
typedef struct tc_fields {
    tc_field *items; /* borrowed from whoever owns the list */
    size_t count;
    size_t capacity; /* private to the tc_fields_* functions */
} tc_fields;

/*
 * A point in time as the source wrote it: the instant in UTC seconds and the
 * UTC offset in minutes that was in force where it was written, so
 * 2021-06-04T21:33:59+01:00 comes back out as +01:00, not as 20:33:59Z.
 */
typedef struct tc_date {
    int64_t utc;           /* seconds since 1970-01-01T00:00:00Z */
    int32_t offset_min;    /* minutes east of UTC, -1439..1439 */
    bool present;          /* false: the post has no date; other fields 0 */
} tc_date;

/*
 * A thread header.  Posts are not part of it: they stream after it, one at a
 * time (see plugin.h).  All pointers are borrowed from the producer.
 */
typedef struct tc_thread {
    const char *title;     /* never NULL; may be "" */
    const char *source;    /* name of the format it was read from, never NULL */
    const char *id;        /* optional (NULL) */
    const char *url;       /* optional (NULL) */
    tc_fields extras;
    void *reserved[4];     /* zero; room to grow without an ABI break */
} tc_thread;

/*
 * A file a post carries: a mail attachment, a chat photo, a forum upload.
 * Either the bytes are here (data, size bytes; held within the max-post
 * limit like a body) or, for exports that ship files beside the text, ref
 * names them (a relative path inside the input tree, or a URL).  Neither:
 * the source mentions a file it did not include (ref and data NULL; say why
 * in note).  All pointers are borrowed from the producer; strings are UTF-8.
 * name is what the source calls the file: never a path to trust.
 */
typedef struct tc_attachment {
    const char *name;          /* never NULL; may be "" */
    const char *media_type;    /* "image/png"; never NULL, "" when unknown */
    uint64_t size;             /* bytes (of data, or as the source states) */
    bool size_known;           /* false: a reference whose size is not known */
    const unsigned char *data; /* the bytes, or NULL */
    const char *ref;           /* optional (NULL): where the bytes are */
    const char *content_id;    /* optional (NULL): mail Content-ID, without <> */
    const char *disposition;   /* optional (NULL): "inline" or "attachment" */
    const char *note;          /* optional (NULL): e.g. the export's "<Media omitted>" */
    void *reserved[4];         /* zero; room to grow without an ABI break */
} tc_attachment;

/* One post.  All pointers are borrowed from the producer. */
typedef struct tc_post {
    const char *id;        /* never NULL: the source's id or its position "1", "2", ... */
    const char *author;    /* never NULL; may be "" */
    tc_date date;          /* date.present is false when the source has none */
    const char *body;      /* UTF-8, kept byte for byte; NUL-terminated too */
    size_t body_len;       /* length of body in bytes, without the NUL */
    const char *parent_id; /* optional (NULL) */
    tc_fields extras;
    const tc_attachment *attachments; /* n_attachments of them, in order; NULL when none */
    size_t n_attachments;
    void *reserved[4];     /* zero; room to grow without an ABI break */
} tc_post;

/*
 * Names the model itself uses in every format.  An extra field may not take
 * one of these as its key, so a writer can store extras beside the model's
 * fields (as further JSON keys, for example) without a clash.
 */
bool tc_is_reserved_key(const char *key);

/*
 * Set key to value in fields: replaces the value when key is already present
 * (keeping its place), else appends.  Both strings are copied; the copies
 * are owned by the list and freed by tc_fields_clear.
 * Returns TC_OK, TC_ERR_USAGE when key is empty or reserved, or TC_ERR_NOMEM.
 */
int tc_fields_set(tc_fields *fields, const char *key, const char *value);

/* Same as tc_fields_set for a value of value_len bytes (no NUL needed). */
int tc_fields_setn(tc_fields *fields, const char *key, const char *value,
                   size_t value_len);

/* Value of key, or NULL.  Borrowed: valid until the list is next changed. */
const char *tc_fields_get(const tc_fields *fields, const char *key);

/* Remove every field and free the copies; the list's memory is kept for
 * reuse (a reader that clears per post does not allocate per post). */
void tc_fields_clear(tc_fields *fields);

/* Free everything the list holds; it is then empty and may be reused. */
void tc_fields_free(tc_fields *fields);

/* ------------------------------------------------------------------ */
/* Helpers for plugins: UTF-8, dates, growable buffer                  */
/* ------------------------------------------------------------------ */

/*
 * Check that s[0..len) is valid UTF-8 with no NUL byte (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF).  Returns true when
 * valid.  Otherwise returns false and, when the pointers are not NULL, sets
 * *bad_offset to the byte offset of the first bad byte and *bad_column to the
 * 1-based column of that byte counted in characters.
 */
bool tc_utf8_valid(const char *s, size_t len, size_t *bad_offset,
                   size_t *bad_column);

/*
 * The same check for text that may hold U+0000 (a body, which has a
 * length): a NUL byte is a character, everything else as tc_utf8_valid.
 * On failure *bad_offset (when not NULL) is the offset of the first bad byte.
 */
bool tc_utf8_valid_text(const char *s, size_t len, size_t *bad_offset);

/*
 * Standard padded base64 (RFC 4648 section 4) of in[0..n) into out, which
 * has room for TC_BASE64_SIZE(n) bytes (no NUL is written).  Returns the
 * count written.  A caller that encodes in pieces gives whole groups of 3
 * bytes to every call but the last.
 */
#define TC_BASE64_SIZE(n) (((n) + 2) / 3 * 4)
size_t tc_base64_encode(const void *in, size_t n, char *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t tc_days_from_civil(int64_t year, int month, int day);

/* Number of days in month (1..12) of year, or 0 for a bad month. */
int tc_days_in_month(int64_t year, int month);

/* Day of the week of a date: 0 = Sunday .. 6 = Saturday. */
int tc_weekday(int64_t year, int month, int day);

/*
 * UK civil time (Europe/London since 1996): GMT (+00:00) in winter, BST
 * (+01:00) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
 * last Sunday of October.  Converts a wall-clock reading to a tc_date.
 * The range fields must already be valid (see tc_days_in_month).
 * A reading the October change makes ambiguous (01:00-01:59 local) is taken
 * as BST, the first time the clock shows it.  A reading that never occurs
 * (01:00-01:59 local on the March change) is taken as GMT.  *note, when not
 * NULL, is set to 0 for an ordinary reading, 1 for an ambiguous one and 2 for
 * one that does not exist, so callers can warn.
 */
tc_date tc_date_from_uk_civil(int64_t year, int month, int day, int hour,
                              int minute, int second, int *note);

/* Seconds east of UTC UK civil time uses at the instant utc (0 or 3600). */
int tc_uk_offset_at(int64_t utc);

/* A tc_date from wall-clock fields and a fixed offset in minutes. */
tc_date tc_date_from_fields(int64_t year, int month, int day, int hour,
                            int minute, int second, int offset_min);

/* Wall-clock fields of a date in its own offset (inverse of the above). */
void tc_date_to_fields(tc_date date, int64_t *year, int *month, int *day,
                       int *hour, int *minute, int *second);

/*
 * Write date as ISO 8601 with its offset, "2021-02-04T21:33:59+00:00", into
 * out (at least TC_ISO_DATE_SIZE bytes).  Returns the length written.
 * Years outside 0000..9999 are written with a sign and more digits.
 */
#define TC_ISO_DATE_SIZE 40
size_t tc_date_format_iso(tc_date date, char *out);

/*
 * Parse ISO 8601 / RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)";
 * a space may stand for T and fractions are dropped.  Returns TC_OK or
 * TC_ERR_DATA for anything else, including impossible dates.
 */
int tc_date_parse_iso(const char *s, size_t len, tc_date *out);

/*
 * Write date in the RFC 5322 form mail uses, with the date's own offset:
 * "Thu, 04 Feb 2021 21:33:59 +0000", into out (at least TC_RFC5322_DATE_SIZE
 * bytes).  Returns the length written.
 */
#define TC_RFC5322_DATE_SIZE 40
size_t tc_date_format_rfc5322(tc_date date, char *out);

/*
 * Parse an RFC 5322 date-time, including the obsolete forms of its section
 * 4.3 and others real mailboxes hold: an optional day name, comments and
 * folding white space anywhere, two- and three-digit years (50-99 and 3
 * digits are 19xx, 00-49 are 20xx), no seconds, "4-Feb-2021", and zone names
 * (UT, UTC, GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST, PDT).  "-0000", a
 * military letter, any other zone name or no zone at all means the zone is
 * unknown: the time is read as UTC and *zone_known (when not NULL) is set
 * to false.  Anything after the zone ("-0500 EST", "MET DST") is ignored; a
 * leap second (:60) reads as :59.  A comment left open runs to the end of
 * the text: after the time it only hides the zone; earlier it is why the
 * date is refused.  A number longer than its place allows ("004 Feb",
 * "21:335") is refused.  Returns TC_OK, or TC_ERR_DATA (impossible dates
 * included) with *why (when not NULL) set to a static text saying what was
 * expected, e.g. "expected a month name (Jan..Dec)".
 */
int tc_date_parse_rfc5322(const char *s, size_t len, tc_date *out, bool *zone_known,
                          const char **why);

/*
 * A growable byte buffer.  Zero-initialise it (tc_buf b = {0};) before use.
 * data is always NUL-terminated after a successful append, so it may be used
 * as a string.  Memory is owned by the buffer and freed by tc_buf_free.
 */
typedef struct tc_buf {
    char *data;
    size_t len;
    size_t cap;
} tc_buf;

int tc_buf_append(tc_buf *buf, const void *data, size_t len); /* TC_OK or TC_ERR_NOMEM */
int tc_buf_putc(tc_buf *buf, char c);
int tc_buf_printf(tc_buf *buf, const char *fmt, ...) TC_PRINTF(2, 3);
int tc_buf_reserve(tc_buf *buf, size_t extra); /* room for extra more bytes */
void tc_buf_reset(tc_buf *buf);                /* len = 0, memory kept */
void tc_buf_free(tc_buf *buf);

/* ------------------------------------------------------------------ */
/* Streams: what a plugin reads from and writes to                     */
/* ------------------------------------------------------------------ */

/*
 * A tc_stream is the core's handle for one side of a conversion: the input a
 * reader reads, or the output a writer writes.  It carries the file name, a
 * line counter, the options given for the plugin, and the error set by the
 * plugin.  Plugins never print: they set the error (or a warning) here and
 * the core reports it with the file name.
 */
typedef struct tc_stream tc_stream;

/* The file name for messages ("-" reads as "<stdin>").  Borrowed. */
const char *tc_stream_name(const tc_stream *s);

/*
 * Read the next line.  *line points at its bytes without the "\n" (a "\r"
 * before it is kept: formats decide what CR means); *len is their count.
 * The pointer is borrowed until the next read on the stream.  The core
 * counts lines, so tc_stream_line() is the 1-based number of the line just
 * returned.  The last line of a file without a final newline is returned
 * like any other.  Returns TC_OK, TC_EOF at the end of input, or a negative
 * code with the error already set (an I/O error, or a line longer than the
 * max-line limit).
 */
int tc_stream_read_line(tc_stream *s, const char **line, size_t *len);

/* Read up to len raw bytes; returns the count (0 at end) or a negative code. */
long tc_stream_read(tc_stream *s, void *buf, size_t len);

/* 1-based number of the last line read with tc_stream_read_line (0: none). */
uint64_t tc_stream_line(const tc_stream *s);

/* Byte offset in the input of the next unread byte. */
uint64_t tc_stream_tell(const tc_stream *s);

/*
 * Make the input seekable, for readers that need two passes (an index, then
 * the data).  A regular file or memory already is; a pipe or terminal is
 * copied to an unlinked temporary file first, in bounded memory.  Call it
 * before reading, from read_open.  Returns TC_OK or an error (set).
 */
int tc_stream_make_seekable(tc_stream *s);

/*
 * Continue reading at byte offset (from tc_stream_tell) and count lines from
 * line, the number of the line before that offset (0 at the start).  Needs
 * a seekable input (tc_stream_make_seekable).  Returns TC_OK or an error.
 */
int tc_stream_seek(tc_stream *s, uint64_t offset, uint64_t line);

/* Write len bytes to the output; returns TC_OK or TC_ERR_OUTPUT (error set). */
int tc_stream_write(tc_stream *s, const void *data, size_t len);

/* Write a NUL-terminated string. */
int tc_stream_puts(tc_stream *s, const char *str);

/*
 * Set the stream's error.  code is a TC_ERR_* code; line and column are
 * 1-based, 0 when unknown.  Returns code, so a plugin can write
 *     return tc_stream_error(s, TC_ERR_DATA, n, 0, "expected ...");
 * Only the first error is kept: later calls do not overwrite it.
 */
int tc_stream_error(tc_stream *s, int code, uint64_t line, uint64_t column,
                    const char *fmt, ...) TC_PRINTF(5, 6);

/* Report a warning at line/column (0 when unknown); processing goes on. */
void tc_stream_warn(tc_stream *s, uint64_t line, uint64_t column,
                    const char *fmt, ...) TC_PRINTF(4, 5);

/*
 * The same as tc_stream_error and tc_stream_warn, about another file than
 * the stream's own: source names it in the message instead of the stream's
 * name (a member of a tree input, "folder/cur/1.eml"; NULL: the stream's
 * name).  A reader that reads through streams of its own -- a tree's
 * members, a copy it made -- passes their errors and warnings on with these.
 */
int tc_stream_error_at(tc_stream *s, int code, const char *source, uint64_t line,
                       uint64_t column, const char *fmt, ...) TC_PRINTF(6, 7);
void tc_stream_warn_at(tc_stream *s, const char *source, uint64_t line, uint64_t column,
                       const char *fmt, ...) TC_PRINTF(5, 6);

/*
 * Options given to this stream's plugin with -O FORMAT.KEY=VALUE, already
 * checked against the plugin's declarations.  A key that was not given
 * yields the declared default.  Strings are borrowed for the stream's life.
 */
const char *tc_stream_option(const tc_stream *s, const char *key);
bool tc_stream_option_bool(const tc_stream *s, const char *key);
long tc_stream_option_int(const tc_stream *s, const char *key);

/*
 * Limits a reader enforces, so no input can make it use unbounded memory.
 * Each has a name the user sets it by (--limit NAME=VALUE) and that an error
 * hitting it should quote.
 */
typedef enum tc_limit {
    TC_LIMIT_POST = 0,  /* "max-post": bytes in one post body (or its fields) */
    TC_LIMIT_LINE = 1,  /* "max-line": bytes in one input line */
    TC_LIMIT_DEPTH = 2, /* "max-depth": nesting of elements or values */
    TC_LIMIT_COUNT
} tc_limit;

/* The value of a limit for this stream (the default unless the user set it). */
size_t tc_stream_limit(const tc_stream *s, tc_limit which);

/* The limit's name, "max-post" etc.  Borrowed, static. */
const char *tc_limit_name(tc_limit which);

/* Same as tc_stream_limit(s, TC_LIMIT_POST). */
size_t tc_stream_max_post(const tc_stream *s);

/*
 * The tree a TC_FORMAT_READS_TREE reader reads (see tree.h), or NULL for an
 * input that is a byte stream.  Borrowed for the stream's life.
 */
tc_tree *tc_stream_tree(const tc_stream *s);

/*
 * A writer that keeps files of its own until the run is complete (a
 * directory writer's messages in DIR/tmp/, say) names them here: every file
 * in dir whose name starts with prefix is this run's, and is removed if the
 * run is interrupted by a signal.  Call it before making the first, and with
 * dir NULL once they are all moved into place or removed.  The prefix must
 * be this run's alone (hold the process id).  The strings are copied.
 */
void tc_stream_temp_files(tc_stream *s, const char *dir, const char *prefix);

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_H */
