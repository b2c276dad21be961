/* Live lock_cycle and join_cycle detection (lock_waits.h, docs/locks.md). A thread about to wait
 * writes "waits for L" (a lock, or a thread it joins) into its slot of a static table, then
 * follows the chain: L's owner (glibc's own record: a mutex's __owner, an rwlock's __cur_writer;
 * for a join, the thread joined), what that thread waits for, and so on. The chain ends at a free
 * lock, at a thread that does not wait (or waits with a timeout, which is never recorded), or back
 * at this thread: a cycle, closed by the last thread to block, so it is the one that sees it. A
 * cycle is read again after LOCK_WAITS_RECHECK_NS, and reported only when every thread of it still
 * waits for the same thing held by the same owner. Then the all_asleep check (all_asleep.h). */
#include "lock_waits.h"

#include "all_asleep.h"
#include "locks_hooks.h"

#include "check.h"
#include "exit_report.h"
#include "live_stacks.h"
#include "lock_findings.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CYCLE_MAX    8u /* threads followed from one wait */
#define REPORTED_MAX 64u

static struct lock_waiter waiters[LOCK_WAITERS_MAX];
static _Atomic unsigned waiters_used; /* slots from here on were never claimed */
static _Atomic unsigned waiters_claimed;
static _Atomic uint64_t waiters_full;
_Atomic unsigned lock_waits_recorded;

/* The threads already named in a reported deadlock: a deadlocked thread never waits again, and a
 * cycle seen by two of its threads at once is one deadlock. */
static _Atomic int reported[REPORTED_MAX];
static _Atomic unsigned nreported;

struct lock_waiter *lock_waiters(unsigned *used, unsigned *claimed)
{
    *used = atomic_load_explicit(&waiters_used, memory_order_acquire);
    if (claimed)
        *claimed = atomic_load_explicit(&waiters_claimed, memory_order_seq_cst);
    return waiters;
}

static void note_used(unsigned i)
{
    unsigned used = atomic_load_explicit(&waiters_used, memory_order_relaxed);
    while (used < i + 1 &&
           !atomic_compare_exchange_weak_explicit(&waiters_used, &used, i + 1, memory_order_release,
                                                  memory_order_relaxed)) {
    }
}

static struct lock_waiter *claim_waiter(int tid)
{
    struct lock_waiter *w = locks_self.waiter;
    if (w && atomic_load_explicit(&w->tid, memory_order_relaxed) == tid)
        return w;
    for (unsigned i = 0; i < LOCK_WAITERS_MAX; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&waiters[i].tid, &expected, tid)) {
            w = &waiters[i];
            w->state = &locks_self;
            w->record = tl__self;
            locks_self.waiter = w;
            note_used(i);
            atomic_fetch_add_explicit(&waiters_claimed, 1, memory_order_seq_cst);
            return w;
        }
    }
    atomic_fetch_add_explicit(&waiters_full, 1, memory_order_relaxed);
    return NULL;
}

/* The thread that holds the lock by glibc's record, 0 when none (or readers only). */
static int lock_owner(uintptr_t addr, uint8_t type)
{
    if (type == TL_LOCK_RWLOCK)
        return (int)__atomic_load_n(&((pthread_rwlock_t *)addr)->__data.__cur_writer,
                                    __ATOMIC_RELAXED);
    return __atomic_load_n(&((pthread_mutex_t *)addr)->__data.__owner, __ATOMIC_RELAXED);
}

int lock_wait_target(uint8_t type, uintptr_t addr, uintptr_t other)
{
    switch (type) {
    case TL_LOCK_MUTEX:
    case TL_LOCK_RWLOCK:
    case TL_LOCK_C11:
        return lock_owner(addr, type);
    case TL_LOCK_THREAD: /* other: the joined thread's record, alive while the join waits */
        return other ? __atomic_load_n(&((const struct tl__thread_record *)other)->info.tid,
                                       __ATOMIC_RELAXED)
                     : 0;
    default: /* a condition variable, barrier or semaphore: nobody in particular */
        return 0;
    }
}

