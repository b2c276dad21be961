/* quiet_mask.c: inside the dump handler's unwind, sigprocmask answered from the known mask gives
 * exactly what the kernel gives (results, errno, the old mask and the bytes the kernel leaves
 * alone, the mask left behind) for libunwind's pattern and for calls that do change the mask; and
 * it really answers without the kernel (a change made behind its back goes unseen). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "quiet_mask.h"

typedef int (*mask_fn)(int how, const sigset_t *set, sigset_t *old);

enum set_kind { SET_NONE, SET_FULL, SET_EMPTY, SET_USR1, SET_KILL_AND_CANCEL, SET_OLD };

struct op {
    int how;
    enum set_kind set;
    int with_old;
};

struct outcome {
    int rc, error;
    sigset_t old; /* prefilled: the kernel writes its 8 bytes and no more */
};

#define MAX_OPS 12

static uint64_t kernel_mask(void)
{
    uint64_t mask = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, sizeof mask);
    return mask;
}

static void set_kernel_mask(uint64_t mask)
{
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof mask);
}

static void make_set(enum set_kind kind, const sigset_t *previous_old, sigset_t *set)
{
    sigemptyset(set);
    switch (kind) {
    case SET_FULL:
        sigfillset(set);
        break;
    case SET_USR1:
        sigaddset(set, SIGUSR1);
        break;
    case SET_KILL_AND_CANCEL:
        sigaddset(set, SIGKILL);
        sigaddset(set, SIGUSR2);
        set->__val[0] |= 3ul << 31; /* glibc's SIGCANCEL and SIGSETXID */
        break;
    case SET_OLD:
        *set = *previous_old;
        break;
    default:
        break;
    }
}

/* Runs ops through fn from the starting mask; returns the mask left. */
static uint64_t run(mask_fn fn, bool window, uint64_t start, const struct op *ops, size_t n,
                    struct outcome *out)
{
    set_kernel_mask(start);
    sigset_t last_old;
    memset(&last_old, 0, sizeof last_old);
    if (window)
        quiet_mask_enter();
    for (size_t i = 0; i < n; i++) {
        sigset_t set;
        make_set(ops[i].set, &last_old, &set);
        memset(&out[i].old, 0xa5, sizeof out[i].old);
        errno = 0;
        out[i].rc = fn(ops[i].how, ops[i].set == SET_NONE ? NULL : &set,
                       ops[i].with_old ? &out[i].old : NULL);
        out[i].error = out[i].rc != 0 ? errno : 0;
        if (ops[i].with_old)
            last_old = out[i].old;
    }
    if (window)
        quiet_mask_leave();
    uint64_t left = kernel_mask();
    set_kernel_mask(0);
    return left;
}

static void compare(uint64_t start, const struct op *ops, size_t n)
{
    struct outcome kernel[MAX_OPS], quiet[MAX_OPS];
    uint64_t kernel_left = run(quiet_mask_kernel_sigprocmask, false, start, ops, n, kernel);
    uint64_t quiet_left = run(quiet_mask_sigprocmask, true, start, ops, n, quiet);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(quiet[i].rc, kernel[i].rc);
        assert_int_equal(quiet[i].error, kernel[i].error);
        assert_memory_equal(&quiet[i].old, &kernel[i].old, sizeof kernel[i].old);
    }
    assert_int_equal(quiet_left, kernel_left);
}

/* What libunwind does around each cache use and module lookup: block all, then put back. */
static const struct op libunwind_pattern[] = {
    {SIG_SETMASK, SET_FULL, 1}, {SIG_SETMASK, SET_OLD, 0},  {SIG_SETMASK, SET_FULL, 1},
    {SIG_SETMASK, SET_OLD, 0},  {SIG_SETMASK, SET_FULL, 1}, {SIG_SETMASK, SET_OLD, 0},
};

static void test_libunwind_pattern_with_every_signal_blocked(void **state)
{
    (void)state;
    compare(~0ull, libunwind_pattern, 6);
}

