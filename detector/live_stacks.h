/* Every thread's current stack, captured in-process (the threadstacks/Kudu design).
 *
 * A dump lists /proc/self/task, reads each thread's kernel state (kernel_state.h), then sends it a
 * real-time signal carrying a request id. The handler unwinds from its ucontext into a slot of a
 * preallocated, mmap'd mailbox and acknowledges through a futex; the collector waits for all of
 * them under one deadline for the whole dump. Slots are claimed by a compare-and-swap on
 * (generation, tid), so a signal that arrives late, or for an earlier dump, finds nothing to claim
 * and writes nothing; mailboxes are never unmapped while a handler may still hold one.
 *
 * A thread blocked in a call that a handler would make return early (poll, epoll_wait, nanosleep,
 * select, timed futex waits and the rest of signal(7)'s "never restarted" list) is never
 * signalled: its stack is unwound from the sp and pc in /proc/self/task/TID/syscall instead
 * (parked_stack.h, call_interruption.h). `nosignal` mode sends no signals and gives kernel state
 * only.
 *
 * Design, measurements and limits: docs/live-stacks.md. */
#ifndef THREADLEAK_LIVE_STACKS_H
#define THREADLEAK_LIVE_STACKS_H

#include "kernel_state.h"
#include "thread_locks.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LIVE_STACK_MAX_FRAMES     64
#define LIVE_STACKS_SIGNAL_OFFSET 3    /* default signal: SIGRTMIN + 3 (glibc: 37) */
#define LIVE_STACKS_DEADLINE_MS   1000 /* default budget for a whole dump */
#define LIVE_STACKS_MESSAGE_MAX   192

enum live_stack_status {
    LIVE_STACK_OK,              /* frames hold the thread's stack at the signal */
    LIVE_STACK_SIGNALS_BLOCKED, /* the thread blocks the dump signal: not waited for */
    LIVE_STACK_TIMED_OUT,       /* signalled, no answer before the deadline */
    LIVE_STACK_BUSY_UNWINDING,  /* interrupted inside libunwind: not unwound */
    LIVE_STACK_BUSY_IN_LOADER,  /* inside dlopen/dlclose (live_stacks_enter_loader): not unwound */
    LIVE_STACK_EXITED,          /* gone before it could answer */
    LIVE_STACK_STOPPED,         /* stopped or traced: a signal would wait for it to resume */
    LIVE_STACK_NOT_SIGNALLED,   /* nosignal mode, or no usable signal or unwinder: kernel state */
    LIVE_STACK_WOULD_INTERRUPT, /* in a call a signal would interrupt, and its stack could not be
                                   taken from /proc: left alone */
    LIVE_STACK_CALL_UNREADABLE, /* asleep in a call /proc will not name (not dumpable: setuid, or
                                   PR_SET_DUMPABLE 0): it may be one a signal would interrupt,
                                   so it is left alone */
    LIVE_STACK_STATUS_COUNT
};

/* What every output says under a partial stack. */
#define LIVE_STACK_PARTIAL_NOTE                                                                    \
    "partial: read from /proc without interrupting the thread; the next caller needs a "           \
    "register /proc does not give (stacks=interrupt takes whole stacks)"

struct live_stack_thread {
    pid_t tid;
    enum live_stack_status status;
    bool is_collector;      /* the thread that ran the dump: captured directly, no signal */
    bool first_frame_is_pc; /* frames[0] is the interrupted instruction, not a return address */
    bool parked;       /* in a call a signal would show in: never signalled; the stack was unwound
                          from the sp and pc /proc gives (parked_stack.h) */
    bool looked_again; /* private: more files were read after `syscall`, so it is read again
                          before the signal */
    bool partial;      /* parked, and the walk ended at a frame that needs a register /proc lacks */
    uint16_t nframes;
    void *frames[LIVE_STACK_MAX_FRAMES]; /* innermost first */
    struct kernel_thread_state kernel;   /* read just before the signal was sent */
    struct tl__thread_locks locks;       /* taken with the stack when a probe is set (known) */
};

struct live_stacks_options {
    int signal;           /* 0 = SIGRTMIN + LIVE_STACKS_SIGNAL_OFFSET; must be a real-time signal */
    unsigned deadline_ms; /* 0 = LIVE_STACKS_DEADLINE_MS */
    bool nosignal;        /* kernel state only: no thread is interrupted */
    bool interrupt_calls; /* signal threads in calls a handler interrupts too (poll, nanosleep,
                             ...): whole stacks even in frame-pointer code, at the price of
                             EINTR in those calls. Off by default; for tests and for users who
                             accept that price */
    bool wchan;           /* read each thread's `wchan` too (one more /proc file per thread). Off:
                             kernel.wchan is then filled only where `syscall` is unreadable, the
                             one case whose description needs it */
};

struct live_stacks_dump {
    struct live_stack_thread *threads; /* sorted by tid; each tid at most once */
    size_t count;
    int signal;         /* the signal sent; 0 when none was */
    unsigned signalled; /* threads sent the signal */
    unsigned answered;  /* of those, answers (OK or BUSY_*) */
    uint64_t elapsed_ns;
    char message[LIVE_STACKS_MESSAGE_MAX]; /* "" or a note: signal moved, no unwinder, ... */
    size_t mapped_bytes;                   /* private: the size of the threads mapping */
};

/* Dumps every thread of the process. Not async-signal-safe; one dump runs at a time (concurrent
 * callers wait for each other). Calls stack_capture_init if nobody did. Returns 0 and fills out
 * (release it with live_stacks_free), or -errno when /proc/self/task cannot be listed or memory
 * cannot be mapped (out is then empty). Never waits past the deadline by more than the time it
 * takes to read /proc for the threads left (plus at most 2 ms of grace for a handler caught
 * mid-write). */
int live_stacks_dump(const struct live_stacks_options *options, struct live_stacks_dump *out);

void live_stacks_free(struct live_stacks_dump *dump);

/* The dump's entry for tid, or NULL (also when dump is NULL). A binary search: threads are sorted.
 */
const struct live_stack_thread *live_stacks_find(const struct live_stacks_dump *dump, pid_t tid);

/* "ok", "signals blocked", "timed out", "busy in unwinder", "busy in loader", "exited",
 * "stopped", "not signalled", "would interrupt its call", "its call is unreadable (not dumpable)".
 */
const char *live_stack_status_name(enum live_stack_status status);

/* The signal the last dump used (0 before the first). */
int live_stacks_current_signal(void);

/* For the child of fork, before its first dump (an atfork child hook): the parent's collector may
 * have held the dump lock at the fork, and nothing of its requests means anything here. Leaks the
 * wait tracker's table rather than free memory the parent may have been reallocating. */
void live_stacks_fork_child(void);

/* The lock module's probe (thread_locks.h), run by every answering thread in the dump's handler
 * and by the collector for itself, so that a dump shows the locks each thread holds and waits
 * for with no mechanism of its own. NULL (the default) takes none. Set once, at start-up. */
void live_stacks_set_locks_probe(tl__thread_locks_probe probe);

/* Brackets around dlopen/dlclose in the calling thread: while inside, the handler answers
 * BUSY_IN_LOADER instead of unwinding (libunwind's dl_iterate_phdr would meet the loader's lock and
 * half-updated link map). Async-signal-safe, allocation-free: a TLS counter. */
void live_stacks_enter_loader(void);
void live_stacks_leave_loader(void);

#endif
