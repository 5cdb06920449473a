/* main.c - the threadconv command: parse the command line, set up the
 * plugin search path, run one conversion, map its status to an exit code. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "batch.h"
#include "cleanup.h"
#include "exits.h"

#include <threadconv/convert.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *program = "threadconv";

static void usage(FILE *f)
{
    fprintf(f,
"Usage: threadconv [-f FORMAT] -t FORMAT [-o OUTPUT] [OPTION...] [INPUT...]\n"
"       threadconv [-f FORMAT] -t FORMAT --output-dir DIR [-j N] INPUT...\n"
"       threadconv --list | --describe FORMAT | --version | --help\n"
"\n"
"Convert forum-thread and mail archives between formats.  Reads each INPUT\n"
"(standard input when there is none, or for \"-\") and writes one archive\n"
"holding all their threads, in order, to OUTPUT (standard output by default).\n"
"\n"
"Options:\n"
"  -f, --from FORMAT       input format; without it each input's first bytes\n"
"                          decide (if no reader is sure, the choices are listed)\n"
"  -t, --to FORMAT         output format (required)\n"
"  -o, --output FILE       write FILE (\"-\" for standard output).  The file is\n"
"                          written under a temporary name beside it and renamed\n"
"                          into place only when the whole conversion succeeded,\n"
"                          so a failure never leaves a partial file or clobbers\n"
"                          an existing one; a replaced file keeps its mode,\n"
"                          owner and group; through a symlink, the link's\n"
"                          target is written (the link stays)\n"
"      --output-dir DIR    batch mode: convert each INPUT to its own file in DIR,\n"
"                          named after the input with the writer's extension\n"
"                          (a.txt -> DIR/a.json); a failed file does not stop\n"
"                          the others and all failures are listed at the end;\n"
"                          the exit status is that of the first failed input\n"
"  -j, --jobs N            with --output-dir, N conversions at a time (default 1);\n"
"                          a progress line shows on a terminal unless -q\n"
"  -O, --option FORMAT.KEY=VALUE\n"
"                          pass an option to a plugin (e.g. -O json.pretty=true);\n"
"                          unknown keys and bad values are refused with the list\n"
"                          of valid ones\n"
"      --pretty            indented output (the writer's pretty option)\n"
"      --keep-going        skip a bad post or message (when its reader can go on)\n"
"                          with a warning naming it, finish the rest, count the\n"
"                          skipped ones at the end; exit status 5 says so\n"
"      --limit NAME=SIZE   raise or lower a cap readers enforce: max-post (one\n"
"                          post, default 64M), max-line (one line, default 64M),\n"
"                          max-depth (nesting, default 1000); K, M, G suffixes\n"
"      --plugin-dir DIR    look for plugins in DIR (an absolute path) first\n"
"                          (repeatable)\n"
"  -q, --quiet             do not print warnings\n"
"      --list              list the formats: r = can read, w = can write\n"
"      --describe FORMAT   show a plugin's file, version, license, ABI,\n"
"                          capabilities and options\n"
"      --version           print the version and exit\n"
"  -h, --help              print this help and exit\n"
"\n"
"Plugins are searched, first match winning, in: each --plugin-dir, then each\n"
"directory of THREADCONV_PLUGIN_PATH (colon-separated), then\n"
"%s.  The current directory is never searched unless named.\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  bad input data (not valid for its format, unreadable, or empty)\n"
"  2  usage error (bad option, unknown format, ambiguous input format)\n"
"  3  plugin or loading error (plugin refused, missing, or misbehaving)\n"
"  4  output error (write failed, disk full, cannot create the file)\n"
"  5  finished, but --keep-going skipped bad posts (the output lacks them)\n"
"\n"
"Examples:\n"
"  threadconv -t json thread.txt                 mumsnet text to JSON\n"
"  threadconv -f mumsnet -t jsonl -o out.jsonl a.txt b.txt\n"
"  cat thread.txt | threadconv -t json --pretty\n",
            tc_registry_default_dir());
}

static void report(const char *prefix, const tc_error *e)
{
    char line[sizeof e->text + sizeof e->source + 64];
    tc_error_format(e, line, sizeof line);
    fprintf(stderr, "%s: %s%s\n", program, prefix, line);
}

static void print_warning(void *user, const tc_error *w)
{
    (void)user;
    report("warning: ", w);
}

static int cmp_plugins(const void *a, const void *b)
{
    return strcmp((*(const tc_format *const *)a)->name, (*(const tc_format *const *)b)->name);
}

static int list_formats(tc_registry *reg)
{
    tc_registry_load_all(reg, print_warning, NULL);
    size_t n = tc_registry_count(reg);
    const tc_format **sorted = calloc(n ? n : 1, sizeof *sorted);
    if (sorted == NULL)
        return EXIT_DATA;
    for (size_t i = 0; i < n; i++)
        sorted[i] = tc_registry_format(reg, i);
    qsort(sorted, n, sizeof *sorted, cmp_plugins);
    for (size_t i = 0; i < n; i++) {
        const tc_format *p = sorted[i];
        const char *mode = p->read_open && p->write_open ? "rw" : p->read_open ? "r" : "w";
        printf("%-12s %-3s %s\n", p->name, mode, p->description);
    }
    if (n == 0)
        fprintf(stderr, "%s: no plugins found; set THREADCONV_PLUGIN_PATH or use --plugin-dir\n",
                program);
    free(sorted);
    return n ? 0 : EXIT_PLUGIN;
}

static const char *type_name(tc_option_type t)
{
    switch (t) {
    case TC_OPT_BOOL: return "bool";
    case TC_OPT_INT: return "int";
    case TC_OPT_STRING: return "string";
    case TC_OPT_ENUM: return "enum";
    }
    return "?";
}

/* Everything the core knows about one plugin, like gst-inspect. */
static int describe_format(tc_registry *reg, const char *name)
{
    tc_error err;
    const tc_format *p = tc_registry_find(reg, name, &err);
    if (p == NULL) {
        report("", &err);
        return err.code == TC_ERR_USAGE ? EXIT_USAGE : EXIT_PLUGIN;
    }
    const char *path = "?";
    const tc_module *m = NULL;
    for (size_t i = 0; i < tc_registry_count(reg); i++)
        if (tc_registry_format(reg, i) == p) {
            path = tc_registry_format_path(reg, i);
            m = tc_registry_format_module(reg, i);
        }
    printf("Format:        %s\n", p->name);
    printf("Description:   %s\n", p->description);
    if (p->url)
        printf("URL:           %s\n", p->url);
    if (m) {
        printf("Module:        %s (", m->name);
        for (size_t i = 0; i < m->n_formats; i++)
            printf("%s%s", i ? ", " : "formats: ",
                   ((const tc_format *)((const unsigned char *)m->formats +
                                        i * m->format_size))->name);
        printf(")\n");
        printf("File:          %s\n", path);
        printf("Version:       %s\n", m->version);
        printf("License:       %s\n", m->license);
        if (m->url)
            printf("Module URL:    %s\n", m->url);
        printf("Plugin ABI:    %u.%u (this threadconv: %d.%d)\n", m->abi_major, m->abi_minor,
               TC_ABI_MAJOR, TC_ABI_MINOR);
    }
    printf("Capabilities:  %s%s%s%s%s\n", p->read_open ? "read" : "",
           p->read_open && (p->read_probe || p->read_probe_tree) ? " (detects its input)" : "",
           p->read_open && p->write_open ? ", " : "", p->write_open ? "write" : "",
           p->write_open && (p->flags & TC_FORMAT_WRITES_DIRECTORY) ? " (a directory: -o DIR)"
                                                                     : "");
    if (p->write_open)
        printf("Attachments:   %s\n", p->flags & TC_FORMAT_WRITES_ATTACHMENTS
                                          ? "written"
                                          : "not written (dropped with a warning)");
    if (p->read_open && (p->flags & TC_FORMAT_READS_TREE))
        printf("Input:         a file, a folder, a .zip or a .tar(.gz)\n");
    if (p->read_open)
        printf("UTF-8 checks:  %s\n", p->flags & TC_FORMAT_READS_UTF8
                                          ? "by the reader (with line and column)"
                                          : "by threadconv, on what the reader returns");
    if (p->extension)
        printf("Extension:     .%s\n", p->extension);
    if (p->options == NULL || p->options[0].name == NULL) {
        printf("Options:       none\n");
        return 0;
    }
    printf("Options (-O %s.KEY=VALUE):\n", p->name);
    for (const tc_option_decl *o = p->options; o->name; o++) {
        printf("  %s.%s", p->name, o->name);
        if (o->type == TC_OPT_ENUM) {
            printf("=");
            for (const char *const *v = o->enum_values; v && *v; v++)
                printf("%s%s", v == o->enum_values ? "" : "|", *v);
        } else {
            printf("=<%s>", type_name(o->type));
        }
        printf("  (default: %s)\n      %s\n",
               o->default_value && *o->default_value ? o->default_value
               : o->type == TC_OPT_BOOL ? "false" : o->type == TC_OPT_INT ? "0" : "empty",
               o->help ? o->help : "");
    }
    return 0;
}

