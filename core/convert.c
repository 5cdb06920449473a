/* convert.c - one conversion: choose the reader (by name or by probing),
 * pull threads and posts from it one at a time and push them to the writer,
 * into a temporary file renamed into place only when everything succeeded. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/tree.h>

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *tc_version(void)
{
    return TC_VERSION;
}

/* ------------------------------------------------------------ probing */

static const char *extension_of(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash + 1 : name, '.');
    return dot && dot[1] ? dot + 1 : NULL;
}

/* The probes' scores, gathered one format at a time: the surest, how many
 * tie with it, and their names. */
typedef struct probe_vote {
    const tc_format *best;
    int best_score;
    size_t n_best;
    tc_buf tied;
} probe_vote;

/* Count format p's score; returns it, clamped into the contract. */
static int vote(probe_vote *v, const tc_format *p, int score)
{
    if (score < 0 || score > TC_PROBE_SURE)
        score = TC_PROBE_NO; /* out of contract: treat as no opinion */
    if (score > v->best_score) {
        v->best = p;
        v->best_score = score;
        v->n_best = 1;
        tc_buf_reset(&v->tied);
        tc_buf_printf(&v->tied, "%s", p->name);
    } else if (score == v->best_score && score > 0) {
        v->n_best++;
        tc_buf_printf(&v->tied, ", %s", p->name);
    }
    return score;
}

/* The winner when one probe is surest and at least likely; NULL otherwise,
 * with err set when two or more tie at the top (what is "the input" is
 * said by what). */
static const tc_format *winner(const probe_vote *v, const char *shown, const char *what,
                               tc_error *err)
{
    if (v->best_score >= TC_PROBE_LIKELY && v->n_best == 1)
        return v->best;
    if (v->best_score >= TC_PROBE_LIKELY)
        tc__error_set(err, TC_ERR_USAGE, shown, 0, 0,
                      "%s could be any of %s; choose one with -f", what, v->tied.data);
    return NULL;
}

/* The names of the formats that pass keep, in name order (whatever order
 * the search path gave the modules in), comma-separated into out. */
static void format_names(const tc_registry *reg, bool (*keep)(const tc_format *), tc_buf *out)
{
    for (const char *last = "";;) {
        const char *next = NULL;
        for (size_t i = 0; i < tc_registry_count(reg); i++) {
            const tc_format *p = tc_registry_format(reg, i);
            if (keep(p) && strcmp(p->name, last) > 0 && (next == NULL || strcmp(p->name, next) < 0))
                next = p->name;
        }
        if (next == NULL)
            break;
        tc_buf_printf(out, "%s%s", out->len ? ", " : "", next);
        last = next;
    }
}

static bool reads(const tc_format *p)
{
    return p->read_open != NULL;
}

static bool reads_trees(const tc_format *p)
{
    return p->read_open != NULL && (p->flags & TC_FORMAT_READS_TREE);
}

const tc_format *tc_probe(tc_registry *reg, const unsigned char *head, size_t len,
                          const char *name, tc_error *err)
{
    const char *shown = tc__display_name(name);
    const char *ext = extension_of(name);
    const tc_format *by_extension = NULL;
    probe_vote v = {0};
    for (size_t i = 0; i < tc_registry_count(reg); i++) {
        const tc_format *p = tc_registry_format(reg, i);
        if (!reads(p))
            continue;
        int score = vote(&v, p, p->read_probe ? p->read_probe(head, len, name) : TC_PROBE_NO);
        if (score > TC_PROBE_NO && ext &&
            (strcmp(ext, p->name) == 0 || (p->extension && strcmp(ext, p->extension) == 0)))
            by_extension = p;
    }
    const tc_format *chosen = winner(&v, shown, "the input", err);
    if (chosen == NULL && v.best_score < TC_PROBE_LIKELY) {
        tc_buf readers = {0};
        format_names(reg, reads, &readers);
        if (by_extension)
            chosen = by_extension; /* a weak hint, used only when no probe is sure */
        else if (len == 0)
            tc__error_set(err, TC_ERR_DATA, shown, 0, 0,
                          "empty input: nothing to convert (give -f to have a reader check it)");
        else
            tc__error_set(err, TC_ERR_USAGE, shown, 0, 0,
                          "cannot tell the input format; choose one with -f: %s",
                          readers.len ? readers.data : "(no readers found in the plugin path)");
        tc_buf_free(&readers);
    }
    tc_buf_free(&v.tied);
    return chosen;
}

