/* driver.c - see driver.h.  Only the public API: every callback of a
 * format is reached through the checked session. */
#include "driver.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const tc_format *fz_find(const char *name)
{
    tc_registry *reg = fz_registry();
    for (size_t i = 0; i < tc_registry_count(reg); i++)
        if (strcmp(tc_registry_format(reg, i)->name, name) == 0)
            return tc_registry_format(reg, i);
    return NULL;
}

bool fz_can_read(const tc_format *f)
{
    /* a tree reader is fuzzed when it also reads plain files (it has a
     * probe for them): the harness gives it bytes, never a tree */
    return f->read_open != NULL && (!(f->flags & TC_FORMAT_READS_TREE) || f->read_probe != NULL);
}

bool fz_can_round_trip(const tc_format *f)
{
    return fz_can_read(f) && f->write_open != NULL && !(f->flags & TC_FORMAT_WRITES_DIRECTORY);
}

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

/* A body: valid UTF-8 where U+0000 is a character, NUL-terminated. */
static void check_body(const char *s, size_t len)
{
    if (s == NULL)
        fz_fail("post body is NULL");
    if (s[len] != '\0')
        fz_fail("post body is not NUL-terminated");
    size_t off;
    if (!tc_utf8_valid_text(s, len, &off))
        fz_fail("post body is not valid UTF-8 (byte %zu)", off);
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

static void check_attachments(const tc_post *p)
{
    if (p->n_attachments > 0 && p->attachments == NULL)
        fz_fail("a post with %zu attachments and no list", p->n_attachments);
    for (size_t i = 0; i < p->n_attachments; i++) {
        const tc_attachment *a = &p->attachments[i];
        check_str(a->name, "attachment name", false);
        check_str(a->media_type, "attachment media type", false);
        check_str(a->ref, "attachment ref", true);
        check_str(a->content_id, "attachment content id", true);
        check_str(a->disposition, "attachment disposition", true);
        check_str(a->note, "attachment note", true);
        if (a->data != NULL && !a->size_known)
            fz_fail("attachment %zu has bytes but no size", i + 1);
    }
}

/* A failure a session reports for in-memory input: the input's fault (a
 * data error, or out of memory), with a message.  TC_ERR_PLUGIN is the
 * session saying the format broke the contract: a finding. */
static void check_failure(int rc, const tc_error *err, const tc_stream *s, const char *what)
{
    if (rc != TC_ERR_DATA && rc != TC_ERR_NOMEM)
        fz_fail("%s: status %d on in-memory input (expected DATA or NOMEM): %s", what, rc,
                err->text);
    if (err->code != rc)
        fz_fail("%s: status %d but the error's code is %d", what, rc, err->code);
    if (err->text[0] == '\0')
        fz_fail("%s failed with an empty message", what);
    if (tc_stream_get_error(s)->code != rc)
        fz_fail("%s: status %d but the stream's error code is %d", what, rc,
                tc_stream_get_error(s)->code);
}

/* Warnings (skipped posts among them) are counted: a reader that warns
 * again and again without getting through its input would never end. */
typedef struct warn_count {
    size_t n, limit;
} warn_count;

static void count_warning(void *user, const tc_error *w)
{
    warn_count *c = user;
    if (w->text[0] == '\0')
        fz_fail("a warning with an empty message");
    if (++c->n > c->limit)
        fz_fail("%zu warnings (more than %zu for this input); the last: %s", c->n, c->limit,
                w->text);
}

static char *dup_bytes(const unsigned char *s, uint64_t n)
{
    if (n > SIZE_MAX - 1)
        fz_fail("an attachment of %llu bytes", (unsigned long long)n);
    return dup_n((const char *)s, (size_t)n);
}

static void copy_post(fz_post *fp, const tc_post *p)
{
    memset(fp, 0, sizeof *fp);
    fp->id = dup_or_null(p->id);
    fp->author = dup_or_null(p->author);
    fp->body = dup_n(p->body, p->body_len);
    fp->body_len = p->body_len;
    fp->parent_id = dup_or_null(p->parent_id);
    fp->date = p->date;
    copy_fields(&fp->extras, &p->extras);
    if (p->n_attachments == 0)
        return;
    fp->attachments = calloc(p->n_attachments, sizeof *fp->attachments);
    if (fp->attachments == NULL)
        fz_fail("out of memory in the driver");
    fp->n_attachments = p->n_attachments;
    for (size_t i = 0; i < p->n_attachments; i++) {
        const tc_attachment *a = &p->attachments[i];
        fz_attachment *fa = &fp->attachments[i];
        fa->name = dup_or_null(a->name);
        fa->media_type = dup_or_null(a->media_type);
        fa->ref = dup_or_null(a->ref);
        fa->content_id = dup_or_null(a->content_id);
        fa->disposition = dup_or_null(a->disposition);
        fa->note = dup_or_null(a->note);
        fa->data = a->data ? (unsigned char *)dup_bytes(a->data, a->size) : NULL;
        fa->size = a->size;
        fa->size_known = a->size_known;
    }
}

static void copy_thread(fz_thread *ft, const tc_thread *t)
{
    memset(ft, 0, sizeof *ft);
    ft->title = dup_or_null(t->title);
    ft->source = dup_or_null(t->source);
    ft->id = dup_or_null(t->id);
    ft->url = dup_or_null(t->url);
    copy_fields(&ft->extras, &t->extras);
}

/* Every string of a thread and a post is checked here too, whether or not
 * the session did: it trusts a reader that declares TC_FORMAT_READS_UTF8,
 * the fuzzer checks the promise. */
static void check_thread(const tc_thread *t)
{
    check_str(t->title, "thread title", false);
    check_str(t->source, "thread source", false);
    check_str(t->id, "thread id", true);
    check_str(t->url, "thread url", true);
    check_fields(&t->extras, "thread extras");
}

static void check_post(const tc_post *p)
{
    check_str(p->id, "post id", false);
    check_str(p->author, "post author", false);
    check_str(p->parent_id, "post parent", true);
    check_body(p->body, p->body_len);
    check_date(p->date);
    check_fields(&p->extras, "post extras");
    check_attachments(p);
}

/* The posts of the current thread into ft; the status that ended them. */
static int read_posts(tc_reader *r, fz_thread *ft, tc_error *err)
{
    const tc_post *p;
    int rc;
    while ((rc = tc_reader_next_post(r, &p, err)) == TC_OK) {
        if (p == NULL)
            fz_fail("tc_reader_next_post returned TC_OK and no post");
        check_post(p);
        ft->posts = realloc(ft->posts, (ft->n_posts + 1) * sizeof *ft->posts);
        if (ft->posts == NULL)
            fz_fail("out of memory in the driver");
        copy_post(&ft->posts[ft->n_posts++], p);
    }
    return rc;
}

void fz_read(const tc_format *reader, const void *data, size_t len, fz_archive *a)
{
    memset(a, 0, sizeof *a);
    tc_stream *in = tc_stream_open_memory(data, len, "fuzz");
    if (in == NULL)
        fz_fail("tc_stream_open_memory failed");
    warn_count warnings = {0, 4 * len + 64};
    tc_stream_set_warning_fn(in, count_warning, &warnings);
    tc_reader *r = NULL;
    int rc = tc_reader_open(reader, in, TC_READ_KEEP_GOING, &r, &a->err);
    if (rc == TC_OK) {
        const tc_thread *t;
        while ((rc = tc_reader_next_thread(r, &t, &a->err)) == TC_OK) {
            if (t == NULL)
                fz_fail("tc_reader_next_thread returned TC_OK and no thread");
            check_thread(t);
            a->threads = realloc(a->threads, (a->n_threads + 1) * sizeof *a->threads);
            if (a->threads == NULL)
                fz_fail("out of memory in the driver");
            fz_thread *ft = &a->threads[a->n_threads++];
            copy_thread(ft, t);
            rc = read_posts(r, ft, &a->err);
            if (rc != TC_EOF)
                break;
        }
        if (rc == TC_EOF)
            rc = TC_OK;
        a->n_skipped = tc_reader_skipped(r);
        tc_reader_close(r);
    } else if (r != NULL) {
        fz_fail("tc_reader_open failed (%d) but returned a reader", rc);
    }
    if (rc != TC_OK)
        check_failure(rc, &a->err, in, "reading");
    a->rc = rc;
    tc_stream_close(in);
}

static int write_all(tc_writer *w, const fz_archive *a, tc_error *err)
{
    int rc = TC_OK;
    for (size_t i = 0; i < a->n_threads && rc == TC_OK; i++) {
        const fz_thread *ft = &a->threads[i];
        tc_thread t = {.title = ft->title, .source = ft->source, .id = ft->id, .url = ft->url,
                       .extras = ft->extras};
        rc = tc_writer_begin_thread(w, &t, err);
        for (size_t j = 0; j < ft->n_posts && rc == TC_OK; j++) {
            const fz_post *fp = &ft->posts[j];
            tc_attachment *att = NULL;
            if (fp->n_attachments > 0 &&
                (att = calloc(fp->n_attachments, sizeof *att)) == NULL)
                fz_fail("out of memory in the driver");
            for (size_t k = 0; k < fp->n_attachments; k++) {
                const fz_attachment *fa = &fp->attachments[k];
                att[k] = (tc_attachment){.name = fa->name, .media_type = fa->media_type,
                                         .size = fa->size, .size_known = fa->size_known,
                                         .data = fa->data, .ref = fa->ref,
                                         .content_id = fa->content_id,
                                         .disposition = fa->disposition, .note = fa->note};
            }
            tc_post p = {.id = fp->id, .author = fp->author, .date = fp->date,
                         .body = fp->body, .body_len = fp->body_len,
                         .parent_id = fp->parent_id, .extras = fp->extras,
                         .attachments = att, .n_attachments = fp->n_attachments};
            rc = tc_writer_post(w, &p, err);
            free(att);
        }
        if (rc == TC_OK)
            rc = tc_writer_end_thread(w, err);
    }
    if (rc == TC_OK)
        rc = tc_writer_finish(w, err);
    return rc;
}

int fz_write(const tc_format *writer, const fz_archive *a, tc_buf *out)
{
    tc_stream *s = tc_stream_open_output_buffer(out, "fuzz-out");
    if (s == NULL)
        fz_fail("tc_stream_open_output_buffer failed");
    tc_error err;
    tc_writer *w = NULL;
    /* Not TC_WRITE_TRUSTED: the session checks again what the reader gave,
     * so a copy that lost something, or a reader check the writer side
     * does not share, shows up. */
    int rc = tc_writer_open(writer, s, 0, &w, &err);
    if (rc == TC_OK) {
        rc = write_all(w, a, &err);
        if (rc == TC_OK && (rc = tc_stream_flush(s)) != TC_OK)
            err = *tc_stream_get_error(s);
        tc_writer_close(w);
    }
    if (rc != TC_OK) {
        char what[96];
        snprintf(what, sizeof what, "writer %s", writer->name);
        check_failure(rc, &err, s, what);
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

static void compare_attachments(const fz_post *p, const fz_post *q, const char *what, size_t t,
                                size_t j)
{
    if (p->n_attachments != q->n_attachments)
        fz_fail("%s: thread %zu post %zu: %zu attachments became %zu", what, t, j,
                p->n_attachments, q->n_attachments);
    for (size_t k = 0; k < p->n_attachments; k++) {
        const fz_attachment *x = &p->attachments[k], *y = &q->attachments[k];
        if (!same_str(x->name, y->name) || !same_str(x->media_type, y->media_type) ||
            !same_str(x->ref, y->ref) || !same_str(x->content_id, y->content_id) ||
            !same_str(x->disposition, y->disposition) || !same_str(x->note, y->note))
            fz_fail("%s: thread %zu post %zu: attachment %zu '%s' (%s) changed its name, type, "
                    "ref, content id, disposition or note", what, t, j, k + 1, x->name,
                    x->media_type);
        if (x->size_known != y->size_known || x->size != y->size ||
            (x->data == NULL) != (y->data == NULL) ||
            (x->data != NULL && memcmp(x->data, y->data, (size_t)x->size) != 0))
            fz_fail("%s: thread %zu post %zu: attachment %zu '%s': %s%llu bytes became %s%llu",
                    what, t, j, k + 1, x->name, x->data ? "" : "a reference to ",
                    (unsigned long long)x->size, y->data ? "" : "a reference to ",
                    (unsigned long long)y->size);
    }
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
            compare_attachments(p, q, what, i, j);
        }
    }
}

static void free_attachments(fz_post *p)
{
    for (size_t k = 0; k < p->n_attachments; k++) {
        fz_attachment *x = &p->attachments[k];
        free(x->name);
        free(x->media_type);
        free(x->ref);
        free(x->content_id);
        free(x->disposition);
        free(x->note);
        free(x->data);
    }
    free(p->attachments);
    p->attachments = NULL;
    p->n_attachments = 0;
}

void fz_archive_drop_attachments(fz_archive *a)
{
    for (size_t i = 0; i < a->n_threads; i++)
        for (size_t j = 0; j < a->threads[i].n_posts; j++)
            free_attachments(&a->threads[i].posts[j]);
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
            free_attachments(p);
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
