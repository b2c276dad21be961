/* The lock module's findings, ready to render (docs/json-schema.md: deadlocks, lock_order,
 * misuse): built at report time from the order graph and the event stores, symbolised like the
 * leak findings (findings.h), which point to them. Every array is owned and freed by
 * lock_findings_free; frame strings live as long as the symboliser's. */
#ifndef THREADLEAK_LOCK_FINDINGS_H
#define THREADLEAK_LOCK_FINDINGS_H

#include "lock_events.h"
#include "stack_model.h"
#include "thread_record.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tl__lock_stack {
    struct tl__frame *frames; /* innermost first; NULL when none */
    size_t depth;
};

struct tl__lock_ref {
    uintptr_t address;
    const char *type; /* "mutex", "rwlock", "mtx", "cond", "thread", "barrier", "semaphore" */
};

struct tl__lock_thread_ref {
    pid_t tid;
    char name[TL_NAME_MAX];
    const char *start_routine; /* as in leaks; NULL when unknown */
};

struct tl__lock_held_ref {
    struct tl__lock_ref lock;
    struct tl__lock_stack taken_at; /* the call site */
};

struct tl__deadlocked_thread {
    struct tl__lock_thread_ref thread;
    struct tl__lock_stack created_at;
    struct tl__lock_stack stack;
    struct tl__lock_ref waits_for; /* a lock, or a "thread", "cond", "barrier", "semaphore" */
    pid_t waits_for_owner;         /* a lock's holder, a joined thread's tid; 0 for the others */
    uintptr_t waits_for_mutex;     /* a condition wait's mutex; else 0 */
    struct tl__lock_held_ref *holds;
    size_t nholds;
};

struct tl__deadlock {
    const char *kind; /* "self_lock", "lock_cycle", "join_cycle", "all_asleep" */
    struct tl__deadlocked_thread *threads;
    size_t nthreads;
    size_t omitted; /* all_asleep: threads asleep that the record had no room for */
};

struct tl__lock_order_edge {
    struct tl__lock_ref from, to;
    const char *held_as, *acquired_as; /* "write" or "read" */
    struct tl__lock_thread_ref thread;
    struct tl__lock_stack held_at, acquired_at;
};

struct tl__lock_order_cycle {
    struct tl__lock_ref *locks; /* in cycle order: edges[i].from == locks[i] */
    size_t nlocks;
    struct tl__lock_order_edge *edges;
    size_t nedges;
};

struct tl__lock_misuse {
    const char *kind;
    unsigned count;                    /* times at this call site */
    struct tl__lock_thread_ref thread; /* the first time */
    struct tl__lock_stack stack;
    struct tl__lock_ref lock;
    struct tl__lock_ref other; /* cond_wrong_mutex: the other mutex; address 0 otherwise */
};

struct tl__lock_findings {
    struct tl__deadlock *deadlocks;
    size_t ndeadlocks;
    struct tl__lock_order_cycle *cycles;
    size_t ncycles;
    struct tl__lock_misuse *misuse;
    size_t nmisuse;
    /* What the bounds left out (docs/locks.md). */
    uint64_t locks_tracked, locks_not_tracked, edges, edges_not_tracked, cycles_not_recorded,
        events_dropped;
    uint64_t cycles_dissolved; /* live lock cycles gone at their re-check: no deadlock */
    /* Findings a suppression took out (lock_findings_suppress): by the suppressions= file, and
     * by the default suppressions (runtimes' own locks). */
    uint64_t suppressed, suppressed_by_default;
};

/* How far the stores had grown at one moment, for "the findings since then" (the test API's
 * snapshots). The stores only grow: cycles and deadlocks are appended, and a misuse group keeps
 * its place and only counts up, so counts say exactly what came later. */
struct tl__lock_mark {
    uint32_t deadlocks, cycles, misuse_groups;
    uint32_t misuse_counts[TL_MISUSE_MAX];
};

void lock_findings_mark(struct tl__lock_mark *m);

/* From the graph and the stores as they are now. NULL only when memory runs out. Not
 * async-signal-safe (symbolises, allocates). */
struct tl__lock_findings *lock_findings_build(void);

/* The same, for what came after since (NULL: everything): deadlocks and cycles recorded later,
 * and misuse groups that counted up since, with the count since. */
struct tl__lock_findings *lock_findings_build_since(const struct tl__lock_mark *since);

/* Takes out of f the findings a suppression matches, and counts them (docs/locks.md,
 * Suppressions): the default lock suppressions first when defaults is true
 * (default_suppressions.inc), then file's entries (NULL: none): `deadlock:` for lock-order
 * inversions, matched against every frame of every edge's two stacks, and `mutex:` for misuse,
 * against its stack, as ThreadSanitizer files them. Live deadlocks are never taken out: the
 * process hangs whatever a file says. */
struct tl__suppressions;
void lock_findings_suppress(struct tl__lock_findings *f, struct tl__suppressions *file,
                            bool defaults);

/* ndeadlocks + ncycles + nmisuse. */
size_t lock_findings_count(const struct tl__lock_findings *f);

void lock_findings_free(struct tl__lock_findings *f);

/* One edge of the order graph (lock_order.h), symbolised as the cycles' edges are; release its
 * stacks with lock_findings_edge_free. For the /debug/locks page, which lists every edge. */
struct tl__order_edge;
void lock_findings_edge(struct tl__lock_order_edge *out, const struct tl__order_edge *e);
void lock_findings_edge_free(struct tl__lock_order_edge *e);

#endif
