/* stream.c - the input and output streams plugins read and write: buffered
 * I/O, line splitting with a line counter, errors and warnings with the
 * stream's file name, and the plugin's options. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/tree.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define WRITE_BUFFER 65536

static tc_stream *stream_new(tc_stream_kind kind, const char *name)
{
    tc_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->name = strdup(tc__display_name(name ? name : "-"));
    if (s->name == NULL) {
        free(s);
        return NULL;
    }
    s->kind = kind;
    s->fd = -1;
    for (int i = 0; i < TC_LIMIT_COUNT; i++)
        s->limits[i] = tc_limit_default((tc_limit)i);
    s->max_line = s->limits[TC_LIMIT_LINE];
    return s;
}

tc_stream *tc_stream_open_input(const char *path, tc_error *err)
{
    int fd;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            tc__error_set(err, TC_ERR_DATA, path, 0, 0, "cannot open for reading: %s",
                          strerror(errno));
            return NULL;
        }
    }
    tc_stream *s = stream_new(TC_STREAM_INPUT_FD, path);
    if (s)
        s->buf = malloc(READ_CHUNK);
    if (s == NULL || s->buf == NULL) {
        if (fd != STDIN_FILENO)
            close(fd);
        tc_stream_close(s);
        tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
        return NULL;
    }
    s->cap = READ_CHUNK;
    s->fd = fd;
    s->owns_fd = fd != STDIN_FILENO;
    return s;
}

tc_stream *tc__stream_open_source(const tc__source *src, const char *name)
{
    tc_stream *s = stream_new(TC_STREAM_INPUT_SOURCE, name);
    if (s)
        s->buf = malloc(READ_CHUNK);
    if (s == NULL || s->buf == NULL) {
        tc_stream_close(s); /* kind is set: src.close is not called yet */
        return NULL;
    }
    s->cap = READ_CHUNK;
    s->src = *src;
    return s;
}

tc_stream *tc_stream_open_source(const tc_stream_source *src, const char *name)
{
    return tc__stream_open_source(src, name);
}

tc_stream *tc_stream_open_tree(tc_tree *t, const char *name)
{
    tc_stream *s = tc_stream_open_memory("", 0, name);
    if (s)
        s->tree = t;
    return s;
}

tc_stream *tc_stream_open_memory(const void *data, size_t len, const char *name)
{
    tc_stream *s = stream_new(TC_STREAM_INPUT_MEMORY, name);
    if (s == NULL)
        return NULL;
    s->buf = (unsigned char *)data; /* never written: memory streams do not compact */
    s->cap = s->end = len;
    s->eof = true;
    return s;
}

tc_stream *tc_stream_open_output_fd(int fd, const char *name)
{
    tc_stream *s = stream_new(TC_STREAM_OUTPUT_FD, name);
    if (s == NULL)
        return NULL;
    s->wbuf = malloc(WRITE_BUFFER);
    if (s->wbuf == NULL) {
        tc_stream_close(s);
        return NULL;
    }
    s->fd = fd;
    return s;
}

tc_stream *tc_stream_open_output_buffer(tc_buf *buf, const char *name)
{
    tc_stream *s = stream_new(TC_STREAM_OUTPUT_BUFFER, name);
    if (s)
        s->out_buf = buf;
    return s;
}

void tc_stream_close(tc_stream *s)
{
    if (s == NULL)
        return;
    if (s->owns_fd && s->fd >= 0)
        close(s->fd);
    if (s->kind == TC_STREAM_INPUT_SOURCE && s->src.close)
        s->src.close(s->src.user);
    if (s->kind == TC_STREAM_INPUT_FD || s->kind == TC_STREAM_INPUT_SOURCE)
        free(s->buf);
    free(s->wbuf);
    free(s->options);
    free(s->name);
    free(s);
}

const char *tc_stream_name(const tc_stream *s)
{
    return s->name;
}

uint64_t tc_stream_line(const tc_stream *s)
{
    return s->line;
}

size_t tc_stream_max_post(const tc_stream *s)
{
    return s->limits[TC_LIMIT_POST];
}

const tc_error *tc_stream_get_error(const tc_stream *s)
{
    return &s->error;
}

