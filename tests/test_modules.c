/*
 * test_modules.c - every module linked into one program, and the generic
 * conformance suite that runs on each of them.
 *
 * The modules come from tests/static-modules.h, which the build writes from
 * the module list (one TC_STATIC_MODULE(NAME) per folder plugins/NAME/), so
 * a new module is tested here without editing this file.  Each one is added
 * to a registry with tc_registry_add_module, checked as the loader checks a
 * file.  Then, data-driven (like jansson's test/suites), for every format F
 * of every module, in the module's folder plugins/NAME/tests/cases/F/CASE/:
 *
 *   reader case   input*         the input (one file whose name starts "input"; for
 *                                a format that reads trees, a folder, zip or
 *                                tar is read as a tree, as the core does)
 *                 options        optional: KEY=VALUE lines, -O F.KEY=VALUE
 *                 expected.json  the archive the reader must produce, in
 *                                threadconv JSON, worked out by hand or by
 *                                another tool -- parsed here with jansson,
 *                                not with our own reader
 *              or expected-error the one line of the error: "FILE:LINE:COL: text"
 *                                with FILE as the bare file name
 *   writer case   archive.json   an archive in threadconv JSON (jansson)
 *                 expected*      the exact bytes the writer must write
 *
 * and for every format with both a reader and a writer: each reader case's
 * expected archive written by F and read back by F comes back equal (a
 * writer of directories writes a new one, read back as a tree).  The
 * shared data folder's hand-worked cases ($THREADCONV_SHARED/conformance/F/
 * NAME.EXT with NAME.expected.json) are reader cases of F too.
 * THREADCONV_SRCDIR names the source tree.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define TC_STATIC_MODULE(NAME) extern const tc_module threadconv_module_##NAME;
#include "static-modules.h"
#undef TC_STATIC_MODULE

static const tc_module *const static_modules[] = {
#define TC_STATIC_MODULE(NAME) &threadconv_module_##NAME,
#include "static-modules.h"
#undef TC_STATIC_MODULE
    NULL};

static tc_registry *registry;

static void setup_registry(void)
{
    registry = tc_registry_new();
    ck_assert_ptr_nonnull(registry);
    for (const tc_module *const *m = static_modules; *m; m++) {
        tc_error err = {0};
        int rc = tc_registry_add_module(registry, *m, "linked in", &err);
        ck_assert_msg(rc == TC_OK, "module %s refused: %s", (*m)->name, err.text);
    }
}

static void teardown_registry(void)
{
    tc_registry_free(registry);
    registry = NULL;
}

START_TEST(every_module_links_and_registers)
{
    size_t n_modules = 0, n_formats = 0;
    for (const tc_module *const *m = static_modules; *m; m++) {
        n_modules++;
        n_formats += (*m)->n_formats;
        ck_assert_int_eq((*m)->abi_major, TC_ABI_MAJOR);
    }
    ck_assert_uint_gt(n_modules, 0);
    ck_assert_uint_eq(tc_registry_count(registry), n_formats);
    for (size_t i = 0; i < tc_registry_count(registry); i++) {
        const tc_format *f = tc_registry_format(registry, i);
        tc_error err;
        ck_assert_ptr_eq(tc_registry_find(registry, f->name, &err), f);
        ck_assert_str_eq(tc_registry_format_path(registry, i), "linked in");
    }
}
END_TEST

START_TEST(a_module_added_twice_is_refused)
{
    tc_error err = {0};
    ck_assert_int_eq(tc_registry_add_module(registry, static_modules[0], "again", &err),
                     TC_ERR_PLUGIN);
    ck_assert_msg(strstr(err.text, "is already provided by linked in") != NULL, "%s", err.text);
}
END_TEST

/* ------------------------------------------------------------ the JSON oracle */

static int b64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode standard base64 (RFC 4648, padded); the test fails on bad input. */
static unsigned char *b64_decode(const char *s, size_t *len)
{
    size_t n = strlen(s);
    ck_assert_msg(n % 4 == 0, "base64 of %zu characters", n);
    unsigned char *out = malloc(n / 4 * 3 + 1);
    ck_assert_ptr_nonnull(out);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = s[i + k] == '=' ? 0 : b64_value((unsigned char)s[i + k]);
        ck_assert_msg(v[0] >= 0 && v[1] >= 0 && v[2] >= 0 && v[3] >= 0, "not base64: %s", s);
        unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
                     (unsigned)v[3];
        out[o++] = (unsigned char)(w >> 16);
        if (s[i + 2] != '=')
            out[o++] = (unsigned char)(w >> 8);
        if (s[i + 3] != '=')
            out[o++] = (unsigned char)w;
    }
    *len = o;
    return out;
}

