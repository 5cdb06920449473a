/*
 * test_json_oracle.c - the json and jsonl readers against the frozen
 * verdicts of the readers they replaced, built on jansson: which documents
 * are read and which refused, what comes out of them, and every message
 * with its line and column.
 *
 * Generated inputs (a seeded PRNG, tests/prng.h: the same every run) follow
 * the schema loosely: members in any order ("posts" first, last or between;
 * "format" after "threads"), sometimes missing, of the wrong type,
 * reserved, empty, repeated, unknown; dates in every accepted form and some
 * that are not; strings with escapes and UTF-8; jsonl lines grouped by
 * equal thread objects written the same or differently (members reordered,
 * escapes), lines holding only "thread", blank lines, CRLF, a BOM; and now
 * and then a byte changed, cut or added.  Some documents are larger than
 * the json reader's window (64 KiB), so that looking ahead past "posts" and
 * coming back to it cross windows.
 *
 * Each input is read as the core reads it, through the checked session
 * (and, for jsonl, once more with --keep-going, stepping over skipped
 * lines), into a log of everything handed out: every thread and post field
 * and extra field, every skipped line's message, and the end (its status,
 * message, line and column).  What the old readers said of the same inputs
 * is in oracle-verdicts.txt, recorded once from them before they were
 * removed (git history: this file before "compare the new readers with
 * frozen verdicts"): for each input the status, line and column of the end
 * and a digest of the log.  The new reader must say the same, with one
 * intended difference: the json reader streams, so when a document turns
 * out to be bad after some threads or posts were handed out, those are in
 * its log and were not in the old one's (which read the whole document
 * first); for a refused json document only the end is compared.
 *
 * And one change of rule since: the old readers refused \u0000 anywhere (a
 * syntax error, jansson's "\u0000 is not allowed without JSON_ALLOW_NUL"),
 * the new ones read it in a post's body, where the model allows U+0000,
 * and refuse it elsewhere with a message of their own (issue 13).  So an
 * input holding \u0000 has a verdict that changed by design: it is not
 * compared when the new reader says something else of it.  Nothing else
 * is excused with it: for a json document the recorded end is shown to be
 * jansson's message about the \u0000 (made again from the input, it has
 * the recorded digest); for jsonl, whose digest covers the whole log, the
 * input must hold \u0000.  How many there were is printed.  The new rule is tested where it is worked out by hand
 * (test_json_read.c, the case folders, test_json_pull.c against jansson's
 * JSON_ALLOW_NUL).  The file of verdicts is as it was recorded.
 */
#include "prng.h"
#include "testutil.h"

#include <threadconv/convert.h>
#include <threadconv/plugin.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Reading into a log                                                  */
/* ------------------------------------------------------------------ */

/* Check's ck_assert macros record every check that passes (a write each):
 * these only call Check when they fail. */
#define REQ_MSG(c, ...)                                                        \
    do {                                                                       \
        if (!(c))                                                              \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

static void logf_(tc_buf *b, const char *fmt, ...) TC_PRINTF(2, 3);
static void logf_(tc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[2048];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    REQ_MSG(n >= 0 && tc_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1) == TC_OK,
            "log");
}

static void log_str(tc_buf *b, const char *what, const char *s, size_t len)
{
    if (s == NULL) {
        logf_(b, " %s=NULL", what);
        return;
    }
    logf_(b, " %s(%zu)=", what, len);
    REQ_MSG(tc_buf_append(b, s, len) == TC_OK, "log");
}

static void log_fields(tc_buf *b, const tc_fields *f)
{
    for (size_t i = 0; i < f->count; i++) {
        log_str(b, "key", f->items[i].key, strlen(f->items[i].key));
        log_str(b, "value", f->items[i].value, strlen(f->items[i].value));
    }
}

/* Where the log's end starts (after the threads and posts). */
typedef struct read_log {
    tc_buf text;
    size_t end;
    int rc;
    uint64_t line, column; /* of the error at the end (0 when none) */
} read_log;

/* A post the reader skipped (--keep-going), as the session reports it. */
static void log_skipped(void *user, const tc_error *w)
{
    static const char prefix[] = "skipped (--keep-going): ";
    REQ_MSG(strncmp(w->text, prefix, sizeof prefix - 1) == 0, "warning: %s", w->text);
    logf_(user, "\n  skipped %llu:%llu %s", (unsigned long long)w->line,
          (unsigned long long)w->column, w->text + sizeof prefix - 1);
}

