/* The misuse and deadlock stores (lock_events.h). */
#include "lock_events.h"

#include <sched.h>
#include <stdatomic.h>
#include <string.h>

static atomic_flag events_lock = ATOMIC_FLAG_INIT;
static struct tl__misuse_record misuse[TL_MISUSE_MAX];
static size_t nmisuse;
static struct tl__deadlock_record deadlocks[TL_DEADLOCK_MAX];
static size_t ndeadlocks;
static _Atomic uint64_t dropped;

static const char *const misuse_names[TL_MISUSE_KINDS] = {
    [TL_MISUSE_UNLOCK_NOT_OWNER] = "unlock_not_owner",
    [TL_MISUSE_UNLOCK_UNLOCKED] = "unlock_unlocked",
    [TL_MISUSE_DESTROY_LOCKED] = "destroy_locked",
    [TL_MISUSE_EXIT_HOLDING_LOCK] = "exit_holding_lock",
    [TL_MISUSE_COND_WRONG_MUTEX] = "cond_wrong_mutex",
    [TL_MISUSE_LOCK_DESTROYED] = "lock_destroyed",
    [TL_MISUSE_JOIN_DETACHED] = "join_detached",
    [TL_MISUSE_DOUBLE_JOIN] = "double_join",
};

static const char *const deadlock_names[TL_DEADLOCK_KINDS] = {
    [TL_DEADLOCK_SELF_LOCK] = "self_lock",
    [TL_DEADLOCK_LOCK_CYCLE] = "lock_cycle",
    [TL_DEADLOCK_JOIN_CYCLE] = "join_cycle",
    [TL_DEADLOCK_ALL_ASLEEP] = "all_asleep",
};

const char *misuse_kind_name(enum tl__misuse_kind kind)
{
    return (unsigned)kind < TL_MISUSE_KINDS ? misuse_names[kind] : "unknown";
}

const char *deadlock_kind_name(enum tl__deadlock_kind kind)
{
    return (unsigned)kind < TL_DEADLOCK_KINDS ? deadlock_names[kind] : "unknown";
}

static void take(void)
{
    unsigned spins = 0;
    while (atomic_flag_test_and_set_explicit(&events_lock, memory_order_acquire))
        if (++spins % 64 == 0)
            sched_yield();
}

static void release(void)
{
    atomic_flag_clear_explicit(&events_lock, memory_order_release);
}

void lock_misuse_note(const struct tl__misuse_record *r)
{
    void *site = r->nframes ? r->frames[0] : NULL;
    take();
    for (size_t i = 0; i < nmisuse; i++) {
        void *other = misuse[i].nframes ? misuse[i].frames[0] : NULL;
        if (misuse[i].kind == r->kind && other == site) {
            misuse[i].count++;
            release();
            return;
        }
    }
    if (nmisuse < TL_MISUSE_MAX) {
        misuse[nmisuse] = *r;
        misuse[nmisuse].count = 1;
        nmisuse++;
    } else {
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    }
    release();
}

size_t lock_misuse_copy(struct tl__misuse_record *out, size_t max)
{
    take();
    size_t n = nmisuse < max ? nmisuse : max;
    memcpy(out, misuse, n * sizeof *out);
    release();
    return n;
}

void lock_deadlock_note(const struct tl__deadlock_record *r)
{
    take();
    if (ndeadlocks < TL_DEADLOCK_MAX)
        deadlocks[ndeadlocks++] = *r;
    else
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    release();
}

size_t lock_deadlock_copy(struct tl__deadlock_record *out, size_t max)
{
    take();
    size_t n = ndeadlocks < max ? ndeadlocks : max;
    memcpy(out, deadlocks, n * sizeof *out);
    release();
    return n;
}

uint64_t lock_events_dropped(void)
{
    return atomic_load(&dropped);
}

static _Atomic uint64_t cycles_dissolved;

void lock_cycle_dissolved_note(void)
{
    atomic_fetch_add_explicit(&cycles_dissolved, 1, memory_order_relaxed);
}

uint64_t lock_cycles_dissolved(void)
{
    return atomic_load_explicit(&cycles_dissolved, memory_order_relaxed);
}

void lock_events_fork_child(void)
{
    atomic_flag_clear(&events_lock);
}

void lock_events_reset_for_tests(void)
{
    nmisuse = 0;
    ndeadlocks = 0;
    atomic_store(&dropped, 0);
    atomic_store(&cycles_dissolved, 0);
}