void tc_stream_set_warning_fn(tc_stream *s, tc_warning_fn fn, void *user)
{
    s->warn = fn;
    s->warn_user = user;
}

void tc_stream_set_temp_files_fn(tc_stream *s,
                                 void (*fn)(void *user, const char *dir, const char *prefix),
                                 void *user)
{
    s->temp_files = fn;
    s->temp_files_user = user;
}

void tc_stream_temp_files(tc_stream *s, const char *dir, const char *prefix)
{
    if (s->temp_files)
        s->temp_files(s->temp_files_user, dir, dir ? prefix : NULL);
}

int tc_stream_error(tc_stream *s, int code, uint64_t line, uint64_t column,
                    const char *fmt, ...)
{
    if (s->error.code != TC_OK)
        return code; /* the first error is the one worth reporting */
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(&s->error, code, s->name, line, column, fmt, ap);
    va_end(ap);
    return code;
}

void tc_stream_warn(tc_stream *s, uint64_t line, uint64_t column,
                    const char *fmt, ...)
{
    if (s->warn == NULL)
        return;
    tc_error w;
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(&w, TC_OK, s->name, line, column, fmt, ap);
    va_end(ap);
    s->warn(s->warn_user, &w);
}

int tc_stream_error_at(tc_stream *s, int code, const char *source, uint64_t line,
                       uint64_t column, const char *fmt, ...)
{
    if (s->error.code != TC_OK)
        return code;
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(&s->error, code, source ? source : s->name, line, column, fmt, ap);
    va_end(ap);
    return code;
}

void tc_stream_warn_at(tc_stream *s, const char *source, uint64_t line, uint64_t column,
                       const char *fmt, ...)
{
    if (s->warn == NULL)
        return;
    tc_error w;
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(&w, TC_OK, source ? source : s->name, line, column, fmt, ap);
    va_end(ap);
    s->warn(s->warn_user, &w);
}

void tc_stream_clear_error(tc_stream *s)
{
    memset(&s->error, 0, sizeof s->error);
}

/* ------------------------------------------------------------ input */

int tc__stream_fill(tc_stream *s, size_t want)
{
    if (s->kind == TC_STREAM_INPUT_MEMORY)
        return TC_OK;
    while (!s->eof && s->end - s->pos < want) {
        if (s->pos > 0 && s->end == s->cap) {
            /* Slide the unread bytes to the front before growing. */
            memmove(s->buf, s->buf + s->pos, s->end - s->pos);
            s->end -= s->pos;
            s->base += s->pos;
            s->pos = 0;
        }
        if (s->end == s->cap) {
            size_t cap = s->cap * 2;
            unsigned char *b = realloc(s->buf, cap);
            if (b == NULL)
                return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory reading input");
            s->buf = b;
            s->cap = cap;
        }
        ssize_t n;
        if (s->kind == TC_STREAM_INPUT_SOURCE) {
            long r = s->src.read(s->src.user, s, s->buf + s->end, s->cap - s->end);
            if (r < 0)
                return (int)r; /* the source set the error */
            n = r;
        } else {
            n = read(s->fd, s->buf + s->end, s->cap - s->end);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return tc_stream_error(s, TC_ERR_DATA, 0, 0, "read error: %s", strerror(errno));
        }
        if (n == 0)
            s->eof = true;
        s->end += (size_t)n;
    }
    return TC_OK;
}

int tc__stream_peek(tc_stream *s, const unsigned char **head, size_t *len)
{
    int rc = tc__stream_fill(s, TC_PEEK_SIZE);
    if (rc != TC_OK)
        return rc;
    *head = s->buf + s->pos;
    *len = s->end - s->pos < TC_PEEK_SIZE ? s->end - s->pos : TC_PEEK_SIZE;
    return TC_OK;
}

int tc_stream_read_line(tc_stream *s, const char **line, size_t *len)
{
    size_t scanned = 0; /* bytes after pos already known to hold no newline */
    for (;;) {
        unsigned char *start = s->buf + s->pos;
        size_t avail = s->end - s->pos;
        unsigned char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned)
                                            : NULL;
        if (nl != NULL) {
            *line = (const char *)start;
            *len = (size_t)(nl - start);
            s->pos += *len + 1;
            s->line++;
            if (*len > s->max_line)
                goto too_long;
            return TC_OK;
        }
        if (s->eof) {
            if (avail == 0)
                return TC_EOF;
            *line = (const char *)start;
            *len = avail;
            s->pos = s->end;
            s->line++;
            if (*len > s->max_line)
                goto too_long;
            return TC_OK;
        }
        if (avail > s->max_line) {
            s->line++;
            goto too_long;
        }
        scanned = avail;
        int rc = tc__stream_fill(s, avail + 1);
        if (rc != TC_OK)
            return rc;
    }