const tc_format *tc_probe_tree(tc_registry *reg, const tc_tree *tree, const char *name,
                               tc_error *err)
{
    const char *shown = tc__display_name(name);
    probe_vote v = {0};
    for (size_t i = 0; i < tc_registry_count(reg); i++) {
        const tc_format *p = tc_registry_format(reg, i);
        if (reads_trees(p))
            vote(&v, p, p->read_probe_tree ? p->read_probe_tree(tree, name) : TC_PROBE_NO);
    }
    const tc_format *chosen = winner(&v, shown, "the folder or archive", err);
    if (chosen == NULL && v.best_score < TC_PROBE_LIKELY) {
        tc_buf readers = {0};
        format_names(reg, reads_trees, &readers);
        tc__error_set(err, TC_ERR_USAGE, shown, 0, 0,
                      "a folder or archive of %zu files that no reader recognises; choose one "
                      "with -f: %s", tc_tree_count(tree),
                      readers.len ? readers.data
                                  : "(no installed format reads folders or archives)");
        tc_buf_free(&readers);
    }
    tc_buf_free(&v.tied);
    return chosen;
}

/* ---------------------------------------------------------- the pump */

/* A thread whose posts --keep-going all skipped, left out: a warning. */
static void dropped_thread(tc_stream *in, const tc_thread *t, size_t skipped)
{
    if (in->warn == NULL)
        return;
    tc_error w;
    memset(&w, 0, sizeof w);
    snprintf(w.source, sizeof w.source, "%s", in->name ? in->name : "");
    snprintf(w.text, sizeof w.text,
             "thread \"%.200s\" left out (--keep-going): its %zu post%s %s skipped", t->title,
             skipped, skipped == 1 ? "" : "s", skipped == 1 ? "was" : "were");
    in->warn(in->warn_user, &w);
}

/* Every thread and post of one input, read and written through the
 * checked sessions (session.c owns the model's contract). */
static int pump(const tc_convert_spec *spec, const tc_format *reader, tc_stream *in,
                tc_writer *writer, tc_error *err)
{
    tc_reader *r = NULL;
    int rc = tc_reader_open(reader, in, spec->keep_going ? TC_READ_KEEP_GOING : 0, &r, err);
    if (rc != TC_OK)
        return rc;
    const tc_thread *thread;
    while ((rc = tc_reader_next_thread(r, &thread, err)) == TC_OK) {
        /* The thread goes to the writer with its first post (the thread
         * stays the reader's until its next thread): with keep-going, a
         * thread whose posts were all skipped is left out, with a warning,
         * never written empty (a writer would have to make something up
         * for it: the mbox writer writes a stand-in message). */
        size_t skipped = tc_reader_skipped(r);
        bool begun = false;
        const tc_post *post;
        while ((rc = tc_reader_next_post(r, &post, err)) == TC_OK) {
            if (!begun && (rc = tc_writer_begin_thread(writer, thread, err)) != TC_OK)
                break;
            begun = true;
            if ((rc = tc_writer_post(writer, post, err)) != TC_OK)
                break;
        }
        if (rc == TC_EOF && !begun && tc_reader_skipped(r) > skipped) {
            dropped_thread(in, thread, tc_reader_skipped(r) - skipped);
            continue;
        }
        if (rc == TC_EOF && !begun)
            rc = tc_writer_begin_thread(writer, thread, err);
        if (rc == TC_EOF || (rc == TC_OK && !begun))
            rc = tc_writer_end_thread(writer, err);
        if (rc != TC_OK)
            break;
    }
    if (spec->skipped)
        *spec->skipped += tc_reader_skipped(r);
    tc_reader_close(r);
    return rc == TC_EOF ? TC_OK : rc;
}

static const tc_format *find_side(tc_registry *reg, const char *name, bool want_reader,
                                  tc_error *err)
{
    const tc_format *p = tc_registry_find(reg, name, err);
    if (p == NULL)
        return NULL;
    if (want_reader ? p->read_open != NULL : p->write_open != NULL)
        return p;
    tc_registry_load_all(reg, NULL, NULL); /* to list every alternative */
    tc_buf others = {0};
    for (size_t i = 0; i < tc_registry_count(reg); i++) {
        const tc_format *q = tc_registry_format(reg, i);
        if (want_reader ? q->read_open != NULL : q->write_open != NULL)
            tc_buf_printf(&others, "%s%s", others.len ? ", " : "", q->name);
    }
    tc__error_set(err, TC_ERR_USAGE, "", 0, 0, "format '%s' cannot be %s; %s: %s", name,
                  want_reader ? "read (it has no reader)" : "written (it has no writer)",
                  want_reader ? "formats that can be read" : "formats that can be written",
                  others.len ? others.data : "none loaded");
    tc_buf_free(&others);
    return NULL;
}

