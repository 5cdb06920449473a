/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <threadconv/tree.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *tu_env_dir(const char *var)
{
    const char *dir = getenv(var);
    struct stat st;
    if (dir == NULL || *dir == '\0')
        ck_abort_msg("environment variable %s is not set: the test data it names is required "
                     "(run the suite through make check, or export %s)", var, var);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        ck_abort_msg("%s=%s is not a directory", var, dir);
    return dir;
}

char *tu_path(const char *var, const char *rel)
{
    const char *dir = tu_env_dir(var);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        ck_abort_msg("cannot open %s", path);
    tc_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ck_assert_int_eq(tc_buf_append(&b, chunk, n), TC_OK);
    fclose(f);
    if (b.data == NULL)
        ck_assert_int_eq(tc_buf_append(&b, "", 0), TC_OK);
    if (len)
        *len = b.len;
    return b.data;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *must_dup(const char *s)
{
    char *p = dup_or_null(s);
    if (s)
        ck_assert_ptr_nonnull(p);
    return p;
}

static void copy_fields(tc_fields *dst, const tc_fields *src)
{
    for (size_t i = 0; i < src->count; i++)
        ck_assert_int_eq(tc_fields_set(dst, src->items[i].key, src->items[i].value), TC_OK);
}

static void collect_warning(void *user, const tc_error *w)
{
    tu_archive *a = user;
    char line[2048];
    tc_error_format(w, line, sizeof line);
    size_t old = a->warnings ? strlen(a->warnings) : 0;
    a->warnings = realloc(a->warnings, old + strlen(line) + 2);
    ck_assert_ptr_nonnull(a->warnings);
    strcpy(a->warnings + old, line);
    strcat(a->warnings + old, "\n");
    a->n_warnings++;
}

static void copy_attachment(tc_attachment *dst, const tc_attachment *src)
{
    *dst = *src;
    dst->name = must_dup(src->name);
    dst->media_type = must_dup(src->media_type);
    dst->ref = must_dup(src->ref);
    dst->content_id = must_dup(src->content_id);
    dst->disposition = must_dup(src->disposition);
    dst->note = must_dup(src->note);
    if (src->data) {
        unsigned char *bytes = malloc(src->size ? src->size : 1);
        ck_assert_ptr_nonnull(bytes);
        memcpy(bytes, src->data, src->size);
        dst->data = bytes;
    }
}

static void free_attachment(tc_attachment *a)
{
    free((char *)a->name);
    free((char *)a->media_type);
    free((char *)a->ref);
    free((char *)a->content_id);
    free((char *)a->disposition);
    free((char *)a->note);
    free((unsigned char *)a->data);
}

static tu_archive *read_stream(const tc_format *reader, tc_stream *in)
{
    tu_archive *a = calloc(1, sizeof *a);
    ck_assert_ptr_nonnull(a);
    a->warnings = strdup("");
    tc_stream_set_warning_fn(in, collect_warning, a);
    tc_reader *r = NULL;
    tc_error err = {0};
    int rc = tc_reader_open(reader, in, 0, &r, &err);
    if (rc == TC_OK) {
        const tc_thread *t;
        while ((rc = tc_reader_next_thread(r, &t, &err)) == TC_OK) {
            a->threads = realloc(a->threads, (a->n_threads + 1) * sizeof *a->threads);
            ck_assert_ptr_nonnull(a->threads);
            tu_thread *tt = &a->threads[a->n_threads++];
            memset(tt, 0, sizeof *tt);
            tt->title = strdup(t->title);
            tt->source = strdup(t->source);
            tt->id = dup_or_null(t->id);
            tt->url = dup_or_null(t->url);
            copy_fields(&tt->extras, &t->extras);
            const tc_post *p;
            /* TC_SKIPPED ends the read as a data error, as the core does
             * without --keep-going. */
            while ((rc = tc_reader_next_post(r, &p, &err)) == TC_OK) {
                tt->posts = realloc(tt->posts, (tt->n_posts + 1) * sizeof *tt->posts);
                ck_assert_ptr_nonnull(tt->posts);
                tu_post *tp = &tt->posts[tt->n_posts++];
                memset(tp, 0, sizeof *tp);
                tp->id = strdup(p->id);
                tp->author = strdup(p->author);
                tp->date = p->date;
                tp->body = malloc(p->body_len + 1);
                ck_assert_ptr_nonnull(tp->body);
                memcpy(tp->body, p->body, p->body_len);
                tp->body[p->body_len] = '\0';
                tp->body_len = p->body_len;
                ck_assert_msg(p->body[p->body_len] == '\0', "post body is not NUL-terminated");
                tp->parent_id = dup_or_null(p->parent_id);
                copy_fields(&tp->extras, &p->extras);
                if (p->n_attachments) {
                    tp->attachments = calloc(p->n_attachments, sizeof *tp->attachments);
                    ck_assert_ptr_nonnull(tp->attachments);
                    for (size_t k = 0; k < p->n_attachments; k++)
                        copy_attachment(&tp->attachments[k], &p->attachments[k]);
                    tp->n_attachments = p->n_attachments;
                }
            }
            if (rc != TC_EOF)
                break;
            rc = TC_OK;
        }
        if (rc == TC_EOF)
            rc = TC_OK;
        tc_reader_close(r);
    }
    a->rc = rc;
    a->err = err;
    if (rc != TC_OK)
        ck_assert_msg(a->err.code == rc, "reader returned %d but set error code %d (%s)",
                      rc, a->err.code, a->err.text);
    tc_stream_close(in);
    return a;
}

static tc_registry *static_registry;

static void free_static_registry(void)
{
    tc_registry_free(static_registry);
}

const tc_format *tu_static_format(const tc_module *module, const char *name)
{
    if (static_registry == NULL) {
        static_registry = tc_registry_new();
        ck_assert_ptr_nonnull(static_registry);
        atexit(free_static_registry);
    }
    tc_error err = {0};
    const tc_format *f = NULL;
    for (size_t i = 0; f == NULL && i < tc_registry_count(static_registry); i++)
        if (strcmp(tc_registry_format(static_registry, i)->name, name) == 0)
            f = tc_registry_format(static_registry, i);
    if (f == NULL) {
        int rc = tc_registry_add_module(static_registry, module, "linked in", &err);
        ck_assert_msg(rc == TC_OK, "module %s refused: %s", module->name, err.text);
        for (size_t i = 0; f == NULL && i < tc_registry_count(static_registry); i++)
            if (strcmp(tc_registry_format(static_registry, i)->name, name) == 0)
                f = tc_registry_format(static_registry, i);
    }
    ck_assert_msg(f != NULL, "module %s has no format %s", module->name, name);
    return f;
}

tu_archive *tu_read_memory(const tc_format *reader, const void *data, size_t len,
                           const char *name)
{
    tc_stream *in = tc_stream_open_memory(data, len, name);
    ck_assert_ptr_nonnull(in);
    return read_stream(reader, in);
}

tu_archive *tu_read_file(const tc_format *reader, const char *path)
{
    return tu_read_file_with(reader, path, NULL, 0);
}

tu_archive *tu_read_file_with(const tc_format *reader, const char *path,
                              const tc_option_value *options, size_t n_options)
{
    tc_error err;
    tc_tree *tree = NULL;
    tc_stream *in = NULL;
    if (reader->flags & TC_FORMAT_READS_TREE) {
        /* as the core opens an input for such a reader: a folder, a zip or
         * a tar as a tree, anything else as a file */
        int rc = tc_tree_open(path, &tree, &err);
        if (rc != TC_OK && rc != TC_EOF) {
            tu_archive *a = calloc(1, sizeof *a);
            ck_assert_ptr_nonnull(a);
            a->warnings = strdup("");
            a->rc = rc;
            a->err = err;
            return a;
        }
        if (tree)
            in = tc_stream_open_tree(tree, path);
    }
    if (in == NULL && tree == NULL)
        in = tc_stream_open_input(path, &err);
    if (in == NULL)
        ck_abort_msg("cannot open %s: %s", path, err.text);
    if (tc_stream_set_options(in, reader, options, n_options, &err) != TC_OK)
        ck_abort_msg("%s: bad options: %s", path, err.text);
    tu_archive *a = read_stream(reader, in);
    tc_tree_close(tree);
    return a;
}

void tu_archive_free(tu_archive *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n_threads; i++) {
        tu_thread *t = &a->threads[i];
        for (size_t j = 0; j < t->n_posts; j++) {
            tu_post *p = &t->posts[j];
            free(p->id);
            free(p->author);
            free(p->body);
            free(p->parent_id);
            tc_fields_free(&p->extras);
            for (size_t k = 0; k < p->n_attachments; k++)
                free_attachment(&p->attachments[k]);
            free(p->attachments);
        }
        free(t->posts);
        free(t->title);
        free(t->source);
        free(t->id);
        free(t->url);
        tc_fields_free(&t->extras);
    }
    free(a->threads);
    free(a->warnings);
    free(a);
}