static const char *opt_string(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v))
        return NULL;
    ck_assert_msg(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

static bool is_post_key(const char *k)
{
    static const char *const keys[] = {"id", "author", "date", "body", "parent",
                                       "attachments", NULL};
    for (const char *const *p = keys; *p; p++)
        if (strcmp(*p, k) == 0)
            return true;
    return false;
}

static void add_attachments(tu_post *p, json_t *list)
{
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        const char *data = opt_string(a, "data");
        size_t len = 0;
        unsigned char *bytes = data ? b64_decode(data, &len) : NULL;
        tc_attachment *t = tu_add_attachment(p, opt_string(a, "name") ? opt_string(a, "name") : "",
                                             opt_string(a, "type") ? opt_string(a, "type") : "",
                                             bytes, len, opt_string(a, "ref"));
        free(bytes);
        json_t *size = json_object_get(a, "size");
        if (json_is_integer(size)) {
            t->size = (uint64_t)json_integer_value(size);
            t->size_known = true;
        }
        const char *cid = opt_string(a, "content_id"), *disp = opt_string(a, "disposition"),
                   *note = opt_string(a, "note");
        t->content_id = cid ? strdup(cid) : NULL;
        t->disposition = disp ? strdup(disp) : NULL;
        t->note = note ? strdup(note) : NULL;
    }
}

/* The archive a threadconv JSON document holds, read with jansson (a body
 * may hold U+0000, \u0000 in the file: JSON_ALLOW_NUL; json_string_length
 * gives its length). */
static tu_archive *archive_from_json(const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(doc != NULL, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    tu_archive *a = tu_archive_new();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "threads"), i, t) {
        tu_thread *tt = tu_add_thread(a, opt_string(t, "title"), opt_string(t, "source"),
                                      opt_string(t, "id"), opt_string(t, "url"));
        const char *k;
        json_t *v;
        json_object_foreach(t, k, v) {
            if (strcmp(k, "title") && strcmp(k, "source") && strcmp(k, "id") &&
                strcmp(k, "url") && strcmp(k, "posts"))
                tu_set_extra(&tt->extras, k, json_string_value(v));
        }
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(t, "posts"), j, p) {
            tc_date date = {0};
            const char *d = opt_string(p, "date");
            if (d)
                ck_assert_int_eq(tc_date_parse_iso(d, strlen(d), &date), TC_OK);
            json_t *body = json_object_get(p, "body");
            tu_post *tp = tu_add_post_n(&a->threads[i], opt_string(p, "id"),
                                        opt_string(p, "author"), date,
                                        json_string_value(body), json_string_length(body),
                                        opt_string(p, "parent"));
            json_object_foreach(p, k, v) {
                if (!is_post_key(k))
                    tu_set_extra(&tp->extras, k, json_string_value(v));
            }
            json_t *att = json_object_get(p, "attachments");
            if (att)
                add_attachments(tp, att);
        }
        (void)tt;
    }
    json_decref(doc);
    return a;
}