static int check_options(tc_registry *reg, const tc_convert_spec *spec, tc_error *err)
{
    for (size_t i = 0; i < spec->n_options; i++) {
        const tc_option_value *o = &spec->options[i];
        const tc_format *p = tc_registry_find(reg, o->format, err);
        if (p == NULL) {
            if (err->code == TC_ERR_USAGE) {
                char why[sizeof err->text];
                snprintf(why, sizeof why, "%s", err->text);
                tc__error_set(err, TC_ERR_USAGE, "", 0, 0, "option -O %s.%s: %s", o->format,
                              o->key, why);
            }
            return err->code;
        }
        int rc = tc_option_check(p, o->key, o->value, err);
        if (rc != TC_OK)
            return rc;
    }
    return TC_OK;
}

/* Refuse to write over one of the inputs: the rename would destroy it. */
static int check_output_not_input(const tc_convert_spec *spec, tc_error *err)
{
    struct stat out_st, in_st;
    if (spec->output == NULL || strcmp(spec->output, "-") == 0 ||
        stat(spec->output, &out_st) != 0 || !S_ISREG(out_st.st_mode))
        return TC_OK;
    for (size_t i = 0; i < spec->n_inputs; i++) {
        if (strcmp(spec->inputs[i], "-") != 0 && stat(spec->inputs[i], &in_st) == 0 &&
            in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino)
            return tc__error_set(err, TC_ERR_USAGE, spec->output, 0, 0,
                                 "the output file is also an input (%s); choose another -o",
                                 spec->inputs[i]);
    }
    return TC_OK;
}

/* Does some known format read trees?  Only then is a plain file worth
 * trying as an archive while probing. */
static bool any_tree_reader(const tc_registry *reg)
{
    for (size_t i = 0; i < tc_registry_count(reg); i++)
        if (tc_registry_format(reg, i)->flags & TC_FORMAT_READS_TREE)
            return true;
    return false;
}

