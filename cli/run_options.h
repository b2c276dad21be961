/* The command line of `threadleak run [options] -- PROG [ARGS...]`. */
#ifndef THREADLEAK_CLI_RUN_OPTIONS_H
#define THREADLEAK_CLI_RUN_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define TL_STATUS_USAGE 2 /* a bad command line or THREADLEAK_OPTIONS */

enum tl__run_color { TL_RUN_COLOR_AUTO, TL_RUN_COLOR_ALWAYS, TL_RUN_COLOR_NEVER };

struct tl__run_options {
    const char *json_path;    /* --json FILE ("-" = stdout); NULL when not given */
    const char *junit_path;   /* --junit FILE: JUnit XML; NULL when not given */
    const char *sarif_path;   /* --sarif FILE: SARIF 2.1.0; NULL when not given */
    const char *source_root;  /* --source-root DIR for SARIF's paths; NULL: working directory */
    const char *label;        /* --label NAME: tags every report of the run; NULL when not given */
    const char *baseline;     /* --baseline FILE: known findings; NULL when not given */
    const char *baseline_out; /* --write-baseline FILE; NULL when not given */
    int exitcode;             /* --exitcode N, default the shim's exitcode (options.inc) */
    long linger_ms;           /* --linger-ms N; -1 when not given */
    const char *mode;         /* --mode all|tsan; NULL when not given */
    enum tl__run_color color; /* --color */
    const char *keep_reports; /* --keep-reports DIR; NULL when not given */
    double children_timeout;  /* --children-timeout S, default 10 */
    unsigned fail_on;         /* --fail-on: enum tl__fail_on bits (gate_status.h), default all */
    double timeout;           /* --timeout DURATION in seconds: dump, then kill; 0 = none */
    const char *http;         /* --http HOST:PORT: the live endpoint; NULL when not given */
    const char *suppressions; /* --suppressions FILE, made absolute; NULL when not given */
    const char *verbosity;    /* --verbosity N, checked to be 0..3; NULL when not given */
    bool quiet;               /* -q/--quiet */
    bool dump_listener;       /* --dump-listener, or implied by --timeout */
    bool locks;               /* --locks: preload the lock module (libthreadleak-locks.so) */
    bool help;                /* --help: print run_options_usage and exit 0 */
    char **prog_argv;         /* PROG and its arguments, NULL-terminated; points into argv */
};

/* Parses argv, where argv[0] is "run". Returns 0, or TL_STATUS_USAGE after printing a one-line
 * error and a hint to err. Stops at "--" or at the first argument that is no option. */
int run_options_parse(int argc, char **argv, struct tl__run_options *o, FILE *err);

/* getopt_long's table of run's long options, ending in a zero entry: for suggestions and for
 * the test that `run --help` names every one. */
const struct option *run_options_table(void);

/* The `threadleak run --help` text. */
void run_options_usage(FILE *out);

#endif
