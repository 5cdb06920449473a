/* scan.c - the top-level members of the first JSON object in a buffer; see scan.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "scan.h"

#include <string.h>

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_ws(const unsigned char *p, size_t len, size_t i, js_top *out)
{
    while (i < len && is_ws(p[i])) {
        if (p[i] == '\n' && out != NULL)
            out->newline_inside = true;
        i++;
    }
    return i;
}

/* p[i] is '"': index just past the closing quote, or len when it does not
 * close within the bytes seen. */
static size_t skip_string(const unsigned char *p, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return len;
}

#define KEY_IS(p, start, end, lit) \
    ((end) - (start) == sizeof(lit) - 1 && memcmp((p) + (start), (lit), sizeof(lit) - 1) == 0)

void js_scan_top(const unsigned char *p, size_t len, js_top *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    i = skip_ws(p, len, i, NULL);
    if (i >= len || p[i] != '{')
        return;
    out->object = true;
    int depth = 1;
    bool expect_key = true;
    i++;
    while (i < len) {
        unsigned char c = p[i];
        if (c == '"') {
            size_t end = skip_string(p, len, i);
            if (end >= len)
                return;
            if (depth == 1 && expect_key) {
                size_t j = skip_ws(p, len, end, out);
                if (j < len && p[j] == ':') {
                    j = skip_ws(p, len, j + 1, out);
                    size_t ks = i + 1, ke = end - 1;
                    static const char threadconv[] = "\"threadconv\"";
                    if (KEY_IS(p, ks, ke, "format") && len - j >= sizeof threadconv - 1 &&
                        memcmp(p + j, threadconv, sizeof threadconv - 1) == 0)
                        out->format_threadconv = true;
                    else if (KEY_IS(p, ks, ke, "threads"))
                        out->threads = true;
                    else if (KEY_IS(p, ks, ke, "thread") && j < len && p[j] == '{')
                        out->thread = true;
                    expect_key = false;
                    i = j;
                    continue;
                }
            }
            i = end;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                out->closed = true;
                return;
            }
        } else if (c == ',' && depth == 1) {
            expect_key = true;
        } else if (c == '\n') {
            out->newline_inside = true;
        }
        i++;
    }
}
