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
 * The "json" reader streams too, with the SDK's pull parser (threadconv/json.h): a thread's
 * members are read up to "posts", then its posts one at a time, each checked
 * by read.c and handed out; memory holds one post (and a window of the
 * input), however large the document.  Members may come in any order:
 *
 *   - Before "posts", the reader looks ahead (tc_json_peek_after_array: brackets
 *     and strings only, no decoding) to see whether "posts" is the thread's
 *     last member, as the writer puts it.  If it is, the thread is handed out
 *     and its posts streamed.  If members follow it (a hand-written
 *     document), the posts array is read over and checked, the members after
 *     it read, and the reader then seeks back to the posts: they are read a
 *     second time, the thread's members being known by then.
 *   - The document's members ("format", "version") may follow "threads":
 *     they are checked when they come, after the threads.
 *
 * So the input must be seekable: read_open calls tc_stream_make_seekable
 * (standard input is copied to a temporary file first).  Errors are those
 * of the whole-document reader that came before, with the same precedence:
 * a syntax error anywhere wins over everything else, then an error in the
 * document's own members ("format", "version", unknown ones, "threads"
 * missing), then the first error in a thread or post in reading order.  A
 * thread or post error is therefore kept while the rest of the document is
 * read and checked, and reported at its end.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/plugin.h>

#include "emit.h"
#include <threadconv/json.h>
#include "read.h"
#include "scan.h"
#include "formats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

/* Sure on {"format":"threadconv" (the writer's first member), likely on
 * another object with a top-level "threads" member. */
int json_probe(const unsigned char *head, size_t len, const char *name)
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

/* Where the reader is in the document. */
typedef enum rstate {
    RS_ROOT,    /* among the document's members */
    RS_THREADS, /* in "threads", before the next thread */
    RS_POSTS,   /* in a thread's "posts", before the next post */
    RS_DONE     /* after the document */
} rstate;

typedef struct json_reader {
    tc_json j;
    tc_stream *in;
    rstate state;
    bool have_threads;   /* the document's "threads" was seen */
    bool replay;         /* reading posts again, from posts_at; the thread ends at end_at */
    tc_json_mark posts_at, end_at;
    size_t n_threads;    /* threads begun */
    size_t thread_index; /* of the current thread */
    size_t post_index;   /* of the next post */
    jr_object tobj, pobj;
    tc_thread thread;
    tc_post post;
    tc_buf value;        /* "format"'s value */
    jr_err doc_err;      /* the first error in the document's own members */
    jr_err err;          /* the first error in a thread or post */
} json_reader;

/* Report the error that jansson's reader would have: see the top. */
static int report(json_reader *r)
{
    tc_json *j = &r->j;
    if (j->err.code == TC_ERR_DATA && j->err.limit) {
        char msg[400];
        uint64_t line, column;
        jr_names_error(j, tc_stream_max_post(r->in), msg, sizeof msg, &line, &column);
        return tc_stream_error(r->in, TC_ERR_DATA, line, column, "%s", msg);
    }
    if (j->err.code == TC_ERR_DATA) {
        char msg[200];
        uint64_t line, column;
        tc_json_error_text(j, msg, sizeof msg, &line, &column);
        return tc_stream_error(r->in, TC_ERR_DATA, line, column, "not a JSON document: %s", msg);
    }
    if (j->err.code == TC_ERR_NOMEM)
        return tc_stream_error(r->in, TC_ERR_NOMEM, 0, 0, "out of memory");
    if (j->err.code != TC_OK) /* a read failed: the stream has said why (kept) */
        return tc_stream_error(r->in, j->err.code, 0, 0, "json reader: %s", j->err.text);
    const jr_err *e = r->doc_err.code != TC_OK ? &r->doc_err : &r->err;
    if (e->code == TC_OK)
        return tc_stream_error(r->in, TC_ERR_PLUGIN, 0, 0, "json reader: an error went missing");
    return tc_stream_error(r->in, e->code, e->line, e->column, "%s", e->text);
}

static bool failing(const json_reader *r)
{
    return r->doc_err.code != TC_OK || r->err.code != TC_OK;
}

