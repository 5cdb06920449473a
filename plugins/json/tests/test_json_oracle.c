/*
 * test_json_oracle.c - the json and jsonl readers against the readers they
 * replaced, built on jansson, as an oracle for the whole reading: which
 * documents are read and which refused, what comes out of them, and every
 * message with its line and column.
 *
 * The old readers are below as they were (git history: plugins/json/read.c,
 * json.c and jsonl.c before the pull parser), unchanged but for being
 * static.  The new ones are loaded through the registry.  Generated inputs
 * (a seeded PRNG: the same every run) follow the schema loosely: members in
 * any order ("posts" first, last or between; "format" after "threads"),
 * sometimes missing, of the wrong type, reserved, empty, repeated, unknown;
 * dates in every accepted form and some that are not; strings with escapes
 * and UTF-8; jsonl lines grouped by equal thread objects written the same or
 * differently (members reordered, escapes), lines holding only "thread",
 * blank lines, CRLF, a BOM; and now and then a byte changed, cut or added.
 * Some documents are larger than the json reader's window (64 KiB), so
 * that looking ahead past "posts" and coming back to it cross windows.
 *
 * Each input is read by both readers, as the core reads (and, for jsonl,
 * once more with --keep-going, stepping over skipped lines), into a log of
 * everything handed out: every thread and post field and extra field, every
 * skipped line's message, and the end (its status, message, line and
 * column).  The logs must be equal, with one intended difference: the new
 * json reader streams, so when a document turns out to be bad after some
 * threads or posts were handed out, those are in its log and not in the old
 * one's (which read the whole document first); the message at the end is
 * the same.  So for a refused json document only the end is compared.
 */
#include "prng.h"

#include <threadconv/convert.h>
#include <threadconv/plugin.h>

/* The stream's structure, to clear a skipped post's error as the core does
 * with --keep-going (convert.c, skipped_post). */
#include "../../../core/internal.h"

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The old readers                                                     */
/* ------------------------------------------------------------------ */

typedef enum jr_kind { JR_JSON = 0, JR_JSONL = 1 } jr_kind;

static const char *jr_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* "path.key", or "key" alone when path is "" (a jsonl line's own members). */
#define DOT(path) (path), (*(path) ? "." : "")

static int missing(tc_stream *in, const char *path, uint64_t line, const char *key,
                   const char *what)
{
    return tc_stream_error(in, TC_ERR_DATA, line, 0,
                           "%s%s%s: missing; expected %s (a required member)", DOT(path), key,
                           what);
}

static int wrong_type(tc_stream *in, const char *path, uint64_t line, const char *key,
                      const char *what, const json_t *found)
{
    return tc_stream_error(in, TC_ERR_DATA, line, 0, "%s%s%s: expected %s, found %s",
                           DOT(path), key, what, jr_type_name(found));
}

/* A string member: required or optional; *out NULL when absent. */
static int get_string(tc_stream *in, json_t *obj, const char *path, uint64_t line,
                      const char *key, bool required, const char **out, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (len)
        *len = 0;
    if (v == NULL)
        return required ? missing(in, path, line, key, "a string") : TC_OK;
    if (!json_is_string(v))
        return wrong_type(in, path, line, key, "a string", v);
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return TC_OK;
}

/* Every member whose name is not in known[] becomes an extra field. */
static int get_extras(tc_stream *in, json_t *obj, const char *path, uint64_t line,
                      const char *const *known, tc_fields *extras)
{
    const char *key;
    json_t *v;
    tc_fields_clear(extras);
    json_object_foreach(obj, key, v) {
        bool is_known = false;
        for (const char *const *k = known; *k && !is_known; k++)
            is_known = strcmp(*k, key) == 0;
        if (is_known)
            continue;
        if (*key == '\0')
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s: a member with an empty name; extra fields need a name",
                                   *path ? path : "the line");
        if (tc_is_reserved_key(key))
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s%s%s: \"%s\" is a name the format reserves and is not a "
                                   "member of this object", DOT(path), key, key);
        if (!json_is_string(v))
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s%s%s: expected a string (an extra field), found %s",
                                   DOT(path), key, jr_type_name(v));
        if (tc_fields_setn(extras, key, json_string_value(v), json_string_length(v)) != TC_OK)
            return tc_stream_error(in, TC_ERR_NOMEM, line, 0, "out of memory");
    }
    return TC_OK;
}

