/*
 * test_tree.c - folders, zips and tars read as trees (threadconv/tree.h).
 *
 * The test writes a folder of known files itself, then has python3's
 * zipfile and tarfile -- implementations independent of libarchive -- pack
 * the same files as zips and tars, so every expected name and byte is known
 * by construction.  Hostile archives are made the same way (patched where
 * zipfile refuses to write a name), one per case.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "prng.h"
#include "testutil.h"

#include <threadconv/tree.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static char *new_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    tc_buf b = {0};
    ck_assert_int_eq(tc_buf_printf(&b, "%s/tc-tree-XXXXXX", tmp && *tmp ? tmp : "/tmp"), TC_OK);
    ck_assert_ptr_nonnull(mkdtemp(b.data));
    return b.data;
}

static void remove_dir(char *dir)
{
    tc_buf cmd = {0};
    tc_buf_printf(&cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd.data), 0);
    tc_buf_free(&cmd);
    free(dir);
}

static char *join(const char *dir, const char *name)
{
    tc_buf b = {0};
    ck_assert_int_eq(tc_buf_printf(&b, "%s/%s", dir, name), TC_OK);
    return b.data;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* mkdir -p of the folders above path. */
static void make_parents(const char *path)
{
    char *p = strdup(path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
        *s = '/';
    }
    free(p);
}

/* Helpers every script below may use: out is the file to make. */
static const char py_prelude[] =
    "import io, os, struct, sys, tarfile, warnings, zipfile\n"
    "warnings.simplefilter('ignore')  # zipfile warns of the duplicates we make\n"
    "out = sys.argv[1]\n"
    "def zip_of(*entries):\n"
    "    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "        for name, data in entries:\n"
    "            z.writestr(name, data)\n"
    "def tar_of(*entries, fmt=tarfile.PAX_FORMAT, mode='w'):\n"
    "    with tarfile.open(out, mode, format=fmt, encoding='utf-8',\n"
    "                      errors='surrogateescape') as t:\n"
    "        for info, data in entries:\n"
    "            if data is not None:\n"
    "                info.size = len(data)\n"
    "            t.addfile(info, io.BytesIO(data) if data is not None else None)\n"
    "def entry(name, kind=tarfile.REGTYPE, link=''):\n"
    "    i = tarfile.TarInfo(name)\n"
    "    i.type, i.linkname = kind, link\n"
    "    return i\n"
    "def patch(old, new):\n"
    "    d = open(out, 'rb').read()\n"
    "    assert old in d, old\n"
    "    open(out, 'wb').write(d.replace(old, new))\n"
    "def patch_zip(offset_local, offset_central, fmt, value):\n"
    "    # a field of the one entry, in its local header and its central one\n"
    "    d = bytearray(open(out, 'rb').read())\n"
    "    c = d.rindex(b'PK\\x01\\x02')\n"
    "    struct.pack_into(fmt, d, offset_local, value)\n"
    "    struct.pack_into(fmt, d, c + offset_central, value)\n"
    "    open(out, 'wb').write(bytes(d))\n";

/* Run a python3 script (after the prelude) with out as sys.argv[1]. */
static void python(const char *script, const char *out)
{
    tc_buf cmd = {0};
    tc_buf_printf(&cmd, "python3 - '%s'", out);
    FILE *p = popen(cmd.data, "w");
    ck_assert_ptr_nonnull(p);
    fputs(py_prelude, p);
    fputs(script, p);
    ck_assert_msg(pclose(p) == 0, "python3 failed making %s", out);
    tc_buf_free(&cmd);
}

static void read_all(tc_stream *s, tc_buf *out)
{
    char chunk[70000]; /* more than a stream's buffer: reads of every size */
    tc_buf_reset(out);
    ck_assert_int_eq(tc_buf_reserve(out, 0), TC_OK);
    for (size_t want = 1;; want = want * 3 % sizeof chunk + 1) {
        long n = tc_stream_read(s, chunk, want);
        ck_assert_msg(n >= 0, "%s: %s", tc_stream_get_error(s)->source,
                      tc_stream_get_error(s)->text);
        if (n == 0)
            return;
        ck_assert_int_eq(tc_buf_append(out, chunk, (size_t)n), TC_OK);
    }
}

/* ------------------------------------------------------------ the fixture */

typedef struct file {
    const char *name;
    char *data;
    size_t len;
} file;

#define BIG_SIZE ((size_t)3 * 1024 * 1024)
#define N_FILES 9

/* In strcmp order, as a tree lists them. */
static file files[N_FILES] = {
    {"README.txt", NULL, 0},
    {"chat/_chat.txt", NULL, 0},
    {"chat/media/big.bin", NULL, 0},
    {"chat/media/caf\xc3\xa9 \xe2\x98\x95.txt", NULL, 0},     /* café ☕ */
    {"chat/media/empty-too", NULL, 0},
    {"deep/a/b/c/d.txt", NULL, 0},
    {"empty.txt", NULL, 0},
    {"no-newline.txt", NULL, 0},
    {"\xe6\x97\xa5\xe6\x9c\xac/\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab.txt", NULL, 0},
};
static const char *const texts[N_FILES] = {
    "hello\n",
    "04/02/2021, 21:33 - Alice: h\xc3\xa9llo \xf0\x9f\x91\x8b\n"
    "04/02/2021, 21:34 - Bob: <attached: big.bin>\r\n"
    "04/02/2021, 21:35 - Alice: \n",
    NULL, /* big.bin: BIG_SIZE generated bytes */
    "cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e\n",
    "",
    "deep\n",
    "",
    "first line\nlast line without a newline",
    "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\n",
};
#define BIG 2

