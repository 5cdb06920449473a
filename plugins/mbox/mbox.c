/*
 * mbox.c - the "mbox" plugin: its descriptor and options, the probe, and
 * the writer's callbacks.
 *
 * Writer: one message per post (build.c), mboxrd by default
 * (-O mbox.variant=mboxo|mboxcl2), 8bit or quoted-printable bodies
 * (-O mbox.encoding=quoted-printable).
 *
 * Reader, in two passes, so that memory depends neither on the size of
 * the messages nor on how many there are (reader.h names the files):
 *   pass 1 (read_open) scans the file once and builds an index of the
 *          messages and their threads (index.c), kept in a page cache of
 *          -O mbox.index-memory KiB over an unlinked temporary file
 *          (store.c);
 *   pass 2 goes to each message of each thread in turn, decodes it
 *          (headers, MIME, transfer encodings, charsets) and hands out
 *          one post (read.c, mime.c).
 * Messages our writer wrote (X-Threadconv-* headers) come back exactly.
 * doc/formats.md ("mbox / maildir") states every rule.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

static int mbox_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const char *p = (const char *)head, *end = p + len;
    bool junk = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t';
        if (!blank) {
            if (mb_from_line(p, n, NULL)) {
                if (!junk)
                    return TC_PROBE_SURE;
                /* text first, a From_ line later: the header must follow */
                const char *q = nl ? nl + 1 : end;
                const char *nl2 = memchr(q, '\n', (size_t)(end - q));
                size_t n2 = (size_t)((nl2 ? nl2 : end) - q);
                return mb_header_name(q, n2) ? TC_PROBE_LIKELY : TC_PROBE_MAYBE;
            }
            junk = true;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return TC_PROBE_NO;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

typedef struct mb_writer {
    mb_builder b;
    tc_buf out;
} mb_writer;

static int mbox_write_open(tc_stream *out, void **state)
{
    mb_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return mb_nomem(out);
    const char *v = tc_stream_option(out, "variant");
    const char *enc = tc_stream_option(out, "encoding");
    int variant = v && strcmp(v, "mboxo") == 0     ? MB_MBOXO
                  : v && strcmp(v, "mboxcl2") == 0 ? MB_MBOXCL2
                                                   : MB_MBOXRD;
    mb_builder_init(&w->b, variant, enc && strcmp(enc, "quoted-printable") == 0);
    *state = w;
    return TC_OK;
}

static int mbox_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    mb_writer *w = state;
    if (mb_builder_begin_thread(&w->b, thread) != TC_OK)
        return mb_nomem(out);
    return TC_OK;
}

static int mbox_write_post(tc_stream *out, void *state, const tc_post *post)
{
    mb_writer *w = state;
    tc_buf_reset(&w->out);
    if (mb_builder_post(&w->b, post, &w->out) != TC_OK)
        return mb_nomem(out);
    return tc_stream_write(out, w->out.data, w->out.len);
}

static int mbox_write_end_thread(tc_stream *out, void *state)
{
    mb_writer *w = state;
    tc_buf_reset(&w->out);
    if (mb_builder_end_thread(&w->b, &w->out) != TC_OK)
        return mb_nomem(out);
    return w->out.len ? tc_stream_write(out, w->out.data, w->out.len) : TC_OK;
}

static int mbox_write_finish(tc_stream *out, void *state)
{
    (void)out;
    (void)state;
    return TC_OK;
}

static void mbox_write_close(tc_stream *out, void *state)
{
    (void)out;
    mb_writer *w = state;
    if (w == NULL)
        return;
    mb_builder_free(&w->b);
    tc_buf_free(&w->out);
    free(w);
}

static const char *const variants[] = {"mboxrd", "mboxo", "mboxcl2", NULL};
static const char *const encodings[] = {"8bit", "quoted-printable", NULL};

static const tc_option_decl mbox_options[] = {
    {.name = "variant", .type = TC_OPT_ENUM, .default_value = "mboxrd",
     .help = "mboxrd (quote >*From lines), mboxo (quote From lines), mboxcl2 "
             "(Content-Length, no quoting); the reader unquotes the same way",
     .enum_values = variants},
    {.name = "encoding", .type = TC_OPT_ENUM, .default_value = "8bit",
     .help = "body transfer encoding the writer uses: 8bit or quoted-printable",
     .enum_values = encodings},
    {.name = "index-memory", .type = TC_OPT_INT, .default_value = INDEX_KB,
     .help = "KiB of memory the reader keeps its index of the mailbox in (at least 16); "
             "the rest goes to a temporary file in $TMPDIR"},
    {.name = NULL}};

TC_MODULE_DEFINE(mbox,
    .description = "Unix mail: mbox files and Maildir directories",
    .version = "2.0.0",
    .license = "MIT",
    TC_MODULE_FORMATS(
        {.name = "mbox",
         .description = "Unix mbox (mboxrd, mboxo, mboxcl2), one message per post",
         .read_probe = mbox_probe,
         .read_open = mb_read_open, .read_next_thread = mb_read_next_thread,
         .read_next_post = mb_read_next_post, .read_close = mb_read_close,
         .write_open = mbox_write_open, .write_begin_thread = mbox_write_begin_thread,
         .write_post = mbox_write_post, .write_end_thread = mbox_write_end_thread,
         .write_finish = mbox_write_finish, .write_close = mbox_write_close,
         .options = mbox_options, .extension = "mbox",
         /* every string the reader returns went through the library's
          * tc_mail_to_utf8 (threadconv/mail.h) or is ASCII it made;
          * extra keys are checked by mb_decode_key */
         .flags = TC_FORMAT_READS_UTF8},
        {.name = "maildir",
         .description = "Maildir directory (-o DIR), one file per post",
         .write_open = md_write_open,
         .write_begin_thread = md_write_begin_thread, .write_post = md_write_post,
         .write_end_thread = md_write_end_thread, .write_finish = md_write_finish,
         .write_close = md_write_close, .options = md_options,
         .flags = TC_FORMAT_WRITES_DIRECTORY}));
