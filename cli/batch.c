/* batch.c - the CLI's batch mode (--output-dir DIR -j N): one output file
 * per input, N conversions at a time.
 *
 * Conversions run in N worker processes, which take the next input from a
 * counter in shared memory and leave each input's exit status there: the
 * library needs no locking, a crash loses only the input being converted
 * (the worker is replaced), and a process is not started for every file --
 * a fork costs far more than converting a small thread.  A worker exits
 * after WORKER_FILES inputs and is replaced, so a leak cannot grow without
 * bound.  The plugins are loaded once before forking, so workers start
 * converting at once.
 *
 * Each worker commits its finished files in groups (tc_commit_outputs: one
 * file-system sync, then the renames) rather than syncing every file: on
 * ext4 an fsync per small file costs a journal commit each, and parallel
 * workers queue behind one another for them, so -j 2 ran no faster than
 * -j 1.  A file appears under its final name only once it is durable, as
 * in a single conversion.
 *
 * SIGINT, SIGTERM, SIGHUP or SIGPIPE to the parent is passed on to the
 * workers (cleanup.c), which remove their temporary files and die; the
 * parent waits for them, then dies of the signal itself. */
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "batch.h"
#include "cleanup.h"
#include "exits.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKER_FILES 256
/* A worker commits its finished files when it holds this many, or this
 * many input bytes, or has no more inputs to take. */
#define GROUP_FILES 256
#define GROUP_BYTES ((unsigned long long)64 << 20)

/* status[] of an input converted by worker k and waiting in its group for
 * the commit: below -1, so "finished" (>= 0) and "not yet" (-1) stay as
 * they were. */
#define PENDING(k) (-2 - (int)(k))
/* status[] of such an input whose worker died before the commit. */
#define REDO INT_MIN

/* Shared between the parent and the workers (an anonymous shared mapping). */
typedef struct pool {
    atomic_size_t next;       /* the next input to take */
    atomic_size_t done;       /* inputs finished, for the progress line */
    atomic_ullong bytes;      /* their size in bytes, for the progress line */
    atomic_size_t *current;   /* per worker: the input it converts, or SIZE_MAX */
    atomic_int *status;       /* per input: its exit status, -1 until finished */
} pool;

/* DIR/NAME.EXT for input path: the input's base name without its last
 * extension ("thread.txt" -> "thread.json"); "-" is refused earlier. */
static char *output_name(const char *dir, const char *input, const char *ext)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    tc_buf b = {0};
    tc_buf_printf(&b, "%s/%.*s.%s", dir, (int)stem, base, ext);
    return b.data;
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void show_progress(size_t done, size_t total, double bytes, double start)
{
    double secs = now() - start;
    fprintf(stderr, "\rthreadconv: %zu/%zu files, %.1f MB/s ", done, total,
            secs > 0 ? bytes / 1e6 / secs : 0.0);
    fflush(stderr);
}

/* A worker's finished files, waiting for one commit. */
typedef struct group {
    size_t n;
    size_t input[GROUP_FILES];
    char *temp[GROUP_FILES];
    int slot[GROUP_FILES];      /* cleanup.c's, so a signal removes them */
    bool skipped[GROUP_FILES];  /* --keep-going skipped posts in it */
    unsigned long long bytes;   /* input bytes, for the progress line */
} group;

static void report_error(const cli_batch *batch, const tc_error *err)
{
    char line[sizeof err->text + sizeof err->source + 64];
    fprintf(stderr, "%sthreadconv: %s\n", batch->progress ? "\n" : "",
            tc_error_format(err, line, sizeof line));
}

/* Convert input i to outputs[i], deferred as tc_convert_spec.deferred_temp
 * says (NULL: sync and rename at once), its temporary file in temp_dir (NULL:
 * beside the output).  Returns the input's exit status. */
static int convert_one(tc_registry *reg, const tc_convert_spec *spec, const cli_batch *batch,
                       char **outputs, size_t i, char **deferred, const char *temp_dir)
{
    size_t skipped = 0;
    tc_convert_spec one = *spec;
    one.temp_dir = temp_dir;
    one.inputs = &spec->inputs[i];
    one.n_inputs = 1;
    one.output = outputs[i];
    one.deferred_temp = deferred;
    one.skipped = &skipped;
    tc_error err;
    int c = tc_convert(reg, &one, &err);
    if (c != TC_OK)
        report_error(batch, &err);
    if (skipped)
        fprintf(stderr, "%sthreadconv: %s: skipped %zu bad post%s (--keep-going)\n",
                batch->progress ? "\n" : "", spec->inputs[i], skipped, skipped == 1 ? "" : "s");
    fflush(NULL);
    return c != TC_OK ? cli_exit_status(c) : skipped ? EXIT_SKIPPED : 0;
}