/* Every kind of tree made of the files: name under the fixture folder. */
static const char *const kinds[] = {
    "folder", "plain.zip", "stored.zip", "stream.zip", "gnu.tar", "pax.tgz",
    "pax.tar.bz2", "pax.tar.xz",
};
#define N_KINDS (sizeof kinds / sizeof *kinds)

static char *fixture; /* the folder holding every kind */

static const char make_archives[] =
    "src = os.path.join(out, 'folder')\n"
    "files, dirs = [], []\n"
    "for root, ds, fs in os.walk(src):\n"
    "    dirs += [os.path.relpath(os.path.join(root, d), src) for d in ds]\n"
    "    files += [os.path.relpath(os.path.join(root, f), src) for f in fs]\n"
    "files.sort(reverse=True)  # an archive order unlike the tree's\n"
    "def data(f):\n"
    "    with open(os.path.join(src, f), 'rb') as h:\n"
    "        return h.read()\n"
    "with zipfile.ZipFile(out + '/plain.zip', 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "    for d in sorted(dirs):\n"
    "        z.write(os.path.join(src, d), d)  # folder entries too\n"
    "    for f in files:\n"
    "        z.write(os.path.join(src, f), f)\n"
    "with zipfile.ZipFile(out + '/stored.zip', 'w', zipfile.ZIP_STORED) as z:\n"
    "    for f in files:\n"
    "        z.writestr(f, data(f))\n"
    "class Pipe:  # no tell(): zipfile writes sizes after the data\n"
    "    def __init__(self, f): self.f = f\n"
    "    def write(self, b): return self.f.write(b)\n"
    "    def flush(self): self.f.flush()\n"
    "with open(out + '/stream.zip', 'wb') as raw:\n"
    "    with zipfile.ZipFile(Pipe(raw), 'w', zipfile.ZIP_DEFLATED) as z:\n"
    "        for f in files:\n"
    "            with z.open(f, 'w') as m:\n"
    "                m.write(data(f))\n"
    "with tarfile.open(out + '/gnu.tar', 'w', format=tarfile.GNU_FORMAT) as t:\n"
    "    for f in files:\n"
    "        t.add(os.path.join(src, f), f)\n"
    "for mode, name in (('w:gz', 'pax.tgz'), ('w:bz2', 'pax.tar.bz2'), ('w:xz', 'pax.tar.xz')):\n"
    "    with tarfile.open(out + '/' + name, mode, format=tarfile.PAX_FORMAT) as t:\n"
    "        t.add(src, arcname='.')  # './' names and folder entries\n";

static void fixture_setup(void)
{
    prng_state = 0x7468726561647472ull;
    for (size_t i = 0; i < N_FILES; i++) {
        if (i == BIG) {
            files[i].data = malloc(BIG_SIZE);
            ck_assert_ptr_nonnull(files[i].data);
            for (size_t k = 0; k < BIG_SIZE; k++)
                files[i].data[k] = (char)(rnd() >> 56);
            files[i].len = BIG_SIZE;
        } else {
            files[i].data = strdup(texts[i]);
            files[i].len = strlen(texts[i]);
        }
    }
    fixture = new_dir();
    char *folder = join(fixture, "folder");
    ck_assert_int_eq(mkdir(folder, 0755), 0);
    for (size_t i = 0; i < N_FILES; i++) {
        char *path = join(folder, files[i].name);
        make_parents(path);
        write_file(path, files[i].data, files[i].len);
        free(path);
    }
    free(folder);
    python(make_archives, fixture);
}

static void fixture_teardown(void)
{
    remove_dir(fixture);
    for (size_t i = 0; i < N_FILES; i++)
        free(files[i].data);
}

static tc_tree *open_kind(size_t k, char **path)
{
    *path = join(fixture, kinds[k]);
    tc_tree *t = NULL;
    tc_error err;
    int rc = tc_tree_open(*path, &t, &err);
    ck_assert_msg(rc == TC_OK, "%s: %d %s: %s", kinds[k], rc, err.source, err.text);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* ---------------------------------------------------- the same files alike */

START_TEST(every_kind_lists_the_same_members)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        char *path;
        tc_tree *t = open_kind(k, &path);
        ck_assert_msg(tc_tree_count(t) == N_FILES, "%s lists %zu", kinds[k], tc_tree_count(t));
        for (size_t i = 0; i < N_FILES; i++) {
            ck_assert_str_eq(tc_tree_name(t, i), files[i].name);
            ck_assert_uint_eq(tc_tree_size(t, i), files[i].len);
            size_t at = 99;
            ck_assert(tc_tree_find(t, files[i].name, &at));
            ck_assert_uint_eq(at, i);
        }
        /* Folders are not members; nothing else is found. */
        ck_assert(!tc_tree_find(t, "chat", NULL));
        ck_assert(!tc_tree_find(t, "chat/", NULL));
        ck_assert(!tc_tree_find(t, "", NULL));
        ck_assert(!tc_tree_find(t, "chat/media/big.bi", NULL));
        ck_assert(!tc_tree_find(t, "zzz", NULL));
        ck_assert_ptr_null(tc_tree_name(t, N_FILES));
        /* The archive's own order: the zips and the GNU tar were written
         * in reverse, the pax tars and the folder in the sorted order. */
        bool reversed = strstr(kinds[k], "zip") || strstr(kinds[k], "gnu");
        for (size_t i = 0; i < N_FILES; i++)
            ck_assert_uint_eq(tc_tree_stored(t, i), reversed ? N_FILES - 1 - i : i);
        ck_assert_uint_eq(tc_tree_stored(t, N_FILES), SIZE_MAX);
        tc_tree_close(t);
        free(path);
    }
}
END_TEST

