/* driver.c - see driver.h. */
#include "driver.h"

/* The stream's structure, to clear a skipped post's error as the core does
 * with --keep-going (convert.c, skipped_post). */
#include "../../core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FUZZ FINDING: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p == NULL)
        fz_fail("out of memory in the driver");
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *dup_or_null(const char *s)
{
    return s ? dup_n(s, strlen(s)) : NULL;
}

/* A string the model hands out: valid UTF-8 without NUL. */
static void check_str(const char *s, const char *what, bool may_be_null)
{
    if (s == NULL) {
        if (!may_be_null)
            fz_fail("%s is NULL", what);
        return;
    }
    size_t off;
    if (!tc_utf8_valid(s, strlen(s), &off, NULL))
        fz_fail("%s is not valid UTF-8 (byte %zu)", what, off);
}

/* A body: valid UTF-8 between NUL bytes (a body may hold NUL), NUL-terminated. */
static void check_body(const char *s, size_t len)
{
    if (s == NULL)
        fz_fail("post body is NULL");
    if (s[len] != '\0')
        fz_fail("post body is not NUL-terminated");
    size_t i = 0;
    while (i < len) {
        const char *nul = memchr(s + i, '\0', len - i);
        size_t n = nul ? (size_t)(nul - (s + i)) : len - i;
        size_t off;
        if (!tc_utf8_valid(s + i, n, &off, NULL))
            fz_fail("post body is not valid UTF-8 (byte %zu)", i + off);
        i += n + 1;
    }
}

static void check_fields(const tc_fields *f, const char *what)
{
    for (size_t i = 0; i < f->count; i++) {
        const char *k = f->items[i].key;
        check_str(k, what, false);
        check_str(f->items[i].value, what, false);
        if (*k == '\0' || tc_is_reserved_key(k))
            fz_fail("%s: key '%s' is empty or reserved", what, k);
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->items[j].key, k) == 0)
                fz_fail("%s: key '%s' twice", what, k);
    }
}

static void copy_fields(tc_fields *dst, const tc_fields *src)
{
    for (size_t i = 0; i < src->count; i++)
        if (tc_fields_set(dst, src->items[i].key, src->items[i].value) != TC_OK)
            fz_fail("tc_fields_set refused a field a reader handed out: '%s'",
                    src->items[i].key);
}

static void check_date(tc_date d)
{
    if (!d.present) {
        if (d.utc != 0 || d.offset_min != 0)
            fz_fail("a missing date has non-zero fields");
        return;
    }
    if (d.offset_min < -1439 || d.offset_min > 1439)
        fz_fail("date offset %d minutes is out of range", (int)d.offset_min);
}

/* A status a reader callback may return: end is whether TC_EOF is one. */
static void check_status(tc_stream *in, int rc, bool end, const char *call)
{
    if (rc == TC_OK || (end && rc == TC_EOF))
        return;
    if (rc != TC_ERR_DATA && rc != TC_ERR_NOMEM)
        fz_fail("%s returned %d on in-memory input (expected OK%s, DATA or NOMEM)", call, rc,
                end ? ", EOF" : "");
    const tc_error *e = tc_stream_get_error(in);
    if (e->code != rc)
        fz_fail("%s returned %d but the stream's error code is %d", call, rc, e->code);
    if (e->text[0] == '\0')
        fz_fail("%s failed with an empty message", call);
}

static void ignore_warning(void *user, const tc_error *w)
{
    (void)user;
    if (w->text[0] == '\0')
        fz_fail("a warning with an empty message");
}

