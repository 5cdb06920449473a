/*
 * mbox.c - the "mbox" reader and writer.
 *
 * Writer: one message per post (build.c), mboxrd by default
 * (-O mbox.variant=mboxo|mboxcl2), 8bit or quoted-printable bodies
 * (-O mbox.encoding=quoted-printable).
 *
 * Reader, in two passes, so that memory depends neither on the size of
 * the messages nor on how many there are:
 *   pass 1 (read_open) scans the file once, line by line, and keeps an
 *          index entry per message (where it starts, a few flags, its
 *          subject); each message is linked into the JWZ containers as
 *          soon as its headers end, so only the current message's
 *          references are held.  Then one walk over the index groups the
 *          containers into threads;
 *   pass 2 goes to each message of each thread in turn, through a small
 *          cache of input blocks (a thread's messages, and the first
 *          messages of neighbouring threads, are mostly near each other),
 *          decodes it (headers, MIME, transfer encodings, charsets) and
 *          hands out one post.
 * The index lives in the store below: a page cache of -O mbox.index-memory
 * KiB over an unlinked temporary file.  Message-IDs and subjects are found
 * by their hashes and then compared as strings: equal hashes never join
 * different ids or subjects.
 * Messages our writer wrote (X-Threadconv-* headers) come back exactly.
 * doc/formats.md ("mbox / maildir") states every rule.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mail.h"

#include <threadconv/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NONE UINT32_MAX
#define MAX_REFS 64        /* references kept per message (the newest) */
#define MAX_DEPTH 100      /* MIME nesting */
#define BLOCK 65536        /* pass 2 reads the input in blocks of this size, */
#define N_BLOCKS 16        /* and keeps this many (the newest) */
#ifndef INDEX_KB
#define INDEX_KB "8192"    /* default -O mbox.index-memory (a build may change it) */
#endif

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
/* The index store                                                     */
/* ------------------------------------------------------------------ */

/*
 * A few growing byte regions, each an address space of its own starting
 * at 0, kept in a page cache of at most -O mbox.index-memory bytes and
 * beyond it in an unlinked temporary file ($TMPDIR, else /tmp), so the
 * reader's memory stays the same however many messages a mailbox holds.
 * Page p of region r is page p * REGIONS + r of the file (regions
 * interleaved page by page; pages never written are holes and read as
 * zeros).  Nothing is written until the cache is full: a mailbox whose
 * index fits never touches the disk.  The cache evicts with the CLOCK
 * algorithm (a page used since the hand last passed gets another round),
 * writing a page back only when it changed.  The two pages each region
 * used last are found without a lookup.
 *
 * Errors (no memory for a page; the file cannot be made, written or
 * read) are sticky: from then on reads give zeros and writes are dropped,
 * and store_error says what happened.  Callers check it after each phase;
 * zeros read as "no link" everywhere, so no walk loops on them.
 */
#define REGIONS 8
#define PAGE_SHIFT 12
#define PAGE ((size_t)1 << PAGE_SHIFT)

typedef struct page {
    uint64_t key;          /* global page number + 1; 0: the slot is free */
    unsigned char *data;   /* PAGE bytes, allocated when the slot is first used */
    bool dirty, ref;
} page;

typedef struct hot {
    uint64_t pno1;         /* the page's number in its region + 1, 0: none */
    page *p;
} hot;

typedef struct store {
    hot recent[REGIONS][2]; /* the two pages each region used last, newest first */
    page *slots;
    size_t n_slots, n_used, hand;
    uint32_t *index;       /* open addressing, linear probing: slot + 1, 0 empty */
    size_t index_mask;
    uint64_t written[REGIONS]; /* pages of a region below this may be in the file */
    int fd;                /* -1 until a page is written out */
    int code;              /* the first error: TC_ERR_NOMEM or TC_ERR_DATA, */
    char why[300];         /* and what it was ("" while none) */
    unsigned char sink[PAGE]; /* after an error: zeros, writes dropped */
} store;

static store *store_new(size_t budget)
{
    store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->n_slots = budget / PAGE;
    if (s->n_slots < 4)
        s->n_slots = 4;
    size_t isize = 8;
    while (isize < s->n_slots * 2)
        isize *= 2;
    s->slots = calloc(s->n_slots, sizeof *s->slots);
    s->index = calloc(isize, sizeof *s->index);
    if (s->slots == NULL || s->index == NULL) {
        free(s->slots);
        free(s->index);
        free(s);
        return NULL;
    }
    s->index_mask = isize - 1;
    s->fd = -1;
    return s;
}

static void store_free(store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_slots; i++)
        free(s->slots[i].data);
    free(s->slots);
    free(s->index);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

static const char *store_error(const store *s)
{
    return s->why[0] ? s->why : NULL;
}

static void fail(store *s, const char *what, int err)
{
    if (s->why[0] == '\0') {
        s->code = err == ENOMEM ? TC_ERR_NOMEM : TC_ERR_DATA;
        snprintf(s->why, sizeof s->why, "%s: %s", what, strerror(err));
    }
}

static size_t slot_hash(uint64_t key)
{
    key *= 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 32);
}

/* Remove key from the index (backward-shift deletion keeps probe runs whole). */
static void index_remove(store *s, uint64_t key)
{
    size_t mask = s->index_mask, i = slot_hash(key) & mask;
    while (s->index[i] && s->slots[s->index[i] - 1].key != key)
        i = (i + 1) & mask;
    if (s->index[i] == 0)
        return;
    size_t hole = i;
    for (size_t j = (i + 1) & mask; s->index[j]; j = (j + 1) & mask) {
        size_t home = slot_hash(s->slots[s->index[j] - 1].key) & mask;
        /* move j into the hole unless its home lies cyclically in (hole, j] */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            s->index[hole] = s->index[j];
            hole = j;
        }
    }
    s->index[hole] = 0;
}

static uint64_t file_offset(uint64_t key)
{
    uint64_t g = key - 1; /* the global page: region in the low part, see global_page */
    return g << PAGE_SHIFT;
}

static bool open_file(store *s)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    snprintf(path, sizeof path, "%s/threadconv-mbox-index-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        s->code = TC_ERR_DATA;
        snprintf(s->why, sizeof s->why,
                 "cannot create a temporary file in %.200s for the mbox index: %s", dir,
                 strerror(errno));
        return false;
    }
    unlink(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    s->fd = fd;
    return true;
}

static void write_back(store *s, page *p)
{
    if (!p->dirty)
        return;
    p->dirty = false;
    if (s->why[0] || (s->fd < 0 && !open_file(s)))
        return;
    uint64_t off = file_offset(p->key);
    size_t done = 0;
    while (done < PAGE) {
        ssize_t n = pwrite(s->fd, p->data + done, PAGE - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(s, "cannot write the mbox index to a temporary file", n < 0 ? errno : ENOSPC);
            return;
        }
        done += (size_t)n;
    }
    uint64_t g = p->key - 1;
    unsigned r = (unsigned)(g % REGIONS);
    uint64_t pno = g / REGIONS;
    if (s->written[r] <= pno)
        s->written[r] = pno + 1;
}

static void fill(store *s, page *p)
{
    uint64_t g = p->key - 1;
    unsigned r = (unsigned)(g % REGIONS);
    if (s->fd < 0 || g / REGIONS >= s->written[r]) {
        memset(p->data, 0, PAGE); /* never written out: still zeros */
        return;
    }
    uint64_t off = file_offset(p->key);
    size_t done = 0;
    while (done < PAGE) {
        ssize_t n = pread(s->fd, p->data + done, PAGE - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(s, "cannot read the mbox index back from its temporary file", errno);
            break;
        }
        if (n == 0)
            break; /* past the end of the file: a hole */
        done += (size_t)n;
    }
    memset(p->data + done, 0, PAGE - done);
}

/* The page is leaving its slot: the fast path must not find it. */
static void forget_hot(store *s, const page *p)
{
    hot *h = s->recent[(p->key - 1) % REGIONS];
    for (int k = 0; k < 2; k++)
        if (h[k].p == p)
            h[k].pno1 = 0;
}

/* The slot to reuse: a free one, else the CLOCK victim, written back. */
static page *victim(store *s)
{
    if (s->n_used < s->n_slots) {
        page *p = &s->slots[s->n_used++];
        if (p->data == NULL && (p->data = malloc(PAGE)) == NULL) {
            s->n_used--;
            fail(s, "cannot hold the mbox index", ENOMEM);
            return NULL;
        }
        return p;
    }
    for (;;) {
        page *p = &s->slots[s->hand];
        s->hand = s->hand + 1 == s->n_slots ? 0 : s->hand + 1;
        if (p->key == 0)
            return p; /* dropped: free */
        if (p->ref) {
            p->ref = false;
            continue;
        }
        write_back(s, p);
        index_remove(s, p->key);
        forget_hot(s, p);
        p->key = 0;
        return p;
    }
}

/* The data of global page g (region in its low bits). */
static unsigned char *page_data(store *s, uint64_t g, bool write)
{
    unsigned r = (unsigned)(g % REGIONS);
    uint64_t key = g + 1;
    hot *h = s->recent[r];
    page *p;
    size_t mask = s->index_mask, i = slot_hash(key) & mask;
    while (s->index[i] && s->slots[s->index[i] - 1].key != key)
        i = (i + 1) & mask;
    if (s->index[i]) {
        p = &s->slots[s->index[i] - 1];
    } else {
        if (s->why[0] || (p = victim(s)) == NULL)
            goto sink;
        p->key = key;
        fill(s, p);
        /* the victim's removal may have moved entries: probe again */
        for (i = slot_hash(key) & mask; s->index[i]; i = (i + 1) & mask)
            ;
        s->index[i] = (uint32_t)(p - s->slots) + 1;
        if (s->why[0])
            goto sink;
    }
    if (h[0].p != p || h[0].pno1 == 0) { /* the newest first */
        h[1] = h[0];
        h[0] = (hot){g / REGIONS + 1, p};
    }
    p->ref = true;
    if (write)
        p->dirty = true;
    return p->data;
sink:
    memset(s->sink, 0, PAGE);
    return s->sink;
}

static uint64_t global_page(unsigned region, uint64_t off)
{
    return (off >> PAGE_SHIFT) * REGIONS + region;
}

static void store_read_any(store *s, unsigned region, uint64_t off, void *dst, size_t len)
{
    unsigned char *d = dst;
    while (len > 0) {
        size_t in = (size_t)(off & (PAGE - 1));
        size_t k = PAGE - in < len ? PAGE - in : len;
        memcpy(d, page_data(s, global_page(region, off), false) + in, k);
        d += k;
        off += k;
        len -= k;
    }
}

static void store_write_any(store *s, unsigned region, uint64_t off, const void *src,
                            size_t len)
{
    const unsigned char *p = src;
    while (len > 0) {
        size_t in = (size_t)(off & (PAGE - 1));
        size_t k = PAGE - in < len ? PAGE - in : len;
        memcpy(page_data(s, global_page(region, off), true) + in, p, k);
        p += k;
        off += k;
        len -= k;
    }
}

