/*
 * test_mumsnet_write.c - the mumsnet writer (plugins/mumsnet/write.c),
 * linked directly with the reader.
 *
 * Classic files in the canonical form come back byte for byte; other
 * readable files come back in the canonical form, written out here by hand
 * from the inputs; archives built by hand check every refusal message (the
 * thread and post named) and what -O mumsnet.lossy=true writes instead.
 */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tc_module threadconv_module_mumsnet;
#define THE_FORMAT tu_static_format(&threadconv_module_mumsnet, "mumsnet")
#define MN (THE_FORMAT)

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

typedef struct written {
    int rc;
    tc_buf out;
    tc_error err;
    char warnings[8192];
    size_t n_warnings;
} written;

static void on_warning(void *user, const tc_error *w)
{
    written *r = user;
    size_t len = strlen(r->warnings);
    snprintf(r->warnings + len, sizeof r->warnings - len, "%s\n", w->text);
    r->n_warnings++;
}

/* Write an archive with the mumsnet writer; warnings are collected. */
static written *write_mn(const tu_archive *a, bool lossy)
{
    written *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    tc_option_value opt = {.format = "mumsnet", .key = "lossy", .value = "true"};
    r->rc = tu_write_warn(MN, a, &opt, lossy ? 1 : 0, &r->out, &r->err, on_warning, r);
    if (r->out.data == NULL)
        ck_assert_int_eq(tc_buf_append(&r->out, "", 0), TC_OK);
    return r;
}

static void written_free(written *r)
{
    tc_buf_free(&r->out);
    free(r);
}

/* Read a file with the reader, write it back, compare with want. */
static void assert_rewrite(const char *path, const char *want, size_t want_len)
{
    tu_archive *a = tu_read_file(MN, path);
    ck_assert_msg(a->rc == TC_OK, "%s: %s", path, a->err.text);
    written *r = write_mn(a, false);
    ck_assert_msg(r->rc == TC_OK, "%s: %s", path, r->err.text);
    ck_assert_msg(r->out.len == want_len && memcmp(r->out.data, want, want_len) == 0,
                  "%s: written as\n%s\n---- expected\n%s", path, r->out.data, want);
    ck_assert_uint_eq(r->n_warnings, 0);
    /* The canonical form is a fixed point. */
    tu_archive *b = tu_read_memory(MN, r->out.data, r->out.len, "again");
    ck_assert_int_eq(b->rc, TC_OK);
    written *r2 = write_mn(b, false);
    ck_assert_int_eq(r2->rc, TC_OK);
    ck_assert_uint_eq(r2->out.len, r->out.len);
    ck_assert_mem_eq(r2->out.data, r->out.data, r->out.len);
    written_free(r2);
    tu_archive_free(b);
    written_free(r);
    tu_archive_free(a);
}

static void assert_identical(const char *var, const char *rel)
{
    char *path = tu_path(var, rel);
    size_t len;
    char *text = tu_slurp(path, &len);
    assert_rewrite(path, text, len);
    free(text);
    free(path);
}

static void assert_normalised(const char *rel, const char *want)
{
    char *path = tu_path("THREADCONV_TESTDATA", rel);
    assert_rewrite(path, want, strlen(want));
    free(path);
}

/* Archives by hand. */
static tu_archive *new_archive(void)
{
    tu_archive *a = calloc(1, sizeof *a);
    ck_assert_ptr_nonnull(a);
    a->warnings = strdup("");
    return a;
}

static tu_thread *add_thread(tu_archive *a, const char *title)
{
    a->threads = realloc(a->threads, (a->n_threads + 1) * sizeof *a->threads);
    ck_assert_ptr_nonnull(a->threads);
    tu_thread *t = &a->threads[a->n_threads++];
    memset(t, 0, sizeof *t);
    t->title = strdup(title);
    t->source = strdup("test");
    return t;
}

static tu_post *add_post(tu_thread *t, const char *id, const char *author, tc_date date,
                         const char *body)
{
    t->posts = realloc(t->posts, (t->n_posts + 1) * sizeof *t->posts);
    ck_assert_ptr_nonnull(t->posts);
    tu_post *p = &t->posts[t->n_posts++];
    memset(p, 0, sizeof *p);
    p->id = strdup(id);
    p->author = strdup(author);
    p->date = date;
    p->body = strdup(body);
    p->body_len = strlen(body);
    return p;
}

/* A date from its wall-clock reading and offset, computed here. */
static tc_date at(int64_t y, int mo, int d, int h, int mi, int s, int offset_min)
{
    tc_date t = {.present = true, .offset_min = offset_min};
    t.utc = tc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
    return t;
}

static const tc_date NO_DATE = {0};

