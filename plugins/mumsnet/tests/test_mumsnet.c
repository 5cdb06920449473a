/*
 * test_mumsnet.c - the mumsnet reader, linked in directly.
 *
 * Inputs: the seed thread and the conformance files in $THREADCONV_SHARED
 * (read at run time, never copied), fixtures in
 * $THREADCONV_TESTDATA/mumsnet/, and small inputs built here in memory.
 * Expected values are literals worked out by reading the inputs by hand.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testutil.h"

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tc_module threadconv_module_mumsnet;
#define THE_FORMAT tu_static_format(&threadconv_module_mumsnet, "mumsnet")

/* ---------------------------------------------------------------- helpers */

static tu_archive *read_fixture(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "mumsnet/%s", name);
    char *path = tu_path("THREADCONV_TESTDATA", rel);
    tu_archive *a = tu_read_file(THE_FORMAT, path);
    free(path);
    return a;
}

static tu_archive *read_shared(const char *rel)
{
    char *path = tu_path("THREADCONV_SHARED", rel);
    tu_archive *a = tu_read_file(THE_FORMAT, path);
    free(path);
    return a;
}

static tu_archive *read_str(const char *text, const char *name)
{
    return tu_read_memory(THE_FORMAT, text, strlen(text), name);
}

/* The reader succeeded with exactly one thread of n posts. */
static tu_thread *one_thread(tu_archive *a, size_t n)
{
    ck_assert_msg(a->rc == TC_OK, "reader failed: %s:%llu:%llu: %s", a->err.source,
                  (unsigned long long)a->err.line, (unsigned long long)a->err.column,
                  a->err.text);
    ck_assert_uint_eq(a->n_threads, 1);
    tu_thread *t = &a->threads[0];
    ck_assert_str_eq(t->source, "mumsnet");
    ck_assert_ptr_null(t->id);
    ck_assert_ptr_null(t->url);
    ck_assert_uint_eq(t->n_posts, n);
    return t;
}

static void check_post(const tu_post *p, const char *id, const char *author, const char *iso,
                       const char *body)
{
    char out[TC_ISO_DATE_SIZE];
    ck_assert_str_eq(p->id, id);
    ck_assert_str_eq(p->author, author);
    ck_assert_str_eq(tu_iso(p->date, out), iso);
    ck_assert_uint_eq(p->body_len, strlen(body));
    ck_assert_str_eq(p->body, body);
    ck_assert_ptr_null(p->parent_id);
}

static void check_extra(const tc_fields *f, const char *key, const char *value)
{
    const char *v = tc_fields_get(f, key);
    if (value == NULL) {
        ck_assert_msg(v == NULL, "extra %s should be absent, is \"%s\"", key, v);
        return;
    }
    ck_assert_msg(v != NULL, "extra %s missing (expected \"%s\")", key, value);
    ck_assert_str_eq(v, value);
}

/* The reader failed with this code, line, column and message. */
static void check_error(const tu_archive *a, int code, uint64_t line, uint64_t column,
                        const char *text)
{
    ck_assert_int_eq(a->rc, code);
    ck_assert_int_eq(a->err.code, code);
    ck_assert_msg(a->err.line == line, "error line %llu, expected %llu (%s)",
                  (unsigned long long)a->err.line, (unsigned long long)line, a->err.text);
    ck_assert_msg(a->err.column == column, "error column %llu, expected %llu (%s)",
                  (unsigned long long)a->err.column, (unsigned long long)column, a->err.text);
    ck_assert_str_eq(a->err.text, text);
}

/* The warning for a classic-shaped line in a header's place whose name holds
 * a space; "of the post by NAME" or "before the first post" follows. */
#define SPACED_NAME "line looks like a post header, but its name holds a space, which " \
                    "Mumsnet user names never do; kept as text "

