/*
 * test_json_read.c - the json and jsonl readers and their probes.
 *
 * The plugins are loaded through the registry (both define the descriptor
 * symbol, so they cannot be linked into one program).  Fixtures under
 * tests/data/json and tests/data/jsonl are read and every field compared
 * with the values worked out by reading the files; error messages are
 * checked on small documents written here, each with the JSON path, line
 * and column that reading it by hand gives.
 */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tc_registry *reg;
static const tc_format *json_p;
static const tc_format *jsonl_p;

static void setup(void)
{
    reg = tc_registry_new();
    ck_assert_ptr_nonnull(reg);
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, NULL, 0, true), TC_OK);
    tc_error err;
    json_p = tc_registry_find(reg, "json", &err);
    ck_assert_msg(json_p != NULL, "json plugin: %s", err.text);
    jsonl_p = tc_registry_find(reg, "jsonl", &err);
    ck_assert_msg(jsonl_p != NULL, "jsonl plugin: %s", err.text);
    ck_assert_ptr_nonnull(json_p->read_open);
    ck_assert_ptr_nonnull(jsonl_p->read_open);
}

static void teardown(void)
{
    tc_registry_free(reg);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static tu_archive *read_data(const tc_format *p, const char *rel)
{
    char *path = tu_path("THREADCONV_TESTDATA", rel);
    tu_archive *a = tu_read_file(p, path);
    free(path);
    return a;
}

static tu_archive *read_text(const tc_format *p, const char *text)
{
    return tu_read_memory(p, text, strlen(text), "t");
}

static int64_t utc_of(int64_t y, int mo, int d, int h, int mi, int s)
{
    return tc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static void assert_date(tc_date got, int64_t utc, int32_t offset_min)
{
    ck_assert_msg(got.present, "date missing, expected %lld", (long long)utc);
    ck_assert_int_eq(got.utc, utc);
    ck_assert_int_eq(got.offset_min, offset_min);
}

static void assert_opt(const char *got, const char *want)
{
    if (want == NULL)
        ck_assert_msg(got == NULL, "expected no value, got \"%s\"", got);
    else
        ck_assert_str_eq(got ? got : "(NULL)", want);
}

static void assert_body(const tu_post *p, const char *want)
{
    ck_assert_uint_eq(p->body_len, strlen(want));
    ck_assert_mem_eq(p->body, want, p->body_len);
}

/* The fields, in order: keys[i] = values[i]; keys ends with NULL. */
static void assert_fields(const tc_fields *f, const char *const *keys, const char *const *values)
{
    size_t n = 0;
    while (keys[n])
        n++;
    ck_assert_uint_eq(f->count, n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(f->items[i].key, keys[i]);
        ck_assert_str_eq(f->items[i].value, values[i]);
    }
}

#define NONE ((const char *const[]){NULL})

/* The reader fails with exactly this message at line:column (0 unknown). */
static void assert_error(const tc_format *p, const char *text, uint64_t line, uint64_t column,
                         const char *message)
{
    tu_archive *a = read_text(p, text);
    ck_assert_msg(a->rc == TC_ERR_DATA, "expected a data error (%s), got %d", message, a->rc);
    ck_assert_str_eq(a->err.text, message);
    ck_assert_uint_eq(a->err.line, line);
    ck_assert_uint_eq(a->err.column, column);
    tu_archive_free(a);
}

/* ------------------------------------------------------------------ */
/* json reader                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_json_archive)
{
    tu_archive *a = read_data(json_p, "json/archive.json");
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->n_threads, 3);

    const tu_thread *t = &a->threads[0];
    ck_assert_str_eq(t->title, "Allotments \xE2\x80\x94 who has the key?"); /* \u2014 */
    ck_assert_str_eq(t->source, "forum");
    assert_opt(t->id, "t-17");
    assert_opt(t->url, "https://example.org/t/17");
    assert_fields(&t->extras, (const char *const[]){"board", "views", NULL},
                  (const char *const[]){"Gardening", "1203"});
    ck_assert_uint_eq(t->n_posts, 4);

    const tu_post *p = &t->posts[0];
    ck_assert_str_eq(p->id, "p1");
    ck_assert_str_eq(p->author, "PeaPod");
    assert_date(p->date, utc_of(2021, 7, 12, 17, 5, 0), 60);
    assert_body(p, "Who has the key this week?\n\n\tIt was on the hook.  ");
    assert_opt(p->parent_id, NULL);
    assert_fields(&p->extras, (const char *const[]){"number", NULL}, (const char *const[]){"1"});

    p = &t->posts[1];
    ck_assert_str_eq(p->id, "p2");
    ck_assert_str_eq(p->author, "Marrow Man");
    assert_date(p->date, utc_of(2021, 7, 12, 18, 5, 0), 330); /* 23:35 at +05:30 */
    assert_body(p, "I do.\r\nBack \"Friday\" \\o/");
    assert_opt(p->parent_id, "p1");
    assert_fields(&p->extras, NONE, NONE);

    p = &t->posts[2];
    ck_assert_str_eq(p->id, "p3");
    ck_assert_str_eq(p->author, "");
    ck_assert(!p->date.present);
    assert_body(p, "");
    assert_opt(p->parent_id, "p2");
    assert_fields(&p->extras, (const char *const[]){"flag", NULL}, (const char *const[]){"deleted"});

    p = &t->posts[3];
    ck_assert_str_eq(p->author, "Zo\xC3\xAB");
    assert_date(p->date, 0, -240); /* 1969-12-31T20:00:00-04:00 is the epoch */
    assert_body(p, "\n leading blank line, and a trailing one\n");

    t = &a->threads[1];
    ck_assert_str_eq(t->title, "");
    ck_assert_str_eq(t->source, "mbox");
    assert_opt(t->id, NULL);
    assert_opt(t->url, NULL);
    ck_assert_uint_eq(t->extras.count, 0);
    ck_assert_uint_eq(t->n_posts, 0);

    t = &a->threads[2];
    ck_assert_str_eq(t->title, "Clocks go back");
    ck_assert_str_eq(t->source, "mumsnet");
    assert_fields(&t->extras, (const char *const[]){"mumsnet.layout", NULL},
                  (const char *const[]){"classic"});
    ck_assert_uint_eq(t->n_posts, 2);
    assert_date(t->posts[0].date, utc_of(2025, 10, 26, 0, 30, 0), 60);
    assert_date(t->posts[1].date, utc_of(2025, 10, 26, 1, 10, 0), 0);
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);
}
END_TEST

