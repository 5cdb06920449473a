/*
 * mumsnet.h - what the mumsnet reader (mumsnet.c) and writer (write.c)
 * share: the header-shape test, so the writer refuses text the reader would
 * take for a post header, and the writer's callbacks for the descriptor.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef MUMSNET_H
#define MUMSNET_H

#include <threadconv/plugin.h>

/* The layout of the post header the reader takes line p[0..n) for (CR
 * already removed): MUMSNET_SHAPE_CLASSIC, MUMSNET_SHAPE_CURRENT, or MUMSNET_SHAPE_NONE for
 * text.  in_place: the line is in a header's place (the first line, after a
 * blank line, or right after the title), without which, or with a space or
 * tab in its name, a classic-shaped line is text (see mumsnet.c). */
enum { MUMSNET_SHAPE_NONE = 0, MUMSNET_SHAPE_CLASSIC = 1, MUMSNET_SHAPE_CURRENT = 2 };
int mumsnet_header_shape(const char *p, size_t n, bool in_place);

/* The writer (write.c): the classic layout. */
extern const tc_option_decl mumsnet_options[];
int mumsnet_write_open(tc_stream *out, void **state);
int mumsnet_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int mumsnet_write_post(tc_stream *out, void *state, const tc_post *post);
int mumsnet_write_end_thread(tc_stream *out, void *state);
int mumsnet_write_finish(tc_stream *out, void *state);
void mumsnet_write_close(tc_stream *out, void *state);

#endif
