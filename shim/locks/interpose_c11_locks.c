/* C11 mtx_* and cnd_*wait. glibc's C11 functions call its pthread functions directly, not
 * through the PLT, so the pthread wrappers never see them: they are wrapped by name. An mtx_t is
 * a pthread_mutex_t (mtx_plain a normal mutex, mtx_recursive a recursive one), so glibc's record
 * of it is read as the mutex wrappers read it. thrd_success is 0. */
#include "cond_wait.h"
#include "mutex_acquire.h"

static pthread_mutex_t *as_mutex(mtx_t *m)
{
    return (pthread_mutex_t *)(void *)m;
}

SLOW mtx_lock_slow(mtx_t *m, uintptr_t pc, uintptr_t frame)
{
    MUTEX_SLOW(as_mutex(m), TL_LOCK_C11, 2, TL__REAL(mtx_lock)(m), pc, frame);
}

TL__WRAPPER(int, mtx_lock, mtx_t *m)
{
    MUTEX_FAST(as_mutex(m), TL_LOCK_C11, 2, TL__REAL(mtx_lock)(m));
    return mtx_lock_slow(m, LOCK_CALL_SITE);
}

SLOW mtx_trylock_slow(mtx_t *m, uintptr_t pc, uintptr_t frame)
{
    MUTEX_SLOW(as_mutex(m), TL_LOCK_C11, 0, TL__REAL(mtx_trylock)(m), pc, frame);
}

TL__WRAPPER(int, mtx_trylock, mtx_t *m)
{
    MUTEX_FAST(as_mutex(m), TL_LOCK_C11, 0, TL__REAL(mtx_trylock)(m));
    return mtx_trylock_slow(m, LOCK_CALL_SITE);
}

SLOW mtx_timedlock_slow(mtx_t *restrict m, const struct timespec *restrict ts, uintptr_t pc,
                        uintptr_t frame)
{
    MUTEX_SLOW(as_mutex(m), TL_LOCK_C11, 1, TL__REAL(mtx_timedlock)(m, ts), pc, frame);
}

TL__WRAPPER(int, mtx_timedlock, mtx_t *restrict m, const struct timespec *restrict ts)
{
    MUTEX_FAST(as_mutex(m), TL_LOCK_C11, 1, TL__REAL(mtx_timedlock)(m, ts));
    return mtx_timedlock_slow(m, ts, LOCK_CALL_SITE);
}

TL__WRAPPER(int, mtx_unlock, mtx_t *m)
{
    if (!lock_call_released(m))
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