/* Skip the rest of a value whose start tc_json_next announced. */
static bool skip_value(tc_json *j, tc_json_event ev)
{
    if (ev == TC_JSON_OBJECT || ev == TC_JSON_ARRAY)
        return tc_json_skip(j) != TC_JSON_ERROR;
    return ev != TC_JSON_ERROR;
}

/*
 * The document's members, from where the reader is among them: each is
 * checked; at "threads" (an array) the threads are streamed (TC_OK,
 * RS_THREADS) unless an error is waiting to be reported, in which case they
 * are only read over.  At the end of the document: TC_EOF, or the error.
 */
static int doc_members(json_reader *r)
{
    tc_json *j = &r->j;
    for (;;) {
        tc_json_event ev = tc_json_next(j);
        if (ev == TC_JSON_ERROR)
            return report(r);
        if (ev == TC_JSON_END) {
            if (tc_json_next(j) != TC_JSON_EOF)
                return report(r);
            if (r->doc_err.code == TC_OK && !r->have_threads)
                jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                        "threads: missing; expected an array of threads (a required member)");
            if (failing(r))
                return report(r);
            r->state = RS_DONE;
            return TC_EOF;
        }
        jr_name name = jr_name_of(j->key, j->key_len);
        if (name == JN_THREADS) {
            r->have_threads = true;
            ev = tc_json_next(j);
            if (ev == TC_JSON_ARRAY && !failing(r)) {
                r->state = RS_THREADS;
                return TC_OK;
            }
            if (ev != TC_JSON_ARRAY && ev != TC_JSON_ERROR)
                jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                        "threads: expected an array of threads, found %s",
                        jr_type_name(jr_event_type(ev)));
        } else if (name == JN_FORMAT) {
            tc_buf_reset(&r->value);
            j->sink = &r->value;
            j->sink_max = 64;
            ev = tc_json_next(j);
            bool ok = ev == TC_JSON_STRING && j->str_len == 10 &&
                      memcmp(r->value.data + j->str_off, "threadconv", 10) == 0;
            if (ev == TC_JSON_STRING && j->str_nul)
                jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                        "format: expected \"threadconv\", found a string holding \\u0000 "
                        "(U+0000)");
            else if (!ok && ev != TC_JSON_ERROR)
                jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                        "format: expected \"threadconv\", found %s%s%.60s%s",
                        jr_type_name(jr_event_type(ev)), ev == TC_JSON_STRING ? " \"" : "",
                        ev == TC_JSON_STRING ? r->value.data + j->str_off : "",
                        ev == TC_JSON_STRING ? "\"" : "");
        } else if (name == JN_VERSION) {
            ev = tc_json_next(j);
            if (ev == TC_JSON_INTEGER && j->integer != 1)
                jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                        "version: this reader reads version 1 of the threadconv JSON "
                        "document, found version %" PRId64, j->integer);
            else if (ev != TC_JSON_INTEGER && ev != TC_JSON_ERROR)
                jr_fail(&r->doc_err, TC_ERR_DATA, 0, "version: expected the number 1, found %s",
                        jr_type_name(jr_event_type(ev)));
        } else {
            jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                    "%.100s: unknown member of the document; expected only \"format\", "
                    "\"version\" and \"threads\"", j->key);
            ev = tc_json_next(j);
        }
        if (!skip_value(j, ev))
            return report(r);
    }
}

/* An error in a thread or post was recorded: read (and check) the rest of
 * the document, then report what comes first. */
static int drain(json_reader *r)
{
    tc_json *j = &r->j;
    if (r->state == RS_POSTS && r->replay) {
        r->replay = false;
        if (tc_json_seek(j, &r->end_at) != TC_OK)
            return report(r);
    }
    r->state = RS_ROOT;
    if (tc_json_unwind(j, 1) == TC_JSON_ERROR)
        return report(r);
    int rc = doc_members(r);
    return rc == TC_EOF ? report(r) : rc;
}

/* The thread's posts ended (their ']' read): go to after the thread. */
static int end_thread(json_reader *r)
{
    tc_json *j = &r->j;
    r->state = RS_THREADS;
    if (r->replay) {
        r->replay = false;
        return tc_json_seek(j, &r->end_at) == TC_OK ? TC_OK : report(r);
    }
    /* The look-ahead saw the thread end after its posts. */
    tc_json_event ev = tc_json_next(j);
    if (ev == TC_JSON_END)
        return TC_OK;
    if (ev == TC_JSON_ERROR)
        return report(r);
    return tc_stream_error(r->in, TC_ERR_PLUGIN, 0, 0,
                           "json reader: a member after \"posts\" was not foreseen");
}

