/*
 * testplugin.c - modules the loader tests load through dlopen.  One source,
 * built several times with a VARIANT_* macro: a good plugin, and plugins
 * with one thing wrong each, which the loader must refuse with a message
 * naming the file, what it expected and what it found.
 *
 * The good plugin ("testfmt") reads any input as one thread with one post per
 * line and writes "author: body" lines, so the CLI can be driven end to end
 * without depending on the real formats.
 */
#include <threadconv/plugin.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(VARIANT_DIR_WRITER) || defined(VARIANT_ABI1) || defined(VARIANT_TREE)
/* This variant has only its own writer; the shared callbacks go unused. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif

#if defined(VARIANT_NO_DESCRIPTOR)
/* Exports a function but no descriptor. */
int not_a_descriptor(void);
int not_a_descriptor(void) { return 0; }
#else

typedef struct state {
    tc_thread thread;
    tc_post post;
    char id[32];
    unsigned long n;
    int thread_done;
} state;

static state the_state; /* test plugins convert one stream at a time */

static int t_open(tc_stream *in, void **st)
{
    (void)in;
    memset(&the_state, 0, sizeof the_state);
    *st = &the_state;
    return TC_OK;
}

static int t_next_thread(tc_stream *in, void *st, const tc_thread **t)
{
    (void)in;
    state *s = st;
    if (s->thread_done++)
        return TC_EOF;
    s->thread.title = "test thread";
    s->thread.source = "testfmt";
    *t = &s->thread;
    return TC_OK;
}

/* unused by the missing-callback variant, which leaves it out on purpose */
__attribute__((unused)) static int t_next_post(tc_stream *in, void *st, const tc_post **p)
{
    state *s = st;
    const char *line;
    size_t len;
    int rc = tc_stream_read_line(in, &line, &len);
    if (rc != TC_OK)
        return rc;
    if (len == 4 && memcmp(line, "FAIL", 4) == 0)
        return tc_stream_error(in, TC_ERR_DATA, tc_stream_line(in), 1, "expected anything but FAIL");
    if (len == 5 && memcmp(line, "BOGUS", 5) == 0)
        return 42; /* a status the ABI does not define */
    if (len == 6 && memcmp(line, "SKIPME", 6) == 0) {
        /* a bad post this reader can step over (one post per line) */
        tc_stream_error(in, TC_ERR_DATA, tc_stream_line(in), 1, "expected a post, found SKIPME");
        return TC_SKIPPED;
    }
    snprintf(s->id, sizeof s->id, "%lu", ++s->n);
    s->post.id = s->id;
    s->post.author = "tester";
    s->post.body = line; /* borrowed until the next read, as the ABI allows */
    s->post.body_len = len;
    *p = &s->post;
    return TC_OK;
}

static void t_close(tc_stream *in, void *st)
{
    (void)in;
    (void)st;
}

static int t_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    return len >= 8 && memcmp(head, "TESTFMT\n", 8) == 0 ? TC_PROBE_SURE : TC_PROBE_NO;
}

static int w_open(tc_stream *out, void **st)
{
    (void)out;
    *st = NULL;
    return TC_OK;
}

static int w_begin(tc_stream *out, void *st, const tc_thread *t)
{
    (void)st;
    return tc_stream_puts(out, "# ") || tc_stream_puts(out, t->title) ||
           tc_stream_puts(out, "\n") ? TC_ERR_OUTPUT : TC_OK;
}

static int w_post(tc_stream *out, void *st, const tc_post *p)
{
    (void)st;
    /* A deliberate crash, for the test of a batch worker that dies. */
    if (p->body_len == 5 && memcmp(p->body, "CRASH", 5) == 0)
        abort();
    if (tc_stream_puts(out, p->author) || tc_stream_puts(out, ": ") ||
        tc_stream_write(out, p->body, p->body_len) || tc_stream_puts(out, "\n"))
        return TC_ERR_OUTPUT;
    return TC_OK;
}

__attribute__((unused)) static int w_begin_nothing(tc_stream *out, void *st,
                                                   const tc_thread *t)
{
    (void)out;
    (void)st;
    (void)t;
    return TC_OK;
}

