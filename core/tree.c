/* tree.c - a folder, a zip or a tar archive as one read-only tree (tree.h).
 *
 * tc_tree_open builds the member list once: a folder is walked with openat
 * and O_NOFOLLOW, an archive is read header by header with libarchive
 * (data skipped, never stored).  Every name is checked and normalised, the
 * list is sorted, and duplicates and file/folder clashes are refused.
 *
 * A member stream is a TC_STREAM_INPUT_SOURCE stream over a `reader`: a
 * folder member reads its fd with pread; an archive member reads through
 * a `cursor`, one libarchive handle on the archive file.  libarchive reads
 * sequentially, so a cursor only goes forward: the tree keeps one idle
 * cursor to reuse for a later member and opens a new one (reading the
 * archive again from the start) otherwise.  Cursors read the file with
 * pread at their own offsets, so any number can share the one fd. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/tree.h>

#include "internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dlfcn.h>
#include <pthread.h>

/* ------------------------------------------------------------ libarchive */

/*
 * libarchive is loaded when the first archive is opened, not when the
 * library is: it pulls in a dozen libraries (the compressors, nettle, acl,
 * libxml2 and ICU for formats we never enable), which cost every run of
 * threadconv about 1.5 ms at start-up although most never read an archive.
 * So its functions are called through pointers that ar_load fills in, once;
 * the names below stand for them.  A folder needs none of it.
 */
#ifndef TC_LIBARCHIVE_SONAME
#define TC_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

#define TC_AR_FUNCTIONS(X) \
    X(archive_entry_filetype) \
    X(archive_entry_hardlink) \
    X(archive_entry_is_data_encrypted) \
    X(archive_entry_pathname) \
    X(archive_entry_size) \
    X(archive_entry_size_is_set) \
    X(archive_entry_symlink) \
    X(archive_errno) \
    X(archive_error_string) \
    X(archive_filter_code) \
    X(archive_filter_count) \
    X(archive_filter_name) \
    X(archive_format) \
    X(archive_read_data) \
    X(archive_read_data_skip) \
    X(archive_read_free) \
    X(archive_read_new) \
    X(archive_read_next_header) \
    X(archive_read_open1) \
    X(archive_read_set_callback_data) \
    X(archive_read_set_read_callback) \
    X(archive_read_set_seek_callback) \
    X(archive_read_set_skip_callback) \
    X(archive_read_support_filter_bzip2) \
    X(archive_read_support_filter_compress) \
    X(archive_read_support_filter_gzip) \
    X(archive_read_support_filter_lz4) \
    X(archive_read_support_filter_lzip) \
    X(archive_read_support_filter_lzma) \
    X(archive_read_support_filter_xz) \
    X(archive_read_support_filter_zstd) \
    X(archive_read_support_format_tar) \
    X(archive_read_support_format_zip) \
    X(archive_set_error)

#define TC_AR_POINTER(f) static __typeof__(&f) ar_##f;
TC_AR_FUNCTIONS(TC_AR_POINTER)
#undef TC_AR_POINTER

static pthread_once_t ar_once = PTHREAD_ONCE_INIT;
static char ar_failure[512]; /* why loading failed, "" when it did not */

