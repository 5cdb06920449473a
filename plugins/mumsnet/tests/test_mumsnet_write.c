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
    /* Extra blank lines around bodies go; CRLF and the BOM too.  The
     * header-shaped line 3 has a space in its name: it and the text up to
     * Pat_2's header are the intro (its inner blank lines kept), which
     * needs no change, as the reader takes that line for text again. */
    static const char whitespace[] =
        "Tabs, spaces and blank lines\n\n"
        "Pat Smith Mon 01-Mar-21 09:00:00\n\n\n"
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
    /* An intro, an empty body, summer time, an author with punctuation;
     * header-shaped lines the reader takes for text are written as they
     * are: after a line of text, or with a space in the name. */
    tu_archive *a = new_archive();
    tu_thread *t = add_thread(a, "Hello");
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.layout", "classic"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.intro",
                                   "Rules:\n\nbe kind\nAl Thu 04-Feb-21 21:33:59"), TC_OK);
    add_post(t, "1", "Ann.B-", at(2021, 6, 4, 21, 33, 59, 60), "");
    add_post(t, "2", "Cy", at(2099, 12, 31, 23, 59, 59, 0),
             "Last\n\n\n  word\nBo Fri 05-Feb-21 10:00:00\n\nPosted by Bo Fri 05-Feb-21 10:00:00");
    written *r = write_mn(a, false);
    ck_assert_msg(r->rc == TC_OK, "%s", r->err.text);
    ck_assert_uint_eq(r->n_warnings, 0);
    ck_assert_str_eq(r->out.data, "Hello\n\nRules:\n\nbe kind\nAl Thu 04-Feb-21 21:33:59\n\n"
                                  "Ann.B- Fri 04-Jun-21 21:33:59\n\n\n"
                                  "Cy Thu 31-Dec-99 23:59:59\n\nLast\n\n\n  word\n"
                                  "Bo Fri 05-Feb-21 10:00:00\n\n"
                                  "Posted by Bo Fri 05-Feb-21 10:00:00\n\n");
    tu_archive *b = tu_read_memory(MN, r->out.data, r->out.len, "back");
    ck_assert_int_eq(b->rc, TC_OK);
    ck_assert_uint_eq(b->threads[0].n_posts, 2);
    ck_assert_str_eq(b->threads[0].title, "Hello");
    ck_assert_str_eq(tc_fields_get(&b->threads[0].extras, "mumsnet.intro"),
                     "Rules:\n\nbe kind\nAl Thu 04-Feb-21 21:33:59");
    ck_assert_str_eq(b->threads[0].posts[0].author, "Ann.B-");
    ck_assert_int_eq(b->threads[0].posts[0].date.utc, a->threads[0].posts[0].date.utc);
    ck_assert_int_eq(b->threads[0].posts[1].date.utc, a->threads[0].posts[1].date.utc);
    ck_assert_str_eq(b->threads[0].posts[1].body,
                     "Last\n\n\n  word\nBo Fri 05-Feb-21 10:00:00\n\n"
                     "Posted by Bo Fri 05-Feb-21 10:00:00");
    /* the reader warns about the name with a space (line 19, column 7) */
    ck_assert_str_eq(b->warnings, "back:19:7: line looks like a post header, but its name holds "
                                  "a space, which Mumsnet user names never do; kept as text of "
                                  "the post by Cy\n");
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

    /* header-shaped lines in a header's place: after a blank line, first */
    a = simple(&t, &p);
    free(p->body);
    p->body = strdup("quote:\n\nBob Fri 05-Feb-21 10:00:00  ");
    p->body_len = strlen(p->body);
    assert_refused(a, "thread \"T\", post 1 (Ann): line 3 of the body would read as a post header"
                      LOSSY("a no-break space (U+00A0) added at the end of the line"));

    a = simple(&t, &p);
    free(p->body);
    p->body = strdup("Bob Fri 05-Feb-21 10:00:00\nquoted");
    p->body_len = strlen(p->body);
    assert_refused(a, "thread \"T\", post 1 (Ann): line 1 of the body would read as a post header"
                      LOSSY("a no-break space (U+00A0) added at the end of the line"));

    /* the intro: a current-layout line anywhere would be the first header */
    a = simple(&t, &p);
    ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.intro", "x\nBob \xC2\xB7 17/12/2012 10:21"),
                     TC_OK);
    assert_refused(a, "thread \"T\": line 2 of mumsnet.intro would read as a post header"
                      LOSSY("a no-break space (U+00A0) added at the end of the line"));

    a = simple(&t, &p);
    free(t->title);
    t->title = strdup("Bob Fri 05-Feb-21 10:00:00");
    assert_refused(a, "thread \"Bob Fri 05-Feb-21 10:00:00\": the title would read as a post "
                      "header" LOSSY("a no-break space (U+00A0) added at its end"));

    /* a post header's name holds no space or tab */
    a = simple(&t, &p);
    free(p->author);
    p->author = strdup(" Ann B ");
    assert_refused(a, "thread \"T\", post 1 ( Ann B ): the author has a space or a tab, which a "
                      "post header's name cannot hold" LOSSY("each written as an underscore"));

    a = simple(&t, &p);
    free(p->author);
    p->author = strdup("Ann\tB");
    assert_refused(a, "thread \"T\", post 1 (Ann\tB): the author has a space or a tab, which a "
                      "post header's name cannot hold" LOSSY("each written as an underscore"));

    a = simple(&t, &p);
    free(p->author);
    p->author = strdup("Ann\nB");
    assert_refused(a, "thread \"T\", post 1 (Ann...): the author has a line break"
                      LOSSY("line breaks written as underscores"));

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
    /* Line 4 of the body is header-shaped after a blank line (line 3, once
     * the CRs go); line 2 follows text, so it stays as it is. */
    tu_post *p = add_post(t, "p1", "Ann", at(2021, 2, 4, 23, 0, 0, 330),
                          "\r\n\nHello\r\nBob Thu 04-Feb-21 09:00:00\r\n\r\n"
                          "Bob Thu 04-Feb-21 10:00:00\n\n");
    ck_assert_int_eq(tc_fields_set(&p->extras, "mumsnet.op", "true"), TC_OK);
    p = add_post(t, "p2", "Bob\nJ", at(2021, 6, 4, 21, 33, 59, 60), "Hi");
    p->parent_id = strdup("p1");
    add_post(t, "3", " Cy D", at(2021, 6, 4, 21, 40, 0, 60), "Yo");

    written *r = write_mn(a, true);
    ck_assert_msg(r->rc == TC_OK, "%s", r->err.text);
    ck_assert_str_eq(r->out.data, "Two lines\n\nIntro text\n\n"
                                  "Ann Thu 04-Feb-21 17:30:00\n\n"
                                  "Hello\nBob Thu 04-Feb-21 09:00:00\n\n"
                                  "Bob Thu 04-Feb-21 10:00:00\xC2\xA0\n\n"
                                  "Bob_J Fri 04-Jun-21 21:33:59\n\nHi\n\n"
                                  "_Cy_D Fri 04-Jun-21 21:40:00\n\nYo\n\n");
    /* One warning for each thing changed: thread id, url, layout, replies,
     * board, title; post 1 id, extra, offset, CR, header line; post 2 id,
     * parent, line break in the author; post 3 spaces in the author. */
    ck_assert_msg(r->n_warnings == 15, "%zu warnings:\n%s", r->n_warnings, r->warnings);
    ck_assert_ptr_nonnull(strstr(r->warnings, "thread \"Two...\", post 3 ( Cy D): the author has a "
                                              "space or a tab, which a post header's name cannot "
                                              "hold; each written as an underscore "
                                              "(mumsnet.lossy)\n"));
    ck_assert_ptr_nonnull(strstr(r->warnings, "thread \"Two...\", post 1 (Ann): the date "
                                              "2021-02-04T23:00:00+05:30 is not in UK time "
                                              "(+00:00 then); the layout shows UK time only; "
                                              "written in UK time (mumsnet.lossy)\n"));
    tu_archive *b = tu_read_memory(MN, r->out.data, r->out.len, "back");
    ck_assert_int_eq(b->rc, TC_OK);
    ck_assert_str_eq(b->threads[0].title, "Two lines");
    ck_assert_uint_eq(b->threads[0].n_posts, 3);
    ck_assert_int_eq(b->threads[0].posts[0].date.utc, a->threads[0].posts[0].date.utc);
    ck_assert_int_eq(b->threads[0].posts[0].date.offset_min, 0);
    ck_assert_str_eq(b->threads[0].posts[0].body,
                     "Hello\nBob Thu 04-Feb-21 09:00:00\n\nBob Thu 04-Feb-21 10:00:00\xC2\xA0");
    ck_assert_str_eq(b->threads[0].posts[1].author, "Bob_J");
    ck_assert_str_eq(b->threads[0].posts[2].author, "_Cy_D");
    ck_assert_str_eq(b->warnings, "");
    tu_archive_free(b);
    written_free(r);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_nul)
{
    /* U+0000, which the model allows in a body: a text file cannot hold it
     * (the reader refuses a NUL byte), so it is refused, or, lossy, each
     * written as U+FFFD with a warning. */
    tu_thread *t;
    tu_post *p;
    tu_archive *a = simple(&t, &p);
    free(p->body);
    p->body = malloc(6);
    ck_assert_ptr_nonnull(p->body);
    memcpy(p->body, "a\0b\n\0", 6); /* and its NUL */
    p->body_len = 5;
    written *r = write_mn(a, false);
    ck_assert_int_eq(r->rc, TC_ERR_DATA);
    ck_assert_str_eq(r->err.text, "thread \"T\", post 1 (Ann): the body holds U+0000 (at byte 1), "
                                  "which a text file cannot hold" LOSSY("each U+0000 written as "
                                  "U+FFFD, the replacement character"));
    written_free(r);
    r = write_mn(a, true);
    ck_assert_msg(r->rc == TC_OK, "%s", r->err.text);
    ck_assert_str_eq(r->out.data, "T\n\nAnn Thu 04-Feb-21 21:33:59\n\n"
                                  "a\xEF\xBF\xBD" "b\n\xEF\xBF\xBD\n\n");
    ck_assert_str_eq(r->warnings, "thread \"T\", post 1 (Ann): the body holds U+0000 (at byte 1), "
                                  "which a text file cannot hold; each U+0000 written as U+FFFD, "
                                  "the replacement character (mumsnet.lossy)\n");
    tu_archive *b = tu_read_memory(MN, r->out.data, r->out.len, "back");
    ck_assert_int_eq(b->rc, TC_OK);
    ck_assert_str_eq(b->threads[0].posts[0].body, "a\xEF\xBF\xBD" "b\n\xEF\xBF\xBD");
    tu_archive_free(b);
    written_free(r);
    tu_archive_free(a);
}
END_TEST