/* Read as the core does, through the checked session: every thread, every
 * post; a skipped post (TC_SKIPPED) is the end unless keep_going, when its
 * message is logged and reading goes on. */
static void read_into_log(const tc_format *p, const char *data, size_t len, bool keep_going,
                          read_log *log)
{
    tc_buf *b = &log->text;
    tc_buf_reset(b);
    tc_stream *in = tc_stream_open_memory(data, len, "t");
    REQ_MSG(in != NULL, "stream");
    tc_stream_set_warning_fn(in, log_skipped, b);
    tc_reader *r = NULL;
    tc_error e;
    int rc = tc_reader_open(p, in, keep_going ? TC_READ_KEEP_GOING : 0, &r, &e);
    if (rc == TC_OK) {
        const tc_thread *t;
        while ((rc = tc_reader_next_thread(r, &t, &e)) == TC_OK) {
            logf_(b, "\nthread");
            log_str(b, "title", t->title, strlen(t->title));
            log_str(b, "source", t->source, strlen(t->source));
            log_str(b, "id", t->id, t->id ? strlen(t->id) : 0);
            log_str(b, "url", t->url, t->url ? strlen(t->url) : 0);
            log_fields(b, &t->extras);
            const tc_post *q;
            while ((rc = tc_reader_next_post(r, &q, &e)) == TC_OK) {
                logf_(b, "\n  post");
                log_str(b, "id", q->id, strlen(q->id));
                log_str(b, "author", q->author, strlen(q->author));
                logf_(b, " date=%d/%lld/%d", q->date.present, (long long)q->date.utc,
                      (int)q->date.offset_min);
                REQ_MSG(q->body[q->body_len] == '\0', "body not NUL-terminated");
                log_str(b, "body", q->body, q->body_len);
                log_str(b, "parent", q->parent_id, q->parent_id ? strlen(q->parent_id) : 0);
                log_fields(b, &q->extras);
            }
            if (rc != TC_EOF)
                break;
        }
        tc_reader_close(r);
    }
    if (rc == TC_EOF)
        rc = TC_OK;
    log->end = b->len;
    log->rc = rc;
    log->line = rc != TC_OK ? e.line : 0;
    log->column = rc != TC_OK ? e.column : 0;
    if (rc != TC_OK) {
        REQ_MSG(e.code == rc, "%s returned %d but set %d (%s)", p->name, rc, e.code, e.text);
        logf_(b, "\nend %d %llu:%llu %s", rc, (unsigned long long)e.line,
              (unsigned long long)e.column, e.text);
    } else {
        logf_(b, "\nend OK");
    }
    tc_stream_close(in);
}

/* The frozen verdicts (see the top), and the next one to compare with. */
static char *verdicts;
static const char *next_verdict;

static tc_registry *reg;
static const tc_format *new_json, *new_jsonl;

static void setup(void)
{
    reg = tc_registry_new();
    REQ_MSG(reg != NULL && tc_registry_add_search_dirs(reg, NULL, 0, true) == TC_OK, "registry");
    tc_error err;
    new_json = tc_registry_find(reg, "json", &err);
    REQ_MSG(new_json != NULL, "json plugin: %s", err.text);
    new_jsonl = tc_registry_find(reg, "jsonl", &err);
    REQ_MSG(new_jsonl != NULL, "jsonl plugin: %s", err.text);
}

static void teardown(void)
{
    tc_registry_free(reg);
    free(verdicts);
    verdicts = NULL;
}

static size_t n_inputs, n_read, n_nul, n_nul_same;

/* Whether the text holds the escape \u0000 (any case: it is all digits). */
static bool holds_nul_escape(const char *data, size_t len)
{
    for (size_t i = 0; i + 6 <= len; i++)
        if (data[i] == '\\' && memcmp(data + i + 1, "u0000", 5) == 0) {
            size_t k = i; /* an escaped backslash before it makes it text */
            while (k > 0 && data[k - 1] == '\\')
                k--;
            if ((i - k) % 2 == 0)
                return true;
        }
    return false;
}

static const char *show(const char *doc, size_t len)
{
    static char out[1200];
    size_t k = 0;
    for (size_t i = 0; i < len && k + 8 < sizeof out; i++) {
        unsigned char c = (unsigned char)doc[i];
        if (c >= 0x20 && c < 0x7F)
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, sizeof out - k, "\\x%02X", c);
    }
    out[k] = '\0';
    return out;
}

