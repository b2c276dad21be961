/* Every thread of the process right now, in one self-contained structure: what the registry knows
 * (name, serial, start routine, creator, creation stack, flags), what the kernel says (state, wait,
 * how long), and the current stack from a live dump. The endpoint, on-demand dumps and any other
 * report render from it; they never read the registry or /proc themselves.
 *
 * A profile owns every string and array it points to (symbol names are copied out of the
 * symboliser), so it can be rendered after the symboliser is closed and freed in any thread.
 * Stacks are deduplicated: threads with the same stack share one entry of `stacks`, so grouping by
 * stack is comparing two integers.
 *
 * Taking a profile is heavy (it lists /proc, may signal every thread, symbolises): call it from a
 * tool thread, never in pthread_create's path or a signal handler. It holds no lock that
 * pthread_create or the exit path needs while it returns: registry reads are lock-free copies, and
 * the live-dump and symboliser locks are released before thread_profile_take returns. */
#ifndef THREADLEAK_THREAD_PROFILE_H
#define THREADLEAK_THREAD_PROFILE_H

#include "kernel_state.h"
#include "live_stacks.h"
#include "options.h"
#include "thread_record.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define THREAD_PROFILE_NO_STACK    UINT32_MAX
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

/* One source position at a location: a function, or a function inlined into the next line. */
struct thread_profile_line {
    const char *function; /* never NULL: "??" when unknown */
    const char *file;     /* NULL without line info */
    int line;             /* 0 when unknown */
};

/* One distinct code address, symbolised. */
struct thread_profile_location {
    uintptr_t pc;
    bool return_address; /* a return address (looked up at pc - 1), not an interrupted pc */
    bool offset_known;   /* offset is pc minus the start of the outermost function (dladdr) */
    uintptr_t offset;
    const char *module; /* NULL when unknown */
    /* Innermost first: functions inlined at pc, then the function that contains pc (the last
     * line). At least one line. */
    const struct thread_profile_line *lines;
    uint32_t nlines;
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

    uint32_t stack;          /* current stack, index into stacks; THREAD_PROFILE_NO_STACK */
    uint32_t creation_stack; /* where it was created; THREAD_PROFILE_NO_STACK */
    uint32_t start_stack;    /* one frame, the start routine: a stand-in for grouping threads
                                that have no current stack; THREAD_PROFILE_NO_STACK */
};

struct thread_profile {
    pid_t pid;
    uint64_t taken_ns;   /* CLOCK_REALTIME when the profile was taken */
    uint64_t elapsed_ns; /* how long taking it took */
    bool signalled;      /* current stacks were asked for with signals */

    struct thread_profile_thread *threads; /* sorted by tid; each tid at most once */
    size_t count;
    struct thread_profile_location *locations;
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

    void *private_arena; /* strings, arrays and the live dump; freed by thread_profile_free */
};

struct thread_profile_options {
    bool nosignal;             /* kernel state only: no thread is interrupted */
    int signal;                /* 0 = the live dump's default; see live_stacks_options */
    unsigned deadline_ms;      /* 0 = LIVE_STACKS_DEADLINE_MS */
    bool include_tool_threads; /* list threadleak's own threads too */
    bool states_only;          /* no signals, no current or creation stacks (start routines
                                  only): for counters (/metrics) */
};

/* Options from THREADLEAK_OPTIONS: stacks, dump_signal and dump_timeout_ms. */
void thread_profile_options_from_config(const struct tl__config *cfg,
                                        struct thread_profile_options *out);

/* Takes a profile of the calling process. Returns 0 and fills out (release it with
 * thread_profile_free), or -errno (-ENOMEM, or what listing /proc/self/task failed with); out is
 * then empty and needs no free. */
int thread_profile_take(const struct thread_profile_options *options, struct thread_profile *out);

void thread_profile_free(struct thread_profile *profile);

/* "running", "waiting", "stopped", "exiting", "exited_unjoined": stable names for machines. */
const char *thread_profile_state_name(enum thread_profile_state state);

/* The stack a renderer groups a thread by: its current stack, else its start-routine stand-in,
 * else THREAD_PROFILE_NO_STACK. *is_current says which. */
uint32_t thread_profile_grouping_stack(const struct thread_profile_thread *t, bool *is_current);

/* --- Building profiles by hand (tests of the renderers, and synthetic data) --- */

/* An empty profile whose arena can hold what the functions below add. 0 or -ENOMEM. */
int thread_profile_init_empty(struct thread_profile *p);
/* Appends a thread (copied) and returns it, NULL on ENOMEM. Callers keep `threads` sorted. */
struct thread_profile_thread *thread_profile_add_thread(struct thread_profile *p,
                                                        const struct thread_profile_thread *t);
/* Interns a location by (pc, return_address), copying its lines and strings, and returns its
 * index; UINT32_MAX on ENOMEM or when it has no line. */
uint32_t thread_profile_add_location(struct thread_profile *p,
                                     const struct thread_profile_location *loc);
/* Interns a stack of location indexes and returns its index, THREAD_PROFILE_NO_STACK on ENOMEM
 * or for depth 0. */
uint32_t thread_profile_add_stack(struct thread_profile *p, const uint32_t *locations,
                                  uint32_t depth);
/* Copies s into the profile's arena. NULL for NULL or ENOMEM. */
const char *thread_profile_strdup(struct thread_profile *p, const char *s);
/* Recounts by_state from threads. */
void thread_profile_count_states(struct thread_profile *p);

#endif
