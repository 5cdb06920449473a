/*
 * test_csv.c - what the case folders (tests/cases/csv/) cannot show about
 * the csv writer, with the module linked in statically: a body holding
 * U+0000 is refused (CSV cannot hold it), found by the body's length even
 * after a comma, and nothing of its row is written; the thread header is
 * copied, not kept borrowed; an archive
 * without threads is the header row alone.  Built only in tree (copied to
 * plugins/csv/), by module.am.
 */
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

extern const tc_module threadconv_module_csv;
#define CSV tu_static_format(&threadconv_module_csv, "csv")

#define HEADER "thread_id,thread_title,source,post_id,author,date,parent,body\r\n"

static void assert_output(const tc_buf *out, const char *want, size_t want_len)
{
    ck_assert_msg(out->len == want_len && memcmp(out->data, want, want_len) == 0,
                  "wrote %zu bytes:\n%.*s\nexpected %zu bytes:\n%.*s", out->len, (int)out->len,
                  out->data ? out->data : "", want_len, (int)want_len, want);
}

START_TEST(a_body_with_nul_is_refused)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "test", "t1", NULL);
    tu_add_post_n(t, "1", "Ann", (tc_date){0}, "fine, quoted", 12, NULL);
    /* the NUL comes after a comma: a string scan would stop before it */
    tu_add_post_n(t, "2", "Bob", (tc_date){0}, "a,b\0c", 5, NULL);
    tc_buf out = {0};
    tc_error err;
    ck_assert_int_eq(tu_write(CSV, a, NULL, 0, &out, &err), TC_ERR_DATA);
    ck_assert_str_eq(err.text, "thread 1, post 2: the body holds U+0000 (at byte 3), which CSV "
                               "cannot hold: RFC 4180 fields are text, with no escape for it");
    /* nothing of its row (what came before may still be in the stream's
     * buffer: a failed conversion leaves no output file anyway) */
    ck_assert_ptr_null(out.data ? strstr(out.data, "Bob") : NULL);
    tc_buf_free(&out);
    tu_archive_free(a);
}
END_TEST

START_TEST(the_thread_header_is_copied)
{
    tc_buf out = {0};
    tc_stream *s = tc_stream_open_output_buffer(&out, "<test output>");
    ck_assert_ptr_nonnull(s);
    tc_writer *w = NULL;
    tc_error err;
    ck_assert_int_eq(tc_writer_open(CSV, s, 0, &w, &err), TC_OK);
    char title[] = "First", source[] = "test";
    tc_thread thread = {.title = title, .source = source};
    ck_assert_int_eq(tc_writer_begin_thread(w, &thread, &err), TC_OK);
    /* The header is borrowed for the call only: its owner may reuse it. */
    memcpy(title, "Wrong", sizeof title);
    memcpy(source, "xxxx", sizeof source);
    tc_post post = {.id = "p", .author = "", .body = "", .body_len = 0};
    ck_assert_int_eq(tc_writer_post(w, &post, &err), TC_OK);
    ck_assert_int_eq(tc_writer_end_thread(w, &err), TC_OK);
    ck_assert_int_eq(tc_writer_finish(w, &err), TC_OK);
    tc_writer_close(w);
    ck_assert_int_eq(tc_stream_flush(s), TC_OK);
    tc_stream_close(s);
    static const char want[] = HEADER "1,First,test,p,,,,\r\n";
    assert_output(&out, want, sizeof want - 1);
    tc_buf_free(&out);
}
END_TEST

START_TEST(no_threads_is_the_header_alone)
{
    tu_archive *a = tu_archive_new();
    tc_buf out = {0};
    tc_error err;
    ck_assert_int_eq(tu_write(CSV, a, NULL, 0, &out, &err), TC_OK);
    assert_output(&out, HEADER, strlen(HEADER));
    tc_buf_free(&out);
    tu_archive_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, a_body_with_nul_is_refused);
    tcase_add_test(tc, the_thread_header_is_copied);
    tcase_add_test(tc, no_threads_is_the_header_alone);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