static int w_end(tc_stream *out, void *st)
{
    (void)out;
    (void)st;
    return TC_OK;
}

static void w_close(tc_stream *out, void *st)
{
    (void)out;
    (void)st;
}

static const char *const styles[] = {"plain", "fancy", NULL};
static const tc_option_decl options[] = {
    {"style", TC_OPT_ENUM, "plain", "how to decorate", styles},
    {"count", TC_OPT_INT, "0", "a number", NULL},
    {NULL, 0, NULL, NULL, NULL},
};

#define FORMAT_FIELDS                                                          \
    .description = "loader test format",                                       \
    .read_probe = t_probe, .read_open = t_open, .read_next_thread = t_next_thread, \
    .read_close = t_close, .write_open = w_open, .write_begin_thread = w_begin, \
    .write_post = w_post, .write_end_thread = w_end, .write_finish = w_end,    \
    .write_close = w_close, .options = options
#define MODULE_FIELDS .description = "loader test module", .version = "0.0.1", .license = "MIT"

/* A hand-made descriptor (for the variants that are wrong in its head). */
#define RAW_MODULE(NAME, ...)                                                  \
    extern TC_MODULE_EXPORT const tc_module threadconv_module_##NAME;          \
    TC_MODULE_EXPORT const tc_module threadconv_module_##NAME = {              \
        .name = #NAME, MODULE_FIELDS, __VA_ARGS__}

#if defined(VARIANT_GOOD)
/* Two formats in one module: testfmt reads and writes, testfmt2 writes. */
TC_MODULE_DEFINE(good, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "testfmt", .read_next_post = t_next_post,
                                    FORMAT_FIELDS},
                                   {.name = "testfmt2", .description = "second format",
                                    .write_open = w_open, .write_begin_thread = w_begin,
                                    .write_post = w_post, .write_end_thread = w_end,
                                    .write_finish = w_end, .write_close = w_close}));
#elif defined(VARIANT_DUP_NAME)
/* Same format name as the good module: the second one loaded is refused. */
TC_MODULE_DEFINE(dup_name, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "testfmt", .read_next_post = t_next_post,
                                    FORMAT_FIELDS}));
#elif defined(VARIANT_MISSING_CALLBACK)
TC_MODULE_DEFINE(missing_callback, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "missingcb", FORMAT_FIELDS})); /* no read_next_post */
#elif defined(VARIANT_BAD_MAJOR)
RAW_MODULE(bad_major, .magic = TC_MODULE_MAGIC, .abi_major = TC_ABI_MAJOR + 1, .abi_minor = 0,
           .struct_size = sizeof(tc_module), .format_size = sizeof(tc_format),
           TC_MODULE_FORMATS({.name = "badmajor", .read_next_post = t_next_post, FORMAT_FIELDS}));
#elif defined(VARIANT_BAD_MAGIC)
RAW_MODULE(bad_magic, .magic = 0xdeadbeefu, .abi_major = TC_ABI_MAJOR, .abi_minor = TC_ABI_MINOR,
           .struct_size = sizeof(tc_module), .format_size = sizeof(tc_format),
           TC_MODULE_FORMATS({.name = "badmagic", .read_next_post = t_next_post, FORMAT_FIELDS}));
#elif defined(VARIANT_BAD_SIZE)
RAW_MODULE(bad_size, .magic = TC_MODULE_MAGIC, .abi_major = TC_ABI_MAJOR,
           .abi_minor = TC_ABI_MINOR, .struct_size = 16, .format_size = sizeof(tc_format),
           TC_MODULE_FORMATS({.name = "badsize", .read_next_post = t_next_post, FORMAT_FIELDS}));
#elif defined(VARIANT_ABI1)
/* What an ABI 1.2 plugin exported: `threadconv_plugin`, one format, magic
 * "TCPL".  The loader must recognise it and say to rebuild. */
struct abi1_head {
    uint32_t magic;
    uint16_t abi_major, abi_minor;
    uint32_t struct_size;
    const char *name;
};
extern TC_MODULE_EXPORT const struct abi1_head threadconv_plugin;
TC_MODULE_EXPORT const struct abi1_head threadconv_plugin = {0x4c504354u, 1, 2, 200, "old"};
#elif defined(VARIANT_BAD_FLAGS)
/* A flag this ABI does not define: the module expects something the core
 * cannot do, so it is refused. */