too_long:
    return tc_stream_error(s, TC_ERR_DATA, s->line, 0,
                           "line is longer than the max-line limit (%zu bytes); "
                           "raise it with --limit max-line=SIZE", s->max_line);
}

long tc_stream_read(tc_stream *s, void *buf, size_t len)
{
    if (s->end == s->pos) {
        if (s->eof)
            return 0;
        int rc = tc__stream_fill(s, 1);
        if (rc != TC_OK)
            return rc;
    }
    size_t n = s->end - s->pos < len ? s->end - s->pos : len;
    memcpy(buf, s->buf + s->pos, n);
    s->pos += n;
    return (long)n;
}

uint64_t tc_stream_tell(const tc_stream *s)
{
    return s->base + s->pos;
}

int tc_stream_make_seekable(tc_stream *s)
{
    if (s->kind == TC_STREAM_INPUT_MEMORY)
        return TC_OK;
    if (s->kind == TC_STREAM_INPUT_SOURCE)
        return s->src.seek ? TC_OK
                           : tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "this input cannot seek");
    if (s->kind != TC_STREAM_INPUT_FD)
        return tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "seek on an output stream");
    if (lseek(s->fd, 0, SEEK_CUR) >= 0)
        return TC_OK;
    /* A pipe: spool what is left (and what is buffered) to an unlinked
     * temporary file, then read from that. */
    const char *dir = getenv("TMPDIR");
    tc_buf path = {0};
    tc_buf_printf(&path, "%s/threadconv-spool-XXXXXX", dir && *dir ? dir : "/tmp");
    if (path.data == NULL)
        return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
    /* Failures here are the environment's ($TMPDIR full or missing), not
     * the input's: an output status (exit 4), naming the folder. */
    const char *shown_dir = dir && *dir ? dir : "/tmp";
    int fd = mkstemp(path.data);
    if (fd < 0) {
        int e = errno;
        tc_buf_free(&path);
        return tc_stream_error(s, TC_ERR_OUTPUT, 0, 0,
                               "cannot create a temporary file in %s (TMPDIR) to spool the "
                               "input: %s", shown_dir, strerror(e));
    }
    unlink(path.data);
    tc_buf_free(&path);
    int rc = TC_OK;
    uint64_t start = s->base; /* offsets stay those of the original input */
    const unsigned char *p = s->buf;
    size_t n = s->end;
    for (;;) {
        while (n > 0) {
            ssize_t w = write(fd, p, n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = tc_stream_error(s, TC_ERR_OUTPUT, 0, 0,
                                     "cannot spool the input to a temporary file in %s "
                                     "(TMPDIR): %s", shown_dir, strerror(errno));
                break;
            }
            p += w;
            n -= (size_t)w;
        }
        if (rc != TC_OK || s->eof)
            break;
        ssize_t r = read(s->fd, s->buf, s->cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = tc_stream_error(s, TC_ERR_DATA, 0, 0, "read error: %s", strerror(errno));
            break;
        }
        if (r == 0)
            break;
        p = s->buf;
        n = (size_t)r;
    }
    if (rc != TC_OK) {
        close(fd);
        return rc;
    }
    if (s->owns_fd)
        close(s->fd);
    s->fd = fd;
    s->owns_fd = true;
    s->spool_base = start;
    s->eof = false;
    return tc_stream_seek(s, start + s->pos, s->line);
}