int tu_write(const tc_format *writer, const tu_archive *a,
             const tc_option_value *options, size_t n_options, tc_buf *out,
             tc_error *err)
{
    return tu_write_warn(writer, a, options, n_options, out, err, NULL, NULL);
}

static int write_stream(const tc_format *writer, const tu_archive *a,
                        const tc_option_value *options, size_t n_options, tc_stream *s,
                        tc_error *err);

int tu_write_warn(const tc_format *writer, const tu_archive *a,
                  const tc_option_value *options, size_t n_options, tc_buf *out,
                  tc_error *err, tc_warning_fn warn, void *user)
{
    tc_stream *s = tc_stream_open_output_buffer(out, "<test output>");
    ck_assert_ptr_nonnull(s);
    tc_stream_set_warning_fn(s, warn, user);
    return write_stream(writer, a, options, n_options, s, err);
}

int tu_write_dir(const tc_format *writer, const tu_archive *a,
                 const tc_option_value *options, size_t n_options, const char *dir,
                 tc_error *err)
{
    tc_buf stray = {0};
    tc_stream *s = tc_stream_open_output_buffer(&stray, dir);
    ck_assert_ptr_nonnull(s);
    int rc = write_stream(writer, a, options, n_options, s, err);
    ck_assert_msg(stray.len == 0, "the %s writer wrote %zu bytes to its stream", writer->name,
                  stray.len);
    tc_buf_free(&stray);
    return rc;
}