/* Split FORMAT.KEY=VALUE in place (arg is argv's own string). */
static bool parse_option(char *arg, tc_option_value *out)
{
    char *eq = strchr(arg, '=');
    char *dot = strchr(arg, '.');
    if (eq == NULL || dot == NULL || dot > eq || dot == arg || dot + 1 == eq)
        return false;
    *dot = '\0';
    *eq = '\0';
    out->format = arg;
    out->key = dot + 1;
    out->value = eq + 1;
    return true;
}

/* What the command line asks for. */
typedef struct cli_args {
    tc_convert_spec spec;
    const char **dirs;        /* --plugin-dir, in order */
    size_t n_dirs;
    tc_option_value *options; /* -O, and --pretty's */
    size_t n_options;
    bool list, quiet, pretty;
    const char *describe;
    cli_batch batch;
} cli_args;

static int usage_error(const char *fmt, ...) TC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

/* The value of -j or --limit into a; 0, or the exit status of a bad one. */
static int parse_value(int c, const char *arg, cli_args *a)
{
    if (c == 'j') {
        char *end;
        long j = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || j < 1 || j > 1024)
            return usage_error("-j expects a number of jobs from 1 to 1024, not '%s'", arg);
        a->batch.jobs = (unsigned)j;
        return 0;
    }
    tc_limit which;
    size_t value;
    tc_error err;
    if (tc_limit_parse(arg, &which, &value, &err) != TC_OK)
        return usage_error("%s", err.text);
    a->spec.limits[which] = value;
    return 0;
}

