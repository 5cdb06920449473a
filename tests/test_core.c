/* test_core.c - the library's own pieces: extra fields, UTF-8 validation,
 * buffers, line reading with a line counter, streams over a source of
 * bytes, option checking, messages (also about another file), deferred
 * outputs committed as a group. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

START_TEST(fields_keep_order_and_unique_keys)
{
    tc_fields f = {0};
    ck_assert_int_eq(tc_fields_set(&f, "mail.received", "a"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&f, "x-number", "7"), TC_OK);
    ck_assert_int_eq(tc_fields_set(&f, "mail.received", "b"), TC_OK); /* replaces in place */
    ck_assert_uint_eq(f.count, 2);
    ck_assert_str_eq(f.items[0].key, "mail.received");
    ck_assert_str_eq(f.items[0].value, "b");
    ck_assert_str_eq(f.items[1].key, "x-number");
    ck_assert_str_eq(tc_fields_get(&f, "x-number"), "7");
    ck_assert_ptr_null(tc_fields_get(&f, "missing"));
    ck_assert_int_eq(tc_fields_setn(&f, "cut", "abcdef", 3), TC_OK);
    ck_assert_str_eq(tc_fields_get(&f, "cut"), "abc");
    tc_fields_clear(&f);
    ck_assert_uint_eq(f.count, 0);
    ck_assert_int_eq(tc_fields_set(&f, "again", ""), TC_OK);
    ck_assert_str_eq(tc_fields_get(&f, "again"), "");
    tc_fields_free(&f);
    ck_assert_uint_eq(f.count, 0);
}
END_TEST

START_TEST(fields_refuse_reserved_and_empty_keys)
{
    static const char *const reserved[] = {"title", "source", "id", "url", "author", "date",
                                           "body", "parent", "posts", "threads", "format",
                                           "version", "thread"};
    tc_fields f = {0};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        ck_assert_msg(tc_is_reserved_key(reserved[i]), "%s should be reserved", reserved[i]);
        ck_assert_int_eq(tc_fields_set(&f, reserved[i], "v"), TC_ERR_USAGE);
    }
    ck_assert_int_eq(tc_fields_set(&f, "", "v"), TC_ERR_USAGE);
    ck_assert(!tc_is_reserved_key("Title")); /* keys are case-sensitive */
    ck_assert_uint_eq(f.count, 0);
    tc_fields_free(&f);
}
END_TEST

static void expect_bad(const char *s, size_t len, size_t offset, size_t column)
{
    size_t off = 999, col = 999;
    ck_assert_msg(!tc_utf8_valid(s, len, &off, &col), "accepted bad UTF-8");
    ck_assert_uint_eq(off, offset);
    ck_assert_uint_eq(col, column);
}

/* RFC 4648 section 10's test vectors. */
START_TEST(base64_encodes_the_rfc_vectors)
{
    static const char *const vectors[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof *vectors; i++) {
        char out[16];
        size_t n = strlen(vectors[i][0]);
        ck_assert_uint_eq(TC_BASE64_SIZE(n), strlen(vectors[i][1]));
        size_t k = tc_base64_encode(vectors[i][0], n, out);
        ck_assert_uint_eq(k, strlen(vectors[i][1]));
        ck_assert(memcmp(out, vectors[i][1], k) == 0);
    }
    /* every byte value, and bytes that set the high bits */
    static const unsigned char high[] = {0xff, 0xfe, 0x00};
    char out[8];
    ck_assert_uint_eq(tc_base64_encode(high, 3, out), 4);
    ck_assert(memcmp(out, "//4A", 4) == 0);
}
END_TEST

