/* call_resume.c: a syscall our signal interrupted with EINTR is put back, so that the thread
 * sees the call complete as if no signal had come: poll, epoll_wait, nanosleep (with and without
 * rem), select and pause, each in a thread that is signalled while inside it by a handler that
 * does what the dump handler does. The number is read from glibc's real wrappers. A pending signal
 * of the program's own lets the EINTR through. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "call_resume.h"
#include "kernel_state.h"

#define TIMEOUT_MS 300

static int resume_signal;
static atomic_bool raise_own_signal; /* make the program's own signal pending first */
static _Atomic int own_signal_seen;

static void resuming_handler(int signo, siginfo_t *info, void *ucontext)
{
    (void)info;
    if (atomic_load(&raise_own_signal))
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2); /* stays pending: masked */
    call_resume_after_signal(ucontext, signo);
}

static void own_handler(int signo)
{
    (void)signo;
    atomic_fetch_add(&own_signal_seen, 1);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct call {
    _Atomic pid_t tid;
    int (*make)(void);
    int result, error;
    uint64_t elapsed_ms;
};

static int call_poll(void)
{
    return poll(NULL, 0, TIMEOUT_MS);
}

static int call_epoll_wait(void)
{
    int ep = epoll_create1(0);
    struct epoll_event ev;
    int rc = epoll_wait(ep, &ev, 1, TIMEOUT_MS);
    int err = errno;
    close(ep);
    errno = err;
    return rc;
}

static int call_nanosleep_no_rem(void)
{
    struct timespec ts = {0, TIMEOUT_MS * 1000000L};
    return nanosleep(&ts, NULL);
}

static int call_nanosleep_rem(void)
{
    struct timespec ts = {0, TIMEOUT_MS * 1000000L}, rem;
    return nanosleep(&ts, &rem);
}

static int call_select(void)
{
    struct timeval tv = {0, TIMEOUT_MS * 1000L};
    return select(0, NULL, NULL, NULL, &tv);
}

static void *make_call(void *arg)
{
    struct call *c = arg;
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, resume_signal);
    sigaddset(&both, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &both, NULL);
    atomic_store(&c->tid, (pid_t)syscall(SYS_gettid));
    uint64_t start = now_ms();
    c->result = c->make();
    c->error = errno;
    c->elapsed_ms = now_ms() - start;
    return NULL;
}

/* Runs make() in a thread, signals it once it is inside the call, and returns what it saw. */
static struct call run_signalled(int (*make)(void))
{
    struct call c = {.make = make};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, make_call, &c), 0);
    struct kernel_thread_state st = {0};
    for (int i = 0; i < 1000; i++) {
        pid_t tid = atomic_load(&c.tid);
        if (tid && kernel_state_read(-1, tid, 0, NULL, &st) == 0 &&
            st.syscall_state == KERNEL_SYSCALL_IN)
            break;
        usleep(1000);
    }
    assert_int_equal(st.syscall_state, KERNEL_SYSCALL_IN);
    usleep(20 * 1000); /* well inside the call */
    assert_int_equal(syscall(SYS_tgkill, getpid(), atomic_load(&c.tid), resume_signal), 0);
    pthread_join(thread, NULL);
    return c;
}

static void check_resumed(int (*make)(void), const char *what)
{
    struct call_resume_stats before, after;
    call_resume_stats(&before);
    struct call c = run_signalled(make);
    call_resume_stats(&after);
    if (c.result != 0)
        fail_msg("%s returned %d (%s) after %llu ms", what, c.result, strerror(c.error),
                 (unsigned long long)c.elapsed_ms);
    assert_true(c.elapsed_ms >= TIMEOUT_MS - 1); /* no early return */
    assert_int_equal(after.resumed, before.resumed + 1);
}

static void test_poll(void **state)
{
    (void)state;
    check_resumed(call_poll, "poll");
}

static void test_epoll_wait(void **state)
{
    (void)state;
    check_resumed(call_epoll_wait, "epoll_wait");
}

static void test_nanosleep_without_rem(void **state)
{
    (void)state;
    check_resumed(call_nanosleep_no_rem, "nanosleep(req, NULL)");
}

/* With rem, the kernel wrote the time left: the restart sleeps exactly that, so the whole call
 * takes its timeout, not the timeout plus the 20 ms before the signal. */
static void test_nanosleep_with_rem_sleeps_what_is_left(void **state)
{
    (void)state;
    struct call c = run_signalled(call_nanosleep_rem);
    assert_int_equal(c.result, 0);
    assert_true(c.elapsed_ms >= TIMEOUT_MS - 1);
    assert_true(c.elapsed_ms < TIMEOUT_MS + 15); /* without rem it would be >= 320 */
}

