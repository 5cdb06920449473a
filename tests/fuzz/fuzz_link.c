/*
 * fuzz_link.c - fz_registry for the libFuzzer build: every module is linked
 * in as it is (no symbol renamed) and added to one registry with
 * tc_registry_add_module, checked as the loader checks a module file.  The
 * list of modules, fz-modules.h (one TC_STATIC_MODULE(NAME) line per
 * folder plugins/NAME/ with a module.am), is written by build.sh, as the
 * automake build writes tests/static-modules.h for the unit tests.
 *
 * Also fz_list_if_asked: with FZ_LIST=1 in the environment a harness prints
 * what it can fuzz and exits, which is how build.sh and run.sh learn the
 * formats without naming any.
 */
#include "driver.h"

#include <stdio.h>
#include <stdlib.h>

#define TC_STATIC_MODULE(NAME) extern const tc_module threadconv_module_##NAME;
#include "fz-modules.h"
#undef TC_STATIC_MODULE

static const tc_module *const linked[] = {
#define TC_STATIC_MODULE(NAME) &threadconv_module_##NAME,
#include "fz-modules.h"
#undef TC_STATIC_MODULE
    NULL};

tc_registry *fz_registry(void)
{
    static tc_registry *reg;
    if (reg != NULL)
        return reg;
    if ((reg = tc_registry_new()) == NULL)
        fz_fail("out of memory creating the registry");
    for (const tc_module *const *m = linked; *m != NULL; m++) {
        tc_error err = {0};
        if (tc_registry_add_module(reg, *m, "linked in", &err) != TC_OK)
            fz_fail("module %s refused: %s", (*m)->name, err.text);
    }
    return reg;
}

void fz_list_if_asked(void);

/* One line per format: "reader NAME" for each format fuzz_reader can read,
 * "roundtrip NAME" for each the round trip writes and reads back. */
void fz_list_if_asked(void)
{
    const char *list = getenv("FZ_LIST");
    if (list == NULL || *list == '\0')
        return;
    tc_registry *reg = fz_registry();
    for (size_t i = 0; i < tc_registry_count(reg); i++) {
        const tc_format *f = tc_registry_format(reg, i);
        if (fz_can_read(f))
            printf("reader %s\n", f->name);
        if (fz_can_round_trip(f))
            printf("roundtrip %s\n", f->name);
    }
    exit(0);
}
