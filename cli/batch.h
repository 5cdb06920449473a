/* batch.h - the CLI's batch mode: many inputs, one output file each. */
#ifndef CLI_BATCH_H
#define CLI_BATCH_H

#include <threadconv/convert.h>

typedef struct cli_batch {
    const char *output_dir;
    unsigned jobs;        /* conversions at a time, >= 1 */
    bool progress;        /* a progress line on stderr */
} cli_batch;

/*
 * Convert each of spec->inputs into its own file in batch->output_dir, named
 * after the input with the writer's extension, batch->jobs at a time (that
 * many worker processes).  A failure in one file does not stop the others; a summary
 * follows.  Returns the exit status: 0 when every file converted, else the
 * status of the first input (in command-line order) that failed, else
 * EXIT_SKIPPED when --keep-going skipped posts.
 */
int cli_batch_run(tc_registry *reg, const tc_convert_spec *spec, const cli_batch *batch);

#endif
