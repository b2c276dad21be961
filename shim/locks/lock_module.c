/* The lock module's runtime (lock_module.h): start-up, the slow paths, and glibc's view of a
 * mutex. */
#include "lock_module.h"

#include "exit_report.h"
#include "locks_hooks.h"
#include "shim_state.h"

#include "lazy_once.h"
#include "lock_findings.h"
#include "lock_order.h"
#include "lock_report_text.h"
#include "lock_waits.h"
#include "stack_capture.h"

#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

TL_LOCKS_TLS struct locks_thread locks_self;
_Atomic int locks_state = LOCKS_UNKNOWN;
_Atomic uintptr_t locks_skip_lo = 0, locks_skip_len = UINTPTR_MAX;
static uintptr_t own_lo, own_len;

static char own_marker; /* an object in the shim's own data, to find the shim by */

static struct tl__lazy_once start_once = TL_LAZY_ONCE_INIT;

/* The shim's writable segments: the locks that live there (the symboliser's, the registry's
 * scopes, the dump lock) are threadleak's, whichever thread takes them. */
static int find_own_data(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    uintptr_t marker = (uintptr_t)&own_marker, lo = UINTPTR_MAX, hi = 0;
    bool mine = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        lo = start < lo ? start : lo;
        hi = end > hi ? end : hi;
        mine = mine || (marker >= start && marker < end);
    }
    if (!mine)
        return 0;
    own_lo = lo;
    own_len = hi - lo;
    return 1;
}

static void fork_child(void)
{
    lock_order_fork_child();
    lock_events_fork_child();
    lock_waits_fork_child();
}

static void start_once_body(void)
{
    locks_self.busy++;
    dl_iterate_phdr(find_own_data, NULL);
    pthread_atfork(NULL, NULL, fork_child);
    /* The unwinder now, while this thread holds no lock we track: loading it later, from a slow
     * path with host locks held, would take the loader's lock under them. */
    stack_capture_init();
    if (tl__cfg.locks) {
        /* The length first: a reader that pairs the old base with the new length skips all. */
        atomic_store_explicit(&locks_skip_len, own_len, memory_order_relaxed);
        atomic_store_explicit(&locks_skip_lo, own_lo, memory_order_relaxed);
    }
    atomic_store_explicit(&locks_state, tl__cfg.locks ? LOCKS_ON : LOCKS_OFF, memory_order_release);
    locks_self.busy--;
}

bool locks_start(void)
{
    if (!shim_ready())
        return false;
    /* Loading the unwinder sets errno on its way; the host's call must not see it. */
    int saved = errno;
    bool started = lazy_once_run(&start_once, start_once_body);
    errno = saved;
    if (!started)
        return false;
    return atomic_load_explicit(&locks_state, memory_order_acquire) == LOCKS_ON;
}

bool locks_checking_slow(const void *addr)
{
    int state = atomic_load_explicit(&locks_state, memory_order_acquire);
    if (state == LOCKS_OFF || (state == LOCKS_UNKNOWN && !locks_start()))
        return false;
    return (uintptr_t)addr - own_lo >= own_len;
}

struct tl__lock *locks_lookup_slow(uintptr_t addr, enum tl__lock_type type)
{
    struct tl__lock *l = lock_table_get(addr, type);
    if (l)
        locks_self.cache[(addr >> 6) % LOCKS_CACHE_SIZE] = (struct locks_cache_entry){addr, l};
    return l;
}

static void lock_order_new_edge(const struct lock_call *c, const struct tl__held *h,
                                bool acquired_read);

/* The edge set's key (lock_order.c's layout), for this thread's cache of known edges. */
static uint64_t edge_key(uint32_t from, uint32_t to, bool held_read, bool acquired_read)
{
    return (uint64_t)from << 32 | (uint64_t)to << 2 | (uint64_t)held_read << 1 | acquired_read;
}

