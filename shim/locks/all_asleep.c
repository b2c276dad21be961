/* all_asleep (all_asleep.h). Every recorded wait is untimed and on a process-private object that
 * only another thread of this process can end: a mutex or rwlock lock, a condition wait, a join,
 * a barrier, a semaphore. When the thread that starts a wait finds every thread with a waiter slot
 * waiting (two loads), it takes a snapshot of the table and checks that
 *   1. each wait is one that cannot end by itself: its lock is held (and not by a thread whose
 *      condition wait is about to release it; for a condition wait, which may have been
 *      signalled and be retaking its mutex, the same), its joined thread waits too, its
 *      semaphore is 0,
 *      its barrier has fewer threads waiting than it needs, its object is not process-shared;
 *   2. the kernel knows no other thread of the process (/proc/self/task): a thread in read, poll,
 *      accept, sigwait, a timed wait, or created by a raw clone, is not in the table, and then
 *      nobody is asleep; threadleak's own threads do not count;
 *   3. no signal handler of the host's could end a condition or semaphore wait (sem_post is
 *      async-signal-safe: a handler posting a semaphore is how a signal is waited for);
 * then sleeps LOCK_WAITS_RECHECK_NS and reports only if the table shows the very same waits
 * (each slot's wait sequence number unchanged), still unable to end, and every other thread is
 * asleep in the kernel's futex wait. A cycle among the sleepers is reported as the cycle. */
#include "all_asleep.h"

#include "lock_waits.h"

#include "module_text.h"
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* glibc's layouts (2.34 and later, 64-bit), the fields its own headers declare or that its
 * sources name: what a wait would find. */
#define GLIBC_MUTEX_PSHARED_BIT   128 /* in __kind */
#define GLIBC_LLL_PRIVATE         0   /* a semaphore's `private`, a barrier's `shared` */
#define GLIBC_COND_PSHARED        1u  /* in __wrefs */
#define GLIBC_RWLOCK_READER_SHIFT 3

struct glibc_sem {
    uint64_t data; /* value in the low 32 bits, waiters in the high */
    int private;
    int pad;
};

struct glibc_barrier {
    unsigned int in;
    unsigned int current_round;
    unsigned int count;
    int shared;
    unsigned int out;
};

_Static_assert(sizeof(struct glibc_sem) <= sizeof(sem_t), "glibc's sem_t");
_Static_assert(sizeof(struct glibc_barrier) <= sizeof(pthread_barrier_t), "glibc's barrier");

#define CHECK_ROUNDS 4 /* checks made on behalf of threads that found one under way */

struct sleeper {
    int tid;
    struct lock_waiter *w;
    uint32_t seq;
    uintptr_t addr, other;
    uint8_t type;
};

struct snapshot {
    unsigned n;
    struct sleeper s[LOCK_WAITERS_MAX];
};

/* One check at a time; its snapshots are too large for a host's stack. */
static atomic_flag checking = ATOMIC_FLAG_INIT;
static _Atomic int check_wanted;
static struct snapshot first, again;

/* The threads as they were when a thread outside the table was last seen: until a thread is
 * created or ends, or claims a slot, and while that thread is alive (it may have been ending
 * when seen), /proc need not be read again. */
struct population {
    uint64_t created;
    uint32_t exits;
    unsigned claimed;
    int outsider;
};
static struct population outsider_seen;
static bool outsider_known;

static bool take_snapshot(struct snapshot *snap)
{
    unsigned used;
    struct lock_waiter *ws = lock_waiters(&used, NULL);
    snap->n = 0;
    for (unsigned i = 0; i < used; i++) {
        int tid = atomic_load_explicit(&ws[i].tid, memory_order_acquire);
        if (!tid)
            continue;
        uintptr_t addr = atomic_load_explicit(&ws[i].waits_for, memory_order_acquire);
        if (!addr)
            return false; /* a thread that does not wait */
        struct sleeper *s = &snap->s[snap->n++];
        s->tid = tid;
        s->w = &ws[i];
        s->seq = atomic_load_explicit(&ws[i].seq, memory_order_relaxed);
        s->addr = addr;
        s->other = atomic_load_explicit(&ws[i].other, memory_order_relaxed);
        s->type = atomic_load_explicit(&ws[i].type, memory_order_relaxed);
    }
    return snap->n > 0;
}

