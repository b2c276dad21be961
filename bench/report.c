/* Writes the judged rows three ways: a table on stdout, bench/RESULTS.md and results.json. */
#include "results.h"

#include <math.h>
#include <string.h>

enum {
    COL_CASE,
    COL_VARIANT,
    COL_UNIT,
    COL_MEDIAN,
    COL_SPREAD,
    COL_WALL,
    COL_CPU,
    COL_VS_BASE,
    COL_RESULT,
    COL_TARGET,
    COL_STATUS,
    COL_COUNT
};

static const char *const column_titles[COL_COUNT] = {
    "case",   "variant", "unit",   "median", "min–max", "process ms",
    "cpu ms", "vs base", "judged", "target", "status",
};
static const int column_widths[COL_COUNT] = {8, 16, 12, 9, 17, 11, 9, 9, 10, 9, 8};

struct cells {
    char text[COL_COUNT][96];
};

static void put_number(char *out, size_t len, double v)
{
    if (isnan(v))
        snprintf(out, len, "–");
    else if (fabs(v) >= 1e4) /* no exponents for long runs */
        snprintf(out, len, "%.0f", v);
    else
        snprintf(out, len, "%.4g", v);
}

static void put_judged(char *out, size_t len, const struct row_result *row)
{
    out[0] = '\0';
    if (isnan(row->value) || row->is_base)
        return;
    if (row->judge == JUDGE_RATIO)
        snprintf(out, len, "%.3f×", row->value);
    else if (row->judge == JUDGE_DELTA)
        snprintf(out, len, "%+.3g", row->value);
    else if (row->judge == JUDGE_ABSOLUTE)
        snprintf(out, len, "%.3g", row->value);
}

static void put_target(char *out, size_t len, const struct row_result *row)
{
    if (row->is_base || row->judge == JUDGE_INFO)
        snprintf(out, len, " ");
    else if (row->judge == JUDGE_RATIO)
        snprintf(out, len, "≤ %g×", row->target);
    else if (row->judge == JUDGE_DELTA)
        snprintf(out, len, "≤ %+g", row->target);
    else
        snprintf(out, len, "≤ %g", row->target);
}

static void fill_cells(struct cells *c, const struct case_result *cr, const struct row_result *row)
{
    char lo[32], hi[32];
    snprintf(c->text[COL_CASE], sizeof c->text[0], "%s", cr->spec->id);
    snprintf(c->text[COL_VARIANT], sizeof c->text[0], "%s", row->cmd->label);
    snprintf(c->text[COL_UNIT], sizeof c->text[0], "%s", cr->spec->unit);
    put_number(c->text[COL_MEDIAN], sizeof c->text[0], row->metric.median);
    put_number(lo, sizeof lo, row->metric.min);
    put_number(hi, sizeof hi, row->metric.max);
    snprintf(c->text[COL_SPREAD], sizeof c->text[0], "%s", row->runs ? lo : "–");
    if (row->runs)
        snprintf(c->text[COL_SPREAD] + strlen(lo), sizeof c->text[0] - strlen(lo), "–%s", hi);
    put_number(c->text[COL_WALL], sizeof c->text[0], row->wall.median);
    put_number(c->text[COL_CPU], sizeof c->text[0], row->cpu.median);
    c->text[COL_VS_BASE][0] = '\0';
    if (!row->is_base && !isnan(row->vs_base))
        snprintf(c->text[COL_VS_BASE], sizeof c->text[0], "%.3g×", row->vs_base);
    put_judged(c->text[COL_RESULT], sizeof c->text[0], row);
    put_target(c->text[COL_TARGET], sizeof c->text[0], row);
    snprintf(c->text[COL_STATUS], sizeof c->text[0], "%s", row->status ? row->status : "?");
}

