/* The /debug/locks page's model (lock_page_model.h, locks_hooks.h): a thread profile, whose dump
 * gives each thread's locks, then the findings and the order graph's edges. Runs in the
 * endpoint's server thread, a tool thread. */
#include "lock_module.h"
#include "locks_hooks.h"

#include "lock_order.h"
#include "lock_page_model.h"
#include "thread_profile.h"

#include <stdlib.h>

static bool add_edges(struct tl__lock_page *page)
{
    page->edges_total = lock_order_stats().edges;
    size_t n =
        page->edges_total < TL_LOCK_PAGE_MAX_EDGES ? page->edges_total : TL_LOCK_PAGE_MAX_EDGES;
    if (n == 0)
        return true;
    page->edges = calloc(n, sizeof *page->edges);
    if (!page->edges)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        struct tl__order_edge e;
        if (lock_order_edge(i, &e))
            lock_findings_edge(&page->edges[page->nedges++], &e);
    }
    return true;
}

struct tl__lock_page *locks_page_build(bool *absent)
{
    /* locks=0: the module is loaded but checks nothing, so it has nothing to show. */
    *absent =
        !tl__cfg.locks || atomic_load_explicit(&locks_state, memory_order_acquire) == LOCKS_OFF;
    if (*absent)
        return NULL;
    struct tl__lock_page *page = calloc(1, sizeof *page);
    if (!page)
        return NULL;
    /* Symbolising takes locks that are not the host's. */
    locks_own_work_begin();
    struct thread_profile_options options;
    thread_profile_options_from_config(&tl__cfg, &options);
    bool ok = thread_profile_take(&options, &page->profile) == 0;
    if (!ok) {
        locks_own_work_end();
        free(page);
        return NULL;
    }
    page->findings = lock_findings_build();
    ok = page->findings && add_edges(page);
    locks_own_work_end();
    if (!ok) {
        locks_page_free(page);
        return NULL;
    }
    return page;
}

void locks_page_free(struct tl__lock_page *page)
{
    if (!page)
        return;
    for (size_t i = 0; i < page->nedges; i++)
        lock_findings_edge_free(&page->edges[i]);
    free(page->edges);
    lock_findings_free(page->findings);
    thread_profile_free(&page->profile);
    free(page);
}