static bool store_equal(store *s, unsigned region, uint64_t off, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        size_t in = (size_t)(off & (PAGE - 1));
        size_t k = PAGE - in < len ? PAGE - in : len;
        if (memcmp(page_data(s, global_page(region, off), false) + in, p, k) != 0)
            return false;
        p += k;
        off += k;
        len -= k;
    }
    return true;
}

static void store_drop(store *s, unsigned region, uint64_t off, uint64_t len)
{
    /* whole pages inside [off, off + len) are forgotten, never written */
    uint64_t first = (off + PAGE - 1) >> PAGE_SHIFT, end = (off + len) >> PAGE_SHIFT;
    if (end <= first)
        return;
    if (end - first > s->n_slots) {
        for (size_t i = 0; i < s->n_used; i++) {
            page *p = &s->slots[i];
            if (p->key == 0)
                continue;
            uint64_t g = p->key - 1, pno = g / REGIONS;
            if (g % REGIONS == region && pno >= first && pno < end) {
                forget_hot(s, p);
                index_remove(s, p->key);
                p->key = 0;
                p->dirty = p->ref = false;
            }
        }
    } else {
        size_t mask = s->index_mask;
        for (uint64_t pno = first; pno < end; pno++) {
            uint64_t key = pno * REGIONS + region + 1;
            size_t i = slot_hash(key) & mask;
            while (s->index[i] && s->slots[s->index[i] - 1].key != key)
                i = (i + 1) & mask;
            if (s->index[i]) {
                page *p = &s->slots[s->index[i] - 1];
                forget_hot(s, p);
                index_remove(s, key);
                p->key = 0;
                p->dirty = p->ref = false;
            }
        }
    }
}

/* The hot page holding region bytes [off, off + len), NULL if none. */
static inline page *hot_page(store *s, unsigned region, uint64_t off, size_t len)
{
    hot *h = s->recent[region];
    uint64_t pno1 = (off >> PAGE_SHIFT) + 1;
    if ((off & (PAGE - 1)) + len > PAGE)
        return NULL;
    return h[0].pno1 == pno1 ? h[0].p : h[1].pno1 == pno1 ? h[1].p : NULL;
}

static inline void store_read(store *s, unsigned region, uint64_t off, void *dst, size_t len)
{
    page *p = hot_page(s, region, off, len);
    if (p) {
        p->ref = true;
        memcpy(dst, p->data + (off & (PAGE - 1)), len);
    } else {
        store_read_any(s, region, off, dst, len);
    }
}

static inline void store_write(store *s, unsigned region, uint64_t off, const void *src,
                               size_t len)
{
    page *p = hot_page(s, region, off, len);
    if (p) {
        p->ref = p->dirty = true;
        memcpy(p->data + (off & (PAGE - 1)), src, len);
    } else {
        store_write_any(s, region, off, src, len);
    }
}

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
    R_STAB    /* subject hash table: subj_ent */
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

typedef struct subj_ent {
    uint64_t hash;
    uint64_t subj;   /* R_SUBJ offset + 1 of the subject, 0: an empty slot */
    uint32_t thread, anchor;
} subj_ent;

/* One header of a loaded message or part: name in the raw text, value
 * unfolded into vals. */
typedef struct hdr {
    size_t name, name_len;
    size_t val, val_len;
    uint64_t line; /* 0-based line within the text */
    int kind;      /* K_* */
} hdr;

/* The headers the reader looks at, found by kind (classify). */
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

/* A message read back in pass 2. */
typedef struct loaded {
    uint32_t index;
    uint16_t flags;
    bool full;       /* the whole message, not only its headers */
    uint64_t line;   /* of its From_ line */
    tc_buf raw;      /* the From_ line, then the text (see load) */
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
    store *ix;
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
    /* the MIME walk of the current message */
    bool have_body;
    unsigned leaf;
    const char *fb_text; /* first text/ part that is not text/plain */
    size_t fb_len;
    char fb_cte[32], fb_charset[64];
} mb_reader;

static msg_ix msg_get(mb_reader *st, uint32_t m)
{
    msg_ix x;
    store_read(st->ix, R_MSG, (uint64_t)m * sizeof x, &x, sizeof x);
    x.parent--;
    x.next--;
    return x;
}

static void msg_put(mb_reader *st, uint32_t m, msg_ix x)
{
    x.parent++;
    x.next++;
    store_write(st->ix, R_MSG, (uint64_t)m * sizeof x, &x, sizeof x);
}

static ctr_ix ctr_get(mb_reader *st, uint32_t c)
{
    ctr_ix x;
    store_read(st->ix, R_CTR, (uint64_t)c * sizeof x, &x, sizeof x);
    x.parent--;
    x.msg--;
    return x;
}

static void ctr_put(mb_reader *st, uint32_t c, ctr_ix x)
{
    x.parent++;
    x.msg++;
    store_write(st->ix, R_CTR, (uint64_t)c * sizeof x, &x, sizeof x);
}

static uint32_t ctr_parent(mb_reader *st, uint32_t c)
{
    uint32_t p;
    store_read(st->ix, R_CTR, (uint64_t)c * sizeof(ctr_ix), &p, sizeof p);
    return p - 1;
}

/* The end of message m: the next From_ line (or the end of the input),
 * less the blank line before it. */
static uint64_t msg_end(mb_reader *st, uint32_t m, const msg_ix *x)
{
    uint64_t next = st->eof;
    if (m + 1 < st->n_msgs)
        store_read(st->ix, R_MSG, (uint64_t)(m + 1) * sizeof *x, &next, sizeof next);
    return next - x->sep;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int nomem(tc_stream *s)
{
    return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* The store's error, reported once it happened. */
static int store_check(tc_stream *in, mb_reader *st)
{
    const char *why = store_error(st->ix);
    return why ? tc_stream_error(in, st->ix->code, 0, 0, "%s", why) : TC_OK;
}

static bool starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && mb_ieq(s, k, prefix);
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                      (*s)[*n - 1] == '\n'))
        (*n)--;
}

/* The length of a header name at s ("Name:"), 0 when the line is not a
 * header field.  Eight bytes at a time while none of them is a ':' or a
 * byte no name holds (below 33 or above 126); the bit tricks are exact
 * tests for "some byte of x is below n" and "above n". */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define HAS_BELOW(x, n) (((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_ABOVE(x, n) ((((x) + ONES * (127 - (n))) | (x)) & HIGHS)
static size_t header_name(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        uint64_t colon = x ^ (ONES * ':');
        uint64_t hit = HAS_BELOW(x, 33) | HAS_ABOVE(x, 126) | HAS_BELOW(colon, 1);
        if (hit == 0)
            continue;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* the lowest flagged byte is the first special one (the tricks
         * can only flag bytes above a special byte wrongly) */
        i += (size_t)__builtin_ctzll(hit) / 8;
        return s[i] == ':' && i > 0 ? i : 0;
#else
        break;
#endif
    }
    for (; i < n && s[i] != ':'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c >= 127)
            return 0;
    }
    return i < n && i > 0 ? i : 0;
}

/* Whether the header name s[0..n) is lower (lower case), ignoring case.
 * Header names hold only bytes 33..126 other than ':', and for those
 * c | 0x20 equals a lower-case letter, digit, '-' or '.' only when c is
 * that character or its upper-case letter; eight bytes are compared at a
 * time. */
static bool name_is(const char *s, size_t n, const char *lower, size_t ln)
{
    if (n != ln)
        return false;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, s + i, 8);
        memcpy(&b, lower + i, 8);
        if ((a | 0x2020202020202020ull) != b)
            return false;
    }
    for (; i < n; i++)
        if ((s[i] | 0x20) != lower[i])
            return false;
    return true;
}

#define NAME_IS(s, n, lit) name_is(s, n, lit, sizeof lit - 1)

/* The kind of header name s[0..n) (the headers the reader looks at). */
static int classify(const char *s, size_t n)
{
    switch (n) {
    case 2:
        return NAME_IS(s, n, "to") ? K_TO : NAME_IS(s, n, "cc") ? K_CC : K_OTHER;
    case 4:
        return NAME_IS(s, n, "from") ? K_FROM : NAME_IS(s, n, "date") ? K_DATE : K_OTHER;
    case 7:
        return NAME_IS(s, n, "subject") ? K_SUBJECT : K_OTHER;
    case 10:
        return NAME_IS(s, n, "message-id") ? K_MSGID
               : NAME_IS(s, n, "references") ? K_REFS
                                              : K_OTHER;
    case 11:
        return NAME_IS(s, n, "in-reply-to") ? K_IRT : K_OTHER;
    case 12:
        return NAME_IS(s, n, "content-type") ? K_CTYPE : K_OTHER;
    case 14:
        return NAME_IS(s, n, "content-length") ? K_CLEN : K_OTHER;
    case 19:
        if (NAME_IS(s, n, "content-disposition"))
            return K_CDISP;
        break;
    case 25:
        if (NAME_IS(s, n, "content-transfer-encoding"))
            return K_CTE;
        break;
    }
    /* ours: X-Threadconv-... (mail.h) */
    if (n < 15 || !name_is(s, 13, "x-threadconv-", 13))
        return K_OTHER;
    const char *t = s + 13;
    size_t tn = n - 13;
    switch (tn) {
    case 2:
        if (NAME_IS(t, tn, "id"))
            return K_XID;
        break;
    case 4:
        if (NAME_IS(t, tn, "date"))
            return K_XDATE;
        break;
    case 6:
        if (NAME_IS(t, tn, "parent"))
            return K_XPARENT;
        if (NAME_IS(t, tn, "source"))
            return K_XSOURCE;
        break;
    case 9:
        if (NAME_IS(t, tn, "thread-id"))
            return K_XTHREAD_ID;
        break;
    case 10:
        if (NAME_IS(t, tn, "thread-url"))
            return K_XTHREAD_URL;
        break;
    case 12:
        if (NAME_IS(t, tn, "empty-thread"))
            return K_XEMPTY;
        break;
    }
    if (tn > 6 && name_is(t, 6, "extra-", 6))
        return K_XEXTRA;
    if (tn > 13 && name_is(t, 13, "thread-extra-", 13))
        return K_XTHREAD_EXTRA;
    return K_OTHER;
}

/* The next "<...>" token from i: *id NULL when there is none.  Returns the
 * position after it. */
static size_t next_id(const char *s, size_t n, size_t i, const char **id, size_t *idn)
{
    *id = NULL;
    *idn = 0;
    const char *lt = i < n ? memchr(s + i, '<', n - i) : NULL;
    if (lt == NULL)
        return n;
    i = (size_t)(lt - s);
    const char *gt = memchr(s + i + 1, '>', n - i - 1);
    if (gt == NULL)
        return n;
    size_t k = (size_t)(gt - s);
    *id = s + i + 1;
    *idn = k - i - 1;
    return k + 1;
}

/* A 64-bit hash of a string, a word at a time.  Only a hint: equal hashes
 * are always confirmed by comparing the strings. */
static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
#ifdef MBOX_WEAK_HASH
    /* test builds: so many equal hashes that every lookup meets some, to
     * show that the strings decide */
    h &= 0xC000000000000003ull;
#endif
    return h;
}

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
                return header_name(q, n2) ? TC_PROBE_LIKELY : TC_PROBE_MAYBE;
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
/* Pass 1: the index                                                   */
/* ------------------------------------------------------------------ */

