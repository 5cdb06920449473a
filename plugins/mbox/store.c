/*
 * store.c - the store the mbox reader keeps its index in (store.h): a few
 * growing byte regions kept in a page cache of at most -O
 * mbox.index-memory bytes and beyond it in an unlinked temporary file
 * ($TMPDIR, else /tmp).
 *
 * Page p of region r is page p * MBOX_REGIONS + r of the file (regions
 * interleaved page by page; pages never written are holes and read as
 * zeros).  Nothing is written until the cache is full: a mailbox whose
 * index fits never touches the disk.  The cache evicts with the CLOCK
 * algorithm (a page used since the hand last passed gets another round),
 * writing a page back only when it changed.  The two pages each region
 * used last are found without a lookup (mbox_store_read in store.h).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "store.h"

#include <threadconv/threadconv.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

mbox_store *mbox_store_new(size_t budget)
{
    mbox_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->n_slots = budget / MBOX_PAGE;
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

void mbox_store_free(mbox_store *s)
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

const char *mbox_store_error(const mbox_store *s)
{
    return s->why[0] ? s->why : NULL;
}

static void fail(mbox_store *s, const char *what, int err)
{
    if (s->why[0] == '\0') {
        /* the index file is in $TMPDIR: its failures are the environment's */
        s->code = err == ENOMEM ? TC_ERR_NOMEM : TC_ERR_OUTPUT;
        snprintf(s->why, sizeof s->why, "%s: %s", what, strerror(err));
    }
}

static size_t slot_hash(uint64_t key)
{
    key *= 0x9E3779B97F4A7C15ull;
    return (size_t)(key >> 32);
}

/* Remove key from the index (backward-shift deletion keeps probe runs whole). */
static void index_remove(mbox_store *s, uint64_t key)
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
    return g << MBOX_PAGE_SHIFT;
}

static bool open_file(mbox_store *s)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    snprintf(path, sizeof path, "%s/threadconv-mbox-index-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        s->code = TC_ERR_OUTPUT; /* the environment's fault, not the input's */
        snprintf(s->why, sizeof s->why,
                 "cannot create a temporary file in %.200s (TMPDIR) for the mbox index: %s",
                 dir, strerror(errno));
        return false;
    }
    unlink(path);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    s->fd = fd;
    return true;
}

static void write_back(mbox_store *s, mbox_page *p)
{
    if (!p->dirty)
        return;
    p->dirty = false;
    if (s->why[0] || (s->fd < 0 && !open_file(s)))
        return;
    uint64_t off = file_offset(p->key);
    size_t done = 0;
    while (done < MBOX_PAGE) {
        ssize_t n = pwrite(s->fd, p->data + done, MBOX_PAGE - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail(s, "cannot write the mbox index to a temporary file", n < 0 ? errno : ENOSPC);
            return;
        }
        done += (size_t)n;
    }
    uint64_t g = p->key - 1;
    unsigned r = (unsigned)(g % MBOX_REGIONS);
    uint64_t pno = g / MBOX_REGIONS;
    if (s->written[r] <= pno)
        s->written[r] = pno + 1;
}

