/* pthread_barrier_wait: a wait that only the barrier's other parties can end. A process-private
 * barrier's wait is recorded for all_asleep (lock_waits.h); libc's return value
 * (PTHREAD_BARRIER_SERIAL_THREAD for one party) and errno are passed on. */
#include "lock_module.h"
#include "lock_waits.h"

TL__WRAPPER(int, pthread_barrier_wait, pthread_barrier_t *barrier)
{
    bool waits = lock_wait_begin_on(TL_LOCK_BARRIER, barrier, 0, LOCK_CALL_SITE_PC);
    int rc = TL__REAL(pthread_barrier_wait)(barrier);
    if (waits)
        lock_wait_end();
    return rc;
}