typedef struct scan {
    bool have;           /* a message is being scanned: m */
    msg_ix m;            /* (written to the index when it ends) */
    bool in_head;
    int hkind;           /* the header being collected, -1: none yet */
    size_t hlen;         /* its unfolded length so far */
    tc_buf hdr;          /* its text, for the kinds threading needs */
    /* what threading needs of the current message */
    tc_buf msgid;        /* trimmed; empty: none */
    unsigned seen_msgid; /* Message-ID headers seen */
    tc_buf irt;          /* In-Reply-To's first id, trimmed */
    bool have_irt;
    tc_buf ref_text;     /* the references' bytes */
    size_t ref_off[MAX_REFS], ref_len[MAX_REFS];
    uint32_t ref_ctr[MAX_REFS];
    size_t n_refs;
    tc_buf subjects;     /* each Subject value: its length (size_t), then its bytes */
    uint64_t content_length;
    bool have_cl;
    uint64_t last_off;   /* offset of the last line read */
    bool last_blank;
    /* Content-Length checking */
    int cl_state;        /* 0 off, 1 inside, 2 saw the blank line at its end */
    uint64_t cl_end;
    uint64_t body_off, body_line;
} scan;

static void scan_free(scan *sc)
{
    tc_buf *b[] = {&sc->hdr, &sc->msgid, &sc->irt, &sc->ref_text, &sc->subjects};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        tc_buf_free(b[i]);
}

static int add_ref(scan *sc, const char *id, size_t n)
{
    if (sc->n_refs > 0 && sc->ref_len[sc->n_refs - 1] == n &&
        memcmp(sc->ref_text.data + sc->ref_off[sc->n_refs - 1], id, n) == 0)
        return TC_OK; /* the same id twice in a row */
    if (sc->n_refs == MAX_REFS) { /* keep the newest: drop the oldest */
        memmove(sc->ref_off, sc->ref_off + 1, (MAX_REFS - 1) * sizeof *sc->ref_off);
        memmove(sc->ref_len, sc->ref_len + 1, (MAX_REFS - 1) * sizeof *sc->ref_len);
        sc->n_refs--;
    }
    sc->ref_off[sc->n_refs] = sc->ref_text.len;
    sc->ref_len[sc->n_refs] = n;
    sc->n_refs++;
    return tc_buf_append(&sc->ref_text, id, n);
}

/* A complete header of a kind threading needs, in sc->hdr. */
static int scan_header(scan *sc)
{
    const char *s = sc->hdr.data;
    size_t n = sc->hdr.len;
    size_t nl = header_name(s, n);
    const char *v = s + nl + 1;
    size_t vn = n - nl - 1;
    const char *id;
    size_t idn;
    switch (sc->hkind) {
    case K_MSGID: /* the last one counts */
        next_id(v, vn, 0, &id, &idn);
        if (id == NULL) {
            id = v;
            idn = vn;
        }
        trim(&id, &idn);
        tc_buf_reset(&sc->msgid);
        if (tc_buf_append(&sc->msgid, id, idn) != TC_OK)
            return TC_ERR_NOMEM;
        break;
    case K_REFS:
        for (size_t i = next_id(v, vn, 0, &id, &idn); id; i = next_id(v, vn, i, &id, &idn)) {
            trim(&id, &idn);
            if (idn > 0 && add_ref(sc, id, idn) != TC_OK)
                return TC_ERR_NOMEM;
        }
        break;
    case K_IRT:
        next_id(v, vn, 0, &id, &idn);
        if (id) {
            trim(&id, &idn);
            tc_buf_reset(&sc->irt);
            sc->have_irt = idn > 0;
            if (tc_buf_append(&sc->irt, id, idn) != TC_OK)
                return TC_ERR_NOMEM;
        }
        break;
    case K_SUBJECT:
        if (tc_buf_append(&sc->subjects, &vn, sizeof vn) != TC_OK ||
            tc_buf_append(&sc->subjects, v, vn) != TC_OK)
            return TC_ERR_NOMEM;
        break;
    case K_CLEN: {
        const char *p = v;
        size_t pn = vn;
        trim(&p, &pn);
        uint64_t x = 0;
        size_t i = 0;
        while (i < pn && p[i] >= '0' && p[i] <= '9' && x < (UINT64_MAX - 9) / 10)
            x = x * 10 + (uint64_t)(p[i++] - '0');
        if (i == pn && pn > 0 && !sc->have_cl) {
            sc->have_cl = true;
            sc->content_length = x;
        }
        break;
    }
    }
    return TC_OK;
}

/* Whether the header of kind k is one scan_header reads. */
static bool wanted(int k)
{
    return k == K_MSGID || k == K_REFS || k == K_IRT || k == K_SUBJECT || k == K_CLEN;
}

/* A header line starts (or the headers end: line NULL): the previous
 * header is complete. */
static int header_done(scan *sc)
{
    int rc = sc->hkind >= 0 && wanted(sc->hkind) ? scan_header(sc) : TC_OK;
    sc->hkind = -1;
    sc->hlen = 0;
    tc_buf_reset(&sc->hdr);
    return rc;
}

/* A new container: its index, NONE when there can be no more. */
static uint32_t ctr_new(mb_reader *st, uint64_t id)
{
    if (st->n_ctrs == NONE - 1)
        return NONE;
    ctr_put(st, st->n_ctrs, (ctr_ix){NONE, NONE, id});
    return st->n_ctrs++;
}

/* Whether the id at R_IDS offset off is s[0..n). */
static bool id_is(mb_reader *st, uint64_t off, const char *s, size_t n)
{
    uint32_t len;
    store_read(st->ix, R_IDS, off, &len, sizeof len);
    return len == n && store_equal(st->ix, R_IDS, off + sizeof len, s, n);
}

/* Grow the id table to twice its size, in fresh space after the old. */
static void tab_grow(mb_reader *st)
{
    size_t cap = st->tab_cap ? st->tab_cap * 2 : 4096;
    uint64_t base = st->tab_base + (uint64_t)st->tab_cap * 8;
    for (size_t i = 0; i < st->tab_cap; i++) {
        uint32_t slot[2];
        store_read(st->ix, R_TAB, st->tab_base + (uint64_t)i * 8, slot, sizeof slot);
        if (slot[0] == 0)
            continue;
        size_t k = slot[1] & (cap - 1);
        for (;;) {
            uint32_t c;
            store_read(st->ix, R_TAB, base + (uint64_t)k * 8, &c, sizeof c);
            if (c == 0)
                break;
            k = (k + 1) & (cap - 1);
        }
        store_write(st->ix, R_TAB, base + (uint64_t)k * 8, slot, sizeof slot);
    }
    store_drop(st->ix, R_TAB, st->tab_base, (uint64_t)st->tab_cap * 8);
    st->tab_base = base;
    st->tab_cap = cap;
}

/* The container of id s[0..n) (not empty), made when there is none yet;
 * NONE when no more can be made. */
static uint32_t ctr_of(mb_reader *st, const char *s, size_t n)
{
    if ((st->tab_n + 1) * 2 > st->tab_cap)
        tab_grow(st);
    uint32_t tag = (uint32_t)(str_hash(s, n) >> 32);
    size_t mask = st->tab_cap - 1, k = tag & mask;
    for (;;) {
        uint32_t slot[2];
        store_read(st->ix, R_TAB, st->tab_base + (uint64_t)k * 8, slot, sizeof slot);
        if (slot[0] == 0)
            break;
        if (slot[1] == tag) {
            ctr_ix c = ctr_get(st, slot[0] - 1);
            if (c.id && id_is(st, c.id - 1, s, n))
                return slot[0] - 1;
        }
        k = (k + 1) & mask;
    }
    uint32_t len = (uint32_t)n; /* link_message checked it */
    uint64_t off = st->ids_end;
    uint32_t c = ctr_new(st, off + 1);
    if (c == NONE)
        return NONE;
    store_write(st->ix, R_IDS, off, &len, sizeof len);
    store_write(st->ix, R_IDS, off + sizeof len, s, len);
    st->ids_end = off + sizeof len + len;
    uint32_t slot[2] = {c + 1, tag};
    store_write(st->ix, R_TAB, st->tab_base + (uint64_t)k * 8, slot, sizeof slot);
    st->tab_n++;
    return c;
}

/* Whether a is x or one of x's ancestors (a loop if x became a's child). */
static bool reaches(mb_reader *st, uint32_t x, uint32_t a)
{
    for (size_t steps = 0; x != NONE; steps++) {
        if (x == a || steps > 100000)
            return true;
        x = ctr_parent(st, x);
    }
    return false;
}

static void set_parent(mb_reader *st, uint32_t c, uint32_t parent)
{
    ctr_ix x = ctr_get(st, c);
    x.parent = parent;
    ctr_put(st, c, x);
}

/* JWZ, for the message whose headers just ended: its references link
 * their containers into a chain (a link that would make a loop is not
 * made, nor one to a container that has a parent already), then the
 * message takes the container of its Message-ID (a new one when another
 * message has it: a duplicate) and its own references decide its parent. */
static int link_message(tc_stream *in, mb_reader *st, scan *sc)
{
    uint32_t m = st->n_msgs - 1, prev = NONE;
    const char *own = sc->msgid.data;
    size_t own_n = sc->msgid.len;
    bool too_long = own_n > UINT32_MAX; /* the index keeps 32-bit lengths */
    for (size_t r = 0; r < sc->n_refs; r++)
        too_long |= sc->ref_len[r] > UINT32_MAX;
    if (too_long)
        return tc_stream_error(in, TC_ERR_DATA, sc->m.line, 0,
                               "message %u: a Message-ID or reference longer than 4 GiB", m + 1);
    for (size_t r = 0; r < sc->n_refs; r++) {
        const char *id = sc->ref_text.data + sc->ref_off[r];
        size_t idn = sc->ref_len[r];
        uint32_t c = ctr_of(st, id, idn);
        if (c == NONE)
            goto too_many;
        sc->ref_ctr[r] = c;
        ctr_ix x = ctr_get(st, c);
        /* a message naming itself among its references (broken mailers;
         * a post that is its own parent) would lose its real parent to
         * the loop: JWZ ignores such a reference.  (When another message
         * already has the id, this one gets a container of its own below
         * and the reference is to that other message.) */
        if (own_n && idn == own_n && memcmp(id, own, idn) == 0 && x.msg == NONE)
            continue;
        if (prev != NONE && x.parent == NONE && !reaches(st, prev, c))
            set_parent(st, c, prev);
        prev = c;
    }
    uint32_t c = own_n ? ctr_of(st, own, own_n) : ctr_new(st, 0);
    if (c != NONE && ctr_get(st, c).msg != NONE) {
        sc->m.flags |= F_DUP;
        c = ctr_new(st, 0);
    }
    if (c == NONE)
        goto too_many;
    ctr_ix x = ctr_get(st, c);
    x.msg = m;
    x.parent = NONE;
    ctr_put(st, c, x);
    sc->m.ctr = c;
    /* the message's own references are the authority on its parent: the
     * last one, or when that would make a loop (references that disagree
     * with an earlier message's), the nearest one that does not, so the
     * message stays in its thread */
    for (size_t r = sc->n_refs; prev != NONE && r-- > 0;) {
        if (!reaches(st, sc->ref_ctr[r], c)) {
            set_parent(st, c, sc->ref_ctr[r]);
            break;
        }
    }
    return TC_OK;
too_many:
    return tc_stream_error(in, TC_ERR_DATA, sc->m.line, 0,
                           "too many Message-IDs and references in one mbox");
}

