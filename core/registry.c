/* registry.c - finding, loading and checking modules.
 *
 * A module is trusted only step by step: the exported symbol must exist,
 * then its magic must match, then its ABI version, then its struct sizes;
 * only then is the rest of the descriptor read, and copied into zero-filled
 * descriptors of our own size so that fields an older module lacks read as
 * NULL.  Each format it lists is checked on its own and registered under its
 * name; the registry is a list of formats, each knowing its module. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TC_PLUGINDIR
#error "TC_PLUGINDIR must be defined by the build"
#endif

/* Returned by load_one when earlier directories already provide every
 * format of the module. */
#define SHADOWED 2
/* dir_index of a module loaded by explicit path or added: never shadowed. */
#define EXPLICIT ((size_t)-1)
/* The symbol of the ABI 1 plugins, to recognise them and say what to do. */
#define ABI1_SYMBOL "threadconv_plugin"
/* More formats than this in one module is a broken descriptor. */
#define MAX_FORMATS 256

typedef struct loaded_module {
    void *handle;          /* NULL for a module added by tc_registry_add_module */
    tc_module desc;        /* our zero-extended copy, checked */
    tc_format *formats;    /* our zero-extended copies of its formats */
    char *path;            /* the file, or the origin of an added module */
    size_t dir_index;
} loaded_module;

typedef struct format_entry {
    const tc_format *format;
    loaded_module *module;
} format_entry;

/* A search directory; a relative one is kept, to be refused in its place
 * in the search order (relative_from names where it came from). */
typedef struct search_dir {
    char *path;
    const char *relative_from; /* NULL when absolute */
} search_dir;

struct tc_registry {
    search_dir *dirs;
    size_t n_dirs;
    loaded_module **modules;
    size_t n_modules;
    format_entry *formats;
    size_t n_formats;
    bool all_loaded;
};

tc_registry *tc_registry_new(void)
{
    return calloc(1, sizeof(tc_registry));
}

static void free_module(loaded_module *m)
{
    if (m->handle)
        dlclose(m->handle);
    free(m->formats);
    free(m->path);
    free(m);
}

void tc_registry_free(tc_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n_modules; i++)
        free_module(reg->modules[i]);
    for (size_t i = 0; i < reg->n_dirs; i++)
        free(reg->dirs[i].path);
    free(reg->dirs);
    free(reg->modules);
    free(reg->formats);
    free(reg);
}

const char *tc_registry_default_dir(void)
{
    return TC_PLUGINDIR;
}

static int add_dir(tc_registry *reg, const char *dir, size_t len, const char *from)
{
    /* An empty entry would mean "the current directory" in PATH-like
     * lists; the current directory is never searched implicitly. */
    if (len == 0)
        return TC_OK;
    search_dir *dirs = realloc(reg->dirs, (reg->n_dirs + 1) * sizeof *dirs);
    if (dirs == NULL)
        return TC_ERR_NOMEM;
    reg->dirs = dirs;
    char *copy = strndup(dir, len);
    if (copy == NULL)
        return TC_ERR_NOMEM;
    reg->dirs[reg->n_dirs++] = (search_dir){copy, copy[0] == '/' ? NULL : from};
    return TC_OK;
}

/* A relative search directory would be looked up in whatever the current
 * directory is: refused where it stands in the search order. */
static int refuse_relative_dir(const search_dir *d, tc_error *err)
{
    return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                         "plugin directory %s from %s: refused: a relative directory is looked "
                         "up in the current directory; name it by an absolute path", d->path,
                         d->relative_from);
}

int tc_registry_add_search_dirs(tc_registry *reg, const char *const *dirs,
                                size_t n_dirs, bool use_defaults)
{
    for (size_t i = 0; i < n_dirs; i++)
        if (add_dir(reg, dirs[i], strlen(dirs[i]), "--plugin-dir") != TC_OK)
            return TC_ERR_NOMEM;
    if (!use_defaults)
        return TC_OK;
    const char *env = getenv("THREADCONV_PLUGIN_PATH");
    while (env && *env) {
        const char *colon = strchr(env, ':');
        size_t len = colon ? (size_t)(colon - env) : strlen(env);
        if (add_dir(reg, env, len, "THREADCONV_PLUGIN_PATH") != TC_OK)
            return TC_ERR_NOMEM;
        env = colon ? colon + 1 : NULL;
    }
    return add_dir(reg, TC_PLUGINDIR, strlen(TC_PLUGINDIR), "the build's TC_PLUGINDIR");
}

