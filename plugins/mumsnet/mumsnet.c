/*
 * mumsnet.c - reader for threads copied as text from a Mumsnet Talk page
 * (the writer, which writes the classic layout, is in write.c).
 *
 * One input file is one thread.  Two layouts exist, told apart by the shape
 * of the first post header in the file:
 *
 *   classic   Title
 *             (blank)
 *             Daffodil72 Thu 04-Feb-21 21:33:59      NAME Ddd DD-Mon-YY HH:MM:SS
 *             (blank)
 *             body...
 *             (blank)
 *
 *   current   Chat                                   board name, adverts ...
 *             Best biscuit for dunking?              the title
 *             3 replies
 *             Crumbs4Days · 02/11/2024 08:15         NAME · DD/MM/YYYY HH:MM
 *             (blank)
 *             body...
 *
 * Rules (the decisions this reader makes are marked "Decision"):
 *
 *  - A body is the text between one header and the next, with leading and
 *    trailing blank lines removed and everything else kept byte for byte.
 *    Decision: a "blank" line is a truly empty one (after a CR before the
 *    newline is removed).  A line holding only spaces or tabs is text and is
 *    kept, as a body is kept byte for byte.
 *  - Header lines may carry trailing spaces or tabs (copying from a browser
 *    leaves them); nothing else is tolerated around a header.
 *  - Dates are UK civil time; two-digit years are 20YY.  A weekday that does
 *    not match the date, and a time the clock change makes ambiguous or
 *    impossible, are warnings; an impossible date or time on a
 *    header-shaped line (digits in the right places) is an error.
 *  - The layout is decided by the first header.  Decision: a later line with
 *    the other layout's header shape is not a header; it stays body text and
 *    a warning names it, so neither a post nor text is lost silently.
 *  - Classic layout: a line of the classic shape is a post header only in a
 *    header's place: the first line of the input, a line after a blank
 *    line, or the line right after the title (the first post may follow the
 *    title without a blank line).  Right after a line of text, or after a
 *    header, it is text: "Posted by Bob Thu 04-Feb-21 21:33:59" quoted in a
 *    post stays in the post, with no warning (quoting is ordinary).  Mumsnet
 *    user names hold no spaces, so in a header's place a classic-shaped line
 *    whose name holds a space or a tab is text too, with a warning naming
 *    the line.  A line that is text by these rules is never checked as a
 *    date, so an impossible date on it is no error.
 *  - Decision: the current layout keeps neither rule.  Its pages put headers
 *    right after page furniture ("3 replies", "See all MNHQ comments on
 *    this thread") with no blank line, and show names with spaces in them
 *    (tests/data/mumsnet/current-furniture.txt: "Mrs. O'Brien-Smith",
 *    "Émilie 2"): a line of the current shape is a header wherever it is.
 *  - Page furniture (current layout only; a classic body that says
 *    "OP posts:" keeps it): the lines "See all MNHQ comments on this thread",
 *    "Please or to access all these features" and "OP posts:" (exactly),
 *    and, before the first header, the first "N replies" / "1 reply" line
 *    ("1,234 replies" too).  Furniture never lands in a body.
 *  - Title: in the current layout, the nearest line above the "N replies"
 *    line that is neither blank nor furniture, when there is such a line;
 *    else the first non-blank line (non-furniture in the current layout).
 *    No title (a header on the first line) gives "" and a warning.
 *  - Nothing before the first header is thrown away (thread extras):
 *      mumsnet.layout    "classic" or "current"
 *      mumsnet.preamble  lines above the title, furniture included, joined
 *                        with "\n" (leading/trailing blank lines trimmed)
 *      mumsnet.replies   N of the "N replies" line, digits only
 *      mumsnet.intro     other text between the title and the first header
 *    Furniture between the title and the first header is dropped, except
 *    that "OP posts:" there marks the first post.
 *  - Post extra mumsnet.op = "true" when an "OP posts:" line sat in the
 *    post (the page shows it on posts by the thread's original poster).
 *  - Post ids are positions: "1", "2", ... (the text carries no ids).
 *  - Input must be UTF-8 without NUL bytes; a UTF-8 BOM, CRLF line ends and
 *    a missing final newline are accepted.  Columns in messages count
 *    characters after the BOM.
 *
 * Memory: the reader holds one post, the read-ahead header, and, only while
 * the thread header is being read, the text before the first header; each
 * is capped by tc_stream_max_post().  Buffers are reused from post to post.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/plugin.h>
#include <threadconv/threadconv.h>

#include "mumsnet.h"

#include <stdlib.h>
#include <string.h>

#define CLASSIC_SHAPE "`NAME Ddd DD-Mon-YY HH:MM:SS`"
#define CURRENT_SHAPE "`NAME \xC2\xB7 DD/MM/YYYY HH:MM`"

enum layout { LAYOUT_NONE = 0, LAYOUT_CLASSIC = 1, LAYOUT_CURRENT = 2 };

static const char *const layout_names[] = {"none", "classic", "current"};

/* A post header as read from a header line. */
typedef struct header {
    tc_buf author;
    tc_date date;
    uint64_t line;
} header;

