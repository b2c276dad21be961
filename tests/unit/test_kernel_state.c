/* kernel_state.c: tables and descriptions; real threads blocked in a condvar, a mutex, a pipe read,
 * nanosleep, poll, epoll_wait and pthread_join, plus a spinner and an exited thread; the
 * not-dumpable case; the wait tracker's continuity rules. Prints the cost per thread it measures
 * (no timing asserts). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel_state.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- blocked threads ---- */

struct blocker {
    pthread_t handle;
    _Atomic pid_t tid;
};

static atomic_bool stop;
static pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;
static int read_pipe[2], poll_pipe[2], epoll_pipe[2];
static int epoll_fd;

static void announce(struct blocker *b)
{
    atomic_store(&b->tid, (pid_t)syscall(SYS_gettid));
}

static void *in_cond_wait(void *arg)
{
    announce(arg);
    pthread_mutex_lock(&cond_lock);
    while (!atomic_load(&stop))
        pthread_cond_wait(&cond, &cond_lock);
    pthread_mutex_unlock(&cond_lock);
    return NULL;
}

static void *in_mutex_lock(void *arg)
{
    announce(arg);
    pthread_mutex_lock(&held_mutex);
    pthread_mutex_unlock(&held_mutex);
    return NULL;
}

static void *in_pipe_read(void *arg)
{
    announce(arg);
    char c;
    while (read(read_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void *in_nanosleep(void *arg)
{
    announce(arg);
    while (!atomic_load(&stop)) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *in_poll(void *arg)
{
    announce(arg);
    struct pollfd pfd = {.fd = poll_pipe[0], .events = POLLIN};
    while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void *in_epoll_wait(void *arg)
{
    announce(arg);
    struct epoll_event ev;
    while (epoll_wait(epoll_fd, &ev, 1, -1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void *spinning(void *arg)
{
    announce(arg);
    while (!atomic_load(&stop))
        __asm__ volatile("" ::: "memory");
    return NULL;
}

static pthread_t joined_handle;
static void *in_join(void *arg)
{
    announce(arg);
    pthread_join(joined_handle, NULL);
    return NULL;
}

static struct blocker cond_waiter, mutex_waiter, pipe_reader, sleeper, poller, epoller, spinner,
    joiner;

static pid_t start_blocker(struct blocker *b, void *(*fn)(void *))
{
    atomic_store(&b->tid, 0);
    assert_int_equal(pthread_create(&b->handle, NULL, fn, b), 0);
    while (atomic_load(&b->tid) == 0)
        sleep_ms(1);
    return atomic_load(&b->tid);
}

/* Reads tid until its wait description is `want` (threads take a moment to block). */
static void expect_wait(pid_t tid, const char *want, struct kernel_thread_state *st)
{
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(kernel_state_read(-1, tid, 0, 0, st), 0);
        if (strcmp(st->wait, want) == 0)
            return;
        sleep_ms(1);
    }
    fail_msg("tid %d: wait is \"%s\", expected \"%s\"", (int)tid, st->wait, want);
}

static int start_all(void **state)
{
    (void)state;
    if (pipe(read_pipe) || pipe(poll_pipe) || pipe(epoll_pipe))
        return -1;
    epoll_fd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, epoll_pipe[0], &ev))
        return -1;
    pthread_mutex_lock(&held_mutex);
    start_blocker(&cond_waiter, in_cond_wait);
    joined_handle = cond_waiter.handle;
    start_blocker(&mutex_waiter, in_mutex_lock);
    start_blocker(&pipe_reader, in_pipe_read);
    start_blocker(&sleeper, in_nanosleep);
    start_blocker(&poller, in_poll);
    start_blocker(&epoller, in_epoll_wait);
    start_blocker(&spinner, spinning);
    start_blocker(&joiner, in_join);
    return 0;
}

static int stop_all(void **state)
{
    (void)state;
    atomic_store(&stop, true);
    pthread_mutex_lock(&cond_lock);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_lock);
    pthread_mutex_unlock(&held_mutex);
    if (write(read_pipe[1], "x", 1) != 1 || write(poll_pipe[1], "x", 1) != 1 ||
        write(epoll_pipe[1], "x", 1) != 1)
        return -1;
    struct blocker *all[] = {&mutex_waiter, &pipe_reader, &sleeper, &poller,
                             &epoller,      &spinner,     &joiner};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        pthread_join(all[i]->handle, NULL);
    return 0;
}

/* ---- tables and descriptions without threads ---- */

static void test_syscall_names(void **state)
{
    (void)state;
    assert_string_equal(kernel_syscall_name(202), "futex");
    assert_string_equal(kernel_syscall_name(0), "read");
    assert_string_equal(kernel_syscall_name(7), "poll");
    assert_string_equal(kernel_syscall_name(230), "clock_nanosleep");
    assert_string_equal(kernel_syscall_name(232), "epoll_wait");
    assert_string_equal(kernel_syscall_name(441), "epoll_pwait2");
    assert_string_equal(kernel_syscall_name(426), "io_uring_enter");
    assert_string_equal(kernel_syscall_name(73), "flock");
    assert_null(kernel_syscall_name(100000));
    assert_null(kernel_syscall_name(-1));
}

static void test_futex_kinds(void **state)
{
    (void)state;
    uint64_t cond_wait[6] = {0x1000, 0x189, 0, 0, 0, 0xffffffff}; /* measured: glibc 2.36 */
    uint64_t lock_wait[6] = {0x1000, 0x80, 2, 0, 0, 0};
    uint64_t pi_lock[6] = {0x1000, 6 | 128, 0, 0, 0, 0};
    uint64_t requeue_pi[6] = {0x1000, 11, 0, 0, 0x2000, 0};
    uint64_t bitset[6] = {0x1000, 9, 0, 0, 0, 0x4};
    uint64_t wake[6] = {0x1000, 1 | 128, 1, 0, 0, 0};
    assert_int_equal(kernel_futex_kind_of(cond_wait), KERNEL_FUTEX_CONDITION);
    assert_int_equal(kernel_futex_kind_of(lock_wait), KERNEL_FUTEX_MUTEX);
    assert_int_equal(kernel_futex_kind_of(pi_lock), KERNEL_FUTEX_MUTEX_PI);
    assert_int_equal(kernel_futex_kind_of(requeue_pi), KERNEL_FUTEX_CONDITION_PI);
    assert_int_equal(kernel_futex_kind_of(bitset), KERNEL_FUTEX_WAIT_OTHER);
    assert_int_equal(kernel_futex_kind_of(wake), KERNEL_FUTEX_OTHER);
    assert_string_equal(kernel_futex_kind_name(KERNEL_FUTEX_CONDITION), "condition");
    assert_string_equal(kernel_futex_kind_name(KERNEL_FUTEX_MUTEX), "mutex");
}

static struct kernel_thread_state blank_state(void)
{
    struct kernel_thread_state st;
    memset(&st, 0, sizeof st);
    st.state = 'S';
    st.fd = -1;
    st.syscall_nr = -1;
    return st;
}

static void test_descriptions_from_fields(void **state)
{
    (void)state;
    char buf[KERNEL_STATE_WAIT_MAX];
    struct kernel_thread_state st = blank_state();
    st.syscall_state = KERNEL_SYSCALL_IN;
    st.syscall_nr = 0;
    st.fd = 5;
    snprintf(st.fd_target, sizeof st.fd_target, "pipe:[4242]");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "read fd 5 (pipe)");

    st.syscall_nr = 45;
    snprintf(st.fd_target, sizeof st.fd_target, "socket:[77]");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "recvfrom fd 5 (socket)");

    st.syscall_nr = 0;
    snprintf(st.fd_target, sizeof st.fd_target, "anon_inode:[eventfd]");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "read fd 5 (eventfd)");

    snprintf(st.fd_target, sizeof st.fd_target, "/var/log/x.log");
    st.state = 'D';
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "read fd 5 (/var/log/x.log) [uninterruptible]");

    st = blank_state();
    st.syscall_state = KERNEL_SYSCALL_IN;
    st.syscall_nr = 7;
    st.fd = 3;
    st.nfds = 3;
    snprintf(st.fd_target, sizeof st.fd_target, "socket:[1]");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "poll fd 3 (socket) and 2 more");

    st = blank_state();
    st.syscall_state = KERNEL_SYSCALL_IN;
    st.syscall_nr = 72; /* fcntl(fd, F_SETLKW) */
    st.args[1] = 7;
    st.fd = 4;
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "fcntl lock wait fd 4");

    st = blank_state();
    st.syscall_state = KERNEL_SYSCALL_IN;
    st.syscall_nr = 99999;
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "syscall 99999");

    st = blank_state();
    st.syscall_state = KERNEL_SYSCALL_UNREAD; /* not dumpable: only state and wchan */
    snprintf(st.wchan, sizeof st.wchan, "futex_do_wait");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "futex wait");
    snprintf(st.wchan, sizeof st.wchan, "some_driver_wait");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "sleeping in some_driver_wait");
    st.state = 'R';
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "running");

    st = blank_state();
    st.syscall_state = KERNEL_SYSCALL_NONE;
    snprintf(st.wchan, sizeof st.wchan, "do_page_fault");
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "blocked outside a syscall in do_page_fault");
    st.state = 't';
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "stopped by a tracer");
    st.error = ENOENT;
    kernel_state_describe(&st, buf, sizeof buf);
    assert_string_equal(buf, "exited");
}