static int jr_thread(tc_stream *in, json_t *obj, const char *path, uint64_t line, jr_kind kind,
              tc_thread *t)
{
    static const char *const known_json[] = {"title", "source", "id", "url", "posts", NULL};
    static const char *const known_jsonl[] = {"title", "source", "id", "url", NULL};
    if (!json_is_object(obj))
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "%s: expected an object, found %s",
                               path, jr_type_name(obj));
    int rc = get_string(in, obj, path, line, "title", true, &t->title, NULL);
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "source", true, &t->source, NULL);
    json_t *id = json_object_get(obj, "id");
    if (rc == TC_OK && kind == JR_JSONL && id != NULL && !json_is_string(id)) {
        /* The jsonl writer's position of a thread without an id of its own:
         * a number, so it is never taken for an id. */
        if (!json_is_integer(id) || json_integer_value(id) < 1)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s.id: expected a string (the thread's id) or a whole "
                                   "number from 1 (its position), found %s",
                                   path, jr_type_name(id));
        t->id = NULL;
    } else if (rc == TC_OK) {
        rc = get_string(in, obj, path, line, "id", false, &t->id, NULL);
    }
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "url", false, &t->url, NULL);
    if (rc == TC_OK)
        rc = get_extras(in, obj, path, line, kind == JR_JSON ? known_json : known_jsonl,
                        &t->extras);
    return rc;
}

static int jr_post(tc_stream *in, json_t *obj, const char *path, uint64_t line, const char *skip,
            tc_post *p)
{
    const char *known[] = {"id", "author", "date", "body", "parent", skip, NULL};
    if (!json_is_object(obj))
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "%s: expected an object, found %s",
                               *path ? path : "the line", jr_type_name(obj));
    int rc = get_string(in, obj, path, line, "id", true, &p->id, NULL);
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "author", true, &p->author, NULL);
    if (rc != TC_OK)
        return rc;
    json_t *d = json_object_get(obj, "date");
    if (d == NULL)
        return missing(in, path, line, "date", "an ISO 8601 date or null");
    memset(&p->date, 0, sizeof p->date);
    if (json_is_string(d)) {
        if (tc_date_parse_iso(json_string_value(d), json_string_length(d), &p->date) != TC_OK)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s%sdate: expected an ISO 8601 date and time with a UTC "
                                   "offset (2021-02-04T21:33:59+00:00), found \"%.80s\"",
                                   DOT(path), json_string_value(d));
    } else if (!json_is_null(d)) {
        return wrong_type(in, path, line, "date", "an ISO 8601 date or null", d);
    }
    rc = get_string(in, obj, path, line, "body", true, &p->body, &p->body_len);
    /* The json reader holds the whole document, but a post still may not
     * be larger than the limit every reader enforces. */
    if (rc == TC_OK && p->body_len > tc_stream_max_post(in))
        return tc_stream_error(in, TC_ERR_DATA, line, 0,
                               "%s%sbody: %zu bytes, longer than the max-post limit (%zu bytes); "
                               "raise it with --limit max-post=SIZE",
                               DOT(path), p->body_len, tc_stream_max_post(in));
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "parent", false, &p->parent_id, NULL);
    if (rc == TC_OK)
        rc = get_extras(in, obj, path, line, known, &p->extras);
    return rc;
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


static const tc_format old_json = {
    .name = "old-json",
    .read_open = json_read_open,
    .read_next_thread = json_read_next_thread,
    .read_next_post = json_read_next_post,
    .read_close = json_read_close,
};

static const tc_format old_jsonl = {
    .name = "old-jsonl",
    .read_open = jsonl_read_open,
    .read_next_thread = jsonl_read_next_thread,
    .read_next_post = jsonl_read_next_post,
    .read_close = jsonl_read_close,
};

/* ------------------------------------------------------------------ */
/* Reading into a log                                                  */
/* ------------------------------------------------------------------ */

/* Check's ck_assert macros record every check that passes (a write each):
 * these only call Check when they fail. */