static bool same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
    if (a->n != b->n)
        return false;
    for (unsigned i = 0; i < a->n; i++)
        if (a->s[i].tid != b->s[i].tid || a->s[i].seq != b->s[i].seq ||
            a->s[i].addr != b->s[i].addr)
            return false;
    return true;
}

static const struct sleeper *sleeper_of(const struct snapshot *snap, int tid)
{
    for (unsigned i = 0; i < snap->n; i++)
        if (snap->s[i].tid == tid)
            return &snap->s[i];
    return NULL;
}

static bool mutex_is_shared(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) & GLIBC_MUTEX_PSHARED_BIT;
}

/* A mutex held by a thread about to wait on a condition with it is about to be released. */
/* A mutex the waiter s cannot get: held by another thread that sleeps and will not release it
 * (not one about to wait on a condition with it), or by a thread that is gone, unless the mutex
 * is robust (the waiter then gets EOWNERDEAD). Held by the waiter itself, the lock returns
 * EDEADLK or counts a recursion (self_lock is the other case, reported on its own). */
#define GLIBC_MUTEX_ROBUST_BIT 16 /* PTHREAD_MUTEX_ROBUST_NORMAL_NP, in __kind */

static bool mutex_stays_held(const struct snapshot *snap, const struct sleeper *s)
{
    const pthread_mutex_t *m = (const pthread_mutex_t *)s->addr;
    if (mutex_is_shared(m) || !mutex_is_locked(m))
        return false;
    int owner_tid = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    if (owner_tid == 0 || owner_tid == s->tid)
        return false;
    const struct sleeper *owner = sleeper_of(snap, owner_tid);
    if (!owner)
        return !(__atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) & GLIBC_MUTEX_ROBUST_BIT);
    return !(owner->type == TL_LOCK_COND && owner->other == (uintptr_t)m);
}

/* A condition wait whose mutex another thread holds while about to wait on a condition with it:
 * this waiter may have been signalled already, and sleep in glibc's retaking of the mutex, which
 * that wait is about to release (the thread that signals, then waits for the answer). */
static bool cond_wait_stays(const struct snapshot *snap, const struct sleeper *s)
{
    const pthread_cond_t *c = (const pthread_cond_t *)s->addr;
    const pthread_mutex_t *m = (const pthread_mutex_t *)s->other;
    if ((__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) & GLIBC_COND_PSHARED) ||
        mutex_is_shared(m))
        return false;
    if (!mutex_is_locked(m))
        return true;
    int owner_tid = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    const struct sleeper *owner = sleeper_of(snap, owner_tid);
    return owner_tid == s->tid ||
           !(owner && owner->type == TL_LOCK_COND && owner->other == (uintptr_t)m);
}

static bool rwlock_stays_held(const struct sleeper *s)
{
    const pthread_rwlock_t *rw = (const pthread_rwlock_t *)s->addr;
    if (__atomic_load_n(&rw->__data.__shared, __ATOMIC_RELAXED) ||
        __atomic_load_n(&rw->__data.__cur_writer, __ATOMIC_RELAXED) == s->tid)
        return false;
    return __atomic_load_n(&rw->__data.__cur_writer, __ATOMIC_RELAXED) != 0 ||
           (__atomic_load_n(&rw->__data.__readers, __ATOMIC_RELAXED) >>
            GLIBC_RWLOCK_READER_SHIFT) != 0;
}

static unsigned waiting_at(const struct snapshot *snap, uintptr_t addr)
{
    unsigned n = 0;
    for (unsigned i = 0; i < snap->n; i++)
        n += snap->s[i].addr == addr && snap->s[i].type == TL_LOCK_BARRIER;
    return n;
}

/* Whether the wait can only end by another thread's act (and is not shared with another
 * process, whose threads could act). */
static bool cannot_end_alone(const struct snapshot *snap, const struct sleeper *s)
{
    switch (s->type) {
    case TL_LOCK_MUTEX:
    case TL_LOCK_C11:
        return mutex_stays_held(snap, s);
    case TL_LOCK_RWLOCK:
        return rwlock_stays_held(s);
    case TL_LOCK_THREAD: {
        int target = lock_wait_target(s->type, s->addr, s->other);
        return target != 0 && sleeper_of(snap, target) != NULL;
    }
    case TL_LOCK_COND:
        return cond_wait_stays(snap, s);
    case TL_LOCK_SEM: {
        const struct glibc_sem *sem = (const struct glibc_sem *)s->addr;
        return __atomic_load_n(&sem->private, __ATOMIC_RELAXED) == GLIBC_LLL_PRIVATE &&
               (uint32_t)__atomic_load_n(&sem->data, __ATOMIC_RELAXED) == 0;
    }
    case TL_LOCK_BARRIER: {
        const struct glibc_barrier *b = (const struct glibc_barrier *)s->addr;
        return __atomic_load_n(&b->shared, __ATOMIC_RELAXED) == GLIBC_LLL_PRIVATE &&
               waiting_at(snap, s->addr) < __atomic_load_n(&b->count, __ATOMIC_RELAXED);
    }
    default:
        return false;
    }
}

