/* Putting a call our signal interrupted back on its feet: see call_resume.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "call_resume.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static _Atomic uint64_t resumed, let_through;

#if defined(__x86_64__)

/* Calls the kernel ends with EINTR after a handler, and that are safe to make again with the same
 * registers. */
static const long resumable[] = {
    SYS_read,
    SYS_write,
    SYS_readv,
    SYS_writev,
    SYS_poll,
    SYS_ppoll,
    SYS_select,
    SYS_pselect6,
    SYS_epoll_wait,
    SYS_epoll_pwait,
    441 /* epoll_pwait2 */,
    SYS_nanosleep,
    SYS_clock_nanosleep,
    SYS_rt_sigtimedwait,
    SYS_rt_sigsuspend,
    SYS_pause,
    SYS_semop,
    SYS_semtimedop,
    SYS_msgrcv,
    SYS_msgsnd,
    SYS_io_getevents,
    SYS_futex,
    SYS_accept,
    SYS_accept4,
    SYS_recvfrom,
    SYS_recvmsg,
    SYS_recvmmsg,
    SYS_sendto,
    SYS_sendmsg,
    SYS_sendmmsg,
    SYS_wait4,
    SYS_waitid,
};

static bool is_resumable(long nr)
{
    for (size_t i = 0; i < sizeof resumable / sizeof resumable[0]; i++)
        if (resumable[i] == nr)
            return true;
    return false;
}

/* `mov OFF(%rsp), %reg` with reg not eax/rax: 8b /r with a SIB byte for rsp and an 8-bit
 * displacement, with or without a REX prefix (48, 4c: 64-bit, r8-r15). glibc's cancellable
 * wrappers reload their arguments this way between loading the number and `syscall`. Returns
 * the instruction's length if the bytes ending at end are one, else 0. */
static unsigned plain_reload_ending_at(const unsigned char *end)
{
    for (unsigned len = 5; len >= 4; len--) { /* with a REX prefix first: it is part of it */
        const unsigned char *at = end - len;
        unsigned rex = len == 5 ? at[0] : 0;
        const unsigned char *op = len == 5 ? at + 1 : at;
        if (len == 5 && rex != 0x48 && rex != 0x4c && rex != 0x44)
            continue;
        unsigned modrm = op[1];
        bool reg_is_rax = ((modrm >> 3) & 7) == 0 && !(rex & 0x04);
        if (op[0] == 0x8b && (modrm >> 6) == 1 && (modrm & 7) == 4 && op[2] == 0x24 && !reg_is_rax)
            return len;
    }
    return 0;
}

long call_resume_decode_nr(const unsigned char *syscall_end)
{
    const unsigned char *insn = syscall_end - 2;
    if (insn[0] != 0x0f || insn[1] != 0x05)
        return -1;
    /* Only the page the syscall instruction is on is known to be mapped: look no lower. */
    uintptr_t floor = (uintptr_t)insn & ~(uintptr_t)4095;
    const unsigned char *end = insn;
    for (int reloads = 0; reloads <= 3; reloads++) {
        if ((uintptr_t)end < floor + 5)
            return -1;
        if (end[-5] == 0xb8) { /* mov $imm32, %eax */
            uint32_t nr = (uint32_t)end[-4] | (uint32_t)end[-3] << 8 | (uint32_t)end[-2] << 16 |
                          (uint32_t)end[-1] << 24;
            return nr < 1024 ? (long)nr : -1;
        }
        unsigned len = plain_reload_ending_at(end);
        if (len == 0)
            return -1;
        end -= len;
    }
    return -1;
}

/* Another signal the thread does not block is waiting: it would have interrupted the call too,
 * and the program may be waiting for exactly that EINTR. */
static bool other_signal_pending(const ucontext_t *uc, int our_signo)
{
    sigset_t pending;
    if (syscall(SYS_rt_sigpending, &pending, sizeof(uint64_t)) != 0)
        return true;
    for (int signo = 1; signo <= 64; signo++)
        if (signo != our_signo && sigismember(&pending, signo) &&
            !sigismember(&uc->uc_sigmask, signo))
            return true;
    return false;
}

/* nanosleep(req, rem) and clock_nanosleep(clock, flags, req, rem), relative: the kernel wrote the
 * time left to rem; sleeping for that is exact. */
static void sleep_for_what_is_left(ucontext_t *uc, long nr)
{
    greg_t *r = uc->uc_mcontext.gregs;
    if (nr == SYS_nanosleep && r[REG_RSI] != 0)
        r[REG_RDI] = r[REG_RSI];
    else if (nr == SYS_clock_nanosleep && r[REG_RSI] == 0 && r[REG_R10] != 0)
        r[REG_RDX] = r[REG_R10];
}

bool call_resume_after_signal(void *ucontext, int our_signo)
{
    ucontext_t *uc = ucontext;
    greg_t *r = uc->uc_mcontext.gregs;
    if (r[REG_RAX] != -EINTR)
        return false;
    const unsigned char *pc = (const unsigned char *)(uintptr_t)r[REG_RIP];
    if (pc[-2] != 0x0f || pc[-1] != 0x05)
        return false; /* not a syscall return: rax just happens to hold -4 */
    long nr = call_resume_decode_nr(pc);
    if (nr < 0 || !is_resumable(nr) || other_signal_pending(uc, our_signo)) {
        atomic_fetch_add_explicit(&let_through, 1, memory_order_relaxed);
        return false;
    }
    sleep_for_what_is_left(uc, nr);
    r[REG_RAX] = nr;
    r[REG_RIP] -= 2;
    atomic_fetch_add_explicit(&resumed, 1, memory_order_relaxed);
    return true;
}

#else

long call_resume_decode_nr(const unsigned char *syscall_end)
{
    (void)syscall_end;
    return -1;
}

bool call_resume_after_signal(void *ucontext, int our_signo)
{
    (void)ucontext, (void)our_signo;
    return false;
}

#endif

void call_resume_stats(struct call_resume_stats *out)
{
    out->resumed = atomic_load(&resumed);
    out->let_through = atomic_load(&let_through);
}
