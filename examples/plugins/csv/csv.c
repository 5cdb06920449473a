/*
 * csv.c - an example threadconv module: one format, a CSV writer, one row
 * per post.
 *
 * The folder builds two ways, from the same source:
 *   - out of tree, against the installed SDK, with nothing but
 *     `pkg-config --cflags --libs threadconv` (the Makefile beside it);
 *   - in tree: copied to plugins/csv/, its module.am builds it with the
 *     other modules and the generic suite runs its case folders
 *     (tests/cases/csv/CASE/: archive.json and the expected.csv it becomes).
 *
 * Output follows RFC 4180:
 *   - the first record is a header row naming the columns;
 *   - every record, the header included, ends with CRLF;
 *   - a field holding a comma, a double quote, CR or LF is enclosed in
 *     double quotes and each double quote inside it is doubled; any other
 *     field is written as it is, without quotes;
 *   - an absent value (no date, no parent) is an empty field.
 * The text is UTF-8, as the model holds it.  Extra fields and attachments
 * are not written: CSV has fixed columns.  A thread without posts writes no
 * row.  A body holding U+0000 (the model allows it in a body) is refused:
 * CSV is text and has no escape for it, and a raw NUL byte in the file
 * would be read differently, or not at all, by the programs that read CSV.
 *
 * Columns: thread_id, thread_title, source, post_id, author, date, parent, body
 *   thread_id  the thread's id, or its 1-based position in the output
 *              when it has none;
 *   date       ISO 8601 with the post's own UTC offset
 *              (2021-02-04T21:33:59+00:00).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence.
 */
#include <threadconv/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a writer keeps between calls: the thread header is borrowed only for
 * the call that gives it, so the columns every row repeats are copied. */
typedef struct csv_state {
    unsigned long thread_number; /* 1-based position, the id when a thread has none */
    char *thread_id;             /* copy of the thread's id, or NULL */
    char *thread_title;          /* copy */
    char *thread_source;         /* copy */
} csv_state;

static char *csv_copy(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s) + 1;
    char *copy = malloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

static void csv_forget_thread(csv_state *st)
{
    free(st->thread_id);
    free(st->thread_title);
    free(st->thread_source);
    st->thread_id = st->thread_title = st->thread_source = NULL;
}

/* Whether a field of len bytes needs quotes.  Scans by length, not as a
 * string: a body is body_len bytes (see csv_write_post for U+0000). */
static int csv_needs_quotes(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return 1;
    return 0;
}

/* One field and what follows it: a comma, or CRLF after the last one. */
static int csv_put_field(tc_stream *out, const char *s, size_t len, int last)
{
    int rc = TC_OK;
    if (csv_needs_quotes(s, len)) {
        rc = tc_stream_write(out, "\"", 1);
        const char *p = s, *end = s + len;
        while (rc == TC_OK && p < end) {
            const char *quote = memchr(p, '"', (size_t)(end - p));
            size_t run = quote ? (size_t)(quote - p) + 1 : (size_t)(end - p);
            rc = tc_stream_write(out, p, run); /* up to and with the quote */
            if (rc == TC_OK && quote)
                rc = tc_stream_write(out, "\"", 1); /* doubled */
            p += run;
        }
        if (rc == TC_OK)
            rc = tc_stream_write(out, "\"", 1);
    } else if (len > 0) {
        rc = tc_stream_write(out, s, len);
    }
    if (rc == TC_OK)
        rc = last ? tc_stream_write(out, "\r\n", 2) : tc_stream_write(out, ",", 1);
    return rc;
}

/* A string column; NULL (absent) is an empty field. */
static int csv_put_string(tc_stream *out, const char *s)
{
    return csv_put_field(out, s ? s : "", s ? strlen(s) : 0, 0);
}

static int csv_write_open(tc_stream *out, void **state)
{
    csv_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    int rc = tc_stream_puts(out, "thread_id,thread_title,source,post_id,author,date,parent,"
                                 "body\r\n");
    if (rc != TC_OK) {
        free(st); /* write_close is called only after a write_open that succeeded */
        return rc;
    }
    *state = st;
    return TC_OK;
}

static int csv_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    csv_state *st = state;
    csv_forget_thread(st);
    st->thread_number++;
    /* The checked session guarantees title and source are set and every
     * string is UTF-8: nothing to check here. */
    st->thread_title = csv_copy(thread->title);
    st->thread_source = csv_copy(thread->source);
    st->thread_id = csv_copy(thread->id);
    if (st->thread_title == NULL || st->thread_source == NULL ||
        (thread->id != NULL && st->thread_id == NULL))
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    return TC_OK;
}

static int csv_write_post(tc_stream *out, void *state, const tc_post *post)
{
    csv_state *st = state;
    char number[32], date[TC_ISO_DATE_SIZE] = "";
    /* A body may hold U+0000: it is body_len bytes, and a string function
     * would stop at the NUL.  CSV cannot hold it: refused before anything
     * of the row is written. */
    const char *nul = memchr(post->body, '\0', post->body_len);
    if (nul != NULL)
        return tc_stream_error(out, TC_ERR_DATA, 0, 0,
                               "thread %lu, post %.64s: the body holds U+0000 (at byte %zu), "
                               "which CSV cannot hold: RFC 4180 fields are text, with no "
                               "escape for it", st->thread_number, post->id,
                               (size_t)(nul - post->body));
    snprintf(number, sizeof number, "%lu", st->thread_number);
    if (post->date.present)
        tc_date_format_iso(post->date, date);
    int rc = csv_put_string(out, st->thread_id ? st->thread_id : number);
    if (rc == TC_OK)
        rc = csv_put_string(out, st->thread_title);
    if (rc == TC_OK)
        rc = csv_put_string(out, st->thread_source);
    if (rc == TC_OK)
        rc = csv_put_string(out, post->id);
    if (rc == TC_OK)
        rc = csv_put_string(out, post->author);
    if (rc == TC_OK)
        rc = csv_put_string(out, date);
    if (rc == TC_OK)
        rc = csv_put_string(out, post->parent_id);
    if (rc == TC_OK)
        rc = csv_put_field(out, post->body, post->body_len, 1);
    return rc;
}

static int csv_write_end_thread(tc_stream *out, void *state)
{
    (void)out;
    csv_forget_thread(state);
    return TC_OK;
}

static int csv_write_finish(tc_stream *out, void *state)
{
    (void)out;
    (void)state;
    return TC_OK; /* every record is complete already */
}

static void csv_write_close(tc_stream *out, void *state)
{
    (void)out;
    csv_state *st = state;
    if (st == NULL)
        return;
    csv_forget_thread(st);
    free(st);
}

TC_MODULE_DEFINE(csv,
    .description = "CSV output (example module)",
    .version = "2.0.0",
    .license = "MIT",
    TC_MODULE_FORMATS({
        .name = "csv",
        .description = "CSV (RFC 4180), one row per post (example module)",
        .extension = "csv",
        .write_open = csv_write_open,
        .write_begin_thread = csv_write_begin_thread,
        .write_post = csv_write_post,
        .write_end_thread = csv_write_end_thread,
        .write_finish = csv_write_finish,
        .write_close = csv_write_close,
    }));
