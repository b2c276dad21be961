/* all_asleep (docs/locks.md, "How all_asleep is found"): every thread of the process waits, with
 * no timeout, for something only another thread of the process could give it, so nothing can
 * ever wake any of them. Checked by the thread that starts the last such wait, and only then.
 * Internal to the lock module. */
#ifndef THREADLEAK_ALL_ASLEEP_H
#define THREADLEAK_ALL_ASLEEP_H

#include "lock_module.h"

/* Called by a thread that has just recorded its wait (me) and is about to call libc's. Costs two
 * loads unless every thread that has a waiter slot waits now. */
void all_asleep_check(struct lock_waiter *me, int tid);

void all_asleep_fork_child(void);

#endif