TC_MODULE_DEFINE(bad_flags, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "badflags", .read_next_post = t_next_post,
                                    .flags = 0x100, FORMAT_FIELDS}));
#elif defined(VARIANT_DIR_WRITER)
/* A writer whose output is a directory: one file per post, N.txt. */
typedef struct dir_state {
    char dir[4096];
    unsigned long n;
} dir_state;

static int d_open(tc_stream *out, void **st)
{
    static dir_state d; /* one conversion at a time in the tests */
    memset(&d, 0, sizeof d);
    snprintf(d.dir, sizeof d.dir, "%s", tc_stream_name(out));
    if (mkdir(d.dir, 0777) != 0 && errno != EEXIST)
        return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot create %s", d.dir);
    *st = &d;
    return TC_OK;
}

static int d_post(tc_stream *out, void *st, const tc_post *p)
{
    dir_state *d = st;
    if (p->body_len == 5 && memcmp(p->body, "STRAY", 5) == 0)
        return tc_stream_puts(out, "bytes a directory writer must not write") ? TC_ERR_OUTPUT
                                                                               : TC_OK;
    char path[4200];
    snprintf(path, sizeof path, "%s/%lu.txt", d->dir, ++d->n);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot create %s", path);
    fwrite(p->body, 1, p->body_len, f);
    return fclose(f) == 0 ? TC_OK : tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot write %s", path);
}

TC_MODULE_DEFINE(dir_writer, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "testdir", .description = "test directory writer",
                                    .flags = TC_FORMAT_WRITES_DIRECTORY, .write_open = d_open,
                                    .write_begin_thread = w_begin_nothing, .write_post = d_post,
                                    .write_end_thread = w_end, .write_finish = w_end,
                                    .write_close = w_close}));
#elif defined(VARIANT_TREE)
/* A tree reader (TC_FORMAT_READS_TREE): a folder, a .zip or a .tar.gz is
 * one thread, "tree"; each member is a post (id: its name, in the tree's
 * sorted order).  A member named *.txt is a post's body; any other member
 * is a post with an empty body and the member as its one attachment --
 * its bytes, or with -O testtree.attachments=ref a reference to it.
 * Claims a tree holding a member "chat.txt". */
#include <threadconv/tree.h>

typedef struct tree_state {
    tc_tree *tree;
    size_t next;
    bool thread_done, refs;
    char *body;
    tc_buf name;
    tc_attachment attachment;
    tc_post post;
    tc_thread thread;
} tree_state;

static int tr_probe(const tc_tree *tree, const char *name)
{
    (void)name;
    return tc_tree_find(tree, "chat.txt", NULL) ? TC_PROBE_SURE : TC_PROBE_NO;
}

static int tr_open(tc_stream *in, void **st)
{
    tree_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    s->tree = tc_stream_tree(in);
    if (s->tree == NULL) {
        free(s);
        return tc_stream_error(in, TC_ERR_DATA, 0, 0,
                               "expected a folder, a .zip or a .tar, found a plain file");
    }
    const char *mode = tc_stream_option(in, "attachments");
    s->refs = mode && strcmp(mode, "ref") == 0;
    *st = s;
    return TC_OK;
}

static int tr_next_thread(tc_stream *in, void *st, const tc_thread **t)
{
    (void)in;
    tree_state *s = st;
    if (s->thread_done)
        return TC_EOF;
    s->thread_done = true;
    s->thread.title = "tree";
    s->thread.source = "testtree";
    *t = &s->thread;
    return TC_OK;
}