/* ------------------------------------------------------------ case folders */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The one file in dir whose name starts with prefix, as a new path, or NULL. */
static char *file_starting(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    char *found = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        ck_assert_msg(found == NULL, "%s: more than one %s* file", dir, prefix);
        found = malloc(strlen(dir) + strlen(e->d_name) + 2);
        ck_assert_ptr_nonnull(found);
        sprintf(found, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    return found;
}

/* -O values from the case's options file (KEY=VALUE lines). */
typedef struct case_options {
    tc_option_value values[16];
    size_t n;
    char *text;
} case_options;

static void read_options(const char *dir, const char *format, case_options *o)
{
    memset(o, 0, sizeof *o);
    char path[8192];
    snprintf(path, sizeof path, "%s/options", dir);
    if (!exists(path))
        return;
    o->text = tu_slurp(path, NULL);
    for (char *line = strtok(o->text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        ck_assert_msg(eq && o->n < 16, "%s: bad line %s", path, line);
        *eq = '\0';
        o->values[o->n++] = (tc_option_value){format, line, eq + 1};
    }
}

static tu_archive *read_case_input(const tc_format *f, const char *input, const case_options *o)
{
    return tu_read_file_with(f, input, o->values, o->n);
}

static void run_reader_case(const tc_format *f, const char *dir, size_t *cases, size_t *trips)
{
    fprintf(stderr, "test_modules: %s\n", dir); /* names the case a failure below is in */
    char *input = file_starting(dir, "input");
    ck_assert_msg(input != NULL, "%s: no input file", dir);
    case_options o;
    read_options(dir, f->name, &o);
    tu_archive *got = read_case_input(f, input, &o);
    char path[8192];
    snprintf(path, sizeof path, "%s/expected.json", dir);
    if (exists(path)) {
        ck_assert_msg(got->rc == TC_OK, "%s: the %s reader failed: %s", dir, f->name,
                      got->err.text);
        tu_archive *want = archive_from_json(path);
        tu_archives_equal(got, want);
        if (f->write_open && (f->flags & TC_FORMAT_WRITES_DIRECTORY)) {
            /* a writer of directories: into a new one, read back as a tree */
            const char *t = getenv("TMPDIR");
            char base[4096], out[4200], cmd[8300];
            snprintf(base, sizeof base, "%s/tc-modules-XXXXXX", t && *t ? t : "/tmp");
            ck_assert_ptr_nonnull(mkdtemp(base));
            snprintf(out, sizeof out, "%s/out", base);
            tc_error err;
            int rc = tu_write_dir(f, want, NULL, 0, out, &err);
            ck_assert_msg(rc == TC_OK, "%s: the %s writer failed: %s", dir, f->name, err.text);
            tu_archive *back = tu_read_file(f, out);
            ck_assert_msg(back->rc == TC_OK, "%s: reading back failed: %s", dir, back->err.text);
            tu_archives_equal(want, back);
            tu_archive_free(back);
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
            ck_assert_int_eq(system(cmd), 0);
            (*trips)++;
        } else if (f->write_open) {
            /* write what was expected with the same format, read it back */
            tc_buf out = {0};
            tc_error err;
            int rc = tu_write(f, want, NULL, 0, &out, &err);
            ck_assert_msg(rc == TC_OK, "%s: the %s writer failed: %s", dir, f->name, err.text);
            tu_archive *back = tu_read_memory(f, out.data ? out.data : "", out.len, "round trip");
            ck_assert_msg(back->rc == TC_OK, "%s: reading back failed: %s", dir, back->err.text);
            tu_archives_equal(want, back);
            tu_archive_free(back);
            tc_buf_free(&out);
            (*trips)++;
        }
        tu_archive_free(want);
    } else {
        snprintf(path, sizeof path, "%s/expected-error", dir);
        ck_assert_msg(exists(path), "%s: neither expected.json nor expected-error", dir);
        char *want = tu_slurp(path, NULL);
        want[strcspn(want, "\n")] = '\0';
        ck_assert_msg(got->rc != TC_OK, "%s: the %s reader accepted the input", dir, f->name);
        char text[2048];
        tc_error shown = got->err;
        const char *base = strrchr(shown.source, '/');
        if (base)
            memmove(shown.source, base + 1, strlen(base + 1) + 1);
        tc_error_format(&shown, text, sizeof text);
        ck_assert_str_eq(text, want);
        free(want);
    }
    tu_archive_free(got);
    free(o.text);
    free(input);
    (*cases)++;
}

static void run_writer_case(const tc_format *f, const char *dir, size_t *cases)
{
    char path[8192];
    fprintf(stderr, "test_modules: %s\n", dir);
    snprintf(path, sizeof path, "%s/archive.json", dir);
    tu_archive *a = archive_from_json(path);
    char *expected = file_starting(dir, "expected");
    ck_assert_msg(expected != NULL, "%s: no expected output", dir);
    case_options o;
    read_options(dir, f->name, &o);
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(f, a, o.values, o.n, &out, &err);
    ck_assert_msg(rc == TC_OK, "%s: the %s writer failed: %s", dir, f->name, err.text);
    size_t len;
    char *want = tu_slurp(expected, &len);
    ck_assert_msg(out.len == len && (len == 0 || memcmp(out.data, want, len) == 0),
                  "%s: the %s writer wrote (%zu bytes)\n%.*s\nexpected (%zu bytes)\n%s", dir,
                  f->name, out.len, (int)out.len, out.data ? out.data : "", len, want);
    free(want);
    free(expected);
    free(o.text);
    tc_buf_free(&out);
    tu_archive_free(a);
    (*cases)++;
}

/* The case folders of format f of module m: plugins/M/tests/cases/F/. */
static size_t run_cases(const tc_module *m, const tc_format *f, size_t *trips)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/plugins/%s/tests/cases/%s", tu_env_dir("THREADCONV_SRCDIR"),
             m->name, f->name);
    if (!is_dir(dir))
        return 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        ck_assert_ptr_nonnull(names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    size_t cases = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096 + 256], probe[4096 + 300];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(probe, sizeof probe, "%s/archive.json", path);
        if (exists(probe))
            run_writer_case(f, path, &cases);
        else
            run_reader_case(f, path, &cases, trips);
        free(names[i]);
    }
    free(names);
    return cases;
}

