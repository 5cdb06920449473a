/*
 * test_jsonl.c - the jsonl writer.
 *
 * Archives are built by hand, written with the plugin (linked directly),
 * split into lines, each line parsed alone with jansson and compared field
 * by field with values worked out by hand.  (The escaper it shares with the
 * json writer is checked against jansson in test_json.c.)
 */
#include "testutil.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tc_module threadconv_module_json;
#define THE_FORMAT tu_static_format(&threadconv_module_json, "jsonl")

/* ------------------------------------------------------------------ */
/* Building archives by hand                                           */
/* ------------------------------------------------------------------ */

static const tc_date NO_DATE = {0};

static char *write_jsonl(const tu_archive *a, size_t *len)
{
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(THE_FORMAT, a, NULL, 0, &out, &err);
    ck_assert_msg(rc == TC_OK, "jsonl writer failed (%d): %s", rc, err.text);
    if (out.data == NULL)
        ck_assert_int_eq(tc_buf_append(&out, "", 0), TC_OK);
    if (len)
        *len = out.len;
    return out.data;
}

/*
 * Split the output into lines and parse each one alone.  Every line must
 * end with "\n", and re-encoding it with jansson (compact) must give the
 * line back byte for byte.  Returns a JSON array of the lines' values.
 */
static json_t *parse_lines(const char *text, size_t len)
{
    json_t *lines = json_array();
    ck_assert_ptr_nonnull(lines);
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        ck_assert_msg(nl != NULL, "the last line has no newline");
        size_t n = (size_t)(nl - (text + start));
        json_error_t jerr;
        json_t *v = json_loadb(text + start, n, 0, &jerr);
        ck_assert_msg(v != NULL, "line %zu is not JSON: %s", json_array_size(lines) + 1,
                      jerr.text);
        ck_assert(json_is_object(v));
        char *again = json_dumps(v, JSON_COMPACT);
        ck_assert_ptr_nonnull(again);
        ck_assert_msg(strlen(again) == n && memcmp(again, text + start, n) == 0,
                      "line %zu differs from jansson's compact encoding",
                      json_array_size(lines) + 1);
        free(again);
        json_array_append_new(lines, v);
        start += n + 1;
    }
    return lines;
}

static json_t *member(json_t *obj, const char *key)
{
    ck_assert_msg(json_is_object(obj), "not an object where \"%s\" was expected", key);
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(v != NULL, "member \"%s\" is missing", key);
    return v;
}

static void assert_str(json_t *obj, const char *key, const char *expect)
{
    json_t *v = member(obj, key);
    size_t len = strlen(expect);
    ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
    ck_assert_msg(json_string_length(v) == len && memcmp(json_string_value(v), expect, len) == 0,
                  "\"%s\" is \"%s\", expected \"%s\"", key, json_string_value(v), expect);
}

/* The object's keys, in order, are exactly keys[] (NULL-terminated). */
/* A thread without an id of its own: "id" is its position, a JSON number. */
static void assert_position(json_t *thread, json_int_t position)
{
    json_t *v = member(thread, "id");
    ck_assert_msg(json_is_integer(v), "thread \"id\" should be the number %lld",
                  (long long)position);
    ck_assert_int_eq(json_integer_value(v), position);
}

static void assert_keys(json_t *obj, const char *const *keys)
{
    void *it = json_object_iter(obj);
    size_t i = 0;
    for (; it != NULL; it = json_object_iter_next(obj, it), i++) {
        ck_assert_msg(keys[i] != NULL, "unexpected extra key \"%s\"", json_object_iter_key(it));
        ck_assert_msg(strcmp(json_object_iter_key(it), keys[i]) == 0,
                      "key %zu is \"%s\", expected \"%s\"", i, json_object_iter_key(it), keys[i]);
    }
    ck_assert_msg(keys[i] == NULL, "key \"%s\" is missing", keys[i]);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_small_exact)
{
    static const char expect[] =
        "{\"thread\":{\"id\":\"t1\",\"title\":\"Hello\",\"source\":\"mumsnet\",\"board\":\"Chat\"},"
        "\"id\":\"1\",\"author\":\"Ann\",\"date\":\"2021-02-04T21:33:59+00:00\","
        "\"body\":\"Hi\\n\\\"there\\\"\",\"number\":\"1\"}\n"
        "{\"thread\":{\"id\":\"t1\",\"title\":\"Hello\",\"source\":\"mumsnet\",\"board\":\"Chat\"},"
        "\"id\":\"2\",\"author\":\"Bob\",\"date\":null,\"body\":\"a\\\\b\",\"parent\":\"1\"}\n"
        "{\"thread\":{\"id\":2,\"title\":\"Empty\",\"source\":\"mbox\","
        "\"url\":\"https://example.org/t/2\"}}\n";
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "Hello", "mumsnet", "t1", NULL);
    tu_set_extra(&t->extras, "board", "Chat");
    tu_post *p = tu_add_post(t, "1", "Ann", tu_at(1612474439, 0), "Hi\n\"there\"", NULL);
    tu_set_extra(&p->extras, "number", "1");
    tu_add_post(t, "2", "Bob", NO_DATE, "a\\b", "1");
    tu_add_thread(a, "Empty", "mbox", NULL, "https://example.org/t/2");
    char *out = write_jsonl(a, NULL);
    ck_assert_str_eq(out, expect);
    free(out);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_empty_archive)
{
    tu_archive *a = tu_archive_new();
    size_t len;
    char *out = write_jsonl(a, &len);
    ck_assert_uint_eq(len, 0);
    free(out);
    tu_archive_free(a);
}
END_TEST

