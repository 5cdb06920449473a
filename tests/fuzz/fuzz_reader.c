/*
 * fuzz_reader.c - libFuzzer harness for one reader plugin, chosen at build
 * time with -DFZ_READER=NAME (build.sh builds one binary per reader): the
 * probe looks at the input, then the reader reads all of it from memory.
 * driver.c aborts on any broken contract; ASan/UBSan on memory errors.
 * replay.c runs fz_reader_one over the committed corpora and regressions.
 */
#include "driver.h"

int fz_reader_one(const char *name, const uint8_t *data, size_t size)
{
    const tc_format *reader = fz_plugin(name);
    if (reader->read_probe != NULL) {
        int score = reader->read_probe(data, size < 65536 ? size : 65536, "fuzz");
        if (score < TC_PROBE_NO || score > TC_PROBE_SURE)
            fz_fail("probe score %d is out of range", score);
    }
    fz_archive a;
    fz_read(reader, data, size, &a);
    fz_archive_free(&a);
    return 0;
}

#ifdef FZ_READER
#define FZ_STR2(x) #x
#define FZ_STR(x) FZ_STR2(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_reader_one(FZ_STR(FZ_READER), data, size);
}
#endif