/* [a-z0-9_-]{1,64}, or without '-' for module names (they are C names). */
static bool valid_name(const char *name, bool module)
{
    if (*name == '\0' || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              (*p == '-' && !module)))
            return false;
    return true;
}

/* Check the callbacks of one side: all present or all absent. */
static int check_side(const char *who, const char *side, const char *const names[],
                      const bool present[], size_t n, bool *has, tc_error *err)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += present[i];
    *has = count > 0;
    if (count == 0 || count == n)
        return TC_OK;
    for (size_t i = 0; i < n; i++) {
        if (!present[i]) {
            tc_buf want = {0};
            for (size_t j = 0; j < n; j++)
                tc_buf_printf(&want, "%s%s", j ? (j + 1 == n ? " and " : ", ") : "", names[j]);
            tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                          "%s: callback %s is missing; a %s needs %s",
                          who, names[i], side, want.data);
            tc_buf_free(&want);
            return TC_ERR_PLUGIN;
        }
    }
    return TC_OK;
}

/* One format of a module; who is "plugin FILE: module M" for messages. */
static int check_format(const char *who, const tc_format *d, tc_error *err)
{
    if (d->name == NULL || d->description == NULL)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: a format's required field '%s' is missing", who,
                             d->name == NULL ? "name" : "description");
    if (!valid_name(d->name, false))
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: format name '%s' is not valid; expected 1-64 characters "
                             "of a-z, 0-9, '_' and '-'", who, d->name);
    char fwho[256];
    snprintf(fwho, sizeof fwho, "%s, format '%s'", who, d->name);
    static const char *const reader_names[] = {"read_open", "read_next_thread",
                                               "read_next_post", "read_close"};
    const bool reader_set[] = {d->read_open, d->read_next_thread, d->read_next_post,
                               d->read_close};
    static const char *const writer_names[] = {"write_open", "write_begin_thread", "write_post",
                                               "write_end_thread", "write_finish", "write_close"};
    const bool writer_set[] = {d->write_open, d->write_begin_thread, d->write_post,
                               d->write_end_thread, d->write_finish, d->write_close};
    bool reads, writes;
    if (check_side(fwho, "reader", reader_names, reader_set, 4, &reads, err) != TC_OK ||
        check_side(fwho, "writer", writer_names, writer_set, 6, &writes, err) != TC_OK)
        return TC_ERR_PLUGIN;
    if (!reads && !writes)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: provides neither a reader nor a writer "
                             "(read_open... or write_open... callbacks expected)", fwho);
    if ((d->read_probe || d->read_probe_tree) && !reads)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: has a probe but no reader callbacks", fwho);
    uintptr_t known = TC_FORMAT_READS_UTF8 | TC_FORMAT_WRITES_DIRECTORY | TC_FORMAT_READS_TREE |
                      TC_FORMAT_WRITES_ATTACHMENTS;
    if (d->flags & ~known)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: unknown flags 0x%lx for ABI %d.%d", fwho,
                             (unsigned long)(d->flags & ~known), TC_ABI_MAJOR, TC_ABI_MINOR);
    for (const tc_option_decl *o = d->options; o && o->name; o++) {
        if (o->type < TC_OPT_BOOL || o->type > TC_OPT_ENUM ||
            (o->type == TC_OPT_ENUM && o->enum_values == NULL))
            return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                                 "%s: option '%s' has an invalid type declaration",
                                 fwho, o->name);
    }
    return TC_OK;
}

/*
 * Where plugin code may come from, as OpenSSH's safe_path decides for its
 * keys, and stricter about links: the path is resolved here, component by
 * component, and everything it passes through -- every directory, every
 * symbolic link, the file -- must be owned by root or by the user running
 * threadconv (geteuid).  Every directory a name is looked up in must be
 * writable by its owner only, unless it is sticky (like /tmp: only the
 * owner of an entry, who has just been checked, may replace it).  The file
 * must be a regular file writable by its owner only.  A relative path is
 * refused: it would mean something else in another current directory.
 */

