/*
 * fuzz_roundtrip.c - libFuzzer harness for read -> write -> read.
 *
 * The first byte of the input chooses the reader (byte % 5: mumsnet, json,
 * jsonl, xml, mbox) and the writer (byte / 5 % 4: json, jsonl, xml, mbox,
 * the formats README's "What each format keeps" table marks as keeping
 * everything); the rest is the input.  When the reader accepts the input
 * and the writer accepts the model, the writer's format reader must accept
 * the output and give back the same model field by field, else abort().
 *
 * The documented exception: jsonl joins consecutive threads whose headers
 * are equal (same members, any order) when both have posts, so the
 * expectation joins them too.
 */
#include "driver.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const readers[] = {"mumsnet", "json", "jsonl", "xml", "mbox"};
static const char *const writers[] = {"json", "jsonl", "xml", "mbox"};

static bool same(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* The same fields, in any order (how jsonl compares thread objects). */
static bool same_set(const tc_fields *a, const tc_fields *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!same(tc_fields_get(b, a->items[i].key), a->items[i].value))
            return false;
    return true;
}

/* jsonl: a thread with posts whose header equals the previous thread's
 * (which has posts too) reads back as part of it. */
static void join_like_jsonl(fz_archive *a)
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

int fz_roundtrip_one(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const tc_format *reader = fz_plugin(readers[data[0] % 5]);
    const tc_format *writer = fz_plugin(writers[data[0] / 5 % 4]);
    fz_archive a;
    fz_read(reader, data + 1, size - 1, &a);
    if (a.rc != TC_OK) {
        fz_archive_free(&a);
        return 0;
    }
    tc_buf out = {0};
    int rc = fz_write(writer, &a, &out);
    if (rc == TC_OK) {
        fz_archive b;
        fz_read(writer, out.data ? out.data : "", out.len, &b);
        char what[64];
        snprintf(what, sizeof what, "%s -> %s -> %s", reader->name, writer->name, writer->name);
        if (b.rc != TC_OK) {
            char msg[2048];
            tc_error_format(&b.err, msg, sizeof msg);
            fprintf(stderr, "---- %s wrote:\n%.*s\n----\n", writer->name,
                    (int)(out.len < 4000 ? out.len : 4000), out.data ? out.data : "");
            fz_fail("%s: the %s reader refused its own writer's output: %s", what,
                    writer->name, msg);
        }
        if (b.n_skipped != 0)
            fz_fail("%s: the %s reader skipped %zu posts of its own writer's output", what,
                    writer->name, b.n_skipped);
        if (strcmp(writer->name, "jsonl") == 0)
            join_like_jsonl(&a);
        fz_compare(&a, &b, what);
        fz_archive_free(&b);
    }
    tc_buf_free(&out);
    fz_archive_free(&a);
    return 0;
}

#ifndef FZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_roundtrip_one(data, size);
}
#endif
