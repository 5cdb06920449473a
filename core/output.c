/* output.c - where a conversion's output goes: a temporary file beside the
 * target, made durable and renamed into place only on success, so a failed
 * or interrupted conversion never leaves a partial file or clobbers an
 * existing one.  Also the group commit that batch conversions use: one
 * file-system sync for many finished files instead of one per file. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#define _GNU_SOURCE 1 /* syncfs */

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int tc__output_open(const char *path, const char *temp_dir, tc__output *out, tc_error *err)
{
    memset(out, 0, sizeof *out);
    out->fd = STDOUT_FILENO;
    if (path == NULL || strcmp(path, "-") == 0)
        return TC_OK;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return tc__error_set(err, TC_ERR_OUTPUT, path, 0, 0, "is a directory, expected a file");
    if (exists && !S_ISREG(st.st_mode)) {
        /* A device or pipe (/dev/null, /dev/full, a FIFO): no rename is
         * possible, write to it directly. */
        out->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (out->fd < 0)
            return tc__error_set(err, TC_ERR_OUTPUT, path, 0, 0, "cannot open for writing: %s",
                                 strerror(errno));
        return TC_OK;
    }
    /* A temporary file beside the target (or in temp_dir, on the same file
     * system), so the final rename cannot cross file systems.  O_EXCL with a
     * fresh name each try; mode 0666 minus the umask, like any new file, or
     * the mode of the file being replaced. */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    const char *dir = path;
    tc_buf dir_slash = {0};
    if (temp_dir) {
        tc_buf_printf(&dir_slash, "%s/", temp_dir);
        if (dir_slash.data == NULL)
            return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
        dir = dir_slash.data;
        dir_len = dir_slash.len;
    }
    tc_buf temp = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long seed = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
    for (int attempt = 0; attempt < 100; attempt++) {
        tc_buf_reset(&temp);
        seed = seed * 6364136223846793005ul + 1442695040888963407ul;
        tc_buf_append(&temp, dir, dir_len);
        tc_buf_printf(&temp, ".%s.tc-%08lx.tmp", base, (seed >> 16) & 0xfffffffful);
        if (temp.data == NULL) {
            tc_buf_free(&dir_slash);
            return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
        }
        out->fd = open(temp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (out->fd >= 0 || errno != EEXIST)
            break;
    }
    tc_buf_free(&dir_slash);
    if (out->fd < 0) {
        int e = errno;
        tc_buf_free(&temp);
        out->fd = STDOUT_FILENO;
        return tc__error_set(err, TC_ERR_OUTPUT, path, 0, 0,
                             "cannot create a temporary file beside it: %s", strerror(e));
    }
    if (exists)
        (void)fchmod(out->fd, st.st_mode & 07777);
    out->temp_path = temp.data;
    out->final_path = strdup(path);
    if (out->final_path == NULL) {
        close(out->fd);
        unlink(out->temp_path);
        free(out->temp_path);
        out->temp_path = NULL;
        out->fd = STDOUT_FILENO;
        return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    return TC_OK;
}

int tc__output_close(tc__output *out, bool success, char **deferred, const char *shown,
                     tc_error *err)
{
    int rc = TC_OK;
    bool defer = success && deferred != NULL && out->temp_path != NULL;
    if (out->fd != STDOUT_FILENO) {
        if (success && !defer && out->temp_path && fsync(out->fd) != 0)
            rc = tc__error_set(err, TC_ERR_OUTPUT, shown, 0, 0, "fsync failed: %s",
                               strerror(errno));
        if (close(out->fd) != 0 && success && rc == TC_OK)
            rc = tc__error_set(err, TC_ERR_OUTPUT, shown, 0, 0, "close failed: %s",
                               strerror(errno));
    }
    if (out->temp_path) {
        if (defer && rc == TC_OK) {
            *deferred = out->temp_path; /* the caller's now */
            out->temp_path = NULL;
        } else if (success && rc == TC_OK && rename(out->temp_path, out->final_path) != 0) {
            rc = tc__error_set(err, TC_ERR_OUTPUT, shown, 0, 0, "cannot rename %s into place: %s",
                               out->temp_path, strerror(errno));
        }
        if (out->temp_path && (!success || rc != TC_OK))
            unlink(out->temp_path);
    }
    free(out->temp_path);
    free(out->final_path);
    out->temp_path = out->final_path = NULL;
    return rc;
}

/* The directory part of path ("." when it has none), in a buffer of its own. */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (dir) {
        memcpy(dir, path, len);
        dir[len] = '\0';
    }
    return dir;
}

/* Make the data of the files durable.  With syncfs() one call writes back a
 * whole file system -- on ext4 a single journal commit, where an fsync per
 * small file costs a commit each and serialises parallel workers.  Returns
 * TC_OK or TC_ERR_OUTPUT with err set (the failure cannot be pinned on one
 * file, so it counts for all). */
static int sync_files(const char *const *paths, size_t n, tc_error *err)
{
#ifdef HAVE_SYNCFS
    dev_t synced[8];
    size_t n_synced = 0;
    const char *last = NULL; /* the last file looked at: its directory's file system is synced */
    size_t last_dir_len = 0;
#endif
    for (size_t i = 0; i < n; i++) {
#ifdef HAVE_SYNCFS
        /* Files in one directory share a file system: look at each
         * directory once (a batch writes one). */
        const char *slash = strrchr(paths[i], '/');
        size_t dir_len = slash ? (size_t)(slash - paths[i]) : 0;
        if (last && dir_len == last_dir_len && memcmp(paths[i], last, dir_len) == 0)
            continue;
        struct stat st;
        if (stat(paths[i], &st) != 0)
            continue; /* gone: its rename fails, and names it */
        bool seen = false;
        for (size_t k = 0; k < n_synced && !seen; k++)
            seen = synced[k] == st.st_dev;
        last = paths[i];
        last_dir_len = dir_len;
        if (seen)
            continue;
#endif
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                continue; /* as above */
            return tc__error_set(err, TC_ERR_OUTPUT, paths[i], 0, 0, "cannot open to sync: %s",
                                 strerror(errno));
        }
#ifdef HAVE_SYNCFS
        int rc = syncfs(fd);
        if (rc == 0 && n_synced < sizeof synced / sizeof *synced)
            synced[n_synced++] = st.st_dev;
#else
        int rc = fsync(fd);
#endif
        int e = errno;
        close(fd);
        if (rc != 0)
            return tc__error_set(err, TC_ERR_OUTPUT, paths[i], 0, 0, "sync failed: %s",
                                 strerror(e));
    }
    return TC_OK;
}