/* Sync and rename the group's files; each input's status follows. */
static void commit_group(group *g, char **outputs, pool *sh, const cli_batch *batch)
{
    const char *final[GROUP_FILES];
    int result[GROUP_FILES];
    for (size_t j = 0; j < g->n; j++)
        final[j] = outputs[g->input[j]];
    tc_error err;
    if (tc_commit_outputs((const char *const *)g->temp, final, g->n, result, &err) != TC_OK)
        report_error(batch, &err);
    fflush(NULL);
    for (size_t j = 0; j < g->n; j++) {
        cli_temp_forget(g->slot[j]);
        free(g->temp[j]);
        atomic_store(&sh->status[g->input[j]], result[j] != TC_OK ? cli_exit_status(result[j])
                                               : g->skipped[j] ? EXIT_SKIPPED : 0);
    }
    atomic_fetch_add(&sh->bytes, g->bytes);
    atomic_fetch_add(&sh->done, g->n);
    g->n = 0;
    g->bytes = 0;
}

/* Fork a worker in slot k: it converts inputs until none are left or it
 * has done WORKER_FILES, committing them a group at a time.  Returns its
 * pid, or -1 (with a message). */
static pid_t start_worker(tc_registry *reg, const tc_convert_spec *spec, const cli_batch *batch,
                          char **outputs, pool *sh, size_t k, size_t n)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "threadconv: cannot start a conversion: %s\n", strerror(errno));
        return -1;
    }
    if (pid > 0)
        return pid;
    cli_temp_children(NULL, 0); /* the parent's list, not ours */
    cli_signals_hold(false);
    group g = {0};
    /* The worker's own directory for its temporary files: creating a file
     * locks the directory it is made in, so workers sharing the output
     * directory would create their files one at a time.  The renames into
     * the output directory are cheap.  Without it (not writable, say),
     * temporary files go beside their outputs as usual. */
    char *temp_dir = tc_temp_dir_create(batch->output_dir);
    if (temp_dir && !cli_temp_dir(temp_dir)) {
        rmdir(temp_dir);
        free(temp_dir);
        temp_dir = NULL;
    }
    for (int done = 0; done < WORKER_FILES; done++) {
        size_t i = atomic_fetch_add(&sh->next, 1);
        if (i >= n)
            break;
        atomic_store(&sh->current[k], i);
        char *temp = NULL;
        int status = convert_one(reg, spec, batch, outputs, i, &temp, temp_dir);
        struct stat st; /* the input's size, for the progress line only */
        unsigned long long size = batch->progress && stat(spec->inputs[i], &st) == 0
                                  ? (unsigned long long)st.st_size : 0;
        int slot = cli_temp_take();
        if (temp != NULL) {
            g.input[g.n] = i;
            g.skipped[g.n] = status == EXIT_SKIPPED;
            g.temp[g.n] = temp;
            g.slot[g.n] = slot;
            g.n++;
            g.bytes += size;
            atomic_store(&sh->status[i], PENDING(k));
        } else {
            cli_temp_forget(slot);
            free(temp);
            atomic_fetch_add(&sh->bytes, size);
            atomic_store(&sh->status[i], status);
            atomic_fetch_add(&sh->done, 1);
        }
        atomic_store(&sh->current[k], SIZE_MAX);
        if (g.n == GROUP_FILES || g.bytes >= GROUP_BYTES)
            commit_group(&g, outputs, sh, batch);
    }
    if (g.n > 0)
        commit_group(&g, outputs, sh, batch);
    if (temp_dir) {
        rmdir(temp_dir);
        cli_temp_dir(NULL);
        free(temp_dir);
    }
    _exit(0);
}

/* Name every input's output; two inputs mapping to one name are refused.
 * Returns 0 or the exit status. */
/* A string hash for plan_outputs' table (FNV-1a). */
static size_t name_hash(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    return (size_t)(h ^ (h >> 32));
}

/* Each input's output name into outputs[]; 2 when two inputs would be
 * written to the same file (the first input that collides is named with
 * the earlier one) or one is standard input.  The names are found in a hash
 * table, so 80,000 inputs take no longer to plan than to list. */
