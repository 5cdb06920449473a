/*
 * tree.h - the maildir and eml readers (tree.c): mail that comes one
 * message per file -- a Maildir (cur/, new/, Maildir++ subfolders), or
 * .eml files, a folder or archive of them or a single one -- read by the
 * mbox reader (reader.h) as one mailbox assembled from the files, with
 * its errors and warnings naming the file and its line.
 *
 * Private to plugins/mbox; part of the reader's layer (mail.h): it
 * includes reader.h, never writer.h.  Names start with maildir_, eml_ or
 * mbox_tree_.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_MBOX_TREE_H
#define TC_MBOX_TREE_H

#include <threadconv/plugin.h>

/* read_open of the two formats; the other callbacks are shared. */
int maildir_read_open(tc_stream *in, void **state);
int eml_read_open(tc_stream *in, void **state);
int mbox_tree_read_next_thread(tc_stream *in, void *state, const tc_thread **thread);
int mbox_tree_read_next_post(tc_stream *in, void *state, const tc_post **post);
void mbox_tree_read_close(tc_stream *in, void *state);

/* The probes: a tree by its member names; a plain file (eml) by its head. */
int maildir_read_probe_tree(const tc_tree *tree, const char *name);
int eml_read_probe_tree(const tc_tree *tree, const char *name);
int eml_read_probe(const unsigned char *head, size_t len, const char *name);

/* For the tests: the mailbox the mbox reader is given (state from a
 * read_open above), appended to out.  TC_OK or an error. */
int mbox_tree_mailbox(void *state, tc_buf *out);

/* -O eml.members=eml|all */
extern const tc_option_decl eml_options[];

#endif