/* "anyone" (others may write; group too, perhaps) or "its group". */
static const char *writers(mode_t mode)
{
    return (mode & S_IWOTH) ? "anyone" : "its group";
}

/* The chmod that takes away exactly the write bits others have. */
static const char *chmod_fix(mode_t mode)
{
    return (mode & S_IWOTH) && (mode & S_IWGRP) ? "go-w" : (mode & S_IWOTH) ? "o-w" : "g-w";
}

static bool trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

/* An entry on the path owned by someone else: refused, naming it. */
static int refuse_owner(const char *path, const char *name, const struct stat *st,
                        tc_error *err)
{
    const char *kind = S_ISDIR(st->st_mode) ? "directory"
                     : S_ISLNK(st->st_mode) ? "symbolic link" : "file";
    char trusted[64];
    if (geteuid() == 0)
        snprintf(trusted, sizeof trusted, "root");
    else
        snprintf(trusted, sizeof trusted, "root or uid %lu", (unsigned long)geteuid());
    return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                         "plugin %s: refused: the %s %s is owned by uid %lu, not by %s (who "
                         "runs threadconv), so that user could %s; change its owner or move "
                         "the plugin", path, kind, name, (unsigned long)st->st_uid, trusted,
                         S_ISREG(st->st_mode) ? "change the code threadconv would run"
                                              : "replace the plugin");
}

/* A directory a name is looked up in: others may not write to it, unless
 * it is sticky (the entry below, checked on its own, is then safe). */
static int check_container(const char *path, const char *dir, const struct stat *st,
                           tc_error *err)
{
    mode_t m = st->st_mode;
    if (!(m & (S_IWGRP | S_IWOTH)) || (m & S_ISVTX))
        return TC_OK;
    return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                         "plugin %s: refused: the directory %s on its path is writable by %s "
                         "(mode %04o) and not sticky, so %s could replace the plugin; fix it "
                         "with chmod %s %s", path, dir, writers(m), (unsigned)(m & 07777),
                         writers(m), chmod_fix(m), dir);
}

/* The file named cannot be found or followed: as dlopen would say it. */
static int cannot_open(const char *path, int errnum, tc_error *err)
{
    return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                         "plugin %s: cannot load: %s: cannot open shared object file: %s", path,
                         path, strerror(errnum));
}

/* Resolve path (absolute) as described above; on success real holds the
 * real path of the file and st its lstat.  At most 40 links, as Linux. */
