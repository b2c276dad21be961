/* The locks a thread holds, in the order it took them: a small fixed array in initial-exec TLS
 * (no allocation, safe in signal handlers), as lockdep's held_locks. Only its own thread reads or
 * writes it. A thread holding more than TL_HELD_MAX tracked locks at once counts the rest in
 * overflow: they make no edges, and while any is held misuse checks that need the held set are
 * skipped rather than guessed (docs/locks.md). */
#ifndef THREADLEAK_HELD_LOCKS_H
#define THREADLEAK_HELD_LOCKS_H

#include "lock_table.h"

#include <stdbool.h>
#include <stdint.h>

#define TL_HELD_MAX 16

enum tl__held_mode {
    TL_HELD_WRITE = 0, /* a mutex, a write lock, a non-recursive read lock */
    TL_HELD_READ = 1,  /* a read lock that other readers share and may retake (lock_order.h) */
};

struct tl__held {
    uintptr_t addr; /* the lock's address: what an unlock looks for, without the table */
    /* The lock's slot and identity, found the first time an edge from this entry is needed
     * (lock_module.h, held_identity): most locks are taken with nothing else held, and are let go
     * before anything is taken under them, so the fast path never looks them up. NULL / 0 until
     * then. Taken while held, a lock cannot change identity: destroying or initialising a locked
     * mutex is destroy_locked misuse. */
    struct tl__lock *lock;
    /* The lock last taken under this one, with its edge known (lock_order.h): its address, and
     * the identity epoch (lock_table.h) when that was known. Taking it again under this one alone,
     * with no identity ended since, needs no look-up at all. last_epoch 0 = none yet. */
    uintptr_t last_to;
    uintptr_t pc;    /* where it was taken: the return address of the lock call */
    uintptr_t frame; /* the caller's stack pointer at that call: same value, same frame */
    /* The fields below are laid out in two 8-byte words that the fast path writes whole. */
    uint32_t last_epoch;
    uint8_t type;      /* enum tl__lock_type */
    uint8_t mode;      /* enum tl__held_mode */
    uint8_t trylock;   /* taken by a trylock */
    uint8_t last_read; /* last_to was taken for reading */
    uint16_t depth;    /* recursive re-entries by this thread, beyond the first */
    uint32_t id;       /* the lock's identity, with lock */
};

struct tl__held_set {
    uint32_t n;
    uint32_t overflow; /* tracked locks held beyond TL_HELD_MAX */
    struct tl__held e[TL_HELD_MAX];
};

/* Appends; false (and overflow counted) when full. */
static inline bool held_push(struct tl__held_set *s, const struct tl__held *h)
{
    if (s->n == TL_HELD_MAX) {
        s->overflow++;
        return false;
    }
    s->e[s->n++] = *h;
    return true;
}

/* The entry of the lock at addr, the most recent first (locks are mostly released in reverse
 * order); -1 when it is not held (or was lost to overflow). */
static inline int held_find(const struct tl__held_set *s, uintptr_t addr)
{
    for (int i = (int)s->n - 1; i >= 0; i--)
        if (s->e[i].addr == addr)
            return i;
    return -1;
}

/* Removes entry i, keeping the order of the others. */
static inline void held_remove(struct tl__held_set *s, int i)
{
    for (unsigned j = (unsigned)i + 1; j < s->n; j++)
        s->e[j - 1] = s->e[j];
    s->n--;
}

#endif
