/*
 * queue.c - the "xml" reader's items (see reader.h): the thread header,
 * post, end of thread or end of archive being built, the queue of those
 * built, and the arena that holds their strings.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The items and their strings                                         */
/* ------------------------------------------------------------------ */

/* Start building an item of this kind. */
void xr_begin_item(xr *x, int kind)
{
    x->p = (xr_item){.kind = kind, .base = x->arena.len, .s = {XR_NONE, XR_NONE, XR_NONE, XR_NONE},
                  .x0 = x->xs_n, .a0 = x->as_n};
    x->p_open = true;
    x->extras_bytes = 0;
    x->a_cost = 0;
}

static bool enqueue(xr *x, const xr_item *it)
{
    if (x->q_n == x->q_cap) {
        size_t cap = x->q_cap ? 2 * x->q_cap : 64;
        xr_item *q = realloc(x->q, cap * sizeof *q);
        if (q == NULL) {
            xr_nomem(x);
            return false;
        }
        x->q = q;
        x->q_cap = cap;
    }
    x->q[x->q_n++] = *it;
    return true;
}

/* Queue the item being built. */
bool xr_commit(xr *x)
{
    x->p_open = false;
    return enqueue(x, &x->p);
}

/* Queue an item without strings: the end of a thread or of the archive. */
bool xr_mark(xr *x, int kind)
{
    xr_item it = {.kind = kind};
    return enqueue(x, &it);
}

/*
 * Everything queued was handed out, and the caller is done with it: start
 * the arena and the queue afresh, keeping the item being built.  That item
 * began after the last one queued, in the last piece pushed, so little of
 * it is moved, and only once.
 */
void xr_compact(xr *x)
{
    x->q_n = x->q_head = 0;
    size_t from = x->p_open ? x->p.base : x->arena.len;
    if (from > 0) {
        size_t n = x->arena.len - from;
        memmove(x->arena.data, x->arena.data + from, n);
        x->arena.len = n;
        x->arena.data[n] = '\0';
        x->p.base = 0;
    }
    if (x->p_open) {
        if (x->p.x0 > 0)
            memmove(x->xs, x->xs + x->p.x0, x->p.nx * sizeof *x->xs);
        x->p.x0 = 0;
        x->xs_n = x->p.nx;
        if (x->p.a0 > 0)
            memmove(x->as, x->as + x->p.a0, x->p.na * sizeof *x->as);
        x->p.a0 = 0;
        x->as_n = x->p.na;
    } else {
        x->xs_n = 0;
        x->as_n = 0;
    }
}

/* The extra fields of the item being built hold key. */
bool xr_has_extra(const xr *x, const char *key)
{
    const char *b = x->arena.data + x->p.base;
    for (size_t i = 0; i < x->p.nx; i++)
        if (strcmp(b + x->xs[x->p.x0 + i].key, key) == 0)
            return true;
    return false;
}

bool xr_add_extra(xr *x, size_t key, size_t value, size_t len)
{
    if (x->xs_n == x->xs_cap) {
        size_t cap = x->xs_cap ? 2 * x->xs_cap : 16;
        xr_field *xs = realloc(x->xs, cap * sizeof *xs);
        if (xs == NULL) {
            xr_nomem(x);
            return false;
        }
        x->xs = xs;
        x->xs_cap = cap;
    }
    x->xs[x->xs_n++] = (xr_field){key, value, len};
    x->p.nx++;
    return true;
}
