/* /debug/threads/growth as text: growth_report.h. */
#include "growth_report.h"

#include <inttypes.h>
#include <time.h>

static void write_time(FILE *out, int64_t unix_ms)
{
    time_t seconds = (time_t)(unix_ms / 1000);
    struct tm tm;
    char text[32] = "?";
    if (gmtime_r(&seconds, &tm))
        strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fputs(text, out);
}

static void write_site(FILE *out, const struct growth_site *s)
{
    if (s->file)
        fprintf(out, "%s:%d in %s", s->file, s->line, s->function);
    else
        fprintf(out, "%s", s->function);
}

static void write_group(FILE *out, const struct growth_group_view *g)
{
    fprintf(out, "%-9s %s, created at ", growth_trend_name(g->trend.trend), g->site.start_routine);
    write_site(out, &g->site);
    fprintf(out, ": %" PRIu32 " live (%" PRIu64 " created, %" PRIu64 " exited), %+.1f/hour\n",
            g->live, g->created_total, g->exited_total, g->trend.per_hour);
    if (g->nsamples == 0)
        return;
    fputs("          first sample ", out);
    write_time(out, g->t_ms[0]);
    fprintf(out, ": %" PRIu32 ", last ", g->counts[0]);
    write_time(out, g->t_ms[g->nsamples - 1]);
    fprintf(out, ": %" PRIu32 " (%zu samples)\n", g->counts[g->nsamples - 1], g->nsamples);
}

int growth_write_text(FILE *out, const struct growth_view *v)
{
    size_t growing = 0;
    for (size_t i = 0; i < v->ngroups; i++)
        growing += v->groups[i].trend.trend == GROWTH_GROWING;
    fprintf(out,
            "threadleak growth: %zu creation sites, %zu growing; a sample every %u ms, a window "
            "of %u s (%zu samples), %" PRIu64 " samples taken\n",
            v->ngroups, growing, v->sample_ms, v->window_s, v->max_samples, v->samples_taken);
    if (v->threads_unattributed)
        fprintf(out, "(%" PRIu64 " threads of sites past the first %zu are not counted)\n",
                v->threads_unattributed, v->max_groups);
    fputc('\n', out);
    for (size_t i = 0; i < v->ngroups; i++)
        write_group(out, &v->groups[i]);
    return ferror(out) ? -1 : 0;
}