#define REQ_MSG(c, ...)                                                        \
    do {                                                                       \
        if (!(c))                                                              \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

static void logf_(tc_buf *b, const char *fmt, ...) TC_PRINTF(2, 3);
static void logf_(tc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    REQ_MSG(n >= 0 && tc_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1) == TC_OK,
            "log");
}

static void log_str(tc_buf *b, const char *what, const char *s, size_t len)
{
    if (s == NULL) {
        logf_(b, " %s=NULL", what);
        return;
    }
    logf_(b, " %s(%zu)=", what, len);
    REQ_MSG(tc_buf_append(b, s, len) == TC_OK, "log");
}

static void log_fields(tc_buf *b, const tc_fields *f)
{
    for (size_t i = 0; i < f->count; i++) {
        log_str(b, "key", f->items[i].key, strlen(f->items[i].key));
        log_str(b, "value", f->items[i].value, strlen(f->items[i].value));
    }
}

/* Where the log's end starts (after the threads and posts). */
typedef struct read_log {
    tc_buf text;
    size_t end;
    int rc;
    uint64_t line, column; /* of the error at the end (0 when none) */
} read_log;

/* Read as the core does: every thread, every post; a skipped post (TC_SKIPPED)
 * is the end unless keep_going, when its message is logged and reading goes on. */
static void read_into_log(const tc_format *p, const char *data, size_t len, bool keep_going,
                          read_log *log)
{
    tc_buf *b = &log->text;
    tc_buf_reset(b);
    tc_stream *in = tc_stream_open_memory(data, len, "t");
    REQ_MSG(in != NULL, "stream");
    void *st = NULL;
    int rc = p->read_open(in, &st);
    if (rc == TC_OK) {
        const tc_thread *t;
        while ((rc = p->read_next_thread(in, st, &t)) == TC_OK) {
            logf_(b, "\nthread");
            log_str(b, "title", t->title, strlen(t->title));
            log_str(b, "source", t->source, strlen(t->source));
            log_str(b, "id", t->id, t->id ? strlen(t->id) : 0);
            log_str(b, "url", t->url, t->url ? strlen(t->url) : 0);
            log_fields(b, &t->extras);
            const tc_post *q;
            for (;;) {
                rc = p->read_next_post(in, st, &q);
                if (rc == TC_SKIPPED && keep_going) {
                    const tc_error *e = tc_stream_get_error(in);
                    REQ_MSG(e->code == TC_ERR_DATA, "skipped without an error");
                    logf_(b, "\n  skipped %llu:%llu %s", (unsigned long long)e->line,
                          (unsigned long long)e->column, e->text);
                    memset(&in->error, 0, sizeof in->error);
                    continue;
                }
                if (rc != TC_OK)
                    break;
                logf_(b, "\n  post");
                log_str(b, "id", q->id, strlen(q->id));
                log_str(b, "author", q->author, strlen(q->author));
                logf_(b, " date=%d/%lld/%d", q->date.present, (long long)q->date.utc,
                      (int)q->date.offset_min);
                REQ_MSG(q->body[q->body_len] == '\0', "body not NUL-terminated");
                log_str(b, "body", q->body, q->body_len);
                log_str(b, "parent", q->parent_id, q->parent_id ? strlen(q->parent_id) : 0);
                log_fields(b, &q->extras);
            }
            if (rc == TC_SKIPPED)
                rc = TC_ERR_DATA;
            if (rc != TC_EOF)
                break;
        }
        p->read_close(in, st);
    }
    if (rc == TC_EOF)
        rc = TC_OK;
    log->end = b->len;
    log->rc = rc;
    const tc_error *e = tc_stream_get_error(in);
    log->line = rc != TC_OK ? e->line : 0;
    log->column = rc != TC_OK ? e->column : 0;
    if (rc != TC_OK) {
        REQ_MSG(e->code == rc, "%s returned %d but set %d (%s)", p->name, rc, e->code, e->text);
        logf_(b, "\nend %d %llu:%llu %s", rc, (unsigned long long)e->line,
              (unsigned long long)e->column, e->text);
    } else {
        logf_(b, "\nend OK");
    }
    tc_stream_close(in);
}