START_TEST(utf8_accepts_valid_text)
{
    const char *ok[] = {"", "plain ASCII text that is longer than eight bytes",
                        "caf\xc3\xa9", "\xe2\x80\x99quoted\xe2\x80\x9d",
                        "\xf0\x9f\x98\x80 emoji", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d rtl",
                        "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "tab\there\r\n"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        ck_assert_msg(tc_utf8_valid(ok[i], strlen(ok[i]), NULL, NULL), "rejected %zu", i);
}
END_TEST

START_TEST(utf8_rejects_with_position)
{
    expect_bad("ab\xff", 3, 2, 3);
    expect_bad("caf\xc3\xa9\x80z", 7, 5, 5);        /* stray continuation after é */
    expect_bad("\xc0\x80", 2, 0, 1);                /* overlong NUL */
    expect_bad("x\xe0\x80\xaf", 4, 1, 2);           /* overlong 3-byte */
    expect_bad("\xed\xa0\x80", 3, 0, 1);            /* UTF-16 surrogate */
    expect_bad("\xf4\x90\x80\x80", 4, 0, 1);        /* above U+10FFFF */
    expect_bad("ok\xe2\x80", 4, 2, 3);              /* truncated at the end */
    expect_bad("0123456789\0abc", 14, 10, 11);      /* NUL after the fast path */
    expect_bad("\xf0\x9f\x98\x80\xf0\x9f\x98", 7, 4, 2);
}
END_TEST

START_TEST(buf_appends_and_formats)
{
    tc_buf b = {0};
    ck_assert_int_eq(tc_buf_append(&b, "abc", 3), TC_OK);
    ck_assert_int_eq(tc_buf_putc(&b, '-'), TC_OK);
    ck_assert_int_eq(tc_buf_printf(&b, "%d/%s", 42, "x"), TC_OK);
    ck_assert_str_eq(b.data, "abc-42/x");
    ck_assert_uint_eq(b.len, 8);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(tc_buf_putc(&b, 'z'), TC_OK);
    ck_assert_uint_eq(b.len, 10008);
    ck_assert_int_eq(b.data[b.len], '\0');
    tc_buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    tc_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(stream_lines_from_memory)
{
    static const char text[] = "one\r\n\ntwo\nlast without newline";
    tc_stream *s = tc_stream_open_memory(text, sizeof text - 1, "mem.txt");
    const char *line;
    size_t len;
    ck_assert_str_eq(tc_stream_name(s), "mem.txt");
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert_uint_eq(len, 4); /* the CR is kept for the format to judge */
    ck_assert(memcmp(line, "one\r", 4) == 0);
    ck_assert_uint_eq(tc_stream_line(s), 1);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 3 && memcmp(line, "two", 3) == 0);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 20 && memcmp(line, "last without newline", 20) == 0);
    ck_assert_uint_eq(tc_stream_line(s), 4);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
    tc_stream_close(s);
}
END_TEST

START_TEST(stream_lines_across_buffer_refills)
{
    /* Lines longer than the 64 KiB read buffer and a pipe-sized trickle. */
    char path[] = "/tmp/tc-test-lines-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    size_t lens[] = {0, 1, 65535, 65536, 65537, 200000, 3, 131072};
    size_t n = sizeof lens / sizeof *lens;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < lens[i]; j++)
            fputc('a' + (int)((i + j) % 26), f);
        fputc('\n', f);
    }
    fclose(f);
    tc_error err;
    tc_stream *s = tc_stream_open_input(path, &err);
    ck_assert_ptr_nonnull(s);
    const char *line;
    size_t len;
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
        ck_assert_uint_eq(len, lens[i]);
        for (size_t j = 0; j < len; j++)
            if (line[j] != 'a' + (int)((i + j) % 26))
                ck_abort_msg("line %zu byte %zu wrong", i + 1, j);
        ck_assert_uint_eq(tc_stream_line(s), i + 1);
    }
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
    tc_stream_close(s);
    unlink(path);
}
END_TEST

START_TEST(stream_missing_file_is_named)
{
    tc_error err;
    ck_assert_ptr_null(tc_stream_open_input("/nonexistent/dir/x.txt", &err));
    ck_assert_int_eq(err.code, TC_ERR_DATA);
    ck_assert_str_eq(err.source, "/nonexistent/dir/x.txt");
    ck_assert_str_eq(err.text, "cannot open for reading: No such file or directory");
}
END_TEST

