/* session.c - the checked session: the one place that drives a format's
 * callbacks and enforces the model's contract on what crosses them.
 *
 * Every caller -- the CLI, batch mode, the tests, the fuzzers, programs
 * embedding the library -- reads and writes through tc_reader_* and
 * tc_writer_*, so a reader's output is checked once, here, and writers
 * trust what they are given.  What is checked:
 *   - statuses: only those the ABI defines for each callback, and a failure
 *     must come with an error set on its stream;
 *   - threads and posts: the required strings are there (title and source
 *     are filled in when a reader leaves them NULL), every string is UTF-8
 *     (unless the reader declares TC_FORMAT_READS_UTF8), extra field keys
 *     are non-empty, unique and not reserved, attachments are whole;
 *   - TC_SKIPPED: with TC_READ_KEEP_GOING a warning and the next post,
 *     without it the data error it describes;
 *   - call order on the writer side (a post outside a thread is a usage
 *     error, not a crash in the writer). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tc_reader {
    const tc_format *format;
    tc_stream *in;
    void *state;
    unsigned flags;
    size_t skipped;
    bool in_thread;  /* a thread was handed out and its posts not yet at TC_EOF */
    bool ended;      /* read_next_thread returned TC_EOF or an error */
    tc_thread thread; /* the checked copy handed out */
};

struct tc_writer {
    const tc_format *format;
    tc_stream *out;
    void *state;
    unsigned flags;
    bool in_thread;
    bool finished;
    uint64_t threads, posts; /* given so far; posts counts within the thread */
    uint64_t dropped_posts, dropped_attachments; /* a writer that keeps none */
};

/* ------------------------------------------------------------ statuses */

int tc__plugin_status(int rc, bool eof_allowed, tc_stream *s, const char *callback,
                      tc_error *err)
{
    if (rc == TC_OK || (rc == TC_EOF && eof_allowed))
        return rc;
    const char *name = s->format ? s->format->name : "?";
    if (rc < TC_ERR_NOMEM || rc > TC_EOF || (rc == TC_EOF && !eof_allowed)) {
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' returned status %d from %s, which the plugin ABI "
                             "does not define there", name, rc, callback);
    }
    if (s->error.code == TC_OK)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' failed in %s (status %d) without saying why",
                             name, callback, rc);
    *err = s->error;
    err->code = rc;
    return rc;
}

/* ------------------------------------------------------------ the model */

/* Where a check failed, for its message: the side and the stream. */
typedef struct check_site {
    const char *format;  /* the format whose callback produced or got it */
    bool from_reader;    /* a reader returned it (else a writer's caller gave it) */
    const tc_stream *stream;
    const char *where;   /* "thread 1, post 2 (id \"7\")" on the writer side, or NULL */
} check_site;

static int model_error(const check_site *site, tc_error *err, const char *what,
                       const char *problem)
{
    if (site->from_reader)
        return tc__error_set(err, TC_ERR_PLUGIN, site->stream->name, site->stream->line, 0,
                             "plugin '%s' returned %s %s", site->format, what, problem);
    return tc__error_set(err, TC_ERR_USAGE, site->stream->name, 0, 0,
                         "%s%s%s given to the '%s' writer %s", site->where ? site->where : "",
                         site->where ? ": " : "", what, site->format, problem);
}

static int checked_utf8(const check_site *site, const char *text, size_t len, const char *what,
                        tc_error *err)
{
    size_t offset = 0;
    if (text == NULL || tc_utf8_valid_text(text, len, &offset))
        return TC_OK;
    char problem[160];
    snprintf(problem, sizeof problem,
             "that is not UTF-8 (byte 0x%02x at offset %zu); %s",
             (unsigned char)text[offset], offset,
             site->from_reader ? "a reader must decode its input or refuse it"
                               : "the model holds UTF-8 only");
    return model_error(site, err, what, problem);
}