static void ar_load_once(void)
{
    void *h = dlopen(TC_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *why = dlerror();
        snprintf(ar_failure, sizeof ar_failure, "%s", why ? why : "cannot load it");
        return;
    }
#define TC_AR_RESOLVE(f)                                                       \
    if (ar_failure[0] == '\0' && (*(void **)&ar_##f = dlsym(h, #f)) == NULL)  \
        snprintf(ar_failure, sizeof ar_failure, "it has no %s", #f);
    TC_AR_FUNCTIONS(TC_AR_RESOLVE)
#undef TC_AR_RESOLVE
}

/* Load libarchive once; TC_OK, or TC_ERR_DATA with err saying why. */
static int ar_load(const char *path, tc_error *err)
{
    pthread_once(&ar_once, ar_load_once);
    if (ar_failure[0] == '\0')
        return TC_OK;
    return tc__error_set(err, TC_ERR_DATA, path, 0, 0,
                         "cannot read archives: libarchive (%s) could not be loaded: %s "
                         "(apt-get install libarchive13)", TC_LIBARCHIVE_SONAME, ar_failure);
}

#define archive_entry_filetype (*ar_archive_entry_filetype)
#define archive_entry_hardlink (*ar_archive_entry_hardlink)
#define archive_entry_is_data_encrypted (*ar_archive_entry_is_data_encrypted)
#define archive_entry_pathname (*ar_archive_entry_pathname)
#define archive_entry_size (*ar_archive_entry_size)
#define archive_entry_size_is_set (*ar_archive_entry_size_is_set)
#define archive_entry_symlink (*ar_archive_entry_symlink)
#define archive_errno (*ar_archive_errno)
#define archive_error_string (*ar_archive_error_string)
#define archive_filter_code (*ar_archive_filter_code)
#define archive_filter_count (*ar_archive_filter_count)
#define archive_filter_name (*ar_archive_filter_name)
#define archive_format (*ar_archive_format)
#define archive_read_data (*ar_archive_read_data)
#define archive_read_data_skip (*ar_archive_read_data_skip)
#define archive_read_free (*ar_archive_read_free)
#define archive_read_new (*ar_archive_read_new)
#define archive_read_next_header (*ar_archive_read_next_header)
#define archive_read_open1 (*ar_archive_read_open1)
#define archive_read_set_callback_data (*ar_archive_read_set_callback_data)
#define archive_read_set_read_callback (*ar_archive_read_set_read_callback)
#define archive_read_set_seek_callback (*ar_archive_read_set_seek_callback)
#define archive_read_set_skip_callback (*ar_archive_read_set_skip_callback)
#define archive_read_support_filter_bzip2 (*ar_archive_read_support_filter_bzip2)
#define archive_read_support_filter_compress (*ar_archive_read_support_filter_compress)
#define archive_read_support_filter_gzip (*ar_archive_read_support_filter_gzip)
#define archive_read_support_filter_lz4 (*ar_archive_read_support_filter_lz4)
#define archive_read_support_filter_lzip (*ar_archive_read_support_filter_lzip)
#define archive_read_support_filter_lzma (*ar_archive_read_support_filter_lzma)
#define archive_read_support_filter_xz (*ar_archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (*ar_archive_read_support_filter_zstd)
#define archive_read_support_format_tar (*ar_archive_read_support_format_tar)
#define archive_read_support_format_zip (*ar_archive_read_support_format_zip)
#define archive_set_error (*ar_archive_set_error)


#define RAW_CHUNK 65536  /* bytes of the archive file a cursor reads at a time */
#define SCRATCH 16384    /* bytes read and dropped at a time (sizes, seeks) */

typedef struct tree_member {
    const char *name;    /* in tree->names; set once the list is complete */
    size_t name_off;
    uint64_t size;
    uint64_t order;      /* archives: index of its header in the archive */
    bool is_dir;         /* an archive's folder entry, dropped once checked */
    bool encrypted;
} tree_member;

typedef struct cursor {
    struct tc_tree *tree;
    struct archive *a;
    uint64_t off;        /* offset in the file of the next raw read */
    uint64_t next;       /* index of the header archive_read_next_header gives next */
    unsigned char raw[RAW_CHUNK];
} cursor;

struct tc_tree {
    char *prefix;        /* "archive.zip:" or "folder/": member names follow */
    size_t shown_len;    /* prefix without its separator: the path for messages */
    bool archive;
    int fd;              /* the archive file, or the folder */
    uint64_t file_size;
    unsigned filters;    /* which of `filters` below are built into libarchive */
    locale_t utf8;       /* libarchive converts names to the current locale */
    tree_member *m;
    size_t n, cap;
    size_t *stored;      /* archives: member indices in the archive's order */
    tc_buf names;
    cursor *idle;        /* a cursor no stream is using */
    size_t users;        /* the caller's handle, plus one per open stream */
};

/* One member stream's state. */
typedef struct reader {
    tc_tree *tree;
    size_t index;
    uint64_t size;       /* as listed */
    uint64_t pos;        /* bytes delivered */
    int fd;              /* folder member, else -1 */
    cursor *c;           /* archive member, else NULL */
    int failed;          /* once a read failed, every read fails */
} reader;

/* Compression filters, each only when libarchive has it built in: without
 * the library some fall back to running an external program, which a
 * library reading untrusted input must not do. */
static int (**const filters[])(struct archive *) = {
    &ar_archive_read_support_filter_gzip,  &ar_archive_read_support_filter_bzip2,
    &ar_archive_read_support_filter_xz,    &ar_archive_read_support_filter_lzma,
    &ar_archive_read_support_filter_lzip,  &ar_archive_read_support_filter_zstd,
    &ar_archive_read_support_filter_lz4,   &ar_archive_read_support_filter_compress,
};
#define N_FILTERS (sizeof filters / sizeof *filters)

static unsigned builtin_filters(void)
{
    struct archive *a = archive_read_new();
    unsigned mask = 0;
    for (size_t i = 0; a && i < N_FILTERS; i++)
        if ((*filters[i])(a) == ARCHIVE_OK)
            mask |= 1u << i;
    archive_read_free(a);
    return mask;
}

/* ------------------------------------------------------------ messages */

/* C0 and C1 control characters (C1 as UTF-8: C2 80..C2 9F), which could
 * drive a terminal a message is shown on. */
static bool is_control(const unsigned char *p)
{
    return *p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
}

/* name as it may appear in a message: control characters, backslashes and
 * bytes that are not UTF-8 written as \xNN (\\ for a backslash). */
static void put_name(tc_buf *out, const char *name)
{
    bool utf8 = tc_utf8_valid(name, strlen(name), NULL, NULL);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p == '\\')
            tc_buf_append(out, "\\\\", 2);
        else if (*p == 0xc2 && is_control(p)) { /* C1: both bytes */
            tc_buf_printf(out, "\\x%02x\\x%02x", p[0], p[1]);
            p++;
        } else if (is_control(p) || (*p >= 0x80 && !utf8))
            tc_buf_printf(out, "\\x%02x", *p);
        else
            tc_buf_putc(out, (char)*p);
    }
}

/* Set err about the tree (member NULL) or one of its members. */
static int tree_error(tc_error *err, int code, const tc_tree *t, const char *who,
                      const char *fmt, ...) TC_PRINTF(5, 6);
static int tree_error(tc_error *err, int code, const tc_tree *t, const char *who,
                      const char *fmt, ...)
{
    tc_buf source = {0};
    if (who) {
        tc_buf_append(&source, t->prefix, strlen(t->prefix));
        put_name(&source, who);
    } else {
        tc_buf_append(&source, t->prefix, t->shown_len);
    }
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(err, code, source.data ? source.data : "", 0, 0, fmt, ap);
    va_end(ap);
    tc_buf_free(&source);
    return code;
}

/* "zip archive", "gzip-compressed tar archive", ... for messages. */
static const char *describe(struct archive *a, char *out, size_t size)
{
    int base = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
    const char *what = base == ARCHIVE_FORMAT_ZIP ? "zip archive"
                       : base == ARCHIVE_FORMAT_TAR ? "tar archive"
                                                    : "archive";
    if (archive_filter_count(a) > 1 && archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE)
        snprintf(out, size, "%s-compressed %s", archive_filter_name(a, 0), what);
    else
        snprintf(out, size, "%s", what);
    return out;
}

/* A libarchive failure as a data error about the tree or a member. */
static int archive_failure(tc_error *err, const tc_tree *t, struct archive *a,
                           const char *who)
{
    char what[96];
    const char *why = archive_error_string(a);
    return tree_error(err, TC_ERR_DATA, t, who, "cannot read the %s (damaged or truncated?): %s",
                      describe(a, what, sizeof what), why ? why : "unknown error");
}

/* --------------------------------------------------------------- names */

/*
 * Why raw, an entry's name as the archive or folder gives it, cannot name a
 * member -- or NULL, with out holding it normalised: relative, without "."
 * or empty parts ("" for the tree's root).
 */
static const char *normalise(const char *raw, tc_buf *out)
{
    size_t len = strlen(raw);
    if (len > TC_TREE_MAX_NAME)
        return "its name is longer than TC_TREE_MAX_NAME (4096 bytes)";
    if (!tc_utf8_valid(raw, len, NULL, NULL))
        return "its name is not valid UTF-8";
    for (size_t i = 0; i < len; i++) {
        if (is_control((const unsigned char *)raw + i))
            return "its name holds a control character";
        if (raw[i] == '\\')
            return "its name holds a backslash (a folder separator on Windows)";
    }
    if (raw[0] == '/')
        return "its name is absolute (it starts with \"/\")";
    if (((raw[0] | 0x20) >= 'a' && (raw[0] | 0x20) <= 'z') && raw[1] == ':')
        return "its name starts with a drive letter";
    tc_buf_reset(out);
    if (tc_buf_reserve(out, len) != TC_OK)
        return "out of memory";
    out->data[0] = '\0';
    for (const char *p = raw; *p;) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return "its name climbs out of the tree (a \"..\" part)";
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (out->len)
                tc_buf_putc(out, '/');
            tc_buf_append(out, p, n);
        }
        p += n + (q != NULL);
    }
    return NULL;
}