/* LF text to CRLF, with a BOM in front and the final newline dropped. */
static char *to_crlf_bom(const char *lf, size_t *out_len)
{
    size_t n = strlen(lf);
    char *out = malloc(3 + 2 * n + 1);
    ck_assert_ptr_nonnull(out);
    size_t k = 0;
    memcpy(out, "\xEF\xBB\xBF", 3);
    k = 3;
    for (size_t i = 0; i < n; i++) {
        if (lf[i] == '\n') {
            if (i + 1 == n)
                break; /* no final newline */
            out[k++] = '\r';
        }
        out[k++] = lf[i];
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

/* ---------------------------------------------------------------- the seed */

#define SEED "seeds/000_e8c5bdb5bae043fe.txt"

START_TEST(seed_posts)
{
    static const char *const authors[20] = {
        "Daffodil72",      "OverByYer",     "Northernsoullover",
        "GeorgieTheGorgeousGoat", "Daffodil72", "JaniceBattersby",
        "Daffodil72",      "user1495884673", "Daffodil72",
        "Daffodil72",      "dingoesatemybaby", "AlwaysCheddar",
        "VinterKvinna",    "Daffodil72",    "ComplaintsComplaintsComplaints",
        "zzizzer",         "VinterKvinna",  "DianaT1969",
        "AlwaysCheddar",   "Allington",
    };
    static const char *const dates[20] = {
        "2021-02-04T21:33:59+00:00", "2021-02-04T21:35:23+00:00", "2021-02-04T21:36:43+00:00",
        "2021-02-04T21:37:37+00:00", "2021-02-04T21:39:55+00:00", "2021-02-04T21:40:29+00:00",
        "2021-02-04T21:41:49+00:00", "2021-02-04T21:44:57+00:00", "2021-02-04T21:46:13+00:00",
        "2021-02-04T21:46:53+00:00", "2021-02-04T21:49:12+00:00", "2021-02-05T07:00:37+00:00",
        "2021-02-05T07:14:31+00:00", "2021-02-05T07:15:32+00:00", "2021-02-05T07:17:34+00:00",
        "2021-02-05T07:20:09+00:00", "2021-02-05T07:40:56+00:00", "2021-02-05T07:49:17+00:00",
        "2021-02-14T15:35:29+00:00", "2021-02-14T16:16:36+00:00",
    };
    tu_archive *a = read_shared(SEED);
    tu_thread *t = one_thread(a, 20);
    ck_assert_str_eq(t->title, "Can police (Metropolitan police) use Skype and other social media?");
    check_extra(&t->extras, "mumsnet.layout", "classic");
    check_extra(&t->extras, "mumsnet.preamble", NULL);
    check_extra(&t->extras, "mumsnet.replies", NULL);
    check_extra(&t->extras, "mumsnet.intro", NULL);
    ck_assert_uint_eq(t->extras.count, 1);
    for (size_t i = 0; i < 20; i++) {
        char id[24], iso[TC_ISO_DATE_SIZE];
        snprintf(id, sizeof id, "%zu", i + 1);
        ck_assert_str_eq(t->posts[i].id, id);
        ck_assert_str_eq(t->posts[i].author, authors[i]);
        ck_assert(t->posts[i].date.present);
        ck_assert_int_eq(t->posts[i].date.offset_min, 0);
        ck_assert_str_eq(tu_iso(t->posts[i].date, iso), dates[i]);
        ck_assert_uint_eq(t->posts[i].extras.count, 0);
    }
    /* the first, an empty one, one with curly quotes, and the last */
    check_post(&t->posts[0], "1", "Daffodil72", "2021-02-04T21:33:59+00:00",
               "Or not? Just wondered.");
    check_post(&t->posts[1], "2", "OverByYer", "2021-02-04T21:35:23+00:00", "");
    check_post(&t->posts[5], "6", "JaniceBattersby", "2021-02-04T21:40:29+00:00",
               "Our coppers are encouraged to use named Twitter accounts as marketing. It "
               "works. Every Tweet they do gets about 1,000 likes to the point of being a bit "
               "nauseating.\n\n"
               "\xE2\x80\x9C" "Just having a donut" "\xE2\x80\x9D" " = 1,000 likes\n"
               "Anything about a police dog = 10,000 likes and so on");
    check_post(&t->posts[19], "20", "Allington", "2021-02-14T16:16:36+00:00",
               "At one point many police forces did not allow their IT systems to access Zoom "
               "because of security concerns. Security has been tightened up, but the block "
               "is still in place with some forces - where staff phone into a Zoom meeting to "
               "get round it...\n"
               "\n"
               "But that is work devices, not personal.\n"
               "\n"
               "In many organisations Skype is being replaced by teams.");
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);
}
END_TEST

/* The seed with CRLF ends, a BOM and no final newline reads the same. */
START_TEST(seed_crlf_bom_twin)
{
    char *path = tu_path("THREADCONV_SHARED", SEED);
    char *lf = tu_slurp(path, NULL);
    size_t n;
    char *crlf = to_crlf_bom(lf, &n);
    tu_archive *a = tu_read_file(THE_FORMAT, path);
    tu_archive *b = tu_read_memory(THE_FORMAT, crlf, n, "seed-crlf");
    one_thread(b, 20);
    tu_archives_equal(a, b);
    ck_assert_str_eq(b->warnings, "");
    tu_archive_free(a);
    tu_archive_free(b);
    free(crlf);
    free(lf);
    free(path);
}
END_TEST

/* ---------------------------------------------------------------- conformance */

/* Compare a conformance .txt with its hand-worked .expected.json. */
static tu_archive *check_conformance(const char *stem)
{
    char rel[256];
    snprintf(rel, sizeof rel, "conformance/mumsnet/%s.expected.json", stem);
    char *jpath = tu_path("THREADCONV_SHARED", rel);
    json_error_t jerr;
    json_t *root = json_load_file(jpath, 0, &jerr);
    ck_assert_msg(root != NULL, "%s:%d: %s", jpath, jerr.line, jerr.text);

    snprintf(rel, sizeof rel, "conformance/mumsnet/%s.txt", stem);
    tu_archive *a = read_shared(rel);
    json_t *posts = json_object_get(root, "posts");
    ck_assert(json_is_array(posts));
    tu_thread *t = one_thread(a, json_array_size(posts));
    ck_assert_str_eq(t->title, json_string_value(json_object_get(root, "title")));
    for (size_t i = 0; i < t->n_posts; i++) {
        json_t *p = json_array_get(posts, i);
        json_t *body = json_object_get(p, "body");
        char id[24], iso[TC_ISO_DATE_SIZE];
        snprintf(id, sizeof id, "%zu", i + 1);
        ck_assert_str_eq(t->posts[i].id, id);
        ck_assert_str_eq(t->posts[i].author, json_string_value(json_object_get(p, "author")));
        ck_assert_str_eq(tu_iso(t->posts[i].date, iso),
                         json_string_value(json_object_get(p, "date")));
        ck_assert(json_is_string(body));
        ck_assert_uint_eq(t->posts[i].body_len, json_string_length(body));
        ck_assert(memcmp(t->posts[i].body, json_string_value(body), json_string_length(body)) == 0);
    }
    ck_assert_str_eq(a->warnings, "");
    json_decref(root);
    free(jpath);
    return a;
}

START_TEST(conformance_classic)
{
    tu_archive *a = check_conformance("classic-layout");
    tu_thread *t = &a->threads[0];
    check_extra(&t->extras, "mumsnet.layout", "classic");
    ck_assert_uint_eq(t->extras.count, 1);
    /* as worked out by hand, too: the October change and the empty body */
    check_post(&t->posts[0], "1", "RainyDayMum", "2025-10-26T00:30:00+01:00",
               "Is it rude to not wave back?");
    check_post(&t->posts[1], "2", "Wellies42", "2025-10-26T02:30:00+00:00", "");
    check_post(&t->posts[2], "3", "RainyDayMum", "2025-10-27T08:00:00+00:00",
               "Update:\n\nshe waved first   \n\tthen left.");
    tu_archive_free(a);
}
END_TEST

START_TEST(conformance_current)
{
    tu_archive *a = check_conformance("current-layout");
    tu_thread *t = &a->threads[0];
    check_extra(&t->extras, "mumsnet.layout", "current");
    check_extra(&t->extras, "mumsnet.preamble",
                "Chat\nAdvertisement\nWin a family holiday! Enter now\n"
                "See all MNHQ comments on this thread");
    check_extra(&t->extras, "mumsnet.replies", "3");
    check_extra(&t->extras, "mumsnet.intro", NULL);
    ck_assert_uint_eq(t->extras.count, 3);
    check_post(&t->posts[2], "3", "Crumbs4Days", "2024-11-02T09:02:00+00:00",
               "Fair point, well made.");
    check_extra(&t->posts[2].extras, "mumsnet.op", "true");
    check_extra(&t->posts[0].extras, "mumsnet.op", NULL);
    check_extra(&t->posts[1].extras, "mumsnet.op", NULL);
    check_extra(&t->posts[3].extras, "mumsnet.op", NULL);
    check_post(&t->posts[3], "4", "LateToThis", "2025-03-30T02:30:00+01:00",
               "Still Hobnobs. Clocks went forward last night!");
    tu_archive_free(a);
}
END_TEST

/* ---------------------------------------------------------------- fixtures */

START_TEST(current_furniture)
{
    tu_archive *a = read_fixture("current-furniture.txt");
    tu_thread *t = one_thread(a, 3);
    ck_assert_str_eq(t->title, "Dunking etiquette: a poll (1,234 replies so far)");
    check_extra(&t->extras, "mumsnet.layout", "current");
    check_extra(&t->extras, "mumsnet.preamble",
                "Chat\nAdvertisement\nPlease or to access all these features");
    check_extra(&t->extras, "mumsnet.replies", "1234");
    check_extra(&t->extras, "mumsnet.intro", "This thread is archived.");
    ck_assert_uint_eq(t->extras.count, 4);

    check_post(&t->posts[0], "1", "Mrs. O'Brien-Smith", "2024-07-15T12:00:00+01:00",
               "First para.\n\nSecond para with trailing space ");
    check_extra(&t->posts[0].extras, "mumsnet.op", "true");
    check_post(&t->posts[1], "2", "\xC3\x89milie 2", "2024-07-15T12:05:00+01:00",
               "Body straight after header.\nDaffodil72 Thu 04-Feb-21 21:33:59");
    ck_assert_uint_eq(t->posts[1].extras.count, 0);
    check_post(&t->posts[2], "3", "Mrs. O'Brien-Smith", "2025-01-01T00:00:00+00:00",
               "Happy new year");
    check_extra(&t->posts[2].extras, "mumsnet.op", "true");

    ck_assert_uint_eq(a->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(a->warnings,
                                 "current-furniture.txt:22: line looks like a classic-layout post "
                                 "header, but this thread uses the current layout"));
    tu_archive_free(a);
}
END_TEST

START_TEST(crlf_bom_twin_fixture)
{
    tu_archive *a = read_fixture("body-whitespace.txt");
    tu_archive *b = read_fixture("body-whitespace-crlf-bom.txt");
    tu_thread *t = one_thread(a, 1);
    one_thread(b, 1);
    tu_archives_equal(a, b);
    ck_assert_str_eq(t->title, "Tabs, spaces and blank lines");
    /* Line 3, "Pat Smith Mon 01-Mar-21 09:00:00", has a space in its name:
     * text, so lines 3-16 are the intro and Pat_2 (line 17) the one post.
     * Only empty lines are blank: the " " and "\t" lines are text. */
    check_extra(&t->extras, "mumsnet.intro",
                "Pat Smith Mon 01-Mar-21 09:00:00\n\n\n"
                "\tindented line\ntrailing spaces   \n\n\nafter two blank lines\n \n"
                "^ a line of one space above is text\n\t");
    check_post(&t->posts[0], "1", "Pat_2", "2021-03-02T10:00:00+00:00", "last\t");
    ck_assert_uint_eq(a->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(a->warnings, "/body-whitespace.txt:3:4: " SPACED_NAME
                                              "before the first post\n"));
    ck_assert_uint_eq(b->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(b->warnings, "/body-whitespace-crlf-bom.txt:3:4: " SPACED_NAME
                                              "before the first post\n"));
    tu_archive_free(a);
    tu_archive_free(b);
}
END_TEST

START_TEST(weekday_mismatch_warns)
{
    tu_archive *a = read_fixture("weekday-mismatch.txt");
    tu_thread *t = one_thread(a, 1);
    check_post(&t->posts[0], "1", "Daffodil72", "2021-02-04T21:33:59+00:00", "It was a Thursday.");
    ck_assert_uint_eq(a->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(a->warnings, "weekday-mismatch.txt:3:12: weekday Fri in post "
                                              "header does not match the date 04-Feb-21, which "
                                              "is a Thursday; the date is used\n"));
    tu_archive_free(a);
}
END_TEST

START_TEST(two_digit_years_and_bst)
{
    tu_archive *a = read_fixture("years-and-bst.txt");
    tu_thread *t = one_thread(a, 3);
    check_post(&t->posts[0], "1", "A", "2000-01-01T00:00:00+00:00", "x");
    check_post(&t->posts[1], "2", "B", "2099-01-01T12:00:00+00:00", "y"); /* 99 is 2099 */
    check_post(&t->posts[2], "3", "C", "2021-06-04T21:33:59+01:00",
               "z\n\nD \xC2\xB7 17/07/2024 10:21");
    /* the current-layout line in a classic thread is text, with a warning */
    ck_assert_uint_eq(a->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(a->warnings, "years-and-bst.txt:15: line looks like a "
                                              "current-layout post header, but this thread "
                                              "uses the classic layout"));
    tu_archive_free(a);
}
END_TEST

/* ---------------------------------------------------------------- errors */

#define SHAPES "`NAME Ddd DD-Mon-YY HH:MM:SS` or `NAME \xC2\xB7 DD/MM/YYYY HH:MM`"

START_TEST(error_empty)
{
    tu_archive *a = read_fixture("empty.txt");
    check_error(a, TC_ERR_DATA, 0, 0,
                "empty input: expected a thread title followed by posts with headers like "
                SHAPES);
    ck_assert_ptr_nonnull(strstr(a->err.source, "empty.txt"));
    tu_archive_free(a);
    /* blank lines only are empty too */
    a = read_str("\n\r\n\n", "blank");
    check_error(a, TC_ERR_DATA, 0, 0,
                "empty input: expected a thread title followed by posts with headers like "
                SHAPES);
    tu_archive_free(a);
}
END_TEST

START_TEST(error_no_header)
{
    tu_archive *a = read_fixture("no-header.txt");
    check_error(a, TC_ERR_DATA, 4, 0,
                "no post header found: expected a line like " SHAPES
                ", found the end of the input");
    ck_assert_uint_eq(a->n_threads, 0);
    tu_archive_free(a);
    /* near-misses are not headers either */
    a = read_str("T\n\nAnn Thu 04-Foo-21 21:33:59\nAnn Xyz 04-Feb-21 21:33:59\n"
                 "Thu 04-Feb-21 21:33:59\nAnn Thu 4-Feb-21 21:33:59\nAnn Thu 04-Feb-21 21:33\n"
                 "Ann \xC2\xB7 17/12/2012 10:21:00\nAnn \xC2\xB7 17/12/12 10:21\n"
                 " \xC2\xB7 17/12/2012 10:21\nAnn - 17/12/2012 10:21", "near");
    check_error(a, TC_ERR_DATA, 11, 0,
                "no post header found: expected a line like " SHAPES
                ", found the end of the input");
    tu_archive_free(a);
}
END_TEST

START_TEST(error_impossible_date)
{
    tu_archive *a = read_fixture("impossible-date.txt");
    check_error(a, TC_ERR_DATA, 7, 10,
                "impossible date in post header: 31-Feb-21 25:61:00 has day 31, but February "
                "2021 has 28 days");
    tu_archive_free(a);

    a = read_str("T\n\nBob Thu 04-Feb-21 25:61:00\n", "time");
    check_error(a, TC_ERR_DATA, 3, 9,
                "impossible time in post header: 04-Feb-21 25:61:00, expected hours 00-23 and "
                "minutes and seconds 00-59");
    tu_archive_free(a);

    a = read_str("T\n\nBob \xC2\xB7 01/13/2024 10:00\n", "month");
    check_error(a, TC_ERR_DATA, 3, 7,
                "impossible date in post header: 01/13/2024 10:00 has month 13, expected a "
                "month 01-12");
    tu_archive_free(a);

    a = read_str("T\n\nBob \xC2\xB7 29/02/2023 10:00\n", "leap");
    check_error(a, TC_ERR_DATA, 3, 7,
                "impossible date in post header: 29/02/2023 10:00 has day 29, but February "
                "2023 has 28 days");
    tu_archive_free(a);

    a = read_str("T\n\nBob \xC2\xB7 29/02/2024 23:60\n", "minute");
    check_error(a, TC_ERR_DATA, 3, 7,
                "impossible time in post header: 29/02/2024 23:60, expected hours 00-23 and "
                "minutes 00-59");
    tu_archive_free(a);

    /* the column counts characters: the name has a two-byte letter */
    a = read_str("T\n\nZo\xC3\xAB Thu 00-Feb-21 10:00:00\n", "day0");
    check_error(a, TC_ERR_DATA, 3, 9,
                "impossible date in post header: 00-Feb-21 10:00:00 has day 00, but February "
                "2021 has 28 days");
    tu_archive_free(a);
}
END_TEST

START_TEST(error_invalid_utf8_and_nul)
{
    tu_archive *a = read_fixture("invalid-utf8.txt");
    check_error(a, TC_ERR_DATA, 5, 6, "invalid UTF-8 (byte 0xFF): expected UTF-8 text");
    ck_assert_ptr_nonnull(strstr(a->err.source, "invalid-utf8.txt"));
    tu_archive_free(a);

    a = read_fixture("nul.txt");
    check_error(a, TC_ERR_DATA, 5, 3, "NUL byte in the text: expected UTF-8 text without NUL bytes");
    ck_assert_ptr_nonnull(strstr(a->err.source, "nul.txt"));
    tu_archive_free(a);

    /* in the title line, after a BOM (columns count after it) */
    static const char bad_title[] = "\xEF\xBB\xBF" "ab\xC3(\n";
    a = tu_read_memory(THE_FORMAT, bad_title, sizeof bad_title - 1, "bom");
    check_error(a, TC_ERR_DATA, 1, 3, "invalid UTF-8 (byte 0xC3): expected UTF-8 text");
    tu_archive_free(a);

    /* an overlong form, and a surrogate, in a header's user name */
    a = read_str("T\n\n\xC0\xAF Thu 04-Feb-21 21:33:59\n", "overlong");
    check_error(a, TC_ERR_DATA, 3, 1, "invalid UTF-8 (byte 0xC0): expected UTF-8 text");
    tu_archive_free(a);
    a = read_str("T\n\nAnn Thu 04-Feb-21 21:33:59\n\nx\xED\xA0\x80\n", "surrogate");
    check_error(a, TC_ERR_DATA, 5, 2, "invalid UTF-8 (byte 0xED): expected UTF-8 text");
    tu_archive_free(a);

    /* a NUL in the last line, which has no newline */
    static const char nul_last[] = "T\n\nAnn Thu 04-Feb-21 21:33:59\n\n\xC3\xA9\xC3\xA9\0";
    a = tu_read_memory(THE_FORMAT, nul_last, sizeof nul_last - 1, "nul-last");
    check_error(a, TC_ERR_DATA, 5, 3, "NUL byte in the text: expected UTF-8 text without NUL bytes");
    tu_archive_free(a);
}
END_TEST

/* A body over tc_stream_max_post is an error naming the limit. */
START_TEST(error_body_over_limit)
{
    tc_stream *probe = tc_stream_open_memory("", 0, "x");
    size_t max = tc_stream_max_post(probe);
    tc_stream_close(probe);
    ck_assert_msg(max <= (size_t)512 * 1024 * 1024,
                  "max-post limit %zu too large to test in memory", max);

    /* header on line 3, blank line 4, then lines of `chunk` bytes */
    size_t chunk = max / 64 < 65536 ? max / 64 : 65536;
    if (chunk == 0)
        chunk = 1;
    size_t lines = max / (chunk + 1) + 2; /* enough to pass the limit */
    tc_buf in = {0};
    ck_assert_int_eq(tc_buf_append(&in, "Big\n\nBig Thu 04-Feb-21 21:33:59\n\n", 33), TC_OK);
    ck_assert_int_eq(tc_buf_reserve(&in, lines * (chunk + 1)), TC_OK);
    for (size_t i = 0; i < lines; i++) {
        memset(in.data + in.len, 'a', chunk);
        in.data[in.len + chunk] = '\n';
        in.len += chunk + 1;
    }
    in.data[in.len] = '\0';
    tu_archive *a = tu_read_memory(THE_FORMAT, in.data, in.len, "big");
    /* k lines of chunk bytes take k*chunk + (k-1) bytes; the first k over max fails */
    size_t k = (max + 1) / (chunk + 1) + 1;
    while (k > 1 && (k - 1) * chunk + (k - 2) > max)
        k--;
    char text[256];
    snprintf(text, sizeof text,
             "post body is longer than the max-post limit (%zu bytes): post 1 by Big, header "
             "on line 3", max);
    check_error(a, TC_ERR_DATA, 4 + k, 0, text);
    tu_archive_free(a);

    /* the same text with no header at all: the search for the first header
     * stops at the limit too */
    ck_assert(memcmp(in.data + 9, "Thu", 3) == 0);
    in.data[9] = 'X'; /* "Big Xhu 04-Feb-21 21:33:59" is no header */
    a = tu_read_memory(THE_FORMAT, in.data, in.len, "noheader");
    ck_assert_int_eq(a->rc, TC_ERR_DATA);
    ck_assert_uint_gt(a->err.line, 4);
    ck_assert_uint_lt(a->err.line, lines + 4);
    snprintf(text, sizeof text,
             "no post header in the first %zu bytes (the max-post limit): expected a header "
             "like " SHAPES, max);
    ck_assert_str_eq(a->err.text, text);
    tu_archive_free(a);
    tc_buf_free(&in);
}
END_TEST

/* ---------------------------------------------------------------- small inputs */

START_TEST(header_first_line)
{
    tu_archive *a = read_str("Alice Thu 04-Feb-21 21:33:59\n\nhi\n", "first");
    tu_thread *t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "");
    check_extra(&t->extras, "mumsnet.layout", "classic");
    ck_assert_uint_eq(t->extras.count, 1);
    check_post(&t->posts[0], "1", "Alice", "2021-02-04T21:33:59+00:00", "hi");
    ck_assert_str_eq(a->warnings, "first:1: no thread title before the first post header; "
                                  "the title is empty\n");
    tu_archive_free(a);

    /* a current header straight after the replies line, no title at all */
    a = read_str("3 replies\nAnn \xC2\xB7 17/12/2012 10:21\n\nHi", "notitle");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "");
    check_extra(&t->extras, "mumsnet.replies", "3");
    check_extra(&t->extras, "mumsnet.preamble", NULL);
    check_post(&t->posts[0], "1", "Ann", "2012-12-17T10:21:00+00:00", "Hi");
    ck_assert_uint_eq(a->n_warnings, 1);
    tu_archive_free(a);
}
END_TEST