static int check_path(const char *path, char real[PATH_MAX], struct stat *st, tc_error *err)
{
    if (path[0] != '/')
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: refused: a relative path is looked up in the current "
                             "directory; name the file by an absolute path", path);
    char cur[PATH_MAX] = "";  /* the real directory reached; "" is / */
    struct stat dir_st;       /* its lstat */
    if (lstat("/", &dir_st) != 0)
        return cannot_open(path, errno, err);
    if (!trusted_owner(dir_st.st_uid))
        return refuse_owner(path, "/", &dir_st, err);
    char *rest = strdup(path), *p = rest;
    if (rest == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    int links = 0, rc = TC_OK;
    for (;;) {
        while (*p == '/')
            p++;
        if (*p == '\0') { /* the path ends in a directory */
            rc = tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                               "plugin %s: refused: %s is not a regular file", path,
                               cur[0] ? cur : "/");
            break;
        }
        char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *next = p + len;
        if (len == 1 && p[0] == '.') {
            p = next;
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0'; /* cur is real: its parent is its prefix, already checked */
            if (lstat(cur[0] ? cur : "/", &dir_st) != 0) {
                rc = cannot_open(path, errno, err);
                break;
            }
            p = next;
            continue;
        }
        /* Looking a name up in cur: cur must not be open to others. */
        if ((rc = check_container(path, cur[0] ? cur : "/", &dir_st, err)) != TC_OK)
            break;
        size_t cur_len = strlen(cur);
        if (cur_len + 1 + len >= PATH_MAX) {
            rc = cannot_open(path, ENAMETOOLONG, err);
            break;
        }
        char name[PATH_MAX];
        memcpy(name, cur, cur_len);
        name[cur_len] = '/';
        memcpy(name + cur_len + 1, p, len);
        name[cur_len + 1 + len] = '\0';
        struct stat e;
        if (lstat(name, &e) != 0) {
            rc = cannot_open(path, errno, err);
            break;
        }
        if (!trusted_owner(e.st_uid)) {
            rc = refuse_owner(path, name, &e, err);
            break;
        }
        if (S_ISLNK(e.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = ++links > 40 ? -1 : readlink(name, target, sizeof target - 1);
            if (n < 0) {
                rc = cannot_open(path, links > 40 ? ELOOP : errno, err);
                break;
            }
            target[n] = '\0';
            /* Go on with the link's target, then what followed the link. */
            size_t tail = strlen(next);
            char *joined = malloc((size_t)n + tail + 2);
            if (joined == NULL) {
                rc = tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
                break;
            }
            memcpy(joined, target, (size_t)n);
            joined[n] = '/';
            memcpy(joined + n + 1, next, tail + 1);
            if (*next == '\0')
                joined[n] = '\0';
            free(rest);
            rest = p = joined;
            if (target[0] == '/') {
                cur[0] = '\0';
                if (lstat("/", &dir_st) != 0) {
                    rc = cannot_open(path, errno, err);
                    break;
                }
            }
            continue;
        }
        if (S_ISDIR(e.st_mode)) {
            memcpy(cur, name, cur_len + 2 + len);
            dir_st = e;
            p = next;
            continue;
        }
        /* The file itself: nothing may follow it. */
        while (*next == '/')
            next++;
        if (*next != '\0') {
            rc = cannot_open(path, ENOTDIR, err);
            break;
        }
        if (!S_ISREG(e.st_mode)) {
            rc = tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                               "plugin %s: refused: %s is not a regular file", path, name);
            break;
        }
        if (e.st_mode & (S_IWGRP | S_IWOTH)) {
            rc = tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                               "plugin %s: refused: the file %s is writable by %s (mode %04o), "
                               "so %s could change the code threadconv would run; fix it with "
                               "chmod %s %s", path, name, writers(e.st_mode),
                               (unsigned)(e.st_mode & 07777), writers(e.st_mode),
                               chmod_fix(e.st_mode), name);
            break;
        }
        memcpy(real, name, strlen(name) + 1);
        *st = e;
        break;
    }
    free(rest);
    return rc;
}

/*
 * The files loaded through /proc/self/fd, kept open for the life of the
 * process.  dlopen knows an object by the name it was opened under first:
 * were the descriptor closed, a later module opened under the same number
 * would be taken for the earlier one (and modules are never unloaded,
 * RTLD_NODELETE).  So each file's descriptor stays open, and a file loaded
 * again (another registry) is opened under its first name: one descriptor
 * per distinct module file.
 */
typedef struct kept_file {
    dev_t dev;
    ino_t ino;
    int fd;
} kept_file;

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static kept_file *kept;
static size_t n_kept;

/* dlerror's text, with the /proc/self/fd name replaced by the real path. */
static void set_dlerror(tc_error *err, const char *path, const char *why, const char *fd_name,
                        const char *real)
{
    tc_buf text = {0};
    size_t fl = strlen(fd_name);
    const char *w = why ? why : "unknown dlopen error";
    const char *hit;
    while (fl && (hit = strstr(w, fd_name)) != NULL) {
        bool longer = hit[fl] >= '0' && hit[fl] <= '9'; /* /proc/self/fd/3 in .../fd/31 */
        tc_buf_printf(&text, "%.*s%s", (int)(hit - w), w, longer ? fd_name : real);
        w = hit + fl;
    }
    tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0, "plugin %s: cannot load: %s%s", path,
                  text.data ? text.data : "", w);
    tc_buf_free(&text);
}

/*
 * Check path and load exactly the file checked: open its real path (no
 * link followed), make sure it is the file whose stat was checked, and
 * dlopen it through /proc/self/fd, so nothing can be put in its place
 * between the check and the load.  Where /proc is not mounted, the real
 * path itself is loaded: only root and the user could change it, the check
 * has just made sure.  real receives the real path.  NULL with err set on
 * a refusal.
 */