static void reader_free(json_reader *r)
{
    tc_json_free(&r->j);
    jr_object_free(&r->tobj);
    jr_object_free(&r->pobj);
    tc_buf_free(&r->value);
    free(r);
}

int json_read_open(tc_stream *in, void **state)
{
    int rc = tc_stream_make_seekable(in);
    if (rc != TC_OK)
        return rc;
    json_reader *r = calloc(1, sizeof *r);
    if (r == NULL || tc_json_init_stream(&r->j, in, 0) != TC_OK) {
        free(r);
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    }
    r->in = in;
    tc_json *j = &r->j;
    /* \u0000 reaches the reader, which allows it in a body only (read.c);
     * the names the parser keeps are held to the max-post limit */
    j->allow_nul = true;
    j->names_max = tc_stream_max_post(in);
    tc_json_event ev = TC_JSON_ERROR;
    if (tc_json_skip_bom(j) == TC_OK)
        ev = tc_json_next(j);
    if (ev == TC_JSON_ARRAY) {
        /* the whole document is read first: a syntax error in it comes first */
        if (tc_json_skip(j) != TC_JSON_ERROR && tc_json_next(j) == TC_JSON_EOF)
            jr_fail(&r->doc_err, TC_ERR_DATA, 0,
                    "the document is %s; expected an object "
                    "{\"format\":\"threadconv\",\"version\":1,\"threads\":[...]}",
                    jr_type_name(JV_ARRAY));
        rc = report(r);
    } else if (ev == TC_JSON_OBJECT) {
        r->state = RS_ROOT;
        rc = doc_members(r);
        if (rc == TC_EOF)
            rc = TC_OK; /* no threads: read_next_thread says so */
    } else {
        rc = report(r);
    }
    if (rc != TC_OK) {
        reader_free(r);
        return rc;
    }
    *state = r;
    return TC_OK;
}

/* The thread object just opened (TC_JSON_OBJECT read): its members, then the
 * thread is handed out with its posts ready to stream. */
static int read_thread(json_reader *r)
{
    tc_json *j = &r->j;
    const jr_where where = {.thread = (long long)r->thread_index, .post = -1};
    jr_object_clear(&r->tobj);
    bool have_posts = false;
    jv_type posts_type = JV_NULL;
    for (;;) {
        tc_json_event ev = tc_json_next(j);
        if (ev == TC_JSON_END)
            break;
        if (ev != TC_JSON_KEY)
            return report(r);
        if (j->key_len != 5 || memcmp(j->key, "posts", 5) != 0) {
            int rc = jr_read_member(j, &r->tobj, JN_OTHER, tc_stream_max_post(r->in), JN_OTHER, NULL);
            if (rc != TC_OK)
                return report(r);
            continue;
        }
        /* "posts": the last member, as the writer puts it?  (Not worth
         * looking when the thread's title or source is still to come.) */
        int after = -2;
        if (jr_get(&r->tobj, JN_TITLE) != NULL && jr_get(&r->tobj, JN_SOURCE) != NULL &&
            tc_json_peek_after_array(j, &after) != TC_OK)
            return report(r);
        if (after == '}') {
            if (jr_thread(&r->tobj, &where, 0, JR_JSON, &r->thread, &r->err) != TC_OK)
                return drain(r);
            if (tc_json_next(j) != TC_JSON_ARRAY)
                return report(r);
            r->replay = false;
            r->state = RS_POSTS;
            r->post_index = 0;
            return TC_OK;
        }
        /* Members follow: read the posts over now, and again later. */
        tc_json_mark_here(j, &r->posts_at);
        ev = tc_json_next(j);
        if (!skip_value(j, ev))
            return report(r);
        have_posts = true;
        posts_type = jr_event_type(ev);
    }
    if (jr_thread(&r->tobj, &where, 0, JR_JSON, &r->thread, &r->err) == TC_OK) {
        if (!have_posts)
            jr_fail(&r->err, TC_ERR_DATA, 0,
                    "threads[%zu].posts: missing; expected an array of posts (a required "
                    "member; [] for none)", r->thread_index);
        else if (posts_type != JV_ARRAY)
            jr_fail(&r->err, TC_ERR_DATA, 0,
                    "threads[%zu].posts: expected an array of posts, found %s", r->thread_index,
                    jr_type_name(posts_type));
    }
    if (failing(r))
        return drain(r);
    tc_json_mark_here(j, &r->end_at);
    if (tc_json_seek(j, &r->posts_at) != TC_OK || tc_json_next(j) != TC_JSON_ARRAY)
        return report(r);
    r->replay = true;
    r->state = RS_POSTS;
    r->post_index = 0;
    return TC_OK;
}