static tc_registry *reg;
static const tc_format *new_json, *new_jsonl;

static void setup(void)
{
    reg = tc_registry_new();
    REQ_MSG(reg != NULL && tc_registry_add_search_dirs(reg, NULL, 0, true) == TC_OK, "registry");
    tc_error err;
    new_json = tc_registry_find(reg, "json", &err);
    REQ_MSG(new_json != NULL, "json plugin: %s", err.text);
    new_jsonl = tc_registry_find(reg, "jsonl", &err);
    REQ_MSG(new_jsonl != NULL, "jsonl plugin: %s", err.text);
}

static void teardown(void)
{
    tc_registry_free(reg);
}

static size_t n_inputs, n_read;

static const char *show(const char *doc, size_t len)
{
    static char out[1200];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 8 < sizeof out; i++) {
        unsigned char c = (unsigned char)doc[i];
        if (c >= 0x20 && c < 0x7F)
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, sizeof out - k, "\\x%02X", c);
    }
    out[k] = '\0';
    return out;
}

/* FNV-1a, 64 bits. */
static uint64_t digest(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h;
}

/* When THREADCONV_ORACLE_RECORD names a file, each old reader's verdict is
 * appended to it: its status, line and column, and a digest of what is
 * compared (the whole log, or only its end for a refused json document). */
static FILE *record;

static void record_verdict(const read_log *a, bool streams)
{
    if (record == NULL)
        return;
    size_t from = streams && a->rc != TC_OK ? a->end : 0;
    fprintf(record, "%d %llu:%llu %016llx\n", a->rc, (unsigned long long)a->line,
            (unsigned long long)a->column,
            (unsigned long long)digest(a->text.data + from, a->text.len - from));
}

/* The old and the new reader agree on data (see the top for json's one
 * intended difference). */
static void compare(const tc_format *old, const tc_format *new, const char *data, size_t len,
                    bool keep_going, bool streams)
{
    read_log a = {0}, b = {0};
    read_into_log(old, data, len, keep_going, &a);
    read_into_log(new, data, len, keep_going, &b);
    record_verdict(&a, streams);
    n_inputs++;
    n_read += a.rc == TC_OK;
    bool same;
    if (streams && a.rc != TC_OK)
        same = a.text.len - a.end == b.text.len - b.end &&
               memcmp(a.text.data + a.end, b.text.data + b.end, a.text.len - a.end) == 0;
    else
        same = a.text.len == b.text.len && memcmp(a.text.data, b.text.data, a.text.len) == 0;
    REQ_MSG(same, "%s%s: [%s]\n-- old:%s\n-- new:%s", new->name,
            keep_going ? " --keep-going" : "", show(data, len),
            a.text.data + (streams ? a.end : 0), b.text.data + (streams ? b.end : 0));
    tc_buf_free(&a.text);
    tc_buf_free(&b.text);
}

/* ------------------------------------------------------------------ */
/* Generating documents                                                */
/* ------------------------------------------------------------------ */

static bool chance(unsigned per_mille)
{
    return below(1000) < per_mille;
}

/* How often a generated member goes wrong, per mille. */
static unsigned fault;

static void put(tc_buf *b, const char *s)
{
    REQ_MSG(tc_buf_append(b, s, strlen(s)) == TC_OK, "put");
}

static void putn(tc_buf *b, const char *s, size_t n)
{
    REQ_MSG(tc_buf_append(b, s, n) == TC_OK, "put");
}

static const char *pick(const char *const *list, size_t n)
{
    return list[below(n)];
}
#define PICK(list) pick((list), sizeof(list) / sizeof((list)[0]))

static void ws(tc_buf *b)
{
    static const char *const spaces[] = {" ", "\n", "\n  ", "\t", "\r\n", " \n    "};
    if (chance(200))
        put(b, PICK(spaces));
}