static const char body_blank[] = "First line\n\nThird line, after a blank one\n\n";
static const char body_spaces[] = "trailing spaces   \n\ttab\tin the middle\t\n   leading";
static const char body_quotes[] = "quote \" backslash \\ slash / \"\\\"";
static const char body_controls[] = "c \x01\x02 bell \a bs \b ff \f cr \r\n esc \x1b del \x7f end";
static const char body_emoji[] = "emoji \xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd";
static const char body_rtl[] = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8"
                               "\xd8\xa7 (LTR too) \xe2\x80\xa8";

START_TEST(test_rich_lines)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "Title \"q\" \\ \xc3\xa9", "mumsnet", "4412",
                              "https://example.org/4412?a=1&b=2");
    tu_set_extra(&t->extras, "zebra", "z");
    tu_set_extra(&t->extras, "apple", "a\tb");
    tu_post *p = tu_add_post(t, "1", "Ann", tu_at(1622838839, 60), body_blank, NULL);
    tu_set_extra(&p->extras, "z", "1");
    tu_set_extra(&p->extras, "a", "2");
    tu_add_post(t, "2", "", tu_at(1552224900, -330), body_spaces, "1");
    tu_add_post(t, "3", "Bob", tu_at(1612474439, 0), body_quotes, "2");
    tu_add_post(t, "4", "Cat", NO_DATE, body_controls, NULL);
    tu_add_post(t, "5", "Dan", tu_at(1609439400, 330), body_emoji, "1");
    tu_add_post(t, "6", "\xd7\x93\xd7\x9f", tu_at(946684800, -60), body_rtl, NULL);
    tu_add_post(t, "7", "Eve", NO_DATE, "", NULL);
    tu_add_thread(a, "", "mbox", NULL, NULL);
    t = tu_add_thread(a, "Third", "whatsapp", NULL, "https://example.org/3");
    tu_add_post(t, "m-1", "Hal", tu_at(1622838839, 60), "last", NULL);

    size_t len;
    char *out = write_jsonl(a, &len);
    json_t *lines = parse_lines(out, len);
    ck_assert_uint_eq(json_array_size(lines), 9);

    static const char *const thread1_keys[] = {"id", "title", "source", "url", "zebra",
                                               "apple", NULL};
    static const char *const plain[] = {"thread", "id", "author", "date", "body", NULL};
    static const char *const with_parent[] = {"thread", "id", "author", "date", "body",
                                              "parent", NULL};
    /* Every line of thread 1 carries the whole thread object. */
    for (size_t i = 0; i < 7; i++) {
        json_t *th = member(json_array_get(lines, i), "thread");
        assert_keys(th, thread1_keys);
        assert_str(th, "id", "4412");
        assert_str(th, "title", "Title \"q\" \\ \xc3\xa9");
        assert_str(th, "source", "mumsnet");
        assert_str(th, "url", "https://example.org/4412?a=1&b=2");
        assert_str(th, "zebra", "z");
        assert_str(th, "apple", "a\tb");
    }
    json_t *l = json_array_get(lines, 0);
    assert_keys(l, (const char *const[]){"thread", "id", "author", "date", "body", "z", "a",
                                         NULL});
    assert_str(l, "id", "1");
    assert_str(l, "author", "Ann");
    assert_str(l, "date", "2021-06-04T21:33:59+01:00");
    assert_str(l, "body", body_blank);
    assert_str(l, "z", "1");
    assert_str(l, "a", "2");

    l = json_array_get(lines, 1);
    assert_keys(l, with_parent);
    assert_str(l, "author", "");
    assert_str(l, "date", "2019-03-10T08:05:00-05:30");
    assert_str(l, "body", body_spaces);
    assert_str(l, "parent", "1");

    l = json_array_get(lines, 2);
    assert_str(l, "date", "2021-02-04T21:33:59+00:00");
    assert_str(l, "body", body_quotes);
    assert_str(l, "parent", "2");

    l = json_array_get(lines, 3);
    assert_keys(l, plain);
    ck_assert(json_is_null(member(l, "date")));
    assert_str(l, "body", body_controls);

    l = json_array_get(lines, 4);
    assert_str(l, "date", "2021-01-01T00:00:00+05:30");
    assert_str(l, "body", body_emoji);

    l = json_array_get(lines, 5);
    assert_keys(l, plain);
    assert_str(l, "author", "\xd7\x93\xd7\x9f");
    assert_str(l, "date", "1999-12-31T23:00:00-01:00");
    assert_str(l, "body", body_rtl);

    l = json_array_get(lines, 6);
    assert_keys(l, plain);
    ck_assert(json_is_null(member(l, "date")));
    assert_str(l, "body", "");

    /* The thread without posts: one line holding only the thread; no id of
     * its own, so its id is its position, 2, as a number. */
    l = json_array_get(lines, 7);
    assert_keys(l, (const char *const[]){"thread", NULL});
    assert_keys(member(l, "thread"), (const char *const[]){"id", "title", "source", NULL});
    assert_position(member(l, "thread"), 2);
    assert_str(member(l, "thread"), "title", "");
    assert_str(member(l, "thread"), "source", "mbox");

    l = json_array_get(lines, 8);
    assert_keys(l, plain);
    assert_keys(member(l, "thread"), (const char *const[]){"id", "title", "source", "url", NULL});
    assert_position(member(l, "thread"), 3);
    assert_str(member(l, "thread"), "url", "https://example.org/3");
    assert_str(l, "id", "m-1");
    assert_str(l, "body", "last");

    /* The exact spelling of the control characters. */
    ck_assert_ptr_nonnull(strstr(out, "\"c \\u0001\\u0002 bell \\u0007 bs \\b ff \\f cr \\r\\n "
                                      "esc \\u001B del \x7f end\""));
    json_decref(lines);
    free(out);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_thread_ids)
{
    /* Own id (a string) when there is one, else the 1-based position in the
     * output as a number: "" below. */
    tu_archive *a = tu_archive_new();
    tu_add_post(tu_add_thread(a, "A", "x", "abc", NULL), "1", "a", NO_DATE, "a", NULL);
    tu_add_post(tu_add_thread(a, "B", "x", NULL, NULL), "1", "b", NO_DATE, "b", NULL);
    tu_add_thread(a, "C", "x", NULL, NULL);
    tu_thread *t = tu_add_thread(a, "D", "x", "7", NULL);
    tu_add_post(t, "1", "d", NO_DATE, "d1", NULL);
    tu_add_post(t, "2", "d", NO_DATE, "d2", "1");
    tu_add_post(tu_add_thread(a, "E", "x", NULL, NULL), "1", "e", NO_DATE, "e", NULL);
    size_t len;
    char *out = write_jsonl(a, &len);
    json_t *lines = parse_lines(out, len);
    static const char *const expect[][2] = {
        {"abc", "A"}, {"", "B"}, {"", "C"}, {"7", "D"}, {"7", "D"}, {"", "E"},
    };
    static const int position[] = {0, 2, 3, 0, 0, 5};
    ck_assert_uint_eq(json_array_size(lines), 6);
    for (size_t i = 0; i < 6; i++) {
        json_t *th = member(json_array_get(lines, i), "thread");
        if (position[i] != 0)
            assert_position(th, position[i]);
        else
            assert_str(th, "id", expect[i][0]);
        assert_str(th, "title", expect[i][1]);
    }
    assert_str(json_array_get(lines, 4), "body", "d2");
    assert_str(json_array_get(lines, 4), "parent", "1");
    json_decref(lines);
    free(out);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_invalid_utf8_title_refused)
{
    tu_archive *a = tu_archive_new();
    tu_add_thread(a, "bad \xc3\x28 title", "x", NULL, NULL);
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(THE_FORMAT, a, NULL, 0, &out, &err);
    ck_assert_int_eq(rc, TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "thread 1: a thread title given to the 'jsonl' writer that is "
                               "not UTF-8 (byte 0xc3 at offset 4); the model holds UTF-8 only");
    tc_buf_free(&out);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_reserved_extra_refused)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "ok", "x", NULL, NULL);
    static tc_field bad[] = {{"thread", "again"}};
    t->extras.items = bad;
    t->extras.count = 1;
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(THE_FORMAT, a, NULL, 0, &out, &err);
    ck_assert_int_eq(rc, TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "thread 1: a thread extra field 'thread' given to the 'jsonl' "
                               "writer whose key is one of the model's own names; prefix it "
                               "with the format's name");
    a->threads[0].extras.items = NULL;
    a->threads[0].extras.count = 0;
    tc_buf_free(&out);
    tu_archive_free(a);
}
END_TEST

static Suite *jsonl_suite(void)
{
    Suite *s = suite_create("jsonl");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, test_small_exact);
    tcase_add_test(tc, test_empty_archive);
    tcase_add_test(tc, test_rich_lines);
    tcase_add_test(tc, test_thread_ids);
    tcase_add_test(tc, test_invalid_utf8_title_refused);
    tcase_add_test(tc, test_reserved_extra_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(jsonl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
