/* The bookkeeping around a condition-variable wait, shared by pthread_cond_*wait and C11
 * cnd_*wait: the wait releases the mutex and takes it again before it returns, so the mutex
 * leaves the held set for the wait and comes back after it; and a condition variable must not
 * be waited on with two mutexes at once (cond_wrong_mutex). Internal to the lock module. */
#ifndef THREADLEAK_COND_WAIT_H
#define THREADLEAK_COND_WAIT_H

#include "lock_module.h"

struct cond_wait {
    struct tl__lock *cond;
    uintptr_t mutex;
    bool held; /* the mutex was in the held set, and is restored from saved */
    struct tl__held saved;
};

/* False when the wait is not checked. */
bool cond_wait_begin(struct cond_wait *w, const void *cond, const void *mutex,
                     enum tl__lock_type mutex_type, uintptr_t pc, uintptr_t frame);
void cond_wait_end(struct cond_wait *w);

#endif
