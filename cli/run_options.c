/* Option parsing for `run` with getopt_long. '+' stops at the first non-option, so the target's
 * own options are never taken for ours even without "--". */
#include "run_options.h"

#include "duration.h"

#include "gate_status.h"
#include "options.h"
#include "run_label.h"
#include "suggest.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHILDREN_TIMEOUT 10.0
#define MAX_CHILDREN_TIMEOUT     86400.0

/* The shim's defaults, from its table of options (detector/options.inc): --exitcode defaults to
 * the shim's exitcode, and the help quotes its linger_ms. */
static const struct tl__config *shim_defaults(void)
{
    static struct tl__config cfg; /* large: paths */
    static bool ready;
    if (!ready) {
        options_defaults(&cfg);
        ready = true;
    }
    return &cfg;
}

enum long_only {
    OPT_JSON = 256,
    OPT_EXITCODE,
    OPT_LINGER_MS,
    OPT_MODE,
    OPT_COLOR,
    OPT_KEEP_REPORTS,
    OPT_CHILDREN_TIMEOUT,
    OPT_FAIL_ON,
    OPT_TIMEOUT,
    OPT_HTTP,
    OPT_DUMP_LISTENER,
    OPT_LOCKS,
    OPT_JUNIT,
    OPT_SARIF,
    OPT_SOURCE_ROOT,
    OPT_LABEL,
    OPT_SUPPRESSIONS,
    OPT_VERBOSITY,
    OPT_BASELINE,
    OPT_WRITE_BASELINE,
};

static const struct option long_options[] = {
    {"json", required_argument, NULL, OPT_JSON},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"sarif", required_argument, NULL, OPT_SARIF},
    {"source-root", required_argument, NULL, OPT_SOURCE_ROOT},
    {"label", required_argument, NULL, OPT_LABEL},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"write-baseline", required_argument, NULL, OPT_WRITE_BASELINE},
    {"exitcode", required_argument, NULL, OPT_EXITCODE},
    {"linger-ms", required_argument, NULL, OPT_LINGER_MS},
    {"mode", required_argument, NULL, OPT_MODE},
    {"color", required_argument, NULL, OPT_COLOR},
    {"keep-reports", required_argument, NULL, OPT_KEEP_REPORTS},
    {"children-timeout", required_argument, NULL, OPT_CHILDREN_TIMEOUT},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"http", required_argument, NULL, OPT_HTTP},
    {"dump-listener", no_argument, NULL, OPT_DUMP_LISTENER},
    {"locks", no_argument, NULL, OPT_LOCKS},
    {"suppressions", required_argument, NULL, OPT_SUPPRESSIONS},
    {"verbosity", required_argument, NULL, OPT_VERBOSITY},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void run_options_usage(FILE *out)
{
    const struct tl__config *shim = shim_defaults();
    fprintf(out,
            "Usage: threadleak run [options] -- PROG [ARGS...]\n"
            "\n"
            "Runs PROG (and every process it starts) with the threadleak shim preloaded, then\n"
            "prints one report of the threads that were still running or never joined at exit.\n"
            "A clean run prints nothing.\n"
            "\n"
            "Options:\n"
            "  --json FILE             also write the merged JSON report to FILE ('-' = stdout)\n"
            "  --junit FILE            also write JUnit XML to FILE: one test case per process\n"
            "  --sarif FILE            also write SARIF 2.1.0 to FILE, for code scanning\n"
            "  --source-root DIR       SARIF paths are relative to DIR (default: the working\n"
            "                          directory)\n"
            "  --label NAME            tag every report of this run with NAME (a CI shard, a\n"
            "                          step): processes[].label in JSON, JUnit test case names\n"
            "  --baseline FILE         fail only on findings not in FILE (known ones are counted\n"
            "                          and listed, not failed; see docs/cli.md)\n"
            "  --write-baseline FILE   record every finding of this run in FILE\n"
            "  --exitcode N            exit status when threads leaked and PROG exited 0\n"
            "                          (0..255, default %d; 0 = report only)\n"
            "  --linger-ms N           how long each process waits at exit for running threads\n"
            "                          to finish (0..%u; default: the shim's, %u)\n"
            "  --mode all|tsan         all: running and finished-unjoined threads leak;\n"
            "                          tsan: only finished-unjoined ones (default: all)\n"
            "  --color auto|always|never  colour the report (auto: when stderr is a terminal)\n"
            "  --keep-reports DIR      keep the per-process reports, in a new subdirectory of\n"
            "                          DIR for this run (printed); see 'threadleak merge'\n"
            "  --children-timeout S    after PROG exits, wait up to S seconds for the processes\n"
            "                          it left running (default 10)\n"
            "  --locks                 preload the lock module (libthreadleak-locks.so) instead:\n"
            "                          deadlocks, lock-order inversions and pthread misuse are\n"
            "                          reported too, and a live deadlock ends its process\n"
            "  --fail-on LIST          which findings fail the run: all, none, or a comma list\n"
            "                          of leaks, races (any ThreadSanitizer report), memory\n"
            "                          (any AddressSanitizer or LeakSanitizer report),\n"
            "                          deadlocks, lock-order, misuse (default: all)\n"
            "  --timeout DURATION      when PROG runs longer (e.g. 500ms, 30s, 2m), print a\n"
            "                          thread dump of every process, kill them, exit 124\n"
            "  --http HOST:PORT        the live endpoint in every process (loopback only;\n"
            "                          port 0 picks a free one); see docs/endpoint.md\n"
            "  --dump-listener         let `threadleak dump PID` ask any process of the run for\n"
            "                          a thread dump (one extra thread per process; implied by\n"
            "                          --timeout and --http)\n"
            "  --suppressions FILE     a ThreadSanitizer-syntax suppressions file for every\n"
            "                          process (the shim's suppressions=; docs/options.md)\n"
            "  --verbosity N           0..3: how much each process says about what threadleak\n"
            "                          does (the shim's verbosity=; default 0)\n"
            "  -q, --quiet             print no report (warnings and errors still go to stderr)\n"
            "  -h, --help              show this help\n"
            "\n"
            "Exit status: PROG's own (128+N when signal N killed it); %d (or --exitcode) when\n"
            "threads leaked, a sanitizer reported, or locks were taken in both orders or\n"
            "misused (see --fail-on) and PROG exited 0, or with the status TSan or LSan put in\n"
            "its place after findings; 68 when a process deadlocked and PROG exited 0, or when\n"
            "PROG's own process deadlocked, whatever status followed (the abort that ended it\n"
            "included); 2 for a usage error; 125 when threadleak itself failed; 126 when PROG\n"
            "cannot be run under the shim; 127 when it is not found or not executable; 124\n"
            "when --timeout expired; 67 when PROG exited 0 and a process that started under\n"
            "the shim delivered no report (it could not write it after setuid or chroot, was\n"
            "killed, or executed a static program): the gate fails closed and names each one.\n"
            "The user's THREADLEAK_OPTIONS, TSAN_OPTIONS, ASAN_OPTIONS and LSAN_OPTIONS are\n"
            "passed on. See docs/cli.md.\n",
            shim->exitcode, TL__OPTION_MS_MAX, shim->linger_ms, shim->exitcode);
}

