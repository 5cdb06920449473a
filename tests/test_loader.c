/* test_loader.c - the plugin handshake: what the loader accepts, what it
 * refuses and with which message, and where it looks (search order). */
#define _GNU_SOURCE /* dladdr */
#include "testutil.h"

#include <check.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *test_plugin(const char *file)
{
    return tu_path("THREADCONV_TEST_PLUGINS", file);
}

/* Load file into a fresh registry; return the status and the message. */
static int load(const char *file, tc_error *err)
{
    tc_registry *reg = tc_registry_new();
    char *path = test_plugin(file);
    int rc = tc_registry_load_file(reg, path, err);
    free(path);
    tc_registry_free(reg);
    return rc;
}

static void expect_refusal(const char *file, const char *message_after_path)
{
    tc_error err;
    ck_assert_int_eq(load(file, &err), TC_ERR_PLUGIN);
    char *path = test_plugin(file);
    char expected[2048];
    snprintf(expected, sizeof expected, "plugin %s: %s", path, message_after_path);
    ck_assert_str_eq(err.text, expected);
    free(path);
}

START_TEST(good_plugin_loads)
{
    tc_registry *reg = tc_registry_new();
    char *path = test_plugin("good.so");
    tc_error err;
    ck_assert_int_eq(tc_registry_load_file(reg, path, &err), TC_OK);
    /* one module, two formats */
    ck_assert_uint_eq(tc_registry_count(reg), 2);
    const tc_format *p = tc_registry_format(reg, 0);
    ck_assert_str_eq(p->name, "testfmt");
    ck_assert_str_eq(tc_registry_format(reg, 1)->name, "testfmt2");
    ck_assert_ptr_null(tc_registry_format(reg, 1)->read_open);
    const tc_module *m = tc_registry_format_module(reg, 0);
    ck_assert_ptr_eq(tc_registry_format_module(reg, 1), m);
    ck_assert_str_eq(m->name, "good");
    ck_assert_str_eq(m->version, "0.0.1");
    ck_assert_str_eq(m->license, "MIT");
    ck_assert_uint_eq(m->abi_major, TC_ABI_MAJOR);
    ck_assert_ptr_nonnull(p->read_open);
    ck_assert_ptr_nonnull(p->write_open);
    ck_assert_str_eq(tc_registry_format_path(reg, 0), path);
    ck_assert_ptr_eq(tc_registry_find(reg, "testfmt", &err), p);
    /* Loading the same file twice is not a duplicate. */
    ck_assert_int_eq(tc_registry_load_file(reg, path, &err), TC_OK);
    ck_assert_uint_eq(tc_registry_count(reg), 2);
    free(path);
    tc_registry_free(reg);
}
END_TEST

START_TEST(wrong_major_is_refused_with_both_versions)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "module 'bad_major' is built for ABI %d.0, this threadconv supports %d.0 to %d.%d "
             "\xe2\x80\x94 rebuild the module", TC_ABI_MAJOR + 1, TC_ABI_MAJOR, TC_ABI_MAJOR,
             TC_ABI_MINOR);
    expect_refusal("bad_major.so", msg);
}
END_TEST

START_TEST(wrong_magic_is_refused)
{
    expect_refusal("bad_magic.so", "bad magic 0xdeadbeef, expected 0x444d4354: not a "
                                   "threadconv module descriptor");
}
END_TEST

START_TEST(wrong_size_is_refused)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "module 'bad_size' has a descriptor of 16 bytes and formats of %zu bytes, "
             "expected %zu and %zu for ABI %d.%d \xe2\x80\x94 rebuild the module",
             sizeof(tc_format), sizeof(tc_module), sizeof(tc_format), TC_ABI_MAJOR, TC_ABI_MINOR);
    expect_refusal("bad_size.so", msg);
}
END_TEST

START_TEST(abi1_plugins_are_refused_with_what_to_do)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "built for threadconv's ABI 1 (one format, symbol 'threadconv_plugin'); this "
             "threadconv loads ABI %d modules only \xe2\x80\x94 rebuild it as a module "
             "(doc/PLUGINS.md, \"From ABI 1\")", TC_ABI_MAJOR);
    expect_refusal("abi1.so", msg);
}
END_TEST

START_TEST(newer_minor_is_refused)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "module 'newer_minor' is built for ABI %d.%d, this threadconv supports %d.0 to "
             "%d.%d \xe2\x80\x94 upgrade threadconv or rebuild the module", TC_ABI_MAJOR,
             TC_ABI_MINOR + 1, TC_ABI_MAJOR, TC_ABI_MAJOR, TC_ABI_MINOR);
    expect_refusal("newer_minor.so", msg);
}
END_TEST

