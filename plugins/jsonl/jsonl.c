/*
 * jsonl.c - the "jsonl" reader and writer: JSON Lines, one self-contained
 * object per post, for jq, Spark and other line-oriented tools:
 *
 *   {"thread":{"id":...,"title":...,"source":...,"url":...,<extras>},
 *    "id":...,"author":...,"date":...,"body":...,"parent":...,<extras>}
 *
 * (on one line, ended by "\n").  The thread's "id" is its own id (a string)
 * when it has one, else its 1-based position among the threads of this
 * output as a number (1, 2, ...), so a position is never taken for an id.
 * A thread without posts still gets one line, {"thread":{...}}, so it is not
 * lost.  The thread object is serialised once when the thread begins and
 * copied into each of its lines.  doc/formats.md describes the format.
 *
 * The reader is streamed: it holds the line being handed out, one line read
 * ahead and the current thread's object, so memory does not grow with the
 * archive.  Consecutive lines whose "thread" objects are equal (same
 * members, same values) form one thread; a line holding only "thread" is a
 * thread without posts.  Blank lines are skipped.  Errors name the line.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/plugin.h>

#include "../json/emit.h"
#include "../json/read.h"
#include "../json/scan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

/* Sure when the first line is one JSON object with a "thread" member whose
 * value is an object (every line the writer writes is). */
static int jsonl_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    js_top top;
    js_scan_top(head, len, &top);
    if (top.object && top.thread && !top.newline_inside)
        return TC_PROBE_SURE;
    return TC_PROBE_NO;
}

typedef struct jsonl_reader {
    json_t *line;          /* the line handed out last, or the thread's first */
    json_t *ahead;         /* a line read that starts the next thread, or NULL */
    uint64_t ahead_lineno;
    json_t *thread_obj;    /* the current thread's "thread" object (a reference) */
    bool first_pending;    /* line holds the thread's first post, not handed out yet */
    bool thread_done;      /* the current thread has no more posts */
    tc_thread thread;
    tc_post post;
} jsonl_reader;

static int jsonl_read_open(tc_stream *in, void **state)
{
    jsonl_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    r->thread_done = true;
    *state = r;
    return TC_OK;
}

/* The next non-blank line as a JSON object with a "thread" object member. */
static int read_object(tc_stream *in, json_t **obj, uint64_t *lineno)
{
    const char *p;
    size_t n;
    for (;;) {
        int rc = tc_stream_read_line(in, &p, &n);
        if (rc != TC_OK)
            return rc;
        *lineno = tc_stream_line(in);
        if (*lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            n -= 3;
        }
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i < n)
            break;
    }
    /* From here on a bad line is only that line: the reader can go on with
     * the next one, so the errors below are TC_SKIPPED (see --keep-going). */
    json_error_t jerr;
    json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL) {
        tc_stream_error(in, TC_ERR_DATA, *lineno, jerr.column > 0 ? (uint64_t)jerr.column : 0,
                        "not a JSON object: %s", jerr.text);
        return TC_SKIPPED;
    }
    if (!json_is_object(o)) {
        tc_stream_error(in, TC_ERR_DATA, *lineno, 0,
                        "expected a JSON object {\"thread\":{...},...}, found %s",
                        jr_type_name(o));
        json_decref(o);
        return TC_SKIPPED;
    }
    json_t *th = json_object_get(o, "thread");
    if (th == NULL || !json_is_object(th)) {
        if (th == NULL)
            tc_stream_error(in, TC_ERR_DATA, *lineno, 0,
                            "thread: missing; every line needs a \"thread\" object "
                            "(a required member)");
        else
            tc_stream_error(in, TC_ERR_DATA, *lineno, 0, "thread: expected an object, found %s",
                            jr_type_name(th));
        json_decref(o);
        return TC_SKIPPED;
    }
    *obj = o;
    return TC_OK;
}

static int jsonl_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    jsonl_reader *r = state;
    if (r->thread_done)
        return TC_EOF;
    uint64_t lineno = tc_stream_line(in);
    if (r->first_pending) {
        r->first_pending = false;
    } else {
        json_t *o;
        int rc = read_object(in, &o, &lineno);
        if (rc == TC_EOF) {
            r->thread_done = true;
            return TC_EOF;
        }
        if (rc != TC_OK)
            return rc;
        if (json_object_size(o) == 1 ||
            !json_equal(json_object_get(o, "thread"), r->thread_obj)) {
            /* the next thread begins here */
            r->ahead = o;
            r->ahead_lineno = lineno;
            r->thread_done = true;
            return TC_EOF;
        }
        json_decref(r->line);
        r->line = o;
    }
    int rc = jr_post(in, r->line, "", lineno, "thread", &r->post);
    if (rc == TC_ERR_DATA)
        return TC_SKIPPED; /* one bad line; the next can still be read */
    if (rc != TC_OK)
        return rc;
    *post = &r->post;
    return TC_OK;
}