/* A one-post thread "T" by Ann on Thu 04-Feb-21 21:33:59 GMT. */
static tu_archive *simple(tu_thread **t, tu_post **p)
{
    tu_archive *a = new_archive();
    *t = add_thread(a, "T");
    *p = add_post(*t, "1", "Ann", at(2021, 2, 4, 21, 33, 59, 0), "Hi");
    return a;
}

#define CANNOT "; the mumsnet layout cannot show it"
#define LOSSY(action) CANNOT " (with -O mumsnet.lossy=true: " action ")"

static void assert_refused(tu_archive *a, const char *message)
{
    written *r = write_mn(a, false);
    ck_assert_int_eq(r->rc, TC_ERR_DATA);
    ck_assert_str_eq(r->err.text, message);
    written_free(r);
    tu_archive_free(a);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_byte_identical)
{
    assert_identical("THREADCONV_SHARED", "seeds/000_e8c5bdb5bae043fe.txt");
    assert_identical("THREADCONV_SHARED", "conformance/mumsnet/classic-layout.txt");
    /* A current-layout header line kept as text of a classic post (the
     * reader warns; the writer writes it back as text). */
    char *path = tu_path("THREADCONV_TESTDATA", "mumsnet/years-and-bst.txt");
    size_t len;
    char *text = tu_slurp(path, &len);
    tu_archive *a = tu_read_file(MN, path);
    ck_assert_int_eq(a->rc, TC_OK);
    written *r = write_mn(a, false);
    ck_assert_int_eq(r->rc, TC_OK);
    ck_assert_uint_eq(r->out.len, len);
    ck_assert_mem_eq(r->out.data, text, len);
    written_free(r);
    tu_archive_free(a);
    free(text);
    free(path);
    /* 01:30 BST then 01:10 GMT on the October change: the order tells. */
    assert_identical("THREADCONV_TESTDATA", "matrix/october.txt");
}
END_TEST

START_TEST(test_normalised)
{
    /* Extra blank lines around bodies go; CRLF and the BOM too. */
    static const char whitespace[] =
        "Tabs, spaces and blank lines\n\n"
        "Pat Smith Mon 01-Mar-21 09:00:00\n\n"
        "\tindented line\ntrailing spaces   \n\n\nafter two blank lines\n \n"
        "^ a line of one space above is text\n\t\n\n"
        "Pat_2 Tue 02-Mar-21 10:00:00\n\n"
        "last\t\n\n";
    assert_normalised("mumsnet/body-whitespace.txt", whitespace);
    assert_normalised("mumsnet/body-whitespace-crlf-bom.txt", whitespace);
    /* The weekday is written from the date. */
    assert_normalised("mumsnet/weekday-mismatch.txt",
                      "Wrong day\n\nDaffodil72 Thu 04-Feb-21 21:33:59\n\nIt was a Thursday.\n\n");
    /* A missing blank line at the end is added. */
    assert_normalised("cli/summer.txt",
                      "Allotment watering rota\n\n"
                      "PeaPod Mon 12-Jul-21 18:05:00\n\nWho has the key this week?\n\n"
                      "MarrowMan Mon 12-Jul-21 18:20:41\n\nI do.\n\nBack Friday.\n\n");
}
END_TEST

