/* What a bench run found: per case, one row per command, judged against the targets. */
#ifndef THREADLEAK_BENCH_RESULTS_H
#define THREADLEAK_BENCH_RESULTS_H

#include "cases.h"

#include <stdbool.h>
#include <stdio.h>

struct summary {
    double median, min, max; /* NAN when there are no samples */
};

struct row_result {
    const struct bench_command *cmd;
    bool is_base;
    enum bench_judge judge; /* JUDGE_INFO for the base */
    double target;
    /* "base", "PASS", "MISS", "info", "pending", "skipped" or "ERROR"; NULL while still runnable */
    const char *status;
    double value;   /* what the judge compared: ratio, difference or median; NAN if nothing */
    double vs_base; /* median / base median, NAN when either is missing */
    char note[320];
    size_t runs; /* samples taken */
    double *metric_samples;
    double *wall_samples;
    double *cpu_samples; /* user + system: less disturbed than wall time by other load */
    long max_rss_kib;    /* highest over the runs */
    struct summary metric, wall, cpu;
};

struct case_result {
    const struct bench_case *spec;
    size_t row_count;
    struct row_result rows[1 + BENCH_MAX_SUBJECTS]; /* rows[0] is the base */
};

struct machine {
    char date[64];
    char cpu[128];
    long nproc;
    char kernel[200];
    char libc[64];
    const char *toolchain; /* compiler and tool versions, as the build passed them */
    char load_before[64];  /* /proc/loadavg: other work on the machine skews every number */
    char load_after[64];
};

/* judge.c */
void bench_summarize(const double *samples, size_t n, struct summary *out);
/* Sets status and value of every row still runnable, from the rows' samples. */
void bench_judge_case(struct case_result *c);
/* A judged row (target set) that missed or failed. */
bool bench_row_fails(const struct row_result *row);

/* machine.c */
void bench_machine_describe(struct machine *m, const char *toolchain);
/* The first three fields of /proc/loadavg, or "unknown". */
void bench_machine_load(char *out, size_t len);

/* report.c */
void bench_print_table(FILE *out, bool header, const struct case_result *cases, size_t n);
/* analysis_path: a hand-written Markdown file appended verbatim, or NULL. */
bool bench_write_markdown(const char *path, const char *analysis_path, const struct machine *m,
                          unsigned runs, const struct case_result *cases, size_t n);
bool bench_write_json(const char *path, const struct machine *m, unsigned runs,
                      const struct case_result *cases, size_t n);

#endif