START_TEST(every_member_reads_back_byte_for_byte)
{
    tc_buf got = {0};
    for (size_t k = 0; k < N_KINDS; k++) {
        char *path;
        tc_tree *t = open_kind(k, &path);
        for (size_t i = 0; i < N_FILES; i++) {
            tc_error err;
            tc_stream *s = tc_tree_open_member(t, i, &err);
            ck_assert_msg(s != NULL, "%s: %s", err.source, err.text);
            char expected_name[600];
            snprintf(expected_name, sizeof expected_name, "%s%s%s", path,
                     k == 0 ? "/" : ":", files[i].name);
            ck_assert_str_eq(tc_stream_name(s), expected_name);
            read_all(s, &got);
            ck_assert_msg(got.len == files[i].len && memcmp(got.data, files[i].data, got.len) == 0,
                          "%s differs (%zu bytes read, %zu written)", expected_name, got.len,
                          files[i].len);
            ck_assert_int_eq(tc_stream_read(s, got.data, 1), 0); /* stays at the end */
            tc_stream_close(s);
        }
        tc_tree_close(t);
        free(path);
    }
    tc_buf_free(&got);
}
END_TEST

START_TEST(lines_read_like_any_input)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        char *path;
        tc_tree *t = open_kind(k, &path);
        size_t i;
        ck_assert(tc_tree_find(t, "no-newline.txt", &i));
        tc_error err;
        tc_stream *s = tc_tree_open_member(t, i, &err);
        ck_assert_ptr_nonnull(s);
        const char *line;
        size_t len;
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
        ck_assert_uint_eq(len, 10);
        ck_assert(memcmp(line, "first line", 10) == 0);
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
        ck_assert_uint_eq(len, 27);
        ck_assert(memcmp(line, "last line without a newline", 27) == 0);
        ck_assert_int_eq(tc_stream_line(s), 2);
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
        tc_stream_close(s);

        ck_assert(tc_tree_find(t, "chat/_chat.txt", &i));
        s = tc_tree_open_member(t, i, &err);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
        ck_assert(len > 0 && line[len - 1] == '\r'); /* CR kept, as for any input */
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_OK);
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
        ck_assert_int_eq(tc_stream_line(s), 3);
        tc_stream_close(s);

        ck_assert(tc_tree_find(t, "empty.txt", &i));
        s = tc_tree_open_member(t, i, &err);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
        tc_stream_close(s);
        tc_tree_close(t);
        free(path);
    }
}
END_TEST

/* Members open together, read in turns, opened in a shuffled order, and
 * still readable after the tree is closed. */
START_TEST(members_open_together_in_any_order)
{
    tc_buf got = {0};
    for (size_t k = 0; k < N_KINDS; k++) {
        char *path;
        tc_tree *t = open_kind(k, &path);
        tc_error err;
        tc_stream *s[N_FILES];
        size_t order[N_FILES], at[N_FILES];
        for (size_t i = 0; i < N_FILES; i++)
            order[i] = i;
        prng_state = 12345 + k;
        for (size_t i = N_FILES - 1; i > 0; i--) {
            size_t j = below(i + 1), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (size_t i = 0; i < N_FILES; i++) {
            s[i] = tc_tree_open_member(t, order[i], &err);
            ck_assert_msg(s[i] != NULL, "%s: %s", err.source, err.text);
            at[i] = 0;
        }
        tc_tree_close(t); /* the streams keep it */
        char chunk[4096];
        for (bool more = true; more;) {
            more = false;
            for (size_t i = 0; i < N_FILES; i++) {
                const file *f = &files[order[i]];
                long n = tc_stream_read(s[i], chunk, 1 + below(sizeof chunk));
                ck_assert_msg(n >= 0, "%s", tc_stream_get_error(s[i])->text);
                ck_assert(at[i] + (size_t)n <= f->len);
                ck_assert(memcmp(chunk, f->data + at[i], (size_t)n) == 0);
                at[i] += (size_t)n;
                more |= n > 0;
            }
        }
        for (size_t i = 0; i < N_FILES; i++) {
            ck_assert_uint_eq(at[i], files[order[i]].len);
            tc_stream_close(s[i]);
        }
        /* One at a time, backwards (a tar.gz is read again each time). */
        free(path);
        t = open_kind(k, &path);
        for (size_t i = N_FILES; i-- > 0;) {
            tc_stream *m = tc_tree_open_member(t, i, &err);
            ck_assert_ptr_nonnull(m);
            read_all(m, &got);
            ck_assert(got.len == files[i].len && memcmp(got.data, files[i].data, got.len) == 0);
            tc_stream_close(m);
        }
        tc_tree_close(t);
        free(path);
    }
    tc_buf_free(&got);
}
END_TEST

static void expect_at(tc_stream *s, size_t offset, size_t len)
{
    char chunk[5000];
    ck_assert_uint_le(len, sizeof chunk);
    size_t got = 0;
    while (got < len) {
        long n = tc_stream_read(s, chunk + got, len - got);
        ck_assert_msg(n > 0, "read at %zu: %ld", offset + got, n);
        got += (size_t)n;
    }
    ck_assert(memcmp(chunk, files[BIG].data + offset, len) == 0);
    ck_assert_uint_eq(tc_stream_tell(s), offset + len);
}

START_TEST(members_seek_back_and_forth)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        char *path;
        tc_tree *t = open_kind(k, &path);
        tc_error err;
        tc_stream *s = tc_tree_open_member(t, BIG, &err);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(tc_stream_make_seekable(s), TC_OK);
        expect_at(s, 0, 4000);
        ck_assert_int_eq(tc_stream_seek(s, 2500000, 7), TC_OK);
        ck_assert_int_eq(tc_stream_line(s), 7);
        expect_at(s, 2500000, 4000);
        ck_assert_int_eq(tc_stream_seek(s, 100, 0), TC_OK); /* back: read again */
        expect_at(s, 100, 4000);
        ck_assert_int_eq(tc_stream_seek(s, BIG_SIZE - 10, 0), TC_OK);
        expect_at(s, BIG_SIZE - 10, 10);
        char c;
        ck_assert_int_eq(tc_stream_read(s, &c, 1), 0);
        ck_assert_int_eq(tc_stream_seek(s, BIG_SIZE + 1, 0), TC_ERR_PLUGIN);
        tc_stream_close(s);
        tc_tree_close(t);
        free(path);
    }
}
END_TEST

