/*
 * driver.h - what the libFuzzer harnesses share: read bytes in memory with
 * a format through the checked session (tc_reader_*), keeping owned copies
 * of everything it hands out, write such a copy through tc_writer_*, and
 * compare two copies field by field.
 *
 * The formats come from a registry: every module linked in and added with
 * tc_registry_add_module (fuzz_link.c, the libFuzzer build: build.sh
 * writes the list of modules), or the modules loaded from
 * THREADCONV_PLUGIN_PATH (replay.c, make check).  No harness names a
 * format.  Broken contracts -- a status outside the ABI, an error without a
 * message, a string that is not UTF-8 although the session let it through,
 * a round trip that changes the model -- abort(), which libFuzzer reports
 * as a crash.
 */
#ifndef TC_FUZZ_DRIVER_H
#define TC_FUZZ_DRIVER_H

#include <threadconv/convert.h>

#include <stdint.h>

/* The registry every harness takes its formats from (fuzz_link.c or
 * replay.c provides it; borrowed, lives until the program ends). */
tc_registry *fz_registry(void);

/* The format called name in fz_registry(), or NULL. */
const tc_format *fz_find(const char *name);

/* A format the harnesses can read from memory: it has a reader whose input
 * is a byte stream (not a tree). */
bool fz_can_read(const tc_format *f);
/* A format the round trip writes: a writer into a byte stream (not a
 * directory) and a reader to read it back. */
bool fz_can_round_trip(const tc_format *f);

/* One input through a reader's harness, and through the round trip. */
int fz_reader_one(const tc_format *reader, const uint8_t *data, size_t size);
int fz_roundtrip_one(const uint8_t *data, size_t size);
/* The formats a round-trip input's first line names ("READER WRITER") and
 * where the bytes after it start; false when it names no such pair. */
bool fz_roundtrip_pair(const uint8_t *data, size_t size, const tc_format **reader,
                       const tc_format **writer, size_t *skip);

typedef struct fz_attachment {
    char *name, *media_type, *ref, *content_id, *disposition, *note;
    unsigned char *data; /* NULL when the attachment has no bytes */
    uint64_t size;
    bool size_known;
} fz_attachment;

typedef struct fz_post {
    char *id, *author, *body, *parent_id;
    size_t body_len;
    tc_date date;
    tc_fields extras;
    fz_attachment *attachments;
    size_t n_attachments;
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
    int rc;           /* TC_OK when the reader reached its end cleanly */
    size_t n_skipped; /* posts the reader skipped (TC_SKIPPED, as --keep-going) */
    tc_error err;     /* the session's error when rc != TC_OK */
} fz_archive;

/* Print a message to stderr and abort(): a finding. */
void fz_fail(const char *fmt, ...) TC_PRINTF(1, 2) __attribute__((noreturn));

/* Read data with reader to the end (or its first error), as the CLI does
 * with --keep-going. */
void fz_read(const tc_format *reader, const void *data, size_t len, fz_archive *out);

/* Write archive with writer into out; returns the session's status (TC_OK,
 * or a refusal: TC_ERR_DATA / TC_ERR_NOMEM with a message). */
int fz_write(const tc_format *writer, const fz_archive *archive, tc_buf *out);

/* Abort, naming what differs, unless a and b hold the same model. */
void fz_compare(const fz_archive *a, const fz_archive *b, const char *what);

/* A writer without TC_FORMAT_WRITES_ATTACHMENTS is given none (the session
 * drops them, with a warning): what a round trip through it must keep. */
void fz_archive_drop_attachments(fz_archive *a);
void fz_archive_free(fz_archive *archive);

#endif
