/* Running one bench command once and measuring it. */
#ifndef THREADLEAK_BENCH_RUN_H
#define THREADLEAK_BENCH_RUN_H

#include "cases.h"

#include <stdbool.h>

struct run_setup {
    const char *bin_dir; /* {bin} */
    const char *shim;    /* {shim} */
    const char *log_dir; /* each run's stdout/stderr land in LOG_DIR/<name>.out and .err */
    unsigned timeout_s;  /* SIGALRM for a run that hangs */
};

struct run_sample {
    double metric;  /* the value the program printed, or wall_ms when it prints none */
    double wall_ms; /* fork to reaped, measured by the harness */
    double cpu_ms;  /* user + system time of the process, from wait4 */
    long max_rss_kib;
};

/* True when every file the command names exists (see struct bench_command). Otherwise writes
 * which one is missing into why. */
bool bench_command_available(const struct bench_command *cmd, const struct run_setup *setup,
                             char *why, size_t why_len);

/* Runs cmd once with a clean environment (no inherited LD_PRELOAD, THREADLEAK_OPTIONS or
 * TSAN_OPTIONS) plus cmd->env. Returns false, with a reason in why, if it could not start, did
 * not exit 0 or did not print its metric. log_name names the log files. */
bool bench_command_run(const struct bench_command *cmd, const struct run_setup *setup,
                       const char *log_name, struct run_sample *out, char *why, size_t why_len);

#endif
