/* convert.c - one conversion: choose the reader (by name or by probing),
 * pull threads and posts from it one at a time and push them to the writer,
 * into a temporary file renamed into place only when everything succeeded. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

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

const tc_plugin *tc_probe(tc_registry *reg, const unsigned char *head, size_t len,
                          const char *name, tc_error *err)
{
    const char *shown = tc__display_name(name);
    const tc_plugin *best = NULL;
    int best_score = 0;
    size_t n_best = 0;
    const char *ext = extension_of(name);
    const tc_plugin *by_extension = NULL;
    tc_buf readers = {0}, tied = {0};
    for (size_t i = 0; i < tc_registry_count(reg); i++) {
        const tc_plugin *p = tc_registry_plugin(reg, i);
        if (p->read_open == NULL)
            continue;
        tc_buf_printf(&readers, "%s%s", readers.len ? ", " : "", p->name);
        int score = p->read_probe ? p->read_probe(head, len, name) : TC_PROBE_NO;
        if (score < 0 || score > TC_PROBE_SURE)
            score = TC_PROBE_NO; /* out of contract: treat as no opinion */
        if (score > TC_PROBE_NO && ext &&
            (strcmp(ext, p->name) == 0 || (p->extension && strcmp(ext, p->extension) == 0)))
            by_extension = p;
        if (score > best_score) {
            best = p;
            best_score = score;
            n_best = 1;
            tc_buf_reset(&tied);
            tc_buf_printf(&tied, "%s", p->name);
        } else if (score == best_score && score > 0) {
            n_best++;
            tc_buf_printf(&tied, ", %s", p->name);
        }
    }
    const tc_plugin *chosen = NULL;
    if (best_score >= TC_PROBE_LIKELY && n_best == 1)
        chosen = best;
    else if (best_score >= TC_PROBE_LIKELY)
        tc__error_set(err, TC_ERR_USAGE, shown, 0, 0,
                      "the input could be any of %s; choose one with -f", tied.data);
    else if (by_extension)
        chosen = by_extension; /* a weak hint, used only when no probe is sure */
    else if (len == 0)
        tc__error_set(err, TC_ERR_DATA, shown, 0, 0,
                      "empty input: nothing to convert (give -f to have a reader check it)");
    else
        tc__error_set(err, TC_ERR_USAGE, shown, 0, 0,
                      "cannot tell the input format; choose one with -f: %s",
                      readers.len ? readers.data : "(no readers found in the plugin path)");
    tc_buf_free(&readers);
    tc_buf_free(&tied);
    return chosen;
}

/* ---------------------------------------------------------- the pump */

/*
 * Check what a plugin callback returned.  A status outside the ABI, or a
 * failure with no error set, is the plugin's fault and is reported as such.
 */
static int plugin_status(int rc, bool eof_allowed, tc_stream *s, const char *callback,
                         tc_error *err)
{
    if (rc == TC_OK || (rc == TC_EOF && eof_allowed))
        return rc;
    const char *plugin = s->plugin ? s->plugin->name : "?";
    if (rc < TC_ERR_NOMEM || rc > TC_EOF || (rc == TC_EOF && !eof_allowed)) {
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' returned status %d from %s, which the plugin ABI "
                             "does not define there", plugin, rc, callback);
    }
    if (s->error.code == TC_OK)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' failed in %s (status %d) without saying why",
                             plugin, callback, rc);
    *err = s->error;
    err->code = rc;
    return rc;
}

/* The reader's thread header, with the model's promises enforced. */
static int checked_thread(const tc_thread *t, const tc_plugin *reader, tc_thread *copy,
                          tc_error *err)
{
    if (t == NULL)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' returned TC_OK from read_next_thread but no thread",
                             reader->name);
    *copy = *t;
    if (copy->title == NULL)
        copy->title = "";
    if (copy->source == NULL)
        copy->source = reader->name;
    return TC_OK;
}

/* A string a reader without TC_PLUGIN_READS_UTF8 returned: the core keeps
 * the promise to writers that every string is UTF-8. */
static int checked_utf8(const char *text, size_t len, const char *what, const tc_plugin *reader,
                        const tc_stream *in, tc_error *err)
{
    /* U+0000 is a character (a body holds it with body_len); only C strings
     * cannot, and strlen already stopped at it.  So a NUL is stepped over. */
    size_t start = 0, offset = 0;
    for (;;) {
        if (text == NULL || tc_utf8_valid(text + start, len - start, &offset, NULL))
            return TC_OK;
        offset += start;
        if (text[offset] != '\0')
            break;
        start = offset + 1;
    }
    return tc__error_set(err, TC_ERR_PLUGIN, in->name, in->line, 0,
                         "plugin '%s' returned %s that is not UTF-8 (byte 0x%02x at offset %zu); "
                         "a reader must decode its input or refuse it", reader->name, what,
                         (unsigned char)text[offset], offset);
}

