/* bench harness: runs every case in cases.c, base and subjects alternating, judges the medians
 * against the targets and writes the results. Exits 1 when a target is missed or a judged
 * program fails, 2 on bad usage.
 *
 * usage: harness --bin DIR [--shim SO] [--out DIR] [--results MD] [--analysis MD] [--runs N]
 *                [--warmup N] [--only ID,...] [--timeout S] [--tools TEXT] [--list] */
#define _GNU_SOURCE
#include "results.h"
#include "run.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct harness_options {
    struct run_setup setup;
    const char *out_dir;
    const char *results_md;
    const char *analysis_md;
    const char *only;
    const char *tools;
    unsigned runs;
    unsigned warmup;
    bool list;
    bool progress; /* a round counter, only on a terminal */
};

static int usage(void)
{
    fprintf(stderr, "usage: harness --bin DIR [--shim SO] [--out DIR] [--results MD] "
                    "[--analysis MD] [--runs N] [--warmup N] [--only ID,...] [--timeout S] "
                    "[--tools TEXT] [--list]\n");
    return 2;
}

static bool parse_options(int argc, char **argv, struct harness_options *o)
{
    static const struct option longopts[] = {
        {"bin", required_argument, 0, 'b'},      {"shim", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},      {"results", required_argument, 0, 'r'},
        {"analysis", required_argument, 0, 'a'}, {"runs", required_argument, 0, 'n'},
        {"warmup", required_argument, 0, 'w'},   {"only", required_argument, 0, 'O'},
        {"timeout", required_argument, 0, 't'},  {"tools", required_argument, 0, 'T'},
        {"list", no_argument, 0, 'l'},           {0, 0, 0, 0},
    };
    *o = (struct harness_options){
        .setup.timeout_s = 120, .out_dir = "bench-out", .runs = 7, .warmup = 1};
    for (int ch; (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'b':
            o->setup.bin_dir = optarg;
            break;
        case 's':
            o->setup.shim = optarg;
            break;
        case 'o':
            o->out_dir = optarg;
            break;
        case 'r':
            o->results_md = optarg;
            break;
        case 'a':
            o->analysis_md = optarg;
            break;
        case 'n':
            o->runs = (unsigned)atoi(optarg);
            break;
        case 'w':
            o->warmup = (unsigned)atoi(optarg);
            break;
        case 'O':
            o->only = optarg;
            break;
        case 't':
            o->setup.timeout_s = (unsigned)atoi(optarg);
            break;
        case 'T':
            o->tools = optarg;
            break;
        case 'l':
            o->list = true;
            break;
        default:
            return false;
        }
    }
    return optind == argc && (o->list || (o->setup.bin_dir && o->runs > 0));
}

/* --only P4 selects P4-1k and P4-10k; P1 selects P1 alone, not P1b-2. */
static bool case_selected(const char *id, const char *only)
{
    if (!only)
        return true;
    char *list = strdup(only), *save = NULL;
    bool selected = false;
    for (char *item = strtok_r(list, ",", &save); item && !selected;
         item = strtok_r(NULL, ",", &save)) {
        size_t len = strlen(item);
        selected = strncmp(id, item, len) == 0 && (id[len] == '\0' || id[len] == '-');
    }
    free(list);
    return selected;
}

static void init_row(struct row_result *row, const struct bench_command *cmd, bool is_base,
                     enum bench_judge judge, double target, unsigned runs)
{
    *row = (struct row_result){.cmd = cmd,
                               .is_base = is_base,
                               .judge = judge,
                               .target = target,
                               .value = NAN,
                               .vs_base = NAN};
    row->metric_samples = calloc(runs, sizeof(double));
    row->wall_samples = calloc(runs, sizeof(double));
    row->cpu_samples = calloc(runs, sizeof(double));
}

static void init_case(struct case_result *c, const struct bench_case *spec, unsigned runs)
{
    c->spec = spec;
    c->row_count = 0;
    init_row(&c->rows[c->row_count++], &spec->base, true, JUDGE_INFO, 0, runs);
    for (size_t i = 0; i < BENCH_MAX_SUBJECTS && spec->subjects[i].cmd.label; i++) {
        const struct bench_subject *s = &spec->subjects[i];
        init_row(&c->rows[c->row_count++], &s->cmd, false, s->judge, s->target, runs);
    }
}

/* An unavailable program is not a failure: the feature or the tool is not there yet. */
static void mark_unavailable(struct row_result *row, const char *why)
{
    bool judged = !row->is_base && row->judge != JUDGE_INFO;
    row->status = judged ? "pending" : "skipped";
    snprintf(row->note, sizeof row->note, "%s: %s", row->status, why);
}

static bool probe_passes(const struct bench_case *spec, const struct harness_options *o, char *why,
                         size_t why_len)
{
    struct run_sample ignored;
    char log_name[128];
    snprintf(log_name, sizeof log_name, "%s.probe", spec->id);
    return !spec->probe ||
           (bench_command_available(spec->probe, &o->setup, why, why_len) &&
            bench_command_run(spec->probe, &o->setup, log_name, &ignored, why, why_len));
}

static void check_availability(struct case_result *c, const struct harness_options *o)
{
    char why[256];
    if (!probe_passes(c->spec, o, why, sizeof why)) {
        for (size_t r = 0; r < c->row_count; r++) {
            c->rows[r].status = "pending";
            snprintf(c->rows[r].note, sizeof c->rows[r].note, "pending: probe %s failed (%s)",
                     c->spec->probe->argv, why);
        }
        return;
    }
    for (size_t r = 0; r < c->row_count; r++)
        if (!bench_command_available(c->rows[r].cmd, &o->setup, why, sizeof why))
            mark_unavailable(&c->rows[r], why);
}

