/* buf.c - the growable byte buffer plugins and the core share. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/threadconv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tc_buf_reserve(tc_buf *buf, size_t extra)
{
    /* +1 keeps room for the NUL that makes data usable as a string. */
    if (extra > SIZE_MAX - buf->len - 1)
        return TC_ERR_NOMEM;
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return TC_OK;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *data = realloc(buf->data, cap);
    if (data == NULL)
        return TC_ERR_NOMEM;
    buf->data = data;
    buf->cap = cap;
    return TC_OK;
}

int tc_buf_append(tc_buf *buf, const void *data, size_t len)
{
    if (tc_buf_reserve(buf, len) != TC_OK)
        return TC_ERR_NOMEM;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return TC_OK;
}

int tc_buf_putc(tc_buf *buf, char c)
{
    return tc_buf_append(buf, &c, 1);
}

int tc_buf_printf(tc_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TC_ERR_NOMEM;
    if (tc_buf_reserve(buf, (size_t)n) != TC_OK)
        return TC_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return TC_OK;
}

void tc_buf_reset(tc_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

void tc_buf_free(tc_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