/* One line of the text before the first header (offset into prologue). */
typedef struct pline {
    size_t off;
    size_t len;
} pline;

/* Text being collected a line at a time with leading and trailing blank
 * lines left out: blank lines are only counted until text follows them. */
typedef struct collector {
    tc_buf *buf;
    size_t blanks; /* blank lines since the last text line */
    bool any;      /* a text line has been added */
} collector;

typedef struct mumsnet_state {
    enum layout layout;
    int phase;          /* 0: thread not read yet, 1: posts, 2: done */
    size_t max;         /* tc_stream_max_post */

    /* the thread */
    tc_buf title;
    tc_thread thread;

    /* the text before the first header (freed once the thread is built) */
    tc_buf prologue;
    pline *plines;
    size_t n_plines, cap_plines;
    bool first_post_op; /* "OP posts:" between the title and the first header */

    /* the read-ahead header and the post handed out */
    bool have_next;
    bool next_bad;      /* the read-ahead header is header-shaped but impossible */
    bool have_pending;  /* a header line kept by skip_bad_post, not yet read */
    tc_buf pending;
    header next;
    header cur;
    tc_buf body;
    char id[24];
    uint64_t n_posts;
    tc_post post;
} mumsnet_state;

/* ------------------------------------------------------------------ */
/* Lines                                                               */
/* ------------------------------------------------------------------ */

/*
 * The next line with its CR and (on line 1) BOM removed, checked to be
 * UTF-8 without NUL.  Returns TC_OK, TC_EOF or an error (set).
 */
static int next_line(tc_stream *s, const char **line, size_t *len)
{
    int rc = tc_stream_read_line(s, line, len);
    if (rc != TC_OK)
        return rc;
    const char *p = *line;
    size_t n = *len;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    uint64_t lineno = tc_stream_line(s);
    if (lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        n -= 3;
    }
    size_t bad_off, bad_col;
    if (!tc_utf8_valid(p, n, &bad_off, &bad_col)) {
        unsigned char b = (unsigned char)p[bad_off];
        if (b == 0)
            return tc_stream_error(s, TC_ERR_DATA, lineno, bad_col,
                                   "NUL byte in the text: expected UTF-8 text without NUL bytes");
        return tc_stream_error(s, TC_ERR_DATA, lineno, bad_col,
                               "invalid UTF-8 (byte 0x%02X): expected UTF-8 text", b);
    }
    *line = p;
    *len = n;
    return TC_OK;
}

/* Equal to a literal, byte for byte. */
#define LINE_IS(p, n, lit) ((n) == sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

static bool is_op_marker(const char *p, size_t n)
{
    return LINE_IS(p, n, "OP posts:");
}

/* Furniture of the current layout that may appear anywhere. */
static bool is_furniture(const char *p, size_t n)
{
    return is_op_marker(p, n) || LINE_IS(p, n, "See all MNHQ comments on this thread") ||
           LINE_IS(p, n, "Please or to access all these features");
}

/*
 * "61 replies", "1 reply", "1,234 replies": digits, optionally grouped in
 * threes by commas.  On a match the digits alone go to digits (at least 24
 * bytes) and true is returned.
 */
static bool is_replies_line(const char *p, size_t n, char *digits, size_t digits_size)
{
    size_t i = 0, nd = 0, group = 0;
    bool commas = false;
    while (i < n && ((p[i] >= '0' && p[i] <= '9') || p[i] == ',')) {
        if (p[i] == ',') {
            if (group == 0 || (commas && group != 3) || (!commas && group > 3))
                return false;
            commas = true;
            group = 0;
        } else {
            if (nd + 1 >= digits_size)
                return false;
            digits[nd++] = p[i];
            group++;
        }
        i++;
    }
    if (nd == 0 || group == 0 || (commas && group != 3))
        return false;
    digits[nd] = '\0';
    const char *rest = p + i;
    size_t rn = n - i;
    return LINE_IS(rest, rn, " replies") || LINE_IS(rest, rn, " reply");
}

