/* The lock module's runtime (docs/locks.md): what every lock wrapper does before and after
 * calling libc, around the lock table, the calling thread's held set and the order graph. The
 * wrappers (interpose_*.c) only say which lock, which mode and which libc function.
 *
 * The fast path (lock_fast, lock_fast_taking, lock_call_released) reads and writes the thread's
 * own state only: a lock taken with nothing held, or taken again under the one lock held that it
 * was last taken under, pushes an entry with its address and call site, and an unlock of the lock
 * taken last pops it. The slow path finds the lock's slot (through a per-thread cache before the
 * lock table) and, with locks held, checks each edge in a per-thread cache of known edges, then
 * the edge set. No atomic read-modify-write, no global lock, no allocation, no system call.
 * Anything else (a new edge, a misuse, a deadlock) leaves the slow
 * path for a function of its own, which keeps errno as it found it. Internal to the shim. */
#ifndef THREADLEAK_LOCK_MODULE_H
#define THREADLEAK_LOCK_MODULE_H

#include "shim_state.h"

#include "held_locks.h"
#include "lock_events.h"
#include "lock_table.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define TL_LOCKS_TLS __thread __attribute__((tls_model("initial-exec")))

#define LOCKS_CACHE_SIZE      8u
#define LOCKS_EDGE_CACHE_SIZE 8u

struct locks_cache_entry {
    uintptr_t addr;
    struct tl__lock *lock;
};

/* The calling thread's state, one TLS object: a wrapper computes its address once. */
struct locks_thread {
    /* Non-zero while the thread runs threadleak's own code (a report, a stack capture): lock
     * calls pass straight to libc. */
    unsigned busy;
    struct tl__held_set held;
    /* Which slot each recently used lock has: slots never move, so an entry never goes stale.
     * The table's hash probe is made once per lock and thread, not once per call. */
    struct locks_cache_entry cache[LOCKS_CACHE_SIZE];
    /* The edges this thread knew already, by key: edges are never removed and identities never
     * reused, so neither does this go stale. */
    uint64_t edge_cache[LOCKS_EDGE_CACHE_SIZE];
    /* This thread's entry in the table of waiters (lock_waits.c), claimed the first time it
     * blocks on a taken lock; NULL before. */
    struct lock_waiter *waiter;
};

/* One thread's wait, readable by the others: the thread that blocks last follows these. */
struct lock_waiter {
    _Atomic int tid;             /* 0: a free slot */
    _Atomic uintptr_t waits_for; /* the lock's address while the thread waits in libc; else 0 */
    _Atomic uint8_t type;        /* enum tl__lock_type of waits_for */
    _Atomic uintptr_t pc;        /* the lock call's return address */
    _Atomic uint32_t seq;        /* waits begun: the same value later is the same wait */
    _Atomic uintptr_t other;     /* a cond wait's mutex; a join's thread record; else 0 */
    struct locks_thread *state;  /* the thread's held set, read while it waits */
    struct tl__thread_record *record; /* its registry record (name it was created with); or NULL */
};

extern TL_LOCKS_TLS struct locks_thread locks_self;

enum locks_state { LOCKS_UNKNOWN, LOCKS_ON, LOCKS_OFF };
extern _Atomic int locks_state;
/* The addresses not checked: the shim's own writable data once the module is on; every address
 * before that (and with locks=0), so that one comparison on the fast path covers both. */
extern _Atomic uintptr_t locks_skip_lo, locks_skip_len;

/* The fast path's exception: an address in the skipped range. Starts the module when it can;
 * then says whether addr is the host's after all. */
bool locks_checking_slow(const void *addr);

/* True when a lock call on addr is the host's and is to be checked. */
static inline bool locks_checking(const void *addr)
{
    if (__builtin_expect(locks_self.busy != 0, 0))
        return false;
    uintptr_t lo = atomic_load_explicit(&locks_skip_lo, memory_order_relaxed);
    uintptr_t len = atomic_load_explicit(&locks_skip_len, memory_order_relaxed);
    if (__builtin_expect((uintptr_t)addr - lo < len, 0))
        return locks_checking_slow(addr);
    return true;
}

/* The lock's slot, claimed on first use; NULL when the table is full. */
struct tl__lock *locks_lookup_slow(uintptr_t addr, enum tl__lock_type type);

