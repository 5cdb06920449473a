/*
 * store.h - the store the mbox reader keeps its index in (store.c): a few
 * growing byte regions, each an address space of its own starting at 0,
 * kept in a page cache of bounded size and beyond it in an unlinked
 * temporary file, so the reader's memory stays the same however many
 * messages a mailbox holds.  It knows nothing of mail: reader.h says what
 * each region holds.  Private to plugins/mbox.
 *
 * Errors (no memory for a page; the file cannot be made, written or
 * read) are sticky: from then on reads give zeros and writes are dropped,
 * and mb_store_error says what happened.  Callers check it after each
 * phase; zeros read as "no link" everywhere, so no walk loops on them.
 *
 * The structure is here, not hidden in store.c, only so that the common
 * case of mb_store_read and mb_store_write (the page a region used last)
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

#define MB_REGIONS 8
#define MB_PAGE_SHIFT 12
#define MB_PAGE ((size_t)1 << MB_PAGE_SHIFT)

typedef struct mb_page {
    uint64_t key;          /* global page number + 1; 0: the slot is free */
    unsigned char *data;   /* MB_PAGE bytes, allocated when the slot is first used */
    bool dirty, ref;
} mb_page;

typedef struct mb_hot {
    uint64_t pno1;         /* the page's number in its region + 1, 0: none */
    mb_page *p;
} mb_hot;

typedef struct mb_store {
    mb_hot recent[MB_REGIONS][2]; /* the two pages each region used last, newest first */
    mb_page *slots;
    size_t n_slots, n_used, hand;
    uint32_t *index;       /* open addressing, linear probing: slot + 1, 0 empty */
    size_t index_mask;
    uint64_t written[MB_REGIONS]; /* pages of a region below this may be in the file */
    int fd;                /* -1 until a page is written out */
    int code;              /* the first error: TC_ERR_NOMEM or TC_ERR_DATA, */
    char why[300];         /* and what it was ("" while none) */
    unsigned char sink[MB_PAGE]; /* after an error: zeros, writes dropped */
} mb_store;

/* A store keeping at most budget bytes of pages in memory (at least four
 * pages); NULL when out of memory.  Nothing touches the disk until the
 * pages outgrow the budget. */
mb_store *mb_store_new(size_t budget);
void mb_store_free(mb_store *s);

/* What went wrong, NULL while nothing did (s->code is then the TC_ERR_*). */
const char *mb_store_error(const mb_store *s);

/* Bytes [off, off + len) of a region; bytes never written read as zeros.
 * The _any forms take any range; use mb_store_read and mb_store_write. */
void mb_store_read_any(mb_store *s, unsigned region, uint64_t off, void *dst, size_t len);
void mb_store_write_any(mb_store *s, unsigned region, uint64_t off, const void *src,
                        size_t len);
/* Whether region bytes [off, off + len) equal data. */
bool mb_store_equal(mb_store *s, unsigned region, uint64_t off, const void *data, size_t len);
/* Forget region bytes [off, off + len) that will not be read again: the
 * whole pages among them are dropped without being written out. */
void mb_store_drop(mb_store *s, unsigned region, uint64_t off, uint64_t len);

/* The hot page holding region bytes [off, off + len), NULL if none. */
static inline mb_page *mb_store_hot(mb_store *s, unsigned region, uint64_t off, size_t len)
{
    mb_hot *h = s->recent[region];
    uint64_t pno1 = (off >> MB_PAGE_SHIFT) + 1;
    if ((off & (MB_PAGE - 1)) + len > MB_PAGE)
        return NULL;
    return h[0].pno1 == pno1 ? h[0].p : h[1].pno1 == pno1 ? h[1].p : NULL;
}

static inline void mb_store_read(mb_store *s, unsigned region, uint64_t off, void *dst,
                                 size_t len)
{
    mb_page *p = mb_store_hot(s, region, off, len);
    if (p) {
        p->ref = true;
        memcpy(dst, p->data + (off & (MB_PAGE - 1)), len);
    } else {
        mb_store_read_any(s, region, off, dst, len);
    }
}

static inline void mb_store_write(mb_store *s, unsigned region, uint64_t off, const void *src,
                                  size_t len)
{
    mb_page *p = mb_store_hot(s, region, off, len);
    if (p) {
        p->ref = p->dirty = true;
        memcpy(p->data + (off & (MB_PAGE - 1)), src, len);
    } else {
        mb_store_write_any(s, region, off, src, len);
    }
}

#endif
