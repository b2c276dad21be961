/* What the lock module saw happen, kept until the report: misuse of the pthread API (grouped by
 * kind and call site, and counted) and live deadlocks. Bounded static stores, written rarely (a
 * misuse, a deadlock) under a spin lock; allocation-free. docs/locks.md lists the kinds. */
#ifndef THREADLEAK_LOCK_EVENTS_H
#define THREADLEAK_LOCK_EVENTS_H

#include "held_locks.h"
#include "lock_order.h"
#include "thread_record.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum tl__misuse_kind {
    TL_MISUSE_UNLOCK_NOT_OWNER,
    TL_MISUSE_UNLOCK_UNLOCKED,
    TL_MISUSE_DESTROY_LOCKED,
    TL_MISUSE_EXIT_HOLDING_LOCK,
    TL_MISUSE_COND_WRONG_MUTEX,
    TL_MISUSE_LOCK_DESTROYED,
    TL_MISUSE_JOIN_DETACHED,
    TL_MISUSE_DOUBLE_JOIN,
    TL_MISUSE_KINDS
};

enum tl__deadlock_kind {
    TL_DEADLOCK_SELF_LOCK,
    TL_DEADLOCK_LOCK_CYCLE,
    TL_DEADLOCK_JOIN_CYCLE,
    TL_DEADLOCK_ALL_ASLEEP,
    TL_DEADLOCK_KINDS
};

#define TL_MISUSE_MAX           128u /* distinct (kind, call site) groups */
#define TL_DEADLOCK_MAX         8u
#define TL_DEADLOCK_MAX_THREADS 16u /* all_asleep names at most this many */

/* A thread as the lock reports name it. */
struct tl__lock_actor {
    pid_t tid;
    char name[TL_NAME_MAX];
    void *start_routine; /* NULL when unknown (the main thread, an untracked thread) */
};

struct tl__misuse_record {
    uint8_t kind;      /* enum tl__misuse_kind */
    uint8_t lock_type; /* enum tl__lock_type */
    uintptr_t lock_addr;
    uintptr_t other_addr; /* cond_wrong_mutex: the mutex the other waits use; else 0 */
    struct tl__lock_actor thread;
    uint32_t count; /* times seen at this call site */
    uint16_t nframes;
    void *frames[TL_ORDER_STACK_DEPTH];
};

struct tl__deadlock_lock {
    uintptr_t addr;
    uint8_t type;
    uintptr_t pc; /* where it was taken */
};

struct tl__deadlock_thread {
    struct tl__lock_actor thread;
    uint16_t ncreated;
    void *created[TL_MAX_FRAMES]; /* creation stack, innermost first */
    uint16_t nframes;
    void *frames[TL_ORDER_STACK_DEPTH]; /* where it waits */
    struct tl__deadlock_lock waits_for; /* a lock, or a thread, cond, barrier or semaphore */
    pid_t waits_for_owner;     /* a lock's holder, a joined thread's tid; 0 for the others */
    uintptr_t waits_for_mutex; /* a condition wait's mutex; else 0 */
    uint8_t nholds;
    struct tl__deadlock_lock holds[TL_HELD_MAX];
};

struct tl__deadlock_record {
    uint8_t kind; /* enum tl__deadlock_kind */
    uint8_t nthreads;
    uint16_t omitted; /* all_asleep: threads asleep beyond TL_DEADLOCK_MAX_THREADS */
    struct tl__deadlock_thread threads[TL_DEADLOCK_MAX_THREADS];
};

const char *misuse_kind_name(enum tl__misuse_kind kind);
const char *deadlock_kind_name(enum tl__deadlock_kind kind);

/* Records a misuse, or counts it in the group of the same kind and call site (frames[0]).
 * Groups past TL_MISUSE_MAX are counted in lock_events_dropped. */
void lock_misuse_note(const struct tl__misuse_record *r);
/* Copies up to max groups, in the order first seen; returns how many. */
size_t lock_misuse_copy(struct tl__misuse_record *out, size_t max);

void lock_deadlock_note(const struct tl__deadlock_record *r);
size_t lock_deadlock_copy(struct tl__deadlock_record *out, size_t max);

/* How many misuse groups and deadlocks did not fit. */
uint64_t lock_events_dropped(void);

/* Live lock cycles seen and gone at their re-check (a race, no deadlock): counted, not reported. */
void lock_cycle_dissolved_note(void);
uint64_t lock_cycles_dissolved(void);

void lock_events_fork_child(void);
void lock_events_reset_for_tests(void);

#endif
