/*
 * mbox.c - the mbox module's descriptor: the formats mbox (reader and
 * writer), maildir (reader and writer) and eml (reader), and their
 * options.  The one file that
 * names both halves' callbacks (mail.h shows the layers).
 *
 * Writer: one message per post (build.c, write.c), mboxrd by default
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
 * The maildir and eml readers (tree.c) read mail kept one message per
 * file -- a Maildir, .eml files -- as the mbox reader reads a mailbox:
 * they make one of the files and hand it to it.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"
#include "tree.h"
#include "writer.h"

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
    {.name = "index-memory", .type = TC_OPT_INT, .default_value = MBOX_INDEX_KB,
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
         .read_probe = mbox_read_probe,
         .read_open = mbox_read_open, .read_next_thread = mbox_read_next_thread,
         .read_next_post = mbox_read_next_post, .read_close = mbox_read_close,
         .write_open = mbox_write_open, .write_begin_thread = mbox_write_begin_thread,
         .write_post = mbox_write_post, .write_end_thread = mbox_write_end_thread,
         .write_finish = mbox_write_finish, .write_close = mbox_write_close,
         .options = mbox_options, .extension = "mbox",
         /* every string the reader returns went through the library's
          * tc_mail_to_utf8 (threadconv/mail.h) or is ASCII it made;
          * extra keys are checked by mbox_decode_key */
         .flags = TC_FORMAT_READS_UTF8},
        {.name = "maildir",
         .description = "Maildir directory (-o DIR), one file per post; reads cur/, new/ "
                        "and Maildir++ subfolders, from a folder, .zip or .tar",
         .read_probe_tree = maildir_read_probe_tree,
         .read_open = maildir_read_open, .read_next_thread = mbox_tree_read_next_thread,
         .read_next_post = mbox_tree_read_next_post, .read_close = mbox_tree_read_close,
         .write_open = maildir_write_open,
         .write_begin_thread = maildir_write_begin_thread, .write_post = maildir_write_post,
         .write_end_thread = maildir_write_end_thread, .write_finish = maildir_write_finish,
         .write_close = maildir_write_close, .options = maildir_options,
         /* what the mbox reader returns, passed on (see mbox above) */
         .flags = TC_FORMAT_WRITES_DIRECTORY | TC_FORMAT_READS_TREE | TC_FORMAT_READS_UTF8},
        {.name = "eml",
         .description = "RFC 5322 messages, one per file: a file, or a folder, .zip or .tar "
                        "of .eml files, threaded as one archive",
         .read_probe = eml_read_probe, .read_probe_tree = eml_read_probe_tree,
         .read_open = eml_read_open, .read_next_thread = mbox_tree_read_next_thread,
         .read_next_post = mbox_tree_read_next_post, .read_close = mbox_tree_read_close,
         .options = eml_options, .extension = "eml",
         .flags = TC_FORMAT_READS_TREE | TC_FORMAT_READS_UTF8}));