START_TEST(test_json_handwritten)
{
    /* A BOM, no format or version, members in another order, indented, a
     * "Z" date and one with a space and a fraction. */
    tu_archive *a = read_data(json_p, "json/handwritten.json");
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->n_threads, 1);
    const tu_thread *t = &a->threads[0];
    ck_assert_str_eq(t->title, "Written by hand");
    ck_assert_str_eq(t->source, "handmade");
    ck_assert_uint_eq(t->extras.count, 0);
    ck_assert_uint_eq(t->n_posts, 2);
    ck_assert_str_eq(t->posts[0].id, "a");
    ck_assert_str_eq(t->posts[0].author, "me");
    assert_date(t->posts[0].date, utc_of(2024, 3, 1, 12, 0, 0), 0);
    assert_body(&t->posts[0], "Hello");
    ck_assert_str_eq(t->posts[1].id, "b");
    assert_date(t->posts[1].date, utc_of(2024, 3, 1, 13, 0, 0), 0);
    assert_opt(t->posts[1].parent_id, "a");
    assert_fields(&t->posts[1].extras, (const char *const[]){"mood", NULL},
                  (const char *const[]){"chirpy"});
    tu_archive_free(a);

    a = read_data(json_p, "json/no-threads.json");
    ck_assert_int_eq(a->rc, TC_OK);
    ck_assert_uint_eq(a->n_threads, 0);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_json_errors)
{
#define DOC(threads) "{\"format\":\"threadconv\",\"version\":1,\"threads\":" threads "}"
#define POST(members) DOC("[{\"title\":\"t\",\"source\":\"s\",\"posts\":[{" members "}]}]")
    /* Syntax: jansson's line and column (the column of the byte it stopped at). */
    assert_error(json_p, "{\n\"threads\": [,]}", 2, 13,
                 "not a JSON document: unexpected token near ','");
    assert_error(json_p, "{\"threads\":[], \"threads\":[]}", 1, 24,
                 "not a JSON document: duplicate object key near '\"threads\"'");
    assert_error(json_p, "", 1, 0,
                 "not a JSON document: '[' or '{' expected near end of file");
    /* The envelope. */
    assert_error(json_p, "[]", 0, 0,
                 "the document is an array; expected an object "
                 "{\"format\":\"threadconv\",\"version\":1,\"threads\":[...]}");
    assert_error(json_p, "{\"format\":\"threadconv\",\"version\":1}", 0, 0,
                 "threads: missing; expected an array of threads (a required member)");
    assert_error(json_p, "{\"format\":\"other\",\"threads\":[]}", 0, 0,
                 "format: expected \"threadconv\", found a string \"other\"");
    assert_error(json_p, "{\"version\":2,\"threads\":[]}", 0, 0,
                 "version: this reader reads version 1 of the threadconv JSON document, "
                 "found version 2");
    assert_error(json_p, "{\"threads\":[],\"comment\":\"hi\"}", 0, 0,
                 "comment: unknown member of the document; expected only \"format\", "
                 "\"version\" and \"threads\"");
    assert_error(json_p, "{\"threads\":{}}", 0, 0,
                 "threads: expected an array of threads, found an object");
    /* Threads. */
    assert_error(json_p, DOC("[{\"title\":\"t\",\"posts\":[]}]"), 0, 0,
                 "threads[0].source: missing; expected a string (a required member)");
    assert_error(json_p, DOC("[{\"title\":\"t\",\"source\":\"s\"},{\"title\":1}]"), 0, 0,
                 "threads[0].posts: missing; expected an array of posts (a required member; "
                 "[] for none)");
    assert_error(json_p, DOC("[{\"title\":\"t\",\"source\":\"s\",\"posts\":[]},{\"title\":1}]"), 0,
                 0, "threads[1].title: expected a string, found a number");
    assert_error(json_p, DOC("[{\"title\":\"t\",\"source\":\"s\",\"views\":12,\"posts\":[]}]"), 0,
                 0, "threads[0].views: expected a string (an extra field), found a number");
    assert_error(json_p, DOC("[{\"title\":\"t\",\"source\":\"s\",\"author\":\"a\",\"posts\":[]}]"),
                 0, 0,
                 "threads[0].author: \"author\" is a name the format reserves and is not a "
                 "member of this object");
    assert_error(json_p, DOC("[\"t\"]"), 0, 0, "threads[0]: expected an object, found a string");
    /* Posts. */
    assert_error(json_p, POST("\"id\":\"1\",\"author\":5,\"date\":null,\"body\":\"\""), 0, 0,
                 "threads[0].posts[0].author: expected a string, found a number");
    assert_error(json_p, POST("\"id\":\"1\",\"author\":\"a\",\"date\":null"), 0, 0,
                 "threads[0].posts[0].body: missing; expected a string (a required member)");
    assert_error(json_p, POST("\"id\":\"1\",\"author\":\"a\",\"body\":\"\""), 0, 0,
                 "threads[0].posts[0].date: missing; expected an ISO 8601 date or null "
                 "(a required member)");
    assert_error(json_p, POST("\"id\":\"1\",\"author\":\"a\",\"date\":\"yesterday\",\"body\":\"\""),
                 0, 0,
                 "threads[0].posts[0].date: expected an ISO 8601 date and time with a UTC "
                 "offset (2021-02-04T21:33:59+00:00), found \"yesterday\"");
    assert_error(json_p, POST("\"id\":\"1\",\"author\":\"a\",\"date\":false,\"body\":\"\""), 0, 0,
                 "threads[0].posts[0].date: expected an ISO 8601 date or null, found false");
    assert_error(json_p,
                 POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"parent\":null"),
                 0, 0, "threads[0].posts[0].parent: expected a string, found null");
    assert_error(json_p,
                 POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"title\":\"x\""),
                 0, 0,
                 "threads[0].posts[0].title: \"title\" is a name the format reserves and is "
                 "not a member of this object");
#undef POST
#undef DOC
}
END_TEST

/* The column (1-based) where the first occurrence of what starts in text. */
static uint64_t column_of(const char *text, const char *what)
{
    const char *at = strstr(text, what);
    ck_assert_ptr_nonnull(at);
    const char *nl = at;
    while (nl > text && nl[-1] != '\n')
        nl--;
    uint64_t col = 1;
    for (const char *p = nl; p < at; p++)
        col += ((unsigned char)*p & 0xC0) != 0x80;
    return col;
}

