/* What the endpoint's /debug/locks page shows (docs/endpoint.md): every thread's held locks and
 * wait (from a thread profile taken for the page: each thread copies them in the dump's signal
 * handler, thread_locks.h), the lock-order graph's edges, and the lock findings so far (deadlocks,
 * lock-order cycles, misuse, lock_stats). Built by the lock module (shim/locks/lock_page.c),
 * rendered by reports/lock_page_text.c and lock_page_json.c. */
#ifndef THREADLEAK_LOCK_PAGE_MODEL_H
#define THREADLEAK_LOCK_PAGE_MODEL_H

#include "lock_findings.h"
#include "profile_model.h"

#include <stddef.h>
#include <stdint.h>

#define TL_LOCK_PAGE_MAX_EDGES 1024u /* edges listed; the rest are counted */

struct tl__lock_page {
    struct thread_profile profile;      /* threads with their `locks` */
    struct tl__lock_findings *findings; /* never NULL in a built page */
    struct tl__lock_order_edge *edges;  /* the first nedges edges of the graph, oldest first */
    size_t nedges;
    uint64_t edges_total; /* edges in the graph */
};

#endif
