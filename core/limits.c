/* limits.c - the caps readers enforce (post size, line length, nesting):
 * defaults, names, and parsing "NAME=SIZE" settings. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const limit_names[TC_LIMIT_COUNT] = {"max-post", "max-line", "max-depth"};

const char *tc_limit_name(tc_limit which)
{
    return which < TC_LIMIT_COUNT ? limit_names[which] : "?";
}

size_t tc_limit_default(tc_limit which)
{
    switch (which) {
    case TC_LIMIT_POST: return TC_DEFAULT_MAX_POST;
    case TC_LIMIT_LINE: return TC_DEFAULT_MAX_LINE;
    case TC_LIMIT_DEPTH: return TC_DEFAULT_MAX_DEPTH;
    default: return 0;
    }
}

size_t tc_stream_limit(const tc_stream *s, tc_limit which)
{
    return which < TC_LIMIT_COUNT ? s->limits[which] : 0;
}

void tc_stream_set_limit(tc_stream *s, tc_limit which, size_t value)
{
    if (which >= TC_LIMIT_COUNT)
        return;
    s->limits[which] = value ? value : tc_limit_default(which);
    if (which == TC_LIMIT_LINE)
        s->max_line = s->limits[which];
}

int tc_limit_parse(const char *setting, tc_limit *which, size_t *value, tc_error *err)
{
    const char *eq = strchr(setting, '=');
    size_t name_len = eq ? (size_t)(eq - setting) : strlen(setting);
    int found = -1;
    for (int i = 0; i < TC_LIMIT_COUNT; i++)
        if (strlen(limit_names[i]) == name_len && memcmp(setting, limit_names[i], name_len) == 0)
            found = i;
    if (found < 0 || eq == NULL)
        return tc__error_set(err, TC_ERR_USAGE, "", 0, 0,
                             "--limit expects NAME=SIZE with NAME one of max-post, max-line, "
                             "max-depth (e.g. --limit max-post=256M), not '%s'", setting);
    const char *v = eq + 1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned long long scale = 1;
    if (*end == 'K' || *end == 'k')
        scale = 1024ull, end++;
    else if (*end == 'M' || *end == 'm')
        scale = 1024ull * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        scale = 1024ull * 1024 * 1024, end++;
    if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n == 0 ||
        n > (unsigned long long)SIZE_MAX / scale)
        return tc__error_set(err, TC_ERR_USAGE, "", 0, 0,
                             "--limit %.*s: expected a positive size like 4096, 64K, 256M or "
                             "2G, not '%s'", (int)name_len, setting, v);
    *which = (tc_limit)found;
    *value = (size_t)(n * scale);
    return TC_OK;
}