START_TEST(unknown_flags_are_refused)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "module 'bad_flags' 0.0.1 (ABI %d.%d), format 'badflags': unknown flags 0x100 for "
             "ABI %d.%d", TC_ABI_MAJOR, TC_ABI_MINOR, TC_ABI_MAJOR, TC_ABI_MINOR);
    expect_refusal("bad_flags.so", msg);
}
END_TEST

START_TEST(plugin_symbols_stay_local)
{
    tc_registry *reg = tc_registry_new();
    char *path = test_plugin("leaky.so");
    tc_error err;
    ck_assert_int_eq(tc_registry_load_file(reg, path, &err), TC_OK);
    ck_assert_str_eq(tc_registry_format(reg, 0)->url, "https://example.invalid/leaky");
    /* Loaded RTLD_LOCAL: neither its helper nor its descriptor is visible
     * in the global namespace other plugins resolve against. */
    void *global = dlopen(NULL, RTLD_NOW); /* the program and its global objects */
    ck_assert_ptr_nonnull(global);
    ck_assert_ptr_null(dlsym(global, "threadconv_test_leaky_helper"));
    ck_assert_ptr_null(dlsym(global, "threadconv_module_leaky"));
    dlclose(global);
    free(path);
    tc_registry_free(reg);
}
END_TEST

START_TEST(missing_callback_is_refused)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "module 'missing_callback' 0.0.1 (ABI %d.%d), format 'missingcb': callback "
             "read_next_post is missing; a reader needs read_open, read_next_thread, "
             "read_next_post and read_close", TC_ABI_MAJOR, TC_ABI_MINOR);
    expect_refusal("missing_callback.so", msg);
}
END_TEST

START_TEST(missing_descriptor_is_refused)
{
    expect_refusal("no_descriptor.so",
                   "not a threadconv module: it does not export "
                   "'threadconv_module_no_descriptor'");
}
END_TEST

START_TEST(dlopen_failure_shows_dlerror)
{
    tc_error err;
    tc_registry *reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_load_file(reg, "/nonexistent/plugin.so", &err), TC_ERR_PLUGIN);
    ck_assert_str_eq(err.text, "plugin /nonexistent/plugin.so: cannot load: /nonexistent/"
                               "plugin.so: cannot open shared object file: No such file or "
                               "directory");
    /* A file that is not a shared object at all. */
    char path[] = "/tmp/tc-notelf-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "just text\n", 10), 10);
    close(fd);
    ck_assert_int_eq(tc_registry_load_file(reg, path, &err), TC_ERR_PLUGIN);
    ck_assert_msg(strstr(err.text, "cannot load: ") && strstr(err.text, path),
                  "message was: %s", err.text);
    unlink(path);
    tc_registry_free(reg);
}
END_TEST

START_TEST(duplicate_name_is_refused)
{
    tc_registry *reg = tc_registry_new();
    char *good = test_plugin("good.so"), *dup = test_plugin("dup_name.so");
    tc_error err;
    ck_assert_int_eq(tc_registry_load_file(reg, good, &err), TC_OK);
    ck_assert_int_eq(tc_registry_load_file(reg, dup, &err), TC_ERR_PLUGIN);
    char expected[2048];
    snprintf(expected, sizeof expected,
             "plugin %s: module 'dup_name' 0.0.1 (ABI %d.%d): format name 'testfmt' is already "
             "provided by %s; remove one of them", dup, TC_ABI_MAJOR, TC_ABI_MINOR, good);
    ck_assert_str_eq(err.text, expected);
    ck_assert_uint_eq(tc_registry_count(reg), 2);
    free(good);
    free(dup);
    tc_registry_free(reg);
}
END_TEST

