/*
 * replay.c - run the fuzz harnesses without libFuzzer, for make check:
 *
 *   replay [DIR...]
 *
 * Without a DIR (as make check runs it), every folder of the committed
 * corpora tests/fuzz/corpus/ and regressions tests/fuzz/regressions/,
 * found through THREADCONV_SRCDIR.  A folder is named after its harness:
 * "roundtrip" (fuzz_roundtrip.c: each file's first line names the two
 * formats), else the reader format whose harness it feeds (fuzz_reader.c).
 * The formats are the modules loaded from THREADCONV_PLUGIN_PATH; a folder
 * or round-trip input for a format that is not built (a module whose
 * dependency is missing) is skipped, and said so.  A broken contract aborts
 * (driver.c); memory errors show under valgrind or in the sanitizer build.
 * Prints one line per directory.
 */
#include "driver.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static tc_registry *registry;

static void refused(void *user, const tc_error *err)
{
    (void)user;
    char msg[2048];
    fz_fail("a module was refused: %s", tc_error_format(err, msg, sizeof msg));
}

tc_registry *fz_registry(void)
{
    if (registry == NULL) {
        registry = tc_registry_new();
        if (registry == NULL || tc_registry_add_search_dirs(registry, NULL, 0, true) != TC_OK)
            fz_fail("cannot set up the plugin registry");
        tc_registry_load_all(registry, refused, NULL);
        if (tc_registry_count(registry) == 0)
            fz_fail("no module found (is THREADCONV_PLUGIN_PATH set?)");
    }
    return registry;
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

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, without those starting with '.'; *n of them. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        fz_fail("cannot open the directory %s", dir);
    char **names = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (*n + 1) * sizeof *names);
        if (names == NULL || (names[*n] = strdup(e->d_name)) == NULL)
            fz_fail("out of memory");
        (*n)++;
    }
    closedir(d);
    if (*n > 0)
        qsort(names, *n, sizeof *names, by_name);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void replay_dir(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    const char *harness = slash ? slash + 1 : dir;
    bool roundtrip = strcmp(harness, "roundtrip") == 0;
    const tc_format *reader = roundtrip ? NULL : fz_find(harness);
    if (!roundtrip && (reader == NULL || !fz_can_read(reader))) {
        printf("skipped: %s (no reader '%s' is built)\n", dir, harness);
        return;
    }
    size_t n, skipped = 0;
    char **names = list_dir(dir, &n);
    for (size_t j = 0; j < n; j++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[j]);
        fprintf(stderr, "replay: %s\n", path); /* names the input of a finding */
        size_t len;
        unsigned char *data = slurp(path, &len);
        const uint8_t *bytes = data ? data : (const uint8_t *)"";
        const tc_format *r, *w;
        size_t skip;
        if (!roundtrip)
            fz_reader_one(reader, bytes, len);
        else if (fz_roundtrip_pair(bytes, len, &r, &w, &skip))
            fz_roundtrip_one(bytes, len);
        else {
            fprintf(stderr, "replay: %s: skipped, its first line names no reader and "
                            "round-trip writer that is built\n", path);
            skipped++;
        }
        free(data);
    }
    free_list(names, n);
    printf("ok: %s (%zu inputs", dir, n - skipped);
    if (skipped)
        printf(", %zu skipped: no reader and writer built for them", skipped);
    printf(")\n");
}

/* Every folder of SRCDIR/tests/fuzz/corpus and .../regressions. */
static void replay_defaults(void)
{
    const char *src = getenv("THREADCONV_SRCDIR");
    if (src == NULL || *src == '\0')
        fz_fail("THREADCONV_SRCDIR is not set (run through make check, or name directories)");
    static const char *const kinds[] = {"corpus", "regressions"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char top[4096];
        snprintf(top, sizeof top, "%s/tests/fuzz/%s", src, kinds[k]);
        size_t n;
        char **names = list_dir(top, &n);
        for (size_t i = 0; i < n; i++) {
            char dir[sizeof top + 256]; /* a name in a directory is at most 255 bytes */
            struct stat st;
            snprintf(dir, sizeof dir, "%s/%s", top, names[i]);
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
                replay_dir(dir);
        }
        free_list(names, n);
    }
}

int main(int argc, char **argv)
{
    fz_registry();
    if (argc == 1)
        replay_defaults();
    for (int i = 1; i < argc; i++)
        replay_dir(argv[i]);
    tc_registry_free(registry);
    return 0;
}
