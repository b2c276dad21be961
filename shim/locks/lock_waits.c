/* Live lock_cycle detection (lock_waits.h, docs/locks.md). A thread that finds its lock taken
 * writes "waits for L" into its slot of a static table, then follows the chain: L's owner (glibc's
 * own record: a mutex's __owner, an rwlock's __cur_writer), the lock that owner waits for, its
 * owner, and so on. The chain ends at a free lock, at an owner that does not wait (or waits with a
 * timeout, which is never recorded), or back at this thread: a cycle, closed by the last thread
 * to block, so it is the one that sees it. A cycle is read again after CYCLE_RECHECK_NS, and
 * reported only when every thread of it still waits for the same lock held by the same owner. */
#include "lock_waits.h"

#include "exit_report.h"
#include "live_stacks.h"
#include "check.h"
#include "lock_findings.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAITERS_MAX      1024u
#define CYCLE_MAX        TL_DEADLOCK_MAX_THREADS
#define CYCLE_RECHECK_NS 150000000L /* 150 ms: docs/locks.md, "the re-check" */
#define REPORTED_MAX     64u

static struct lock_waiter waiters[WAITERS_MAX];
static _Atomic uint64_t waiters_full;

/* The threads already named in a reported cycle: a deadlocked thread never waits again, and a
 * cycle seen by two of its threads at once is one deadlock. */
static _Atomic int reported[REPORTED_MAX];
static _Atomic unsigned nreported;

struct chain {
    unsigned n;
    int tid[CYCLE_MAX]; /* tid[i] waits for lock[i], held by tid[i + 1] (mod n) */
    struct lock_waiter *who[CYCLE_MAX];
    uintptr_t lock[CYCLE_MAX];
    uint8_t type[CYCLE_MAX];
};