/* A string's text (between its quotes). */
static void text(tc_buf *b, size_t max)
{
    static const char *const pieces[] = {
        "a", "Hello", " ", "x y", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\r\\n", "\\u00e9",
        "\\u2014", "\\uD83D\\uDC4D", "\xC3\xA9", "\xE2\x80\x94", "\xF0\x9F\x91\x8D", "\xD7\xA9",
        "\\u001B", "caf\\u00E9", "\\b\\f", "0", "-"};
    for (size_t n = below(max); n > 0; n--)
        put(b, PICK(pieces));
    if (chance(fault / 4)) {
        static const char *const bad[] = {"\xFF", "\\x", "\\uD800", "\x01", "\\u0000", "\xC3"};
        put(b, PICK(bad));
    }
}

static void string(tc_buf *b, size_t max)
{
    put(b, "\"");
    text(b, max);
    put(b, "\"");
}

/* A value that is not a string. */
static void other_value(tc_buf *b)
{
    static const char *const others[] = {"1", "-2", "1.5", "true", "false", "null", "{}",
                                         "[]", "[\"a\"]", "{\"a\":\"b\"}", "0", "12e3"};
    put(b, PICK(others));
}

typedef struct member {
    tc_buf text; /* "name": value */
} member;

/* Write members in a random order, with commas and white space. */
static void members_write(tc_buf *b, member *m, size_t n)
{
    for (size_t i = n; i > 1; i--) { /* shuffle */
        size_t k = below(i);
        member t = m[i - 1];
        m[i - 1] = m[k];
        m[k] = t;
    }
    put(b, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(b, ",");
        ws(b);
        putn(b, m[i].text.data, m[i].text.len);
        ws(b);
    }
    put(b, "}");
}

static void members_free(member *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tc_buf_free(&m[i].text);
}

static void members_out(tc_buf *b, member *m, size_t n)
{
    members_write(b, m, n);
    members_free(m, n);
}

/* Add "name": then a value: a string (max pieces) or, at fault, another. */
static member *add(member *m, size_t *n, const char *name)
{
    member *x = &m[(*n)++];
    memset(x, 0, sizeof *x);
    put(&x->text, "\"");
    put(&x->text, name);
    put(&x->text, "\":");
    ws(&x->text);
    return x;
}

static void add_string(member *m, size_t *n, const char *name, size_t max)
{
    member *x = add(m, n, name);
    if (chance(fault))
        other_value(&x->text);
    else
        string(&x->text, max);
}

static void extras(member *m, size_t *n, bool post)
{
    static const char *const names[] = {"board", "views", "mumsnet.layout", "x y", "\xC3\xA9",
                                        "n", "X-Mailer", "\\u0062oard"};
    static const char *const reserved[] = {"author", "title", "posts", "thread", "format", "",
                                           "version", "threads"};
    size_t k = below(3);
    for (size_t i = 0; i < k; i++) {
        /* repeated names are refused by the parser (as by jansson) */
        if (chance(fault / 2))
            add_string(m, n, PICK(reserved), 3);
        else
            add_string(m, n, names[below(sizeof names / sizeof names[0])], 4);
    }
    (void)post;
}

static void date(member *m, size_t *n)
{
    static const char *const dates[] = {
        "\"2021-02-04T21:33:59+00:00\"", "\"2024-03-01T12:00:00Z\"",
        "\"2024-03-01 13:00:00.250+00:00\"", "\"1969-12-31T20:00:00-04:00\"",
        "\"2021-07-12T23:35:00+05:30\"", "null", "null"};
    static const char *const bad[] = {"\"yesterday\"", "false", "20210204", "\"2021-02-30T00:00:00Z\"",
                                      "\"\"", "{}"};
    member *x = add(m, n, "date");
    put(&x->text, chance(fault) ? PICK(bad) : PICK(dates));
}

static void post(tc_buf *b, size_t body)
{
    if (chance(fault / 3)) {
        other_value(b);
        return;
    }
    member m[16];
    size_t n = 0;
    if (!chance(fault / 3))
        add_string(m, &n, "id", 2);
    if (!chance(fault / 3))
        add_string(m, &n, "author", 3);
    if (!chance(fault / 3))
        date(m, &n);
    if (!chance(fault / 3))
        add_string(m, &n, "body", body);
    if (chance(300))
        add_string(m, &n, "parent", 2);
    extras(m, &n, true);
    members_out(b, m, n);
}

