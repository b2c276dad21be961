/* The lock module's runtime (docs/locks.md): what every lock wrapper does before and after
 * calling libc, around the lock table, the calling thread's held set and the order graph. The
 * wrappers (interpose_*.c) only say which lock, which mode and which libc function.
 *
 * The fast path (lock_call_begin, lock_call_order when nothing new, lock_call_acquired, the
 * unlock's held-set update) reads one TLS byte or two, probes the lock table once, and per lock
 * already held probes the edge set once; no global lock, no allocation, no system call. Anything
 * else (a new edge, a misuse, a deadlock) leaves the fast path for a function of its own, which
 * keeps errno as it found it. Internal to the shim. */
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

extern TL_LOCKS_TLS struct tl__held_set locks_held;
/* Non-zero while the thread runs threadleak's own code (a report, a stack capture) or is one of
 * its threads: lock calls pass straight to libc. */
extern TL_LOCKS_TLS unsigned locks_busy;

enum locks_state { LOCKS_UNKNOWN, LOCKS_ON, LOCKS_OFF };
extern _Atomic int locks_state;
extern uintptr_t locks_own_lo, locks_own_len; /* the shim's own writable data */

/* LOCKS_UNKNOWN -> ON or OFF once the shim has read its options; false until then. */
bool locks_start(void);

/* True when a lock call on addr is the host's and is to be checked. */
static inline bool locks_checking(const void *addr)
{
    if (__builtin_expect(locks_busy != 0 || tl__self_is_tool, 0))
        return false;
    int state = atomic_load_explicit(&locks_state, memory_order_relaxed);
    if (__builtin_expect(state != LOCKS_ON, 0) && (state == LOCKS_OFF || !locks_start()))
        return false;
    return (uintptr_t)addr - locks_own_lo >= locks_own_len;
}

/* One lock call under way. */
struct lock_call {
    struct tl__lock *lock;
    uintptr_t addr;
    uint32_t id;
    uint8_t type;    /* enum tl__lock_type */
    int held_index;  /* the entry when this thread holds it already, else -1 */
    uintptr_t pc;    /* the caller's return address */
    uintptr_t frame; /* the wrapper's frame address: equal for calls from the same frame */
};

/* For the wrappers: where they were called from. */
#define LOCK_CALL_SITE                                                                             \
    (uintptr_t) __builtin_return_address(0), (uintptr_t)__builtin_frame_address(0)

void lock_destroyed_seen(struct lock_call *c);

/* False when the call is not checked (then call libc and nothing else). */
static inline bool lock_call_begin(struct lock_call *c, const void *addr, enum tl__lock_type type,
                                   uintptr_t pc, uintptr_t frame)
{
    if (!locks_checking(addr))
        return false;
    c->lock = lock_table_get((uintptr_t)addr, type);
    if (!c->lock)
        return false;
    c->addr = (uintptr_t)addr;
    c->type = (uint8_t)type;
    c->pc = pc;
    c->frame = frame;
    if (__builtin_expect(
            atomic_load_explicit(&c->lock->flags, memory_order_relaxed) & TL_LOCKF_DESTROYED, 0))
        lock_destroyed_seen(c);
    c->id = lock_identity(c->lock);
    c->held_index = held_find(&locks_held, c->lock);
    return true;
}

void lock_order_new_edge(const struct lock_call *c, const struct tl__held *h, bool acquired_read);

/* Before a call that may wait for the lock (not a trylock): the edges from every lock held. */
static inline void lock_call_order(const struct lock_call *c, bool acquired_read)
{
    for (uint32_t i = 0; i < locks_held.n; i++) {
        const struct tl__held *h = &locks_held.e[i];
        if (h->id == 0 || c->id == 0 || h->lock == c->lock)
            continue;
        if (!lock_order_known(h->id, c->id, h->mode == TL_HELD_READ, acquired_read))
            lock_order_new_edge(c, h, acquired_read);
    }
}

/* After libc said the lock is taken. */
static inline void lock_call_acquired(const struct lock_call *c, enum tl__held_mode mode,
                                      bool trylock)
{
    if (c->held_index >= 0) {
        locks_held.e[c->held_index].depth++;
        return;
    }
    struct tl__held h = {.lock = c->lock,
                         .id = c->id,
                         .mode = (uint8_t)mode,
                         .trylock = trylock,
                         .pc = c->pc,
                         .frame = c->frame};
    held_push(&locks_held, &h);
}

/* An unlock by this thread: true when the lock was in its held set (now updated). */
static inline bool lock_call_released(struct tl__lock *l)
{
    int i = held_find(&locks_held, l);
    if (i < 0)
        return false;
    if (locks_held.e[i].depth)
        locks_held.e[i].depth--;
    else
        held_remove(&locks_held, i);
    return true;
}

/* The slow paths. misuse records kind on the lock (other: cond_wrong_mutex's other mutex), with
 * the caller's stack; self_lock records the deadlock, reports it now, and aborts when deadlock=
 * abort. */
void lock_misuse(enum tl__misuse_kind kind, uintptr_t addr, enum tl__lock_type type,
                 uintptr_t other);
void lock_self_lock(const struct lock_call *c);

/* glibc's view of a mutex (mtx_t is one too): for misuse checks that must not guess. */
bool mutex_is_locked(const pthread_mutex_t *m);
bool mutex_owned_by_caller(const pthread_mutex_t *m);
bool mutex_relock_hangs(const pthread_mutex_t *m); /* normal or adaptive: no EDEADLK, no count */
bool mutex_is_destroyed(const pthread_mutex_t *m);

/* Shared by the pthread and C11 wrappers (interpose_mutex.c). */
void mutex_unlock_checked(pthread_mutex_t *m, enum tl__lock_type type);
bool mutex_destroy_begins(pthread_mutex_t *m, enum tl__lock_type type); /* false: not checked */
void lock_identity_ends(const void *lock, enum tl__lock_type type, bool destroy);

/* The caller's kernel tid. */
int locks_tid(void);

#endif