const struct option *run_options_table(void)
{
    return long_options;
}

static int usage_error(FILE *err, const char *fmt, const char *what)
{
    fputs("threadleak run: ", err);
    fprintf(err, fmt, what);
    fputs("\nTry 'threadleak run --help'.\n", err);
    return TL_STATUS_USAGE;
}

/* An unknown long option names the nearest known one, if any is close (suggest.h). */
static int unknown_long_option(FILE *err, const char *arg)
{
    char hint[96], message[512];
    suggest_option_hint(arg, long_options, hint, sizeof hint);
    snprintf(message, sizeof message, "unknown option '%s'%s", arg, hint);
    return usage_error(err, "%s", message);
}

/* --suppressions FILE: made absolute, so that a process that changed directory still finds it,
 * and checked now rather than in every process. One run parses once, so one buffer serves. */
static int apply_suppressions(const char *arg, struct tl__run_options *o, FILE *err)
{
    static char path[PATH_MAX];
    if (!realpath(arg, path))
        return usage_error(err, "--suppressions '%s': no such file", arg);
    o->suppressions = path;
    return 0;
}

static bool parse_long(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max || text[0] == ' ' || text[0] == '+')
        return false;
    *out = v;
    return true;
}

static bool parse_seconds(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < 0 || v > MAX_CHILDREN_TIMEOUT)
        return false;
    *out = v;
    return true;
}