static void check_two_passes(tc_stream *s)
{
    const char *line;
    size_t len;
    ck_assert_int_eq(tc_stream_make_seekable(s), TC_OK);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK); /* "alpha" */
    uint64_t second = tc_stream_tell(s);
    ck_assert_uint_eq(second, 6);
    for (int i = 0; i < 3000; i++)
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
    ck_assert_uint_eq(tc_stream_line(s), 3001);
    ck_assert_int_eq(tc_stream_seek(s, second, 1), TC_OK);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len > 8 && memcmp(line, "line0000 ", 9) == 0);
    ck_assert_uint_eq(tc_stream_line(s), 2);
    ck_assert_int_eq(tc_stream_seek(s, 0, 0), TC_OK);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 5 && memcmp(line, "alpha", 5) == 0);
}

START_TEST(stream_seeks_files_and_spools_pipes)
{
    tc_buf text = {0};
    tc_buf_append(&text, "alpha\n", 6);
    for (int i = 0; i < 3000; i++)
        tc_buf_printf(&text, "line%04d with some padding to pass 64 KiB in all\n", i);
    /* memory */
    tc_stream *s = tc_stream_open_memory(text.data, text.len, "mem");
    check_two_passes(s);
    tc_stream_close(s);
    /* a regular file */
    char path[] = "/tmp/tc-test-seek-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text.data, text.len), (ssize_t)text.len);
    close(fd);
    tc_error err;
    s = tc_stream_open_input(path, &err);
    check_two_passes(s);
    tc_stream_close(s);
    unlink(path);
    /* a pipe: spooled to a temporary file first, after a read-ahead */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        ssize_t w = write(p[1], text.data, text.len);
        _exit(w == (ssize_t)text.len ? 0 : 1);
    }
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    dup2(p[0], STDIN_FILENO);
    close(p[0]);
    s = tc_stream_open_input("-", &err);
    check_two_passes(s);
    tc_stream_close(s);
    dup2(saved, STDIN_FILENO);
    close(saved);
    tc_buf_free(&text);
}
END_TEST

START_TEST(stream_errors_keep_the_first)
{
    static const char text[] = "x\n";
    tc_stream *s = tc_stream_open_memory(text, 2, "in.txt");
    ck_assert_int_eq(tc_stream_error(s, TC_ERR_DATA, 3, 7, "expected %s", "a title"),
                     TC_ERR_DATA);
    ck_assert_int_eq(tc_stream_error(s, TC_ERR_DATA, 9, 9, "later"), TC_ERR_DATA);
    const tc_error *e = tc_stream_get_error(s);
    char out[256];
    ck_assert_str_eq(tc_error_format(e, out, sizeof out), "in.txt:3:7: expected a title");
    tc_stream_close(s);
}
END_TEST

/* A source of bytes for tc_stream_open_source: a string read a few bytes
 * at a time (so lines cross reads), seekable or not, counting its closes. */
typedef struct test_source {
    const char *text;
    size_t len, pos;
    int closes, seeks;
} test_source;

static long test_source_read(void *user, tc_stream *s, void *buf, size_t len)
{
    (void)s;
    test_source *t = user;
    size_t n = t->len - t->pos < 3 ? t->len - t->pos : 3;
    if (n > len)
        n = len;
    memcpy(buf, t->text + t->pos, n);
    t->pos += n;
    return (long)n;
}

static int test_source_seek(void *user, tc_stream *s, uint64_t offset)
{
    test_source *t = user;
    t->seeks++;
    if (offset > t->len)
        return tc_stream_error(s, TC_ERR_DATA, 0, 0, "seek to %llu past %zu",
                               (unsigned long long)offset, t->len);
    t->pos = (size_t)offset;
    return TC_OK;
}

static void test_source_close(void *user)
{
    ((test_source *)user)->closes++;
}