struct lock_waiter *lock_waiter_of(int tid)
{
    unsigned used = atomic_load_explicit(&waiters_used, memory_order_acquire);
    for (unsigned i = 0; i < used; i++)
        if (atomic_load_explicit(&waiters[i].tid, memory_order_relaxed) == tid)
            return &waiters[i];
    return NULL;
}

static void chain_add(struct lock_wait_set *ch, int tid, struct lock_waiter *w, uintptr_t addr)
{
    unsigned i = ch->n++;
    ch->tid[i] = tid;
    ch->who[i] = w;
    ch->addr[i] = addr;
    ch->type[i] = atomic_load_explicit(&w->type, memory_order_relaxed);
    ch->other[i] = atomic_load_explicit(&w->other, memory_order_relaxed);
}

/* From thread tid's wait (w), the chain of owners and their waits: true when it returns to tid. */
bool lock_wait_chain(struct lock_waiter *w, int tid, struct lock_wait_set *ch)
{
    ch->n = 0;
    int t = tid;
    while (ch->n < CYCLE_MAX) {
        uintptr_t addr = atomic_load_explicit(&w->waits_for, memory_order_acquire);
        if (!addr)
            return false;
        chain_add(ch, t, w, addr);
        unsigned i = ch->n - 1;
        int owner = lock_wait_target(ch->type[i], addr, ch->other[i]);
        if (owner == 0 || owner == t) /* free, or its own (self_lock's or EDEADLK's case) */
            return false;
        if (owner == tid)
            return true;
        for (unsigned j = 1; j < ch->n; j++) /* a cycle this thread only leads into */
            if (ch->tid[j] == owner)
                return false;
        w = lock_waiter_of(owner);
        if (!w)
            return false;
        t = owner;
    }
    return false;
}

static bool same_chain(const struct lock_wait_set *a, const struct lock_wait_set *b)
{
    if (a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (a->tid[i] != b->tid[i] || a->addr[i] != b->addr[i])
            return false;
    return true;
}

static bool already_reported(const struct lock_wait_set *ch)
{
    unsigned n = atomic_load_explicit(&nreported, memory_order_acquire);
    for (unsigned i = 0; i < n && i < REPORTED_MAX; i++)
        for (unsigned j = 0; j < ch->n; j++)
            if (atomic_load_explicit(&reported[i], memory_order_relaxed) == ch->tid[j])
                return true;
    return false;
}

static void remember_reported(const struct lock_wait_set *ch)
{
    for (unsigned j = 0; j < ch->n; j++) {
        unsigned i = atomic_fetch_add_explicit(&nreported, 1, memory_order_acq_rel);
        if (i < REPORTED_MAX)
            atomic_store_explicit(&reported[i], ch->tid[j], memory_order_release);
    }
}

static void read_name(int tid, char *name)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, name, TL_NAME_MAX - 1) : -1;
    if (fd >= 0)
        close(fd);
    name[n > 0 ? n : 0] = '\0';
    char *nl = strchr(name, '\n');
    if (nl)
        *nl = '\0';
}

/* The other threads' stacks: they wait in libc, in futex waits that a signal handler's return
 * restarts, so the live dump's signal is invisible to them. */
static void other_stack(struct tl__deadlock_thread *t, const struct live_stacks_dump *dump,
                        uintptr_t pc)
{
    const struct live_stack_thread *lt = dump ? live_stacks_find(dump, t->thread.tid) : NULL;
    if (lt && lt->status == LIVE_STACK_OK && lt->nframes) {
        /* From the wait call on, as this thread's own stack is: libc's frames above it say
         * nothing the waits_for object does not. */
        size_t first = lt->first_frame_is_pc ? 1 : 0;
        for (size_t i = first; i < lt->nframes; i++)
            if ((uintptr_t)lt->frames[i] == pc) {
                first = i;
                break;
            }
        for (size_t i = first; i < lt->nframes && t->nframes < TL_ORDER_STACK_DEPTH; i++)
            t->frames[t->nframes++] = lt->frames[i];
        return;
    }
    t->frames[0] = (void *)pc; /* the wait call, at least */
    t->nframes = 1;
}

