/* cleanup.h - the CLI's temporary output files, removed when a fatal signal
 * (SIGINT, SIGTERM, SIGHUP, SIGPIPE) ends the run; a batch parent's workers,
 * stopped by it too. */
#ifndef CLI_CLEANUP_H
#define CLI_CLEANUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Install the signal handlers (a signal ignored at start stays ignored). */
void cli_catch_signals(void);

/* A batch parent's workers, pids[0..n) (0: none in that slot; the array
 * stays the caller's and may change): a fatal signal is passed on to them
 * and waited for before the parent dies of it.  NULL stops it (in a worker). */
void cli_temp_children(pid_t *pids, size_t n);
/* Block (true) or unblock the fatal signals: around a fork and storing its
 * pid, so no signal finds a worker that is not in the list yet. */
void cli_signals_hold(bool hold);

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

/* A tc_convert_spec temp_files callback: a writer's own files (dir/prefix*)
 * are removed on a signal until it is called with dir NULL. */
void cli_temp_files(void *user, const char *dir, const char *prefix);

#endif