static int checked_string(const check_site *site, const char *text, const char *what,
                          tc_error *err)
{
    return text ? checked_utf8(site, text, strlen(text), what, err) : TC_OK;
}

/* What a bad extra field is called in the message; made only when one is
 * found, never per field on the way (this runs for every post). */
static const char *extra_what(char *buf, size_t size, const char *whose, const char *key)
{
    if (key == NULL)
        snprintf(buf, size, "%s extra field key", whose);
    else
        snprintf(buf, size, "%s extra field '%.40s'", whose, key);
    return buf;
}

/* A key and where it is in its list, for finding repeated keys by sorting. */
typedef struct keyed_at {
    const char *key;
    size_t at;
} keyed_at;

static int keyed_at_cmp(const void *x, const void *y)
{
    const keyed_at *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* The first i whose key is the same as one before it in f, among the
 * fields before the first without a key or value (where checked_extras
 * stops), or f->count when there is none; SIZE_MAX when out of memory.
 * Sorting makes it n log n: a reader may hand out a post of a million
 * fields within the max-post limit, and comparing each with every one
 * before it would take hours. */
static size_t first_repeated(const tc_fields *f)
{
    size_t n = 0;
    while (n < f->count && f->items[n].key != NULL && f->items[n].value != NULL)
        n++;
    if (n < 2)
        return f->count;
    keyed_at *k = malloc(n * sizeof *k);
    if (k == NULL)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed_at){f->items[i].key, i};
    qsort(k, n, sizeof *k, keyed_at_cmp);
    size_t first = f->count;
    for (size_t i = 1; i < n; i++)
        if (k[i].at < first && strcmp(k[i - 1].key, k[i].key) == 0)
            first = k[i].at; /* equal keys are in list order: k[i] repeats one */
    free(k);
    return first;
}

/* Lists longer than this are checked for repeated keys by sorting. */
#define FEW_FIELDS 32

static int checked_extras(const check_site *site, const tc_fields *f, const char *whose,
                          bool check_text, tc_error *err)
{
    char what[96];
    size_t repeated = f->count > FEW_FIELDS ? first_repeated(f) : 0;
    if (repeated == SIZE_MAX)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    for (size_t i = 0; i < f->count; i++) {
        const char *key = f->items[i].key, *value = f->items[i].value;
        if (key == NULL || *key == '\0' || value == NULL) {
            snprintf(what, sizeof what, "%s extra field", whose);
            return model_error(site, err, what,
                               key == NULL || *key == '\0' ? "without a key" : "without a value");
        }
        if (check_text && !tc_utf8_valid_text(key, strlen(key), NULL))
            return checked_string(site, key, extra_what(what, sizeof what, whose, NULL), err);
        if (tc_is_reserved_key(key))
            return model_error(site, err, extra_what(what, sizeof what, whose, key),
                               "whose key is one of the model's own names; prefix it with "
                               "the format's name");
        bool twice = f->count > FEW_FIELDS ? i == repeated : false;
        for (size_t j = 0; f->count <= FEW_FIELDS && j < i && !twice; j++)
            twice = strcmp(f->items[j].key, key) == 0;
        if (twice)
            return model_error(site, err, extra_what(what, sizeof what, whose, key),
                               "twice: keys must be unique");
        if (check_text && !tc_utf8_valid_text(value, strlen(value), NULL))
            return checked_string(site, value, extra_what(what, sizeof what, whose, key), err);
    }
    return TC_OK;
}