void fz_read(const tc_format *reader, const void *data, size_t len, fz_archive *a)
{
    memset(a, 0, sizeof *a);
    tc_stream *in = tc_stream_open_memory(data, len, "fuzz");
    if (in == NULL)
        fz_fail("tc_stream_open_memory failed");
    tc_stream_set_warning_fn(in, ignore_warning, NULL);
    void *state = NULL;
    int rc = reader->read_open(in, &state);
    check_status(in, rc, false, "read_open");
    if (rc == TC_OK) {
        const tc_thread *t;
        while ((rc = reader->read_next_thread(in, state, &t)) == TC_OK) {
            check_str(t->title, "thread title", false);
            check_str(t->source, "thread source", false);
            check_str(t->id, "thread id", true);
            check_str(t->url, "thread url", true);
            check_fields(&t->extras, "thread extras");
            a->threads = realloc(a->threads, (a->n_threads + 1) * sizeof *a->threads);
            if (a->threads == NULL)
                fz_fail("out of memory in the driver");
            fz_thread *ft = &a->threads[a->n_threads++];
            memset(ft, 0, sizeof *ft);
            ft->title = dup_or_null(t->title);
            ft->source = dup_or_null(t->source);
            ft->id = dup_or_null(t->id);
            ft->url = dup_or_null(t->url);
            copy_fields(&ft->extras, &t->extras);
            const tc_post *p;
            for (;;) {
                rc = reader->read_next_post(in, state, &p);
                if (rc == TC_SKIPPED) {
                    /* --keep-going: the reader has moved past a bad post */
                    const tc_error *e = tc_stream_get_error(in);
                    if (e->code != TC_ERR_DATA || e->text[0] == '\0')
                        fz_fail("read_next_post skipped a post without a data error set");
                    if (++a->n_skipped > len + 16)
                        fz_fail("read_next_post keeps skipping: %zu skips in %zu bytes",
                                a->n_skipped, len);
                    memset(&in->error, 0, sizeof in->error);
                    continue;
                }
                if (rc != TC_OK)
                    break;
                check_str(p->id, "post id", false);
                check_str(p->author, "post author", false);
                check_str(p->parent_id, "post parent", true);
                check_body(p->body, p->body_len);
                check_date(p->date);
                check_fields(&p->extras, "post extras");
                ft->posts = realloc(ft->posts, (ft->n_posts + 1) * sizeof *ft->posts);
                if (ft->posts == NULL)
                    fz_fail("out of memory in the driver");
                fz_post *fp = &ft->posts[ft->n_posts++];
                memset(fp, 0, sizeof *fp);
                fp->id = dup_or_null(p->id);
                fp->author = dup_or_null(p->author);
                fp->body = dup_n(p->body, p->body_len);
                fp->body_len = p->body_len;
                fp->parent_id = dup_or_null(p->parent_id);
                fp->date = p->date;
                copy_fields(&fp->extras, &p->extras);
            }
            check_status(in, rc, true, "read_next_post");
            if (rc != TC_EOF)
                break;
            rc = TC_OK;
        }
        check_status(in, rc, true, "read_next_thread");
        if (rc == TC_EOF)
            rc = TC_OK;
        reader->read_close(in, state);
    }
    a->rc = rc;
    a->err = *tc_stream_get_error(in);
    tc_stream_close(in);
}

int fz_write(const tc_format *writer, const fz_archive *a, tc_buf *out)
{
    tc_stream *s = tc_stream_open_output_buffer(out, "fuzz-out");
    if (s == NULL)
        fz_fail("tc_stream_open_output_buffer failed");
    void *state = NULL;
    int rc = writer->write_open(s, &state);
    if (rc != TC_OK) {
        tc_stream_close(s);
        return rc;
    }
    for (size_t i = 0; i < a->n_threads && rc == TC_OK; i++) {
        const fz_thread *ft = &a->threads[i];
        tc_thread t = {.title = ft->title, .source = ft->source, .id = ft->id, .url = ft->url,
                       .extras = ft->extras};
        rc = writer->write_begin_thread(s, state, &t);
        for (size_t j = 0; j < ft->n_posts && rc == TC_OK; j++) {
            const fz_post *fp = &ft->posts[j];
            tc_post p = {.id = fp->id, .author = fp->author, .date = fp->date,
                         .body = fp->body, .body_len = fp->body_len,
                         .parent_id = fp->parent_id, .extras = fp->extras};
            rc = writer->write_post(s, state, &p);
        }
        if (rc == TC_OK)
            rc = writer->write_end_thread(s, state);
    }
    if (rc == TC_OK)
        rc = writer->write_finish(s, state);
    if (rc == TC_OK)
        rc = tc_stream_flush(s);
    writer->write_close(s, state);
    if (rc != TC_OK) {
        if (rc != TC_ERR_DATA && rc != TC_ERR_NOMEM)
            fz_fail("writer %s returned %d writing to memory", writer->name, rc);
        if (tc_stream_get_error(s)->code != rc || tc_stream_get_error(s)->text[0] == '\0')
            fz_fail("writer %s returned %d without setting that error", writer->name, rc);
    }
    tc_stream_close(s);
    return rc;
}

