/* registry.c - finding, loading and checking plugins.
 *
 * A plugin is trusted only step by step: the exported symbol must exist,
 * then its magic must match, then its ABI version, then its struct size;
 * only then is the rest of the descriptor read, and copied into a
 * zero-filled descriptor of our own size so that fields an older plugin
 * lacks read as NULL. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef TC_PLUGINDIR
#error "TC_PLUGINDIR must be defined by the build"
#endif

/* Returned by load_one when an earlier directory already provides the name. */
#define SHADOWED 2
/* dir_index of a file loaded by explicit path: duplicates are never shadowed. */
#define EXPLICIT ((size_t)-1)

typedef struct loaded_plugin {
    void *handle;
    tc_plugin desc;   /* our zero-extended copy, checked */
    char *path;
    size_t dir_index;
} loaded_plugin;

struct tc_registry {
    char **dirs;
    size_t n_dirs;
    loaded_plugin **plugins;
    size_t n_plugins;
    bool all_loaded;
};

tc_registry *tc_registry_new(void)
{
    return calloc(1, sizeof(tc_registry));
}

void tc_registry_free(tc_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n_plugins; i++) {
        dlclose(reg->plugins[i]->handle);
        free(reg->plugins[i]->path);
        free(reg->plugins[i]);
    }
    for (size_t i = 0; i < reg->n_dirs; i++)
        free(reg->dirs[i]);
    free(reg->dirs);
    free(reg->plugins);
    free(reg);
}

const char *tc_registry_default_dir(void)
{
    return TC_PLUGINDIR;
}

static int add_dir(tc_registry *reg, const char *dir, size_t len)
{
    /* An empty entry would mean "the current directory" in PATH-like
     * lists; the current directory is never searched implicitly. */
    if (len == 0)
        return TC_OK;
    char **dirs = realloc(reg->dirs, (reg->n_dirs + 1) * sizeof *dirs);
    if (dirs == NULL)
        return TC_ERR_NOMEM;
    reg->dirs = dirs;
    char *copy = strndup(dir, len);
    if (copy == NULL)
        return TC_ERR_NOMEM;
    reg->dirs[reg->n_dirs++] = copy;
    return TC_OK;
}

int tc_registry_add_search_dirs(tc_registry *reg, const char *const *dirs,
                                size_t n_dirs, bool use_defaults)
{
    for (size_t i = 0; i < n_dirs; i++)
        if (add_dir(reg, dirs[i], strlen(dirs[i])) != TC_OK)
            return TC_ERR_NOMEM;
    if (!use_defaults)
        return TC_OK;
    const char *env = getenv("THREADCONV_PLUGIN_PATH");
    while (env && *env) {
        const char *colon = strchr(env, ':');
        size_t len = colon ? (size_t)(colon - env) : strlen(env);
        if (add_dir(reg, env, len) != TC_OK)
            return TC_ERR_NOMEM;
        env = colon ? colon + 1 : NULL;
    }
    return add_dir(reg, TC_PLUGINDIR, strlen(TC_PLUGINDIR));
}

static bool valid_name(const char *name)
{
    if (*name == '\0' || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

/* Check the callbacks of one side: all present or all absent. */
static int check_side(const char *path, const char *side, const char *const names[],
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
                          "plugin %s: callback %s is missing; a %s needs %s",
                          path, names[i], side, want.data);
            tc_buf_free(&want);
            return TC_ERR_PLUGIN;
        }
    }
    return TC_OK;
}

static int check_descriptor(const char *path, const tc_plugin *d, tc_error *err)
{
    const char *missing = !d->name ? "name" : !d->description ? "description"
                        : !d->version ? "version" : !d->license ? "license" : NULL;
    if (missing)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: required field '%s' is missing from the descriptor",
                             path, missing);
    if (!valid_name(d->name))
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: format name '%s' is not valid; expected 1-64 characters "
                             "of a-z, 0-9, '_' and '-'", path, d->name);
    static const char *const reader_names[] = {"read_open", "read_next_thread",
                                               "read_next_post", "read_close"};
    const bool reader_set[] = {d->read_open, d->read_next_thread, d->read_next_post,
                               d->read_close};
    static const char *const writer_names[] = {"write_open", "write_begin_thread", "write_post",
                                               "write_end_thread", "write_finish", "write_close"};
    const bool writer_set[] = {d->write_open, d->write_begin_thread, d->write_post,
                               d->write_end_thread, d->write_finish, d->write_close};
    bool reads, writes;
    if (check_side(path, "reader", reader_names, reader_set, 4, &reads, err) != TC_OK ||
        check_side(path, "writer", writer_names, writer_set, 6, &writes, err) != TC_OK)
        return TC_ERR_PLUGIN;
    if (!reads && !writes)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: provides neither a reader nor a writer "
                             "(read_open... or write_open... callbacks expected)", path);
    if (d->read_probe && !reads)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: has read_probe but no reader callbacks", path);
    uintptr_t known = TC_PLUGIN_READS_UTF8 | TC_PLUGIN_WRITES_DIRECTORY;
    if (d->flags & ~known)
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: unknown flags 0x%lx for ABI %u.%u", path,
                             (unsigned long)(d->flags & ~known), d->abi_major, d->abi_minor);
    for (const tc_option_decl *o = d->options; o && o->name; o++) {
        if (o->type < TC_OPT_BOOL || o->type > TC_OPT_ENUM ||
            (o->type == TC_OPT_ENUM && o->enum_values == NULL))
            return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                                 "plugin %s: option '%s' has an invalid type declaration",
                                 path, o->name);
    }
    return TC_OK;
}

