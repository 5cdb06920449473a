/*
 * writer.h - the mbox module's writers (see mail.h for the layers):
 * the message builder and its encoders (build.c), which the mbox writer
 * (write.c) and the maildir writer (maildir.c) share.  Nothing here
 * decodes.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_MBOX_WRITER_H
#define TC_MBOX_WRITER_H

#include "mail.h"

#include <threadconv/plugin.h>

uint64_t mbox_hash(uint64_t h, const void *data, size_t len); /* FNV-1a 64 */
#define MBOX_HASH_INIT 0xcbf29ce484222325ull

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

/* "Thu, 04 Feb 2021 21:33:59 +0000" (31 bytes + NUL); false when the year
 * is outside 1900..9999 (RFC 5322 cannot say it). */
bool mbox_format_rfc5322(tc_date d, char out[40]);
/* "Thu Feb  4 21:33:59 2021" in UTC (24 bytes + NUL); no date: the epoch. */
void mbox_format_asctime(tc_date d, char out[40]);

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

/* "Name: value\n" folded at 78 columns; value is raw text when that is
 * exact, else RFC 2047 encoded words (UTF-8, Q or B) that never split a
 * character.  value is UTF-8 of len bytes. */
int mbox_put_unstructured(tc_buf *out, const char *name, const char *value, size_t len);

/* Quoted-printable body (lines end "\n"; soft breaks keep lines <= 76). */
int mbox_qp_encode(tc_buf *out, const char *s, size_t len);

enum { MBOX_MBOXRD = 0, MBOX_MBOXO = 1, MBOX_MBOXCL2 = 2, MBOX_MAILDIR = 3 };

/* The message builder: one post in, one message out. */
typedef struct mbox_builder {
    int variant;        /* MBOX_* */
    bool qp;            /* quoted-printable bodies */
    uint64_t n_threads;
    /* the current thread (copied: the thread is borrowed) */
    tc_buf title;
    tc_buf domain;       /* SOURCE.threadconv.invalid */
    tc_buf thread_hdrs;  /* the X-Threadconv thread headers */
    uint64_t thread_hash;
    uint64_t base_hash;  /* of the thread header alone */
    uint64_t n_posts;
    tc_buf first_msgid;  /* "<...>" of the thread's first post */
    /* made once per thread, copied into every message (see build.c) */
    tc_buf subject_first; /* "Subject: TITLE\n", folded */
    tc_buf subject_re;    /* "Subject: Re: TITLE\n", folded */
    tc_buf msgid_tail;    /* ".HASH@DOMAIN>" ending every Message-ID */
    tc_buf reply_first;   /* In-Reply-To and References naming the first post */
    /* hashes of the threads written so far (open addressing, 0 = empty;
     * a hash of 0 is recorded in used_zero): Message-IDs never repeat */
    uint64_t *used;
    size_t n_used, cap_used;
    bool used_zero;
    /* id -> parent id of the thread's posts with a parent, for References
     * (build.c): kept in a store, NULL until needed; where the thread's
     * table and entries start, the table, the entries' end */
    struct mbox_store *pm;
    uint64_t pm_tab0, pm_ent0, pm_tab, pm_end;
    size_t pm_count, pm_cap;
    tc_buf chain, anc;   /* a References chain's ids; the next ancestor's */
    /* scratch */
    tc_buf tmp, tmp2, enc;
    char why[300];       /* what went wrong when a call fails other than for memory */
} mbox_builder;

void mbox_builder_init(mbox_builder *b, int variant, bool qp);
void mbox_builder_free(mbox_builder *b);
int mbox_builder_begin_thread(mbox_builder *b, const tc_thread *t);
/* Append the message for post to out (From_ line and final blank line
 * included for the mbox variants).  TC_OK or TC_ERR_NOMEM, or when the
 * parent map's temporary file fails TC_ERR_OUTPUT (or TC_ERR_NOMEM) with
 * b->why saying what happened. */
int mbox_builder_post(mbox_builder *b, const tc_post *p, tc_buf *out);
/* Append the stub message of a thread without posts (when it had none). */
int mbox_builder_end_thread(mbox_builder *b, tc_buf *out);

/* The mbox writer (write.c) and the maildir writer (maildir.c), listed in
 * the module's descriptor in mbox.c. */
int mbox_write_open(tc_stream *out, void **state);
int mbox_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int mbox_write_post(tc_stream *out, void *state, const tc_post *post);
int mbox_write_end_thread(tc_stream *out, void *state);
int mbox_write_finish(tc_stream *out, void *state);
void mbox_write_close(tc_stream *out, void *state);

int maildir_write_open(tc_stream *out, void **state);
int maildir_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int maildir_write_post(tc_stream *out, void *state, const tc_post *post);
int maildir_write_end_thread(tc_stream *out, void *state);
int maildir_write_finish(tc_stream *out, void *state);
void maildir_write_close(tc_stream *out, void *state);
extern const tc_option_decl maildir_options[];

#endif
