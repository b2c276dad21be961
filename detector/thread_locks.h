/* The locks one thread holds and what it waits for, as a thread dump shows them (jstack's
 * "- locked <0x...>" and "- waiting to lock <0x...>"): the raw form, taken by the thread itself
 * in the dump's signal handler (live_stacks.h) and turned into the profile's form
 * (profile_model.h) by the collector.
 *
 * Only the lock module (libthreadleak-locks.so, docs/locks.md) fills it in; common code never
 * includes the module's headers and asks through a probe, which the shim registers
 * (live_stacks_set_locks_probe; shim/locks_hooks.h's locks_thread_state). */
#ifndef THREADLEAK_THREAD_LOCKS_H
#define THREADLEAK_THREAD_LOCKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TL_THREAD_LOCKS_MAX 16 /* the lock module's held set holds as many (held_locks.h) */

/* The values of the lock module's enum tl__lock_type (lock_table.h), which common code does not
 * include; locks/lock_views.c checks that they agree. */
enum tl__thread_lock_type {
    TL_THREAD_LOCK_MUTEX = 1,
    TL_THREAD_LOCK_RWLOCK = 2,
    TL_THREAD_LOCK_C11 = 3,
    TL_THREAD_LOCK_COND = 4,
    TL_THREAD_LOCK_THREAD = 5,
    TL_THREAD_LOCK_BARRIER = 6,
    TL_THREAD_LOCK_SEM = 7,
};

struct tl__thread_lock {
    uintptr_t addr; /* 0: none */
    uintptr_t pc;   /* the lock call's return address: where it was taken, or is waited for */
    uint8_t type;   /* enum tl__thread_lock_type */
    bool read;      /* a read lock of an rwlock (taken, or asked for) */
};

struct tl__thread_locks {
    bool known;        /* the lock module answered: the rest means something */
    uint8_t nheld;     /* held[0..nheld), in the order taken */
    uint32_t overflow; /* tracked locks held beyond TL_THREAD_LOCKS_MAX, not listed */
    struct tl__thread_lock held[TL_THREAD_LOCKS_MAX];
    /* What the thread waits for without a timeout, as the lock module recorded it before libc's
     * call: a lock, a thread it joins, a condition variable, a barrier or a semaphore; addr 0
     * when none. */
    struct tl__thread_lock waits_for;
    pid_t waits_for_owner;     /* who could end the wait: a lock's holder by glibc's record, the
                                  joined thread; 0 for the others, or when unknown */
    uintptr_t waits_for_mutex; /* a condition wait's mutex, released while it waits; else 0 */
};

/* Fills out for the calling thread; false (out->known false) without the lock module or with
 * locks=0. Async-signal-safe and allocation-free: it runs in the dump's signal handler. */
typedef bool (*tl__thread_locks_probe)(struct tl__thread_locks *out);

/* The C name of a lock type, as a dump prints it: "pthread_mutex_t", "pthread_rwlock_t",
 * "mtx_t", "pthread_cond_t", "pthread_t", "pthread_barrier_t", "sem_t"; "lock" for anything
 * else. */
static inline const char *tl__thread_lock_c_type(uint8_t type)
{
    switch (type) {
    case TL_THREAD_LOCK_MUTEX:
        return "pthread_mutex_t";
    case TL_THREAD_LOCK_RWLOCK:
        return "pthread_rwlock_t";
    case TL_THREAD_LOCK_C11:
        return "mtx_t";
    case TL_THREAD_LOCK_COND:
        return "pthread_cond_t";
    case TL_THREAD_LOCK_THREAD:
        return "pthread_t";
    case TL_THREAD_LOCK_BARRIER:
        return "pthread_barrier_t";
    case TL_THREAD_LOCK_SEM:
        return "sem_t";
    default:
        return "lock";
    }
}

/* The JSON report's name of a lock type (lock_findings.h): "mutex", "rwlock", "mtx", "cond",
 * "thread", "barrier", "semaphore"; "lock" for anything else. */

/* A mutex, an rwlock or an mtx_t: something a thread holds, as opposed to a wait's other
 * objects. */
static inline bool tl__thread_lock_is_lock(uint8_t type)
{
    return type == TL_THREAD_LOCK_MUTEX || type == TL_THREAD_LOCK_RWLOCK ||
           type == TL_THREAD_LOCK_C11;
}
static inline const char *tl__thread_lock_type_name(uint8_t type)
{
    switch (type) {
    case TL_THREAD_LOCK_MUTEX:
        return "mutex";
    case TL_THREAD_LOCK_RWLOCK:
        return "rwlock";
    case TL_THREAD_LOCK_C11:
        return "mtx";
    case TL_THREAD_LOCK_COND:
        return "cond";
    case TL_THREAD_LOCK_THREAD:
        return "thread";
    case TL_THREAD_LOCK_BARRIER:
        return "barrier";
    case TL_THREAD_LOCK_SEM:
        return "semaphore";
    default:
        return "lock";
    }
}

#endif