static int checked_attachments(const check_site *site, const tc_post *p, bool check_text,
                               tc_error *err)
{
    if (p->n_attachments > 0 && p->attachments == NULL)
        return model_error(site, err, "a post", "with attachments but no attachment list");
    char what[64];
    for (size_t i = 0; i < p->n_attachments; i++) {
        const tc_attachment *a = &p->attachments[i];
        const char *problem = a->name == NULL ? "without a name"
                            : a->media_type == NULL ? "without a media type"
                            : a->data != NULL && !a->size_known ? "with bytes but no size"
                            : NULL;
        const char *bad_text = NULL;
        if (problem == NULL && check_text) {
            const char *const strings[] = {a->name, a->media_type, a->ref, a->content_id,
                                           a->disposition, a->note};
            for (size_t k = 0; bad_text == NULL && k < sizeof strings / sizeof *strings; k++)
                if (strings[k] && !tc_utf8_valid_text(strings[k], strlen(strings[k]), NULL))
                    bad_text = strings[k];
        }
        if (problem == NULL && bad_text == NULL)
            continue;
        snprintf(what, sizeof what, "attachment %zu of a post", i + 1);
        return problem ? model_error(site, err, what, problem)
                       : checked_string(site, bad_text, what, err);
    }
    return TC_OK;
}

int tc__check_thread(const tc_thread *t, const tc_format *format, bool from_reader,
                     const tc_stream *s, const char *where, tc_error *err)
{
    check_site site = {format->name, from_reader, s, where};
    bool text = !from_reader || !(format->flags & TC_FORMAT_READS_UTF8);
    int rc = TC_OK;
    if (text) {
        rc = checked_string(&site, t->title, "a thread title", err);
        if (rc == TC_OK)
            rc = checked_string(&site, t->source, "a thread source", err);
        if (rc == TC_OK)
            rc = checked_string(&site, t->id, "a thread id", err);
        if (rc == TC_OK)
            rc = checked_string(&site, t->url, "a thread url", err);
    }
    if (rc == TC_OK)
        rc = checked_extras(&site, &t->extras, "a thread", text, err);
    return rc;
}

int tc__check_post(const tc_post *p, const tc_format *format, bool from_reader,
                   const tc_stream *s, const char *where, tc_error *err)
{
    check_site site = {format->name, from_reader, s, where};
    if (p == NULL || p->id == NULL || p->author == NULL || p->body == NULL)
        return model_error(&site, err, "a post",
                           p == NULL ? "that is missing" : p->id == NULL ? "without an id"
                           : p->author == NULL ? "without an author" : "without a body");
    bool text = !from_reader || !(format->flags & TC_FORMAT_READS_UTF8);
    int rc = TC_OK;
    if (text) {
        rc = checked_string(&site, p->id, "a post id", err);
        if (rc == TC_OK)
            rc = checked_string(&site, p->author, "a post author", err);
        if (rc == TC_OK)
            rc = checked_utf8(&site, p->body, p->body_len, "a post body", err);
        if (rc == TC_OK)
            rc = checked_string(&site, p->parent_id, "a post parent id", err);
    }
    if (rc == TC_OK)
        rc = checked_extras(&site, &p->extras, "a post", text, err);
    if (rc == TC_OK)
        rc = checked_attachments(&site, p, text, err);
    return rc;
}

/* ------------------------------------------------------------ reading */

int tc_reader_open(const tc_format *format, tc_stream *in, unsigned flags, tc_reader **reader,
                   tc_error *err)
{
    memset(err, 0, sizeof *err);
    *reader = NULL;
    if (format == NULL || format->read_open == NULL)
        return tc__error_set(err, TC_ERR_USAGE, "", 0, 0, "format '%s' has no reader",
                             format ? format->name : "(none)");
    tc_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    r->format = format;
    r->in = in;
    r->flags = flags;
    if (in->format == NULL)
        in->format = format;
    int rc = tc__plugin_status(format->read_open(in, &r->state), false, in, "read_open", err);
    if (rc != TC_OK) {
        free(r);
        return rc;
    }
    *reader = r;
    return TC_OK;
}

