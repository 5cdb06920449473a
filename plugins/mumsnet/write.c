/*
 * write.c - the "mumsnet" writer: one thread in the classic layout of a
 * Mumsnet Talk page copied as text, the layout the reader (mumsnet.c) reads:
 *
 *   Title                                     (left out when the title is "")
 *   (blank)
 *   mumsnet.intro, when the thread has one, then a blank line
 *   Daffodil72 Thu 04-Feb-21 21:33:59         NAME Ddd DD-Mon-YY HH:MM:SS
 *   (blank)
 *   body                                      (nothing for an empty body)
 *   (blank)
 *   ...
 *
 * so a classic file in this canonical form (one blank line after the title,
 * each header and each body, LF line ends, no BOM) comes back byte for byte;
 * other classic files come back in the canonical form.
 *
 * Dates are written in UK civil time, whatever offset the post carries.
 * What the layout cannot show is an error naming the thread and the post:
 * a thread id or url, extra fields other than mumsnet.layout = "classic" and
 * mumsnet.intro, post ids other than the positions 1, 2, ..., a parent, post
 * extra fields, a date in another offset than UK time, text the reader would
 * read differently (a leading or trailing blank line, a carriage return
 * before a line break, a line break in a title or author, a space or tab in
 * an author, a line that would read as a post header by the reader's rule,
 * mumsnet_header_shape; U+0000 in a body).  With
 * -O mumsnet.lossy=true these are written as best the layout allows (left
 * out, renumbered, converted to UK time, trimmed, current-layout threads
 * written as classic, a no-break space U+00A0 added at the end of a line
 * that would read as a post header, an underscore for each space, tab or
 * line break of an author, U+FFFD for each U+0000 of a body, which a text
 * file cannot hold and the reader refuses) with a warning each.  Some things no
 * option helps, and are always errors: a post without a date, a year outside
 * 2000-2099, a blank author, more than one thread, a thread without posts,
 * and a time in the hour the October clock change repeats that the order of
 * the posts cannot tell apart.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mumsnet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const tc_option_decl mumsnet_options[] = {
    {.name = "lossy", .type = TC_OPT_BOOL, .default_value = "false",
     .help = "write what the classic layout cannot show as best it can, with a warning, "
             "instead of failing"},
    {.name = NULL}
};

typedef struct mumsnet_writer {
    bool lossy;
    uint64_t n_threads;
    uint64_t n_posts;      /* of the current thread */
    bool title_empty;
    tc_date prev;          /* the previous post's date as the reader will read it */
    tc_buf where;          /* "thread \"Title\"" or "... post 3 (Ann)", for messages */
    size_t where_thread;   /* length of the thread part of where */
    tc_buf out;            /* what is written for one thread header or post */
    tc_buf fixed;          /* lossy: the corrected text */
    tc_buf fixed2;         /* lossy: the same with header-shaped lines ended */
    tc_buf no_nul;         /* lossy: the text with U+FFFD for each U+0000 */
} mumsnet_writer;