/* The subject of an others' message, for grouping threads by subject:
 * decoded, without Re:/Fwd:, runs of blanks as one space.  The last
 * Subject header counts; any that starts with Re: marks a reply. */
static int scan_subject(tc_stream *in, mb_reader *st, scan *sc)
{
    const char *p = NULL;
    size_t pn = 0;
    for (size_t i = 0; i < sc->subjects.len;) {
        size_t vn;
        memcpy(&vn, sc->subjects.data + i, sizeof vn);
        const char *v = sc->subjects.data + i + sizeof vn;
        i += sizeof vn + vn;
        size_t bad = 0;
        bool unknown = false;
        tc_buf_reset(&st->tmp);
        if (mb_decode_words(&st->tmp, v, vn, &bad, &unknown) != TC_OK)
            return nomem(in);
        p = st->tmp.data;
        pn = st->tmp.len;
        if (mb_strip_reply(&p, &pn) > 0)
            sc->m.flags |= F_REPLY;
        /* runs of blanks as one space */
        tc_buf_reset(&st->tmp2);
        if (tc_buf_reserve(&st->tmp2, pn) != TC_OK)
            return nomem(in);
        char *o = st->tmp2.data;
        bool ws = false;
        for (size_t k = 0; k < pn; k++) {
            char c = p[k];
            if (c == ' ' || c == '\t') {
                ws = true;
                continue;
            }
            if (ws)
                *o++ = ' ';
            ws = false;
            *o++ = c;
        }
        st->tmp2.len = (size_t)(o - st->tmp2.data);
        pn = st->tmp2.len;
    }
    if (pn == 0)
        return TC_OK;
    if (pn > UINT32_MAX) /* the index keeps 32-bit lengths */
        return tc_stream_error(in, TC_ERR_DATA, sc->m.line, 0,
                               "message %u: a Subject longer than 4 GiB", st->n_msgs);
    uint64_t h = str_hash(st->tmp2.data, pn);
    uint32_t len = (uint32_t)pn;
    uint64_t off = st->subj_end;
    store_write(st->ix, R_SUBJ, off, &h, sizeof h);
    store_write(st->ix, R_SUBJ, off + sizeof h, &len, sizeof len);
    store_write(st->ix, R_SUBJ, off + sizeof h + sizeof len, st->tmp2.data, len);
    st->subj_end = off + sizeof h + sizeof len + len;
    sc->m.subj = off + 1;
    return TC_OK;
}

static int end_headers(tc_stream *in, mb_reader *st, scan *sc)
{
    if (header_done(sc) != TC_OK)
        return nomem(in);
    sc->in_head = false;
    if (sc->have_irt &&
        (sc->n_refs == 0 || sc->ref_len[sc->n_refs - 1] != sc->irt.len ||
         memcmp(sc->ref_text.data + sc->ref_off[sc->n_refs - 1], sc->irt.data, sc->irt.len)) &&
        add_ref(sc, sc->irt.data, sc->irt.len) != TC_OK)
        return nomem(in);
    if (!(sc->m.flags & F_OURS)) {
        int rc = scan_subject(in, st, sc);
        if (rc != TC_OK)
            return rc;
    }
    return link_message(in, st, sc);
}

static int new_message(tc_stream *in, mb_reader *st, scan *sc, uint64_t off, uint64_t line)
{
    if (st->n_msgs == NONE - 1)
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "too many messages in one mbox");
    st->n_msgs++;
    memset(&sc->m, 0, sizeof sc->m);
    sc->m.off = off;
    sc->m.line = line;
    sc->m.parent = sc->m.next = NONE;
    sc->have = true;
    sc->in_head = true;
    sc->hkind = -1;
    sc->hlen = 0;
    sc->n_refs = 0;
    sc->seen_msgid = 0;
    sc->have_irt = false;
    sc->have_cl = false;
    sc->cl_state = 0;
    sc->last_blank = false;
    tc_buf *b[] = {&sc->hdr, &sc->msgid, &sc->irt, &sc->ref_text, &sc->subjects};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        tc_buf_reset(b[i]);
    return TC_OK;
}

/* The message being scanned ends where the next From_ line (or the end of
 * the input) is, at off: into the index. */
static int end_message(tc_stream *in, mb_reader *st, scan *sc, uint64_t off)
{
    if (!sc->have)
        return TC_OK;
    uint64_t end;
    if (sc->m.flags & F_CL) {
        end = sc->cl_end;
        if (sc->last_blank && sc->last_off == sc->cl_end)
            sc->m.flags |= F_SEP;
    } else {
        end = sc->last_blank ? sc->last_off : off;
        if (sc->last_blank)
            sc->m.flags |= F_SEP;
    }
    if (off < end || off - end > UINT16_MAX) /* cannot be: only a blank line is between */
        return tc_stream_error(in, TC_ERR_PLUGIN, sc->m.line, 0,
                               "internal error: message %u ends at byte %llu, the next at %llu",
                               st->n_msgs, (unsigned long long)end, (unsigned long long)off);
    sc->m.sep = (uint16_t)(off - end);
    msg_put(st, st->n_msgs - 1, sc->m);
    sc->have = false;
    return TC_OK;
}