START_TEST(stream_from_a_source)
{
    test_source t = {.text = "first line\nsecond\nthird", .len = 23};
    tc_stream_source src = {test_source_read, test_source_seek, test_source_close, &t};
    tc_stream *s = tc_stream_open_source(&src, "made.mbox");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(tc_stream_name(s), "made.mbox");
    ck_assert_int_eq(tc_stream_make_seekable(s), TC_OK); /* it has a seek: nothing spooled */
    const char *line;
    size_t len;
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 10 && memcmp(line, "first line", 10) == 0);
    uint64_t second = tc_stream_tell(s);
    ck_assert_uint_eq(second, 11);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 6 && memcmp(line, "second", 6) == 0);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 5 && memcmp(line, "third", 5) == 0);
    ck_assert_uint_eq(tc_stream_line(s), 3);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
    /* back to the second line: the source is told, the count goes on from 1 */
    ck_assert_int_eq(tc_stream_seek(s, second, 1), TC_OK);
    ck_assert_int_eq(t.seeks, 1);
    ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
    ck_assert(len == 6 && memcmp(line, "second", 6) == 0);
    ck_assert_uint_eq(tc_stream_line(s), 2);
    /* the source's own error is the stream's */
    ck_assert_int_eq(tc_stream_seek(s, 99, 0), TC_ERR_DATA);
    char out[256];
    ck_assert_str_eq(tc_error_format(tc_stream_get_error(s), out, sizeof out),
                     "made.mbox: seek to 99 past 23");
    ck_assert_int_eq(t.closes, 0);
    tc_stream_close(s);
    ck_assert_int_eq(t.closes, 1);

    /* without a seek, it cannot be made seekable */
    test_source u = {.text = "x\n", .len = 2};
    tc_stream_source once = {test_source_read, NULL, NULL, &u};
    s = tc_stream_open_source(&once, "once");
    ck_assert_int_eq(tc_stream_make_seekable(s), TC_ERR_PLUGIN);
    tc_stream_close(s);
}
END_TEST

static void keep_warning(void *user, const tc_error *w)
{
    tc_error_format(w, user, 256);
}

START_TEST(stream_errors_about_another_file)
{
    tc_stream *s = tc_stream_open_memory("", 0, "Mail");
    char warned[256] = "";
    tc_stream_set_warning_fn(s, keep_warning, warned);
    tc_stream_warn_at(s, "Mail/cur/1.x:2,S", 4, 0, "bad %s", "Date");
    ck_assert_str_eq(warned, "Mail/cur/1.x:2,S:4: bad Date");
    tc_stream_warn_at(s, NULL, 0, 0, "the stream's own");
    ck_assert_str_eq(warned, "Mail: the stream's own");
    ck_assert_int_eq(tc_stream_error_at(s, TC_ERR_DATA, "Mail/new/2", 7, 3, "%d bytes", 5),
                     TC_ERR_DATA);
    ck_assert_int_eq(tc_stream_error_at(s, TC_ERR_DATA, "Mail/new/3", 1, 1, "later"),
                     TC_ERR_DATA);
    char out[256];
    ck_assert_str_eq(tc_error_format(tc_stream_get_error(s), out, sizeof out),
                     "Mail/new/2:7:3: 5 bytes"); /* the first is kept */
    ck_assert_int_eq(tc_stream_get_error(s)->code, TC_ERR_DATA);
    /* cleared, the next error is kept */
    tc_stream_clear_error(s);
    ck_assert_int_eq(tc_stream_get_error(s)->code, TC_OK);
    tc_stream_error(s, TC_ERR_DATA, 2, 0, "next");
    ck_assert_str_eq(tc_error_format(tc_stream_get_error(s), out, sizeof out), "Mail:2: next");
    tc_stream_close(s);
}
END_TEST

START_TEST(stream_writes_to_buffer)
{
    tc_buf b = {0};
    tc_stream *s = tc_stream_open_output_buffer(&b, "buf");
    ck_assert_int_eq(tc_stream_puts(s, "hello "), TC_OK);
    ck_assert_int_eq(tc_stream_write(s, "world!", 5), TC_OK);
    ck_assert_int_eq(tc_stream_flush(s), TC_OK);
    ck_assert_str_eq(b.data, "hello world");
    tc_stream_close(s);
    tc_buf_free(&b);
}
END_TEST