static struct lock_waiter *claim_waiter(int tid)
{
    struct lock_waiter *w = locks_self.waiter;
    if (w && atomic_load_explicit(&w->tid, memory_order_relaxed) == tid)
        return w;
    for (unsigned i = 0; i < WAITERS_MAX; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&waiters[i].tid, &expected, tid)) {
            w = &waiters[i];
            w->state = &locks_self;
            w->record = tl__self;
            locks_self.waiter = w;
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

static struct lock_waiter *waiter_of(int tid)
{
    for (unsigned i = 0; i < WAITERS_MAX; i++)
        if (atomic_load_explicit(&waiters[i].tid, memory_order_relaxed) == tid)
            return &waiters[i];
    return NULL;
}

/* From this thread's wait, the chain of owners and their waits: true when it returns here. */
static bool follow_chain(struct lock_waiter *me, int tid, struct chain *ch)
{
    ch->n = 0;
    struct lock_waiter *w = me;
    int t = tid;
    while (ch->n < CYCLE_MAX) {
        uintptr_t lock = atomic_load_explicit(&w->waits_for, memory_order_acquire);
        if (!lock)
            return false;
        uint8_t type = atomic_load_explicit(&w->type, memory_order_relaxed);
        ch->tid[ch->n] = t;
        ch->who[ch->n] = w;
        ch->lock[ch->n] = lock;
        ch->type[ch->n] = type;
        ch->n++;
        int owner = lock_owner(lock, type);
        if (owner == 0 || owner == t) /* free, or its own (self_lock's or EDEADLK's case) */
            return false;
        if (owner == tid)
            return true;
        for (unsigned i = 1; i < ch->n; i++) /* a cycle this thread only leads into */
            if (ch->tid[i] == owner)
                return false;
        w = waiter_of(owner);
        if (!w)
            return false;
        t = owner;
    }
    return false;
}

static bool same_chain(const struct chain *a, const struct chain *b)
{
    if (a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (a->tid[i] != b->tid[i] || a->lock[i] != b->lock[i])
            return false;
    return true;
}

static bool already_reported(const struct chain *ch)
{
    unsigned n = atomic_load_explicit(&nreported, memory_order_acquire);
    for (unsigned i = 0; i < n && i < REPORTED_MAX; i++)
        for (unsigned j = 0; j < ch->n; j++)
            if (atomic_load_explicit(&reported[i], memory_order_relaxed) == ch->tid[j])
                return true;
    return false;
}

static void remember_reported(const struct chain *ch)
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

/* The other threads' stacks: they wait in libc's lock, a futex wait that a signal handler's
 * return restarts, so the live dump's signal is invisible to them. */
static void other_stack(struct tl__deadlock_thread *t, const struct live_stacks_dump *dump,
                        uintptr_t pc)
{
    const struct live_stack_thread *lt = dump ? live_stacks_find(dump, t->thread.tid) : NULL;
    if (lt && lt->status == LIVE_STACK_OK && lt->nframes) {
        /* From the lock call on, as this thread's own stack is: libc's frames above it say
         * nothing the waits_for lock does not. */
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
    t->frames[0] = (void *)pc; /* the lock call, at least */
    t->nframes = 1;
}

static void fill_thread(struct tl__deadlock_thread *t, const struct chain *ch, unsigned i,
                        bool self, const struct live_stacks_dump *dump)
{
    struct lock_waiter *w = ch->who[i];
    if (self) {
        lock_fill_actor(&t->thread);
        t->nframes = lock_capture(t->frames, TL_ORDER_STACK_DEPTH);
    } else {
        t->thread.tid = ch->tid[i];
        read_name(ch->tid[i], t->thread.name);
        t->thread.start_routine = w->record ? w->record->info.start_routine : NULL;
        other_stack(t, dump, atomic_load_explicit(&w->pc, memory_order_relaxed));
    }
    if (w->record) {
        t->ncreated = w->record->info.nframes;
        memcpy(t->created, w->record->info.frames, t->ncreated * sizeof *t->created);
    }
    t->waits_for = (struct tl__deadlock_lock){ch->lock[i], ch->type[i],
                                              atomic_load_explicit(&w->pc, memory_order_relaxed)};
    t->waits_for_owner = ch->tid[(i + 1) % ch->n];
    /* Its held set: the thread waits, so it does not change (but for the entry of the lock it
     * waits for, which the wrapper adds before libc's call). */
    const struct tl__held_set *held = &w->state->held;
    for (uint32_t j = 0; j < held->n && j < TL_HELD_MAX && t->nholds < TL_HELD_MAX; j++) {
        const struct tl__held *h = &held->e[j];
        if (h->addr == ch->lock[i])
            continue;
        t->holds[t->nholds++] = (struct tl__deadlock_lock){h->addr, h->type, h->pc};
    }
}

static void report_cycle(const struct chain *ch)
{
    static struct tl__deadlock_record r; /* too large for a host's stack; one at a time */
    static atomic_flag r_busy = ATOMIC_FLAG_INIT;
    while (atomic_flag_test_and_set_explicit(&r_busy, memory_order_acquire))
        sched_yield();
    if (already_reported(ch)) {
        atomic_flag_clear_explicit(&r_busy, memory_order_release);
        return;
    }
    remember_reported(ch);
    struct live_stacks_options lo = check_live_options(&tl__cfg);
    struct live_stacks_dump dump;
    bool dumped = live_stacks_dump(&lo, &dump) == 0;
    memset(&r, 0, sizeof r);
    r.kind = TL_DEADLOCK_LOCK_CYCLE;
    r.nthreads = (uint8_t)ch->n;
    for (unsigned i = 0; i < ch->n; i++)
        fill_thread(&r.threads[i], ch, i, i == 0, dumped ? &dump : NULL);
    if (dumped)
        live_stacks_free(&dump);
    lock_deadlock_note(&r);
    atomic_flag_clear_explicit(&r_busy, memory_order_release);
    lock_report_deadlock_now();
    if (tl__cfg.deadlock == TL_DEADLOCK_ABORT)
        abort();
}

/* The re-check's delay, whole even if a signal interrupts it. */
static void recheck_delay(void)
{
    struct timespec ts = {0, CYCLE_RECHECK_NS};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void look_for_cycle(struct lock_waiter *me, int tid)
{
    struct chain first, again;
    if (!follow_chain(me, tid, &first))
        return;
    recheck_delay();
    if (!follow_chain(me, tid, &again) || !same_chain(&first, &again)) {
        lock_cycle_dissolved_note();
        return;
    }
    report_cycle(&again);
}

bool lock_wait_begin(const struct lock_call *c)
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
    atomic_store_explicit(&w->type, c->type, memory_order_relaxed);
    atomic_store_explicit(&w->pc, c->pc, memory_order_relaxed);
    /* The fence orders this store before the loads of the others' waits, as theirs do: of two
     * threads closing a cycle at once, at least one sees the other's wait. One full barrier (a
     * seq_cst store before it would be a second). */
    atomic_store_explicit(&w->waits_for, c->addr, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    locks_self.busy++;
    look_for_cycle(w, tid);
    locks_self.busy--;
    errno = saved;
    return true;
}

void lock_waits_thread_exiting(void)
{
    struct lock_waiter *w = locks_self.waiter;
    if (!w)
        return;
    locks_self.waiter = NULL;
    atomic_store_explicit(&w->waits_for, 0, memory_order_relaxed);
    atomic_store_explicit(&w->tid, 0, memory_order_release);
}

void lock_waits_fork_child(void)
{
    for (unsigned i = 0; i < WAITERS_MAX; i++) {
        atomic_store_explicit(&waiters[i].waits_for, 0, memory_order_relaxed);
        atomic_store_explicit(&waiters[i].tid, 0, memory_order_relaxed);
    }
    locks_self.waiter = NULL;
}
