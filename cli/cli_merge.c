/* `threadleak merge`: the reports that `threadleak run --keep-reports DIR` kept, each run in its
 * own subdirectory DIR/run.*, merged into one report as `run` prints it. Each argument is a run's
 * subdirectory, or a directory holding many (DIR itself): its reports, then those of each
 * subdirectory, by name. Only threadleak's per-process reports are read; TSan logs are not. */
#include "cli_merge.h"

#include "baseline_gate.h"
#include "ci_reports.h"
#include "cli_run.h"
#include "gate_status.h"
#include "options.h"
#include "report_dir.h"
#include "report_merge.h"
#include "run_options.h"
#include "suggest.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct merge_options {
    const char *json_path;    /* --json FILE ("-" = stdout); NULL when not given */
    struct tl__ci_outputs ci; /* --junit, --sarif, --source-root */
    const char *baseline;     /* --baseline FILE; NULL when not given */
    const char *baseline_out; /* --write-baseline FILE; NULL when not given */
    int exitcode;             /* --exitcode N, default the shim's exitcode */
    unsigned fail_on;         /* --fail-on, as run's: enum tl__fail_on bits */
    bool quiet;
    bool help;
};

static void usage(FILE *out, int exitcode)
{
    fprintf(out,
            "Usage: threadleak merge [options] DIR...\n"
            "\n"
            "Merges the reports that 'threadleak run --keep-reports' kept into one report, as\n"
            "'run' prints it. Each DIR is one run's directory (DIR/run.*, as run printed it) or\n"
            "a directory that holds many (the --keep-reports DIR itself): its reports and those\n"
            "of each of its subdirectories are read.\n"
            "\n"
            "Options:\n"
            "  --json FILE             also write the merged JSON report to FILE ('-' = stdout)\n"
            "  --junit FILE            also write JUnit XML to FILE: one test case per process\n"
            "  --sarif FILE            also write SARIF 2.1.0 to FILE, for code scanning\n"
            "  --source-root DIR       SARIF paths are relative to DIR (default: the working\n"
            "                          directory)\n"
            "  --baseline FILE         fail only on findings not in FILE, as for 'run'\n"
            "  --write-baseline FILE   record every finding of the reports in FILE\n"
            "  --exitcode N            exit status when threads leaked (0..255, default %d;\n"
            "                          0 = report only)\n"
            "  --fail-on LIST          which findings fail: all, none, or a comma list of\n"
            "                          leaks, races, deadlocks, lock-order, misuse, as for\n"
            "                          'run' (default: all; races: no TSan log is merged)\n"
            "  -q, --quiet             print no report (warnings and errors still go to stderr)\n"
            "  -h, --help              show this help\n"
            "\n"
            "Exit status: 0 when nothing failed; 68 when a process deadlocked; %d (or\n"
            "--exitcode) when threads leaked, locks were taken in both orders or misused; 2 for\n"
            "a usage error; 125 when a DIR cannot be read or --json cannot be written.\n",
            exitcode, exitcode);
}

static int usage_error(const char *fmt, const char *what)
{
    fputs("threadleak merge: ", stderr);
    fprintf(stderr, fmt, what);
    fputs("\nTry 'threadleak merge --help'.\n", stderr);
    return TL_STATUS_USAGE;
}

/* An unknown option, with the nearest of table when one is close (suggest.h). */
static int unknown_option(const char *arg, const struct option *table)
{
    char hint[96], message[512];
    suggest_option_hint(arg, table, hint, sizeof hint);
    snprintf(message, sizeof message, "unknown option '%s'%s", arg, hint);
    return usage_error("%s", message);
}

static int parse(int argc, char **argv, struct merge_options *o, int *first_dir)
{
    enum { OPT_JSON = 256, OPT_EXITCODE, OPT_FAIL_ON, OPT_JUNIT, OPT_SARIF, OPT_SOURCE_ROOT };
    enum { OPT_BASELINE = OPT_SOURCE_ROOT + 1, OPT_WRITE_BASELINE };
    static const struct option longopts[] = {
        {"json", required_argument, NULL, OPT_JSON},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"sarif", required_argument, NULL, OPT_SARIF},
        {"source-root", required_argument, NULL, OPT_SOURCE_ROOT},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"write-baseline", required_argument, NULL, OPT_WRITE_BASELINE},
        {"exitcode", required_argument, NULL, OPT_EXITCODE},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tl__config defaults;
    options_defaults(&defaults);
    *o = (struct merge_options){.exitcode = defaults.exitcode, .fail_on = TL_FAIL_ON_DEFAULT};
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1;) {
        char *end;
        long v;
        switch (c) {
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_JUNIT:
            o->ci.junit_path = optarg;
            break;
        case OPT_SARIF:
            o->ci.sarif_path = optarg;
            break;
        case OPT_SOURCE_ROOT:
            o->ci.source_root = optarg;
            break;
        case OPT_BASELINE:
            o->baseline = optarg;
            break;
        case OPT_WRITE_BASELINE:
            o->baseline_out = optarg;
            break;
        case OPT_EXITCODE:
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 0 || v > 255)
                return usage_error("--exitcode '%s': want 0..255", optarg);
            o->exitcode = (int)v;
            break;
        case OPT_FAIL_ON:
            if (gate_parse_fail_on(optarg, &o->fail_on) != 0)
                return usage_error("--fail-on '%s': want all, none, or a comma list of leaks, "
                                   "races, deadlocks, lock-order and misuse",
                                   optarg);
            break;
        case 'q':
            o->quiet = true;
            break;
        case 'h':
            o->help = true;
            return 0;
        case ':':
            return usage_error("%s needs a value", argv[optind - 1]);
        default:
            return unknown_option(argv[optind - 1], longopts);
        }
    }
    if (optind >= argc)
        return usage_error("%s", "no report directory given");
    *first_dir = optind;
    return 0;
}

