/*
 * testutil.h - shared helpers for the Check test programs: where the test
 * data lives, and running a reader or writer plugin to completion in memory
 * so tests can compare what came out field by field.
 */
#ifndef TC_TESTUTIL_H
#define TC_TESTUTIL_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifdef TC_TEST_DEPS_MISSING
#error "make check needs jansson and Check, which configure did not find: apt-get install libjansson-dev check, then rerun configure"
#endif

#include <threadconv/convert.h>

/* A post as a test keeps it: owned copies of everything. */
typedef struct tu_post {
    char *id;
    char *author;
    tc_date date;
    char *body;
    size_t body_len;
    char *parent_id; /* NULL when none */
    tc_fields extras;
    tc_attachment *attachments; /* owned copies (every string and the bytes) */
    size_t n_attachments;
} tu_post;

typedef struct tu_thread {
    char *title;
    char *source;
    char *id;  /* NULL when none */
    char *url; /* NULL when none */
    tc_fields extras;
    tu_post *posts;
    size_t n_posts;
} tu_thread;

/* Everything a reader produced, its final status and its warnings. */
typedef struct tu_archive {
    tu_thread *threads;
    size_t n_threads;
    int rc;              /* TC_OK when the reader reached TC_EOF cleanly */
    tc_error err;        /* the stream's error when rc != TC_OK */
    char *warnings;      /* every warning, formatted, one per line ("" if none) */
    size_t n_warnings;
} tu_archive;

/*
 * Directory named by environment variable var (THREADCONV_SHARED,
 * THREADCONV_TESTDATA, ...).  A missing variable or directory fails the
 * running test loudly: data the suite needs is never silently skipped.
 */
const char *tu_env_dir(const char *var);

/* "$var/rel" as a new string (free()). Fails the test when var is unset. */
char *tu_path(const char *var, const char *rel);

/* Whole file in memory (new, NUL-terminated, free()); fails the test if unreadable. */
char *tu_slurp(const char *path, size_t *len);

/*
 * The format name of a module linked into the test program (static
 * linking), checked by a registry as the loader checks a module file; the
 * registry lives until the program ends.  Fails the test when the module is
 * refused or has no such format.
 */
const tc_format *tu_static_format(const tc_module *module, const char *name);

/* Run reader over data / a file through the checked session (tc_reader_*,
 * without keep-going); never NULL (fails the test on ENOMEM).  For a
 * reader of trees (TC_FORMAT_READS_TREE) a folder, zip or tar path is read
 * as a tree, as the core does; one it refuses gives the archive the
 * error. */
tu_archive *tu_read_memory(const tc_format *reader, const void *data, size_t len,
                           const char *name);
tu_archive *tu_read_file(const tc_format *reader, const char *path);
/* The same with -O values for the reader (checked; the test fails on a bad one). */
tu_archive *tu_read_file_with(const tc_format *reader, const char *path,
                              const tc_option_value *options, size_t n_options);
void tu_archive_free(tu_archive *archive);

/*
 * Feed an archive to writer through the checked session (tc_writer_*,
 * which checks what it is given), appending the output to out.  options may be
 * NULL.  Returns the writer's status; err is set on failure.
 */
int tu_write(const tc_format *writer, const tu_archive *archive,
             const tc_option_value *options, size_t n_options, tc_buf *out,
             tc_error *err);

/* The same for a writer of directories (TC_FORMAT_WRITES_DIRECTORY): it
 * writes into dir, the name of its stream. */
int tu_write_dir(const tc_format *writer, const tu_archive *archive,
                 const tc_option_value *options, size_t n_options, const char *dir,
                 tc_error *err);

/* The same, with the writer's warnings passed to warn. */
int tu_write_warn(const tc_format *writer, const tu_archive *archive,
                  const tc_option_value *options, size_t n_options, tc_buf *out,
                  tc_error *err, tc_warning_fn warn, void *user);

/* Building archives by hand (every string copied; the test fails on ENOMEM). */
tc_date tu_at(int64_t utc, int32_t offset_min);        /* a present date */
tu_archive *tu_archive_new(void);                       /* free with tu_archive_free */
/* The returned pointer is valid until the next tu_add_thread on a. */
tu_thread *tu_add_thread(tu_archive *a, const char *title, const char *source,
                         const char *id, const char *url);
tu_post *tu_add_post_n(tu_thread *t, const char *id, const char *author, tc_date date,
                       const char *body, size_t body_len, const char *parent);
tu_post *tu_add_post(tu_thread *t, const char *id, const char *author, tc_date date,
                     const char *body, const char *parent);
void tu_set_extra(tc_fields *f, const char *key, const char *value);
/* Add an attachment to p (strings may be NULL where the model allows;
 * data of size bytes is copied when not NULL). */
tc_attachment *tu_add_attachment(tu_post *p, const char *name, const char *media_type,
                                 const void *data, size_t size, const char *ref);

/*
 * Fail the test unless x and y hold the same: status, every thread field and
 * extra (in order), every post field, bodies byte for byte.
 */
void tu_archives_equal(const tu_archive *x, const tu_archive *y);

/* ISO 8601 form of a date ("" for no date) in a static buffer per call site. */
const char *tu_iso(tc_date date, char out[TC_ISO_DATE_SIZE]);

#endif