START_TEST(test_nul)
{
    /* U+0000 is a character of a post's body: \u0000 is read as a NUL
     * byte there, the body's length counting it; the text around it kept. */
#define DOC(threads) "{\"format\":\"threadconv\",\"version\":1,\"threads\":" threads "}"
#define POST(members) DOC("[{\"title\":\"t\",\"source\":\"s\",\"posts\":[{" members "}]}]")
    tu_archive *a = read_text(json_p, POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,"
                                           "\"body\":\"a\\u0000b \\u00e9\\u0000\""));
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->threads[0].posts[0].body_len, 7);
    ck_assert_mem_eq(a->threads[0].posts[0].body, "a\0b \xC3\xA9\0", 8); /* and its NUL */
    tu_archive_free(a);
    a = read_text(jsonl_p, "{\"thread\":{\"title\":\"t\",\"source\":\"s\"},\"id\":\"1\","
                           "\"author\":\"a\",\"date\":null,\"body\":\"\\u0000\"}\n");
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->threads[0].posts[0].body_len, 1);
    ck_assert_mem_eq(a->threads[0].posts[0].body, "\0", 2);
    tu_archive_free(a);

    /* Anywhere else it is refused, never cut short at the NUL: the member's
     * path, the line and the column where its string starts. */
#define NUL_MSG " \\u0000 (U+0000) is allowed only in a post's body; no other string of " \
    "the model (title, id, author, parent, extra field, attachment) can hold it"
    static const struct {
        const char *doc, *at, *path;
    } json_cases[] = {
        {DOC("[{\"title\":\"T\\u0000\",\"source\":\"s\",\"posts\":[]}]"), "\"T\\u0000", "threads[0].title:"},
        {DOC("[{\"title\":\"t\",\"source\":\"\\u0000\",\"posts\":[]}]"), "\"\\u0000", "threads[0].source:"},
        {DOC("[{\"title\":\"t\",\"source\":\"s\",\"id\":\"i\\u0000\",\"posts\":[]}]"), "\"i\\u0000", "threads[0].id:"},
        {DOC("[{\"title\":\"t\",\"source\":\"s\",\"url\":\"u\\u0000\",\"posts\":[]}]"), "\"u\\u0000", "threads[0].url:"},
        {DOC("[{\"posts\":[],\"title\":\"t\",\"source\":\"s\",\"board\":\"b\\u0000\"}]"), "\"b\\u0000", "threads[0].board:"},
        {POST("\"id\":\"1\\u0000\",\"author\":\"a\",\"date\":null,\"body\":\"\""), "\"1\\u0000", "threads[0].posts[0].id:"},
        {POST("\"id\":\"1\",\"author\":\"\\u0000a\",\"date\":null,\"body\":\"\""), "\"\\u0000a", "threads[0].posts[0].author:"},
        {POST("\"id\":\"2\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"parent\":\"1\\u0000\""), "\"1\\u0000", "threads[0].posts[0].parent:"},
        {POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"x\\u0000\",\"mood\":\"m\\u0000\""), "\"m\\u0000", "threads[0].posts[0].mood:"},
        {POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"attachments\":[{\"name\":\"n\\u0000\",\"type\":\"\"}]"),
         "\"n\\u0000", "threads[0].posts[0].attachments[0].name:"},
        {POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"attachments\":[{\"name\":\"n\",\"type\":\"\",\"note\":\"\\u0000\"}]"),
         "\"\\u0000", "threads[0].posts[0].attachments[0].note:"},
    };
    char msg[512];
    for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        snprintf(msg, sizeof msg, "%s" NUL_MSG, json_cases[i].path);
        assert_error(json_p, json_cases[i].doc, 1, column_of(json_cases[i].doc, json_cases[i].at),
                     msg);
    }
    /* jsonl: the line, and the column on it */
    static const char good[] = "{\"thread\":{\"title\":\"t\",\"source\":\"s\"},\"id\":\"0\","
                               "\"author\":\"a\",\"date\":null,\"body\":\"\"}\n";
    static const struct {
        const char *line, *at, *path;
    } jsonl_cases[] = {
        {"{\"thread\":{\"title\":\"t\\u0000\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\"}\n",
         "\"t\\u0000", "thread.title:"},
        {"{\"thread\":{\"title\":\"t\",\"source\":\"s\",\"x\":\"\\u0000\"},\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\"}\n",
         "\"\\u0000", "thread.x:"},
        {"{\"thread\":{\"title\":\"t\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"a\\u0000\",\"date\":null,\"body\":\"\\u0000\"}\n",
         "\"a\\u0000", "author:"},
        {"{\"thread\":{\"title\":\"t\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\",\"x\":\"\\u0000\"}\n",
         "\"\\u0000", "x:"},
    };
    for (size_t i = 0; i < sizeof jsonl_cases / sizeof jsonl_cases[0]; i++) {
        snprintf(msg, sizeof msg, "%s" NUL_MSG, jsonl_cases[i].path);
        char two[600];
        snprintf(two, sizeof two, "%s%s", good, jsonl_cases[i].line);
        assert_error(jsonl_p, two, 2, column_of(jsonl_cases[i].line, jsonl_cases[i].at), msg);
    }
    /* In a member name, and in "data" (not base64), as before; jansson's
     * column for the name: the 91 characters before it and its 9. */
    assert_error(json_p, POST("\"id\":\"1\",\"a\\u0000\":\"x\""), 1, 100,
                 "not a JSON document: NUL byte in object key not supported near '\"a\\u0000\"'");
    static const char data[] = POST("\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"\","
                                    "\"attachments\":[{\"name\":\"n\",\"type\":\"\",\"data\":\"AA\\u0000A\"}]");
    assert_error(json_p, data, 1, column_of(data, "\"AA\\u0000"),
                 "threads[0].posts[0].attachments[0].data: not base64 (RFC 4648): U+0000 at "
                 "character 3");
#undef NUL_MSG
#undef POST
#undef DOC
}
END_TEST