static void fill_thread(struct tl__deadlock_thread *t, const struct lock_wait_set *ch, unsigned i,
                        const struct live_stacks_dump *dump)
{
    struct lock_waiter *w = ch->who[i];
    uintptr_t pc = atomic_load_explicit(&w->pc, memory_order_relaxed);
    if (ch->tid[i] == locks_tid()) {
        lock_fill_actor(&t->thread);
        t->nframes = lock_capture(t->frames, TL_ORDER_STACK_DEPTH);
    } else {
        t->thread.tid = ch->tid[i];
        read_name(ch->tid[i], t->thread.name);
        t->thread.start_routine = w->record ? w->record->info.start_routine : NULL;
        other_stack(t, dump, pc);
    }
    if (w->record) {
        t->ncreated = w->record->info.nframes;
        memcpy(t->created, w->record->info.frames, t->ncreated * sizeof *t->created);
    }
    uint8_t type = ch->type[i];
    /* A join names the thread by its pthread_t, as the join misuse kinds do. */
    uintptr_t addr = ch->addr[i];
    t->waits_for = (struct tl__deadlock_lock){addr, type, pc};
    t->waits_for_owner = lock_wait_target(type, addr, ch->other[i]);
    t->waits_for_mutex = type == TL_LOCK_COND ? ch->other[i] : 0;
    /* Its held set: the thread waits, so it does not change (but for the entry of the lock it
     * waits for, which the wrapper adds before libc's call). */
    const struct tl__held_set *held = &w->state->held;
    for (uint32_t j = 0; j < held->n && j < TL_HELD_MAX && t->nholds < TL_HELD_MAX; j++) {
        const struct tl__held *h = &held->e[j];
        if (h->addr == addr)
            continue;
        t->holds[t->nholds++] = (struct tl__deadlock_lock){h->addr, h->type, h->pc};
    }
}

bool lock_waits_report(enum tl__deadlock_kind kind, const struct lock_wait_set *ch,
                       unsigned omitted)
{
    static struct tl__deadlock_record r; /* too large for a host's stack; one at a time */
    static atomic_flag r_busy = ATOMIC_FLAG_INIT;
    while (atomic_flag_test_and_set_explicit(&r_busy, memory_order_acquire))
        sched_yield();
    if (already_reported(ch)) {
        atomic_flag_clear_explicit(&r_busy, memory_order_release);
        return false;
    }
    remember_reported(ch);
    struct live_stacks_options lo = check_live_options(&tl__cfg);
    struct live_stacks_dump dump;
    bool dumped = live_stacks_dump(&lo, &dump) == 0;
    memset(&r, 0, sizeof r);
    r.kind = (uint8_t)kind;
    r.nthreads = (uint8_t)ch->n;
    r.omitted = (uint16_t)omitted;
    for (unsigned i = 0; i < ch->n; i++)
        fill_thread(&r.threads[i], ch, i, dumped ? &dump : NULL);
    if (dumped)
        live_stacks_free(&dump);
    lock_deadlock_note(&r);
    atomic_flag_clear_explicit(&r_busy, memory_order_release);
    lock_report_deadlock_now();
    if (tl__cfg.deadlock == TL_DEADLOCK_ABORT)
        abort();
    return true;
}

/* A cycle with a join in it is a join_cycle; of locks alone, a lock_cycle. */
enum tl__deadlock_kind lock_wait_cycle_kind(const struct lock_wait_set *ch)
{
    for (unsigned i = 0; i < ch->n; i++)
        if (ch->type[i] == TL_LOCK_THREAD)
            return TL_DEADLOCK_JOIN_CYCLE;
    return TL_DEADLOCK_LOCK_CYCLE;
}