/* ------------------------------------------------------- hostile archives */

/* Make name in a new folder with script; expect the tree refused with
 * source "FILE:member" (member NULL: "FILE") and why in the text. */
static void expect_refused(const char *name, const char *script, const char *member,
                           const char *why)
{
    char *dir = new_dir();
    char *path = join(dir, name);
    python(script, path);
    tc_tree *t = (tc_tree *)&t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_ERR_DATA);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(err.code, TC_ERR_DATA);
    char source[600];
    snprintf(source, sizeof source, "%s%s%s", path, member ? ":" : "", member ? member : "");
    ck_assert_str_eq(err.source, source);
    ck_assert_msg(strstr(err.text, why) != NULL, "%s: %s (expected \"%s\")", err.source,
                  err.text, why);
    free(path);
    remove_dir(dir);
}

START_TEST(names_that_climb_out_are_refused)
{
    expect_refused("up.zip", "zip_of(('ok.txt', b'ok'), ('../x', b'evil'))\n", "../x",
                   "member refused: its name climbs out of the tree (a \"..\" part)");
    expect_refused("deeper.zip", "zip_of(('a/../../x', b'evil'))\n", "a/../../x",
                   "climbs out of the tree");
    expect_refused("inside.tar", "tar_of((entry('a/../b'), b'x'))\n", "a/../b",
                   "climbs out of the tree");
    /* zip names written on Windows: libarchive reads \ as / there. */
    expect_refused("windows.zip", "zip_of(('..\\\\..\\\\x', b'evil'))\n", "../../x",
                   "climbs out of the tree");
}
END_TEST

START_TEST(absolute_names_are_refused)
{
    expect_refused("abs.zip", "zip_of(('/etc/passwd', b'root'))\n", "/etc/passwd",
                   "member refused: its name is absolute (it starts with \"/\")");
    expect_refused("abs.tar", "tar_of((entry('/etc/passwd'), b'root'))\n", "/etc/passwd",
                   "its name is absolute");
    expect_refused("drive.tar", "tar_of((entry('C:/x'), b'x'))\n", "C:/x",
                   "its name starts with a drive letter");
}
END_TEST

START_TEST(name_games_are_refused)
{
    /* A backslash reaches us from a tar, written \\ in the message. */
    expect_refused("bs.tar", "tar_of((entry('a\\\\..\\\\x'), b'x'))\n", "a\\\\..\\\\x",
                   "its name holds a backslash");
    /* Control characters, C0 and C1, shown escaped. */
    expect_refused("nl.zip", "zip_of(('a\\nb', b'x'))\n", "a\\x0ab",
                   "its name holds a control character");
    expect_refused("csi.zip", "zip_of(('a\\u009b31mb', b'x'))\n", "a\\xc2\\x9b31mb",
                   "its name holds a control character");
    /* Not UTF-8: raw bytes in a GNU tar and in a zip without the UTF-8 flag,
     * and bytes a zip's UTF-8 flag claims but that are not. */
    expect_refused("latin1.tar", "tar_of((entry('caf\\udce9'), b'x'), fmt=tarfile.GNU_FORMAT)\n",
                   "caf\\xe9", "its name is not valid UTF-8");
    expect_refused("latin1.zip", "zip_of(('cafX', b'x'))\npatch(b'cafX', b'caf\\xe9')\n",
                   "caf\\xe9", "its name is not valid UTF-8");
    expect_refused("badutf8.zip",
                   "zip_of(('caf\\u00e9', b'x'))\npatch('caf\\u00e9'.encode(), b'caf\\xff\\xfe')\n",
                   NULL, "entry 1 refused: its name is not valid UTF-8");
    /* A regular file whose name is only "." parts. */
    expect_refused("dot.tar", "tar_of((entry('./.'), b'x'))\n", "./.", "its name is empty");
}
END_TEST