START_TEST(replies_lines)
{
    tu_archive *a = read_str("Board\nMy title\n1 reply\nAnn \xC2\xB7 17/12/2012 10:21\n\nHello\n",
                             "one");
    tu_thread *t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "My title");
    check_extra(&t->extras, "mumsnet.preamble", "Board");
    check_extra(&t->extras, "mumsnet.replies", "1");
    check_post(&t->posts[0], "1", "Ann", "2012-12-17T10:21:00+00:00", "Hello");
    tu_archive_free(a);

    /* a blank line and furniture between the title and the replies line;
     * a second replies line is intro text */
    a = read_str("My title\n\nSee all MNHQ comments on this thread\n12,345,678 replies\n"
                 "2 replies\n\nAnn \xC2\xB7 17/12/2012 10:21\nHello\n",
                 "many");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "My title");
    check_extra(&t->extras, "mumsnet.preamble", NULL);
    check_extra(&t->extras, "mumsnet.replies", "12345678");
    check_extra(&t->extras, "mumsnet.intro", "2 replies");
    tu_archive_free(a);

    /* badly grouped numbers are not a replies line: the title is the first line */
    a = read_str("Board\nMy title\n1,23 replies\nAnn \xC2\xB7 17/12/2012 10:21\n\nHello\n",
                 "bad");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Board");
    check_extra(&t->extras, "mumsnet.replies", NULL);
    check_extra(&t->extras, "mumsnet.intro", "My title\n1,23 replies");
    tu_archive_free(a);

    /* without a replies line the title is the first non-furniture line */
    a = read_str("\nPlease or to access all these features\nSome board\n\nTitle?\nOP posts:\n"
                 "\nAnn \xC2\xB7 17/12/2012 10:21\n\nHi\n",
                 "noreplies");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Some board");
    check_extra(&t->extras, "mumsnet.preamble", "Please or to access all these features");
    check_extra(&t->extras, "mumsnet.intro", "Title?");
    /* the OP marker before the first header marks the first post */
    check_extra(&t->posts[0].extras, "mumsnet.op", "true");
    tu_archive_free(a);
}
END_TEST