/* ---- real threads ---- */

static void test_cond_wait(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    expect_wait(cond_waiter.tid, "futex wait (condition)", &st);
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.syscall_state, KERNEL_SYSCALL_IN);
    assert_int_equal(st.syscall_nr, 202);
    assert_string_equal(st.syscall_name, "futex");
    assert_int_equal(st.futex_kind, KERNEL_FUTEX_CONDITION);
    assert_non_null(strstr(st.wchan, "futex"));
    assert_true(st.sigblk_known);
    assert_int_equal(st.sigblk, 0);
    assert_true(st.start_ticks > 0);
    assert_true(st.user_pc != 0 && st.user_sp != 0);
    assert_string_equal(st.comm, "test_kernel_sta"); /* the kernel keeps 15 characters */
}

static void test_mutex_wait(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    expect_wait(mutex_waiter.tid, "futex wait (mutex)", &st);
    assert_int_equal(st.futex_kind, KERNEL_FUTEX_MUTEX);
    assert_int_equal(st.args[2], 2); /* glibc's "locked, with waiters" */
}

static void test_pipe_read(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    char want[64];
    snprintf(want, sizeof want, "read fd %d (pipe)", read_pipe[0]);
    expect_wait(pipe_reader.tid, want, &st);
    assert_int_equal(st.fd, read_pipe[0]);
    assert_memory_equal(st.fd_target, "pipe:[", 6);
    assert_int_equal(st.syscall_nr, 0);
}