/* Pads by characters, not bytes: the cells hold UTF-8 (µ, ×, ≤, –). */
static void put_padded(FILE *out, const char *text, int width)
{
    int chars = 0;
    for (const char *p = text; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    fputs(text, out);
    for (; chars < width; chars++)
        fputc(' ', out);
}

static void print_notes(FILE *out, const struct case_result *cases, size_t n, const char *bullet)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < cases[i].row_count; r++)
            if (cases[i].rows[r].note[0]) {
                fprintf(out, "%s%s / %s: %s\n", bullet, cases[i].spec->id,
                        cases[i].rows[r].cmd->label, cases[i].rows[r].note);
                any = true;
            }
    if (!any && bullet[0] == '-')
        fprintf(out, "%snone\n", bullet);
}

void bench_print_table(FILE *out, bool header, const struct case_result *cases, size_t n)
{
    struct cells c;
    for (int col = 0; header && col < COL_COUNT; col++)
        put_padded(out, column_titles[col], column_widths[col]);
    if (header)
        fputc('\n', out);
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < cases[i].row_count; r++) {
            fill_cells(&c, &cases[i], &cases[i].rows[r]);
            for (int col = 0; col < COL_COUNT; col++)
                put_padded(out, c.text[col], column_widths[col]);
            fputc('\n', out);
        }
    print_notes(out, cases, n, "  ");
}

static void write_markdown_table(FILE *out, const struct case_result *cases, size_t n)
{
    struct cells c;
    fputs("|", out);
    for (int col = 0; col < COL_COUNT; col++)
        fprintf(out, " %s |", column_titles[col]);
    fputs("\n|", out);
    for (int col = 0; col < COL_COUNT; col++)
        fputs("---|", out);
    fputc('\n', out);
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < cases[i].row_count; r++) {
            const struct row_result *row = &cases[i].rows[r];
            fill_cells(&c, &cases[i], row);
            if (!row->is_base && row->judge != JUDGE_INFO) /* the verdicts stand out */
                snprintf(c.text[COL_STATUS], sizeof c.text[0], "**%s**", row->status);
            fputs("|", out);
            for (int col = 0; col < COL_COUNT; col++)
                fprintf(out, " %s |", c.text[col]);
            fputc('\n', out);
        }
}

static void write_case_list(FILE *out, const struct case_result *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "- **%s**: %s.", cases[i].spec->id, cases[i].spec->what);
        for (size_t r = 0; r < cases[i].row_count; r++) {
            const struct bench_command *cmd = cases[i].rows[r].cmd;
            fprintf(out, " %s: `%s%s%s`;", cmd->label, cmd->env ? cmd->env : "",
                    cmd->env ? " " : "", cmd->argv);
        }
        fputc('\n', out);
    }
}

/* The hand-written analysis (causes of misses, measured floors) survives regeneration this way. */
static void copy_file_into(FILE *out, const char *path)
{
    FILE *in = fopen(path, "r");
    char buf[4096];
    size_t got;
    if (!in)
        return;
    fputc('\n', out);
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, got, out);
    fclose(in);
}

bool bench_write_markdown(const char *path, const char *analysis_path, const struct machine *m,
                          unsigned runs, const struct case_result *cases, size_t n)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return false;
    fprintf(out, "# threadleak benchmark results\n\n");
    fprintf(out, "Generated by `cmake --build <build> --target bench` (bench/harness.c) on %s.\n\n",
            m->date);
    fprintf(out, "| machine | |\n|---|---|\n| CPU | %s, %ld online CPUs |\n| kernel | %s |\n",
            m->cpu, m->nproc, m->kernel);
    fprintf(out, "| libc | %s |\n| tools | %s |\n", m->libc, m->toolchain);
    fprintf(out,
            "| load average | %s before, %s after (other work on the machine skews timings) |\n",
            m->load_before, m->load_after);
    fprintf(out,
            "| method | %u timed runs per command after one warm-up (more for cheap cases, fewer "
            "for P4-10k), "
            "base and subjects alternating; ratios and differences of medians |\n\n",
            runs);
    fprintf(out, "## Results\n\n");
    write_markdown_table(out, cases, n);
    fprintf(out, "\n`median` is the case's metric (in-process where the program prints one, "
                 "else the whole process); `process ms` is fork to reaped, measured by the "
                 "harness, and `cpu ms` that process's user + system time; `vs base` divides the "
                 "medians.\n\n## Notes\n\n");
    print_notes(out, cases, n, "- ");
    fprintf(out, "\n## Cases\n\n");
    write_case_list(out, cases, n);
    if (analysis_path)
        copy_file_into(out, analysis_path);
    return fclose(out) == 0;
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void json_number(FILE *out, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", out);
    else
        fprintf(out, "%.6g", v);
}