static inline struct tl__lock *locks_lookup(uintptr_t addr, enum tl__lock_type type)
{
    struct locks_cache_entry *e = &locks_self.cache[(addr >> 6) % LOCKS_CACHE_SIZE];
    if (__builtin_expect(e->addr == addr, 1))
        return e->lock;
    return locks_lookup_slow(addr, type);
}

/* One lock call under way. */
struct lock_call {
    struct tl__lock *lock;
    uintptr_t addr;
    uint32_t id;
    uint32_t epoch;  /* lock_epoch, read before id: what the call learns holds while it stays */
    uint8_t type;    /* enum tl__lock_type */
    int held_index;  /* the entry when this thread holds it already, else -1 */
    bool overflowed; /* lock_call_taking found the held set full */
    uintptr_t pc;    /* the caller's return address */
    uintptr_t frame; /* the wrapper's frame address: equal for calls from the same frame */
};

/* For the wrappers: where they were called from. */
#define LOCK_CALL_SITE                                                                             \
    (uintptr_t) __builtin_return_address(0), (uintptr_t)__builtin_frame_address(0)

/* The slow half of lock_call_begin: a lock without an identity (first use, or first use since
 * an init or destroy). */
void lock_call_name(struct lock_call *c);

/* False when the call is not checked (then call libc and nothing else). */
static inline bool lock_call_begin(struct lock_call *c, const void *addr, enum tl__lock_type type,
                                   uintptr_t pc, uintptr_t frame)
{
    if (!locks_checking(addr))
        return false;
    struct tl__lock *l = locks_lookup((uintptr_t)addr, type);
    if (!l)
        return false;
    c->lock = l;
    c->addr = (uintptr_t)addr;
    c->type = (uint8_t)type;
    c->pc = pc;
    c->frame = frame;
    c->held_index = -1;
    c->overflowed = false;
    c->epoch = atomic_load_explicit(&lock_epoch, memory_order_acquire);
    c->id = atomic_load_explicit(&l->id, memory_order_acquire);
    if (__builtin_expect(c->id == 0, 0))
        lock_call_name(c);
    return true;
}

/* With locks held: finds whether this one is among them (held_index), and when the call may
 * wait and it is not, checks an edge from each of them (lock_call_order). */
void lock_call_with_held(struct lock_call *c, bool blocking, bool acquired_read);

/* Before libc's call, on the slow path. */
static inline void lock_call_prepare(struct lock_call *c, bool blocking, bool acquired_read)
{
    if (locks_self.held.n != 0)
        lock_call_with_held(c, blocking, acquired_read);
}

/* The edges from every lock held to this one, each looked up in the thread's cache of known
 * edges, then in the edge set, and added when new. */
void lock_call_order(const struct lock_call *c, bool acquired_read);

/* The fast path's test: a lock call on addr needs neither the lock table nor the order graph
 * when the thread holds nothing (no edge to make, and it cannot hold this one), or holds one
 * lock under which it took this one before, with no identity ended since (the edge is known;
 * last_to is never the held lock's own address). Blocking calls that find the lock taken leave
 * the fast path first, for lock_wait_begin. */
static inline bool lock_fast(uintptr_t addr, bool blocking, bool acquired_read)
{
    uint32_t n = locks_self.held.n;
    if (__builtin_expect(n == 0, 1))
        return true;
    const struct tl__held *top = &locks_self.held.e[0];
    return n == 1 && blocking && top->last_to == addr && top->last_read == acquired_read &&
           top->last_epoch == atomic_load_explicit(&lock_epoch, memory_order_relaxed);
}

/* The fast path's held entry: the address and the call site, and no slot or identity yet. The
 * held set has room (it holds at most one). */
static inline void lock_fast_taking(uintptr_t addr, enum tl__lock_type type,
                                    enum tl__held_mode mode, bool trylock, uintptr_t pc,
                                    uintptr_t frame)
{
    uint32_t n = locks_self.held.n;
    struct tl__held *h = &locks_self.held.e[n];
    /* Only what a later reader needs: with lock NULL, id is unread; with last_epoch 0, last_to
     * and last_read are. */
    h->addr = addr;
    h->lock = NULL;
    h->pc = pc;
    h->frame = frame;
    h->last_epoch = 0;
    h->type = (uint8_t)type;
    h->mode = (uint8_t)mode;
    h->trylock = trylock;
    h->last_read = 0;
    h->depth = 0;
    h->id = 0;
    locks_self.held.n = n + 1;
}