/* A fresh directory holding NAME.so as a symlink to a test plugin. */
static char *dir_with(const char *name, const char *target_file)
{
    char *dir = strdup("/tmp/tc-plugdir-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *target = test_plugin(target_file);
    char link[PATH_MAX];
    snprintf(link, sizeof link, "%s/%s", dir, name);
    ck_assert_int_eq(symlink(target, link), 0);
    free(target);
    return dir;
}

static void remove_dir(char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}

START_TEST(search_order_first_match_wins)
{
    char *first = dir_with("testfmt.so", "dup_name.so");
    char *second = dir_with("testfmt.so", "good.so");
    tc_error err;

    /* --plugin-dir order. */
    tc_registry *reg = tc_registry_new();
    const char *dirs[] = {first, second};
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, dirs, 2, false), TC_OK);
    ck_assert_ptr_nonnull(tc_registry_find(reg, "testfmt", &err));
    ck_assert_msg(strncmp(tc_registry_format_path(reg, 0), first, strlen(first)) == 0,
                  "loaded %s", tc_registry_format_path(reg, 0));
    /* Loading everything shadows the later one's testfmt silently; its
     * testfmt2, which nothing earlier provides, is added. */
    ck_assert_uint_eq(tc_registry_load_all(reg, NULL, NULL), 0);
    ck_assert_uint_eq(tc_registry_count(reg), 2);
    ck_assert_str_eq(tc_registry_format(reg, 1)->name, "testfmt2");
    tc_registry_free(reg);

    /* --plugin-dir comes before THREADCONV_PLUGIN_PATH. */
    setenv("THREADCONV_PLUGIN_PATH", first, 1);
    reg = tc_registry_new();
    const char *cli[] = {second};
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, cli, 1, true), TC_OK);
    ck_assert_ptr_nonnull(tc_registry_find(reg, "testfmt", &err));
    ck_assert(strncmp(tc_registry_format_path(reg, 0), second, strlen(second)) == 0);
    tc_registry_free(reg);

    /* THREADCONV_PLUGIN_PATH: colon-separated, in order, empty entries ignored. */
    char env[2 * PATH_MAX];
    snprintf(env, sizeof env, "::/nonexistent:%s::%s", second, first);
    setenv("THREADCONV_PLUGIN_PATH", env, 1);
    reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, NULL, 0, true), TC_OK);
    ck_assert_ptr_nonnull(tc_registry_find(reg, "testfmt", &err));
    ck_assert(strncmp(tc_registry_format_path(reg, 0), second, strlen(second)) == 0);
    tc_registry_free(reg);

    remove_dir(first);
    remove_dir(second);
}
END_TEST

START_TEST(current_directory_is_never_searched)
{
    char *dir = dir_with("testfmt.so", "good.so");
    char old[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(old, sizeof old));
    ck_assert_int_eq(chdir(dir), 0);
    setenv("THREADCONV_PLUGIN_PATH", "::", 1); /* empty entries do not mean "." */
    tc_registry *reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, NULL, 0, true), TC_OK);
    tc_error err;
    ck_assert_ptr_null(tc_registry_find(reg, "testfmt", &err));
    ck_assert_int_eq(err.code, TC_ERR_USAGE);
    ck_assert_msg(strstr(err.text, "unknown format 'testfmt'") != NULL, "%s", err.text);
    tc_registry_free(reg);
    ck_assert_int_eq(chdir(old), 0);
    remove_dir(dir);
}
END_TEST

START_TEST(world_writable_plugins_are_refused)
{
    char *dir = strdup("/tmp/tc-ww-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char file[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(file, sizeof file, "%s/good.so", dir);
    char *good = test_plugin("good.so");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, file);
    ck_assert_int_eq(system(cmd), 0);
    tc_registry *reg = tc_registry_new();
    tc_error err;
    char expected[4 * PATH_MAX];

    ck_assert_int_eq(chmod(file, 0757), 0);
    ck_assert_int_eq(tc_registry_load_file(reg, file, &err), TC_ERR_PLUGIN);
    snprintf(expected, sizeof expected,
             "plugin %s: refused: the file %s is writable by anyone (mode 0757), so anyone "
             "could change the code threadconv would run; fix it with chmod o-w %s",
             file, file, file);
    ck_assert_str_eq(err.text, expected);

    ck_assert_int_eq(chmod(file, 0755), 0);
    ck_assert_int_eq(chmod(dir, 0777), 0);
    ck_assert_int_eq(tc_registry_load_file(reg, file, &err), TC_ERR_PLUGIN);
    snprintf(expected, sizeof expected,
             "plugin %s: refused: the directory %s on its path is writable by anyone (mode 0777) "
             "and not sticky, so anyone could replace the plugin; fix it with chmod go-w %s",
             file, dir, dir);
    ck_assert_str_eq(err.text, expected);

    /* A sticky directory (like /tmp) is fine: only owners replace files there. */
    ck_assert_int_eq(chmod(dir, 01777), 0);
    ck_assert_int_eq(tc_registry_load_file(reg, file, &err), TC_OK);
    tc_registry_free(reg);
    free(good);
    remove_dir(dir);
}
END_TEST

