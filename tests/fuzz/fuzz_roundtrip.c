/*
 * fuzz_roundtrip.c - libFuzzer harness for read -> write -> read.
 *
 * An input is a first line "READER WRITER" naming two formats of the
 * registry, then the bytes READER reads.  READER is any format with a
 * reader of byte streams, WRITER any with a writer into a byte stream and a
 * reader (fz_can_round_trip); an input whose first line names no such pair
 * is ignored.  Naming the formats (not numbering them) keeps every
 * committed seed and regression meaning the same pair when modules are
 * added.  When READER accepts the input and WRITER accepts the model,
 * WRITER's reader must accept the output, skip nothing, and give back:
 *
 *   - the same model, field by field, when the writer keeps everything;
 *   - for a writer that declares a "lossy" option (it cannot keep every
 *     field: README's "What each format keeps" table), what it gave back
 *     must be a fixed point: written and read again, it comes back the same.
 *
 * A writer may join consecutive threads whose headers are equal (same
 * members, any order) when both have posts (a format of one line per post does
 * cannot show where such threads part).  Whether it does is found by
 * asking it, once, with two such threads; the expectation then joins them
 * too.  Otherwise abort().
 */
#include "driver.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* The same fields, in any order (how a writer that joins threads compares
 * their headers: a line-per-post format compares JSON objects). */
static bool same_set(const tc_fields *a, const tc_fields *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!same(tc_fields_get(b, a->items[i].key), a->items[i].value))
            return false;
    return true;
}

/* A thread with posts whose header equals the previous thread's (which has
 * posts too) joined to it. */
static void join_equal_threads(fz_archive *a)
{
    size_t out = 0;
    for (size_t i = 0; i < a->n_threads; i++) {
        fz_thread *t = &a->threads[i];
        fz_thread *prev = out > 0 ? &a->threads[out - 1] : NULL;
        if (prev != NULL && prev->n_posts > 0 && t->n_posts > 0 && t->id != NULL &&
            same(prev->id, t->id) && same(prev->title, t->title) &&
            same(prev->source, t->source) && same(prev->url, t->url) &&
            same_set(&prev->extras, &t->extras)) {
            prev->posts = realloc(prev->posts, (prev->n_posts + t->n_posts) * sizeof *prev->posts);
            if (prev->posts == NULL)
                fz_fail("out of memory in the driver");
            memcpy(prev->posts + prev->n_posts, t->posts, t->n_posts * sizeof *t->posts);
            prev->n_posts += t->n_posts;
            free(t->posts);
            free(t->title);
            free(t->source);
            free(t->id);
            free(t->url);
            tc_fields_free(&t->extras);
            continue;
        }
        a->threads[out++] = *t;
    }
    a->n_threads = out;
}

static bool declares_option(const tc_format *f, const char *name)
{
    for (const tc_option_decl *o = f->options; o != NULL && o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return true;
    return false;
}

/* Does writer join two consecutive threads with equal headers?  Asked once
 * per writer with such an archive; a writer that refuses it does not. */
static bool joins_equal_threads(const tc_format *writer)
{
    static struct {
        const tc_format *writer;
        bool joins;
    } known[64];
    static size_t n_known;
    for (size_t i = 0; i < n_known; i++)
        if (known[i].writer == writer)
            return known[i].joins;
    fz_post posts[2] = {{.id = "1", .author = "a", .body = "one", .body_len = 3},
                        {.id = "2", .author = "a", .body = "two", .body_len = 3}};
    fz_thread threads[2] = {
        {.title = "t", .source = "s", .id = "x", .posts = &posts[0], .n_posts = 1},
        {.title = "t", .source = "s", .id = "x", .posts = &posts[1], .n_posts = 1}};
    fz_archive two = {.threads = threads, .n_threads = 2};
    bool joins = false;
    tc_buf out = {0};
    if (fz_write(writer, &two, &out) == TC_OK) {
        fz_archive back;
        fz_read(writer, out.data ? out.data : "", out.len, &back);
        joins = back.rc == TC_OK && back.n_threads == 1 && back.threads[0].n_posts == 2;
        fz_archive_free(&back);
    }
    tc_buf_free(&out);
    if (n_known < sizeof known / sizeof known[0]) {
        known[n_known].writer = writer;
        known[n_known].joins = joins;
        n_known++;
    }
    return joins;
}

/* Written by writer and read back by its reader, which must accept it. */
static int trip(const tc_format *writer, const fz_archive *a, fz_archive *back,
                const char *what)
{
    tc_buf out = {0};
    int rc = fz_write(writer, a, &out);
    if (rc == TC_OK) {
        fz_read(writer, out.data ? out.data : "", out.len, back);
        if (back->rc != TC_OK) {
            char msg[2048];
            tc_error_format(&back->err, msg, sizeof msg);
            fprintf(stderr, "---- %s wrote:\n%.*s\n----\n", writer->name,
                    (int)(out.len < 4000 ? out.len : 4000), out.data ? out.data : "");
            fz_fail("%s: the %s reader refused its own writer's output: %s", what,
                    writer->name, msg);
        }
        if (back->n_skipped != 0)
            fz_fail("%s: the %s reader skipped %zu posts of its own writer's output", what,
                    writer->name, back->n_skipped);
    }
    tc_buf_free(&out);
    return rc;
}

bool fz_roundtrip_pair(const uint8_t *data, size_t size, const tc_format **reader,
                       const tc_format **writer, size_t *skip)
{
    const uint8_t *nl = memchr(data, '\n', size < 128 ? size : 128);
    if (nl == NULL)
        return false;
    char line[128];
    size_t n = (size_t)(nl - data);
    memcpy(line, data, n);
    line[n] = '\0';
    char *space = strchr(line, ' ');
    if (space == NULL)
        return false;
    *space = '\0';
    *reader = fz_find(line);
    *writer = fz_find(space + 1);
    *skip = n + 1;
    return *reader != NULL && *writer != NULL && fz_can_read(*reader) &&
           fz_can_round_trip(*writer);
}

int fz_roundtrip_one(const uint8_t *data, size_t size)
{
    const tc_format *reader, *writer;
    size_t skip;
    if (!fz_roundtrip_pair(data, size, &reader, &writer, &skip))
        return 0;
    fz_archive a;
    fz_read(reader, data + skip, size - skip, &a);
    if (a.rc != TC_OK) {
        fz_archive_free(&a);
        return 0;
    }
    if (!(writer->flags & TC_FORMAT_WRITES_ATTACHMENTS))
        fz_archive_drop_attachments(&a);
    char what[160];
    snprintf(what, sizeof what, "%s -> %s -> %s", reader->name, writer->name, writer->name);
    fz_archive b;
    if (trip(writer, &a, &b, what) == TC_OK) {
        if (declares_option(writer, "lossy")) {
            /* what the writer can show: it must take it and keep it */
            fz_archive c;
            snprintf(what, sizeof what, "%s -> %s -> %s, again", reader->name, writer->name,
                     writer->name);
            if (trip(writer, &b, &c, what) != TC_OK)
                fz_fail("%s: the %s writer refused what its own reader gave", what,
                        writer->name);
            fz_compare(&b, &c, what);
            fz_archive_free(&c);
        } else {
            if (joins_equal_threads(writer))
                join_equal_threads(&a);
            fz_compare(&a, &b, what);
        }
        fz_archive_free(&b);
    }
    fz_archive_free(&a);
    return 0;
}

#ifndef FZ_REPLAY
void fz_list_if_asked(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_list_if_asked();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_roundtrip_one(data, size);
}
#endif
