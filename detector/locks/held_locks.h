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
    struct tl__lock *lock;
    uint32_t id;     /* the lock's identity when taken */
    uint8_t mode;    /* enum tl__held_mode */
    uint8_t trylock; /* taken by a trylock */
    uint16_t depth;  /* recursive re-entries by this thread, beyond the first */
    /* The lock last taken under this one, with its edge known (lock_order.h), and how: taking
     * it again under this one alone needs no look-up at all. 0 = none yet. */
    uint32_t last_to;
    uint8_t last_read;
    uintptr_t pc;    /* where it was taken: the return address of the lock call */
    uintptr_t frame; /* the caller's stack pointer at that call: same value, same frame */
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