/* Furniture is filtered in the current layout only. */
START_TEST(classic_keeps_furniture_text)
{
    tu_archive *a = read_str("Title\n3 replies\n\nAnn Thu 04-Feb-21 21:33:59\n\nOP posts:\n"
                             "See all MNHQ comments on this thread\n"
                             "Please or to access all these features\n\n",
                             "classic");
    tu_thread *t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Title");
    check_extra(&t->extras, "mumsnet.replies", NULL);
    check_extra(&t->extras, "mumsnet.intro", "3 replies");
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:33:59+00:00",
               "OP posts:\nSee all MNHQ comments on this thread\n"
               "Please or to access all these features");
    ck_assert_uint_eq(t->posts[0].extras.count, 0);
    tu_archive_free(a);

    /* in the current layout furniture inside a body goes, text around it stays;
     * a line that only starts like furniture is text */
    a = read_str("T\n1 reply\nAnn \xC2\xB7 17/12/2012 10:21\n\nOne\nOP posts:\nTwo\n"
                 "OP posts: really\n",
                 "current");
    t = one_thread(a, 1);
    check_post(&t->posts[0], "1", "Ann", "2012-12-17T10:21:00+00:00",
               "One\nTwo\nOP posts: really");
    check_extra(&t->posts[0].extras, "mumsnet.op", "true");
    tu_archive_free(a);
}
END_TEST