static bool is_folder(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Open path for reading: as a tree (a folder, a .zip, a .tar...) when its
 * reader reads trees -- the fixed reader, or while probing any reader --
 * else as a byte stream.  A tree input is a stream with no bytes whose
 * tc_stream_tree is the tree; *tree is then the caller's to close after the
 * stream.  Returns the stream or NULL with err set.
 */
static tc_stream *open_input(const tc_registry *reg, const char *path, const tc_format *fixed,
                             tc_tree **tree, tc_error *err)
{
    *tree = NULL;
    bool folder = is_folder(path);
    bool want_tree = fixed ? (fixed->flags & TC_FORMAT_READS_TREE) != 0
                           : folder || any_tree_reader(reg);
    if (folder && !want_tree) {
        tc__error_set(err, TC_ERR_USAGE, path, 0, 0,
                      fixed ? "is a folder, and format '%s' reads a file; give a file "
                              "(formats with TC_FORMAT_READS_TREE read folders)"
                            : "is a folder, and no format that reads folders is installed%s",
                      fixed ? fixed->name : "");
        return NULL;
    }
    if (want_tree) {
        int rc = tc_tree_open(path, tree, err);
        if (rc == TC_OK) {
            tc_stream *in = tc_stream_open_tree(*tree, path);
            if (in == NULL) {
                tc_tree_close(*tree);
                *tree = NULL;
                tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
                return NULL;
            }
            return in;
        }
        if (rc != TC_EOF)
            return NULL; /* a refused or damaged tree: err says why */
        memset(err, 0, sizeof *err);
    }
    return tc_stream_open_input(path, err);
}

static int convert_input(tc_registry *reg, const tc_convert_spec *spec, const char *path,
                         const tc_format *fixed_reader, tc_writer *writer, tc_error *err)
{
    if (fixed_reader == NULL)
        tc_registry_load_all(reg, spec->warn, spec->warn_user);
    tc_tree *tree = NULL;
    tc_stream *in = open_input(reg, path, fixed_reader, &tree, err);
    if (in == NULL)
        return err->code;
    tc_stream_set_warning_fn(in, spec->warn, spec->warn_user);
    for (int i = 0; i < TC_LIMIT_COUNT; i++)
        tc_stream_set_limit(in, (tc_limit)i, spec->limits[i]);
    const tc_format *reader = fixed_reader;
    int rc = TC_OK;
    if (reader == NULL && tree != NULL) {
        reader = tc_probe_tree(reg, tree, path, err);
        if (reader == NULL)
            rc = err->code;
    } else if (reader == NULL) {
        const unsigned char *head;
        size_t len;
        rc = tc__stream_peek(in, &head, &len);
        if (rc != TC_OK) {
            *err = in->error;
        } else {
            reader = tc_probe(reg, head, len, path, err);
            if (reader == NULL)
                rc = err->code;
        }
    }
    if (rc == TC_OK)
        rc = tc_stream_set_options(in, reader, spec->options, spec->n_options, err);
    if (rc == TC_OK)
        rc = pump(spec, reader, in, writer, err);
    tc_stream_close(in);
    tc_tree_close(tree);
    return rc;
}

int tc_convert(tc_registry *reg, const tc_convert_spec *spec, tc_error *err)
{
    memset(err, 0, sizeof *err);
    if (spec->deferred_temp)
        *spec->deferred_temp = NULL;
    if (spec->writer == NULL)
        return tc__error_set(err, TC_ERR_USAGE, "", 0, 0,
                             "no output format given; choose one with -t");
    const tc_format *writer = find_side(reg, spec->writer, false, err);
    if (writer == NULL)
        return err->code;
    const tc_format *reader = NULL;
    if (spec->reader && (reader = find_side(reg, spec->reader, true, err)) == NULL)
        return err->code;
    int rc = check_options(reg, spec, err);
    if (rc == TC_OK)
        rc = check_output_not_input(spec, err);
    if (rc != TC_OK)
        return rc;

    const char *shown = spec->output && strcmp(spec->output, "-") != 0 ? spec->output
                                                                       : "<stdout>";
    /* A directory writer creates its output itself under the -o name; its
     * stream is a buffer that must stay empty. */
    bool to_directory = (writer->flags & TC_FORMAT_WRITES_DIRECTORY) != 0;
    tc_buf stray = {0};
    tc__output file = {.fd = STDOUT_FILENO};
    tc_stream *out;
    if (to_directory) {
        if (spec->output == NULL || strcmp(spec->output, "-") == 0)
            return tc__error_set(err, TC_ERR_USAGE, "", 0, 0,
                                 "format '%s' writes a directory, not a stream; "
                                 "name it with -o DIR", writer->name);
        out = tc_stream_open_output_buffer(&stray, shown);
    } else {
        if ((rc = tc__output_open(spec->output, spec->temp_dir, &file, err)) != TC_OK)
            return rc;
        if (file.temp_path && spec->temp_file)
            spec->temp_file(spec->temp_file_user, file.temp_path);
        out = tc_stream_open_output_fd(file.fd, shown);
    }
    if (out == NULL) {
        tc__output_close(&file, false, NULL, shown, err);
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    }
    tc_stream_set_warning_fn(out, spec->warn, spec->warn_user);
    tc_stream_set_temp_files_fn(out, spec->temp_files, spec->temp_files_user);
    rc = tc_stream_set_options(out, writer, spec->options, spec->n_options, err);
    tc_writer *w = NULL;
    if (rc == TC_OK)
        rc = tc_writer_open(writer, out, TC_WRITE_TRUSTED, &w, err);
    static const char *const stdin_only[] = {"-"};
    const char *const *inputs = spec->n_inputs ? spec->inputs : stdin_only;
    size_t n_inputs = spec->n_inputs ? spec->n_inputs : 1;
    for (size_t i = 0; rc == TC_OK && i < n_inputs; i++)
        rc = convert_input(reg, spec, inputs[i], reader, w, err);
    if (rc == TC_OK)
        rc = tc_writer_finish(w, err);
    if (rc == TC_OK && tc_stream_flush(out) != TC_OK)
        rc = tc__plugin_status(TC_ERR_OUTPUT, false, out, "flush", err);
    if (rc == TC_OK && stray.len > 0)
        rc = tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                           "plugin '%s' writes a directory but wrote %zu bytes to its stream",
                           writer->name, stray.len);
    tc_buf_free(&stray);
    tc_writer_close(w);
    /* An output failure reported while reading (a write in the middle of a
     * post) is the output's fault: exit 4, whatever the reader said. */
    if (rc != TC_OK && out->error.code == TC_ERR_OUTPUT && err->code != TC_ERR_OUTPUT)
        rc = tc__plugin_status(TC_ERR_OUTPUT, false, out, "write", err);
    tc_stream_close(out);
    bool had_temp = file.temp_path != NULL;
    char *deferred = NULL;
    int close_rc = tc__output_close(&file, rc == TC_OK, spec->deferred_temp ? &deferred : NULL,
                                    shown, rc == TC_OK ? err : NULL);
    if (spec->deferred_temp)
        *spec->deferred_temp = deferred;
    /* An unnamed (O_TMPFILE) output got its name only now: the caller
     * tracks it from here (between the two, a signal could leave it; the
     * next run's sweep does not see names in a batch worker's directory,
     * whose parent removes it). */
    if (!had_temp && deferred != NULL && spec->temp_file)
        spec->temp_file(spec->temp_file_user, deferred);
    /* A deferred file still exists: it is the caller's to track now. */
    if (had_temp && deferred == NULL && spec->temp_file)
        spec->temp_file(spec->temp_file_user, NULL);
    return rc == TC_OK ? close_rc : rc;
}