/* FNV-1a, 64 bits. */
static uint64_t digest(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    return h;
}

/* Start on the verdicts of test: the lines after "@ test". */
static void verdicts_for(const char *test)
{
    if (verdicts == NULL) {
        char *path = tu_path("THREADCONV_SRCDIR", "plugins/json/tests/oracle-verdicts.txt");
        verdicts = tu_slurp(path, NULL);
        free(path);
    }
    char head[128];
    snprintf(head, sizeof head, "\n@ %s\n", test);
    const char *at = strstr(verdicts, head);
    REQ_MSG(at != NULL, "oracle-verdicts.txt has no verdicts for %s", test);
    next_verdict = at + strlen(head);
}

/* Whether the old json reader's end (status rc at line:column, its digest
 * want) was jansson's refusal of a \u0000: "not a JSON document: \u0000 is
 * not allowed without JSON_ALLOW_NUL", said at the end of the string
 * holding it, with " near '...'" and the string when it is at most 20
 * bytes.  The string ends where the column says (characters of that line,
 * after a BOM on the first). */
static bool old_nul_refusal(const char *data, size_t len, int rc, unsigned long long line,
                            unsigned long long column, unsigned long long want)
{
    if (rc != TC_ERR_DATA || line == 0 || column == 0)
        return false;
    size_t at = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        at = 3;
    for (unsigned long long l = 1; l < line && at < len; at++)
        if (data[at] == '\n')
            l++;
    for (unsigned long long c = 0; c < column && at < len; c++) {
        at++;
        while (at < len && ((unsigned char)data[at] & 0xC0) == 0x80)
            at++;
    }
    static const char text[] = "not a JSON document: \\u0000 is not allowed without "
                               "JSON_ALLOW_NUL";
    char end[256];
    snprintf(end, sizeof end, "\nend %d %llu:%llu %s", rc, line, column, text);
    if (digest(end, strlen(end)) == want)
        return true; /* a string longer than 20 bytes: no context */
    for (size_t start = at >= 20 ? at - 20 : 0; start + 1 < at; start++) {
        if (data[start] != '"')
            continue;
        snprintf(end, sizeof end, "\nend %d %llu:%llu %s near '%.*s'", rc, line, column, text,
                 (int)(at - start), data + start);
        if (digest(end, strlen(end)) == want)
            return true;
    }
    return false;
}

/* The new reader says of data what the old one did. */
static void compare(const tc_format *new, const char *data, size_t len, bool keep_going,
                    bool streams)
{
    int rc;
    unsigned long long line, column, want;
    int used = 0;
    REQ_MSG(next_verdict != NULL &&
                sscanf(next_verdict, "%d %llu:%llu %llx\n%n", &rc, &line, &column, &want,
                       &used) == 4 && used > 0,
            "oracle-verdicts.txt ends or is damaged after %zu inputs", n_inputs);
    next_verdict += used;
    read_log b = {0};
    read_into_log(new, data, len, keep_going, &b);
    n_inputs++;
    n_read += b.rc == TC_OK;
    size_t from = streams && b.rc != TC_OK ? b.end : 0;
    uint64_t got = digest(b.text.data + from, b.text.len - from);
    bool same = b.rc == rc && b.line == line && b.column == column && got == want;
    if (!same && holds_nul_escape(data, len)) {
        /* Changed by design (see the top).  For a json document the old
         * verdict is shown to be jansson's \u0000 refusal: its end, made
         * again from the input, has the recorded digest. */
        REQ_MSG(!streams || old_nul_refusal(data, len, rc, line, column, want),
                "%s, input %zu holds \\u0000, reads differently, but the old reader did not "
                "refuse it for \\u0000 (status %d at %llu:%llu): [%s]", new->name, n_inputs,
                rc, line, column, show(data, len));
        n_nul++;
        tc_buf_free(&b.text);
        return;
    }
    n_nul_same += holds_nul_escape(data, len);
    REQ_MSG(same,
            "%s%s, input %zu: [%s]\n-- the old reader: status %d at %llu:%llu, log %016llx\n"
            "-- the new reader: status %d at %llu:%llu, log %016llx:%s",
            new->name, keep_going ? " --keep-going" : "", n_inputs, show(data, len), rc, line,
            column, want, b.rc, (unsigned long long)b.line, (unsigned long long)b.column,
            (unsigned long long)got, b.text.data + from);
    tc_buf_free(&b.text);
}

/* ------------------------------------------------------------------ */
/* Generating documents                                                */
/* ------------------------------------------------------------------ */