/* The long name's message: its source is cut to fit, so check it apart. */
START_TEST(long_names_are_refused)
{
    char *dir = new_dir();
    char *path = join(dir, "long.tar");
    python("tar_of((entry('a/' * 2048 + 'x'), b'x'))\n", path);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_ERR_DATA);
    ck_assert_str_eq(err.text,
                     "member refused: its name is longer than TC_TREE_MAX_NAME (4096 bytes)");
    ck_assert(strncmp(err.source, path, strlen(path)) == 0);
    free(path);
    remove_dir(dir);
}
END_TEST

START_TEST(names_cut_at_a_nul)
{
    /* Every tool reads a name up to its NUL: what is left is the name, and
     * it is checked like any other. */
    char *dir = new_dir();
    char *path = join(dir, "nul.zip");
    python("zip_of(('ok.txt', b'ok'), ('evil.txtZ/../../x', b'evil'))\n"
           "patch(b'evil.txtZ', b'evil.txt\\0')\n", path);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 2);
    ck_assert_str_eq(tc_tree_name(t, 0), "evil.txt");
    ck_assert_str_eq(tc_tree_name(t, 1), "ok.txt");
    tc_tree_close(t);
    free(path);
    remove_dir(dir);
    /* Two names alike up to a NUL are one name twice. */
    expect_refused("nuldup.zip", "zip_of(('a.txtZx', b'1'), ('a.txtZy', b'2'))\n"
                                 "patch(b'a.txtZ', b'a.txt\\0')\n",
                   "a.txt", "member refused: the name appears twice");
}
END_TEST

START_TEST(duplicates_are_refused)
{
    expect_refused("dup.zip", "zip_of(('x', b'1'), ('x', b'2'))\n", "x",
                   "member refused: the name appears twice");
    expect_refused("dup.tar", "tar_of((entry('x'), b'1'), (entry('./x'), b'2'))\n", "x",
                   "the name appears twice");
    expect_refused("slashes.tar", "tar_of((entry('a/b'), b'1'), (entry('a//b'), b'2'))\n",
                   "a/b", "the name appears twice");
    expect_refused("fileandfolder.tar", "tar_of((entry('a'), b'1'), (entry('a/b'), b'2'))\n",
                   "a", "member refused: it is both a file and a folder (holding \"a/b\")");
    expect_refused("fileanddir.zip", "zip_of(('a', b'1'), ('a/', b''))\n", "a",
                   "it is both a file and a folder");
    /* Folder entries may repeat (appended tars do that). */
    char *dir = new_dir();
    char *path = join(dir, "dirs.tar");
    python("tar_of((entry('d', tarfile.DIRTYPE), None), (entry('d/', tarfile.DIRTYPE), None),\n"
           "       (entry('d/x'), b'x'))\n", path);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 1);
    ck_assert_str_eq(tc_tree_name(t, 0), "d/x");
    tc_tree_close(t);
    free(path);
    remove_dir(dir);
}
END_TEST

START_TEST(links_and_special_files_in_archives_are_refused)
{
    expect_refused("sym.zip",
                   "i = zipfile.ZipInfo('link')\n"
                   "i.create_system, i.external_attr = 3, 0o120777 << 16\n"
                   "zip_of(('a', b'a'), (i, b'/etc/passwd'))\n",
                   "link",
                   "member refused: it is a symbolic link (to \"/etc/passwd\"); "
                   "links are not followed");
    expect_refused("sym.tar", "tar_of((entry('l', tarfile.SYMTYPE, '../../etc/passwd'), None))\n",
                   "l", "it is a symbolic link (to \"../../etc/passwd\")");
    expect_refused("hard.tar",
                   "tar_of((entry('a'), b'a'), (entry('h', tarfile.LNKTYPE, 'a'), None))\n", "h",
                   "member refused: it is a hard link (to \"a\"); links are not followed");
    expect_refused("fifo.tar", "tar_of((entry('f', tarfile.FIFOTYPE), None))\n", "f",
                   "member refused: it is a FIFO, not a regular file");
    expect_refused("dev.tar", "tar_of((entry('sda', tarfile.BLKTYPE), None))\n", "sda",
                   "it is a block device, not a regular file");
    expect_refused("tty.tar", "tar_of((entry('tty', tarfile.CHRTYPE), None))\n", "tty",
                   "it is a character device, not a regular file");
}
END_TEST

