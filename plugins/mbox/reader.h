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
 * The reader's state (mb_reader), the layout of the index in the store
 * and a message read back in pass 2 (loaded) are here.  Functions start
 * with mb_ (the fuzz build links every plugin into one program); the
 * types and constants are the reader's alone and keep short names.
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

#define NONE UINT32_MAX
#define BLOCK 65536        /* pass 2 reads the input in blocks of this size, */
#define N_BLOCKS 16        /* and keeps this many (the newest) */
#ifndef INDEX_KB
#define INDEX_KB "8192"    /* default -O mbox.index-memory (a build may change it) */
#endif

/* What the index knows of a message (msg_ix.flags). */
enum {
    F_OURS = 1,    /* has X-Threadconv headers: exempt from subject grouping */
    F_MARKED = 2,  /* X-Threadconv-Id: a post our writer wrote */
    F_START = 4,   /* X-Threadconv-Source: carries the thread header */
    F_STUB = 8,    /* X-Threadconv-Empty-Thread: a thread without posts */
    F_REPLY = 16,  /* the subject starts with Re:/Fwd: */
    F_DUP = 32,    /* its Message-ID was already taken */
    F_CL = 64,     /* delimited by a checked Content-Length: not unquoted */
    F_SEP = 128,   /* a blank line ends it before the next From_ line */
    F_MANY_ID = 256 /* more than one Message-ID header */
};

/* ------------------------------------------------------------------ */
/* From_ lines and subjects (envelope.c)                               */
/* ------------------------------------------------------------------ */

/* The date of a From_ line's asctime part ("Wed Feb  9 22:02 MET 2000",
 * "Mon Sep 17 00:00:00 2001"), as UTC.  Returns the byte offset where the
 * date starts, or 0 when the line is not a From_ line. */
size_t mb_from_line(const char *line, size_t len, tc_date *date);

/* Strip "Re:", "Fwd:", "Fw:" (any case, "Re[2]:" too) and whitespace from
 * the front of a subject; returns how many prefixes were removed. */
size_t mb_strip_reply(const char **s, size_t *len);

/* The reader's probe: how sure it is that head[0..len) is an mbox. */
int mb_probe(const unsigned char *head, size_t len, const char *name);

/* ------------------------------------------------------------------ */
/* The index (kept in the store)                                      */
/* ------------------------------------------------------------------ */

/* Regions of the store.  Links are stored plus one, so that the zeros of
 * never-written bytes read as "none". */
enum {
    R_MSG,    /* msg_ix per message */
    R_CTR,    /* JWZ container per Message-ID or reference: ctr_ix */
    R_TAB,    /* id hash table (pass 1 only): {container + 1, tag} */
    R_IDS,    /* the ids: uint32 length, bytes */
    R_SUBJ,   /* subjects of others' messages: uint64 hash, uint32 length, bytes */
    R_TREE,   /* per container: its root + 1, the root's thread + 1 */
    R_THREAD, /* per thread: its first message, its last message + 1 */
    R_STAB    /* subject hash table (index.c, subj_ent) */
};

typedef struct msg_ix {
    uint64_t off;    /* the From_ line */
    uint64_t line;   /* its line number */
    uint64_t subj;   /* R_SUBJ offset + 1 of its subject (others' messages), 0: none */
    uint32_t ctr;    /* its container */
    uint32_t parent; /* message index of the parent post, NONE */
    uint32_t next;   /* next message of the same thread, NONE */
    uint16_t flags;
    uint16_t sep;    /* bytes between its end and the next From_ line (F_SEP) */
} msg_ix;

typedef struct ctr_ix {
    uint32_t parent; /* container, NONE */
    uint32_t msg;    /* message, NONE: an empty container */
    uint64_t id;     /* R_IDS offset + 1 of its id, 0: none (a message without one) */
} ctr_ix;

/* ------------------------------------------------------------------ */
/* Header fields (header.c)                                            */
/* ------------------------------------------------------------------ */

/* One header of a loaded message or part: name in the raw text, value
 * unfolded into vals. */
typedef struct hdr {
    size_t name, name_len;
    size_t val, val_len;
    uint64_t line; /* 0-based line within the text */
    int kind;      /* K_* */
} hdr;

/* The headers the reader looks at, found by kind (mb_header_kind). */
enum {
    K_OTHER, K_FROM, K_DATE, K_SUBJECT, K_TO, K_CC, K_MSGID, K_REFS, K_IRT, K_CTYPE, K_CTE,
    K_CDISP, K_CLEN, K_XID, K_XPARENT, K_XDATE, K_XSOURCE, K_XTHREAD_ID, K_XTHREAD_URL,
    K_XEMPTY, K_XEXTRA, K_XTHREAD_EXTRA, K_COUNT
};

typedef struct hdrs {
    hdr *h;
    size_t n, cap;
    tc_buf vals;
    size_t body;        /* offset of the body in the text */
    int first[K_COUNT]; /* index of the first header of each kind, -1: none */
} hdrs;

#define HVAL(hs, h) ((hs)->vals.data + (h)->val)