static void *open_checked(const char *path, char real[PATH_MAX], tc_error *err)
{
    struct stat st = {0}, fst, pst;
    if (check_path(path, real, &st, err) != TC_OK)
        return NULL;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return cannot_open(path, errno, err), NULL;
    if (fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
        close(fd);
        tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                      "plugin %s: refused: the file %s was replaced while it was checked", path,
                      real);
        return NULL;
    }
    pthread_mutex_lock(&kept_lock);
    for (size_t i = 0; i < n_kept; i++)
        if (kept[i].dev == fst.st_dev && kept[i].ino == fst.st_ino) {
            close(fd); /* the same file, open since its first load */
            fd = kept[i].fd;
            break;
        }
    char fd_name[64];
    snprintf(fd_name, sizeof fd_name, "/proc/self/fd/%d", fd);
    bool by_fd = stat(fd_name, &pst) == 0 && pst.st_dev == fst.st_dev &&
                 pst.st_ino == fst.st_ino;
    bool is_kept = false, added = false;
    for (size_t i = 0; i < n_kept && !is_kept; i++)
        is_kept = kept[i].fd == fd;
    if (by_fd && !is_kept) {
        kept_file *grown = realloc(kept, (n_kept + 1) * sizeof *kept);
        if (grown == NULL) {
            pthread_mutex_unlock(&kept_lock);
            close(fd);
            tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
            return NULL;
        }
        kept = grown;
        kept[n_kept++] = (kept_file){fst.st_dev, fst.st_ino, fd};
        is_kept = added = true;
    }
    dlerror();
    /* RTLD_NODELETE: a module stays mapped until the program ends, even
     * when it is shadowed or its registry is freed.  Its destructors then
     * run only at exit: one that tidies a library it shares with others
     * (the xml module's xmlCleanupParser) cannot pull it from under a copy
     * still in use -- an installed xml.so shadowed by the build tree's, say. */
    void *handle = dlopen(by_fd ? fd_name : real, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == NULL) {
        set_dlerror(err, path, dlerror(), by_fd ? fd_name : "", real);
        if (added) { /* nothing was loaded under its name: it need not stay open */
            n_kept--;
            is_kept = false;
        }
    }
    pthread_mutex_unlock(&kept_lock);
    if (!is_kept)
        close(fd);
    return handle;
}

/*
 * Check an exported descriptor at sym (from file path, or built in) and copy
 * it, with its formats, into m.  who receives "plugin PATH: module NAME" for
 * later messages.  Nothing past the identification is read until it checks.
 */