static int refuse(tc_error *err, const tc_tree *t, const char *raw, const char *why)
{
    return tree_error(err, TC_ERR_DATA, t, raw, "member refused: %s", why);
}

static int refuse_link(tc_error *err, const tc_tree *t, const char *raw, const char *kind,
                       const char *target)
{
    tc_buf to = {0};
    put_name(&to, target ? target : "");
    int rc = tree_error(err, TC_ERR_DATA, t, raw,
                        "member refused: it is a %s link (to \"%s\"); links are not followed",
                        kind, to.data ? to.data : "");
    tc_buf_free(&to);
    return rc;
}

/* What a file type is, for refusing it. */
static const char *type_name(mode_t type)
{
    switch (type & S_IFMT) {
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFIFO: return "a FIFO";
    case S_IFSOCK: return "a socket";
    default: return "of an unknown type";
    }
}

/* ------------------------------------------------------------- the list */

static int add_member(tc_tree *t, const tc_buf *name, uint64_t size, uint64_t order,
                      bool is_dir, bool encrypted, tc_error *err)
{
    if (t->n >= TC_TREE_MAX_MEMBERS)
        return tree_error(err, TC_ERR_DATA, t, NULL,
                          "more than %u entries: trees this large are refused",
                          TC_TREE_MAX_MEMBERS);
    if (name->len + 1 > TC_TREE_MAX_NAMES - t->names.len)
        return tree_error(err, TC_ERR_DATA, t, NULL,
                          "the entries' names take more than %zu MiB: trees this large "
                          "are refused", TC_TREE_MAX_NAMES >> 20);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tree_member *m = realloc(t->m, cap * sizeof *m);
        if (m == NULL)
            return tree_error(err, TC_ERR_NOMEM, t, NULL, "out of memory listing the tree");
        t->m = m;
        t->cap = cap;
    }
    tree_member *m = &t->m[t->n];
    *m = (tree_member){.name_off = t->names.len, .size = size, .order = order, .is_dir = is_dir,
                  .encrypted = encrypted};
    if (tc_buf_append(&t->names, name->data, name->len + 1) != TC_OK)
        return tree_error(err, TC_ERR_NOMEM, t, NULL, "out of memory listing the tree");
    t->n++;
    return TC_OK;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const tree_member *)x)->name, ((const tree_member *)y)->name);
}