START_TEST(test_json_member_order)
{
    /* The reader streams, but members may come in any order: "posts" first,
     * between or last; the document's "format" and "version" after
     * "threads".  The same archive every time. */
#define P1 "{\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"one\"}"
#define P2 "{\"body\":\"two\",\"parent\":\"1\",\"date\":\"2024-03-01T12:00:00Z\",\"id\":\"2\",\"author\":\"b\",\"n\":\"2\"}"
    static const char *const docs[] = {
        "{\"format\":\"threadconv\",\"version\":1,\"threads\":[{\"title\":\"T\",\"source\":\"s\",\"k\":\"v\",\"posts\":[" P1 "," P2 "]},{\"title\":\"U\",\"source\":\"s\",\"posts\":[]}]}",
        "{\"threads\":[{\"posts\":[" P1 "," P2 "],\"title\":\"T\",\"source\":\"s\",\"k\":\"v\"},{\"posts\":[],\"source\":\"s\",\"title\":\"U\"}],\"version\":1,\"format\":\"threadconv\"}",
        "{\"threads\":[{\"title\":\"T\",\"posts\":[" P1 "," P2 "],\"source\":\"s\",\"k\":\"v\"},{\"source\":\"s\",\"title\":\"U\",\"posts\":[]}]}",
        "{\"threads\":[{\"title\":\"T\",\"source\":\"s\",\"posts\":[" P1 "," P2 "],\"k\":\"v\"},{\"title\":\"U\",\"posts\":[],\"source\":\"s\"}]}",
        "\xEF\xBB\xBF {\n \"threads\" : [ { \"title\" : \"T\" , \"source\" : \"s\" , \"posts\" : [\n " P1 " ,\n " P2 " ] ,\n \"k\" : \"v\" } , {\"title\":\"U\",\"source\":\"s\",\"posts\":[ ]} ] }\n",
    };
#undef P1
#undef P2
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        tu_archive *a = read_text(json_p, docs[i]);
        ck_assert_msg(a->rc == TC_OK, "document %zu: %s", i, a->err.text);
        ck_assert_uint_eq(a->n_threads, 2);
        const tu_thread *t = &a->threads[0];
        ck_assert_str_eq(t->title, "T");
        assert_fields(&t->extras, (const char *const[]){"k", NULL}, (const char *const[]){"v"});
        ck_assert_uint_eq(t->n_posts, 2);
        assert_body(&t->posts[0], "one");
        ck_assert_str_eq(t->posts[1].author, "b");
        assert_opt(t->posts[1].parent_id, "1");
        assert_date(t->posts[1].date, utc_of(2024, 3, 1, 12, 0, 0), 0);
        assert_fields(&t->posts[1].extras, (const char *const[]){"n", NULL},
                      (const char *const[]){"2"});
        ck_assert_str_eq(a->threads[1].title, "U");
        ck_assert_uint_eq(a->threads[1].n_posts, 0);
        tu_archive_free(a);
    }
}
END_TEST

START_TEST(test_json_error_order)
{
    /* The messages and their order are those of the reader that loaded the
     * whole document first: a syntax error anywhere wins, then the
     * document's own members (also after "threads"), then the first thread
     * or post error; a member after "posts" still counts. */
#define GOOD_POST "{\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"x\"}"
#define BAD_POST "{\"id\":\"1\",\"author\":5,\"date\":null,\"body\":\"x\"}"
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" BAD_POST "]}],\"x\":[1,]}",
                 1, 103, "not a JSON document: unexpected token near ']'");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" BAD_POST "]}],\"version\":2}",
                 0, 0, "version: this reader reads version 1 of the threadconv JSON document, "
                 "found version 2");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" BAD_POST "]}],\"format\":\"x\"}",
                 0, 0, "format: expected \"threadconv\", found a string \"x\"");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" GOOD_POST "," BAD_POST "]}]}",
                 0, 0, "threads[0].posts[1].author: expected a string, found a number");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" GOOD_POST "],\"views\":1}]}",
                 0, 0, "threads[0].views: expected a string (an extra field), found a number");
    assert_error(json_p, "{\"threads\":[{\"source\":\"s\",\"posts\":[" BAD_POST "],\"title\":7}]}",
                 0, 0, "threads[0].title: expected a string, found a number");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" GOOD_POST "],\"title\":\"u\"}]}",
                 1, 102, "not a JSON document: duplicate object key near '\"title\"'");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" GOOD_POST "]},7]}",
                 0, 0, "threads[1]: expected an object, found a number");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" GOOD_POST ",[]]}]}",
                 0, 0, "threads[0].posts[1]: expected an object, found an array");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":{}}]}", 0, 0,
                 "threads[0].posts: expected an array of posts, found an object");
    assert_error(json_p, "{\"threads\":[{\"title\":\"t\",\"source\":\"s\",\"posts\":[" GOOD_POST "]}]",
                 1, 96, "not a JSON document: '}' expected near end of file");
#undef GOOD_POST
#undef BAD_POST
}
END_TEST

/* ------------------------------------------------------------------ */
/* jsonl reader                                                        */
/* ------------------------------------------------------------------ */

