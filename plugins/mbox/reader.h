/*
 * reader.h - the mbox reader's own interface between its files:
 *
 *   index.c   pass 1: reads the mailbox once and builds the index (an
 *             entry per message, JWZ containers), then groups it into
 *             threads;
 *   read.c    pass 2: loads one message at a time and makes it a post;
 *   mime.c    finds the body among a message's MIME parts and decodes it;
 *   header.c  header fields: names, the kinds the reader looks at, ids,
 *             a header block parsed;
 *   envelope.c  From_ lines, the probe, subjects' reply prefixes;
 *   store.c   the page cache over a temporary file the index lives in.
 *
 * The reader's state (mbox_reader), the layout of the index in the store
 * and a message read back in pass 2 (mbox_loaded) are here.  Every name
 * starts with mbox_ or MBOX_ (the fuzz build and test_modules link every
 * module into one program).
 * Private to plugins/mbox; mail.h says how the module's files layer:
 * the reader never includes writer.h.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_MBOX_READER_H
#define TC_MBOX_READER_H

#include "mail.h"
#include "store.h"

#include <threadconv/mail.h>
#include <threadconv/plugin.h>

#define MBOX_NONE UINT32_MAX
#define MBOX_BLOCK 65536        /* pass 2 reads the input in blocks of this size, */
#define MBOX_N_BLOCKS 16        /* and keeps this many (the newest) */
#ifndef MBOX_INDEX_KB
#define MBOX_INDEX_KB "8192"    /* default -O mbox.index-memory (a build may change it) */
#endif

/* What the index knows of a message (mbox_msg.flags). */
enum {
    MBOX_F_OURS = 1,    /* has X-Threadconv headers: exempt from subject grouping */
    MBOX_F_MARKED = 2,  /* X-Threadconv-Id: a post our writer wrote */
    MBOX_F_START = 4,   /* X-Threadconv-Source: carries the thread header */
    MBOX_F_STUB = 8,    /* X-Threadconv-Empty-Thread: a thread without posts */
    MBOX_F_REPLY = 16,  /* the subject starts with Re:/Fwd: */
    MBOX_F_DUP = 32,    /* its Message-ID was already taken */
    MBOX_F_CL = 64,     /* delimited by a checked Content-Length: not unquoted */
    MBOX_F_SEP = 128,   /* a blank line ends it before the next From_ line */
    MBOX_F_MANY_ID = 256 /* more than one Message-ID header */
};

/* ------------------------------------------------------------------ */
/* From_ lines and subjects (envelope.c)                               */
/* ------------------------------------------------------------------ */

/* The date of a From_ line's asctime part ("Wed Feb  9 22:02 MET 2000",
 * "Mon Sep 17 00:00:00 2001"), as UTC.  Returns the byte offset where the
 * date starts, or 0 when the line is not a From_ line. */
size_t mbox_from_line(const char *line, size_t len, tc_date *date);

/* What a line that starts "From " is (mbox_separator): a From_ line with
 * a date (*date set, as mbox_from_line), or one without (Netscape's and
 * Thunderbird's "From - ", "From 1844...@xxx", a date the reader cannot
 * read), which starts a message only after a blank line and before a
 * header block (index.c). */
enum { MBOX_SEP_NONE, MBOX_SEP_BARE, MBOX_SEP_DATED };
int mbox_separator(const char *line, size_t len, tc_date *date);
/* Whether header name s[0..n) is of a field that messages have and text
 * seldom starts a line with (From, Date, Received, Return-Path, ...):
 * what tells a header block after a From_ line without a date. */
bool mbox_message_field(const char *s, size_t n);

/* Strip "Re:", "Fwd:", "Fw:" (any case, "Re[2]:" too) and whitespace from
 * the front of a subject; returns how many prefixes were removed. */
size_t mbox_strip_reply(const char **s, size_t *len);

/* The reader's probe: how sure it is that head[0..len) is an mbox. */
int mbox_read_probe(const unsigned char *head, size_t len, const char *name);

/* ------------------------------------------------------------------ */
/* The index (kept in the store)                                      */
/* ------------------------------------------------------------------ */

/* Regions of the store.  Links are stored plus one, so that the zeros of
 * never-written bytes read as "none". */
enum {
    MBOX_R_MSG,    /* mbox_msg per message */
    MBOX_R_CTR,    /* JWZ container per Message-ID or reference: mbox_ctr */
    MBOX_R_TAB,    /* id hash table (pass 1 only): {container + 1, tag} */
    MBOX_R_IDS,    /* the ids: uint32 length, bytes */
    MBOX_R_SUBJ,   /* subjects of others' messages: uint64 hash, uint32 length, bytes */
    MBOX_R_TREE,   /* per container: its root + 1, the root's thread + 1 */
    MBOX_R_THREAD, /* per thread: its first message, its last message + 1 */
    MBOX_R_STAB,   /* subject hash table (index.c, subj_ent) */
    MBOX_R_LINK    /* pass 1, per container: its node of the link-cut tree (index.c) */
};

