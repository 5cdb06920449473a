/*
 * jsonl.c - the "jsonl" writer: JSON Lines, one self-contained object per
 * post, for jq, Spark and other line-oriented tools:
 *
 *   {"thread":{"id":...,"title":...,"source":...,"url":...,<extras>},
 *    "id":...,"author":...,"date":...,"body":...,"parent":...,<extras>}
 *
 * (on one line, ended by "\n").  The thread's "id" is its own id when it has
 * one, else its 1-based position among the threads of this output ("1",
 * "2", ...).  A thread without posts still gets one line, {"thread":{...}},
 * so it is not lost.  The thread object is serialised once when the thread
 * begins and copied into each of its lines.  doc/formats.md describes the
 * format.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/plugin.h>

#include "../json/emit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

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
    jw_thread_members(&tw, thread, thread->id ? thread->id : position);
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
    .write_open = jsonl_write_open,
    .write_begin_thread = jsonl_write_begin_thread,
    .write_post = jsonl_write_post,
    .write_end_thread = jsonl_write_end_thread,
    .write_finish = jsonl_write_finish,
    .write_close = jsonl_write_close,
    .extension = "jsonl");