START_TEST(stream_reports_disk_full)
{
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        ck_abort_msg("/dev/full is needed for this test");
    tc_stream *s = tc_stream_open_output_fd(fileno(full), "/dev/full");
    ck_assert_int_eq(tc_stream_puts(s, "data"), TC_OK); /* buffered */
    ck_assert_int_eq(tc_stream_flush(s), TC_ERR_OUTPUT);
    ck_assert_str_eq(tc_stream_get_error(s)->text, "write failed: No space left on device");
    ck_assert_int_eq(tc_stream_puts(s, "more"), TC_ERR_OUTPUT);
    tc_stream_close(s);
    fclose(full);
}
END_TEST

static const char *const colours[] = {"red", "green", NULL};
static const tc_option_decl decls[] = {
    {"pretty", TC_OPT_BOOL, "false", "indent", NULL},
    {"width", TC_OPT_INT, "78", "line width", NULL},
    {"colour", TC_OPT_ENUM, "red", "a colour", colours},
    {"label", TC_OPT_STRING, NULL, "free text", NULL},
    {NULL, 0, NULL, NULL, NULL},
};
static const tc_format opt_plugin = {.name = "demo", .options = decls};

/* Deferred outputs: complete but unsynced under their temporary names until
 * tc_commit_outputs syncs and renames them as a group. */
START_TEST(deferred_outputs_commit_as_a_group)
{
    char *seed = tu_path("THREADCONV_SHARED", "seeds/000_e8c5bdb5bae043fe.txt");
    char dir[] = "/tmp/tc-defer-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    tc_registry *reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, NULL, 0, true), TC_OK);
    const char *inputs[] = {seed};
    char final[3][300], *temp[3] = {NULL, NULL, NULL};
    tc_error err;
    for (int i = 0; i < 3; i++) {
        snprintf(final[i], sizeof final[i], "%s/%c.json", dir, 'a' + i);
        tc_convert_spec spec = {.writer = "json", .inputs = inputs, .n_inputs = 1,
                                .output = final[i], .deferred_temp = i < 2 ? &temp[i] : NULL};
        ck_assert_msg(tc_convert(reg, &spec, &err) == TC_OK, "%s", err.text);
    }
    /* c.json, not deferred, is in place at once; a and b are not yet. */
    ck_assert_int_eq(access(final[2], F_OK), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(temp[i]);
        ck_assert_int_ne(access(final[i], F_OK), 0);
        char prefix[320];
        snprintf(prefix, sizeof prefix, "%s/.%c.json.tc-", dir, 'a' + i);
        ck_assert_msg(strncmp(temp[i], prefix, strlen(prefix)) == 0, "temp %s", temp[i]);
        ck_assert_int_eq(access(temp[i], F_OK), 0);
    }
    const char *finals[] = {final[0], final[1]};
    int results[2] = {-1, -1};
    ck_assert_int_eq(tc_commit_outputs((const char *const *)temp, finals, 2, results, &err),
                     TC_OK);
    ck_assert_int_eq(results[0], TC_OK);
    ck_assert_int_eq(results[1], TC_OK);
    size_t want_len, got_len;
    char *want = tu_slurp(final[2], &want_len);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_ne(access(temp[i], F_OK), 0);
        char *got = tu_slurp(final[i], &got_len);
        ck_assert_uint_eq(got_len, want_len);
        ck_assert(memcmp(got, want, want_len) == 0);
        free(got);
        free(temp[i]);
        temp[i] = NULL;
    }
    free(want);

    /* A file of the group that has gone fails alone, named; the rest land. */
    tc_convert_spec spec = {.writer = "json", .inputs = inputs, .n_inputs = 1,
                            .output = final[0], .deferred_temp = &temp[0]};
    ck_assert_int_eq(tc_convert(reg, &spec, &err), TC_OK);
    char gone[320];
    snprintf(gone, sizeof gone, "%s/.b.json.tc-gone.tmp", dir);
    const char *group[] = {temp[0], gone};
    ck_assert_int_eq(tc_commit_outputs(group, finals, 2, results, &err), TC_ERR_OUTPUT);
    ck_assert_int_eq(results[0], TC_OK);
    ck_assert_int_eq(results[1], TC_ERR_OUTPUT);
    ck_assert_str_eq(err.source, final[1]);
    char text[400];
    snprintf(text, sizeof text, "cannot rename %s into place: No such file or directory", gone);
    ck_assert_str_eq(err.text, text);
    free(temp[0]);

    /* A failed conversion leaves nothing to commit and no file behind. */
    const char *missing[] = {"/nonexistent/input.txt"};
    tc_convert_spec failing = {.reader = "mumsnet", .writer = "json", .inputs = missing,
                               .n_inputs = 1, .output = final[2], .deferred_temp = &temp[2]};
    ck_assert_int_eq(tc_convert(reg, &failing, &err), TC_ERR_DATA);
    ck_assert_ptr_null(temp[2]);

    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(unlink(final[i]), 0);
    ck_assert_int_eq(rmdir(dir), 0); /* nothing else was left in it */
    tc_registry_free(reg);
    free(seed);
}
END_TEST