static void test_nanosleep(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    expect_wait(sleeper.tid, "nanosleep", &st);
    assert_string_equal(st.syscall_name, "clock_nanosleep"); /* glibc's nanosleep uses it */
}

static void test_poll(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    char want[64];
    snprintf(want, sizeof want, "poll fd %d (pipe)", poll_pipe[0]);
    expect_wait(poller.tid, want, &st);
    assert_int_equal(st.nfds, 1);
}

static void test_epoll_wait(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    char want[64];
    snprintf(want, sizeof want, "epoll_wait fd %d", epoll_fd);
    expect_wait(epoller.tid, want, &st);
}

static void test_spinner_is_running(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    expect_wait(spinner.tid, "running", &st);
    assert_int_equal(st.state, 'R');
    assert_int_equal(st.syscall_state, KERNEL_SYSCALL_RUNNING);
    assert_int_equal(st.syscall_nr, -1);
}

static void test_join(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    char want[64];
    snprintf(want, sizeof want, "futex wait (join tid %d)", (int)cond_waiter.tid);
    expect_wait(joiner.tid, want, &st);
    assert_int_equal(st.futex_kind, KERNEL_FUTEX_JOIN);
    assert_int_equal(st.join_tid, cond_waiter.tid);
}

static void *note_tid_and_exit(void *arg)
{
    *(pid_t *)arg = (pid_t)syscall(SYS_gettid);
    return NULL;
}

static void test_exited_thread(void **state)
{
    (void)state;
    pid_t tid = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, note_tid_and_exit, &tid), 0);
    pthread_join(t, NULL);
    struct kernel_thread_state st;
    int rc = kernel_state_read(-1, tid, 0, 0, &st);
    assert_true(rc == -ENOENT || rc == -ESRCH);
    assert_int_equal(st.error, -rc);
    assert_string_equal(st.wait, "exited");
}

/* After PR_SET_DUMPABLE 0, /proc/self/task/TID/syscall (mode 0400) belongs to root: an ordinary
 * user gets EACCES. As root, a non-root fsuid (per thread, and it drops the fs capabilities) puts
 * this thread in the same position. */
