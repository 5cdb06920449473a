/* batch.c - the CLI's batch mode (--output-dir DIR -j N): one output file
 * per input, N conversions at a time.
 *
 * Each conversion runs in its own process: a crash or a leak in one cannot
 * touch the others, and the library needs no locking.  The registry is
 * loaded once before forking, so children start converting at once. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "batch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

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

int tc_batch_run(tc_registry *reg, const tc_convert_spec *spec, const tc_batch *batch)
{
    tc_error err;
    const tc_plugin *writer = tc_registry_find(reg, spec->writer, &err);
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
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(spec->inputs[i], "-") == 0) {
            fprintf(stderr, "threadconv: --output-dir cannot name an output for standard input\n");
            rc = 2;
            break;
        }
        outputs[i] = output_name(batch->output_dir, spec->inputs[i], ext);
        for (size_t j = 0; j < i && outputs[i]; j++) {
            if (strcmp(outputs[i], outputs[j]) == 0) {
                fprintf(stderr, "threadconv: %s and %s would both be written to %s; "
                                "convert them in separate runs\n",
                        spec->inputs[j], spec->inputs[i], outputs[i]);
                rc = 2;
            }
        }
    }
    if (rc != 0)
        goto done;

    /* Every plugin a child may need is loaded before forking. */
    tc_registry_load_all(reg, spec->warn, spec->warn_user);
    fflush(NULL);
    double start = now(), bytes = 0;
    size_t next = 0, running = 0, finished = 0, failed = 0;
    while (finished < n) {
        while (running < batch->jobs && next < n) {
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "threadconv: cannot start a conversion: %s\n", strerror(errno));
                if (running == 0) {
                    rc = 1;
                    goto done;
                }
                break;
            }
            if (pid == 0) {
                tc_convert_spec one = *spec;
                one.inputs = &spec->inputs[next];
                one.n_inputs = 1;
                one.output = outputs[next];
                int c = tc_convert(reg, &one, &err);
                if (c != TC_OK) {
                    char line[sizeof err.text + sizeof err.source + 64];
                    fprintf(stderr, "%sthreadconv: %s\n", batch->progress ? "\n" : "",
                            tc_error_format(&err, line, sizeof line));
                }
                fflush(NULL);
                _exit(c == TC_OK ? 0 : c == TC_ERR_USAGE ? 2 : c == TC_ERR_PLUGIN ? 3
                                   : c == TC_ERR_OUTPUT ? 4 : 1);
            }
            pids[next++] = pid;
            running++;
        }
        int ws;
        pid_t pid = wait(&ws);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t i = 0; i < next; i++) {
            if (pids[i] != pid)
                continue;
            status[i] = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            pids[i] = 0;
            running--;
            finished++;
            failed += status[i] != 0;
            if (stat(spec->inputs[i], &st) == 0)
                bytes += (double)st.st_size;
            if (batch->progress)
                show_progress(finished, n, bytes, start);
        }
    }
    if (batch->progress)
        fputc('\n', stderr);
    if (failed) {
        fprintf(stderr, "threadconv: %zu of %zu files failed:", failed, n);
        for (size_t i = 0; i < n; i++) {
            if (status[i] != 0) {
                fprintf(stderr, " %s (exit %d)", spec->inputs[i], status[i]);
                if (rc == 0)
                    rc = status[i] > 4 ? 1 : status[i];
            }
        }
        fputc('\n', stderr);
    }
done:
    for (size_t i = 0; i < n; i++)
        free(outputs[i]);
    free(outputs);
    free(status);
    free(pids);
    return rc;
}