static void test_libunwind_pattern_from_an_open_mask(void **state)
{
    (void)state;
    compare(0, libunwind_pattern, 6); /* here the first call does change the mask */
}

static void test_calls_that_change_the_mask(void **state)
{
    (void)state;
    static const struct op ops[] = {
        {SIG_SETMASK, SET_FULL, 1},  {SIG_UNBLOCK, SET_USR1, 1},
        {SIG_BLOCK, SET_USR1, 1},    {SIG_BLOCK, SET_NONE, 1},
        {SIG_SETMASK, SET_EMPTY, 1}, {SIG_BLOCK, SET_KILL_AND_CANCEL, 1},
        {SIG_UNBLOCK, SET_EMPTY, 1}, {12345, SET_USR1, 1},
        {12345, SET_NONE, 1},        {SIG_SETMASK, SET_OLD, 1},
    };
    compare(1ull << (SIGUSR2 - 1), ops, 10);
    compare(~0ull, ops, 10);
}

/* The point of it: inside the window a call that changes nothing is not the kernel's. */
static void test_answers_without_the_kernel(void **state)
{
    (void)state;
    set_kernel_mask(~0ull);
    quiet_mask_enter();
    sigset_t full, old;
    sigfillset(&full);
    assert_int_equal(quiet_mask_sigprocmask(SIG_SETMASK, &full, &old), 0); /* learns it */
    set_kernel_mask(0);                                                    /* behind its back */
    assert_int_equal(quiet_mask_sigprocmask(SIG_SETMASK, &full, &old), 0);
    uint64_t still = kernel_mask();
    quiet_mask_leave();
    assert_int_equal(still, 0); /* the second call went nowhere */
    /* what the first call left: all but SIGKILL, SIGSTOP and glibc's two */
    assert_int_equal(old.__val[0],
                     ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | 3ull << 31));
    set_kernel_mask(0);
}

static uint64_t mask_in_handler, mask_after_unwind;
static struct outcome handler_outcome[6];

static void handler(int signo)
{
    (void)signo;
    mask_in_handler = kernel_mask();
    quiet_mask_enter();
    for (size_t i = 0; i < 6; i++) {
        sigset_t set, *last = i > 0 ? &handler_outcome[i - 1].old : NULL;
        make_set(libunwind_pattern[i].set, last, &set);
        handler_outcome[i].rc =
            quiet_mask_sigprocmask(libunwind_pattern[i].how, &set,
                                   libunwind_pattern[i].with_old ? &handler_outcome[i].old : NULL);
        if (!libunwind_pattern[i].with_old)
            handler_outcome[i].old = handler_outcome[i - 1].old;
    }
    mask_after_unwind = kernel_mask();
    quiet_mask_leave();
}

/* As the dump handler runs it: sa_mask full, so the pattern finds nothing to change. */
static void test_in_a_handler_with_a_full_sa_mask(void **state)
{
    (void)state;
    struct sigaction act, saved;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    sigfillset(&act.sa_mask);
    sigaction(SIGUSR1, &act, &saved);
    set_kernel_mask(1ull << (SIGUSR2 - 1));
    raise(SIGUSR1);
    assert_int_equal(kernel_mask(), 1ull << (SIGUSR2 - 1)); /* the program's mask, back */
    assert_int_equal(mask_after_unwind, mask_in_handler);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(handler_outcome[i].rc, 0);
        assert_int_equal(handler_outcome[i].old.__val[0], mask_in_handler);
    }
    sigaction(SIGUSR1, &saved, NULL);
    set_kernel_mask(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libunwind_pattern_with_every_signal_blocked),
        cmocka_unit_test(test_libunwind_pattern_from_an_open_mask),
        cmocka_unit_test(test_calls_that_change_the_mask),
        cmocka_unit_test(test_answers_without_the_kernel),
        cmocka_unit_test(test_in_a_handler_with_a_full_sa_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