static void test_not_dumpable(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    expect_wait(cond_waiter.tid, "futex wait (condition)", &st);
    bool root = geteuid() == 0;
    prctl(PR_SET_DUMPABLE, 0);
    if (root)
        setfsuid(65534);
    int rc = kernel_state_read(-1, cond_waiter.tid, 0, 0, &st);
    struct kernel_thread_state brief; /* a dump's read: wchan only because syscall failed */
    int brief_rc = kernel_state_read(-1, cond_waiter.tid, KERNEL_STATE_BRIEF, 0, &brief);
    if (root)
        setfsuid(0);
    prctl(PR_SET_DUMPABLE, 1);
    assert_int_equal(rc, 0);
    assert_int_equal(st.syscall_state, KERNEL_SYSCALL_UNREAD);
    assert_int_equal(st.syscall_error, EACCES);
    assert_int_equal(st.state, 'S');
    printf("# not dumpable: wchan \"%s\", described as \"%s\"\n", st.wchan, st.wait);
    if (st.wchan[0])
        assert_string_equal(st.wait, "futex wait");
    else
        assert_string_equal(st.wait, "sleeping");
    assert_int_equal(brief_rc, 0);
    assert_int_equal(brief.syscall_state, KERNEL_SYSCALL_UNREAD);
    assert_int_equal(brief.state, 'S');
    assert_string_equal(brief.wchan, st.wchan);
    assert_string_equal(brief.wait, st.wait);
}

/* ---- the tracker ---- */

static bool have_last_ran(void)
{
    return kernel_sched_clock_supported();
}

static void observe(struct kernel_wait_tracker *t, pid_t tid, struct kernel_thread_state *st)
{
    kernel_wait_tracker_begin(t);
    assert_int_equal(kernel_state_read(-1, tid, 0, 0, st), 0);
    assert_true(kernel_wait_tracker_observe(t, -1, st));
    kernel_wait_tracker_end(t);
}

static void test_tracker_continuous_wait(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    expect_wait(cond_waiter.tid, "futex wait (condition)", &st);
    uint64_t seen_blocked = now_ns(); /* it was blocked at this instant, and stays blocked */
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    observe(&t, cond_waiter.tid, &st);
    assert_int_equal(st.duration_source,
                     have_last_ran() ? KERNEL_DURATION_LAST_RAN : KERNEL_DURATION_AT_LEAST);
    sleep_ms(60);
    observe(&t, cond_waiter.tid, &st);
    uint64_t blocked_at_least = now_ns() - seen_blocked;
    assert_int_equal(st.duration_source,
                     have_last_ran() ? KERNEL_DURATION_OBSERVED : KERNEL_DURATION_AT_LEAST);
    /* The wait began before the first sample, and the samples are at least 60 ms apart: a lower
     * bound that follows from the order of events, not a timing. */
    assert_true(st.waiting_ns >= 60000000u);
    if (st.duration_source == KERNEL_DURATION_OBSERVED)
        assert_true(st.waiting_ns + 2000000u >= blocked_at_least);
    printf("# cond waiter: waiting %.1f ms (%s)\n", st.waiting_ns / 1e6,
           kernel_duration_source_name(st.duration_source));
    kernel_wait_tracker_destroy(&t);
}

static void test_tracker_wake_breaks_continuity(void **state)
{
    (void)state;
    struct kernel_thread_state st;
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    expect_wait(cond_waiter.tid, "futex wait (condition)", &st);
    observe(&t, cond_waiter.tid, &st);
    uint64_t first_seen = now_ns();
    uint64_t switches = st.voluntary_switches;
    sleep_ms(50);
    pthread_mutex_lock(&cond_lock);
    pthread_cond_broadcast(&cond); /* a wake-up without stop: it waits again */
    pthread_mutex_unlock(&cond_lock);
    do {
        expect_wait(cond_waiter.tid, "futex wait (condition)", &st);
    } while (st.voluntary_switches == switches);
    observe(&t, cond_waiter.tid, &st);
    assert_int_not_equal(st.duration_source, KERNEL_DURATION_OBSERVED);
    /* It started waiting again after the broadcast, which came 50 ms after first sight. */
    assert_true(st.waiting_ns < now_ns() - first_seen - 50000000u + 1000000u);
    kernel_wait_tracker_destroy(&t);
}

static void ignore_signal(int signo)
{
    (void)signo;
}

static void signal_and_wait_reblock(pid_t tid, int signo)
{
    struct kernel_thread_state st;
    expect_wait(tid, "futex wait (condition)", &st);
    uint64_t switches = st.voluntary_switches;
    assert_int_equal(syscall(SYS_tgkill, getpid(), tid, signo), 0);
    do {
        expect_wait(tid, "futex wait (condition)", &st);
    } while (st.voluntary_switches == switches);
}

