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
 * archive.  Each line is parsed on its own with the pull parser
 * (threadconv/json.h, jansson's grammar and messages) and decoded straight into
 * its members.  Consecutive lines whose "thread" objects are equal (same
 * members, same values, in any order; the same bytes, usually) form one
 * thread; a line holding only "thread" is a thread without posts.  Blank
 * lines are skipped.  Errors name the line.
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

/* Sure when the first line is one JSON object with a "thread" member whose
 * value is an object (every line the writer writes is). */
int jsonl_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    js_top top;
    js_scan_top(head, len, &top);
    if (top.object && top.thread && !top.newline_inside)
        return TC_PROBE_SURE;
    return TC_PROBE_NO;
}

/* Lines up to this long are copied to be parsed (see read_object); longer
 * ones, rare, are parsed where they are, without a second copy in memory. */
#define COPY_MAX (1024 * 1024)

/* One line, decoded. */
typedef struct jsonl_line {
    jr_object obj;    /* its members (the post's, and "thread") */
    jr_object thread; /* the members of its "thread" object, unless same */
    tc_buf raw;       /* the text of its "thread" object, unless same */
    bool same;        /* its "thread" object is the current thread's, byte for byte */
    uint64_t lineno;
} jsonl_line;

typedef struct jsonl_reader {
    tc_json j;                  /* parses one line at a time */
    jsonl_line lines[2];
    jsonl_line *line;      /* the line handed out last, or the thread's first */
    jsonl_line *ahead;     /* a line read that starts the next thread, or NULL */
    jsonl_line *spare;     /* where the next line is read */
    jr_object tobj;        /* the current thread's "thread" object (the thread's strings) */
    tc_buf traw;           /* its text */
    tc_buf text;           /* the line being parsed, padded (see tc_json_init_memory) */
    bool first_pending;    /* line holds the thread's first post, not handed out yet */
    bool thread_done;      /* the current thread has no more posts */
    tc_thread thread;
    tc_post post;
} jsonl_reader;

int jsonl_read_open(tc_stream *in, void **state)
{
    jsonl_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    r->line = &r->lines[0];
    r->spare = &r->lines[1];
    /* \u0000 reaches the reader, which allows it in a body only (read.c);
     * the names the parser keeps are held to the max-post limit (kept by
     * tc_json_init_memory, line after line) */
    r->j.allow_nul = true;
    r->j.names_max = tc_stream_max_post(in);
    r->ahead = NULL;
    r->thread_done = true;
    *state = r;
    return TC_OK;
}

/* A data error in a line: set it on the stream. */
static int line_error(tc_stream *in, const jr_err *e)
{
    return tc_stream_error(in, e->code, e->line, e->column, "%s", e->text);
}

/* The line's syntax error (jansson's message and column), or a failed read. */
static int parse_error(tc_stream *in, tc_json *j, uint64_t lineno)
{
    if (j->err.code == TC_ERR_DATA && j->err.limit) {
        char msg[400];
        uint64_t line, column;
        jr_names_error(j, tc_stream_max_post(in), msg, sizeof msg, &line, &column);
        tc_stream_error(in, TC_ERR_DATA, lineno, column, "%s", msg);
        return TC_SKIPPED;
    }
    if (j->err.code == TC_ERR_DATA) {
        char msg[200];
        uint64_t line, column;
        tc_json_error_text(j, msg, sizeof msg, &line, &column);
        tc_stream_error(in, TC_ERR_DATA, lineno, column, "not a JSON object: %s", msg);
        return TC_SKIPPED;
    }
    return tc_stream_error(in, j->err.code == TC_OK ? TC_ERR_NOMEM : j->err.code, lineno, 0,
                           "out of memory");
}

/* The next non-blank line as a JSON object with a "thread" object member,
 * into *l. */