/* Add a line to a collector, keeping inner blank lines; limit 0 = none. */
static int collect(collector *c, const char *p, size_t n, size_t limit, bool *over)
{
    static const char newlines[64] = {
        '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
        '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
        '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
        '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
        '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n'};
    if (n == 0) {
        if (c->any)
            c->blanks++;
        return TC_OK;
    }
    size_t nl = c->any ? c->blanks + 1 : 0;
    if (limit != 0 && (c->buf->len > limit || nl > limit - c->buf->len ||
                       n > limit - c->buf->len - nl)) {
        *over = true;
        return TC_OK;
    }
    if (tc_buf_reserve(c->buf, nl + n) != TC_OK)
        return TC_ERR_NOMEM;
    while (nl > 0) {
        size_t k = nl < sizeof newlines ? nl : sizeof newlines;
        if (tc_buf_append(c->buf, newlines, k) != TC_OK)
            return TC_ERR_NOMEM;
        nl -= k;
    }
    if (tc_buf_append(c->buf, p, n) != TC_OK)
        return TC_ERR_NOMEM;
    c->blanks = 0;
    c->any = true;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Header lines                                                        */
/* ------------------------------------------------------------------ */

typedef struct fields {
    size_t name_len;  /* bytes of the user name */
    size_t date_off;  /* byte offset of the date in the line */
    int64_t year;
    int month, day, hour, minute, second;
    int weekday;      /* 0 = Sunday .. 6, or -1 when the layout has none */
} fields;

static const char weekdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const weekday_full[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                            "Thursday", "Friday", "Saturday"};
static const char *const month_full[12] = {"January", "February", "March",     "April",
                                           "May",     "June",     "July",      "August",
                                           "September", "October", "November", "December"};

/* Index of the three letters at p in names, or -1 (inline: runs per header). */
static int name3(const char *p, const char (*names)[4], int count)
{
    for (int i = 0; i < count; i++)
        if (p[0] == names[i][0] && p[1] == names[i][1] && p[2] == names[i][2])
            return i;
    return -1;
}

static bool dig(char c)
{
    return c >= '0' && c <= '9';
}

static int num2(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* A user name: at least one byte that is not a space or tab. */
static bool name_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return true;
    return false;
}

/* The offset of the first space or tab in p[0..n), or n when there is none. */
static size_t space_at(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    return i;
}

/*
 * Whether the line has a header's shape, and which: LAYOUT_CLASSIC,
 * LAYOUT_CURRENT or LAYOUT_NONE.  The values are read into f but not
 * checked (see check_fields).  Cheap enough to run on every line: a line
 * that does not end in ":DD" is rejected after two comparisons.
 */
static enum layout match_header(const char *p, size_t n, fields *f)
{
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n < 21 || p[n - 3] != ':' || !dig(p[n - 1]) || !dig(p[n - 2]))
        return LAYOUT_NONE;

    /* " Ddd DD-Mon-YY HH:MM:SS" */
    if (n >= 24 && p[n - 6] == ':') {
        const char *q = p + n - 23;
        if (q[0] == ' ' && q[4] == ' ' && q[7] == '-' && q[11] == '-' && q[14] == ' ' &&
            dig(q[5]) && dig(q[6]) && dig(q[12]) && dig(q[13]) && dig(q[15]) && dig(q[16]) &&
            dig(q[18]) && dig(q[19]) && name_ok(p, (size_t)(q - p))) {
            int wd = name3(q + 1, weekdays, 7);
            int mo = name3(q + 8, months, 12) + 1;
            if (wd >= 0 && mo > 0) {
                f->name_len = (size_t)(q - p);
                f->date_off = f->name_len + 5;
                f->weekday = wd;
                f->day = num2(q + 5);
                f->month = mo;
                f->year = 2000 + num2(q + 12);
                f->hour = num2(q + 15);
                f->minute = num2(q + 18);
                f->second = num2(q + 21);
                return LAYOUT_CLASSIC;
            }
        }
    }

    /* " · DD/MM/YYYY HH:MM" (the dot is C2 B7) */
    const char *q = p + n - 20;
    if (q[0] == ' ' && (unsigned char)q[1] == 0xC2 && (unsigned char)q[2] == 0xB7 &&
        q[3] == ' ' && q[6] == '/' && q[9] == '/' && q[14] == ' ' && dig(q[4]) && dig(q[5]) &&
        dig(q[7]) && dig(q[8]) && dig(q[10]) && dig(q[11]) && dig(q[12]) && dig(q[13]) &&
        dig(q[15]) && dig(q[16]) && name_ok(p, (size_t)(q - p))) {
        f->name_len = (size_t)(q - p);
        f->date_off = f->name_len + 4;
        f->weekday = -1;
        f->day = num2(q + 4);
        f->month = num2(q + 7);
        f->year = num2(q + 10) * 100 + num2(q + 12);
        f->hour = num2(q + 15);
        f->minute = num2(q + 18);
        f->second = 0;
        return LAYOUT_CURRENT;
    }
    return LAYOUT_NONE;
}

