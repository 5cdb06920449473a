/* fuzz_link.c - fz_plugin for the libFuzzer build: every plugin is linked
 * in, its descriptor renamed by build.sh (-Dthreadconv_plugin=fz_plugin_NAME). */
#include "driver.h"

#include <string.h>

extern const tc_format fz_plugin_mumsnet, fz_plugin_json, fz_plugin_jsonl, fz_plugin_xml,
    fz_plugin_mbox;

const tc_format *fz_plugin(const char *name)
{
    static const tc_format *const all[] = {&fz_plugin_mumsnet, &fz_plugin_json,
                                           &fz_plugin_jsonl, &fz_plugin_xml, &fz_plugin_mbox};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    fz_fail("no plugin '%s' is linked in", name);
}