struct dir_list {
    char **paths;
    size_t count, cap;
};

/* A run named twice (DIR and DIR/run.X) would count its processes twice: paths are compared
 * resolved. */
static int add_dir(struct dir_list *l, const char *path)
{
    char resolved[PATH_MAX];
    if (realpath(path, resolved))
        path = resolved;
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->paths[i], path) == 0)
            return 0;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **grown = realloc(l->paths, cap * sizeof *grown);
        if (!grown)
            return -1;
        l->paths = grown;
        l->cap = cap;
    }
    if (!(l->paths[l->count] = strdup(path)))
        return -1;
    l->count++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* arg's own reports, then each subdirectory's that holds any, by name. */
static int expand(struct dir_list *l, const char *arg)
{
    DIR *d = opendir(arg);
    if (!d) {
        fprintf(stderr, "threadleak: cannot read %s: %s\n", arg, strerror(errno));
        return -1;
    }
    int rc = report_dir_holds_reports(arg) ? add_dir(l, arg) : 0;
    size_t first_sub = l->count;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", arg, e->d_name) >= sizeof path ||
            stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || !report_dir_holds_reports(path))
            continue;
        rc = add_dir(l, path);
    }
    closedir(d);
    if (rc != 0)
        fprintf(stderr, "threadleak: out of memory\n");
    else if (l->count > first_sub + 1)
        qsort(l->paths + first_sub, l->count - first_sub, sizeof *l->paths, by_name);
    return rc;
}

static int merge_and_report(const struct merge_options *o, const struct dir_list *l,
                            struct tl__baseline_gate *baseline)
{
    struct tl__merge_result m;
    if (report_merge_dirs((const char *const *)l->paths, l->count, 0, NULL, &m) != 0) {
        fprintf(stderr, "threadleak: cannot read the reports: %s\n", strerror(errno));
        return TL_STATUS_TOOL_FAILED;
    }
    struct tl__baseline_known known; /* no sanitizer logs are merged: nothing to take off */
    bool baseline_failed = baseline_gate_apply(baseline, 0, &m, &known) != 0;
    fputs(m.warnings, stderr);
    if (m.processes == 0)
        fputs("threadleak: warning: no threadleak.PID.json report in the directories given\n",
              stderr);
    if (!o->quiet)
        fputs(m.text, stderr);
    /* run's verdict for a PROG that exited 0: no TSan logs, and no process to vouch for. */
    const struct tl__gate_outcome outcome = {
        .leaked = m.leaked_threads > 0,
        .fail_on = o->fail_on,
        .exitcode = o->exitcode,
        .deadlocks = m.locks.deadlocks,
        .lock_order = m.locks.lock_order,
        .misuse = m.locks.misuse,
    };
    int status = baseline_failed ? TL_STATUS_TOOL_FAILED : gate_final_status(&outcome);
    if (o->json_path && report_merge_write_json(o->json_path, m.json) != 0)
        status = TL_STATUS_TOOL_FAILED;
    struct tl__ci_outputs ci = o->ci;
    ci.fail_on = o->fail_on;
    if (ci_reports_write(&ci, &m) != 0)
        status = TL_STATUS_TOOL_FAILED;
    report_merge_free(&m);
    return status;
}

int cli_merge_main(int argc, char **argv)
{
    struct merge_options o;
    int first = 0;
    int status = parse(argc, argv, &o, &first);
    if (status != 0)
        return status;
    if (o.help) {
        usage(stdout, o.exitcode);
        return 0;
    }
    struct tl__baseline_gate baseline;
    status = baseline_gate_open(&baseline, o.baseline, o.baseline_out, o.ci.source_root);
    if (status != 0)
        return status;
    struct dir_list l = {0};
    for (int i = first; status == 0 && i < argc; i++)
        if (expand(&l, argv[i]) != 0)
            status = TL_STATUS_TOOL_FAILED;
    if (status == 0)
        status = merge_and_report(&o, &l, &baseline);
    baseline_gate_close(&baseline);
    for (size_t i = 0; i < l.count; i++)
        free(l.paths[i]);
    free(l.paths);
    return status;
}