static int jsonl_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    jsonl_reader *r = state;
    /* Posts of the current thread that were not asked for are skipped. */
    while (!r->thread_done) {
        const tc_post *skipped;
        int rc = jsonl_read_next_post(in, state, &skipped);
        if (rc == TC_SKIPPED)
            return TC_ERR_DATA; /* nobody asked for that post: the error stands */
        if (rc < 0)
            return rc;
    }
    json_t *o = r->ahead;
    uint64_t lineno = r->ahead_lineno;
    r->ahead = NULL;
    if (o == NULL) {
        int rc = read_object(in, &o, &lineno);
        if (rc == TC_SKIPPED)
            return TC_ERR_DATA; /* a thread's first line: nothing to go on with */
        if (rc != TC_OK)
            return rc;
    }
    json_decref(r->line);
    r->line = o;
    json_decref(r->thread_obj);
    r->thread_obj = json_incref(json_object_get(o, "thread"));
    int rc = jr_thread(in, r->thread_obj, "thread", lineno, JR_JSONL, &r->thread);
    if (rc != TC_OK)
        return rc;
    r->first_pending = json_object_size(o) > 1;
    r->thread_done = !r->first_pending;
    *thread = &r->thread;
    return TC_OK;
}

static void jsonl_read_close(tc_stream *in, void *state)
{
    (void)in;
    jsonl_reader *r = state;
    if (r == NULL)
        return;
    json_decref(r->line);
    json_decref(r->ahead);
    json_decref(r->thread_obj);
    tc_fields_free(&r->thread.extras);
    tc_fields_free(&r->post.extras);
    free(r);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

typedef struct jsonl_state {
    jw w;               /* the output */
    tc_buf thread;      /* the current thread's object, {"id":...} */
    uint64_t n_threads; /* threads begun so far */
    uint64_t n_posts;   /* posts of the current thread so far */
} jsonl_state;

static int jsonl_write_open(tc_stream *out, void **state)
{
    jsonl_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    if (jw_init(&st->w, out, NULL, false) != TC_OK) {
        int rc = st->w.rc;
        free(st);
        return rc;
    }
    *state = st;
    return TC_OK;
}

static int jsonl_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    jsonl_state *st = state;
    char position[24];
    st->n_threads++;
    st->n_posts = 0;
    snprintf(position, sizeof position, "%" PRIu64, st->n_threads);

    /* Serialise the thread object once; the thread is only borrowed. */
    jw tw;
    tc_buf_reset(&st->thread);
    if (jw_init(&tw, out, &st->thread, false) != TC_OK)
        return st->w.rc = tw.rc;
    jw_open(&tw, '{');
    if (thread->id != NULL) {
        jw_thread_members(&tw, thread, thread->id);
    } else {
        /* No id of its own: the position, as a number. */
        jw_key(&tw, "id");
        jw_raw(&tw, position, strlen(position));
        tc_thread rest = *thread;
        rest.id = NULL;
        jw_thread_members(&tw, &rest, NULL);
    }
    jw_close(&tw, '}');
    jw_free(&tw);
    if (tw.rc != TC_OK)
        st->w.rc = tw.rc; /* the error is set on out */
    return st->w.rc;
}

/* Start a line: {"thread":{...} */
static void begin_line(jsonl_state *st)
{
    jw_open(&st->w, '{');
    jw_key(&st->w, "thread");
    jw_raw(&st->w, st->thread.data, st->thread.len);
}

static void end_line(jsonl_state *st)
{
    jw_close(&st->w, '}');
    jw_lit(&st->w, "\n");
}

static int jsonl_write_post(tc_stream *out, void *state, const tc_post *post)
{
    (void)out;
    jsonl_state *st = state;
    st->n_posts++;
    begin_line(st);
    jw_post_members(&st->w, post);
    end_line(st);
    return st->w.rc;
}

static int jsonl_write_end_thread(tc_stream *out, void *state)
{
    (void)out;
    jsonl_state *st = state;
    if (st->n_posts == 0) {
        begin_line(st);
        end_line(st);
    }
    return st->w.rc;
}

static int jsonl_write_finish(tc_stream *out, void *state)
{
    (void)out;
    jsonl_state *st = state;
    return jw_flush(&st->w);
}

static void jsonl_write_close(tc_stream *out, void *state)
{
    (void)out;
    jsonl_state *st = state;
    if (st == NULL)
        return;
    jw_free(&st->w);
    tc_buf_free(&st->thread);
    free(st);
}

TC_PLUGIN_DEFINE(
    .name = "jsonl",
    .description = "JSON Lines, one self-contained object per post",
    .version = "1.0.0",
    .license = "MIT",
    .read_probe = jsonl_probe,
    .read_open = jsonl_read_open,
    .read_next_thread = jsonl_read_next_thread,
    .read_next_post = jsonl_read_next_post,
    .read_close = jsonl_read_close,
    .write_open = jsonl_write_open,
    .write_begin_thread = jsonl_write_begin_thread,
    .write_post = jsonl_write_post,
    .write_end_thread = jsonl_write_end_thread,
    .write_finish = jsonl_write_finish,
    .write_close = jsonl_write_close,
    .extension = "jsonl");
