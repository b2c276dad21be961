/* The stack of a thread parked in a system call, taken without touching the thread.
 *
 * A signal handler would make poll, epoll_wait, nanosleep and the other calls signal(7) lists
 * as never restarted return EINTR (issue 14). A thread blocked in one is therefore not signalled:
 * /proc/self/task/TID/syscall gives its user sp and pc, its stack is copied with one
 * process_vm_readv (which fails cleanly where a fault would crash us), and libunwind's remote
 * interface unwinds the copy with DWARF CFI, reading the rest of our own memory through
 * process_vm_readv too.
 *
 * What /proc does not give is every other register. A frame whose CFA is computed from one (rbp
 * in code built with frame pointers, -O0 code) can only be unwound when an inner frame saved that
 * register on the stack; otherwise the walk ends there and the stack is marked partial. The
 * details and measurements are in docs/live-stacks.md.
 *
 * Not async-signal-safe: the collector thread calls it, under the dump lock. */
#ifndef THREADLEAK_PARKED_STACK_H
#define THREADLEAK_PARKED_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct parked_stack {
    unsigned nframes;
    bool partial; /* the walk stopped at a frame that needs a register /proc does not give */
};

/* Whether this machine can unwind a parked thread at all: x86_64, and libunwind's remote
 * interface (libunwind-x86_64.so.8) loads. Loads it on first call. */
bool parked_stack_available(void);

/* Unwinds the thread whose user sp and pc /proc reported. frames[0] is pc itself. Returns false
 * when nothing could be read (the stack is gone: the thread exited). */
bool parked_stack_unwind(uint64_t sp, uint64_t pc, void **frames, unsigned max,
                         struct parked_stack *out);

/* fork: the child may inherit libunwind's cache lock held by the parent's collector. */
void parked_stack_fork_child(void);

#endif