/* A fresh directory under /tmp, ours and mode 0755, for one test. */
static char *scratch_dir(void)
{
    char *dir = strdup("/tmp/tc-safe-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
    return dir;
}

/* mkdir BASE/REL with mode (chmod'ed: the umask does not apply). */
static void make_dir(const char *base, const char *rel, mode_t mode)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", base, rel);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* A copy of the test plugin good.so at BASE/REL with mode; its path (free it). */
static char *copy_good(const char *base, const char *rel, mode_t mode)
{
    char *file = malloc(PATH_MAX), cmd[3 * PATH_MAX];
    ck_assert_ptr_nonnull(file);
    snprintf(file, PATH_MAX, "%s/%s", base, rel);
    char *good = test_plugin("good.so");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", good, file);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(chmod(file, mode), 0);
    free(good);
    return file;
}

/* Load file into a fresh registry: TC_OK, or the refusal in err. */
static int load_path(const char *file, tc_error *err)
{
    tc_registry *reg = tc_registry_new();
    int rc = tc_registry_load_file(reg, file, err);
    tc_registry_free(reg);
    return rc;
}

/* Everything on the real path up to / is checked, links are followed and
 * their directories checked too, and only root and the invoking user may
 * own what is there. */
START_TEST(plugins_others_can_change_are_refused)
{
    char *base = scratch_dir();
    char expected[4 * PATH_MAX], path[PATH_MAX];
    tc_error err;

    /* Its parent is writable by anyone (not sticky): anyone could rename
     * the plugin's directory away and put another in its place. */
    make_dir(base, "ww", 0777);
    make_dir(base, "ww/plugins", 0755);
    char *file = copy_good(base, "ww/plugins/good.so", 0755);
    ck_assert_int_eq(load_path(file, &err), TC_ERR_PLUGIN);
    snprintf(expected, sizeof expected,
             "plugin %s: refused: the directory %s/ww on its path is writable by anyone "
             "(mode 0777) and not sticky, so anyone could replace the plugin; fix it with "
             "chmod go-w %s/ww", file, base, base);
    ck_assert_str_eq(err.text, expected);
    free(file);

    /* A search directory reached through a link in a world-writable
     * directory: anyone could point the link elsewhere. */
    make_dir(base, "good", 0755);
    file = copy_good(base, "good/good.so", 0755);
    snprintf(path, sizeof path, "%s/ww/link", base);
    ck_assert_int_eq(symlink("../good", path), 0);
    tc_registry *reg = tc_registry_new();
    const char *dirs[] = {path};
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, dirs, 1, false), TC_OK);
    ck_assert_ptr_null(tc_registry_find(reg, "testfmt", &err));
    snprintf(expected, sizeof expected,
             "no module provides format 'testfmt'; 1 plugin file in the search path was "
             "refused, the first: plugin %s/good.so: refused: the directory %s/ww on its path "
             "is writable by anyone (mode 0777) and not sticky, so anyone could replace the "
             "plugin; fix it with chmod go-w %s/ww", path, base, base);
    ck_assert_str_eq(err.text, expected);
    tc_registry_free(reg);
    /* The same module through a link in a good directory loads, named
     * after the file the link leads to. */
    make_dir(base, "links", 0755);
    snprintf(path, sizeof path, "%s/links/testfmt.so", base);
    ck_assert_int_eq(symlink(file, path), 0);
    reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_load_file(reg, path, &err), TC_OK);
    ck_assert_str_eq(tc_registry_format_module(reg, 0)->name, "good");
    ck_assert_str_eq(tc_registry_format_path(reg, 0), path);
    tc_registry_free(reg);
    free(file);

    /* A group-writable file, and a group-writable directory. */
    make_dir(base, "gfile", 0755);
    file = copy_good(base, "gfile/good.so", 0775);
    ck_assert_int_eq(load_path(file, &err), TC_ERR_PLUGIN);
    snprintf(expected, sizeof expected,
             "plugin %s: refused: the file %s is writable by its group (mode 0775), so its "
             "group could change the code threadconv would run; fix it with chmod g-w %s",
             file, file, file);
    ck_assert_str_eq(err.text, expected);
    free(file);
    make_dir(base, "gdir", 0775);
    file = copy_good(base, "gdir/good.so", 0755);
    ck_assert_int_eq(load_path(file, &err), TC_ERR_PLUGIN);
    snprintf(expected, sizeof expected,
             "plugin %s: refused: the directory %s/gdir on its path is writable by its group "
             "(mode 0775) and not sticky, so its group could replace the plugin; fix it with "
             "chmod g-w %s/gdir", file, base, base);
    ck_assert_str_eq(err.text, expected);
    free(file);

    /* A file owned by another user in a sticky directory (like /tmp):
     * sticky protects it from everyone but its owner, who is not trusted.
     * Changing a file's owner needs root (CI runs the suite as root). */
    if (geteuid() == 0) {
        make_dir(base, "sticky", 01777);
        file = copy_good(base, "sticky/good.so", 0755);
        ck_assert_int_eq(chown(file, 65534, (gid_t)-1), 0);
        ck_assert_int_eq(load_path(file, &err), TC_ERR_PLUGIN);
        snprintf(expected, sizeof expected,
                 "plugin %s: refused: the file %s is owned by uid 65534, not by root (who runs "
                 "threadconv), so that user could change the code threadconv would run; "
                 "change its owner or move the plugin", file, file);
        ck_assert_str_eq(err.text, expected);
        free(file);
    } else {
        fprintf(stderr, "test_loader: not root: a file owned by another user is not tried\n");
    }
    remove_dir(base);
}
END_TEST