static int plan_outputs(const tc_convert_spec *spec, const cli_batch *batch, const char *ext,
                        char **outputs)
{
    int rc = 0;
    size_t n = spec->n_inputs, cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    size_t *tab = calloc(cap, sizeof *tab); /* input index + 1, 0: empty */
    if (tab == NULL) {
        fprintf(stderr, "threadconv: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(spec->inputs[i], "-") == 0) {
            fprintf(stderr, "threadconv: --output-dir cannot name an output for standard input\n");
            rc = 2;
            break;
        }
        outputs[i] = output_name(batch->output_dir, spec->inputs[i], ext);
        if (outputs[i] == NULL)
            continue;
        size_t k = name_hash(outputs[i]) & (cap - 1);
        while (tab[k] && strcmp(outputs[tab[k] - 1], outputs[i]) != 0)
            k = (k + 1) & (cap - 1);
        if (tab[k] == 0) {
            tab[k] = i + 1;
        } else {
            size_t j = tab[k] - 1;
            fprintf(stderr, "threadconv: %s and %s would both be written to %s; "
                            "convert them in separate runs\n",
                    spec->inputs[j], spec->inputs[i], outputs[i]);
            rc = 2;
        }
    }
    free(tab);
    return rc;
}

/* The pool the workers share, in shared anonymous memory; NULL on failure. */
static pool *map_pool(size_t jobs, size_t n, size_t *map_size)
{
    *map_size = sizeof(pool) + jobs * sizeof(atomic_size_t) + n * sizeof(atomic_int);
    void *map = mmap(NULL, *map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        fprintf(stderr, "threadconv: cannot share memory with the workers: %s\n", strerror(errno));
        return NULL;
    }
    pool *sh = map;
    sh->current = (atomic_size_t *)(sh + 1);
    sh->status = (atomic_int *)(sh->current + jobs);
    atomic_init(&sh->next, 0);
    atomic_init(&sh->done, 0);
    atomic_init(&sh->bytes, 0);
    for (size_t k = 0; k < jobs; k++)
        atomic_init(&sh->current[k], SIZE_MAX);
    for (size_t i = 0; i < n; i++)
        atomic_init(&sh->status[i], -1);
    return sh;
}

/* The worker in slot k ended with wait status ws: the input it was on
 * failed if it died, its uncommitted files are to be converted again. */
static void worker_ended(const cli_batch *batch, pool *sh, size_t k, size_t n, int ws)
{
    /* What it left -- its directory of temporary files, or the one it was
     * writing beside its output -- goes with the library's sweep of dead
     * runs' temporaries. */
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        tc_temp_sweep(batch->output_dir);
    size_t i = atomic_load(&sh->current[k]);
    if (i < n && atomic_load(&sh->status[i]) < 0) {
        atomic_store(&sh->status[i], WIFEXITED(ws) ? (WEXITSTATUS(ws) ? WEXITSTATUS(ws) : 1)
                                                   : 128 + WTERMSIG(ws));
        atomic_fetch_add(&sh->done, 1);
    }
    atomic_store(&sh->current[k], SIZE_MAX);
    /* Its finished files that were waiting for their commit are converted
     * again at the end (slot k is reused at once). */
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        for (size_t j = 0; j < n; j++)
            if (atomic_load(&sh->status[j]) == PENDING(k))
                atomic_store(&sh->status[j], REDO);
}

/* Start the workers and wait for them all, restarting a slot while inputs
 * remain; progress on the way.  Returns false when none could start. */
static bool run_workers(tc_registry *reg, const tc_convert_spec *spec, const cli_batch *batch,
                        char **outputs, pool *sh, pid_t *pids, size_t jobs, size_t n,
                        double start)
{
    size_t running = 0, shown = 0;
    cli_temp_children(pids, jobs);
    for (size_t k = 0; k < jobs; k++) {
        cli_signals_hold(true);
        pids[k] = start_worker(reg, spec, batch, outputs, sh, k, n);
        cli_signals_hold(false);
        if (pids[k] < 0)
            break;
        running++;
    }
    if (running == 0) {
        cli_temp_children(NULL, 0);
        return false;
    }
    while (running > 0) {
        int ws;
        pid_t pid;
        if (batch->progress) {
            size_t d = atomic_load(&sh->done);
            if (d != shown) {
                show_progress(d, n, (double)atomic_load(&sh->bytes), start);
                shown = d;
            }
            pid = waitpid(-1, &ws, WNOHANG);
            if (pid == 0) {
                struct timespec tick = {0, 100000000L};
                nanosleep(&tick, NULL);
                continue;
            }
        } else {
            pid = wait(&ws);
        }
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        size_t k = 0;
        while (k < jobs && pids[k] != pid)
            k++;
        if (k == jobs)
            continue;
        running--;
        pids[k] = 0;
        worker_ended(batch, sh, k, n, ws);
        if (atomic_load(&sh->next) < n) {
            cli_signals_hold(true);
            pids[k] = start_worker(reg, spec, batch, outputs, sh, k, n);
            cli_signals_hold(false);
            if (pids[k] > 0)
                running++;
        }
    }
    cli_temp_children(NULL, 0);
    return true;
}