int tc_commit_outputs(const char *const *temp_paths, const char *const *final_paths, size_t n,
                      int *results, tc_error *err)
{
    tc_error ignored;
    if (err == NULL)
        err = &ignored;
    memset(err, 0, sizeof *err);
    int rc = sync_files(temp_paths, n, err);
    for (size_t i = 0; i < n; i++) {
        int one = rc;
        if (one == TC_OK && rename(temp_paths[i], final_paths[i]) != 0) {
            one = TC_ERR_OUTPUT;
            if (rc == TC_OK)
                tc__error_set(err, TC_ERR_OUTPUT, final_paths[i], 0, 0,
                              "cannot rename %s into place: %s", temp_paths[i], strerror(errno));
            rc = TC_ERR_OUTPUT;
        }
        if (one != TC_OK)
            unlink(temp_paths[i]);
        if (results)
            results[i] = one;
    }
    /* Make the renames durable too: sync each directory once (the files of a
     * batch usually share one). */
    char *last_dir = NULL;
    for (size_t i = 0; i < n; i++) {
        if (results && results[i] != TC_OK)
            continue;
        char *dir = directory_of(final_paths[i]);
        if (dir && (last_dir == NULL || strcmp(dir, last_dir) != 0)) {
            int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                (void)fsync(fd); /* some file systems cannot sync a directory */
                close(fd);
            }
            free(last_dir);
            last_dir = dir;
        } else {
            free(dir);
        }
    }
    free(last_dir);
    return rc;
}
