/* The lock-order graph, as lockdep and Abseil's GraphCycles keep it: taking lock L while holding
 * H adds the edge H->L, once, with where it happened; a new edge that closes a cycle records the
 * cycle, once (a potential deadlock, whether or not this run hung). docs/locks.md has the rules.
 *
 * Nodes are lock identities (lock_table.h). An edge also carries how H was held and how L was
 * taken, because of shared (read) acquisitions. The rule is lockdep's for recursive read locks:
 * a cycle is a deadlock only if at no lock of it the thread arriving takes it for reading while
 * the thread leaving holds it for reading (two readers do not wait for each other). A glibc
 * rwlock that prefers readers (the default) lets a reader in past waiting writers, so its read
 * acquisitions are such "recursive" reads; one that prefers writers does not, and its read
 * acquisitions count as exclusive on the taking side.
 *
 * The fast path, lock_order_known, is a lock-free probe of the edge set; nothing else is touched
 * until an edge is new. lock_order_add takes the graph's spin lock, which only new edges do. */
#ifndef THREADLEAK_LOCK_ORDER_H
#define THREADLEAK_LOCK_ORDER_H

#include "thread_record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TL_ORDER_MAX_EDGES   16384u /* past it: edges_not_tracked */
#define TL_ORDER_MAX_CYCLES  64u    /* past it: cycles_not_recorded */
#define TL_ORDER_CYCLE_MAX   16u    /* edges in one recorded cycle; longer cycles are not sought */
#define TL_ORDER_STACK_DEPTH 32u

/* Where an edge was made: the thread, the stack of L's acquisition (innermost first), and H's
 * acquisition: its call site, and whether it was made from the same frame as frames[0] (then
 * frames[1..] are H's callers too). */
struct tl__order_site {
    pid_t tid;
    char thread_name[TL_NAME_MAX];
    void *start_routine; /* NULL when the thread was not created by a tracked call */
    uintptr_t held_pc;
    bool held_same_frame;
    uint16_t nframes;
    void *frames[TL_ORDER_STACK_DEPTH];
};

struct tl__order_edge {
    uint32_t from, to;                /* identities */
    uintptr_t from_addr, to_addr;     /* the locks' addresses */
    uint8_t from_type, to_type;       /* enum tl__lock_type */
    uint8_t held_read, acquired_read; /* the modes (held_locks.h) */
    struct tl__order_site site;
    uint32_t next_out; /* the next edge from the same node, index + 1; graph-internal */
};

struct tl__order_cycle {
    uint32_t nedges;
    uint32_t
        edges[TL_ORDER_CYCLE_MAX]; /* edge indexes, in cycle order: edges[i].to == [i+1].from */
};

struct tl__order_stats {
    uint64_t edges;
    uint64_t edges_not_tracked;
    uint64_t cycles;
    uint64_t cycles_not_recorded;
};

/* True when the edge from -> to with these modes is known already. Lock-free; the only call the
 * acquisition of a lock with other locks held makes per held lock. */
bool lock_order_known(uint32_t from, uint32_t to, bool held_read, bool acquired_read);

/* Adds the edge e (its next_out ignored) unless known, and, when it closes a cycle not recorded
 * yet, records the cycle. True when the edge was new. Takes the graph's spin lock; allocation-free
 * (the graph's memory is mapped on first use). */
bool lock_order_add(const struct tl__order_edge *e);

/* A copy of the recorded cycles and of the edges they name, for the report: cycles into
 * out_cycles (at most max_cycles), and edge(i) reads edge i. Both under the graph's lock. */
size_t lock_order_cycles(struct tl__order_cycle *out_cycles, size_t max_cycles);
bool lock_order_edge(uint32_t index, struct tl__order_edge *out);

struct tl__order_stats lock_order_stats(void);

/* In a fork child: the graph's lock may have been held by a thread the child does not have. */
void lock_order_fork_child(void);

/* Tests only: an empty graph. Not thread-safe. */
void lock_order_reset_for_tests(void);

#endif
