/*
 * convert.h - loading plugins and running conversions (the host side).
 *
 * The threadconv command is a thin layer over these functions; a program
 * that embeds libthreadconv uses them the same way:
 *
 *   tc_registry *reg = tc_registry_new();
 *   tc_registry_add_search_dirs(reg, NULL, 0, true);   // env + installed dir
 *   tc_convert_spec spec = { .writer = "json", .inputs = files, .n_inputs = n };
 *   tc_error err;
 *   int rc = tc_convert(reg, &spec, &err);            // err.text on failure
 *   tc_registry_free(reg);
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef THREADCONV_CONVERT_H
#define THREADCONV_CONVERT_H

#include <threadconv/plugin.h>
#include <threadconv/threadconv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the library, "MAJOR.MINOR.PATCH".  Borrowed, static. */
const char *tc_version(void);

/*
 * An error or warning as the core reports it.  source is the file it is
 * about ("" when none), line and column are 1-based (0 when unknown), text
 * says what was expected and what was found.  Plain data: copy it freely.
 */
typedef struct tc_error {
    int code;           /* TC_ERR_* (TC_OK in an unused struct) */
    char source[512];
    uint64_t line;
    uint64_t column;
    char text[1024];
} tc_error;

/* Format err as "FILE:LINE:COLUMN: TEXT" (parts that are unknown left out)
 * into out of size out_size; returns out. */
char *tc_error_format(const tc_error *err, char *out, size_t out_size);

/* Receives warnings (weekday mismatches, skipped junk).  user is passed back. */
typedef void (*tc_warning_fn)(void *user, const tc_error *warning);

/* ------------------------------------------------------------------ */
/* The plugin registry                                                 */
/* ------------------------------------------------------------------ */

typedef struct tc_registry tc_registry;

/* A new, empty registry (new; free with tc_registry_free), NULL on ENOMEM. */
tc_registry *tc_registry_new(void);

/* Unload every plugin and free the registry.  NULL is allowed. */
void tc_registry_free(tc_registry *reg);

/*
 * Set the directories searched for plugins, in order, first match wins:
 * dirs[0..n_dirs) (the --plugin-dir options), then, when use_defaults is
 * true, each directory of THREADCONV_PLUGIN_PATH (colon-separated) and the
 * installed plugin directory.  The current directory is never searched.
 * A relative entry keeps its place and is refused when the search reaches
 * it (a module is loaded only from an absolute, trusted path: see
 * tc_registry_load_file).  Strings are copied.  Returns TC_OK or
 * TC_ERR_NOMEM.
 */
int tc_registry_add_search_dirs(tc_registry *reg, const char *const *dirs,
                                size_t n_dirs, bool use_defaults);

/* The installed plugin directory compiled into the library.  Borrowed. */
const char *tc_registry_default_dir(void);

/*
 * Load one module file (NAME.so, exporting threadconv_module_NAME) and check
 * its descriptor (magic, ABI, sizes, required fields, callbacks, unique
 * format names).  Before it is loaded (its constructors run at load), path
 * must be absolute and the file, every directory up to / and every link on
 * the way owned by root or the effective user and writable by nobody else
 * (a sticky directory such as /tmp excepted); the file checked is the file
 * loaded.  Returns TC_OK or TC_ERR_PLUGIN with err naming the file, the
 * module, what was expected and what was found.
 */
int tc_registry_load_file(tc_registry *reg, const char *path, tc_error *err);

/*
 * Add a module linked into the program (static linking: tests, fuzzers,
 * single-binary builds), checked exactly as a loaded one.  origin names it
 * in messages and in tc_registry_format_path ("built in", say).  The
 * descriptor is borrowed and must outlive the registry.  Returns TC_OK or
 * TC_ERR_PLUGIN with err set.
 */
int tc_registry_add_module(tc_registry *reg, const tc_module *module, const char *origin,
                           tc_error *err);

/*
 * Find the format name: already known, else NAME.so in the search
 * directories (first match wins), else every module in them is loaded and
 * searched.  Returns the format (borrowed until tc_registry_free) or NULL
 * with err set (TC_ERR_USAGE: no such format; TC_ERR_PLUGIN: a module file
 * was refused).
 */
const tc_format *tc_registry_find(tc_registry *reg, const char *name,
                                  tc_error *err);

