/*
 * test_jsonl.c - the jsonl writer, against jansson.
 *
 * The writer's exact output for hand-built archives is in the case folders
 * (cases/jsonl/write-*: archive.json and expected-output.jsonl, run by
 * tests/test_modules.c).  Here each of those expected outputs is held to
 * jansson: split into lines, every line parsed alone must be an object that
 * jansson's compact encoding gives back byte for byte.  (The escaper it
 * shares with the json writer is checked against jansson in test_json.c.)
 */
#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const tc_module threadconv_module_json;
#define THE_FORMAT tu_static_format(&threadconv_module_json, "jsonl")

/*
 * Every line of text must end with "\n", parse alone as an object, and
 * come back byte for byte from jansson's compact encoding.  Returns the
 * number of lines.
 */
static size_t check_lines(const char *path, const char *text, size_t len)
{
    size_t start = 0, n_lines = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        ck_assert_msg(nl != NULL, "%s: the last line has no newline", path);
        size_t n = (size_t)(nl - (text + start));
        n_lines++;
        json_error_t jerr;
        /* (a body may hold U+0000: \u0000, which jansson writes the same) */
        json_t *v = json_loadb(text + start, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        ck_assert_msg(v != NULL, "%s:%zu: not JSON: %s", path, n_lines, jerr.text);
        ck_assert_msg(json_is_object(v), "%s:%zu: not an object", path, n_lines);
        ck_assert_msg(json_is_object(json_object_get(v, "thread")), "%s:%zu: no thread object",
                      path, n_lines);
        char *again = json_dumps(v, JSON_COMPACT);
        ck_assert_ptr_nonnull(again);
        ck_assert_msg(strlen(again) == n && memcmp(again, text + start, n) == 0,
                      "%s:%zu: differs from jansson's compact encoding:\n%s", path, n_lines,
                      again);
        free(again);
        json_decref(v);
        start += n + 1;
    }
    return n_lines;
}

START_TEST(test_cases_are_jansson_lines)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plugins/json/tests/cases/jsonl",
             tu_env_dir("THREADCONV_SRCDIR"));
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    size_t cases = 0, lines = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096 + 512];
        snprintf(path, sizeof path, "%s/%s/expected-output.jsonl", dir, e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || stat(path, &st) != 0)
            continue;
        size_t len;
        char *text = tu_slurp(path, &len);
        lines += check_lines(path, text, len);
        free(text);
        cases++;
    }
    closedir(d);
    ck_assert_uint_ge(cases, 5);
    ck_assert_uint_gt(lines, 10);
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
    tcase_add_test(tc, test_cases_are_jansson_lines);
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