/* A shared case's expected thread (conformance/README.md): its title and,
 * per post, author, date and body; ids and extras are not listed. */
static void shared_case_equal(const tu_archive *got, const char *expected)
{
    json_error_t jerr;
    json_t *t = json_load_file(expected, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(t != NULL, "%s:%d: %s", expected, jerr.line, jerr.text);
    ck_assert_uint_eq(got->n_threads, 1);
    const tu_thread *g = &got->threads[0];
    ck_assert_str_eq(g->title, json_string_value(json_object_get(t, "title")));
    json_t *posts = json_object_get(t, "posts");
    ck_assert_uint_eq(g->n_posts, json_array_size(posts));
    for (size_t i = 0; i < g->n_posts; i++) {
        json_t *p = json_array_get(posts, i);
        ck_assert_str_eq(g->posts[i].author, json_string_value(json_object_get(p, "author")));
        char iso[TC_ISO_DATE_SIZE];
        ck_assert_str_eq(tu_iso(g->posts[i].date, iso),
                         json_string_value(json_object_get(p, "date")));
        json_t *body = json_object_get(p, "body");
        ck_assert_msg(g->posts[i].body_len == json_string_length(body) &&
                          memcmp(g->posts[i].body, json_string_value(body),
                                 g->posts[i].body_len) == 0,
                      "%s: post %zu body differs", expected, i + 1);
    }
    json_decref(t);
}

/* The shared folder's hand-worked cases for format f, when it has some:
 * $THREADCONV_SHARED/conformance/F/NAME.EXT with NAME.expected.json. */
static size_t run_shared_cases(const tc_format *f)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/conformance/%s", tu_env_dir("THREADCONV_SHARED"), f->name);
    if (!is_dir(dir))
        return 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t cases = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *dot = strchr(e->d_name, '.');
        if (e->d_name[0] == '.' || dot == NULL || strstr(e->d_name, ".expected.") != NULL)
            continue;
        char input[8192], expected[8192];
        snprintf(input, sizeof input, "%s/%s", dir, e->d_name);
        snprintf(expected, sizeof expected, "%s/%.*s.expected.json", dir,
                 (int)(dot - e->d_name), e->d_name);
        if (!exists(expected))
            continue;
        fprintf(stderr, "test_modules: %s\n", input);
        tu_archive *got = tu_read_file(f, input);
        ck_assert_msg(got->rc == TC_OK, "%s: %s", input, got->err.text);
        shared_case_equal(got, expected);
        tu_archive_free(got);
        cases++;
    }
    closedir(d);
    return cases;
}

START_TEST(every_format_meets_its_case_folders)
{
    size_t total = 0, trips = 0, formats_with_cases = 0;
    for (const tc_module *const *m = static_modules; *m; m++) {
        for (size_t i = 0; i < tc_registry_count(registry); i++) {
            if (tc_registry_format_module(registry, i)->name != (*m)->name)
                continue;
            size_t n = run_cases(*m, tc_registry_format(registry, i), &trips) +
                       run_shared_cases(tc_registry_format(registry, i));
            formats_with_cases += n > 0;
            total += n;
        }
    }
    fprintf(stderr, "test_modules: %zu case folders of %zu formats, %zu round trips\n", total,
            formats_with_cases, trips);
    ck_assert_uint_gt(total, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("modules");
    TCase *tc = tcase_create("static");
    tcase_add_checked_fixture(tc, setup_registry, teardown_registry);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_module_links_and_registers);
    tcase_add_test(tc, a_module_added_twice_is_refused);
    tcase_add_test(tc, every_format_meets_its_case_folders);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
