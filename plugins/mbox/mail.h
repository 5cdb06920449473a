/*
 * mail.h - mail-format pieces shared by the mbox and maildir plugins:
 * the message builder (writers), RFC 5322 dates, RFC 2047 encoded words
 * and quoted-printable written, From_ lines and subjects read.  Decoding
 * mail text is the library's (threadconv/mail.h).  Private to
 * plugins/mbox: every name starts with mb_.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_MBOX_MAIL_H
#define TC_MBOX_MAIL_H

#include <threadconv/mail.h>
#include <threadconv/plugin.h>

/* ------------------------------------------------------------------ */
/* Names of the round-trip headers (doc/formats.md, "mbox / maildir")   */
/* ------------------------------------------------------------------ */

#define MB_H_ID "X-Threadconv-Id"                 /* post id: marks our messages */
#define MB_H_PARENT "X-Threadconv-Parent"         /* the model's parent id */
#define MB_H_DATE "X-Threadconv-Date"             /* ISO date Date: cannot hold */
#define MB_H_EXTRA "X-Threadconv-Extra-"          /* + encoded key: post extra */
#define MB_H_SOURCE "X-Threadconv-Source"         /* first message of a thread */
#define MB_H_THREAD_ID "X-Threadconv-Thread-Id"
#define MB_H_THREAD_URL "X-Threadconv-Thread-Url"
#define MB_H_THREAD_EXTRA "X-Threadconv-Thread-Extra-"
#define MB_H_EMPTY "X-Threadconv-Empty-Thread"    /* a thread without posts */

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

uint64_t mb_hash(uint64_t h, const void *data, size_t len); /* FNV-1a 64 */
#define MB_HASH_INIT 0xcbf29ce484222325ull

bool mb_ieq(const char *a, size_t alen, const char *b); /* ASCII case-insensitive */

/* ------------------------------------------------------------------ */
/* Dates                                                               */
/* ------------------------------------------------------------------ */

/* "Thu, 04 Feb 2021 21:33:59 +0000" (31 bytes + NUL); false when the year
 * is outside 1900..9999 (RFC 5322 cannot say it). */
bool mb_format_rfc5322(tc_date d, char out[40]);
/* "Thu Feb  4 21:33:59 2021" in UTC (24 bytes + NUL); no date: the epoch. */
void mb_format_asctime(tc_date d, char out[40]);

/* The date of a From_ line's asctime part ("Wed Feb  9 22:02 MET 2000",
 * "Mon Sep 17 00:00:00 2001"), as UTC.  Returns the byte offset where the
 * date starts, or 0 when the line is not a From_ line. */
size_t mb_from_line(const char *line, size_t len, tc_date *date);

/* ------------------------------------------------------------------ */
/* Encoding (writers)                                                  */
/* ------------------------------------------------------------------ */

/* "Name: value\n" folded at 78 columns; value is raw text when that is
 * exact, else RFC 2047 encoded words (UTF-8, Q or B) that never split a
 * character.  value is UTF-8 of len bytes. */
int mb_put_unstructured(tc_buf *out, const char *name, const char *value, size_t len);

/* Header name for an extra field: prefix + the key with bytes other than
 * [a-z0-9.-] written as _XX (upper-case hex). */
int mb_encode_key(tc_buf *out, const char *prefix, const char *key);
/* Inverse of the above for the part after the prefix; false when malformed. */
bool mb_decode_key(tc_buf *out, const char *s, size_t len);

/* Quoted-printable body (lines end "\n"; soft breaks keep lines <= 76). */
int mb_qp_encode(tc_buf *out, const char *s, size_t len);

enum { MB_MBOXRD = 0, MB_MBOXO = 1, MB_MBOXCL2 = 2, MB_MAILDIR = 3 };

/* The message builder: one post in, one message out. */
typedef struct mb_builder {
    int variant;        /* MB_* */
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
    /* id -> parent id of posts with a parent, for References */
    struct mb_pmap *pmap;
    size_t pmap_count, pmap_cap;
    /* scratch */
    tc_buf tmp, tmp2, enc;
    char why[200];       /* what went wrong when a call fails */
} mb_builder;

void mb_builder_init(mb_builder *b, int variant, bool qp);
void mb_builder_free(mb_builder *b);
int mb_builder_begin_thread(mb_builder *b, const tc_thread *t);
/* Append the message for post to out (From_ line and final blank line
 * included for the mbox variants).  TC_OK or TC_ERR_NOMEM. */
int mb_builder_post(mb_builder *b, const tc_post *p, tc_buf *out);
/* Append the stub message of a thread without posts (when it had none). */
int mb_builder_end_thread(mb_builder *b, tc_buf *out);

/* ------------------------------------------------------------------ */
/* Decoding (reader)                                                   */
/* ------------------------------------------------------------------ */

/* Strip "Re:", "Fwd:", "Fw:" (any case, "Re[2]:" too) and whitespace from
 * the front of a subject; returns how many prefixes were removed. */
size_t mb_strip_reply(const char **s, size_t *len);

/* The maildir writer (maildir.c), listed in the module's descriptor in mbox.c. */
int md_write_open(tc_stream *out, void **state);
int md_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int md_write_post(tc_stream *out, void *state, const tc_post *post);
int md_write_end_thread(tc_stream *out, void *state);
int md_write_finish(tc_stream *out, void *state);
void md_write_close(tc_stream *out, void *state);
extern const tc_option_decl md_options[];

#endif
