/* Undoing the one EINTR a dump can still cause.
 *
 * A dump signals a thread only when /proc showed it running or in a call the kernel restarts
 * (call_interruption.h). Between that look and the signal's arrival, the thread may enter poll,
 * nanosleep or another call that a handler interrupts for good: "running" in /proc includes a
 * thread already inside the kernel on its way to sleep. The handler then finds, in its ucontext,
 * a `syscall` instruction that has just returned -EINTR, and puts the thread back on it: the
 * instruction pointer goes back two bytes and rax gets the call's number again, so that after the
 * handler the same call is made with the same arguments.
 *
 * The number is no longer in any register, so it is read from the code: glibc's wrappers load it
 * with `mov $NR, %eax` right before `syscall`, or a few plain loads of other registers before it.
 * Any other shape is left alone (the EINTR goes through and is counted).
 *
 * Not restarted: when another signal that the thread does not block is pending (it may be the
 * one the program waits for, and it would have interrupted the call anyway), and connect (a
 * second connect after EINTR answers EALREADY).
 *
 * Remaining time: select, pselect and ppoll write the time left back into their argument, and
 * glibc's condition and semaphore waits use absolute deadlines, so these resume exactly. For
 * nanosleep and clock_nanosleep with a `rem` pointer, the kernel wrote the time left there and
 * the restart sleeps for that. Other relative timeouts (poll, epoll_wait, a NULL rem, relative
 * futex, sigtimedwait, semtimedop) start again in full: they wait at most as much longer as the
 * call had run before the signal, which began after the dump's last look (measured in
 * docs/live-stacks.md).
 *
 * Async-signal-safe, allocation-free: it runs in the dump handler. */
#ifndef THREADLEAK_CALL_RESUME_H
#define THREADLEAK_CALL_RESUME_H

#include <stdbool.h>
#include <stdint.h>

/* If ucontext is a syscall that returned -EINTR and can be resumed, rewinds it and returns true.
 * our_signo is not counted as "another pending signal". */
bool call_resume_after_signal(void *ucontext, int our_signo);

/* The syscall number a `syscall` instruction ending at pc was given, read from the code before
 * it; -1 when the code does not show it plainly. Exposed for the test. */
long call_resume_decode_nr(const unsigned char *syscall_end);

struct call_resume_stats {
    uint64_t resumed;     /* calls put back after our signal interrupted them */
    uint64_t let_through; /* EINTRs our signal caused that could not be undone */
};

void call_resume_stats(struct call_resume_stats *out);

#endif