/* Parse the options into a.  Returns -1 to go on, else the exit status
 * (0 after --help or --version). */
static int parse_args(int argc, char **argv, cli_args *a)
{
    enum { OPT_LIST = 256, OPT_VERSION, OPT_PLUGIN_DIR, OPT_PRETTY, OPT_DESCRIBE,
           OPT_OUTPUT_DIR, OPT_LIMIT, OPT_KEEP_GOING };
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"output", required_argument, NULL, 'o'},
        {"option", required_argument, NULL, 'O'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"list", no_argument, NULL, OPT_LIST},
        {"version", no_argument, NULL, OPT_VERSION},
        {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
        {"pretty", no_argument, NULL, OPT_PRETTY},
        {"describe", required_argument, NULL, OPT_DESCRIBE},
        {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
        {"jobs", required_argument, NULL, 'j'},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"keep-going", no_argument, NULL, OPT_KEEP_GOING},
        {NULL, 0, NULL, 0},
    };
    int c, status;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:t:o:O:j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': a->spec.reader = optarg; break;
        case 't': a->spec.writer = optarg; break;
        case 'o': a->spec.output = optarg; break;
        case 'O':
            if (!parse_option(optarg, &a->options[a->n_options]))
                return usage_error("-O expects FORMAT.KEY=VALUE (e.g. -O json.pretty=true), "
                                   "not '%s'", optarg);
            a->n_options++;
            break;
        case 'q': a->quiet = true; break;
        case 'h': usage(stdout); return 0;
        case OPT_LIST: a->list = true; break;
        case OPT_VERSION:
            printf("threadconv %s (plugin ABI %d.%d)\n", tc_version(), TC_ABI_MAJOR,
                   TC_ABI_MINOR);
            return 0;
        case OPT_PLUGIN_DIR: a->dirs[a->n_dirs++] = optarg; break;
        case OPT_PRETTY: a->pretty = true; break;
        case OPT_DESCRIBE: a->describe = optarg; break;
        case OPT_OUTPUT_DIR: a->batch.output_dir = optarg; break;
        case OPT_KEEP_GOING: a->spec.keep_going = true; break;
        case OPT_LIMIT:
        case 'j':
            if ((status = parse_value(c, optarg, a)) != 0)
                return status;
            break;
        case ':':
            return usage_error("option %s needs a value (see --help)", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    return -1;
}

