/*
 * index.c - the mbox reader's index, built before the first post is
 * handed out (JWZ threading needs every message's ids first):
 *   pass 1 reads the mailbox once, line by line: where each message
 *          starts and ends (From_ lines, a Content-Length checked against
 *          them), a few flags, the subject of others' mail; each message
 *          is linked into the JWZ containers of its Message-ID and
 *          references as soon as its headers end, so only the current
 *          message's references are held;
 *   then one walk over the messages groups the containers into threads
 *          (and threads of others' mail by subject) and links each
 *          message to its parent and to the next message of its thread.
 * Everything is kept in the store (store.c, layout in reader.h), so
 * memory does not grow with the mailbox.  Message-IDs and subjects are
 * found by their hashes and then compared as strings: equal hashes never
 * join different ids or subjects.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <string.h>

#define MAX_REFS 64        /* references kept per message (the newest) */

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

/* Index entries written back (reader.h reads them: mbox_msg_get, mbox_ctr_get). */
static void msg_put(mbox_reader *st, uint32_t m, mbox_msg x)
{
    x.parent++;
    x.next++;
    mbox_store_write(st->ix, MBOX_R_MSG, (uint64_t)m * sizeof x, &x, sizeof x);
}

static void ctr_put(mbox_reader *st, uint32_t c, mbox_ctr x)
{
    x.parent++;
    x.msg++;
    mbox_store_write(st->ix, MBOX_R_CTR, (uint64_t)c * sizeof x, &x, sizeof x);
}

static uint32_t ctr_parent(mbox_reader *st, uint32_t c)
{
    uint32_t p;
    mbox_store_read(st->ix, MBOX_R_CTR, (uint64_t)c * sizeof(mbox_ctr), &p, sizeof p);
    return p - 1;
}

/* ------------------------------------------------------------------ */
/* Pass 1: the index                                                   */
/* ------------------------------------------------------------------ */