/* The bytes of member i, within the max-post limit. */
static int read_member(tc_stream *in, tree_state *s, size_t i, size_t *len)
{
    uint64_t size = tc_tree_size(s->tree, i);
    if (size > tc_stream_max_post(in))
        return tc_stream_error(in, TC_ERR_DATA, 0, 0, "member %s is over the max-post limit",
                               tc_tree_name(s->tree, i));
    tc_error err;
    tc_stream *m = tc_tree_open_member(s->tree, i, &err);
    if (m == NULL)
        return tc_stream_error(in, err.code, 0, 0, "%s: %s", err.source, err.text);
    free(s->body);
    s->body = malloc((size_t)size + 1);
    size_t got = 0;
    long n = 1;
    while (s->body && got < size && (n = tc_stream_read(m, s->body + got, (size_t)size - got)) > 0)
        got += (size_t)n;
    int rc = TC_OK;
    if (s->body == NULL)
        rc = tc_stream_error(in, TC_ERR_NOMEM, 0, 0, "out of memory");
    else if (n < 0)
        rc = tc_stream_error(in, TC_ERR_DATA, 0, 0, "%s", tc_stream_get_error(m)->text);
    tc_stream_close(m);
    if (rc == TC_OK) {
        s->body[got] = '\0';
        *len = got;
    }
    return rc;
}

static int tr_next_post(tc_stream *in, void *st, const tc_post **p)
{
    tree_state *s = st;
    if (s->next >= tc_tree_count(s->tree))
        return TC_EOF;
    size_t i = s->next++;
    const char *name = tc_tree_name(s->tree, i);
    size_t n = strlen(name), len = 0;
    memset(&s->post, 0, sizeof s->post);
    s->post.id = name;
    s->post.author = "tree";
    if (n > 4 && strcmp(name + n - 4, ".txt") == 0) {
        int rc = read_member(in, s, i, &len);
        if (rc != TC_OK)
            return rc;
        s->post.body = s->body;
        s->post.body_len = len;
    } else {
        memset(&s->attachment, 0, sizeof s->attachment);
        const char *slash = strrchr(name, '/');
        s->attachment.name = slash ? slash + 1 : name;
        s->attachment.media_type = "application/octet-stream";
        s->attachment.size = tc_tree_size(s->tree, i);
        s->attachment.size_known = true;
        if (s->refs) {
            s->attachment.ref = name;
        } else {
            int rc = read_member(in, s, i, &len);
            if (rc != TC_OK)
                return rc;
            s->attachment.data = (const unsigned char *)s->body;
        }
        s->post.body = "";
        s->post.attachments = &s->attachment;
        s->post.n_attachments = 1;
    }
    *p = &s->post;
    return TC_OK;
}

static void tr_close(tc_stream *in, void *st)
{
    (void)in;
    tree_state *s = st;
    free(s->body);
    tc_buf_free(&s->name);
    free(s);
}

static const char *const attachment_modes[] = {"bytes", "ref", NULL};
static const tc_option_decl tree_options[] = {
    {"attachments", TC_OPT_ENUM, "bytes", "files as bytes or as references", attachment_modes},
    {NULL, 0, NULL, NULL, NULL},
};

TC_MODULE_DEFINE(tree_reader, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "testtree", .description = "test tree reader",
                                    .flags = TC_FORMAT_READS_TREE,
                                    .read_probe_tree = tr_probe, .read_open = tr_open,
                                    .read_next_thread = tr_next_thread,
                                    .read_next_post = tr_next_post, .read_close = tr_close,
                                    .options = tree_options}));
#elif defined(VARIANT_NEWER_MINOR)
RAW_MODULE(newer_minor, .magic = TC_MODULE_MAGIC, .abi_major = TC_ABI_MAJOR,
           .abi_minor = TC_ABI_MINOR + 1, .struct_size = sizeof(tc_module),
           .format_size = sizeof(tc_format),
           TC_MODULE_FORMATS({.name = "newminor", .read_next_post = t_next_post, FORMAT_FIELDS}));
#elif defined(VARIANT_LEAKY)
/* Exports a helper besides its descriptor (built without the export list):
 * loaded RTLD_LOCAL, the helper must not become visible to anything else. */
int threadconv_test_leaky_helper(void);
int threadconv_test_leaky_helper(void) { return 42; }
TC_MODULE_DEFINE(leaky, MODULE_FIELDS,
                 TC_MODULE_FORMATS({.name = "leaky", .read_next_post = t_next_post,
                                    .url = "https://example.invalid/leaky", FORMAT_FIELDS}));
#else
#error "build with one VARIANT_* macro"
#endif
#endif /* VARIANT_NO_DESCRIPTOR */