static int pass1(tc_stream *in, mb_reader *st)
{
    scan sc;
    memset(&sc, 0, sizeof sc);
    uint64_t junk = 0, junk_line = 0, first_line = 0;
    int rc = TC_OK;
    uint64_t off = tc_stream_tell(in);
    for (;;) {
        const char *line;
        size_t len;
        rc = tc_stream_read_line(in, &line, &len);
        if (rc == TC_EOF) {
            rc = TC_OK;
            if (sc.cl_state == 1 && off != sc.cl_end) {
                /* Content-Length runs past the end: not to be trusted */
                sc.m.flags &= (uint16_t)~F_CL;
                sc.cl_state = 0;
                if ((rc = tc_stream_seek(in, sc.body_off, sc.body_line)) != TC_OK)
                    break;
                off = sc.body_off;
                continue;
            }
            if (sc.have && sc.in_head && (rc = end_headers(in, st, &sc)) != TC_OK)
                break;
            rc = end_message(in, st, &sc, off);
            st->eof = off;
            break;
        }
        if (rc != TC_OK)
            break;
        uint64_t lineno = tc_stream_line(in);
        uint64_t next_off = tc_stream_tell(in);
        uint64_t this_off = off;
        off = next_off;
        size_t n = len;
        bool had_cr = n > 0 && line[n - 1] == '\r';
        if (had_cr)
            n--;

        if (sc.cl_state == 1) {
            if (next_off <= sc.cl_end) {
                sc.last_off = this_off;
                sc.last_blank = n == 0;
                continue;
            }
            if (this_off == sc.cl_end && n == 0) {
                sc.cl_state = 2; /* the separator: a From_ line or the end must follow */
                sc.last_off = this_off;
                sc.last_blank = true;
                continue;
            }
            if (this_off != sc.cl_end || !mb_from_line(line, n, NULL)) {
                /* the length does not end at a message boundary: scan the
                 * body again, splitting at From_ lines */
                sc.m.flags &= (uint16_t)~F_CL;
                sc.cl_state = 0;
                if ((rc = tc_stream_seek(in, sc.body_off, sc.body_line)) != TC_OK)
                    break;
                off = sc.body_off;
                continue;
            }
            sc.cl_state = 0;
        } else if (sc.cl_state == 2) {
            if (!mb_from_line(line, n, NULL)) {
                sc.m.flags &= (uint16_t)~F_CL;
                sc.cl_state = 0;
                if ((rc = tc_stream_seek(in, sc.body_off, sc.body_line)) != TC_OK)
                    break;
                off = sc.body_off;
                continue;
            }
            sc.cl_state = 0;
        }

        if (n >= 21 && line[0] == 'F' && mb_from_line(line, n, NULL)) {
            if (st->n_msgs == 0) {
                st->crlf = had_cr;
                first_line = lineno;
            }
            if (sc.have && sc.in_head && (rc = end_headers(in, st, &sc)) != TC_OK)
                break;
            if ((rc = end_message(in, st, &sc, this_off)) != TC_OK ||
                (rc = new_message(in, st, &sc, this_off, lineno)) != TC_OK)
                break;
            continue;
        }
        if (!st->crlf)
            n = len; /* CR is part of the text in an LF file */
        if (!sc.have) {
            bool blank = true;
            for (size_t i = 0; i < n && blank; i++)
                blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
            if (!blank && junk++ == 0)
                junk_line = lineno;
            continue;
        }
        sc.last_off = this_off;
        sc.last_blank = n == 0;
        if (!sc.in_head)
            continue;
        if (n == 0) {
            if ((rc = end_headers(in, st, &sc)) != TC_OK)
                break;
            if (sc.have_cl) {
                sc.m.flags |= F_CL;
                sc.cl_state = 1;
                sc.body_off = next_off;
                sc.body_line = lineno;
                sc.cl_end = next_off + sc.content_length;
            }
            continue;
        }
        if ((line[0] == ' ' || line[0] == '\t') && sc.hkind >= 0) {
            if (sc.hlen + n > st->max) {
                rc = tc_stream_error(in, TC_ERR_DATA, lineno, 0,
                                     "header longer than the max-post limit (%zu bytes)",
                                     st->max);
                break;
            }
            sc.hlen += n;
            if (wanted(sc.hkind) && tc_buf_append(&sc.hdr, line, n) != TC_OK) {
                rc = nomem(in);
                break;
            }
            continue;
        }
        size_t nl = header_name(line, n);
        if (nl) {
            if (header_done(&sc) != TC_OK) {
                rc = nomem(in);
                break;
            }
            sc.hkind = classify(line, nl);
            sc.hlen = n;
            if (sc.hkind == K_XID)
                sc.m.flags |= F_OURS | F_MARKED;
            else if (sc.hkind == K_XSOURCE)
                sc.m.flags |= F_OURS | F_START;
            else if (sc.hkind == K_XEMPTY)
                sc.m.flags |= F_OURS | F_STUB;
            else if (sc.hkind == K_MSGID && sc.seen_msgid++)
                sc.m.flags |= F_MANY_ID;
            if (wanted(sc.hkind) && tc_buf_append(&sc.hdr, line, n) != TC_OK) {
                rc = nomem(in);
                break;
            }
            continue;
        }
        /* not a header: the body starts here (a message without headers) */
        if ((rc = end_headers(in, st, &sc)) != TC_OK)
            break;
    }
    scan_free(&sc);
    if (rc == TC_OK)
        rc = store_check(in, st);
    if (rc != TC_OK)
        return rc;
    /* An empty file is an empty mailbox (mail clients agree): no threads. */
    if (st->n_msgs == 0 && junk)
        return tc_stream_error(in, TC_ERR_DATA, junk_line, 0,
                               "no From_ line found: expected a From_ line like "
                               "\"From sender@example.org Thu Feb  4 21:33:59 2021\"");
    if (junk)
        tc_stream_warn(in, junk_line, 0,
                       "%llu line%s of text before the first From_ line (line %llu) skipped",
                       (unsigned long long)junk, junk == 1 ? "" : "s",
                       (unsigned long long)first_line);
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Threading (JWZ), after pass 1                                       */
/* ------------------------------------------------------------------ */

/* R_TREE: the root of container c's tree, and (at a root) its thread. */
static void tree_get(mb_reader *st, uint32_t c, uint32_t *root, uint32_t *thread)
{
    uint32_t v[2];
    store_read(st->ix, R_TREE, (uint64_t)c * sizeof v, v, sizeof v);
    *root = v[0] - 1;
    *thread = v[1] - 1;
}

static void tree_put(mb_reader *st, uint32_t c, uint32_t root, uint32_t thread)
{
    uint32_t v[2] = {root + 1, thread + 1};
    store_write(st->ix, R_TREE, (uint64_t)c * sizeof v, v, sizeof v);
}

/* R_THREAD: a thread's first and last message. */
static void thread_get(mb_reader *st, uint32_t th, uint32_t *first, uint32_t *last)
{
    uint32_t v[2];
    store_read(st->ix, R_THREAD, (uint64_t)th * sizeof v, v, sizeof v);
    *first = v[0];
    *last = v[1] - 1;
}

static void thread_put(mb_reader *st, uint32_t th, uint32_t first, uint32_t last)
{
    uint32_t v[2] = {first, last + 1};
    store_write(st->ix, R_THREAD, (uint64_t)th * sizeof v, v, sizeof v);
}

/* Whether the subjects at R_SUBJ offsets a and b are the same string. */
static bool same_subject(mb_reader *st, uint64_t a, uint64_t b)
{
    if (a == b)
        return true;
    uint32_t la, lb;
    store_read(st->ix, R_SUBJ, a + 8, &la, sizeof la);
    store_read(st->ix, R_SUBJ, b + 8, &lb, sizeof lb);
    if (la != lb)
        return false;
    char chunk[256];
    for (uint32_t i = 0; i < la;) {
        uint32_t k = la - i < sizeof chunk ? la - i : (uint32_t)sizeof chunk;
        store_read(st->ix, R_SUBJ, a + 12 + i, chunk, k);
        if (!store_equal(st->ix, R_SUBJ, b + 12 + i, chunk, k))
            return false;
        i += k;
    }
    return true;
}

/* The subject table: open addressing on the subject's hash, grown to twice
 * its size (in fresh space after the old) when half full. */
typedef struct stab {
    uint64_t base;
    size_t cap, n;
} stab;

static void stab_grow(mb_reader *st, stab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint64_t base = t->base + (uint64_t)t->cap * sizeof(subj_ent);
    for (size_t i = 0; i < t->cap; i++) {
        subj_ent e;
        store_read(st->ix, R_STAB, t->base + i * sizeof e, &e, sizeof e);
        if (e.subj == 0)
            continue;
        size_t k = e.hash & (cap - 1);
        for (;;) {
            uint64_t used;
            store_read(st->ix, R_STAB, base + k * sizeof e + 8, &used, sizeof used);
            if (used == 0)
                break;
            k = (k + 1) & (cap - 1);
        }
        store_write(st->ix, R_STAB, base + k * sizeof e, &e, sizeof e);
    }
    store_drop(st->ix, R_STAB, t->base, (uint64_t)t->cap * sizeof(subj_ent));
    t->base = base;
    t->cap = cap;
}

/*
 * After pass 1, one pass over the messages in file order:
 *  - a message's parent is its nearest ancestor that holds a message;
 *  - the root of its container's tree is found (and remembered for every
 *    container on the way up);
 *  - a tree seen for the first time becomes a thread, or joins the thread
 *    of an earlier tree whose root has the same subject (not for our own
 *    messages): then a reply root becomes the child of the other root;
 *  - the message is appended to its thread.
 * A tree's root message has no parent by the first rule, so setting only
 * parents that exist leaves the links the subject rule makes to roots,
 * also to roots later in the file.
 */
static int thread_messages(tc_stream *in, mb_reader *st)
{
    uint32_t n = st->n_msgs;
    /* the id table has done its work */
    store_drop(st->ix, R_TAB, st->tab_base, (uint64_t)st->tab_cap * 8);
    stab t = {0, 0, 0};
    for (uint32_t m = 0; m < n; m++) {
        msg_ix x = msg_get(st, m);
        uint32_t c = x.ctr, a = ctr_parent(st, c);
        while (a != NONE) {
            ctr_ix y = ctr_get(st, a);
            if (y.msg != NONE)
                break;
            a = y.parent;
        }
        if (a != NONE) {
            x.parent = ctr_get(st, a).msg;
            msg_put(st, m, x);
        }
        /* the root, remembered along the way */
        uint32_t r = c, root, th;
        for (;;) {
            uint32_t p = ctr_parent(st, r);
            tree_get(st, r, &root, &th);
            if (p == NONE || root != NONE)
                break;
            r = p;
        }
        if (root != NONE)
            r = root;
        for (uint32_t y = c; y != NONE; y = ctr_parent(st, y)) {
            tree_get(st, y, &root, &th);
            if (root != NONE)
                break;
            tree_put(st, y, r, NONE);
        }
        /* its tree's thread */
        tree_get(st, r, &root, &th);
        if (th == NONE) {
            uint32_t rep = ctr_get(st, r).msg;
            if (rep == NONE)
                rep = m;
            msg_ix xr = rep == m ? x : msg_get(st, rep);
            uint64_t slot = 0;
            subj_ent e = {0};
            bool have_slot = false;
            if (!(xr.flags & F_OURS) && xr.subj != 0) {
                if ((t.n + 1) * 2 > t.cap)
                    stab_grow(st, &t);
                uint64_t h;
                store_read(st->ix, R_SUBJ, xr.subj - 1, &h, sizeof h);
                for (slot = h & (t.cap - 1);; slot = (slot + 1) & (t.cap - 1)) {
                    store_read(st->ix, R_STAB, t.base + slot * sizeof e, &e, sizeof e);
                    if (e.subj == 0 || (e.hash == h && same_subject(st, e.subj - 1, xr.subj - 1)))
                        break;
                }
                have_slot = true;
                if (e.subj) {
                    th = e.thread;
                    msg_ix anchor = msg_get(st, e.anchor);
                    bool rep_reply = xr.flags & F_REPLY;
                    bool anchor_reply = anchor.flags & F_REPLY;
                    if (rep_reply && !anchor_reply && xr.parent == NONE) {
                        xr.parent = e.anchor;
                        msg_put(st, rep, xr);
                    } else if (!rep_reply && anchor_reply && anchor.parent == NONE) {
                        anchor.parent = rep;
                        msg_put(st, e.anchor, anchor);
                        e.anchor = rep;
                        store_write(st->ix, R_STAB, t.base + slot * sizeof e, &e, sizeof e);
                    }
                } else {
                    e.hash = h;
                }
            }
            if (th == NONE) {
                th = st->n_threads++;
                thread_put(st, th, m, NONE);
                if (have_slot) {
                    e.subj = xr.subj;
                    e.thread = th;
                    e.anchor = rep;
                    store_write(st->ix, R_STAB, t.base + slot * sizeof e, &e, sizeof e);
                    t.n++;
                }
            }
            tree_put(st, r, r, th);
        }
        /* appended to its thread */
        uint32_t first, last;
        thread_get(st, th, &first, &last);
        if (last != NONE) {
            msg_ix l = msg_get(st, last);
            l.next = m;
            msg_put(st, last, l);
        }
        thread_put(st, th, first, m);
    }
    /* done with: the trees and the subjects */
    store_drop(st->ix, R_TREE, 0, (uint64_t)st->n_ctrs * 8);
    store_drop(st->ix, R_STAB, 0, t.base + (uint64_t)t.cap * sizeof(subj_ent));
    store_drop(st->ix, R_SUBJ, 0, st->subj_end);
    return store_check(in, st);
}

/* ------------------------------------------------------------------ */
/* Pass 2: loading and decoding one message                            */
/* ------------------------------------------------------------------ */

static void hdrs_free(hdrs *h)
{
    free(h->h);
    tc_buf_free(&h->vals);
}

/* Parse the header block at the start of s[0..n). */
static int parse_headers(const char *s, size_t n, hdrs *out)
{
    out->n = 0;
    for (int k = 0; k < K_COUNT; k++)
        out->first[k] = -1;
    tc_buf_reset(&out->vals);
    if (tc_buf_reserve(&out->vals, n) != TC_OK) /* values are never longer than the text */
        return TC_ERR_NOMEM;
    size_t i = 0;
    uint64_t line = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        size_t len = end - i;
        size_t next = nl ? end + 1 : n;
        if (len == 0) {
            i = next;
            break;
        }
        if ((s[i] == ' ' || s[i] == '\t') && out->n > 0) {
            memcpy(out->vals.data + out->vals.len, s + i, len);
            out->vals.len += len;
            out->h[out->n - 1].val_len += len;
        } else {
            size_t nlen = header_name(s + i, len);
            if (nlen == 0)
                break; /* the body starts without a blank line */
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 32;
                hdr *h = realloc(out->h, cap * sizeof *h);
                if (h == NULL)
                    return TC_ERR_NOMEM;
                out->h = h;
                out->cap = cap;
            }
            hdr *h = &out->h[out->n];
            h->name = i;
            h->name_len = nlen;
            h->val = out->vals.len;
            h->val_len = len - nlen - 1;
            h->line = line;
            h->kind = classify(s + i, nlen);
            if (out->first[h->kind] < 0)
                out->first[h->kind] = (int)out->n;
            out->n++;
            memcpy(out->vals.data + out->vals.len, s + i + nlen + 1, len - nlen - 1);
            out->vals.len += len - nlen - 1;
        }
        line++;
        i = next;
    }
    out->body = i;
    out->vals.data[out->vals.len] = '\0';
    return TC_OK;
}

static const hdr *find_hdr(const hdrs *h, int kind)
{
    return h->first[kind] < 0 ? NULL : &h->h[h->first[kind]];
}

#define HVAL(hs, h) ((hs)->vals.data + (h)->val)

/* Bytes [off, off + len) of the input into dst, through the block cache:
 * messages of one thread, and the first messages of neighbouring threads,
 * are mostly near each other, so most come without a seek, and the input
 * is read in whole blocks. */