/* A directory anyone may write to lets anyone swap the code we load, unless
 * it is sticky (like /tmp), where only a file's owner may replace it. */
static bool open_to_anyone(const struct stat *st)
{
    return (st->st_mode & S_IWOTH) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX));
}

/*
 * Refuse plugin code that anyone could have written, as ssh and sudo do for
 * their files: the plugin file itself (after following links), the
 * directory it is named in, and the directory the real file is in.
 */
static int check_permissions(const char *path, tc_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return TC_OK; /* dlopen reports a missing file with its own words */
    if (open_to_anyone(&st))
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                             "plugin %s: refused: the file is writable by anyone (mode %04o), "
                             "so anyone could change the code threadconv would run; "
                             "fix it with chmod o-w", path, (unsigned)(st.st_mode & 07777));
    char *real = realpath(path, NULL);
    const char *names[2] = {path, real};
    for (int k = 0; k < 2; k++) {
        if (names[k] == NULL)
            continue;
        const char *slash = strrchr(names[k], '/');
        char *dir = slash ? strndup(names[k], (size_t)(slash - names[k]) + (slash == names[k]))
                          : strdup(".");
        if (dir && stat(dir, &st) == 0 && open_to_anyone(&st)) {
            tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0,
                          "plugin %s: refused: its directory %s is writable by anyone "
                          "(mode %04o), so anyone could replace the plugin; "
                          "fix it with chmod o-w %s", path, dir,
                          (unsigned)(st.st_mode & 07777), dir);
            free(dir);
            free(real);
            return TC_ERR_PLUGIN;
        }
        free(dir);
    }
    free(real);
    return TC_OK;
}

/* Load path; TC_OK, SHADOWED (closed again, not an error) or TC_ERR_*. */
static int load_one(tc_registry *reg, const char *path, size_t dir_index, tc_error *err)
{
    for (size_t i = 0; i < reg->n_plugins; i++)
        if (strcmp(reg->plugins[i]->path, path) == 0)
            return TC_OK; /* already loaded from this very file */

    if (check_permissions(path, err) != TC_OK)
        return TC_ERR_PLUGIN;
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        return tc__error_set(err, TC_ERR_PLUGIN, "", 0, 0, "plugin %s: cannot load: %s", path,
                             why ? why : "unknown dlopen error");
    }
    const unsigned char *sym = dlsym(handle, TC_PLUGIN_SYMBOL);
    int rc = TC_ERR_PLUGIN;
    if (sym == NULL) {
        tc__error_set(err, rc, "", 0, 0,
                      "plugin %s: not a threadconv plugin: it does not export '%s'",
                      path, TC_PLUGIN_SYMBOL);
        goto fail;
    }
    /* Read the identification fields one at a time: nothing past them may
     * be trusted until they check out. */
    tc_plugin head;
    memcpy(&head.magic, sym + offsetof(tc_plugin, magic), sizeof head.magic);
    if (head.magic != TC_PLUGIN_MAGIC) {
        tc__error_set(err, rc, "", 0, 0,
                      "plugin %s: bad magic 0x%08x, expected 0x%08x: not a threadconv "
                      "plugin descriptor", path, (unsigned)head.magic, TC_PLUGIN_MAGIC);
        goto fail;
    }
    memcpy(&head.abi_major, sym + offsetof(tc_plugin, abi_major), sizeof head.abi_major);
    memcpy(&head.abi_minor, sym + offsetof(tc_plugin, abi_minor), sizeof head.abi_minor);
    if (head.abi_major != TC_ABI_MAJOR) {
        tc__error_set(err, rc, "", 0, 0,
                      "plugin %s: ABI %u.%u, this threadconv supports %d.x \xe2\x80\x94 "
                      "rebuild the plugin", path, head.abi_major, head.abi_minor, TC_ABI_MAJOR);
        goto fail;
    }
    if (head.abi_minor > TC_ABI_MINOR) {
        tc__error_set(err, rc, "", 0, 0,
                      "plugin %s: ABI %u.%u, this threadconv supports %d.0 to %d.%d \xe2\x80\x94 "
                      "upgrade threadconv or rebuild the plugin", path, head.abi_major,
                      head.abi_minor, TC_ABI_MAJOR, TC_ABI_MAJOR, TC_ABI_MINOR);
        goto fail;
    }
    memcpy(&head.struct_size, sym + offsetof(tc_plugin, struct_size), sizeof head.struct_size);
    /* ABI 1.0 is the smallest descriptor; a descriptor of our own minor has
     * exactly our size; none may be larger than ours. */
    size_t min_size = sizeof(tc_plugin);
    bool size_ok = head.abi_minor == TC_ABI_MINOR ? head.struct_size == sizeof(tc_plugin)
                                                 : head.struct_size >= min_size &&
                                                       head.struct_size <= sizeof(tc_plugin);
    if (!size_ok) {
        tc__error_set(err, rc, "", 0, 0,
                      "plugin %s: descriptor is %u bytes, expected %zu for ABI %u.%u \xe2\x80\x94 "
                      "rebuild the plugin", path, (unsigned)head.struct_size,
                      sizeof(tc_plugin), head.abi_major, head.abi_minor);
        goto fail;
    }
    loaded_plugin *lp = calloc(1, sizeof *lp);
    if (lp == NULL) {
        rc = tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
        goto fail;
    }
    memcpy(&lp->desc, sym, head.struct_size);
    /* Fields newer than the plugin's minor are not the plugin's: clear them. */
    if (head.abi_minor < 1)
        lp->desc.url = NULL;
    if (head.abi_minor < 2)
        lp->desc.flags = 0;
    memset(lp->desc.reserved, 0, sizeof lp->desc.reserved);
    if (check_descriptor(path, &lp->desc, err) != TC_OK) {
        free(lp);
        goto fail;
    }
    for (size_t i = 0; i < reg->n_plugins; i++) {
        loaded_plugin *other = reg->plugins[i];
        if (strcmp(other->desc.name, lp->desc.name) != 0)
            continue;
        if (dir_index != EXPLICIT && other->dir_index != EXPLICIT && other->dir_index < dir_index) {
            free(lp); /* an earlier directory wins: first match in the search path */
            dlclose(handle);
            return SHADOWED;
        }
        tc__error_set(err, rc, "", 0, 0,
                      "plugin %s: format name '%s' is already provided by %s; "
                      "remove one of them", path, lp->desc.name, other->path);
        free(lp);
        goto fail;
    }
    loaded_plugin **list = realloc(reg->plugins, (reg->n_plugins + 1) * sizeof *list);
    lp->path = strdup(path);
    if (list == NULL || lp->path == NULL) {
        if (list)
            reg->plugins = list;
        free(lp->path);
        free(lp);
        rc = tc__error_set(err, TC_ERR_NOMEM, "", 0, 0, "out of memory");
        goto fail;
    }
    reg->plugins = list;
    lp->handle = handle;
    lp->dir_index = dir_index;
    reg->plugins[reg->n_plugins++] = lp;
    return TC_OK;
