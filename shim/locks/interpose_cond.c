/* pthread_cond_*wait (cond_wait.h). glibc takes the mutex back before any of them returns, even
 * on a timeout, so the held set gets it back whatever the result. The untimed wait is recorded
 * for all_asleep (lock_waits.h). */
#include "cond_wait.h"
#include "lock_waits.h"

TL__WRAPPER(int, pthread_cond_wait, pthread_cond_t *restrict cond, pthread_mutex_t *restrict m)
{
    struct cond_wait w;
    if (!cond_wait_begin(&w, cond, m, TL_LOCK_MUTEX, LOCK_CALL_SITE))
        return TL__REAL(pthread_cond_wait)(cond, m);
    bool waits = lock_wait_begin_on(TL_LOCK_COND, cond, (uintptr_t)m, LOCK_CALL_SITE_PC);
    int rc = TL__REAL(pthread_cond_wait)(cond, m);
    if (waits)
        lock_wait_end();
    cond_wait_end(&w);
    return rc;
}

TL__WRAPPER(int, pthread_cond_timedwait, pthread_cond_t *restrict cond, pthread_mutex_t *restrict m,
            const struct timespec *restrict abstime)
{
    struct cond_wait w;
    if (!cond_wait_begin(&w, cond, m, TL_LOCK_MUTEX, LOCK_CALL_SITE))
        return TL__REAL(pthread_cond_timedwait)(cond, m, abstime);
    int rc = TL__REAL(pthread_cond_timedwait)(cond, m, abstime);
    cond_wait_end(&w);
    return rc;
}

TL__WRAPPER(int, pthread_cond_clockwait, pthread_cond_t *restrict cond, pthread_mutex_t *restrict m,
            clockid_t clock, const struct timespec *restrict abstime)
{
    struct cond_wait w;
    if (!cond_wait_begin(&w, cond, m, TL_LOCK_MUTEX, LOCK_CALL_SITE))
        return TL__REAL(pthread_cond_clockwait)(cond, m, clock, abstime);
    int rc = TL__REAL(pthread_cond_clockwait)(cond, m, clock, abstime);
    cond_wait_end(&w);
    return rc;
}
