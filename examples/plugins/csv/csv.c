/*
 * csv.c - an example threadconv plugin: a CSV writer, one row per post.
 *
 * Built out of tree against the installed SDK with nothing but
 * `pkg-config --cflags --libs threadconv` (see the Makefile beside it).
 * Output follows RFC 4180: a header row, CRLF line ends, and fields holding
 * a comma, a double quote, CR or LF enclosed in double quotes with inner
 * quotes doubled.  Extra fields are not written (CSV has fixed columns).
 *
 * Columns: thread_id, thread_title, source, post_id, author, date, parent, body
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */

#include <threadconv/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct csv_state {
    unsigned long thread_number;  /* 1-based position, the id when a thread has none */
    char thread_id[32];
    const char *thread_title;     /* copied: the thread header is borrowed */
    char *title_copy;
    char *source_copy;
    char *id_copy;
} csv_state;

/* One field, quoted only when it has to be. */
static int put_field(tc_stream *out, const char *s, size_t len, int last)
{
    int rc = TC_OK;
    if (strcspn(s, ",\"\r\n") < len) {
        rc = tc_stream_puts(out, "\"");
        const char *p = s, *end = s + len;
        while (rc == TC_OK && p < end) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            size_t run = q ? (size_t)(q - p) + 1 : (size_t)(end - p);
            rc = tc_stream_write(out, p, run);
            if (rc == TC_OK && q)
                rc = tc_stream_puts(out, "\""); /* the doubled quote */
            p += run;
        }
        if (rc == TC_OK)
            rc = tc_stream_puts(out, "\"");
    } else {
        rc = tc_stream_write(out, s, len);
    }
    if (rc == TC_OK)
        rc = tc_stream_puts(out, last ? "\r\n" : ",");
    return rc;
}

static int put_str(tc_stream *out, const char *s, int last)
{
    return put_field(out, s ? s : "", s ? strlen(s) : 0, last);
}

static int csv_open(tc_stream *out, void **state)
{
    csv_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    *state = st;
    return tc_stream_puts(out, "thread_id,thread_title,source,post_id,author,date,parent,body\r\n");
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int csv_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    csv_state *st = state;
    free(st->title_copy);
    free(st->source_copy);
    free(st->id_copy);
    st->title_copy = dup_str(thread->title);
    st->source_copy = dup_str(thread->source);
    st->id_copy = dup_str(thread->id);
    if (st->title_copy == NULL || st->source_copy == NULL || (thread->id && !st->id_copy))
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    st->thread_number++;
    return TC_OK;
}

static int csv_post(tc_stream *out, void *state, const tc_post *post)
{
    csv_state *st = state;
    char number[32], date[TC_ISO_DATE_SIZE] = "";
    snprintf(number, sizeof number, "%lu", st->thread_number);
    if (post->date.present)
        tc_date_format_iso(post->date, date);
    int rc = put_str(out, st->id_copy ? st->id_copy : number, 0);
    if (rc == TC_OK) rc = put_str(out, st->title_copy, 0);
    if (rc == TC_OK) rc = put_str(out, st->source_copy, 0);
    if (rc == TC_OK) rc = put_str(out, post->id, 0);
    if (rc == TC_OK) rc = put_str(out, post->author, 0);
    if (rc == TC_OK) rc = put_str(out, date, 0);
    if (rc == TC_OK) rc = put_str(out, post->parent_id, 0);
    if (rc == TC_OK) rc = put_field(out, post->body, post->body_len, 1);
    return rc;
}

static int csv_end_thread(tc_stream *out, void *state)
{
    (void)out;
    (void)state;
    return TC_OK;
}

static int csv_finish(tc_stream *out, void *state)
{
    (void)out;
    (void)state;
    return TC_OK;
}

static void csv_close(tc_stream *out, void *state)
{
    (void)out;
    csv_state *st = state;
    if (st == NULL)
        return;
    free(st->title_copy);
    free(st->source_copy);
    free(st->id_copy);
    free(st);
}

TC_PLUGIN_DEFINE(
    .name = "csv",
    .description = "CSV (RFC 4180), one row per post (example plugin)",
    .version = "1.0.0",
    .license = "MIT",
    .extension = "csv",
    .write_open = csv_open,
    .write_begin_thread = csv_begin_thread,
    .write_post = csv_post,
    .write_end_thread = csv_end_thread,
    .write_finish = csv_finish,
    .write_close = csv_close);
