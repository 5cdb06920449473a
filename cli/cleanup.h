/* cleanup.h - the CLI's temporary output files, removed when a fatal signal
 * (SIGINT, SIGTERM, SIGHUP, SIGPIPE) ends the run. */
#ifndef CLI_CLEANUP_H
#define CLI_CLEANUP_H

#include <stdbool.h>

/* Install the signal handlers (a signal ignored at start stays ignored). */
void cli_catch_signals(void);

/* Track path; returns a slot for cli_temp_forget, or -1 when the path is
 * too long or every slot is taken (it is then not removed on a signal). */
int cli_temp_track(const char *path);
/* Stop tracking slot (ignored when -1). */
void cli_temp_forget(int slot);

/* A directory of temporary files (a batch worker's), removed on a signal
 * after the files; NULL stops tracking it.  False when the path is too long. */
bool cli_temp_dir(const char *path);

/* A tc_convert_spec temp_file callback: tracks the conversion's temporary
 * file while it is written.  After a deferred conversion (deferred_temp)
 * the file stays tracked: cli_temp_take() hands its slot to the caller. */
void cli_temp_note(void *user, const char *path);
int cli_temp_take(void);

#endif