START_TEST(usernames)
{
    /* A name is anything without a space or tab: punctuation, an emoji,
     * a weekday's name. */
    tu_archive *a = read_str("Names\n\n"
                             "x_y.z-9(she/her)\xF0\x9F\x8C\xBC Thu 04-Feb-21 21:34:00   \n\ntwo\n\n"
                             "Thu Thu 04-Feb-21 21:35:00\n\nthree\n",
                             "names");
    tu_thread *t = one_thread(a, 2);
    check_post(&t->posts[0], "1", "x_y.z-9(she/her)\xF0\x9F\x8C\xBC",
               "2021-02-04T21:34:00+00:00", "two");
    check_post(&t->posts[1], "2", "Thu", "2021-02-04T21:35:00+00:00", "three");
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);

    /* Names with spaces (lines 3 and 7) are text before the first post,
     * trailing spaces kept; Thu on line 11 is the one post. */
    a = read_str("Names\n\n"
                 "Anna Bee Smith Thu 04-Feb-21 21:33:59\n\none\n\n"
                 "x_y.z-9 (she/her) \xF0\x9F\x8C\xBC Thu 04-Feb-21 21:34:00   \n\ntwo\n\n"
                 "Thu Thu 04-Feb-21 21:35:00\n\nthree\n",
                 "spaced");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Names");
    check_extra(&t->extras, "mumsnet.intro",
                "Anna Bee Smith Thu 04-Feb-21 21:33:59\n\none\n\n"
                "x_y.z-9 (she/her) \xF0\x9F\x8C\xBC Thu 04-Feb-21 21:34:00   \n\ntwo");
    check_post(&t->posts[0], "1", "Thu", "2021-02-04T21:35:00+00:00", "three");
    ck_assert_str_eq(a->warnings, "spaced:3:5: " SPACED_NAME "before the first post\n"
                                  "spaced:7:8: " SPACED_NAME "before the first post\n");
    tu_archive_free(a);
}
END_TEST

START_TEST(clock_change_warnings)
{
    tu_archive *a = read_str("Clocks\n\nA Sun 31-Oct-21 01:30:00\n\nback\n\n"
                             "B Sun 28-Mar-21 01:30:00\n\nforward\n\n"
                             "C Sun 28-Mar-21 02:00:00\n\nsummer\n",
                             "clocks");
    tu_thread *t = one_thread(a, 3);
    check_post(&t->posts[0], "1", "A", "2021-10-31T01:30:00+01:00", "back");
    check_post(&t->posts[1], "2", "B", "2021-03-28T01:30:00+00:00", "forward");
    check_post(&t->posts[2], "3", "C", "2021-03-28T02:00:00+01:00", "summer");
    ck_assert_str_eq(a->warnings,
                     "clocks:3:7: 31-Oct-21 01:30:00 occurs twice in UK time (the clocks went "
                     "back); taken as the first, BST (+01:00)\n"
                     "clocks:7:7: 28-Mar-21 01:30:00 does not exist in UK time (the clocks went "
                     "forward); taken as GMT (+00:00)\n");
    tu_archive_free(a);
}
END_TEST

