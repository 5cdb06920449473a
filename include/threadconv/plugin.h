/*
 * plugin.h - the plugin ABI of threadconv.
 *
 * A plugin shared object is a *module*: it exports exactly one symbol,
 * threadconv_module_NAME, a const tc_module descriptor that lists the
 * formats (readers, writers or both) the module provides.  The core checks
 * the descriptor's magic, ABI version and sizes before it trusts anything
 * else in it, then each format's required fields and callbacks.  The same
 * descriptor lets a program link modules statically (tc_registry_add_module).
 *
 * The streaming contract (pull-based, one post at a time):
 *
 *   reader:  read_open
 *            { read_next_thread  { read_next_post }... }...   until TC_EOF
 *            read_close
 *   writer:  write_open
 *            { write_begin_thread  { write_post }...  write_end_thread }...
 *            write_finish (only when everything succeeded)
 *            write_close (always, also after a failure)
 *
 * A thread or post a reader hands out is owned by the reader and stays valid
 * until its next call; a writer must copy what it wants to keep.  A reader
 * holds at most one post (and bounded buffers) at a time, so memory never
 * grows with the size of the archive.
 *
 * Errors: a callback that fails sets the error on its tc_stream
 * (tc_stream_error) and returns that negative code.  Plugins never print.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef THREADCONV_PLUGIN_H
#define THREADCONV_PLUGIN_H

#include <threadconv/threadconv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "TCMD" as a little-endian word: the first thing the loader checks. */
#define TC_MODULE_MAGIC 0x444d4354u

/*
 * ABI version.  The core loads a module whose major equals TC_ABI_MAJOR and
 * whose minor is at most TC_ABI_MINOR.  A minor version adds fields at the
 * end of tc_module or tc_format by taking slots from `reserved` (the structs
 * keep their size); the core reads a field only from modules built with the
 * minor that introduced it, so an older module's zero padding never looks
 * like a value.  struct_size and format_size guard against a module built
 * with a different layout altogether.
 *
 *   2.0  modules: one descriptor lists one or more formats; attachments in
 *        the model; tree inputs (TC_FORMAT_READS_TREE).
 *
 * ABI 1 plugins (one format each, symbol `threadconv_plugin`) are refused
 * with a message saying to rebuild them; doc/PLUGINS.md says why.
 */
#define TC_ABI_MAJOR 2
#define TC_ABI_MINOR 0

/*
 * Format flags: promises the core may rely on.
 *
 * TC_FORMAT_READS_UTF8: the reader checks that every string it returns is
 * valid UTF-8 (refusing input that is not, with its line and column), so the
 * core need not check again.  Without it the core checks every thread and
 * post the reader returns and stops with TC_ERR_PLUGIN at the first string
 * that is not UTF-8.  Either way a writer is only ever given valid UTF-8.
 *
 * TC_FORMAT_WRITES_DIRECTORY: the writer's output is a directory (a
 * Maildir, say), not a byte stream.  The core then neither opens nor
 * replaces the -o path: the writer takes it from tc_stream_name(out),
 * creates what it needs there and writes nothing to the stream.  Standard
 * output cannot be such an output.
 *
 * TC_FORMAT_READS_TREE: the reader's input is a tree of files (a folder, a
 * .zip, a .tar.gz: see tree.h).  The core opens the input as a tree and the
 * reader takes it with tc_stream_tree(in); the stream itself has no bytes.
 * Its probe is read_probe_tree, which sees the member list.
 *
 * TC_FORMAT_WRITES_ATTACHMENTS: the writer keeps a post's attachments.
 * Without it the writer is never given any: the checked session takes them
 * off the post and warns (the first post it happens to, then a count at the
 * end), so that nothing is dropped without a word.
 */
#define TC_FORMAT_READS_UTF8 0x1u
#define TC_FORMAT_WRITES_DIRECTORY 0x2u
#define TC_FORMAT_READS_TREE 0x4u
#define TC_FORMAT_WRITES_ATTACHMENTS 0x8u

/* The symbol a module exports is this prefix and the module's name, which
 * is also the name of its file: json.so exports threadconv_module_json. */
#define TC_MODULE_SYMBOL_PREFIX "threadconv_module_"

/* How sure a reader's probe is that the first bytes are its format. */
#define TC_PROBE_NO 0        /* certainly not */
#define TC_PROBE_MAYBE 25    /* could be: a weak hint */
#define TC_PROBE_LIKELY 60   /* probably: the core picks it if nobody is surer */
#define TC_PROBE_SURE 100    /* the format's signature is there */

/* Types of a declared option. */
typedef enum tc_option_type {
    TC_OPT_BOOL = 1,   /* true/false, yes/no, on/off, 1/0 */
    TC_OPT_INT = 2,    /* a decimal integer */
    TC_OPT_STRING = 3, /* any string */
    TC_OPT_ENUM = 4    /* one of enum_values */
} tc_option_type;

/* One option a format accepts (-O FORMAT.NAME=VALUE).  Arrays of these end
 * with an entry whose name is NULL. */
typedef struct tc_option_decl {
    const char *name;          /* [a-z0-9_-]+ */
    tc_option_type type;
    const char *default_value; /* as the user would type it; NULL = "" / false / 0 */
    const char *help;          /* one line */
    const char *const *enum_values; /* TC_OPT_ENUM: NULL-terminated list */
} tc_option_decl;

