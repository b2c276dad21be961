/* Medians and spreads of the samples, and each row's verdict against its target. Ratios and
 * differences are always taken between medians, never between single runs. */
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_summarize(const double *samples, size_t n, struct summary *out)
{
    if (n == 0) {
        out->median = out->min = out->max = NAN;
        return;
    }
    double *sorted = malloc(n * sizeof *sorted);
    memcpy(sorted, samples, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    out->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    out->min = sorted[0];
    out->max = sorted[n - 1];
    free(sorted);
}

static bool base_usable(const struct row_result *base)
{
    return base->runs > 0 && base->status && strcmp(base->status, "base") == 0;
}

static const char *verdict(double value, double target)
{
    return value <= target ? "PASS" : "MISS";
}

static void judge_row(struct row_result *row, const struct row_result *base)
{
    bool have_base = base_usable(base);
    bool needs_base = row->judge == JUDGE_RATIO || row->judge == JUDGE_DELTA;
    if (needs_base && base->status && strcmp(base->status, "ERROR") == 0) {
        row->status = "ERROR"; /* a failing base must fail the bench too */
        snprintf(row->note, sizeof row->note, "the base failed, so nothing to compare with");
        return;
    }
    if (needs_base && !have_base) {
        row->status = "pending";
        snprintf(row->note, sizeof row->note, "no base measurement to compare with");
        return;
    }
    switch (row->judge) {
    case JUDGE_INFO:
        row->value = row->vs_base;
        row->status = "info";
        break;
    case JUDGE_RATIO:
        row->value = row->vs_base;
        row->status = verdict(row->value, row->target);
        break;
    case JUDGE_DELTA:
        row->value = row->metric.median - base->metric.median;
        row->status = verdict(row->value, row->target);
        break;
    case JUDGE_ABSOLUTE:
        row->value = row->metric.median;
        row->status = verdict(row->value, row->target);
        break;
    }
}

void bench_judge_case(struct case_result *c)
{
    for (size_t i = 0; i < c->row_count; i++) {
        struct row_result *row = &c->rows[i];
        bench_summarize(row->metric_samples, row->runs, &row->metric);
        bench_summarize(row->wall_samples, row->runs, &row->wall);
        bench_summarize(row->cpu_samples, row->runs, &row->cpu);
    }
    if (!c->rows[0].status)
        c->rows[0].status = "base";
    for (size_t i = 1; i < c->row_count; i++) {
        struct row_result *row = &c->rows[i];
        /* Also for a row that failed part-way: its ratio so far helps to find out why. */
        if (row->runs > 0 && base_usable(&c->rows[0]))
            row->vs_base = row->metric.median / c->rows[0].metric.median;
        if (!row->status)
            judge_row(row, &c->rows[0]);
    }
}

bool bench_row_fails(const struct row_result *row)
{
    return !row->is_base && row->judge != JUDGE_INFO &&
           (strcmp(row->status, "MISS") == 0 || strcmp(row->status, "ERROR") == 0);
}