/*
 * The classic layout's rule (see the top of this file): a line of the
 * classic shape is a header only in a header's place (in_place: the first
 * line, after a blank line, or right after the title) and with no space or
 * tab in its name.  The reader, its probe and the writer all ask here.
 */
static bool classic_header_ok(const char *p, const fields *f, bool in_place)
{
    return in_place && space_at(p, f->name_len) == f->name_len;
}

int mumsnet_header_shape(const char *p, size_t n, bool in_place)
{
    fields f;
    enum layout l = match_header(p, n, &f);
    if (l == LAYOUT_CLASSIC && !classic_header_ok(p, &f, in_place))
        return MUMSNET_SHAPE_NONE;
    return (int)l;
}

/* Characters (not bytes) in p[0..n), plus one: a 1-based column. */
static uint64_t column_of(const char *p, size_t n)
{
    uint64_t col = 1;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/*
 * Whether a classic-shaped line p is a header (classic_header_ok).  One in
 * a header's place that is not, for the space in its name, is text with a
 * warning at that space; `of` is the author of the post the text goes to
 * (NULL: the text before the first post).
 */
static bool classic_header(tc_stream *s, const char *p, const fields *f, bool in_place,
                           const char *of)
{
    if (classic_header_ok(p, f, in_place))
        return true;
    if (in_place)
        tc_stream_warn(s, tc_stream_line(s), column_of(p, space_at(p, f->name_len)),
                       "line looks like a post header, but its name holds a space, which "
                       "Mumsnet user names never do; kept as text %s%s",
                       of ? "of the post by " : "before the first post", of ? of : "");
    return false;
}

/*
 * Check a header's values and fill h (author, date, line).  Impossible
 * values are an error; a weekday mismatch and the clock-change hours are
 * warnings.
 */
static int read_header(tc_stream *s, const char *p, enum layout layout, const fields *f,
                       const tc_date *prev, header *h)
{
    uint64_t lineno = tc_stream_line(s);
    uint64_t col = column_of(p, f->date_off);
    int len = layout == LAYOUT_CLASSIC ? 18 : 16; /* the date and time as written */
    const char *when = p + f->date_off;

    if (f->month < 1 || f->month > 12)
        return tc_stream_error(s, TC_ERR_DATA, lineno, col,
                               "impossible date in post header: %.*s has month %02d, "
                               "expected a month 01-12", len, when, f->month);
    int dim = tc_days_in_month(f->year, f->month);
    if (f->day < 1 || f->day > dim)
        return tc_stream_error(s, TC_ERR_DATA, lineno, col,
                               "impossible date in post header: %.*s has day %02d, "
                               "but %s %lld has %d days",
                               len, when, f->day, month_full[f->month - 1],
                               (long long)f->year, dim);
    if (f->hour > 23 || f->minute > 59 || f->second > 59)
        return tc_stream_error(s, TC_ERR_DATA, lineno, col,
                               "impossible time in post header: %.*s, expected hours 00-23 "
                               "and minutes%s 00-59",
                               len, when, layout == LAYOUT_CLASSIC ? " and seconds" : "");
    if (f->weekday >= 0) {
        int wd = tc_weekday(f->year, f->month, f->day);
        if (wd != f->weekday)
            tc_stream_warn(s, lineno, col - 4,
                           "weekday %s in post header does not match the date %.9s, "
                           "which is a %s; the date is used",
                           weekdays[f->weekday], when, weekday_full[wd]);
    }
    int note = 0;
    h->date = tc_date_from_uk_civil(f->year, f->month, f->day, f->hour, f->minute, f->second,
                                    &note);
    /* Posts on a page are in time order, so when the first reading of a
     * repeated hour would put this post before the one above it and the
     * second would not, the second (GMT) is the one meant. */
    if (note == 1 && prev && prev->present && h->date.utc < prev->utc &&
        h->date.utc + 3600 >= prev->utc) {
        h->date.utc += 3600;
        h->date.offset_min = 0;
    } else if (note == 1)
        tc_stream_warn(s, lineno, col,
                       "%.*s occurs twice in UK time (the clocks went back); "
                       "taken as the first, BST (+01:00)", len, when);
    else if (note == 2)
        tc_stream_warn(s, lineno, col,
                       "%.*s does not exist in UK time (the clocks went forward); "
                       "taken as GMT (+00:00)", len, when);
    h->line = lineno;
    tc_buf_reset(&h->author);
    if (tc_buf_append(&h->author, p, f->name_len) != TC_OK)
        return tc_stream_error(s, TC_ERR_NOMEM, lineno, 0, "out of memory");
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

static int mumsnet_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const char *p = (const char *)head;
    const char *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    /* Other formats' signatures at the first non-blank byte: JSON, XML or
     * HTML, an mbox From_ line ("From SENDER DATE", the date ending in a
     * year; a thread titled "From here to eternity" is still a thread). */
    const char *q = p;
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
        q++;
    if (q < end && (*q == '{' || *q == '[' || *q == '<'))
        return TC_PROBE_NO;
    if (end - q >= 5 && memcmp(q, "From ", 5) == 0) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *e = nl ? nl : end;
        if (e > q && e[-1] == '\r')
            e--;
        if (e - q >= 10 && dig(e[-1]) && dig(e[-2]) && dig(e[-3]) && dig(e[-4]) && e[-5] == ' ')
            return TC_PROBE_NO;
    }

    /* Header lines are counted where the reader takes them for headers
     * (classic ones in a header's place: see classic_header_ok). */
    int found[3] = {0, 0, 0};
    bool in_place = true, any_header = false;
    size_t text_lines = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        fields f;
        enum layout l = match_header(p, n, &f);
        if (l == LAYOUT_CLASSIC && !classic_header_ok(p, &f, in_place))
            l = LAYOUT_NONE;
        if (l != LAYOUT_NONE && f.month >= 1 && f.month <= 12 && f.day >= 1 &&
            f.day <= tc_days_in_month(f.year, f.month) && f.hour <= 23 && f.minute <= 59 &&
            f.second <= 59 && memchr(p, '\0', n) == NULL)
            found[l]++;
        any_header = any_header || l != LAYOUT_NONE;
        if (n > 0)
            text_lines++;
        /* the next line is in a header's place after a blank line, or
         * right after the title (the first line of text before any header) */
        in_place = n == 0 || (!any_header && text_lines == 1);
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    int best = found[1] > found[2] ? found[1] : found[2];
    if (best >= 2)
        return TC_PROBE_SURE;
    if (best == 1)
        return 80;
    return TC_PROBE_NO;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static int mumsnet_read_open(tc_stream *in, void **state)
{
    mumsnet_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    st->max = tc_stream_max_post(in);
    *state = st;
    return TC_OK;
}

static void mumsnet_read_close(tc_stream *in, void *state)
{
    (void)in;
    mumsnet_state *st = state;
    if (st == NULL)
        return;
    tc_buf_free(&st->title);
    tc_fields_free(&st->thread.extras);
    tc_buf_free(&st->prologue);
    free(st->plines);
    tc_buf_free(&st->pending);
    tc_buf_free(&st->next.author);
    tc_buf_free(&st->cur.author);
    tc_buf_free(&st->body);
    tc_fields_free(&st->post.extras);
    free(st);
}

static int nomem(tc_stream *in)
{
    return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
}

static int keep_prologue_line(tc_stream *in, mumsnet_state *st, const char *p, size_t n)
{
    /* the line records count against the limit too, so a flood of blank
     * lines cannot grow memory without bound */
    if (st->prologue.len + n + (st->n_plines + 1) * sizeof(pline) > st->max)
        return tc_stream_error(in, TC_ERR_DATA, tc_stream_line(in), 0,
                               "no post header in the first %zu bytes (the max-post limit): "
                               "expected a header like " CLASSIC_SHAPE " or " CURRENT_SHAPE,
                               st->max);
    if (st->n_plines == st->cap_plines) {
        size_t cap = st->cap_plines ? st->cap_plines * 2 : 32;
        pline *pl = realloc(st->plines, cap * sizeof *pl);
        if (pl == NULL)
            return nomem(in);
        st->plines = pl;
        st->cap_plines = cap;
    }
    st->plines[st->n_plines].off = st->prologue.len;
    st->plines[st->n_plines].len = n;
    st->n_plines++;
    if (tc_buf_append(&st->prologue, p, n) != TC_OK)
        return nomem(in);
    return TC_OK;
}

/* Join prologue lines [from, to) with "\n", blank lines at either end
 * left out, and store the result as key (when not empty). */
static int set_joined(tc_stream *in, mumsnet_state *st, const char *key, size_t from, size_t to,
                      tc_buf *scratch)
{
    collector c = {scratch, 0, false};
    bool over = false;
    tc_buf_reset(scratch);
    for (size_t i = from; i < to; i++)
        if (collect(&c, st->prologue.data + st->plines[i].off, st->plines[i].len, 0, &over) !=
            TC_OK)
            return nomem(in);
    if (c.any && tc_fields_setn(&st->thread.extras, key, scratch->data, scratch->len) != TC_OK)
        return nomem(in);
    return TC_OK;
}

/* Build the thread header from the text before the first header. */
static int build_thread(tc_stream *in, mumsnet_state *st, uint64_t header_line)
{
    size_t n = st->n_plines;
    bool current = st->layout == LAYOUT_CURRENT;
    const char *base = st->prologue.data;
    char digits[32];
    size_t replies = SIZE_MAX, title = SIZE_MAX;

#define PL(i) (base + st->plines[i].off), st->plines[i].len

    if (current) {
        for (size_t i = 0; i < n && replies == SIZE_MAX; i++)
            if (is_replies_line(PL(i), digits, sizeof digits))
                replies = i;
    }
    if (replies != SIZE_MAX) {
        for (size_t i = replies; i-- > 0;)
            if (st->plines[i].len > 0 && !is_furniture(PL(i))) {
                title = i;
                break;
            }
    } else {
        for (size_t i = 0; i < n; i++)
            if (st->plines[i].len > 0 && !(current && is_furniture(PL(i)))) {
                title = i;
                break;
            }
    }

    /* Where the text above the title ends and the text after it begins. */
    size_t pre_end, intro_start;
    if (title != SIZE_MAX) {
        pre_end = title;
        intro_start = title + 1;
    } else if (replies != SIZE_MAX) {
        pre_end = replies;
        intro_start = replies + 1;
    } else {
        pre_end = n; /* only blank lines and furniture: keep them all */
        intro_start = n;
    }

    int rc = tc_fields_set(&st->thread.extras, "mumsnet.layout", layout_names[st->layout]);
    if (rc != TC_OK)
        return nomem(in);
    tc_buf scratch = {0};
    rc = set_joined(in, st, "mumsnet.preamble", 0, pre_end, &scratch);
    if (rc == TC_OK && replies != SIZE_MAX &&
        tc_fields_set(&st->thread.extras, "mumsnet.replies", digits) != TC_OK)
        rc = nomem(in);

    /* The intro: text after the title, furniture left out. */
    collector c = {&scratch, 0, false};
    bool over = false;
    tc_buf_reset(&scratch);
    for (size_t i = intro_start; rc == TC_OK && i < n; i++) {
        if (i == replies)
            continue;
        if (current && is_furniture(PL(i))) {
            if (is_op_marker(PL(i)))
                st->first_post_op = true;
            continue;
        }
        if (collect(&c, PL(i), 0, &over) != TC_OK)
            rc = nomem(in);
    }
    if (rc == TC_OK && c.any &&
        tc_fields_setn(&st->thread.extras, "mumsnet.intro", scratch.data, scratch.len) != TC_OK)
        rc = nomem(in);
    tc_buf_free(&scratch);

    if (rc == TC_OK && title != SIZE_MAX &&
        tc_buf_append(&st->title, PL(title)) != TC_OK)
        rc = nomem(in);
    if (rc == TC_OK && title == SIZE_MAX)
        tc_stream_warn(in, header_line, 0,
                       "no thread title before the first post header; the title is empty");
#undef PL

    /* The text before the header is not needed any more. */
    tc_buf_free(&st->prologue);
    free(st->plines);
    st->plines = NULL;
    st->n_plines = st->cap_plines = 0;
    if (rc != TC_OK)
        return rc;

    st->thread.title = st->title.data ? st->title.data : "";
    st->thread.source = "mumsnet";
    st->thread.id = NULL;
    st->thread.url = NULL;
    return TC_OK;
}

static int mumsnet_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    mumsnet_state *st = state;
    if (st->phase != 0) {
        st->phase = 2;
        return TC_EOF; /* one file, one thread */
    }

    const char *p;
    size_t n;
    int rc;
    bool text = false;
    bool in_place = true; /* see classic_header_ok */
    size_t text_lines = 0;
    for (;;) {
        rc = next_line(in, &p, &n);
        if (rc == TC_EOF)
            break;
        if (rc != TC_OK)
            return rc;
        fields f;
        enum layout l = match_header(p, n, &f);
        if (l == LAYOUT_CLASSIC && !classic_header(in, p, &f, in_place, NULL))
            l = LAYOUT_NONE;
        /* the next line is in a header's place after a blank line, or right
         * after the title (the first line of text) */
        if (n > 0)
            text_lines++;
        in_place = n == 0 || text_lines == 1;
        if (l != LAYOUT_NONE) {
            st->layout = l;
            rc = read_header(in, p, l, &f, NULL, &st->next);
            if (rc != TC_OK)
                return rc;
            st->have_next = true;
            break;
        }
        if (n > 0)
            text = true;
        rc = keep_prologue_line(in, st, p, n);
        if (rc != TC_OK)
            return rc;
    }
    if (!st->have_next) {
        if (!text)
            return tc_stream_error(in, TC_ERR_DATA, 0, 0,
                                   "empty input: expected a thread title followed by posts "
                                   "with headers like " CLASSIC_SHAPE " or " CURRENT_SHAPE);
        return tc_stream_error(in, TC_ERR_DATA, tc_stream_line(in), 0,
                               "no post header found: expected a line like " CLASSIC_SHAPE
                               " or " CURRENT_SHAPE ", found the end of the input");
    }
    rc = build_thread(in, st, st->next.line);
    if (rc != TC_OK)
        return rc;
    st->phase = 1;
    *thread = &st->thread;
    return TC_OK;
}