START_TEST(options_are_checked_and_defaulted)
{
    tc_error err;
    ck_assert_int_eq(tc_option_check(&opt_plugin, "pretty", "yes", &err), TC_OK);
    ck_assert_int_eq(tc_option_check(&opt_plugin, "width", "-12", &err), TC_OK);
    ck_assert_int_eq(tc_option_check(&opt_plugin, "colour", "green", &err), TC_OK);
    ck_assert_int_eq(tc_option_check(&opt_plugin, "label", "anything at all", &err), TC_OK);

    ck_assert_int_eq(tc_option_check(&opt_plugin, "nonsense", "1", &err), TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "unknown option demo.nonsense; demo takes: demo.pretty "
                               "demo.width demo.colour demo.label");
    ck_assert_int_eq(tc_option_check(&opt_plugin, "pretty", "maybe", &err), TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "option demo.pretty takes true or false (yes/no, on/off, 1/0), "
                               "not 'maybe'");
    ck_assert_int_eq(tc_option_check(&opt_plugin, "width", "12px", &err), TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "option demo.width takes an integer, not '12px'");
    ck_assert_int_eq(tc_option_check(&opt_plugin, "colour", "blue", &err), TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "option demo.colour takes one of: red, green; not 'blue'");

    tc_buf b = {0};
    tc_stream *s = tc_stream_open_output_buffer(&b, "x");
    tc_option_value given[] = {{"other", "width", "1"}, {"demo", "pretty", "on"},
                               {"demo", "colour", "green"}};
    ck_assert_int_eq(tc_stream_set_options(s, &opt_plugin, given, 3, &err), TC_OK);
    ck_assert(tc_stream_option_bool(s, "pretty"));
    ck_assert_int_eq(tc_stream_option_int(s, "width"), 78); /* "other" is not for demo */
    ck_assert_str_eq(tc_stream_option(s, "colour"), "green");
    ck_assert_ptr_null(tc_stream_option(s, "label"));
    ck_assert_ptr_null(tc_stream_option(s, "undeclared"));
    tc_stream_close(s);
    tc_buf_free(&b);
}
END_TEST

/* A writer that writes nothing: the checked session in front of it is
 * what is tested. */