/* An ordinary build tree under /tmp (sticky and world-writable, the rest
 * ours and 0755) loads, as make check needs. */
START_TEST(a_build_tree_under_tmp_loads)
{
    char *base = scratch_dir();
    make_dir(base, "build", 0755);
    make_dir(base, "build/plugins", 0755);
    char *file = copy_good(base, "build/plugins/good.so", 0755);
    tc_error err;
    ck_assert_int_eq(load_path(file, &err), TC_OK);
    free(file);
    remove_dir(base);
}
END_TEST

/* A relative file or search directory would be looked up in whatever the
 * current directory is: refused. */
START_TEST(relative_paths_are_refused)
{
    char *dir = dir_with("testfmt.so", "good.so");
    char old[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(old, sizeof old));
    ck_assert_int_eq(chdir(dir), 0);
    tc_error err;
    ck_assert_int_eq(load_path("./testfmt.so", &err), TC_ERR_PLUGIN);
    ck_assert_str_eq(err.text, "plugin ./testfmt.so: refused: a relative path is looked up in "
                               "the current directory; name the file by an absolute path");

    tc_registry *reg = tc_registry_new();
    const char *dirs[] = {"."};
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, dirs, 1, false), TC_OK);
    ck_assert_ptr_null(tc_registry_find(reg, "testfmt", &err));
    ck_assert_int_eq(err.code, TC_ERR_PLUGIN);
    ck_assert_str_eq(err.text, "plugin directory . from --plugin-dir: refused: a relative "
                               "directory is looked up in the current directory; name it by "
                               "an absolute path");
    /* Loading everything reports it as a refusal and goes on. */
    ck_assert_uint_eq(tc_registry_load_all(reg, NULL, NULL), 1);
    ck_assert_uint_eq(tc_registry_count(reg), 0);
    tc_registry_free(reg);

    setenv("THREADCONV_PLUGIN_PATH", "/nonexistent:sub/..", 1);
    reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, NULL, 0, true), TC_OK);
    ck_assert_ptr_null(tc_registry_find(reg, "testfmt", &err));
    ck_assert_str_eq(err.text, "plugin directory sub/.. from THREADCONV_PLUGIN_PATH: refused: "
                               "a relative directory is looked up in the current directory; "
                               "name it by an absolute path");
    tc_registry_free(reg);
    unsetenv("THREADCONV_PLUGIN_PATH");
    ck_assert_int_eq(chdir(old), 0);
    remove_dir(dir);
}
END_TEST

/* The file checked is the file loaded: it is opened through the
 * descriptor of the file checked (where /proc is mounted), and a descriptor
 * number used again by a later load never brings back an earlier module. */
