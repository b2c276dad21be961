/* The growth families of /metrics: growth_report.h. */
#include "growth_report.h"

#include "profile_metrics.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_OF(x)     #x
#define TEXT(x)        TEXT_OF(x)
#define MAX_SITES_TEXT TEXT(GROWTH_METRICS_MAX_SITES)

/* One label set: sites whose labels come out the same (no line information) are summed, so that
 * no series is written twice. */
struct series {
    const char *start_routine;
    char site[512];
    uint64_t live, created;
    bool growing;
};

static void site_label(const struct growth_site *s, char *out, size_t len)
{
    if (s->file)
        snprintf(out, len, "%s:%d", s->file, s->line);
    else
        snprintf(out, len, "%s", s->function);
}

/* The first GROWTH_METRICS_MAX_SITES label sets, in the view's order (growing first, then the
 * most live); returns how many, and in omitted how many sites were left out. */
static size_t collect(const struct growth_view *v, struct series *out, size_t *omitted)
{
    size_t n = 0;
    *omitted = 0;
    for (size_t i = 0; i < v->ngroups; i++) {
        const struct growth_group_view *g = &v->groups[i];
        char site[sizeof out->site];
        site_label(&g->site, site, sizeof site);
        size_t j = 0;
        while (j < n && !(strcmp(out[j].start_routine, g->site.start_routine) == 0 &&
                          strcmp(out[j].site, site) == 0))
            j++;
        if (j == n) {
            if (n == GROWTH_METRICS_MAX_SITES) {
                (*omitted)++;
                continue;
            }
            out[n] = (struct series){.start_routine = g->site.start_routine};
            memcpy(out[n].site, site, sizeof site);
            n++;
        }
        out[j].live += g->live;
        out[j].created += g->created_total;
        out[j].growing |= g->trend.trend == GROWTH_GROWING;
    }
    return n;
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void labels(FILE *out, const char *name, const struct series *s)
{
    fprintf(out, "%s{start_routine=\"", name);
    profile_metrics_write_label_value(out, s->start_routine);
    fputs("\",site=\"", out);
    profile_metrics_write_label_value(out, s->site);
    fputs("\"} ", out);
}

int growth_write_metrics(FILE *out, const struct growth_view *v)
{
    struct series *s = calloc(GROWTH_METRICS_MAX_SITES, sizeof *s);
    if (!s)
        return -1;
    size_t omitted;
    size_t n = collect(v, s, &omitted);
    family(out, "threadleak_threads_by_site", "gauge",
           "Threads not yet released (running, or finished and not joined) by start routine and "
           "creation site (file:line), at the latest growth sample.");
    for (size_t i = 0; i < n; i++) {
        labels(out, "threadleak_threads_by_site", &s[i]);
        fprintf(out, "%" PRIu64 "\n", s[i].live);
    }
    family(out, "threadleak_threads_created_by_site_total", "counter",
           "Threads the growth sampler has seen, by start routine and creation site.");
    for (size_t i = 0; i < n; i++) {
        labels(out, "threadleak_threads_created_by_site_total", &s[i]);
        fprintf(out, "%" PRIu64 "\n", s[i].created);
    }
    family(out, "threadleak_group_growing", "gauge",
           "1 when the site's live threads grow over the growth window (a leak in a running "
           "program), else 0.");
    for (size_t i = 0; i < n; i++) {
        labels(out, "threadleak_group_growing", &s[i]);
        fprintf(out, "%d\n", s[i].growing ? 1 : 0);
    }
    family(out, "threadleak_growth_sites_omitted", "gauge",
           "Creation sites left out of the by-site families, past the first " MAX_SITES_TEXT ".");
    fprintf(out, "threadleak_growth_sites_omitted %zu\n", omitted);
    family(out, "threadleak_growth_samples_total", "counter",
           "Growth samples taken (one every growth_sample_ms while the endpoint runs).");
    fprintf(out, "threadleak_growth_samples_total %" PRIu64 "\n", v->samples_taken);
    free(s);
    return ferror(out) ? -1 : 0;
}