/*
 * The writer's rule for header-shaped lines is the reader's, exactly: for
 * every text made of one to three of the lines below (not starting or
 * ending with a blank one), as a body and as the intro (and each line as a
 * title), either the writer writes it and the reader reads it back
 * unchanged, or the writer refuses it as a line that would read as a post
 * header and the same file written out by hand does not read back as it.
 */
static const char *const rule_lines[] = {
    "text", "", "Bob Fri 05-Feb-21 10:00:00", "Posted by Bob Fri 05-Feb-21 10:00:00",
    " Bob Fri 05-Feb-21 10:00:00", "Bob\tB Fri 05-Feb-21 10:00:00",
    "Bob \xC2\xB7 17/12/2012 10:21", "Bob Fri 31-Feb-21 10:00:00",
};
#define N_RULE_LINES (sizeof rule_lines / sizeof rule_lines[0])

/* Whether text (the whole file) reads as thread title with intro (NULL:
 * none) and the one post by Ann with body. */
static bool reads_as(const char *text, const char *title, const char *intro, const char *body)
{
    tu_archive *b = tu_read_memory(MN, text, strlen(text), "rule");
    bool same = b->rc == TC_OK && b->n_threads == 1 && b->threads[0].n_posts == 1 &&
                strcmp(b->threads[0].title, title) == 0 &&
                strcmp(b->threads[0].posts[0].author, "Ann") == 0 &&
                strcmp(b->threads[0].posts[0].body, body) == 0;
    const char *got = same ? tc_fields_get(&b->threads[0].extras, "mumsnet.intro") : NULL;
    if (same && intro == NULL)
        same = got == NULL;
    else if (same)
        same = got != NULL && strcmp(got, intro) == 0;
    tu_archive_free(b);
    return same;
}