START_TEST(links_and_special_files_in_folders_are_refused)
{
    char *dir = new_dir();
    char *tree = join(dir, "t");
    char *sub = join(tree, "sub");
    char *file_path = join(sub, "ok.txt");
    make_parents(file_path);
    write_file(file_path, "ok\n", 3);
    char *link = join(sub, "passwd");
    ck_assert_int_eq(symlink("/etc/passwd", link), 0);
    tc_tree *t;
    tc_error err;
    char expected[600];
    ck_assert_int_eq(tc_tree_open(tree, &t, &err), TC_ERR_DATA);
    ck_assert_ptr_null(t);
    snprintf(expected, sizeof expected, "%s/sub/passwd", tree);
    ck_assert_str_eq(err.source, expected);
    ck_assert_str_eq(err.text, "member refused: it is a symbolic link (to \"/etc/passwd\"); "
                               "links are not followed");
    unlink(link);

    /* A link to a folder is refused the same way, never walked. */
    char *dlink = join(tree, "etc");
    ck_assert_int_eq(symlink("/etc", dlink), 0);
    ck_assert_int_eq(tc_tree_open(tree, &t, &err), TC_ERR_DATA);
    snprintf(expected, sizeof expected, "%s/etc", tree);
    ck_assert_str_eq(err.source, expected);
    ck_assert(strstr(err.text, "symbolic link (to \"/etc\")") != NULL);
    unlink(dlink);

    /* A FIFO. */
    char *fifo = join(sub, "pipe");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(tc_tree_open(tree, &t, &err), TC_ERR_DATA);
    snprintf(expected, sizeof expected, "%s/sub/pipe", tree);
    ck_assert_str_eq(err.source, expected);
    ck_assert_str_eq(err.text, "member refused: it is a FIFO, not a regular file");
    unlink(fifo);

    /* Names a folder can hold but a tree does not take. */
    char *bs = join(sub, "a\\b");
    write_file(bs, "", 0);
    ck_assert_int_eq(tc_tree_open(tree, &t, &err), TC_ERR_DATA);
    snprintf(expected, sizeof expected, "%s/sub/a\\\\b", tree);
    ck_assert_str_eq(err.source, expected);
    ck_assert(strstr(err.text, "backslash") != NULL);
    unlink(bs);

    /* Clean again: the tree opens; the folder given may be a link itself,
     * and may end in a slash. */
    ck_assert_int_eq(tc_tree_open(tree, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 1);
    ck_assert_str_eq(tc_tree_name(t, 0), "sub/ok.txt");
    tc_tree_close(t);
    char *alias = join(dir, "alias");
    ck_assert_int_eq(symlink(tree, alias), 0);
    char slashed[600];
    snprintf(slashed, sizeof slashed, "%s/", alias);
    ck_assert_int_eq(tc_tree_open(slashed, &t, &err), TC_OK);
    tc_stream *s = tc_tree_open_member(t, 0, &err);
    ck_assert_ptr_nonnull(s);
    snprintf(expected, sizeof expected, "%s/sub/ok.txt", alias);
    ck_assert_str_eq(tc_stream_name(s), expected);
    tc_stream_close(s);

    /* Swapped for a link after the listing: opening it refuses. */
    ck_assert_int_eq(unlink(file_path), 0);
    ck_assert_int_eq(symlink("/etc/passwd", file_path), 0);
    ck_assert_ptr_null(tc_tree_open_member(t, 0, &err));
    ck_assert_int_eq(err.code, TC_ERR_DATA);
    ck_assert(strstr(err.text, "a link took the place of a file or folder") != NULL);
    tc_tree_close(t);

    free(alias);
    free(bs);
    free(fifo);
    free(dlink);
    free(link);
    free(file_path);
    free(sub);
    free(tree);
    remove_dir(dir);
}
END_TEST

START_TEST(folders_nested_too_deep_are_refused)
{
    char *dir = new_dir();
    tc_buf path = {0};
    tc_buf_printf(&path, "%s", dir);
    for (unsigned i = 0; i <= TC_TREE_MAX_DEPTH; i++) {
        tc_buf_append(&path, "/d", 2);
        ck_assert_int_eq(mkdir(path.data, 0755), 0);
    }
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(dir, &t, &err), TC_ERR_DATA);
    ck_assert_str_eq(err.text, "folders nested more than 128 deep: trees this deep are refused");
    /* One level less is fine (and empty: folders are not members). */
    *strrchr(path.data, '/') = '\0';
    char *inner = join(path.data, "d");
    ck_assert_int_eq(rmdir(inner), 0);
    ck_assert_int_eq(tc_tree_open(dir, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 0);
    tc_tree_close(t);
    free(inner);
    tc_buf_free(&path);
    remove_dir(dir);
}
END_TEST

/* ------------------------------------------------------- sizes and bombs */

/* A tree of one member made by script; its stream, read to the end, fails
 * with why.  Returns nothing: everything is checked here. */
static void expect_read_fails(const char *script, uint64_t listed, const char *why)
{
    char *dir = new_dir();
    char *path = join(dir, "one.zip");
    python(script, path);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 1);
    ck_assert_uint_eq(tc_tree_size(t, 0), listed);
    tc_stream *s = tc_tree_open_member(t, 0, &err);
    ck_assert_msg(s != NULL, "%s", err.text);
    char chunk[65536];
    long n;
    uint64_t total = 0;
    while ((n = tc_stream_read(s, chunk, sizeof chunk)) > 0)
        total += (uint64_t)n;
    ck_assert_int_eq(n, TC_ERR_DATA);
    ck_assert_uint_le(total, listed); /* never more than declared */
    const tc_error *e = tc_stream_get_error(s);
    char source[600];
    snprintf(source, sizeof source, "%s:%s", path, tc_tree_name(t, 0));
    ck_assert_str_eq(e->source, source);
    ck_assert_msg(strstr(e->text, why) != NULL, "%s (expected \"%s\")", e->text, why);
    ck_assert_int_eq(tc_stream_read(s, chunk, 1), TC_ERR_DATA); /* and it stays failed */
    tc_stream_close(s);
    tc_tree_close(t);
    free(path);
    remove_dir(dir);
}

