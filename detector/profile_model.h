/* A thread profile as it is rendered: every thread of the process at one moment, with its state,
 * what the registry knows of it and its stacks in the one stack model (stack_model.h). The
 * endpoint, on-demand dumps and any other report render from it; they never read the registry or
 * /proc themselves, nor need to know how a profile is taken (thread_profile.h) or stored
 * (thread_profile_store.h).
 *
 * A profile owns every string and array it points to (symbol names are copied out of the
 * symboliser), so it can be rendered after the symboliser is closed and freed in any thread.
 * Locations and stacks are deduplicated: threads with the same stack share one entry of `stacks`,
 * so grouping by stack is comparing two integers. */
#ifndef THREADLEAK_PROFILE_MODEL_H
#define THREADLEAK_PROFILE_MODEL_H

#include "kernel_state.h"
#include "live_stacks.h"
#include "stack_model.h"
#include "thread_record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define THREAD_PROFILE_NO_STACK    UINT32_MAX
#define THREAD_PROFILE_NO_LOCATION UINT32_MAX
#define THREAD_PROFILE_MESSAGE_MAX 192

enum thread_profile_state {
    THREAD_PROFILE_RUNNING,         /* on a CPU or runnable (stat R) */
    THREAD_PROFILE_WAITING,         /* asleep in the kernel (S, D, I): see kernel->wait */
    THREAD_PROFILE_STOPPED,         /* stopped or traced (T, t) */
    THREAD_PROFILE_EXITING,         /* finishing: a zombie, gone mid-read, or past its exit hook */
    THREAD_PROFILE_EXITED_UNJOINED, /* finished, joinable, never joined: gone from /proc */
    THREAD_PROFILE_STATE_COUNT,
};

enum thread_profile_duration {
    THREAD_PROFILE_DURATION_NONE,     /* unknown, or running */
    THREAD_PROFILE_DURATION_KNOWN,    /* state_ns is the time in this state (best effort) */
    THREAD_PROFILE_DURATION_AT_LEAST, /* state_ns is a lower bound */
};

/* A lock in a thread's dump, from the lock module (thread_locks.h). */
struct thread_profile_lock {
    uintptr_t address;
    uint8_t type;      /* enum tl__thread_lock_type */
    bool read;         /* held, or asked for, as a read lock of an rwlock */
    uint32_t location; /* the lock call: where it was taken, or where the thread waits for it;
                          index into locations, THREAD_PROFILE_NO_LOCATION when unknown */
    pid_t known_from;  /* 0: from the thread itself; else a thread that waits for this lock and
                          names this one as its holder (the holder was not interrupted) */
};

/* The locks a thread holds and the one it waits for, as jstack shows them under its stack. */
struct thread_profile_locks {
    uint32_t nheld;
    uint32_t overflow;                      /* held beyond those listed (docs/locks.md) */
    const struct thread_profile_lock *held; /* in the order taken; points into the profile */
    bool waiting;
    struct thread_profile_lock waits_for; /* when waiting: a lock, or a thread, condition
                                             variable, barrier or semaphore (thread_locks.h) */
    pid_t waits_for_owner;     /* who could end the wait: a lock's holder by glibc's record, the
                                  joined thread; 0 for the others, or when unknown */
    uintptr_t waits_for_mutex; /* a condition wait's mutex, released while it waits; else 0 */
    bool from_waiters;         /* the thread was not interrupted: held lists only what its waiters
                                  say it holds (each with known_from), and it may hold more */
};

/* A distinct stack: indexes into locations, innermost first. */
struct thread_profile_stack {
    const uint32_t *locations;
    uint32_t depth;
};

struct thread_profile_thread {
    pid_t tid;
    bool tracked;      /* the shim knows it (created through pthread_create/thrd_create, or main) */
    bool is_collector; /* the thread that took the profile */
    enum thread_profile_state state;
    enum thread_profile_duration duration;
    uint64_t state_ns; /* time in this state; see duration */
    char name[TL_NAME_MAX];