START_TEST(test_written_by_hand)
{
    /* No title, an intro, an empty body, summer time, authors with spaces. */
    tu_archive *a = new_archive();
    tu_thread *t = add_thread(a, "Hello");
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.layout", "classic"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.intro", "Rules:\n\nbe kind"), TC_OK);
    add_post(t, "1", " Ann B ", at(2021, 6, 4, 21, 33, 59, 60), "");
    add_post(t, "2", "Cy", at(2099, 12, 31, 23, 59, 59, 0), "Last\n\n\n  word");
    written *r = write_mn(a, false);
    ck_assert_msg(r->rc == TC_OK, "%s", r->err.text);
    ck_assert_str_eq(r->out.data, "Hello\n\nRules:\n\nbe kind\n\n"
                                  " Ann B  Fri 04-Jun-21 21:33:59\n\n\n"
                                  "Cy Thu 31-Dec-99 23:59:59\n\nLast\n\n\n  word\n\n");
    tu_archive *b = tu_read_memory(MN, r->out.data, r->out.len, "back");
    ck_assert_int_eq(b->rc, TC_OK);
    ck_assert_str_eq(b->threads[0].title, "Hello");
    ck_assert_str_eq(tc_fields_get(&b->threads[0].extras, "mumsnet.intro"), "Rules:\n\nbe kind");
    ck_assert_str_eq(b->threads[0].posts[0].author, " Ann B ");
    ck_assert_int_eq(b->threads[0].posts[0].date.utc, a->threads[0].posts[0].date.utc);
    ck_assert_int_eq(b->threads[0].posts[1].date.utc, a->threads[0].posts[1].date.utc);
    ck_assert_str_eq(b->threads[0].posts[1].body, "Last\n\n\n  word");
    tu_archive_free(b);
    written_free(r);
    tu_archive_free(a);

    /* An empty title: the first line is a header. */
    a = new_archive();
    add_post(add_thread(a, ""), "1", "Ann", at(2021, 2, 4, 21, 33, 59, 0), "x");
    r = write_mn(a, false);
    ck_assert_int_eq(r->rc, TC_OK);
    ck_assert_str_eq(r->out.data, "Ann Thu 04-Feb-21 21:33:59\n\nx\n\n");
    written_free(r);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_refusals)
{
    tu_thread *t;
    tu_post *p;
    tu_archive *a;

    a = simple(&t, &p);
    t->id = strdup("t1");
    assert_refused(a, "thread \"T\": has an id (\"t1\")" LOSSY("left out"));

    a = simple(&t, &p);
    t->url = strdup("https://example.org/1");
    assert_refused(a, "thread \"T\": has a url (https://example.org/1)" LOSSY("left out"));

    a = simple(&t, &p);
    ck_assert_int_eq(tc_fields_set(&t->extras, "board", "Chat"), TC_OK);
    assert_refused(a, "thread \"T\": has the extra field \"board\"" LOSSY("left out"));

    a = simple(&t, &p);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.layout", "current"), TC_OK);
    assert_refused(a, "thread \"T\": is in the current page layout; this writer writes the "
                      "classic one" LOSSY("written in the classic layout"));

    a = simple(&t, &p);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.preamble", "Chat"), TC_OK);
    assert_refused(a, "thread \"T\": has mumsnet.preamble, page furniture of the current layout "
                      "that the classic layout has no place for" LOSSY("left out"));

    a = simple(&t, &p);
    free(p->id);
    p->id = strdup("p1");
    assert_refused(a, "thread \"T\", post 1 (Ann): has the id \"p1\"; the layout numbers posts "
                      "by position (1 here)" LOSSY("numbered by position"));

    a = simple(&t, &p);
    add_post(t, "2", "Bob", at(2021, 2, 4, 21, 40, 0, 0), "Yes")->parent_id = strdup("1");
    assert_refused(a, "thread \"T\", post 2 (Bob): replies to post \"1\" (a parent)"
                      LOSSY("left out"));

    a = simple(&t, &p);
    ck_assert_int_eq(tc_fields_set(&p->extras, "mumsnet.op", "true"), TC_OK);
    assert_refused(a, "thread \"T\", post 1 (Ann): has the extra field \"mumsnet.op\""
                      LOSSY("left out"));

    a = simple(&t, &p);
    p->date = NO_DATE;
    assert_refused(a, "thread \"T\", post 1 (Ann): has no date; every post header needs one" CANNOT);

    a = simple(&t, &p);
    p->date = at(2021, 2, 4, 23, 0, 0, 330);
    assert_refused(a, "thread \"T\", post 1 (Ann): the date 2021-02-04T23:00:00+05:30 is not in "
                      "UK time (+00:00 then); the layout shows UK time only"
                      LOSSY("written in UK time"));

    a = simple(&t, &p);
    p->date = at(1999, 12, 31, 12, 0, 0, 0);
    assert_refused(a, "thread \"T\", post 1 (Ann): the date 1999-12-31T12:00:00+00:00 is outside "
                      "2000-2099 (two-digit years)" CANNOT);

    /* 00:30 BST, then 01:30 GMT: the reader would take 01:30 as BST, which
     * is not earlier than the post above, so nothing tells it is GMT. */
    a = simple(&t, &p);
    p->date = at(2025, 10, 26, 0, 30, 0, 60);
    add_post(t, "2", "Bob", at(2025, 10, 26, 1, 30, 0, 0), "later");
    assert_refused(a, "thread \"T\", post 2 (Bob): the date 2025-10-26T01:30:00+00:00 falls in the "
                      "hour the clocks repeat in October, and the order of the posts does not "
                      "tell which of the two it is" CANNOT);

    a = simple(&t, &p);
    free(p->body);
    p->body = strdup("\nHi");
    p->body_len = 3;
    assert_refused(a, "thread \"T\", post 1 (Ann): the body starts with a blank line, which the "
                      "reader leaves out (line 1 of it)" LOSSY("written without it"));

    a = simple(&t, &p);
    free(p->body);
    p->body = strdup("Hi\n");
    p->body_len = 3;
    assert_refused(a, "thread \"T\", post 1 (Ann): the body ends with a blank line, which the "
                      "reader leaves out (line 2 of it)" LOSSY("written without it"));

    a = simple(&t, &p);
    free(p->body);
    p->body = strdup("Hi\r\nthere");
    p->body_len = 9;
    assert_refused(a, "thread \"T\", post 1 (Ann): the body has a carriage return before a line "
                      "break, which the reader leaves out (line 1 of it)"
                      LOSSY("written without it"));

    a = simple(&t, &p);
    free(p->body);
    p->body = strdup("quote:\nBob Fri 05-Feb-21 10:00:00  ");
    p->body_len = strlen(p->body);
    assert_refused(a, "thread \"T\", post 1 (Ann): line 2 of the body would read as a post header"
                      LOSSY("a no-break space (U+00A0) added at the end of the line"));

    a = simple(&t, &p);
    free(t->title);
    t->title = strdup("Two\nlines");
    assert_refused(a, "thread \"Two...\": the title has a line break"
                      LOSSY("line breaks written as spaces"));

    a = simple(&t, &p);
    free(p->author);
    p->author = strdup(" \t");
    assert_refused(a, "thread \"T\", post 1 ( \t): the author is empty or blank" CANNOT);

    a = simple(&t, &p);
    add_thread(a, "Second");
    assert_refused(a, "thread \"Second\": a second thread; a mumsnet text file holds one thread "
                      "(write each thread to a file of its own)" CANNOT);

    a = new_archive();
    add_thread(a, "Empty");
    assert_refused(a, "thread \"Empty\": has no posts; a mumsnet thread starts with a post header"
                      CANNOT);

    a = new_archive();
    written *r = write_mn(a, true);
    ck_assert_int_eq(r->rc, TC_ERR_DATA);
    ck_assert_str_eq(r->err.text, "no thread to write; a mumsnet text file holds one thread");
    written_free(r);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_lossy)
{
    tu_archive *a = new_archive();
    tu_thread *t = add_thread(a, "Two\nlines");
    t->id = strdup("t1");
    t->url = strdup("u");
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.layout", "current"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.replies", "3"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&t->extras, "board", "Chat"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.intro", "Intro text"), TC_OK);
    /* 23:00 at +05:30 is 17:30 UTC, 17:30 GMT in February. */
    tu_post *p = add_post(t, "p1", "Ann", at(2021, 2, 4, 23, 0, 0, 330),
                          "\r\n\nHello\r\nBob Thu 04-Feb-21 10:00:00\n\n");
    ck_assert_int_eq(tc_fields_set(&p->extras, "mumsnet.op", "true"), TC_OK);
    p = add_post(t, "p2", "Bob", at(2021, 6, 4, 21, 33, 59, 60), "Hi");
    p->parent_id = strdup("p1");

    written *r = write_mn(a, true);
    ck_assert_msg(r->rc == TC_OK, "%s", r->err.text);
    ck_assert_str_eq(r->out.data, "Two lines\n\nIntro text\n\n"
                                  "Ann Thu 04-Feb-21 17:30:00\n\n"
                                  "Hello\nBob Thu 04-Feb-21 10:00:00\xC2\xA0\n\n"
                                  "Bob Fri 04-Jun-21 21:33:59\n\nHi\n\n");
    /* One warning for each thing changed: thread id, url, layout, replies,
     * board, title; post 1 id, extra, offset, CR, header line; post 2 id,
     * parent. */
    ck_assert_msg(r->n_warnings == 13, "%zu warnings:\n%s", r->n_warnings, r->warnings);
    ck_assert_ptr_nonnull(strstr(r->warnings, "thread \"Two...\", post 1 (Ann): the date "
                                              "2021-02-04T23:00:00+05:30 is not in UK time "
                                              "(+00:00 then); the layout shows UK time only; "
                                              "written in UK time (mumsnet.lossy)\n"));
    tu_archive *b = tu_read_memory(MN, r->out.data, r->out.len, "back");
    ck_assert_int_eq(b->rc, TC_OK);
    ck_assert_str_eq(b->threads[0].title, "Two lines");
    ck_assert_uint_eq(b->threads[0].n_posts, 2);
    ck_assert_int_eq(b->threads[0].posts[0].date.utc, a->threads[0].posts[0].date.utc);
    ck_assert_int_eq(b->threads[0].posts[0].date.offset_min, 0);
    ck_assert_str_eq(b->threads[0].posts[0].body, "Hello\nBob Thu 04-Feb-21 10:00:00\xC2\xA0");
    tu_archive_free(b);
    written_free(r);
    tu_archive_free(a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mumsnet_write");
    TCase *tc = tcase_create("mumsnet_write");
    tcase_add_test(tc, test_byte_identical);
    tcase_add_test(tc, test_normalised);
    tcase_add_test(tc, test_written_by_hand);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_lossy);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
