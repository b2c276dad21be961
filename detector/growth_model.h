/* Thread growth per creation site, as /debug/threads/growth and /metrics render it: one group
 * per (start routine, creation site), its live count now, its history and its trend.
 *
 * A view owns its memory (growth_view_free); renderers in reports/ read it and nothing else. */
#ifndef THREADLEAK_GROWTH_MODEL_H
#define THREADLEAK_GROWTH_MODEL_H

#include "growth_trend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where threads of a group were created: the first frame of the creation stack (past
 * pthread_create, thrd_create and sanitizer interceptors) that has a source file, or the first
 * frame when none has. Never a raw pc. */
struct growth_site {
    const char *start_routine; /* "worker", or MODULE+0xOFF without symbols */
    const char *function;      /* "??" when unknown */
    const char *file;          /* NULL without line information */
    int line;                  /* 0 when unknown */
};

struct growth_group_view {
    struct growth_site site;
    uint32_t live;          /* threads not yet released: running, or finished and not joined */
    uint64_t created_total; /* threads of the group the sampler saw (see growth_history.h) */
    uint64_t exited_total;  /* of those, the ones since released (joined, or exited detached) */
    struct growth_trend_result trend;
    size_t nsamples;        /* the group's samples in the window, oldest first */
    const int64_t *t_ms;    /* CLOCK_REALTIME, milliseconds */
    const uint32_t *counts; /* live at t_ms[i] */
};

struct growth_view {
    unsigned sample_ms; /* the interval samples are taken at (growth_history.h) */
    unsigned window_s;
    size_t max_samples; /* samples kept per group */
    uint64_t samples_taken;
    size_t max_groups;
    uint64_t threads_unattributed;    /* threads of sites past max_groups, in the latest sample */
    struct growth_group_view *groups; /* growing first, then the most live first */
    size_t ngroups;
};

void growth_view_free(struct growth_view *v);

#endif
