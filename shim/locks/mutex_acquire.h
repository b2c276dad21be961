/* The body of the mutex and mtx_t locking wrappers (interpose_mutex.c, interpose_c11_locks.c),
 * in two halves. m is the lock as a pthread_mutex_t (an mtx_t is one); type says which; call is
 * libc's function, whose 0 is success for both (thrd_success is 0). */
#ifndef THREADLEAK_MUTEX_ACQUIRE_H
#define THREADLEAK_MUTEX_ACQUIRE_H

#include "lock_module.h"
#include "lock_waits.h"

/* The fast half, inline in the wrapper, pushes the held entry
 * and calls libc when lock_fast says the call needs nothing else (nothing held, or the same pair
 * again) and, for a call that waits for ever, the mutex is free. blocking: 2 waits for ever
 * (lock), 1 until a deadline (timedlock, clocklock), 0 never (trylock, which makes no edge). */
#define MUTEX_FAST(m, type, blocking, call)                                                        \
    if (!locks_checking(m))                                                                        \
        return (call);                                                                             \
    if (__builtin_expect(lock_fast((uintptr_t)(m), (blocking) != 0, false) &&                      \
                             ((blocking) != 2 || !mutex_taken(m)),                                 \
                         1)) {                                                                     \
        lock_fast_taking((uintptr_t)(m), (type), TL_HELD_WRITE, !(blocking), LOCK_CALL_SITE);      \
        int rc = (call);                                                                           \
        if (__builtin_expect(rc != 0, 0))                                                          \
            lock_fast_failed((uintptr_t)(m), (type));                                              \
        return rc;                                                                                 \
    }

/* The slow half, out of line so that the fast one keeps few registers: the lock table and the
 * order graph, the relock of a mutex the thread holds (self_lock), and a lock that finds the mutex
 * taken, which records its wait and looks for a lock_cycle (lock_waits.h) before libc's call,
 * which then waits as libc makes it wait. */
#define MUTEX_SLOW(m, type, blocking, call, pc, frame)                                             \
    struct lock_call c;                                                                            \
    if (!lock_call_begin(&c, (m), (type), (pc), (frame)))                                          \
        return (call);                                                                             \
    lock_call_prepare(&c, (blocking) != 0, false);                                                 \
    if (__builtin_expect(c.held_index >= 0, 0) && (blocking) == 2 && mutex_relock_hangs(m) &&      \
        mutex_owned_by_caller(m))                                                                  \
        lock_self_lock(&c);                                                                        \
    if (__builtin_expect((blocking) == 2 && mutex_taken(m), 0) && c.held_index < 0 &&              \
        lock_wait_begin(&c)) {                                                                     \
        lock_call_taking(&c, TL_HELD_WRITE, false);                                                \
        int rc = (call);                                                                           \
        lock_wait_end();                                                                           \
        if (rc != 0)                                                                               \
            lock_call_failed(&c);                                                                  \
        return rc;                                                                                 \
    }                                                                                              \
    lock_call_taking(&c, TL_HELD_WRITE, !(blocking));                                              \
    int rc = (call);                                                                               \
    if (rc != 0)                                                                                   \
        lock_call_failed(&c);                                                                      \
    return rc

/* The slow halves are functions of their own. */
#define SLOW __attribute__((noinline)) static int

#endif
