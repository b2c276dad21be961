/* C11 mtx_* and cnd_*wait. glibc's C11 functions call its pthread functions directly, not
 * through the PLT, so the pthread wrappers never see them: they are wrapped by name. An mtx_t is
 * a pthread_mutex_t (mtx_plain a normal mutex, mtx_recursive a recursive one), so glibc's record
 * of it is read as the mutex wrappers read it. thrd_success is 0. */
#include "cond_wait.h"
#include "lock_waits.h"

static pthread_mutex_t *as_mutex(mtx_t *m)
{
    return (pthread_mutex_t *)(void *)m;
}

#define MTX_ACQUIRE(m, blocking, call)                                                             \
    struct lock_call c;                                                                            \
    if (!lock_call_begin(&c, (m), TL_LOCK_C11, LOCK_CALL_SITE))                                    \
        return (call);                                                                             \
    lock_call_prepare(&c, (blocking) != 0, false);                                                 \
    if (__builtin_expect(c.held_index >= 0, 0) && (blocking) == 2 &&                               \
        mutex_relock_hangs(as_mutex(m)) && mutex_owned_by_caller(as_mutex(m)))                     \
        lock_self_lock(&c);                                                                        \
    if (__builtin_expect((blocking) == 2 && c.held_index < 0 && mutex_taken(as_mutex(m)), 0) &&    \
        lock_wait_begin(&c)) {                                                                     \
        lock_call_taking(&c, TL_HELD_WRITE, false);                                                \
        int rc = (call);                                                                           \
        lock_wait_end();                                                                           \
        if (rc != thrd_success)                                                                    \
            lock_call_failed(&c);                                                                  \
        return rc;                                                                                 \
    }                                                                                              \
    lock_call_taking(&c, TL_HELD_WRITE, !(blocking));                                              \
    int rc = (call);                                                                               \
    if (rc != thrd_success)                                                                        \
        lock_call_failed(&c);                                                                      \
    return rc

TL__WRAPPER(int, mtx_lock, mtx_t *m)
{
    MTX_ACQUIRE(m, 2, TL__REAL(mtx_lock)(m));
}

TL__WRAPPER(int, mtx_trylock, mtx_t *m)
{
    MTX_ACQUIRE(m, 0, TL__REAL(mtx_trylock)(m));
}

TL__WRAPPER(int, mtx_timedlock, mtx_t *restrict m, const struct timespec *restrict ts)
{
    MTX_ACQUIRE(m, 1, TL__REAL(mtx_timedlock)(m, ts));
}

TL__WRAPPER(int, mtx_unlock, mtx_t *m)
{
    if (locks_checking(m) && !lock_call_released((uintptr_t)m))
        mutex_unlock_unheld(as_mutex(m), TL_LOCK_C11);
    return TL__REAL(mtx_unlock)(m);
}

TL__WRAPPER(int, mtx_init, mtx_t *m, int type)
{
    int rc = TL__REAL(mtx_init)(m, type);
    if (rc == thrd_success && locks_checking(m))
        lock_identity_ends(m, TL_LOCK_C11, false);
    return rc;
}

TL__WRAPPER(void, mtx_destroy, mtx_t *m)
{
    bool checked = mutex_destroy_begins(as_mutex(m), TL_LOCK_C11);
    TL__REAL(mtx_destroy)(m);
    if (checked)
        lock_identity_ends(m, TL_LOCK_C11, true);
}

TL__WRAPPER(int, cnd_wait, cnd_t *cond, mtx_t *m)
{
    struct cond_wait w;
    if (!cond_wait_begin(&w, cond, m, TL_LOCK_C11, LOCK_CALL_SITE))
        return TL__REAL(cnd_wait)(cond, m);
    bool waits = lock_wait_begin_on(TL_LOCK_COND, cond, (uintptr_t)m, LOCK_CALL_SITE_PC);
    int rc = TL__REAL(cnd_wait)(cond, m);
    if (waits)
        lock_wait_end();
    cond_wait_end(&w);
    return rc;
}

TL__WRAPPER(int, cnd_timedwait, cnd_t *restrict cond, mtx_t *restrict m,
            const struct timespec *restrict ts)
{
    struct cond_wait w;
    if (!cond_wait_begin(&w, cond, m, TL_LOCK_C11, LOCK_CALL_SITE))
        return TL__REAL(cnd_timedwait)(cond, m, ts);
    int rc = TL__REAL(cnd_timedwait)(cond, m, ts);
    cond_wait_end(&w);
    return rc;
}
