/*
 * json.c - the "json" reader and writer: the whole archive as one JSON document,
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
 * The "json" reader loads the whole document with jansson (duplicate member
 * names refused) and hands out one thread and one post at a time, with
 * strings borrowed from the loaded document; read.c checks each object.
 * The envelope: "threads" is required; "format" and "version" may be left
 * out of a hand-written document, but when present must be "threadconv" and
 * 1; any other top-level member is an error (it would be lost).  A large
 * archive is better read as jsonl, which is streamed.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/plugin.h>

#include "emit.h"
#include "read.h"
#include "scan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

/* Sure on {"format":"threadconv" (the writer's first member), likely on
 * another object with a top-level "threads" member. */
static int json_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    js_top top;
    js_scan_top(head, len, &top);
    if (!top.object)
        return TC_PROBE_NO;
    if (top.format_threadconv)
        return TC_PROBE_SURE;
    if (top.threads)
        return TC_PROBE_LIKELY;
    return TC_PROBE_NO;
}

typedef struct json_reader {
    json_t *root;
    json_t *threads;   /* borrowed from root */
    size_t next_thread;
    json_t *posts;     /* of the current thread, borrowed; NULL before the first */
    size_t thread_index;
    size_t next_post;
    tc_thread thread;
    tc_post post;
} json_reader;

/* jansson's input: the stream, with a UTF-8 BOM at the start left out. */
typedef struct feed {
    tc_stream *in;
    bool started;
    int failed;   /* the stream's error code when a read failed (the error is set) */
} feed;

static size_t feed_read(void *buffer, size_t buflen, void *data)
{
    feed *f = data;
    unsigned char *b = buffer;
    size_t n = 0;
    if (!f->started) {
        /* the first three bytes decide about the BOM */
        f->started = true;
        while (n < 3 && n < buflen) {
            long got = tc_stream_read(f->in, b + n, buflen - n < 3 - n ? buflen - n : 3 - n);
            if (got < 0) {
                f->failed = (int)got;
                return (size_t)-1;
            }
            if (got == 0)
                return n;
            n += (size_t)got;
        }
        if (n == 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
            n = 0;
        if (n > 0)
            return n;
    }
    long got = tc_stream_read(f->in, b, buflen);
    if (got < 0) {
        f->failed = (int)got;
        return (size_t)-1;
    }
    return (size_t)got;
}

static int json_read_open(tc_stream *in, void **state)
{
    feed f = {.in = in};
    json_error_t jerr;
    json_t *root = json_load_callback(feed_read, &f, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (f.failed != 0)
            return f.failed; /* the stream has said why */
        return tc_stream_error(in, TC_ERR_DATA, jerr.line > 0 ? (uint64_t)jerr.line : 0,
                               jerr.column > 0 ? (uint64_t)jerr.column : 0,
                               "not a JSON document: %s", jerr.text);
    }
    int rc = TC_OK;
    const char *key;
    json_t *v;
    if (!json_is_object(root)) {
        rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                             "the document is %s; expected an object "
                             "{\"format\":\"threadconv\",\"version\":1,\"threads\":[...]}",
                             jr_type_name(root));
        goto fail;
    }
    json_object_foreach(root, key, v) {
        if (strcmp(key, "format") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), "threadconv") != 0) {
                rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                                     "format: expected \"threadconv\", found %s%s%.60s%s",
                                     jr_type_name(v), json_is_string(v) ? " \"" : "",
                                     json_is_string(v) ? json_string_value(v) : "",
                                     json_is_string(v) ? "\"" : "");
                goto fail;
            }
        } else if (strcmp(key, "version") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != 1) {
                if (json_is_integer(v))
                    rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                                         "version: this reader reads version 1 of the "
                                         "threadconv JSON document, found version %" JSON_INTEGER_FORMAT,
                                         json_integer_value(v));
                else
                    rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                                         "version: expected the number 1, found %s",
                                         jr_type_name(v));
                goto fail;
            }
        } else if (strcmp(key, "threads") == 0) {
            if (!json_is_array(v)) {
                rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                                     "threads: expected an array of threads, found %s",
                                     jr_type_name(v));
                goto fail;
            }
        } else {
            rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                                 "%.100s: unknown member of the document; expected only "
                                 "\"format\", \"version\" and \"threads\"", key);
            goto fail;
        }
    }
    json_t *threads = json_object_get(root, "threads");
    if (threads == NULL) {
        rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                             "threads: missing; expected an array of threads (a required member)");
        goto fail;
    }
    json_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        rc = tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
        goto fail;
    }
    r->root = root;
    r->threads = threads;
    *state = r;
    return TC_OK;
fail:
    json_decref(root);
    return rc;
}

static int json_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    json_reader *r = state;
    if (r->next_thread >= json_array_size(r->threads))
        return TC_EOF;
    size_t i = r->next_thread++;
    json_t *obj = json_array_get(r->threads, i);
    char path[48];
    snprintf(path, sizeof path, "threads[%zu]", i);
    int rc = jr_thread(in, obj, path, 0, JR_JSON, &r->thread);
    if (rc != TC_OK)
        return rc;
    json_t *posts = json_object_get(obj, "posts");
    if (posts == NULL)
        return tc_stream_error(in, TC_ERR_DATA, 0, 0,
                               "%s.posts: missing; expected an array of posts (a required "
                               "member; [] for none)", path);
    if (!json_is_array(posts))
        return tc_stream_error(in, TC_ERR_DATA, 0, 0,
                               "%s.posts: expected an array of posts, found %s", path,
                               jr_type_name(posts));
    r->posts = posts;
    r->thread_index = i;
    r->next_post = 0;
    *thread = &r->thread;
    return TC_OK;
}

static int json_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    json_reader *r = state;
    if (r->posts == NULL || r->next_post >= json_array_size(r->posts))
        return TC_EOF;
    size_t j = r->next_post++;
    char path[80];
    snprintf(path, sizeof path, "threads[%zu].posts[%zu]", r->thread_index, j);
    int rc = jr_post(in, json_array_get(r->posts, j), path, 0, NULL, &r->post);
    if (rc != TC_OK)
        return rc;
    *post = &r->post;
    return TC_OK;
}

static void json_read_close(tc_stream *in, void *state)
{
    (void)in;
    json_reader *r = state;
    if (r == NULL)
        return;
    tc_fields_free(&r->thread.extras);
    tc_fields_free(&r->post.extras);
    json_decref(r->root);
    free(r);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

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
    .read_probe = json_probe,
    .read_open = json_read_open,
    .read_next_thread = json_read_next_thread,
    .read_next_post = json_read_next_post,
    .read_close = json_read_close,
    .write_open = json_write_open,
    .write_begin_thread = json_write_begin_thread,
    .write_post = json_write_post,
    .write_end_thread = json_write_end_thread,
    .write_finish = json_write_finish,
    .write_close = json_write_close,
    .options = json_options,
    .extension = "json");