/* The conversion the arguments ask for: one output, or batch mode. */
static int convert(tc_registry *reg, cli_args *a, int argc, char **argv)
{
    tc_convert_spec *spec = &a->spec;
    if (a->pretty) {
        a->options[a->n_options].format = spec->writer;
        a->options[a->n_options].key = "pretty";
        a->options[a->n_options].value = "true";
        a->n_options++;
    }
    spec->inputs = (const char *const *)(argv + optind);
    spec->n_inputs = (size_t)(argc - optind);
    spec->options = a->options;
    spec->n_options = a->n_options;
    spec->warn = a->quiet ? NULL : print_warning;
    spec->temp_file = cli_temp_note;
    spec->temp_files = cli_temp_files;
    cli_catch_signals();
    if (a->batch.output_dir && spec->output)
        return usage_error("give either -o or --output-dir, not both");
    if (a->batch.output_dir) {
        a->batch.progress = !a->quiet && isatty(STDERR_FILENO);
        return cli_batch_run(reg, spec, &a->batch);
    }
    tc_error err;
    size_t skipped = 0;
    spec->skipped = &skipped;
    int rc = tc_convert(reg, spec, &err);
    if (rc != TC_OK)
        report("", &err);
    int status = cli_exit_status(rc);
    if (skipped) {
        fprintf(stderr, "%s: skipped %zu bad post%s (--keep-going); %s\n", program,
                skipped, skipped == 1 ? "" : "s",
                rc == TC_OK ? "the output holds everything else" : "then failed");
        if (status == 0)
            status = EXIT_SKIPPED;
    }
    return status;
}

int main(int argc, char **argv)
{
    cli_args a = {.batch = {.jobs = 1}};
    a.dirs = calloc((size_t)argc, sizeof *a.dirs);
    a.options = calloc((size_t)argc + 1, sizeof *a.options);
    int status;
    if (a.dirs == NULL || a.options == NULL) {
        fprintf(stderr, "%s: out of memory\n", program);
        status = EXIT_DATA;
    } else if ((status = parse_args(argc, argv, &a)) < 0) {
        tc_registry *reg = tc_registry_new();
        if (reg == NULL || tc_registry_add_search_dirs(reg, a.dirs, a.n_dirs, true) != TC_OK) {
            fprintf(stderr, "%s: out of memory\n", program);
            status = EXIT_DATA;
        } else if (a.list) {
            status = list_formats(reg);
        } else if (a.describe) {
            status = describe_format(reg, a.describe);
        } else if (a.spec.writer == NULL) {
            fprintf(stderr, "%s: no output format given; choose one with -t "
                            "(threadconv --list shows them)\n", program);
            status = EXIT_USAGE;
        } else {
            status = convert(reg, &a, argc, argv);
        }
        tc_registry_free(reg);
    }
    free(a.dirs);
    free(a.options);
    return status;
}