/* Applies one option; returns 0 or TL_STATUS_USAGE. */
static int apply_option(int opt, const char *arg, struct tl__run_options *o, FILE *err)
{
    long n;
    switch (opt) {
    case OPT_JSON:
        o->json_path = arg;
        return 0;
    case OPT_JUNIT:
        o->junit_path = arg;
        return 0;
    case OPT_SARIF:
        o->sarif_path = arg;
        return 0;
    case OPT_SOURCE_ROOT:
        o->source_root = arg;
        return 0;
    case OPT_LABEL:
        if (!run_label_valid(arg))
            return usage_error(err,
                               "--label '%s': expected 1..128 bytes of UTF-8 without control "
                               "characters",
                               arg);
        o->label = arg;
        return 0;
    case OPT_BASELINE:
        o->baseline = arg;
        return 0;
    case OPT_WRITE_BASELINE:
        o->baseline_out = arg;
        return 0;
    case OPT_EXITCODE:
        if (!parse_long(arg, 0, 255, &n))
            return usage_error(err, "--exitcode '%s': expected an integer 0..255", arg);
        o->exitcode = (int)n;
        return 0;
    case OPT_LINGER_MS:
        /* The range linger_ms takes in THREADLEAK_OPTIONS, where the value goes. */
        if (!parse_long(arg, 0, TL__OPTION_MS_MAX, &o->linger_ms)) {
            char fmt[64];
            snprintf(fmt, sizeof fmt, "--linger-ms '%%s': expected an integer 0..%u",
                     TL__OPTION_MS_MAX);
            return usage_error(err, fmt, arg);
        }
        return 0;
    case OPT_MODE:
        if (strcmp(arg, "all") != 0 && strcmp(arg, "tsan") != 0)
            return usage_error(err, "--mode '%s': expected all or tsan", arg);
        o->mode = arg;
        return 0;
    case OPT_COLOR:
        if (strcmp(arg, "auto") == 0)
            o->color = TL_RUN_COLOR_AUTO;
        else if (strcmp(arg, "always") == 0)
            o->color = TL_RUN_COLOR_ALWAYS;
        else if (strcmp(arg, "never") == 0)
            o->color = TL_RUN_COLOR_NEVER;
        else
            return usage_error(err, "--color '%s': expected auto, always or never", arg);
        return 0;
    case OPT_KEEP_REPORTS:
        o->keep_reports = arg;
        return 0;
    case OPT_CHILDREN_TIMEOUT:
        if (!parse_seconds(arg, &o->children_timeout))
            return usage_error(err, "--children-timeout '%s': expected seconds, 0..86400", arg);
        return 0;
    case OPT_FAIL_ON:
        if (gate_parse_fail_on(arg, &o->fail_on) != 0)
            return usage_error(err,
                               "--fail-on '%s': expected all, none, or a comma list of leaks, "
                               "races, memory, deadlocks, lock-order and misuse, each at most once",
                               arg);
        return 0;
    case OPT_TIMEOUT:
        if (!duration_parse(arg, &o->timeout))
            return usage_error(err, "--timeout '%s': expected a duration such as 500ms, 30s or 2m",
                               arg);
        o->dump_listener = true; /* the dump before the kill needs it */
        return 0;
    case OPT_HTTP:
        o->http = arg;
        return 0;
    case OPT_DUMP_LISTENER:
        o->dump_listener = true;
        return 0;
    case OPT_LOCKS:
        o->locks = true;
        return 0;
    case OPT_SUPPRESSIONS:
        return apply_suppressions(arg, o, err);
    case OPT_VERBOSITY:
        /* The range verbosity= takes in THREADLEAK_OPTIONS (detector/options.c). */
        if (!parse_long(arg, 0, 3, &n))
            return usage_error(err, "--verbosity '%s': expected an integer 0..3", arg);
        o->verbosity = arg;
        return 0;
    case 'q':
        o->quiet = true;
        return 0;
    case 'h':
        o->help = true;
        return 0;
    }
    return TL_STATUS_USAGE;
}

int run_options_parse(int argc, char **argv, struct tl__run_options *o, FILE *err)
{
    *o = (struct tl__run_options){.exitcode = shim_defaults()->exitcode,
                                  .linger_ms = -1,
                                  .fail_on = TL_FAIL_ON_DEFAULT,
                                  .children_timeout = DEFAULT_CHILDREN_TIMEOUT};
    opterr = 0;
    optind = 0; /* 0 makes glibc re-initialise, so that parsing twice (tests) works */
    for (;;) {
        int opt = getopt_long(argc, argv, "+:qh", long_options, NULL);
        if (opt == -1)
            break;
        const char *arg = argv[optind - 1];
        if (opt == '?')
            return optopt ? usage_error(err, "unknown option '-%c'", (char[]){(char)optopt, 0})
                          : unknown_long_option(err, arg);
        if (opt == ':')
            return usage_error(err, "option '%s' needs a value", arg);
        int rc = apply_option(opt, optarg, o, err);
        if (rc != 0)
            return rc;
        if (o->help)
            return 0;
    }
    if (optind >= argc)
        return usage_error(err, "%s",
                           "no program given: threadleak run [options] -- PROG [ARGS...]");
    o->prog_argv = argv + optind;
    return 0;
}