static bool none_can_end_alone(const struct snapshot *snap)
{
    for (unsigned i = 0; i < snap->n; i++)
        if (!cannot_end_alone(snap, &snap->s[i]))
            return false;
    return true;
}

/* A handler may post a semaphore (async-signal-safe) or, against POSIX but in practice, signal a
 * condition variable. */
static bool handler_could_wake(const struct snapshot *snap)
{
    for (unsigned i = 0; i < snap->n; i++)
        if (snap->s[i].type == TL_LOCK_SEM || snap->s[i].type == TL_LOCK_COND)
            return true;
    return false;
}

/* The ELF header of the module this file is linked into (the linker defines it): the shim's
 * code range, read from its program headers without the loader's lock, which a host thread
 * asleep inside dlopen may hold (dladdr would take it). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

/* threadleak's own handlers (the dump signal's). Called under `checking`: one at a time. */
static bool own_code(void *pc)
{
    static struct tl__text_range own;
    static bool found;
    if (!found)
        found = module_text_at_base((uintptr_t)__ehdr_start, &own);
    return text_range_holds(&own, (uintptr_t)pc);
}

/* A handler of the host's for a signal that can come from outside (not a fault's). */
static bool host_handles_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
            sig == SIGILL || sig == SIGTRAP || sig == SIGSYS || sig == SIGABRT)
            continue;
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) != 0)
            continue;
        void *h = (sa.sa_flags & SA_SIGINFO) ? (void *)sa.sa_sigaction : (void *)sa.sa_handler;
        if (h == (void *)SIG_DFL || h == (void *)SIG_IGN || own_code(h))
            continue;
        return true;
    }
    return false;
}

/* A live tool thread of threadleak's (or a sanitizer's), by the registry. mmap, not malloc: the
 * host's allocator may be what waits. */
static bool is_tool_thread(int tid)
{
    size_t cap = registry_threads_live() + 16, bytes = cap * sizeof(struct tl__thread_info);
    struct tl__thread_info *infos =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (infos == MAP_FAILED)
        return false;
    size_t n = registry_copy_all(infos, cap);
    bool tool = false;
    for (size_t i = 0; i < n && i < cap; i++)
        if (infos[i].tid == tid && !(infos[i].flags & TL_F_EXITED)) {
            tool = (infos[i].flags & TL_F_TOOL) != 0;
            break;
        }
    munmap(infos, bytes);
    return tool;
}

/* The thread sleeps in the kernel's futex wait (the first field of /proc/.../syscall). */
static bool in_futex_wait(int tid)
{
    char path[64], text[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    char expected[24];
    int len = snprintf(expected, sizeof expected, "%ld ", (long)SYS_futex);
    return strncmp(text, expected, (size_t)len) == 0;
}

enum tasks { TASKS_ALL_ASLEEP, TASKS_OUTSIDER, TASKS_NOT_ASLEEP };

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Every task of the process, by the kernel, is a sleeper of snap or a tool thread; with
 * in_futex, every sleeper but me sleeps in futex. Raw getdents64: no allocation. */
static enum tasks check_tasks(const struct snapshot *snap, bool in_futex, int me, int *outsider)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return TASKS_NOT_ASLEEP;
    _Alignas(8) char buf[2048];
    enum tasks result = TASKS_ALL_ASLEEP;
    unsigned seen = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0) {
            if (got < 0)
                result = TASKS_NOT_ASLEEP;
            break;
        }
        for (long off = 0; off < got && result == TASKS_ALL_ASLEEP;) {
            const struct linux_dirent64 *d = (const struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            int tid = atoi(d->d_name);
            if (tid <= 0)
                continue;
            if (sleeper_of(snap, tid)) {
                seen++;
                if (in_futex && tid != me && !in_futex_wait(tid))
                    result = TASKS_NOT_ASLEEP;
            } else if (!is_tool_thread(tid)) {
                result = TASKS_OUTSIDER;
                *outsider = tid;
            }
        }
        if (result != TASKS_ALL_ASLEEP)
            break;
    }
    close(fd);
    if (result == TASKS_ALL_ASLEEP && seen != snap->n)
        result = TASKS_NOT_ASLEEP; /* a slot whose thread the kernel no longer has */
    return result;
}