static int write_stream(const tc_format *writer, const tu_archive *a,
                        const tc_option_value *options, size_t n_options, tc_stream *s,
                        tc_error *err)
{
    int rc = tc_stream_set_options(s, writer, options, n_options, err);
    if (rc != TC_OK) {
        tc_stream_close(s);
        return rc;
    }
    tc_writer *w = NULL;
    tc_error e = {0};
    rc = tc_writer_open(writer, s, 0, &w, &e);
    for (size_t i = 0; rc == TC_OK && i < a->n_threads; i++) {
        const tu_thread *tt = &a->threads[i];
        tc_thread t = {.title = tt->title, .source = tt->source, .id = tt->id,
                       .url = tt->url, .extras = tt->extras};
        rc = tc_writer_begin_thread(w, &t, &e);
        for (size_t j = 0; rc == TC_OK && j < tt->n_posts; j++) {
            const tu_post *tp = &tt->posts[j];
            tc_post p = {.id = tp->id, .author = tp->author, .date = tp->date,
                         .body = tp->body, .body_len = tp->body_len,
                         .parent_id = tp->parent_id, .extras = tp->extras,
                         .attachments = tp->attachments, .n_attachments = tp->n_attachments};
            rc = tc_writer_post(w, &p, &e);
        }
        if (rc == TC_OK)
            rc = tc_writer_end_thread(w, &e);
    }
    if (rc == TC_OK)
        rc = tc_writer_finish(w, &e);
    if (rc == TC_OK && (rc = tc_stream_flush(s)) != TC_OK)
        e = *tc_stream_get_error(s);
    tc_writer_close(w);
    if (err)
        *err = e;
    tc_stream_close(s);
    return rc;
}

const char *tu_iso(tc_date date, char out[TC_ISO_DATE_SIZE])
{
    if (!date.present) {
        out[0] = '\0';
        return out;
    }
    tc_date_format_iso(date, out);
    return out;
}

tc_date tu_at(int64_t utc, int32_t offset_min)
{
    tc_date d = {.utc = utc, .offset_min = offset_min, .present = true};
    return d;
}

tu_archive *tu_archive_new(void)
{
    tu_archive *a = calloc(1, sizeof *a);
    ck_assert_ptr_nonnull(a);
    a->warnings = must_dup("");
    return a;
}

tu_thread *tu_add_thread(tu_archive *a, const char *title, const char *source,
                         const char *id, const char *url)
{
    a->threads = realloc(a->threads, (a->n_threads + 1) * sizeof *a->threads);
    ck_assert_ptr_nonnull(a->threads);
    tu_thread *t = &a->threads[a->n_threads++];
    memset(t, 0, sizeof *t);
    t->title = must_dup(title);
    t->source = must_dup(source);
    t->id = must_dup(id);
    t->url = must_dup(url);
    return t;
}