static bool chance(unsigned per_mille)
{
    return below(1000) < per_mille;
}

/* How often a generated member goes wrong, per mille. */
static unsigned fault;

static void put(tc_buf *b, const char *s)
{
    REQ_MSG(tc_buf_append(b, s, strlen(s)) == TC_OK, "put");
}

static void putn(tc_buf *b, const char *s, size_t n)
{
    REQ_MSG(tc_buf_append(b, s, n) == TC_OK, "put");
}

static const char *pick(const char *const *list, size_t n)
{
    return list[below(n)];
}
#define PICK(list) pick((list), sizeof(list) / sizeof((list)[0]))

static void ws(tc_buf *b)
{
    static const char *const spaces[] = {" ", "\n", "\n  ", "\t", "\r\n", " \n    "};
    if (chance(200))
        put(b, PICK(spaces));
}

/* A string's text (between its quotes). */
static void text(tc_buf *b, size_t max)
{
    static const char *const pieces[] = {
        "a", "Hello", " ", "x y", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\r\\n", "\\u00e9",
        "\\u2014", "\\uD83D\\uDC4D", "\xC3\xA9", "\xE2\x80\x94", "\xF0\x9F\x91\x8D", "\xD7\xA9",
        "\\u001B", "caf\\u00E9", "\\b\\f", "0", "-"};
    for (size_t n = below(max); n > 0; n--)
        put(b, PICK(pieces));
    if (chance(fault / 4)) {
        static const char *const bad[] = {"\xFF", "\\x", "\\uD800", "\x01", "\\u0000", "\xC3"};
        put(b, PICK(bad));
    }
}

static void string(tc_buf *b, size_t max)
{
    put(b, "\"");
    text(b, max);
    put(b, "\"");
}

/* A value that is not a string. */
static void other_value(tc_buf *b)
{
    static const char *const others[] = {"1", "-2", "1.5", "true", "false", "null", "{}",
                                         "[]", "[\"a\"]", "{\"a\":\"b\"}", "0", "12e3"};
    put(b, PICK(others));
}

typedef struct member {
    tc_buf text; /* "name": value */
} member;

/* Write members in a random order, with commas and white space. */
static void members_write(tc_buf *b, member *m, size_t n)
{
    for (size_t i = n; i > 1; i--) { /* shuffle */
        size_t k = below(i);
        member t = m[i - 1];
        m[i - 1] = m[k];
        m[k] = t;
    }
    put(b, "{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(b, ",");
        ws(b);
        putn(b, m[i].text.data, m[i].text.len);
        ws(b);
    }
    put(b, "}");
}

static void members_free(member *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tc_buf_free(&m[i].text);
}

static void members_out(tc_buf *b, member *m, size_t n)
{
    members_write(b, m, n);
    members_free(m, n);
}

/* Add "name": then a value: a string (max pieces) or, at fault, another. */
static member *add(member *m, size_t *n, const char *name)
{
    member *x = &m[(*n)++];
    memset(x, 0, sizeof *x);
    put(&x->text, "\"");
    put(&x->text, name);
    put(&x->text, "\":");
    ws(&x->text);
    return x;
}

static void add_string(member *m, size_t *n, const char *name, size_t max)
{
    member *x = add(m, n, name);
    if (chance(fault))
        other_value(&x->text);
    else
        string(&x->text, max);
}

static void extras(member *m, size_t *n, bool post)
{
    static const char *const names[] = {"board", "views", "mumsnet.layout", "x y", "\xC3\xA9",
                                        "n", "X-Mailer", "\\u0062oard"};
    static const char *const reserved[] = {"author", "title", "posts", "thread", "format", "",
                                           "version", "threads"};
    size_t k = below(3);
    for (size_t i = 0; i < k; i++) {
        /* repeated names are refused by the parser (as by jansson) */
        if (chance(fault / 2))
            add_string(m, n, PICK(reserved), 3);
        else
            add_string(m, n, names[below(sizeof names / sizeof names[0])], 4);
    }
    (void)post;
}

static void date(member *m, size_t *n)
{
    static const char *const dates[] = {
        "\"2021-02-04T21:33:59+00:00\"", "\"2024-03-01T12:00:00Z\"",
        "\"2024-03-01 13:00:00.250+00:00\"", "\"1969-12-31T20:00:00-04:00\"",
        "\"2021-07-12T23:35:00+05:30\"", "null", "null"};
    static const char *const bad[] = {"\"yesterday\"", "false", "20210204", "\"2021-02-30T00:00:00Z\"",
                                      "\"\"", "{}"};
    member *x = add(m, n, "date");
    put(&x->text, chance(fault) ? PICK(bad) : PICK(dates));
}

