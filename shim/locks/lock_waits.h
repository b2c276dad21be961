/* Live deadlock detection (docs/locks.md, "Live deadlocks"): who waits, without a timeout, for
 * what (a lock, a thread's end, a condition variable, a barrier, a semaphore), in a table the
 * other threads read. The thread that starts a wait follows owner -> waits-for chains from it
 * (lock_cycle, join_cycle), and, when every thread of the process now waits, checks whether
 * anything could still wake one of them (all_asleep). Entered only by waits that will sleep in
 * the kernel anyway; nothing runs while nobody waits, and no thread polls. */
#ifndef THREADLEAK_LOCK_WAITS_H
#define THREADLEAK_LOCK_WAITS_H

#include "lock_module.h"

#include <stdbool.h>

/* The waits recorded now: the fast test for "every thread that ever waited waits again". */
extern _Atomic unsigned lock_waits_recorded;

/* Before libc's blocking call, when the lock was seen taken: records "this thread waits for it",
 * follows the chain, and when it comes back to this thread re-checks it after a short delay and
 * reports a lock_cycle or join_cycle; then looks for all_asleep. True when a wait was recorded
 * (then call lock_wait_end after libc's call). Keeps errno. */
bool lock_wait_begin(const struct lock_call *c);

/* The same for the waits that have no owner to follow: an untimed wait on a process-private
 * condition variable (other: its mutex), barrier or semaphore, which only another thread can
 * end. Looks for all_asleep only. */
bool lock_wait_begin_on(enum tl__lock_type type, const void *addr, uintptr_t other, uintptr_t pc);

/* For the wrappers of waits: their caller. */
#define LOCK_CALL_SITE_PC ((uintptr_t)__builtin_return_address(0))

/* The semaphore's value is 0 (glibc's sem_t on 64-bit: the value is the low half of its first
 * word): a sem_wait now would sleep. One load; a semaphore that has a value costs nothing more. */
static inline bool sem_would_wait(const void *sem)
{
    return (uint32_t)__atomic_load_n((const uint64_t *)sem, __ATOMIC_RELAXED) == 0;
}

/* After libc's blocking call returned. */
static inline void lock_wait_end(void)
{
    atomic_store_explicit(&locks_self.waiter->waits_for, 0, memory_order_release);
    atomic_fetch_sub_explicit(&lock_waits_recorded, 1, memory_order_relaxed);
}

/* The thread is ending: its waiter slot is free again. */
void lock_waits_thread_exiting(void);

/* fork: the child's one thread has no wait; every other slot names a thread that is gone. */
void lock_waits_fork_child(void);

/* --- for all_asleep.c: the table, the chains and the report --- */

#define LOCK_WAITERS_MAX      1024u
#define LOCK_WAITS_RECHECK_NS 150000000L /* 150 ms: docs/locks.md, "the re-check" */

/* Threads and what each waits for: a chain (tid[i] waits for addr[i], whose owner is tid[i + 1])
 * or the threads of an all_asleep. */
struct lock_wait_set {
    unsigned n;
    int tid[TL_DEADLOCK_MAX_THREADS];
    struct lock_waiter *who[TL_DEADLOCK_MAX_THREADS];
    uintptr_t addr[TL_DEADLOCK_MAX_THREADS];
    uintptr_t other[TL_DEADLOCK_MAX_THREADS];
    uint8_t type[TL_DEADLOCK_MAX_THREADS];
};

/* The table; used: the slots ever claimed are below it; claimed: the slots claimed now. */
struct lock_waiter *lock_waiters(unsigned *used, unsigned *claimed);
struct lock_waiter *lock_waiter_of(int tid);
/* The thread that could end a wait: a lock's owner, a joined thread; 0 for the others. */
int lock_wait_target(uint8_t type, uintptr_t addr, uintptr_t other);
/* The chain from thread tid's wait w: true when it comes back to tid. */
bool lock_wait_chain(struct lock_waiter *w, int tid, struct lock_wait_set *chain);
enum tl__deadlock_kind lock_wait_cycle_kind(const struct lock_wait_set *chain);
/* Records and reports the deadlock unless one of its threads is in one reported already (then
 * false); aborts with deadlock=abort. */
bool lock_waits_report(enum tl__deadlock_kind kind, const struct lock_wait_set *set,
                       unsigned omitted);
void lock_waits_recheck_delay(void);

#endif
