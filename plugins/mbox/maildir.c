/*
 * maildir.c - the "maildir" writer: a Maildir (cur/, new/, tmp/) with one
 * file per post, built by the same message builder as the mbox writer.
 *
 * The output is a directory (TC_PLUGIN_WRITES_DIRECTORY): the core gives
 * the writer the -o path, threadconv -t maildir -o DIR, and opens nothing;
 * DIR is created when missing, with its cur, new and tmp, and the
 * writer's stream is left empty.  In batch mode each input gets its own
 * Maildir, OUTPUT-DIR/NAME.maildir (the plugin has no extension: the
 * core then uses its name).  Following the Maildir protocol each message
 * is written to tmp/ first; only when the whole conversion succeeded
 * (write_finish) are they all renamed into new/, so a failed run delivers
 * nothing.  File names are SECONDS.MMICROSECONDSPPIDQN.HOST, unique as
 * the Maildir specification asks.  Memory does not grow with the number
 * of messages: names are rebuilt from the run's prefix and a counter.
 * The messages in tmp/ are named to the program (tc_stream_temp_files),
 * which removes them if SIGINT or SIGTERM ends the run; a run killed with
 * SIGKILL leaves them, for the Maildir rule that readers delete tmp/ files
 * older than 36 hours.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "writer.h"

#include <threadconv/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct maildir_writer {
    mbox_builder b;
    tc_buf msg;
    tc_buf dir;     /* DIR */
    tc_buf prefix;  /* SECONDS.MMICROSPPID */
    tc_buf host;
    tc_buf path, path2;
    uint64_t n;     /* messages written to tmp/ */
    bool finished;
    bool tracked;   /* tmp/PREFIXQ* told to the program (tc_stream_temp_files) */
} maildir_writer;

static int maildir_nomem(tc_stream *out)
{
    return tc_stream_error(out, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* Messages name paths inside the Maildir relative to it: the core puts
 * the Maildir's own path (the -o path) before each. */
static const char *inside(const maildir_writer *w, const tc_buf *path)
{
    return path->data + w->dir.len + 1;
}

/* The Maildir (sub ""), or its sub-directory sub ("tmp"), made when missing. */
static int make_dir(tc_stream *out, maildir_writer *w, const char *sub)
{
    tc_buf_reset(&w->path);
    if (tc_buf_printf(&w->path, "%s%s%s", w->dir.data, *sub ? "/" : "", sub) != TC_OK)
        return maildir_nomem(out);
    const char *path = w->path.data;
    if (mkdir(path, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return TC_OK;
        return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0,
                               "%s%sexists and is not a directory: expected a Maildir "
                               "(a directory with cur/, new/ and tmp/)", sub, *sub ? "/ " : "");
    }
    return *sub ? tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot create %s/: %s", sub,
                                  strerror(errno))
                : tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot create the Maildir: %s",
                                  strerror(errno));
}

/* DIR/SUB/PREFIXQn.HOST into p */
static int name_of(maildir_writer *w, tc_buf *p, const char *sub, uint64_t n)
{
    tc_buf_reset(p);
    return tc_buf_printf(p, "%s/%s/%sQ%llu.%s", w->dir.data, sub, w->prefix.data,
                         (unsigned long long)n, w->host.data);
}

/* Name the Maildir, the host and this run, and make the directories. */
static int maildir_setup(tc_stream *out, maildir_writer *w, const char *dir)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (tc_buf_append(&w->dir, dir, dl) != TC_OK)
        return maildir_nomem(out);

    /* the host name, with "/" and ":" escaped as the specification says */
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        strcpy(host, "localhost");
    host[sizeof host - 1] = '\0';
    for (const char *h = host; *h; h++) {
        int rc = *h == '/'   ? tc_buf_append(&w->host, "\\057", 4)
                 : *h == ':' ? tc_buf_append(&w->host, "\\072", 4)
                             : tc_buf_putc(&w->host, *h);
        if (rc != TC_OK)
            return maildir_nomem(out);
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tc_buf_printf(&w->prefix, "%lld.M%06ldP%ld", (long long)tv.tv_sec, (long)tv.tv_usec,
                      (long)getpid()) != TC_OK)
        return maildir_nomem(out);

    static const char *const subs[] = {"", "tmp", "new", "cur"};
    for (size_t i = 0; i < 4; i++) {
        int rc = make_dir(out, w, subs[i]);
        if (rc != TC_OK)
            return rc;
    }
    /* Every message this run keeps in tmp/ starts with PREFIXQ: the
     * program removes them if a signal ends the run before write_finish. */
    tc_buf_reset(&w->path);
    tc_buf_reset(&w->path2);
    if (tc_buf_printf(&w->path, "%s/tmp", w->dir.data) != TC_OK ||
        tc_buf_printf(&w->path2, "%sQ", w->prefix.data) != TC_OK)
        return maildir_nomem(out);
    tc_stream_temp_files(out, w->path.data, w->path2.data);
    w->tracked = true;
    return TC_OK;
}


