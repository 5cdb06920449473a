/* cleanup.c - remove the CLI's temporary files when a signal ends the run.
 *
 * The paths are copied into static slots so the handler reads no freed
 * memory, and a slot is published (its flag set) only once its path is
 * complete; the handler calls only async-signal-safe functions (kill,
 * waitpid, open, close, unlink, unlinkat, rmdir, signal, raise, and the
 * getdents64 system call).  A batch worker holds a group of finished files
 * waiting for one commit, hence more than one slot, and makes them in a
 * directory of its own. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#define _GNU_SOURCE 1 /* syscall */

#include "cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLOTS 300
#define PATH_SIZE 4096

static char paths[SLOTS][PATH_SIZE];
static volatile sig_atomic_t in_use[SLOTS];
static int noted = -1; /* the slot cli_temp_note filled last */
static char dir_path[PATH_SIZE];
static volatile sig_atomic_t have_dir;
/* A writer's own files (cli_temp_files): those in files_dir named
 * files_prefix... */
static char files_dir[PATH_SIZE];
static char files_prefix[NAME_MAX + 1];
static volatile sig_atomic_t have_files;

/* Remove the files in files_dir whose names start with files_prefix, with
 * only async-signal-safe calls: the directory is listed with getdents64
 * itself, not readdir (which may allocate). */
static void remove_writer_files(void)
{
    int fd = open(files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t plen = strlen(files_prefix);
    _Alignas(8) char buf[8192];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            /* struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name */
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            const char *name = buf + off + 19;
            if (strncmp(name, files_prefix, plen) == 0)
                unlinkat(fd, name, 0);
            off += reclen;
        }
    }
    close(fd);
}

/* A batch parent's workers (their pids, 0 for a free slot). */
static pid_t *volatile children;
static volatile size_t n_children;

static void on_fatal_signal(int sig)
{
    /* A batch parent stops its workers first -- each removes its own
     * temporary files as below -- and waits for them, so nothing is
     * written after it is gone. */
    int saved = errno;
    pid_t *kids = children;
    for (size_t i = 0; kids && i < n_children; i++)
        if (kids[i] > 0)
            kill(kids[i], sig);
    for (size_t i = 0; kids && i < n_children; i++)
        if (kids[i] > 0)
            while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
                continue;
    errno = saved;
    for (int i = 0; i < SLOTS; i++)
        if (in_use[i])
            unlink(paths[i]);
    if (have_files)
        remove_writer_files();
    if (have_dir)
        rmdir(dir_path);
    signal(sig, SIG_DFL);
    raise(sig); /* die of the signal, so the caller sees how we ended */
}

static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        /* A signal ignored when we started (nohup, a background job) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
    /* A file-size limit (ulimit -f) is a write error (EFBIG, exit 4 with a
     * message), not death by SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
}

void cli_temp_children(pid_t *pids, size_t n)
{
    children = NULL;
    n_children = n;
    children = pids;
}

void cli_signals_hold(bool hold)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
        sigaddset(&set, sigs[i]);
    sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int cli_temp_track(const char *path)
{
    size_t len = strlen(path);
    if (len >= PATH_SIZE)
        return -1;
    for (int i = 0; i < SLOTS; i++) {
        if (!in_use[i]) {
            memcpy(paths[i], path, len + 1);
            in_use[i] = 1;
            return i;
        }
    }
    return -1;
}

void cli_temp_forget(int slot)
{
    if (slot >= 0 && slot < SLOTS)
        in_use[slot] = 0;
}

void cli_temp_note(void *user, const char *path)
{
    (void)user;
    if (path) {
        noted = cli_temp_track(path);
    } else {
        cli_temp_forget(noted);
        noted = -1;
    }
}

bool cli_temp_dir(const char *path)
{
    have_dir = 0;
    if (path == NULL)
        return true;
    size_t len = strlen(path);
    if (len >= PATH_SIZE)
        return false;
    memcpy(dir_path, path, len + 1);
    have_dir = 1;
    return true;
}

int cli_temp_take(void)
{
    int slot = noted;
    noted = -1;
    return slot;
}

void cli_temp_files(void *user, const char *dir, const char *prefix)
{
    (void)user;
    have_files = 0;
    if (dir == NULL || prefix == NULL || *prefix == '\0' || strlen(dir) >= PATH_SIZE ||
        strlen(prefix) >= sizeof files_prefix)
        return;
    memcpy(files_dir, dir, strlen(dir) + 1);
    memcpy(files_prefix, prefix, strlen(prefix) + 1);
    have_files = 1;
}