static int check_module(const unsigned char *sym, const char *path, const char *stem,
                        loaded_module *m, char *who, size_t who_size, tc_error *err)
{
    uint32_t magic, struct_size, format_size;
    uint16_t major, minor;
    memcpy(&magic, sym + offsetof(tc_module, magic), sizeof magic);
    snprintf(who, who_size, "plugin %s", path);
    if (magic != TC_MODULE_MAGIC)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: bad magic 0x%08x, expected 0x%08x: not a threadconv "
                             "module descriptor", who, (unsigned)magic, TC_MODULE_MAGIC);
    memcpy(&major, sym + offsetof(tc_module, abi_major), sizeof major);
    memcpy(&minor, sym + offsetof(tc_module, abi_minor), sizeof minor);
    const char *name = stem ? stem : "?";
    if (major != TC_ABI_MAJOR)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: module '%s' is built for ABI %u.%u, this threadconv supports "
                             "%d.0 to %d.%d \xe2\x80\x94 rebuild the module", who, name, major,
                             minor, TC_ABI_MAJOR, TC_ABI_MAJOR, TC_ABI_MINOR);
    if (minor > TC_ABI_MINOR)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: module '%s' is built for ABI %u.%u, this threadconv supports "
                             "%d.0 to %d.%d \xe2\x80\x94 upgrade threadconv or rebuild the module",
                             who, name, major, minor, TC_ABI_MAJOR, TC_ABI_MAJOR, TC_ABI_MINOR);
    memcpy(&struct_size, sym + offsetof(tc_module, struct_size), sizeof struct_size);
    memcpy(&format_size, sym + offsetof(tc_module, format_size), sizeof format_size);
    /* A descriptor of our own minor has exactly our sizes; an older one is
     * no larger than ours and holds at least what 2.0 defined. */
    bool same = minor == TC_ABI_MINOR;
    bool size_ok = same ? struct_size == sizeof(tc_module) && format_size == sizeof(tc_format)
                        : struct_size <= sizeof(tc_module) && format_size <= sizeof(tc_format) &&
                              struct_size >= offsetof(tc_module, reserved) &&
                              format_size >= offsetof(tc_format, reserved);
    if (!size_ok)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: module '%s' has a descriptor of %u bytes and formats of %u "
                             "bytes, expected %zu and %zu for ABI %u.%u \xe2\x80\x94 rebuild the "
                             "module", who, name, (unsigned)struct_size, (unsigned)format_size,
                             sizeof(tc_module), sizeof(tc_format), major, minor);
    memset(&m->desc, 0, sizeof m->desc);
    memcpy(&m->desc, sym, struct_size);
    memset(m->desc.reserved, 0, sizeof m->desc.reserved);
    const tc_module *d = &m->desc;
    const char *missing = !d->name ? "name" : !d->description ? "description"
                        : !d->version ? "version" : !d->license ? "license"
                        : !d->formats || d->n_formats == 0 ? "formats" : NULL;
    if (missing)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: required field '%s' is missing from module '%s'", who, missing,
                             name);
    if (!valid_name(d->name, true) || (stem && strcmp(d->name, stem) != 0))
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: module name '%.64s' is not valid; expected 1-64 characters "
                             "of a-z, 0-9 and '_', the same as the file name", who, d->name);
    snprintf(who, who_size, "plugin %s: module '%s' %.32s (ABI %u.%u)", path, d->name,
             d->version, major, minor);
    if (d->n_formats > MAX_FORMATS)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: lists %zu formats, more than %d", who, d->n_formats,
                             MAX_FORMATS);
    m->formats = calloc(d->n_formats, sizeof *m->formats);
    if (m->formats == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    for (size_t i = 0; i < d->n_formats; i++) {
        memcpy(&m->formats[i], (const unsigned char *)d->formats + i * format_size, format_size);
        memset(m->formats[i].reserved, 0, sizeof m->formats[i].reserved);
        int rc = check_format(who, &m->formats[i], err);
        if (rc != TC_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->formats[j].name, m->formats[i].name) == 0)
                return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                                     "%s: lists format '%s' twice", who, m->formats[i].name);
    }
    return TC_OK;
}

static const format_entry *lookup_entry(const tc_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n_formats; i++)
        if (strcmp(reg->formats[i].format->name, name) == 0)
            return &reg->formats[i];
    return NULL;
}

/* Register m's formats: TC_OK, SHADOWED (an earlier directory provides
 * all of them; m is not kept) or TC_ERR_* (m is not kept). */
static int register_module(tc_registry *reg, loaded_module *m, const char *who, tc_error *err)
{
    size_t n = m->desc.n_formats, fresh = 0;
    bool *shadowed = calloc(n, sizeof *shadowed);
    if (shadowed == NULL)
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const format_entry *other = lookup_entry(reg, m->formats[i].name);
        if (other == NULL) {
            fresh++;
            continue;
        }
        if (m->dir_index != EXPLICIT && other->module->dir_index != EXPLICIT &&
            other->module->dir_index < m->dir_index) {
            shadowed[i] = true; /* an earlier directory wins: first match in the path */
            continue;
        }
        free(shadowed);
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "%s: format name '%s' is already provided by %s; "
                             "remove one of them", who, m->formats[i].name, other->module->path);
    }
    if (fresh == 0) {
        free(shadowed);
        return SHADOWED;
    }
    loaded_module **mods = realloc(reg->modules, (reg->n_modules + 1) * sizeof *mods);
    if (mods)
        reg->modules = mods;
    format_entry *fmts = realloc(reg->formats, (reg->n_formats + fresh) * sizeof *fmts);
    if (fmts)
        reg->formats = fmts;
    if (mods == NULL || fmts == NULL) {
        free(shadowed);
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    }
    reg->modules[reg->n_modules++] = m;
    for (size_t i = 0; i < n; i++)
        if (!shadowed[i])
            reg->formats[reg->n_formats++] = (format_entry){&m->formats[i], m};
    free(shadowed);
    return TC_OK;
}

