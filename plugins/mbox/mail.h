/*
 * mail.h - the mbox module's common layer: what its writers and its
 * reader agree on, and nothing else -- the names of the round-trip
 * headers and the way an extra field's key becomes a header name
 * (mail.c).
 *
 * The module's files, in layers; each includes only its own header and
 * the ones below it:
 *
 *   mbox.c      the descriptor (formats mbox and maildir, their options):
 *               the one file that names both halves' callbacks
 *   writers     writer.h: write.c (the mbox writer's callbacks), maildir.c
 *               (the maildir writer), build.c (the message builder: RFC
 *               5322 dates, RFC 2047 encoded words and quoted-printable
 *               written; its map of parents in a store); never reader.h,
 *               and no decoder: nothing on this side calls the library's
 *               tc_mail_* decoders
 *   reader      reader.h: read.c, index.c, header.c, mime.c, envelope.c;
 *               never writer.h; it decodes mail text with the library's
 *               <threadconv/mail.h>
 *   common      mail.h, mail.c (this layer); store.c (store.h), the
 *               paged store both sides keep what grows with the input in
 *   library     <threadconv/plugin.h>, and <threadconv/mail.h> for the reader
 *
 * Private to plugins/mbox: every name starts with mbox_.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_MBOX_MAIL_H
#define TC_MBOX_MAIL_H

#include <threadconv/plugin.h>

/* ------------------------------------------------------------------ */
/* Names of the round-trip headers (doc/formats.md, "mbox / maildir")   */
/* ------------------------------------------------------------------ */

#define MBOX_H_ID "X-Threadconv-Id"                 /* post id: marks our messages */
#define MBOX_H_PARENT "X-Threadconv-Parent"         /* the model's parent id */
#define MBOX_H_DATE "X-Threadconv-Date"             /* ISO date Date: cannot hold */
#define MBOX_H_EXTRA "X-Threadconv-Extra-"          /* + encoded key: post extra */
#define MBOX_H_SOURCE "X-Threadconv-Source"         /* first message of a thread */
#define MBOX_H_THREAD_ID "X-Threadconv-Thread-Id"
#define MBOX_H_THREAD_URL "X-Threadconv-Thread-Url"
#define MBOX_H_THREAD_EXTRA "X-Threadconv-Thread-Extra-"
#define MBOX_H_EMPTY "X-Threadconv-Empty-Thread"    /* a thread without posts */

/* ------------------------------------------------------------------ */
/* Extra fields of others' mail (doc/formats.md, "Reading")             */
/* ------------------------------------------------------------------ */
/*
 * What the reader keeps of a message another program wrote, beyond the
 * model's own fields, and the writers write back as it was, so that
 * mbox -> mbox, mbox -> maildir -> mbox and mbox -> json -> mbox keep every
 * sender, Message-ID, Subject, In-Reply-To, References and header.  The
 * post's id is its Message-ID without <>, its author the From display
 * name (the address when there is none), its parent the real parent.
 */
#define MBOX_X_ADDRESS "mbox.address"         /* From's address (addr-spec) */
#define MBOX_X_SUBJECT "mbox.subject"         /* Subject, decoded, when the writer
                                                 would not write it so by itself */
#define MBOX_X_TO "mbox.to"                   /* To, decoded: for reading; the */
#define MBOX_X_CC "mbox.cc"                   /* writer uses mbox.headers */
#define MBOX_X_HEADERS "mbox.headers"         /* every other field, as it was */
#define MBOX_X_IN_REPLY_TO "mbox.in-reply-to" /* as it was, when not just <parent> */
#define MBOX_X_REFERENCES "mbox.references"   /* as it was */
#define MBOX_X_UNDECODABLE "mbox.undecodable" /* where bytes were not in the charset */
#define MBOX_X_CHARSET "mbox.charset"         /* a charset label that was unknown */
/* The post's attachments (1-based indexes, one space between them) that
 * are alternatives of its body (the other parts of its
 * multipart/alternative, e.g. the HTML; or the part the body's text was
 * made from), and those that were in a multipart/related with the body or
 * with one of those alternatives (the HTML's images). */
#define MBOX_X_ALTERNATIVE "mbox.alternative"
#define MBOX_X_RELATED "mbox.related"

/* ------------------------------------------------------------------ */
/* Extra fields' keys in header names                                  */
/* ------------------------------------------------------------------ */

/* Header name for an extra field: prefix + the key with bytes other than
 * [a-z0-9.-] written as _XX (upper-case hex). */
int mbox_encode_key(tc_buf *out, const char *prefix, const char *key);
/* Inverse of the above for the part after the prefix; false when malformed. */
bool mbox_decode_key(tc_buf *out, const char *s, size_t len);

#endif
