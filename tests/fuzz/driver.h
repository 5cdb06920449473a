/*
 * driver.h - what the libFuzzer harnesses share: run a reader plugin over
 * bytes in memory to the end, keeping owned copies of everything it hands
 * out (as tests/testutil.c does, without Check), feed such a copy to a
 * writer, and compare two copies field by field.
 *
 * Every plugin source defines the symbol threadconv_plugin; build.sh
 * compiles each one with -Dthreadconv_plugin=fz_plugin_NAME so one harness
 * can link them all.  Contract violations (a bad status code, an error
 * without a message, a string that is not UTF-8, ...) abort(), which
 * libFuzzer reports as a crash.
 */
#ifndef TC_FUZZ_DRIVER_H
#define TC_FUZZ_DRIVER_H

#include <threadconv/convert.h>

#include <stdint.h>

/* The plugin for a format name: linked in (fuzz_link.c, the libFuzzer
 * build) or loaded through the registry (replay.c, make check). */
const tc_format *fz_plugin(const char *name);

/* One input through a reader's harness, and through the round trip. */
int fz_reader_one(const char *reader, const uint8_t *data, size_t size);
int fz_roundtrip_one(const uint8_t *data, size_t size);

typedef struct fz_post {
    char *id, *author, *body, *parent_id;
    size_t body_len;
    tc_date date;
    tc_fields extras;
} fz_post;

typedef struct fz_thread {
    char *title, *source, *id, *url;
    tc_fields extras;
    fz_post *posts;
    size_t n_posts;
} fz_thread;

typedef struct fz_archive {
    fz_thread *threads;
    size_t n_threads;
    int rc;          /* TC_OK when the reader reached its end cleanly */
    size_t n_skipped; /* posts the reader skipped (TC_SKIPPED, as --keep-going) */
    tc_error err;    /* the stream's error when rc != TC_OK */
} fz_archive;

/* Print a message to stderr and abort(): a finding. */
void fz_fail(const char *fmt, ...) TC_PRINTF(1, 2) __attribute__((noreturn));

/* Read data with reader to the end (or its first error). */
void fz_read(const tc_format *reader, const void *data, size_t len, fz_archive *out);

/* Write archive with writer into out; returns the writer's status. */
int fz_write(const tc_format *writer, const fz_archive *archive, tc_buf *out);

/* Abort, naming what differs, unless a and b hold the same model. */
void fz_compare(const fz_archive *a, const fz_archive *b, const char *what);

void fz_archive_free(fz_archive *archive);

#endif