int tc_reader_next_thread(tc_reader *r, const tc_thread **thread, tc_error *err)
{
    *thread = NULL;
    if (r->ended)
        return TC_EOF;
    const tc_thread *t = NULL;
    int rc = tc__plugin_status(r->format->read_next_thread(r->in, r->state, &t), true, r->in,
                               "read_next_thread", err);
    if (rc == TC_OK && t == NULL)
        rc = tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                           "plugin '%s' returned TC_OK from read_next_thread but no thread",
                           r->format->name);
    if (rc != TC_OK) {
        r->ended = true;
        return rc;
    }
    r->thread = *t;
    if (r->thread.title == NULL)
        r->thread.title = "";
    if (r->thread.source == NULL)
        r->thread.source = r->format->name;
    rc = tc__check_thread(&r->thread, r->format, true, r->in, NULL, err);
    if (rc != TC_OK) {
        r->ended = true;
        return rc;
    }
    r->in_thread = true;
    *thread = &r->thread;
    return TC_OK;
}

/* A post the reader skipped: with keep-going a warning and on, else the
 * data error it describes. */
static int skipped_post(tc_reader *r, tc_error *err)
{
    tc_stream *in = r->in;
    if (in->error.code == TC_OK)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin '%s' skipped a post in read_next_post without saying why",
                             r->format->name);
    if (!(r->flags & TC_READ_KEEP_GOING)) {
        *err = in->error;
        err->code = TC_ERR_DATA;
        return TC_ERR_DATA;
    }
    if (in->warn) {
        tc_error w = in->error;
        /* the prefix takes 24 bytes of the text's 1024 */
        snprintf(w.text, sizeof w.text, "skipped (--keep-going): %.999s", in->error.text);
        w.code = TC_OK;
        in->warn(in->warn_user, &w);
    }
    r->skipped++;
    memset(&in->error, 0, sizeof in->error);
    return TC_OK;
}

int tc_reader_next_post(tc_reader *r, const tc_post **post, tc_error *err)
{
    *post = NULL;
    if (!r->in_thread)
        return TC_EOF;
    for (;;) {
        const tc_post *p = NULL;
        int rc = r->format->read_next_post(r->in, r->state, &p);
        if (rc == TC_SKIPPED) {
            if ((rc = skipped_post(r, err)) != TC_OK)
                return rc;
            continue;
        }
        rc = tc__plugin_status(rc, true, r->in, "read_next_post", err);
        if (rc == TC_OK)
            rc = tc__check_post(p, r->format, true, r->in, NULL, err);
        if (rc != TC_OK)
            r->in_thread = false;
        if (rc == TC_OK)
            *post = p;
        return rc;
    }
}

size_t tc_reader_skipped(const tc_reader *r)
{
    return r->skipped;
}

void tc_reader_close(tc_reader *r)
{
    if (r == NULL)
        return;
    r->format->read_close(r->in, r->state);
    free(r);
}

/* ------------------------------------------------------------ writing */

int tc_writer_open(const tc_format *format, tc_stream *out, unsigned flags, tc_writer **writer,
                   tc_error *err)
{
    memset(err, 0, sizeof *err);
    *writer = NULL;
    if (format == NULL || format->write_open == NULL)
        return tc__error_set(err, TC_ERR_USAGE, "", 0, 0, "format '%s' has no writer",
                             format ? format->name : "(none)");
    tc_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    w->format = format;
    w->out = out;
    w->flags = flags;
    if (out->format == NULL)
        out->format = format;
    int rc = tc__plugin_status(format->write_open(out, &w->state), false, out, "write_open",
                               err);
    if (rc != TC_OK) {
        free(w);
        return rc;
    }
    *writer = w;
    return TC_OK;
}

static void warn_writer(tc_writer *w, const char *fmt, ...) TC_PRINTF(2, 3);
static void warn_writer(tc_writer *w, const char *fmt, ...)
{
    if (w->out->warn == NULL)
        return;
    tc_error warning = {0};
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(&warning, TC_OK, w->out->name, 0, 0, fmt, ap);
    va_end(ap);
    w->out->warn(w->out->warn_user, &warning);
}

