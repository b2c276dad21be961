/* pthread_mutex_*. Each wrapper calls libc's function and observes: the return value and errno
 * are libc's, and a call that waits waits as long as libc makes it (docs/locks.md). */
#include "mutex_acquire.h"

#include <errno.h>

SLOW mutex_lock_slow(pthread_mutex_t *m, uintptr_t pc, uintptr_t frame)
{
    MUTEX_SLOW(m, TL_LOCK_MUTEX, 2, TL__REAL(pthread_mutex_lock)(m), pc, frame);
}

TL__WRAPPER(int, pthread_mutex_lock, pthread_mutex_t *m)
{
    MUTEX_FAST(m, TL_LOCK_MUTEX, 2, TL__REAL(pthread_mutex_lock)(m));
    return mutex_lock_slow(m, LOCK_CALL_SITE);
}

SLOW mutex_trylock_slow(pthread_mutex_t *m, uintptr_t pc, uintptr_t frame)
{
    MUTEX_SLOW(m, TL_LOCK_MUTEX, 0, TL__REAL(pthread_mutex_trylock)(m), pc, frame);
}

TL__WRAPPER(int, pthread_mutex_trylock, pthread_mutex_t *m)
{
    MUTEX_FAST(m, TL_LOCK_MUTEX, 0, TL__REAL(pthread_mutex_trylock)(m));
    return mutex_trylock_slow(m, LOCK_CALL_SITE);
}

SLOW mutex_timedlock_slow(pthread_mutex_t *restrict m, const struct timespec *restrict abstime,
                          uintptr_t pc, uintptr_t frame)
{
    MUTEX_SLOW(m, TL_LOCK_MUTEX, 1, TL__REAL(pthread_mutex_timedlock)(m, abstime), pc, frame);
}

TL__WRAPPER(int, pthread_mutex_timedlock, pthread_mutex_t *restrict m,
            const struct timespec *restrict abstime)
{
    MUTEX_FAST(m, TL_LOCK_MUTEX, 1, TL__REAL(pthread_mutex_timedlock)(m, abstime));
    return mutex_timedlock_slow(m, abstime, LOCK_CALL_SITE);
}

SLOW mutex_clocklock_slow(pthread_mutex_t *restrict m, clockid_t clock,
                          const struct timespec *restrict abstime, uintptr_t pc, uintptr_t frame)
{
    MUTEX_SLOW(m, TL_LOCK_MUTEX, 1, TL__REAL(pthread_mutex_clocklock)(m, clock, abstime), pc,
               frame);
}

TL__WRAPPER(int, pthread_mutex_clocklock, pthread_mutex_t *restrict m, clockid_t clock,
            const struct timespec *restrict abstime)
{
    MUTEX_FAST(m, TL_LOCK_MUTEX, 1, TL__REAL(pthread_mutex_clocklock)(m, clock, abstime));
    return mutex_clocklock_slow(m, clock, abstime, LOCK_CALL_SITE);
}

/* Misuse is judged by glibc's own record of the mutex, not only ours: a mutex another process
 * locked (process-shared) or one locked before checking began has no entry in our held set. */
void mutex_unlock_unheld(pthread_mutex_t *m, enum tl__lock_type type)
{
    if (locks_self.held.overflow)
        return;
    if (!mutex_is_locked(m))
        lock_misuse(TL_MISUSE_UNLOCK_UNLOCKED, (uintptr_t)m, type, 0);
    else if (!mutex_owned_by_caller(m))
        lock_misuse(TL_MISUSE_UNLOCK_NOT_OWNER, (uintptr_t)m, type, 0);
}

TL__WRAPPER(int, pthread_mutex_unlock, pthread_mutex_t *m)
{
    if (!lock_call_released(m))
        mutex_unlock_unheld(m, TL_LOCK_MUTEX);
    return TL__REAL(pthread_mutex_unlock)(m);
}

/* init and destroy end the lock's identity, when libc says they succeeded (a destroy that
 * fails with EBUSY leaves the mutex alive): a later lock at this address is a new node. Whether a
 * destroyed mutex was locked is read before libc's destroy changes it. */
bool mutex_destroy_begins(pthread_mutex_t *m, enum tl__lock_type type)
{
    if (!locks_checking(m))
        return false;
    if (mutex_is_locked(m))
        lock_misuse(TL_MISUSE_DESTROY_LOCKED, (uintptr_t)m, type, 0);
    return true;
}

void lock_identity_ends(const void *lock, enum tl__lock_type type, bool destroy)
{
    (void)type;
    /* A lock never given a slot has no identity to end (the init of fresh memory, a lock only
     * ever taken on the fast path): nothing is claimed for it. A lock of it after its destroy
     * fails in glibc, which is how lock_destroyed is found (lock_module.c). */
    struct tl__lock *l = lock_table_find((uintptr_t)lock);
    if (l)
        lock_end_identity(l, destroy);
}

TL__WRAPPER(int, pthread_mutex_init, pthread_mutex_t *restrict m,
            const pthread_mutexattr_t *restrict attr)
{
    int rc = TL__REAL(pthread_mutex_init)(m, attr);
    if (rc == 0 && locks_checking(m))
        lock_identity_ends(m, TL_LOCK_MUTEX, false);
    return rc;
}

TL__WRAPPER(int, pthread_mutex_destroy, pthread_mutex_t *m)
{
    bool checked = mutex_destroy_begins(m, TL_LOCK_MUTEX);
    int rc = TL__REAL(pthread_mutex_destroy)(m);
    if (rc == 0 && checked)
        lock_identity_ends(m, TL_LOCK_MUTEX, true);
    return rc;
}