typedef struct mbox_msg {
    uint64_t off;    /* the From_ line */
    uint64_t line;   /* its line number */
    uint64_t subj;   /* MBOX_R_SUBJ offset + 1 of its subject (others' messages), 0: none */
    uint32_t ctr;    /* its container */
    uint32_t parent; /* message index of the parent post, MBOX_NONE */
    uint32_t next;   /* next message of the same thread, MBOX_NONE */
    uint16_t flags;
    uint16_t sep;    /* bytes between its end and the next From_ line (MBOX_F_SEP) */
} mbox_msg;

typedef struct mbox_ctr {
    uint32_t parent; /* container, MBOX_NONE */
    uint32_t msg;    /* message, MBOX_NONE: an empty container */
    uint64_t id;     /* MBOX_R_IDS offset + 1 of its id, 0: none (a message without one) */
} mbox_ctr;

/* ------------------------------------------------------------------ */
/* Header fields (header.c)                                            */
/* ------------------------------------------------------------------ */

/* One header of a loaded message or part: name in the raw text, value
 * unfolded into vals. */
typedef struct mbox_hdr {
    size_t name, name_len;
    size_t val, val_len;
    uint64_t line; /* 0-based line within the text */
    int kind;      /* MBOX_K_* */
} mbox_hdr;

/* The headers the reader looks at, found by kind (mbox_header_kind). */
enum {
    MBOX_K_OTHER, MBOX_K_FROM, MBOX_K_DATE, MBOX_K_SUBJECT, MBOX_K_TO, MBOX_K_CC,
    MBOX_K_MSGID, MBOX_K_REFS, MBOX_K_IRT, MBOX_K_CTYPE, MBOX_K_CTE, MBOX_K_CDISP,
    MBOX_K_CLEN, MBOX_K_XID, MBOX_K_XPARENT, MBOX_K_XDATE, MBOX_K_XSOURCE,
    MBOX_K_XTHREAD_ID, MBOX_K_XTHREAD_URL, MBOX_K_XEMPTY, MBOX_K_XEXTRA,
    MBOX_K_XTHREAD_EXTRA, MBOX_K_CID, MBOX_K_COUNT
};

typedef struct mbox_hdrs {
    mbox_hdr *h;
    size_t n, cap;
    tc_buf vals;
    size_t body;        /* offset of the body in the text */
    int first[MBOX_K_COUNT]; /* index of the first header of each kind, -1: none */
} mbox_hdrs;

#define MBOX_HVAL(hs, h) ((hs)->vals.data + (h)->val)

/* The length of a header name at s ("Name:"), 0 when the line is not a
 * header field. */
size_t mbox_header_name(const char *s, size_t n);
/* The kind (MBOX_K_*) of header name s[0..n). */
int mbox_header_kind(const char *s, size_t n);
/* Parse the header block at the start of s[0..n) into out (reused). */
int mbox_parse_headers(const char *s, size_t n, mbox_hdrs *out);
void mbox_hdrs_free(mbox_hdrs *h);

static inline const mbox_hdr *mbox_find_hdr(const mbox_hdrs *h, int kind)
{
    return h->first[kind] < 0 ? NULL : &h->h[h->first[kind]];
}

/* The next "<...>" token from i: *id NULL when there is none.  Returns the
 * position after it. */
size_t mbox_next_id(const char *s, size_t n, size_t i, const char **id, size_t *idn);
/* Blanks, CR and LF off both ends. */
void mbox_trim(const char **s, size_t *n);

/* ------------------------------------------------------------------ */
/* The reader                                                          */
/* ------------------------------------------------------------------ */

/* Where a MIME part is (mime.c): its nearest multipart/alternative (an id,
 * 0: none), which part of it, whether it is the first leaf there; its
 * nearest multipart/related and whether it is that one's first leaf. */
typedef struct mbox_place {
    uint32_t alt, alt_child, rel;
    bool alt_first, rel_root;
} mbox_place;

/* A message read back in pass 2. */
typedef struct mbox_loaded {
    uint32_t index;
    uint16_t flags;
    bool full;       /* the whole message, not only its headers */
    uint64_t line;   /* of its From_ line */
    tc_buf raw;      /* the From_ line, then the text (see load in read.c) */
    size_t base;     /* where the text starts in raw */
    size_t from_len; /* the From_ line's length, without its line end */
    mbox_hdrs hs;
} mbox_loaded;

#define MBOX_TEXT(l) ((l)->raw.data + (l)->base)
#define MBOX_TEXT_LEN(l) ((l)->raw.len - (l)->base)