int tc_stream_seek(tc_stream *s, uint64_t offset, uint64_t line)
{
    if (s->kind == TC_STREAM_INPUT_MEMORY) {
        if (offset > s->end)
            return tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "seek past the end of the input");
        s->pos = (size_t)offset;
        s->line = line;
        return TC_OK;
    }
    if (s->kind == TC_STREAM_INPUT_SOURCE) {
        int rc = s->src.seek ? s->src.seek(s->src.user, s, offset)
                             : tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "this input cannot seek");
        if (rc != TC_OK)
            return rc;
    } else if (s->kind != TC_STREAM_INPUT_FD) {
        return tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "seek on an output stream");
    } else if (offset < s->spool_base ||
               lseek(s->fd, (off_t)(offset - s->spool_base), SEEK_SET) < 0) {
        return tc_stream_error(s, TC_ERR_PLUGIN, 0, 0,
                               "the input is not seekable (call tc_stream_make_seekable first)");
    }
    s->base = offset;
    s->pos = s->end = 0;
    s->eof = false;
    s->line = line;
    return TC_OK;
}

/* ----------------------------------------------------------- output */

static int write_all(tc_stream *s, const unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return tc_stream_error(s, TC_ERR_OUTPUT, 0, 0, "write failed: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return TC_OK;
}

int tc_stream_flush(tc_stream *s)
{
    if (s->error.code == TC_ERR_OUTPUT)
        return TC_ERR_OUTPUT;
    if (s->kind != TC_STREAM_OUTPUT_FD || s->wlen == 0)
        return TC_OK;
    int rc = write_all(s, s->wbuf, s->wlen);
    s->wlen = 0;
    return rc;
}

int tc_stream_write(tc_stream *s, const void *data, size_t len)
{
    if (s->error.code == TC_ERR_OUTPUT)
        return TC_ERR_OUTPUT; /* once the output failed, stop writing */
    s->bytes_written += len;
    if (s->kind == TC_STREAM_OUTPUT_BUFFER) {
        if (tc_buf_append(s->out_buf, data, len) != TC_OK)
            return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory writing output");
        return TC_OK;
    }
    if (s->kind != TC_STREAM_OUTPUT_FD)
        return tc_stream_error(s, TC_ERR_PLUGIN, 0, 0, "write on an input stream");
    if (len <= WRITE_BUFFER - s->wlen) {
        memcpy(s->wbuf + s->wlen, data, len);
        s->wlen += len;
        return TC_OK;
    }
    int rc = tc_stream_flush(s);
    if (rc != TC_OK)
        return rc;
    if (len >= WRITE_BUFFER)
        return write_all(s, data, len);
    memcpy(s->wbuf, data, len);
    s->wlen = len;
    return TC_OK;
}

int tc_stream_puts(tc_stream *s, const char *str)
{
    return tc_stream_write(s, str, strlen(str));
}

/* ---------------------------------------------------------- options */

int tc_stream_set_options(tc_stream *s, const tc_format *plugin,
                          const tc_option_value *values, size_t n_values,
                          tc_error *err)
{
    size_t n = 0;
    for (const tc_option_decl *d = plugin->options; d && d->name; d++)
        n++;
    free(s->options);
    s->options = n ? calloc(n, sizeof *s->options) : NULL;
    if (n && s->options == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    s->n_options = n;
    s->format = plugin;
    for (size_t i = 0; i < n; i++) {
        s->options[i].key = plugin->options[i].name;
        s->options[i].value = plugin->options[i].default_value;
    }
    for (size_t v = 0; v < n_values; v++) {
        if (strcmp(values[v].format, plugin->name) != 0)
            continue;
        int rc = tc_option_check(plugin, values[v].key, values[v].value, err);
        if (rc != TC_OK)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (strcmp(s->options[i].key, values[v].key) == 0)
                s->options[i].value = values[v].value;
    }
    return TC_OK;
}

const char *tc_stream_option(const tc_stream *s, const char *key)
{
    for (size_t i = 0; i < s->n_options; i++)
        if (strcmp(s->options[i].key, key) == 0)
            return s->options[i].value;
    return NULL;
}

bool tc_stream_option_bool(const tc_stream *s, const char *key)
{
    const char *v = tc_stream_option(s, key);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
                 strcmp(v, "on") == 0 || strcmp(v, "1") == 0);
}

long tc_stream_option_int(const tc_stream *s, const char *key)
{
    const char *v = tc_stream_option(s, key);
    return v ? strtol(v, NULL, 10) : 0;
}

tc_tree *tc_stream_tree(const tc_stream *s)
{
    return s->tree;
}
