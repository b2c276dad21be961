/* What a thread dump shows of the calling thread's locks (locks_hooks.h's locks_thread_state,
 * thread_locks.h): its held set and what it waits for.
 *
 * The thread copies them itself, from the dump's signal handler, rather than publishing a pointer
 * to them for the collector to read: the held set lives in the thread's initial-exec TLS and is
 * written by the lock fast path with plain stores, no atomics and no fences, so no other thread
 * can read it consistently while its owner runs; and a pointer into a thread's TLS dangles the
 * moment that thread ends (its TLS block goes with its stack), while the handler runs on the
 * thread itself, which cannot end meanwhile. It costs nothing on the lock path, and nothing new
 * on the dump's: the handler interrupts every answering thread anyway, to take its stack. What
 * it cannot see: a thread the dump does not signal (one in a call a signal would interrupt, such
 * as a timed wait or poll, whose stack comes from /proc) shows no locks. */
#include "lock_module.h"
#include "lock_waits.h"
#include "locks_hooks.h"

#include "thread_locks.h"

_Static_assert(TL_THREAD_LOCKS_MAX == TL_HELD_MAX, "a dump lists the whole held set");
_Static_assert((int)TL_THREAD_LOCK_MUTEX == (int)TL_LOCK_MUTEX &&
                   (int)TL_THREAD_LOCK_RWLOCK == (int)TL_LOCK_RWLOCK &&
                   (int)TL_THREAD_LOCK_C11 == (int)TL_LOCK_C11 &&
                   (int)TL_THREAD_LOCK_COND == (int)TL_LOCK_COND &&
                   (int)TL_THREAD_LOCK_THREAD == (int)TL_LOCK_THREAD &&
                   (int)TL_THREAD_LOCK_BARRIER == (int)TL_LOCK_BARRIER &&
                   (int)TL_THREAD_LOCK_SEM == (int)TL_LOCK_SEM,
               "thread_locks.h names the lock table's types");

/* The wait the thread recorded before libc's blocking call (lock_waits.h), if it is in one: a
 * lock, a join, a condition variable, a barrier or a semaphore. Who could end it is read now, as
 * the deadlock search reads it: a lock's holder by glibc's record, the joined thread. */
static void read_wait(struct tl__thread_locks *out)
{
    const struct lock_waiter *w = locks_self.waiter;
    uintptr_t addr = w ? atomic_load_explicit(&w->waits_for, memory_order_relaxed) : 0;
    if (!addr)
        return;
    uint8_t type = atomic_load_explicit(&w->type, memory_order_relaxed);
    uintptr_t other = atomic_load_explicit(&w->other, memory_order_relaxed);
    out->waits_for.addr = addr;
    out->waits_for.type = type;
    out->waits_for.pc = atomic_load_explicit(&w->pc, memory_order_relaxed);
    out->waits_for_owner = lock_wait_target(type, addr, other);
    out->waits_for_mutex = type == TL_LOCK_COND ? other : 0;
}

/* Async-signal-safe, allocation-free: plain loads of this thread's own state. A signal that
 * lands while the thread is updating its held set (a few instructions of a lock or unlock) may
 * show that one lock as taken or released a moment early: the dump is of that instant. */
bool locks_thread_state(struct tl__thread_locks *out)
{
    /* Before the first lock call started the module, nothing is held yet: an empty answer. */
    if (!tl__cfg.locks || atomic_load_explicit(&locks_state, memory_order_relaxed) == LOCKS_OFF) {
        out->known = false;
        return false;
    }
    out->known = true;
    out->nheld = 0;
    out->waits_for = (struct tl__thread_lock){0};
    out->waits_for_owner = 0;
    out->waits_for_mutex = 0;
    read_wait(out);
    const struct tl__held_set *held = &locks_self.held;
    uint32_t n = held->n < TL_HELD_MAX ? held->n : TL_HELD_MAX;
    out->overflow = held->overflow;
    for (uint32_t i = 0; i < n; i++) {
        const struct tl__held *h = &held->e[i];
        if (h->addr == out->waits_for.addr && tl__thread_lock_is_lock(out->waits_for.type)) {
            /* The wrapper adds the lock it is about to wait for before libc's call: not held. */
            out->waits_for.read = h->mode == TL_HELD_READ;
            continue;
        }
        struct tl__thread_lock *l = &out->held[out->nheld++];
        l->addr = h->addr;
        l->pc = h->pc;
        l->type = h->type;
        l->read = h->mode == TL_HELD_READ;
    }
    return true;
}