/* The entry named name[0..len) in the sorted list, or -1. */
static long lookup(const tc_tree *t, const char *name, size_t len)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *k = t->m[mid].name;
        int c = strncmp(k, name, len);
        if (c == 0 && k[len] != '\0')
            c = 1;
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

typedef struct stored_pair {
    uint64_t order;
    size_t index;
} stored_pair;

static int by_order(const void *x, const void *y)
{
    uint64_t a = ((const stored_pair *)x)->order, b = ((const stored_pair *)y)->order;
    return a < b ? -1 : a > b;
}

/* t->stored: the sorted list's indices in the archive's order. */
static int make_stored(tc_tree *t, tc_error *err)
{
    stored_pair *p = malloc((t->n ? t->n : 1) * sizeof *p);
    t->stored = malloc((t->n ? t->n : 1) * sizeof *t->stored);
    if (p == NULL || t->stored == NULL) {
        free(p);
        return tree_error(err, TC_ERR_NOMEM, t, NULL, "out of memory listing the tree");
    }
    for (size_t i = 0; i < t->n; i++)
        p[i] = (stored_pair){t->m[i].order, i};
    if (t->n > 1)
        qsort(p, t->n, sizeof *p, by_order);
    for (size_t k = 0; k < t->n; k++)
        t->stored[k] = p[k].index;
    free(p);
    return TC_OK;
}

/* Sort the list, refuse clashes, drop the folder entries. */
static int finish_list(tc_tree *t, tc_error *err)
{
    for (size_t i = 0; i < t->n; i++)
        t->m[i].name = t->names.data + t->m[i].name_off;
    if (t->n > 1)
        qsort(t->m, t->n, sizeof *t->m, by_name);
    for (size_t i = 1; i < t->n; i++) {
        const tree_member *a = &t->m[i - 1], *b = &t->m[i];
        if (strcmp(a->name, b->name) != 0 || (a->is_dir && b->is_dir))
            continue;
        return refuse(err, t, b->name, a->is_dir || b->is_dir
                                           ? "it is both a file and a folder"
                                           : "the name appears twice");
    }
    for (size_t i = 0; i < t->n; i++) {
        const char *name = t->m[i].name;
        for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
            long k = lookup(t, name, (size_t)(p - name));
            if (k >= 0 && !t->m[k].is_dir) {
                char why[64 + TC_TREE_MAX_NAME];
                snprintf(why, sizeof why, "it is both a file and a folder (holding \"%s\")",
                         name);
                return refuse(err, t, t->m[k].name, why);
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < t->n; i++)
        if (!t->m[i].is_dir)
            t->m[kept++] = t->m[i];
    t->n = kept;
    return t->archive ? make_stored(t, err) : TC_OK;
}

/* ------------------------------------------------------------ archives */

static locale_t utf8_enter(const tc_tree *t)
{
    return t->utf8 != (locale_t)0 ? uselocale(t->utf8) : (locale_t)0;
}

static void utf8_leave(const tc_tree *t, locale_t old)
{
    if (t->utf8 != (locale_t)0)
        uselocale(old);
}

static la_ssize_t raw_read(struct archive *a, void *user, const void **buf)
{
    cursor *c = user;
    uint64_t left = c->tree->file_size > c->off ? c->tree->file_size - c->off : 0;
    size_t want = left < sizeof c->raw ? (size_t)left : sizeof c->raw;
    ssize_t n;
    do
        n = pread(c->tree->fd, c->raw, want, (off_t)c->off);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "read error: %s", strerror(errno));
        return ARCHIVE_FATAL;
    }
    c->off += (uint64_t)n;
    *buf = c->raw;
    return n;
}

static la_int64_t raw_skip(struct archive *a, void *user, la_int64_t request)
{
    (void)a;
    cursor *c = user;
    uint64_t left = c->tree->file_size > c->off ? c->tree->file_size - c->off : 0;
    uint64_t n = request > 0 ? (uint64_t)request : 0;
    if (n > left)
        n = left;
    c->off += n;
    return (la_int64_t)n;
}

static la_int64_t raw_seek(struct archive *a, void *user, la_int64_t offset, int whence)
{
    cursor *c = user;
    int64_t base = whence == SEEK_SET   ? 0
                   : whence == SEEK_CUR ? (int64_t)c->off
                                        : (int64_t)c->tree->file_size;
    if (offset < -base || offset > INT64_MAX - base) {
        archive_set_error(a, EINVAL, "seek out of the file");
        return ARCHIVE_FATAL;
    }
    c->off = (uint64_t)(base + offset);
    return (la_int64_t)c->off;
}

