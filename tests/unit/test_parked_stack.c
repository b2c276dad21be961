/* parked_stack.c: the stacks of threads blocked in poll, epoll_wait and nanosleep, unwound from
 * the sp and pc in /proc/self/task/TID/syscall without sending them anything. Each must contain
 * the function the thread blocks in and reach start_thread; the call must not be disturbed (it
 * times out after its full timeout, with no EINTR). A frame that needs rbp, which /proc does not
 * give, ends the walk marked partial instead of guessing. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel_state.h"
#include "parked_stack.h"
#include "stack_capture.h"
#include "symbolize.h"

#define PARK_MS 600

/* Under AddressSanitizer, poll, epoll_wait and the like are its interceptors, built with frame
 * pointers: a walk from /proc stops in them, partial, before the test's own function. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

struct parked {
    pthread_t handle;
    _Atomic pid_t tid;
    int result, error;
    void (*park)(struct parked *);
};

static __attribute__((noinline)) void parked_in_poll(struct parked *p)
{
    p->result = poll(NULL, 0, PARK_MS);
    p->error = errno;
    __asm__ volatile("" ::: "memory"); /* no tail call: the frame must stay */
}

static __attribute__((noinline)) void parked_in_epoll(struct parked *p)
{
    int ep = epoll_create1(0);
    struct epoll_event ev;
    p->result = epoll_wait(ep, &ev, 1, PARK_MS);
    p->error = errno;
    close(ep);
}

static __attribute__((noinline)) void parked_in_nanosleep(struct parked *p)
{
    struct timespec ts = {0, PARK_MS * 1000000L};
    p->result = nanosleep(&ts, NULL);
    p->error = errno;
    __asm__ volatile("" ::: "memory");
}

static void *run_parked(void *arg)
{
    struct parked *p = arg;
    atomic_store(&p->tid, (pid_t)syscall(SYS_gettid));
    p->park(p);
    return NULL;
}

static void start_parked(struct parked *p, void (*park)(struct parked *))
{
    memset(p, 0, sizeof *p);
    p->park = park;
    assert_int_equal(pthread_create(&p->handle, NULL, run_parked, p), 0);
}

/* The thread's kernel state once it is inside a syscall. */
static void wait_parked(const struct parked *p, int task_dir, struct kernel_thread_state *ks)
{
    for (int i = 0; i < 2000; i++) {
        pid_t tid = atomic_load(&p->tid);
        if (tid && kernel_state_read(task_dir, tid, 0, NULL, ks) == 0 &&
            ks->syscall_state == KERNEL_SYSCALL_IN)
            return;
        usleep(1000);
    }
    fail_msg("the thread never blocked in a syscall");
}

static bool frames_contain(void **frames, unsigned n, const char *function)
{
    struct tl__frame out[64];
    symbolize_frames(frames, n, true, out);
    for (unsigned i = 0; i < n; i++)
        if (out[i].function && strcmp(out[i].function, function) == 0)
            return true;
    return false;
}

static void check_parked(void (*park)(struct parked *), const char *function)
{
    assert_true(parked_stack_available());
    int task_dir = kernel_state_open_task_dir();
    struct parked p;
    start_parked(&p, park);
    struct kernel_thread_state ks;
    wait_parked(&p, task_dir, &ks);
    void *frames[64];
    struct parked_stack got;
    assert_true(parked_stack_unwind(ks.user_sp, ks.user_pc, frames, 64, &got));
    assert_ptr_equal(frames[0], (void *)(uintptr_t)ks.user_pc);
    if (UNDER_ASAN && got.partial) {
        pthread_join(p.handle, NULL);
        assert_int_equal(p.result, 0);
        close(task_dir);
        return;
    }
    assert_true(got.nframes >= 3);
    if (!frames_contain(frames, got.nframes, function) ||
        !frames_contain(frames, got.nframes, "start_thread")) {
        struct tl__frame out[64];
        symbolize_frames(frames, got.nframes, true, out);
        for (unsigned i = 0; i < got.nframes; i++)
            fprintf(stderr, "  #%u %p %s\n", i, frames[i], out[i].function ? out[i].function : "?");
        fail_msg("%s: stack lacks %s or start_thread (partial=%d)", ks.wait, function, got.partial);
    }
    assert_false(got.partial);
    pthread_join(p.handle, NULL);
    assert_int_equal(p.result, 0); /* timed out, as it would have alone: never interrupted */
    close(task_dir);
}

static void test_poll(void **state)
{
    (void)state;
    check_parked(parked_in_poll, "parked_in_poll");
}

static void test_epoll_wait(void **state)
{
    (void)state;
    check_parked(parked_in_epoll, "parked_in_epoll");
}

static void test_nanosleep(void **state)
{
    (void)state;
    check_parked(parked_in_nanosleep, "parked_in_nanosleep");
}

/* parked_fp_frame.c, built -O0 with frame pointers: its CFA is rbp + 16, and poll in libc does
 * not save rbp, so /proc's sp and pc cannot get past it. The walk must say partial, not invent
 * frames. */
void parked_with_frame_pointer(int timeout_ms, int *result, int *error);

static __attribute__((noinline)) void parked_behind_frame_pointer(struct parked *p)
{
    parked_with_frame_pointer(PARK_MS, &p->result, &p->error);
    __asm__ volatile("" ::: "memory");
}

static void test_frame_pointer_frame(void **state)
{
    (void)state;
    int task_dir = kernel_state_open_task_dir();
    struct parked p;
    start_parked(&p, parked_behind_frame_pointer);
    struct kernel_thread_state ks;
    wait_parked(&p, task_dir, &ks);
    void *frames[64];
    struct parked_stack got;
    assert_true(parked_stack_unwind(ks.user_sp, ks.user_pc, frames, 64, &got));
    bool whole = frames_contain(frames, got.nframes, "start_thread");
    fprintf(stderr, "frame-pointer frame: %u frames, partial=%d, whole=%d\n", got.nframes,
            got.partial, whole);
    assert_true(whole != got.partial); /* either it got through (libc saved rbp) or it says so */
    pthread_join(p.handle, NULL);
    close(task_dir);
}

/* A stack that is gone: nothing is read, nothing faults. */
static void test_unmapped_stack(void **state)
{
    (void)state;
    void *frames[8];
    struct parked_stack got;
    assert_false(parked_stack_unwind(0x10, (uint64_t)(uintptr_t)test_poll, frames, 8, &got));
    assert_int_equal(got.nframes, 0);
}

int main(void)
{
    stack_capture_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll),           cmocka_unit_test(test_epoll_wait),
        cmocka_unit_test(test_nanosleep),      cmocka_unit_test(test_frame_pointer_frame),
        cmocka_unit_test(test_unmapped_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
