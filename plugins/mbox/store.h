/*
 * store.h - the store the mbox reader keeps its index in, and the writer
 * its map of a thread's parents (store.c): a few growing byte regions,
 * each an address space of its own starting at 0, kept in a page cache of
 * bounded size and beyond it in an unlinked temporary file, so memory
 * stays the same however many messages a mailbox or a thread holds.  It
 * knows nothing of mail: reader.h and build.c say what each region holds.
 * Private to plugins/mbox.
 *
 * Errors (no memory for a page; the file cannot be made, written or
 * read) are sticky: from then on reads give zeros and writes are dropped,
 * and mbox_store_error says what happened.  Callers check it after each
 * phase; zeros read as "no link" everywhere, so no walk loops on them.
 *
 * The structure is here, not hidden in store.c, only so that the common
 * case of mbox_store_read and mbox_store_write (the page a region used last)
 * is inline in its callers.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_MBOX_STORE_H
#define TC_MBOX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MBOX_REGIONS 9
#define MBOX_PAGE_SHIFT 12
#define MBOX_PAGE ((size_t)1 << MBOX_PAGE_SHIFT)

typedef struct mbox_page {
    uint64_t key;          /* global page number + 1; 0: the slot is free */
    unsigned char *data;   /* MBOX_PAGE bytes, allocated when the slot is first used */
    bool dirty, ref;
} mbox_page;

typedef struct mbox_hot {
    uint64_t pno1;         /* the page's number in its region + 1, 0: none */
    mbox_page *p;
} mbox_hot;

typedef struct mbox_store {
    mbox_hot recent[MBOX_REGIONS][2]; /* the two pages each region used last, newest first */
    mbox_page *slots;
    size_t n_slots, n_used, hand;
    uint32_t *index;       /* open addressing, linear probing: slot + 1, 0 empty */
    size_t index_mask;
    uint64_t written[MBOX_REGIONS]; /* pages of a region below this may be in the file */
    int fd;                /* -1 until a page is written out */
    int code;              /* the first error: TC_ERR_NOMEM or TC_ERR_DATA, */
    char why[300];         /* and what it was ("" while none) */
    unsigned char sink[MBOX_PAGE]; /* after an error: zeros, writes dropped */
} mbox_store;

/* A store keeping at most budget bytes of pages in memory (at least four
 * pages); NULL when out of memory.  Nothing touches the disk until the
 * pages outgrow the budget. */
mbox_store *mbox_store_new(size_t budget);
void mbox_store_free(mbox_store *s);

/* What went wrong, NULL while nothing did (s->code is then the TC_ERR_*). */
const char *mbox_store_error(const mbox_store *s);

/* Bytes [off, off + len) of a region; bytes never written read as zeros.
 * The _any forms take any range; use mbox_store_read and mbox_store_write. */
void mbox_store_read_any(mbox_store *s, unsigned region, uint64_t off, void *dst, size_t len);
void mbox_store_write_any(mbox_store *s, unsigned region, uint64_t off, const void *src,
                          size_t len);
/* Whether region bytes [off, off + len) equal data. */
bool mbox_store_equal(mbox_store *s, unsigned region, uint64_t off, const void *data, size_t len);
/* Forget region bytes [off, off + len) that will not be read again: the
 * whole pages among them are dropped without being written out. */
void mbox_store_drop(mbox_store *s, unsigned region, uint64_t off, uint64_t len);

/* The hot page holding region bytes [off, off + len), NULL if none. */
static inline mbox_page *mbox_store_hot(mbox_store *s, unsigned region, uint64_t off, size_t len)
{
    mbox_hot *h = s->recent[region];
    uint64_t pno1 = (off >> MBOX_PAGE_SHIFT) + 1;
    if ((off & (MBOX_PAGE - 1)) + len > MBOX_PAGE)
        return NULL;
    return h[0].pno1 == pno1 ? h[0].p : h[1].pno1 == pno1 ? h[1].p : NULL;
}

static inline void mbox_store_read(mbox_store *s, unsigned region, uint64_t off, void *dst,
                                   size_t len)
{
    mbox_page *p = mbox_store_hot(s, region, off, len);
    if (p) {
        p->ref = true;
        memcpy(dst, p->data + (off & (MBOX_PAGE - 1)), len);
    } else {
        mbox_store_read_any(s, region, off, dst, len);
    }
}

static inline void mbox_store_write(mbox_store *s, unsigned region, uint64_t off, const void *src,
                                    size_t len)
{
    mbox_page *p = mbox_store_hot(s, region, off, len);
    if (p) {
        p->ref = p->dirty = true;
        memcpy(p->data + (off & (MBOX_PAGE - 1)), src, len);
    } else {
        mbox_store_write_any(s, region, off, src, len);
    }
}

#endif