static int read_object(tc_stream *in, jsonl_reader *r, jsonl_line *l)
{
    const char *p;
    size_t n;
    for (;;) {
        int rc = tc_stream_read_line(in, &p, &n);
        if (rc != TC_OK)
            return rc;
        l->lineno = tc_stream_line(in);
        if (l->lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
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
     * the next one, so the errors below are TC_SKIPPED (see --keep-going).
     * As jansson did, the whole line is parsed before anything in it is
     * looked at. */
    tc_json *j = &r->j;
    if (n <= COPY_MAX) {
        /* a copy with room after it: the parser reads 16 bytes at a time */
        if (r->text.cap < n + TC_JSON_PAD + 1 && tc_buf_reserve(&r->text, n + TC_JSON_PAD) != TC_OK)
            return tc_stream_error(in, TC_ERR_NOMEM, l->lineno, 0, "out of memory");
        memcpy(r->text.data, p, n);
        memset(r->text.data + n, 0, TC_JSON_PAD);
        p = r->text.data;
    }
    tc_json_init_memory(j, p, n, n <= COPY_MAX);
    l->same = false;
    tc_json_event ev = tc_json_next(j);
    if (ev == TC_JSON_OBJECT) {
        jr_object_clear(&l->obj);
        size_t max_post = tc_stream_max_post(in);
        for (;;) {
            tc_json_event m = tc_json_next(j);
            if (m == TC_JSON_END)
                break;
            if (m != TC_JSON_KEY)
                return parse_error(in, j, l->lineno);
            int rc;
            /* The thread object of the line before, again (the writer's
             * lines): read over, not decoded again. */
            if (r->traw.len > 0 && j->key_len == 6 && memcmp(j->key, "thread", 6) == 0 &&
                tc_json_next_is(j, r->traw.data, r->traw.len)) {
                l->same = true;
                rc = jr_add_member(&l->obj, j->key, j->key_len, JV_OBJECT);
            } else {
                rc = jr_read_member(j, &l->obj, JN_BODY, max_post, JN_THREAD, &l->thread);
            }
            if (rc != TC_OK)
                return parse_error(in, j, l->lineno);
        }
    } else if (ev == TC_JSON_ARRAY) {
        if (tc_json_skip(j) == TC_JSON_ERROR)
            return parse_error(in, j, l->lineno);
    }
    if (ev == TC_JSON_ERROR || tc_json_next(j) != TC_JSON_EOF)
        return parse_error(in, j, l->lineno);
    if (ev != TC_JSON_OBJECT) {
        tc_stream_error(in, TC_ERR_DATA, l->lineno, 0,
                        "expected a JSON object {\"thread\":{...},...}, found %s",
                        jr_type_name(jr_event_type(ev)));
        return TC_SKIPPED;
    }
    const jr_member *th = jr_get(&l->obj, JN_THREAD);
    if (th == NULL || th->type != JV_OBJECT) {
        if (th == NULL)
            tc_stream_error(in, TC_ERR_DATA, l->lineno, 0,
                            "thread: missing; every line needs a \"thread\" object "
                            "(a required member)");
        else
            tc_stream_error(in, TC_ERR_DATA, l->lineno, 0, "thread: expected an object, found %s",
                            jr_type_name(th->type));
        return TC_SKIPPED;
    }
    tc_buf_reset(&l->raw);
    if (!l->same && tc_buf_append(&l->raw, p + l->thread.start,
                                  (size_t)(l->thread.end - l->thread.start)) != TC_OK)
        return tc_stream_error(in, TC_ERR_NOMEM, l->lineno, 0, "out of memory");
    return TC_OK;
}

/* Whether line l continues the current thread: its "thread" object is
 * equal to the thread's (the same text, usually), and it holds a post. */
static bool same_thread(const jsonl_reader *r, const jsonl_line *l)
{
    if (l->obj.n == 1)
        return false; /* only "thread": a thread without posts, of its own */
    if (l->same ||
        (l->raw.len == r->traw.len && memcmp(l->raw.data, r->traw.data, l->raw.len) == 0))
        return true;
    return jr_equal(&l->thread, &r->tobj);
}

int jsonl_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    jsonl_reader *r = state;
    if (r->thread_done)
        return TC_EOF;
    if (r->first_pending) {
        r->first_pending = false;
    } else {
        jsonl_line *l = r->spare;
        int rc = read_object(in, r, l);
        if (rc == TC_EOF) {
            r->thread_done = true;
            return TC_EOF;
        }
        if (rc != TC_OK)
            return rc;
        if (!same_thread(r, l)) {
            /* the next thread begins here */
            r->ahead = l;
            r->thread_done = true;
            return TC_EOF;
        }
        r->spare = r->line;
        r->line = l;
    }
    static const jr_where where = {.text = "", .thread = -1, .post = -1};
    jr_err err;
    err.code = TC_OK;
    int rc = jr_post(&r->line->obj, &where, r->line->lineno, JN_THREAD, tc_stream_max_post(in),
                     &r->post, &err);
    if (rc != TC_OK) {
        line_error(in, &err);
        return rc == TC_ERR_DATA ? TC_SKIPPED : rc; /* one bad line; the next can be read */
    }
    *post = &r->post;
    return TC_OK;
}

int jsonl_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
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
    jsonl_line *l = r->ahead;
    r->ahead = NULL;
    if (l == NULL) {
        l = r->spare;
        int rc = read_object(in, r, l);
        if (rc == TC_SKIPPED)
            return TC_ERR_DATA; /* a thread's first line: nothing to go on with */
        if (rc != TC_OK)
            return rc;
    }
    if (l != r->line) {
        r->spare = r->line;
        r->line = l;
    }
    /* The thread's object stays while the thread lasts (when the line has
     * the one the thread before had, byte for byte, it stays as it is). */
    if (!l->same) {
        jr_object t = r->tobj;
        r->tobj = l->thread;
        l->thread = t;
        tc_buf b = r->traw;
        r->traw = l->raw;
        l->raw = b;
    }
    static const jr_where where = {.text = "thread", .thread = -1, .post = -1};
    jr_err err;
    err.code = TC_OK;
    if (jr_thread(&r->tobj, &where, l->lineno, JR_JSONL, &r->thread, &err) != TC_OK)
        return line_error(in, &err);
    r->first_pending = l->obj.n > 1;
    r->thread_done = !r->first_pending;
    *thread = &r->thread;
    return TC_OK;
}