/*
 * Load every module in the search directories.  A module that is refused
 * does not stop the others: each refusal is passed to warn (may be NULL).
 * A format whose name an earlier directory already provides is shadowed
 * silently (with the rest of its module); two in one directory with the
 * same name are a refusal.  Returns the number of module files refused.
 */
size_t tc_registry_load_all(tc_registry *reg, tc_warning_fn warn, void *user);

/* Formats known so far, in load order.  Borrowed until tc_registry_free. */
size_t tc_registry_count(const tc_registry *reg);
const tc_format *tc_registry_format(const tc_registry *reg, size_t index);
/* The module a format belongs to (its version, license, ABI). Borrowed. */
const tc_module *tc_registry_format_module(const tc_registry *reg, size_t index);
/* The file the format's module came from, or the origin given to
 * tc_registry_add_module.  Borrowed. */
const char *tc_registry_format_path(const tc_registry *reg, size_t index);

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/* One -O FORMAT.KEY=VALUE as given by the user.  Borrowed by tc_convert. */
typedef struct tc_option_value {
    const char *format;
    const char *key;
    const char *value;
} tc_option_value;

/*
 * Check value against the declarations of plugin (NULL-name terminated
 * array).  Returns TC_OK, or TC_ERR_USAGE with err listing the valid keys
 * (unknown key) or values (bad value).
 */
int tc_option_check(const tc_format *plugin, const char *key,
                    const char *value, tc_error *err);

/* ------------------------------------------------------------------ */
/* Streams outside a conversion (tests, embedding)                     */
/* ------------------------------------------------------------------ */

/* Open a file ("-" = standard input) for reading.  New; NULL with err set. */
tc_stream *tc_stream_open_input(const char *path, tc_error *err);
/* Read from memory (borrowed for the stream's life); name is for messages. */
tc_stream *tc_stream_open_memory(const void *data, size_t len, const char *name);
/*
 * Where the bytes of a stream made by tc_stream_open_source come from:
 * read fills buf with up to len bytes and returns how many, 0 at the end,
 * or a negative TC_ERR_* code after setting the error on s
 * (tc_stream_error); seek makes the next read start at byte offset and
 * returns TC_OK or an error set on s -- NULL when the source cannot seek
 * (tc_stream_make_seekable then fails); close, when not NULL, is called
 * once, by tc_stream_close.  user is passed to each.
 */
typedef struct tc_stream_source {
    long (*read)(void *user, tc_stream *s, void *buf, size_t len);
    int (*seek)(void *user, tc_stream *s, uint64_t offset);
    void (*close)(void *user);
    void *user;
} tc_stream_source;
/* An input stream reading from src (copied), like any input: lines, line
 * numbers, limits, seeking.  A reader that hands another format's reader
 * bytes it makes (a mailbox it assembles from a folder's messages) gives
 * it such a stream.  New; NULL on ENOMEM (src->close is then not called). */
tc_stream *tc_stream_open_source(const tc_stream_source *src, const char *name);
/* Write to fd (not closed by tc_stream_close). */
tc_stream *tc_stream_open_output_fd(int fd, const char *name);
/* Append to buf (borrowed). */
tc_stream *tc_stream_open_output_buffer(tc_buf *buf, const char *name);
/* Apply options to a stream for plugin (values borrowed; must be checked). */
int tc_stream_set_options(tc_stream *s, const tc_format *plugin,
                          const tc_option_value *values, size_t n_values,
                          tc_error *err);
/* Set a limit (see tc_limit); 0 restores the default. */
void tc_stream_set_limit(tc_stream *s, tc_limit which, size_t value);
/* The default of a limit. */
size_t tc_limit_default(tc_limit which);
/* Parse a limit setting "NAME=SIZE" (SIZE a number with an optional K, M or
 * G suffix, powers of 1024).  TC_OK, or TC_ERR_USAGE with err listing the
 * names. */
int tc_limit_parse(const char *setting, tc_limit *which, size_t *value, tc_error *err);
/* Where warnings go (default: dropped). */
void tc_stream_set_warning_fn(tc_stream *s, tc_warning_fn fn, void *user);
/* Who is told of a writer's own temporary files (tc_stream_temp_files;
 * tc_convert_spec.temp_files says when); default: nobody. */
void tc_stream_set_temp_files_fn(tc_stream *s,
                                 void (*fn)(void *user, const char *dir, const char *prefix),
                                 void *user);