uint32_t held_identity(struct tl__held *h)
{
    if (!h->lock) {
        h->lock = locks_lookup(h->addr, (enum tl__lock_type)h->type);
        if (!h->lock)
            return 0;
        h->id = lock_identity(h->lock);
    }
    return h->id;
}

void lock_call_order(const struct lock_call *c, bool acquired_read)
{
    for (uint32_t i = 0; i < locks_self.held.n; i++) {
        struct tl__held *h = &locks_self.held.e[i];
        if (h->addr == c->addr || c->id == 0)
            continue;
        uint32_t from = held_identity(h);
        if (from == 0)
            continue;
        uint64_t key = edge_key(from, c->id, h->mode == TL_HELD_READ, acquired_read);
        uint64_t *cached = &locks_self.edge_cache[(key ^ (key >> 32)) % LOCKS_EDGE_CACHE_SIZE];
        if (*cached != key) {
            if (!lock_order_known(from, c->id, h->mode == TL_HELD_READ, acquired_read))
                lock_order_new_edge(c, h, acquired_read);
            *cached = key;
        }
        h->last_to = c->addr;
        h->last_read = acquired_read;
        h->last_epoch = c->epoch;
    }
}

void lock_call_with_held(struct lock_call *c, bool blocking, bool acquired_read)
{
    c->held_index = held_find(&locks_self.held, c->addr);
    if (c->held_index < 0 && blocking)
        lock_call_order(c, acquired_read);
}

bool lock_release_slow(uintptr_t addr)
{
    int i = held_find(&locks_self.held, addr);
    if (i < 0)
        return false;
    if (locks_self.held.e[i].depth)
        locks_self.held.e[i].depth--;
    else
        held_remove(&locks_self.held, i);
    return true;
}

/* glibc marks a destroyed mutex (kind -1) and fails every lock of it: that failure is how
 * lock_destroyed is found, on the fast path as on the slow one. A lock at the same address
 * without the mark is a new one (PTHREAD_MUTEX_INITIALIZER in reused memory). An rwlock carries
 * no such mark, so a use after its destroy is always taken for a new lock. */
static void lock_failed_destroyed(uintptr_t addr, enum tl__lock_type type)
{
    if ((type == TL_LOCK_MUTEX || type == TL_LOCK_C11) &&
        mutex_is_destroyed((const pthread_mutex_t *)addr))
        lock_misuse(TL_MISUSE_LOCK_DESTROYED, addr, type, 0);
}

void lock_fast_failed(uintptr_t addr, enum tl__lock_type type)
{
    locks_self.held.n--;
    lock_failed_destroyed(addr, type);
}

void lock_call_failed(const struct lock_call *c)
{
    if (c->held_index >= 0)
        locks_self.held.e[c->held_index].depth--;
    else if (c->overflowed)
        locks_self.held.overflow--;
    else
        locks_self.held.n--;
    lock_failed_destroyed(c->addr, (enum tl__lock_type)c->type);
}

void lock_call_name(struct lock_call *c)
{
    c->id = lock_identity(c->lock);
}

int locks_tid(void)
{
    return (int)shim_current_tid();
}

void lock_fill_actor(struct tl__lock_actor *a)
{
    a->tid = shim_current_tid();
    prctl(PR_GET_NAME, a->name, 0, 0, 0);
    a->name[TL_NAME_MAX - 1] = '\0';
    a->start_routine = tl__self ? tl__self->info.start_routine : NULL;
}

uint16_t lock_capture(void **frames, unsigned max)
{
    return (uint16_t)stack_capture(frames, max, TL_CAPTURE_CAREFUL);
}

/* Lock calls that an unwinder of ours makes (libunwind's own locks, while the shim captures a
 * creation stack or a live dump), and those of threadleak's own threads, are not the host's.
 * Checked only on the slow paths: such a lock may pass through the held set, but it makes no edge
 * and no finding. */