static void test_tracker_allows_own_signals(void **state)
{
    (void)state;
    int signo = SIGRTMIN + 6;
    struct sigaction act = {.sa_handler = ignore_signal, .sa_flags = SA_RESTART};
    sigaction(signo, &act, NULL);
    struct kernel_thread_state st;
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    expect_wait(cond_waiter.tid, "futex wait (condition)", &st);
    observe(&t, cond_waiter.tid, &st);

    /* Our signal, noted: the wait is still the same one. */
    signal_and_wait_reblock(cond_waiter.tid, signo);
    kernel_wait_tracker_note_signal(&t, cond_waiter.tid);
    observe(&t, cond_waiter.tid, &st);
    assert_int_equal(st.duration_source,
                     have_last_ran() ? KERNEL_DURATION_OBSERVED : KERNEL_DURATION_AT_LEAST);

    /* Someone else's signal: the thread ran, so the wait restarts. */
    signal_and_wait_reblock(cond_waiter.tid, signo);
    observe(&t, cond_waiter.tid, &st);
    assert_int_not_equal(st.duration_source, KERNEL_DURATION_OBSERVED);
    kernel_wait_tracker_destroy(&t);
}

/* The tracker's rules on made-up samples of a tid that doesn't exist (so no last-ran time: the
 * durations are "at least" since the first sample, which makes them exact to check). */
static struct kernel_thread_state fake_wait(uint64_t voluntary)
{
    struct kernel_thread_state st = blank_state();
    st.tid = 4000000;     /* above any pid_max */
    st.stat_known = true; /* a full read; brief ones are in test_tracker_brief_reads */
    st.start_ticks = 777;
    st.syscall_state = KERNEL_SYSCALL_IN;
    st.syscall_nr = 202;
    st.args[1] = 0x189;
    st.user_pc = 0x1234;
    st.voluntary_switches = voluntary;
    return st;
}

static struct kernel_thread_state fake_running(uint64_t voluntary)
{
    struct kernel_thread_state st = fake_wait(voluntary);
    st.state = 'R';
    st.syscall_state = KERNEL_SYSCALL_RUNNING;
    st.syscall_nr = -1;
    return st;
}

static uint64_t sample(struct kernel_wait_tracker *t, struct kernel_thread_state st,
                       enum kernel_duration_source *source)
{
    kernel_wait_tracker_begin(t);
    kernel_wait_tracker_observe(t, -1, &st);
    kernel_wait_tracker_end(t);
    *source = st.duration_source;
    return st.waiting_ns;
}

static void test_tracker_rules(void **state)
{
    (void)state;
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    enum kernel_duration_source src;
    pid_t tid = fake_wait(0).tid;

    assert_int_equal(sample(&t, fake_wait(10), &src), 0);
    assert_int_equal(src, KERNEL_DURATION_AT_LEAST);
    sleep_ms(5);
    assert_true(sample(&t, fake_wait(10), &src) >= 5000000u); /* unchanged: same wait */
    assert_int_equal(src, KERNEL_DURATION_AT_LEAST);

    /* Our signal: one switch allowed, even seen half-way (running, not blocked again yet). */
    kernel_wait_tracker_note_signal(&t, tid);
    assert_int_equal(sample(&t, fake_running(10), &src), 0);
    assert_int_equal(src, KERNEL_DURATION_NONE);
    assert_true(sample(&t, fake_wait(11), &src) >= 5000000u);

    /* The handler blocked twice more: three allowed, and no more. */
    kernel_wait_tracker_note_signal(&t, tid);
    kernel_wait_tracker_note_handler_switches(&t, tid, 2);
    assert_true(sample(&t, fake_wait(14), &src) >= 5000000u);
    kernel_wait_tracker_note_signal(&t, tid);
    assert_int_equal(sample(&t, fake_wait(16), &src), 0); /* one switch more than ours */

    /* Running without any signal of ours ends the wait; so do new arguments and a reused tid. */
    sleep_ms(5);
    assert_true(sample(&t, fake_wait(16), &src) >= 5000000u);
    assert_int_equal(sample(&t, fake_running(16), &src), 0);
    assert_int_equal(sample(&t, fake_wait(17), &src), 0);
    sleep_ms(5);
    struct kernel_thread_state other_args = fake_wait(17);
    other_args.args[0] = 0x5000;
    assert_int_equal(sample(&t, other_args, &src), 0);
    sleep_ms(5);
    struct kernel_thread_state reused = other_args;
    reused.start_ticks = 778;
    assert_int_equal(sample(&t, reused, &src), 0);
    kernel_wait_tracker_destroy(&t);
}