/* Flush buffered output.  TC_OK or TC_ERR_OUTPUT with the error set. */
int tc_stream_flush(tc_stream *s);
/* The error set on the stream (code TC_OK when none).  Borrowed. */
const tc_error *tc_stream_get_error(const tc_stream *s);
/* Forget the stream's error, so the next one is kept: what the checked
 * session does after a post a reader skipped (TC_SKIPPED) with keep-going.
 * A program or reader that calls a format's callbacks itself, on a stream
 * of its own, does the same before calling on. */
void tc_stream_clear_error(tc_stream *s);
/* Close and free (does not flush).  NULL is allowed. */
void tc_stream_close(tc_stream *s);

/* ------------------------------------------------------------------ */
/* Checked sessions: the one way to drive a format                     */
/* ------------------------------------------------------------------ */

/*
 * tc_reader_* and tc_writer_* call a format's callbacks and enforce the
 * model's contract once, for every caller (the CLI, tests, fuzzers, your
 * program): statuses the ABI defines, required strings present, UTF-8
 * (checked here unless the reader declares TC_FORMAT_READS_UTF8), extra
 * field keys non-empty, unique and not reserved, attachments whole, and
 * TC_SKIPPED posts handled.  A reader's failure is TC_ERR_PLUGIN when the
 * reader broke the contract, else the reader's own error.
 *
 * Threads and posts a tc_reader hands out are borrowed until its next call.
 * The stream stays the caller's: open it, set its options and limits, then
 * open the session on it; close the session before the stream.
 */
typedef struct tc_reader tc_reader;
typedef struct tc_writer tc_writer;

/* tc_reader_open flags. */
#define TC_READ_KEEP_GOING 0x1u /* skip TC_SKIPPED posts with a warning (on the
                                   stream's warning function) and count them */
/* tc_writer_open flags. */
#define TC_WRITE_TRUSTED 0x1u   /* everything given comes straight from a
                                   tc_reader, checked already: do not check again */

/* New (free with tc_reader_close); TC_OK or an error with *reader NULL. */
int tc_reader_open(const tc_format *format, tc_stream *in, unsigned flags, tc_reader **reader,
                   tc_error *err);
/* TC_OK with *thread set, TC_EOF at the end, or an error.  Posts of the
 * previous thread that were not read are skipped by the reader. */
int tc_reader_next_thread(tc_reader *r, const tc_thread **thread, tc_error *err);
/* TC_OK with *post set, TC_EOF at the end of the thread, or an error. */
int tc_reader_next_post(tc_reader *r, const tc_post **post, tc_error *err);
/* Posts skipped so far (TC_READ_KEEP_GOING). */
size_t tc_reader_skipped(const tc_reader *r);
void tc_reader_close(tc_reader *r); /* NULL is allowed */

/* New (free with tc_writer_close); TC_OK or an error with *writer NULL.
 * A writer whose format has TC_FORMAT_WRITES_DIRECTORY takes its directory
 * from tc_stream_name(out) and writes nothing to out. */
int tc_writer_open(const tc_format *format, tc_stream *out, unsigned flags, tc_writer **writer,
                   tc_error *err);
int tc_writer_begin_thread(tc_writer *w, const tc_thread *thread, tc_error *err);
int tc_writer_post(tc_writer *w, const tc_post *post, tc_error *err);
int tc_writer_end_thread(tc_writer *w, tc_error *err);
/* Everything was written: complete the document.  Then flush the stream. */
int tc_writer_finish(tc_writer *w, tc_error *err);
void tc_writer_close(tc_writer *w); /* always, also after a failure; NULL allowed */

/* ------------------------------------------------------------------ */
/* Conversions                                                         */
/* ------------------------------------------------------------------ */

