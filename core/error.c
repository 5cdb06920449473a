/* error.c - filling and formatting tc_error. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <stdio.h>
#include <string.h>

int tc__error_vset(tc_error *err, int code, const char *source, uint64_t line,
                   uint64_t column, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    err->code = code;
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    err->line = line;
    err->column = column;
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    return code;
}

int tc__error_set(tc_error *err, int code, const char *source, uint64_t line,
                  uint64_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tc__error_vset(err, code, source, line, column, fmt, ap);
    va_end(ap);
    return code;
}

char *tc_error_format(const tc_error *err, char *out, size_t out_size)
{
    if (out_size == 0)
        return out;
    if (err->source[0] && err->line && err->column)
        snprintf(out, out_size, "%s:%llu:%llu: %s", err->source,
                 (unsigned long long)err->line, (unsigned long long)err->column, err->text);
    else if (err->source[0] && err->line)
        snprintf(out, out_size, "%s:%llu: %s", err->source,
                 (unsigned long long)err->line, err->text);
    else if (err->source[0])
        snprintf(out, out_size, "%s: %s", err->source, err->text);
    else
        snprintf(out, out_size, "%s", err->text);
    return out;
}

const char *tc__display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}
