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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* What temp_name adds to the base name, at most: ".", ".tc-", a pid, "-",
 * sixteen hex digits, ".tmp". */
#define TEMP_NAME_EXTRA (1 + 4 + 10 + 1 + 16 + 4)

/* This host's tag in temporary names: an FNV-1a hash of its name, so a run
 * never takes another host's files (a shared directory) for its own. */
static unsigned long host_tag(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    uint32_t h = 2166136261u;
    for (const char *c = host; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h;
}

/* The temporary file's name in dir ("DIR/" or ""):
 * ".BASE.tc-PID-HHHHHHHHXXXXXXXX.tmp" -- H the host's tag, X random -- or
 * ".tc-PID-HHHHHHHHXXXXXXXX.tmp" when BASE is so long that the name would
 * pass NAME_MAX.  The pid and host let a later run tell a dead run's file
 * from a live one's (sweep_stale). */
static int temp_name(tc_buf *temp, const char *dir, const char *base, unsigned long *seed)
{
    tc_buf_reset(temp);
    *seed = *seed * 6364136223846793005ul + 1442695040888963407ul;
    unsigned long r = (*seed >> 16) & 0xfffffffful;
    tc_buf_append(temp, dir, strlen(dir));
    if (strlen(base) + TEMP_NAME_EXTRA <= NAME_MAX)
        tc_buf_printf(temp, ".%s.tc-%ld-%08lx%08lx.tmp", base, (long)getpid(), host_tag(), r);
    else
        tc_buf_printf(temp, ".tc-%ld-%08lx%08lx.tmp", (long)getpid(), host_tag(), r);
    return temp->data ? TC_OK : TC_ERR_NOMEM;
}

/* The pid in a temporary file's name made on this host (host, see
 * temp_name), or 0 when it is not such a name. */
static long temp_owner(const char *name, unsigned long host)
{
    size_t len = strlen(name);
    if (name[0] != '.' || len < 4 + 1 + 1 + 16 + 4 || strcmp(name + len - 4, ".tmp") != 0)
        return 0;
    const char *hex = name + len - 4 - 16;
    for (int i = 0; i < 16; i++)
        if (!strchr("0123456789abcdef", hex[i]))
            return 0;
    char tag[9];
    snprintf(tag, sizeof tag, "%08lx", host);
    if (memcmp(hex, tag, 8) != 0)
        return 0;
    const char *dash = hex - 1;
    if (*dash != '-')
        return 0;
    const char *digits = dash;
    while (digits > name && digits[-1] >= '0' && digits[-1] <= '9')
        digits--;
    if (digits == dash || dash - digits > 10 || digits - name < 4 ||
        memcmp(digits - 4, ".tc-", 4) != 0)
        return 0;
    return strtol(digits, NULL, 10);
}

/* Whether process pid is gone: no such process, or a zombie (dead, not yet
 * reaped: an init that reaps late, in a container, leaves a killed run's
 * workers so). */
static bool process_gone(long pid)
{
    if ((pid_t)pid != pid || pid <= 0)
        return false;
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH; /* EPERM: alive, not ours to signal */
    char path[64], stat_line[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, stat_line, sizeof stat_line - 1);
    close(fd);
    if (n <= 0)
        return false;
    stat_line[n] = '\0';
    const char *end = strrchr(stat_line, ')'); /* "PID (COMM) STATE ..." */
    return end && end[1] == ' ' && end[2] == 'Z';
}

/* Remove the entries of the directory dfd names that are our temporary
 * files (temp_name: any pid, this host), regular and this user's: what a
 * dead run left in a temporary directory of its own. */
static void empty_temp_dir(int dfd, unsigned long host)
{
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat fst;
        if (temp_owner(e->d_name, host) > 0 &&
            fstatat(dirfd(d), e->d_name, &fst, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(fst.st_mode) && fst.st_uid == geteuid())
            (void)unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

/* A run killed (SIGKILL) while its temporary file has a name -- always,
 * where the file system has no O_TMPFILE; else only between naming the
 * finished file and renaming it -- leaves that file, and a killed batch
 * worker its temporary directory (tc_temp_dir_create): remove those in
 * dir ("DIR/" or "") whose run is gone -- names of ours only (temp_name),
 * made on this host, this user's only, and only when no process has the
 * pid in the name (a live run's, or ones whose pid was reused, stay).  A
 * directory goes with the temporary files in it, and only when nothing
 * else is left in it. */
static void sweep(const char *dir)
{
    DIR *d = opendir(*dir ? dir : ".");
    if (d == NULL)
        return;
    int dfd = dirfd(d);
    unsigned long host = host_tag();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_owner(e->d_name, host);
        if (pid <= 0 || pid == (long)getpid() || !process_gone(pid))
            continue; /* alive: not stale */
        struct stat fst;
        if (fstatat(dfd, e->d_name, &fst, AT_SYMLINK_NOFOLLOW) != 0 || fst.st_uid != geteuid())
            continue;
        if (S_ISREG(fst.st_mode)) {
            (void)unlinkat(dfd, e->d_name, 0);
        } else if (S_ISDIR(fst.st_mode)) {
            int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                empty_temp_dir(sub, host);
                (void)unlinkat(dfd, e->d_name, AT_REMOVEDIR);
            }
        }
    }
    closedir(d);
}

/* sweep(dir), once per directory per thread: tc__output_open calls it for
 * every output, and a batch writes many into one directory. */
static void sweep_stale(const char *dir)
{
    static _Thread_local dev_t swept_dev;
    static _Thread_local ino_t swept_ino;
    static _Thread_local bool swept;
    struct stat st;
    if (stat(*dir ? dir : ".", &st) != 0 ||
        (swept && st.st_dev == swept_dev && st.st_ino == swept_ino))
        return;
    swept = true;
    swept_dev = st.st_dev;
    swept_ino = st.st_ino;
    sweep(dir);
}

void tc_temp_sweep(const char *dir)
{
    sweep(dir ? dir : "");
}

char *tc_temp_dir_create(const char *dir)
{
    tc_buf path = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long seed = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
    const char *in = dir && *dir ? dir : ".";
    tc_buf prefix = {0};
    if (tc_buf_printf(&prefix, "%s/", in) != TC_OK) {
        errno = ENOMEM;
        return NULL;
    }
    sweep(prefix.data);
    int e = EEXIST;
    for (int attempt = 0; attempt < 100 && e == EEXIST; attempt++) {
        if (temp_name(&path, prefix.data, "threadconv", &seed) != TC_OK) {
            e = ENOMEM;
            break;
        }
        e = mkdir(path.data, 0700) == 0 ? 0 : errno;
    }
    tc_buf_free(&prefix);
    if (e != 0) {
        tc_buf_free(&path);
        errno = e;
        return NULL;
    }
    return path.data;
}

/* The file a symlink at path leads to (followed to the end, dangling or
 * not), so -o through a link writes its target; a copy of path otherwise.
 * NULL when out of memory; a loop is left to open() to report. */
static char *follow_links(const char *path)
{
    char *cur = strdup(path);
    for (int hops = 0; cur && hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n <= 0)
            return cur;
        target[n] = '\0';
        tc_buf next = {0};
        const char *slash = strrchr(cur, '/');
        if (target[0] != '/' && slash)
            tc_buf_append(&next, cur, (size_t)(slash - cur + 1));
        tc_buf_printf(&next, "%s", target);
        free(cur);
        cur = next.data;
    }
    return cur;
}