static int out_of_order(const tc_writer *w, const char *call, tc_error *err)
{
    return tc__error_set(err, TC_ERR_USAGE, w->out->name, 0, 0,
                         "%s called %s (writer '%s'); the order is tc_writer_begin_thread, "
                         "tc_writer_post..., tc_writer_end_thread, then tc_writer_finish",
                         call, w->finished ? "after tc_writer_finish"
                                           : w->in_thread ? "inside a thread" : "outside a thread",
                         w->format->name);
}

int tc_writer_begin_thread(tc_writer *w, const tc_thread *thread, tc_error *err)
{
    if (w->in_thread || w->finished)
        return out_of_order(w, "tc_writer_begin_thread", err);
    tc_thread t = *thread;
    w->threads++;
    w->posts = 0;
    if (!(w->flags & TC_WRITE_TRUSTED)) {
        char where[64];
        snprintf(where, sizeof where, "thread %" PRIu64, w->threads);
        if (t.title == NULL)
            t.title = "";
        if (t.source == NULL)
            return model_error(&(check_site){w->format->name, false, w->out, where}, err,
                               "a thread", "without a source");
        int rc = tc__check_thread(&t, w->format, false, w->out, where, err);
        if (rc != TC_OK)
            return rc;
    }
    int rc = tc__plugin_status(w->format->write_begin_thread(w->out, w->state, &t), false,
                               w->out, "write_begin_thread", err);
    w->in_thread = rc == TC_OK;
    return rc;
}

int tc_writer_post(tc_writer *w, const tc_post *post, tc_error *err)
{
    if (!w->in_thread)
        return out_of_order(w, "tc_writer_post", err);
    w->posts++;
    if (!(w->flags & TC_WRITE_TRUSTED)) {
        char where[160];
        snprintf(where, sizeof where, "thread %" PRIu64 ", post %" PRIu64 " (id \"%.64s\")",
                 w->threads, w->posts, post && post->id ? post->id : "?");
        int rc = tc__check_post(post, w->format, false, w->out, where, err);
        if (rc != TC_OK)
            return rc;
    }
    if (post->n_attachments > 0 && !(w->format->flags & TC_FORMAT_WRITES_ATTACHMENTS)) {
        /* Said once, then counted: the writer gets the post without them. */
        if (w->dropped_posts++ == 0)
            warn_writer(w, "the '%s' writer cannot keep attachments: %zu of post %.64s "
                           "(thread %" PRIu64 ") not written (threadconv --describe FORMAT "
                           "says which formats keep them)",
                        w->format->name, post->n_attachments, post->id, w->threads);
        w->dropped_attachments += post->n_attachments;
        tc_post bare = *post;
        bare.attachments = NULL;
        bare.n_attachments = 0;
        return tc__plugin_status(w->format->write_post(w->out, w->state, &bare), false, w->out,
                                 "write_post", err);
    }
    return tc__plugin_status(w->format->write_post(w->out, w->state, post), false, w->out,
                             "write_post", err);
}

int tc_writer_end_thread(tc_writer *w, tc_error *err)
{
    if (!w->in_thread)
        return out_of_order(w, "tc_writer_end_thread", err);
    w->in_thread = false;
    return tc__plugin_status(w->format->write_end_thread(w->out, w->state), false, w->out,
                             "write_end_thread", err);
}

int tc_writer_finish(tc_writer *w, tc_error *err)
{
    if (w->in_thread || w->finished)
        return out_of_order(w, "tc_writer_finish", err);
    w->finished = true;
    if (w->dropped_posts > 1)
        warn_writer(w, "%" PRIu64 " attachments of %" PRIu64 " posts were not written (the '%s' "
                       "writer cannot keep attachments)", w->dropped_attachments, w->dropped_posts,
                    w->format->name);
    return tc__plugin_status(w->format->write_finish(w->out, w->state), false, w->out,
                             "write_finish", err);
}

void tc_writer_close(tc_writer *w)
{
    if (w == NULL)
        return;
    w->format->write_close(w->out, w->state);
    free(w);
}