static struct population population_now(unsigned claimed)
{
    return (struct population){registry_threads_created(), registry_exit_epoch(), claimed, 0};
}

static bool outsider_still_there(const struct population *now, const struct population *seen)
{
    return now->created == seen->created && now->exits == seen->exits &&
           now->claimed == seen->claimed && syscall(SYS_tgkill, getpid(), seen->outsider, 0) == 0;
}

/* A cycle among the sleepers is that deadlock, not all_asleep. True when one was found. */
static bool report_a_cycle(const struct snapshot *snap)
{
    struct lock_wait_set chain;
    for (unsigned i = 0; i < snap->n; i++) {
        const struct sleeper *s = &snap->s[i];
        if (lock_wait_target(s->type, s->addr, s->other) == 0)
            continue;
        if (lock_wait_chain(s->w, s->tid, &chain)) {
            lock_waits_report(lock_wait_cycle_kind(&chain), &chain, 0);
            return true;
        }
    }
    return false;
}

static void report_all_asleep(const struct snapshot *snap, int me)
{
    if (report_a_cycle(snap))
        return;
    struct lock_wait_set set = {0};
    const struct sleeper *self = sleeper_of(snap, me);
    for (unsigned i = 0; i < snap->n + 1 && set.n < TL_DEADLOCK_MAX_THREADS; i++) {
        /* This thread first, as the thread that closed a cycle is. */
        const struct sleeper *s = i == 0 ? self : &snap->s[i - 1];
        if (!s || (i > 0 && s == self))
            continue;
        set.tid[set.n] = s->tid;
        set.who[set.n] = s->w;
        set.addr[set.n] = s->addr;
        set.other[set.n] = s->other;
        set.type[set.n] = s->type;
        set.n++;
    }
    lock_waits_report(TL_DEADLOCK_ALL_ASLEEP, &set, snap->n - set.n);
}

/* One check; the caller holds `checking`. */
static void check_once(int me)
{
    unsigned used, claimed;
    lock_waiters(&used, &claimed);
    struct population now = population_now(claimed);
    if (outsider_known && outsider_still_there(&now, &outsider_seen))
        return;
    if (!take_snapshot(&first) || !sleeper_of(&first, me) || !none_can_end_alone(&first))
        return;
    enum tasks tasks = check_tasks(&first, false, me, &now.outsider);
    if (tasks == TASKS_OUTSIDER) {
        outsider_seen = now;
        outsider_known = true;
    }
    if (tasks != TASKS_ALL_ASLEEP)
        return;
    if (handler_could_wake(&first) && host_handles_signals())
        return;
    lock_waits_recheck_delay();
    if (!take_snapshot(&again) || !same_snapshot(&first, &again) || !none_can_end_alone(&again) ||
        check_tasks(&again, true, me, &now.outsider) != TASKS_ALL_ASLEEP)
        return;
    report_all_asleep(&again, me);
}

void all_asleep_check(struct lock_waiter *me, int tid)
{
    (void)me;
    unsigned used, claimed;
    lock_waiters(&used, &claimed);
    if (atomic_load_explicit(&lock_waits_recorded, memory_order_seq_cst) < claimed)
        return;
    /* A thread that finds a check under way leaves it a note: the check runs again when it ends
     * (the note's thread, now waiting, may complete the picture). */
    atomic_store_explicit(&check_wanted, 1, memory_order_seq_cst);
    for (int round = 0; round < CHECK_ROUNDS; round++) {
        if (atomic_flag_test_and_set_explicit(&checking, memory_order_acquire))
            return;
        atomic_store_explicit(&check_wanted, 0, memory_order_seq_cst);
        check_once(tid);
        atomic_flag_clear_explicit(&checking, memory_order_release);
        if (!atomic_load_explicit(&check_wanted, memory_order_seq_cst))
            return;
    }
}

void all_asleep_fork_child(void)
{
    atomic_flag_clear(&checking);
    atomic_store(&check_wanted, 0);
    outsider_known = false;
}