typedef struct scan {
    bool have;           /* a message is being scanned: m */
    mbox_msg m;            /* (written to the index when it ends) */
    bool in_head;
    int hkind;           /* the header being collected, -1: none yet */
    size_t hlen;         /* its unfolded length so far */
    tc_buf htext;        /* its text, for the kinds threading needs */
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
    tc_buf *b[] = {&sc->htext, &sc->msgid, &sc->irt, &sc->ref_text, &sc->subjects};
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

/* A complete header of a kind threading needs, in sc->htext. */
static int scan_header(scan *sc)
{
    const char *s = sc->htext.data;
    size_t n = sc->htext.len;
    size_t nl = mbox_header_name(s, n);
    const char *v = s + nl + 1;
    size_t vn = n - nl - 1;
    const char *id;
    size_t idn;
    switch (sc->hkind) {
    case MBOX_K_MSGID: /* the last one counts */
        mbox_next_id(v, vn, 0, &id, &idn);
        if (id == NULL) {
            id = v;
            idn = vn;
        }
        mbox_trim(&id, &idn);
        tc_buf_reset(&sc->msgid);
        if (tc_buf_append(&sc->msgid, id, idn) != TC_OK)
            return TC_ERR_NOMEM;
        break;
    case MBOX_K_REFS:
        for (size_t i = mbox_next_id(v, vn, 0, &id, &idn); id;
             i = mbox_next_id(v, vn, i, &id, &idn)) {
            mbox_trim(&id, &idn);
            if (idn > 0 && add_ref(sc, id, idn) != TC_OK)
                return TC_ERR_NOMEM;
        }
        break;
    case MBOX_K_IRT:
        mbox_next_id(v, vn, 0, &id, &idn);
        if (id) {
            mbox_trim(&id, &idn);
            tc_buf_reset(&sc->irt);
            sc->have_irt = idn > 0;
            if (tc_buf_append(&sc->irt, id, idn) != TC_OK)
                return TC_ERR_NOMEM;
        }
        break;
    case MBOX_K_SUBJECT:
        if (tc_buf_append(&sc->subjects, &vn, sizeof vn) != TC_OK ||
            tc_buf_append(&sc->subjects, v, vn) != TC_OK)
            return TC_ERR_NOMEM;
        break;
    case MBOX_K_CLEN: {
        const char *p = v;
        size_t pn = vn;
        mbox_trim(&p, &pn);
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
    return k == MBOX_K_MSGID || k == MBOX_K_REFS || k == MBOX_K_IRT || k == MBOX_K_SUBJECT ||
           k == MBOX_K_CLEN;
}

/* A header line starts (or the headers end: line NULL): the previous
 * header is complete. */
static int header_done(scan *sc)
{
    int rc = sc->hkind >= 0 && wanted(sc->hkind) ? scan_header(sc) : TC_OK;
    sc->hkind = -1;
    sc->hlen = 0;
    tc_buf_reset(&sc->htext);
    return rc;
}

/* A new container: its index, MBOX_NONE when there can be no more. */
static uint32_t ctr_new(mbox_reader *st, uint64_t id)
{
    if (st->n_ctrs == MBOX_NONE - 1)
        return MBOX_NONE;
    ctr_put(st, st->n_ctrs, (mbox_ctr){MBOX_NONE, MBOX_NONE, id});
    return st->n_ctrs++;
}

/* Whether the id at MBOX_R_IDS offset off is s[0..n). */
static bool id_is(mbox_reader *st, uint64_t off, const char *s, size_t n)
{
    uint32_t len;
    mbox_store_read(st->ix, MBOX_R_IDS, off, &len, sizeof len);
    return len == n && mbox_store_equal(st->ix, MBOX_R_IDS, off + sizeof len, s, n);
}

/* Grow the id table to twice its size, in fresh space after the old. */
static void tab_grow(mbox_reader *st)
{
    size_t cap = st->tab_cap ? st->tab_cap * 2 : 4096;
    uint64_t base = st->tab_base + (uint64_t)st->tab_cap * 8;
    for (size_t i = 0; i < st->tab_cap; i++) {
        uint32_t slot[2];
        mbox_store_read(st->ix, MBOX_R_TAB, st->tab_base + (uint64_t)i * 8, slot, sizeof slot);
        if (slot[0] == 0)
            continue;
        size_t k = slot[1] & (cap - 1);
        for (;;) {
            uint32_t c;
            mbox_store_read(st->ix, MBOX_R_TAB, base + (uint64_t)k * 8, &c, sizeof c);
            if (c == 0)
                break;
            k = (k + 1) & (cap - 1);
        }
        mbox_store_write(st->ix, MBOX_R_TAB, base + (uint64_t)k * 8, slot, sizeof slot);
    }
    mbox_store_drop(st->ix, MBOX_R_TAB, st->tab_base, (uint64_t)st->tab_cap * 8);
    st->tab_base = base;
    st->tab_cap = cap;
}

/* The container of id s[0..n) (not empty), made when there is none yet;
 * MBOX_NONE when no more can be made. */
static uint32_t ctr_of(mbox_reader *st, const char *s, size_t n)
{
    if ((st->tab_n + 1) * 2 > st->tab_cap)
        tab_grow(st);
    uint32_t tag = (uint32_t)(str_hash(s, n) >> 32);
    size_t mask = st->tab_cap - 1, k = tag & mask;
    for (;;) {
        uint32_t slot[2];
        mbox_store_read(st->ix, MBOX_R_TAB, st->tab_base + (uint64_t)k * 8, slot, sizeof slot);
        if (slot[0] == 0)
            break;
        if (slot[1] == tag) {
            mbox_ctr c = mbox_ctr_get(st, slot[0] - 1);
            if (c.id && id_is(st, c.id - 1, s, n))
                return slot[0] - 1;
        }
        k = (k + 1) & mask;
    }
    uint32_t len = (uint32_t)n; /* link_message checked it */
    uint64_t off = st->ids_end;
    uint32_t c = ctr_new(st, off + 1);
    if (c == MBOX_NONE)
        return MBOX_NONE;
    mbox_store_write(st->ix, MBOX_R_IDS, off, &len, sizeof len);
    mbox_store_write(st->ix, MBOX_R_IDS, off + sizeof len, s, len);
    st->ids_end = off + sizeof len + len;
    uint32_t slot[2] = {c + 1, tag};
    mbox_store_write(st->ix, MBOX_R_TAB, st->tab_base + (uint64_t)k * 8, slot, sizeof slot);
    st->tab_n++;
    return c;
}

/*
 * Loops are refused as links are made: a container that has no parent
 * may become the child of x unless x is in its tree, i.e. unless it is
 * the root of x's tree.  A walk up from x to its root costs the depth of
 * the tree, and a reply chain (each message replying to the one before)
 * is as deep as the mailbox is long: quadratic.  So the containers are
 * also kept in a link-cut tree (Sleator and Tarjan): the forest of
 * container parents split into paths, each path a splay tree ordered by
 * depth, in which finding a root, linking a root under a node and cutting
 * a node from its parent each take amortised O(log n).  MBOX_R_LINK holds
 * a node per container: its children in its splay tree and its parent
 * there, or, at the splay tree's root, the path's parent (each + 1).
 */
enum { LK_LEFT, LK_RIGHT, LK_UP };

static uint32_t lk_get(mbox_reader *st, uint32_t x, int f)
{
    uint32_t v;
    mbox_store_read(st->ix, MBOX_R_LINK, (uint64_t)x * 12 + (uint64_t)f * 4, &v, sizeof v);
    return v - 1;
}

static void lk_set(mbox_reader *st, uint32_t x, int f, uint32_t v)
{
    v++;
    mbox_store_write(st->ix, MBOX_R_LINK, (uint64_t)x * 12 + (uint64_t)f * 4, &v, sizeof v);
}

/* Whether x is the root of its splay tree (its up link, if any, is a path's parent). */
static bool lk_is_root(mbox_reader *st, uint32_t x)
{
    uint32_t p = lk_get(st, x, LK_UP);
    return p == MBOX_NONE || (lk_get(st, p, LK_LEFT) != x && lk_get(st, p, LK_RIGHT) != x);
}

/* x one level up its splay tree, above its parent. */
static void lk_rotate(mbox_reader *st, uint32_t x)
{
    uint32_t y = lk_get(st, x, LK_UP), z = lk_get(st, y, LK_UP);
    bool y_root = lk_is_root(st, y);
    int side = lk_get(st, y, LK_LEFT) == x ? LK_LEFT : LK_RIGHT;
    int other = side == LK_LEFT ? LK_RIGHT : LK_LEFT;
    if (!y_root)
        lk_set(st, z, lk_get(st, z, LK_LEFT) == y ? LK_LEFT : LK_RIGHT, x);
    lk_set(st, x, LK_UP, z);
    uint32_t b = lk_get(st, x, other);
    lk_set(st, y, side, b);
    if (b != MBOX_NONE)
        lk_set(st, b, LK_UP, y);
    lk_set(st, x, other, y);
    lk_set(st, y, LK_UP, x);
}

static void lk_splay(mbox_reader *st, uint32_t x)
{
    while (!lk_is_root(st, x)) {
        uint32_t y = lk_get(st, x, LK_UP);
        if (!lk_is_root(st, y)) {
            uint32_t z = lk_get(st, y, LK_UP);
            bool zig_zig = (lk_get(st, y, LK_LEFT) == x) == (lk_get(st, z, LK_LEFT) == y);
            lk_rotate(st, zig_zig ? y : x);
        }
        lk_rotate(st, x);
    }
}

/* The path from x's root to x made one splay tree, x at its root. */
static void lk_access(mbox_reader *st, uint32_t x)
{
    for (uint32_t last = MBOX_NONE, y = x; y != MBOX_NONE; last = y, y = lk_get(st, y, LK_UP)) {
        lk_splay(st, y);
        lk_set(st, y, LK_RIGHT, last);
    }
    lk_splay(st, x);
}

/* The root of container x's tree. */
static uint32_t lk_root(mbox_reader *st, uint32_t x)
{
    lk_access(st, x);
    for (uint32_t l; (l = lk_get(st, x, LK_LEFT)) != MBOX_NONE;)
        x = l;
    lk_splay(st, x);
    return x;
}

/* Whether root a (a container without a parent) is x or one of x's
 * ancestors: a loop if x became a's parent. */
static bool reaches(mbox_reader *st, uint32_t x, uint32_t a)
{
    return lk_root(st, x) == a;
}

/* Container c, which has no parent, becomes parent's child. */
static void set_parent(mbox_reader *st, uint32_t c, uint32_t parent)
{
    mbox_ctr x = mbox_ctr_get(st, c);
    x.parent = parent;
    ctr_put(st, c, x);
    lk_access(st, c);
    lk_set(st, c, LK_UP, parent);
}

/* Container c leaves its parent. */
static void cut_parent(mbox_reader *st, uint32_t c)
{
    mbox_ctr x = mbox_ctr_get(st, c);
    if (x.parent == MBOX_NONE)
        return;
    x.parent = MBOX_NONE;
    ctr_put(st, c, x);
    lk_access(st, c);
    uint32_t l = lk_get(st, c, LK_LEFT); /* its ancestors: there are some */
    if (l != MBOX_NONE)
        lk_set(st, l, LK_UP, MBOX_NONE);
    lk_set(st, c, LK_LEFT, MBOX_NONE);
}

/* JWZ, for the message whose headers just ended: its references link
 * their containers into a chain (a link that would make a loop is not
 * made, nor one to a container that has a parent already), then the
 * message takes the container of its Message-ID (a new one when another
 * message has it: a duplicate) and its own references decide its parent. */
static int link_message(tc_stream *in, mbox_reader *st, scan *sc)
{
    uint32_t m = st->n_msgs - 1, prev = MBOX_NONE;
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
        if (c == MBOX_NONE)
            goto too_many;
        sc->ref_ctr[r] = c;
        mbox_ctr x = mbox_ctr_get(st, c);
        /* a message naming itself among its references (broken mailers;
         * a post that is its own parent) would lose its real parent to
         * the loop: JWZ ignores such a reference.  (When another message
         * already has the id, this one gets a container of its own below
         * and the reference is to that other message.) */
        if (own_n && idn == own_n && memcmp(id, own, idn) == 0 && x.msg == MBOX_NONE)
            continue;
        if (prev != MBOX_NONE && x.parent == MBOX_NONE && !reaches(st, prev, c))
            set_parent(st, c, prev);
        prev = c;
    }
    uint32_t c = own_n ? ctr_of(st, own, own_n) : ctr_new(st, 0);
    if (c != MBOX_NONE && mbox_ctr_get(st, c).msg != MBOX_NONE) {
        sc->m.flags |= MBOX_F_DUP;
        c = ctr_new(st, 0);
    }
    if (c == MBOX_NONE)
        goto too_many;
    cut_parent(st, c);
    mbox_ctr x = mbox_ctr_get(st, c);
    x.msg = m;
    ctr_put(st, c, x);
    sc->m.ctr = c;
    /* the message's own references are the authority on its parent: the
     * last one, or when that would make a loop (references that disagree
     * with an earlier message's), the nearest one that does not, so the
     * message stays in its thread */
    for (size_t r = sc->n_refs; prev != MBOX_NONE && r-- > 0;) {
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
static int scan_subject(tc_stream *in, mbox_reader *st, scan *sc)
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
        if (tc_mail_decode_words(&st->tmp, v, vn, &bad, &unknown) != TC_OK)
            return mbox_nomem(in);
        p = st->tmp.data;
        pn = st->tmp.len;
        if (mbox_strip_reply(&p, &pn) > 0)
            sc->m.flags |= MBOX_F_REPLY;
        /* runs of blanks as one space */
        tc_buf_reset(&st->tmp2);
        if (tc_buf_reserve(&st->tmp2, pn) != TC_OK)
            return mbox_nomem(in);
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
    mbox_store_write(st->ix, MBOX_R_SUBJ, off, &h, sizeof h);
    mbox_store_write(st->ix, MBOX_R_SUBJ, off + sizeof h, &len, sizeof len);
    mbox_store_write(st->ix, MBOX_R_SUBJ, off + sizeof h + sizeof len, st->tmp2.data, len);
    st->subj_end = off + sizeof h + sizeof len + len;
    sc->m.subj = off + 1;
    return TC_OK;
}

static int end_headers(tc_stream *in, mbox_reader *st, scan *sc)
{
    if (header_done(sc) != TC_OK)
        return mbox_nomem(in);
    sc->in_head = false;
    if (sc->have_irt &&
        (sc->n_refs == 0 || sc->ref_len[sc->n_refs - 1] != sc->irt.len ||
         memcmp(sc->ref_text.data + sc->ref_off[sc->n_refs - 1], sc->irt.data, sc->irt.len)) &&
        add_ref(sc, sc->irt.data, sc->irt.len) != TC_OK)
        return mbox_nomem(in);
    if (!(sc->m.flags & MBOX_F_OURS)) {
        int rc = scan_subject(in, st, sc);
        if (rc != TC_OK)
            return rc;
    }
    return link_message(in, st, sc);
}

static int new_message(tc_stream *in, mbox_reader *st, scan *sc, uint64_t off, uint64_t line)
{
    if (st->n_msgs == MBOX_NONE - 1)
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "too many messages in one mbox");
    st->n_msgs++;
    memset(&sc->m, 0, sizeof sc->m);
    sc->m.off = off;
    sc->m.line = line;
    sc->m.parent = sc->m.next = MBOX_NONE;
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
    tc_buf *b[] = {&sc->htext, &sc->msgid, &sc->irt, &sc->ref_text, &sc->subjects};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        tc_buf_reset(b[i]);
    return TC_OK;
}

/* The message being scanned ends where the next From_ line (or the end of
 * the input) is, at off: into the index. */
static int end_message(tc_stream *in, mbox_reader *st, scan *sc, uint64_t off)
{
    if (!sc->have)
        return TC_OK;
    uint64_t end;
    if (sc->m.flags & MBOX_F_CL) {
        end = sc->cl_end;
        if (sc->last_blank && sc->last_off == sc->cl_end)
            sc->m.flags |= MBOX_F_SEP;
    } else {
        end = sc->last_blank ? sc->last_off : off;
        if (sc->last_blank)
            sc->m.flags |= MBOX_F_SEP;
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

/* The Content-Length of the message being scanned cannot be trusted: its
 * body is scanned again from its start (*off), split at From_ lines. */
static int rescan_body(tc_stream *in, scan *sc, uint64_t *off)
{
    sc->m.flags &= (uint16_t)~MBOX_F_CL;
    sc->cl_state = 0;
    *off = sc->body_off;
    return tc_stream_seek(in, sc->body_off, sc->body_line);
}

/* The input ended at *off: the last message into the index, unless a
 * Content-Length runs past the end (*again: its body is scanned again). */
static int input_end(tc_stream *in, mbox_reader *st, scan *sc, uint64_t *off, bool *again)
{
    *again = sc->cl_state == 1 && *off != sc->cl_end;
    if (*again)
        return rescan_body(in, sc, off);
    int rc = sc->have && sc->in_head ? end_headers(in, st, sc) : TC_OK;
    if (rc == TC_OK)
        rc = end_message(in, st, sc, *off);
    st->eof = *off;
    return rc;
}

/* While a Content-Length is checked (sc->cl_state 1: inside the length,
 * 2: after the blank line at its end): the line of n bytes at this_off
 * (the next starts at next_off) is *taken when it needs nothing more --
 * it is inside the body, or the length proved wrong and the body is to
 * be scanned again from *off. */
static int check_length(tc_stream *in, scan *sc, const char *line, size_t n, uint64_t this_off,
                        uint64_t next_off, uint64_t *off, bool *taken)
{
    *taken = true;
    if (sc->cl_state == 1) {
        if (next_off <= sc->cl_end) {
            sc->last_off = this_off;
            sc->last_blank = n == 0;
            return TC_OK;
        }
        if (this_off == sc->cl_end && n == 0) {
            sc->cl_state = 2; /* the separator: a From_ line or the end must follow */
            sc->last_off = this_off;
            sc->last_blank = true;
            return TC_OK;
        }
        /* the length does not end at a message boundary */
        if (this_off != sc->cl_end || mbox_separator(line, n, NULL) == MBOX_SEP_NONE)
            return rescan_body(in, sc, off);
    } else if (mbox_separator(line, n, NULL) == MBOX_SEP_NONE) {
        return rescan_body(in, sc, off);
    }
    sc->cl_state = 0;
    *taken = false;
    return TC_OK;
}

/* A From_ line (line lineno, at this_off; had_cr: it ended "\r\n") ends
 * the message being scanned and starts the next. */
static int from_line(tc_stream *in, mbox_reader *st, scan *sc, bool had_cr, uint64_t this_off,
                     uint64_t lineno, uint64_t *first_line)
{
    if (st->n_msgs == 0) {
        st->crlf = had_cr;
        *first_line = lineno;
    }
    int rc = sc->have && sc->in_head ? end_headers(in, st, sc) : TC_OK;
    if (rc == TC_OK)
        rc = end_message(in, st, sc, this_off);
    if (rc == TC_OK)
        rc = new_message(in, st, sc, this_off, lineno);
    return rc;
}

/* The line lineno of n bytes in the header block of the message being
 * scanned (the next line starts at next_off): the blank line that ends
 * it, a continuation, a header field, or the first line of a body that
 * follows the headers without a blank line. */
static int header_line(tc_stream *in, mbox_reader *st, scan *sc, const char *line, size_t n,
                       uint64_t lineno, uint64_t next_off)
{
    if (n == 0) {
        int rc = end_headers(in, st, sc);
        if (rc == TC_OK && sc->have_cl) {
            sc->m.flags |= MBOX_F_CL;
            sc->cl_state = 1;
            sc->body_off = next_off;
            sc->body_line = lineno;
            sc->cl_end = next_off + sc->content_length;
        }
        return rc;
    }
    if ((line[0] == ' ' || line[0] == '\t') && sc->hkind >= 0) {
        if (sc->hlen + n > st->max)
            return tc_stream_error(in, TC_ERR_DATA, lineno, 0,
                                   "header longer than the max-post limit (%zu bytes)", st->max);
        sc->hlen += n;
        if (wanted(sc->hkind) && tc_buf_append(&sc->htext, line, n) != TC_OK)
            return mbox_nomem(in);
        return TC_OK;
    }
    size_t nl = mbox_header_name(line, n);
    if (nl == 0) /* not a header: the body starts here (a message without headers) */
        return end_headers(in, st, sc);
    if (header_done(sc) != TC_OK)
        return mbox_nomem(in);
    sc->hkind = mbox_header_kind(line, nl);
    sc->hlen = n;
    if (sc->hkind == MBOX_K_XID)
        sc->m.flags |= MBOX_F_OURS | MBOX_F_MARKED;
    else if (sc->hkind == MBOX_K_XSOURCE)
        sc->m.flags |= MBOX_F_OURS | MBOX_F_START;
    else if (sc->hkind == MBOX_K_XEMPTY)
        sc->m.flags |= MBOX_F_OURS | MBOX_F_STUB;
    else if (sc->hkind == MBOX_K_MSGID && sc->seen_msgid++)
        sc->m.flags |= MBOX_F_MANY_ID;
    if (wanted(sc->hkind) && tc_buf_append(&sc->htext, line, n) != TC_OK)
        return mbox_nomem(in);
    return TC_OK;
}

/* How many fields messages have (mbox_message_field: "Year: 1963" after
 * "From Russia with love" is none) the header block after a From_ line
 * without a date holds, when one follows it: header fields (and their
 * folded lines) up to a blank line, the first right after the From_
 * line; the stream is at the start of the next line, off, after line
 * lineno.  Reads ahead (two are enough), then goes back. */
static int header_block_follows(tc_stream *in, uint64_t off, uint64_t lineno, int *fields)
{
    *fields = 0;
    int rc = TC_OK;
    for (int k = 0; k < 256 && *fields < 2; k++) {
        const char *line;
        size_t n;
        if ((rc = tc_stream_read_line(in, &line, &n)) != TC_OK)
            break;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        if (k > 0 && (line[0] == ' ' || line[0] == '\t'))
            continue;
        size_t hn = mbox_header_name(line, n);
        if (hn == 0)
            break;
        *fields += mbox_message_field(line, hn);
    }
    if (rc != TC_OK && rc != TC_EOF)
        return rc;
    return tc_stream_seek(in, off, lineno);
}

/* After pass 1: text before the first From_ line (junk lines, the first
 * at junk_line; the first From_ line is first_line) is a warning, or the
 * error that the input is no mbox when there is nothing else. */
static int report_junk(tc_stream *in, const mbox_reader *st, uint64_t junk, uint64_t junk_line,
                       uint64_t first_line)
{
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

/* Pass 1: every line of the input once, in order (see the top of the file). */
static int pass1(tc_stream *in, mbox_reader *st)
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
            bool again;
            rc = input_end(in, st, &sc, &off, &again);
            if (rc == TC_OK && again)
                continue;
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
        if (sc.cl_state != 0) {
            bool taken;
            rc = check_length(in, &sc, line, n, this_off, next_off, &off, &taken);
            if (rc != TC_OK)
                break;
            if (taken)
                continue;
        }
        if (this_off == st->start && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            /* a byte-order mark before the first line (Thunderbird): not text */
            line += 3;
            n -= 3;
            len -= 3;
            this_off += 3;
        }
        int sep = n >= 5 && line[0] == 'F' ? mbox_separator(line, n, NULL) : MBOX_SEP_NONE;
        if (sep == MBOX_SEP_BARE) {
            /* "From - ", "From 1844...@xxx", or body text ("From time to
             * time"): a message starts here when a header block follows,
             * with one field messages have after a blank line (or at the
             * start), two when no blank line comes before (Netscape
             * writes none) */
            bool after_blank = !sc.have || sc.last_blank;
            int fields;
            if ((rc = header_block_follows(in, next_off, lineno, &fields)) != TC_OK)
                break;
            if (fields == 1 && !after_blank)
                tc_stream_warn(in, lineno, 0,
                               "a From_ line without a date and a header field after it, but "
                               "no blank line before it: read as text of message %u, not as "
                               "the start of another",
                               st->n_msgs);
            if (fields < (after_blank ? 1 : 2))
                sep = MBOX_SEP_NONE;
        }
        if (sep != MBOX_SEP_NONE) {
            if ((rc = from_line(in, st, &sc, had_cr, this_off, lineno, &first_line)) != TC_OK)
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
        if (sc.in_head && (rc = header_line(in, st, &sc, line, n, lineno, next_off)) != TC_OK)
            break;
    }
    scan_free(&sc);
    if (rc == TC_OK)
        rc = mbox_index_check(in, st);
    return rc == TC_OK ? report_junk(in, st, junk, junk_line, first_line) : rc;
}

/* ------------------------------------------------------------------ */
/* Threading (JWZ), after pass 1                                       */
/* ------------------------------------------------------------------ */

/* MBOX_R_TREE: the root of container c's tree, and (at a root) its thread. */
static void tree_get(mbox_reader *st, uint32_t c, uint32_t *root, uint32_t *thread)
{
    uint32_t v[2];
    mbox_store_read(st->ix, MBOX_R_TREE, (uint64_t)c * sizeof v, v, sizeof v);
    *root = v[0] - 1;
    *thread = v[1] - 1;
}

static void tree_put(mbox_reader *st, uint32_t c, uint32_t root, uint32_t thread)
{
    uint32_t v[2] = {root + 1, thread + 1};
    mbox_store_write(st->ix, MBOX_R_TREE, (uint64_t)c * sizeof v, v, sizeof v);
}

/* MBOX_R_THREAD: a thread's first and last message (mbox_thread_get reads them). */
static void thread_put(mbox_reader *st, uint32_t th, uint32_t first, uint32_t last)
{
    uint32_t v[2] = {first, last + 1};
    mbox_store_write(st->ix, MBOX_R_THREAD, (uint64_t)th * sizeof v, v, sizeof v);
}

/* Whether the subjects at MBOX_R_SUBJ offsets a and b are the same string. */
static bool same_subject(mbox_reader *st, uint64_t a, uint64_t b)
{
    if (a == b)
        return true;
    uint32_t la, lb;
    mbox_store_read(st->ix, MBOX_R_SUBJ, a + 8, &la, sizeof la);
    mbox_store_read(st->ix, MBOX_R_SUBJ, b + 8, &lb, sizeof lb);
    if (la != lb)
        return false;
    char chunk[256];
    for (uint32_t i = 0; i < la;) {
        uint32_t k = la - i < sizeof chunk ? la - i : (uint32_t)sizeof chunk;
        mbox_store_read(st->ix, MBOX_R_SUBJ, a + 12 + i, chunk, k);
        if (!mbox_store_equal(st->ix, MBOX_R_SUBJ, b + 12 + i, chunk, k))
            return false;
        i += k;
    }
    return true;
}

/* An entry of the subject table (MBOX_R_STAB). */
typedef struct subj_ent {
    uint64_t hash;
    uint64_t subj;   /* MBOX_R_SUBJ offset + 1 of the subject, 0: an empty slot */
    uint32_t thread, anchor;
} subj_ent;

/* The subject table: open addressing on the subject's hash, grown to twice
 * its size (in fresh space after the old) when half full. */
typedef struct stab {
    uint64_t base;
    size_t cap, n;
} stab;

static void stab_grow(mbox_reader *st, stab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint64_t base = t->base + (uint64_t)t->cap * sizeof(subj_ent);
    for (size_t i = 0; i < t->cap; i++) {
        subj_ent e;
        mbox_store_read(st->ix, MBOX_R_STAB, t->base + i * sizeof e, &e, sizeof e);
        if (e.subj == 0)
            continue;
        size_t k = e.hash & (cap - 1);
        for (;;) {
            uint64_t used;
            mbox_store_read(st->ix, MBOX_R_STAB, base + k * sizeof e + 8, &used, sizeof used);
            if (used == 0)
                break;
            k = (k + 1) & (cap - 1);
        }
        mbox_store_write(st->ix, MBOX_R_STAB, base + k * sizeof e, &e, sizeof e);
    }
    mbox_store_drop(st->ix, MBOX_R_STAB, t->base, (uint64_t)t->cap * sizeof(subj_ent));
    t->base = base;
    t->cap = cap;
}

/* MBOX_R_LINK from offset held, per container: the nearest container
 * above it that holds a message, + 2 (1: none, 0: not known yet). */
static uint32_t held_get(mbox_reader *st, uint64_t held, uint32_t c)
{
    uint32_t v;
    mbox_store_read(st->ix, MBOX_R_LINK, held + (uint64_t)c * 4, &v, sizeof v);
    return v;
}

static void held_put(mbox_reader *st, uint64_t held, uint32_t c, uint32_t h)
{
    uint32_t v = h + 2; /* MBOX_NONE + 2 is 1 */
    mbox_store_write(st->ix, MBOX_R_LINK, held + (uint64_t)c * 4, &v, sizeof v);
}

/* The nearest ancestor of container c that holds a message, MBOX_NONE if
 * none.  Remembered for every container on the way up, so a chain of
 * empty containers (references to messages not in the mailbox) is walked
 * once, not once for every message below it. */
static uint32_t holder_above(mbox_reader *st, uint32_t c, uint64_t held)
{
    uint32_t h = MBOX_NONE, v;
    for (uint32_t a = ctr_parent(st, c); a != MBOX_NONE; a = ctr_parent(st, a)) {
        if (mbox_ctr_get(st, a).msg != MBOX_NONE) {
            h = a;
            break;
        }
        if ((v = held_get(st, held, a)) != 0) {
            h = v - 2;
            break;
        }
    }
    /* the empty containers on the way have the same holder */
    for (uint32_t a = ctr_parent(st, c); a != h && a != MBOX_NONE; a = ctr_parent(st, a)) {
        if (held_get(st, held, a) != 0)
            break;
        held_put(st, held, a, h);
    }
    return h;
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
static int thread_messages(tc_stream *in, mbox_reader *st)
{
    uint32_t n = st->n_msgs;
    /* the id table and the link-cut tree have done their work */
    mbox_store_drop(st->ix, MBOX_R_TAB, st->tab_base, (uint64_t)st->tab_cap * 8);
    mbox_store_drop(st->ix, MBOX_R_LINK, 0, (uint64_t)st->n_ctrs * 12);
    /* after it, on pages never written: the holders found (holder_above) */
    uint64_t held = ((uint64_t)st->n_ctrs * 12 + MBOX_PAGE - 1) & ~(uint64_t)(MBOX_PAGE - 1);
    stab t = {0, 0, 0};
    for (uint32_t m = 0; m < n; m++) {
        mbox_msg x = mbox_msg_get(st, m);
        uint32_t c = x.ctr, a = holder_above(st, c, held);
        if (a != MBOX_NONE) {
            x.parent = mbox_ctr_get(st, a).msg;
            msg_put(st, m, x);
        }
        /* the root, remembered along the way */
        uint32_t r = c, root, th;
        for (;;) {
            uint32_t p = ctr_parent(st, r);
            tree_get(st, r, &root, &th);
            if (p == MBOX_NONE || root != MBOX_NONE)
                break;
            r = p;
        }
        if (root != MBOX_NONE)
            r = root;
        for (uint32_t y = c; y != MBOX_NONE; y = ctr_parent(st, y)) {
            tree_get(st, y, &root, &th);
            if (root != MBOX_NONE)
                break;
            tree_put(st, y, r, MBOX_NONE);
        }
        /* its tree's thread */
        tree_get(st, r, &root, &th);
        if (th == MBOX_NONE) {
            uint32_t rep = mbox_ctr_get(st, r).msg;
            if (rep == MBOX_NONE)
                rep = m;
            mbox_msg xr = rep == m ? x : mbox_msg_get(st, rep);
            uint64_t slot = 0;
            subj_ent e = {0};
            bool have_slot = false;
            if (!(xr.flags & MBOX_F_OURS) && xr.subj != 0) {
                if ((t.n + 1) * 2 > t.cap)
                    stab_grow(st, &t);
                uint64_t h;
                mbox_store_read(st->ix, MBOX_R_SUBJ, xr.subj - 1, &h, sizeof h);
                for (slot = h & (t.cap - 1);; slot = (slot + 1) & (t.cap - 1)) {
                    mbox_store_read(st->ix, MBOX_R_STAB, t.base + slot * sizeof e, &e, sizeof e);
                    if (e.subj == 0 || (e.hash == h && same_subject(st, e.subj - 1, xr.subj - 1)))
                        break;
                }
                have_slot = true;
                if (e.subj) {
                    th = e.thread;
                    mbox_msg anchor = mbox_msg_get(st, e.anchor);
                    bool rep_reply = xr.flags & MBOX_F_REPLY;
                    bool anchor_reply = anchor.flags & MBOX_F_REPLY;
                    if (rep_reply && !anchor_reply && xr.parent == MBOX_NONE) {
                        xr.parent = e.anchor;
                        msg_put(st, rep, xr);
                    } else if (!rep_reply && anchor_reply && anchor.parent == MBOX_NONE) {
                        anchor.parent = rep;
                        msg_put(st, e.anchor, anchor);
                        e.anchor = rep;
                        mbox_store_write(st->ix, MBOX_R_STAB, t.base + slot * sizeof e, &e,
                                         sizeof e);
                    }
                } else {
                    e.hash = h;
                }
            }
            if (th == MBOX_NONE) {
                th = st->n_threads++;
                thread_put(st, th, m, MBOX_NONE);
                if (have_slot) {
                    e.subj = xr.subj;
                    e.thread = th;
                    e.anchor = rep;
                    mbox_store_write(st->ix, MBOX_R_STAB, t.base + slot * sizeof e, &e, sizeof e);
                    t.n++;
                }
            }
            tree_put(st, r, r, th);
        }
        /* appended to its thread */
        uint32_t first, last;
        mbox_thread_get(st, th, &first, &last);
        if (last != MBOX_NONE) {
            mbox_msg l = mbox_msg_get(st, last);
            l.next = m;
            msg_put(st, last, l);
        }
        thread_put(st, th, first, m);
    }
    /* done with: the trees, the holders and the subjects */
    mbox_store_drop(st->ix, MBOX_R_TREE, 0, (uint64_t)st->n_ctrs * 8);
    mbox_store_drop(st->ix, MBOX_R_LINK, held, (uint64_t)st->n_ctrs * 4);
    mbox_store_drop(st->ix, MBOX_R_STAB, 0, t.base + (uint64_t)t.cap * sizeof(subj_ent));
    mbox_store_drop(st->ix, MBOX_R_SUBJ, 0, st->subj_end);
    return mbox_index_check(in, st);
}

int mbox_index_build(tc_stream *in, mbox_reader *st)
{
    int rc = pass1(in, st);
    return rc == TC_OK ? thread_messages(in, st) : rc;
}