int tc__output_open(const char *path, const char *temp_dir, tc__output *out, tc_error *err)
{
    memset(out, 0, sizeof *out);
    out->fd = STDOUT_FILENO;
    if (path == NULL || strcmp(path, "-") == 0)
        return TC_OK;
    char *real = follow_links(path);
    if (real == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
    struct stat st;
    bool exists = stat(real, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        free(real);
        return tc__error_set(err, TC_ERR_OUTPUT, path, 0, 0, "is a directory, expected a file");
    }
    if (exists && !S_ISREG(st.st_mode)) {
        /* A device or pipe (/dev/null, /dev/full, a FIFO): no rename is
         * possible, write to it directly. */
        free(real);
        out->fd = open(path, O_WRONLY | O_CLOEXEC);
        if (out->fd < 0)
            return tc__error_set(err, TC_ERR_OUTPUT, path, 0, 0, "cannot open for writing: %s",
                                 strerror(errno));
        return TC_OK;
    }
    /* A temporary file beside the target (or in temp_dir, on the same file
     * system), so the final rename cannot cross file systems.  Unnamed
     * (O_TMPFILE) where the file system can: a run killed by any signal
     * then leaves nothing.  Its mode from the start is a new file's (0666
     * minus the umask) or, replacing a file, 0600 until it has the replaced
     * file's owner, group and mode: never readable by more than the
     * replaced file was. */
    const char *slash = strrchr(real, '/');
    const char *base = slash ? slash + 1 : real;
    tc_buf dir = {0};
    if (temp_dir)
        tc_buf_printf(&dir, "%s/", temp_dir);
    else
        tc_buf_append(&dir, real, slash ? (size_t)(slash - real + 1) : 0);
    tc_buf_putc(&dir, '\0');
    if (dir.data == NULL) {
        free(real);
        return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    dir.len--;
    mode_t mode = exists ? 0600 : 0666;
    int e = 0;
    tc_buf temp = {0};
    if (access("/proc/self/fd", X_OK) == 0) { /* linkat() names the file through it */
        out->fd = open(dir.len ? dir.data : ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        e = errno;
        out->unnamed = out->fd >= 0;
    } else {
        out->fd = -1;
        e = EOPNOTSUPP;
    }
    sweep_stale(dir.data);
    if (out->fd < 0 && (e == EOPNOTSUPP || e == EISDIR || e == EINVAL || e == ENOENT)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long seed = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
        for (int attempt = 0; attempt < 100; attempt++) {
            if (temp_name(&temp, dir.data, base, &seed) != TC_OK) {
                tc_buf_free(&dir);
                free(real);
                return tc__error_set(err, TC_ERR_NOMEM, path, 0, 0, "out of memory");
            }
            out->fd = open(temp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
            e = errno;
            if (out->fd >= 0 || e != EEXIST)
                break;
        }
    }
    if (out->fd < 0) {
        tc_buf_free(&temp);
        tc_buf_free(&dir);
        free(real);
        out->fd = STDOUT_FILENO;
        out->unnamed = false;
        return tc__error_set(err, TC_ERR_OUTPUT, path, 0, 0,
                             "cannot create a temporary file beside it: %s", strerror(e));
    }
    if (exists) {
        /* Keep the owner and group when permitted (root, or a group of
         * ours), before the mode: fchown clears set-id bits. */
        if (st.st_uid != geteuid() || st.st_gid != getegid())
            (void)fchown(out->fd, st.st_uid, st.st_gid);
        (void)fchmod(out->fd, st.st_mode & 07777);
    }
    out->temp_path = temp.data;
    out->temp_dir = dir.data;
    out->final_path = real;
    return TC_OK;
}

/* Give the unnamed temporary file a name (out->temp_path) in its
 * directory: linkat() through /proc/self/fd, a fresh name each try. */
static int name_unnamed(tc__output *out)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", out->fd);
    const char *slash = strrchr(out->final_path, '/');
    const char *base = slash ? slash + 1 : out->final_path;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long seed = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
    tc_buf temp = {0};
    int e = EEXIST;
    for (int attempt = 0; attempt < 100 && e == EEXIST; attempt++) {
        if (temp_name(&temp, out->temp_dir, base, &seed) != TC_OK)
            return ENOMEM;
        e = linkat(AT_FDCWD, proc, AT_FDCWD, temp.data, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
    }
    if (e != 0) {
        tc_buf_free(&temp);
        return e;
    }
    out->temp_path = temp.data;
    return 0;
}

int tc__output_close(tc__output *out, bool success, char **deferred, const char *shown,
                     tc_error *err)
{
    int rc = TC_OK;
    bool defer = success && deferred != NULL && out->final_path != NULL;
    if (out->fd != STDOUT_FILENO) {
        if (success && !defer && out->final_path && fsync(out->fd) != 0)
            rc = tc__error_set(err, TC_ERR_OUTPUT, shown, 0, 0, "fsync failed: %s",
                               strerror(errno));
        /* Named only now that it is complete; the name lives until the
         * rename below (or the caller's commit when deferred). */
        int e;
        if (success && rc == TC_OK && out->unnamed && (e = name_unnamed(out)) != 0)
            rc = tc__error_set(err, TC_ERR_OUTPUT, shown, 0, 0,
                               "cannot name the temporary file: %s", strerror(e));
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
    free(out->temp_dir);
    out->temp_path = out->final_path = out->temp_dir = NULL;
    out->unnamed = false;
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