/* Write title / intro / body (Ann's post); check the outcome against the
 * reader.  Returns whether the writer accepted it. */
static bool check_rule(const char *title, const char *intro, const char *body, const char *refusal)
{
    tu_archive *a = new_archive();
    tu_thread *t = add_thread(a, title);
    if (intro != NULL)
        ck_assert_int_eq(tc_fields_set(&t->extras, "mumsnet.intro", intro), TC_OK);
    add_post(t, "1", "Ann", at(2021, 2, 4, 21, 33, 59, 0), body);
    written *r = write_mn(a, false);
    bool accepted = r->rc == TC_OK;
    if (accepted) {
        ck_assert_msg(reads_as(r->out.data, title, intro, body),
                      "written but read back differently:\n%s", r->out.data);
    } else {
        ck_assert_msg(strstr(r->err.text, refusal) != NULL, "refused for another reason: %s",
                      r->err.text);
        tc_buf by_hand = {0};
        ck_assert_int_eq(tc_buf_printf(&by_hand, "%s\n\n%s%sAnn Thu 04-Feb-21 21:33:59\n\n%s\n\n",
                                       title, intro ? intro : "", intro ? "\n\n" : "", body),
                         TC_OK);
        ck_assert_msg(!reads_as(by_hand.data, title, intro, body),
                      "refused (%s), yet it reads back unchanged:\n%s", r->err.text, by_hand.data);
        tc_buf_free(&by_hand);
    }
    written_free(r);
    tu_archive_free(a);
    return accepted;
}