/* select writes the time left into its timeval: exact too. */
static void test_select_keeps_its_remaining_time(void **state)
{
    (void)state;
    struct call c = run_signalled(call_select);
    assert_int_equal(c.result, 0);
    assert_true(c.elapsed_ms >= TIMEOUT_MS - 1);
    assert_true(c.elapsed_ms < TIMEOUT_MS + 15);
}

/* The program's own signal is pending as ours arrives: the EINTR is the program's, let through. */
static void test_pending_own_signal_lets_eintr_through(void **state)
{
    (void)state;
    struct call_resume_stats before, after;
    call_resume_stats(&before);
    atomic_store(&raise_own_signal, true);
    int seen = atomic_load(&own_signal_seen);
    struct call c = run_signalled(call_poll);
    atomic_store(&raise_own_signal, false);
    call_resume_stats(&after);
    assert_int_equal(c.result, -1);
    assert_int_equal(c.error, EINTR);
    assert_int_equal(atomic_load(&own_signal_seen), seen + 1);
    assert_int_equal(after.resumed, before.resumed);
    assert_int_equal(after.let_through, before.let_through + 1);
}

/* The shapes glibc's wrappers use, and one it does not. */
static void test_decode(void **state)
{
    (void)state;
    static const unsigned char __attribute__((aligned(32)))
    direct[] = {0xb8, 0xe8, 0x00, 0x00, 0x00, 0x0f, 0x05};
    assert_int_equal(call_resume_decode_nr(direct + sizeof direct), 232);
    static const unsigned char __attribute__((aligned(32)))
    reload[] = {0xb8, 0x19, 0x01, 0x00, 0x00, 0x8b, 0x7c, 0x24, 0x04, 0x0f, 0x05};
    assert_int_equal(call_resume_decode_nr(reload + sizeof reload), 0x119);
    static const unsigned char __attribute__((aligned(32)))
    two_reloads[] = {0xb8, 0x2d, 0x00, 0x00, 0x00, 0x48, 0x8b, 0x54, 0x24,
                     0x10, 0x48, 0x8b, 0x74, 0x24, 0x08, 0x0f, 0x05};
    assert_int_equal(call_resume_decode_nr(two_reloads + sizeof two_reloads), 45);
    /* syscall(): the number comes from a register; nothing to read */
    static const unsigned char __attribute__((aligned(32)))
    from_register[] = {0x90, 0x90, 0x90, 0x90, 0x90, 0x48, 0x89, 0xf8, 0x0f, 0x05};
    assert_int_equal(call_resume_decode_nr(from_register + sizeof from_register), -1);
    /* a reload into eax itself would overwrite the number: not trusted */
    static const unsigned char __attribute__((aligned(32)))
    into_eax[] = {0xb8, 0x07, 0x00, 0x00, 0x00, 0x8b, 0x44, 0x24, 0x08, 0x0f, 0x05};
    assert_int_equal(call_resume_decode_nr(into_eax + sizeof into_eax), -1);
}

/* This C library's own wrappers: every `syscall` in their first bytes reads as their number. Looked
 * up in libc itself: under AddressSanitizer the global `poll` is the sanitizer's interceptor. */
static void expect_wrapper_decodes(const char *name, long nr)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(libc);
    const unsigned char *code = dlsym(libc, name);
    dlclose(libc);
    assert_non_null(code);
    unsigned found = 0;
    for (unsigned at = 2; at < 160; at++) {
        if (code[at - 2] != 0x0f || code[at - 1] != 0x05)
            continue;
        long got = call_resume_decode_nr(code + at);
        if (got != nr)
            fail_msg("%s+%u: decoded %ld, expected %ld", name, at, got, nr);
        found++;
    }
    assert_true(found >= 1);
}

static void test_decode_glibc_wrappers(void **state)
{
    (void)state;
    expect_wrapper_decodes("poll", SYS_poll);
    expect_wrapper_decodes("epoll_wait", SYS_epoll_wait);
    expect_wrapper_decodes("clock_nanosleep", SYS_clock_nanosleep);
    expect_wrapper_decodes("pause", SYS_pause);
    expect_wrapper_decodes("accept", SYS_accept);
    expect_wrapper_decodes("msgrcv", SYS_msgrcv);
}

int main(void)
{
    resume_signal = SIGRTMIN + 3;
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_sigaction = resuming_handler;
    act.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&act.sa_mask);
    sigaction(resume_signal, &act, NULL);
    memset(&act, 0, sizeof act);
    act.sa_handler = own_handler;
    sigaction(SIGUSR2, &act, NULL);
    /* Only the thread making the call takes the signals (it unblocks them). */
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, resume_signal);
    sigaddset(&both, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &both, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_decode_glibc_wrappers),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_epoll_wait),
        cmocka_unit_test(test_nanosleep_without_rem),
        cmocka_unit_test(test_nanosleep_with_rem_sleeps_what_is_left),
        cmocka_unit_test(test_select_keeps_its_remaining_time),
        cmocka_unit_test(test_pending_own_signal_lets_eintr_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