/* libc said no to a fast-path lock: the entry goes, and a lock that glibc marked destroyed is
 * lock_destroyed. */
void lock_fast_failed(uintptr_t addr, enum tl__lock_type type);

/* The slot and identity of a lock held, found now if not yet (the fast path leaves them out);
 * 0 when it has none (the table is full, or identities ran out). */
uint32_t held_identity(struct tl__held *h);

/* Before libc's call, as if it will succeed: the held set is updated outside the lock's
 * critical section, which the wrapper would otherwise lengthen for every other thread waiting
 * for it. lock_call_failed takes it back when libc says no. Only this thread reads its held set,
 * so nobody sees the entry early. */
static inline void lock_call_taking(struct lock_call *c, enum tl__held_mode mode, bool trylock)
{
    if (__builtin_expect(c->held_index >= 0, 0)) {
        locks_self.held.e[c->held_index].depth++;
        return;
    }
    uint32_t n = locks_self.held.n;
    if (__builtin_expect(n == TL_HELD_MAX, 0)) {
        locks_self.held.overflow++;
        c->overflowed = true;
        return;
    }
    locks_self.held.e[n] = (struct tl__held){.addr = c->addr,
                                             .lock = c->lock,
                                             .id = c->id,
                                             .pc = c->pc,
                                             .frame = c->frame,
                                             .type = c->type,
                                             .mode = (uint8_t)mode,
                                             .trylock = trylock};
    locks_self.held.n = n + 1;
}

/* libc said no: the held set as it was; a lock that glibc marked destroyed is lock_destroyed. */
void lock_call_failed(const struct lock_call *c);

bool lock_release_slow(uintptr_t addr);

/* An unlock by this thread: true when the lock was in its held set (now updated). The lock taken
 * last is the one released first, mostly: that case stays inline, and is tested before
 * locks_checking, which it does not need: only a checked lock call puts an entry there. */
static inline bool lock_call_released(const void *addr)
{
    uint32_t n = locks_self.held.n;
    if (__builtin_expect(n != 0, 1) && locks_self.held.e[n - 1].addr == (uintptr_t)addr &&
        locks_self.held.e[n - 1].depth == 0) {
        locks_self.held.n = n - 1;
        return true;
    }
    return !locks_checking(addr) || lock_release_slow((uintptr_t)addr);
}

/* The slow paths. misuse records kind on the lock (other: cond_wrong_mutex's other mutex), with
 * the caller's stack; self_lock records the deadlock, reports it now, and aborts when deadlock=
 * abort. */
void lock_misuse(enum tl__misuse_kind kind, uintptr_t addr, enum tl__lock_type type,
                 uintptr_t other);
void lock_self_lock(const struct lock_call *c);

/* For the slow paths (lock_module.c, lock_waits.c): the calling thread as reports name it, its
 * stack, whether the call is threadleak's own, and the report a live deadlock makes at once (its
 * block on stderr and the JSON report written now, so that a run then killed still has it). */
void lock_fill_actor(struct tl__lock_actor *a);
uint16_t lock_capture(void **frames, unsigned max);
bool lock_inside_own_work(void);
void lock_report_deadlock_now(void);

/* The mutex's lock word is set: a lock call now would wait (or relock its own). Inline: the
 * blocking lock's fast path reads it once, before libc's call reads it again. */
static inline bool mutex_taken(const pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0;
}

/* glibc's view of a mutex (mtx_t is one too): for misuse checks that must not guess. */
bool mutex_is_locked(const pthread_mutex_t *m);
bool mutex_owned_by_caller(const pthread_mutex_t *m);
bool mutex_relock_hangs(const pthread_mutex_t *m); /* normal or adaptive: no EDEADLK, no count */
bool mutex_is_destroyed(const pthread_mutex_t *m);

/* Shared by the pthread and C11 wrappers (interpose_mutex.c). */
void mutex_unlock_unheld(pthread_mutex_t *m, enum tl__lock_type type);  /* not in the held set */
bool mutex_destroy_begins(pthread_mutex_t *m, enum tl__lock_type type); /* false: not checked */
void lock_identity_ends(const void *lock, enum tl__lock_type type, bool destroy);

/* The caller's kernel tid. */
int locks_tid(void);

#endif