/* A thread object's members; posts: how many posts (json), or jsonl. */
static void thread_members(member *m, size_t *n, size_t n_posts, size_t body, bool jsonl)
{
    if (!chance(fault / 3))
        add_string(m, n, "title", 4);
    if (!chance(fault / 3))
        add_string(m, n, "source", 2);
    if (jsonl) {
        /* a position, a string id, or something else */
        static const char *const ids[] = {"1", "2", "7", "\"t1\"", "\"2\""};
        static const char *const bad[] = {"0", "-1", "1.0", "true", "null"};
        if (chance(700))
            put(&add(m, n, "id")->text, chance(fault) ? PICK(bad) : PICK(ids));
    } else if (chance(500)) {
        add_string(m, n, "id", 2);
    }
    if (chance(300))
        add_string(m, n, "url", 2);
    extras(m, n, false);
    if (!jsonl && !chance(fault / 3)) {
        member *x = add(m, n, "posts");
        if (chance(fault / 3)) {
            other_value(&x->text);
        } else {
            put(&x->text, "[");
            for (size_t i = 0; i < n_posts; i++) {
                if (i)
                    put(&x->text, ",");
                ws(&x->text);
                post(&x->text, body);
            }
            ws(&x->text);
            put(&x->text, "]");
        }
    }
}

static void thread(tc_buf *b, size_t n_posts, size_t body)
{
    if (chance(fault / 3)) {
        other_value(b);
        return;
    }
    member m[16];
    size_t n = 0;
    thread_members(m, &n, n_posts, body, false);
    members_out(b, m, n);
}

static void json_document(tc_buf *b, size_t max_threads, size_t max_posts, size_t body)
{
    if (chance(50))
        put(b, "\xEF\xBB\xBF");
    ws(b);
    member m[8];
    size_t n = 0;
    if (chance(700)) {
        member *x = add(m, &n, "format");
        static const char *const bad[] = {"\"other\"", "1", "null", "\"threadconvx\""};
        put(&x->text, chance(fault) ? PICK(bad) : "\"threadconv\"");
    }
    if (chance(700)) {
        member *x = add(m, &n, "version");
        static const char *const bad[] = {"2", "\"1\"", "1.0", "-0", "true"};
        put(&x->text, chance(fault) ? PICK(bad) : "1");
    }
    if (!chance(fault / 5)) {
        member *x = add(m, &n, "threads");
        if (chance(fault / 5)) {
            other_value(&x->text);
        } else {
            put(&x->text, "[");
            size_t k = below(max_threads + 1);
            for (size_t i = 0; i < k; i++) {
                if (i)
                    put(&x->text, ",");
                ws(&x->text);
                thread(&x->text, below(max_posts + 1), body);
            }
            put(&x->text, "]");
        }
    }
    if (chance(fault / 5)) {
        member *x = add(m, &n, "comment");
        put(&x->text, "\"hi\"");
    }
    if (chance(fault / 10)) /* a repeated member */
        put(&add(m, &n, chance(500) ? "format" : "threads")->text, "[]");
    members_out(b, m, n);
    ws(b);
}

/* jsonl: lines grouped in threads; the thread object written the same way
 * on each line, or with its members in another order (equal all the same),
 * or now and then not an object at all. */
static void jsonl_document(tc_buf *b, size_t max_threads, size_t max_posts, size_t body)
{
    if (chance(50))
        put(b, "\xEF\xBB\xBF");
    size_t k = below(max_threads + 1);
    for (size_t i = 0; i < k; i++) {
        member m[16];
        size_t n = 0;
        thread_members(m, &n, 0, 0, true);
        tc_buf t = {0};
        members_write(&t, m, n);
        size_t posts = below(max_posts + 1);
        for (size_t j = 0; j <= posts; j++) {
            if (j == posts && posts > 0 && !chance(100))
                break; /* usually no line holding only the thread */
            if (chance(50))
                put(b, chance(500) ? "\n" : "  \t\r\n");
            put(b, "{");
            if (!chance(fault / 3)) {
                put(b, "\"thread\":");
                if (chance(fault / 3))
                    other_value(b);
                else if (chance(200))
                    members_write(b, m, n); /* reordered */
                else
                    putn(b, t.data, t.len);
            }
            if (j < posts) {
                tc_buf p = {0};
                post(&p, body);
                if (p.len > 2 && p.data[0] == '{') {
                    if (b->data[b->len - 1] != '{')
                        put(b, ",");
                    putn(b, p.data + 1, p.len - 1);
                } else {
                    put(b, "}");
                }
                tc_buf_free(&p);
            } else {
                put(b, "}");
            }
            put(b, chance(100) ? "\r\n" : "\n");
        }
        if (chance(fault))
            put(b, "[1]\n");
        members_free(m, n);
        tc_buf_free(&t);
    }
}