static void cursor_free(cursor *c)
{
    if (c == NULL)
        return;
    archive_read_free(c->a);
    free(c);
}

/* A new cursor at the start of the archive; *r is archive_read_open1's
 * status (NULL and ARCHIVE_FATAL when out of memory). */
static cursor *cursor_new(tc_tree *t, int *r)
{
    *r = ARCHIVE_FATAL;
    cursor *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->tree = t;
    c->a = archive_read_new();
    if (c->a == NULL) {
        free(c);
        return NULL;
    }
    /* zip registers both readers: the seekable one (the central directory)
     * wins when there is one; the streaming one reads a zip cut short. */
    archive_read_support_format_zip(c->a);
    archive_read_support_format_tar(c->a);
    for (size_t i = 0; i < N_FILTERS; i++)
        if (t->filters & (1u << i))
            (*filters[i])(c->a);
    archive_read_set_read_callback(c->a, raw_read);
    archive_read_set_skip_callback(c->a, raw_skip);
    archive_read_set_seek_callback(c->a, raw_seek);
    archive_read_set_callback_data(c->a, c);
    locale_t old = utf8_enter(t);
    *r = archive_read_open1(c->a);
    utf8_leave(t, old);
    return c;
}

/* Read and drop the rest of the current entry, counting its bytes. */
static int count_data(cursor *c, uint64_t *count)
{
    unsigned char scratch[SCRATCH];
    *count = 0;
    for (;;) {
        la_ssize_t n = archive_read_data(c->a, scratch, sizeof scratch);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return ARCHIVE_OK;
        *count += (uint64_t)n;
    }
}

/* One header of the listing: check it, add it. */
static int list_entry(tc_tree *t, cursor *c, struct archive_entry *e, uint64_t order,
                      tc_buf *name, tc_error *err)
{
    const char *raw = archive_entry_pathname(e);
    if (raw == NULL) {
        const char *why = archive_error_string(c->a);
        return tree_error(err, TC_ERR_DATA, t, NULL,
                          "entry %llu refused: its name is not valid UTF-8 (%s)",
                          (unsigned long long)order + 1, why ? why : "unreadable");
    }
    const char *why = normalise(raw, name);
    if (why)
        return refuse(err, t, raw, why);
    mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e))
        return refuse_link(err, t, raw, "hard", archive_entry_hardlink(e));
    if (type == AE_IFLNK || archive_entry_symlink(e))
        return refuse_link(err, t, raw, "symbolic", archive_entry_symlink(e));
    if (type == AE_IFDIR)
        return name->len ? add_member(t, name, 0, order, true, false, err) : TC_OK;
    if (type != AE_IFREG) {
        char text[64];
        snprintf(text, sizeof text, "it is %s, not a regular file", type_name(type));
        return refuse(err, t, raw, text);
    }
    if (name->len == 0)
        return refuse(err, t, raw, "its name is empty");
    bool encrypted = archive_entry_is_data_encrypted(e) != 0;
    uint64_t size = 0;
    int r;
    if (archive_entry_size_is_set(e) || encrypted) {
        la_int64_t declared = archive_entry_size(e);
        if (declared < 0)
            return refuse(err, t, raw, "its header declares a negative size");
        size = (uint64_t)declared;
        r = archive_read_data_skip(c->a);
    } else {
        /* A zip read without its central directory may give sizes only
         * after the data: count the bytes (kept nowhere). */
        r = count_data(c, &size);
    }
    if (r < ARCHIVE_WARN)
        return archive_failure(err, t, c->a, raw);
    return add_member(t, name, size, order, false, encrypted, err);
}