/* The module name a file must export: the base name of the file it is
 * (its real path, after links: an installed link jsonl.so -> json.so lets
 * `-f jsonl` find its module cheaply) without ".so". */
static char *module_stem(const char *real)
{
    const char *slash = strrchr(real, '/');
    const char *base = slash ? slash + 1 : real;
    size_t len = strlen(base);
    if (len > 3 && strcmp(base + len - 3, ".so") == 0)
        len -= 3;
    return strndup(base, len);
}

/* Load path; TC_OK, SHADOWED (closed again, not an error) or TC_ERR_*. */
static int load_one(tc_registry *reg, const char *path, size_t dir_index, tc_error *err)
{
    for (size_t i = 0; i < reg->n_modules; i++)
        if (strcmp(reg->modules[i]->path, path) == 0)
            return TC_OK; /* already loaded from this very file */

    loaded_module *m = calloc(1, sizeof *m);
    if (m == NULL || (m->path = strdup(path)) == NULL) {
        free(m);
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    }
    m->dir_index = dir_index;
    int rc = TC_ERR_PLUGIN;
    char who[512], real[PATH_MAX];
    char *stem = NULL;
    if ((m->handle = open_checked(path, real, err)) == NULL) {
        rc = err->code == TC_ERR_NOMEM ? TC_ERR_NOMEM : TC_ERR_PLUGIN;
        goto fail;
    }
    if ((stem = module_stem(real)) == NULL) {
        rc = tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
        goto fail;
    }
    char symbol[128];
    snprintf(symbol, sizeof symbol, "%s%s", TC_MODULE_SYMBOL_PREFIX, stem);
    const unsigned char *sym = valid_name(stem, true) ? dlsym(m->handle, symbol) : NULL;
    if (sym == NULL) {
        if (dlsym(m->handle, ABI1_SYMBOL) != NULL)
            tc__error_set(err, rc, "", 0, 0,
                          "plugin %s: built for threadconv's ABI 1 (one format, symbol '%s'); "
                          "this threadconv loads ABI %d modules only \xe2\x80\x94 rebuild it as "
                          "a module (doc/PLUGINS.md, \"From ABI 1\")", path, ABI1_SYMBOL,
                          TC_ABI_MAJOR);
        else if (!valid_name(stem, true))
            tc__error_set(err, rc, "", 0, 0,
                          "plugin %s: the file name must be the module's name (a-z, 0-9, '_') "
                          "followed by .so", path);
        else
            tc__error_set(err, rc, "", 0, 0,
                          "plugin %s: not a threadconv module: it does not export '%s'",
                          path, symbol);
        goto fail;
    }
    if ((rc = check_module(sym, path, stem, m, who, sizeof who, err)) != TC_OK)
        goto fail;
    if ((rc = register_module(reg, m, who, err)) != TC_OK)
        goto fail;
    free(stem);
    return TC_OK;
fail:
    free(stem);
    free_module(m);
    return rc;
}

int tc_registry_load_file(tc_registry *reg, const char *path, tc_error *err)
{
    int rc = load_one(reg, path, EXPLICIT, err);
    return rc == SHADOWED ? TC_OK : rc;
}