fail:
    dlclose(handle);
    return rc;
}

int tc_registry_load_file(tc_registry *reg, const char *path, tc_error *err)
{
    return load_one(reg, path, EXPLICIT, err);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tc_registry_load_all(tc_registry *reg, tc_warning_fn warn, void *user)
{
    size_t refused = 0;
    for (size_t d = 0; d < reg->n_dirs; d++) {
        DIR *dir = opendir(reg->dirs[d]);
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
            tc_buf_printf(&path, "%s/%s", reg->dirs[d], names[i]);
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

static const tc_plugin *lookup(const tc_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n_plugins; i++)
        if (strcmp(reg->plugins[i]->desc.name, name) == 0)
            return &reg->plugins[i]->desc;
    return NULL;
}

const tc_plugin *tc_registry_find(tc_registry *reg, const char *name, tc_error *err)
{
    const tc_plugin *p = lookup(reg, name);
    if (p)
        return p;
    /* Cheap path first: NAME.so, so a conversion loads only what it uses. */
    if (valid_name(name)) {
        for (size_t d = 0; d < reg->n_dirs; d++) {
            tc_buf path = {0};
            tc_buf_printf(&path, "%s/%s.so", reg->dirs[d], name);
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
                             "no plugin provides format '%s'; %zu plugin file%s in the search "
                             "path %s refused, the first: %s", name, seen.count,
                             seen.count == 1 ? "" : "s", seen.count == 1 ? "was" : "were",
                             seen.first.text), NULL;
    }
    tc_buf known = {0};
    for (size_t i = 0; i < reg->n_plugins; i++)
        tc_buf_printf(&known, "%s%s", i ? ", " : "", reg->plugins[i]->desc.name);
    tc__error_set(err, TC_ERR_USAGE, "", 0, 0,
                  "unknown format '%s'; available: %s (see threadconv --list)", name,
                  known.data ? known.data : "none; no plugins were found in the search path");
    tc_buf_free(&known);
    return NULL;
}

size_t tc_registry_count(const tc_registry *reg)
{
    return reg->n_plugins;
}

const tc_plugin *tc_registry_plugin(const tc_registry *reg, size_t index)
{
    return index < reg->n_plugins ? &reg->plugins[index]->desc : NULL;
}

const char *tc_registry_plugin_path(const tc_registry *reg, size_t index)
{
    return index < reg->n_plugins ? reg->plugins[index]->path : NULL;
}
