/* Whether a signal handler, run in a thread blocked in a system call, would show in that call.
 *
 * With SA_RESTART, the kernel restarts some calls after a handler as if nothing happened (futex
 * waits without a timeout, pipe and file read/write, wait4, flock, ...). Others it never
 * restarts: poll, epoll_wait, nanosleep, select, sigtimedwait, timed futex waits, semop, msgrcv,
 * io_getevents, inotify reads, socket calls on sockets with SO_RCVTIMEO/SO_SNDTIMEO, and
 * sigsuspend/pause return for any handled signal (signal(7), "Interruption of system calls and
 * library functions by signal handlers"). A dump must not signal a thread inside one of those.
 *
 * The answer is an allow-list: a call this file does not know to be restarted counts as one a
 * signal would show in. Reading the kernel's own code for each call is what put a call on it;
 * tests/invisible checks every call the issue names, natively and under a dump storm. */
#ifndef THREADLEAK_CALL_INTERRUPTION_H
#define THREADLEAK_CALL_INTERRUPTION_H

#include "kernel_state.h"

#include <stdbool.h>

/* True when signalling the thread now could change what its current call returns or how long it
 * waits. Running threads and threads blocked outside a syscall (a page fault) are false; a
 * thread whose call cannot be read (not dumpable) but that sleeps is true. May call getsockopt
 * on the call's fd (the process's own descriptor table). */
bool call_would_see_signal(const struct kernel_thread_state *st);

#endif