int tc_registry_add_module(tc_registry *reg, const tc_module *module, const char *origin,
                           tc_error *err)
{
    loaded_module *m = calloc(1, sizeof *m);
    if (m == NULL || (m->path = strdup(origin ? origin : "built in")) == NULL) {
        free(m);
        return tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
    }
    m->dir_index = EXPLICIT;
    char who[512];
    int rc = check_module((const unsigned char *)module, m->path, NULL, m, who, sizeof who, err);
    if (rc == TC_OK)
        rc = register_module(reg, m, who, err);
    if (rc != TC_OK)
        free_module(m);
    return rc == SHADOWED ? TC_OK : rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tc_registry_load_all(tc_registry *reg, tc_warning_fn warn, void *user)
{
    size_t refused = 0;
    for (size_t d = 0; d < reg->n_dirs; d++) {
        if (reg->dirs[d].relative_from) {
            tc_error err = {0};
            refuse_relative_dir(&reg->dirs[d], &err);
            refused++;
            if (warn)
                warn(user, &err);
            continue;
        }
        DIR *dir = opendir(reg->dirs[d].path);
        if (dir == NULL)
            continue; /* a search directory that does not exist holds no plugins */
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len <= 3 || strcmp(e->d_name + len - 3, ".so") != 0)
                continue;
            char **grown = realloc(names, (n + 1) * sizeof *names);
            if (grown == NULL)
                break;
            names = grown;
            if ((names[n] = strdup(e->d_name)) != NULL)
                n++;
        }
        closedir(dir);
        /* Sorted, so which of two clashing files is refused does not
         * depend on the order the file system lists them. */
        qsort(names, n, sizeof *names, name_cmp);
        for (size_t i = 0; i < n; i++) {
            tc_buf path = {0};
            tc_buf_printf(&path, "%s/%s", reg->dirs[d].path, names[i]);
            tc_error err = {0};
            if (path.data && load_one(reg, path.data, d, &err) < 0) {
                refused++;
                if (warn)
                    warn(user, &err);
            }
            tc_buf_free(&path);
            free(names[i]);
        }
        free(names);
    }
    reg->all_loaded = true;
    return refused;
}

/* Collects the refusals of a tc_registry_load_all made on the way to a name. */
typedef struct refusals {
    size_t count;
    tc_error first;
} refusals;

static void note_refusal(void *user, const tc_error *e)
{
    refusals *r = user;
    if (r->count++ == 0)
        r->first = *e;
}

static const tc_format *lookup(const tc_registry *reg, const char *name)
{
    const format_entry *e = lookup_entry(reg, name);
    return e ? e->format : NULL;
}

const tc_format *tc_registry_find(tc_registry *reg, const char *name, tc_error *err)
{
    const tc_format *p = lookup(reg, name);
    if (p)
        return p;
    /* Cheap path first: NAME.so, so a conversion loads only what it uses. */
    if (valid_name(name, true)) {
        for (size_t d = 0; d < reg->n_dirs; d++) {
            if (reg->dirs[d].relative_from)
                return refuse_relative_dir(&reg->dirs[d], err), NULL;
            tc_buf path = {0};
            tc_buf_printf(&path, "%s/%s.so", reg->dirs[d].path, name);
            struct stat st;
            int rc = TC_OK;
            if (path.data && stat(path.data, &st) == 0)
                rc = load_one(reg, path.data, d, err);
            tc_buf_free(&path);
            if (rc < 0)
                return NULL;
            if ((p = lookup(reg, name)) != NULL)
                return p;
        }
    }
    refusals seen = {0};
    if (!reg->all_loaded) {
        tc_registry_load_all(reg, note_refusal, &seen);
        if ((p = lookup(reg, name)) != NULL)
            return p;
    }
    if (seen.count) {
        /* The format asked for may be in a file that was refused: say so,
         * rather than only that the name is unknown. */
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "no module provides format '%s'; %zu plugin file%s in the search "
                             "path %s refused, the first: %s", name, seen.count,
                             seen.count == 1 ? "" : "s", seen.count == 1 ? "was" : "were",
                             seen.first.text), NULL;
    }
    tc_buf known = {0};
    for (size_t i = 0; i < reg->n_formats; i++)
        tc_buf_printf(&known, "%s%s", i ? ", " : "", reg->formats[i].format->name);
    tc__error_set(err, TC_ERR_USAGE, "", 0, 0,
                  "unknown format '%s'; available: %s (see threadconv --list)", name,
                  known.data ? known.data : "none; no plugins were found in the search path");
    tc_buf_free(&known);
    return NULL;
}

size_t tc_registry_count(const tc_registry *reg)
{
    return reg->n_formats;
}

const tc_format *tc_registry_format(const tc_registry *reg, size_t index)
{
    return index < reg->n_formats ? reg->formats[index].format : NULL;
}

const tc_module *tc_registry_format_module(const tc_registry *reg, size_t index)
{
    return index < reg->n_formats ? &reg->formats[index].module->desc : NULL;
}

const char *tc_registry_format_path(const tc_registry *reg, size_t index)
{
    return index < reg->n_formats ? reg->formats[index].module->path : NULL;
}