/* Decimal digits of v into out (at least 21 bytes); cheaper than snprintf
 * once per post. */
static void format_id(char *out, uint64_t v)
{
    char tmp[21];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
}

/*
 * See mumsnet_read_next_post: the lines of a post whose header is impossible are
 * passed over up to the next header of the thread's layout.  That header is
 * kept and read at the next call, after the core has dealt with this
 * post's error, so a bad header right after a bad one gets its own message.
 */
static int skip_bad_post(tc_stream *in, mumsnet_state *st)
{
    st->next_bad = false;
    st->have_next = false;
    st->n_posts++; /* ids stay positions in the text */
    const char *p;
    size_t n;
    int rc;
    bool in_place = false; /* the line above is the bad header */
    while ((rc = next_line(in, &p, &n)) == TC_OK) {
        fields f;
        enum layout l = match_header(p, n, &f);
        bool here = in_place;
        in_place = n == 0;
        if (l != st->layout || (l == LAYOUT_CLASSIC && !classic_header_ok(p, &f, here)))
            continue;
        tc_buf_reset(&st->pending);
        if (tc_buf_append(&st->pending, p, n) != TC_OK)
            return nomem(in);
        st->have_pending = true;
        break;
    }
    if (rc != TC_OK && rc != TC_EOF)
        return rc;
    return TC_SKIPPED;
}

