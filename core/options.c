/* options.c - checking -O FORMAT.KEY=VALUE against a plugin's declarations
 * before the plugin sees it. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const bool_words[] = {"true", "false", "yes", "no", "on", "off",
                                         "1", "0", NULL};

static bool in_list(const char *const *list, const char *value)
{
    for (; list && *list; list++)
        if (strcmp(*list, value) == 0)
            return true;
    return false;
}

static void append_list(tc_buf *b, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        tc_buf_printf(b, "%s%s", i ? ", " : "", list[i]);
}

int tc_option_check(const tc_format *plugin, const char *key, const char *value,
                    tc_error *err)
{
    const tc_option_decl *decl = NULL;
    for (const tc_option_decl *d = plugin->options; d && d->name; d++)
        if (strcmp(d->name, key) == 0)
            decl = d;
    tc_buf msg = {0};
    int rc = TC_OK;
    if (decl == NULL) {
        tc_buf_printf(&msg, "unknown option %s.%s; ", plugin->name, key);
        if (plugin->options == NULL || plugin->options[0].name == NULL) {
            tc_buf_printf(&msg, "%s takes no options", plugin->name);
        } else {
            tc_buf_printf(&msg, "%s takes:", plugin->name);
            for (const tc_option_decl *d = plugin->options; d->name; d++)
                tc_buf_printf(&msg, " %s.%s", plugin->name, d->name);
        }
        rc = TC_ERR_USAGE;
    } else {
        switch (decl->type) {
        case TC_OPT_BOOL:
            if (!in_list(bool_words, value)) {
                tc_buf_printf(&msg, "option %s.%s takes true or false (yes/no, on/off, 1/0), not '%s'",
                              plugin->name, key, value);
                rc = TC_ERR_USAGE;
            }
            break;
        case TC_OPT_INT: {
            char *end;
            errno = 0;
            (void)strtol(value, &end, 10);
            if (*value == '\0' || *end != '\0' || errno != 0) {
                tc_buf_printf(&msg, "option %s.%s takes an integer, not '%s'", plugin->name,
                              key, value);
                rc = TC_ERR_USAGE;
            }
            break;
        }
        case TC_OPT_ENUM:
            if (!in_list(decl->enum_values, value)) {
                tc_buf_printf(&msg, "option %s.%s takes one of: ", plugin->name, key);
                append_list(&msg, decl->enum_values);
                tc_buf_printf(&msg, "; not '%s'", value);
                rc = TC_ERR_USAGE;
            }
            break;
        case TC_OPT_STRING:
            break;
        }
    }
    if (rc != TC_OK)
        tc__error_set(err, rc, "", 0, 0, "%s", msg.data ? msg.data : "bad option");
    tc_buf_free(&msg);
    return rc;
}
