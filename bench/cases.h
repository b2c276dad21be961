/* What the benchmark harness runs: a case is a base command and the subjects judged against it.
 * Adding a case means adding one entry to the table in cases.c; nothing else changes. */
#ifndef THREADLEAK_BENCH_CASES_H
#define THREADLEAK_BENCH_CASES_H

#include <stddef.h>

/* How a subject's median is judged against the base's median (or alone). */
enum bench_judge {
    JUDGE_INFO,     /* reported for comparison only, never a MISS */
    JUDGE_RATIO,    /* subject / base <= target */
    JUDGE_DELTA,    /* subject - base <= target, in the case's unit */
    JUDGE_ABSOLUTE, /* subject <= target, in the case's unit; the base is only shown */
};

/* One program run. In argv and env, {bin} is the directory of the bench programs, {shim} the
 * path of libthreadleak.so and {nproc} the number of online CPUs. Every word that then starts
 * with '/' (argv or env value) must exist, and a bare argv[0] must be on PATH; otherwise the
 * command is unavailable and its row says "pending" or "skipped" instead of failing. */
struct bench_command {
    const char *label;  /* the row's name: "native", "shim", "tsan-clang" */
    const char *argv;   /* space-separated words, no quoting */
    const char *env;    /* space-separated NAME=VALUE words added to the environment, or NULL */
    const char *metric; /* the program prints `metric=VALUE` on stdout; NULL = process wall ms */
};

struct bench_subject {
    struct bench_command cmd;
    enum bench_judge judge;
    double target;
};

#define BENCH_MAX_SUBJECTS 8

struct bench_case {
    const char *id;
    const char *what;
    const char *unit; /* of every metric in the case: "µs/pair", "ms", "KiB/thread" */
    /* Must exit 0 for the case to run, else every row is "pending": a feature that is not built
     * yet. NULL = always run. */
    const struct bench_command *probe;
    unsigned min_runs; /* cheap cases run more often than --runs for a steadier median */
    /* Expensive comparison-only cases: at most this many timed rounds and no warm-up round (their
     * programs warm up inside). 0 = no cap. */
    unsigned max_runs;
    struct bench_command base;
    struct bench_subject subjects[BENCH_MAX_SUBJECTS]; /* ends at the first NULL cmd.label */
};

extern const struct bench_case bench_cases[];
extern const size_t bench_case_count;

#endif