static const char weekday_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int nomem(tc_stream *out)
{
    return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* Up to max bytes of the first line of s, cut on a character boundary. */
static size_t shown_len(const char *s, size_t max)
{
    size_t n = strcspn(s, "\r\n");
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void set_where_thread(mumsnet_writer *w, const char *title)
{
    tc_buf_reset(&w->where);
    size_t n = shown_len(title, 60);
    tc_buf_printf(&w->where, "thread \"%.*s%s\"", (int)n, title, title[n] ? "..." : "");
    w->where_thread = w->where.len;
}

static void set_where_post(mumsnet_writer *w, const char *author)
{
    /* keep the thread part, add the post */
    if (w->where.data != NULL) {
        w->where.len = w->where_thread;
        w->where.data[w->where.len] = '\0';
    }
    size_t n = shown_len(author, 40);
    tc_buf_printf(&w->where, ", post %llu (%.*s%s)", (unsigned long long)w->n_posts + 1,
                  (int)n, author, author[n] ? "..." : "");
}

/*
 * Something the layout cannot show.  With action NULL it is always an
 * error; otherwise an error that names the lossy option, or, with it, a
 * warning that says what was done instead (action).  Returns TC_OK when
 * writing goes on.
 */
static int cannot(mumsnet_writer *w, tc_stream *out, const char *action, const char *fmt, ...)
    TC_PRINTF(4, 5);

static int cannot(mumsnet_writer *w, tc_stream *out, const char *action, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *where = w->where.data ? w->where.data : "thread";
    if (action == NULL)
        return tc_stream_error(out, TC_ERR_DATA, 0, 0,
                               "%s: %s; the mumsnet layout cannot show it", where, what);
    if (!w->lossy)
        return tc_stream_error(out, TC_ERR_DATA, 0, 0,
                               "%s: %s; the mumsnet layout cannot show it "
                               "(with -O mumsnet.lossy=true: %s)", where, what, action);
    tc_stream_warn(out, 0, 0, "%s: %s; %s (mumsnet.lossy)", where, what, action);
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Text between headers                                                */
/* ------------------------------------------------------------------ */

enum text_problem {
    TEXT_OK = 0,
    TEXT_LEADING_BLANK,  /* the reader drops it */
    TEXT_TRAILING_BLANK, /* the reader drops it */
    TEXT_CR,             /* a line ends in CR: the reader drops it */
    TEXT_HEADER          /* a line reads as a post header */
};

/*
 * Check text that goes between headers as lines: the reader keeps it byte
 * for byte only when it neither starts nor ends with a blank line, no line
 * ends in CR, and no line reads as a post header (of the classic layout; of
 * either layout before the first header, where the first header decides the
 * layout).  The text always follows a blank line, so its first line is in a
 * header's place, and so is each line after a blank one (mumsnet_header_shape).
 * *line is set to the 1-based line of the problem.
 */
static enum text_problem check_text(const char *s, size_t len, bool any_layout, size_t *line)
{
    *line = 0;
    if (len == 0)
        return TEXT_OK;
    size_t start = 0, k = 1;
    bool in_place = true;
    for (;;) {
        const char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t n = end - start;
        *line = k;
        if (n > 0 && s[end - 1] == '\r')
            return TEXT_CR;
        if (n == 0 && k == 1)
            return TEXT_LEADING_BLANK;
        if (n == 0 && nl == NULL)
            return TEXT_TRAILING_BLANK;
        int shape = mumsnet_header_shape(s + start, n, in_place);
        if (shape == MUMSNET_SHAPE_CLASSIC || (any_layout && shape == MUMSNET_SHAPE_CURRENT))
            return TEXT_HEADER;
        if (nl == NULL)
            return TEXT_OK;
        in_place = n == 0;
        start = end + 1;
        k++;
    }
}

/* Lossy: text with a CR before each line break removed and leading and
 * trailing blank lines left out, into w->fixed. */
static int fix_text(mumsnet_writer *w, const char *s, size_t len)
{
    tc_buf_reset(&w->fixed);
    size_t start = 0;
    size_t blanks = 0;
    bool any = false;
    while (start <= len) {
        const char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t n = end - start;
        while (n > 0 && s[start + n - 1] == '\r')
            n--;
        if (n == 0) {
            if (any)
                blanks++;
        } else {
            size_t need = any ? blanks + 1 : 0;
            for (size_t i = 0; i < need; i++)
                if (tc_buf_putc(&w->fixed, '\n') != TC_OK)
                    return TC_ERR_NOMEM;
            if (tc_buf_append(&w->fixed, s + start, n) != TC_OK)
                return TC_ERR_NOMEM;
            any = true;
            blanks = 0;
        }
        if (nl == NULL)
            break;
        start = end + 1;
    }
    if (w->fixed.data == NULL && tc_buf_append(&w->fixed, "", 0) != TC_OK)
        return TC_ERR_NOMEM;
    return TC_OK;
}

/* Lossy: text with U+00A0 after every line that would read as a post header
 * (the reader trims only spaces and tabs, so the line no longer ends in
 * digits), into w->fixed2.  Places as in check_text. */
static int end_header_lines(mumsnet_writer *w, const char *s, size_t len, bool any_layout)
{
    tc_buf_reset(&w->fixed2);
    size_t start = 0;
    bool in_place = true;
    for (;;) {
        const char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        if (tc_buf_append(&w->fixed2, s + start, end - start) != TC_OK)
            return TC_ERR_NOMEM;
        int shape = mumsnet_header_shape(s + start, end - start, in_place);
        if ((shape == MUMSNET_SHAPE_CLASSIC || (any_layout && shape == MUMSNET_SHAPE_CURRENT)) &&
            tc_buf_append(&w->fixed2, "\xC2\xA0", 2) != TC_OK)
            return TC_ERR_NOMEM;
        in_place = end == start;
        if (nl == NULL)
            return TC_OK;
        if (tc_buf_putc(&w->fixed2, '\n') != TC_OK)
            return TC_ERR_NOMEM;
        start = end + 1;
    }
}

/*
 * Text that goes between headers: checked, and in lossy mode corrected.
 * what names it for messages ("the body", "mumsnet.intro").  On TC_OK,
 * *text and *len point at what to write (the original or w->fixed).
 */
static int text_for_layout(mumsnet_writer *w, tc_stream *out, const char *what, bool any_layout,
                           const char **text, size_t *len)
{
    /* UTF-8 it is (the checked session saw to that); U+0000 is a character
     * of the model (in a body) that a text file cannot hold, and the reader
     * refuses a NUL byte. */
    const char *nul = memchr(*text, '\0', *len);
    if (nul != NULL) {
        int rc = cannot(w, out, "each U+0000 written as U+FFFD, the replacement character",
                        "%s holds U+0000 (at byte %zu), which a text file cannot hold", what,
                        (size_t)(nul - *text));
        if (rc != TC_OK)
            return rc;
        tc_buf_reset(&w->no_nul);
        for (size_t i = 0; i < *len; i++) {
            rc = (*text)[i] ? tc_buf_putc(&w->no_nul, (*text)[i])
                            : tc_buf_append(&w->no_nul, "\xEF\xBF\xBD", 3);
            if (rc != TC_OK)
                return nomem(out);
        }
        *text = w->no_nul.data;
        *len = w->no_nul.len;
    }
    size_t line;
    enum text_problem pb = check_text(*text, *len, any_layout, &line);
    if (pb == TEXT_OK)
        return TC_OK;
    if (pb != TEXT_HEADER) {
        static const char *const why[] = {
            [TEXT_LEADING_BLANK] = "starts with a blank line, which the reader leaves out",
            [TEXT_TRAILING_BLANK] = "ends with a blank line, which the reader leaves out",
            [TEXT_CR] = "has a carriage return before a line break, which the reader leaves out",
        };
        int rc = cannot(w, out, "written without it", "%s %s (line %zu of it)", what, why[pb],
                        line);
        if (rc != TC_OK)
            return rc;
        if (fix_text(w, *text, *len) != TC_OK)
            return nomem(out);
        *text = w->fixed.data;
        *len = w->fixed.len;
        pb = check_text(*text, *len, any_layout, &line);
        if (pb == TEXT_OK)
            return TC_OK;
    }
    int rc = cannot(w, out, "a no-break space (U+00A0) added at the end of the line",
                    "line %zu of %s would read as a post header", line, what);
    if (rc != TC_OK)
        return rc;
    if (end_header_lines(w, *text, *len, any_layout) != TC_OK)
        return nomem(out);
    *text = w->fixed2.data;
    *len = w->fixed2.len;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* The writer                                                          */
/* ------------------------------------------------------------------ */

int mumsnet_write_open(tc_stream *out, void **state)
{
    mumsnet_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return nomem(out);
    w->lossy = tc_stream_option_bool(out, "lossy");
    *state = w;
    return TC_OK;
}

static int put(tc_stream *out, mumsnet_writer *w)
{
    int rc = tc_stream_write(out, w->out.data, w->out.len);
    tc_buf_reset(&w->out);
    return rc;
}

int mumsnet_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    mumsnet_writer *w = state;
    set_where_thread(w, thread->title);
    if (w->n_threads++ > 0)
        return cannot(w, out, NULL,
                      "a second thread; a mumsnet text file holds one thread (write each "
                      "thread to a file of its own)");
    w->n_posts = 0;
    w->prev.present = false;
    int rc = TC_OK;

    if (thread->id != NULL)
        rc = cannot(w, out, "left out", "has an id (\"%.60s\")", thread->id);
    if (rc == TC_OK && thread->url != NULL)
        rc = cannot(w, out, "left out", "has a url (%.200s)", thread->url);

    const char *intro = NULL;
    size_t intro_len = 0;
    for (size_t i = 0; rc == TC_OK && i < thread->extras.count; i++) {
        const char *key = thread->extras.items[i].key;
        const char *value = thread->extras.items[i].value;
        if (strcmp(key, "mumsnet.layout") == 0) {
            if (strcmp(value, "current") == 0)
                rc = cannot(w, out, "written in the classic layout",
                            "is in the current page layout; this writer writes the classic one");
            else if (strcmp(value, "classic") != 0)
                rc = cannot(w, out, "left out",
                            "has mumsnet.layout \"%.40s\"; expected classic or current", value);
        } else if (strcmp(key, "mumsnet.intro") == 0) {
            intro = value;
            intro_len = strlen(value);
        } else if (strcmp(key, "mumsnet.preamble") == 0 || strcmp(key, "mumsnet.replies") == 0) {
            rc = cannot(w, out, "left out",
                        "has %s, page furniture of the current layout that the classic layout "
                        "has no place for", key);
        } else {
            rc = cannot(w, out, "left out", "has the extra field \"%.60s\"", key);
        }
    }
    if (rc != TC_OK)
        return rc;

    /* The title: one line, or nothing (the first line is then a header). */
    const char *title = thread->title;
    size_t title_len = strlen(title);
    if (strpbrk(title, "\r\n") != NULL) {
        rc = cannot(w, out, "line breaks written as spaces", "the title has a line break");
        if (rc != TC_OK)
            return rc;
        tc_buf_reset(&w->fixed);
        if (tc_buf_append(&w->fixed, title, title_len) != TC_OK)
            return nomem(out);
        for (size_t i = 0; i < w->fixed.len; i++)
            if (w->fixed.data[i] == '\r' || w->fixed.data[i] == '\n')
                w->fixed.data[i] = ' ';
        if (tc_buf_append(&w->out, w->fixed.data, w->fixed.len) != TC_OK)
            return nomem(out);
    } else if (tc_buf_append(&w->out, title, title_len) != TC_OK) {
        return nomem(out);
    }
    if (w->out.len >= 3 && memcmp(w->out.data, "\xEF\xBB\xBF", 3) == 0)
        return cannot(w, out, NULL, "the title starts with U+FEFF, which reads as a byte order mark");
    /* the title is the first line: in a header's place */
    if (mumsnet_header_shape(w->out.data ? w->out.data : "", w->out.len, true) != MUMSNET_SHAPE_NONE) {
        rc = cannot(w, out, "a no-break space (U+00A0) added at its end",
                    "the title would read as a post header");
        if (rc != TC_OK)
            return rc;
        if (tc_buf_append(&w->out, "\xC2\xA0", 2) != TC_OK)
            return nomem(out);
    }
    w->title_empty = w->out.len == 0;
    if (!w->title_empty && tc_buf_append(&w->out, "\n\n", 2) != TC_OK)
        return nomem(out);

    if (intro != NULL && w->title_empty) {
        rc = cannot(w, out, "left out",
                    "has mumsnet.intro but no title; the intro would read as the title");
        intro = NULL;
    } else if (intro != NULL) {
        rc = text_for_layout(w, out, "mumsnet.intro", true, &intro, &intro_len);
        if (rc == TC_OK && intro_len > 0 &&
            (tc_buf_append(&w->out, intro, intro_len) != TC_OK ||
             tc_buf_append(&w->out, "\n\n", 2) != TC_OK))
            return nomem(out);
    }
    if (rc != TC_OK)
        return rc;
    return put(out, w);
}

/* The header's date: UK civil time, checked to read back as the same instant. */
static int header_date(mumsnet_writer *w, tc_stream *out, tc_date date, char *text, size_t size)
{
    if (!date.present)
        return cannot(w, out, NULL, "has no date; every post header needs one");
    int uk = tc_uk_offset_at(date.utc) / 60;
    if (date.offset_min != uk) {
        char iso[TC_ISO_DATE_SIZE];
        tc_date_format_iso(date, iso);
        int rc = cannot(w, out, "written in UK time",
                        "the date %s is not in UK time (%+03d:00 then); the layout shows UK time only",
                        iso, uk / 60);
        if (rc != TC_OK)
            return rc;
        date.offset_min = uk;
    }
    int64_t year;
    int month, day, hour, minute, second;
    tc_date_to_fields(date, &year, &month, &day, &hour, &minute, &second);
    if (year < 2000 || year > 2099) {
        char iso[TC_ISO_DATE_SIZE];
        tc_date_format_iso(date, iso);
        return cannot(w, out, NULL, "the date %s is outside 2000-2099 (two-digit years)", iso);
    }
    /* Read it back as the reader will, with its rule for the hour the
     * October change repeats (the earlier reading unless the post order
     * says otherwise). */
    int note = 0;
    tc_date back = tc_date_from_uk_civil(year, month, day, hour, minute, second, &note);
    if (note == 1 && w->prev.present && back.utc < w->prev.utc && back.utc + 3600 >= w->prev.utc) {
        back.utc += 3600;
        back.offset_min = 0;
    }
    if (back.utc != date.utc || back.offset_min != date.offset_min) {
        char iso[TC_ISO_DATE_SIZE];
        tc_date_format_iso(date, iso);
        return cannot(w, out, NULL,
                      "the date %s falls in the hour the clocks repeat in October, and the "
                      "order of the posts does not tell which of the two it is", iso);
    }
    w->prev = date;
    snprintf(text, size, "%s %02d-%s-%02d %02d:%02d:%02d",
             weekday_names[tc_weekday(year, month, day)], day, month_names[month - 1],
             (int)(year % 100), hour, minute, second);
    return TC_OK;
}

int mumsnet_write_post(tc_stream *out, void *state, const tc_post *post)
{
    mumsnet_writer *w = state;
    set_where_post(w, post->author);
    int rc = TC_OK;

    char position[24];
    snprintf(position, sizeof position, "%llu", (unsigned long long)w->n_posts + 1);
    if (strcmp(post->id, position) != 0)
        rc = cannot(w, out, "numbered by position",
                    "has the id \"%.40s\"; the layout numbers posts by position (%s here)",
                    post->id, position);
    if (rc == TC_OK && post->parent_id != NULL)
        rc = cannot(w, out, "left out", "replies to post \"%.40s\" (a parent)", post->parent_id);
    for (size_t i = 0; rc == TC_OK && i < post->extras.count; i++)
        rc = cannot(w, out, "left out", "has the extra field \"%.60s\"", post->extras.items[i].key);
    if (rc != TC_OK)
        return rc;

    /* The author: one line, not empty, with no space or tab in it. */
    const char *author = post->author;
    size_t author_len = strlen(author);
    if (strspn(author, " \t") == author_len)
        return cannot(w, out, NULL, "the author is empty or blank");
    if (w->title_empty && w->n_posts == 0 && author_len >= 3 &&
        memcmp(author, "\xEF\xBB\xBF", 3) == 0)
        return cannot(w, out, NULL, "the author starts with U+FEFF on the first line");
    size_t start = w->out.len;
    if (tc_buf_append(&w->out, author, author_len) != TC_OK)
        return nomem(out);
    if (strchr(author, '\n') != NULL) {
        rc = cannot(w, out, "line breaks written as underscores", "the author has a line break");
        if (rc != TC_OK)
            return rc;
        for (size_t i = start; i < w->out.len; i++)
            if (w->out.data[i] == '\n')
                w->out.data[i] = '_';
    }
    /* A header's name holds no space or tab: the reader takes a line whose
     * name does for text (Mumsnet user names have none). */
    if (strcspn(w->out.data + start, " \t") != w->out.len - start) {
        rc = cannot(w, out, "each written as an underscore",
                    "the author has a space or a tab, which a post header's name cannot hold");
        if (rc != TC_OK)
            return rc;
        for (size_t i = start; i < w->out.len; i++)
            if (w->out.data[i] == ' ' || w->out.data[i] == '\t')
                w->out.data[i] = '_';
    }

    char when[40];
    rc = header_date(w, out, post->date, when, sizeof when);
    if (rc != TC_OK)
        return rc;
    if (tc_buf_printf(&w->out, " %s\n\n", when) != TC_OK)
        return nomem(out);

    const char *body = post->body;
    size_t body_len = post->body_len;
    rc = text_for_layout(w, out, "the body", false, &body, &body_len);
    if (rc != TC_OK)
        return rc;
    if (body_len > 0 && tc_buf_append(&w->out, body, body_len) != TC_OK)
        return nomem(out);
    if (tc_buf_append(&w->out, body_len > 0 ? "\n\n" : "\n", body_len > 0 ? 2 : 1) != TC_OK)
        return nomem(out);
    w->n_posts++;
    return put(out, w);
}

int mumsnet_write_end_thread(tc_stream *out, void *state)
{
    mumsnet_writer *w = state;
    if (w->n_posts == 0) {
        if (w->where.data != NULL) {
            w->where.len = w->where_thread;
            w->where.data[w->where.len] = '\0';
        }
        return cannot(w, out, NULL, "has no posts; a mumsnet thread starts with a post header");
    }
    return TC_OK;
}

int mumsnet_write_finish(tc_stream *out, void *state)
{
    mumsnet_writer *w = state;
    if (w->n_threads == 0)
        return tc_stream_error(out, TC_ERR_DATA, 0, 0,
                               "no thread to write; a mumsnet text file holds one thread");
    return TC_OK;
}

void mumsnet_write_close(tc_stream *out, void *state)
{
    (void)out;
    mumsnet_writer *w = state;
    if (w == NULL)
        return;
    tc_buf_free(&w->where);
    tc_buf_free(&w->out);
    tc_buf_free(&w->fixed);
    tc_buf_free(&w->fixed2);
    tc_buf_free(&w->no_nul);
    free(w);
}
