/* See quiet_mask.h. Async-signal-safe and allocation-free: no mem* or str* calls (this folder's
 * rule); sets are copied word by word. */
#include "quiet_mask.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's set on x86_64 and the other 64-signal ABIs: glibc's sigset_t's first word. */
#define KERNEL_SET_BYTES 8
/* glibc's SIGCANCEL and SIGSETXID (32 and 33), which its sigprocmask never lets a caller block. */
#define GLIBC_INTERNAL_SIGNALS (UINT64_C(3) << 31)
/* SIGKILL and SIGSTOP: the kernel drops them from every new mask. */
#define UNBLOCKABLE_SIGNALS ((UINT64_C(1) << (SIGKILL - 1)) | (UINT64_C(1) << (SIGSTOP - 1)))

_Static_assert(sizeof(((sigset_t *)0)->__val[0]) == KERNEL_SET_BYTES, "a 64-signal kernel set");

struct quiet_mask {
    unsigned depth;
    bool known;
    uint64_t mask; /* the thread's mask, as the kernel has it, once known */
};

static __thread struct quiet_mask quiet __attribute__((tls_model("initial-exec")));

void quiet_mask_enter(void)
{
    quiet.known = false;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    quiet.depth++;
}

void quiet_mask_leave(void)
{
    quiet.depth--;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

bool quiet_mask_active(void)
{
    return quiet.depth > 0;
}

static uint64_t first_word(const sigset_t *set)
{
    return (uint64_t)set->__val[0];
}

int quiet_mask_kernel_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t allowed;
    if (set && (first_word(set) & GLIBC_INTERNAL_SIGNALS)) {
        for (size_t i = 0; i < sizeof allowed.__val / sizeof allowed.__val[0]; i++)
            allowed.__val[i] = set->__val[i];
        allowed.__val[0] &= ~(unsigned long)GLIBC_INTERNAL_SIGNALS;
        set = &allowed;
    }
    return (int)syscall(SYS_rt_sigprocmask, how, set, old, KERNEL_SET_BYTES);
}

/* The mask the kernel would leave; false for a `how` it would refuse. */
static bool mask_after(int how, uint64_t before, uint64_t set, uint64_t *after)
{
    set &= ~GLIBC_INTERNAL_SIGNALS;
    switch (how) {
    case SIG_BLOCK:
        *after = before | set;
        break;
    case SIG_UNBLOCK:
        *after = before & ~set;
        break;
    case SIG_SETMASK:
        *after = set;
        break;
    default:
        return false;
    }
    *after &= ~UNBLOCKABLE_SIGNALS;
    return true;
}

int quiet_mask_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    uint64_t after = quiet.mask;
    if (quiet.known &&
        (!set || (mask_after(how, quiet.mask, first_word(set), &after) && after == quiet.mask))) {
        if (old)
            old->__val[0] = (unsigned long)quiet.mask; /* what the kernel writes, no more */
        return 0;
    }
    sigset_t before;
    before.__val[0] = 0;
    int rc = quiet_mask_kernel_sigprocmask(how, set, &before);
    if (rc != 0)
        return rc; /* errno from the kernel; nothing changed */
    if (old)
        old->__val[0] = before.__val[0];
    quiet.known = !set || mask_after(how, first_word(&before), first_word(set), &quiet.mask);
    if (!set)
        quiet.mask = first_word(&before);
    return 0;
}
