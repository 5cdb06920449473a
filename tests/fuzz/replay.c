/*
 * replay.c - run the fuzz harnesses without libFuzzer, for make check:
 *
 *   replay [DIR...]
 *
 * Without a DIR (as make check runs it), the committed corpora
 * tests/fuzz/corpus/NAME and the regressions tests/fuzz/regressions/NAME
 * (those that exist), found through THREADCONV_TESTDATA (tests/data).
 * Each DIR is named after its harness (mumsnet, json, jsonl, xml, mbox or
 * roundtrip; tests/fuzz/corpus/NAME, tests/fuzz/regressions/NAME) and every
 * file in it goes through that harness, the plugins loaded from
 * THREADCONV_PLUGIN_PATH.  A broken contract aborts (driver.c); memory
 * errors show under valgrind or in the sanitizer build.  Prints one line
 * per directory.
 */
#include "driver.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tc_registry *registry;

const tc_format *fz_plugin(const char *name)
{
    tc_error err;
    const tc_format *p = tc_registry_find(registry, name, &err);
    if (p == NULL)
        fz_fail("plugin %s: %s", name, err.text);
    return p;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fz_fail("cannot open %s", path);
    tc_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (tc_buf_append(&b, chunk, n) != TC_OK)
            fz_fail("out of memory reading %s", path);
    fclose(f);
    *len = b.len;
    return (unsigned char *)b.data; /* NULL for an empty file */
}

static const char *const harnesses[] = {"mumsnet", "json", "jsonl", "xml", "mbox", "roundtrip"};

static void replay_dir(const char *dir);

/* The committed corpora and regressions beside THREADCONV_TESTDATA. */
static void replay_defaults(void)
{
    const char *data = getenv("THREADCONV_TESTDATA");
    if (data == NULL || *data == '\0')
        fz_fail("THREADCONV_TESTDATA is not set (run through make check, or name directories)");
    for (size_t i = 0; i < sizeof harnesses / sizeof harnesses[0]; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/../fuzz/corpus/%s", data, harnesses[i]);
        replay_dir(dir);
        snprintf(dir, sizeof dir, "%s/../fuzz/regressions/%s", data, harnesses[i]);
        DIR *d = opendir(dir);
        if (d != NULL) {
            closedir(d);
            replay_dir(dir);
        }
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_dir(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    const char *harness = slash ? slash + 1 : dir;
    DIR *d = opendir(dir);
    if (d == NULL)
        fz_fail("cannot open the directory %s", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof *names);
        if (names == NULL || (names[n] = strdup(e->d_name)) == NULL)
            fz_fail("out of memory");
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, by_name);
    for (size_t j = 0; j < n; j++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[j]);
        fprintf(stderr, "replay: %s\n", path); /* names the input of a finding */
        size_t len;
        unsigned char *data = slurp(path, &len);
        const uint8_t *bytes = data ? data : (const uint8_t *)"";
        if (strcmp(harness, "roundtrip") == 0)
            fz_roundtrip_one(bytes, len);
        else
            fz_reader_one(harness, bytes, len);
        free(data);
        free(names[j]);
    }
    free(names);
    printf("ok: %s (%zu inputs)\n", dir, n);
}

int main(int argc, char **argv)
{
    registry = tc_registry_new();
    if (registry == NULL || tc_registry_add_search_dirs(registry, NULL, 0, true) != TC_OK)
        fz_fail("cannot set up the plugin registry");
    if (argc == 1)
        replay_defaults();
    for (int i = 1; i < argc; i++)
        replay_dir(argv[i]);
    tc_registry_free(registry);
    return 0;
}
