/* Dumps while threads go in and out of calls a signal would interrupt, with short timeouts: the
 * window between the collector's look at /proc and its signal is hit again and again. Each call
 * must still never return EINTR nor return before its timeout. Layer 1 (no signal for a thread
 * seen in such a call) and layer 2 (its stack from /proc) cannot help a thread seen running that
 * enters the call a microsecond later; layer 3 (call_resume.c) must. Prints how often it did. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "call_resume.h"
#include "live_stacks.h"
#include "stack_capture.h"

#define TIMEOUT_US 200
#define DUMPS      300

static atomic_bool stop;

struct looper {
    const char *name;
    int (*call)(void); /* one call with a TIMEOUT_US timeout; returns its result, errno kept */
    pthread_t thread;
    unsigned long calls, eintr, early;
    long first_errno;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int in_poll(void)
{
    return poll(NULL, 0, 1); /* poll's unit is 1 ms */
}

static int in_epoll_wait(void)
{
    static __thread int ep = -1;
    if (ep < 0)
        ep = epoll_create1(0);
    struct epoll_event ev;
    return epoll_wait(ep, &ev, 1, 1);
}

static int in_nanosleep(void)
{
    struct timespec ts = {0, TIMEOUT_US * 1000L};
    return nanosleep(&ts, NULL);
}

static int in_clock_nanosleep(void)
{
    struct timespec ts = {0, TIMEOUT_US * 1000L}, rem;
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
    errno = rc;
    return rc ? -1 : 0;
}

static int in_usleep(void)
{
    return usleep(TIMEOUT_US);
}

static int in_select(void)
{
    struct timeval tv = {0, TIMEOUT_US};
    return select(0, NULL, NULL, NULL, &tv);
}

static int in_ppoll(void)
{
    struct timespec ts = {0, TIMEOUT_US * 1000L};
    return ppoll(NULL, 0, &ts, NULL);
}

static int in_sem_timedwait(void)
{
    static __thread sem_t sem;
    static __thread bool ready;
    if (!ready)
        ready = sem_init(&sem, 0, 0) == 0;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += TIMEOUT_US * 1000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = sem_timedwait(&sem, &deadline);
    return rc != 0 && errno == ETIMEDOUT ? 0 : rc;
}

static int in_sigtimedwait(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2); /* never sent */
    struct timespec ts = {0, TIMEOUT_US * 1000L};
    int rc = sigtimedwait(&set, NULL, &ts);
    return rc < 0 && errno == EAGAIN ? 0 : rc;
}

static int expected_us(const struct looper *l)
{
    return l->call == in_poll || l->call == in_epoll_wait ? 1000 : TIMEOUT_US;
}

static void *loop_calls(void *arg)
{
    struct looper *l = arg;
    int min_us = expected_us(l);
    while (!atomic_load(&stop)) {
        int64_t start = now_us();
        int rc = l->call();
        int err = errno;
        int64_t took = now_us() - start;
        l->calls++;
        if (rc != 0 && err == EINTR)
            l->eintr++;
        else if (rc != 0 && !l->first_errno)
            l->first_errno = err;
        if (took < min_us - 50) /* clocks differ by a few µs; 50 µs is an early return */
            l->early++;
        for (volatile int spin = 0; spin < 3000; spin++) /* a little work between calls */
            ;
    }
    return NULL;
}

static void test_no_eintr_while_threads_enter_calls(void **state)
{
    (void)state;
    struct looper loopers[] = {
        {.name = "poll", .call = in_poll},
        {.name = "epoll_wait", .call = in_epoll_wait},
        {.name = "nanosleep", .call = in_nanosleep},
        {.name = "clock_nanosleep", .call = in_clock_nanosleep},
        {.name = "usleep", .call = in_usleep},
        {.name = "select", .call = in_select},
        {.name = "ppoll", .call = in_ppoll},
        {.name = "sem_timedwait", .call = in_sem_timedwait},
        {.name = "sigtimedwait", .call = in_sigtimedwait},
    };
    size_t n = sizeof loopers / sizeof loopers[0];
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL); /* inherited: sigtimedwait waits for it */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pthread_create(&loopers[i].thread, NULL, loop_calls, &loopers[i]), 0);
    struct call_resume_stats before, after;
    call_resume_stats(&before);
    unsigned long signalled = 0, parked = 0;
    for (int i = 0; i < DUMPS; i++) {
        struct live_stacks_dump d;
        assert_int_equal(live_stacks_dump(NULL, &d), 0);
        signalled += d.signalled;
        for (size_t k = 0; k < d.count; k++)
            parked += d.threads[k].parked;
        live_stacks_free(&d);
    }
    atomic_store(&stop, true);
    for (size_t i = 0; i < n; i++)
        pthread_join(loopers[i].thread, NULL);
    call_resume_stats(&after);
    printf("# %d dumps: %lu threads signalled, %lu parked; %llu calls resumed, %llu let through\n",
           DUMPS, signalled, parked, (unsigned long long)(after.resumed - before.resumed),
           (unsigned long long)(after.let_through - before.let_through));
    bool clean = true;
    for (size_t i = 0; i < n; i++) {
        const struct looper *l = &loopers[i];
        printf("#   %-16s %6lu calls, %lu EINTR, %lu early, errno %ld\n", l->name, l->calls,
               l->eintr, l->early, l->first_errno);
        clean = clean && l->eintr == 0 && l->early == 0 && l->first_errno == 0 && l->calls > 0;
    }
    assert_true(clean);
    assert_int_equal(after.let_through, before.let_through);
}

int main(void)
{
    if (!stack_capture_init())
        return 77; /* no libunwind: nothing to test */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_eintr_while_threads_enter_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