static int checked_extras(const tc_fields *f, const char *whose, const tc_plugin *reader,
                          const tc_stream *in, tc_error *err)
{
    char what[96];
    for (size_t i = 0; i < f->count; i++) {
        const char *key = f->items[i].key;
        snprintf(what, sizeof what, "%s extra field key", whose);
        int rc = checked_utf8(key, strlen(key), what, reader, in, err);
        snprintf(what, sizeof what, "%s extra field '%.40s'", whose, key);
        if (rc == TC_OK)
            rc = checked_utf8(f->items[i].value, strlen(f->items[i].value), what, reader, in, err);
        if (rc != TC_OK)
            return rc;
    }
    return TC_OK;
}

static int checked_thread_text(const tc_thread *t, const tc_plugin *reader, const tc_stream *in,
                               tc_error *err)
{
    int rc = checked_utf8(t->title, strlen(t->title), "a thread title", reader, in, err);
    if (rc == TC_OK && t->id)
        rc = checked_utf8(t->id, strlen(t->id), "a thread id", reader, in, err);
    if (rc == TC_OK && t->url)
        rc = checked_utf8(t->url, strlen(t->url), "a thread url", reader, in, err);
    if (rc == TC_OK)
        rc = checked_extras(&t->extras, "a thread", reader, in, err);
    return rc;
}

static int checked_post(const tc_post *p, const tc_plugin *reader, const tc_stream *in,
                        tc_error *err)
{
    if (p == NULL || p->id == NULL || p->author == NULL || p->body == NULL)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' returned a post without %s", reader->name,
                             p == NULL ? "anything" : p->id == NULL ? "an id"
                             : p->author == NULL ? "an author" : "a body");
    if (reader->flags & TC_PLUGIN_READS_UTF8)
        return TC_OK;
    int rc = checked_utf8(p->id, strlen(p->id), "a post id", reader, in, err);
    if (rc == TC_OK)
        rc = checked_utf8(p->author, strlen(p->author), "a post author", reader, in, err);
    if (rc == TC_OK)
        rc = checked_utf8(p->body, p->body_len, "a post body", reader, in, err);
    if (rc == TC_OK && p->parent_id)
        rc = checked_utf8(p->parent_id, strlen(p->parent_id), "a post parent id", reader, in,
                          err);
    if (rc == TC_OK)
        rc = checked_extras(&p->extras, "a post", reader, in, err);
    return rc;
}

/*
 * A post the reader skipped (TC_SKIPPED).  With keep-going: warn with the
 * reader's message, count it, clear the error and go on (TC_OK).  Without:
 * it is the data error it describes.
 */
static int skipped_post(const tc_convert_spec *spec, tc_stream *in, tc_error *err)
{
    if (in->error.code == TC_OK)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' skipped a post in read_next_post without saying why",
                             in->plugin ? in->plugin->name : "?");
    if (!spec->keep_going) {
        *err = in->error;
        err->code = TC_ERR_DATA;
        return TC_ERR_DATA;
    }
    if (spec->warn) {
        tc_error w = in->error;
        /* the prefix takes 24 bytes of the text's 1024 */
        snprintf(w.text, sizeof w.text, "skipped (--keep-going): %.999s", in->error.text);
        w.code = TC_OK;
        spec->warn(spec->warn_user, &w);
    }
    if (spec->skipped)
        (*spec->skipped)++;
    memset(&in->error, 0, sizeof in->error);
    return TC_OK;
}

static int pump(const tc_convert_spec *spec, const tc_plugin *reader, tc_stream *in,
                const tc_plugin *writer, tc_stream *out, void *wstate, tc_error *err)
{
    void *rstate = NULL;
    int rc = plugin_status(reader->read_open(in, &rstate), false, in, "read_open", err);
    if (rc != TC_OK)
        return rc;
    for (;;) {
        const tc_thread *t = NULL;
        rc = plugin_status(reader->read_next_thread(in, rstate, &t), true, in,
                           "read_next_thread", err);
        if (rc != TC_OK)
            break;
        tc_thread thread;
        if ((rc = checked_thread(t, reader, &thread, err)) != TC_OK)
            break;
        if (!(reader->flags & TC_PLUGIN_READS_UTF8) &&
            (rc = checked_thread_text(&thread, reader, in, err)) != TC_OK)
            break;
        rc = plugin_status(writer->write_begin_thread(out, wstate, &thread), false, out,
                           "write_begin_thread", err);
        while (rc == TC_OK) {
            const tc_post *p = NULL;
            rc = reader->read_next_post(in, rstate, &p);
            if (rc == TC_SKIPPED) {
                rc = skipped_post(spec, in, err);
                continue;
            }
            rc = plugin_status(rc, true, in, "read_next_post", err);
            if (rc != TC_OK)
                break;
            if ((rc = checked_post(p, reader, in, err)) != TC_OK)
                break;
            rc = plugin_status(writer->write_post(out, wstate, p), false, out, "write_post", err);
        }
        if (rc == TC_EOF)
            rc = plugin_status(writer->write_end_thread(out, wstate), false, out,
                               "write_end_thread", err);
        if (rc != TC_OK)
            break;
    }
    reader->read_close(in, rstate);
    return rc == TC_EOF ? TC_OK : rc;
}