typedef struct tc_tree tc_tree;

/* One format a module provides: a reader, a writer, or both. */
typedef struct tc_format {
    /* --- required --- */
    const char *name;        /* format name: [a-z0-9_-]+, e.g. "mumsnet" */
    const char *description; /* one line */

    /* --- reader: read_open, read_next_thread, read_next_post and
     *     read_close are all set, or all NULL --- */

    /* Optional.  Score 0..100 (TC_PROBE_*) for the first len bytes of the
     * input (the whole input when it is shorter than the core's peek size,
     * 64 KiB).  Must not keep the pointer.  name is the file name or "-". */
    int (*read_probe)(const unsigned char *head, size_t len, const char *name);
    /* Optional, for TC_FORMAT_READS_TREE readers: score a tree by its
     * members (tc_tree_count, tc_tree_name, ...). */
    int (*read_probe_tree)(const tc_tree *tree, const char *name);
    /* Start reading the stream; store the reader's state in *state. */
    int (*read_open)(tc_stream *in, void **state);
    /* Next thread header: TC_OK with *thread set, TC_EOF at the end, or an
     * error.  The previous thread's posts need not have been read to the end. */
    int (*read_next_thread)(tc_stream *in, void *state, const tc_thread **thread);
    /* Next post of the current thread: TC_OK with *post set, TC_EOF when the
     * thread has no more posts, TC_SKIPPED (see threadconv.h) or an error. */
    int (*read_next_post)(tc_stream *in, void *state, const tc_post **post);
    /* Free the state.  Called once after a successful read_open. */
    void (*read_close)(tc_stream *in, void *state);

    /* --- writer: all six set, or all NULL --- */
    int (*write_open)(tc_stream *out, void **state);
    int (*write_begin_thread)(tc_stream *out, void *state, const tc_thread *thread);
    int (*write_post)(tc_stream *out, void *state, const tc_post *post);
    int (*write_end_thread)(tc_stream *out, void *state);
    /* Everything was written: close the document (a final "]}", say). */
    int (*write_finish)(tc_stream *out, void *state);
    void (*write_close)(tc_stream *out, void *state);

    /* --- optional --- */
    const tc_option_decl *options; /* NULL-name terminated, or NULL */
    const char *extension;   /* usual file extension of the written format, no dot */
    const char *url;         /* where the format's documentation lives */
    uintptr_t flags;         /* TC_FORMAT_* */

    /* Reserved for later minor versions; zero. */
    void *reserved[8];
} tc_format;

/* The one descriptor a module exports (symbol: see TC_MODULE_SYMBOL_PREFIX). */
typedef struct tc_module {
    /* --- identification: checked before anything else is read --- */
    uint32_t magic;          /* TC_MODULE_MAGIC */
    uint16_t abi_major;      /* TC_ABI_MAJOR the module was built with */
    uint16_t abi_minor;      /* TC_ABI_MINOR the module was built with */
    uint32_t struct_size;    /* sizeof(tc_module) the module was built with */
    uint32_t format_size;    /* sizeof(tc_format): the stride of formats[] */

    /* --- required --- */
    const char *name;        /* module name, [a-z0-9_]+: its file is NAME.so */
    const char *description; /* one line */
    const char *version;     /* the module's own version, e.g. "1.0.0" */
    const char *license;     /* SPDX identifier, e.g. "MIT" */
    const tc_format *formats; /* n_formats formats, each with its own name */
    size_t n_formats;

    /* --- optional --- */
    const char *url;         /* the module's home page */

    /* Reserved for later minor versions; zero. */
    void *reserved[8];
} tc_module;

/*
 * Declare a module's descriptor with the identification filled in.  NAME is
 * the module's name as a bare word (its file is NAME.so); the formats are
 * tc_format initialisers:
 *
 *   TC_MODULE_DEFINE(csv,
 *       .description = "CSV output", .version = "1.0.0", .license = "MIT",
 *       TC_MODULE_FORMATS({.name = "csv", .description = "...",
 *                          .write_open = csv_write_open, ...}));
 */
#if defined(__GNUC__)
/* Exported even when the module is compiled with -fvisibility=hidden, which
 * keeps everything else in the module private. */
#define TC_MODULE_EXPORT __attribute__((visibility("default")))
#else
#define TC_MODULE_EXPORT
#endif

#define TC_MODULE_FORMATS(...)                                               \
    .formats = (const tc_format[]){__VA_ARGS__},                             \
    .n_formats = sizeof((const tc_format[]){__VA_ARGS__}) / sizeof(tc_format)

#define TC_MODULE_DEFINE(NAME, ...)                                          \
    extern TC_MODULE_EXPORT const tc_module threadconv_module_##NAME;        \
    TC_MODULE_EXPORT const tc_module threadconv_module_##NAME = {            \
        .magic = TC_MODULE_MAGIC,                                            \
        .abi_major = TC_ABI_MAJOR,                                           \
        .abi_minor = TC_ABI_MINOR,                                           \
        .struct_size = sizeof(tc_module),                                    \
        .format_size = sizeof(tc_format),                                    \
        .name = #NAME,                                                       \
        __VA_ARGS__}

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_PLUGIN_H */