typedef struct tc_convert_spec {
    const char *reader;          /* format to read, NULL: probe each input */
    const char *writer;          /* format to write (required) */
    const char *const *inputs;   /* files, "-" for stdin; none: stdin */
    size_t n_inputs;
    const char *output;          /* file; NULL or "-": standard output */
    const tc_option_value *options; /* -O values, any format */
    size_t n_options;
    tc_warning_fn warn;          /* warnings; NULL drops them */
    void *warn_user;
    /* Told the temporary output file's path whenever one has a name -- when
     * it is created under one (file systems without O_TMPFILE), or when an
     * unnamed one is given a name (a deferred batch file) -- and NULL once
     * it has been renamed or removed, so a program can remove it from a
     * signal handler if it is interrupted.  An unnamed temporary file (the
     * usual case) needs no cleanup: it vanishes with the process.  May be
     * NULL. */
    void (*temp_file)(void *user, const char *path);
    void *temp_file_user;
    /* Limits for the readers, indexed by tc_limit; 0 keeps the default. */
    size_t limits[TC_LIMIT_COUNT];
    /* Skip posts a reader reports as TC_SKIPPED, with a warning each,
     * instead of failing; *skipped (when not NULL) counts them. */
    bool keep_going;
    size_t *skipped;
    /* When not NULL and the output is a file: a successful conversion leaves
     * the output complete but not yet synced under its temporary name,
     * stores that name here (the caller frees it; NULL when there is none)
     * and neither syncs nor renames it -- the caller commits it, with others,
     * through tc_commit_outputs().  The temp_file callback is then not told
     * NULL: the file is the caller's to remove if it is interrupted. */
    char **deferred_temp;
    /* The directory to make the temporary output file in, on the output's
     * file system (the rename must not cross file systems); NULL: beside
     * the output.  Parallel conversions into one directory each give their
     * own here, so file creation -- which locks the directory it is in --
     * does not queue them one behind another. */
    const char *temp_dir;
    /* Told, for a writer that keeps files of its own until the run is
     * complete (maildir: its messages in DIR/tmp/), the directory and the
     * name prefix that every such file has -- and dir NULL once they are
     * moved or removed -- so a program can remove them from a signal
     * handler if it is interrupted.  May be NULL. */
    void (*temp_files)(void *user, const char *dir, const char *prefix);
    void *temp_files_user;
} tc_convert_spec;

/*
 * Convert spec->inputs into one output.  With an output file, writes a
 * temporary file in the same directory and renames it into place only when
 * the whole conversion succeeded, so a failure never leaves a partial file
 * or clobbers an existing one.  Returns TC_OK or a TC_ERR_* code with err
 * set.
 */
int tc_convert(tc_registry *reg, const tc_convert_spec *spec, tc_error *err);

/*
 * Commit outputs that tc_convert left under temporary names (deferred_temp):
 * make them durable -- one syncfs() per file system where the system has
 * it, which is far cheaper than an fsync per file when there are many small
 * files -- then rename temp_paths[i] onto final_paths[i] and sync their
 * directories.  A file that cannot be committed is removed.  results (may
 * be NULL) gets TC_OK or TC_ERR_OUTPUT for each file.  Returns TC_OK when
 * every file was committed, else TC_ERR_OUTPUT with err (may be NULL)
 * describing the first failure.  The paths stay the caller's.
 */
int tc_commit_outputs(const char *const *temp_paths, const char *const *final_paths, size_t n,
                      int *results, tc_error *err);

/*
 * Temporary outputs a conversion that died (SIGKILL, the OOM killer) left
 * in dir: files tc_convert named, and directories tc_temp_dir_create made,
 * of this user and host whose process is gone, are removed (a live run's
 * never).  tc_convert does this once per directory by itself; a program
 * that runs conversions in processes of its own calls it when one dies.
 */
void tc_temp_sweep(const char *dir);
/*
 * A directory of this process's own in dir (mode 0700) for temporary
 * outputs, to give as tc_convert_spec.temp_dir; what a dead process left of
 * such directories there is swept first (tc_temp_sweep).  Returns its path
 * (the caller frees it, and removes the directory with rmdir when done) or
 * NULL with errno set.
 */
char *tc_temp_dir_create(const char *dir);

/*
 * Choose a reader for the first bytes of an input by asking every loaded
 * reader's probe (load them first with tc_registry_load_all).  The highest
 * score of at least TC_PROBE_LIKELY wins; a tie at the top is ambiguous.
 * Returns the plugin or NULL with err listing the candidates.
 */
const tc_format *tc_probe(tc_registry *reg, const unsigned char *head,
                          size_t len, const char *name, tc_error *err);

/*
 * The same for a tree input (a folder, a .zip, a .tar: tree.h): every
 * reader of a TC_FORMAT_READS_TREE format scores the member list with its
 * read_probe_tree.  Returns the format or NULL with err set.
 */
const tc_format *tc_probe_tree(tc_registry *reg, const tc_tree *tree, const char *name,
                               tc_error *err);

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_CONVERT_H */