START_TEST(repeated_hour_resolved_by_post_order)
{
    /* 26 Oct 2025: 01:00-01:59 happens twice.  Posts are in time order, so
     * a repeated-hour time earlier than the post above it is the second
     * (GMT) reading; one that still fits the first (BST) keeps it, with a
     * warning. */
    tu_archive *a = read_str("Night owls\n\n"
                             "Owl1 Sun 26-Oct-25 00:50:00\n\none\n\n"
                             "Owl2 Sun 26-Oct-25 01:20:00\n\ntwo\n\n"
                             "Owl3 Sun 26-Oct-25 01:10:00\n\nthree\n\n"
                             "Owl1 Sun 26-Oct-25 01:40:00\n\nfour\n\n"
                             "Owl2 Sun 26-Oct-25 02:05:00\n\nfive\n",
                             "owls");
    tu_thread *t = one_thread(a, 5);
    check_post(&t->posts[0], "1", "Owl1", "2025-10-26T00:50:00+01:00", "one");
    check_post(&t->posts[1], "2", "Owl2", "2025-10-26T01:20:00+01:00", "two");
    check_post(&t->posts[2], "3", "Owl3", "2025-10-26T01:10:00+00:00", "three");
    check_post(&t->posts[3], "4", "Owl1", "2025-10-26T01:40:00+00:00", "four");
    check_post(&t->posts[4], "5", "Owl2", "2025-10-26T02:05:00+00:00", "five");
    ck_assert_int_eq(t->posts[2].date.utc - t->posts[1].date.utc, 50 * 60);
    ck_assert_str_eq(a->warnings,
                     "owls:7:10: 26-Oct-25 01:20:00 occurs twice in UK time (the clocks went "
                     "back); taken as the first, BST (+01:00)\n");
    tu_archive_free(a);
}
END_TEST

START_TEST(blank_and_empty_bodies)
{
    /* empty bodies (a header, two blank lines), trailing blanks at EOF */
    tu_archive *a = read_str("T\n\nA Thu 04-Feb-21 21:33:59\n\n\nB Thu 04-Feb-21 21:34:00\n\n\n"
                             "C Thu 04-Feb-21 21:35:00\n\n\n\n",
                             "empties");
    tu_thread *t = one_thread(a, 3);
    check_post(&t->posts[0], "1", "A", "2021-02-04T21:33:59+00:00", "");
    check_post(&t->posts[1], "2", "B", "2021-02-04T21:34:00+00:00", "");
    check_post(&t->posts[2], "3", "C", "2021-02-04T21:35:00+00:00", "");
    tu_archive_free(a);

    /* a header-shaped line right after a header is not in a header's place:
     * it is A's body, and C (after a blank line) the next post */
    a = read_str("T\n\nA Thu 04-Feb-21 21:33:59\nB Thu 04-Feb-21 21:34:00\n\n\n"
                 "C Thu 04-Feb-21 21:35:00\n\n\n\n",
                 "header-after-header");
    t = one_thread(a, 2);
    check_post(&t->posts[0], "1", "A", "2021-02-04T21:33:59+00:00", "B Thu 04-Feb-21 21:34:00");
    check_post(&t->posts[1], "2", "C", "2021-02-04T21:35:00+00:00", "");
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);

    /* a CR inside a line is kept; only the one before the newline goes */
    a = read_str("T\r\n\r\nA Thu 04-Feb-21 21:33:59\r\n\r\na\rb\r\r\n", "cr");
    t = one_thread(a, 1);
    check_post(&t->posts[0], "1", "A", "2021-02-04T21:33:59+00:00", "a\rb\r");
    tu_archive_free(a);
}
END_TEST

/* ------------------------------------------------- classic headers' places */

/* tests/data/mumsnet/quoted-headers.txt, read by hand:
 *   1 Quoting and names                       the title
 *   2 Ann_1 Thu 04-Feb-21 21:33:59            right after the title: post 1
 *   4 I saw this on another thread:
 *   5 Posted by Bob Thu 04-Feb-21 21:30:00    after text: body, no warning
 *   6 Bob Thu 04-Feb-21 21:30:00              after text: body, no warning
 *   7 and I agree.
 *   9 Pat Smith Thu 04-Feb-21 21:40:00        after a blank line, a space in
 *                                             the name: body, a warning at 9:4
 *  11 Not a post: the name has a space.
 *  13 Cy Fri 05-Feb-21 09:00:00               after a blank line: post 2
 *  15 A real post after a blank line.
 * (lines 3, 8, 10, 12, 14 and 16 are blank) */
START_TEST(quoted_headers_fixture)
{
    tu_archive *a = read_fixture("quoted-headers.txt");
    tu_thread *t = one_thread(a, 2);
    ck_assert_str_eq(t->title, "Quoting and names");
    check_extra(&t->extras, "mumsnet.layout", "classic");
    ck_assert_uint_eq(t->extras.count, 1); /* no intro */
    check_post(&t->posts[0], "1", "Ann_1", "2021-02-04T21:33:59+00:00",
               "I saw this on another thread:\n"
               "Posted by Bob Thu 04-Feb-21 21:30:00\n"
               "Bob Thu 04-Feb-21 21:30:00\n"
               "and I agree.\n\n"
               "Pat Smith Thu 04-Feb-21 21:40:00\n\n"
               "Not a post: the name has a space.");
    check_post(&t->posts[1], "2", "Cy", "2021-02-05T09:00:00+00:00",
               "A real post after a blank line.");
    ck_assert_uint_eq(a->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(a->warnings, "/quoted-headers.txt:9:4: " SPACED_NAME
                                              "of the post by Ann_1\n"));
    tu_archive_free(a);
}
END_TEST

START_TEST(first_post_after_title)
{
    /* no blank line between the title and the first header */
    tu_archive *a = read_str("Title\nAnn Thu 04-Feb-21 21:33:59\n\nhi\n", "tight");
    tu_thread *t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Title");
    ck_assert_uint_eq(t->extras.count, 1);
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:33:59+00:00", "hi");
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);

    /* blank lines above the title change nothing (CRLF too) */
    a = read_str("\r\n\nTitle\r\nAnn Thu 04-Feb-21 21:33:59\r\nBob Thu 04-Feb-21 21:34:00\r\n",
                 "tight-crlf");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Title");
    /* Bob's line follows a header, not a blank line: Ann's body */
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:33:59+00:00", "Bob Thu 04-Feb-21 21:34:00");
    tu_archive_free(a);

    /* a header after the intro's text with no blank line is intro text:
     * the file then has no header (the error is at the last line, 6) */
    a = read_str("Title\n\nIntro line\nAnn Thu 04-Feb-21 21:33:59\n\nhi\n", "after-intro");
    check_error(a, TC_ERR_DATA, 6, 0,
                "no post header found: expected a line like " SHAPES
                ", found the end of the input");
    tu_archive_free(a);

    /* right after the title, a name with a space: text (the intro), with a
     * warning; the header after the blank line is the first post */
    a = read_str("Title\nPat Smith Thu 04-Feb-21 21:33:59\n\nhi\n\nAnn Thu 04-Feb-21 21:34:00\n\nyo\n",
                 "spaced-first");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Title");
    check_extra(&t->extras, "mumsnet.intro", "Pat Smith Thu 04-Feb-21 21:33:59\n\nhi");
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:34:00+00:00", "yo");
    ck_assert_str_eq(a->warnings, "spaced-first:2:4: " SPACED_NAME "before the first post\n");
    tu_archive_free(a);

    /* on the first line it is the title */
    a = read_str("Pat Smith Thu 04-Feb-21 21:33:59\n\nAnn Thu 04-Feb-21 21:34:00\n\nyo\n", "title");
    t = one_thread(a, 1);
    ck_assert_str_eq(t->title, "Pat Smith Thu 04-Feb-21 21:33:59");
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:34:00+00:00", "yo");
    ck_assert_str_eq(a->warnings, "title:1:4: " SPACED_NAME "before the first post\n");
    tu_archive_free(a);
}
END_TEST