START_TEST(members_deliver_no_more_than_declared)
{
    /* A bomb: 1 MB of zeros whose headers say 10 bytes. */
    expect_read_fails("zip_of(('bomb.txt', bytes(1000000)))\npatch_zip(22, 24, '<I', 10)\n", 10,
                      "the member holds more than the 10 bytes its header declares");
    /* Headers that promise 4 GB (nothing is allocated by them). */
    expect_read_fails("zip_of(('short.txt', b'x' * 5000))\npatch_zip(22, 24, '<I', 0xffffffff)\n",
                      0xffffffffu, "the member");
    /* A damaged member in a sound archive: the error names the member. */
    expect_read_fails("zip_of(('crc.txt', b'x' * 5000))\n"
                      "d = bytearray(open(out, 'rb').read())\n"
                      "d[14] ^= 0xff  # the CRC in the local header\n"
                      "c = d.rindex(b'PK\\x01\\x02')\n"
                      "d[c + 16] ^= 0xff\n"
                      "open(out, 'wb').write(bytes(d))\n",
                      5000, "cannot read the member");
}
END_TEST

START_TEST(folder_members_that_change_fail)
{
    char *dir = new_dir();
    char *f = join(dir, "grows.txt");
    write_file(f, "12345", 5);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(dir, &t, &err), TC_OK);
    tc_stream *s = tc_tree_open_member(t, 0, &err);
    ck_assert_ptr_nonnull(s);
    FILE *a = fopen(f, "ab");
    fputs("678", a);
    fclose(a);
    char chunk[16];
    ck_assert_int_eq(tc_stream_read(s, chunk, sizeof chunk), 5);
    ck_assert_int_eq(tc_stream_read(s, chunk, sizeof chunk), TC_ERR_DATA);
    ck_assert_str_eq(tc_stream_get_error(s)->text,
                     "the member holds more than the 5 bytes the folder listed");
    tc_stream_close(s);
    /* Opened after the change: refused at once. */
    ck_assert_ptr_null(tc_tree_open_member(t, 0, &err));
    ck_assert_str_eq(err.text, "it changed since the folder was listed (5 bytes then, 8 now)");
    tc_tree_close(t);
    free(f);
    remove_dir(dir);
}
END_TEST

START_TEST(encrypted_members_say_so)
{
    char *dir = new_dir();
    char *path = join(dir, "secret.zip");
    /* General purpose flag bit 0: traditional PKWARE encryption. */
    python("zip_of(('plain.txt', b'p'))\n"
           "with zipfile.ZipFile(out, 'a') as z:\n"
           "    z.writestr('secret.txt', b'x' * 100)\n"
           "d = bytearray(open(out, 'rb').read())\n"
           "d[d.index(b'secret.txt') - 30 + 6] |= 1  # local header\n"
           "d[d.index(b'secret.txt', d.index(b'PK\\x01\\x02')) - 46 + 8] |= 1  # central\n"
           "open(out, 'wb').write(bytes(d))\n", path);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 2);
    size_t i;
    ck_assert(tc_tree_find(t, "secret.txt", &i));
    ck_assert_ptr_null(tc_tree_open_member(t, i, &err));
    ck_assert_int_eq(err.code, TC_ERR_DATA);
    char source[600];
    snprintf(source, sizeof source, "%s:secret.txt", path);
    ck_assert_str_eq(err.source, source);
    ck_assert_str_eq(err.text, "the member is encrypted: threadconv does not decrypt archives "
                               "(extract it with its password first)");
    /* The others still read. */
    ck_assert(tc_tree_find(t, "plain.txt", &i));
    tc_stream *s = tc_tree_open_member(t, i, &err);
    ck_assert_ptr_nonnull(s);
    tc_buf got = {0};
    read_all(s, &got);
    ck_assert_str_eq(got.data, "p");
    tc_buf_free(&got);
    tc_stream_close(s);
    tc_tree_close(t);
    free(path);
    remove_dir(dir);
}
END_TEST

/* --------------------------------------------- not trees, damaged trees */

static void expect_not_a_tree(const char *path, const char *text)
{
    tc_tree *t = (tc_tree *)&t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_EOF);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(err.code, TC_EOF);
    ck_assert_str_eq(err.text, text);
}

START_TEST(plain_files_are_not_trees)
{
    char *dir = new_dir();
    char *text = join(dir, "chat.txt");
    write_file(text, "04/02/2021, 21:33 - Alice: hi\n", 30);
    expect_not_a_tree(text, "not a tree: neither a folder nor a zip or tar archive");
    char *empty = join(dir, "empty.zip");
    write_file(empty, "", 0);
    expect_not_a_tree(empty, "not a tree: an empty file");
    expect_not_a_tree("-", "not a tree: standard input is read as a plain file");
    expect_not_a_tree("/dev/null", "not a tree: neither a folder nor a regular file");
    tc_tree *t;
    tc_error err;
    char *missing = join(dir, "missing.zip");
    ck_assert_int_eq(tc_tree_open(missing, &t, &err), TC_ERR_DATA);
    ck_assert_str_eq(err.source, missing);
    ck_assert_str_eq(err.text, "cannot open for reading: No such file or directory");
    /* An empty zip is a tree with no members. */
    char *none = join(dir, "none.zip");
    python("zip_of()\n", none);
    ck_assert_int_eq(tc_tree_open(none, &t, &err), TC_OK);
    ck_assert_uint_eq(tc_tree_count(t), 0);
    ck_assert_ptr_null(tc_tree_open_member(t, 0, &err));
    ck_assert_int_eq(err.code, TC_ERR_USAGE);
    tc_tree_close(t);
    free(none);
    free(missing);
    free(empty);
    free(text);
    remove_dir(dir);
}
END_TEST