static void post(tc_buf *b, size_t body)
{
    if (chance(fault / 3)) {
        other_value(b);
        return;
    }
    member m[16];
    size_t n = 0;
    if (!chance(fault / 3))
        add_string(m, &n, "id", 2);
    if (!chance(fault / 3))
        add_string(m, &n, "author", 3);
    if (!chance(fault / 3))
        date(m, &n);
    if (!chance(fault / 3))
        add_string(m, &n, "body", body);
    if (chance(300))
        add_string(m, &n, "parent", 2);
    extras(m, &n, true);
    members_out(b, m, n);
}

/* A thread object's members; posts: how many posts (json), or jsonl. */
static void thread_members(member *m, size_t *n, size_t n_posts, size_t body, bool jsonl)
{
    if (!chance(fault / 3))
        add_string(m, n, "title", 4);
    if (!chance(fault / 3))
        add_string(m, n, "source", 2);
    if (jsonl) {
        /* a position, a string id, or something else */
        static const char *const ids[] = {"1", "2", "7", "\"t1\"", "\"2\""};
        static const char *const bad[] = {"0", "-1", "1.0", "true", "null"};
        if (chance(700))
            put(&add(m, n, "id")->text, chance(fault) ? PICK(bad) : PICK(ids));
    } else if (chance(500)) {
        add_string(m, n, "id", 2);
    }
    if (chance(300))
        add_string(m, n, "url", 2);
    extras(m, n, false);
    if (!jsonl && !chance(fault / 3)) {
        member *x = add(m, n, "posts");
        if (chance(fault / 3)) {
            other_value(&x->text);
        } else {
            put(&x->text, "[");
            for (size_t i = 0; i < n_posts; i++) {
                if (i)
                    put(&x->text, ",");
                ws(&x->text);
                post(&x->text, body);
            }
            ws(&x->text);
            put(&x->text, "]");
        }
    }
}

static void thread(tc_buf *b, size_t n_posts, size_t body)
{
    if (chance(fault / 3)) {
        other_value(b);
        return;
    }
    member m[16];
    size_t n = 0;
    thread_members(m, &n, n_posts, body, false);
    members_out(b, m, n);
}

static void json_document(tc_buf *b, size_t max_threads, size_t max_posts, size_t body)
{
    if (chance(50))
        put(b, "\xEF\xBB\xBF");
    ws(b);
    member m[8];
    size_t n = 0;
    if (chance(700)) {
        member *x = add(m, &n, "format");
        static const char *const bad[] = {"\"other\"", "1", "null", "\"threadconvx\""};
        put(&x->text, chance(fault) ? PICK(bad) : "\"threadconv\"");
    }
    if (chance(700)) {
        member *x = add(m, &n, "version");
        static const char *const bad[] = {"2", "\"1\"", "1.0", "-0", "true"};
        put(&x->text, chance(fault) ? PICK(bad) : "1");
    }
    if (!chance(fault / 5)) {
        member *x = add(m, &n, "threads");
        if (chance(fault / 5)) {
            other_value(&x->text);
        } else {
            put(&x->text, "[");
            size_t k = below(max_threads + 1);
            for (size_t i = 0; i < k; i++) {
                if (i)
                    put(&x->text, ",");
                ws(&x->text);
                thread(&x->text, below(max_posts + 1), body);
            }
            put(&x->text, "]");
        }
    }
    if (chance(fault / 5)) {
        member *x = add(m, &n, "comment");
        put(&x->text, "\"hi\"");
    }
    if (chance(fault / 10)) /* a repeated member */
        put(&add(m, &n, chance(500) ? "format" : "threads")->text, "[]");
    members_out(b, m, n);
    ws(b);
}

/* jsonl: lines grouped in threads; the thread object written the same way
 * on each line, or with its members in another order (equal all the same),
 * or now and then not an object at all. */