/* Brief reads (status and syscall, no stat) have no start_ticks: the switch count and the
 * signature decide alone, and the tracker carries the thread's start_ticks while the wait goes
 * on unbroken, so that a dump can still tell a reused tid. */
static void test_tracker_brief_reads(void **state)
{
    (void)state;
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    enum kernel_duration_source src;
    assert_int_equal(sample(&t, fake_wait(10), &src), 0); /* first sight: a full read */
    sleep_ms(5);
    struct kernel_thread_state brief = fake_wait(10);
    brief.stat_known = false;
    brief.start_ticks = 0;
    kernel_wait_tracker_begin(&t);
    kernel_wait_tracker_observe(&t, -1, &brief);
    kernel_wait_tracker_end(&t);
    assert_true(brief.waiting_ns >= 5000000u); /* the same wait */
    assert_int_equal(brief.start_ticks, 777);  /* carried */

    struct kernel_thread_state woke = fake_wait(12); /* blocked again: a new wait */
    woke.stat_known = false;
    woke.start_ticks = 0;
    kernel_wait_tracker_begin(&t);
    kernel_wait_tracker_observe(&t, -1, &woke);
    kernel_wait_tracker_end(&t);
    assert_int_equal(woke.waiting_ns, 0);
    assert_int_equal(woke.start_ticks, 0); /* nothing to vouch for it */

    /* A full read after that, of another thread with the same tid, is taken at its word. */
    sleep_ms(5);
    struct kernel_thread_state reused = fake_wait(12);
    reused.start_ticks = 778;
    assert_true(sample(&t, reused, &src) >= 5000000u); /* nothing contradicts the signature */
    sleep_ms(5);
    struct kernel_thread_state other = fake_wait(12);
    other.start_ticks = 779;
    assert_int_equal(sample(&t, other, &src), 0); /* but start_ticks, once known, does */
    kernel_wait_tracker_destroy(&t);
}

/* A brief read: status and syscall only, the same state, name, SigBlk and wait as a full one. */
static void test_brief_read_matches_full(void **state)
{
    (void)state;
    pid_t tid = cond_waiter.tid;
    struct kernel_thread_state full, brief;
    assert_int_equal(kernel_state_read(-1, tid, 0, 0, &full), 0);
    assert_int_equal(kernel_state_read(-1, tid, KERNEL_STATE_BRIEF, 0, &brief), 0);
    assert_true(full.stat_known);
    assert_false(brief.stat_known);
    assert_int_equal(brief.state, full.state);
    assert_string_equal(brief.comm, full.comm);
    assert_string_equal(brief.wait, full.wait);
    assert_true(brief.sigblk_known);
    assert_int_equal(brief.sigblk, full.sigblk);
    assert_true(brief.voluntary_switches >= full.voluntary_switches);
    assert_string_equal(brief.wchan, ""); /* syscall was readable: no need */
    assert_int_equal(kernel_state_read(-1, tid, KERNEL_STATE_BRIEF | KERNEL_STATE_WCHAN, 0, &brief),
                     0);
    assert_non_null(strstr(brief.wchan, "futex"));
    printf("# brief read of tid %d: state %c, name \"%s\", wait \"%s\"\n", (int)tid, brief.state,
           brief.comm, brief.wait);

    /* A name with what status escapes (a backslash and a newline) reads back as stat has it. */
    char name[16] = "a\\b\nc";
    assert_int_equal(pthread_setname_np(pthread_self(), name), 0);
    pid_t self = (pid_t)syscall(SYS_gettid);
    assert_int_equal(kernel_state_read(-1, self, 0, 0, &full), 0);
    assert_int_equal(kernel_state_read(-1, self, KERNEL_STATE_BRIEF, 0, &brief), 0);
    assert_string_equal(full.comm, name);
    assert_string_equal(brief.comm, name);
    assert_int_equal(pthread_setname_np(pthread_self(), "test_kernel_sta"), 0);
}

static void test_tracker_forgets_unseen_threads(void **state)
{
    (void)state;
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    struct kernel_thread_state st;
    pid_t tids[] = {cond_waiter.tid, mutex_waiter.tid, pipe_reader.tid, poller.tid};
    kernel_wait_tracker_begin(&t);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(kernel_state_read(-1, tids[i], 0, 0, &st), 0);
        kernel_wait_tracker_observe(&t, -1, &st);
    }
    kernel_wait_tracker_end(&t);
    assert_int_equal(t.used, 4);
    observe(&t, poller.tid, &st);
    assert_int_equal(t.used, 1);
    kernel_wait_tracker_destroy(&t);
}

