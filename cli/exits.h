/* exits.h - the CLI's exit statuses (documented in README and threadconv(1)). */
#ifndef CLI_EXITS_H
#define CLI_EXITS_H

#include <threadconv/threadconv.h>

#define EXIT_DATA 1    /* bad input, or anything not below */
#define EXIT_USAGE 2   /* bad command line, unknown format */
#define EXIT_PLUGIN 3  /* a plugin could not be loaded or misbehaved */
#define EXIT_OUTPUT 4  /* the output could not be written */
#define EXIT_SKIPPED 5 /* finished, but --keep-going skipped bad posts */

/* The exit status for a library result code. */
static inline int cli_exit_status(int code)
{
    switch (code) {
    case TC_OK: return 0;
    case TC_ERR_USAGE: return EXIT_USAGE;
    case TC_ERR_PLUGIN: return EXIT_PLUGIN;
    case TC_ERR_OUTPUT: return EXIT_OUTPUT;
    default: return EXIT_DATA;
    }
}

#endif