static int read_at(tc_stream *in, mb_reader *st, uint64_t off, char *dst, size_t len)
{
    while (len > 0) {
        uint64_t bo = st->start + ((off - st->start) & ~(uint64_t)(BLOCK - 1));
        struct block *b = NULL, *lru = &st->blocks[0];
        for (int i = 0; i < N_BLOCKS && b == NULL; i++) {
            if (st->blocks[i].off == bo)
                b = &st->blocks[i];
            else if (st->blocks[i].used < lru->used)
                lru = &st->blocks[i];
        }
        if (b == NULL) {
            b = lru;
            if (b->data == NULL && (b->data = malloc(BLOCK)) == NULL)
                return nomem(in);
            b->off = UINT64_MAX;
            int rc = tc_stream_tell(in) == bo ? TC_OK : tc_stream_seek(in, bo, 0);
            if (rc != TC_OK)
                return rc;
            size_t got = 0;
            while (got < BLOCK) {
                long k = tc_stream_read(in, b->data + got, BLOCK - got);
                if (k < 0)
                    return (int)k;
                if (k == 0)
                    break;
                got += (size_t)k;
            }
            b->off = bo;
            b->len = got;
        }
        b->used = ++st->clock;
        size_t at = (size_t)(off - bo);
        if (at >= b->len)
            return tc_stream_error(in, TC_ERR_DATA, 0, 0, "the input changed while it was read");
        size_t k = b->len - at < len ? b->len - at : len;
        memcpy(dst, b->data + at, k);
        dst += k;
        off += k;
        len -= k;
    }
    return TC_OK;
}

/*
 * Read message index into l: raw holds its From_ line (from_len bytes, for
 * the envelope date), then from l->base its text: the lines after the From_ line,
 * unquoted, CR removed in a CRLF file, joined with "\n" (a final newline
 * only when the input had one); only the header block when headers_only.
 * The bytes are read in large pieces and the lines fixed up in place.
 */
static int load(tc_stream *in, mb_reader *st, uint32_t index, loaded *l, bool headers_only)
{
    msg_ix m = msg_get(st, index);
    uint64_t end = msg_end(st, index, &m);
    int rc = store_check(in, st);
    if (rc != TC_OK)
        return rc;
    uint64_t pos = m.off;
    l->index = NONE; /* until it is complete */
    l->flags = m.flags;
    l->line = m.line;
    tc_buf *b = &l->raw;
    tc_buf_reset(b);
    uint64_t left = end - m.off;
    size_t piece = headers_only ? 16384 : 1 << 20;
    int unquote = m.flags & F_CL ? 0 : st->unquote;
    bool from_line = true, in_head = true, done = false;
    size_t r = 0, w = 0; /* lines before r are done; the text written ends at w */
    l->base = 0;
    while (!done) {
        if (left > 0) {
            size_t want = left < piece ? (size_t)left : piece;
            if (tc_buf_reserve(b, want + 1) != TC_OK)
                return nomem(in);
            if ((rc = read_at(in, st, pos, b->data + b->len, want)) != TC_OK)
                return rc;
            pos += want;
            b->len += want;
            left -= want;
        }
        while (r < b->len) {
            if (!in_head && !st->crlf) {
                /* the body of an LF file: only a line that starts with
                 * '>' can change, so the lines before the next such line
                 * stay as they are, in one piece */
                size_t lim = b->len, g;
                while (left > 0 && lim > r && b->data[lim - 1] != '\n')
                    lim--; /* complete lines only */
                for (g = r; unquote && g < lim;) {
                    const char *gt = memchr(b->data + g, '>', lim - g);
                    g = gt ? (size_t)(gt - b->data) : lim;
                    if (g == lim || g == r || b->data[g - 1] == '\n')
                        break;
                    g++;
                }
                if (!unquote)
                    g = lim;
                if (g > r) {
                    if (w != r)
                        memmove(b->data + w, b->data + r, g - r);
                    w += g - r;
                    r = g;
                    /* the last line decides (see below): it is the longest */
                    if (w - l->base + (b->data[w - 1] == '\n' ? 0 : 1) > st->max)
                        return tc_stream_error(in, TC_ERR_DATA, m.line, 0,
                                               "message %u is longer than the max-post limit "
                                               "(%zu bytes)", index + 1, st->max);
                    continue;
                }
            }
            char *p = b->data + r;
            char *nl = memchr(p, '\n', b->len - r);
            if (nl == NULL && left > 0)
                break; /* the rest of the line is still to be read */
            size_t len = nl ? (size_t)(nl - p) : b->len - r;
            size_t next = r + len + (nl != NULL);
            if (from_line) {
                l->from_len = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
                from_line = false;
                r = w = l->base = next;
                continue;
            }
            size_t n = len;
            if (st->crlf && n > 0 && p[n - 1] == '\r')
                n--;
            if (in_head && n == 0)
                in_head = false;
            if (!in_head && unquote && n >= 6 && p[0] == '>') {
                size_t k = 1;
                while (unquote == 2 && k < n && p[k] == '>')
                    k++;
                if (n - k >= 5 && memcmp(p + k, "From ", 5) == 0) {
                    p++;
                    n--;
                }
            }
            if (w - l->base + n + 1 > st->max)
                return tc_stream_error(in, TC_ERR_DATA, m.line, 0,
                                       "message %u is longer than the max-post limit (%zu bytes)",
                                       index + 1, st->max);
            if (b->data + w != p)
                memmove(b->data + w, p, n);
            w += n;
            if (nl)
                b->data[w++] = '\n';
            r = next;
            if (headers_only && !in_head) {
                done = true;
                break;
            }
        }
        if (left == 0 && r == b->len)
            done = true;
        if (!done && r > w) { /* close the gap before reading on */
            memmove(b->data + w, b->data + r, b->len - r);
            b->len = w + (b->len - r);
            r = w;
        }
    }
    b->len = w;
    /* The blank line before the next From_ line belongs to the format in
     * our messages; in others it is kept, so no byte of the input is lost
     * (git's mailsplit does the same). */
    if (!headers_only && (m.flags & F_SEP) && !(m.flags & F_MARKED) &&
        tc_buf_putc(b, '\n') != TC_OK)
        return nomem(in);
    if (tc_buf_append(b, "", 0) != TC_OK || parse_headers(TEXT(l), TEXT_LEN(l), &l->hs) != TC_OK)
        return nomem(in);
    l->full = !headers_only;
    l->index = index;
    return TC_OK;
}

/* Decoded value of the header of that kind (unstructured), into out;
 * false if absent. */
static bool get_text(const loaded *l, int kind, tc_buf *out, size_t *bad)
{
    const hdr *h = find_hdr(&l->hs, kind);
    if (h == NULL)
        return false;
    const char *v = HVAL(&l->hs, h);
    size_t vn = h->val_len;
    trim(&v, &vn);
    bool unknown = false;
    tc_buf_reset(out);
    return mb_decode_words(out, v, vn, bad, &unknown) == TC_OK;
}

/* The post id of a loaded message: ours, its Message-ID, or its number. */
static int post_id(const loaded *l, tc_buf *out)
{
    size_t bad = 0;
    if (get_text(l, K_XID, out, &bad))
        return TC_OK;
    tc_buf_reset(out);
    const hdr *h = find_hdr(&l->hs, K_MSGID);
    if (h && !(l->flags & F_DUP)) {
        const char *v = HVAL(&l->hs, h), *id;
        size_t vn = h->val_len, idn;
        next_id(v, vn, 0, &id, &idn);
        if (id == NULL) {
            id = v;
            idn = vn;
        }
        trim(&id, &idn);
        bool unknown = false;
        if (idn > 0)
            return mb_to_utf8(out, NULL, id, idn, &bad, &unknown);
    }
    return tc_buf_printf(out, "%u", l->index + 1);
}

/* The post id of message m without reading it, when the index knows it:
 * the Message-ID kept for threading (one Message-ID header, not ours).
 * TC_EOF when the message must be read. */
static int indexed_post_id(mb_reader *st, uint32_t m, tc_buf *out)
{
    msg_ix x = msg_get(st, m);
    if (x.flags & (F_MARKED | F_MANY_ID))
        return TC_EOF;
    tc_buf_reset(out);
    ctr_ix c = ctr_get(st, x.ctr);
    if ((x.flags & F_DUP) || c.id == 0)
        return tc_buf_printf(out, "%u", m + 1);
    uint32_t len;
    store_read(st->ix, R_IDS, c.id - 1, &len, sizeof len);
    tc_buf_reset(&st->tmp2);
    if (tc_buf_reserve(&st->tmp2, len) != TC_OK)
        return TC_ERR_NOMEM;
    store_read(st->ix, R_IDS, c.id - 1 + sizeof len, st->tmp2.data, len);
    size_t bad = 0;
    bool unknown = false;
    return mb_to_utf8(out, NULL, st->tmp2.data, len, &bad, &unknown);
}

static uint64_t hdr_line(const loaded *l, const hdr *h)
{
    return l->line + 1 + (h ? h->line : 0);
}

/* ------------------------------------------------------------------ */
/* MIME                                                                */
/* ------------------------------------------------------------------ */

typedef struct entity {
    char type[96];     /* lower case "type/subtype" */
    char charset[64];
    char cte[32];      /* lower case */
    char boundary[200];
    char filename[200];
    bool attachment;
} entity;

/* A header token (a MIME type, a charset name) as printable ASCII: other
 * bytes, which no token holds, become '?' so the copy stays valid UTF-8
 * (it lands in extra fields and messages) however it is cut short. */
static char token_char(char c)
{
    return c > ' ' && c < 0x7F ? c : '?';
}

static void lower_copy(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : token_char(s[i]);
    dst[n] = '\0';
}

static void token_copy(char *dst, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < size; i++)
        dst[i] = token_char(s[i]);
    dst[i] = '\0';
}

static void entity_info(mb_reader *st, const hdrs *hs, entity *e, const char *default_type)
{
    e->charset[0] = e->cte[0] = e->boundary[0] = e->filename[0] = '\0';
    e->attachment = false;
    token_copy(e->type, sizeof e->type, default_type);
    const hdr *h = find_hdr(hs, K_CTYPE);
    if (h) {
        const char *v = HVAL(hs, h);
        size_t vn = h->val_len;
        trim(&v, &vn);
        size_t k = 0;
        while (k < vn && v[k] != ';' && v[k] != ' ' && v[k] != '\t')
            k++;
        if (k > 0 && memchr(v, '/', k))
            lower_copy(e->type, sizeof e->type, v, k);
        static const char *const names[] = {"charset", "boundary", "name", NULL};
        bool found[3];
        if (memchr(v, ';', vn) && mb_params(v, vn, names, st->param, found)) {
            if (found[0])
                token_copy(e->charset, sizeof e->charset, st->param[0].data);
            if (found[1])
                snprintf(e->boundary, sizeof e->boundary, "%s", st->param[1].data);
            if (found[2])
                snprintf(e->filename, sizeof e->filename, "%s", st->param[2].data);
        }
    }
    h = find_hdr(hs, K_CTE);
    if (h) {
        const char *v = HVAL(hs, h);
        size_t vn = h->val_len;
        trim(&v, &vn);
        lower_copy(e->cte, sizeof e->cte, v, vn);
    }
    h = find_hdr(hs, K_CDISP);
    if (h) {
        const char *v = HVAL(hs, h);
        size_t vn = h->val_len;
        trim(&v, &vn);
        e->attachment = starts_ci(v, vn, "attachment");
        if (mb_param(v, vn, "filename", &st->tmp2))
            snprintf(e->filename, sizeof e->filename, "%s", st->tmp2.data);
    }
}