/* The failures and skips, on stderr; returns the exit status they make
 * (rc when it is already set). */
static int report_results(const tc_convert_spec *spec, const pool *sh, int *status, size_t n,
                          int rc)
{
    size_t failed = 0, with_skips = 0;
    for (size_t i = 0; i < n; i++) {
        status[i] = atomic_load(&sh->status[i]);
        if (status[i] < 0) /* never converted: every worker failed to start */
            status[i] = 1;
        with_skips += status[i] == EXIT_SKIPPED;
        failed += status[i] != 0 && status[i] != EXIT_SKIPPED;
    }
    if (failed) {
        fprintf(stderr, "threadconv: %zu of %zu files failed:", failed, n);
        for (size_t i = 0; i < n; i++) {
            if (status[i] != 0 && status[i] != EXIT_SKIPPED) {
                fprintf(stderr, " %s (exit %d)", spec->inputs[i], status[i]);
                if (rc == 0)
                    rc = status[i] > 4 ? 1 : status[i];
            }
        }
        fputc('\n', stderr);
    }
    if (with_skips) {
        fprintf(stderr, "threadconv: bad posts were skipped (--keep-going) in %zu of %zu files; "
                        "their outputs hold everything else\n", with_skips, n);
        if (rc == 0)
            rc = EXIT_SKIPPED;
    }
    return rc;
}

int cli_batch_run(tc_registry *reg, const tc_convert_spec *spec, const cli_batch *batch)
{
    tc_error err;
    const tc_format *writer = tc_registry_find(reg, spec->writer, &err);
    if (writer == NULL) {
        fprintf(stderr, "threadconv: %s\n", err.text);
        return err.code == TC_ERR_USAGE ? 2 : 3;
    }
    const char *ext = writer->extension ? writer->extension : writer->name;
    size_t n = spec->n_inputs;
    if (n == 0) {
        fprintf(stderr, "threadconv: --output-dir needs input files (standard input has no name)\n");
        return 2;
    }
    struct stat st;
    if (stat(batch->output_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "threadconv: --output-dir %s: not a directory%s\n", batch->output_dir,
                errno == ENOENT ? " (create it first)" : "");
        return 4;
    }
    char **outputs = calloc(n, sizeof *outputs);
    int *status = calloc(n, sizeof *status);
    pid_t *pids = calloc(n, sizeof *pids);
    if (!outputs || !status || !pids) {
        free(outputs);
        free(status);
        free(pids);
        fprintf(stderr, "threadconv: out of memory\n");
        return 1;
    }
    int rc = plan_outputs(spec, batch, ext, outputs);
    if (rc != 0)
        goto done;

    /* What the workers need is loaded before forking: the writer (found
     * above) and the reader, or every plugin when inputs are probed. */
    if (spec->reader == NULL || tc_registry_find(reg, spec->reader, &err) == NULL)
        tc_registry_load_all(reg, spec->warn, spec->warn_user);
    size_t jobs = batch->jobs < n ? batch->jobs : n, map_size;
    pool *sh = map_pool(jobs, n, &map_size);
    if (sh == NULL) {
        rc = 1;
        goto done;
    }
    fflush(NULL);
    double start = now();
    if (!run_workers(reg, spec, batch, outputs, sh, pids, jobs, n, start)) {
        rc = 1;
        goto unmap;
    }
    for (size_t i = 0; i < n; i++) {
        if (atomic_load(&sh->status[i]) != REDO)
            continue;
        /* What its dead worker left beside the output (when it had no
         * directory of its own) goes with the library's sweep of dead
         * runs' temporaries, at this conversion's first file there. */
        atomic_store(&sh->status[i], convert_one(reg, spec, batch, outputs, i, NULL, NULL));
        atomic_fetch_add(&sh->done, 1);
    }
    if (batch->progress) {
        show_progress(atomic_load(&sh->done), n, (double)atomic_load(&sh->bytes), start);
        fputc('\n', stderr);
    }
    rc = report_results(spec, sh, status, n, rc);
unmap:
    munmap(sh, map_size);
done:
    for (size_t i = 0; i < n; i++)
        free(outputs[i]);
    free(outputs);
    free(status);
    free(pids);
    return rc;
}