/* The re-check's delay, whole even if a signal interrupts it. */
void lock_waits_recheck_delay(void)
{
    struct timespec ts = {0, LOCK_WAITS_RECHECK_NS};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* True when a cycle was reported. */
static bool look_for_cycle(struct lock_waiter *me, int tid)
{
    struct lock_wait_set first, again; /* ~1 KiB of the host's stack, in a wait that sleeps */
    if (!lock_wait_chain(me, tid, &first))
        return false;
    lock_waits_recheck_delay();
    if (!lock_wait_chain(me, tid, &again) || !same_chain(&first, &again)) {
        lock_cycle_dissolved_note();
        return false;
    }
    lock_waits_report(lock_wait_cycle_kind(&again), &again, 0);
    return true;
}

/* Records the wait, looks for a cycle through it (when it has an owner to follow), then for
 * all_asleep. */
static bool wait_begin(uint8_t type, uintptr_t addr, uintptr_t other, uintptr_t pc, bool chains)
{
    if (lock_inside_own_work())
        return false;
    int saved = errno;
    int tid = locks_tid();
    struct lock_waiter *w = claim_waiter(tid);
    if (!w) {
        errno = saved;
        return false;
    }
    atomic_store_explicit(&w->type, type, memory_order_relaxed);
    atomic_store_explicit(&w->pc, pc, memory_order_relaxed);
    atomic_store_explicit(&w->other, other, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->seq, 1, memory_order_relaxed);
    atomic_store_explicit(&w->waits_for, addr, memory_order_release);
    atomic_fetch_add_explicit(&lock_waits_recorded, 1, memory_order_relaxed);
    /* The fence orders these stores before the loads of the others' waits, as theirs do: of two
     * threads closing a cycle at once, at least one sees the other's wait; of two threads
     * starting the last waits at once, at least one counts both. */
    atomic_thread_fence(memory_order_seq_cst);
    locks_self.busy++;
    bool reported = chains && look_for_cycle(w, tid);
    if (!reported)
        all_asleep_check(w, tid);
    locks_self.busy--;
    errno = saved;
    return true;
}

bool lock_wait_begin(const struct lock_call *c)
{
    return wait_begin(c->type, c->addr, 0, c->pc, true);
}

bool lock_wait_begin_on(enum tl__lock_type type, const void *addr, uintptr_t other, uintptr_t pc)
{
    if (!locks_checking(addr))
        return false;
    return wait_begin((uint8_t)type, (uintptr_t)addr, other, pc, false);
}

void lock_waits_thread_exiting(void)
{
    struct lock_waiter *w = locks_self.waiter;
    if (!w)
        return;
    locks_self.waiter = NULL;
    /* A wait left without its epilogue (a cancelled condition wait) is over too. */
    if (atomic_exchange_explicit(&w->waits_for, 0, memory_order_relaxed))
        atomic_fetch_sub_explicit(&lock_waits_recorded, 1, memory_order_relaxed);
    atomic_fetch_sub_explicit(&waiters_claimed, 1, memory_order_seq_cst);
    atomic_store_explicit(&w->tid, 0, memory_order_release);
}

void lock_waits_fork_child(void)
{
    for (unsigned i = 0; i < LOCK_WAITERS_MAX; i++) {
        atomic_store_explicit(&waiters[i].waits_for, 0, memory_order_relaxed);
        atomic_store_explicit(&waiters[i].tid, 0, memory_order_relaxed);
    }
    atomic_store_explicit(&waiters_used, 0, memory_order_relaxed);
    atomic_store_explicit(&waiters_claimed, 0, memory_order_relaxed);
    atomic_store_explicit(&lock_waits_recorded, 0, memory_order_relaxed);
    locks_self.waiter = NULL;
    all_asleep_fork_child();
}

/* --- joins (locks_hooks.h) --- */

/* A join that waits for ever (pthread_join, thrd_join) of a tracked thread still running: "waits
 * for that thread", which the chains follow to what it waits for. The record stays valid while
 * the join waits (it is freed only once a join succeeded). */
bool locks_join_wait_begin(pthread_t thread, const struct tl__thread_record *r, uintptr_t pc)
{
    if (!r || (atomic_load(&r->flags) & (TL_F_EXITED | TL_F_DETACHED | TL_F_TOOL)) ||
        !locks_checking(NULL))
        return false;
    return wait_begin(TL_LOCK_THREAD, (uintptr_t)thread, (uintptr_t)r, pc, true);
}

void locks_join_wait_end(void)
{
    lock_wait_end();
}