/* Read the header skip_bad_post kept (the stream's line count is still its). */
static int read_pending_header(tc_stream *in, mumsnet_state *st)
{
    st->have_pending = false;
    fields f;
    enum layout l = match_header(st->pending.data, st->pending.len, &f);
    int rc = read_header(in, st->pending.data, l, &f, &st->cur.date, &st->next);
    if (rc == TC_ERR_DATA)
        st->next_bad = true;
    else if (rc != TC_OK)
        return rc;
    st->have_next = true;
    return TC_OK;
}

static int mumsnet_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    mumsnet_state *st = state;
    if (st->have_pending) {
        int rc = read_pending_header(in, st);
        if (rc != TC_OK)
            return rc;
    }
    if (st->phase != 1 || !st->have_next) {
        st->phase = 2;
        return TC_EOF;
    }

    /* A post whose header held an impossible date: its error is already set
     * (at the header's line).  Step over its text to the next header, so
     * that with --keep-going the conversion goes on after it. */
    if (st->next_bad)
        return skip_bad_post(in, st);

    /* The read-ahead header becomes this post's; its buffer is reused for
     * the next read-ahead. */
    header tmp = st->cur;
    st->cur = st->next;
    st->next = tmp;
    st->have_next = false;

    tc_buf_reset(&st->body);
    tc_fields_clear(&st->post.extras);
    bool op = st->n_posts == 0 && st->first_post_op;
    bool current = st->layout == LAYOUT_CURRENT;
    collector c = {&st->body, 0, false};

    const char *p;
    size_t n;
    int rc;
    bool in_place = false; /* the line above is this post's header */
    for (;;) {
        rc = next_line(in, &p, &n);
        if (rc == TC_EOF)
            break;
        if (rc != TC_OK)
            return rc;
        fields f;
        enum layout l = match_header(p, n, &f);
        if (l == LAYOUT_CLASSIC && !current &&
            !classic_header(in, p, &f, in_place, st->cur.author.data))
            l = LAYOUT_NONE;
        in_place = n == 0;
        if (l == st->layout) {
            rc = read_header(in, p, l, &f, &st->cur.date, &st->next);
            if (rc == TC_ERR_DATA) {
                /* This post ends here and is fine; the next one is bad. */
                st->next_bad = true;
            } else if (rc != TC_OK) {
                return rc;
            }
            st->have_next = true;
            break;
        }
        if (l != LAYOUT_NONE)
            tc_stream_warn(in, tc_stream_line(in), 0,
                           "line looks like a %s-layout post header, but this thread uses the "
                           "%s layout; kept as text of the post by %s",
                           layout_names[l], layout_names[st->layout], st->cur.author.data);
        else if (current && is_furniture(p, n)) {
            if (is_op_marker(p, n))
                op = true;
            continue;
        }
        bool over = false;
        if (collect(&c, p, n, st->max, &over) != TC_OK)
            return nomem(in);
        if (over)
            return tc_stream_error(in, TC_ERR_DATA, tc_stream_line(in), 0,
                                   "post body is longer than the max-post limit (%zu bytes): "
                                   "post %llu by %s, header on line %llu",
                                   st->max, (unsigned long long)st->n_posts + 1,
                                   st->cur.author.data, (unsigned long long)st->cur.line);
    }

    st->n_posts++;
    format_id(st->id, st->n_posts);
    if (op && tc_fields_set(&st->post.extras, "mumsnet.op", "true") != TC_OK)
        return nomem(in);
    st->post.id = st->id;
    st->post.author = st->cur.author.data ? st->cur.author.data : "";
    st->post.date = st->cur.date;
    st->post.body = st->body.data ? st->body.data : "";
    st->post.body_len = st->body.len;
    st->post.parent_id = NULL;
    *post = &st->post;
    return TC_OK;
}

TC_MODULE_DEFINE(mumsnet,
    .description = "Mumsnet Talk threads copied as text",
    .version = "2.0.0",
    .license = "MIT",
    TC_MODULE_FORMATS({
        .name = "mumsnet",
        .description = "Mumsnet Talk thread copied as text (classic and current page layouts)",
        .read_probe = mumsnet_probe,
        .read_open = mumsnet_read_open, .read_next_thread = mumsnet_read_next_thread,
        .read_next_post = mumsnet_read_next_post, .read_close = mumsnet_read_close,
        .write_open = mumsnet_write_open, .write_begin_thread = mumsnet_write_begin_thread,
        .write_post = mumsnet_write_post, .write_end_thread = mumsnet_write_end_thread,
        .write_finish = mumsnet_write_finish, .write_close = mumsnet_write_close,
        .options = mumsnet_options, .extension = "txt",
        /* every line is checked by next_line; fields split at ASCII */
        .flags = TC_FORMAT_READS_UTF8}));