/* The stream a tree reader is given for a tree: no bytes, the tree. */
START_TEST(a_tree_opens_as_a_readers_input)
{
    for (size_t k = 0; k < N_KINDS; k++) {
        char *path;
        tc_tree *t = open_kind(k, &path);
        tc_stream *s = tc_stream_open_tree(t, path);
        ck_assert_ptr_nonnull(s);
        ck_assert_ptr_eq(tc_stream_tree(s), t);
        ck_assert_str_eq(tc_stream_name(s), path);
        const char *line;
        size_t len;
        ck_assert_int_eq(tc_stream_read_line(s, &line, &len), TC_EOF);
        tc_stream_close(s); /* the tree stays the caller's */
        ck_assert_uint_eq(tc_tree_count(t), N_FILES);
        tc_tree_close(t);
        free(path);
    }
    /* a plain input has no tree */
    tc_stream *s = tc_stream_open_memory("x\n", 2, "x.txt");
    ck_assert_ptr_null(tc_stream_tree(s));
    tc_stream_close(s);
}
END_TEST

/* Cut or spoil a fixture archive; expect a data error about the file (or
 * about the member where the damage was found: "FILE:MEMBER"). */
static void expect_damaged(const char *kind, const char *script, const char *why)
{
    char *dir = new_dir();
    char *path = join(dir, kind);
    tc_buf s = {0};
    tc_buf_printf(&s, "d = bytearray(open('%s/%s', 'rb').read())\n%s"
                      "open(out, 'wb').write(bytes(d))\n", fixture, kind, script);
    python(s.data, path);
    tc_buf_free(&s);
    tc_tree *t = (tc_tree *)&t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_ERR_DATA);
    ck_assert_ptr_null(t);
    size_t n = strlen(path);
    ck_assert_msg(strncmp(err.source, path, n) == 0 &&
                      (err.source[n] == '\0' || err.source[n] == ':'), "source %s", err.source);
    ck_assert_msg(strstr(err.text, why) != NULL, "%s (expected \"%s\")", err.text, why);
    free(path);
    remove_dir(dir);
}

START_TEST(damaged_archives_are_data_errors)
{
    expect_damaged("plain.zip", "d = d[:len(d) // 2]\n",
                   "cannot read the zip archive (damaged or truncated?): ");
    expect_damaged("pax.tgz", "d = d[:len(d) * 3 // 5]\n",
                   "cannot read the gzip-compressed tar archive (damaged or truncated?): ");
    expect_damaged("pax.tgz", "for i in range(30, 80): d[i] ^= 0x5a\n", "gzip");
    expect_damaged("pax.tar.xz", "d = d[:len(d) // 2]\n", "xz");
    expect_damaged("gnu.tar", "d = d[:len(d) // 2]\n", "cannot read the tar archive");
    /* Compressed, but not a tar inside. */
    char *dir = new_dir();
    char *path = join(dir, "chat.txt.gz");
    python("import gzip\nopen(out, 'wb').write(gzip.compress(b'hello\\n' * 100))\n", path);
    tc_tree *t;
    tc_error err;
    ck_assert_int_eq(tc_tree_open(path, &t, &err), TC_ERR_DATA);
    ck_assert_str_eq(err.text, "gzip-compressed data, but not a tar archive: threadconv reads "
                               "compressed files only as compressed tar archives");
    free(path);
    remove_dir(dir);
}
END_TEST

static Suite *tree_suite(void)
{
    Suite *s = suite_create("tree");
    TCase *tc = tcase_create("same files");
    tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_kind_lists_the_same_members);
    tcase_add_test(tc, every_member_reads_back_byte_for_byte);
    tcase_add_test(tc, lines_read_like_any_input);
    tcase_add_test(tc, members_open_together_in_any_order);
    tcase_add_test(tc, members_seek_back_and_forth);
    tcase_add_test(tc, damaged_archives_are_data_errors);
    tcase_add_test(tc, a_tree_opens_as_a_readers_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, names_that_climb_out_are_refused);
    tcase_add_test(tc, absolute_names_are_refused);
    tcase_add_test(tc, name_games_are_refused);
    tcase_add_test(tc, long_names_are_refused);
    tcase_add_test(tc, names_cut_at_a_nul);
    tcase_add_test(tc, duplicates_are_refused);
    tcase_add_test(tc, links_and_special_files_in_archives_are_refused);
    tcase_add_test(tc, links_and_special_files_in_folders_are_refused);
    tcase_add_test(tc, folders_nested_too_deep_are_refused);
    tcase_add_test(tc, members_deliver_no_more_than_declared);
    tcase_add_test(tc, folder_members_that_change_fail);
    tcase_add_test(tc, encrypted_members_say_so);
    tcase_add_test(tc, plain_files_are_not_trees);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tree_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