static void jsonl_document(tc_buf *b, size_t max_threads, size_t max_posts, size_t body)
{
    if (chance(50))
        put(b, "\xEF\xBB\xBF");
    size_t k = below(max_threads + 1);
    for (size_t i = 0; i < k; i++) {
        member m[16];
        size_t n = 0;
        thread_members(m, &n, 0, 0, true);
        tc_buf t = {0};
        members_write(&t, m, n);
        size_t posts = below(max_posts + 1);
        for (size_t j = 0; j <= posts; j++) {
            if (j == posts && posts > 0 && !chance(100))
                break; /* usually no line holding only the thread */
            if (chance(50))
                put(b, chance(500) ? "\n" : "  \t\r\n");
            put(b, "{");
            if (!chance(fault / 3)) {
                put(b, "\"thread\":");
                if (chance(fault / 3))
                    other_value(b);
                else if (chance(200))
                    members_write(b, m, n); /* reordered */
                else
                    putn(b, t.data, t.len);
            }
            if (j < posts) {
                tc_buf p = {0};
                post(&p, body);
                if (p.len > 2 && p.data[0] == '{') {
                    if (b->data[b->len - 1] != '{')
                        put(b, ",");
                    putn(b, p.data + 1, p.len - 1);
                } else {
                    put(b, "}");
                }
                tc_buf_free(&p);
            } else {
                put(b, "}");
            }
            put(b, chance(100) ? "\r\n" : "\n");
        }
        if (chance(fault))
            put(b, "[1]\n");
        members_free(m, n);
        tc_buf_free(&t);
    }
}

static void mutate(tc_buf *b)
{
    static const char alphabet[] = "{}[]:,\"\\ \n0123456789-.eutrfalsn\xFF\xC3";
    if (b->len == 0)
        return;
    size_t at = below(b->len);
    switch (below(4)) {
    case 0:
        memmove(b->data + at, b->data + at + 1, b->len - at - 1);
        b->len--;
        break;
    case 1:
        REQ_MSG(tc_buf_reserve(b, 1) == TC_OK, "mutate");
        memmove(b->data + at + 1, b->data + at, b->len - at);
        b->data[at] = alphabet[below(sizeof alphabet - 1)];
        b->len++;
        break;
    case 2:
        b->data[at] = alphabet[below(sizeof alphabet - 1)];
        break;
    default:
        b->len = at;
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void report(const char *test)
{
    REQ_MSG(*next_verdict == '@' || *next_verdict == '\0',
            "%s: oracle-verdicts.txt holds verdicts for more inputs than %zu", test, n_inputs);
    printf("%s: %zu inputs, %zu of them read without an error, as the old readers did; "
           "%zu held \\u0000 and were not compared (see the top), %zu held it and read the same\n",
           test, n_inputs, n_read, n_nul, n_nul_same);
    n_inputs = n_read = n_nul = n_nul_same = 0;
}

START_TEST(test_json_documents)
{
    verdicts_for("test_json_documents");
    prng_state = 0x0A11CE01;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        fault = i % 3 == 0 ? 0 : i % 3 == 1 ? 20 : 120;
        json_document(&b, 3, 4, 6);
        if (chance(40))
            mutate(&b);
        compare(new_json, b.data, b.len, false, true);
    }
    tc_buf_free(&b);
    report("test_json_documents");
}
END_TEST

START_TEST(test_json_large_documents)
{
    verdicts_for("test_json_large_documents");
    /* Bodies of thousands of pieces: threads larger than the reader's
     * window, with "posts" first, in the middle or last. */
    prng_state = 0x0A11CE02;
    tc_buf b = {0};
    for (int i = 0; i < 40; i++) {
        tc_buf_reset(&b);
        fault = i % 4 == 0 ? 10 : 0;
        json_document(&b, 3, 30, 3000);
        compare(new_json, b.data, b.len, false, true);
    }
    tc_buf_free(&b);
    report("test_json_large_documents");
}
END_TEST

START_TEST(test_jsonl_documents)
{
    verdicts_for("test_jsonl_documents");
    prng_state = 0x0A11CE03;
    tc_buf b = {0};
    for (int i = 0; i < 3000; i++) {
        tc_buf_reset(&b);
        fault = i % 3 == 0 ? 0 : i % 3 == 1 ? 20 : 120;
        jsonl_document(&b, 4, 4, 6);
        if (chance(40))
            mutate(&b);
        compare(new_jsonl, b.data, b.len, false, false);
        compare(new_jsonl, b.data, b.len, true, false);
    }
    tc_buf_free(&b);
    report("test_jsonl_documents");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_oracle");
    TCase *tc = tcase_create("json_oracle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_json_documents);
    tcase_add_test(tc, test_json_large_documents);
    tcase_add_test(tc, test_jsonl_documents);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