tu_post *tu_add_post_n(tu_thread *t, const char *id, const char *author, tc_date date,
                       const char *body, size_t body_len, const char *parent)
{
    t->posts = realloc(t->posts, (t->n_posts + 1) * sizeof *t->posts);
    ck_assert_ptr_nonnull(t->posts);
    tu_post *p = &t->posts[t->n_posts++];
    memset(p, 0, sizeof *p);
    p->id = must_dup(id);
    p->author = must_dup(author);
    p->date = date;
    p->body = malloc(body_len + 1);
    ck_assert_ptr_nonnull(p->body);
    memcpy(p->body, body, body_len);
    p->body[body_len] = '\0';
    p->body_len = body_len;
    p->parent_id = must_dup(parent);
    return p;
}

tu_post *tu_add_post(tu_thread *t, const char *id, const char *author, tc_date date,
                     const char *body, const char *parent)
{
    return tu_add_post_n(t, id, author, date, body, strlen(body), parent);
}

void tu_set_extra(tc_fields *f, const char *key, const char *value)
{
    ck_assert_int_eq(tc_fields_set(f, key, value), TC_OK);
}

tc_attachment *tu_add_attachment(tu_post *p, const char *name, const char *media_type,
                                 const void *data, size_t size, const char *ref)
{
    p->attachments = realloc(p->attachments, (p->n_attachments + 1) * sizeof *p->attachments);
    ck_assert_ptr_nonnull(p->attachments);
    tc_attachment *a = &p->attachments[p->n_attachments++];
    tc_attachment src = {.name = name, .media_type = media_type, .data = data, .size = size,
                         .size_known = data != NULL, .ref = ref};
    copy_attachment(a, &src);
    return a;
}

static void str_or_null_eq(const char *x, const char *y)
{
    if (x == NULL || y == NULL)
        ck_assert_msg(x == y, "\"%s\" != \"%s\"", x ? x : "(null)", y ? y : "(null)");
    else
        ck_assert_str_eq(x, y);
}

static void fields_equal(const tc_fields *x, const tc_fields *y)
{
    ck_assert_uint_eq(x->count, y->count);
    for (size_t i = 0; i < x->count; i++) {
        ck_assert_str_eq(x->items[i].key, y->items[i].key);
        ck_assert_str_eq(x->items[i].value, y->items[i].value);
    }
}

void tu_archives_equal(const tu_archive *x, const tu_archive *y)
{
    ck_assert_int_eq(x->rc, y->rc);
    ck_assert_uint_eq(x->n_threads, y->n_threads);
    for (size_t i = 0; i < x->n_threads; i++) {
        const tu_thread *a = &x->threads[i], *b = &y->threads[i];
        ck_assert_str_eq(a->title, b->title);
        ck_assert_str_eq(a->source, b->source);
        str_or_null_eq(a->id, b->id);
        str_or_null_eq(a->url, b->url);
        fields_equal(&a->extras, &b->extras);
        ck_assert_uint_eq(a->n_posts, b->n_posts);
        for (size_t j = 0; j < a->n_posts; j++) {
            const tu_post *p = &a->posts[j], *q = &b->posts[j];
            ck_assert_str_eq(p->id, q->id);
            ck_assert_str_eq(p->author, q->author);
            ck_assert(p->date.present == q->date.present);
            ck_assert_int_eq(p->date.utc, q->date.utc);
            ck_assert_int_eq(p->date.offset_min, q->date.offset_min);
            ck_assert_msg(p->body_len == q->body_len && memcmp(p->body, q->body, p->body_len) == 0,
                          "thread %zu post %s: body (%zu bytes) \"%s\" came back as (%zu bytes) "
                          "\"%s\"", i + 1, p->id, p->body_len, p->body, q->body_len, q->body);
            str_or_null_eq(p->parent_id, q->parent_id);
            fields_equal(&p->extras, &q->extras);
            ck_assert_uint_eq(p->n_attachments, q->n_attachments);
            for (size_t k = 0; k < p->n_attachments; k++) {
                const tc_attachment *u = &p->attachments[k], *v = &q->attachments[k];
                ck_assert_str_eq(u->name, v->name);
                ck_assert_str_eq(u->media_type, v->media_type);
                ck_assert(u->size_known == v->size_known);
                ck_assert_uint_eq(u->size, v->size);
                ck_assert((u->data == NULL) == (v->data == NULL));
                ck_assert(u->data == NULL || memcmp(u->data, v->data, u->size) == 0);
                str_or_null_eq(u->ref, v->ref);
                str_or_null_eq(u->content_id, v->content_id);
                str_or_null_eq(u->disposition, v->disposition);
                str_or_null_eq(u->note, v->note);
            }
        }
    }
}