/* One run of one row; a failing program is run no more and reported with the reason. */
static void run_row(struct row_result *row, const char *case_id, const struct harness_options *o,
                    bool keep)
{
    struct run_sample sample = {0};
    char log_name[128], why[256];
    snprintf(log_name, sizeof log_name, "%s.%s", case_id, row->cmd->label);
    if (!bench_command_run(row->cmd, &o->setup, log_name, &sample, why, sizeof why)) {
        row->status = "ERROR";
        snprintf(row->note, sizeof row->note, "%s", why);
        return;
    }
    if (sample.max_rss_kib > row->max_rss_kib)
        row->max_rss_kib = sample.max_rss_kib;
    if (keep) {
        row->metric_samples[row->runs] = sample.metric;
        row->wall_samples[row->runs] = sample.wall_ms;
        row->cpu_samples[row->runs] = sample.cpu_ms;
        row->runs++;
    }
}

/* Rounds of base, subject 1, subject 2, ...: slow drifts of the machine hit every row alike. */
static void run_case(struct case_result *c, const struct harness_options *o, unsigned runs)
{
    unsigned warmup = c->spec->max_runs ? 0 : o->warmup;
    check_availability(c, o);
    for (unsigned round = 0; round < warmup + runs; round++) {
        if (o->progress)
            fprintf(stderr, "\r%-8s round %u/%u%s", c->spec->id, round + 1, warmup + runs,
                    round < warmup ? " (warm-up)" : "          ");
        for (size_t r = 0; r < c->row_count; r++)
            if (!c->rows[r].status)
                run_row(&c->rows[r], c->spec->id, o, round >= warmup);
    }
    if (o->progress)
        fprintf(stderr, "\r%-40s\r", "");
    bench_judge_case(c);
}

static void list_cases(void)
{
    for (size_t i = 0; i < bench_case_count; i++)
        printf("%-8s %s\n", bench_cases[i].id, bench_cases[i].what);
}

/* realpath when the file exists; a missing one keeps its name and shows up as missing. */
static const char *absolute_path(const char *path, char *buf)
{
    return realpath(path, buf) ? buf : path;
}

static bool make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static bool write_outputs(const struct harness_options *o, const char *load_before,
                          const struct case_result *cases, size_t n)
{
    struct machine m;
    char json[4096];
    bench_machine_describe(&m, o->tools);
    snprintf(m.load_before, sizeof m.load_before, "%s", load_before);
    snprintf(json, sizeof json, "%s/results.json", o->out_dir);
    bool ok = bench_write_json(json, &m, o->runs, cases, n);
    if (o->results_md)
        ok = bench_write_markdown(o->results_md, o->analysis_md, &m, o->runs, cases, n) && ok;
    printf("\nwrote %s%s%s\n", json, o->results_md ? " and " : "",
           o->results_md ? o->results_md : "");
    return ok;
}

int main(int argc, char **argv)
{
    struct harness_options o;
    char log_dir[4096], default_shim[4096], bin_abs[PATH_MAX], shim_abs[PATH_MAX];
    if (!parse_options(argc, argv, &o))
        return usage();
    o.progress = isatty(2);
    if (o.list) {
        list_cases();
        return 0;
    }
    if (!o.setup.shim) {
        snprintf(default_shim, sizeof default_shim, "%s/../lib/libthreadleak.so", o.setup.bin_dir);
        o.setup.shim = default_shim;
    }
    /* Absolute, so that a missing program or shim is noticed (see struct bench_command). */
    o.setup.bin_dir = absolute_path(o.setup.bin_dir, bin_abs);
    o.setup.shim = absolute_path(o.setup.shim, shim_abs);
    snprintf(log_dir, sizeof log_dir, "%s/logs", o.out_dir);
    o.setup.log_dir = log_dir;
    if (!make_dir(o.out_dir) || !make_dir(log_dir)) {
        fprintf(stderr, "harness: cannot create %s: %s\n", log_dir, strerror(errno));
        return 2;
    }
    struct case_result *cases = calloc(bench_case_count, sizeof *cases);
    size_t n = 0;
    bool failed = false;
    char load_before[64];
    bench_machine_load(load_before, sizeof load_before);
    for (size_t i = 0; i < bench_case_count; i++) {
        const struct bench_case *spec = &bench_cases[i];
        if (!case_selected(spec->id, o.only))
            continue;
        unsigned runs = o.runs > spec->min_runs ? o.runs : spec->min_runs;
        if (spec->max_runs && runs > spec->max_runs)
            runs = spec->max_runs;
        init_case(&cases[n], spec, runs);
        run_case(&cases[n], &o, runs);
        bench_print_table(stderr, false, &cases[n], 1); /* progress; the full table follows */
        n++;
    }
    printf("\n");
    bench_print_table(stdout, true, cases, n);
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < cases[i].row_count; r++)
            failed |= bench_row_fails(&cases[i].rows[r]);
    if (!write_outputs(&o, load_before, cases, n))
        fprintf(stderr, "harness: could not write the results\n");
    printf("%s\n", failed ? "bench: a target was missed or a judged program failed"
                          : "bench: every judged target met (pending rows aside)");
    return failed ? 1 : 0;
}
