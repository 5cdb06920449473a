/*
 * plugin.h - the plugin ABI of threadconv.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * TC_PLUGIN_SYMBOL, a const tc_plugin descriptor.  The core checks the
 * descriptor's magic, ABI version and size before it trusts anything else in
 * it, then the required fields and callbacks.
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

/* "TCPL" as a little-endian word: the first thing the loader checks. */
#define TC_PLUGIN_MAGIC 0x4c504354u

/*
 * ABI version.  The core loads a plugin whose major equals TC_ABI_MAJOR and
 * whose minor is at most TC_ABI_MINOR.  A minor version adds fields by
 * taking slots from `reserved` (the struct keeps its size); the core reads a
 * field only from plugins built with the minor that introduced it, so an
 * older plugin's zero padding never looks like a value.  struct_size guards
 * against a plugin built with a different layout altogether.
 *
 *   1.0  the first ABI
 *   1.1  adds `url`
 *   1.2  adds `flags` (TC_PLUGIN_READS_UTF8, TC_PLUGIN_WRITES_DIRECTORY)
 */
#define TC_ABI_MAJOR 1
#define TC_ABI_MINOR 2

/*
 * Flags (ABI 1.2).
 *
 * TC_PLUGIN_READS_UTF8: the reader checks that every string it returns is
 * valid UTF-8 (refusing input that is not, with its line and column), so the
 * core need not check again.  Without it the core checks every thread and
 * post the reader returns and stops with TC_ERR_PLUGIN at the first string
 * that is not UTF-8.  Either way a writer is only ever given valid UTF-8.
 *
 * TC_PLUGIN_WRITES_DIRECTORY: the writer's output is a directory (a
 * Maildir, say), not a byte stream.  The core then neither opens nor
 * replaces the -o path: the writer takes it from tc_stream_name(out),
 * creates what it needs there and writes nothing to the stream.  Standard
 * output cannot be such an output.
 */
#define TC_PLUGIN_READS_UTF8 0x1u
#define TC_PLUGIN_WRITES_DIRECTORY 0x2u

/* The one symbol a plugin exports. */
#define TC_PLUGIN_SYMBOL "threadconv_plugin"

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

/* One option a plugin accepts (-O FORMAT.NAME=VALUE).  Arrays of these end
 * with an entry whose name is NULL. */
typedef struct tc_option_decl {
    const char *name;          /* [a-z0-9_-]+ */
    tc_option_type type;
    const char *default_value; /* as the user would type it; NULL = "" / false / 0 */
    const char *help;          /* one line */
    const char *const *enum_values; /* TC_OPT_ENUM: NULL-terminated list */
} tc_option_decl;

typedef struct tc_plugin {
    /* --- identification: checked before anything else is read --- */
    uint32_t magic;          /* TC_PLUGIN_MAGIC */
    uint16_t abi_major;      /* TC_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;      /* TC_ABI_MINOR the plugin was built with */
    uint32_t struct_size;    /* sizeof(tc_plugin) the plugin was built with */

    /* --- required --- */
    const char *name;        /* format name: [a-z0-9_-]+, e.g. "mumsnet" */
    const char *description; /* one line */
    const char *version;     /* the plugin's own version, e.g. "1.0.0" */
    const char *license;     /* SPDX identifier, e.g. "MIT" */

    /* --- reader: read_open, read_next_thread, read_next_post and
     *     read_close are all set, or all NULL --- */

    /* Optional.  Score 0..100 (TC_PROBE_*) for the first len bytes of the
     * input (the whole input when it is shorter than the core's peek size,
     * 64 KiB).  Must not keep the pointer.  name is the file name or "-". */
    int (*read_probe)(const unsigned char *head, size_t len, const char *name);
    /* Start reading the stream; store the plugin's state in *state. */
    int (*read_open)(tc_stream *in, void **state);
    /* Next thread header: TC_OK with *thread set, TC_EOF at the end, or an
     * error.  The previous thread's posts need not have been read to the end. */
    int (*read_next_thread)(tc_stream *in, void *state, const tc_thread **thread);
    /* Next post of the current thread: TC_OK with *post set, TC_EOF when the
     * thread has no more posts, or an error. */
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

    /* Optional: options the plugin accepts, NULL-name terminated, or NULL. */
    const tc_option_decl *options;
    /* Optional: usual file extension of the written format, without the dot. */
    const char *extension;

    /* --- ABI 1.1 --- */
    /* Optional: where the plugin's documentation lives (shown by --describe). */
    const char *url;

    /* --- ABI 1.2 --- */
    /* TC_PLUGIN_* flags: promises the core may rely on. */
    uintptr_t flags;

    /* Reserved for later minor versions; zero. */
    void *reserved[6];
} tc_plugin;

/*
 * Declare a plugin's descriptor with the identification filled in:
 *
 *   TC_PLUGIN_DEFINE(
 *       .name = "csv", .description = "comma-separated values, one row per post",
 *       .version = "1.0.0", .license = "MIT",
 *       .write_open = csv_open, ...);
 */
#if defined(__GNUC__)
/* Exported even when the plugin is compiled with -fvisibility=hidden, which
 * keeps everything else in the plugin private. */
#define TC_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define TC_PLUGIN_EXPORT
#endif

#define TC_PLUGIN_DEFINE(...)                                                \
    extern TC_PLUGIN_EXPORT const tc_plugin threadconv_plugin;               \
    TC_PLUGIN_EXPORT const tc_plugin threadconv_plugin = {                   \
        .magic = TC_PLUGIN_MAGIC,                                            \
        .abi_major = TC_ABI_MAJOR,                                           \
        .abi_minor = TC_ABI_MINOR,                                           \
        .struct_size = sizeof(tc_plugin),                                    \
        __VA_ARGS__}

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_PLUGIN_H */