typedef struct mbox_reader {
    size_t max;
    bool crlf;
    int unquote; /* 0: never; 1: mboxo, one '>' off "^>From "; 2: mboxrd, "^>+From " */
    mbox_store *ix;
    uint32_t n_msgs, n_ctrs, n_threads;
    uint64_t tab_base;  /* the id table: where it starts in MBOX_R_TAB, slots, used */
    size_t tab_cap, tab_n;
    uint64_t ids_end, subj_end;
    uint64_t start, eof; /* where the input starts and ends */

    /* pass 2 */
    struct mbox_block {
        uint64_t off;    /* where it starts in the input, UINT64_MAX: unused */
        size_t len;      /* MBOX_BLOCK, or less at the end */
        uint64_t used;   /* when it was last used */
        char *data;
    } blocks[MBOX_N_BLOCKS];
    uint64_t clock;
    uint32_t cur_thread;
    uint32_t next_msg;
    uint32_t posts_out;  /* posts of the current thread handed out */
    mbox_loaded cur, aux;
    tc_buf t_title, t_source, t_id, t_url;
    tc_thread thread;
    tc_buf p_id, p_author, p_body, p_parent, p_addr;
    tc_post post;
    tc_buf tmp, tmp2, dec;
    tc_buf param[3]; /* Content-Type parameters */
    /* the MIME walk of the current message (mime.c) */
    mbox_hdrs part_hs;          /* a part's headers */
    struct mbox_frame *frames;  /* the multiparts the walk is in, outermost first */
    size_t n_frames, cap_frames;
    uint32_t frame_ids;
    bool have_body;
    mbox_place body_place;
    struct mbox_att *atts;      /* the post's attachments as the walk finds them */
    size_t n_atts, cap_atts;
    tc_attachment *tatts;       /* ... handed out (pointers into att_text, att_data) */
    size_t cap_tatts;
    tc_buf att_text, att_data;  /* their strings (NUL-terminated) and bytes */
    tc_buf ename, ecid;         /* the current part's file name and Content-ID */
    tc_buf x_alt, x_rel, x_charset, x_undec; /* extra fields made by the walk */
} mbox_reader;

static inline mbox_msg mbox_msg_get(mbox_reader *st, uint32_t m)
{
    mbox_msg x;
    mbox_store_read(st->ix, MBOX_R_MSG, (uint64_t)m * sizeof x, &x, sizeof x);
    x.parent--;
    x.next--;
    return x;
}

static inline mbox_ctr mbox_ctr_get(mbox_reader *st, uint32_t c)
{
    mbox_ctr x;
    mbox_store_read(st->ix, MBOX_R_CTR, (uint64_t)c * sizeof x, &x, sizeof x);
    x.parent--;
    x.msg--;
    return x;
}

/* MBOX_R_THREAD: a thread's first and last message. */
static inline void mbox_thread_get(mbox_reader *st, uint32_t th, uint32_t *first, uint32_t *last)
{
    uint32_t v[2];
    mbox_store_read(st->ix, MBOX_R_THREAD, (uint64_t)th * sizeof v, v, sizeof v);
    *first = v[0];
    *last = v[1] - 1;
}

static inline int mbox_nomem(tc_stream *s)
{
    return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* The store's error, reported once it happened. */
static inline int mbox_index_check(tc_stream *in, mbox_reader *st)
{
    const char *why = mbox_store_error(st->ix);
    return why ? tc_stream_error(in, st->ix->code, 0, 0, "%s", why) : TC_OK;
}

/* Pass 1 and threading (index.c): from then on MBOX_R_MSG, MBOX_R_CTR, MBOX_R_IDS and
 * MBOX_R_THREAD hold every message, its parent and its thread.  TC_OK or an
 * error (set on in). */
int mbox_index_build(tc_stream *in, mbox_reader *st);

/* The body of message l (st->cur) into st->p_body and its other parts into
 * st->post.attachments (mime.c); st->x_alt, x_rel, x_charset and x_undec
 * hold the values of mbox.alternative, mbox.related, mbox.charset and
 * mbox.undecodable ("" when there is none).  Nothing in a message's
 * content is an error: what cannot be decoded is a warning.  TC_ERR_DATA
 * (set on in) only when the text made from an HTML body is over max-post. */
int mbox_mime_body(tc_stream *in, mbox_reader *st, const mbox_loaded *l);
/* What mime.c holds, freed (mbox_read_close). */
void mbox_mime_free(mbox_reader *st);
/* The note "what: N bytes not valid in CHARSET read as ISO-8859-1" (or a
 * note of another kind) added to st->x_undec, "; " between notes. */
int mbox_undecodable_note(mbox_reader *st, const char *note);

/* The plugin's reader callbacks (read.c). */
int mbox_read_open(tc_stream *in, void **state);
int mbox_read_next_thread(tc_stream *in, void *state, const tc_thread **thread);
int mbox_read_next_post(tc_stream *in, void *state, const tc_post **post);
void mbox_read_close(tc_stream *in, void *state);

#endif