/* Decode a leaf's content (transfer encoding, then charset) into out. */
static int decode_leaf(tc_stream *in, mb_reader *st, const char *s, size_t n, const char *cte,
                       const char *charset, tc_buf *out, const char *what)
{
    const loaded *l = &st->cur;
    uint32_t num = l->index + 1;
    uint64_t line = l->line;
    const char *bytes = s;
    size_t len = n;
    size_t bad = 0;
    tc_buf_reset(&st->dec);
    if (strcmp(cte, "quoted-printable") == 0) {
        if (mb_qp_decode(&st->dec, s, n) != TC_OK)
            return nomem(in);
        bytes = st->dec.data;
        len = st->dec.len;
    } else if (strcmp(cte, "base64") == 0) {
        if (mb_b64_decode(&st->dec, s, n, &bad) != TC_OK)
            return nomem(in);
        /* Dropping the characters would lose text without a trace: an
         * error, which --keep-going turns into skipping this message. */
        if (bad)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "message %u: the %s is declared base64 but %zu character%s "
                                   "%s not base64: expected A-Z a-z 0-9 + / =", num, what, bad,
                                   bad == 1 ? "" : "s", bad == 1 ? "is" : "are");
        bytes = st->dec.data;
        len = st->dec.len;
    }
    bad = 0;
    bool unknown = false;
    tc_buf_reset(out);
    if (mb_to_utf8(out, charset[0] ? charset : NULL, bytes ? bytes : "", len, &bad,
                   &unknown) != TC_OK ||
        tc_buf_append(out, "", 0) != TC_OK)
        return nomem(in);
    /* Guessing at an unknown charset could garble the text: an error. */
    if (unknown)
        return tc_stream_error(in, TC_ERR_DATA, line, 0,
                               "message %u: unknown charset \"%s\" in the %s: expected a "
                               "charset iconv knows (utf-8, iso-8859-1, windows-1252, ...)",
                               num, charset, what);
    if (bad) {
        tc_stream_warn(in, line, 0,
                       "message %u: %zu byte%s of the %s not valid in %s; each read as the "
                       "ISO-8859-1 character of the same value",
                       num, bad, bad == 1 ? "" : "s", what, charset[0] ? charset : "UTF-8");
        tc_buf_reset(&st->tmp2);
        if (tc_buf_printf(&st->tmp2, "%s: %zu byte%s not valid in %s read as ISO-8859-1", what,
                          bad, bad == 1 ? "" : "s", charset[0] ? charset : "UTF-8") != TC_OK ||
            tc_fields_set(&st->post.extras, "mbox.undecodable", st->tmp2.data) != TC_OK)
            return nomem(in);
    }
    return TC_OK;
}

static int walk(tc_stream *in, mb_reader *st, const entity *e, const char *s, size_t n,
                int depth);

/* A leaf: the body when it is the first text/plain part, else named. */
static int leaf(tc_stream *in, mb_reader *st, const entity *e, const char *s, size_t n)
{
    st->leaf++;
    bool plain = strcmp(e->type, "text/plain") == 0 && !e->attachment;
    if (plain && !st->have_body) {
        st->have_body = true;
        return decode_leaf(in, st, s, n, e->cte, e->charset, &st->p_body, "body");
    }
    if (!st->have_body && st->fb_text == NULL && strncmp(e->type, "text/", 5) == 0 &&
        !e->attachment) {
        st->fb_text = s;
        st->fb_len = n;
        snprintf(st->fb_cte, sizeof st->fb_cte, "%s", e->cte);
        snprintf(st->fb_charset, sizeof st->fb_charset, "%s", e->charset);
    }
    char key[32];
    snprintf(key, sizeof key, "mbox.part.%u", st->leaf);
    tc_buf_reset(&st->tmp);
    int rc = tc_buf_append(&st->tmp, e->type, strlen(e->type));
    if (rc == TC_OK && e->filename[0]) {
        size_t bad = 0;
        bool unknown = false;
        tc_buf name = {0};
        rc = mb_decode_words(&name, e->filename, strlen(e->filename), &bad, &unknown);
        if (rc == TC_OK)
            rc = tc_buf_printf(&st->tmp, "; filename=\"%s\"", name.data);
        tc_buf_free(&name);
    }
    if (rc == TC_OK)
        rc = tc_fields_set(&st->post.extras, key, st->tmp.data);
    return rc == TC_OK ? TC_OK : nomem(in);
}

/* Is s[0..n) the line "--boundary" (close: "--boundary--")? */
static int boundary_line(const char *s, size_t n, const char *b, size_t bn)
{
    if (n < bn + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bn) != 0)
        return 0;
    size_t i = bn + 2;
    int kind = 1;
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
        kind = 2;
        i += 2;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i == n ? kind : 0;
}

static int walk(tc_stream *in, mb_reader *st, const entity *e, const char *s, size_t n,
                int depth)
{
    if (strncmp(e->type, "multipart/", 10) != 0 || e->boundary[0] == '\0' ||
        depth >= MAX_DEPTH)
        return leaf(in, st, e, s, n);
    char boundary[200];
    snprintf(boundary, sizeof boundary, "%s", e->boundary);
    size_t bn = strlen(boundary);
    const char *def = strcmp(e->type, "multipart/digest") == 0 ? "message/rfc822" : "text/plain";
    size_t i = 0;
    const char *part = NULL; /* start of the current part */
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        int kind = boundary_line(s + i, end - i, boundary, bn);
        if (kind) {
            if (part) {
                /* the part ends before the newline that precedes the boundary */
                size_t pn = (size_t)(s + i - part);
                if (pn > 0 && part[pn - 1] == '\n')
                    pn--;
                hdrs ph = {0};
                entity pe;
                int rc = parse_headers(part, pn, &ph);
                if (rc == TC_OK) {
                    entity_info(st, &ph, &pe, def);
                    rc = walk(in, st, &pe, part + ph.body, pn - ph.body, depth + 1);
                }
                hdrs_free(&ph);
                if (rc != TC_OK)
                    return rc == TC_ERR_NOMEM ? nomem(in) : rc;
            }
            part = nl ? s + end + 1 : s + n;
            if (kind == 2)
                return TC_OK;
        }
        i = nl ? end + 1 : n;
    }
    if (part && part < s + n) { /* no closing boundary: the last part runs to the end */
        hdrs ph = {0};
        entity pe;
        size_t pn = (size_t)(s + n - part);
        int rc = parse_headers(part, pn, &ph);
        if (rc == TC_OK) {
            entity_info(st, &ph, &pe, def);
            rc = walk(in, st, &pe, part + ph.body, pn - ph.body, depth + 1);
        }
        hdrs_free(&ph);
        return rc == TC_ERR_NOMEM ? nomem(in) : rc;
    }
    if (part == NULL) /* no boundary at all: keep the text */
        return leaf(in, st, &(entity){.type = "text/plain"}, s, n);
    return TC_OK;
}


/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static void loaded_free(loaded *l)
{
    tc_buf_free(&l->raw);
    hdrs_free(&l->hs);
}

static void mbox_read_close(tc_stream *in, void *state)
{
    (void)in;
    mb_reader *st = state;
    if (st == NULL)
        return;
    store_free(st->ix);
    for (int i = 0; i < N_BLOCKS; i++)
        free(st->blocks[i].data);
    loaded_free(&st->cur);
    loaded_free(&st->aux);
    tc_buf *bufs[] = {&st->t_title, &st->t_source, &st->t_id, &st->t_url, &st->p_id,
                      &st->p_author, &st->p_body, &st->p_parent, &st->p_addr, &st->tmp,
                      &st->tmp2, &st->dec};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tc_buf_free(bufs[i]);
    for (size_t i = 0; i < 3; i++)
        tc_buf_free(&st->param[i]);
    tc_fields_free(&st->thread.extras);
    tc_fields_free(&st->post.extras);
    free(st);
}

static int mbox_read_open(tc_stream *in, void **state)
{
    mb_reader *st = calloc(1, sizeof *st);
    if (st == NULL)
        return nomem(in);
    st->max = tc_stream_max_post(in);
    st->cur.index = st->aux.index = NONE;
    /* -O mbox.index-memory: KiB of index in memory, at least 16 */
    const char *im = tc_stream_option(in, "index-memory");
    long kb = strtol(im ? im : INDEX_KB, NULL, 10);
    st->ix = store_new((size_t)(kb < 16 ? 16 : kb) * 1024);
    if (st->ix == NULL) {
        free(st);
        return nomem(in);
    }
    const char *variant = tc_stream_option(in, "variant");
    st->unquote = variant == NULL || strcmp(variant, "mboxrd") == 0 ? 2
                  : strcmp(variant, "mboxo") == 0                  ? 1
                                                                   : 0;
    for (int i = 0; i < N_BLOCKS; i++)
        st->blocks[i].off = UINT64_MAX;
    int rc = tc_stream_make_seekable(in);
    st->start = tc_stream_tell(in);
    if (rc == TC_OK)
        rc = pass1(in, st);
    if (rc == TC_OK)
        rc = thread_messages(in, st);
    if (rc != TC_OK) {
        mbox_read_close(in, st);
        return rc;
    }
    *state = st;
    return TC_OK;
}

/* Extra fields X-Threadconv-...-KEY (headers of kind, prefix) of l into fields. */
static int read_extras(tc_stream *in, mb_reader *st, const loaded *l, int kind,
                       const char *prefix, tc_fields *fields)
{
    size_t pn = strlen(prefix);
    for (size_t i = 0; i < l->hs.n; i++) {
        const hdr *h = &l->hs.h[i];
        if (h->kind != kind)
            continue;
        const char *name = TEXT(l) + h->name;
        if (!mb_decode_key(&st->tmp, name + pn, h->name_len - pn)) {
            tc_stream_warn(in, hdr_line(l, h), 0,
                           "message %u: header %.*s does not name an extra field; ignored",
                           l->index + 1, (int)h->name_len, name);
            continue;
        }
        const char *v = HVAL(&l->hs, h);
        size_t vn = h->val_len, bad = 0;
        bool unknown = false;
        trim(&v, &vn);
        tc_buf_reset(&st->tmp2);
        if (mb_decode_words(&st->tmp2, v, vn, &bad, &unknown) != TC_OK)
            return nomem(in);
        if (tc_is_reserved_key(st->tmp.data) || tc_fields_get(fields, st->tmp.data)) {
            tc_stream_warn(in, hdr_line(l, h), 0,
                           "message %u: extra field \"%s\" is reserved or repeated; ignored",
                           l->index + 1, st->tmp.data);
            continue;
        }
        if (tc_fields_set(fields, st->tmp.data, st->tmp2.data) != TC_OK)
            return nomem(in);
    }
    return TC_OK;
}

static int set_buf(tc_buf *b, const char *s, size_t n)
{
    if (b->data && s >= b->data && s <= b->data + b->cap) { /* itself */
        memmove(b->data, s, n);
        b->len = n;
        b->data[n] = '\0';
        return TC_OK;
    }
    tc_buf_reset(b);
    if (tc_buf_append(b, s, n) != TC_OK || tc_buf_append(b, "", 0) != TC_OK)
        return TC_ERR_NOMEM;
    return TC_OK;
}