/* ---- last-ran time on every CPU ---- */

struct pinned_waiter {
    struct blocker b;
    _Atomic uint64_t about_to_block_ns; /* the wait began after this */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool release;
};

static void *pinned_wait(void *arg)
{
    struct pinned_waiter *w = arg;
    pthread_mutex_lock(&w->lock);
    announce(&w->b);
    atomic_store(&w->about_to_block_ns, now_ns());
    while (!atomic_load(&w->release))
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* The scheduler clocks of different CPUs drift apart (they exclude each CPU's own irq time), so a
 * last-ran time is only right when converted with its own CPU's offset. A thread pinned to each
 * CPU in turn blocks between two known instants; the estimate must fall between them. */
static void test_last_ran_is_right_on_every_cpu(void **state)
{
    (void)state;
    if (!kernel_sched_clock_supported())
        skip();
    cpu_set_t allowed;
    assert_int_equal(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    struct kernel_sched_clock clock;
    assert_true(kernel_sched_clock_init(&clock));
    int measured = 0;
    for (int cpu = 0; cpu < clock.ncpus; cpu++) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        struct pinned_waiter w = {.lock = PTHREAD_MUTEX_INITIALIZER,
                                  .cond = PTHREAD_COND_INITIALIZER};
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_attr_setaffinity_np(&attr, sizeof one, &one);
        assert_int_equal(pthread_create(&w.b.handle, &attr, pinned_wait, &w), 0);
        pthread_attr_destroy(&attr);
        while (atomic_load(&w.about_to_block_ns) == 0)
            sleep_ms(1);
        struct kernel_thread_state st;
        expect_wait(w.b.tid, "futex wait (condition)", &st);
        uint64_t seen_blocked = now_ns(); /* the wait began before this */
        sleep_ms(100);
        uint64_t before = now_ns();
        assert_int_equal(kernel_state_read(-1, w.b.tid, KERNEL_STATE_LAST_RAN, &clock, &st), 0);
        uint64_t after = now_ns();
        assert_int_equal(st.last_cpu, cpu);
        assert_true(st.last_ran_known);
        uint64_t shortest = before - seen_blocked, longest = after - w.about_to_block_ns;
        printf("# cpu %d: waiting %.3f ms, must be within [%.3f, %.3f] ms (clock offset %.3f ms)\n",
               cpu, st.waiting_ns / 1e6, shortest / 1e6, longest / 1e6, clock.offset_ns[cpu] / 1e6);
        assert_true(st.waiting_ns + 500000u >= shortest);
        assert_true(st.waiting_ns <= longest + 500000u);
        pthread_mutex_lock(&w.lock);
        atomic_store(&w.release, true);
        pthread_cond_signal(&w.cond);
        pthread_mutex_unlock(&w.lock);
        pthread_join(w.b.handle, NULL);
        measured++;
    }
    kernel_sched_clock_destroy(&clock);
    assert_true(measured > 0);
}

/* ---- cost ---- */

#define COST_THREADS 200

static void test_cost_per_thread(void **state)
{
    (void)state;
    atomic_store(&stop, false);
    static struct blocker many[COST_THREADS];
    for (int i = 0; i < COST_THREADS; i++)
        start_blocker(&many[i], in_cond_wait);
    struct kernel_thread_state st;
    for (int i = 0; i < COST_THREADS; i++)
        expect_wait(many[i].tid, "futex wait (condition)", &st);

    int dir = kernel_state_open_task_dir();
    uint64_t t0 = now_ns();
    for (int i = 0; i < COST_THREADS; i++)
        assert_int_equal(kernel_state_read(dir, many[i].tid, 0, 0, &st), 0);
    uint64_t t1 = now_ns();
    struct kernel_sched_clock clock;
    assert_true(kernel_sched_clock_init(&clock));
    uint64_t c0 = now_ns();
    for (int i = 0; i < COST_THREADS; i++)
        assert_int_equal(kernel_state_read(dir, many[i].tid, KERNEL_STATE_LAST_RAN, &clock, &st),
                         0);
    uint64_t c1 = now_ns();
    for (int i = 0; i < COST_THREADS; i++)
        assert_int_equal(kernel_state_read(dir, many[i].tid, KERNEL_STATE_LAST_RAN, &clock, &st),
                         0);
    uint64_t t2 = now_ns();
    kernel_sched_clock_destroy(&clock);
    for (int i = 0; i < COST_THREADS; i++)
        assert_int_equal(kernel_state_read(-1, many[i].tid, 0, 0, &st), 0);
    uint64_t t3 = now_ns();
    struct kernel_wait_tracker t;
    kernel_wait_tracker_init(&t);
    uint64_t tracked[2];
    for (int round = 0; round < 2; round++) {
        uint64_t r0 = now_ns();
        kernel_wait_tracker_begin(&t);
        for (int i = 0; i < COST_THREADS; i++) {
            kernel_state_read(dir, many[i].tid, 0, 0, &st);
            kernel_wait_tracker_observe(&t, dir, &st);
        }
        kernel_wait_tracker_end(&t);
        tracked[round] = now_ns() - r0;
    }
    kernel_wait_tracker_destroy(&t);
    /* What a dump reads: status and syscall, the tracker adding stat and sched for new waits. */
    kernel_wait_tracker_init(&t);
    uint64_t brief[2];
    for (int round = 0; round < 2; round++) {
        uint64_t r0 = now_ns();
        kernel_wait_tracker_begin(&t);
        for (int i = 0; i < COST_THREADS; i++) {
            assert_int_equal(kernel_state_read(dir, many[i].tid, KERNEL_STATE_BRIEF, 0, &st), 0);
            kernel_wait_tracker_observe(&t, dir, &st);
            assert_string_equal(st.wait, "futex wait (condition)");
            if (round > 0 && have_last_ran())
                assert_int_equal(st.duration_source, KERNEL_DURATION_OBSERVED);
        }
        kernel_wait_tracker_end(&t);
        brief[round] = now_ns() - r0;
    }
    kernel_wait_tracker_destroy(&t);
    close(dir);
    printf("# brief reads (status, syscall) with the tracker: first round %.1f us, next round "
           "%.1f us per thread\n",
           brief[0] / 1e3 / COST_THREADS, brief[1] / 1e3 / COST_THREADS);
    printf("# kernel_state_read per thread: %.1f us (task dir fd), %.1f us with last-ran (first "
           "pass, which measures every CPU's clock: %.1f us), %.1f us (absolute paths)\n",
           (t1 - t0) / 1e3 / COST_THREADS, (t2 - c1) / 1e3 / COST_THREADS,
           (c1 - c0) / 1e3 / COST_THREADS, (t3 - t2) / 1e3 / COST_THREADS);
    printf("# with the tracker: first round %.1f us, next round %.1f us per thread\n",
           tracked[0] / 1e3 / COST_THREADS, tracked[1] / 1e3 / COST_THREADS);

    pthread_mutex_lock(&cond_lock);
    atomic_store(&stop, true);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&cond_lock);
    for (int i = 0; i < COST_THREADS; i++)
        pthread_join(many[i].handle, NULL);
    atomic_store(&stop, false);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_syscall_names),
        cmocka_unit_test(test_futex_kinds),
        cmocka_unit_test(test_descriptions_from_fields),
    };
    const struct CMUnitTest threads[] = {
        cmocka_unit_test(test_cond_wait),
        cmocka_unit_test(test_mutex_wait),
        cmocka_unit_test(test_pipe_read),
        cmocka_unit_test(test_nanosleep),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_epoll_wait),
        cmocka_unit_test(test_spinner_is_running),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_exited_thread),
        cmocka_unit_test(test_not_dumpable),
        cmocka_unit_test(test_brief_read_matches_full),
        cmocka_unit_test(test_tracker_continuous_wait),
        cmocka_unit_test(test_tracker_wake_breaks_continuity),
        cmocka_unit_test(test_tracker_allows_own_signals),
        cmocka_unit_test(test_tracker_rules),
        cmocka_unit_test(test_tracker_brief_reads),
        cmocka_unit_test(test_tracker_forgets_unseen_threads),
    };
    const struct CMUnitTest cost[] = {
        cmocka_unit_test(test_last_ran_is_right_on_every_cpu),
        cmocka_unit_test(test_cost_per_thread),
    };
    int failed = cmocka_run_group_tests_name("kernel_state tables", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("kernel_state threads", threads, start_all, stop_all);
    failed += cmocka_run_group_tests_name("kernel_state cost", cost, NULL, NULL);
    return failed;
}