START_TEST(spaced_names_are_text)
{
    /* A tab (line 7, column 4) and a leading space (line 11, column 1) are
     * spaces too; a line that is text is never checked as a date (line 11
     * has 31 February). */
    tu_archive *a = read_str("T\n\nAnn Thu 04-Feb-21 21:33:59\n\none\n\n"
                             "Bob\tB Thu 04-Feb-21 21:34:00\n\ntwo\n\n"
                             " Cy Thu 31-Feb-21 21:35:00  \n\nDi Thu 04-Feb-21 21:36:00\n\nthree\n",
                             "spaces");
    tu_thread *t = one_thread(a, 2);
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:33:59+00:00",
               "one\n\nBob\tB Thu 04-Feb-21 21:34:00\n\ntwo\n\n Cy Thu 31-Feb-21 21:35:00  ");
    check_post(&t->posts[1], "2", "Di", "2021-02-04T21:36:00+00:00", "three");
    ck_assert_str_eq(a->warnings, "spaces:7:4: " SPACED_NAME "of the post by Ann\n"
                                  "spaces:11:1: " SPACED_NAME "of the post by Ann\n");
    tu_archive_free(a);

    /* quoted after text, an impossible date is no error either */
    a = read_str("T\n\nAnn Thu 04-Feb-21 21:33:59\n\nquote:\nBob Thu 31-Feb-21 25:61:00\n", "quoted");
    t = one_thread(a, 1);
    check_post(&t->posts[0], "1", "Ann", "2021-02-04T21:33:59+00:00",
               "quote:\nBob Thu 31-Feb-21 25:61:00");
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);

    /* the current layout keeps its headers anywhere, names with spaces too */
    a = read_str("T\n1 reply\nMrs B \xC2\xB7 17/12/2012 10:21\nHello\nAnn B \xC2\xB7 17/12/2012 10:22\nyo\n",
                 "current");
    t = one_thread(a, 2);
    check_post(&t->posts[0], "1", "Mrs B", "2012-12-17T10:21:00+00:00", "Hello");
    check_post(&t->posts[1], "2", "Ann B", "2012-12-17T10:22:00+00:00", "yo");
    ck_assert_str_eq(a->warnings, "");
    tu_archive_free(a);
}
END_TEST

/* A post with an impossible date is stepped over up to the next header by
 * the same rule: C (line 10, after text) is in B's text, D is next. */
START_TEST(skipped_post_ends_at_a_real_header)
{
    static const char text[] = "T\n\nA Thu 04-Feb-21 10:00:00\n\na\n\n"
                               "B Thu 31-Feb-21 10:00:00\n\nquote:\nC Thu 04-Feb-21 11:00:00\n\n"
                               "D Thu 04-Feb-21 12:00:00\n\nd\n";
    tc_stream *in = tc_stream_open_memory(text, sizeof text - 1, "skip");
    void *state = NULL;
    const tc_thread *t;
    const tc_post *p;
    ck_assert_int_eq(THE_FORMAT->read_open(in, &state), TC_OK);
    ck_assert_int_eq(THE_FORMAT->read_next_thread(in, state, &t), TC_OK);
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_OK);
    ck_assert_str_eq(p->author, "A");
    ck_assert_str_eq(p->body, "a");
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_SKIPPED);
    ck_assert_uint_eq(tc_stream_get_error(in)->line, 7);
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_OK);
    ck_assert_str_eq(p->id, "3");
    ck_assert_str_eq(p->author, "D");
    ck_assert_str_eq(p->body, "d");
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_EOF);
    THE_FORMAT->read_close(in, state);
    tc_stream_close(in);
}
END_TEST

/* The callbacks directly: one thread per file, EOF stays EOF. */
START_TEST(streaming_contract)
{
    static const char text[] = "T\n\nA Thu 04-Feb-21 21:33:59\n\none\n\nB Thu 04-Feb-21 21:34:00\n\ntwo\n";
    tc_stream *in = tc_stream_open_memory(text, sizeof text - 1, "contract");
    void *state = NULL;
    ck_assert_int_eq(THE_FORMAT->read_open(in, &state), TC_OK);
    const tc_thread *t;
    const tc_post *p;
    ck_assert_int_eq(THE_FORMAT->read_next_thread(in, state, &t), TC_OK);
    ck_assert_str_eq(t->title, "T");
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_OK);
    ck_assert_str_eq(p->author, "A");
    ck_assert_str_eq(p->body, "one");
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_OK);
    ck_assert_str_eq(p->author, "B");
    ck_assert_str_eq(p->body, "two");
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_EOF);
    ck_assert_int_eq(THE_FORMAT->read_next_post(in, state, &p), TC_EOF);
    ck_assert_int_eq(THE_FORMAT->read_next_thread(in, state, &t), TC_EOF);
    ck_assert_int_eq(THE_FORMAT->read_next_thread(in, state, &t), TC_EOF);
    THE_FORMAT->read_close(in, state);
    ck_assert_int_eq(tc_stream_get_error(in)->code, TC_OK);
    tc_stream_close(in);

    /* leaving posts unread: the next thread is the end */
    in = tc_stream_open_memory(text, sizeof text - 1, "contract");
    ck_assert_int_eq(THE_FORMAT->read_open(in, &state), TC_OK);
    ck_assert_int_eq(THE_FORMAT->read_next_thread(in, state, &t), TC_OK);
    ck_assert_int_eq(THE_FORMAT->read_next_thread(in, state, &t), TC_EOF);
    THE_FORMAT->read_close(in, state);
    tc_stream_close(in);
}
END_TEST

START_TEST(descriptor)
{
    ck_assert_uint_eq(threadconv_module_mumsnet.magic, TC_MODULE_MAGIC);
    ck_assert_str_eq(threadconv_module_mumsnet.name, "mumsnet");
    ck_assert_str_eq(threadconv_module_mumsnet.version, "2.0.0");
    ck_assert_str_eq(threadconv_module_mumsnet.license, "MIT");
    ck_assert_uint_eq(threadconv_module_mumsnet.n_formats, 1);
    ck_assert_str_eq(THE_FORMAT->name, "mumsnet");
    ck_assert_ptr_nonnull(THE_FORMAT->description);
    ck_assert(THE_FORMAT->read_probe != NULL);
    ck_assert(THE_FORMAT->write_open != NULL); /* the writer: test_mumsnet_write.c */
    ck_assert(!tc_is_reserved_key("mumsnet.layout"));
    ck_assert(!tc_is_reserved_key("mumsnet.op"));
}
END_TEST

