/* Semaphores. sem_wait without a timeout that finds the value 0 is recorded for all_asleep
 * (lock_waits.h): only a sem_post can end it (a process-shared one does not count there). The timed
 * and try waits end by themselves and are passed straight to libc. Return values and errno are
 * libc's, EINTR included: sem_wait returns it when a signal handler runs, whatever SA_RESTART says.
 */
#include "lock_module.h"
#include "lock_waits.h"

TL__WRAPPER(int, sem_wait, sem_t *sem)
{
    bool waits = sem_would_wait(sem) && lock_wait_begin_on(TL_LOCK_SEM, sem, 0, LOCK_CALL_SITE_PC);
    int rc = TL__REAL(sem_wait)(sem);
    if (waits)
        lock_wait_end();
    return rc;
}

TL__WRAPPER(int, sem_timedwait, sem_t *restrict sem, const struct timespec *restrict abstime)
{
    return TL__REAL(sem_timedwait)(sem, abstime);
}

TL__WRAPPER(int, sem_clockwait, sem_t *restrict sem, clockid_t clock,
            const struct timespec *restrict abstime)
{
    return TL__REAL(sem_clockwait)(sem, clock, abstime);
}

TL__WRAPPER(int, sem_trywait, sem_t *sem)
{
    return TL__REAL(sem_trywait)(sem);
}