START_TEST(test_jsonl_file)
{
    tu_archive *a = read_data(jsonl_p, "jsonl/threads.jsonl");
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->n_threads, 4);

    const tu_thread *t = &a->threads[0];
    ck_assert_str_eq(t->title, "First");
    ck_assert_str_eq(t->source, "jsonl");
    assert_opt(t->id, "x-1");
    assert_fields(&t->extras, (const char *const[]){"lang", NULL}, (const char *const[]){"en"});
    ck_assert_uint_eq(t->n_posts, 2);
    ck_assert_str_eq(t->posts[0].author, "Ann");
    assert_date(t->posts[0].date, utc_of(2022, 2, 2, 2, 2, 2), 0);
    assert_body(&t->posts[0], "one");
    assert_fields(&t->posts[0].extras, (const char *const[]){"n", NULL},
                  (const char *const[]){"1"});
    ck_assert_str_eq(t->posts[1].id, "2");
    ck_assert(!t->posts[1].date.present);
    assert_body(&t->posts[1], "two\nlines");
    assert_opt(t->posts[1].parent_id, "1");

    /* {"thread":...} alone, after a blank line; its id 2 is a position. */
    t = &a->threads[1];
    ck_assert_str_eq(t->title, "No id of its own");
    ck_assert_str_eq(t->source, "mumsnet");
    assert_opt(t->id, NULL);
    ck_assert_uint_eq(t->n_posts, 0);

    /* A CRLF line; id 3 is a position too. */
    t = &a->threads[2];
    assert_opt(t->id, NULL);
    assert_opt(t->url, "https://example.org/3");
    ck_assert_uint_eq(t->n_posts, 1);
    ck_assert_str_eq(t->posts[0].id, "m-1");
    assert_date(t->posts[0].date, utc_of(2020, 3, 1, 11, 29, 59), -690);

    /* The same id as the first thread, but not the line before: a new thread. */
    t = &a->threads[3];
    ck_assert_str_eq(t->title, "First again");
    assert_opt(t->id, "x-1");
    ck_assert_uint_eq(t->extras.count, 0);
    ck_assert_uint_eq(t->n_posts, 1);
    assert_body(&t->posts[0], "same id, another thread");
    tu_archive_free(a);

    a = read_text(jsonl_p, "");
    ck_assert_int_eq(a->rc, TC_OK);
    ck_assert_uint_eq(a->n_threads, 0);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_jsonl_grouping)
{
    /* Equal thread objects on consecutive lines are one thread; a thread
     * object that differs in any member starts another; a line holding only
     * "thread" is a thread of its own, also when the next line repeats it. */
    const char *text =
        "{\"thread\":{\"id\":1,\"title\":\"A\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"a1\"}\n"
        "{\"thread\":{\"title\":\"A\",\"id\":1,\"source\":\"s\"},\"id\":\"2\",\"author\":\"a\",\"date\":null,\"body\":\"a2\"}\n"
        "{\"thread\":{\"id\":1,\"title\":\"A\",\"source\":\"s\",\"k\":\"v\"},\"id\":\"1\",\"author\":\"b\",\"date\":null,\"body\":\"b1\"}\n"
        "{\"thread\":{\"id\":\"e\",\"title\":\"E\",\"source\":\"s\"}}\n"
        "{\"thread\":{\"id\":\"e\",\"title\":\"E\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"e\",\"date\":null,\"body\":\"e1\"}\n";
    tu_archive *a = read_text(jsonl_p, text);
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->n_threads, 4);
    ck_assert_uint_eq(a->threads[0].n_posts, 2);
    assert_body(&a->threads[0].posts[1], "a2");
    ck_assert_uint_eq(a->threads[1].n_posts, 1);
    assert_fields(&a->threads[1].extras, (const char *const[]){"k", NULL},
                  (const char *const[]){"v"});
    ck_assert_uint_eq(a->threads[2].n_posts, 0);
    assert_opt(a->threads[2].id, "e");
    ck_assert_uint_eq(a->threads[3].n_posts, 1);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_jsonl_skip_posts)
{
    /* A caller may ask for the next thread before reading every post. */
    const char *text =
        "{\"thread\":{\"title\":\"A\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"1\"}\n"
        "{\"thread\":{\"title\":\"A\",\"source\":\"s\"},\"id\":\"2\",\"author\":\"a\",\"date\":null,\"body\":\"2\"}\n"
        "{\"thread\":{\"title\":\"B\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"b\",\"date\":null,\"body\":\"3\"}\n";
    tc_stream *in = tc_stream_open_memory(text, strlen(text), "t");
    void *st;
    ck_assert_int_eq(jsonl_p->read_open(in, &st), TC_OK);
    const tc_thread *t;
    const tc_post *p;
    ck_assert_int_eq(jsonl_p->read_next_thread(in, st, &t), TC_OK);
    ck_assert_str_eq(t->title, "A");
    ck_assert_int_eq(jsonl_p->read_next_thread(in, st, &t), TC_OK);
    ck_assert_str_eq(t->title, "B");
    ck_assert_int_eq(jsonl_p->read_next_post(in, st, &p), TC_OK);
    ck_assert_str_eq(p->body, "3");
    ck_assert_int_eq(jsonl_p->read_next_post(in, st, &p), TC_EOF);
    ck_assert_int_eq(jsonl_p->read_next_thread(in, st, &t), TC_EOF);
    jsonl_p->read_close(in, st);
    tc_stream_close(in);
}
END_TEST

START_TEST(test_jsonl_errors)
{
#define T "{\"thread\":{\"title\":\"t\",\"source\":\"s\"}"
    assert_error(jsonl_p, T "}\n" T ",\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":\"x\"}\n{oops}\n",
                 3, 5, "not a JSON object: string or '}' expected near 'oops'");
    assert_error(jsonl_p, "\n\n[1]\n", 3, 0, "expected a JSON object {\"thread\":{...},...}, found an array");
    assert_error(jsonl_p, "{\"id\":\"1\"}\n", 1, 0,
                 "thread: missing; every line needs a \"thread\" object (a required member)");
    assert_error(jsonl_p, "{\"thread\":\"t\"}\n", 1, 0, "thread: expected an object, found a string");
    assert_error(jsonl_p, "{\"thread\":{\"title\":\"t\",\"source\":\"s\",\"id\":0}}\n", 1, 0,
                 "thread.id: expected a string (the thread's id) or a whole number from 1 "
                 "(its position), found a number");
    assert_error(jsonl_p, "{\"thread\":{\"title\":\"t\",\"source\":\"s\",\"posts\":[]}}\n", 1, 0,
                 "thread.posts: \"posts\" is a name the format reserves and is not a member of "
                 "this object");
    assert_error(jsonl_p, T "}\n" T ",\"id\":\"1\",\"author\":\"a\",\"body\":\"x\"}\n", 2, 0,
                 "date: missing; expected an ISO 8601 date or null (a required member)");
    assert_error(jsonl_p, T "}\n\n" T ",\"id\":\"1\",\"author\":\"a\",\"date\":null,\"body\":1}\n", 3, 0,
                 "body: expected a string, found a number");
#undef T
}
END_TEST

/* Read text through the session with max-post set to max: the status, and
 * the error's line, column and text when it is not TC_OK. */
static int read_limited(const tc_format *p, const char *text, size_t max, tc_error *err)
{
    tc_stream *in = tc_stream_open_memory(text, strlen(text), "t");
    ck_assert_ptr_nonnull(in);
    tc_stream_set_limit(in, TC_LIMIT_POST, max);
    tc_reader *r = NULL;
    int rc = tc_reader_open(p, in, 0, &r, err);
    if (rc == TC_OK) {
        const tc_thread *t;
        const tc_post *q;
        while ((rc = tc_reader_next_thread(r, &t, err)) == TC_OK) {
            while ((rc = tc_reader_next_post(r, &q, err)) == TC_OK)
                ;
            if (rc != TC_EOF)
                break;
        }
        tc_reader_close(r);
    }
    tc_stream_close(in);
    return rc == TC_EOF ? TC_OK : rc;
}

/* "b25l" (the bytes "one") n / 3 times: base64 of n bytes. */
static void put_data(tc_buf *b, size_t n)
{
    for (size_t i = 0; i < n / 3; i++)
        ck_assert_int_eq(tc_buf_append(b, "b25l", 4), TC_OK);
}

/* The 1-based column of the opening quote of the k-th (from 1) "data"
 * string of a one-line text. */
static uint64_t data_column(const char *text, int k)
{
    const char *p = text;
    for (; k > 0; k--) {
        p = strstr(p, "\"data\":\"");
        ck_assert_ptr_nonnull(p);
        p += 7;
    }
    return (uint64_t)(p - text) + 1;
}

