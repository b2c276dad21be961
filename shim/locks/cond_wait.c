/* Condition-variable waits (cond_wait.h). */
#include "cond_wait.h"

/* The waits under way are counted per condition variable, with the mutex of the first; a wait
 * that starts with another mutex while any is under way is cond_wrong_mutex. The count saturates
 * rather than wrap (65,535 waiters at once). */
static void note_waiter(struct cond_wait *w)
{
    uint64_t old = atomic_load_explicit(&w->cond->cond_state, memory_order_acquire), new;
    uintptr_t other;
    do {
        unsigned waiters = TL_COND_WAITERS(old);
        other = TL_COND_MUTEX(old);
        if (waiters == 0 || other == 0)
            other = w->mutex;
        new = TL_COND_STATE(waiters == 0xffff ? waiters : waiters + 1, other);
    } while (!atomic_compare_exchange_weak_explicit(&w->cond->cond_state, &old, new,
                                                    memory_order_acq_rel, memory_order_acquire));
    if (other != w->mutex)
        lock_misuse(TL_MISUSE_COND_WRONG_MUTEX, atomic_load(&w->cond->addr), TL_LOCK_COND, other);
}

/* The last wait to leave unbinds the mutex. */
static void note_waiter_gone(struct cond_wait *w)
{
    uint64_t old = atomic_load_explicit(&w->cond->cond_state, memory_order_acquire), new;
    do {
        unsigned waiters = TL_COND_WAITERS(old);
        if (waiters == 0 || waiters == 0xffff)
            return;
        new = waiters == 1 ? 0 : TL_COND_STATE(waiters - 1, TL_COND_MUTEX(old));
    } while (!atomic_compare_exchange_weak_explicit(&w->cond->cond_state, &old, new,
                                                    memory_order_acq_rel, memory_order_acquire));
}

bool cond_wait_begin(struct cond_wait *w, const void *cond, const void *mutex,
                     enum tl__lock_type mutex_type, uintptr_t pc, uintptr_t frame)
{
    struct lock_call c;
    if (!locks_checking(cond) || !lock_call_begin(&c, mutex, mutex_type, pc, frame))
        return false;
    w->cond = locks_lookup((uintptr_t)cond, TL_LOCK_COND);
    if (!w->cond)
        return false;
    w->mutex = (uintptr_t)mutex;
    note_waiter(w);
    /* The wait takes the mutex again while this thread holds whatever else it holds. */
    lock_call_prepare(&c, true, false);
    w->held = c.held_index >= 0;
    if (w->held) {
        w->saved = locks_self.held.e[c.held_index];
        held_remove(&locks_self.held, c.held_index);
    }
    return true;
}

void cond_wait_end(struct cond_wait *w)
{
    note_waiter_gone(w);
    if (w->held)
        held_push(&locks_self.held, &w->saved);
}
