/* sigprocmask, for the dump handler's unwinds (detector/capture/quiet_mask.h).
 *
 * libunwind calls sigprocmask about ten times per unwind, each call a system call that changes
 * nothing inside the dump handler, where every signal is blocked already. While this thread is in
 * that handler's unwind (quiet_mask_active), the calls are answered from the mask the first one
 * learnt; any call that would change the mask still goes to the kernel. Every other call, the
 * host's own included, is exactly glibc's sigprocmask: the same system call, with SIGCANCEL and
 * SIGSETXID taken out of the new set as glibc does, the same result and errno. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "interceptors.h"
#include "quiet_mask.h"

/* The system call, not dlsym(RTLD_NEXT): sigprocmask is async-signal-safe, dlsym is not, and
 * glibc's sigprocmask is this very call. */
TL__WRAPPER(int, sigprocmask, int how, const sigset_t *set, sigset_t *old)
{
    if (quiet_mask_active())
        return quiet_mask_sigprocmask(how, set, old);
    return quiet_mask_kernel_sigprocmask(how, set, old);
}
