/*
 * test_json.c - the json writer and the shared JSON emitter, against
 * jansson.
 *
 * The writer's exact output for hand-built archives is in the case folders
 * (cases/json/write-*, run by tests/test_modules.c); here each of those
 * expected outputs is checked to be what jansson's encoder writes, a post
 * too large for a case folder is written, compared with jansson's encoding
 * and read back, and the string escaper is checked byte for byte against
 * jansson's (json_dumps with JSON_COMPACT) on fixtures, on pseudo-random
 * strings and on the shared corpus.
 */
#include "testutil.h"

#include "../emit.h"

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const tc_module threadconv_module_json;
#define THE_FORMAT tu_static_format(&threadconv_module_json, "json")

/* ------------------------------------------------------------------ */
/* Writing, and parsing what was written                               */
/* ------------------------------------------------------------------ */

static const tc_date NO_DATE = {0};

/* Run the json writer; the output is returned (NUL-terminated, free()). */
static char *write_json(const tu_archive *a, const char *pretty, size_t *len)
{
    tc_buf out = {0};
    tc_error err;
    tc_option_value opt = {.format = "json", .key = "pretty", .value = pretty};
    int rc = tu_write(THE_FORMAT, a, &opt, pretty ? 1 : 0, &out, &err);
    ck_assert_msg(rc == TC_OK, "json writer failed (%d): %s", rc, err.text);
    if (out.data == NULL)
        ck_assert_int_eq(tc_buf_append(&out, "", 0), TC_OK);
    if (len)
        *len = out.len;
    return out.data;
}

static json_t *parse(const char *text, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(root != NULL, "output is not JSON: line %d column %d: %s", jerr.line,
                  jerr.column, jerr.text);
    return root;
}

/* ------------------------------------------------------------------ */
/* Assertions on parsed JSON                                           */
/* ------------------------------------------------------------------ */

static json_t *member(json_t *obj, const char *key)
{
    ck_assert_msg(json_is_object(obj), "not an object where \"%s\" was expected", key);
    json_t *v = json_object_get(obj, key);
    ck_assert_msg(v != NULL, "member \"%s\" is missing", key);
    return v;
}

static void assert_bytes(json_t *obj, const char *key, const char *expect, size_t len)
{
    json_t *v = member(obj, key);
    ck_assert_msg(json_is_string(v), "\"%s\" is not a string", key);
    ck_assert_msg(json_string_length(v) == len && memcmp(json_string_value(v), expect, len) == 0,
                  "\"%s\" is \"%s\", expected \"%s\"", key, json_string_value(v), expect);
}

static void assert_str(json_t *obj, const char *key, const char *expect)
{
    assert_bytes(obj, key, expect, strlen(expect));
}

/* ------------------------------------------------------------------ */
/* The writer cases, checked against jansson                           */
/* ------------------------------------------------------------------ */

/*
 * The exact output of the writer for hand-built archives is in the case
 * folders (cases/json/write-*: archive.json and expected-output.json, run by
 * tests/test_modules.c).  Here every expected output is held to jansson:
 * parsed and encoded again (JSON_COMPACT, or JSON_INDENT(2) for a case whose
 * options say pretty=true), it must come back byte for byte, with one "\n"
 * after it -- so the hand-worked bytes are what jansson writes too.
 */
static bool case_is_pretty(const char *dir)
{
    char path[4096 + 600];
    snprintf(path, sizeof path, "%s/options", dir);
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    char *text = tu_slurp(path, NULL);
    bool pretty = strstr(text, "pretty=true") != NULL;
    free(text);
    return pretty;
}

START_TEST(test_cases_are_jansson_encodings)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plugins/json/tests/cases/json", tu_env_dir("THREADCONV_SRCDIR"));
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    size_t checked = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096 + 512];
        snprintf(path, sizeof path, "%s/%s/expected-output.json", dir, e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || stat(path, &st) != 0)
            continue;
        size_t len;
        char *text = tu_slurp(path, &len);
        ck_assert_msg(len > 0 && text[len - 1] == '\n', "%s: no newline at the end", path);
        json_error_t jerr;
        /* (a body may hold U+0000: \u0000, which jansson writes the same) */
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        ck_assert_msg(root != NULL, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        bool pretty = case_is_pretty(path);
        char *again = json_dumps(root, pretty ? JSON_INDENT(2) : JSON_COMPACT);
        ck_assert_ptr_nonnull(again);
        ck_assert_msg(strlen(again) + 1 == len && memcmp(again, text, len - 1) == 0,
                      "%s: not what jansson writes:\n%s", path, again);
        if (!pretty) /* compact: one line */
            ck_assert_ptr_eq(memchr(text, '\n', len - 1), NULL);
        free(again);
        json_decref(root);
        free(text);
        checked++;
    }
    closedir(d);
    ck_assert_uint_ge(checked, 8);
}
END_TEST