static bool same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static void compare_fields(const tc_fields *a, const tc_fields *b, const char *what, size_t t,
                           size_t p)
{
    if (a->count != b->count)
        fz_fail("%s: thread %zu post %zu: %zu extra fields became %zu", what, t, p, a->count,
                b->count);
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
            strcmp(a->items[i].value, b->items[i].value) != 0)
            fz_fail("%s: thread %zu post %zu: extra %zu '%s'='%s' became '%s'='%s'", what, t, p,
                    i, a->items[i].key, a->items[i].value, b->items[i].key, b->items[i].value);
}

#define SAME(field, name)                                                                     \
    do {                                                                                      \
        if (!same_str(x->field, y->field))                                                    \
            fz_fail("%s: thread %zu: " name " '%s' became '%s'", what, i,                    \
                    x->field ? x->field : "(none)", y->field ? y->field : "(none)");          \
    } while (0)

void fz_compare(const fz_archive *a, const fz_archive *b, const char *what)
{
    if (a->n_threads != b->n_threads)
        fz_fail("%s: %zu threads became %zu", what, a->n_threads, b->n_threads);
    for (size_t i = 0; i < a->n_threads; i++) {
        const fz_thread *x = &a->threads[i], *y = &b->threads[i];
        SAME(title, "title");
        SAME(source, "source");
        SAME(id, "id");
        SAME(url, "url");
        compare_fields(&x->extras, &y->extras, what, i, 0);
        if (x->n_posts != y->n_posts)
            fz_fail("%s: thread %zu: %zu posts became %zu", what, i, x->n_posts, y->n_posts);
        for (size_t j = 0; j < x->n_posts; j++) {
            const fz_post *p = &x->posts[j], *q = &y->posts[j];
            if (!same_str(p->id, q->id) || !same_str(p->author, q->author) ||
                !same_str(p->parent_id, q->parent_id))
                fz_fail("%s: thread %zu post %zu: id/author/parent '%s'/'%s'/'%s' became "
                        "'%s'/'%s'/'%s'", what, i, j, p->id, p->author,
                        p->parent_id ? p->parent_id : "(none)", q->id, q->author,
                        q->parent_id ? q->parent_id : "(none)");
            if (p->date.present != q->date.present || p->date.utc != q->date.utc ||
                p->date.offset_min != q->date.offset_min)
                fz_fail("%s: thread %zu post %zu: date %d/%lld/%d became %d/%lld/%d", what, i, j,
                        p->date.present, (long long)p->date.utc, (int)p->date.offset_min,
                        q->date.present, (long long)q->date.utc, (int)q->date.offset_min);
            if (p->body_len != q->body_len || memcmp(p->body, q->body, p->body_len) != 0)
                fz_fail("%s: thread %zu post %zu: body of %zu bytes became %zu bytes", what, i,
                        j, p->body_len, q->body_len);
            compare_fields(&p->extras, &q->extras, what, i, j + 1);
        }
    }
}

void fz_archive_free(fz_archive *a)
{
    for (size_t i = 0; i < a->n_threads; i++) {
        fz_thread *t = &a->threads[i];
        for (size_t j = 0; j < t->n_posts; j++) {
            fz_post *p = &t->posts[j];
            free(p->id);
            free(p->author);
            free(p->body);
            free(p->parent_id);
            tc_fields_free(&p->extras);
        }
        free(t->posts);
        free(t->title);
        free(t->source);
        free(t->id);
        free(t->url);
        tc_fields_free(&t->extras);
    }
    free(a->threads);
    memset(a, 0, sizeof *a);
}
