/* The bounded history behind growth views: for each group (start routine + creation site), its
 * live count at each of the latest samples, and the threads of it seen so far.
 *
 * Memory is bounded: 8 bytes per sample kept for the times, and per group 4 bytes per sample
 * plus its site's strings; at most GROWTH_MAX_GROUPS groups of GROWTH_MAX_SAMPLES samples, so
 * 516 KiB at most. With the defaults (growth_window_s=3600 at growth_sample_ms=10000: 360
 * samples), 2.8 KiB and 1.4 KiB per group.
 * A window that would take more than GROWTH_MAX_SAMPLES samples is sampled less often instead
 * (growth_history_interval_ms). The sites of a program are code, so their number is bounded by
 * its code; past GROWTH_MAX_GROUPS, threads are counted as unattributed.
 *
 * Not thread-safe: the sampler (growth_sampler.h) holds a lock around every call. */
#ifndef THREADLEAK_GROWTH_HISTORY_H
#define THREADLEAK_GROWTH_HISTORY_H

#include "growth_model.h"
#include "thread_record.h"

#include <stddef.h>
#include <stdint.h>

#define GROWTH_MAX_SAMPLES 512
#define GROWTH_MAX_GROUPS  256
#define GROWTH_KEY_PCS     4

/* A group as the sampler tells them apart, without symbolising: the start routine and the first
 * creation pcs. Several keys may name one site (its function called from several places); views
 * merge them. */
struct growth_key {
    const void *start;
    const void *pcs[GROWTH_KEY_PCS];
};

/* Fills site from a thread of the group (its strings need only last until the call returns);
 * false when it cannot (the group is then left out of this view and asked again next time). */
typedef bool growth_resolve_fn(const struct tl__thread_info *example, struct growth_site *site);

struct growth_history;

/* NULL when memory is short. sample_ms and window_s are the options' values (at least 1). */
struct growth_history *growth_history_new(unsigned sample_ms, unsigned window_s);
void growth_history_free(struct growth_history *h);

/* The interval samples are taken at: sample_ms, or window / GROWTH_MAX_SAMPLES when that is
 * longer. */
unsigned growth_history_interval_ms(const struct growth_history *h);

/* The group of a key, made when new with example (a thread of it, copied) for resolving its site
 * later; -1 when GROWTH_MAX_GROUPS are taken or memory is short. */
int growth_history_group(struct growth_history *h, const struct growth_key *key,
                         const struct tl__thread_info *example);

/* One sample at unix_ms: live[g] and created[g] (threads first seen in this sample) for every
 * group g made so far (growth_history_groups), and the threads no group could take. */
void growth_history_add(struct growth_history *h, int64_t unix_ms, const uint32_t *live,
                        const uint32_t *created, uint64_t unattributed);

size_t growth_history_groups(const struct growth_history *h);

/* A copy of everything, one group per site, without trends yet. Groups whose site is not known
 * yet get it from resolve first, once: symbolising is done when a view is asked for, never when a
 * sample is taken (the symboliser opens the program's files, which a sample must not). 0, or -1
 * when memory is short. */
int growth_history_view(struct growth_history *h, growth_resolve_fn *resolve,
                        struct growth_view *out);

/* Each group's trend (growth_trend.h), then the groups in the view's order. Apart from
 * growth_history_view so that it runs outside the sampler's lock: it is the costly part. */
void growth_view_judge(struct growth_view *v);

#endif