static char *big_body(size_t *len)
{
    /* Longer than the emitter's buffer, with specials all through it. */
    static const char unit[] = "plain text run, then a \"quote\" and caf\xc3\xa9\n\t";
    size_t n = 300000 / (sizeof unit - 1);
    char *b = malloc(n * (sizeof unit - 1) + 1);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++)
        memcpy(b + i * (sizeof unit - 1), unit, sizeof unit - 1);
    *len = n * (sizeof unit - 1);
    b[*len] = '\0';
    return b;
}

/*
 * What a case folder cannot hold comfortably: a body and an attachment many
 * times the emitter's 64 KiB buffer (and its 4 KiB base64 chunk), written
 * compact and pretty.  Both documents must be what jansson writes, and read
 * back (with the json reader) to the same archive.
 */
START_TEST(test_big_post)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "Big", "mumsnet", NULL, NULL);
    tu_add_post(t, "8", "Fay", NO_DATE, "", NULL);
    size_t big_len;
    char *big = big_body(&big_len);
    tu_post *p = tu_add_post_n(t, "9", "Gus", tu_at(946684800, 0), big, big_len, "8");
    size_t n_bytes = 200001; /* not a multiple of 3: padding at the end */
    unsigned char *bytes = malloc(n_bytes);
    ck_assert_ptr_nonnull(bytes);
    for (size_t i = 0; i < n_bytes; i++)
        bytes[i] = (unsigned char)(i * 7 + i / 251);
    tu_add_attachment(p, "big.bin", "application/octet-stream", bytes, n_bytes, NULL);
    free(bytes);
    const char *const layouts[] = {NULL, "true"};
    for (size_t k = 0; k < 2; k++) {
        size_t len;
        char *out = write_json(a, layouts[k], &len);
        json_t *root = parse(out, len);
        json_t *post = json_array_get(member(json_array_get(member(root, "threads"), 0), "posts"),
                                      1);
        assert_bytes(post, "body", big, big_len);
        assert_str(post, "parent", "8");
        char *again = json_dumps(root, layouts[k] ? JSON_INDENT(2) : JSON_COMPACT);
        ck_assert_ptr_nonnull(again);
        ck_assert_uint_eq(strlen(again) + 1, len);
        ck_assert(memcmp(again, out, len - 1) == 0);
        tu_archive *back = tu_read_memory(THE_FORMAT, out, len, "big");
        ck_assert_msg(back->rc == TC_OK, "%s", back->err.text);
        tu_archives_equal(a, back);
        tu_archive_free(back);
        free(again);
        json_decref(root);
        free(out);
    }
    free(big);
    tu_archive_free(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Refusals                                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_invalid_utf8_refused)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "ok", "mumsnet", NULL, NULL);
    tu_add_post(t, "7", "Ann", NO_DATE, "fine, then a stray \xff byte", NULL);
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(THE_FORMAT, a, NULL, 0, &out, &err);
    /* the session refuses it before the writer sees it */
    ck_assert_int_eq(rc, TC_ERR_USAGE);
    ck_assert_int_eq(err.code, TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "thread 1, post 1 (id \"7\"): a post body given to the 'json' "
                               "writer that is not UTF-8 (byte 0xff at offset 19); the model "
                               "holds UTF-8 only");
    tc_buf_free(&out);
    tu_archive_free(a);
}
END_TEST

