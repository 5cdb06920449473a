/*
 * fuzz_reader.c - libFuzzer harness for one reader: the probe looks at the
 * input, then the reader reads all of it from memory through the checked
 * session.  driver.c aborts on any broken contract; ASan/UBSan on memory
 * errors.
 *
 * The format is the binary's name after "fuzz_": build.sh links one
 * harness and names a hard link to it after every reader in the registry
 * (fuzz_json, fuzz_mbox, ...).  replay.c runs fz_reader_one over the
 * committed corpora and regressions.
 */
#include "driver.h"

int fz_reader_one(const tc_format *reader, const uint8_t *data, size_t size)
{
    if (reader->read_probe != NULL) {
        int score = reader->read_probe(data, size < 65536 ? size : 65536, "fuzz");
        if (score < TC_PROBE_NO || score > TC_PROBE_SURE)
            fz_fail("%s: probe score %d is out of range", reader->name, score);
    }
    fz_archive a;
    fz_read(reader, data, size, &a);
    fz_archive_free(&a);
    return 0;
}

#ifndef FZ_REPLAY
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_list_if_asked(void);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const tc_format *fuzzed;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_list_if_asked();
    const char *self = *argc > 0 ? (*argv)[0] : "";
    const char *base = strrchr(self, '/');
    base = base ? base + 1 : self;
    const char *name = strncmp(base, "fuzz_", 5) == 0 ? base + 5 : base;
    fuzzed = fz_find(name);
    if (fuzzed == NULL || !fz_can_read(fuzzed)) {
        fprintf(stderr, "%s: no reader '%s' to fuzz: run this harness as fuzz_FORMAT "
                        "(FZ_LIST=1 %s lists the formats)\n", base, name, self);
        exit(2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_reader_one(fuzzed, data, size);
}
#endif