static int null_open(tc_stream *out, void **state)
{
    (void)out;
    *state = NULL;
    return TC_OK;
}
static int null_thread(tc_stream *out, void *state, const tc_thread *t)
{
    (void)out, (void)state, (void)t;
    return TC_OK;
}
static int null_post(tc_stream *out, void *state, const tc_post *p)
{
    (void)out, (void)state, (void)p;
    return TC_OK;
}
static int null_end(tc_stream *out, void *state)
{
    (void)out, (void)state;
    return TC_OK;
}
static void null_close(tc_stream *out, void *state)
{
    (void)out, (void)state;
}
static const tc_format null_writer = {
    .name = "null", .write_open = null_open, .write_begin_thread = null_thread,
    .write_post = null_post, .write_end_thread = null_end, .write_finish = null_end,
    .write_close = null_close};

/* The session's verdict on a thread whose extra fields have the keys
 * keys[0..n) (values "v"), in its error text (empty when accepted). */
static int session_on_keys(char (*keys)[24], size_t n, char *text, size_t size)
{
    tc_field *items = calloc(n, sizeof *items);
    ck_assert_ptr_nonnull(items);
    for (size_t i = 0; i < n; i++)
        items[i] = (tc_field){keys[i], "v"};
    tc_buf out = {0};
    tc_stream *s = tc_stream_open_output_buffer(&out, "<test output>");
    ck_assert_ptr_nonnull(s);
    tc_writer *w = NULL;
    tc_error err = {0};
    ck_assert_int_eq(tc_writer_open(&null_writer, s, 0, &w, &err), TC_OK);
    tc_thread t = {.title = "T", .source = "s", .extras = {.items = items, .count = n}};
    int rc = tc_writer_begin_thread(w, &t, &err);
    snprintf(text, size, "%s", rc == TC_OK ? "" : err.text);
    tc_writer_close(w);
    tc_stream_close(s);
    tc_buf_free(&out);
    free(items);
    return rc;
}

START_TEST(session_finds_repeated_keys_in_long_lists)
{
    /* Few fields are compared with one another, many are sorted (a post
     * may hold a million within max-post): the same verdict, naming the
     * first field, in list order, whose key came before. */
    static char keys[100000][24];
    char text[sizeof ((tc_error *)0)->text];
    static const size_t sizes[] = {3, 32, 33, 40, 100000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        for (size_t i = 0; i < n; i++)
            snprintf(keys[i], sizeof keys[i], "k%zu", i);
        ck_assert_int_eq(session_on_keys(keys, n, text, sizeof text), TC_OK);
        /* k1 again at n - 1, and k0 again at n - 2: the one at n - 2 is named */
        snprintf(keys[n - 1], sizeof keys[n - 1], "k1");
        snprintf(keys[n - 2], sizeof keys[n - 2], "k0");
        ck_assert_int_eq(session_on_keys(keys, n, text, sizeof text), TC_ERR_USAGE);
        ck_assert_str_eq(text, "thread 1: a thread extra field 'k0' given to the 'null' writer "
                               "twice: keys must be unique");
    }
    /* 100,000 fields take no time (they took a minute compared pairwise) */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fields_keep_order_and_unique_keys);
    tcase_add_test(tc, fields_refuse_reserved_and_empty_keys);
    tcase_add_test(tc, base64_encodes_the_rfc_vectors);
    tcase_add_test(tc, utf8_accepts_valid_text);
    tcase_add_test(tc, utf8_rejects_with_position);
    tcase_add_test(tc, buf_appends_and_formats);
    tcase_add_test(tc, stream_lines_from_memory);
    tcase_add_test(tc, stream_lines_across_buffer_refills);
    tcase_add_test(tc, stream_missing_file_is_named);
    tcase_add_test(tc, stream_seeks_files_and_spools_pipes);
    tcase_add_test(tc, stream_errors_keep_the_first);
    tcase_add_test(tc, stream_from_a_source);
    tcase_add_test(tc, stream_errors_about_another_file);
    tcase_add_test(tc, stream_writes_to_buffer);
    tcase_add_test(tc, stream_reports_disk_full);
    tcase_add_test(tc, options_are_checked_and_defaulted);
    tcase_add_test(tc, deferred_outputs_commit_as_a_group);
    tcase_add_test(tc, session_finds_repeated_keys_in_long_lists);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