static void mutate(tc_buf *b)
{
    static const char alphabet[] = "{}[]:,\"\\ \n0123456789-.eutrfalsn\xFF\xC3";
    if (b->len == 0)
        return;
    size_t at = below(b->len);
    switch (below(4)) {
    case 0:
        memmove(b->data + at, b->data + at + 1, b->len - at - 1);
        b->len--;
        break;
    case 1:
        REQ_MSG(tc_buf_reserve(b, 1) == TC_OK, "mutate");
        memmove(b->data + at + 1, b->data + at, b->len - at);
        b->data[at] = alphabet[below(sizeof alphabet - 1)];
        b->len++;
        break;
    case 2:
        b->data[at] = alphabet[below(sizeof alphabet - 1)];
        break;
    default:
        b->len = at;
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void report(const char *test)
{
    if (record != NULL)
        fflush(record);
    printf("%s: %zu inputs read by both readers, %zu of them without an error\n", test,
           n_inputs, n_read);
    n_inputs = n_read = 0;
}

START_TEST(test_json_documents)
{
    if (getenv("THREADCONV_ORACLE_RECORD") != NULL) {
        record = fopen(getenv("THREADCONV_ORACLE_RECORD"), "a");
        REQ_MSG(record != NULL, "record");
        fprintf(record, "@ test_json_documents\n");
    }
    prng_state = 0x0A11CE01;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        fault = i % 3 == 0 ? 0 : i % 3 == 1 ? 20 : 120;
        json_document(&b, 3, 4, 6);
        if (chance(40))
            mutate(&b);
        compare(&old_json, new_json, b.data, b.len, false, true);
    }
    tc_buf_free(&b);
    report("test_json_documents");
}
END_TEST

START_TEST(test_json_large_documents)
{
    if (getenv("THREADCONV_ORACLE_RECORD") != NULL) {
        record = fopen(getenv("THREADCONV_ORACLE_RECORD"), "a");
        REQ_MSG(record != NULL, "record");
        fprintf(record, "@ test_json_large_documents\n");
    }
    /* Bodies of thousands of pieces: threads larger than the reader's
     * window, with "posts" first, in the middle or last. */
    prng_state = 0x0A11CE02;
    tc_buf b = {0};
    for (int i = 0; i < 40; i++) {
        tc_buf_reset(&b);
        fault = i % 4 == 0 ? 10 : 0;
        json_document(&b, 3, 30, 3000);
        compare(&old_json, new_json, b.data, b.len, false, true);
    }
    tc_buf_free(&b);
    report("test_json_large_documents");
}
END_TEST

START_TEST(test_jsonl_documents)
{
    if (getenv("THREADCONV_ORACLE_RECORD") != NULL) {
        record = fopen(getenv("THREADCONV_ORACLE_RECORD"), "a");
        REQ_MSG(record != NULL, "record");
        fprintf(record, "@ test_jsonl_documents\n");
    }
    prng_state = 0x0A11CE03;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        fault = i % 3 == 0 ? 0 : i % 3 == 1 ? 20 : 120;
        jsonl_document(&b, 4, 4, 6);
        if (chance(40))
            mutate(&b);
        compare(&old_jsonl, new_jsonl, b.data, b.len, false, false);
        compare(&old_jsonl, new_jsonl, b.data, b.len, true, false);
    }
    tc_buf_free(&b);
    report("test_jsonl_documents");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_oracle");
    TCase *tc = tcase_create("json_oracle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_json_documents);
    tcase_add_test(tc, test_json_large_documents);
    tcase_add_test(tc, test_jsonl_documents);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