    /* From the registry; zero/empty when untracked. */
    uint64_t serial;
    uint32_t flags;            /* enum tl__thread_flag */
    const char *start_routine; /* NULL when untracked or unknown */
    pid_t creator_tid;         /* 0 when unknown */
    bool creator_is_main;
    char creator_name[TL_NAME_MAX];
    uint64_t created_ns, exited_ns; /* CLOCK_REALTIME; 0 when unknown / still running */

    /* Kernel state, read just before the thread was signalled; NULL for exited threads. Points
     * into the profile. */
    const struct kernel_thread_state *kernel;
    enum live_stack_status stack_status;
    bool stack_partial; /* the current stack was read from /proc and ends early */

    uint32_t stack;          /* current stack, index into stacks; THREAD_PROFILE_NO_STACK */
    uint32_t creation_stack; /* where it was created; THREAD_PROFILE_NO_STACK */
    uint32_t start_stack;    /* one frame, the start routine: a stand-in for grouping threads
                                that have no current stack; THREAD_PROFILE_NO_STACK */

    /* Its locks, with the lock module only; NULL without it, and for a thread the dump did not
     * interrupt (they are read by the thread itself in the dump's signal handler) unless other
     * threads wait for locks it holds (from_waiters). Points into the profile. */
    const struct thread_profile_locks *locks;
};

struct thread_profile {
    pid_t pid;
    uint64_t taken_ns;   /* CLOCK_REALTIME when the profile was taken */
    uint64_t elapsed_ns; /* how long taking it took */
    bool signalled;      /* current stacks were asked for with signals */
    bool locks_module;   /* the lock module answered: threads' `locks` are shown where known */

    struct thread_profile_thread *threads; /* sorted by tid; each tid at most once */
    size_t count;
    struct tl__location *locations;
    size_t nlocations;
    struct thread_profile_stack *stacks;
    size_t nstacks;

    size_t by_state[THREAD_PROFILE_STATE_COUNT];
    uint64_t created_total;   /* registry_threads_created(): the program's threads since start */
    size_t exited_unjoined;   /* tracked threads finished and never joined (tool ones excluded) */
    size_t process_threads;   /* every task in /proc/self/task, threadleak's own included */
    size_t tool_threads;      /* threadleak's and sanitizers' threads left out of `threads` */
    size_t hidden_reused_tid; /* exited-unjoined threads not listed: a live thread has their tid */
    int signal;               /* the dump signal used, 0 when none */
    unsigned signals_sent, answers;
    char message[THREAD_PROFILE_MESSAGE_MAX]; /* "" or the live dump's note */

    void *private_arena; /* the store (thread_profile_store.h): strings, frames, indexes */
};

/* The index of thread tid in the profile's threads (sorted by tid), or p->count when it is not
 * there. Inline, as the state names below are, for renderers built apart from the detector. */
static inline size_t thread_profile_index(const struct thread_profile *p, pid_t tid)
{
    size_t lo = 0, hi = p->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->threads[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->count && p->threads[lo].tid == tid ? lo : p->count;
}

/* "running", "waiting", "stopped", "exiting", "exited_unjoined": stable names for machines. Inline
 * so that renderers built apart from the detector (the HTTP module) need none of its objects. */
static inline const char *thread_profile_state_name(enum thread_profile_state state)
{
    switch (state) {
    case THREAD_PROFILE_RUNNING:
        return "running";
    case THREAD_PROFILE_WAITING:
        return "waiting";
    case THREAD_PROFILE_STOPPED:
        return "stopped";
    case THREAD_PROFILE_EXITING:
        return "exiting";
    case THREAD_PROFILE_EXITED_UNJOINED:
        return "exited_unjoined";
    case THREAD_PROFILE_STATE_COUNT:
        break;
    }
    return "unknown";
}

#endif