static void json_samples(FILE *out, const double *samples, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", out);
        json_number(out, samples[i]);
    }
    fputc(']', out);
}

static const char *judge_name(enum bench_judge judge)
{
    static const char *const names[] = {"info", "ratio", "delta", "absolute"};
    return names[judge];
}

static void json_row(FILE *out, const struct row_result *row)
{
    fputs("        {\"variant\": ", out);
    json_string(out, row->cmd->label);
    fputs(", \"argv\": ", out);
    json_string(out, row->cmd->argv);
    fputs(", \"env\": ", out);
    json_string(out, row->cmd->env);
    fputs(", \"metric\": ", out);
    json_string(out, row->cmd->metric ? row->cmd->metric : "wall_ms");
    fprintf(out, ",\n         \"base\": %s, \"judge\": \"%s\", \"target\": ",
            row->is_base ? "true" : "false", judge_name(row->judge));
    json_number(out, row->is_base || row->judge == JUDGE_INFO ? NAN : row->target);
    fputs(", \"status\": ", out);
    json_string(out, row->status);
    fputs(", \"value\": ", out);
    json_number(out, row->value);
    fputs(", \"vs_base\": ", out);
    json_number(out, row->vs_base);
    fputs(",\n         \"median\": ", out);
    json_number(out, row->metric.median);
    fputs(", \"min\": ", out);
    json_number(out, row->metric.min);
    fputs(", \"max\": ", out);
    json_number(out, row->metric.max);
    fputs(", \"wall_ms_median\": ", out);
    json_number(out, row->wall.median);
    fputs(", \"cpu_ms_median\": ", out);
    json_number(out, row->cpu.median);
    fprintf(out, ", \"max_rss_kib\": %ld,\n         \"samples\": ", row->max_rss_kib);
    json_samples(out, row->metric_samples, row->runs);
    fputs(", \"wall_ms\": ", out);
    json_samples(out, row->wall_samples, row->runs);
    fputs(", \"cpu_ms\": ", out);
    json_samples(out, row->cpu_samples, row->runs);
    fputs(", \"note\": ", out);
    json_string(out, row->note);
    fputs("}", out);
}

bool bench_write_json(const char *path, const struct machine *m, unsigned runs,
                      const struct case_result *cases, size_t n)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return false;
    fputs("{\n  \"date\": ", out);
    json_string(out, m->date);
    fputs(",\n  \"machine\": {\"cpu\": ", out);
    json_string(out, m->cpu);
    fprintf(out, ", \"nproc\": %ld, \"kernel\": ", m->nproc);
    json_string(out, m->kernel);
    fputs(", \"libc\": ", out);
    json_string(out, m->libc);
    fputs(", \"tools\": ", out);
    json_string(out, m->toolchain);
    fputs(", \"load_before\": ", out);
    json_string(out, m->load_before);
    fputs(", \"load_after\": ", out);
    json_string(out, m->load_after);
    fprintf(out, "},\n  \"runs\": %u,\n  \"cases\": [\n", runs);
    for (size_t i = 0; i < n; i++) {
        fputs("    {\"id\": ", out);
        json_string(out, cases[i].spec->id);
        fputs(", \"what\": ", out);
        json_string(out, cases[i].spec->what);
        fputs(", \"unit\": ", out);
        json_string(out, cases[i].spec->unit);
        fputs(", \"rows\": [\n", out);
        for (size_t r = 0; r < cases[i].row_count; r++) {
            json_row(out, &cases[i].rows[r]);
            fputs(r + 1 < cases[i].row_count ? ",\n" : "\n", out);
        }
        fprintf(out, "      ]}%s\n", i + 1 < n ? "," : "");
    }
    fputs("  ]\n}\n", out);
    return fclose(out) == 0;
}