bool lock_inside_own_work(void)
{
    return stack_capture_inside() || tl__self_is_tool;
}

static void lock_order_new_edge(const struct lock_call *c, const struct tl__held *h,
                                bool acquired_read)
{
    if (lock_inside_own_work())
        return;
    int saved = errno;
    locks_self.busy++;
    struct tl__order_edge e; /* ~350 bytes of the host's stack, as a libc call may take */
    memset(&e, 0, sizeof e);
    e.from = h->id;
    e.to = c->id;
    e.from_addr = h->addr;
    e.to_addr = c->addr;
    e.from_type = h->type;
    e.to_type = c->type;
    e.held_read = h->mode == TL_HELD_READ;
    e.acquired_read = acquired_read;
    struct tl__lock_actor a;
    lock_fill_actor(&a);
    e.site.tid = a.tid;
    memcpy(e.site.thread_name, a.name, TL_NAME_MAX);
    e.site.start_routine = a.start_routine;
    e.site.held_pc = h->pc;
    e.site.held_same_frame = h->frame == c->frame && h->pc != c->pc;
    e.site.nframes = lock_capture(e.site.frames, TL_ORDER_STACK_DEPTH);
    lock_order_add(&e);
    locks_self.busy--;
    errno = saved;
}

void lock_misuse(enum tl__misuse_kind kind, uintptr_t addr, enum tl__lock_type type,
                 uintptr_t other)
{
    if (lock_inside_own_work())
        return;
    int saved = errno;
    locks_self.busy++;
    struct tl__misuse_record r;
    memset(&r, 0, sizeof r);
    r.kind = (uint8_t)kind;
    r.lock_type = (uint8_t)type;
    r.lock_addr = addr;
    r.other_addr = other;
    lock_fill_actor(&r.thread);
    r.nframes = lock_capture(r.frames, TL_ORDER_STACK_DEPTH);
    lock_misuse_note(&r);
    locks_self.busy--;
    errno = saved;
}

/* The report a live deadlock makes at once: its block on stderr, and the JSON report written now
 * (exit_report_now), so that a run that is then killed still has it. */
void lock_report_deadlock_now(void)
{
    struct tl__lock_findings *f = lock_findings_build();
    if (f && f->ndeadlocks && !tl__cfg.quiet)
        lock_report_text_deadlock(stderr, getpid(), &f->deadlocks[f->ndeadlocks - 1], false);
    fflush(stderr);
    exit_report_now(f);
    lock_findings_free(f);
}

void lock_self_lock(const struct lock_call *c)
{
    if (lock_inside_own_work())
        return;
    int saved = errno;
    locks_self.busy++;
    /* Too large for a host's stack: one record, for one deadlock at a time. */
    static struct tl__deadlock_record r;
    static atomic_flag r_busy = ATOMIC_FLAG_INIT;
    while (atomic_flag_test_and_set_explicit(&r_busy, memory_order_acquire))
        sched_yield();
    memset(&r, 0, sizeof r);
    r.kind = TL_DEADLOCK_SELF_LOCK;
    r.nthreads = 1;
    struct tl__deadlock_thread *t = &r.threads[0];
    lock_fill_actor(&t->thread);
    if (tl__self) {
        t->ncreated = tl__self->info.nframes;
        memcpy(t->created, tl__self->info.frames, t->ncreated * sizeof *t->created);
    }
    t->nframes = lock_capture(t->frames, TL_ORDER_STACK_DEPTH);
    t->waits_for = (struct tl__deadlock_lock){c->addr, c->type, c->pc};
    t->waits_for_owner = t->thread.tid;
    for (uint32_t i = 0; i < locks_self.held.n && t->nholds < TL_HELD_MAX; i++) {
        const struct tl__held *h = &locks_self.held.e[i];
        t->holds[t->nholds++] = (struct tl__deadlock_lock){h->addr, h->type, h->pc};
    }
    lock_deadlock_note(&r);
    atomic_flag_clear_explicit(&r_busy, memory_order_release);
    lock_report_deadlock_now();
    if (tl__cfg.deadlock == TL_DEADLOCK_ABORT)
        abort();
    locks_self.busy--;
    errno = saved;
}