START_TEST(test_attachments_max_post)
{
    /* A post's attachments' bytes are held within max-post together:
     * 600 + 600 + 900 bytes here (the post's other members, counted apart,
     * come to 1159: see test_member_limits).  The error names the first
     * attachment past the limit, with the column of its "data" string's
     * opening quote. */
    tc_buf doc = {0};
    ck_assert_int_eq(tc_buf_printf(&doc, "%s", "{\"threads\":[{\"title\":\"T\",\"source\":\"s\","
        "\"posts\":[{\"id\":\"1\",\"author\":\"A\",\"date\":null,\"body\":\"x\",\"attachments\":"
        "[{\"name\":\"a\",\"type\":\"t\",\"data\":\""), TC_OK);
    put_data(&doc, 600);
    ck_assert_int_eq(tc_buf_printf(&doc, "%s", "\"},{\"name\":\"b\",\"type\":\"t\",\"data\":\""),
                     TC_OK);
    put_data(&doc, 600);
    ck_assert_int_eq(tc_buf_printf(&doc, "%s", "\"},{\"name\":\"c\",\"type\":\"t\",\"data\":\""),
                     TC_OK);
    put_data(&doc, 900);
    ck_assert_int_eq(tc_buf_printf(&doc, "%s", "\"}]}]}]}"), TC_OK);
    tc_error err;
    ck_assert_int_eq(read_limited(json_p, doc.data, 2100, &err), TC_OK);
    ck_assert_int_eq(read_limited(json_p, doc.data, 2099, &err), TC_ERR_DATA);
    ck_assert_uint_eq(err.line, 1);
    ck_assert_uint_eq(err.column, data_column(doc.data, 3));
    ck_assert_str_eq(err.text, "threads[0].posts[0].attachments[2].data: the attachments' bytes "
                               "come to more than the max-post limit (2099 bytes); raise it with "
                               "--limit max-post=SIZE");
    ck_assert_int_eq(read_limited(json_p, doc.data, 1199, &err), TC_ERR_DATA);
    ck_assert_uint_eq(err.column, data_column(doc.data, 2));
    ck_assert_str_eq(err.text, "threads[0].posts[0].attachments[1].data: the attachments' bytes "
                               "come to more than the max-post limit (1199 bytes); raise it with "
                               "--limit max-post=SIZE");
    tc_buf line = {0};
    ck_assert_int_eq(tc_buf_printf(&line, "%s", "{\"thread\":{\"title\":\"T\",\"source\":\"s\"},"
        "\"id\":\"1\",\"author\":\"A\",\"date\":null,\"body\":\"x\",\"attachments\":[{\"name\":"
        "\"a\",\"type\":\"t\",\"data\":\""), TC_OK);
    put_data(&line, 1200);
    ck_assert_int_eq(tc_buf_printf(&line, "%s", "\"},{\"name\":\"b\",\"type\":\"t\",\"data\":\""),
                     TC_OK);
    put_data(&line, 300);
    ck_assert_int_eq(tc_buf_printf(&line, "%s", "\"}]}\n"), TC_OK);
    ck_assert_int_eq(read_limited(jsonl_p, line.data, 1500, &err), TC_OK);
    ck_assert_int_eq(read_limited(jsonl_p, line.data, 1100, &err), TC_ERR_DATA);
    ck_assert_uint_eq(err.line, 1);
    ck_assert_uint_eq(err.column, data_column(line.data, 1));
    ck_assert_str_eq(err.text, "attachments[0].data: the attachments' bytes come to more than the "
                               "max-post limit (1100 bytes); raise it with --limit max-post=SIZE");
    tc_buf_free(&doc);
    tc_buf_free(&line);
}
END_TEST

/* The reader fails with exactly this message at line:column under a
 * max-post limit of max. */
static void assert_limited(const tc_format *p, const char *text, size_t max, uint64_t line,
                           uint64_t column, const char *message)
{
    tc_error err;
    ck_assert_int_eq(read_limited(p, text, max, &err), TC_ERR_DATA);
    ck_assert_str_eq(err.text, message);
    ck_assert_uint_eq(err.line, line);
    ck_assert_uint_eq(err.column, column);
}

#define TAIL(max) "; a thread's or post's members other than a body (their names, string " \
    "values and 64 bytes for each) may come to the max-post limit (" max " bytes) together; " \
    "raise it with --limit max-post=SIZE"
#define NAMES_TAIL(max) ": the member names of the objects open at one time (each counted " \
    "64 bytes more than its length) may come to the max-post limit (" max " bytes) together; " \
    "raise it with --limit max-post=SIZE"