START_TEST(test_header_rule_matches_reader)
{
    size_t accepted = 0, refused = 0;
    for (size_t n = 1; n <= 3; n++) {
        size_t count = 1;
        for (size_t i = 0; i < n; i++)
            count *= N_RULE_LINES;
        for (size_t code = 0; code < count; code++) {
            size_t pick[3], c = code;
            for (size_t i = 0; i < n; i++) {
                pick[i] = c % N_RULE_LINES;
                c /= N_RULE_LINES;
            }
            if (rule_lines[pick[0]][0] == '\0' || rule_lines[pick[n - 1]][0] == '\0')
                continue;
            tc_buf text = {0};
            for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(tc_buf_printf(&text, "%s%s", i ? "\n" : "", rule_lines[pick[i]]),
                                 TC_OK);
            if (check_rule("T", NULL, text.data, "of the body would read as a post header"))
                accepted++;
            else
                refused++;
            if (check_rule("T", text.data, "Hi", "of mumsnet.intro would read as a post header"))
                accepted++;
            else
                refused++;
            tc_buf_free(&text);
        }
    }
    for (size_t i = 0; i < N_RULE_LINES; i++)
        if (rule_lines[i][0] != '\0') {
            if (check_rule(rule_lines[i], NULL, "Hi", "the title would read as a post header"))
                accepted++;
            else
                refused++;
        }
    /* both outcomes occur: e.g. "text\nBob Fri ..." is written, "Bob Fri ..." refused */
    ck_assert_uint_gt(accepted, 100);
    ck_assert_uint_gt(refused, 100);
    ck_assert(check_rule("T", NULL, "text\nBob Fri 05-Feb-21 10:00:00", ""));
    ck_assert(!check_rule("T", NULL, "text\n\nBob Fri 05-Feb-21 10:00:00", "line 3 of the body"));
    ck_assert(check_rule("Posted by Bob Fri 05-Feb-21 10:00:00", NULL, "Hi", ""));
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
    tcase_add_test(tc, test_nul);
    tcase_add_test(tc, test_header_rule_matches_reader);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