void jsonl_read_close(tc_stream *in, void *state)
{
    (void)in;
    jsonl_reader *r = state;
    if (r == NULL)
        return;
    tc_json_free(&r->j);
    for (size_t i = 0; i < 2; i++) {
        jr_object_free(&r->lines[i].obj);
        jr_object_free(&r->lines[i].thread);
        tc_buf_free(&r->lines[i].raw);
    }
    jr_object_free(&r->tobj);
    tc_buf_free(&r->traw);
    tc_buf_free(&r->text);
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

int jsonl_write_open(tc_stream *out, void **state)
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

int jsonl_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
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

int jsonl_write_post(tc_stream *out, void *state, const tc_post *post)
{
    (void)out;
    jsonl_state *st = state;
    st->n_posts++;
    begin_line(st);
    jw_post_members(&st->w, post);
    end_line(st);
    return st->w.rc;
}

int jsonl_write_end_thread(tc_stream *out, void *state)
{
    (void)out;
    jsonl_state *st = state;
    if (st->n_posts == 0) {
        begin_line(st);
        end_line(st);
    }
    return st->w.rc;
}

int jsonl_write_finish(tc_stream *out, void *state)
{
    (void)out;
    jsonl_state *st = state;
    return jw_flush(&st->w);
}

void jsonl_write_close(tc_stream *out, void *state)
{
    (void)out;
    jsonl_state *st = state;
    if (st == NULL)
        return;
    jw_free(&st->w);
    tc_buf_free(&st->thread);
    free(st);
}