START_TEST(test_member_limits)
{
    /* Counted against max-post besides the body: every member's name and
     * string value and 64 bytes a member (or attachment), in the order they
     * come.  The post of test_attachments_max_post: id 2 + 64, "1" 1, author
     * 6 + 64, "A" 1, date 4 + 64, body 4 + 64, attachments 11 + 64: 349;
     * each attachment 64, name 4 + 64, its value 1, type 4 + 64, "t" 1,
     * data 4 + 64 (its bytes are counted apart): 270.  349 + 3 * 270 = 1159;
     * the third attachment starts at 889, its "t" ends at 1091. */
    tc_buf doc = {0};
    ck_assert_int_eq(tc_buf_printf(&doc, "%s", "{\"threads\":[{\"title\":\"T\",\"source\":\"s\","
        "\"posts\":[{\"id\":\"1\",\"author\":\"A\",\"date\":null,\"body\":\"x\",\"attachments\":"
        "[{\"name\":\"a\",\"type\":\"t\",\"data\":\"\"},{\"name\":\"b\",\"type\":\"t\",\"data\":"
        "\"\"},{\"name\":\"c\",\"type\":\"t\",\"data\":\"\"}]}]}]}"), TC_OK);
    tc_error err;
    ck_assert_int_eq(read_limited(json_p, doc.data, 1159, &err), TC_OK);
    assert_limited(json_p, doc.data, 1158, 0, 0,
                   "threads[0].posts[0].attachments[2].data: member 3 of the attachment"
                   TAIL("1158"));
    assert_limited(json_p, doc.data, 1090, 0, 0,
                   "threads[0].posts[0].attachments[2].type: 1 byte" TAIL("1090"));
    assert_limited(json_p, doc.data, 952, 0, 0,
                   "threads[0].posts[0].attachments[2]: attachment 3" TAIL("952"));
    /* Lower, the names the parser keeps for the open objects (the
     * document's, the thread's and the post's: see below) come first:
     * "threads" 7 + 1 + 64, "title", "source", "posts" 19 + 3 * 64, then
     * "id" needs 2 + 1 + 64 of the 347 - 283 left.  Shown whole though only
     * a byte of it fits: up to 24 bytes are kept to show. */
    assert_limited(json_p, doc.data, 347, 1, 49,
                   "member name \"id\" (2 bytes)" NAMES_TAIL("347"));
    tc_buf_free(&doc);

    /* Many members, "xN":"vvvvvvvv": each counts its name, 64 and 8.  The
     * thread's title and source take 64 + 5 + 1 + 64 + 6 + 1 = 141 of
     * 100,000; x0..x9 74 each, x10..x99 75, x100.. 76, x1000.. 77: x1311,
     * the thread's 1314th member, does not fit.  The names the parser keeps
     * (values are not counted there) would pass the limit at x1441, and
     * would be the error, being found while the document is still read
     * (the reader refuses a thread once the whole document was read): so
     * 1,400 members. */
    tc_buf c = {0};
    ck_assert_int_eq(tc_buf_printf(&c, "%s", "{\"threads\":[{\"title\":\"T\",\"source\":\"s\""),
                     TC_OK);
    for (int i = 0; i < 1400; i++)
        ck_assert_int_eq(tc_buf_printf(&c, ",\"x%d\":\"vvvvvvvv\"", i), TC_OK);
    ck_assert_int_eq(tc_buf_printf(&c, "%s", ",\"posts\":[]}]}"), TC_OK);
    assert_limited(json_p, c.data, 100000, 0, 0,
                   "threads[0].x1311: member 1314 of the object" TAIL("100000"));
    tc_buf_free(&c);

    /* The same with empty values: "xN":"". */
    tc_buf b = {0};
    ck_assert_int_eq(tc_buf_printf(&b, "%s", "{\"threads\":[{\"title\":\"T\",\"source\":\"s\""),
                     TC_OK);
    for (int i = 0; i < 20000; i++)
        ck_assert_int_eq(tc_buf_printf(&b, ",\"x%d\":\"\"", i), TC_OK);
    ck_assert_int_eq(tc_buf_printf(&b, "%s", ",\"posts\":[]}]}"), TC_OK);
    /* With a limit of 1,000,000 the names the parser keeps for the open
     * objects come first: the document's "threads" (7 + its NUL + 64), the
     * thread's "title", "source" and x0, x1, ... (each + 1 + 64): x14237 is
     * the first that does not fit (the thread's members, counted apart,
     * would pass it at x14442).  The error is where that name starts. */
    const char *at = strstr(b.data, ",\"x14237\":");
    ck_assert_ptr_nonnull(at);
    assert_limited(json_p, b.data, 1000000, 1, (uint64_t)(at - b.data) + 2,
                   "member name \"x14237\" (6 bytes)" NAMES_TAIL("1000000"));
    tc_buf_free(&b);
    /* A long name: kept up to the room, shown cut at 24 bytes, named with
     * its length; in jsonl, on its line. */
    tc_buf k = {0};
    ck_assert_int_eq(tc_buf_printf(&k, "%s", "{\"thread\":{\"title\":\"T\",\"source\":\"s\"},"
                                   "\"id\":\"1\",\""), TC_OK);
    for (int i = 0; i < 100000; i++)
        ck_assert_int_eq(tc_buf_append(&k, i % 10 == 9 ? "\xC3\xA9" : "k", i % 10 == 9 ? 2 : 1),
                         TC_OK);
    ck_assert_int_eq(tc_buf_printf(&k, "%s", "\":\"v\",\"author\":\"a\",\"date\":null,\"body\":\"\"}\n"),
                     TC_OK);
    char *two = malloc(2 * k.len + 1);
    ck_assert_ptr_nonnull(two);
    /* a good line first, then the long name on line 2 */
    static const char good[] = "{\"thread\":{\"title\":\"T\",\"source\":\"s\"},\"id\":\"0\","
                               "\"author\":\"a\",\"date\":null,\"body\":\"\"}\n";
    snprintf(two, 2 * k.len + 1, "%s%s", good, k.data);
    /* "thread" (6 + 1 + 64) and "id" (2 + 1 + 64) are open before it: the
     * name has 110,000 bytes (90,000 k and 10,000 two-byte e-acutes), shown
     * up to 24 bytes (whole characters) */
    assert_limited(jsonl_p, two, 65536, 2, strlen("{\"thread\":{\"title\":\"T\",\"source\":\"s\"},"
                                                  "\"id\":\"1\",") + 1,
                   "member name \"kkkkkkkkk\xC3\xA9kkkkkkkkk\xC3\xA9kk...\" (110000 bytes)"
                   NAMES_TAIL("65536"));
    free(two);
    tc_buf_free(&k);
}
END_TEST

START_TEST(test_jsonl_long_line)
{
    /* A line over 1 MiB is parsed where the core keeps it (no copy): the
     * same reading, the same messages and columns. */
    const char *head = "{\"thread\":{\"title\":\"t\",\"source\":\"s\"},\"id\":\"1\",\"author\":\"a\","
                       "\"date\":null,\"body\":\"";
    size_t n = 1500000;
    tc_buf b = {0};
    ck_assert_int_eq(tc_buf_append(&b, head, strlen(head)), TC_OK);
    for (size_t i = 0; i < n / 3; i++)
        ck_assert_int_eq(tc_buf_append(&b, "x\xC3\xA9", 3), TC_OK); /* "xé" */
    ck_assert_int_eq(tc_buf_append(&b, "\\n\"}\n", 5), TC_OK);
    tu_archive *a = tu_read_memory(jsonl_p, b.data, b.len, "t");
    ck_assert_msg(a->rc == TC_OK, "%s", a->err.text);
    ck_assert_uint_eq(a->n_threads, 1);
    ck_assert_uint_eq(a->threads[0].n_posts, 1);
    ck_assert_uint_eq(a->threads[0].posts[0].body_len, n + 1);
    ck_assert_mem_eq(a->threads[0].posts[0].body + n - 3, "x\xC3\xA9\n", 4);
    tu_archive_free(a);
    /* ... and an error at its end: the column counts characters */
    b.len -= 3;
    ck_assert_int_eq(tc_buf_append(&b, "\",\"x\":01}\n", 10), TC_OK);
    a = tu_read_memory(jsonl_p, b.data, b.len, "t");
    ck_assert_int_eq(a->rc, TC_ERR_DATA);
    ck_assert_str_eq(a->err.text, "not a JSON object: invalid token near '0'");
    ck_assert_uint_eq(a->err.line, 1);
    /* the head, "xé" n / 3 times, then \n " , "x" : 0 (jansson's column) */
    ck_assert_uint_eq(a->err.column, strlen(head) + n / 3 * 2 + 9);
    tu_archive_free(a);
    tc_buf_free(&b);
}
END_TEST