int maildir_write_open(tc_stream *out, void **state)
{
    /* the core refuses a run without -o DIR before it gets here */
    const char *dir = tc_stream_name(out);
    if (dir == NULL || *dir == '\0')
        return tc_stream_error(out, TC_ERR_USAGE, 0, 0,
                               "the maildir writer needs its directory: -o DIR");
    maildir_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return maildir_nomem(out);
    const char *enc = tc_stream_option(out, "encoding");
    mbox_builder_init(&w->b, MBOX_MAILDIR, enc && strcmp(enc, "quoted-printable") == 0);
    int rc = maildir_setup(out, w, dir);
    if (rc != TC_OK) { /* the core calls write_close only after a write_open that worked */
        maildir_write_close(out, w);
        return rc;
    }
    *state = w;
    return TC_OK;
}

int maildir_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    maildir_writer *w = state;
    return mbox_builder_begin_thread(&w->b, thread) == TC_OK ? TC_OK : maildir_nomem(out);
}

/* Write w->msg to tmp/ as message number w->n + 1. */
static int deliver(tc_stream *out, maildir_writer *w)
{
    if (w->msg.len == 0)
        return TC_OK;
    w->n++;
    if (name_of(w, &w->path, "tmp", w->n) != TC_OK)
        return maildir_nomem(out);
    int fd = open(w->path.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot create %s: %s",
                               inside(w, &w->path), strerror(errno));
    const char *p = w->msg.data;
    size_t left = w->msg.len;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot write %s: %s",
                                   inside(w, &w->path), strerror(e));
        }
        p += k;
        left -= (size_t)k;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot write %s: %s",
                               inside(w, &w->path), strerror(errno));
    return TC_OK;
}

int maildir_write_post(tc_stream *out, void *state, const tc_post *post)
{
    maildir_writer *w = state;
    tc_buf_reset(&w->msg);
    int rc = mbox_builder_post(&w->b, post, &w->msg);
    if (rc != TC_OK)
        return w->b.why[0] ? tc_stream_error(out, rc, 0, 0, "%s", w->b.why) : maildir_nomem(out);
    return deliver(out, w);
}

int maildir_write_end_thread(tc_stream *out, void *state)
{
    maildir_writer *w = state;
    tc_buf_reset(&w->msg);
    if (mbox_builder_end_thread(&w->b, &w->msg) != TC_OK)
        return maildir_nomem(out);
    return deliver(out, w);
}

int maildir_write_finish(tc_stream *out, void *state)
{
    maildir_writer *w = state;
    for (uint64_t i = 1; i <= w->n; i++) {
        if (name_of(w, &w->path, "tmp", i) != TC_OK || name_of(w, &w->path2, "new", i) != TC_OK)
            return maildir_nomem(out);
        if (rename(w->path.data, w->path2.data) != 0)
            return tc_stream_error(out, TC_ERR_OUTPUT, 0, 0, "cannot move %s to %s: %s",
                                   inside(w, &w->path), inside(w, &w->path2), strerror(errno));
    }
    w->finished = true;
    tc_stream_temp_files(out, NULL, NULL);
    w->tracked = false;
    return TC_OK;
}

void maildir_write_close(tc_stream *out, void *state)
{
    maildir_writer *w = state;
    if (w == NULL)
        return;
    /* a failed run leaves nothing behind in tmp/ (what reached new/ stays) */
    for (uint64_t i = 1; i <= w->n && w->dir.data; i++)
        if (name_of(w, &w->path, "tmp", i) == TC_OK)
            unlink(w->path.data);
    if (w->tracked)
        tc_stream_temp_files(out, NULL, NULL);
    mbox_builder_free(&w->b);
    tc_buf *bufs[] = {&w->msg, &w->dir, &w->prefix, &w->host, &w->path, &w->path2};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tc_buf_free(bufs[i]);
    free(w);
}

static const char *const encodings[] = {"8bit", "quoted-printable", NULL};

const tc_option_decl maildir_options[] = {
    {.name = "encoding", .type = TC_OPT_ENUM, .default_value = "8bit",
     .help = "body transfer encoding: 8bit or quoted-printable", .enum_values = encodings},
    {.name = NULL}};
