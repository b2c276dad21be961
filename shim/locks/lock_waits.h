/* Live lock_cycle detection (docs/locks.md, "Live deadlocks"): who waits for which lock, read by
 * the thread that blocks last, which follows owner -> waits-for chains from the lock it waits for.
 * Entered only when a blocking lock found its lock taken; nothing runs while nobody waits. */
#ifndef THREADLEAK_LOCK_WAITS_H
#define THREADLEAK_LOCK_WAITS_H

#include "lock_module.h"

#include <stdbool.h>

/* Before libc's blocking call, when the lock was seen taken: records "this thread waits for it",
 * follows the chain, and when it comes back to this thread re-checks it after a short delay and
 * reports a lock_cycle. True when a wait was recorded (then call lock_wait_end after libc's
 * call). Keeps errno. */
bool lock_wait_begin(const struct lock_call *c);

/* After libc's blocking call returned. */
static inline void lock_wait_end(void)
{
    atomic_store_explicit(&locks_self.waiter->waits_for, 0, memory_order_release);
}

/* The thread is ending: its waiter slot is free again. */
void lock_waits_thread_exiting(void);

/* fork: the child's one thread has no wait; every other slot names a thread that is gone. */
void lock_waits_fork_child(void);

#endif