/* --- glibc's pthread_mutex_t: the fields <pthread.h> itself declares --- */

#define MUTEX_KIND_MASK 3 /* PTHREAD_MUTEX_KIND_MASK_NP */

bool mutex_is_locked(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0;
}

bool mutex_owned_by_caller(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) == locks_tid();
}

bool mutex_relock_hangs(const pthread_mutex_t *m)
{
    int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) & MUTEX_KIND_MASK;
    return kind == PTHREAD_MUTEX_NORMAL || kind == PTHREAD_MUTEX_ADAPTIVE_NP;
}

bool mutex_is_destroyed(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED) == -1;
}

/* --- locks_hooks.h --- */

struct tl__lock_findings *locks_findings_build(void)
{
    return locks_findings_since(NULL);
}

size_t locks_findings_count(const struct tl__lock_findings *f)
{
    return lock_findings_count(f);
}

void locks_findings_free(struct tl__lock_findings *f)
{
    lock_findings_free(f);
}

void locks_own_work_begin(void)
{
    locks_self.busy++;
}

void locks_own_work_end(void)
{
    locks_self.busy--;
}

/* A thread that ends holding a lock leaves it held for ever: every later lock of it waits. The
 * stack is where the thread took the lock (at exit, its own stack says nothing). */
void locks_thread_exiting(void)
{
    lock_waits_thread_exiting();
    if (locks_self.busy || atomic_load_explicit(&locks_state, memory_order_relaxed) != LOCKS_ON)
        return;
    int saved = errno;
    locks_self.busy++;
    for (uint32_t i = 0; i < locks_self.held.n; i++) {
        const struct tl__held *h = &locks_self.held.e[i];
        struct tl__misuse_record r;
        memset(&r, 0, sizeof r);
        r.kind = TL_MISUSE_EXIT_HOLDING_LOCK;
        r.lock_type = h->type;
        r.lock_addr = h->addr;
        lock_fill_actor(&r.thread);
        r.frames[0] = (void *)h->pc;
        r.nframes = 1;
        lock_misuse_note(&r);
    }
    locks_self.held.n = 0;
    locks_self.busy--;
    errno = saved;
}

/* --- joins --- */

/* The handles of the last joins that succeeded: a join of one of them, when no live thread has
 * that handle any more, is a second join of the same thread. A handle is reused by a later
 * create (glibc caches thread stacks), which makes it a live thread's again: the registry then
 * finds that thread, and the join is not reported. */
#define JOINED_RING 64u
static _Atomic uintptr_t joined[JOINED_RING];
static _Atomic unsigned joined_next;

void locks_join_begin(pthread_t thread, const struct tl__thread_record *r)
{
    if (!locks_checking(NULL))
        return;
    if (r && (atomic_load(&r->flags) & TL_F_DETACHED)) {
        lock_misuse(TL_MISUSE_JOIN_DETACHED, (uintptr_t)thread, TL_LOCK_THREAD, 0);
        return;
    }
    if (r)
        return;
    for (unsigned i = 0; i < JOINED_RING; i++)
        if (atomic_load_explicit(&joined[i], memory_order_relaxed) == (uintptr_t)thread) {
            lock_misuse(TL_MISUSE_DOUBLE_JOIN, (uintptr_t)thread, TL_LOCK_THREAD, 0);
            return;
        }
}

void locks_join_end(pthread_t thread)
{
    if (!locks_checking(NULL))
        return;
    unsigned i = atomic_fetch_add_explicit(&joined_next, 1, memory_order_relaxed) % JOINED_RING;
    atomic_store_explicit(&joined[i], (uintptr_t)thread, memory_order_relaxed);
}