START_TEST(test_reserved_extra_refused)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "ok", "mumsnet", NULL, NULL);
    tu_post *p = tu_add_post(t, "1", "Ann", NO_DATE, "body", NULL);
    /* tc_fields_set refuses reserved keys, so fill the list by hand the way
     * a careless reader might. */
    static tc_field bad[] = {{"body", "again"}};
    p->extras.items = bad;
    p->extras.count = 1;
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(THE_FORMAT, a, NULL, 0, &out, &err);
    ck_assert_int_eq(rc, TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "thread 1, post 1 (id \"1\"): a post extra field 'body' given to "
                               "the 'json' writer whose key is one of the model's own names; "
                               "prefix it with the format's name");
    p->extras.items = NULL;
    p->extras.count = 0;
    tc_buf_free(&out);
    tu_archive_free(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The escaper against jansson                                         */
/* ------------------------------------------------------------------ */

/* Escape s[0..len) with the emitter through a stream, as the writers do. */
static int escape(const char *s, size_t len, tc_buf *out)
{
    tc_stream *st = tc_stream_open_output_buffer(out, "<escape>");
    ck_assert_ptr_nonnull(st);
    jw w;
    ck_assert_int_eq(jw_init(&w, st, NULL, false), TC_OK);
    jw_string(&w, s, len);
    int rc = jw_flush(&w);
    jw_free(&w);
    if (rc == TC_OK)
        rc = tc_stream_flush(st);
    tc_stream_close(st);
    return rc;
}

/*
 * jansson and the session's validator (tc_utf8_valid_text, which is why
 * the escaper never sees anything else) agree on whether s is UTF-8; when
 * it is, our escaping of s is byte-identical to jansson's.
 */
static void check_escape(const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    bool valid = tc_utf8_valid_text(s, len, NULL);
    ck_assert_msg((j != NULL) == valid, "jansson %s a string the session %s (%zu bytes)",
                  j ? "accepts" : "refuses", valid ? "accepts" : "refuses", len);
    if (j == NULL)
        return;
    tc_buf ours = {0};
    ck_assert_int_eq(escape(s, len, &ours), TC_OK);
    char *theirs = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_ptr_nonnull(theirs);
    ck_assert_msg(strlen(theirs) == ours.len && memcmp(theirs, ours.data, ours.len) == 0,
                  "escaping differs from jansson:\n ours:   %s\n theirs: %s", ours.data, theirs);
    free(theirs);
    json_decref(j);
    tc_buf_free(&ours);
}

#define LRS "\xe2\x80\xa8" /* U+2028 LINE SEPARATOR */
#define PS "\xe2\x80\xa9"  /* U+2029 PARAGRAPH SEPARATOR */

static const char body_blank[] = "First line\n\nThird line, after a blank one\n\n";
static const char body_spaces[] = "trailing spaces   \n\ttab\tin the middle\t\n   leading";
static const char body_quotes[] = "quote \" backslash \\ slash / brace } bracket ] \"\\\"";
static const char body_controls[] =
    "c \x01\x02\x03 bell \a bs \b ff \f cr \r\n esc \x1b us \x1f del \x7f end";
static const char body_emoji[] = "emoji \xf0\x9f\x8e\x89\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd family "
                                 "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d"
                                 "\xf0\x9f\x91\xa7";
/* Hebrew and Arabic: "shalom olam", "marhaban bil-alam". */
static const char body_rtl[] = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd7\xa2\xd7\x95\xd7\x9c\xd7\x9d "
                               "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd8\xa8\xd8\xa7\xd9\x84"
                               "\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85 (LTR too)";
static const char body_seps[] = "line" LRS "separator" PS "paragraph";

START_TEST(test_escape_fixtures)
{
    static const char *const fixtures[] = {
        "", "a", "\"", "\\", "/", "</script>", "\x7f", "tab\there", "\r\n",
        "caf\xc3\xa9", "\xe2\x82\xac", "\xef\xbb\xbf" "bom", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",
        LRS PS, "12345678\"2345678\\", "1234567\x01" "12345678", "\xc3\xa9" "234567890abcdef\n",
        body_blank, body_spaces, body_quotes, body_controls, body_emoji, body_rtl, body_seps,
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        check_escape(fixtures[i], strlen(fixtures[i]));
    /* Every ASCII byte, NUL included, alone and inside a run. */
    for (int c = 0; c < 0x80; c++) {
        char s[20];
        s[0] = (char)c;
        check_escape(s, 1);
        memset(s, 'x', sizeof s);
        s[9] = (char)c;
        check_escape(s, sizeof s);
    }
    /* Hand-checked spellings. */
    tc_buf b = {0};
    ck_assert_int_eq(escape("\x00\x1f\x0b", 3, &b), TC_OK);
    ck_assert_str_eq(b.data, "\"\\u0000\\u001F\\u000B\"");
    tc_buf_reset(&b);
    ck_assert_int_eq(escape("\b\f\n\r\t\"\\/", 8, &b), TC_OK);
    ck_assert_str_eq(b.data, "\"\\b\\f\\n\\r\\t\\\"\\\\/\"");
    tc_buf_free(&b);
    /* Invalid UTF-8 of every kind: refused by jansson and by the session
     * alike (so never given to the escaper; see test_invalid_utf8_refused). */
    static const char *const bad[] = {
        "\x80", "\xc0\xaf", "\xc1\xbf", "\xc3", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "abc\xe2\x82",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert(!tc_utf8_valid_text(bad[i], strlen(bad[i]), NULL));
        check_escape(bad[i], strlen(bad[i]));
    }
}
END_TEST

/* xorshift64*: a fixed-seed PRNG, so a failure is reproducible. */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static uint32_t rng_range(uint32_t lo, uint32_t hi) /* inclusive */
{
    return lo + (uint32_t)(rng() % ((uint64_t)hi - lo + 1));
}

static void put_utf8(tc_buf *b, uint32_t cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    ck_assert_int_eq(tc_buf_append(b, u, n), TC_OK);
}

/* A random valid UTF-8 string: runs of plain ASCII, every control
 * character, quotes, backslashes and characters of 2, 3 and 4 bytes. */
static void random_string(tc_buf *b)
{
    static const uint32_t special[] = {'"', '\\', '/', 0x7F, 0x2028, 0x2029, 0xFEFF,
                                       0xFFFD, 0xFFFF, 0xD7FF, 0xE000, 0x10FFFF, 0x80, 0x7FF};
    tc_buf_reset(b);
    ck_assert_int_eq(tc_buf_append(b, "", 0), TC_OK);
    uint32_t parts = rng_range(0, 24);
    for (uint32_t i = 0; i < parts; i++) {
        uint32_t kind = rng_range(0, 99);
        if (kind < 25) {
            uint32_t run = rng_range(1, 40);
            for (uint32_t k = 0; k < run; k++)
                put_utf8(b, rng_range(0x20, 0x7E));
        } else if (kind < 40) {
            put_utf8(b, rng_range(0x00, 0x1F));
        } else if (kind < 50) {
            put_utf8(b, special[rng_range(0, sizeof special / sizeof special[0] - 1)]);
        } else if (kind < 65) {
            put_utf8(b, rng_range(0x80, 0x7FF));
        } else if (kind < 85) {
            uint32_t cp;
            do
                cp = rng_range(0x800, 0xFFFF);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            put_utf8(b, cp);
        } else {
            put_utf8(b, rng_range(0x10000, 0x10FFFF));
        }
    }
}

START_TEST(test_escape_random)
{
    tc_buf s = {0};
    for (int i = 0; i < 10000; i++) {
        random_string(&s);
        check_escape(s.data, s.len);
    }
    /* Damaged strings: one byte changed, or the end cut off.  jansson and
     * the session must agree on which are valid UTF-8. */
    for (int i = 0; i < 10000; i++) {
        random_string(&s);
        if (s.len == 0)
            continue;
        size_t at_byte = rng_range(0, (uint32_t)s.len - 1);
        if (rng_range(0, 1))
            s.data[at_byte] = (char)rng_range(0x80, 0xFF);
        else
            s.len = at_byte;
        check_escape(s.data, s.len);
    }
    tc_buf_free(&s);
}
END_TEST

/* Every string in a parsed JSON value. */
static void check_json_strings(json_t *v, size_t *count)
{
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_string(v)) {
        check_escape(json_string_value(v), json_string_length(v));
        (*count)++;
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item) {
            check_escape(key, strlen(key));
            check_json_strings(item, count);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            check_json_strings(item, count);
    }
}

/* Every file of the shared corpus, whole, as one string; and every string
 * inside the ones that are JSON. */
static void check_corpus_dir(const char *dir, size_t *files, size_t *strings)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            check_corpus_dir(path, files, strings);
            continue;
        }
        size_t len;
        char *text = tu_slurp(path, &len);
        check_escape(text, len);
        (*files)++;
        json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (root != NULL) {
            check_json_strings(root, strings);
            json_decref(root);
        }
        free(text);
    }
    closedir(d);
}

START_TEST(test_escape_corpus)
{
    char *dir = tu_path("THREADCONV_SHARED", "corpus");
    size_t files = 0, strings = 0;
    check_corpus_dir(dir, &files, &strings);
    ck_assert_uint_gt(files, 0);
    free(dir);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, test_cases_are_jansson_encodings);
    tcase_add_test(tc, test_big_post);
    tcase_add_test(tc, test_invalid_utf8_refused);
    tcase_add_test(tc, test_reserved_extra_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("escaper");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_escape_fixtures);
    tcase_add_test(tc, test_escape_random);
    tcase_add_test(tc, test_escape_corpus);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