static int mbox_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    mb_reader *st = state;
    if (st->cur_thread >= st->n_threads)
        return TC_EOF;
    uint32_t first, last;
    thread_get(st, st->cur_thread++, &first, &last);
    st->next_msg = first;
    tc_fields_clear(&st->thread.extras);
    uint32_t head = NONE, root = NONE;
    for (uint32_t m = first; m != NONE && head == NONE;) {
        msg_ix x = msg_get(st, m);
        if (x.flags & F_START)
            head = m;
        if (root == NONE && x.parent == NONE)
            root = m;
        m = x.next;
    }
    if (head == NONE && root == NONE)
        root = first;
    uint32_t from = head != NONE ? head : root;
    /* The thread's first message is most often the one that tells its
     * title: read it whole, for the first post too (when no message can
     * be too long for max-post, so any error comes where it used to). */
    loaded *l = &st->aux;
    msg_ix x = msg_get(st, from);
    int rc;
    if (from == first && msg_end(st, from, &x) - x.off < st->max) {
        l = &st->cur;
        rc = load(in, st, from, l, false);
    } else {
        rc = load(in, st, from, l, true);
    }
    if (rc != TC_OK)
        return rc;
    size_t bad = 0;
    if (head != NONE) {
        if (!get_text(l, K_XSOURCE, &st->t_source, &bad))
            return nomem(in);
        if (!get_text(l, K_SUBJECT, &st->t_title, &bad) && set_buf(&st->t_title, "", 0))
            return nomem(in);
        st->thread.id = get_text(l, K_XTHREAD_ID, &st->t_id, &bad) ? st->t_id.data : NULL;
        st->thread.url = get_text(l, K_XTHREAD_URL, &st->t_url, &bad) ? st->t_url.data : NULL;
        if ((rc = read_extras(in, st, l, K_XTHREAD_EXTRA, MB_H_THREAD_EXTRA,
                              &st->thread.extras)) != TC_OK)
            return rc;
    } else {
        if (set_buf(&st->t_source, "mbox", 4) != TC_OK)
            return nomem(in);
        if (get_text(l, K_SUBJECT, &st->tmp, &bad)) {
            const char *p = st->tmp.data;
            size_t pn = st->tmp.len;
            mb_strip_reply(&p, &pn);
            if (set_buf(&st->t_title, p, pn) != TC_OK)
                return nomem(in);
        } else if (set_buf(&st->t_title, "", 0) != TC_OK)
            return nomem(in);
        st->thread.id = NULL;
        st->thread.url = NULL;
    }
    if (bad)
        tc_stream_warn(in, l->line, 0,
                       "message %u: %zu byte%s of the thread header not valid in their "
                       "charset; each read as the ISO-8859-1 character of the same value",
                       from + 1, bad, bad == 1 ? "" : "s");
    st->thread.title = st->t_title.data;
    st->thread.source = st->t_source.data;
    *thread = &st->thread;
    return TC_OK;
}

static int mbox_next_post(tc_stream *in, void *state, const tc_post **post)
{
    mb_reader *st = state;
    uint32_t m = st->next_msg;
    msg_ix x;
    for (;;) {
        if (m == NONE) {
            st->next_msg = NONE;
            int rc = store_check(in, st);
            return rc != TC_OK ? rc : TC_EOF;
        }
        x = msg_get(st, m);
        if (!(x.flags & F_STUB))
            break;
        m = x.next;
    }
    st->next_msg = x.next;
    bool ours = x.flags & F_MARKED;
    int rc;
    tc_fields_clear(&st->post.extras);
    size_t bad = 0;

    /* the parent's id first (when the index does not know it, loading
     * the parent uses the stream) */
    st->post.parent_id = NULL;
    if (!ours && x.parent != NONE) {
        rc = indexed_post_id(st, x.parent, &st->p_parent);
        if (rc == TC_EOF) {
            if ((rc = load(in, st, x.parent, &st->aux, true)) != TC_OK)
                return rc;
            rc = post_id(&st->aux, &st->p_parent);
        }
        if (rc != TC_OK)
            return nomem(in);
        st->post.parent_id = st->p_parent.data;
    }

    loaded *l = &st->cur;
    if ((l->index != m || !l->full) && (rc = load(in, st, m, l, false)) != TC_OK)
        return rc;
    if (post_id(l, &st->p_id) != TC_OK)
        return nomem(in);
    if (ours && get_text(l, K_XPARENT, &st->p_parent, &bad))
        st->post.parent_id = st->p_parent.data;

    /* author */
    tc_buf_reset(&st->p_author);
    const hdr *h = find_hdr(&l->hs, K_FROM);
    if (h) {
        bool unknown = false;
        if (mb_parse_from(HVAL(&l->hs, h), h->val_len, &st->p_author, &st->p_addr, &bad,
                          &unknown) != TC_OK)
            return nomem(in);
        if (!ours && st->p_author.len == 0 && set_buf(&st->p_author, st->p_addr.data,
                                                      st->p_addr.len) != TC_OK)
            return nomem(in);
        if (!ours && st->p_addr.len > 0 &&
            tc_fields_set(&st->post.extras, "mbox.address", st->p_addr.data) != TC_OK)
            return nomem(in);
    }
    if (set_buf(&st->p_author, st->p_author.data ? st->p_author.data : "",
                st->p_author.len) != TC_OK)
        return nomem(in);

    /* date */
    st->post.date = (tc_date){0, 0, false};
    const hdr *iso = ours ? find_hdr(&l->hs, K_XDATE) : NULL;
    h = find_hdr(&l->hs, K_DATE);
    if (iso) {
        const char *v = HVAL(&l->hs, iso);
        size_t vn = iso->val_len;
        trim(&v, &vn);
        if (tc_date_parse_iso(v, vn, &st->post.date) != TC_OK)
            tc_stream_warn(in, hdr_line(l, iso), 0,
                           "message %u: %s is not an ISO 8601 date; the post has no date",
                           m + 1, MB_H_DATE);
    } else if (h) {
        const char *v = HVAL(&l->hs, h), *why;
        size_t vn = h->val_len;
        trim(&v, &vn);
        if (mb_parse_rfc5322(v, vn, &st->post.date, &why) != TC_OK) {
            st->post.date = (tc_date){0, 0, false};
            tc_stream_warn(in, hdr_line(l, h), 0,
                           "message %u: bad Date header \"%.*s\": %s; the post has no date",
                           m + 1, (int)(vn > 80 ? 80 : vn), v, why);
        }
    } else if (!ours) {
        tc_date envelope = {0, 0, false};
        mb_from_line(l->raw.data, l->from_len, &envelope);
        if (envelope.present)
            st->post.date = envelope; /* the From_ line's date, as UTC */
    }

    /* body */
    entity e;
    entity_info(st, &l->hs, &e, "text/plain");
    st->have_body = false;
    st->leaf = 0;
    st->fb_text = NULL;
    const char *body = TEXT(l) + l->hs.body;
    size_t body_len = TEXT_LEN(l) - l->hs.body;
    /* A body that cannot be decoded spoils only its own message: the index
     * already points at the next one, so the reader can go on. */
    if ((rc = walk(in, st, &e, body, body_len, 0)) != TC_OK)
        return rc == TC_ERR_DATA ? TC_SKIPPED : rc;
    if (!st->have_body) {
        if (st->fb_text) {
            rc = decode_leaf(in, st, st->fb_text, st->fb_len, st->fb_cte, st->fb_charset,
                             &st->p_body, "body");
            if (rc != TC_OK)
                return rc == TC_ERR_DATA ? TC_SKIPPED : rc;
        } else if (set_buf(&st->p_body, "", 0) != TC_OK)
            return nomem(in);
    }
    if (ours && st->p_body.len > 0 && st->p_body.data[st->p_body.len - 1] == '\n')
        st->p_body.data[--st->p_body.len] = '\0'; /* the newline our writer added */

    if (ours) {
        if ((rc = read_extras(in, st, l, K_XEXTRA, MB_H_EXTRA, &st->post.extras)) != TC_OK)
            return rc;
    } else {
        /* who else it went to */
        static const struct {
            int kind;
            const char *name, *key;
        } kept[] = {{K_TO, "To", "mbox.to"}, {K_CC, "Cc", "mbox.cc"}};
        for (size_t i = 0; i < 2; i++) {
            size_t b = 0;
            if (get_text(l, kept[i].kind, &st->tmp, &b)) {
                if (tc_fields_set(&st->post.extras, kept[i].key, st->tmp.data) != TC_OK)
                    return nomem(in);
                if (b) {
                    bad += b;
                    tc_buf_reset(&st->tmp2);
                    if (tc_buf_printf(&st->tmp2, "%s header: %zu byte%s not valid in its "
                                      "charset read as ISO-8859-1", kept[i].name, b,
                                      b == 1 ? "" : "s") != TC_OK ||
                        tc_fields_set(&st->post.extras, "mbox.undecodable", st->tmp2.data) !=
                            TC_OK)
                        return nomem(in);
                }
            }
        }
    }
    if (!ours && get_text(l, K_SUBJECT, &st->tmp, &bad)) {
        /* a subject other than the thread's is kept */
        const char *p = st->tmp.data;
        size_t pn = st->tmp.len;
        mb_strip_reply(&p, &pn);
        if ((pn != strlen(st->thread.title) || memcmp(p, st->thread.title, pn) != 0) &&
            tc_fields_set(&st->post.extras, "mbox.subject", st->tmp.data) != TC_OK)
            return nomem(in);
    }
    if (bad)
        tc_stream_warn(in, x.line, 0,
                       "message %u: %zu byte%s of the headers not valid in their charset; "
                       "each read as the ISO-8859-1 character of the same value",
                       m + 1, bad, bad == 1 ? "" : "s");

    st->post.id = st->p_id.data;
    st->post.author = st->p_author.data;
    st->post.body = st->p_body.data;
    st->post.body_len = st->p_body.len;
    *post = &st->post;
    return TC_OK;
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
        return nomem(out);
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
        return nomem(out);
    return TC_OK;
}

static int mbox_write_post(tc_stream *out, void *state, const tc_post *post)
{
    mb_writer *w = state;
    tc_buf_reset(&w->out);
    if (mb_builder_post(&w->b, post, &w->out) != TC_OK)
        return nomem(out);
    return tc_stream_write(out, w->out.data, w->out.len);
}

static int mbox_write_end_thread(tc_stream *out, void *state)
{
    mb_writer *w = state;
    tc_buf_reset(&w->out);
    if (mb_builder_end_thread(&w->b, &w->out) != TC_OK)
        return nomem(out);
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

TC_PLUGIN_DEFINE(.name = "mbox",
                 .description = "Unix mbox (mboxrd, mboxo, mboxcl2), one message per post",
                 .version = "1.0.0", .license = "MIT", .read_probe = mbox_probe,
                 .read_open = mbox_read_open, .read_next_thread = mbox_next_thread,
                 .read_next_post = mbox_next_post, .read_close = mbox_read_close,
                 .write_open = mbox_write_open, .write_begin_thread = mbox_write_begin_thread,
                 .write_post = mbox_write_post, .write_end_thread = mbox_write_end_thread,
                 .write_finish = mbox_write_finish, .write_close = mbox_write_close,
                 .options = mbox_options, .extension = "mbox",
                 /* every string the reader returns went through mb_to_utf8
                  * (decode.c) or is ASCII it made; extra keys are checked
                  * by mb_decode_key */
                 .flags = TC_PLUGIN_READS_UTF8);
