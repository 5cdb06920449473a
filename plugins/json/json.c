/*
 * json.c - the "json" writer: the whole archive as one JSON document,
 *
 *   {"format":"threadconv","version":1,"threads":[
 *     {"title":...,"source":...,"id":...,"url":...,<extras>,"posts":[
 *       {"id":...,"author":...,"date":...,"body":...,"parent":...,<extras>},
 *       ...]},
 *     ...]}
 *
 * written as it streams in: the envelope by hand, each thread header when it
 * begins and each post when it arrives, so memory does not grow with the
 * archive.  Compact by default; -O json.pretty=true indents by two spaces.
 * doc/formats.md and doc/json-schema.json describe the document.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/plugin.h>

#include "emit.h"

#include <stdlib.h>

static int json_write_open(tc_stream *out, void **state)
{
    jw *w = malloc(sizeof *w);
    if (w == NULL)
        return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
    if (jw_init(w, out, NULL, tc_stream_option_bool(out, "pretty")) != TC_OK) {
        int rc = w->rc;
        free(w);
        return rc;
    }
    jw_open(w, '{');
    jw_key(w, "format");
    jw_lit(w, "\"threadconv\"");
    jw_key(w, "version");
    jw_lit(w, "1");
    jw_key(w, "threads");
    jw_open(w, '[');
    *state = w;
    return w->rc;
}

static int json_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    (void)out;
    jw *w = state;
    jw_item(w);
    jw_open(w, '{');
    jw_thread_members(w, thread, NULL);
    jw_key(w, "posts");
    jw_open(w, '[');
    return w->rc;
}

static int json_write_post(tc_stream *out, void *state, const tc_post *post)
{
    (void)out;
    jw *w = state;
    jw_item(w);
    jw_open(w, '{');
    jw_post_members(w, post);
    jw_close(w, '}');
    return w->rc;
}

static int json_write_end_thread(tc_stream *out, void *state)
{
    (void)out;
    jw *w = state;
    jw_close(w, ']');
    jw_close(w, '}');
    return w->rc;
}

static int json_write_finish(tc_stream *out, void *state)
{
    (void)out;
    jw *w = state;
    jw_close(w, ']');
    jw_close(w, '}');
    jw_lit(w, "\n");
    return jw_flush(w);
}

static void json_write_close(tc_stream *out, void *state)
{
    (void)out;
    jw *w = state;
    if (w == NULL)
        return;
    jw_free(w);
    free(w);
}

static const tc_option_decl json_options[] = {
    {.name = "pretty", .type = TC_OPT_BOOL, .default_value = "false",
     .help = "indent the output"},
    {.name = NULL}
};

TC_PLUGIN_DEFINE(
    .name = "json",
    .description = "threadconv JSON document (one per archive)",
    .version = "1.0.0",
    .license = "MIT",
    .write_open = json_write_open,
    .write_begin_thread = json_write_begin_thread,
    .write_post = json_write_post,
    .write_end_thread = json_write_end_thread,
    .write_finish = json_write_finish,
    .write_close = json_write_close,
    .options = json_options,
    .extension = "json");
