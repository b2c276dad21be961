/* Rings of live counts per creation site: growth_history.h. */
#include "growth_history.h"

#include <stdlib.h>
#include <string.h>

struct group {
    struct growth_site site; /* owned copies */
    uint64_t first_sample;   /* the index of the first sample the group was part of */
    uint64_t created_total;
    uint32_t *counts; /* ring of capacity entries, indexed by sample index */
};

struct growth_history {
    unsigned sample_ms, window_s, interval_ms;
    size_t capacity;  /* samples kept */
    uint64_t samples; /* taken so far; sample k is at k % capacity */
    int64_t *times;   /* ring, as counts */
    uint64_t unattributed;
    struct group groups[GROWTH_MAX_GROUPS];
    size_t ngroups;
};

struct growth_history *growth_history_new(unsigned sample_ms, unsigned window_s)
{
    struct growth_history *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    uint64_t window_ms = (uint64_t)(window_s ? window_s : 1) * 1000;
    uint64_t interval = sample_ms ? sample_ms : 1;
    if (window_ms / interval > GROWTH_MAX_SAMPLES)
        interval = (window_ms + GROWTH_MAX_SAMPLES - 1) / GROWTH_MAX_SAMPLES;
    h->sample_ms = sample_ms;
    h->window_s = window_s;
    h->interval_ms = (unsigned)interval;
    h->capacity = (size_t)(window_ms / interval);
    if (h->capacity < 2)
        h->capacity = 2;
    h->times = calloc(h->capacity, sizeof *h->times);
    if (!h->times) {
        free(h);
        return NULL;
    }
    return h;
}

static void free_site(struct growth_site *s)
{
    free((char *)s->start_routine);
    free((char *)s->function);
    free((char *)s->file);
}

void growth_history_free(struct growth_history *h)
{
    if (!h)
        return;
    for (size_t g = 0; g < h->ngroups; g++) {
        free_site(&h->groups[g].site);
        free(h->groups[g].counts);
    }
    free(h->times);
    free(h);
}

unsigned growth_history_interval_ms(const struct growth_history *h)
{
    return h->interval_ms;
}

size_t growth_history_groups(const struct growth_history *h)
{
    return h->ngroups;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_site(const struct growth_site *a, const struct growth_site *b)
{
    return a->line == b->line && same_text(a->start_routine, b->start_routine) &&
           same_text(a->function, b->function) && same_text(a->file, b->file);
}

static int copy_site(const struct growth_site *from, struct growth_site *to)
{
    to->start_routine = strdup(from->start_routine ? from->start_routine : "??");
    to->function = strdup(from->function ? from->function : "??");
    to->file = from->file ? strdup(from->file) : NULL;
    to->line = from->line;
    if (to->start_routine && to->function && (to->file || !from->file))
        return 0;
    free_site(to);
    return -1;
}

int growth_history_group(struct growth_history *h, const struct growth_site *site)
{
    for (size_t g = 0; g < h->ngroups; g++)
        if (same_site(&h->groups[g].site, site))
            return (int)g;
    if (h->ngroups == GROWTH_MAX_GROUPS)
        return -1;
    struct group *g = &h->groups[h->ngroups];
    *g = (struct group){.first_sample = h->samples};
    g->counts = calloc(h->capacity, sizeof *g->counts);
    if (!g->counts || copy_site(site, &g->site) != 0) {
        free(g->counts);
        *g = (struct group){0};
        return -1;
    }
    return (int)h->ngroups++;
}

void growth_history_add(struct growth_history *h, int64_t unix_ms, const uint32_t *live,
                        const uint32_t *created, uint64_t unattributed)
{
    size_t slot = (size_t)(h->samples % h->capacity);
    h->times[slot] = unix_ms;
    for (size_t g = 0; g < h->ngroups; g++) {
        h->groups[g].counts[slot] = live[g];
        h->groups[g].created_total += created[g];
    }
    h->unattributed = unattributed;
    h->samples++;
}

/* The group's samples in the window, oldest first, into t and c; returns how many. */
static size_t group_series(const struct growth_history *h, const struct group *g, int64_t *t,
                           uint32_t *c)
{
    uint64_t from = h->samples > h->capacity ? h->samples - h->capacity : 0;
    if (g->first_sample > from)
        from = g->first_sample;
    size_t n = 0;
    for (uint64_t k = from; k < h->samples; k++, n++) {
        t[n] = h->times[k % h->capacity];
        c[n] = g->counts[k % h->capacity];
    }
    return n;
}

/* Growing first, then the most live, then by site, so that the order is stable. */
static int compare_groups(const void *pa, const void *pb)
{
    const struct growth_group_view *a = pa, *b = pb;
    if ((a->trend.trend == GROWTH_GROWING) != (b->trend.trend == GROWTH_GROWING))
        return a->trend.trend == GROWTH_GROWING ? -1 : 1;
    if (a->live != b->live)
        return a->live > b->live ? -1 : 1;
    int c = strcmp(a->site.start_routine, b->site.start_routine);
    if (c == 0)
        c = strcmp(a->site.file ? a->site.file : "", b->site.file ? b->site.file : "");
    return c ? c : a->site.line - b->site.line;
}

static int view_group(const struct growth_history *h, const struct group *g,
                      struct growth_group_view *v)
{
    int64_t *t = malloc((h->capacity) * sizeof *t);
    uint32_t *c = malloc((h->capacity) * sizeof *c);
    if (!t || !c || copy_site(&g->site, &v->site) != 0) {
        free(t);
        free(c);
        return -1;
    }
    v->nsamples = group_series(h, g, t, c);
    v->t_ms = t;
    v->counts = c;
    v->live = v->nsamples ? c[v->nsamples - 1] : 0;
    v->created_total = g->created_total;
    v->exited_total = g->created_total >= v->live ? g->created_total - v->live : 0;
    return 0;
}

int growth_history_view(const struct growth_history *h, struct growth_view *out)
{
    *out = (struct growth_view){
        .sample_ms = h->interval_ms,
        .window_s = h->window_s,
        .max_samples = h->capacity,
        .samples_taken = h->samples,
        .max_groups = GROWTH_MAX_GROUPS,
        .threads_unattributed = h->unattributed,
    };
    out->groups = calloc(h->ngroups ? h->ngroups : 1, sizeof *out->groups);
    if (!out->groups)
        return -1;
    for (size_t g = 0; g < h->ngroups; g++) {
        if (view_group(h, &h->groups[g], &out->groups[g]) != 0) {
            growth_view_free(out);
            return -1;
        }
        out->ngroups++;
    }
    return 0;
}

void growth_view_judge(struct growth_view *v)
{
    for (size_t g = 0; g < v->ngroups; g++) {
        struct growth_group_view *gv = &v->groups[g];
        gv->trend = growth_trend_of(gv->t_ms, gv->counts, gv->nsamples);
    }
    qsort(v->groups, v->ngroups, sizeof *v->groups, compare_groups);
}

void growth_view_free(struct growth_view *v)
{
    for (size_t g = 0; g < v->ngroups; g++) {
        free_site(&v->groups[g].site);
        free((void *)v->groups[g].t_ms);
        free((void *)v->groups[g].counts);
    }
    free(v->groups);
    *v = (struct growth_view){0};
}