static const tc_plugin *find_side(tc_registry *reg, const char *name, bool want_reader,
                                  tc_error *err)
{
    const tc_plugin *p = tc_registry_find(reg, name, err);
    if (p == NULL)
        return NULL;
    if (want_reader ? p->read_open != NULL : p->write_open != NULL)
        return p;
    tc_registry_load_all(reg, NULL, NULL); /* to list every alternative */
    tc_buf others = {0};
    for (size_t i = 0; i < tc_registry_count(reg); i++) {
        const tc_plugin *q = tc_registry_plugin(reg, i);
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
        const tc_plugin *p = tc_registry_find(reg, o->format, err);
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

static int convert_input(tc_registry *reg, const tc_convert_spec *spec, const char *path,
                         const tc_plugin *fixed_reader, const tc_plugin *writer,
                         tc_stream *out, void *wstate, tc_error *err)
{
    tc_stream *in = tc_stream_open_input(path, err);
    if (in == NULL)
        return err->code;
    tc_stream_set_warning_fn(in, spec->warn, spec->warn_user);
    for (int i = 0; i < TC_LIMIT_COUNT; i++)
        tc_stream_set_limit(in, (tc_limit)i, spec->limits[i]);
    const tc_plugin *reader = fixed_reader;
    int rc = TC_OK;
    if (reader == NULL) {
        const unsigned char *head;
        size_t len;
        rc = tc__stream_peek(in, &head, &len);
        if (rc != TC_OK) {
            *err = in->error;
        } else {
            tc_registry_load_all(reg, spec->warn, spec->warn_user);
            reader = tc_probe(reg, head, len, path, err);
            if (reader == NULL)
                rc = err->code;
        }
    }
    if (rc == TC_OK)
        rc = tc_stream_set_options(in, reader, spec->options, spec->n_options, err);
    if (rc == TC_OK)
        rc = pump(spec, reader, in, writer, out, wstate, err);
    tc_stream_close(in);
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
    const tc_plugin *writer = find_side(reg, spec->writer, false, err);
    if (writer == NULL)
        return err->code;
    const tc_plugin *reader = NULL;
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
    bool to_directory = (writer->flags & TC_PLUGIN_WRITES_DIRECTORY) != 0;
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
    rc = tc_stream_set_options(out, writer, spec->options, spec->n_options, err);
    void *wstate = NULL;
    bool writer_open = false;
    if (rc == TC_OK) {
        rc = plugin_status(writer->write_open(out, &wstate), false, out, "write_open", err);
        writer_open = rc == TC_OK;
    }
    static const char *const stdin_only[] = {"-"};
    const char *const *inputs = spec->n_inputs ? spec->inputs : stdin_only;
    size_t n_inputs = spec->n_inputs ? spec->n_inputs : 1;
    for (size_t i = 0; rc == TC_OK && i < n_inputs; i++)
        rc = convert_input(reg, spec, inputs[i], reader, writer, out, wstate, err);
    if (rc == TC_OK)
        rc = plugin_status(writer->write_finish(out, wstate), false, out, "write_finish", err);
    if (rc == TC_OK && tc_stream_flush(out) != TC_OK)
        rc = plugin_status(TC_ERR_OUTPUT, false, out, "flush", err);
    if (rc == TC_OK && stray.len > 0)
        rc = tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                           "plugin '%s' writes a directory but wrote %zu bytes to its stream",
                           writer->name, stray.len);
    tc_buf_free(&stray);
    if (writer_open)
        writer->write_close(out, wstate);
    /* An output failure reported while reading (a write in the middle of a
     * post) is the output's fault: exit 4, whatever the reader said. */
    if (rc != TC_OK && out->error.code == TC_ERR_OUTPUT && err->code != TC_ERR_OUTPUT)
        rc = plugin_status(TC_ERR_OUTPUT, false, out, "write", err);
    tc_stream_close(out);
    bool had_temp = file.temp_path != NULL;
    char *deferred = NULL;
    int close_rc = tc__output_close(&file, rc == TC_OK, spec->deferred_temp ? &deferred : NULL,
                                    shown, rc == TC_OK ? err : NULL);
    if (spec->deferred_temp)
        *spec->deferred_temp = deferred;
    /* A deferred file still exists: it is the caller's to track now. */
    if (had_temp && deferred == NULL && spec->temp_file)
        spec->temp_file(spec->temp_file_user, NULL);
    return rc == TC_OK ? close_rc : rc;
}