/* The length of a header name at s ("Name:"), 0 when the line is not a
 * header field. */
size_t mb_header_name(const char *s, size_t n);
/* The kind (K_*) of header name s[0..n). */
int mb_header_kind(const char *s, size_t n);
/* Parse the header block at the start of s[0..n) into out (reused). */
int mb_parse_headers(const char *s, size_t n, hdrs *out);
void mb_hdrs_free(hdrs *h);

static inline const hdr *mb_find_hdr(const hdrs *h, int kind)
{
    return h->first[kind] < 0 ? NULL : &h->h[h->first[kind]];
}

/* The next "<...>" token from i: *id NULL when there is none.  Returns the
 * position after it. */
size_t mb_next_id(const char *s, size_t n, size_t i, const char **id, size_t *idn);
/* Blanks, CR and LF off both ends. */
void mb_trim(const char **s, size_t *n);

/* ------------------------------------------------------------------ */
/* The reader                                                          */
/* ------------------------------------------------------------------ */

/* A message read back in pass 2. */
typedef struct loaded {
    uint32_t index;
    uint16_t flags;
    bool full;       /* the whole message, not only its headers */
    uint64_t line;   /* of its From_ line */
    tc_buf raw;      /* the From_ line, then the text (see load in read.c) */
    size_t base;     /* where the text starts in raw */
    size_t from_len; /* the From_ line's length, without its line end */
    hdrs hs;
} loaded;

#define TEXT(l) ((l)->raw.data + (l)->base)
#define TEXT_LEN(l) ((l)->raw.len - (l)->base)

typedef struct mb_reader {
    size_t max;
    bool crlf;
    int unquote; /* 0: never; 1: mboxo, one '>' off "^>From "; 2: mboxrd, "^>+From " */
    mb_store *ix;
    uint32_t n_msgs, n_ctrs, n_threads;
    uint64_t tab_base;  /* the id table: where it starts in R_TAB, slots, used */
    size_t tab_cap, tab_n;
    uint64_t ids_end, subj_end;
    uint64_t start, eof; /* where the input starts and ends */

    /* pass 2 */
    struct block {
        uint64_t off;    /* where it starts in the input, UINT64_MAX: unused */
        size_t len;      /* BLOCK, or less at the end */
        uint64_t used;   /* when it was last used */
        char *data;
    } blocks[N_BLOCKS];
    uint64_t clock;
    uint32_t cur_thread;
    uint32_t next_msg;
    loaded cur, aux;
    tc_buf t_title, t_source, t_id, t_url;
    tc_thread thread;
    tc_buf p_id, p_author, p_body, p_parent, p_addr;
    tc_post post;
    tc_buf tmp, tmp2, dec;
    tc_buf param[3]; /* Content-Type parameters */
    /* the MIME walk of the current message (mime.c) */
    bool have_body;
    unsigned leaf;
    const char *fb_text; /* first text/ part that is not text/plain */
    size_t fb_len;
    char fb_cte[32], fb_charset[64];
} mb_reader;

static inline msg_ix mb_msg_get(mb_reader *st, uint32_t m)
{
    msg_ix x;
    mb_store_read(st->ix, R_MSG, (uint64_t)m * sizeof x, &x, sizeof x);
    x.parent--;
    x.next--;
    return x;
}

static inline ctr_ix mb_ctr_get(mb_reader *st, uint32_t c)
{
    ctr_ix x;
    mb_store_read(st->ix, R_CTR, (uint64_t)c * sizeof x, &x, sizeof x);
    x.parent--;
    x.msg--;
    return x;
}

/* R_THREAD: a thread's first and last message. */
static inline void mb_thread_get(mb_reader *st, uint32_t th, uint32_t *first, uint32_t *last)
{
    uint32_t v[2];
    mb_store_read(st->ix, R_THREAD, (uint64_t)th * sizeof v, v, sizeof v);
    *first = v[0];
    *last = v[1] - 1;
}

static inline int mb_nomem(tc_stream *s)
{
    return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* The store's error, reported once it happened. */
static inline int mb_index_check(tc_stream *in, mb_reader *st)
{
    const char *why = mb_store_error(st->ix);
    return why ? tc_stream_error(in, st->ix->code, 0, 0, "%s", why) : TC_OK;
}

/* Pass 1 and threading (index.c): from then on R_MSG, R_CTR, R_IDS and
 * R_THREAD hold every message, its parent and its thread.  TC_OK or an
 * error (set on in). */
int mb_index_build(tc_stream *in, mb_reader *st);

/* The body of message l (st->cur) into st->p_body, its other parts named
 * in st->post.extras (mime.c).  TC_ERR_DATA (set on in) when the body
 * cannot be decoded. */
int mb_mime_body(tc_stream *in, mb_reader *st, const loaded *l);

/* The plugin's reader callbacks (read.c). */
int mb_read_open(tc_stream *in, void **state);
int mb_read_next_thread(tc_stream *in, void *state, const tc_thread **thread);
int mb_read_next_post(tc_stream *in, void *state, const tc_post **post);
void mb_read_close(tc_stream *in, void *state);

#endif
