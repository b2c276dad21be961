/* Signal-mask changes inside the dump handler, answered without a system call.
 *
 * libunwind blocks every signal around each use of its register-state cache and each module
 * lookup (sigprocmask(SIG_SETMASK, full), then back): about ten system calls per unwind, more than
 * the rest of a dump signal's round trip. Inside the dump handler every signal that can be blocked
 * is blocked already (its sa_mask is full), so none of those calls changes anything.
 *
 * Between quiet_mask_enter and quiet_mask_leave, in that thread, the shim's sigprocmask
 * (shim/interpose_signal.c) hands every call to quiet_mask_sigprocmask. The first call goes to the
 * kernel, and tells the thread's mask; after that, a call that would leave the mask as it is
 * writes the old mask as the kernel would (its first 64 signals, the kernel's whole set) and makes
 * no system call. Any other call goes to the kernel too, and the mask it leaves is known from then
 * on. Outside that window, and in every other thread, sigprocmask is the kernel's, as in libc.
 *
 * Async-signal-safe and allocation-free: the window is inside a signal handler. */
#ifndef THREADLEAK_QUIET_MASK_H
#define THREADLEAK_QUIET_MASK_H

#include <signal.h>
#include <stdbool.h>

void quiet_mask_enter(void);
void quiet_mask_leave(void);
/* This thread is between quiet_mask_enter and quiet_mask_leave. */
bool quiet_mask_active(void);
/* sigprocmask(2) as glibc's: 0, or -1 with errno. Answers from the known mask when it can. */
int quiet_mask_sigprocmask(int how, const sigset_t *set, sigset_t *old);
/* sigprocmask as glibc makes it, one system call: SIGCANCEL and SIGSETXID (glibc's own) are taken
 * out of the new set first. */
int quiet_mask_kernel_sigprocmask(int how, const sigset_t *set, sigset_t *old);

#endif
