/* Condition-variable waits (cond_wait.h). */
#include "cond_wait.h"

/* The waits under way are counted per condition variable, with the mutex of the first; a wait
 * that starts with another mutex while any is under way is cond_wrong_mutex. */
static void note_waiter(struct cond_wait *w, enum tl__lock_type mutex_type)
{
    uint32_t before = atomic_fetch_add_explicit(&w->cond->cond_waiters, 1, memory_order_acq_rel);
    uintptr_t other = atomic_load_explicit(&w->cond->cond_mutex, memory_order_acquire);
    if (before > 0 && other != 0 && other != w->mutex)
        lock_misuse(TL_MISUSE_COND_WRONG_MUTEX, atomic_load(&w->cond->addr), TL_LOCK_COND, other);
    else if (before == 0 || other == 0)
        atomic_store_explicit(&w->cond->cond_mutex, w->mutex, memory_order_release);
    (void)mutex_type;
}

bool cond_wait_begin(struct cond_wait *w, const void *cond, const void *mutex,
                     enum tl__lock_type mutex_type, uintptr_t pc, uintptr_t frame)
{
    struct lock_call c;
    if (!locks_checking(cond) || !lock_call_begin(&c, mutex, mutex_type, pc, frame))
        return false;
    w->cond = lock_table_get((uintptr_t)cond, TL_LOCK_COND);
    if (!w->cond)
        return false;
    w->mutex = (uintptr_t)mutex;
    note_waiter(w, mutex_type);
    /* The wait takes the mutex again while this thread holds whatever else it holds. */
    lock_call_order(&c, false);
    w->held = c.held_index >= 0;
    if (w->held) {
        w->saved = locks_held.e[c.held_index];
        held_remove(&locks_held, c.held_index);
    }
    return true;
}

void cond_wait_end(struct cond_wait *w)
{
    uint32_t before = atomic_fetch_sub_explicit(&w->cond->cond_waiters, 1, memory_order_acq_rel);
    if (before == 1) {
        uintptr_t expected = w->mutex;
        atomic_compare_exchange_strong_explicit(&w->cond->cond_mutex, &expected, 0,
                                                memory_order_acq_rel, memory_order_relaxed);
    }
    if (w->held)
        held_push(&locks_held, &w->saved);
}