static int list_archive(tc_tree *t, tc_error *err)
{
    int r;
    cursor *c = cursor_new(t, &r);
    if (c == NULL)
        return tree_error(err, TC_ERR_NOMEM, t, NULL, "out of memory");
    int rc = TC_OK;
    if (r < ARCHIVE_WARN) {
        int e = archive_errno(c->a);
        /* EILSEQ is libarchive's ARCHIVE_ERRNO_FILE_FORMAT: nothing bid. */
        if (e == EILSEQ && archive_filter_count(c->a) <= 1)
            rc = tree_error(err, TC_EOF, t, NULL,
                            "not a tree: neither a folder nor a zip or tar archive");
        else if (e == EILSEQ)
            rc = tree_error(err, TC_ERR_DATA, t, NULL,
                            "%s-compressed data, but not a tar archive: threadconv reads "
                            "compressed files only as compressed tar archives",
                            archive_filter_name(c->a, 0));
        else
            rc = archive_failure(err, t, c->a, NULL);
        cursor_free(c);
        return rc;
    }
    tc_buf name = {0};
    locale_t old = utf8_enter(t);
    for (uint64_t order = 0; rc == TC_OK; order++) {
        struct archive_entry *e;
        r = archive_read_next_header(c->a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            rc = archive_failure(err, t, c->a, NULL);
        else
            rc = list_entry(t, c, e, order, &name, err);
    }
    utf8_leave(t, old);
    tc_buf_free(&name);
    cursor_free(c);
    return rc;
}

/*
 * A cursor whose current entry is member i, its data not yet read: the idle
 * one when it has not gone past i, else a new one.
 */
static int cursor_at(tc_tree *t, size_t i, cursor **out, tc_error *err)
{
    const tree_member *m = &t->m[i];
    cursor *c;
    if (t->idle && t->idle->next <= m->order) {
        c = t->idle;
        t->idle = NULL;
    } else {
        int r;
        c = cursor_new(t, &r);
        if (c == NULL)
            return tree_error(err, TC_ERR_NOMEM, t, m->name, "out of memory");
        if (r < ARCHIVE_WARN) {
            int rc = archive_failure(err, t, c->a, m->name);
            cursor_free(c);
            return rc;
        }
    }
    int rc = TC_OK;
    tc_buf name = {0};
    locale_t old = utf8_enter(t);
    while (rc == TC_OK && c->next <= m->order) {
        struct archive_entry *e;
        int r = archive_read_next_header(c->a, &e);
        if (r < ARCHIVE_WARN) {
            rc = archive_failure(err, t, c->a, m->name);
        } else if (r == ARCHIVE_EOF) {
            rc = tree_error(err, TC_ERR_DATA, t, m->name,
                            "the archive changed since it was listed (it ends early)");
        } else if (c->next++ == m->order) {
            const char *raw = archive_entry_pathname(e);
            if (raw == NULL || normalise(raw, &name) != NULL || strcmp(name.data, m->name) != 0)
                rc = tree_error(err, TC_ERR_DATA, t, m->name,
                                "the archive changed since it was listed (entry %llu is "
                                "another member now)", (unsigned long long)m->order + 1);
        }
    }
    utf8_leave(t, old);
    tc_buf_free(&name);
    if (rc != TC_OK) {
        cursor_free(c);
        return rc;
    }
    *out = c;
    return TC_OK;
}

/* A stream is done with c: keep the cursor that has gone further as the
 * idle one (the next member wanted is most often a later one). */
static void cursor_release(tc_tree *t, cursor *c)
{
    if (t->idle && t->idle->next >= c->next) {
        cursor_free(c);
        return;
    }
    cursor_free(t->idle);
    t->idle = c;
}

/* ------------------------------------------------------------- folders */

static int list_folder(tc_tree *t, int dfd, tc_buf *path, unsigned depth, tc_error *err)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        int e = errno;
        close(dfd);
        return tree_error(err, TC_ERR_DATA, t, path->len ? path->data : NULL,
                          "cannot read the folder: %s", strerror(e));
    }
    tc_buf name = {0};
    int rc = TC_OK;
    while (rc == TC_OK) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno)
                rc = tree_error(err, TC_ERR_DATA, t, path->len ? path->data : NULL,
                                "cannot read the folder: %s", strerror(errno));
            break;
        }
        const char *leaf = de->d_name;
        if (strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
            continue;
        size_t mark = path->len;
        if ((mark && tc_buf_putc(path, '/') != TC_OK) ||
            tc_buf_append(path, leaf, strlen(leaf)) != TC_OK) {
            rc = tree_error(err, TC_ERR_NOMEM, t, NULL, "out of memory");
            break;
        }
        struct stat st;
        const char *why = normalise(path->data, &name);
        if (why) {
            rc = refuse(err, t, path->data, why);
        } else if (fstatat(dirfd(d), leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = tree_error(err, TC_ERR_DATA, t, path->data, "cannot stat: %s", strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            char target[TC_TREE_MAX_NAME + 1];
            ssize_t n = readlinkat(dirfd(d), leaf, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            rc = refuse_link(err, t, path->data, "symbolic", target);
        } else if (S_ISDIR(st.st_mode)) {
            struct stat sub_st;
            int sub = -1;
            if (depth + 1 > TC_TREE_MAX_DEPTH) {
                rc = tree_error(err, TC_ERR_DATA, t, path->data,
                                "folders nested more than %u deep: trees this deep are refused",
                                TC_TREE_MAX_DEPTH);
            } else if ((sub = openat(dirfd(d), leaf,
                                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
                rc = tree_error(err, TC_ERR_DATA, t, path->data, "cannot open the folder: %s",
                                strerror(errno));
            } else if (fstat(sub, &sub_st) != 0 || sub_st.st_dev != st.st_dev ||
                       sub_st.st_ino != st.st_ino) {
                close(sub);
                rc = tree_error(err, TC_ERR_DATA, t, path->data,
                                "the folder changed while it was being listed");
            } else {
                rc = list_folder(t, sub, path, depth + 1, err); /* closes sub */
            }
        } else if (S_ISREG(st.st_mode)) {
            rc = add_member(t, &name, (uint64_t)st.st_size, 0, false, false, err);
        } else {
            char text[64];
            snprintf(text, sizeof text, "it is %s, not a regular file", type_name(st.st_mode));
            rc = refuse(err, t, path->data, text);
        }
        path->len = mark;
        path->data[mark] = '\0';
    }
    tc_buf_free(&name);
    closedir(d);
    return rc;
}

/* Open a folder member by walking its name from the folder, following no
 * link on the way. */
static int folder_open(tc_tree *t, const tree_member *m, int *out, tc_error *err)
{
    char part[TC_TREE_MAX_NAME + 1];
    int dfd = t->fd;
    const char *p = m->name;
    for (;;) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        memcpy(part, p, n);
        part[n] = '\0';
        int flags = q ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
                      : O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        int fd = openat(dfd, part, flags);
        int e = errno;
        if (dfd != t->fd)
            close(dfd);
        if (fd < 0)
            return tree_error(err, TC_ERR_DATA, t, m->name,
                              e == ELOOP || e == ENOTDIR
                                  ? "cannot open: a link took the place of a file or folder "
                                    "since the folder was listed (%s)"
                                  : "cannot open: %s",
                              strerror(e));
        if (q == NULL) {
            struct stat st;
            if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return tree_error(err, TC_ERR_DATA, t, m->name,
                                  "it is no longer a regular file");
            }
            if ((uint64_t)st.st_size != m->size) {
                close(fd);
                return tree_error(err, TC_ERR_DATA, t, m->name,
                                  "it changed since the folder was listed (%llu bytes then, "
                                  "%llu now)", (unsigned long long)m->size,
                                  (unsigned long long)st.st_size);
            }
            *out = fd;
            return TC_OK;
        }
        dfd = fd;
        p = q + 1;
    }
}

/* ------------------------------------------------------- member streams */

static void tree_free(tc_tree *t)
{
    cursor_free(t->idle);
    if (t->fd >= 0)
        close(t->fd);
    if (t->utf8 != (locale_t)0)
        freelocale(t->utf8);
    free(t->m);
    free(t->stored);
    tc_buf_free(&t->names);
    free(t->prefix);
    free(t);
}

static void tree_unref(tc_tree *t)
{
    if (--t->users == 0)
        tree_free(t);
}

static long fail(reader *r, tc_stream *s, const char *fmt, ...) TC_PRINTF(3, 4);
static long fail(reader *r, tc_stream *s, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    r->failed = tc_stream_error(s, TC_ERR_DATA, 0, 0, "%s", text);
    return r->failed;
}

/* Up to len bytes of the member at r->pos, unchecked: count, 0 or < 0. */
static long read_raw(reader *r, tc_stream *s, void *buf, size_t len)
{
    if (r->c == NULL) {
        ssize_t n;
        do
            n = pread(r->fd, buf, len, (off_t)r->pos);
        while (n < 0 && errno == EINTR);
        return n < 0 ? fail(r, s, "read error: %s", strerror(errno)) : (long)n;
    }
    la_ssize_t n = archive_read_data(r->c->a, buf, len);
    if (n < 0) {
        const char *why = archive_error_string(r->c->a);
        return fail(r, s, "cannot read the member (damaged archive?): %s",
                    why ? why : "unknown error");
    }
    return (long)n;
}

static long member_read(void *user, tc_stream *s, void *buf, size_t len)
{
    reader *r = user;
    if (r->failed)
        return r->failed;
    const char *said = r->c ? "its header declares" : "the folder listed";
    uint64_t left = r->size - r->pos;
    if (left == 0) {
        /* The end as listed: the member must end here too (a zip bomb's
         * header understates its size; libarchive checks CRCs here). */
        unsigned char probe;
        long n = read_raw(r, s, &probe, 1);
        if (n > 0)
            return fail(r, s, "the member holds more than the %llu bytes %s",
                        (unsigned long long)r->size, said);
        return n;
    }
    long n = read_raw(r, s, buf, len < left ? len : (size_t)left);
    if (n == 0)
        return fail(r, s, "the member ends after %llu bytes, but %s %llu (truncated?)",
                    (unsigned long long)r->pos, said, (unsigned long long)r->size);
    if (n > 0)
        r->pos += (uint64_t)n;
    return n;
}

static int member_seek(void *user, tc_stream *s, uint64_t offset)
{
    reader *r = user;
    if (r->failed)
        return r->failed;
    if (offset > r->size)
        return tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "seek past the end of the member");
    if (r->c == NULL || offset == r->pos) {
        r->pos = offset;
        return TC_OK;
    }
    if (offset < r->pos) {
        /* libarchive reads forward only: read the member again. */
        tc_error err;
        cursor *c;
        int rc = cursor_at(r->tree, r->index, &c, &err);
        if (rc != TC_OK) {
            r->failed = tc_stream_error(s, rc, 0, 0, "%s", err.text);
            return rc;
        }
        cursor_free(r->c);
        r->c = c;
        r->pos = 0;
    }
    unsigned char scratch[SCRATCH];
    while (r->pos < offset) {
        uint64_t want = offset - r->pos;
        long n = member_read(r, s, scratch, want < sizeof scratch ? (size_t)want : sizeof scratch);
        if (n < 0)
            return (int)n;
    }
    return TC_OK;
}

static void member_close(void *user)
{
    reader *r = user;
    if (r->c && r->failed)
        cursor_free(r->c); /* its handle may be in a failed state */
    else if (r->c)
        cursor_release(r->tree, r->c);
    if (r->fd >= 0)
        close(r->fd);
    tree_unref(r->tree);
    free(r);
}

tc_stream *tc_tree_open_member(tc_tree *t, size_t i, tc_error *err)
{
    if (i >= t->n) {
        tree_error(err, TC_ERR_USAGE, t, NULL, "no member %zu: the tree has %zu", i, t->n);
        return NULL;
    }
    const tree_member *m = &t->m[i];
    reader *r = calloc(1, sizeof *r);
    tc_buf name = {0};
    if (r == NULL || tc_buf_printf(&name, "%s%s", t->prefix, m->name) != TC_OK) {
        free(r);
        tc_buf_free(&name);
        tree_error(err, TC_ERR_NOMEM, t, m->name, "out of memory");
        return NULL;
    }
    *r = (reader){.tree = t, .index = i, .size = m->size, .fd = -1};
    int rc;
    if (!t->archive)
        rc = folder_open(t, m, &r->fd, err);
    else if (m->encrypted)
        rc = tree_error(err, TC_ERR_DATA, t, m->name,
                        "the member is encrypted: threadconv does not decrypt archives "
                        "(extract it with its password first)");
    else
        rc = cursor_at(t, i, &r->c, err);
    tc_stream *s = NULL;
    if (rc == TC_OK) {
        tc__source src = {member_read, member_seek, member_close, r};
        s = tc__stream_open_source(&src, name.data);
        if (s == NULL) {
            tree_error(err, TC_ERR_NOMEM, t, m->name, "out of memory");
            cursor_free(r->c);
            if (r->fd >= 0)
                close(r->fd);
        }
    }
    tc_buf_free(&name);
    if (s == NULL) {
        free(r);
        return NULL;
    }
    t->users++;
    return s;
}

/* ---------------------------------------------------------------- API */

int tc_tree_open(const char *path, tc_tree **tree, tc_error *err)
{
    *tree = NULL;
    if (strcmp(path, "-") == 0)
        return tc__error_set(err, TC_EOF, tc__display_name(path), 0, 0,
                             "not a tree: standard input is read as a plain file");
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return tc__error_set(err, TC_ERR_DATA, path, 0, 0, "cannot open for reading: %s",
                             strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return tc__error_set(err, TC_ERR_DATA, path, 0, 0, "cannot stat: %s", strerror(e));
    }
    if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && st.st_size > 0)) {
        close(fd);
        return tc__error_set(err, TC_EOF, path, 0, 0, "not a tree: %s",
                             S_ISREG(st.st_mode) ? "an empty file"
                                                 : "neither a folder nor a regular file");
    }
    tc_tree *t = calloc(1, sizeof *t);
    tc_buf prefix = {0};
    size_t len = strlen(path);
    bool folder = S_ISDIR(st.st_mode);
    bool slash = folder && len > 0 && path[len - 1] == '/';
    if (t == NULL ||
        tc_buf_printf(&prefix, "%s%s", path, slash ? "" : folder ? "/" : ":") != TC_OK) {
        close(fd);
        free(t);
        tc_buf_free(&prefix);
        return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    t->prefix = prefix.data;
    t->shown_len = slash && len > 1 ? len - 1 : len;
    t->fd = fd;
    t->users = 1;
    t->archive = !folder;
    t->file_size = (uint64_t)st.st_size;
    int rc;
    if (folder) {
        tc_buf rel = {0};
        int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        rc = dfd < 0 ? tree_error(err, TC_ERR_DATA, t, NULL, "cannot read the folder: %s",
                                  strerror(errno))
                     : list_folder(t, dfd, &rel, 0, err);
        tc_buf_free(&rel);
    } else if ((rc = ar_load(path, err)) == TC_OK) {
        /* libarchive gives names in the current locale's encoding; read
         * them as UTF-8 whatever the program's locale (this thread only). */
        t->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        t->filters = builtin_filters();
        rc = list_archive(t, err);
    }
    if (rc == TC_OK)
        rc = finish_list(t, err);
    if (rc != TC_OK) {
        tree_free(t);
        return rc;
    }
    *tree = t;
    return TC_OK;
}

size_t tc_tree_count(const tc_tree *t)
{
    return t->n;
}

const char *tc_tree_name(const tc_tree *t, size_t i)
{
    return i < t->n ? t->m[i].name : NULL;
}

uint64_t tc_tree_size(const tc_tree *t, size_t i)
{
    return i < t->n ? t->m[i].size : 0;
}

size_t tc_tree_stored(const tc_tree *t, size_t k)
{
    if (k >= t->n)
        return SIZE_MAX;
    return t->stored ? t->stored[k] : k;
}

bool tc_tree_find(const tc_tree *t, const char *name, size_t *index)
{
    long k = lookup(t, name, strlen(name));
    if (k < 0)
        return false;
    if (index)
        *index = (size_t)k;
    return true;
}

void tc_tree_close(tc_tree *t)
{
    if (t)
        tree_unref(t);
}