static void fill(mbox_store *s, mbox_page *p)
{
    uint64_t g = p->key - 1;
    unsigned r = (unsigned)(g % MBOX_REGIONS);
    if (s->fd < 0 || g / MBOX_REGIONS >= s->written[r]) {
        memset(p->data, 0, MBOX_PAGE); /* never written out: still zeros */
        return;
    }
    uint64_t off = file_offset(p->key);
    size_t done = 0;
    while (done < MBOX_PAGE) {
        ssize_t n = pread(s->fd, p->data + done, MBOX_PAGE - done, (off_t)(off + done));
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
    memset(p->data + done, 0, MBOX_PAGE - done);
}

/* The page is leaving its slot: the fast path must not find it. */
static void forget_hot(mbox_store *s, const mbox_page *p)
{
    mbox_hot *h = s->recent[(p->key - 1) % MBOX_REGIONS];
    for (int k = 0; k < 2; k++)
        if (h[k].p == p)
            h[k].pno1 = 0;
}

/* The slot to reuse: a free one, else the CLOCK victim, written back. */
static mbox_page *victim(mbox_store *s)
{
    if (s->n_used < s->n_slots) {
        mbox_page *p = &s->slots[s->n_used++];
        if (p->data == NULL && (p->data = malloc(MBOX_PAGE)) == NULL) {
            s->n_used--;
            fail(s, "cannot hold the mbox index", ENOMEM);
            return NULL;
        }
        return p;
    }
    for (;;) {
        mbox_page *p = &s->slots[s->hand];
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
static unsigned char *page_data(mbox_store *s, uint64_t g, bool write)
{
    unsigned r = (unsigned)(g % MBOX_REGIONS);
    uint64_t key = g + 1;
    mbox_hot *h = s->recent[r];
    mbox_page *p;
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
        h[0] = (mbox_hot){g / MBOX_REGIONS + 1, p};
    }
    p->ref = true;
    if (write)
        p->dirty = true;
    return p->data;
sink:
    memset(s->sink, 0, MBOX_PAGE);
    return s->sink;
}

static uint64_t global_page(unsigned region, uint64_t off)
{
    return (off >> MBOX_PAGE_SHIFT) * MBOX_REGIONS + region;
}

void mbox_store_read_any(mbox_store *s, unsigned region, uint64_t off, void *dst, size_t len)
{
    unsigned char *d = dst;
    while (len > 0) {
        size_t in = (size_t)(off & (MBOX_PAGE - 1));
        size_t k = MBOX_PAGE - in < len ? MBOX_PAGE - in : len;
        memcpy(d, page_data(s, global_page(region, off), false) + in, k);
        d += k;
        off += k;
        len -= k;
    }
}

void mbox_store_write_any(mbox_store *s, unsigned region, uint64_t off, const void *src,
                          size_t len)
{
    const unsigned char *p = src;
    while (len > 0) {
        size_t in = (size_t)(off & (MBOX_PAGE - 1));
        size_t k = MBOX_PAGE - in < len ? MBOX_PAGE - in : len;
        memcpy(page_data(s, global_page(region, off), true) + in, p, k);
        p += k;
        off += k;
        len -= k;
    }
}

bool mbox_store_equal(mbox_store *s, unsigned region, uint64_t off, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        size_t in = (size_t)(off & (MBOX_PAGE - 1));
        size_t k = MBOX_PAGE - in < len ? MBOX_PAGE - in : len;
        if (memcmp(page_data(s, global_page(region, off), false) + in, p, k) != 0)
            return false;
        p += k;
        off += k;
        len -= k;
    }
    return true;
}

void mbox_store_drop(mbox_store *s, unsigned region, uint64_t off, uint64_t len)
{
    /* whole pages inside [off, off + len) are forgotten, never written */
    uint64_t first = (off + MBOX_PAGE - 1) >> MBOX_PAGE_SHIFT, end = (off + len) >> MBOX_PAGE_SHIFT;
    if (end <= first)
        return;
    if (end - first > s->n_slots) {
        for (size_t i = 0; i < s->n_used; i++) {
            mbox_page *p = &s->slots[i];
            if (p->key == 0)
                continue;
            uint64_t g = p->key - 1, pno = g / MBOX_REGIONS;
            if (g % MBOX_REGIONS == region && pno >= first && pno < end) {
                forget_hot(s, p);
                index_remove(s, p->key);
                p->key = 0;
                p->dirty = p->ref = false;
            }
        }
    } else {
        size_t mask = s->index_mask;
        for (uint64_t pno = first; pno < end; pno++) {
            uint64_t key = pno * MBOX_REGIONS + region + 1;
            size_t i = slot_hash(key) & mask;
            while (s->index[i] && s->slots[s->index[i] - 1].key != key)
                i = (i + 1) & mask;
            if (s->index[i]) {
                mbox_page *p = &s->slots[s->index[i] - 1];
                forget_hot(s, p);
                index_remove(s, key);
                p->key = 0;
                p->dirty = p->ref = false;
            }
        }
    }
}