START_TEST(the_file_checked_is_the_file_loaded)
{
    char *good = test_plugin("good.so"), *leaky = test_plugin("leaky.so");
    tc_error err;
    tc_registry *reg = tc_registry_new();
    ck_assert_int_eq(tc_registry_load_file(reg, good, &err), TC_OK);
    Dl_info info;
    ck_assert_int_ne(dladdr(tc_registry_format(reg, 0)->name, &info), 0);
    struct stat st;
    if (stat("/proc/self/fd", &st) == 0)
        ck_assert_msg(strncmp(info.dli_fname, "/proc/self/fd/", 14) == 0,
                      "loaded as %s", info.dli_fname);
    tc_registry_free(reg);
    for (int round = 0; round < 2; round++) {
        reg = tc_registry_new();
        ck_assert_int_eq(tc_registry_load_file(reg, leaky, &err), TC_OK);
        ck_assert_str_eq(tc_registry_format_module(reg, 0)->name, "leaky");
        tc_registry_free(reg);
        reg = tc_registry_new();
        ck_assert_int_eq(tc_registry_load_file(reg, good, &err), TC_OK);
        ck_assert_str_eq(tc_registry_format_module(reg, 0)->name, "good");
        tc_registry_free(reg);
    }
    free(good);
    free(leaky);
}
END_TEST

START_TEST(load_all_reports_each_refusal)
{
    /* The test plugin folder holds good plugins and broken ones. */
    tc_registry *reg = tc_registry_new();
    const char *dirs[] = {tu_env_dir("THREADCONV_TEST_PLUGINS")};
    ck_assert_int_eq(tc_registry_add_search_dirs(reg, dirs, 1, false), TC_OK);
    size_t refused = tc_registry_load_all(reg, NULL, NULL);
    /* abi1, bad_flags, bad_magic, bad_major, bad_size, good (its testfmt
     * is already dup_name's, which sorts first, in the same folder: the
     * whole module is refused), missing_callback, newer_minor, no_descriptor */
    ck_assert_uint_eq(refused, 9);
    /* dir_writer, dup_name, leaky, tree_reader: in file name order */
    ck_assert_uint_eq(tc_registry_count(reg), 4);
    ck_assert_str_eq(tc_registry_format(reg, 0)->name, "testdir");
    ck_assert_str_eq(tc_registry_format(reg, 1)->name, "testfmt");
    ck_assert_str_eq(tc_registry_format_module(reg, 1)->name, "dup_name");
    ck_assert_str_eq(tc_registry_format(reg, 2)->name, "leaky");
    ck_assert_str_eq(tc_registry_format(reg, 3)->name, "testtree");
    tc_registry_free(reg);
}
END_TEST

START_TEST(probe_picks_the_sure_reader)
{
    tc_registry *reg = tc_registry_new();
    char *good = test_plugin("good.so");
    tc_error err;
    ck_assert_int_eq(tc_registry_load_file(reg, good, &err), TC_OK);
    static const unsigned char yes[] = "TESTFMT\nline\n";
    ck_assert_ptr_eq(tc_probe(reg, yes, sizeof yes - 1, "x", &err), tc_registry_format(reg, 0));
    static const unsigned char no[] = "something else\n";
    ck_assert_ptr_null(tc_probe(reg, no, sizeof no - 1, "in.txt", &err));
    ck_assert_int_eq(err.code, TC_ERR_USAGE);
    ck_assert_str_eq(err.text, "cannot tell the input format; choose one with -f: testfmt");
    ck_assert_ptr_null(tc_probe(reg, no, 0, "empty.txt", &err));
    ck_assert_int_eq(err.code, TC_ERR_DATA);
    free(good);
    tc_registry_free(reg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, good_plugin_loads);
    tcase_add_test(tc, wrong_major_is_refused_with_both_versions);
    tcase_add_test(tc, wrong_magic_is_refused);
    tcase_add_test(tc, wrong_size_is_refused);
    tcase_add_test(tc, missing_callback_is_refused);
    tcase_add_test(tc, abi1_plugins_are_refused_with_what_to_do);
    tcase_add_test(tc, newer_minor_is_refused);
    tcase_add_test(tc, unknown_flags_are_refused);
    tcase_add_test(tc, plugin_symbols_stay_local);
    tcase_add_test(tc, missing_descriptor_is_refused);
    tcase_add_test(tc, dlopen_failure_shows_dlerror);
    tcase_add_test(tc, duplicate_name_is_refused);
    tcase_add_test(tc, search_order_first_match_wins);
    tcase_add_test(tc, current_directory_is_never_searched);
    tcase_add_test(tc, load_all_reports_each_refusal);
    tcase_add_test(tc, world_writable_plugins_are_refused);
    tcase_add_test(tc, plugins_others_can_change_are_refused);
    tcase_add_test(tc, a_build_tree_under_tmp_loads);
    tcase_add_test(tc, relative_paths_are_refused);
    tcase_add_test(tc, the_file_checked_is_the_file_loaded);
    tcase_add_test(tc, probe_picks_the_sure_reader);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
