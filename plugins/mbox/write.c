/*
 * write.c - the mbox writer's callbacks: one message per post from the
 * message builder (build.c), mboxrd by default (-O mbox.variant=mboxo|
 * mboxcl2), 8bit or quoted-printable bodies
 * (-O mbox.encoding=quoted-printable).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "writer.h"

#include <stdlib.h>
#include <string.h>

static int nomem(tc_stream *s)
{
    return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
}

typedef struct mbox_writer {
    mbox_builder b;
    tc_buf out;
} mbox_writer;

int mbox_write_open(tc_stream *out, void **state)
{
    mbox_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return nomem(out);
    const char *v = tc_stream_option(out, "variant");
    const char *enc = tc_stream_option(out, "encoding");
    int variant = v && strcmp(v, "mboxo") == 0     ? MBOX_MBOXO
                  : v && strcmp(v, "mboxcl2") == 0 ? MBOX_MBOXCL2
                                                   : MBOX_MBOXRD;
    mbox_builder_init(&w->b, variant, enc && strcmp(enc, "quoted-printable") == 0);
    *state = w;
    return TC_OK;
}

int mbox_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    mbox_writer *w = state;
    if (mbox_builder_begin_thread(&w->b, thread) != TC_OK)
        return nomem(out);
    return TC_OK;
}

int mbox_write_post(tc_stream *out, void *state, const tc_post *post)
{
    mbox_writer *w = state;
    tc_buf_reset(&w->out);
    int rc = mbox_builder_post(&w->b, post, &w->out);
    if (rc != TC_OK)
        return w->b.why[0] ? tc_stream_error(out, rc, 0, 0, "%s", w->b.why) : nomem(out);
    return tc_stream_write(out, w->out.data, w->out.len);
}

int mbox_write_end_thread(tc_stream *out, void *state)
{
    mbox_writer *w = state;
    tc_buf_reset(&w->out);
    if (mbox_builder_end_thread(&w->b, &w->out) != TC_OK)
        return nomem(out);
    return w->out.len ? tc_stream_write(out, w->out.data, w->out.len) : TC_OK;
}

int mbox_write_finish(tc_stream *out, void *state)
{
    (void)out;
    (void)state;
    return TC_OK;
}

void mbox_write_close(tc_stream *out, void *state)
{
    (void)out;
    mbox_writer *w = state;
    if (w == NULL)
        return;
    mbox_builder_free(&w->b);
    tc_buf_free(&w->out);
    free(w);
}
