/*
 * scan.h - a look at the top-level members of a JSON object in the first
 * bytes of an input, without parsing it: the probes of the json and jsonl
 * readers, which see at most the core's peek (64 KiB) and must not be
 * fooled by text inside strings (a body saying "threads": is escaped there,
 * \"threads\", and never a member name).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_JSON_SCAN_H
#define TC_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct js_top {
    bool object;        /* the first byte after an optional BOM and white space is '{' */
    bool closed;        /* the object ended within the bytes seen */
    bool newline_inside; /* a newline between the '{' and where the scan stopped */
    bool format_threadconv; /* a member "format" whose value is "threadconv" */
    bool threads;       /* a member "threads" */
    bool thread;        /* a member "thread" whose value is an object */
} js_top;

/*
 * Scan head[0..len) up to the end of the first top-level object (or the end
 * of the bytes, or the first byte that cannot be JSON there) and report what
 * it holds.  Only members of that object are looked at, never nested ones.
 */
void js_scan_top(const unsigned char *head, size_t len, js_top *out);

#endif
