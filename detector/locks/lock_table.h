/* Address -> lock state, for every lock the lock module has seen: a lock-free open-addressing
 * table, one 24-byte slot per lock, in memory mapped on first use (docs/locks.md).
 *
 * A slot is claimed once for an address and keeps it for the life of the process; what changes is
 * the lock's identity, the node of the order graph (lock_order.h). pthread_mutex_init/destroy and
 * their rwlock and C11 twins end an identity, so a new lock at a reused address is a new node.
 * Identities are numbered from 1 and never reused; 0 means "none yet".
 *
 * Bounded: past TL_LOCK_TABLE_MAX_TRACKED locks (or 2^30 identities) a lock is not tracked, and
 * lock_table_stats counts the calls that met one; never a crash or a wrong report. Lookups and
 * inserts never block and never allocate after the table is mapped; async-signal-safe. */
#ifndef THREADLEAK_LOCK_TABLE_H
#define THREADLEAK_LOCK_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_LOCK_TABLE_SLOTS       (1u << 21)        /* 64 MiB of address space, touched as used */
#define TL_LOCK_TABLE_MAX_TRACKED (1u << 20)        /* half the slots: probes stay short */
#define TL_LOCK_ID_MAX            ((1u << 30) - 1u) /* the order graph packs two ids in 60 bits */

enum tl__lock_type {
    TL_LOCK_MUTEX = 1, /* pthread_mutex_t */
    TL_LOCK_RWLOCK,    /* pthread_rwlock_t */
    TL_LOCK_C11,       /* mtx_t */
    TL_LOCK_COND,      /* pthread_cond_t or cnd_t: not a lock, but the same bookkeeping */
    TL_LOCK_THREAD,    /* a pthread_t, in join misuse and join waits: never in the table */
    TL_LOCK_BARRIER,   /* pthread_barrier_t, in waits only: never in the table */
    TL_LOCK_SEM,       /* sem_t, in waits only: never in the table */
};

enum tl__lock_flag {
    TL_LOCKF_DESTROYED = 1u << 0, /* destroyed and not initialised since */
    TL_LOCKF_INITED = 1u << 1,    /* its identity began with an init call, not a first use */
};

struct tl__lock {
    _Atomic uintptr_t addr; /* 0: a free slot; set once */
    _Atomic uint32_t id;    /* identity, 0 = none */
    _Atomic uint8_t type;   /* enum tl__lock_type, of the latest use */
    _Atomic uint8_t flags;  /* enum tl__lock_flag */
    uint16_t reserved;
    /* Condition variables only (cond_wrong_mutex): how many waits are under way, and the mutex
     * they use, in one word so that both change together: TL_COND_WAITERS(s) and
     * TL_COND_MUTEX(s). User-space addresses fit in 48 bits on x86-64 and arm64. */
    _Atomic uint64_t cond_state;
};

#define TL_COND_MUTEX_BITS  48
#define TL_COND_MUTEX(s)    ((uintptr_t)((s) & ((1ull << TL_COND_MUTEX_BITS) - 1)))
#define TL_COND_WAITERS(s)  ((unsigned)((s) >> TL_COND_MUTEX_BITS))
#define TL_COND_STATE(w, m) ((uint64_t)(w) << TL_COND_MUTEX_BITS | (uint64_t)(m))

_Static_assert(sizeof(struct tl__lock) == 24, "a tracked lock is 24 bytes");

struct tl__lock_table_stats {
    uint64_t tracked;     /* distinct addresses in the table */
    uint64_t not_tracked; /* calls on a lock the full table could not take */
    uint64_t identities;  /* identities handed out */
};

/* The slot of addr, claimed now when new (its type set to type); NULL when the table is full or
 * could not be mapped (counted). */
struct tl__lock *lock_table_get(uintptr_t addr, enum tl__lock_type type);

/* The slot of addr, or NULL when it was never claimed. */
struct tl__lock *lock_table_find(uintptr_t addr);

/* The lock's identity, given one now when it has none (first use, or first use after destroy).
 * 0 when identities ran out (counted as not tracked). */
uint32_t lock_identity(struct tl__lock *l);

/* Ends the lock's identity (init, destroy): its next use starts a new node. destroyed sets or
 * clears TL_LOCKF_DESTROYED; an init also sets TL_LOCKF_INITED. Ending an identity that was
 * given out advances lock_epoch. */
void lock_end_identity(struct tl__lock *l, bool destroyed);

/* Advanced each time an identity ends: what a thread learnt about a lock by its address alone
 * (held_locks.h, last_to) holds while the epoch has not moved. Starts at 1; 0 means "never". Only
 * the end of an identity that was given out moves it, so initialising fresh locks does not. */
extern _Atomic uint32_t lock_epoch;

struct tl__lock_table_stats lock_table_stats(void);

/* Tests only: a table of slots slots (a power of two) holding at most max_tracked locks, in place
 * of the current one, which is dropped. Not thread-safe. */
void lock_table_reset_for_tests(unsigned slots, unsigned max_tracked);

#endif