int json_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    (void)in;
    json_reader *r = state;
    tc_json *j = &r->j;
    if (r->state == RS_POSTS) {
        /* Posts nobody asked for are read over (and checked as JSON). */
        for (;;) {
            tc_json_event ev = tc_json_next(j);
            if (ev == TC_JSON_END)
                break;
            if (!skip_value(j, ev))
                return report(r);
        }
        int rc = end_thread(r);
        if (rc != TC_OK)
            return rc;
    }
    if (r->state != RS_THREADS)
        return TC_EOF;
    tc_json_event ev = tc_json_next(j);
    if (ev == TC_JSON_END) {
        r->state = RS_ROOT;
        return doc_members(r);
    }
    if (ev == TC_JSON_ERROR)
        return report(r);
    r->thread_index = r->n_threads++;
    if (ev != TC_JSON_OBJECT) {
        jr_fail(&r->err, TC_ERR_DATA, 0, "threads[%zu]: expected an object, found %s",
                r->thread_index, jr_type_name(jr_event_type(ev)));
        return drain(r);
    }
    int rc = read_thread(r);
    if (rc != TC_OK)
        return rc;
    *thread = &r->thread;
    return TC_OK;
}

int json_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    json_reader *r = state;
    tc_json *j = &r->j;
    if (r->state != RS_POSTS)
        return TC_EOF;
    tc_json_event ev = tc_json_next(j);
    if (ev == TC_JSON_END) {
        int rc = end_thread(r);
        return rc == TC_OK ? TC_EOF : rc;
    }
    const jr_where where = {.thread = (long long)r->thread_index,
                            .post = (long long)r->post_index++};
    if (ev != TC_JSON_OBJECT) {
        if (ev == TC_JSON_ERROR)
            return report(r);
        jr_fail(&r->err, TC_ERR_DATA, 0, "threads[%lld].posts[%lld]: expected an object, found %s",
                where.thread, where.post, jr_type_name(jr_event_type(ev)));
        return drain(r);
    }
    size_t max_post = tc_stream_max_post(in);
    if (jr_read_object(j, &r->pobj, JN_BODY, max_post, JN_OTHER, NULL) != TC_OK)
        return report(r);
    if (jr_post(&r->pobj, &where, 0, JN_OTHER, max_post, &r->post, &r->err) != TC_OK)
        return drain(r);
    *post = &r->post;
    return TC_OK;
}

void json_read_close(tc_stream *in, void *state)
{
    (void)in;
    json_reader *r = state;
    if (r != NULL)
        reader_free(r);
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

int json_write_open(tc_stream *out, void **state)
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

int json_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
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

int json_write_post(tc_stream *out, void *state, const tc_post *post)
{
    (void)out;
    jw *w = state;
    jw_item(w);
    jw_open(w, '{');
    jw_post_members(w, post);
    jw_close(w, '}');
    return w->rc;
}

int json_write_end_thread(tc_stream *out, void *state)
{
    (void)out;
    jw *w = state;
    jw_close(w, ']');
    jw_close(w, '}');
    return w->rc;
}

int json_write_finish(tc_stream *out, void *state)
{
    (void)out;
    jw *w = state;
    jw_close(w, ']');
    jw_close(w, '}');
    jw_lit(w, "\n");
    return jw_flush(w);
}

void json_write_close(tc_stream *out, void *state)
{
    (void)out;
    jw *w = state;
    if (w == NULL)
        return;
    jw_free(w);
    free(w);
}

const tc_option_decl json_options[] = {
    {.name = "pretty", .type = TC_OPT_BOOL, .default_value = "false",
     .help = "indent the output"},
    {.name = NULL}
};
