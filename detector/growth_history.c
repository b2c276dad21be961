/* Rings of live counts per creation site: growth_history.h. */
#include "growth_history.h"

#include <stdlib.h>
#include <string.h>

struct group {
    struct growth_key key;
    struct tl__thread_info example; /* a thread of it, for resolving the site */
    bool resolved;
    struct growth_site site; /* owned copies, once resolved */
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
    *to = (struct growth_site){0};
    return -1;
}

int growth_history_group(struct growth_history *h, const struct growth_key *key,
                         const struct tl__thread_info *example)
{
    for (size_t g = 0; g < h->ngroups; g++)
        if (memcmp(&h->groups[g].key, key, sizeof *key) == 0)
            return (int)g;
    if (h->ngroups == GROWTH_MAX_GROUPS)
        return -1;
    struct group *g = &h->groups[h->ngroups];
    *g = (struct group){.key = *key, .example = *example, .first_sample = h->samples};
    g->counts = calloc(h->capacity, sizeof *g->counts);
    if (!g->counts)
        return -1;
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

/* The first sample index in the window. */
static uint64_t window_start(const struct growth_history *h)
{
    return h->samples > h->capacity ? h->samples - h->capacity : 0;
}

/* The view group for site, made (with every sample of the window at 0) when new; NULL when memory
 * is short. skip is how many leading samples no group of the site was part of. */
static struct growth_group_view *view_group_for(const struct growth_history *h,
                                                struct growth_view *v,
                                                const struct growth_site *site, size_t *skip)
{
    for (size_t i = 0; i < v->ngroups; i++)
        if (same_site(&v->groups[i].site, site))
            return &v->groups[i];
    size_t n = (size_t)(h->samples - window_start(h));
    struct growth_group_view *g = &v->groups[v->ngroups];
    int64_t *t = malloc((n ? n : 1) * sizeof *t);
    uint32_t *c = calloc(n ? n : 1, sizeof *c);
    if (!t || !c || copy_site(site, &g->site) != 0) {
        free(t);
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        t[i] = h->times[(window_start(h) + i) % h->capacity];
    g->t_ms = t;
    g->counts = c;
    g->nsamples = n;
    skip[v->ngroups] = n;
    v->ngroups++;
    return g;
}

/* Adds the raw group's samples to its site's. */
static int merge_group(const struct growth_history *h, const struct group *raw,
                       struct growth_view *v, size_t *skip)
{
    struct growth_group_view *g = view_group_for(h, v, &raw->site, skip);
    if (!g)
        return -1;
    uint64_t from = window_start(h);
    uint64_t first = raw->first_sample > from ? raw->first_sample : from;
    uint32_t *counts = (uint32_t *)g->counts;
    for (uint64_t k = first; k < h->samples; k++)
        counts[k - from] += raw->counts[k % h->capacity];
    size_t *own_skip = &skip[g - v->groups];
    if (first - from < *own_skip)
        *own_skip = (size_t)(first - from);
    g->created_total += raw->created_total;
    return 0;
}

/* Drops the samples from before a site's first thread was seen; sets live and exited_total. */
static void finish_group(struct growth_group_view *g, size_t skip)
{
    if (skip > g->nsamples)
        skip = g->nsamples;
    g->nsamples -= skip;
    memmove((int64_t *)g->t_ms, g->t_ms + skip, g->nsamples * sizeof *g->t_ms);
    memmove((uint32_t *)g->counts, g->counts + skip, g->nsamples * sizeof *g->counts);
    g->live = g->nsamples ? g->counts[g->nsamples - 1] : 0;
    g->exited_total = g->created_total >= g->live ? g->created_total - g->live : 0;
}

static void resolve_sites(struct growth_history *h, growth_resolve_fn *resolve)
{
    for (size_t i = 0; i < h->ngroups; i++) {
        struct group *g = &h->groups[i];
        struct growth_site site = {0};
        if (!g->resolved && resolve(&g->example, &site) && copy_site(&site, &g->site) == 0)
            g->resolved = true;
    }
}

int growth_history_view(struct growth_history *h, growth_resolve_fn *resolve,
                        struct growth_view *out)
{
    *out = (struct growth_view){
        .sample_ms = h->interval_ms,
        .window_s = h->window_s,
        .max_samples = h->capacity,
        .samples_taken = h->samples,
        .max_groups = GROWTH_MAX_GROUPS,
        .threads_unattributed = h->unattributed,
    };
    resolve_sites(h, resolve);
    out->groups = calloc(h->ngroups ? h->ngroups : 1, sizeof *out->groups);
    size_t *skip = calloc(h->ngroups ? h->ngroups : 1, sizeof *skip);
    if (!out->groups || !skip) {
        free(skip);
        growth_view_free(out);
        return -1;
    }
    for (size_t i = 0; i < h->ngroups; i++) {
        if (h->groups[i].resolved && merge_group(h, &h->groups[i], out, skip) != 0) {
            free(skip);
            growth_view_free(out);
            return -1;
        }
    }
    for (size_t i = 0; i < out->ngroups; i++)
        finish_group(&out->groups[i], skip[i]);
    free(skip);
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