START_TEST(test_jsonl_ids_round_trip)
{
    /* The writer marks a position as a number, so what had no id has none
     * after the trip, and an own id equal to a position stays an id. */
    static const tc_date none = {0};
    tu_archive *a = calloc(1, sizeof *a);
    ck_assert_ptr_nonnull(a);
    a->warnings = strdup("");
    static const char *const ids[] = {"abc", NULL, NULL, "2", NULL};
    static const size_t n_posts[] = {1, 1, 0, 2, 1};
    a->threads = calloc(5, sizeof *a->threads);
    ck_assert_ptr_nonnull(a->threads);
    a->n_threads = 5;
    for (size_t i = 0; i < 5; i++) {
        tu_thread *t = &a->threads[i];
        char title[8];
        snprintf(title, sizeof title, "T%zu", i + 1);
        t->title = strdup(title);
        t->source = strdup("x");
        t->id = ids[i] ? strdup(ids[i]) : NULL;
        t->n_posts = n_posts[i];
        t->posts = calloc(2, sizeof *t->posts);
        for (size_t j = 0; j < t->n_posts; j++) {
            t->posts[j].id = strdup(j ? "2" : "1");
            t->posts[j].author = strdup("a");
            t->posts[j].date = none;
            t->posts[j].body = strdup("b");
            t->posts[j].body_len = 1;
        }
    }
    tc_buf out = {0};
    tc_error err;
    ck_assert_int_eq(tu_write(jsonl_p, a, NULL, 0, &out, &err), TC_OK);
    tu_archive *b = tu_read_memory(jsonl_p, out.data, out.len, "out");
    ck_assert_msg(b->rc == TC_OK, "%s", b->err.text);
    ck_assert_uint_eq(b->n_threads, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_opt(b->threads[i].id, ids[i]);
        ck_assert_str_eq(b->threads[i].title, a->threads[i].title);
        ck_assert_uint_eq(b->threads[i].n_posts, n_posts[i]);
    }
    tc_buf_free(&out);
    tu_archive_free(a);
    tu_archive_free(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Probes                                                              */
/* ------------------------------------------------------------------ */

static int probe(const tc_format *p, const char *text)
{
    return p->read_probe((const unsigned char *)text, strlen(text), "x");
}

START_TEST(test_probes)
{
    const char *doc = "{\"format\":\"threadconv\",\"version\":1,\"threads\":[]}\n";
    const char *pretty = "{\n  \"format\": \"threadconv\",\n  \"version\": 1,\n  \"threads\": []\n}\n";
    const char *line = "{\"thread\":{\"id\":1,\"title\":\"t\",\"source\":\"s\"},\"id\":\"1\"}\n{\"thread\":{}}\n";
    const char *only_thread = "\xEF\xBB\xBF{\"thread\":{\"title\":\"t\",\"source\":\"s\"}}";
    ck_assert_int_eq(probe(json_p, doc), TC_PROBE_SURE);
    ck_assert_int_eq(probe(jsonl_p, doc), TC_PROBE_NO);
    ck_assert_int_eq(probe(json_p, pretty), TC_PROBE_SURE);
    ck_assert_int_eq(probe(jsonl_p, pretty), TC_PROBE_NO);
    ck_assert_int_eq(probe(json_p, line), TC_PROBE_NO);
    ck_assert_int_eq(probe(jsonl_p, line), TC_PROBE_SURE);
    ck_assert_int_eq(probe(jsonl_p, only_thread), TC_PROBE_SURE);
    ck_assert_int_eq(probe(json_p, only_thread), TC_PROBE_NO);
    /* Hand-written: "threads" without "format" is likely. */
    ck_assert_int_eq(probe(json_p, "\xEF\xBB\xBF {\"threads\": []}"), TC_PROBE_LIKELY);
    /* Only top-level members count; text inside strings never does. */
    ck_assert_int_eq(probe(json_p, "{\"a\":{\"threads\":[]},\"b\":\"\\\"threads\\\":\"}"), TC_PROBE_NO);
    ck_assert_int_eq(probe(json_p, "{\"a\":\"{\\\"format\\\":\\\"threadconv\\\"\"}"), TC_PROBE_NO);
    ck_assert_int_eq(probe(jsonl_p, "{\"a\":{\"thread\":{}}}\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe(jsonl_p, "{\"thread\":\"not an object\"}\n"), TC_PROBE_NO);
    /* A pretty object with "thread" is not JSON Lines. */
    ck_assert_int_eq(probe(jsonl_p, "{\n\"thread\":{}}\n"), TC_PROBE_NO);
    /* Other formats. */
    ck_assert_int_eq(probe(json_p, "[1,2]"), TC_PROBE_NO);
    ck_assert_int_eq(probe(json_p, "Title\n\nAnn Thu 04-Feb-21 21:33:59\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe(jsonl_p, "Title\n\nAnn Thu 04-Feb-21 21:33:59\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe(json_p, ""), TC_PROBE_NO);
    ck_assert_int_eq(probe(jsonl_p, ""), TC_PROBE_NO);
    /* The head may end inside the first object: judged on what is there. */
    ck_assert_int_eq(probe(json_p, "{\"format\":\"threadconv\",\"version\":1,\"threads\":[{\"ti"),
                     TC_PROBE_SURE);
    ck_assert_int_eq(probe(jsonl_p, "{\"thread\":{\"title\":\"t\"},\"body\":\"very lo"), TC_PROBE_SURE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_read");
    TCase *tc = tcase_create("json_read");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_json_archive);
    tcase_add_test(tc, test_json_handwritten);
    tcase_add_test(tc, test_json_errors);
    tcase_add_test(tc, test_nul);
    tcase_add_test(tc, test_json_member_order);
    tcase_add_test(tc, test_json_error_order);
    tcase_add_test(tc, test_jsonl_file);
    tcase_add_test(tc, test_jsonl_grouping);
    tcase_add_test(tc, test_jsonl_skip_posts);
    tcase_add_test(tc, test_jsonl_errors);
    tcase_add_test(tc, test_attachments_max_post);
    tcase_add_test(tc, test_member_limits);
    tcase_add_test(tc, test_jsonl_long_line);
    tcase_add_test(tc, test_jsonl_ids_round_trip);
    tcase_add_test(tc, test_probes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