/* ---------------------------------------------------------------- probe */

static int probe_str(const char *s)
{
    return THE_FORMAT->read_probe((const unsigned char *)s, strlen(s), "x");
}

static int probe_file(const char *path)
{
    size_t len;
    char *data = tu_slurp(path, &len);
    if (len > 65536)
        len = 65536;
    int score = THE_FORMAT->read_probe((const unsigned char *)data, len, path);
    free(data);
    return score;
}

START_TEST(probe_scores)
{
    char *p = tu_path("THREADCONV_SHARED", SEED);
    ck_assert_int_eq(probe_file(p), TC_PROBE_SURE);
    free(p);
    p = tu_path("THREADCONV_SHARED", "conformance/mumsnet/current-layout.txt");
    ck_assert_int_eq(probe_file(p), TC_PROBE_SURE);
    free(p);

    ck_assert_int_eq(probe_str("T\n\nAnn Thu 04-Feb-21 21:33:59\n\nhi\n"), 80);
    ck_assert_int_eq(probe_str("\xEF\xBB\xBFT\r\n\r\nAnn \xC2\xB7 17/12/2012 10:21\r\n"), 80);
    ck_assert_int_ge(probe_str("T\n\nAnn Thu 04-Feb-21 21:33:59\n\nhi\n"), TC_PROBE_LIKELY);
    /* nothing header-shaped, or only impossible dates */
    ck_assert_int_eq(probe_str(""), TC_PROBE_NO);
    ck_assert_int_eq(probe_str("just some text\nover two lines\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe_str("T\n\nAnn Thu 31-Feb-21 21:33:59\n"), TC_PROBE_NO);
    /* other formats that happen to hold a header-shaped line */
    ck_assert_int_eq(probe_str("{\"title\": \"x\",\n\"body\": \"\"}\nAnn Thu 04-Feb-21 21:33:59\n"),
                     TC_PROBE_NO);
    ck_assert_int_eq(probe_str("[\nAnn Thu 04-Feb-21 21:33:59\n]"), TC_PROBE_NO);
    ck_assert_int_eq(probe_str("<?xml version=\"1.0\"?>\n<a>\nAnn Thu 04-Feb-21 21:33:59\n</a>\n"),
                     TC_PROBE_NO);
    ck_assert_int_eq(probe_str("From MAILER-DAEMON Thu Feb  4 21:33:59 2021\nSubject: x\n\n"
                               "Ann Thu 04-Feb-21 21:33:59\n"),
                     TC_PROBE_NO);
    ck_assert_int_eq(probe_str("\n  \nFrom abc123 Mon Sep 17 00:00:00 2001\r\n\n"
                               "Ann Thu 04-Feb-21 21:33:59\n"),
                     TC_PROBE_NO);
    /* classic lines count only where the reader takes them for headers:
     * right after the title, not after other text or a header, and not
     * with a space in the name */
    ck_assert_int_eq(probe_str("T\nAnn Thu 04-Feb-21 21:33:59\n\nhi\n"), 80);
    ck_assert_int_eq(probe_str("T\ntext\nAnn Thu 04-Feb-21 21:33:59\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe_str("T\n\nPat Smith Thu 04-Feb-21 21:33:59\n\nhi\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe_str("Ann Thu 04-Feb-21 21:33:59\nBob Thu 04-Feb-21 21:33:59\n"), 80);
    ck_assert_int_eq(probe_str("T\n\nAnn Thu 04-Feb-21 21:33:59\n\nBob Thu 04-Feb-21 21:33:59\n"),
                     TC_PROBE_SURE);
    char *q = tu_path("THREADCONV_TESTDATA", "mumsnet/quoted-headers.txt");
    ck_assert_int_eq(probe_file(q), TC_PROBE_SURE); /* lines 2 and 13 */
    free(q);
    q = tu_path("THREADCONV_TESTDATA", "mumsnet/body-whitespace.txt");
    ck_assert_int_eq(probe_file(q), 80); /* line 17 only */
    free(q);
    /* a title that starts with "From " is no mbox */
    ck_assert_int_eq(probe_str("From here to eternity\n\nAnn Thu 04-Feb-21 21:33:59\n\nhi\n"),
                     80);
}
END_TEST

/* No file of another format in the shared corpus gets a likely score. */
START_TEST(probe_not_fooled_by_corpus)
{
    static const char *const dirs[] = {"corpus/mbox", "corpus/chat", "corpus/foreign"};
    size_t checked = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char *dir = tu_path("THREADCONV_SHARED", dirs[d]);
        DIR *dh = opendir(dir);
        ck_assert_msg(dh != NULL, "cannot open %s", dir);
        struct dirent *e;
        while ((e = readdir(dh)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            int score = probe_file(path);
            ck_assert_msg(score < TC_PROBE_LIKELY, "%s scored %d", path, score);
            checked++;
        }
        closedir(dh);
        free(dir);
    }
    ck_assert_uint_gt(checked, 10);
}
END_TEST

static Suite *mumsnet_suite(void)
{
    Suite *s = suite_create("mumsnet");
    TCase *tc = tcase_create("shared");
    tcase_add_test(tc, seed_posts);
    tcase_add_test(tc, seed_crlf_bom_twin);
    tcase_add_test(tc, conformance_classic);
    tcase_add_test(tc, conformance_current);
    suite_add_tcase(s, tc);

    tc = tcase_create("fixtures");
    tcase_add_test(tc, current_furniture);
    tcase_add_test(tc, crlf_bom_twin_fixture);
    tcase_add_test(tc, weekday_mismatch_warns);
    tcase_add_test(tc, two_digit_years_and_bst);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, error_empty);
    tcase_add_test(tc, error_no_header);
    tcase_add_test(tc, error_impossible_date);
    tcase_add_test(tc, error_invalid_utf8_and_nul);
    tcase_add_test(tc, error_body_over_limit);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("inputs");
    tcase_add_test(tc, header_first_line);
    tcase_add_test(tc, replies_lines);
    tcase_add_test(tc, classic_keeps_furniture_text);
    tcase_add_test(tc, usernames);
    tcase_add_test(tc, clock_change_warnings);
    tcase_add_test(tc, repeated_hour_resolved_by_post_order);
    tcase_add_test(tc, blank_and_empty_bodies);
    tcase_add_test(tc, quoted_headers_fixture);
    tcase_add_test(tc, first_post_after_title);
    tcase_add_test(tc, spaced_names_are_text);
    tcase_add_test(tc, skipped_post_ends_at_a_real_header);
    tcase_add_test(tc, streaming_contract);
    tcase_add_test(tc, descriptor);
    suite_add_tcase(s, tc);

    tc = tcase_create("probe");
    tcase_add_test(tc, probe_scores);
    tcase_add_test(tc, probe_not_fooled_by_corpus);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mumsnet_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
