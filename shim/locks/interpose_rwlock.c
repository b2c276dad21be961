/* pthread_rwlock_*. Same shape as the mutex wrappers. A read lock is held in TL_HELD_READ mode;
 * whether it is a "recursive" read for the order graph (lock_order.h) depends on the rwlock's
 * kind: glibc's default prefers readers, so a reader gets in while only readers hold the lock
 * even with writers waiting; PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP makes a reader wait
 * behind a waiting writer. glibc answers EDEADLK to a thread that write-locks an rwlock it holds
 * in either mode, or read-locks one it write-holds, so no rwlock call is a self_lock. */
#include "lock_module.h"
#include "lock_waits.h"

#define RWLOCK_READER_SHIFT 3 /* glibc: __readers counts readers above its three state bits */

static bool reads_are_recursive(const pthread_rwlock_t *rw)
{
    return __atomic_load_n(&rw->__data.__flags, __ATOMIC_RELAXED) !=
           PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

static bool rwlock_is_locked(const pthread_rwlock_t *rw)
{
    return (__atomic_load_n(&rw->__data.__readers, __ATOMIC_RELAXED) >> RWLOCK_READER_SHIFT) != 0 ||
           __atomic_load_n(&rw->__data.__cur_writer, __ATOMIC_RELAXED) != 0;
}

static int rwlock_writer(const pthread_rwlock_t *rw)
{
    return __atomic_load_n(&rw->__data.__cur_writer, __ATOMIC_RELAXED);
}

/* blocking: the call may wait (2: for ever, 1: until a deadline), and so makes order edges. The
 * fast path is the mutexes' (mutex_acquire.h), with a writer in the lock as "taken". A
 * call that waits for ever and finds a writer in the lock records its wait and looks for a
 * lock_cycle (lock_waits.h): a writer is an owner glibc names (__cur_writer); readers are not,
 * so a wait for readers ends the chain. A read re-entry by a reader adds a
 * level; a write re-entry fails with EDEADLK and changes nothing. */
#define RWLOCK_ACQUIRE(rw, read, blocking, call)                                                   \
    if (!locks_checking(rw))                                                                       \
        return (call);                                                                             \
    bool acquired_read = (read) && reads_are_recursive(rw);                                        \
    if (lock_fast((uintptr_t)(rw), (blocking) != 0, acquired_read) &&                              \
        ((blocking) != 2 || rwlock_writer(rw) == 0)) {                                             \
        lock_fast_taking((uintptr_t)(rw), TL_LOCK_RWLOCK, (read) ? TL_HELD_READ : TL_HELD_WRITE,   \
                         !(blocking), LOCK_CALL_SITE);                                             \
        int rc = (call);                                                                           \
        if (rc != 0)                                                                               \
            lock_fast_failed((uintptr_t)(rw), TL_LOCK_RWLOCK);                                     \
        return rc;                                                                                 \
    }                                                                                              \
    struct lock_call c;                                                                            \
    if (!lock_call_begin(&c, (rw), TL_LOCK_RWLOCK, LOCK_CALL_SITE))                                \
        return (call);                                                                             \
    lock_call_prepare(&c, (blocking) != 0, acquired_read);                                         \
    bool waits = (blocking) == 2 && rwlock_writer(rw) != 0 && lock_wait_begin(&c);                 \
    lock_call_taking(&c, (read) ? TL_HELD_READ : TL_HELD_WRITE, !(blocking));                      \
    int rc = (call);                                                                               \
    if (waits)                                                                                     \
        lock_wait_end();                                                                           \
    if (rc != 0)                                                                                   \
        lock_call_failed(&c);                                                                      \
    return rc

TL__WRAPPER(int, pthread_rwlock_rdlock, pthread_rwlock_t *rw)
{
    RWLOCK_ACQUIRE(rw, true, 2, TL__REAL(pthread_rwlock_rdlock)(rw));
}

TL__WRAPPER(int, pthread_rwlock_wrlock, pthread_rwlock_t *rw)
{
    RWLOCK_ACQUIRE(rw, false, 2, TL__REAL(pthread_rwlock_wrlock)(rw));
}

TL__WRAPPER(int, pthread_rwlock_tryrdlock, pthread_rwlock_t *rw)
{
    RWLOCK_ACQUIRE(rw, true, 0, TL__REAL(pthread_rwlock_tryrdlock)(rw));
}

TL__WRAPPER(int, pthread_rwlock_trywrlock, pthread_rwlock_t *rw)
{
    RWLOCK_ACQUIRE(rw, false, 0, TL__REAL(pthread_rwlock_trywrlock)(rw));
}

TL__WRAPPER(int, pthread_rwlock_timedrdlock, pthread_rwlock_t *restrict rw,
            const struct timespec *restrict abstime)
{
    RWLOCK_ACQUIRE(rw, true, 1, TL__REAL(pthread_rwlock_timedrdlock)(rw, abstime));
}

TL__WRAPPER(int, pthread_rwlock_timedwrlock, pthread_rwlock_t *restrict rw,
            const struct timespec *restrict abstime)
{
    RWLOCK_ACQUIRE(rw, false, 1, TL__REAL(pthread_rwlock_timedwrlock)(rw, abstime));
}

TL__WRAPPER(int, pthread_rwlock_clockrdlock, pthread_rwlock_t *restrict rw, clockid_t clock,
            const struct timespec *restrict abstime)
{
    RWLOCK_ACQUIRE(rw, true, 1, TL__REAL(pthread_rwlock_clockrdlock)(rw, clock, abstime));
}

TL__WRAPPER(int, pthread_rwlock_clockwrlock, pthread_rwlock_t *restrict rw, clockid_t clock,
            const struct timespec *restrict abstime)
{
    RWLOCK_ACQUIRE(rw, false, 1, TL__REAL(pthread_rwlock_clockwrlock)(rw, clock, abstime));
}

/* Only what glibc's record proves is misuse: unlocked, or write-held by another thread. A read
 * hold of another thread cannot be told from one taken before checking began, so it is let be. */
static void rwlock_unlock_unheld(pthread_rwlock_t *rw)
{
    if (locks_self.held.overflow)
        return;
    int writer = rwlock_writer(rw);
    if (!rwlock_is_locked(rw))
        lock_misuse(TL_MISUSE_UNLOCK_UNLOCKED, (uintptr_t)rw, TL_LOCK_RWLOCK, 0);
    else if (writer != 0 && writer != locks_tid())
        lock_misuse(TL_MISUSE_UNLOCK_NOT_OWNER, (uintptr_t)rw, TL_LOCK_RWLOCK, 0);
}

TL__WRAPPER(int, pthread_rwlock_unlock, pthread_rwlock_t *rw)
{
    if (!lock_call_released(rw))
        rwlock_unlock_unheld(rw);
    return TL__REAL(pthread_rwlock_unlock)(rw);
}

TL__WRAPPER(int, pthread_rwlock_init, pthread_rwlock_t *restrict rw,
            const pthread_rwlockattr_t *restrict attr)
{
    int rc = TL__REAL(pthread_rwlock_init)(rw, attr);
    if (rc == 0 && locks_checking(rw))
        lock_identity_ends(rw, TL_LOCK_RWLOCK, false);
    return rc;
}

TL__WRAPPER(int, pthread_rwlock_destroy, pthread_rwlock_t *rw)
{
    bool checked = locks_checking(rw);
    if (checked && rwlock_is_locked(rw))
        lock_misuse(TL_MISUSE_DESTROY_LOCKED, (uintptr_t)rw, TL_LOCK_RWLOCK, 0);
    int rc = TL__REAL(pthread_rwlock_destroy)(rw);
    if (rc == 0 && checked)
        lock_identity_ends(rw, TL_LOCK_RWLOCK, true);
    return rc;
}
